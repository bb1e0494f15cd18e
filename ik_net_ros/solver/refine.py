"""
Damped Gauss-Newton refinement of joint guesses with the analytic Jacobian (batched, limit-aware).

A network's answer lands within millimetres; three or four steps from there reach the closed form's
precision because the error is quadratic near a solution.
"""

from __future__ import annotations

import math

from ik_net_ros.arm import Arm, arm_or_default
from ik_net_ros.kinematics.chain import (
    chain_forward,
    chain_jacobian,
    chain_pose_jacobian_one,
    chain_tool,
)
from ik_net_ros.kinematics.forward import leaning_reach
from ik_net_ros.kinematics.inverse import ik_solutions
from ik_net_ros.kinematics.planar import is_planar
from ik_net_ros.kinematics.rigid import matrix_to_quat
from ik_net_ros.kinematics.rotations import pose_error
from ik_net_ros.kinematics.ur_branches import representatives
from ik_net_ros.kinematics.ur_closed_form import ur_inverse
from ik_net_ros.kinematics.ur_layout import is_ur_layout
import numpy as np

__all__ = ['refine_joints', 'gauss_newton_for_tilts', 'pose_error', 'TILT_STEP',
           'TILT_TOLERANCE']

ORIENTATION_WEIGHT = 0.1  # m per rad: 1 degree of tool orientation counts like 1.7 mm
# m^2 (weighted): a refined row still this far from its pose (0.1 um) is stuck in a local
# minimum, not converging: quadratic convergence takes a row that close below 1e-18 in a step
STUCK_COST = 1e-14


def chain_of(arm: Arm):
    """
    Return (forward, jacobian) of ``arm``: joints (N, dof) -> poses (N, 7), Jacobians (N, 6, dof).

    The one chain (:mod:`~ik_net_ros.kinematics.chain`), its errors included.
    """
    return (lambda q: chain_forward(arm, q)), (lambda q: chain_jacobian(arm, q))


def _pose_and_jacobian(arm: Arm, q: np.ndarray):
    """Return poses (M, 7) and Jacobians (M, 6, dof) of joints (M, dof) from one walk."""
    tool, rotation, axes, origins = chain_tool(arm, q)
    revolute = np.array([j.type == 'revolute' for j in arm.joints])
    linear = np.where(revolute[None, :, None], np.cross(axes, tool[:, None] - origins), axes)
    jac = np.empty((len(q), 6, arm.dof))
    jac[:, :3] = np.swapaxes(linear, 1, 2)
    jac[:, 3:] = np.swapaxes(axes * revolute[None, :, None], 1, 2)
    return np.concatenate([tool, matrix_to_quat(rotation)], axis=1), jac


def _weighted_error(targets, poses, weight):
    err = pose_error(targets, poses) * weight  # (M, 6)
    return err, np.sum(err * err, axis=1)


def refine_joints(targets: np.ndarray, joints: np.ndarray, arm: Arm | None = None,
                  iterations: int = 12, damping: float = 1e-6, tolerance: float = 1e-18
                  ) -> np.ndarray:
    """
    Refine joint guesses towards reachable target poses (Levenberg-Marquardt).

    Each row keeps its own damping: a step that lowers the error is taken and the damping
    shrinks tenfold (towards Gauss-Newton); a step that does not is refused and the damping
    grows tenfold (towards gradient descent), so no row ever gets worse.

    Parameters
    ----------
    targets
        (N, 7) validated, projected poses (m, unit quaternions).
    joints
        (N, dof) initial guesses, rad.
    iterations
        At most this many steps.
    damping
        Initial damping (m^2).
    tolerance
        A row is done once its weighted squared error is below this (m^2).
    arm
        The arm (an :class:`~ik_net_ros.arm.Arm`, its errors included; default: the OM-X).
        A reachable pose of a 4-joint arm fixes 4 of its 6 numbers: the steps are least
        squares, exact where the pose is reachable.

    Returns
    -------
    (N, dof) refined joints, always inside the joint limits (each step is clamped). A row
    the steps leave short of its pose takes the closed form's nearest solution where the arm
    has one (:func:`closed_form_near`), so a reachable pose is reached exactly.

    """
    arm = arm_or_default(arm)
    q = np.clip(np.array(joints, dtype=np.float64), arm.lower, arm.upper)
    if len(q) == 1:  # the live case: plain floats, numpy's per-call cost is most of it
        one, cost = _refine_one(np.asarray(targets, float)[0].tolist(), q[0].tolist(), arm,
                                iterations, damping, tolerance)
        q = np.array([one])
        if cost > STUCK_COST:
            q = closed_form_near(np.asarray(targets, float), q, np.array([cost]), arm)
        return q
    weight = np.array([1.0, 1.0, 1.0, ORIENTATION_WEIGHT, ORIENTATION_WEIGHT, ORIENTATION_WEIGHT])
    poses, jac = _pose_and_jacobian(arm, q)  # one walk gives both: the Jacobian kept per row
    err, cost = _weighted_error(targets, poses, weight)
    jac *= weight[None, :, None]
    lam = np.full(len(q), damping)
    for _ in range(iterations):
        idx = np.flatnonzero(cost >= tolerance)
        if idx.size == 0:
            break
        jt = np.swapaxes(jac[idx], 1, 2)  # (M, dof, 6)
        hess = jt @ jac[idx] + lam[idx, None, None] * np.eye(arm.dof)  # (M, dof, dof)
        step = np.linalg.solve(hess, jt @ err[idx, :, None])[:, :, 0]  # (M, dof)
        q_new = np.clip(q[idx] + step, arm.lower, arm.upper)
        poses_new, jac_new = _pose_and_jacobian(arm, q_new)
        err_new, cost_new = _weighted_error(targets[idx], poses_new, weight)
        better = cost_new < cost[idx]
        take = idx[better]
        q[take], err[take], cost[take] = q_new[better], err_new[better], cost_new[better]
        jac[take] = jac_new[better] * weight[None, :, None]
        lam[take] = np.maximum(lam[take] * 0.1, 1e-12)
        lam[idx[~better]] *= 10.0
    if np.any(cost > STUCK_COST):
        q = closed_form_near(targets, q, cost, arm)
    return q


def closed_form_near(targets: np.ndarray, q: np.ndarray, cost: np.ndarray, arm: Arm
                     ) -> np.ndarray:
    """
    Return ``q`` (N, dof) with rows refinement left short of their pose exact, where possible.

    Least squares from a guess far from every solution can settle in a local minimum (a
    guess on the wrong side of a branch boundary, or a joint at its limit). Where the arm has
    a closed form (its upright shape is planar and it does not lean, so the closed form is
    exact for it; or it is of the UR layout, every branch at each joint's turn nearest the
    guess), such a row (weighted squared error ``cost`` above STUCK_COST, m^2) takes
    the closed form's solution nearest it in joint space (rad, every branch inside the limits):
    the branch the guess was heading for. Other rows, and rows of an arm without a closed form
    here or of a pose no branch reaches, are returned unchanged.
    """
    if arm.has_tilts or not (is_planar(arm) or is_ur_layout(arm)):
        return q
    rows = np.flatnonzero(cost > STUCK_COST)
    if is_planar(arm):
        sols = ik_solutions(targets[rows], arm)
        branches = np.where(sols.valid[:, :, None], sols.joints, np.nan)  # (M, B, dof)
    else:  # every branch's turn nearest the guess
        sols = ur_inverse(arm, targets[rows])
        values, found = representatives(arm, sols.joints, q[rows, None, :])
        branches = np.where((sols.reachable & found)[:, :, None], values, np.nan)
    dist = np.sum((branches - q[rows, None, :]) ** 2, axis=2)
    found = np.isfinite(dist).any(axis=1)
    if not found.any():
        return q
    pick = np.argmin(np.where(np.isfinite(dist), dist, np.inf), axis=1)
    out = q.copy()
    best = branches[np.arange(len(rows)), pick]
    out[rows[found]] = np.clip(best[found], arm.lower, arm.upper)
    return out


def _error_one(target: list[float], pose: list[float]) -> tuple[list[float], float]:
    """Return :func:`pose_error` of one pose times the weights (6 floats) and its cost, m^2."""
    ax, ay, az, aw = target[3:]
    bx, by, bz, bw = -pose[3], -pose[4], -pose[5], pose[6]
    dx = aw * bx + ax * bw + ay * bz - az * by
    dy = aw * by - ax * bz + ay * bw + az * bx
    dz = aw * bz + ax * by - ay * bx + az * bw
    dw = aw * bw - ax * bx - ay * by - az * bz
    if dw < 0:
        dx, dy, dz, dw = -dx, -dy, -dz, -dw
    norm = math.sqrt(dx * dx + dy * dy + dz * dz)
    scale = 2.0 * math.atan2(norm, dw) / max(norm, 1e-300) if norm > 1e-12 else 2.0
    scale *= ORIENTATION_WEIGHT
    err = [target[0] - pose[0], target[1] - pose[1], target[2] - pose[2],
           dx * scale, dy * scale, dz * scale]
    return err, sum(e * e for e in err)


def _solve_one(a: list[list[float]], b: list[float]) -> list[float]:
    """Return x of a x = b (n x n, n floats): Gaussian elimination with partial pivoting."""
    n = len(b)
    m = [row[:] + [v] for row, v in zip(a, b)]
    for k in range(n):
        pivot = max(range(k, n), key=lambda i: abs(m[i][k]))
        m[k], m[pivot] = m[pivot], m[k]
        for i in range(k + 1, n):
            f = m[i][k] / m[k][k]
            if f:
                m[i] = [u - f * v for u, v in zip(m[i], m[k])]
    x = [0.0] * n
    for k in range(n - 1, -1, -1):
        x[k] = (m[k][n] - sum(m[k][i] * x[i] for i in range(k + 1, n))) / m[k][k]
    return x


def _weighted_one(arm: Arm, q: list[float]):
    """Return the pose and the Jacobian (its angular rows weighted) of one joint vector."""
    pose, jac = chain_pose_jacobian_one(arm, q)
    jac[3:] = [[v * ORIENTATION_WEIGHT for v in row] for row in jac[3:]]
    return pose, jac


def _refine_one(target: list[float], q: list[float], arm: Arm, iterations: int,
                damping: float, tolerance: float) -> list[float]:
    """
    Return :func:`refine_joints` of one row in plain floats, and its weighted squared error.

    ``q`` already inside the limits.

    The same steps; each step's pose and Jacobian from one walk of the chain
    (:func:`~ik_net_ros.kinematics.chain.chain_pose_jacobian_one`).
    """
    limits, dof = arm.limits, arm.dof
    pose, jac = _weighted_one(arm, q)
    err, cost = _error_one(target, pose)
    lam = damping
    for _ in range(iterations):
        if cost < tolerance:
            break
        hess = [[sum(jac[r][i] * jac[r][k] for r in range(6)) + (lam if i == k else 0.0)
                 for k in range(dof)] for i in range(dof)]
        step = _solve_one(hess, [sum(jac[r][i] * err[r] for r in range(6)) for i in range(dof)])
        q_new = [min(max(v + d, lo), hi) for v, d, (lo, hi) in zip(q, step, limits)]
        pose_new, jac_new = _weighted_one(arm, q_new)
        err_new, cost_new = _error_one(target, pose_new)
        if cost_new < cost:
            q, err, cost, jac = q_new, err_new, cost_new, jac_new
            lam = max(lam * 0.1, 1e-12)
        else:
            lam *= 10.0
    return q, cost


# rad a joint may move when an answer is refined for an arm whose axes lean (a calibration's
# tilts of a few tenths of a degree move joints by milliradians; near the wrist's singularity
# more), and when a row is done (m)
TILT_STEP = 0.25
TILT_TOLERANCE = 1e-9
TILT_DAMPING = 1e-8  # m^2: keeps the step small where the arm is near a singularity


def gauss_newton_for_tilts(q: np.ndarray, target: np.ndarray, arm: Arm,
                           iterations: int = 8, reach=None) -> np.ndarray:
    """
    Return joints (M, 4) moved by damped Gauss-Newton steps towards ``target`` (M, 4).

    ``target``: the leaning OM-X's tool position and pitch
    (:func:`~ik_net_ros.kinematics.forward.leaning_reach`'s values, or those of ``reach``: a
    function of joints (M, dof) returning such values and their Jacobian (M, 4, dof)); every
    step inside the limits; rows done once all miss by less than TILT_TOLERANCE. Another arm's
    steps: :func:`~ik_net_ros.solver.leaning_chain.steps_to_pose`.
    """
    arm = arm_or_default(arm)
    q = q.copy()
    for _ in range(iterations):
        reached, jac = leaning_reach(q, arm) if reach is None else reach(q)
        error = target - reached
        if np.all(np.sum(error * error, axis=1) < TILT_TOLERANCE ** 2):
            break
        jt = np.swapaxes(jac, 1, 2)
        step = np.linalg.solve(jt @ jac + TILT_DAMPING * np.eye(arm.dof), jt @ error[:, :, None])
        q = np.clip(q + step[:, :, 0], arm.lower, arm.upper)
    return q
