"""
Damped Gauss-Newton refinement of joint guesses with the analytic Jacobian (batched, limit-aware).

A network's answer lands within millimetres; three or four steps from there reach the closed form's
precision because the error is quadratic near a solution.
"""

from __future__ import annotations

from ik_net_ros.arm import Arm
from ik_net_ros.kinematics.arm_bridge import as_arm
from ik_net_ros.kinematics.chain import chain_forward, chain_jacobian
from ik_net_ros.kinematics.forward import leaning_reach
from ik_net_ros.kinematics.rotations import pose_error
import numpy as np

__all__ = ['refine_joints', 'gauss_newton_for_tilts', 'pose_error', 'TILT_STEP',
           'TILT_TOLERANCE']

ORIENTATION_WEIGHT = 0.1  # m per rad: 1 degree of tool orientation counts like 1.7 mm


def chain_of(arm: Arm):
    """
    Return (forward, jacobian) of ``arm``: joints (N, dof) -> poses (N, 7), Jacobians (N, 6, dof).

    The one chain (:mod:`~ik_net_ros.kinematics.chain`), its errors included.
    """
    return (lambda q: chain_forward(arm, q)), (lambda q: chain_jacobian(arm, q))


def _weighted_error(targets, q, forward, weight):
    err = pose_error(targets, forward(q)) * weight  # (M, 6)
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
    (N, dof) refined joints, always inside the joint limits (each step is clamped).

    """
    arm = as_arm(arm)  # bridge: an OM-X ArmGeometry accepted
    forward, jacobian_of = chain_of(arm)
    q = np.clip(np.array(joints, dtype=np.float64), arm.lower, arm.upper)
    weight = np.array([1.0, 1.0, 1.0, ORIENTATION_WEIGHT, ORIENTATION_WEIGHT, ORIENTATION_WEIGHT])
    err, cost = _weighted_error(targets, q, forward, weight)
    lam = np.full(len(q), damping)
    for _ in range(iterations):
        idx = np.flatnonzero(cost >= tolerance)
        if idx.size == 0:
            break
        jac = jacobian_of(q[idx]) * weight[None, :, None]  # (M, 6, dof)
        jt = np.swapaxes(jac, 1, 2)  # (M, dof, 6)
        hess = jt @ jac + lam[idx, None, None] * np.eye(arm.dof)  # (M, dof, dof)
        step = np.linalg.solve(hess, jt @ err[idx, :, None])[:, :, 0]  # (M, dof)
        q_new = np.clip(q[idx] + step, arm.lower, arm.upper)
        err_new, cost_new = _weighted_error(targets[idx], q_new, forward, weight)
        better = cost_new < cost[idx]
        take = idx[better]
        q[take], err[take], cost[take] = q_new[better], err_new[better], cost_new[better]
        lam[take] = np.maximum(lam[take] * 0.1, 1e-12)
        lam[idx[~better]] *= 10.0
    return q


# rad a joint may move when an answer is refined for an arm whose axes lean (a calibration's
# tilts of a few tenths of a degree move joints by milliradians; near the wrist's singularity
# more), and when a row is done (m)
TILT_STEP = 0.25
TILT_TOLERANCE = 1e-9
TILT_DAMPING = 1e-8  # m^2: keeps the step small where the arm is near a singularity


def gauss_newton_for_tilts(q: np.ndarray, target: np.ndarray, arm: Arm,
                           iterations: int = 8) -> np.ndarray:
    """
    Return joints (M, 4) moved by damped Gauss-Newton steps towards ``target`` (M, 4).

    ``target``: the leaning OM-X's tool position and pitch
    (:func:`~ik_net_ros.kinematics.forward.leaning_reach`'s values); every step inside the limits;
    rows done once all miss by less than TILT_TOLERANCE. Another arm's steps:
    :func:`~ik_net_ros.solver.leaning_chain.steps_to_pose`.
    """
    arm = as_arm(arm)  # bridge: an OM-X ArmGeometry accepted
    q = q.copy()
    for _ in range(iterations):
        reached, jac = leaning_reach(q, arm)
        error = target - reached
        if np.all(np.sum(error * error, axis=1) < TILT_TOLERANCE ** 2):
            break
        jt = np.swapaxes(jac, 1, 2)
        step = np.linalg.solve(jt @ jac + TILT_DAMPING * np.eye(arm.dof), jt @ error[:, :, None])
        q = np.clip(q + step[:, :, 0], arm.lower, arm.upper)
    return q
