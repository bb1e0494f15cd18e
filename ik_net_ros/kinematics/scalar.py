"""Single-pose twins of validation, projection and the closed form, in plain Python floats.

For one pose numpy's per-call overhead dominates (about 300 us for the vectorised pipeline);
these do the same arithmetic in about 10 us, which is what a live IK node needs. The tests check
them against the vectorised functions on many random poses, so the two cannot drift apart.
"""

from __future__ import annotations

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
    # a list of 7 floats (the node's case) or a plain float ndarray converts in one step;
    # anything else is checked value by value: complex, strings, booleans and masked values
    # are no pose
    values = pose
    if type(pose) is list and len(pose) == 7:
        x, y, z, qx, qy, qz, qw = pose
        if not (type(x) is float and type(y) is float and type(z) is float
                and type(qx) is float and type(qy) is float and type(qz) is float
                and type(qw) is float):
            values = [float(v) if type(v) is float else _real(v) for v in pose]
    elif type(pose) is np.ndarray and pose.dtype.kind in 'fiu':
        values = pose.tolist()
        if pose.ndim != 1:
            raise InvalidPoseError(f'pose: expected 7 values, got shape {pose.shape}')
    else:
        values = [float(v) if type(v) is float else _real(v) for v in _sequence(pose)]
    if len(values) != 7:
        raise InvalidPoseError(f'pose: expected 7 values [x, y, z, qx, qy, qz, qw], got '
                               f'{len(values)}')
    x, y, z, qx, qy, qz, qw = values
    # one test for the usual case: a finite sum has finite terms; an infinite one may only
    # have overflowed (1e308 + 1e308), so then each value is looked at
    if not math.isfinite(x + y + z + qx + qy + qz + qw) and not all(
            math.isfinite(v) for v in values):
        raise InvalidPoseError('pose: 1 pose(s) contain NaN or inf, first at index 0')
    if abs(x) > MAX_COORDINATE or abs(y) > MAX_COORDINATE or abs(z) > MAX_COORDINATE:
        raise InvalidPoseError(f'pose: 1 position(s) beyond {MAX_COORDINATE:g} m from the base '
                               '(not a target for this arm), first at index 0')
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
    qx, qy, qz, qw = qx / norm, qy / norm, qz / norm, qw / norm
    # canonical sign: the first non-zero of (w, x, y, z) positive (if chains: a generator
    # costs more than the test at this size)
    if qw < 0.0 or (qw == 0.0 and (qx < 0.0 or (qx == 0.0 and (
            qy < 0.0 or (qy == 0.0 and qz < 0.0))))):
        return [x, y, z, -qx, -qy, -qz, -qw]
    return [x, y, z, qx, qy, qz, qw]


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


_CONSTANTS: dict[int, tuple] = {}  # id(geometry) -> (geometry, constants)


def _constants(g: ArmGeometry) -> tuple[float, ...]:
    """The closed form's constants of ``g``, made once per geometry object (an lru_cache
    would hash the dataclass on every call: 0.3 us, a tenth of the projection)."""
    entry = _CONSTANTS.get(id(g))
    if entry is None:  # the entry holds g, so no other object can take its id meanwhile
        if len(_CONSTANTS) > 64:
            _CONSTANTS.clear()
        entry = _CONSTANTS[id(g)] = (g, (
            g.joint1_x, g.tool, g.shoulder_z, g.upper_arm, g.forearm, g.upper_arm_offset,
            g.joint_offsets if g.has_offsets else None))
    return entry[1]


def _bounds(tolerance: float) -> tuple[float, ...]:
    """lower1, upper1, ..., lower4, upper4 widened by ``tolerance`` (as the vectorised check
    computes them)."""
    return tuple(v for lo, hi in zip(_LOWER, _UPPER) for v in (lo - tolerance, hi + tolerance))


_VALID, _STRICT = _bounds(LIMIT_TOLERANCE), _bounds(STRICT_TOLERANCE)


def _inside(q, bounds: tuple[float, ...]) -> bool:
    a1, b1, a2, b2, a3, b3, a4, b4 = bounds
    return a1 <= q[0] <= b1 and a2 <= q[1] <= b2 and a3 <= q[2] <= b3 and a4 <= q[3] <= b4


def _solve_yaw_pitch(x, y, z, q1, phi, g: ArmGeometry, both: bool = True) -> OneSolution:
    """The closed form of :func:`ik_net_ros.kinematics.inverse.solve_yaw_pitch` for one pose,
    the same float operations in the same order (the tests hold both to equality); _wrap is
    written out: a call costs as much as its arithmetic here."""
    x1, tool, shoulder_z, l1, l2, theta0, offsets = _constants(g)
    r = (x - x1) * math.cos(q1) + y * math.sin(q1)
    rw = r - tool * math.cos(phi)
    zw = z + tool * math.sin(phi) - shoulder_z
    cos_elbow = (rw * rw + zw * zw - l1 * l1 - l2 * l2) / (2 * l1 * l2)
    if abs(cos_elbow) > 1 + REACH_TOLERANCE:
        return OneSolution([None, None], [False, False], [False, False], OUT_OF_REACH)
    acos = math.acos(max(-1.0, min(1.0, cos_elbow)))
    base = math.atan2(zw, rw)
    # atan2 and sin are odd, cos even (exactly): elbow down's angle is elbow up's negated
    beta = math.atan2(l2 * math.sin(acos), l1 + l2 * math.cos(acos))
    pi, two_pi = _PI, _TWO_PI
    joints, valid, strict = [None, None], [False, False], [False, False]
    for k, gamma, a1 in ((0, -acos, base + beta), (1, acos, base - beta)):  # elbow up first
        q2 = -((-(pi / 2 - theta0 - a1) + pi) % two_pi - pi)
        q3 = -((-(-(a1 + gamma) - q2) + pi) % two_pi - pi)
        q = (q1, q2, q3, -((-(phi - q2 - q3) + pi) % two_pi - pi))
        if offsets is not None:  # link angles -> the angles the servos are commanded
            q = tuple(_wrap(v - o) for v, o in zip(q, offsets))
        valid[k] = ok = _inside(q, _VALID)
        strict[k] = tight = ok and _inside(q, _STRICT)
        joints[k] = tuple(min(hi, max(lo, v)) for v, lo, hi in zip(q, _LOWER, _UPPER)) \
            if ok and not tight else q
        if tight and not both and k == 0:
            break  # the branch rule takes elbow up whatever elbow down is
    reason = REACHABLE if (valid[0] or valid[1]) else OUTSIDE_LIMITS
    return OneSolution(joints, valid, strict, reason)


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
    first = None
    for yaw, cy, sy in order:
        pitch = elevation if ux * cy + uy * sy >= 0.0 else _PI - elevation
        # quat_from_yaw_pitch written out (its canonical sign below: it does not change the
        # products the yaw and pitch are read back from)
        sa, ca = math.sin(0.5 * yaw), math.cos(0.5 * yaw)
        sb, cb = math.sin(0.5 * pitch), math.cos(0.5 * pitch)
        rx, ry, rz, rw = -sa * sb, ca * sb, sa * cb, ca * cb
        # yaw and pitch as the vectorised closed form reads them back from the quaternion
        q1 = math.atan2(-2 * (rx * ry - rz * rw), 1 - 2 * (rx * rx + rz * rz))
        phi = math.atan2(-2 * (rx * rz - ry * rw), 1 - 2 * (rx * rx + ry * ry))
        candidate = _solve_yaw_pitch(x, y, z, q1, phi, g, both)
        if first is None or candidate.valid[0] or candidate.valid[1]:
            if rw < 0.0 or (rw == 0.0 and (rx < 0.0 or (rx == 0.0 and (
                    ry < 0.0 or (ry == 0.0 and rz < 0.0))))):
                rx, ry, rz, rw = -rx, -ry, -rz, -rw
            found = [x, y, z, rx, ry, rz, rw], candidate
            if candidate.valid[0] or candidate.valid[1]:
                return found
            first = found
    return first


