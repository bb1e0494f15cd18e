"""
Damped Gauss-Newton refinement of joint guesses with the analytic Jacobian (batched, limit-aware).

A network's answer lands within millimetres; three or four steps from there reach the closed form's
precision because the error is quadratic near a solution.
"""

from __future__ import annotations

from ik_net_ros.kinematics import (
    ArmGeometry,
    DEFAULT_GEOMETRY,
    forward_kinematics,
    jacobian,
    JOINT_LOWER,
    JOINT_UPPER,
)
from ik_net_ros.kinematics.rotations import pose_error
import numpy as np

__all__ = ['refine_joints', 'refine_for_tilts', 'pose_error', 'TILT_STEP']

ORIENTATION_WEIGHT = 0.1  # m per rad: 1 degree of tool orientation counts like 1.7 mm


def _weighted_error(targets, q, geometry, weight):
    err = pose_error(targets, forward_kinematics(q, geometry)) * weight  # (M, 6)
    return err, np.sum(err * err, axis=1)


def refine_joints(targets: np.ndarray, joints: np.ndarray,
                  geometry: ArmGeometry = DEFAULT_GEOMETRY, iterations: int = 12,
                  damping: float = 1e-6, tolerance: float = 1e-18,
                  orientation_weight: float = ORIENTATION_WEIGHT) -> np.ndarray:
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
        (N, 4) initial guesses, rad.
    iterations
        At most this many steps.
    damping
        Initial damping (m^2).
    tolerance
        A row is done once its weighted squared error is below this (m^2).
    geometry
        The arm's geometry (default: ROBOTIS's humble description).
    orientation_weight
        m per rad the orientation error weighs against the position error.

    Returns
    -------
    (N, 4) refined joints, always inside the joint limits (each step is clamped).

    """
    q = np.clip(np.array(joints, dtype=np.float64), JOINT_LOWER, JOINT_UPPER)
    weight = np.array([1.0, 1.0, 1.0] + [orientation_weight] * 3)
    err, cost = _weighted_error(targets, q, geometry, weight)
    lam = np.full(len(q), damping)
    for _ in range(iterations):
        idx = np.flatnonzero(cost >= tolerance)
        if idx.size == 0:
            break
        jac = jacobian(q[idx], geometry) * weight[None, :, None]  # (M, 6, 4)
        jt = np.swapaxes(jac, 1, 2)  # (M, 4, 6)
        hess = jt @ jac + lam[idx, None, None] * np.eye(4)  # (M, 4, 4)
        step = np.linalg.solve(hess, jt @ err[idx, :, None])[:, :, 0]  # (M, 4)
        q_new = np.clip(q[idx] + step, JOINT_LOWER, JOINT_UPPER)
        err_new, cost_new = _weighted_error(targets[idx], q_new, geometry, weight)
        better = cost_new < cost[idx]
        take = idx[better]
        q[take], err[take], cost[take] = q_new[better], err_new[better], cost_new[better]
        lam[take] = np.maximum(lam[take] * 0.1, 1e-12)
        lam[idx[~better]] *= 10.0
    return q


# rad a joint may move when an answer is refined for an arm whose axes lean (a calibration's
# tilts of a few tenths of a degree move joints by milliradians; near the wrist's singularity
# more), the orientation weight of that refinement (m per rad: the position first, as a tracker
# measures it; the orientation a leaning arm cannot match exactly weighs little), and when a
# row is done (m^2: a micrometre)
TILT_STEP = 0.25
TILT_ORIENTATION = 0.001
TILT_TOLERANCE = 1e-12


def refine_for_tilts(joints: np.ndarray, tilted: ArmGeometry) -> tuple[np.ndarray, np.ndarray]:
    """
    Return joints (N, 4) for which the leaning arm reaches where the planar one reaches.

    ``joints`` (N, 4) are answers in ``tilted.planar()``; each is refined until the tool of the
    arm ``tilted`` reaches the pose the planar arm's tool reaches, every step inside the limits.
    Also returns where that worked: finite, and no joint moved more than TILT_STEP (elsewhere
    the given joints are returned).
    """
    q = np.array(joints, dtype=float, ndmin=2)
    targets = forward_kinematics(q, tilted.planar())
    refined = refine_joints(targets, q, tilted, iterations=6, tolerance=TILT_TOLERANCE,
                            orientation_weight=TILT_ORIENTATION)
    ok = np.all(np.isfinite(refined), axis=1) & np.all(np.abs(refined - q) <= TILT_STEP, axis=1)
    return np.where(ok[:, None], refined, q), ok
