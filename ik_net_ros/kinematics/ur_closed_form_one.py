"""
The single-pose twin of :mod:`.ur_closed_form` and :mod:`.ur_branches`, in plain Python floats.

For one pose numpy's per-call overhead dominates the vectorised closed form (hundreds of
numpy calls over arrays of eight); this does the same arithmetic, step for step, for what a
live IK node needs. The tests hold it equal to the vectorised functions on many random and
near-singular poses, so the two cannot drift apart (as ``projection_one_pose`` is held to the
OM-X's closed form).
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

__all__ = ['OneURSolutions', 'ur_inverse_one', 'nearest_solution_one']

_TURN = 2 * math.pi


@functools.lru_cache(maxsize=64)
def _numbers(arm: Arm) -> dict:
    """Return the layout's numbers as Python floats (cached per arm)."""
    lay = ur_layout(arm)

    def vec(v):
        return tuple(float(x) for x in v)
    return {
        'rotation': tuple(vec(row) for row in lay.rotation), 'origin': vec(lay.origin),
        'centre_in_tool': vec(lay.centre_in_tool), 'axis6_in_tool': vec(lay.axis6_in_tool),
        'tool_t': tuple(vec(row) for row in lay.tool_rotation.T),
        'axis5': vec(lay.axis5), 'axis6': vec(lay.axis6), 'beta': float(lay.beta),
        'd': lay.offset, 'shoulder': vec(lay.shoulder), 'hand': vec(lay.hand),
        'upper': (float(lay.upper_arm[0]), float(lay.upper_arm[2])),
        'fore': (float(lay.forearm[0]), float(lay.forearm[2])),
        'signs': vec(lay.signs), 'offsets': vec(lay.offsets),
        'a5_tool': vec(lay.tool_rotation.T @ lay.axis5),
    }


def _dot(a, b) -> float:
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]


def _cross(a, v) -> tuple:
    return (a[1] * v[2] - a[2] * v[1], a[2] * v[0] - a[0] * v[2], a[0] * v[1] - a[1] * v[0])


def _rotate(axis, c: float, s: float, v) -> tuple:
    k = _cross(axis, v)
    along = _dot(v, axis) * (1.0 - c)
    return tuple(v[i] * c + k[i] * s + axis[i] * along for i in range(3))


def _times(rows, v) -> tuple:
    return tuple(_dot(row, v) for row in rows)


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


def ur_inverse_one(arm: Arm, pose, free=None) -> OneURSolutions:
    """
    :func:`~.ur_closed_form.ur_inverse` of one pose [x y z qx qy qz qw], in plain floats.

    Raises
    ------
    NotURLayoutError, TypeError
        As :func:`~.ur_closed_form.ur_inverse`.
    InvalidPoseError, InvalidJointsError
        A bad pose or ``free``.

    """
    k = _numbers(arm)
    link_free = _free_links(arm, k, free)
    x, y, z, qx, qy, qz, qw = validate_pose(pose)
    target = ((1 - 2 * (qy * qy + qz * qz), 2 * (qx * qy - qz * qw), 2 * (qx * qz + qy * qw)),
              (2 * (qx * qy + qz * qw), 1 - 2 * (qx * qx + qz * qz), 2 * (qy * qz - qx * qw)),
              (2 * (qx * qz - qy * qw), 2 * (qy * qz + qx * qw), 1 - 2 * (qx * qx + qy * qy)))
    cols = k['rotation']  # rows of the layout rotation C; rot = C^T T
    ct = tuple(tuple(cols[j][i] for j in range(3)) for i in range(3))  # C^T
    rot = tuple(tuple(sum(ct[i][j] * target[j][m] for j in range(3)) for m in range(3))
                for i in range(3))
    o = k['origin']
    pos = _times(ct, (x - o[0], y - o[1], z - o[2]))
    cit = _times(rot, k['centre_in_tool'])
    centre = (pos[0] + cit[0], pos[1] + cit[1], pos[2] + cit[2])
    axis6 = _times(rot, k['axis6_in_tool'])
    tool = tuple(_times(rot, col) for col in zip(*k['tool_t']))  # R Rt^T by columns
    tool = tuple(tuple(tool[m][i] for m in range(3)) for i in range(3))  # rows
    d = k['d']
    r2 = centre[0] ** 2 + centre[1] ** 2
    r = math.sqrt(r2)
    reach1 = r >= abs(d) - REACH_TOLERANCE
    phi = math.atan2(centre[1], centre[0])
    a5, a6, beta, signs = k['axis5'], k['axis6'], k['beta'], k['signs']
    (ux, uz), (fx, fz) = k['upper'], k['fore']
    l2, l3 = math.hypot(ux, uz), math.hypot(fx, fz)
    sh, hand = k['shoulder'], k['hand']
    joints, reachable, singular = [None] * 8, [False] * 8, [0] * 8
    for si, ss in enumerate((1.0, -1.0)):
        rho = math.sqrt(max(r2 - d * d, 0.0)) * ss
        q1 = link_free[0] if r < FREE else phi - math.atan2(d, rho)
        c1, s1 = math.cos(q1), math.sin(q1)
        vx, vy, vz = c1 * axis6[0] + s1 * axis6[1], -s1 * axis6[0] + c1 * axis6[1], axis6[2]
        m = tuple(tool[1][i] * c1 - tool[0][i] * s1 for i in range(3))
        m_a6 = _dot(m, a6)
        m = tuple(m[i] - m_a6 * a6[i] for i in range(3))
        centre1 = (c1 * centre[0] + s1 * centre[1], -s1 * centre[0] + c1 * centre[1], centre[2])
        for wi, ws in enumerate((1.0, -1.0)):
            s5 = math.hypot(vx, vz) * ws
            q5 = math.atan2(s5, vy) - beta
            c5, sn5 = math.cos(q5), math.sin(q5)
            u = _rotate(a5, c5, -sn5, (0.0, 1.0, 0.0))
            u_a6 = _dot(u, a6)
            u = tuple(u[i] - u_a6 * a6[i] for i in range(3))
            q6 = math.atan2(-_dot(m, _cross(a6, u)), _dot(m, u))
            g = _rotate(a6, math.cos(q6), math.sin(q6), tool[2])
            g = _rotate(a5, c5, sn5, g)
            theta = math.atan2(-g[0], g[2])
            if abs(s5) < NEAR_SINGULAR:
                on_set = abs(s5) < FREE
                want = sum(v * sg for v, sg in zip(link_free[1:4], signs[1:4])) if on_set \
                    else theta
                moved = _into_reach(k, centre1[0], centre1[2], want)
                if on_set or abs(s5 * _wrap(moved - want)) <= ORIENTATION_SLACK:
                    theta = moved
                    q6 = _joint6_of(k, rot, c1, s1, c5, sn5, moved)
            c, s = math.cos(theta), math.sin(theta)
            hx, hz = c * hand[0] + s * hand[2], c * hand[2] - s * hand[0]
            wx, wz = centre1[0] - sh[0] - hx, centre1[2] - sh[2] - hz
            reach = math.hypot(wx, wz)
            ok = reach1 and (reach <= l2 + l3 + REACH_TOLERANCE) \
                and (reach >= abs(l2 - l3) - REACH_TOLERANCE)
            one_minus = (l2 + l3 - reach) * (l2 + l3 + reach)
            one_plus = (reach - abs(l2 - l3)) * (reach + abs(l2 - l3))
            for ei, es in enumerate((1.0, -1.0)):
                sin_gamma = math.sqrt(max(one_minus, 0.0) * max(one_plus, 0.0)) * es
                gamma = math.atan2(sin_gamma, reach ** 2 - l2 * l2 - l3 * l3)
                phi3 = gamma - math.atan2(fx, fz) + math.atan2(ux, uz)
                c3, s3 = math.cos(phi3), math.sin(phi3)
                reached = math.atan2(ux + s3 * fz + c3 * fx, uz + c3 * fz - s3 * fx)
                phi2 = link_free[1] * signs[1] if reach < FREE \
                    else math.atan2(wx, wz) - reached
                links = (q1, phi2 * signs[1], phi3 * signs[2],
                         (theta - phi2 - phi3) * signs[3], q5, q6)
                b = 4 * si + 2 * ei + wi
                joints[b] = [_wrap(v - off) for v, off in zip(links, k['offsets'])]
                reachable[b] = ok
                singular[b] = ((SHOULDER if abs(rho) < NEAR_SINGULAR else 0)
                               | (ELBOW if abs(sin_gamma) < NEAR_SINGULAR * 2 * l2 * l3 else 0)
                               | (WRIST if abs(s5) < NEAR_SINGULAR else 0))
    return OneURSolutions(joints, reachable, singular)


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


def nearest_solution_one(arm: Arm, pose, seed, accept=None):
    """
    :func:`~.ur_branches.nearest_solution` of one pose: (joints list or None, branch, singular).

    ``seed``: 6 joint values (rad); ``accept``: None or a function of one joint list returning
    False where the caller's other safety rules refuse it. None and branch -1 if no safe branch.

    Raises
    ------
    NotURLayoutError, TypeError, InvalidPoseError, InvalidJointsError
        As :func:`ur_inverse_one`.

    """
    solutions = ur_inverse_one(arm, pose, free=seed)
    seed = [float(v) for v in seed]
    revolute = [j.type == 'revolute' for j in arm.joints]
    best, best_branch, best_dist = None, -1, math.inf
    for b in range(8):
        if not solutions.reachable[b]:
            continue
        values = []
        for q, ref, (lower, upper), rev in zip(solutions.joints[b], seed, arm.limits, revolute):
            value = _representative(q, ref, lower, upper) if rev else q
            if value is None:
                break
            values.append(value)
        else:
            dist = math.sqrt(sum((v - s) ** 2 for v, s in zip(values, seed)))
            if dist < best_dist and (accept is None or accept(values)):
                best, best_branch, best_dist = values, b, dist
    return best, best_branch, (solutions.singular[best_branch] if best is not None else 0)
