"""
The arm as one object: its joints, tool frame, home pose, collision capsules and servos.

Lengths in metres, angles in radians, velocities in rad/s (m/s for a prismatic joint). Frames
are URDF link names; rotations are URDF roll-pitch-yaw (fixed axes x, then y, then z:
``R = Rz(yaw) Ry(pitch) Rx(roll)``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
import functools
import hashlib
import math

from ik_net_ros.arm.errors import ChainErrors
from ik_net_ros.arm.servo_models import ServoSettings
import numpy as np

__all__ = ['Origin', 'Joint', 'Capsule', 'Servo', 'SERVO_MODES', 'Gripper', 'Arm', 'rpy_matrix',
           'matrix_rpy']

JOINT_TYPES = ('revolute', 'prismatic')


def rpy_matrix(rpy) -> np.ndarray:
    """Return the rotation (3, 3) of URDF roll-pitch-yaw angles (rad): Rz(y) Ry(p) Rx(r)."""
    r, p, y = (float(v) for v in rpy)
    cr, sr, cp, sp, cy, sy = (math.cos(r), math.sin(r), math.cos(p), math.sin(p), math.cos(y),
                              math.sin(y))
    return np.array([[cy * cp, cy * sp * sr - sy * cr, cy * sp * cr + sy * sr],
                     [sy * cp, sy * sp * sr + cy * cr, sy * sp * cr - cy * sr],
                     [-sp, cp * sr, cp * cr]])


def matrix_rpy(rot) -> tuple[float, float, float]:
    """
    Return URDF roll-pitch-yaw (rad) of a rotation (3, 3) (pitch in [-pi/2, pi/2]).

    Yaw first, then pitch and roll from the rotation with that yaw undone: accurate to rounding
    at and near gimbal lock too (where the textbook atan2 of two tiny numbers is not).
    """
    r = np.asarray(rot, dtype=float)
    yaw = math.atan2(r[1, 0], r[0, 0])
    cy, sy = math.cos(yaw), math.sin(yaw)
    pitch = math.atan2(-r[2, 0], cy * r[0, 0] + sy * r[1, 0])
    roll = math.atan2(sy * r[0, 2] - cy * r[1, 2], cy * r[1, 1] - sy * r[0, 1])
    return roll, pitch, yaw


def _frozen(values) -> np.ndarray:
    out = np.array(values, dtype=float)
    out.setflags(write=False)
    return out


def _vector(values, length: int = 3) -> tuple[float, ...]:
    out = tuple(float(v) for v in values)
    if len(out) != length or not all(math.isfinite(v) for v in out):
        raise ValueError(f'expected {length} finite numbers, got {values!r}')
    return out


@dataclass(frozen=True)
class Origin:
    """A fixed transform: translation ``xyz`` (m) then rotation ``rpy`` (rad), from a parent."""

    xyz: tuple[float, float, float] = (0.0, 0.0, 0.0)
    rpy: tuple[float, float, float] = (0.0, 0.0, 0.0)

    def __post_init__(self):
        object.__setattr__(self, 'xyz', _vector(self.xyz))
        object.__setattr__(self, 'rpy', _vector(self.rpy))

    def matrix(self) -> np.ndarray:
        """Return the homogeneous transform (4, 4)."""
        out = np.eye(4)
        out[:3, :3] = rpy_matrix(self.rpy)
        out[:3, 3] = self.xyz
        return out

    @classmethod
    def from_matrix(cls, transform) -> Origin:
        """Return the origin of a homogeneous transform (4, 4)."""
        transform = np.asarray(transform, dtype=float)
        return cls(tuple(transform[:3, 3]), matrix_rpy(transform[:3, :3]))


@dataclass(frozen=True)
class Joint:
    """
    One actuated joint of the chain.

    Attributes
    ----------
    name
        The URDF joint name (``joint1``...).
    type
        'revolute' (q in rad) or 'prismatic' (q in m).
    axis
        Unit 3-vector in the joint frame.
    origin
        The joint frame from its parent joint's frame (the previous joint's child link, or the
        base frame for the first joint), fixed joints in between folded in.
    lower, upper
        The real limits (rad or m): the arm's YAML, not the URDF's +-2 pi.
    velocity
        Velocity limit, rad/s (m/s for a prismatic joint).
    child
        The URDF link this joint moves (its frame is the joint frame after the motion).

    """

    name: str
    type: str  # noqa: A003 (the URDF's word)
    axis: tuple[float, float, float]
    origin: Origin
    lower: float
    upper: float
    velocity: float
    child: str = ''

    def __post_init__(self):
        if self.type not in JOINT_TYPES:
            raise ValueError(f'joint {self.name}: type must be one of {JOINT_TYPES}, got '
                             f'{self.type!r}')
        axis = np.array(_vector(self.axis))
        norm = float(np.linalg.norm(axis))
        if not norm > 1e-9:
            raise ValueError(f'joint {self.name}: axis {tuple(axis)} has no direction')
        object.__setattr__(self, 'axis', tuple((axis / norm).tolist()))
        lower, upper, velocity = (float(v) for v in (self.lower, self.upper, self.velocity))
        if not (math.isfinite(lower) and math.isfinite(upper) and lower < upper):
            raise ValueError(f'joint {self.name}: limits must be finite with lower < upper, '
                             f'got {self.lower}, {self.upper}')
        if not (math.isfinite(velocity) and velocity > 0):
            raise ValueError(f'joint {self.name}: velocity limit must be > 0, got {velocity}')
        object.__setattr__(self, 'lower', lower)
        object.__setattr__(self, 'upper', upper)
        object.__setattr__(self, 'velocity', velocity)


@dataclass(frozen=True)
class Capsule:
    """
    A collision capsule fixed to one link: the segment ``a`` - ``b`` (m, link frame) + radius.

    ``table``: whether the capsule is checked against the table (False for the base, which
    stands on it).
    """

    name: str
    link: str
    a: tuple[float, float, float]
    b: tuple[float, float, float]
    radius: float
    table: bool = True

    def __post_init__(self):
        object.__setattr__(self, 'a', _vector(self.a))
        object.__setattr__(self, 'b', _vector(self.b))
        radius = float(self.radius)
        if not (math.isfinite(radius) and 0.0 <= radius <= 0.5):
            raise ValueError(f'capsule {self.name}: radius must be in [0, 0.5] m, got {radius}')
        object.__setattr__(self, 'radius', radius)


SERVO_MODES = ('position', 'extended')


@dataclass(frozen=True)
class Servo:
    """
    The servo that drives ``joint``: its bus ``id`` and ``model`` (e.g. 'XM430-W350-T').

    ``mode``: how the servo holds the joint, 'position' (Operating Mode 3: one turn, inside its
    Min/Max Position Limit) or 'extended' (Operating Mode 4: multi-turn, as ROBOTIS runs the
    OMX-F's joint1). ``settings``: what the driver writes to it (ROBOTIS's values for the arm;
    checked against the model's control table when the arm is loaded).
    """

    joint: str
    id: int  # noqa: A003 (the servo's ID, as ROBOTIS names it)
    model: str
    mode: str = 'position'
    settings: ServoSettings = ServoSettings()

    def __post_init__(self):
        if self.mode not in SERVO_MODES:
            raise ValueError(f'servo of {self.joint}: mode must be one of {SERVO_MODES}, got '
                             f'{self.mode!r}')


@dataclass(frozen=True)
class Gripper:
    """
    The gripper: its URDF ``joint``, servo ``id`` and ``model``, range (rad or m).

    ``horn``: the servo horn (rad) at two joint positions, ``((joint, rad), (joint, rad))``, a
    linear map (a rack, as the OM-X's fingers); None: the horn is the joint (rad). ``settings``:
    what the driver writes to its servo (run in current-based position mode), its Goal Current
    the grip.
    """

    joint: str
    id: int  # noqa: A003 (the servo's ID, as ROBOTIS names it)
    model: str
    lower: float
    upper: float
    horn: tuple[tuple[float, float], tuple[float, float]] | None = None
    settings: ServoSettings = ServoSettings(goal_current=200)

    def __post_init__(self):
        if self.horn is not None:
            (j0, h0), (j1, h1) = ((float(a), float(b)) for a, b in self.horn)
            if not all(math.isfinite(v) for v in (j0, h0, j1, h1)) or j0 == j1 or h0 == h1:
                raise ValueError(f'gripper {self.joint}: horn must be two distinct finite '
                                 f'(joint, rad) points, got {self.horn!r}')
            object.__setattr__(self, 'horn', ((j0, h0), (j1, h1)))


@dataclass(frozen=True)
class Arm:
    """
    A ROBOTIS arm: the serial chain from ``base_frame`` to ``tool_frame`` and what the URDF lacks.

    Attributes
    ----------
    name
        The arm's name ('open_manipulator_x', 'omx_f', ...).
    description
        Which of ROBOTIS's descriptions of it ('humble' or 'jazzy' for the OM-X; '' otherwise).
    base_frame
        The frame poses are given in (the URDF's root link).
    joints
        The actuated joints from the base to the tool, in order.
    tool_frame
        The link of the tool centre point.
    tool
        The tool frame from the last joint's child link.
    home
        The home pose, one value per joint (rad or m).
    capsules
        The collision model's links.
    pairs
        Names of capsule pairs checked against each other (neighbours are not).
    pair_allowances
        m by which each pair's capsules may overlap before it is a collision, in the order of
        ``pairs`` (empty: 0 for every pair). Nonzero only where the description says why: a
        pair whose coarse capsules overlap at ROBOTIS's home pose while its meshes are apart.
    table_z
        Height of the table the arm stands on, m in the base frame.
    servos
        The servo of each joint, in joint order.
    gripper
        The gripper, or None.
    errors
        The real arm's deviations from the description, one block per joint (a calibration:
        :meth:`with_errors`); zero for the arm as described. Every function of the package that
        takes an arm moves it with its errors: this one object is the arm.
    source
        The files it was read from (for messages; not part of the digest).

    """

    name: str
    description: str
    base_frame: str
    joints: tuple[Joint, ...]
    tool_frame: str
    tool: Origin
    home: tuple[float, ...]
    capsules: tuple[Capsule, ...] = ()
    pairs: tuple[tuple[str, str], ...] = ()
    pair_allowances: tuple[float, ...] = ()
    table_z: float = 0.0
    servos: tuple[Servo, ...] = ()
    gripper: Gripper | None = None
    errors: ChainErrors | None = None
    source: str = field(default='', compare=False)

    def __post_init__(self):
        if not self.pair_allowances:
            object.__setattr__(self, 'pair_allowances', (0.0,) * len(self.pairs))
        elif len(self.pair_allowances) != len(self.pairs):
            raise ValueError(f'{self.name}: {len(self.pair_allowances)} pair allowances for '
                             f'{len(self.pairs)} pairs')
        if self.errors is None:
            object.__setattr__(self, 'errors', ChainErrors.zeros(len(self.joints)))
        elif len(self.errors.offsets) != len(self.joints):
            raise ValueError(f'{self.name}: errors for {len(self.errors.offsets)} joints, the '
                             f'arm has {len(self.joints)}')

    def __hash__(self) -> int:
        """Return the hash of the compared fields, computed once (the chain's cache key)."""
        cached = self.__dict__.get('_hash')
        if cached is None:
            cached = hash((self.name, self.description, self.base_frame, self.joints,
                           self.tool_frame, self.tool, self.home, self.capsules, self.pairs,
                           self.pair_allowances,
                           self.table_z, self.servos, self.gripper, self.errors))
            object.__setattr__(self, '_hash', cached)
        return cached

    def with_errors(self, errors: ChainErrors | None) -> Arm:
        """
        Return this arm with a real arm's ``errors`` (None: the arm as described).

        Raises
        ------
        ValueError
            Errors of another number of joints.

        """
        errors = errors if errors is not None else ChainErrors.zeros(self.dof)
        return self if errors == self.errors else replace(self, errors=errors)

    def nominal(self) -> Arm:
        """Return the arm as described (its errors dropped)."""
        return self.with_errors(None)

    def upright(self) -> Arm:
        """Return this arm with its joint axes ideal (tilts dropped): what a closed form solves."""
        return self if not self.has_tilts else self.with_errors(self.errors.upright())

    @property
    def has_tilts(self) -> bool:
        """Return whether any joint axis leans off the description's."""
        return self.errors.has_tilts

    @property
    def is_nominal(self) -> bool:
        """Return whether the arm has no errors (moves as its description says)."""
        return self.errors.is_zero

    @property
    def dof(self) -> int:
        """Return the number of actuated joints."""
        return len(self.joints)

    @property
    def joint_names(self) -> tuple[str, ...]:
        """Return the joint names in chain order."""
        return tuple(j.name for j in self.joints)

    @functools.cached_property
    def lower(self) -> np.ndarray:
        """Return the lower joint limits (dof,), rad or m (read-only)."""
        return _frozen([j.lower for j in self.joints])

    @functools.cached_property
    def upper(self) -> np.ndarray:
        """Return the upper joint limits (dof,), rad or m (read-only)."""
        return _frozen([j.upper for j in self.joints])

    @functools.cached_property
    def limits(self) -> tuple[tuple[float, float], ...]:
        """Return (lower, upper) of each joint as Python floats (the one-pose paths' form)."""
        return tuple((j.lower, j.upper) for j in self.joints)

    @functools.cached_property
    def velocity(self) -> np.ndarray:
        """Return the velocity limits (dof,), rad/s or m/s (read-only)."""
        return _frozen([j.velocity for j in self.joints])

    def joint_index(self, name: str) -> int:
        """
        Return the index of joint ``name`` in the chain.

        Raises
        ------
        ValueError
            No such joint.

        """
        try:
            return self.joint_names.index(name)
        except ValueError:
            raise ValueError(f'{self.name} has no joint {name!r}; its joints are '
                             f'{list(self.joint_names)}') from None

    def kinematics_text(self) -> str:
        """
        Return the canonical text of the kinematics: base, joints, origins, axes, limits, tool.

        Floats as ``repr`` (shortest round-trip), one line per item: two arms with the same
        text move the same.
        """
        def nums(values):
            return ' '.join(repr(float(v) + 0.0) for v in values)  # + 0.0: no -0.0
        lines = [f'base {self.base_frame}']
        for j in self.joints:
            lines.append(f'joint {j.name} {j.type} axis {nums(j.axis)} xyz {nums(j.origin.xyz)} '
                         f'rpy {nums(j.origin.rpy)} limits {nums((j.lower, j.upper))} '
                         f'velocity {nums((j.velocity,))}')
        lines.append(f'tool {self.tool_frame} xyz {nums(self.tool.xyz)} '
                     f'rpy {nums(self.tool.rpy)}')
        return '\n'.join(lines) + '\n'

    @property
    def digest(self) -> str:
        """Return the sha256 (hex) of :meth:`kinematics_text`: what a model file records."""
        return hashlib.sha256(self.kinematics_text().encode()).hexdigest()
