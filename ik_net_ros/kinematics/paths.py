"""
Smooth target paths through the workspace, for the demo and for data collection without hardware.

Paths are made in joint space and mapped through forward kinematics, so every target is reachable
by construction. Any arm: its limits, home pose and chain. The demo's sweep box is the OM-X's
(SWEEP_BOX, tested clear of the table and the base); another arm passes its own ``box``.
"""

from __future__ import annotations

from ik_net_ros.arm import arm_or_default
from ik_net_ros.kinematics.chain import chain_forward
from ik_net_ros.kinematics.closed_forms import closed_form_kind, NoClosedFormError, UR
from ik_net_ros.kinematics.collision import CollisionModel
from ik_net_ros.kinematics.ur_branches import family_configurations, in_family
import numpy as np

__all__ = ['sweep_pose', 'sweep_box', 'babble_joints', 'SWEEP_BOX']


# A Lissajous figure in joint space, away from the limits: the tool sweeps left-right, in-out,
# up-down with the pitch changing. Its frequencies share no period, so over time it fills the
# box center +- amplitude, every configuration of which keeps 30 mm above the table and clear
# of the base (tested): the tool stays between 133 and 442 mm high.
_CENTER = np.array([0.0, -0.4, -0.3, 0.0])
_AMPLITUDE = np.array([1.2, 0.35, 0.4, 0.5])
BABBLE_ROOM = 0.015  # m babble goals keep beyond the collision model, so none sits on its edge
_FREQUENCY = np.array([0.11, 0.17, 0.23, 0.13, 0.07, 0.19])  # Hz, one per joint (up to 6):
# a full figure takes about a minute
SWEEP_BOX = (_CENTER, _AMPLITUDE)  # the OM-X's: (center, amplitude) rad


def sweep_box(box=SWEEP_BOX) -> tuple[np.ndarray, np.ndarray]:
    """(lower, upper) joints (dof,) rad of the box the sweep fills."""
    center, amplitude = (np.asarray(v, float) for v in box)
    return center - amplitude, center + amplitude


def sweep_pose(t: float | np.ndarray, speed: float = 1.0, arm=None, box=SWEEP_BOX
               ) -> np.ndarray:
    """
    Target pose(s) (7,) or (N, 7) at time(s) ``t`` in seconds; ``speed`` scales time.

    ``arm``: None (ROBOTIS's humble OM-X) or an Arm; ``box``: (center, amplitude) (dof,) rad
    each, a box of joint space clear of the table and the arm's body (the OM-X's by default).

    Raises
    ------
    ValueError
        ``box`` has not one value per joint of ``arm``.

    """
    arm = arm_or_default(arm)
    center, amplitude = (np.asarray(v, float) for v in box)
    if center.shape != (arm.dof,) or amplitude.shape != (arm.dof,):
        raise ValueError(f'sweep box of {center.shape} joints for {arm.name} '
                         f'({arm.dof} joints): give one clear of its table and body')
    t = np.asarray(t, dtype=float)
    q = center + amplitude * np.sin(2 * np.pi * _FREQUENCY[:arm.dof] * (speed * t[..., None]))
    return chain_forward(arm, q)


def babble_joints(rng: np.random.Generator, margin: float = 0.05,
                  collision: CollisionModel | None = None, start=None, arm=None) -> np.ndarray:
    """
    Return a random joint configuration (dof,) of ``arm`` inside its limits, ``margin`` away.

    ``arm``: None (ROBOTIS's humble OM-X) or an Arm (its limits and home pose). A UR-layout
    arm's goals are in its home branch family: the drawn configuration's pose, answered in that
    family (:func:`~ik_net_ros.kinematics.ur_branches.family_configurations`), drawn again where
    the family has no answer ``margin`` inside the limits. Drawn again until it is clear of
    ``collision`` with BABBLE_ROOM m to spare and the straight joint-space path from ``start`` to
    it (the path the driver takes) is clear; if none is found, the way home (ROBOTIS's home pose),
    where that path is clear, else a goal drawn ever nearer ``start``.

    Raises
    ------
    RuntimeError
        No clear goal in 1,000 draws and no clear way home (a workspace box
        that leaves no room).

    """
    arm = arm_or_default(arm)
    roomy = None if collision is None else collision.inflated(BABBLE_ROOM)
    family = _family_arm(arm)
    lo, hi = arm.lower + margin, arm.upper - margin
    for _ in range(1000):
        goal = rng.uniform(lo, hi)
        if family is not None:
            # the drawn pose in the home family (the one its learned IK and correction know)
            choice = family_configurations(family, goal)
            if not (choice.found and np.all((choice.joints >= lo) & (choice.joints <= hi))):
                continue
            goal = choice.joints
        if collision is None:
            return goal
        if roomy.clear(goal) and (start is None or collision.check_path(start, goal)[0]):
            return goal
    home = np.array(arm.home)
    if start is not None and collision.check_path(start, home)[0]:
        return home
    if start is not None:
        # boxed in (thick capsules near the table or the body): goals ever nearer the start,
        # whose own room makes a short enough straight path clear
        start = np.asarray(start, dtype=float)
        for scale in (0.3, 0.1, 0.03, 0.01):
            for _ in range(100):
                goal = np.clip(start + rng.uniform(-scale, scale, arm.dof) * (hi - lo), lo, hi)
                if family is not None and not in_family(family, goal):
                    continue  # near the start, so no turn to take nearer home: only the branch
                if roomy.clear(goal) and collision.check_path(start, goal)[0]:
                    return goal
    raise RuntimeError('no clear babble goal in 1,000 draws: the collision model leaves no room')


def _family_arm(arm):
    """
    Return the upright arm whose home branch family babble goals keep to, or None.

    A UR-layout arm (the OMY) has eight solutions per pose; its learned IK and the learned
    correction on top are of one family, the home pose's
    (:func:`~ik_net_ros.kinematics.ur_branches.family_solution`), and a recorded row of another
    family teaches them nothing (uniform goals put 7 in 8 there). A planar arm's goals stay
    uniform in its limits.
    """
    upright = arm.upright()
    try:
        return upright if closed_form_kind(upright) == UR else None
    except NoClosedFormError:
        return None
