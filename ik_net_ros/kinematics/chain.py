"""
One chain: forward kinematics and the geometric Jacobian of any serial arm (numpy, vectorised).

The arm is an :class:`~ik_net_ros.arm.Arm` (layer 0). Joint k's frame is its parent's frame
moved by the joint's origin (``xyz`` + the calibration's origin delta, then ``rpy``), then
turned by its axis tilt, then by the joint's motion about (revolute) or along (prismatic) its
axis by ``q_k`` + the joint's offset; the tool frame is the last joint's frame moved by the tool
origin (+ the tool delta). With :class:`ChainErrors` of zero this is the URDF's own chain
(tests hold it equal to yourdfpy's FK); a calibration is "the arm plus its errors".

Axis tilt: two angles (rad) per joint, rotations about the two coordinate axes of the joint frame
other than the one nearest the joint axis, the lower-indexed first (a z axis tilts about x then
y; a y axis about x then z; an x axis about y then z), applied at the joint's origin before its
motion: the tilt moves the axis and everything after it, as a bent bracket does. This is the
OM-X's ``ArmGeometry.axis_tilts`` exactly (``chain_errors_of_geometry``).
"""

from __future__ import annotations

from dataclasses import dataclass
import functools
import math

from ik_net_ros.arm import Arm
from ik_net_ros.arm.model import rpy_matrix
from ik_net_ros.errors import InvalidJointsError
from ik_net_ros.kinematics.rigid import matrix_to_quat
from ik_net_ros.kinematics.validation import real_array
import numpy as np

__all__ = ['ChainErrors', 'chain_forward', 'chain_frames', 'chain_jacobian', 'compiled_chain',
           'tilt_axes', 'joint_rows']


@dataclass(frozen=True)
class ChainErrors:
    """
    A real arm's deviations from its description, one block per joint (hashable: tuples).

    Attributes
    ----------
    offsets
        (dof,) added to each commanded joint value to give the link's (rad; m if prismatic).
    origin_deltas
        (dof, 3) m added to each joint origin's xyz, in its parent's frame.
    tilts
        (dof, 2) rad: the joint axis's tilt (see the module's docstring).
    tool_delta
        (3,) m added to the tool origin's xyz, in the last joint's frame.

    """

    offsets: tuple[float, ...]
    origin_deltas: tuple[tuple[float, float, float], ...]
    tilts: tuple[tuple[float, float], ...]
    tool_delta: tuple[float, float, float] = (0.0, 0.0, 0.0)

    def __post_init__(self):
        dof = len(self.offsets)
        for name, shape in (('offsets', (dof,)), ('origin_deltas', (dof, 3)),
                            ('tilts', (dof, 2)), ('tool_delta', (3,))):
            arr = np.asarray(getattr(self, name), dtype=float)
            if arr.shape != shape or not np.all(np.isfinite(arr)):
                raise ValueError(f'ChainErrors.{name} must be finite numbers of shape {shape}, '
                                 f'got shape {arr.shape}')
            object.__setattr__(self, name, tuple(map(tuple, arr.tolist())) if arr.ndim == 2
                               else tuple(arr.tolist()))

    @classmethod
    def zeros(cls, dof: int) -> ChainErrors:
        """Return no errors for an arm of ``dof`` joints."""
        return cls((0.0,) * dof, ((0.0,) * 3,) * dof, ((0.0,) * 2,) * dof)

    def as_vector(self) -> np.ndarray:
        """Return the errors as one vector (6 dof + 3,): per joint offset, delta xyz, tilts."""
        per_joint = np.column_stack([self.offsets, self.origin_deltas, self.tilts])
        return np.concatenate([per_joint.ravel(), self.tool_delta])

    @classmethod
    def from_vector(cls, vector) -> ChainErrors:
        """Return the errors of :meth:`as_vector`'s layout."""
        vector = np.asarray(vector, dtype=float)
        dof, rest = divmod(len(vector) - 3, 6)
        if rest or dof < 1:
            raise ValueError(f'a ChainErrors vector has 6 dof + 3 values, got {len(vector)}')
        blocks = vector[:-3].reshape(dof, 6)
        return cls(blocks[:, 0], blocks[:, 1:4], blocks[:, 4:6], vector[-3:])


def _axis_rotation(axis, angle: float) -> np.ndarray:
    """Return the rotation (3, 3) by ``angle`` about a unit ``axis`` (Rodrigues)."""
    k = _skew(axis)
    return np.eye(3) + math.sin(angle) * k + (1.0 - math.cos(angle)) * (k @ k)


def _skew(v) -> np.ndarray:
    x, y, z = v
    return np.array([[0.0, -z, y], [z, 0.0, -x], [-y, x, 0.0]])


def tilt_axes(axis) -> tuple[int, int]:
    """Return the indices of the two coordinate axes a joint with unit ``axis`` tilts about."""
    nearest = int(np.argmax(np.abs(axis)))
    return tuple(i for i in range(3) if i != nearest)


@dataclass(frozen=True)
class _Joint:
    """A joint's constants: C (origin rotation x tilt), xyz, axis, K, K^2, offset, revolute."""

    rot: np.ndarray
    xyz: np.ndarray
    axis: np.ndarray
    k: np.ndarray
    k2: np.ndarray
    offset: float
    revolute: bool


@functools.lru_cache(maxsize=64)
def compiled_chain(arm: Arm, errors: ChainErrors | None = None):
    """Return the chain's constants: per joint :class:`_Joint`, the tool (rotation, xyz)."""
    errors = errors or ChainErrors.zeros(arm.dof)
    if len(errors.offsets) != arm.dof:
        raise ValueError(f'ChainErrors of {len(errors.offsets)} joints for an arm of {arm.dof}')
    joints = []
    for j, offset, delta, tilt in zip(arm.joints, errors.offsets, errors.origin_deltas,
                                      errors.tilts):
        axis = np.array(j.axis)
        first, second = tilt_axes(axis)
        rot = rpy_matrix(j.origin.rpy)
        if any(tilt):
            rot = rot @ _axis_rotation(np.eye(3)[first], tilt[0]) \
                @ _axis_rotation(np.eye(3)[second], tilt[1])
        k = _skew(axis)
        joints.append(_Joint(rot, np.add(j.origin.xyz, delta), axis, k, k @ k, offset,
                             j.type == 'revolute'))
    tool = (rpy_matrix(arm.tool.rpy), np.add(arm.tool.xyz, errors.tool_delta))
    return tuple(joints), tool


def joint_rows(arm: Arm, joints, name: str = 'joints') -> tuple[np.ndarray, bool]:
    """
    Return joints as float64 (N, dof) and whether one row was given.

    Raises
    ------
    InvalidJointsError
        Not real numbers, not (dof,) or (N, dof), NaN or inf.

    """
    arr = real_array(joints, name, InvalidJointsError)
    single = arr.ndim == 1
    arr = arr[None, :] if single else arr
    if arr.ndim != 2 or arr.shape[1] != arm.dof:
        raise InvalidJointsError(f'{name}: expected shape ({arm.dof},) or (N, {arm.dof}) '
                                 f'{list(arm.joint_names)}, got {np.shape(joints)}')
    if not np.all(np.isfinite(arr)):
        raise InvalidJointsError(f'{name}: contains NaN or inf')
    return arr, single


def _times(rot: np.ndarray, const: np.ndarray) -> np.ndarray:
    """Return rot (N, 3, 3) @ const (3, 3) or (3,) as one BLAS product."""
    n = len(rot)
    out = rot.reshape(n * 3, 3) @ const
    return out.reshape(n, 3, 3) if const.ndim == 2 else out.reshape(n, 3)


def _walk(arm: Arm, q: np.ndarray, errors: ChainErrors | None):
    """
    Return each joint's frame origin and axis (N, dof, 3) and child rotation, and the tool's.

    Rotations: (N, dof + 1, 3, 3) of the joints' child links then the tool; positions likewise.
    """
    joints, (tool_rot, tool_xyz) = compiled_chain(arm, errors)
    n = len(q)
    positions, rotations = np.empty((n, arm.dof + 1, 3)), np.empty((n, arm.dof + 1, 3, 3))
    axes = np.empty((n, arm.dof, 3))
    rot, pos = None, np.zeros((n, 3))
    for i, j in enumerate(joints):
        value = q[:, i] + j.offset if j.offset else q[:, i]
        if rot is None:  # the base frame is the identity: constants broadcast
            pos = np.broadcast_to(j.xyz, (n, 3))
            frame = np.broadcast_to(j.rot, (n, 3, 3))
            frame_k, frame_k2 = j.rot @ j.k, j.rot @ j.k2
            axes[:, i] = j.rot @ j.axis
        else:
            pos = pos + _times(rot, j.xyz)
            frame = _times(rot, j.rot)
            frame_k, frame_k2 = _times(frame, j.k), _times(frame, j.k2)
            axes[:, i] = _times(frame, j.axis)
        if j.revolute:
            s, c = np.sin(value)[:, None, None], (1.0 - np.cos(value))[:, None, None]
            rot = frame + s * frame_k + c * frame_k2
        else:
            rot = np.array(frame)
            pos = pos + axes[:, i] * value[:, None]
        positions[:, i], rotations[:, i] = pos, rot
    positions[:, -1] = pos + _times(rot, tool_xyz)
    rotations[:, -1] = _times(rot, tool_rot)
    return positions, rotations, axes


def chain_frames(arm: Arm, joints, errors: ChainErrors | None = None):
    """
    Return every link frame of joint values: positions (N, dof + 1, 3), rotations (N, dof+1, 3, 3).

    Entry k < dof is joint k's child link (its origin on the joint), entry dof the tool frame;
    metres and rotation matrices in the base frame. For the capsules of the collision model.

    Raises
    ------
    InvalidJointsError
        See :func:`joint_rows`.

    """
    q, _ = joint_rows(arm, joints)
    positions, rotations, _ = _walk(arm, q, errors)
    return positions, rotations


def chain_forward(arm: Arm, joints, errors: ChainErrors | None = None) -> np.ndarray:
    """
    Return tool poses (N, 7) [x y z qx qy qz qw] (or (7,) of one row), m, base frame, qw >= 0.

    Raises
    ------
    InvalidJointsError
        See :func:`joint_rows`.

    """
    q, single = joint_rows(arm, joints)
    positions, rotations, _ = _walk(arm, q, errors)
    pose = np.concatenate([positions[:, -1], matrix_to_quat(rotations[:, -1])], axis=1)
    return pose[0] if single else pose


def chain_jacobian(arm: Arm, joints, errors: ChainErrors | None = None) -> np.ndarray:
    """
    Return the geometric Jacobian (N, 6, dof) (or (6, dof)) of the tool in the base frame.

    Rows 0-2 the tool's linear velocity (m per rad, or per m), rows 3-5 its angular velocity,
    per unit joint velocity: a revolute joint's column is [axis x (tool - origin); axis], a
    prismatic joint's [axis; 0].

    Raises
    ------
    InvalidJointsError
        See :func:`joint_rows`.

    """
    q, single = joint_rows(arm, joints)
    positions, _, axes = _walk(arm, q, errors)
    jac = np.zeros((len(q), 6, arm.dof))
    revolute = np.array([j.type == 'revolute' for j in arm.joints])
    lever = positions[:, -1:, :] - positions[:, :-1, :]
    linear = np.where(revolute[None, :, None], np.cross(axes, lever), axes)
    jac[:, :3] = np.swapaxes(linear, 1, 2)
    jac[:, 3:] = np.swapaxes(axes * revolute[None, :, None], 1, 2)
    return jac[0] if single else jac
