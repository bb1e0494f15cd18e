"""
A real arm is not the nominal one.

Its servo horns sit a little off zero, its links differ by a millimetre, its brackets lean, and
its servos sag under gravity. :class:`TrueArm` is such an arm, of any description, for
simulations (the sim backend's hidden truth, the tracker, calibration tests and demos): the
:class:`~ik_net_ros.arm.Arm` with its true errors (:class:`~ik_net_ros.arm.ChainErrors`) plus
a gravity sag.

Sag: the gravity torque on the first pitch joints (joints whose axis is horizontal on the arm
as described: the OM-X's and the OMX-F's joints 2 and 3) grows with the horizontal reach of what
they carry, so each deflects by ``sag[j] * h_j / L_j`` rad (h_j: the horizontal distance from
joint j to the tool along the arm's plane, signed, before any sag; L_j: the length of the chain
from joint j to the tool, the most it can reach), tool pointing further down (positive pitch)
the further the arm reaches out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
import functools
import math

from ik_net_ros.arm import Arm, arm_or_default, ArmError, ChainErrors, load_arm
from ik_net_ros.bounded_files import check_number, load_yaml
from ik_net_ros.errors import DatasetError
from ik_net_ros.kinematics.chain import chain_forward, chain_frames, compiled_chain, joint_rows
from ik_net_ros.kinematics.legacy_geometry import legacy_arm
from ik_net_ros.kinematics.rotations import canonical_quat
from ik_net_ros.kinematics.tracker_setup import BASE_FRAME, TrackerSetup
import numpy as np
import yaml

__all__ = ['TrueArm', 'measure', 'MAX_SAG', 'error_coordinates']

MAX_SAG = 0.1  # rad: an XM430 arm sags a few tenths of a degree
_HORIZONTAL = 1e-9  # |axis . z| below this: a pitch joint (gravity turns it)


@dataclass(frozen=True)
class TrueArm:
    """
    A simulated imperfect arm: the arm with its true errors, and a gravity sag.

    arm: the arm and its true errors (offsets, origin deltas, axis tilts, tool delta); None:
    the OM-X. sag: rad of the first pitch
    joints at the longest horizontal reach. tracker: the true setup of the tracker watching it
    (a simulation's camera frame, marker and latency; the base frame by default).

    Raises
    ------
    ValueError
        More sag values than the arm has pitch joints.

    """

    arm: Arm | None = None
    sag: tuple[float, ...] = field(default=(0.0, 0.0))
    tracker: TrackerSetup = BASE_FRAME

    def __post_init__(self):
        object.__setattr__(self, 'arm', arm_or_default(self.arm))
        sag = tuple(float(v) for v in self.sag)
        if len(sag) > len(self.pitch_joints):
            raise ValueError(f'{len(sag)} sag values for {self.arm.name}, which has '
                             f'{len(self.pitch_joints)} pitch joints')
        object.__setattr__(self, 'sag', sag)

    @functools.cached_property
    def pitch_joints(self) -> tuple[int, ...]:
        """Return the indices of the joints with a horizontal axis as described (sag's)."""
        _, rotations = chain_frames(self.arm.nominal(), np.zeros(self.arm.dof))
        return tuple(k for k, j in enumerate(self.arm.joints) if j.type == 'revolute'
                     and abs(float((rotations[0, k] @ np.array(j.axis))[2])) < _HORIZONTAL)

    def link_angles(self, joints) -> np.ndarray:
        """Return the links' angles (N, dof) for commanded joints (N, dof): offsets, then sag."""
        q, _ = joint_rows(self.arm, joints)
        q = q + np.asarray(self.arm.errors.offsets)
        if any(self.sag):
            # the links as they stand before the sag (the arm without its offsets at q), axes
            # upright: the reach is a lever arm, a bracket's lean changes it by a hair
            upright = self.arm.upright()
            positions, rotations = chain_frames(upright.with_errors(_no_offsets(upright)), q)
            tool = positions[:, -1]
            bends = []
            for k, sag in zip(self.pitch_joints, self.sag):
                axis = rotations[:, k] @ np.array(self.arm.joints[k].axis)
                forward = np.cross(axis, [0.0, 0.0, 1.0])
                forward /= np.linalg.norm(forward, axis=1, keepdims=True)
                reach = np.einsum('ij,ij->i', tool - positions[:, k], forward)
                bends.append((k, sag * reach / _reach(self.arm, k)))
            for k, bend in bends:
                q[:, k] += bend
        return q

    def tool_poses(self, joints) -> np.ndarray:
        """Return the true tool poses (N, 7) or (7,) of commanded joints."""
        q, single = joint_rows(self.arm, joints)
        poses = chain_forward(self.arm.with_errors(_no_offsets(self.arm)), self.link_angles(q))
        return poses[0] if single else poses

    @classmethod
    def random(cls, seed: int = 0, offsets_deg: float = 1.5, links_mm: float = 1.5,
               sag_deg: float = 0.5, base: Arm | None = None,
               tilt_deg: float = 0.0) -> TrueArm:
        """
        Return an arm with errors drawn uniformly up to the given sizes.

        The demo's imperfect arm: 1.5 deg offsets, 1.5 mm links (each coordinate of
        :func:`error_coordinates`), 0.5 deg sag of two pitch joints; ``tilt_deg`` leans each
        joint axis (two tilts per joint, drawn as the other errors; 0: none, and the other
        errors are drawn as without it). ``base``: the arm (None: the OM-X), its link errors
        kept and the drawn ones added.
        """
        base = arm_or_default(base)
        rng = np.random.default_rng(seed)

        def draw(size, n=None):  # 60-100 % of the size, either sign: errors that matter
            return rng.choice([-1.0, 1.0], n) * rng.uniform(0.6 * size, size, n)
        deltas = np.array(base.errors.origin_deltas + (base.errors.tool_delta,))
        for row, col in error_coordinates(base):
            deltas[row, col] += 1e-3 * draw(links_mm)
        dof = base.dof
        offsets = np.radians(draw(offsets_deg, dof))
        sag = tuple(np.radians(rng.uniform(0.5 * sag_deg, sag_deg, 2)).tolist())
        tilts = np.radians(draw(tilt_deg, 2 * dof)).reshape(dof, 2) if tilt_deg \
            else np.zeros((dof, 2))
        errors = ChainErrors(offsets, deltas[:-1], tilts, deltas[-1])
        return cls(base.with_errors(errors), sag)

    def as_dict(self) -> dict:
        e = self.arm.errors
        return {'arm': self.arm.name, 'description': self.arm.description,
                'errors': {'offsets': list(e.offsets),
                           'origin_deltas': [list(d) for d in e.origin_deltas],
                           'tilts': [list(t) for t in e.tilts], 'tool_delta': list(e.tool_delta)},
                'sag': list(self.sag), 'tracker': self.tracker.as_dict()}

    @classmethod
    def from_dict(cls, data: dict) -> TrueArm:
        """
        Build a true arm from a mapping (an old file's OM-X ``geometry`` too).

        Raises
        ------
        ValueError
            Malformed: no such arm, errors of another shape or not finite, a sag out of range.

        """
        if not isinstance(data, dict) or not isinstance(data.get('geometry', {}), dict):
            raise ValueError('a true arm is a mapping with arm, errors and sag')
        if 'arm' in data:
            try:
                arm = load_arm(str(data['arm']), data.get('description') or None)
            except ArmError as e:
                raise ValueError(str(e)) from e
            errors = data.get('errors', {})
            if not isinstance(errors, dict):
                raise ValueError('errors must be a mapping')
            try:
                arm = arm.with_errors(ChainErrors(
                    errors.get('offsets', [0.0] * arm.dof),
                    errors.get('origin_deltas', [[0.0] * 3] * arm.dof),
                    errors.get('tilts', [[0.0] * 2] * arm.dof),
                    errors.get('tool_delta', [0.0] * 3)))
            except (TypeError, ValueError) as e:
                raise ValueError(f'errors: {e}') from e
        else:  # an OM-X file of before issue 33: its geometry
            arm = legacy_arm(data.get('geometry', {}))
        sag = data.get('sag', [0.0, 0.0])
        if not isinstance(sag, (list, tuple)) or len(sag) != 2:
            raise ValueError('sag must be a list of 2 angles')
        tracker = TrackerSetup.from_dict(data['tracker']) if 'tracker' in data else BASE_FRAME
        return cls(arm, tuple(check_number(v, f'sag[{i}]', -MAX_SAG, MAX_SAG)
                              for i, v in enumerate(sag)), tracker)

    def save(self, path) -> None:
        with open(path, 'w') as f:
            yaml.safe_dump(self.as_dict(), f, sort_keys=False)

    @classmethod
    def load(cls, path) -> TrueArm:
        """
        Load a true arm file.

        Raises
        ------
        DatasetError
            A missing, unreadable, oversized or malformed file (see
            :func:`ik_net_ros.bounded_files.load_yaml`) or values that are no true arm.

        """
        data = load_yaml(path, DatasetError, 'true arm')
        try:
            return cls.from_dict(data)
        except ValueError as e:
            raise DatasetError(f'{path}: not a true arm: {e}') from e


def error_coordinates(arm: Arm) -> tuple[tuple[int, int], ...]:
    """
    Return the (origin, coordinate) of the lengths a real arm gets wrong, in chain order.

    Every non-zero coordinate of each joint origin (origin k: joint k's; origin dof: the tool's)
    but the first joint's along its own axis (it only ever adds to the next origin's: the OM-X's
    base height and shoulder height act as a sum). The OM-X's: joint1_x, shoulder_height,
    upper_arm_x, upper_arm_z, forearm, tool (legacy_geometry.py's ``LINK_FIELDS``).
    """
    origins = [j.origin.xyz for j in arm.joints] + [arm.tool.xyz]
    along = int(np.argmax(np.abs(arm.joints[0].axis)))
    return tuple((k, c) for k, xyz in enumerate(origins) for c in range(3)
                 if xyz[c] != 0.0 and not (k == 0 and c == along))


def _no_offsets(arm: Arm) -> ChainErrors:
    """Return the arm's errors without joint offsets (the link angles carry them)."""
    e = arm.errors
    return ChainErrors((0.0,) * arm.dof, e.origin_deltas, e.tilts, e.tool_delta)


def _reach(arm: Arm, k: int) -> float:
    """Return the length (m) of the chain from joint k to the tool, the arm's errors included."""
    joints, (_, tool_xyz) = compiled_chain(arm)
    steps = [j.xyz for j in joints[k + 1:]] + [tool_xyz]
    return float(sum(np.linalg.norm(s) for s in steps))


def measure(poses: np.ndarray, rng: np.random.Generator, position_sigma: float = 3e-4,
            orientation_sigma: float = math.radians(0.2)) -> np.ndarray:
    """
    Return what a tracker reports for true poses (N, 7).

    Gaussian position noise (m, per axis) and a random small rotation (rad, per axis of its
    rotation vector); quaternions stay canonical.
    """
    poses = np.array(poses, dtype=float, ndmin=2)
    position_sigma, orientation_sigma = abs(position_sigma), abs(orientation_sigma)  # -0.0 too
    out = poses.copy()
    out[:, :3] += rng.normal(0.0, position_sigma, (len(poses), 3))
    rotvec = rng.normal(0.0, orientation_sigma, (len(poses), 3))
    angle = np.linalg.norm(rotvec, axis=1, keepdims=True)
    axis = np.divide(rotvec, angle, out=np.zeros_like(rotvec), where=angle > 0)
    dq = np.concatenate([axis * np.sin(angle / 2), np.cos(angle / 2)], axis=1)
    x1, y1, z1, w1 = dq.T
    x2, y2, z2, w2 = poses[:, 3:].T
    quat = np.stack([w1 * x2 + x1 * w2 + y1 * z2 - z1 * y2, w1 * y2 - x1 * z2 + y1 * w2 + z1 * x2,
                     w1 * z2 + x1 * y2 - y1 * x2 + z1 * w2, w1 * w2 - x1 * x2 - y1 * y2 - z1 * z2],
                    -1)
    out[:, 3:] = canonical_quat(quat / np.linalg.norm(quat, axis=1, keepdims=True))
    return out
