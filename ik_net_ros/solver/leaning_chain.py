"""
An answer made the answer of a real arm whose joint axes lean, on the one chain (any arm).

A closed form solves the arm with its axes upright (``arm.upright()``); the real arm's tool is
then millimetres off. What the arm's answer fixes is matched in the real arm by damped
Gauss-Newton on the chain's Jacobian (:func:`~ik_net_ros.kinematics.chain.chain_jacobian`).
An arm of fewer than 6 joints cannot turn its tool about every axis where it holds its position
(the OM-X's and the OMX-F's tool cannot yaw apart from its position): the tool's position is
matched, and of the rotation error the ``dof - 3`` directions the tool can turn in while its
position holds (the OM-X: the pitch; the OMX-F: the pitch and the roll), read off the Jacobian
at the start; the rest, the tilts' share of a yaw, stays. Rotations count ORIENTATION_WEIGHT m
per rad, so a miss is in metres. Nothing here depends on the arm's shape.
"""

from __future__ import annotations

import math

from ik_net_ros.arm import Arm
from ik_net_ros.kinematics.chain import (
    chain_forward,
    chain_jacobian,
    chain_pose_jacobian_one,
)
from ik_net_ros.kinematics.rotations import pose_error
from ik_net_ros.solver.refine import (
    _solve_one,
    ORIENTATION_WEIGHT,
    pose_error_one,
    TILT_DAMPING,
    TILT_STEP,
    TILT_TOLERANCE,
)
import numpy as np

__all__ = ['refine_on_chain', 'upright_of', 'steps_to_pose', 'pose_miss', 'pose_miss_one',
           'movable_rows', 'CHAIN_STEPS']

CHAIN_STEPS = 12  # Gauss-Newton steps: tilts of tenths of a degree converge in three or four
# rad of tool turn per rad of joint motion below which a turn direction is left as it is: near a
# singularity it takes joint moves far beyond TILT_STEP and plain Gauss-Newton oscillates there
MIN_TURN = 0.2


_WEIGHT = np.diag([1.0, 1.0, 1.0] + [ORIENTATION_WEIGHT] * 3)  # m per m, m per rad


def movable_rows(arm: Arm, q: np.ndarray, jac: np.ndarray | None = None) -> np.ndarray:
    """
    Return the rows (N, k, 6) that take a pose error to what ``arm`` can fix at joints (N, dof).

    k = min(dof, 6): the position (3 rows), then the rotation error along the directions the
    tool turns in at ``q`` while its position holds (the Jacobian's rotation rows on the null
    space of its position rows, orthonormalised), ORIENTATION_WEIGHT m per rad; a direction
    the joints turn the tool in by less than MIN_TURN rad per rad is a zero row (left as is).
    ``jac``: the chain's Jacobian (N, 6, dof) at ``q`` where the caller has it already.
    """
    n = len(np.atleast_2d(q))
    if arm.dof >= 6:
        return np.broadcast_to(_WEIGHT, (n, 6, 6))
    free = max(arm.dof - 3, 0)
    rows = np.zeros((n, 3 + free, 6))
    rows[:, 0, 0] = rows[:, 1, 1] = rows[:, 2, 2] = 1.0
    if free:
        jac = np.nan_to_num(chain_jacobian(arm, np.atleast_2d(np.asarray(q, float)))
                            if jac is None else jac)
        null = np.swapaxes(np.linalg.svd(jac[:, :3])[2][:, 3:], 1, 2)  # (N, dof, free)
        turns, size, _ = np.linalg.svd(jac[:, 3:] @ null)  # (N, 3, 3), (N, free)
        strong = (size >= MIN_TURN)[:, :, None]
        rows[:, 3:, 3:] = ORIENTATION_WEIGHT * np.swapaxes(turns[:, :, :free], 1, 2) * strong
    return rows


def pose_miss(q: np.ndarray, targets: np.ndarray, arm: Arm, rows=None) -> np.ndarray:
    """
    Return how far (N,) m the tool of joints (N, dof) misses what ``targets`` (N, 7) ask.

    Along ``rows`` (:func:`movable_rows`; None: those of ``arm`` at ``q``). NaN joints: inf.
    """
    rows = movable_rows(arm, q) if rows is None else rows
    err = pose_error(targets, chain_forward(arm, q))
    miss = np.linalg.norm(np.einsum('nkj,nj->nk', rows, err), axis=1)
    return np.where(np.all(np.isfinite(q), axis=1) & np.isfinite(miss), miss, np.inf)


def steps_to_pose(q: np.ndarray, targets: np.ndarray, arm: Arm, iterations: int = CHAIN_STEPS,
                  rows=None) -> np.ndarray:
    """
    Return joints (N, dof) moved by damped Gauss-Newton steps towards ``targets`` (N, 7).

    In ``arm`` (its errors, leaning axes included), along ``rows`` (:func:`movable_rows`;
    None: those of ``arm`` at the start); every step inside the limits; rows done once all miss
    by less than TILT_TOLERANCE.
    """
    q = np.array(q, dtype=float, ndmin=2)
    rows = movable_rows(arm, q) if rows is None else rows
    for _ in range(iterations):
        error = np.einsum('nkj,nj->nk', rows, pose_error(targets, chain_forward(arm, q)))
        if np.all(np.sum(error * error, axis=1) < TILT_TOLERANCE ** 2):
            break
        jac = rows @ chain_jacobian(arm, q)  # (N, k, dof)
        jt = np.swapaxes(jac, 1, 2)
        step = np.linalg.solve(jt @ jac + TILT_DAMPING * np.eye(arm.dof), jt @ error[:, :, None])
        q = np.clip(q + step[:, :, 0], arm.lower, arm.upper)
    return q


def upright_of(arm: Arm) -> Arm:
    """
    Return ``arm.upright()``, made once per arm object.

    Its construction (the errors validated again) costs more than one pose's whole answer.
    """
    entry = _UPRIGHT.get(id(arm))
    if entry is None:  # the entry holds arm, so no other object can take its id meanwhile
        if len(_UPRIGHT) > 16:
            _UPRIGHT.clear()
        entry = _UPRIGHT[id(arm)] = (arm, arm.upright())
    return entry[1]


_UPRIGHT: dict[int, tuple] = {}  # id(arm) -> (arm, arm.upright())


def refine_on_chain(joints: np.ndarray, arm: Arm) -> tuple[np.ndarray, np.ndarray]:
    """
    Return joints (N, dof) for which the leaning ``arm``'s tool is where the upright arm's is.

    ``joints`` (N, dof) are answers in ``arm.upright()``. Also returns where that worked: finite,
    no joint moved more than TILT_STEP, and nearer the target than the given joints (elsewhere
    they are returned): :func:`~ik_net_ros.solver.tilt_stage.refine_for_tilts`' rule.
    """
    q0 = np.array(joints, dtype=float, ndmin=2)
    if len(q0) == 1 and np.all(np.isfinite(q0)):  # the live node's case: plain floats
        q, ok = _refine_one(q0[0].tolist(), arm)
        return (np.array([q]) if ok else q0), np.array([ok])
    with np.errstate(invalid='ignore'):
        upright = upright_of(arm)
        targets = chain_forward(upright, q0)
        rows = movable_rows(upright, q0)  # what the answer fixes, where it is exact
        before = pose_miss(q0, targets, arm, rows)
        q = steps_to_pose(q0, targets, arm, rows=rows)
        miss = pose_miss(q, targets, arm, rows)
    ok = np.all(np.isfinite(q), axis=1) & np.all(np.abs(q - q0) <= TILT_STEP, axis=1) \
        & (miss <= before)
    return np.where(ok[:, None], q, q0), ok


def _refine_one(q0: list[float], arm: Arm) -> tuple[list[float], bool]:
    """
    Return :func:`refine_on_chain` of one answer in plain floats: (joints, worked).

    The same steps as :func:`steps_to_pose` (what the arm can fix, :func:`movable_rows`, read
    once at the start; each step's pose and Jacobian from one walk of the chain,
    :func:`~ik_net_ros.kinematics.chain.chain_pose_jacobian_one`), the same acceptance rule.
    """
    upright = upright_of(arm)
    target, jac = chain_pose_jacobian_one(upright, q0)
    rows = movable_rows(upright, np.array([q0]), np.array([jac]))[0].tolist()  # (k, 6)
    lower, upper, dof = arm.lower.tolist(), arm.upper.tolist(), arm.dof

    def miss_and_step(q, step):
        pose, jac = chain_pose_jacobian_one(arm, q)
        err = pose_error_one(target, pose)
        fixed = [sum(r * e for r, e in zip(row, err)) for row in rows]
        miss = math.sqrt(sum(e * e for e in fixed))
        if not step or not miss >= TILT_TOLERANCE:
            return miss, None
        weighted = [[sum(row[r] * jac[r][j] for r in range(6)) for j in range(dof)]
                    for row in rows]  # (k, dof)
        hess = [[sum(w[i] * w[j] for w in weighted) + (TILT_DAMPING if i == j else 0.0)
                 for j in range(dof)] for i in range(dof)]
        move = _solve_one(hess, [sum(w[i] * f for w, f in zip(weighted, fixed))
                                 for i in range(dof)])
        return miss, [min(max(v + d, lo), hi) for v, d, lo, hi in zip(q, move, lower, upper)]

    before = miss_and_step(list(q0), False)[0]
    q = list(q0)
    for _ in range(CHAIN_STEPS):
        _, moved = miss_and_step(q, True)
        if moved is None:
            break
        q = moved
    miss = miss_and_step(q, False)[0]
    if not math.isfinite(sum(q)) or not math.isfinite(miss):
        return q0, False
    ok = max(abs(a - b) for a, b in zip(q, q0)) <= TILT_STEP and miss <= before
    return q, ok


def pose_miss_one(q: list[float], target: list[float], arm: Arm) -> float:
    """
    Return :func:`pose_miss` of one answer (dof floats) and target (7 floats), m.

    The chain walked once in plain floats (its pose and Jacobian, the Jacobian for the rows).
    """
    pose, jac = chain_pose_jacobian_one(arm, q)
    rows = movable_rows(arm, np.array([q]), np.array([jac]))[0].tolist()
    err = pose_error_one(target, pose)
    miss = math.sqrt(sum(sum(r * e for r, e in zip(row, err)) ** 2 for row in rows))
    return miss if math.isfinite(miss) and math.isfinite(sum(q)) else math.inf
