"""Single-pose twins of validation, projection and the closed form, in plain Python floats.

For one pose numpy's per-call overhead dominates (about 300 us for the vectorised pipeline);
these do the same arithmetic in about 10 us, which is what a live IK node needs. The tests check
them against the vectorised functions on many random poses, so the two cannot drift apart.
"""

from __future__ import annotations

import functools
import math
import numbers
import reprlib

import numpy as np

from ik_net_ros.errors import InvalidPoseError
from ik_net_ros.kinematics.geometry import DEFAULT_GEOMETRY, JOINT_LOWER, JOINT_UPPER, ArmGeometry
from ik_net_ros.kinematics.inverse import (
    LIMIT_TOLERANCE,
    OUT_OF_REACH,
    OUTSIDE_LIMITS,
    REACH_TOLERANCE,
    REACHABLE,
    STRICT_TOLERANCE,
)
from ik_net_ros.kinematics.validation import MAX_COORDINATE, MIN_QUAT_NORM

__all__ = ['validate_pose', 'project_and_solve_one', 'OneSolution']

_LOWER, _UPPER = tuple(JOINT_LOWER.tolist()), tuple(JOINT_UPPER.tolist())
_PI, _TWO_PI = math.pi, 2 * math.pi


def validate_pose(pose) -> list[float]:
    """[x, y, z, qx, qy, qz, qw] with a unit, canonical (qw >= 0) quaternion; the same rules
    as :func:`~ik_net_ros.kinematics.validation.as_pose_array`, in plain floats.

    Raises:
        InvalidPoseError: not 7 real numbers, NaN/inf, a coordinate beyond MAX_COORDINATE m,
            or a zero quaternion.
    """
    # a plain float ndarray (the node's case) converts in one call; anything else is checked
    # value by value: complex, strings, booleans and masked values are no pose
    if type(pose) is np.ndarray and pose.dtype.kind in 'fiu':
        values = pose.tolist()
        if pose.ndim != 1:
            raise InvalidPoseError(f'pose: expected 7 values, got shape {pose.shape}')
    else:
        values = [float(v) if type(v) is float else _real(v) for v in _sequence(pose)]
    if len(values) != 7:
        raise InvalidPoseError(f'pose: expected 7 values [x, y, z, qx, qy, qz, qw], got '
                               f'{len(values)}')
    if not all(math.isfinite(v) for v in values):
        raise InvalidPoseError('pose: 1 pose(s) contain NaN or inf, first at index 0')
    if max(abs(values[0]), abs(values[1]), abs(values[2])) > MAX_COORDINATE:
        raise InvalidPoseError(f'pose: 1 position(s) beyond {MAX_COORDINATE:g} m from the base '
                               '(not a target for this arm), first at index 0')
    qx, qy, qz, qw = values[3:]
    norm = math.sqrt(qx * qx + qy * qy + qz * qz + qw * qw)
    scale = 1.0
    if not 1e-150 < norm < 1e150:  # the squares over- or underflowed: scale by the largest
        scale = max(abs(qx), abs(qy), abs(qz), abs(qw))  # component (1e200 has a direction)
        if scale > 0.0:
            qx, qy, qz, qw = qx / scale, qy / scale, qz / scale, qw / scale
        norm = math.sqrt(qx * qx + qy * qy + qz * qz + qw * qw)
    if scale * norm < MIN_QUAT_NORM:
        raise InvalidPoseError(f'pose: 1 quaternion(s) of norm < {MIN_QUAT_NORM} (a zero '
                               'quaternion is no orientation), first at index 0')
    q = [qx / norm, qy / norm, qz / norm, qw / norm]
    return values[:3] + ([-v for v in q] if _sign_key(q) < 0 else q)


def _sequence(pose):
    if isinstance(pose, np.ma.MaskedArray):
        raise InvalidPoseError('pose: a masked array (fill or drop the masked values first)')
    if isinstance(pose, np.ndarray):
        if pose.ndim != 1:
            raise InvalidPoseError(f'pose: expected 7 values, got shape {pose.shape}')
        return pose.tolist()
    try:
        return list(pose)
    except TypeError as e:
        raise InvalidPoseError(f'pose: not 7 numbers ({e})') from e


def _real(value) -> float:
    """A real number as a float; InvalidPoseError for anything else (complex, str, bool...)."""
    if not isinstance(value, numbers.Real) or isinstance(value, (bool, np.bool_)):
        raise InvalidPoseError(f'pose: {reprlib.repr(value)} is not a real number')
    try:
        return float(value)
    except (OverflowError, TypeError, ValueError) as e:
        raise InvalidPoseError(f'pose: {reprlib.repr(value)} is not a real number that fits a '
                               f'float ({e})') from e


def _sign_key(q: list[float]) -> float:
    """The first non-zero of (w, x, y, z): canonical quaternions have it positive (an if
    chain: a generator costs more than the rest of the test at this size)."""
    if q[3] != 0.0:
        return q[3]
    if q[0] != 0.0:
        return q[0]
    return q[1] if q[1] != 0.0 else q[2]


def _wrap(a: float) -> float:
    return -((-a + _PI) % _TWO_PI - _PI)


class OneSolution:
    """Closed-form solutions of one projected pose: ``joints`` [up, down] (tuples or None),
    ``valid``/``strict`` flags per branch, ``reason`` code."""

    __slots__ = ('joints', 'valid', 'strict', 'reason')

    def __init__(self, joints, valid, strict, reason):
        self.joints, self.valid, self.strict, self.reason = joints, valid, strict, reason

    @property
    def reachable(self) -> bool:
        return self.valid[0] or self.valid[1]

    def pick(self):
        """The branch rule of :func:`ik_net_ros.kinematics.inverse.pick_branch`: (4,) or None."""
        v, s = self.valid, self.strict
        if not (v[0] or v[1]):
            return None
        up_first = s[0] or (v[0] and not s[1])
        return self.joints[0] if up_first else self.joints[1]


@functools.lru_cache(maxsize=8)
def _constants(g: ArmGeometry) -> tuple[float, ...]:
    return (g.joint1_x, g.tool, g.shoulder_z, g.upper_arm, g.forearm, g.upper_arm_offset,
            g.joint_offsets if g.has_offsets else None)


def _inside(q, tolerance: float) -> bool:
    lo, hi = _LOWER, _UPPER
    return (lo[0] - tolerance <= q[0] <= hi[0] + tolerance
            and lo[1] - tolerance <= q[1] <= hi[1] + tolerance
            and lo[2] - tolerance <= q[2] <= hi[2] + tolerance
            and lo[3] - tolerance <= q[3] <= hi[3] + tolerance)


def _solve_yaw_pitch(x, y, z, q1, phi, g: ArmGeometry, both: bool = True) -> OneSolution:
    x1, tool, shoulder_z, l1, l2, theta0, offsets = _constants(g)
    r = (x - x1) * math.cos(q1) + y * math.sin(q1)
    rw = r - tool * math.cos(phi)
    zw = z + tool * math.sin(phi) - shoulder_z
    cos_elbow = (rw * rw + zw * zw - l1 * l1 - l2 * l2) / (2 * l1 * l2)
    if abs(cos_elbow) > 1 + REACH_TOLERANCE:
        return OneSolution([None, None], [False, False], [False, False], OUT_OF_REACH)
    acos = math.acos(max(-1.0, min(1.0, cos_elbow)))
    base = math.atan2(zw, rw)
    joints, valid, strict = [None, None], [False, False], [False, False]
    for k, gamma in enumerate((-acos, acos)):
        a1 = base - math.atan2(l2 * math.sin(gamma), l1 + l2 * math.cos(gamma))
        q2 = _wrap(_PI / 2 - theta0 - a1)
        q3 = _wrap(-(a1 + gamma) - q2)
        q = (q1, q2, q3, _wrap(phi - q2 - q3))
        if offsets is not None:  # link angles -> the angles the servos are commanded
            q = tuple(_wrap(v - o) for v, o in zip(q, offsets))
        valid[k] = _inside(q, LIMIT_TOLERANCE)
        strict[k] = valid[k] and _inside(q, STRICT_TOLERANCE)
        joints[k] = tuple(min(hi, max(lo, v)) for v, lo, hi in zip(q, _LOWER, _UPPER)) \
            if valid[k] and not strict[k] else q
        if not both and strict[0]:
            break  # the branch rule takes elbow up whatever elbow down is
    reason = REACHABLE if (valid[0] or valid[1]) else OUTSIDE_LIMITS
    return OneSolution(joints, valid, strict, reason)


def _quat_from_yaw_pitch(yaw: float, pitch: float) -> list[float]:
    sa, ca = math.sin(0.5 * yaw), math.cos(0.5 * yaw)
    sb, cb = math.sin(0.5 * pitch), math.cos(0.5 * pitch)
    q = [-sa * sb, ca * sb, sa * cb, ca * cb]
    return [-v for v in q] if _sign_key(q) < 0 else q


def project_and_solve_one(p: list[float], g: ArmGeometry = DEFAULT_GEOMETRY,
                          both: bool = True) -> tuple[list[float], OneSolution]:
    """The projection rule of :mod:`ik_net_ros.kinematics.reach` for one validated pose, and the
    closed-form solutions of the projected pose. ``both=False`` skips the elbow-down branch
    when elbow up is strictly inside the limits (then reported as not valid): the branch
    rule's pick is the same, one solution cheaper."""
    x, y, z, qx, qy, qz, qw = p
    # requested tool x axis u (rotation column 0) and y axis v (column 1)
    ux, uy, uz = 1 - 2 * (qy * qy + qz * qz), 2 * (qx * qy + qz * qw), 2 * (qx * qz - qy * qw)
    vx, vy = 2 * (qx * qy - qz * qw), 1 - 2 * (qx * qx + qz * qz)
    dx = x - g.joint1_x
    psi = math.atan2(-vx, vy) if math.hypot(dx, y) < 1e-9 else math.atan2(y, dx)
    elevation = math.asin(max(-1.0, min(1.0, -uz)))
    back_yaw = psi - _PI if psi > 0 else psi + _PI
    # sin/cos of the back yaw are those of psi negated
    c, s = math.cos(psi), math.sin(psi)
    fwd_match = -s * vx + c * vy
    prefer_back = -fwd_match > fwd_match + 1e-12  # the back candidate's match is -fwd_match
    order = ((back_yaw, -c, -s), (psi, c, s)) if prefer_back else ((psi, c, s),
                                                                   (back_yaw, -c, -s))
    first_pose = sol = None
    for yaw, cy, sy in order:
        pitch = elevation if ux * cy + uy * sy >= 0.0 else _PI - elevation
        quat = _quat_from_yaw_pitch(yaw, pitch)
        # yaw and pitch as the vectorised closed form reads them back from the quaternion
        rx, ry, rz, rw = quat
        q1 = math.atan2(-2 * (rx * ry - rz * rw), 1 - 2 * (rx * rx + rz * rz))
        phi = math.atan2(-2 * (rx * rz - ry * rw), 1 - 2 * (rx * rx + ry * ry))
        candidate = _solve_yaw_pitch(x, y, z, q1, phi, g, both)
        if candidate.reachable:
            return p[:3] + quat, candidate
        if first_pose is None:
            first_pose, sol = p[:3] + quat, candidate
    return first_pose, sol


