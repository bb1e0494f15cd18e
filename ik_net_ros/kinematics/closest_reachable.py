"""
The reachable pose nearest an unreachable target: the position first, then the orientation.

What ``solve(..., on_unreachable='nearest')`` answers for a target out of reach (beyond the
arm's stretch, inside its base, under joint limits): the tool goes to the reachable point
nearest the requested one and, among the ways to get there, takes the orientation nearest the
requested one.

The arm's yaw follows the target's azimuth about joint1 (forward, or behind: the other side of
the base), so the search is planar: a grid of joints 2-4 over their limits gives the tool points
the arm can reach in its plane (cached per geometry); the nearest grid points to the target's
planar point on either side are refined by Gauss-Newton on the position (joints held inside their
limits), and among the candidates whose position is within :data:`POSITION_TIE` of the best the
one whose orientation is nearest the request is kept.
"""

from __future__ import annotations

import functools
import math

from ik_net_ros.kinematics.forward import forward_kinematics
from ik_net_ros.kinematics.geometry import ArmGeometry, JOINT_LOWER, JOINT_UPPER
from ik_net_ros.kinematics.rotations import quat_angle
import numpy as np

__all__ = ['closest_reachable', 'POSITION_TIE']

POSITION_TIE = 5e-4  # m: positions this close to the best count as equally near
_GRID = (41, 41, 33)  # joints 2, 3, 4
_CANDIDATES = 6  # grid points refined per side
_INSIDE = 1e-6  # rad inside the limits: the answer is within them after any rounding
_LOW, _HIGH = JOINT_LOWER[1:] + _INSIDE, JOINT_UPPER[1:] - _INSIDE


def closest_reachable(poses: np.ndarray, geometry: ArmGeometry) -> np.ndarray:
    """
    Reachable poses (N, 7) nearest validated ``poses`` (N, 7): position first, then orientation.

    A reachable pose maps to itself up to the refinement's tolerance (callers pass only unreachable
    ones).
    """
    poses = np.asarray(poses, float)
    out = np.empty_like(poses)
    for i, pose in enumerate(poses):
        out[i] = forward_kinematics(_best_joints(pose, geometry), geometry)
    return out


def _best_joints(pose: np.ndarray, geometry: ArmGeometry) -> np.ndarray:
    points, configs = _planar_grid(geometry)
    dx, dy = pose[0] - geometry.joint1_x, pose[1]
    reach = math.hypot(dx, dy)
    azimuth = math.atan2(dy, dx) if reach > 1e-9 else 0.0
    starts, targets, yaws = [], [], []
    for side, yaw in ((1.0, azimuth), (-1.0, azimuth + math.pi)):
        target = np.array([side * reach, pose[2]])
        distance = np.linalg.norm(points - target, axis=1)
        for index in np.argpartition(distance, _CANDIDATES)[:_CANDIDATES]:
            starts.append(configs[index])
            targets.append(target)
            yaws.append(math.remainder(yaw - geometry.joint_offsets[0], 2 * math.pi))
    q = _refine(np.array(starts), np.array(targets), geometry)
    joints = np.column_stack([np.clip(yaws, JOINT_LOWER[0], JOINT_UPPER[0]), q])
    reached = forward_kinematics(joints, geometry)
    gap = np.linalg.norm(reached[:, :3] - pose[:3], axis=1)
    tied = gap <= gap.min() + POSITION_TIE
    turn = np.where(tied, quat_angle(reached[:, 3:], np.broadcast_to(pose[3:], (len(joints), 4))),
                    np.inf)
    return joints[int(np.argmin(turn))]


@functools.lru_cache(maxsize=8)
def _planar_grid(geometry: ArmGeometry) -> tuple[np.ndarray, np.ndarray]:
    """Planar tool points (M, 2) [r, z] of a grid of joints 2-4 (M, 3) within the limits."""
    axes = [np.linspace(lo, hi, n) for lo, hi, n in zip(_LOW, _HIGH, _GRID)]
    configs = np.stack(np.meshgrid(*axes, indexing='ij'), -1).reshape(-1, 3)
    return _planar(configs, geometry), configs


def _planar(configs: np.ndarray, geometry: ArmGeometry) -> np.ndarray:
    """[r, z] of the tool for joints 2-4 (M, 3), r along the arm's plane from joint1's axis."""
    yaw0 = np.full((len(configs), 1), -geometry.joint_offsets[0])  # the link's yaw is 0
    tool = forward_kinematics(np.hstack([yaw0, configs]), geometry)
    return np.stack([tool[:, 0] - geometry.joint1_x, tool[:, 2]], axis=1)


def _step(jacobian: np.ndarray, residual: np.ndarray, damping: np.ndarray) -> np.ndarray:
    """Levenberg-Marquardt steps (K, 3) for Jacobians (K, 2, 3) and residuals (K, 2)."""
    normal = jacobian @ jacobian.transpose(0, 2, 1) + damping[:, None, None] * np.eye(2)
    solved = np.linalg.solve(normal, residual[:, :, None])
    return (jacobian.transpose(0, 2, 1) @ solved)[:, :, 0]


def _refine(q: np.ndarray, target: np.ndarray, geometry: ArmGeometry, steps: int = 40
            ) -> np.ndarray:
    """
    Levenberg-Marquardt on the planar positions of K starts (K, 3) towards ``target`` (K, 2).

    The joints are held inside their limits: a step is kept only when it brings the tool nearer (a
    target out of reach sits at a singular, stretched arm, where plain Gauss-Newton steps
    overshoot).
    """
    eps, k = 1e-7, len(q)
    damping = np.full(k, 1e-4)
    planar = _planar(q, geometry)
    gap = np.linalg.norm(planar - target, axis=1)
    for _ in range(steps):
        probes = _planar((q[:, None, :] + eps * np.eye(3)).reshape(-1, 3), geometry)
        jacobian = ((probes.reshape(k, 3, 2) - planar[:, None, :]) / eps).transpose(0, 2, 1)
        step = _step(jacobian, target - planar, damping)
        # a joint at its limit that the step pushes further out is held there and the step
        # taken by the others (projected: else the clipped step stalls short of the optimum)
        held = ((q <= _LOW + 1e-12) & (step < 0)) | ((q >= _HIGH - 1e-12) & (step > 0))
        if held.any():
            step = _step(jacobian * ~held[:, None, :], target - planar, damping)
        trial = np.clip(q + step, _LOW, _HIGH)
        trial_planar = _planar(trial, geometry)
        trial_gap = np.linalg.norm(trial_planar - target, axis=1)
        better = trial_gap < gap
        q[better], planar[better], gap[better] = trial[better], trial_planar[better], \
            trial_gap[better]
        damping = np.where(better, np.maximum(damping / 3, 1e-9), damping * 4)
        if np.all((gap < 1e-9) | (damping > 1e3)):
            break
    return q
