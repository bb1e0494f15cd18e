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

from ik_net_ros.arm import Arm
from ik_net_ros.kinematics.chain import chain_forward, chain_jacobian
from ik_net_ros.kinematics.rotations import pose_error
from ik_net_ros.solver.refine import ORIENTATION_WEIGHT, TILT_DAMPING, TILT_STEP, TILT_TOLERANCE
import numpy as np

__all__ = ['refine_on_chain', 'upright_of', 'steps_to_pose', 'pose_miss', 'movable_rows',
           'CHAIN_STEPS']

CHAIN_STEPS = 12  # Gauss-Newton steps: tilts of tenths of a degree converge in three or four
# rad of tool turn per rad of joint motion below which a turn direction is left as it is: near a
# singularity it takes joint moves far beyond TILT_STEP and plain Gauss-Newton oscillates there
MIN_TURN = 0.2


_WEIGHT = np.diag([1.0, 1.0, 1.0] + [ORIENTATION_WEIGHT] * 3)  # m per m, m per rad


def movable_rows(arm: Arm, q: np.ndarray) -> np.ndarray:
    """
    Return the rows (N, k, 6) that take a pose error to what ``arm`` can fix at joints (N, dof).

    k = min(dof, 6): the position (3 rows), then the rotation error along the directions the
    tool turns in at ``q`` while its position holds (the Jacobian's rotation rows on the null
    space of its position rows, orthonormalised), ORIENTATION_WEIGHT m per rad; a direction
    the joints turn the tool in by less than MIN_TURN rad per rad is a zero row (left as is).
    """
    n = len(np.atleast_2d(q))
    if arm.dof >= 6:
        return np.broadcast_to(_WEIGHT, (n, 6, 6))
    free = max(arm.dof - 3, 0)
    rows = np.zeros((n, 3 + free, 6))
    rows[:, 0, 0] = rows[:, 1, 1] = rows[:, 2, 2] = 1.0
    if free:
        jac = np.nan_to_num(chain_jacobian(arm, np.atleast_2d(np.asarray(q, float))))
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
