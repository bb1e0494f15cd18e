"""
A simulated camera or motion-capture tracker watching a simulated imperfect arm, free of ROS.

What a real tracker does to the arm's true tool pose: it reports a marker (``setup.marker`` on the
tool) in its own frame (``setup.frame``), at its own ``rate``, stamped ``setup.latency`` seconds
late, with noise, and now and then the pose of another marker (``outliers``: a swapped marker
identity, the structured outlier a robust fit must leave out). The tracker node publishes these;
:func:`simulate_recording` makes the recording the collector would, offline: the arm babbles
stop-and-go under the driver's own motion limits, joint states come at ``state_rate`` and the
measurements are paired with the joints interpolated at their stamps.
"""

from __future__ import annotations

from dataclasses import dataclass
import math

from ik_net_ros.arm import Arm
from ik_net_ros.data.dataset import PoseJointSet
from ik_net_ros.data.pairing import StampPairer
from ik_net_ros.hardware.motion import MotionLimiter
from ik_net_ros.kinematics.chain import chain_forward
from ik_net_ros.kinematics.paths import babble_joints
from ik_net_ros.kinematics.rigid import pose_from_xyz_rpy
from ik_net_ros.kinematics.tracker_setup import BASE_FRAME, TrackerSetup
from ik_net_ros.kinematics.true_arm import measure, TrueArm
import numpy as np
from tqdm import tqdm

__all__ = ['SimulatedTracker', 'simulate_recording', 'SWAPPED_MARKER', 'described_arm',
           'babble_goal']

# where a second marker sits on the gripper: a tracker that swaps the two reports this one
SWAPPED_MARKER = tuple(pose_from_xyz_rpy([0.0, 0.045, 0.02, 0.0, 0.0, 90.0]))


@dataclass(frozen=True)
class SimulatedTracker:
    """
    A tracker's true setup and its faults.

    setup: the true frame, marker and latency (s the stamps are late). rate: Hz. position_noise,
    orientation_noise: 1-sigma per axis (m, rad). outliers: share of measurements of the swapped
    marker. frame_id: the frame its messages name.
    """

    setup: TrackerSetup = BASE_FRAME
    rate: float = 1000.0
    position_noise: float = 3e-4
    orientation_noise: float = math.radians(0.2)
    outliers: float = 0.0
    frame_id: str = 'world'

    def measure(self, tool_poses: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Return what the tracker reports (N, 7) for true tool poses (N, 7) in the base frame."""
        tool_poses = np.asarray(tool_poses, dtype=float).reshape(-1, 7)
        seen = self.setup.measured_from_tool(tool_poses)
        if self.outliers > 0:
            swapped = rng.random(len(seen)) < self.outliers
            if swapped.any():
                other = TrackerSetup(self.setup.frame, SWAPPED_MARKER)
                seen[swapped] = other.measured_from_tool(tool_poses[swapped])
        return measure(seen, rng, self.position_noise, self.orientation_noise)


def described_arm(true_arm: TrueArm) -> Arm:
    """Return the arm as described (no errors) that ``true_arm`` is an imperfect copy of."""
    return true_arm.arm.nominal()


def babble_goal(arm: Arm, rng: np.random.Generator, margin: float = 0.05) -> np.ndarray:
    """
    Return a random joint configuration (dof,) inside ``arm``'s limits, ``margin`` rad inside.

    :func:`~ik_net_ros.kinematics.paths.babble_joints` without a collision model (the one
    rule).
    """
    return babble_joints(rng, margin, arm=arm)


def simulate_recording(arm: TrueArm, tracker: SimulatedTracker, rows: int,
                       rng: np.random.Generator, settle: float = 0.5, state_rate: float = 100.0,
                       max_velocity: float | None = None, tolerance: float = 0.02,
                       latency: float = 0.0, max_speed: float = 0.0,
                       step: float = 1e-3) -> PoseJointSet:
    """
    Record ``rows`` measured rows of ``arm`` babbling stop-and-go, as the collector would.

    The arm moves under the driver's :class:`~ik_net_ros.hardware.motion.MotionLimiter` at
    ``max_velocity`` (None: the arm's fastest joint's limit; each joint within its own) from the
    arm's home pose and stays
    ``settle`` s at each goal; joint states come at ``state_rate``,
    measurements at the tracker's rate, stamped late by its latency; each measurement is paired
    with the joints interpolated at its stamp minus ``latency`` (the collector's parameter),
    within ``tolerance``; rows where a joint moves faster than ``max_speed`` rad/s are not kept
    (0: all are), as the collector's ``measured_max_speed``. Rows carry the commanded joints,
    their nominal FK pose, the measured pose and the joint velocities.
    """
    nominal = described_arm(arm)
    motion = MotionLimiter(float(np.max(nominal.velocity)) if max_velocity is None
                           else max_velocity, joint_velocity=nominal.velocity)
    motion.reset(nominal.home)
    pairer = StampPairer(tolerance, wait=0.25, latency=latency)  # receive clock: sim time
    goal, still = np.array(nominal.home), 0.0
    state_every = max(1, round(1.0 / (state_rate * step)))
    measure_every = max(1, round(1.0 / (tracker.rate * step)))
    out, k, t0 = [], 0, 1.0
    bar = tqdm(total=rows, desc='simulated recording', unit='row', disable=None, leave=False)
    while len(out) < rows:
        if np.array_equal(motion.setpoint, goal):
            still += step
            if still >= settle:
                goal, still = babble_goal(nominal, rng), 0.0
        joints = motion.step(goal, step)
        k += 1
        t = t0 + k * step
        new = []
        if k % state_every == 0:
            new += pairer.add_state(t, joints, t)
        if k % measure_every == 0:
            truth = arm.tool_poses(joints)
            new += pairer.add_measurement(t + tracker.setup.latency,
                                          tracker.measure(truth, rng)[0], t)
        kept = [r for r in new if not max_speed or np.abs(r[3]).max() <= max_speed]
        out += kept
        bar.update(min(len(kept), rows - bar.n))
    bar.close()
    out = (out + pairer.flush())[:rows]
    joints = np.array([r[1] for r in out])
    return PoseJointSet(chain_forward(nominal, joints), joints,
                        {'source': 'simulated tracker', 'measured_frame': tracker.frame_id,
                         'arm': nominal.name},
                        np.array([r[2] for r in out]), np.array([r[3] for r in out]))
