"""
The single-pose twin of :mod:`.projection` and the closed form, in plain Python floats.

For one pose numpy's per-call overhead dominates (about 300 us for the vectorised pipeline);
this does the same arithmetic in about 10 us, which is what a live IK node needs. The tests check
it against the vectorised functions on many random poses, so the two cannot drift apart (the
pose's validation has its twin beside its array version too:
:func:`~ik_net_ros.kinematics.validation.validate_pose`).

An arm with a wrist roll (the OMX-F) is projected by the plain-float twin of
:mod:`ik_net_ros.kinematics.roll_projection` (:mod:`.roll_projection_one`) and solved here; only
a wrist on joint1's axis goes through the vectorised projection and closed form with one row.
"""

from __future__ import annotations

import math
from operator import le

from ik_net_ros.arm import arm_or_default
from ik_net_ros.kinematics.planar_ik import (
    bounds_of,
    LIMIT_TOLERANCE,
    ORIENTATION_TOLERANCE,
    OUT_OF_REACH,
    OUTSIDE_LIMITS,
    planar_of,
    REACH_TOLERANCE,
    REACHABLE,
    STRICT_TOLERANCE,
)
from ik_net_ros.kinematics.projection import HYSTERESIS
from ik_net_ros.kinematics.roll_projection_one import nearest_quat_one
import numpy as np

__all__ = ['project_and_solve_one', 'preferred_side_one', 'OneSolution']

_PI, _TWO_PI = math.pi, 2 * math.pi
_ON_AXIS, _TIE = 1e-9, 1e-12  # as kinematics.projection


def _wrap(a: float) -> float:
    """:func:`ik_net_ros.kinematics.inverse._wrap` for one angle: (-pi, pi]."""
    return a - _TWO_PI * math.ceil(a / _TWO_PI - 0.5)


class OneSolution:
    """
    Closed-form solutions of one projected pose.

    ``joints``: the branches in the branch rule's order (tuples of dof floats, or None), ``valid``
    / ``strict`` flags per branch, ``reason`` code, ``dof``. Two branches (elbow up, down) on an
    arm without a wrist roll, four with one (:class:`~ik_net_ros.kinematics.inverse.IkSolutions`).
    """

    __slots__ = ('joints', 'valid', 'strict', 'reason', 'dof')

    def __init__(self, joints, valid, strict, reason, dof):
        self.joints, self.valid, self.strict, self.reason = joints, valid, strict, reason
        self.dof = dof

    @property
    def reachable(self) -> bool:
        """Return whether some branch is valid."""
        return any(self.valid)

    def pick(self):
        """Apply :func:`ik_net_ros.kinematics.inverse.pick_branch`'s rule: (dof,) or None."""
        for k, tight in enumerate(self.strict):
            if tight:
                return self.joints[k]
        for k, ok in enumerate(self.valid):
            if ok:
                return self.joints[k]
        return None


_CONSTANTS: dict[int, tuple] = {}  # id(arm) -> (arm, constants)


def _constants(arm) -> tuple:
    """
    Return the closed form's constants of ``arm`` (an Arm, None the OM-X), once per object.

    An lru_cache would hash the arm on every call: 0.3 us, a tenth of the projection.
    """
    entry = _CONSTANTS.get(id(arm))
    if entry is None:  # the entry holds arm, so no other object can take its id meanwhile
        if len(_CONSTANTS) > 64:
            _CONSTANTS.clear()
        the_arm = arm_or_default(arm)
        g, bounds = planar_of(the_arm), bounds_of(the_arm)
        limits = tuple(zip(bounds.lower, bounds.upper))
        entry = _CONSTANTS[id(arm)] = (arm, (
            g.joint1_x, g.tool, g.shoulder_z, g.upper_arm, g.forearm, g.upper_arm_offset,
            g.joint_offsets if g.has_offsets else None, limits, _bounds(limits, LIMIT_TOLERANCE),
            _bounds(limits, STRICT_TOLERANCE), bounds.turns, g.roll, the_arm, the_arm.dof))
    return entry[1]


def _bounds(limits, tolerance: float) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Return the lower and the upper limits widened by ``tolerance``, as the vectorised check."""
    return (tuple(lo - tolerance for lo, _ in limits), tuple(hi + tolerance for _, hi in limits))


def _inside(q, bounds) -> bool:
    """Return whether every joint of ``q`` is inside (NaN is not); map: C speed, no 4 unrolled."""
    lower, upper = bounds
    return all(map(le, lower, q)) and all(map(le, q, upper))


def _into_range(q: tuple, limits, turns) -> tuple:
    """:func:`~ik_net_ros.kinematics.planar_ik.into_range` for one joint vector."""
    q = list(q)
    for i in turns:
        v, (lo, hi) = q[i], limits[i]
        other = v - _TWO_PI if v > hi else v + _TWO_PI if v < lo else v
        if max(lo - other, other - hi, 0.0) < max(lo - v, v - hi, 0.0):
            q[i] = other
    return tuple(q)


def _elbows_one(rw: float, zw: float, l1: float, l2: float, theta0: float):
    """
    Return :func:`~ik_net_ros.kinematics.planar_ik.elbows` for one wrist point.

    ((q2, q3) elbow up, (q2, q3) elbow down), link angles wrapped to (-pi, pi], or None out of
    reach; the same float operations (the tests hold both to equality), _wrap written out.
    """
    cos_elbow = (rw * rw + zw * zw - l1 * l1 - l2 * l2) / (2 * l1 * l2)
    if abs(cos_elbow) > 1 + REACH_TOLERANCE:
        return None
    ce = min(max(cos_elbow, -1.0), 1.0)
    acos = math.acos(ce)
    base = math.atan2(zw, rw)
    beta = math.atan2(l2 * math.sqrt((1.0 - ce) * (1.0 + ce)), l1 + l2 * ce)
    pi, two_pi, ceil = _PI, _TWO_PI, math.ceil
    out = []
    for gamma, a1 in ((-acos, base + beta), (acos, base - beta)):  # elbow up first
        q2 = pi / 2 - theta0 - a1
        q2 = q2 - two_pi * ceil(q2 / two_pi - 0.5)
        q3 = -(a1 + gamma) - q2
        out.append((q2, q3 - two_pi * ceil(q3 / two_pi - 0.5)))
    return out


def _finish(q: tuple, constants) -> tuple[tuple, bool, bool]:
    """
    Return link angles ``q`` as commanded joints, and whether they are valid and strict.

    Offsets taken off, the turn inside the limits chosen, clamped when only valid (as
    :func:`~ik_net_ros.kinematics.inverse.solve_yaw_pitch` does).
    """
    offsets, limits, valid_bounds, strict_bounds, turns = constants
    if offsets is not None:  # link angles -> the angles the servos are commanded
        q = tuple(_wrap(v - o) for v, o in zip(q, offsets))
    if turns:
        q = _into_range(q, limits, turns)
    ok = _inside(q, valid_bounds)
    tight = ok and _inside(q, strict_bounds)
    if ok and not tight:
        q = tuple(min(hi, max(lo, v)) for v, (lo, hi) in zip(q, limits))
    return q, ok, tight


def _solve_yaw_pitch(dx, y, z, c1, s1, cp, sp, g, both: bool = True) -> OneSolution:
    """
    Return the closed form of :func:`ik_net_ros.kinematics.inverse.solve_yaw_pitch` for one pose.

    ``g``: an Arm without a wrist roll (None: the OM-X). Yaw and
    pitch are given by their cosines and sines; the same float operations in the same order
    (the tests hold both to equality).
    """
    constants = _constants(g)
    (_, tool, shoulder_z, l1, l2, theta0, offsets, limits, valid_bounds, strict_bounds,
     turns, _, _, dof) = constants
    r = dx * c1 + y * s1
    rw = r - tool * cp
    zw = z + tool * sp - shoulder_z
    pairs = _elbows_one(rw, zw, l1, l2, theta0)
    if pairs is None:
        return OneSolution([None, None], [False, False], [False, False], OUT_OF_REACH, dof)
    q1, phi = math.atan2(s1, c1), math.atan2(sp, cp)
    two_pi, ceil = _TWO_PI, math.ceil
    rule = constants[6:11]
    joints, valid, strict = [None, None], [False, False], [False, False]
    for k, (q2, q3) in enumerate(pairs):
        q4 = phi - q2 - q3
        joints[k], valid[k], strict[k] = _finish(
            (q1, q2, q3, q4 - two_pi * ceil(q4 / two_pi - 0.5)), rule)
        if strict[k] and not both and k == 0:
            break  # the branch rule takes elbow up whatever elbow down is
    reason = REACHABLE if (valid[0] or valid[1]) else OUTSIDE_LIMITS
    return OneSolution(joints, valid, strict, reason, dof)


def _roll_one(p: list[float], arm, projected: bool = False) -> tuple[list[float], OneSolution]:
    """
    Return the projection and closed form of one pose of an arm with a wrist roll.

    A pose the arm takes as it is (its tool x axis in its wrist's plane to 1e-15) is solved
    here in plain floats (:func:`~ik_net_ros.kinematics.roll_wrist.roll_solutions`'s float
    operations); any other is projected in plain floats
    (:func:`~ik_net_ros.kinematics.roll_projection_one.nearest_rotation_one`, the vectorised
    projection's twin) and then solved here (``projected``: to ORIENTATION_TOLERANCE, as
    ``roll_solutions``). A wrist on joint1's axis, before or after, takes the vectorised path.
    """
    (x1, tool, shoulder_z, l1, l2, theta0, *_), (tool_y, tool_z) = \
        _constants(arm), _offsets(arm)
    x, y, z, qx, qy, qz, qw = p
    r00, r10, r20 = 1 - 2 * (qy * qy + qz * qz), 2 * (qx * qy + qz * qw), 2 * (qx * qz - qy * qw)
    r01, r11, r21 = 2 * (qx * qy - qz * qw), 1 - 2 * (qx * qx + qz * qz), 2 * (qy * qz + qx * qw)
    r02, r12, r22 = 2 * (qx * qz + qy * qw), 2 * (qy * qz - qx * qw), 1 - 2 * (qx * qx + qy * qy)
    wx = x - r00 * tool - r01 * tool_y - r02 * tool_z
    wy = y - r10 * tool - r11 * tool_y - r12 * tool_z
    wz = z - r20 * tool - r21 * tool_y - r22 * tool_z
    dx, dy = wx - x1, wy
    rho = math.hypot(dx, dy)
    if rho < _ON_AXIS:
        return None if projected else _roll_many(p, arm)
    c1, s1 = dx / rho, dy / rho
    if abs(-s1 * r00 + c1 * r10) > (ORIENTATION_TOLERANCE if projected else 1e-15):
        if projected:
            return None
        nearest = nearest_quat_one(p, ((r00, r01, r02), (r10, r11, r12), (r20, r21, r22)),
                                   planar_of(arm))
        if nearest is None:  # an iteration did not settle: the vectorised path's answer
            return _roll_many(p, arm)
        found = _roll_one([x, y, z, *nearest[1]], arm, projected=True)
        return _roll_many(p, arm) if found is None else found
    m00, m11, m12 = c1 * r00 + s1 * r10, -s1 * r01 + c1 * r11, -s1 * r02 + c1 * r12
    rule = _constants(arm)[6:11]
    joints, valid, strict = [None] * 4, [False] * 4, [False] * 4
    zw = wz - shoulder_z
    reach = False
    for side, sign in ((0, 1.0), (1, -1.0)):  # front, over the top
        pairs = _elbows_one((dx * c1 + dy * s1) * sign, zw, l1, l2, theta0)
        if pairs is None:
            continue
        reach = True
        q1 = math.atan2(s1 * sign, c1 * sign)
        phi = math.atan2(-r20, m00 * sign)
        q5 = math.atan2(-m12 * sign, m11 * sign)
        for k, (q2, q3) in enumerate(pairs):
            q4 = _wrap(phi - q2 - q3)
            b = 2 * side + k
            joints[b], valid[b], strict[b] = _finish((q1, q2, q3, q4, q5), rule)
    reason = REACHABLE if any(valid) else OUTSIDE_LIMITS if reach else OUT_OF_REACH
    if not reach:
        joints = [None] * 4
    return list(p), OneSolution(joints, valid, strict, reason, len(rule[1]))


def _offsets(arm) -> tuple[float, float]:
    """Return the TCP's offsets (tool_y, tool_z) off the roll axis, m."""
    c = planar_of(_constants(arm)[12])
    return c.tool_y, c.tool_z


def _roll_many(p: list[float], arm) -> tuple[list[float], OneSolution]:
    """Return the projection and closed form of one pose through the vectorised path."""
    from ik_net_ros.kinematics.roll_projection import project_roll
    arm = _constants(arm)[12]
    poses, sol = project_roll(np.array([p], dtype=float), arm, planar_of(arm))
    joints = [None if np.isnan(row).any() else tuple(row.tolist()) for row in sol.joints[0]]
    return poses[0].tolist(), OneSolution(joints, sol.valid[0].tolist(), sol.strict[0].tolist(),
                                          int(sol.reason[0]), arm.dof)


def _half_angle(c: float, s: float) -> tuple[float, float]:
    """:func:`ik_net_ros.kinematics.projection._half_angle` for one angle."""
    return (abs(s), math.copysign(1.0 - c, s)) if c < 0.0 else (1.0 + c, s)


def project_and_solve_one(p: list[float], g=None,
                          both: bool = True) -> tuple[list[float], OneSolution]:
    """
    Apply the projection rule of :mod:`ik_net_ros.kinematics.projection` for one validated pose.

    And the closed-form solutions of the projected pose (:func:`ik_net_ros.kinematics.projection.
    project_and_solve`'s float operations). ``both=False`` skips the elbow-down branch when elbow
    up is strictly inside the limits (then reported as not valid): the branch rule's pick is the
    same, one solution cheaper. ``g``: a planar Arm (None: ROBOTIS's humble OM-X).
    """
    constants = _constants(g)
    if constants[11]:  # a wrist roll
        return _roll_one(p, constants[12])
    first = None
    for found in _yaw_sides_one(p, g, both):
        if isinstance(found, float):  # the match between the sides: not needed here
            continue
        if found[1].valid[0] or found[1].valid[1]:
            return found
        first = first or found
    return first


def preferred_side_one(p: list[float], g=None
                       ) -> tuple[list[float], OneSolution, bool] | None:
    """
    Return the preferred candidate's projected pose and both elbows, for the nearest-seed rule.

    :func:`~ik_net_ros.kinematics.projection.project_both` for one validated pose, its
    preferred side only, with whether that side's branches are all the rule weighs: an arm
    with a wrist roll has one projected pose (its four branches here); a planar arm's other
    side competes only within HYSTERESIS of the tie (then None: the vectorised rule weighs
    both sides) or when this side has no usable candidate (the caller's to see).
    """
    constants = _constants(g)
    if constants[11]:
        return (*_roll_one(p, constants[12]), True)
    sides = _yaw_sides_one(p, g, True)
    target, solution = next(sides)
    if abs(next(sides)) <= HYSTERESIS:  # the tie's band: either side may be taken
        return None
    return target, solution, True


def _yaw_sides_one(p: list[float], g, both: bool):
    """
    Yield (projected pose, solutions) of a planar arm's preferred yaw side, then of the other.

    Between the two, the requested tool y axis's match with the forward side (|.| <=
    HYSTERESIS: either side will do).
    """
    constants = _constants(g)
    x, y, z, qx, qy, qz, qw = p
    # requested tool x axis u (rotation column 0) and y axis v (column 1)
    ux, uy, uz = 1 - 2 * (qy * qy + qz * qz), 2 * (qx * qy + qz * qw), 2 * (qx * qz - qy * qw)
    vx, vy = 2 * (qx * qy - qz * qw), 1 - 2 * (qx * qx + qz * qz)
    dx = x - constants[0]
    rho2 = dx * dx + y * y
    if rho2 < _ON_AXIS * _ON_AXIS:  # on the joint1 axis: the requested y axis gives the yaw
        norm = math.sqrt(vx * vx + vy * vy)
        c, s = (1.0, 0.0) if norm == 0.0 else (vy / norm, -vx / norm)
        rho2 = 1.0
    else:
        c, s = dx, y
    rho = math.sqrt(rho2)
    c, s = c / rho, s / rho
    fwd_match = -s * vx + c * vy
    prefer_back = -fwd_match > fwd_match + _TIE  # the back candidate's match is -fwd_match
    ahead = ux * c + uy * s
    level, rise = math.sqrt(ux * ux + uy * uy), -uz
    for k, sign in enumerate((-1.0, 1.0) if prefer_back else (1.0, -1.0)):
        if k:
            yield fwd_match
        cy, sy = c * sign, s * sign + 0.0
        cp = level if ahead * sign >= -_TIE else -level
        candidate = _solve_yaw_pitch(dx, y, z, cy, sy, cp, rise, g, both)
        ca, sa = _half_angle(cy, sy)
        cb, sb = _half_angle(cp, rise)
        scale = 1.0 / math.sqrt((ca * ca + sa * sa) * (cb * cb + sb * sb))
        ca, sa = ca * scale, sa * scale
        rx, ry, rz, rw = -sa * sb, ca * sb, sa * cb, ca * cb
        if rw == 0.0 and (rx < 0.0 or (rx == 0.0 and (ry < 0.0 or (
                ry == 0.0 and rz < 0.0)))):  # canonical sign (rw >= 0 already)
            rx, ry, rz = -rx, -ry, -rz
        yield [x, y, z, rx, ry, rz, rw], candidate
