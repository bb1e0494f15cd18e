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
OM-X's old ``axis_tilts`` exactly (:mod:`~ik_net_ros.kinematics.legacy_geometry`).

``errors``: None (every function's default) moves the arm with its own errors
(:attr:`Arm.errors <ik_net_ros.arm.Arm>`, a calibration's); pass errors to move it with others.
"""

from __future__ import annotations

from dataclasses import dataclass
import functools
import math

from ik_net_ros.arm import Arm, ChainErrors
from ik_net_ros.arm.model import rpy_matrix
from ik_net_ros.kinematics.rigid import matrix_to_quat
from ik_net_ros.kinematics.validation import as_joint_array
import numpy as np

__all__ = ['ChainErrors', 'chain_forward', 'chain_forward_one', 'chain_frames', 'chain_jacobian',
           'chain_jacobian_one', 'chain_pose_jacobian_one', 'chain_tool', 'compiled_chain',
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
    return as_joint_array(joints, name, arm)


def _mul(a, b):
    """
    Return a * b of two entries (an entry: a float constant or an (N,) array), zeros skipped.

    A constant 0 gives 0, a constant 1 the other entry as it is: the products numpy would
    compute there are exactly those (up to the sign of a zero), at no cost.
    """
    if a.__class__ is float:
        if a == 0.0:
            return 0.0
        if a == 1.0:
            return b
    if b.__class__ is float:
        if b == 0.0:
            return 0.0
        if b == 1.0:
            return a
    return a * b


def _add(a, b):
    """Return a + b of two entries (see :func:`_mul`), a constant 0 skipped."""
    if a.__class__ is float and a == 0.0:
        return b
    if b.__class__ is float and b == 0.0:
        return a
    return a + b


def _sub(a, b):
    """Return a - b of two entries (see :func:`_mul`), a constant 0 skipped."""
    if b.__class__ is float and b == 0.0:
        return a
    if a.__class__ is float and a == 0.0:
        return -b
    return a - b


def _times(cols, const: np.ndarray):
    """
    Return the columns of R @ const (3, 3), or the vector R @ const (3,), R given by columns.

    A column is three entries (rows x, y, z), each a float constant or an (N,) array (see
    :func:`_mul`): a planar arm's rotations keep zeros and ones in rows a joint has not turned
    yet, skipped here, and each array is one long loop over the N rows (numpy's batched 3x3
    products run BLAS on a 3-wide inner dimension: 10x slower). Each entry sums its terms in
    the columns' order, so the figures are those of a dense product.
    """
    def combine(weights):
        out = [0.0, 0.0, 0.0]
        for col, w in zip(cols, weights):
            if w:
                w = float(w)
                out = [_add(o, _mul(e, w)) for o, e in zip(out, col)]
        return out
    if const.ndim == 1:
        return combine(const)
    return tuple(combine(const[:, k]) for k in range(3))


def _turn(frame, j: _Joint, value: np.ndarray):
    """Return the columns of frame @ Rot(axis, value) and the joint axis in the base frame."""
    c, s = np.cos(value), np.sin(value)
    if j.coordinate >= 0:  # a coordinate axis: one column stays, two turn
        k = j.coordinate
        a, b = (k + 1) % 3, (k + 2) % 3
        out = [None] * 3
        out[k] = frame[k]
        out[a] = [_add(_mul(c, u), _mul(s, v)) for u, v in zip(frame[a], frame[b])]
        out[b] = [_sub(_mul(c, v), _mul(s, u)) for u, v in zip(frame[a], frame[b])]
        return tuple(out), frame[k]
    # Rodrigues: F Rot = c F + s F K + (1 - c) (F a) a^T
    world_axis = _times(frame, j.axis)
    fk = _times(frame, j.k)
    rest = 1.0 - c
    return tuple([_add(_add(_mul(c, e), _mul(s, g)), _mul(_mul(rest, wa), float(w)))
                  for e, g, wa in zip(f, gk, world_axis)]
                 for f, gk, w in zip(frame, fk, j.axis)), world_axis


def _fill(out: np.ndarray, entries) -> None:
    """Write three entries (floats or (N,) arrays) into ``out`` (N, 3)."""
    for r, e in enumerate(entries):
        out[:, r] = e


def _matrices(cols, n: int) -> np.ndarray:
    """Return rotations (N, 3, 3) of columns of entries (a constant: no joint turned it)."""
    out = np.empty((n, 3, 3))
    for k, col in enumerate(cols):
        _fill(out[:, :, k], col)
    return out


def _walk(arm: Arm, q: np.ndarray, errors: ChainErrors | None, every_rotation: bool = False,
          links: bool = True):
    """
    Return link positions (N, dof + 1, 3), rotations, joint axes (N, dof, 3) in the base frame.

    Entry k < dof is joint k's child link (its origin on the joint), entry dof the tool. The
    rotations (N, dof + 1, 3, 3) of every link with ``every_rotation``, else the tool's (N, 3, 3).
    Without ``links`` only the tool's entries are filled (FK: the strided per-joint copies were
    a fifth of the 100,000-pose walk).
    """
    joints, (tool_rot, tool_xyz) = compiled_chain(arm, errors)
    n = len(q)
    positions, axes = np.empty((n, arm.dof + 1, 3)), np.empty((n, arm.dof, 3))
    rotations = np.empty((n, arm.dof + 1, 3, 3)) if every_rotation else None
    # the base frame's columns and origin as constant entries (see _times)
    cols = tuple([1.0 if r == k else 0.0 for r in range(3)] for k in range(3))
    pos = [0.0, 0.0, 0.0]
    for i, j in enumerate(joints):
        value = q[:, i] + j.offset if j.offset else q[:, i]
        pos = [_add(p, d) for p, d in zip(pos, _times(cols, j.xyz))]
        frame = cols if j.rot is None else _times(cols, j.rot)
        if j.revolute:
            cols, world_axis = _turn(frame, j, value)
        else:
            cols, world_axis = frame, _times(frame, j.axis)
            pos = [_add(p, _mul(w, value)) for p, w in zip(pos, world_axis)]
        if links:
            _fill(positions[:, i], pos)
            _fill(axes[:, i], world_axis)
        if every_rotation:
            rotations[:, i] = _matrices(cols, n)
    _fill(positions[:, -1], [_add(p, d) for p, d in zip(pos, _times(cols, tool_xyz))])
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

    One row goes the plain-float way (:func:`chain_forward_one`): a quarter of numpy's cost.

    Raises
    ------
    InvalidJointsError
        See :func:`joint_rows`.

    """
    q, single = joint_rows(arm, joints)
    if single:
        return np.array(chain_forward_one(arm, q[0].tolist(), errors))
    positions, tool, _ = _walk(arm, q, errors, links=False)
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
    if single:
        return chain_jacobian_one(arm, q[0].tolist(), errors)
    positions, _, axes = _walk(arm, q, errors)
    jac = np.zeros((len(q), 6, arm.dof))
    revolute = np.array([j.type == 'revolute' for j in arm.joints])
    lever = positions[:, -1:, :] - positions[:, :-1, :]
    linear = np.where(revolute[None, :, None], np.cross(axes, lever), axes)
    jac[:, :3] = np.swapaxes(linear, 1, 2)
    jac[:, 3:] = np.swapaxes(axes * revolute[None, :, None], 1, 2)
    return jac[0] if single else jac


def chain_tool(arm: Arm, joints, errors: ChainErrors | None = None):
    """
    Return the tool's positions (N, 3), rotations (N, 3, 3), joint axes and origins (N, dof, 3).

    Of joints (N, dof) (validated by the caller), m and rotation matrices in the base frame: one
    pass along the chain without the quaternion, for refinements that need the tool frame and
    each joint's axis and lever (a Jacobian).
    """
    positions, tool, axes = _walk(arm, np.asarray(joints, float), errors)
    return positions[:, -1], tool, axes, positions[:, :-1]


_FLOAT_CHAINS: dict[int, tuple] = {}  # id(compiled chain) -> (chain, its constants as floats)


def _float_chain(compiled) -> tuple:
    """
    Return a compiled chain's constants as Python floats, made once per compiled chain.

    Per joint (C as a row-major 9-tuple or None, xyz, coordinate axis or -1, axis, offset,
    revolute); the tool's (rotation 9-tuple, xyz).
    """
    entry = _FLOAT_CHAINS.get(id(compiled))
    if entry is None:  # the entry holds the chain, so no other object can take its id
        if len(_FLOAT_CHAINS) > 64:
            _FLOAT_CHAINS.clear()
        joints, (tool_rot, tool_xyz) = compiled
        consts = (tuple((None if j.rot is None else tuple(j.rot.ravel().tolist()),
                         tuple(j.xyz.tolist()), j.coordinate, tuple(j.axis.tolist()),
                         float(j.offset), j.revolute) for j in joints),
                  (tuple(tool_rot.ravel().tolist()), tuple(tool_xyz.tolist())))
        entry = _FLOAT_CHAINS[id(compiled)] = (compiled, consts)
    return entry[1]


def _times_one(cols, m):
    """Return the columns of R @ m, R given by its columns, m a row-major 9-tuple."""
    (a0, a1, a2), (b0, b1, b2), (c0, c1, c2) = cols
    return tuple((a0 * m[k] + b0 * m[3 + k] + c0 * m[6 + k],
                  a1 * m[k] + b1 * m[3 + k] + c1 * m[6 + k],
                  a2 * m[k] + b2 * m[3 + k] + c2 * m[6 + k]) for k in range(3))


def _apply(cols, v):
    """Return R @ v, R given by its columns (3-tuples), v three floats."""
    (a0, a1, a2), (b0, b1, b2), (c0, c1, c2) = cols
    x, y, z = v
    return a0 * x + b0 * y + c0 * z, a1 * x + b1 * y + c1 * z, a2 * x + b2 * y + c2 * z


def _walk_one(arm: Arm, q: list[float], errors: ChainErrors | None, trace: list | None = None):
    """
    Walk one joint vector in plain floats: return the tool's origin (3 floats) and columns.

    :func:`_walk`'s steps (origin, tilt, turn about a coordinate axis or by Rodrigues) in
    floats. With ``trace`` (a list), each joint's (origin, axis in the base frame) is appended.
    """
    joints, (tool_rot, tool_xyz) = _float_chain(compiled_chain(arm, errors))
    cols = [(1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0)]
    px = py = pz = 0.0
    cos, sin = math.cos, math.sin
    for (rot, xyz, coordinate, axis, offset, revolute), value in zip(joints, q):
        dx, dy, dz = _apply(cols, xyz)
        px, py, pz = px + dx, py + dy, pz + dz
        if rot is not None:
            cols = list(_times_one(cols, rot))
        if offset:
            value = value + offset
        if trace is not None:
            trace.append(((px, py, pz), cols[coordinate] if coordinate >= 0
                          else _apply(cols, axis)))
        if not revolute:
            ax, ay, az = _apply(cols, axis)
            px, py, pz = px + ax * value, py + ay * value, pz + az * value
            continue
        c, s = cos(value), sin(value)
        if coordinate >= 0:  # one column stays, two turn (as _turn)
            a, b = (coordinate + 1) % 3, (coordinate + 2) % 3
            (u0, u1, u2), (v0, v1, v2) = cols[a], cols[b]
            cols[a] = (c * u0 + s * v0, c * u1 + s * v1, c * u2 + s * v2)
            cols[b] = (c * v0 - s * u0, c * v1 - s * u1, c * v2 - s * u2)
        else:  # Rodrigues: Rot = I + s K + (1 - c) K^2
            x, y, z = axis
            t = 1.0 - c
            cols = list(_times_one(cols, (
                c + t * x * x, t * x * y - s * z, t * x * z + s * y,
                t * x * y + s * z, c + t * y * y, t * y * z - s * x,
                t * x * z - s * y, t * y * z + s * x, c + t * z * z)))
    dx, dy, dz = _apply(cols, tool_xyz)
    return (px + dx, py + dy, pz + dz), _times_one(cols, tool_rot)


def chain_forward_one(arm: Arm, q: list[float], errors: ChainErrors | None = None
                      ) -> list[float]:
    """
    Return the tool pose [x y z qx qy qz qw] (qw >= 0) of one joint vector of dof floats.

    :func:`chain_forward`'s chain in plain floats (:func:`_walk_one`; Shepperd's quaternion):
    for one pose numpy's per-call overhead is most of the cost. Tests hold the two equal to
    rounding. ``q`` is not validated (:func:`chain_forward` does).
    """
    position, ((a0, a1, a2), (b0, b1, b2), (c0, c1, c2)) = _walk_one(arm, q, errors)
    return [*position, *_quat_one(a0, b0, c0, a1, b1, c1, a2, b2, c2)]


def chain_jacobian_one(arm: Arm, q: list[float], errors: ChainErrors | None = None
                       ) -> np.ndarray:
    """
    Return :func:`chain_jacobian` (6, dof) of one joint vector of dof floats (not validated).

    Each joint's origin and axis from :func:`_walk_one`; the columns as the vectorised ones.
    """
    trace = []
    (tx, ty, tz), _ = _walk_one(arm, q, errors, trace)
    jac = np.zeros((6, arm.dof))
    for i, (((ox, oy, oz), (ax, ay, az)), joint) in enumerate(zip(trace, arm.joints)):
        if joint.type == 'revolute':
            lx, ly, lz = tx - ox, ty - oy, tz - oz
            jac[:, i] = (ay * lz - az * ly, az * lx - ax * lz, ax * ly - ay * lx, ax, ay, az)
        else:
            jac[:3, i] = (ax, ay, az)
    return jac


def chain_pose_jacobian_one(arm: Arm, q: list[float], errors: ChainErrors | None = None
                            ) -> tuple[list[float], list[list[float]]]:
    """
    Return the tool pose (7 floats) and the Jacobian (6 rows of dof floats) from one walk.

    :func:`chain_forward_one` and :func:`chain_jacobian_one` of one joint vector (not
    validated) in plain floats from the same :func:`_walk_one`: what a one-row refinement needs
    per step, at one walk's cost.
    """
    trace = []
    position, ((a0, a1, a2), (b0, b1, b2), (c0, c1, c2)) = _walk_one(arm, q, errors, trace)
    tx, ty, tz = position
    jac = [[0.0] * len(trace) for _ in range(6)]
    for i, (((ox, oy, oz), (ax, ay, az)), joint) in enumerate(zip(trace, arm.joints)):
        if joint.type == 'revolute':
            lx, ly, lz = tx - ox, ty - oy, tz - oz
            column = (ay * lz - az * ly, az * lx - ax * lz, ax * ly - ay * lx, ax, ay, az)
        else:
            column = (ax, ay, az, 0.0, 0.0, 0.0)
        for row, v in zip(jac, column):
            row[i] = v
    return [*position, *_quat_one(a0, b0, c0, a1, b1, c1, a2, b2, c2)], jac


def _quat_one(r00, r01, r02, r10, r11, r12, r20, r21, r22) -> tuple[float, float, float, float]:
    """Return the canonical unit quaternion of a rotation's entries (Shepperd, as rigid's)."""
    trace = r00 + r11 + r22
    best = max(r00, r11, r22, trace)
    if best != r00 and best != r11 and best != r22:  # np.argmax's first maximum: trace last
        w = 0.5 * math.sqrt(1.0 + trace)
        q = [(r21 - r12) / (4 * w), (r02 - r20) / (4 * w), (r10 - r01) / (4 * w), w]
    else:
        i = 0 if best == r00 else 1 if best == r11 else 2
        j, k = (i + 1) % 3, (i + 2) % 3
        m = ((r00, r01, r02), (r10, r11, r12), (r20, r21, r22))
        s = 0.5 * math.sqrt(max(1.0 + m[i][i] - m[j][j] - m[k][k], 0.0))
        q = [0.0] * 4
        q[i] = s
        q[j] = (m[j][i] + m[i][j]) / (4 * s)
        q[k] = (m[k][i] + m[i][k]) / (4 * s)
        q[3] = (m[k][j] - m[j][k]) / (4 * s)
    norm = math.sqrt(q[0] * q[0] + q[1] * q[1] + q[2] * q[2] + q[3] * q[3])
    x, y, z, w = q[0] / norm, q[1] / norm, q[2] / norm, q[3] / norm
    key = w if w != 0.0 else x if x != 0.0 else y if y != 0.0 else z
    return (-x, -y, -z, -w) if key < 0.0 else (x, y, z, w)
