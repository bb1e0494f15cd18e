"""
The OpenMANIPULATOR-X as numbers: the one source of truth for its geometry and joint limits.

Values from ROBOTIS's open_manipulator_x description (humble branch). All lengths in metres,
angles in radians. The base frame is ``world`` = ``link1``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
import math

from ik_net_ros.kinematics.legacy_geometry import (  # the one copy of the old file's names
    legacy_values,
    LINK_FIELDS,
    LINK_TOLERANCE,
    OFFSET_TOLERANCE,
    TILT_NAMES,
    TILT_TOLERANCE,
)
import numpy as np

__all__ = [
    'JOINT_NAMES',
    'JOINT_LOWER',
    'JOINT_UPPER',
    'VELOCITY_LIMIT',
    'HOME_POSE',
    'ArmGeometry',
    'DEFAULT_GEOMETRY',
    'JAZZY_GEOMETRY',
    'GEOMETRY_OF_DESCRIPTION',
    'ROBOTIS_DESCRIPTIONS',
    'geometry_for',
    'geometry_from_dict',
    'LINK_TOLERANCE',
    'OFFSET_TOLERANCE',
    'LINK_FIELDS',
    'TILT_NAMES',
    'TILT_TOLERANCE',
    'clamp_to_limits',
    'clamp_one',
    'within_limits',
    'within_limits_one',
    'sample_joints',
]

JOINT_NAMES: tuple[str, ...] = ('joint1', 'joint2', 'joint3', 'joint4')
JOINT_LOWER = np.array([-math.pi, -1.5, -1.5, -1.7])
JOINT_UPPER = np.array([math.pi, 1.5, 1.4, 1.97])
JOINT_LOWER.setflags(write=False)
JOINT_UPPER.setflags(write=False)
VELOCITY_LIMIT = 4.8  # rad/s, every joint
HOME_POSE = (0.0, -1.0, 0.7, 0.3)  # ROBOTIS's home pose, rad


@dataclass(frozen=True)
class ArmGeometry:
    """
    Joint origins of the arm (all rpy = 0; joint1 about z, joints 2-4 about y).

    Attributes
    ----------
    base_height
        Z of joint1 in the base frame, m. 0.017 is the physical value (ROBOTIS's
        humble description); ROBOTIS's jazzy description uses 0.0.
    joint1_x
        X of joint1 in the base frame, m.
    shoulder_height
        Z of joint2 above joint1, m.
    upper_arm_x
        X of joint3 in the joint2 frame, m.
    upper_arm_z
        Z of joint3 in the joint2 frame, m.
    forearm
        X of joint4 in the joint3 frame, m.
    tool
        X of the end effector in the joint4 frame, m.
    joint_offsets
        rad added to each commanded joint1..joint4 angle to give the link's
        angle: the servo horns' zero errors of one real arm (a calibration identifies them;
        zero for the nominal arm). Joint limits apply to the commanded angles.
    axis_tilts
        rad, two per joint: how far each joint's axis leans off the ideal one (a real
        bracket is not perfect). joint1's axis is turned about the base frame's x, then y
        axis (about joint1's origin); each of joints 2-4 about its frame's x, then z axis.
        Zero for the nominal arm: the arm is then planar and the closed form is exact;
        with tilts a solver refines the closed form's answer in this geometry
        (:class:`~ik_net_ros.solver.base.Solver`).

    """

    base_height: float = 0.017
    joint1_x: float = 0.012
    shoulder_height: float = 0.0595
    upper_arm_x: float = 0.024
    upper_arm_z: float = 0.128
    forearm: float = 0.124
    tool: float = 0.126
    joint_offsets: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)
    axis_tilts: tuple[float, ...] = (0.0,) * 8

    def __post_init__(self):
        for name in ('base_height', 'joint1_x', 'shoulder_height', 'upper_arm_x', 'upper_arm_z',
                     'forearm', 'tool'):  # plain floats: numpy scalars do not serialise
            object.__setattr__(self, name, float(getattr(self, name)))
        offsets = tuple(float(v) for v in self.joint_offsets)  # lists from YAML/JSON: hashable
        if len(offsets) != 4:
            raise ValueError(f'joint_offsets needs 4 angles, got {len(offsets)}')
        object.__setattr__(self, 'joint_offsets', offsets)
        tilts = tuple(float(v) for v in self.axis_tilts)
        if len(tilts) != len(TILT_NAMES):
            raise ValueError(f'axis_tilts needs {len(TILT_NAMES)} angles, got {len(tilts)}')
        object.__setattr__(self, 'axis_tilts', tilts)

    @property
    def has_offsets(self) -> bool:
        return any(self.joint_offsets)

    @property
    def has_tilts(self) -> bool:
        """Return whether any joint axis leans (the arm is then not planar)."""
        return any(self.axis_tilts)

    def planar(self) -> ArmGeometry:
        """Return this geometry with its joint axes ideal (what the closed form solves)."""
        return replace(self, axis_tilts=(0.0,) * len(TILT_NAMES)) if self.has_tilts else self

    @property
    def shoulder_z(self) -> float:
        """Z of joint2 in the base frame, m."""
        return self.base_height + self.shoulder_height

    @property
    def upper_arm(self) -> float:
        """Length joint2 -> joint3, m (joints 2-3 act as one link with an offset angle)."""
        return math.hypot(self.upper_arm_x, self.upper_arm_z)

    @property
    def upper_arm_offset(self) -> float:
        """Angle of the joint2 -> joint3 link from the joint2 z axis, rad."""
        return math.atan2(self.upper_arm_x, self.upper_arm_z)

    def as_dict(self) -> dict[str, float]:
        """
        Return a plain dict, as stored in checkpoints and dataset metadata (JSON-able).

        ``axis_tilts`` only where there are any: files of planar arms stay as they were.
        """
        out = asdict(self)
        out['joint_offsets'] = list(self.joint_offsets)
        if self.has_tilts:
            out['axis_tilts'] = list(self.axis_tilts)
        else:
            del out['axis_tilts']
        return out


DEFAULT_GEOMETRY = ArmGeometry()
JAZZY_GEOMETRY = ArmGeometry(base_height=0.0)
# ROBOTIS's releases of the arm's description (the same arm, joint1 17 mm lower in the jazzy
# one), and the geometry of each
GEOMETRY_OF_DESCRIPTION = {'humble': DEFAULT_GEOMETRY, 'jazzy': JAZZY_GEOMETRY}
ROBOTIS_DESCRIPTIONS = tuple(GEOMETRY_OF_DESCRIPTION)


def geometry_from_dict(data) -> ArmGeometry:
    """
    Return an :class:`ArmGeometry` from a file's mapping, checked to be an OM-X.

    The checks are :func:`ik_net_ros.kinematics.legacy_geometry.legacy_values`'s (the one reader).

    Raises
    ------
    ValueError
        Anything it refuses, naming the field and the bound.

    """
    return ArmGeometry(**legacy_values(data))


def geometry_for(description: str) -> ArmGeometry:
    """
    Return the geometry of ROBOTIS's ``description``.

    'humble': joint1 at z = 0.017 m, the physical value; 'jazzy': 0.0.

    Raises
    ------
    ValueError
        Unknown description.

    """
    try:
        return GEOMETRY_OF_DESCRIPTION[description]
    except (KeyError, TypeError):
        raise ValueError(f'description must be one of {ROBOTIS_DESCRIPTIONS}, got '
                         f'{description!r}') from None


def within_limits(joints: np.ndarray, tolerance: float = 0.0) -> np.ndarray:
    """Return True where every joint of a row of ``joints`` (..., 4) is inside the limits."""
    joints = np.asarray(joints)
    return np.all((joints >= JOINT_LOWER - tolerance) & (joints <= JOINT_UPPER + tolerance),
                  axis=-1)


_LIMITS = tuple(zip(JOINT_LOWER.tolist(), JOINT_UPPER.tolist()))


def within_limits_one(joints: list[float]) -> bool:
    """
    :func:`within_limits` of one joint vector given as 4 Python floats (NaN is outside).

    A tenth of the numpy call's cost, for the live node's last check of every command.
    """
    (l1, u1), (l2, u2), (l3, u3), (l4, u4) = _LIMITS
    j1, j2, j3, j4 = joints
    return l1 <= j1 <= u1 and l2 <= j2 <= u2 and l3 <= j3 <= u3 and l4 <= j4 <= u4


def clamp_one(joints: list[float]) -> list[float]:
    """
    :func:`clamp_to_limits` of one joint vector given as 4 Python floats (NaN stays NaN).

    The single-pose path's clamp, a third of the two numpy calls' cost.
    """
    (l1, u1), (l2, u2), (l3, u3), (l4, u4) = _LIMITS
    j1, j2, j3, j4 = joints
    return [l1 if j1 < l1 else u1 if j1 > u1 else j1, l2 if j2 < l2 else u2 if j2 > u2 else j2,
            l3 if j3 < l3 else u3 if j3 > u3 else j3, l4 if j4 < l4 else u4 if j4 > u4 else j4]


def clamp_to_limits(joints: np.ndarray) -> np.ndarray:
    """Joints (..., 4) clipped into the joint limits (a new array; NaN stays NaN)."""
    joints = np.asarray(joints)
    if joints.ndim != 2 or len(joints) < 256:
        return np.clip(joints, JOINT_LOWER, JOINT_UPPER)
    # many rows: joint by joint (over rows of 4, np.clip runs 4-element loops: 4x slower)
    # in float64 first: float32 joints against a Python float compare in float32, where the
    # limit -1.7 is -1.70000005 (outside the limit)
    out = np.array(joints, np.result_type(joints, JOINT_LOWER))
    for i, (lower, upper) in enumerate(_LIMITS):
        column = out[:, i]
        np.minimum(np.maximum(column, lower, out=column), upper, out=column)
    return out


def sample_joints(n: int, rng=None) -> np.ndarray:
    """
    Draw (n, 4) joints uniformly inside the joint limits (rad).

    ``rng``: a numpy Generator or a seed.
    """
    return np.random.default_rng(rng).uniform(JOINT_LOWER, JOINT_UPPER, size=(n, 4))
