"""
An answer made the answer of a real arm whose joint axes lean, on the one chain (any arm).

A closed form solves the arm with its axes upright (``arm.upright()``); the real arm's tool is
then millimetres off. What the arm's answer fixes is matched in the real arm by damped
Gauss-Newton on the chain's Jacobian (:func:`~ik_net_ros.kinematics.chain.chain_jacobian`):
the tool's position, and of its orientation what the arm can choose. A planar arm (a pitch chain
under a base yaw) cannot choose its tool's yaw apart from its position: its rows are the pitch
(the rotation about the arm plane's normal) and, with a wrist roll, the roll (about the tool's
x axis); any other arm matches the whole orientation. Rotations are scaled by a length (the
planar tool's, else ORIENTATION_WEIGHT m per rad), so a miss is in metres throughout.
"""

from __future__ import annotations

from ik_net_ros.arm import Arm
from ik_net_ros.kinematics.chain import chain_forward, chain_jacobian
from ik_net_ros.kinematics.planar import is_planar, planar_chain
from ik_net_ros.kinematics.rotations import pose_error, quat_to_matrix
from ik_net_ros.solver.refine import ORIENTATION_WEIGHT, TILT_DAMPING, TILT_STEP, TILT_TOLERANCE
import numpy as np

__all__ = ['refine_on_chain', 'steps_to_pose', 'pose_miss', 'CHAIN_STEPS']

CHAIN_STEPS = 12  # Gauss-Newton steps: tilts of tenths of a degree converge in three or four


def _rows(arm: Arm, q: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """
    Return the residual rows (N, k, 6) of the pose error [position, rotation vector] matched.

    For joints (N, dof) near answers to ``targets`` (N, 7): k = dof for a planar arm (position,
    pitch, roll if any), 6 for any other.
    """
    n = len(q)
    if not is_planar(arm):
        return np.broadcast_to(np.diag([1.0, 1.0, 1.0] + [ORIENTATION_WEIGHT] * 3), (n, 6, 6))
    chain = planar_chain(arm.upright())
    yaw = q[:, 0] + arm.errors.offsets[0]
    rows = np.zeros((n, arm.dof, 6))
    rows[:, 0, 0] = rows[:, 1, 1] = rows[:, 2, 2] = 1.0
    # the pitch: a turn about the arm plane's normal (joint2's axis at that yaw)
    rows[:, 3, 3:] = chain.tool * np.stack([-np.sin(yaw), np.cos(yaw), np.zeros(n)], axis=1)
    if chain.roll:  # the roll: a turn about the tool's x axis
        rows[:, 4, 3:] = chain.tool * quat_to_matrix(targets[:, 3:])[:, :, 0]
    return rows


def pose_miss(q: np.ndarray, targets: np.ndarray, arm: Arm) -> np.ndarray:
    """Return how far (N,) m the tool of joints (N, dof) misses what ``targets`` (N, 7) ask."""
    err = pose_error(targets, chain_forward(arm, q))
    miss = np.linalg.norm(np.einsum('nkj,nj->nk', _rows(arm, q, targets), err), axis=1)
    return np.where(np.all(np.isfinite(q), axis=1), miss, np.inf)


def steps_to_pose(q: np.ndarray, targets: np.ndarray, arm: Arm, iterations: int = CHAIN_STEPS
                  ) -> np.ndarray:
    """
    Return joints (N, dof) moved by damped Gauss-Newton steps towards ``targets`` (N, 7).

    In ``arm`` (its errors, leaning axes included); every step inside the limits; rows done once
    all miss by less than TILT_TOLERANCE.
    """
    q = np.array(q, dtype=float, ndmin=2)
    rows = _rows(arm, q, targets)
    for _ in range(iterations):
        error = np.einsum('nkj,nj->nk', rows, pose_error(targets, chain_forward(arm, q)))
        if np.all(np.sum(error * error, axis=1) < TILT_TOLERANCE ** 2):
            break
        jac = rows @ chain_jacobian(arm, q)  # (N, k, dof)
        jt = np.swapaxes(jac, 1, 2)
        step = np.linalg.solve(jt @ jac + TILT_DAMPING * np.eye(arm.dof), jt @ error[:, :, None])
        q = np.clip(q + step[:, :, 0], arm.lower, arm.upper)
    return q


def refine_on_chain(joints: np.ndarray, arm: Arm) -> tuple[np.ndarray, np.ndarray]:
    """
    Return joints (N, dof) for which the leaning ``arm``'s tool is where the upright arm's is.

    ``joints`` (N, dof) are answers in ``arm.upright()``. Also returns where that worked: finite,
    no joint moved more than TILT_STEP, and nearer the target than the given joints (elsewhere
    they are returned): :func:`~ik_net_ros.solver.tilt_stage.refine_for_tilts`' rule.
    """
    q0 = np.array(joints, dtype=float, ndmin=2)
    with np.errstate(invalid='ignore'):
        targets = chain_forward(arm.upright(), q0)
        before = pose_miss(q0, targets, arm)
        q = steps_to_pose(q0, targets, arm)
        miss = pose_miss(q, targets, arm)
    ok = np.all(np.isfinite(q), axis=1) & np.all(np.abs(q - q0) <= TILT_STEP, axis=1) \
        & (miss <= before)
    return np.where(ok[:, None], q, q0), ok
