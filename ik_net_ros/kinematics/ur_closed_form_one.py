"""
The single-pose twin of :mod:`.ur_closed_form` and :mod:`.ur_branches`, in plain Python floats.

For one pose numpy's per-call overhead dominates the vectorised closed form (hundreds of
numpy calls over arrays of eight); this does the same arithmetic, step for step, for what a
live IK node needs. The tests hold it equal to the vectorised functions on many random and
near-singular poses, so the two cannot drift apart (as ``projection_one_pose`` is held to the
OM-X's closed form).

A seeded pose (:func:`nearest_solution_one`) solves the seed's side first: two of the eight
branches, accepted where the other six are provably farther from the seed (their joint1 or
joint5 gap); else all eight are weighed (:func:`every_branch_one`, its reference).
"""

from __future__ import annotations

from dataclasses import dataclass
import functools
import math

from ik_net_ros.arm import Arm
from ik_net_ros.errors import InvalidJointsError
from ik_net_ros.kinematics.ur_branches import LIMIT_ROUNDING
from ik_net_ros.kinematics.ur_closed_form import (
    ELBOW,
    FREE,
    NEAR_SINGULAR,
    ORIENTATION_SLACK,
    REACH_TOLERANCE,
    SHOULDER,
    WRIST,
)
from ik_net_ros.kinematics.ur_layout import ur_layout
from ik_net_ros.kinematics.validation import validate_pose
import numpy as np

__all__ = ['OneURSolutions', 'ur_inverse_one', 'nearest_solution_one', 'every_branch_one']

_TURN = 2 * math.pi
# rad by which the seed's side must be nearer than any other branch can be (rounding of the
# gaps, ~1e-15, and of clamping a representative, LIMIT_ROUNDING)
BOUND_MARGIN = 1e-9
_INSIDE = 1e-9  # rad inside a limit: a representative there needs no clamp nor turn count


@functools.lru_cache(maxsize=64)
def _numbers(arm: Arm) -> dict:
    """Return the layout's numbers as Python floats (cached per arm)."""
    lay = ur_layout(arm)

    def vec(v):
        return tuple(float(x) for x in v)
    return {
        'rotation_t': tuple(vec(row) for row in lay.rotation.T), 'origin': vec(lay.origin),
        'centre_in_tool': vec(lay.centre_in_tool), 'axis6_in_tool': vec(lay.axis6_in_tool),
        'tool_t': tuple(vec(row) for row in lay.tool_rotation.T),
        'axis5': vec(lay.axis5), 'axis6': vec(lay.axis6), 'beta': float(lay.beta),
        'd': lay.offset, 'shoulder': vec(lay.shoulder), 'hand': vec(lay.hand),
        'upper': (float(lay.upper_arm[0]), float(lay.upper_arm[2])),
        'fore': (float(lay.forearm[0]), float(lay.forearm[2])),
        'lengths': (math.hypot(float(lay.upper_arm[0]), float(lay.upper_arm[2])),
                    math.hypot(float(lay.forearm[0]), float(lay.forearm[2]))),
        'signs': vec(lay.signs), 'offsets': vec(lay.offsets),
        'a5_tool': vec(lay.tool_rotation.T @ lay.axis5),
        # the layout's frame and the tool's rotation are the identity (the OMY's): products by
        # them are skipped (a third of _prepare)
        'upright': bool(np.array_equal(lay.rotation, np.eye(3))),
        'plain_tool': bool(np.array_equal(lay.tool_rotation, np.eye(3))),
    }


def _dot(a, b) -> float:
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]


def _cross(a, v) -> tuple:
    return (a[1] * v[2] - a[2] * v[1], a[2] * v[0] - a[0] * v[2], a[0] * v[1] - a[1] * v[0])


def _rotate(axis, c: float, s: float, v) -> tuple:
    k = _cross(axis, v)
    along = _dot(v, axis) * (1.0 - c)
    return (v[0] * c + k[0] * s + axis[0] * along, v[1] * c + k[1] * s + axis[1] * along,
            v[2] * c + k[2] * s + axis[2] * along)


def _times(rows, v) -> tuple:
    a, b, c = rows
    return (a[0] * v[0] + a[1] * v[1] + a[2] * v[2], b[0] * v[0] + b[1] * v[1] + b[2] * v[2],
            c[0] * v[0] + c[1] * v[1] + c[2] * v[2])


def _wrap(a: float) -> float:
    return a - _TURN * round(a / _TURN)


@dataclass
class OneURSolutions:
    """The eight solutions of one pose: lists as :class:`~.ur_closed_form.URSolutions`' rows."""

    joints: list  # 8 lists of 6 floats (rad)
    reachable: list  # 8 bools
    singular: list  # 8 ints (WRIST | ELBOW | SHOULDER)


def _into_reach(k, cx: float, cz: float, theta: float) -> float:
    """:func:`.ur_closed_form._into_reach` for one branch."""
    sh, hand = k['shoulder'], k['hand']
    (ux, uz), (fx, fz) = k['upper'], k['fore']
    l2, l3 = math.hypot(ux, uz), math.hypot(fx, fz)
    wz, wx = cz - sh[2], cx - sh[0]
    hz, hx = hand[2], hand[0]
    ws, hs = math.hypot(wz, wx), math.hypot(hz, hx)
    a = ws * ws + hs * hs
    b = 2 * ws * hs
    if not b > 0:
        return theta
    theta0 = math.atan2(wx, wz) - math.atan2(hx, hz)
    lo = math.acos(min(max((a - (l2 - l3) ** 2) / b, -1.0), 1.0))
    hi = math.acos(min(max((a - (l2 + l3) ** 2) / b, -1.0), 1.0))
    delta = _wrap(theta - theta0)
    sign = -1.0 if delta < 0 else 1.0
    return theta0 + sign * min(max(abs(delta), lo), max(lo, hi))


def _joint6_of(k, rot, c1, s1, c5, sn5, theta) -> float:
    """:func:`.ur_closed_form._joint6_of` for one branch."""
    v = _times(rot, k['a5_tool'])
    v = (c1 * v[0] + s1 * v[1], -s1 * v[0] + c1 * v[1], v[2])
    ct, st = math.cos(theta), math.sin(theta)
    v = (ct * v[0] - st * v[2], v[1], st * v[0] + ct * v[2])
    v = _rotate(k['axis5'], c5, -sn5, v)
    return math.atan2(_dot(_cross(k['axis5'], v), k['axis6']), _dot(v, k['axis5']))


def _free_links(arm: Arm, k, free) -> list:
    values = arm.home if free is None else free
    try:
        values = [float(v) for v in values]
    except (TypeError, ValueError) as e:
        raise InvalidJointsError(f'free: not 6 real numbers ({e})') from e
    if len(values) != 6 or not all(math.isfinite(v) for v in values):
        raise InvalidJointsError(f'free: expected 6 finite joint values, got {free!r}')
    return [v + o for v, o in zip(values, k['offsets'])]


def _prepare(arm: Arm, pose, free, checked: bool = False) -> tuple:
    """
    Return what every branch of one pose shares (the wrist centre, axes, tool rows...).

    ``checked``: ``pose`` is 7 floats :func:`validate_pose` passed already.
    """
    k = _numbers(arm)
    link_free = _free_links(arm, k, free)
    x, y, z, qx, qy, qz, qw = pose if checked else validate_pose(pose)
    target = ((1 - 2 * (qy * qy + qz * qz), 2 * (qx * qy - qz * qw), 2 * (qx * qz + qy * qw)),
              (2 * (qx * qy + qz * qw), 1 - 2 * (qx * qx + qz * qz), 2 * (qy * qz - qx * qw)),
              (2 * (qx * qz - qy * qw), 2 * (qy * qz + qx * qw), 1 - 2 * (qx * qx + qy * qy)))
    ct = k['rotation_t']  # C^T of the layout rotation C; rot = C^T T
    o = k['origin']
    pos = (x - o[0], y - o[1], z - o[2])
    if k['upright']:
        rot = target
    else:
        t0, t1, t2 = target
        rot = tuple((c[0] * t0[0] + c[1] * t1[0] + c[2] * t2[0],
                     c[0] * t0[1] + c[1] * t1[1] + c[2] * t2[1],
                     c[0] * t0[2] + c[1] * t1[2] + c[2] * t2[2]) for c in ct)
        pos = _times(ct, pos)
    cit = _times(rot, k['centre_in_tool'])
    centre = (pos[0] + cit[0], pos[1] + cit[1], pos[2] + cit[2])
    axis6 = _times(rot, k['axis6_in_tool'])
    if k['plain_tool']:
        tool = rot
    else:
        tool = tuple(_times(rot, col) for col in zip(*k['tool_t']))  # R Rt^T by columns
        tool = tuple(tuple(tool[m][i] for m in range(3)) for i in range(3))  # rows
    r2 = centre[0] ** 2 + centre[1] ** 2
    r = math.sqrt(r2)
    reach1 = r >= abs(k['d']) - REACH_TOLERANCE
    return k, link_free, rot, centre, axis6, tool, r2, r, reach1, math.atan2(centre[1], centre[0])


def _joint1(g: tuple, ss: float) -> tuple[float, float]:
    """Return (rho, link angle 1) of the shoulder of sign ``ss`` (+1: bit 0, -1: bit 1)."""
    k, link_free, r2, r, phi = g[0], g[1], g[6], g[7], g[9]
    d = k['d']
    rho = math.sqrt(max(r2 - d * d, 0.0)) * ss
    return rho, (link_free[0] if r < FREE else phi - math.atan2(d, rho))


def _shoulder(g: tuple, q1: float) -> tuple:
    """Return what a shoulder's branches share: cos, sin of ``q1``, axis6, m, the centre."""
    k, tool, axis6, centre = g[0], g[5], g[4], g[3]
    a6 = k['axis6']
    c1, s1 = math.cos(q1), math.sin(q1)
    vx, vy, vz = c1 * axis6[0] + s1 * axis6[1], -s1 * axis6[0] + c1 * axis6[1], axis6[2]
    t0, t1 = tool[0], tool[1]
    m = (t1[0] * c1 - t0[0] * s1, t1[1] * c1 - t0[1] * s1, t1[2] * c1 - t0[2] * s1)
    m_a6 = _dot(m, a6)
    m = (m[0] - m_a6 * a6[0], m[1] - m_a6 * a6[1], m[2] - m_a6 * a6[2])
    centre1 = (c1 * centre[0] + s1 * centre[1], -s1 * centre[0] + c1 * centre[1], centre[2])
    return c1, s1, vx, vy, vz, m, centre1


def _joint5(g: tuple, sh: tuple, ws: float) -> tuple[float, float]:
    """Return (sin, link angle 5) of the wrist of sign ``ws`` (+1: bit 0, -1: bit 1)."""
    s5 = math.hypot(sh[2], sh[4]) * ws
    return s5, math.atan2(s5, sh[3]) - g[0]['beta']


def _elbows(g: tuple, q1: float, rho: float, sh: tuple, s5: float, q5: float) -> tuple:
    """
    Return the two elbows' joints (lists of 6, rad, wrapped), reachable, singular bits.

    Of the branch whose joint1 is ``q1`` (shoulder ``rho``, :func:`_shoulder` ``sh``) and joint5
    ``q5`` (``s5``): the rest of :func:`ur_inverse_one`'s steps.
    """
    k, link_free, rot, tool, reach1 = g[0], g[1], g[2], g[5], g[8]
    a5, a6, signs = k['axis5'], k['axis6'], k['signs']
    (ux, uz), (fx, fz) = k['upper'], k['fore']
    l2, l3 = k['lengths']
    shoulder, hand = k['shoulder'], k['hand']
    c1, s1, m, centre1 = sh[0], sh[1], sh[5], sh[6]
    c5, sn5 = math.cos(q5), math.sin(q5)
    u = _rotate(a5, c5, -sn5, (0.0, 1.0, 0.0))
    u_a6 = _dot(u, a6)
    u = (u[0] - u_a6 * a6[0], u[1] - u_a6 * a6[1], u[2] - u_a6 * a6[2])
    q6 = math.atan2(-_dot(m, _cross(a6, u)), _dot(m, u))
    w = _rotate(a6, math.cos(q6), math.sin(q6), tool[2])
    w = _rotate(a5, c5, sn5, w)
    theta = math.atan2(-w[0], w[2])
    if abs(s5) < NEAR_SINGULAR:
        on_set = abs(s5) < FREE
        want = sum(v * sg for v, sg in zip(link_free[1:4], signs[1:4])) if on_set else theta
        moved = _into_reach(k, centre1[0], centre1[2], want)
        if on_set or abs(s5 * _wrap(moved - want)) <= ORIENTATION_SLACK:
            theta = moved
            q6 = _joint6_of(k, rot, c1, s1, c5, sn5, moved)
    c, s = math.cos(theta), math.sin(theta)
    hx, hz = c * hand[0] + s * hand[2], c * hand[2] - s * hand[0]
    wx, wz = centre1[0] - shoulder[0] - hx, centre1[2] - shoulder[2] - hz
    reach = math.hypot(wx, wz)
    ok = reach1 and (reach <= l2 + l3 + REACH_TOLERANCE) \
        and (reach >= abs(l2 - l3) - REACH_TOLERANCE)
    one_minus = (l2 + l3 - reach) * (l2 + l3 + reach)
    one_plus = (reach - abs(l2 - l3)) * (reach + abs(l2 - l3))
    bits = (SHOULDER if abs(rho) < NEAR_SINGULAR else 0) \
        | (WRIST if abs(s5) < NEAR_SINGULAR else 0)
    out = []
    for es in (1.0, -1.0):
        sin_gamma = math.sqrt(max(one_minus, 0.0) * max(one_plus, 0.0)) * es
        gamma = math.atan2(sin_gamma, reach ** 2 - l2 * l2 - l3 * l3)
        phi3 = gamma - math.atan2(fx, fz) + math.atan2(ux, uz)
        c3, s3 = math.cos(phi3), math.sin(phi3)
        reached = math.atan2(ux + s3 * fz + c3 * fx, uz + c3 * fz - s3 * fx)
        phi2 = link_free[1] * signs[1] if reach < FREE else math.atan2(wx, wz) - reached
        links = (q1, phi2 * signs[1], phi3 * signs[2], (theta - phi2 - phi3) * signs[3], q5, q6)
        # _wrap inline (twelve calls were a sixth of this function)
        out.append(([(v - off) - _TURN * round((v - off) / _TURN)
                     for v, off in zip(links, k['offsets'])],
                    bits | (ELBOW if abs(sin_gamma) < NEAR_SINGULAR * 2 * l2 * l3 else 0)))
    return out, ok


def ur_inverse_one(arm: Arm, pose, free=None, checked: bool = False) -> OneURSolutions:
    """
    :func:`~.ur_closed_form.ur_inverse` of one pose [x y z qx qy qz qw], in plain floats.

    ``checked``: ``pose`` is 7 floats :func:`validate_pose` passed already.

    Raises
    ------
    NotURLayoutError, TypeError
        As :func:`~.ur_closed_form.ur_inverse`.
    InvalidPoseError, InvalidJointsError
        A bad pose or ``free``.

    """
    g = _prepare(arm, pose, free, checked)
    joints, reachable, singular = [None] * 8, [False] * 8, [0] * 8
    for b, values, bits, ok in _branches(g):
        joints[b], reachable[b], singular[b] = values, ok, bits
    return OneURSolutions(joints, reachable, singular)


def _branches(g: tuple):
    """
    Yield (branch, joints, singular bits, reachable) of the eight branches of prepared ``g``.

    The one loop over shoulder, wrist and elbow signs (:func:`ur_inverse_one` and
    :func:`_every_branch` both take it); ``branch`` is ``4 shoulder + 2 elbow + wrist``, the
    arrays' index; joints: 6 floats (rad, wrapped).
    """
    for si, ss in enumerate((1.0, -1.0)):
        rho, q1 = _joint1(g, ss)
        sh = _shoulder(g, q1)
        for wi, ws in enumerate((1.0, -1.0)):
            s5, q5 = _joint5(g, sh, ws)
            pair, ok = _elbows(g, q1, rho, sh, s5, q5)
            for ei, (values, bits) in enumerate(pair):
                yield 4 * si + 2 * ei + wi, values, bits, ok


def _representative(q: float, ref: float, lower: float, upper: float):
    """Return q + 2 pi k inside [lower, upper] nearest ref (None if none), as the array rule."""
    tol = LIMIT_ROUNDING
    lowest = math.ceil((lower - tol - q) / _TURN)
    highest = math.floor((upper + tol - q) / _TURN)
    turns = min(max(round((ref - q) / _TURN), lowest), highest)
    out = q + turns * _TURN
    if not lower - tol <= out <= upper + tol:
        return None
    return min(max(out, lower), upper)


@functools.lru_cache(maxsize=64)
def _joint_ranges(arm: Arm) -> tuple:
    """Return (lower, upper, revolute) of each joint as Python values (cached per arm)."""
    return tuple((float(lo), float(hi), j.type == 'revolute')
                 for j, (lo, hi) in zip(arm.joints, arm.limits))


def _nearest_turns(joints: list, seed: list, ranges: tuple) -> list | None:
    """Return each joint's representative nearest ``seed`` inside the limits, or None."""
    values = []
    for q, ref, (lower, upper, revolute) in zip(joints, seed, ranges):
        if revolute:
            # the common case in a few operations: the turn nearest ref is well inside the
            # limits, where _representative's clamps leave it as it is
            value = q + _TURN * round((ref - q) / _TURN)
            if not lower + _INSIDE < value < upper - _INSIDE:
                value = _representative(q, ref, lower, upper)
                if value is None:
                    return None
        else:
            value = q
        values.append(value)
    return values


def _distance(values: list, seed: list) -> float:
    return math.dist(values, seed)  # Euclidean, rad (a tenth of the generator's cost)


def _seed_side(g: tuple, seed: list, ranges: tuple, accept):
    """
    Return :func:`nearest_solution_one`'s answer from the seed's side alone, or None.

    The shoulder whose joint1 is nearer the seed's (circularly), of it the wrist whose joint5
    is nearer, both elbows: the nearest one inside the limits that ``accept`` takes, where it
    is nearer the seed than any other branch can be. Every branch of the other shoulder differs
    from the seed in joint1 by at least that shoulder's circular gap (each joint's value is its
    closed-form angle + 2 pi k), every branch of the other wrist in joint5 by at least that
    wrist's gap, and a Euclidean distance is no less than one joint's: so where the answer's
    distance is under both gaps (by BOUND_MARGIN, for rounding) no other branch can be nearer,
    and the full rule (every branch weighed) picks the same branch, bit for bit (the same
    arithmetic). None where that is not shown (near a shoulder or wrist singular set the
    branches meet), where the side is out of reach, or no elbow of it is taken: the caller
    weighs every branch.
    """
    k = g[0]
    off = k['offsets']
    sides = [_joint1(g, 1.0), _joint1(g, -1.0)]
    gaps = [abs(_wrap(q1 - off[0] - seed[0])) for _, q1 in sides]
    si = 0 if gaps[0] <= gaps[1] else 1
    bound = gaps[1 - si]
    rho, q1 = sides[si]
    sh = _shoulder(g, q1)
    wrists = [_joint5(g, sh, 1.0), _joint5(g, sh, -1.0)]
    gaps = [abs(_wrap(q5 - off[4] - seed[4])) for _, q5 in wrists]
    wi = 0 if gaps[0] <= gaps[1] else 1
    bound = min(bound, gaps[1 - wi])
    s5, q5 = wrists[wi]
    pair, ok = _elbows(g, q1, rho, sh, s5, q5)
    if not ok:
        return None
    found = _first_accepted([(ei, joints, bits) for ei, (joints, bits) in enumerate(pair)],
                            seed, ranges, accept)
    if found is None or not found[0] + BOUND_MARGIN < bound:
        return None
    _, ei, values, bits = found
    return values, 4 * si + 2 * ei + wi, bits


def _first_accepted(candidates: list, seed: list, ranges: tuple, accept):
    """
    Return (distance, key, joints, bits) of the nearest candidate ``accept`` takes, or None.

    ``candidates``: (key, joints wrapped, singular bits); each joint is brought to its turn
    nearest ``seed`` inside the limits (a candidate with none is dropped). The nearest first, the
    lowest key of equals (the branch order of the arrays' argmin): ``accept`` (the collision
    check, the costly part) is asked of the nearest only, until one passes.
    """
    near = []
    for key, joints, bits in candidates:
        values = _nearest_turns(joints, seed, ranges)
        if values is not None:
            near.append((_distance(values, seed), key, values, bits))
    near.sort(key=lambda c: (c[0], c[1]))
    for candidate in near:
        if accept is None or accept(candidate[2]):
            return candidate
    return None


def nearest_solution_one(arm: Arm, pose, seed, accept=None, checked: bool = False):
    """
    :func:`~.ur_branches.nearest_solution` of one pose: (joints list or None, branch, singular).

    ``seed``: 6 joint values (rad); ``accept``: None or a function of one joint list returning
    False where the caller's other safety rules refuse it (a pure check: it may be asked of
    candidates in any order). None and branch -1 if no safe branch. ``checked``: ``pose`` is 7
    floats :func:`validate_pose` passed already.

    The seed's side is solved first (:func:`_seed_side`: two of the eight branches) and answers
    where no other branch can be nearer; else every branch is weighed (:func:`ur_inverse_one`),
    in branch order, the nearest taken (the first of equals).

    Raises
    ------
    NotURLayoutError, TypeError, InvalidPoseError, InvalidJointsError
        As :func:`ur_inverse_one`.

    """
    g = _prepare(arm, pose, seed, checked)
    seed = [float(v) for v in seed]  # _prepare checked them: 6 finite numbers
    ranges = _joint_ranges(arm)
    fast = _seed_side(g, seed, ranges, accept)
    return fast if fast is not None else _every_branch(g, seed, ranges, accept)


def every_branch_one(arm: Arm, pose, seed, accept=None, checked: bool = False):
    """
    Return :func:`nearest_solution_one`'s answer weighing all eight branches (its reference).

    Raises
    ------
    NotURLayoutError, TypeError, InvalidPoseError, InvalidJointsError
        As :func:`ur_inverse_one`.

    """
    g = _prepare(arm, pose, seed, checked)
    return _every_branch(g, [float(v) for v in seed], _joint_ranges(arm), accept)


def _every_branch(g: tuple, seed: list, ranges: tuple, accept):
    """Weigh all eight branches of prepared ``g`` (see :func:`every_branch_one`)."""
    candidates = [(b, joints, bits) for b, joints, bits, ok in _branches(g) if ok]
    found = _first_accepted(candidates, seed, ranges, accept)
    return (None, -1, 0) if found is None else (found[2], found[1], found[3])
