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

``errors``: None (every function's default) moves the arm with its own errors
(:attr:`Arm.errors <ik_net_ros.arm.Arm>`, a calibration's); pass errors to move it with others.
"""

from __future__ import annotations

from dataclasses import dataclass
import functools
import math

from ik_net_ros.arm import Arm, ChainErrors
from ik_net_ros.arm.model import rpy_matrix
from ik_net_ros.errors import InvalidJointsError
from ik_net_ros.kinematics.rigid import matrix_to_quat
from ik_net_ros.kinematics.validation import real_array
import numpy as np

__all__ = ['ChainErrors', 'chain_forward', 'chain_frames', 'chain_jacobian', 'compiled_chain',
           'tilt_axes', 'joint_rows']


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
    """
    A joint's constants.

    C (origin rotation x tilt, None if the identity), xyz, axis, K and K^2 (its skew matrix and
    square), offset, revolute, and ``coordinate``: the index of the coordinate axis it is (+1
    direction), or -1.
    """

    rot: np.ndarray | None
    xyz: np.ndarray
    axis: np.ndarray
    k: np.ndarray
    k2: np.ndarray
    offset: float
    revolute: bool
    coordinate: int


@functools.lru_cache(maxsize=64)
def compiled_chain(arm: Arm, errors: ChainErrors | None = None):
    """Return the chain's constants: per joint :class:`_Joint`, the tool (rotation, xyz)."""
    errors = arm.errors if errors is None else errors
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
        coordinate = int(np.argmax(axis)) if np.count_nonzero(axis) == 1 and max(axis) == 1 \
            else -1
        joints.append(_Joint(None if np.array_equal(rot, np.eye(3)) else rot,
                             np.add(j.origin.xyz, delta), axis, k, k @ k, offset,
                             j.type == 'revolute', coordinate))
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


def _times(cols, const: np.ndarray):
    """
    Return the columns of R @ const (3, 3), or the vector R @ const (3,), R given by columns.

    Columns (N, 3) each (or (3,) constants): elementwise products, zeros skipped, are 10x faster
    than numpy's batched 3x3 products (BLAS on a 3-wide inner dimension).
    """
    def combine(weights):
        out = None
        for col, w in zip(cols, weights):
            if w:
                term = col * w if w != 1.0 else col
                out = term if out is None else out + term
        return np.zeros_like(cols[0]) if out is None else out
    if const.ndim == 1:
        return combine(const)
    return tuple(combine(const[:, k]) for k in range(3))


def _turn(frame, j: _Joint, value: np.ndarray):
    """Return the columns of frame @ Rot(axis, value) and the joint axis in the base frame."""
    c, s = np.cos(value)[:, None], np.sin(value)[:, None]
    if j.coordinate >= 0:  # a coordinate axis: one column stays, two turn
        k = j.coordinate
        a, b = (k + 1) % 3, (k + 2) % 3
        out = [None] * 3
        out[k] = frame[k]
        out[a] = c * frame[a] + s * frame[b]
        out[b] = c * frame[b] - s * frame[a]
        return tuple(out), frame[k]
    # Rodrigues: F Rot = c F + s F K + (1 - c) (F a) a^T
    world_axis = _times(frame, j.axis)
    fk = _times(frame, j.k)
    return tuple(c * f + s * g + (1.0 - c) * world_axis * w
                 for f, g, w in zip(frame, fk, j.axis)), world_axis


def _matrices(cols, n: int) -> np.ndarray:
    """Return rotations (N, 3, 3) of columns (N, 3) or (3,) (a column no joint has turned)."""
    return np.stack([np.broadcast_to(c, (n, 3)) for c in cols], axis=-1)


def _walk(arm: Arm, q: np.ndarray, errors: ChainErrors | None, every_rotation: bool = False):
    """
    Return link positions (N, dof + 1, 3), rotations, joint axes (N, dof, 3) in the base frame.

    Entry k < dof is joint k's child link (its origin on the joint), entry dof the tool. The
    rotations (N, dof + 1, 3, 3) of every link with ``every_rotation``, else the tool's (N, 3, 3).
    """
    joints, (tool_rot, tool_xyz) = compiled_chain(arm, errors)
    n = len(q)
    positions, axes = np.empty((n, arm.dof + 1, 3)), np.empty((n, arm.dof, 3))
    rotations = np.empty((n, arm.dof + 1, 3, 3)) if every_rotation else None
    cols, pos = tuple(np.eye(3)), np.zeros(3)  # the base frame; constants broadcast
    for i, j in enumerate(joints):
        value = q[:, i] + j.offset if j.offset else q[:, i]
        pos = pos + _times(cols, j.xyz)
        frame = cols if j.rot is None else _times(cols, j.rot)
        if j.revolute:
            cols, world_axis = _turn(frame, j, value)
        else:
            cols, world_axis = frame, _times(frame, j.axis)
            pos = pos + world_axis * value[:, None]
        positions[:, i], axes[:, i] = pos, world_axis
        if every_rotation:
            rotations[:, i] = _matrices(cols, n)
    positions[:, -1] = pos + _times(cols, tool_xyz)
    tool = _matrices(_times(cols, tool_rot), n)
    if every_rotation:
        rotations[:, -1] = tool
        return positions, rotations, axes
    return positions, tool, axes


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
    positions, rotations, _ = _walk(arm, q, errors, every_rotation=True)
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
    positions, tool, _ = _walk(arm, q, errors)
    pose = np.concatenate([positions[:, -1], matrix_to_quat(tool)], axis=1)
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
