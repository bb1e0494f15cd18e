"""
The tilt stage: a planar answer made the answer of the arm whose joint axes lean.

The planar closed form applied to the target corrected by what the lean moves the tool at the
current answer: q' = IK_planar(T + FK_planar(q) - FK_leaning(q)), from the planar answer (whose
planar tool, position and pitch, is T). The lean moves the tool by millimetres and that changes
by a tilt's fraction of a joint's move, so each correction shrinks the miss about a hundredfold
for tilts of tenths of a degree: three or four reach TILT_TOLERANCE. Rows that do not (near the
wrist's singularity or a joint limit, or a corrected target out of the planar arm's reach) go
on by damped Gauss-Newton (:func:`~ik_net_ros.solver.refine.gauss_newton_for_tilts`). One pose
runs in plain floats (:func:`_refine_one`, the same steps), a batch vectorised.

These corrections are for the OM-X's shape (a planar chain without a wrist roll: its numbers,
:func:`~ik_net_ros.kinematics.planar.planar_chain` of the upright arm, and its tilts); any other
arm is refined on the one chain by damped Gauss-Newton alone
(:func:`~ik_net_ros.solver.leaning_chain.refine_on_chain`): what the arm's answer fixes (the
tool position, and of its orientation all but the yaw a planar arm cannot choose) matched to
TILT_TOLERANCE, with the same acceptance rule.
"""

from __future__ import annotations

import math
from typing import NamedTuple

from ik_net_ros.arm import Arm, arm_or_default
from ik_net_ros.kinematics.forward import lean_rotations, leaning_reach, planar_forward
from ik_net_ros.kinematics.inverse import solve_yaw_pitch
from ik_net_ros.kinematics.planar import is_planar, planar_chain, PlanarChain
from ik_net_ros.kinematics.projection_one_pose import _solve_yaw_pitch
from ik_net_ros.solver.leaning_chain import refine_on_chain
from ik_net_ros.solver.refine import (
    gauss_newton_for_tilts,
    TILT_DAMPING,
    TILT_STEP,
    TILT_TOLERANCE,
)
import numpy as np

__all__ = ['refine_for_tilts', 'has_corrections', 'correction_misses', 'reach_miss_one',
           'MAX_CORRECTIONS']

# steps (corrections, then Newton's) before Gauss-Newton takes over: 1 deg tilts converge in 4
MAX_CORRECTIONS = 6
# m: a miss under this is stepped by Newton on the leaning chain's own Jacobian (quadratic:
# 1e-4 m -> 1e-8 -> 1e-15) instead of by the closed form's correction (each shrinks the miss by
# a tilt's fraction, ~20x at 1 deg: six for 1 deg tilts); above it by the correction (the closed
# form is exact far from the answer, where a linear step is not). 1 deg tilts: one correction,
# two Newton steps
NEWTON_FROM = 1e-3
_PI, _TWO_PI = math.pi, 2 * math.pi


def has_corrections(arm: Arm) -> bool:
    """
    Return whether the planar closed form's corrections refine ``arm``'s answers.

    A planar pitch chain under a base yaw without a wrist roll (the OM-X's shape): its answer
    fixes the tool's position and pitch, which these corrections match. Any other arm: the one
    chain (:func:`~ik_net_ros.solver.leaning_chain.refine_on_chain`).
    """
    entry = _CORRECTS.get(id(arm))
    if entry is None:  # the entry holds arm, so no other object can take its id meanwhile
        if len(_CORRECTS) > 16:
            _CORRECTS.clear()
        # once per arm object: the upright arm's construction costs more than a whole answer
        entry = _CORRECTS[id(arm)] = (arm, is_planar(arm)
                                      and not planar_chain(arm.upright()).roll)
    return entry[1]


def reach_miss_one(joints: list[float], pose: list[float], arm: Arm) -> float:
    """
    Return how far m the leaning tool of ``joints`` (4 floats, rad) is from ``pose`` (7 floats).

    What a planar arm's answer fixes: the tool position (m) and the x axis's height times the
    tool length (:func:`~ik_net_ros.kinematics.forward.leaning_reach`'s values), in plain
    floats, for an arm with corrections (:func:`has_corrections`); the one-pose twin of
    ``real_jump._miss``. inf where not finite.
    """
    tilted = _tilted_of(arm)
    tool = tilted.chain.tool
    pos, tool_x, _, _ = _leaning_one([v + o for v, o in zip(joints, tilted.chain.joint_offsets)],
                                     tilted)
    qx, qy, qz, qw = pose[3:7]
    goal = (pose[0], pose[1], pose[2], tool * 2 * (qx * qz - qy * qw))
    miss = math.sqrt(sum((a - b) ** 2 for a, b in zip(
        goal, (pos[0], pos[1], pos[2], tool * tool_x[2]))))
    return miss if math.isfinite(miss) else math.inf


def refine_for_tilts(joints: np.ndarray, arm: Arm) -> tuple[np.ndarray, np.ndarray]:
    """
    Return joints (N, dof) for which the leaning arm's tool is where the planar arm's tool is.

    ``joints`` (N, dof) are answers in ``arm.upright()``. For the OM-X the tool's position and
    pitch (what a 4-DOF arm's answer fixes; its yaw and roll follow from them, off by no more
    than the tilts) are matched (:func:`~ik_net_ros.kinematics.forward.leaning_reach`'s values,
    to TILT_TOLERANCE) by corrections of the planar closed form, then Gauss-Newton where those
    do not converge; another arm by Gauss-Newton on the chain (:func:`refine_on_chain`). The
    answer is clipped to the limits. Also returns where that worked: finite, no joint moved
    more than TILT_STEP, and nearer the target than the given joints (elsewhere they are
    returned).
    """
    arm = arm_or_default(arm)
    if not has_corrections(arm):
        return refine_on_chain(joints, arm)
    tilted = _tilted_of(arm)
    q0 = np.array(joints, dtype=float, ndmin=2)
    if len(q0) == 1:
        one = _refine_one(q0[0].tolist(), tilted, arm.limits)
        if one is not None:
            q, ok = one
            return (np.array([q]) if ok else q0), np.array([ok])
    q, miss, before, target = _corrections(q0, tilted)
    rows = np.flatnonzero(~(miss < TILT_TOLERANCE))  # NaN (out of reach) goes on too
    clipped = np.clip(q, arm.lower, arm.upper)
    moved = np.flatnonzero(np.any(clipped != q, axis=1) & np.all(np.isfinite(q), axis=1))
    q = clipped
    if moved.size:
        miss[moved] = np.linalg.norm(target[moved] - leaning_reach(q[moved], arm)[0], axis=1)
    if rows.size:  # not converged: Gauss-Newton from the nearer of the corrected and planar
        nearer = np.isfinite(q[rows]).all(axis=1) & (miss[rows] <= before[rows])
        start = np.where(nearer[:, None], q[rows], q0[rows])
        q[rows] = gauss_newton_for_tilts(start, target[rows], arm)
        miss[rows] = np.linalg.norm(target[rows] - leaning_reach(q[rows], arm)[0], axis=1)
    # a row whose refinement ends at a joint limit keeps it where it misses less than the planar
    # answer did: the answers stay continuous across the limits (a correction learns them)
    ok = np.all(np.isfinite(q), axis=1) & np.all(np.abs(q - q0) <= TILT_STEP, axis=1) \
        & (miss <= before)
    return np.where(ok[:, None], q, q0), ok


def correction_misses(joints: np.ndarray, arm: Arm) -> np.ndarray:
    """
    Return how far (N,) m the corrections alone leave the leaning tool of planar answers (N, dof).

    From the planar tool (position and pitch, as :func:`refine_for_tilts` matches them); rows of
    TILT_TOLERANCE or more (NaN: a corrected target out of reach) go on by Gauss-Newton. An arm
    without corrections (:func:`has_corrections`): inf everywhere (Gauss-Newton on the chain).
    """
    q0 = np.array(joints, dtype=float, ndmin=2)
    if not has_corrections(arm):
        return np.full(len(q0), np.inf)
    return _corrections(q0, _tilted_of(arm))[1]


def _corrections(q0: np.ndarray, tilted: _Tilted
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """
    Return planar answers q0 (N, 4) corrected up to MAX_CORRECTIONS times, vectorised.

    Returns the joints, their miss (N,) m (NaN where a corrected target is out of reach), the
    planar answers' miss (N,) and the target (N, 4): the planar tool's position and pitch
    (leaning_reach's values in the planar arm). Rows stop once they miss by less than
    TILT_TOLERANCE.
    """
    planar = tilted
    target, yaw0, pitch0 = _planar_pose(q0, planar)
    target = np.concatenate([target, -tilted.chain.tool * np.sin(pitch0)[:, None]], axis=1)
    q, miss, before = q0.copy(), np.empty(len(q0)), None
    rows = np.arange(len(q0))
    with np.errstate(invalid='ignore'):
        for k in range(MAX_CORRECTIONS + 1):
            lean = _leaning_pose(q[rows], tilted, q[rows, 0] + tilted.chain.joint_offsets[0])
            miss[rows] = np.linalg.norm(target[rows] - lean.reached, axis=1)
            if before is None:
                before = miss.copy()
            going = ~(miss[rows] < TILT_TOLERANCE)  # NaN (out of reach) goes on too
            if not going.any() or k == MAX_CORRECTIONS:
                rows = rows[going]
                break
            near = going & (miss[rows] < NEWTON_FROM)
            if near.any():
                q[rows[near]] += _newton_steps(target[rows[near]] - lean.reached[near],
                                               lean, near, tilted.chain.tool)
            far = going & ~near
            if far.any():  # the planar tool only where a correction needs it
                pos, _, pitch = _planar_pose(q[rows[far]], planar)
                q[rows[far]] = _planar_inverse(
                    pos + target[rows[far], :3] - lean.position[far],
                    pitch + pitch0[rows[far]] - lean.pitch[far], q[rows[far]],
                    yaw0[rows[far]], planar)
            rows = rows[going]
    return q, miss, before, target


class _Lean(NamedTuple):
    """The leaning arm's tool at commanded joints (M, 4), and its joints' axes."""

    position: np.ndarray  # (M, 3) m
    pitch: np.ndarray  # (M,) rad: see _leaning_pose
    reached: np.ndarray  # (M, 4): leaning_reach's values (position, x axis height x tool)
    tool_x: np.ndarray  # (M, 3) the tool's x axis
    axes: list  # per joint (M, 3) or (3,): its axis, in the base frame
    origins: list  # per joint (M, 3) or (3,): a point on its axis, m


def _leaning_pose(q: np.ndarray, tilted: _Tilted, yaw: np.ndarray) -> _Lean:
    """
    Return the leaning arm's tool (position, pitch, reach values) and axes of joints (M, 4).

    The pitch is the elevation of the tool's x axis (what the reach values hold: its height
    times the tool length), on the side it points to along the vertical plane of the link yaw
    ``yaw`` (M,) (ahead, or back past the vertical): the planar arm's pitch where nothing leans.
    """
    pos, tool_x, axes, origins = _leaning_chain(q + np.asarray(tilted.chain.joint_offsets),
                                                tilted)
    ahead = tool_x[:, 0] * np.cos(yaw) + tool_x[:, 1] * np.sin(yaw)
    level = np.sqrt(np.maximum(1.0 - tool_x[:, 2] ** 2, 0.0))
    reached = np.concatenate([pos, tilted.chain.tool * tool_x[:, 2:]], axis=1)
    return _Lean(pos, np.arctan2(-tool_x[:, 2], np.copysign(level, ahead)), reached, tool_x,
                 axes, origins)


def _newton_steps(error: np.ndarray, lean: _Lean, rows: np.ndarray, tool: float) -> np.ndarray:
    """
    Return the damped Newton steps (M, 4) rad that take ``error`` (M, 4) off rows ``rows``.

    The leaning chain's Jacobian of the reach values (``lean``'s axes; ``rows`` selects them),
    damped by TILT_DAMPING as :func:`~ik_net_ros.solver.refine.gauss_newton_for_tilts`.
    """
    pos, tool_x = lean.position[rows], lean.tool_x[rows]
    jac = np.empty((len(pos), 4, 4))
    for j, (axis, origin) in enumerate(zip(lean.axes, lean.origins)):
        axis = axis[rows] if np.ndim(axis) == 2 else np.broadcast_to(axis, pos.shape)
        origin = origin[rows] if np.ndim(origin) == 2 else origin
        jac[:, :3, j] = np.cross(axis, pos - origin)
        jac[:, 3, j] = tool * (axis[:, 0] * tool_x[:, 1] - axis[:, 1] * tool_x[:, 0])
    jt = np.swapaxes(jac, 1, 2)
    return np.linalg.solve(jt @ jac + TILT_DAMPING * np.eye(4), jt @ error[:, :, None])[:, :, 0]


def _leaning_chain(link: np.ndarray, tilted: _Tilted) -> tuple:
    """
    Return the leaning arm's tool position (M, 3), x axis (M, 3), joint axes and origins.

    Of link angles (M, 4); the axes and origins (a point on each axis) per joint, (M, 3) or
    (3,), m. :func:`~ik_net_ros.kinematics.forward._tilted_chain` with each rotation as its three
    columns (M, 3): products with the constant leans and the joints' turns are then sums of
    columns (numpy's stacked 3 x 3 products cost ten times as much).
    """
    g, leans = tilted.chain, _lean_columns(tilted.tilts)
    rot = _columns_z([np.array(c) for c in leans[0]], link[:, 0])
    origins = [np.array([g.joint1_x, 0.0, g.base_height])]
    axes = [np.array(leans[0][2])]
    pos = origins[0] + rot[2] * g.shoulder_height
    links = ((g.upper_arm_x, g.upper_arm_z), (g.forearm, 0.0), (g.tool, 0.0))
    for k, (lx, lz) in enumerate(links):
        lean = leans[k + 1]
        rot = [rot[0] * lean[j][0] + rot[1] * lean[j][1] + rot[2] * lean[j][2]
               for j in range(3)]
        axes.append(rot[1])  # a pitch joint turns about its leaning frame's y axis
        origins.append(pos)
        rot = _columns_y(rot, link[:, k + 1])
        pos = pos + lx * rot[0] + (lz * rot[2] if lz else 0.0)
    return pos, rot[0], axes, origins


def _columns_z(m: list, angle: np.ndarray) -> list:
    """Return rotations m (columns, each (M, 3) or (3,)) times a turn about z by ``angle``."""
    c, s = np.cos(angle)[:, None], np.sin(angle)[:, None]
    return [c * m[0] + s * m[1], c * m[1] - s * m[0], np.broadcast_to(m[2], (len(c), 3))]


def _columns_y(m: list, angle: np.ndarray) -> list:
    """Return rotations m (columns (M, 3)) times a turn about y by ``angle``."""
    c, s = np.cos(angle)[:, None], np.sin(angle)[:, None]
    return [c * m[0] - s * m[2], m[1], s * m[0] + c * m[2]]


def _planar_pose(q: np.ndarray, planar: _Tilted
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return the planar arm's tool position (M, 3), link yaw (M,) and link pitch (M,), rad."""
    link = q + np.asarray(planar.chain.joint_offsets)
    r, z = planar_forward(link[:, 1], link[:, 2], link[:, 3], planar.upright)
    yaw = link[:, 0]
    pos = np.stack([planar.chain.joint1_x + r * np.cos(yaw), r * np.sin(yaw), z], axis=1)
    return pos, yaw, link[:, 1:].sum(axis=1)


def _planar_inverse(pos: np.ndarray, pitch: np.ndarray, near: np.ndarray, yaw: np.ndarray,
                    planar: _Tilted) -> np.ndarray:
    """
    Return the planar arm's joints (M, 4) for tool positions and pitches, near ``near`` (M, 4).

    The closed form (both elbows, :func:`~ik_net_ros.kinematics.inverse.solve_yaw_pitch`) with
    the link yaw on the side of ``yaw`` (M,) (reaching forward or behind as the planar answer
    does); the elbow nearer ``near``, each joint within half a turn of it (no turn across the
    seam). NaN where the position is out of reach.
    """
    dx, y = pos[:, 0] - planar.chain.joint1_x, pos[:, 1]
    heading = np.arctan2(y, dx)
    heading = np.where(np.cos(heading - yaw) < 0, heading + np.pi, heading)
    both = solve_yaw_pitch(dx, y, pos[:, 2], heading, pitch, planar.upright).joints  # (M, 2, 4)
    turn = np.remainder(both - near[:, None, :] + np.pi, 2 * np.pi) - np.pi
    move = np.abs(turn).max(axis=2)
    pick = np.argmin(np.where(np.isnan(move), np.inf, move), axis=1)
    return near + turn[np.arange(len(near)), pick]


def _refine_one(q0: list[float], tilted: _Tilted, limits: tuple
                ) -> tuple[list[float], bool] | None:
    """
    Return :func:`refine_for_tilts` of one answer in plain floats: (joints, worked).

    The same corrections; None where they do not converge within MAX_CORRECTIONS (the
    vectorised path goes on by Gauss-Newton) or a corrected target is out of reach.
    """
    planar, tool = tilted, tilted.chain.tool
    offsets = tilted.chain.joint_offsets
    link0 = [v + o for v, o in zip(q0, offsets)]
    yaw0, pitch0 = link0[0], link0[1] + link0[2] + link0[3]
    target = _planar_one(link0, planar)
    target = (target[0], target[1], target[2], -tool * math.sin(pitch0))
    q, before, miss = list(q0), None, math.inf
    for k in range(MAX_CORRECTIONS + 1):
        link = [v + o for v, o in zip(q, offsets)]
        lean, tool_x, axes, origins = _leaning_one(link, tilted)
        reached = (lean[0], lean[1], lean[2], tool * tool_x[2])
        miss = math.sqrt(sum((a - b) ** 2 for a, b in zip(target, reached)))
        if before is None:
            before = miss
        if miss < TILT_TOLERANCE:
            break
        if k == MAX_CORRECTIONS or not math.isfinite(miss):
            return None
        if miss < NEWTON_FROM:
            q = _newton_one(q, [a - b for a, b in zip(target, reached)], lean, tool_x, axes,
                            origins, tool)
            continue
        pos = _planar_one(link, planar)
        ahead = tool_x[0] * math.cos(link[0]) + tool_x[1] * math.sin(link[0])
        lean_pitch = math.atan2(-tool_x[2], math.copysign(
            math.sqrt(max(1.0 - tool_x[2] ** 2, 0.0)), ahead))
        pitch = link[1] + link[2] + link[3] + pitch0 - lean_pitch
        dx = pos[0] + target[0] - lean[0] - planar.chain.joint1_x
        y = pos[1] + target[1] - lean[1]
        heading = math.atan2(y, dx)
        if math.cos(heading - yaw0) < 0:
            heading += _PI
        solution = _solve_yaw_pitch(dx, y, pos[2] + target[2] - lean[2], math.cos(heading),
                                    math.sin(heading), math.cos(pitch), math.sin(pitch),
                                    planar.upright)
        best, step = None, math.inf
        for joints in solution.joints:
            if joints is not None:
                turn = [(a - b + _PI) % _TWO_PI - _PI for a, b in zip(joints, q)]
                if max(map(abs, turn)) < step:
                    best, step = turn, max(map(abs, turn))
        if best is None:
            return None
        q = [a + b for a, b in zip(q, best)]
    clipped = [min(hi, max(lo, v)) for v, (lo, hi) in zip(q, limits)]
    if clipped != q:
        return None  # at a limit: the vectorised path decides (it measures the clipped miss)
    ok = max(abs(a - b) for a, b in zip(q, q0)) <= TILT_STEP and miss <= before
    return q, ok


def _planar_one(link: list[float], tilted: _Tilted) -> tuple[float, float, float]:
    """Return the planar arm's tool position of link angles (4 floats)."""
    planar = tilted.chain
    a2, a23 = link[1], link[1] + link[2]
    a234 = a23 + link[3]
    r = (planar.upper_arm_x * math.cos(a2) + planar.upper_arm_z * math.sin(a2)
         + planar.forearm * math.cos(a23) + planar.tool * math.cos(a234))
    z = (planar.shoulder_z + planar.upper_arm_z * math.cos(a2) - planar.upper_arm_x * math.sin(a2)
         - planar.forearm * math.sin(a23) - planar.tool * math.sin(a234))
    return planar.joint1_x + r * math.cos(link[0]), r * math.sin(link[0]), z


def _leaning_one(link: list[float], tilted: _Tilted) -> tuple[list, tuple, list, list]:
    """
    Return the leaning arm's tool position, x axis, joint axes and origins of link angles.

    Of 4 floats: :func:`_leaning_chain` in plain floats (rotations as their three columns).
    """
    g, leans = tilted.chain, _lean_columns(tilted.tilts)
    rot = _times_z(leans[0], link[0])
    h = g.shoulder_height
    axes, origins = [leans[0][2]], [(g.joint1_x, 0.0, g.base_height)]
    x, y, z = g.joint1_x + rot[2][0] * h, rot[2][1] * h, g.base_height + rot[2][2] * h
    for k, (lx, lz) in enumerate(((g.upper_arm_x, g.upper_arm_z), (g.forearm, 0.0),
                                  (g.tool, 0.0))):
        rot = _times(rot, leans[k + 1])
        axes.append(rot[1])
        origins.append((x, y, z))
        rot = _times_y(rot, link[k + 1])
        (a0, a1, a2), (c0, c1, c2) = rot[0], rot[2]
        x, y, z = x + lx * a0 + lz * c0, y + lx * a1 + lz * c1, z + lx * a2 + lz * c2
    return [x, y, z], rot[0], axes, origins


def _newton_one(q: list[float], error: list[float], pos: list[float], tool_x: tuple,
                axes: list, origins: list, tool: float) -> list[float]:
    """Return ``q`` moved by :func:`_newton_steps`' step of ``error`` in plain floats."""
    columns = []
    for (a0, a1, a2), (o0, o1, o2) in zip(axes, origins):
        d0, d1, d2 = pos[0] - o0, pos[1] - o1, pos[2] - o2
        columns.append((a1 * d2 - a2 * d1, a2 * d0 - a0 * d2, a0 * d1 - a1 * d0,
                        tool * (a0 * tool_x[1] - a1 * tool_x[0])))
    # J'J + damping and J'e written out (4 x 4, symmetric): generator sums cost 3x as much
    c0, c1, c2, c3 = columns

    def dot(u, v):
        return u[0] * v[0] + u[1] * v[1] + u[2] * v[2] + u[3] * v[3]
    h01, h02, h03, h12, h13, h23 = (dot(c0, c1), dot(c0, c2), dot(c0, c3), dot(c1, c2),
                                    dot(c1, c3), dot(c2, c3))
    step = _spd_solve(((dot(c0, c0) + TILT_DAMPING, h01, h02, h03),
                       (h01, dot(c1, c1) + TILT_DAMPING, h12, h13),
                       (h02, h12, dot(c2, c2) + TILT_DAMPING, h23),
                       (h03, h13, h23, dot(c3, c3) + TILT_DAMPING)),
                      (dot(c0, error), dot(c1, error), dot(c2, error), dot(c3, error)))
    return [a + b for a, b in zip(q, step)]


def _spd_solve(a: tuple, b: tuple) -> list[float]:
    """
    Return x of a x = b for a symmetric positive definite a (4 x 4 tuples), by Cholesky.

    J'J plus a positive damping is positive definite: no pivoting; written out (loops over a
    4 x 4 cost 6x as much).
    """
    (a00, _, _, _), (a10, a11, _, _), (a20, a21, a22, _), (a30, a31, a32, a33) = a
    l00 = math.sqrt(a00)
    l10, l20, l30 = a10 / l00, a20 / l00, a30 / l00
    l11 = math.sqrt(a11 - l10 * l10)
    l21, l31 = (a21 - l20 * l10) / l11, (a31 - l30 * l10) / l11
    l22 = math.sqrt(a22 - l20 * l20 - l21 * l21)
    l32 = (a32 - l30 * l20 - l31 * l21) / l22
    l33 = math.sqrt(a33 - l30 * l30 - l31 * l31 - l32 * l32)
    y0 = b[0] / l00
    y1 = (b[1] - l10 * y0) / l11
    y2 = (b[2] - l20 * y0 - l21 * y1) / l22
    y3 = (b[3] - l30 * y0 - l31 * y1 - l32 * y2) / l33
    x3 = y3 / l33
    x2 = (y2 - l32 * x3) / l22
    x1 = (y1 - l21 * x2 - l31 * x3) / l11
    return [(y0 - l10 * x1 - l20 * x2 - l30 * x3) / l00, x1, x2, x3]


_LEANS: dict[tuple, tuple] = {}


class _Tilted(NamedTuple):
    """What the corrections read of a leaning arm of the OM-X's shape."""

    upright: Arm  # the arm with its axes ideal: what the planar closed form solves
    chain: PlanarChain  # its numbers (the errors' offsets and in-plane deltas included), m, rad
    tilts: tuple[float, ...]  # rad, two per joint (the chain's own tilt axes), joint by joint


_TILTED: dict[int, tuple] = {}  # id(arm) -> (arm, its _Tilted)
_CORRECTS: dict[int, tuple] = {}  # id(arm) -> (arm, has_corrections(arm))


def _tilted_of(arm: Arm) -> _Tilted:
    """
    Return what the corrections read of ``arm``, made once per arm object.

    Per call it would cost the upright arm's construction and miss the closed form's constants
    cache (keyed by the arm object).
    """
    entry = _TILTED.get(id(arm))
    if entry is None:  # the entry holds arm, so no other object can take its id meanwhile
        if len(_TILTED) > 16:
            _TILTED.clear()
        upright = arm.upright()
        tilts = tuple(v for pair in arm.errors.tilts for v in pair)
        entry = _TILTED[id(arm)] = (arm, _Tilted(upright, planar_chain(upright), tilts))
    return entry[1]


def _lean_columns(tilts: tuple[float, ...]) -> tuple:
    """Return each joint's lean rotation as three column tuples (made once per tilts)."""
    out = _LEANS.get(tilts)
    if out is None:
        if len(_LEANS) > 16:
            _LEANS.clear()
        out = _LEANS[tilts] = tuple(tuple(tuple(m[:, j].tolist()) for j in range(3))
                                    for m in lean_rotations(tilts))
    return out


def _times(a: tuple, b: tuple) -> tuple:
    """Return the product of rotations given as column triples (written out: 3x faster)."""
    (a00, a01, a02), (a10, a11, a12), (a20, a21, a22) = a
    return tuple((b0 * a00 + b1 * a10 + b2 * a20, b0 * a01 + b1 * a11 + b2 * a21,
                  b0 * a02 + b1 * a12 + b2 * a22) for b0, b1, b2 in b)


def _times_z(m: tuple, angle: float) -> tuple:
    """Return m times a rotation about z by ``angle`` (columns)."""
    c, s = math.cos(angle), math.sin(angle)
    (a0, a1, a2), (b0, b1, b2) = m[0], m[1]
    return ((c * a0 + s * b0, c * a1 + s * b1, c * a2 + s * b2),
            (c * b0 - s * a0, c * b1 - s * a1, c * b2 - s * a2), m[2])


def _times_y(m: tuple, angle: float) -> tuple:
    """Return m times a rotation about y by ``angle`` (columns)."""
    c, s = math.cos(angle), math.sin(angle)
    (a0, a1, a2), (b0, b1, b2) = m[0], m[2]
    return ((c * a0 - s * b0, c * a1 - s * b1, c * a2 - s * b2), m[1],
            (s * a0 + c * b0, s * a1 + c * b1, s * a2 + c * b2))
