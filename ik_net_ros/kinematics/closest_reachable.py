"""
The reachable pose nearest an unreachable target: the position first, then the orientation.

What ``solve(..., on_unreachable='nearest')`` answers for a target out of reach (beyond the
arm's stretch, inside its base, under joint limits): the tool goes to the reachable point
nearest the requested one and, among the ways to get there, takes the orientation nearest the
requested one. Any planar arm (:func:`~ik_net_ros.kinematics.planar.planar_chain`).

The arm's yaw follows the target's azimuth about joint1 (forward, or behind: the other side of
the base), so the search is planar: a grid of joints 2-4 over their limits gives the tool points
the arm can reach in its plane (cached per arm); the nearest grid points to the target's
planar point on either side are refined by Gauss-Newton on the position (joints held inside their
limits), and among the candidates whose position is within :data:`POSITION_TIE` of the best the
one whose orientation is nearest the request is kept. An arm with a wrist roll takes, for each
candidate, the roll nearest the requested orientation, and then (its TCP off the roll axis
moves with the roll) Gauss-Newton steps on the full position over every joint (the chain's
Jacobian, joints held in their limits, a step kept only when it brings the tool nearer).

An arm that is not a planar chain (the OMY: six joints, every orientation its own) is searched
in its whole joint space under the same rule: from the joints (of a fixed cloud drawn inside
the limits, cached per arm) whose tool points are nearest the target, Gauss-Newton steps on the
position over every joint; then, for the starts within :data:`POSITION_TIE` of the best
position, the requested orientation at the best position where the arm takes it there
(:func:`~ik_net_ros.kinematics.closed_forms.reaches`), else steps on the orientation in the null
space of the position (a step kept only when it turns the tool nearer the requested
orientation and leaves the position within the tie).
"""

from __future__ import annotations

import functools
import math

from ik_net_ros.arm import arm_or_default
from ik_net_ros.kinematics.chain import chain_forward, chain_jacobian
from ik_net_ros.kinematics.closed_forms import reaches
from ik_net_ros.kinematics.planar import is_planar
from ik_net_ros.kinematics.planar_ik import planar_of
from ik_net_ros.kinematics.rotations import pose_error, quat_angle, quat_to_matrix
import numpy as np

__all__ = ['closest_reachable', 'nearest_clear', 'POSITION_TIE', 'LIFT_STEP', 'MAX_LIFT']

POSITION_TIE = 5e-4  # m: positions this close to the best count as equally near
_GRID = (41, 41, 33)  # joints 2, 3, 4
_CANDIDATES = 6  # grid points refined per side
_INSIDE = 1e-6  # rad inside the limits: the answer is within them after any rounding
_PITCH = slice(1, 4)  # joints 2-4: the planar pitch chain
# m: a target with no safe solution (no seed, on_unreachable='nearest') is raised in these steps
# until its nearest reachable pose has one (what blocks it is most often the table)
LIFT_STEP = 0.01
MAX_LIFT = 0.3
_CLOUD = 4096  # joints drawn once per non-planar arm: the starts' pool
_STARTS = 12  # of them, the nearest the target refined


def _bounds(arm) -> tuple[np.ndarray, np.ndarray]:
    """Return every joint's limits pulled _INSIDE in (dof,) each."""
    return arm.lower + _INSIDE, arm.upper - _INSIDE


def closest_reachable(poses: np.ndarray, arm) -> np.ndarray:
    """
    Reachable poses (N, 7) nearest validated ``poses`` (N, 7): position first, then orientation.

    ``arm``: an :class:`~ik_net_ros.arm.Arm` with its axes upright (None: the default arm, the
    OM-X); a planar one is searched in its plane, any other in its joint space. Each answer is
    the chain's pose of joints inside the limits (reachable by construction). A reachable pose
    maps to itself up to the refinement's tolerance (callers pass only unreachable ones).
    """
    arm = arm_or_default(arm)
    poses = np.asarray(poses, float)
    out = np.empty_like(poses)
    for i, pose in enumerate(poses):
        out[i] = chain_forward(arm, _best_joints(pose, arm)) if is_planar(arm) \
            else _nearest_pose_anywhere(pose, arm)
    return out


def nearest_clear(poses: np.ndarray, arm, model, solve_rows) -> np.ndarray:
    """
    Answer targets that have no safe solution by their nearest reachable pose (the one rule).

    What ``solve(..., on_unreachable='nearest')`` without a seed does for every arm: each of
    ``poses`` (M, 7, validated) is replaced by :func:`closest_reachable` of it; where that pose
    has no solution clear of ``model`` (a :class:`~ik_net_ros.kinematics.collision.
    CollisionModel`, or None: one try), by that of the pose raised to the lowest height a link
    may have over the table, then in steps of LIFT_STEP m (up to MAX_LIFT): away from the table.

    ``solve_rows(near, rows)``: the caller's own safe solve of poses ``near`` (K, 7) standing for
    rows ``rows`` (K,) of ``poses``; it keeps the answers it finds and returns (K,) bool, where
    found. Returns the rows (indices into ``poses``) none of the tries fit.
    """
    poses = np.asarray(poses, float)
    pending = np.arange(len(poses))
    lifts = [None] if model is None else [None, *np.arange(0.0, MAX_LIFT + LIFT_STEP / 2,
                                                           LIFT_STEP)]
    floor = None if model is None else model.table_z + model.table_clearance + max(model.radii)
    for lift in lifts:
        if pending.size == 0:
            break
        raised = poses[pending].copy()
        if lift is not None:
            raised[:, 2] = np.maximum(raised[:, 2], floor) + lift
        done = np.asarray(solve_rows(closest_reachable(raised, arm), pending), dtype=bool)
        pending = pending[~done]
    return pending


def _best_joints(pose: np.ndarray, arm) -> np.ndarray:
    c = planar_of(arm)
    points, configs = _planar_grid(arm)
    dx, dy = pose[0] - c.joint1_x, pose[1]
    reach = math.hypot(dx, dy)
    azimuth = math.atan2(dy, dx) if reach > 1e-9 else 0.0
    starts, targets, yaws = [], [], []
    for side, yaw in ((1.0, azimuth), (-1.0, azimuth + math.pi)):
        target = np.array([side * reach, pose[2]])
        distance = np.linalg.norm(points - target, axis=1)
        for index in np.argpartition(distance, _CANDIDATES)[:_CANDIDATES]:
            starts.append(configs[index])
            targets.append(target)
            yaws.append(math.remainder(yaw - c.joint_offsets[0], 2 * math.pi))
    q = _refine(np.array(starts), np.array(targets), arm)
    joints = np.zeros((len(q), arm.dof)) - np.asarray(c.joint_offsets)  # link angles 0
    joints[:, 0] = np.clip(yaws, arm.lower[0], arm.upper[0])
    joints[:, _PITCH] = q
    if c.roll:
        joints = _position_steps(_nearest_roll(joints, pose, arm), pose, arm)
    return _tie_break(joints, pose, arm)


def _tie_break(joints: np.ndarray, pose: np.ndarray, arm) -> np.ndarray:
    """Return the joints (dof,) of ``joints`` (K, dof) nearest in position, then orientation."""
    reached = chain_forward(arm, joints)
    gap = np.linalg.norm(reached[:, :3] - pose[:3], axis=1)
    tied = gap <= gap.min() + POSITION_TIE
    turn = np.where(tied, quat_angle(reached[:, 3:], np.broadcast_to(pose[3:], (len(joints), 4))),
                    np.inf)
    return joints[int(np.argmin(turn))]


def _nearest_pose_anywhere(pose: np.ndarray, arm) -> np.ndarray:
    """Return the nearest reachable pose (7,) of a non-planar arm, by the module's rule."""
    points, configs = _joint_cloud(arm)
    nearest = np.argpartition(np.linalg.norm(points - pose[:3], axis=1), _STARTS)[:_STARTS]
    joints, gap = _position_lm(configs[nearest].copy(), pose, arm)
    best = int(np.argmin(gap))
    kept = np.concatenate([chain_forward(arm, joints[best])[:3], pose[3:]])
    if reaches(kept[None], arm)[0]:  # the nearest position takes the requested orientation
        return kept
    tied = gap <= gap[best] + POSITION_TIE
    joints = _orientation_steps(joints[tied], pose, arm, gap[best] + POSITION_TIE)
    return chain_forward(arm, _tie_break(joints, pose, arm))


def _position_lm(joints: np.ndarray, pose: np.ndarray, arm, steps: int = 100
                 ) -> tuple[np.ndarray, np.ndarray]:
    """
    Levenberg-Marquardt on the tool position of ``joints`` (K, dof), inside the limits.

    Returns the joints and their gaps (K,) m. A step is kept only when it brings the tool
    nearer (the damping adapts: a target out of reach sits at a stretched, singular arm); a
    joint at its limit that the step pushes further out is held there (as :func:`_refine`).
    """
    low, high = _bounds(arm)
    reached = chain_forward(arm, joints)[:, :3]
    gap = np.linalg.norm(reached - pose[:3], axis=1)
    damping = np.full(len(joints), 1e-4)
    for _ in range(steps):
        jac = chain_jacobian(arm, joints)[:, :3]
        step = _step(jac, pose[:3] - reached, damping)
        held = ((joints <= low + 1e-12) & (step < 0)) | ((joints >= high - 1e-12) & (step > 0))
        if held.any():
            step = _step(jac * ~held[:, None, :], pose[:3] - reached, damping)
        trial = np.clip(joints + step, low, high)
        trial_reached = chain_forward(arm, trial)[:, :3]
        trial_gap = np.linalg.norm(trial_reached - pose[:3], axis=1)
        better = trial_gap < gap
        joints[better], reached[better], gap[better] = \
            trial[better], trial_reached[better], trial_gap[better]
        damping = np.where(better, np.maximum(damping / 3, 1e-9), damping * 4)
        if np.all((gap < 1e-9) | (damping > 1e3)):
            break
    return joints, gap


def _orientation_steps(joints: np.ndarray, pose: np.ndarray, arm, within: float,
                       steps: int = 100) -> np.ndarray:
    """
    Turn the tool of ``joints`` (K, dof) towards ``pose``'s orientation, the position held.

    Damped least-squares steps on the rotation error in the null space of the position
    Jacobian, plus a step holding each tool at the position it starts from (reached: a pull
    towards an unreachable target would be huge at the stretched, singular arm). A step is kept
    only where the orientation comes nearer and the position stays within ``within`` m of the
    target (else the damping grows). Joints held inside their limits.
    """
    low, high = _bounds(arm)
    joints = joints.copy()
    target = np.broadcast_to(pose, (len(joints), 7))
    reached = chain_forward(arm, joints)
    anchor = reached[:, :3].copy()
    angle = quat_angle(reached[:, 3:], target[:, 3:])
    damping = np.full(len(joints), 1e-3)
    eye = np.eye(arm.dof)
    for _ in range(steps):
        jac = chain_jacobian(arm, joints)
        jp, jo = jac[:, :3], jac[:, 3:]
        jp_t = np.swapaxes(jp, 1, 2)
        pinv = jp_t @ np.linalg.inv(jp @ jp_t + 1e-9 * np.eye(3))  # (K, dof, 3)
        null = eye - pinv @ jp
        jon = jo @ null
        turn = _step(jon, pose_error(target, reached)[:, 3:], damping)
        hold = (pinv @ (anchor - reached[:, :3])[:, :, None])[:, :, 0]
        trial = np.clip(joints + hold + (null @ turn[:, :, None])[:, :, 0], low, high)
        trial_reached = chain_forward(arm, trial)
        trial_angle = quat_angle(trial_reached[:, 3:], target[:, 3:])
        gap = np.linalg.norm(trial_reached[:, :3] - pose[:3], axis=1)
        better = (trial_angle < angle) & (gap <= within)
        joints[better], reached[better], angle[better] = \
            trial[better], trial_reached[better], trial_angle[better]
        damping = np.where(better, np.maximum(damping / 3, 1e-9), damping * 4)
        if np.all((angle < 1e-10) | (damping > 1e3)):
            break
    return joints


@functools.lru_cache(maxsize=8)
def _joint_cloud(arm) -> tuple[np.ndarray, np.ndarray]:
    """Tool positions (M, 3) of joints (M, dof) drawn (fixed seed) inside the limits."""
    low, high = _bounds(arm)
    configs = np.random.default_rng(0).uniform(low, high, (_CLOUD, arm.dof))
    return chain_forward(arm, configs)[:, :3], configs


def _nearest_roll(joints: np.ndarray, pose: np.ndarray, arm) -> np.ndarray:
    """Return ``joints`` (K, dof) with the roll (the last joint) nearest the requested turn."""
    joints = joints.copy()
    rolled = chain_forward(arm, joints)
    # the turn about the tool x axis from the reached rotation to the requested one
    turn = np.swapaxes(quat_to_matrix(rolled[:, 3:]), 1, 2) @ quat_to_matrix(pose[None, 3:])
    angle = np.arctan2(turn[:, 2, 1] - turn[:, 1, 2], turn[:, 1, 1] + turn[:, 2, 2])
    low, high = _bounds(arm)
    roll = np.remainder(joints[:, -1] + angle + np.pi, 2 * np.pi) - np.pi
    joints[:, -1] = np.clip(roll, low[-1], high[-1])
    return joints


def _position_steps(joints: np.ndarray, pose: np.ndarray, arm, steps: int = 20) -> np.ndarray:
    """Gauss-Newton steps (damped) of every joint on the tool position, inside the limits."""
    low, high = _bounds(arm)
    gap = np.linalg.norm(chain_forward(arm, joints)[:, :3] - pose[:3], axis=1)
    for _ in range(steps):
        jac = chain_jacobian(arm, joints)[:, :3]
        residual = pose[:3] - chain_forward(arm, joints)[:, :3]
        normal = jac @ np.swapaxes(jac, 1, 2) + 1e-6 * np.eye(3)
        step = (np.swapaxes(jac, 1, 2) @ np.linalg.solve(normal, residual[:, :, None]))[:, :, 0]
        trial = np.clip(joints + step, low, high)
        trial_gap = np.linalg.norm(chain_forward(arm, trial)[:, :3] - pose[:3], axis=1)
        better = trial_gap < gap
        joints[better], gap[better] = trial[better], trial_gap[better]
        if not better.any():
            break
    return joints


@functools.lru_cache(maxsize=8)
def _planar_grid(arm) -> tuple[np.ndarray, np.ndarray]:
    """Planar tool points (M, 2) [r, z] of a grid of joints 2-4 (M, 3) within the limits."""
    low, high = _bounds(arm)
    axes = [np.linspace(lo, hi, n) for lo, hi, n in zip(low[_PITCH], high[_PITCH], _GRID)]
    configs = np.stack(np.meshgrid(*axes, indexing='ij'), -1).reshape(-1, 3)
    return _planar(configs, arm), configs


def _planar(configs: np.ndarray, arm) -> np.ndarray:
    """[r, z] of the tool for joints 2-4 (M, 3), r along the arm's plane from joint1's axis."""
    c = planar_of(arm)
    q = np.zeros((len(configs), arm.dof)) - np.asarray(c.joint_offsets)  # link angles 0
    q[:, _PITCH] = configs
    tool = chain_forward(arm, q)
    return np.stack([tool[:, 0] - c.joint1_x, tool[:, 2]], axis=1)


def _step(jacobian: np.ndarray, residual: np.ndarray, damping: np.ndarray) -> np.ndarray:
    """Levenberg-Marquardt steps (K, n) for Jacobians (K, m, n) and residuals (K, m)."""
    eye = np.eye(jacobian.shape[1])
    normal = jacobian @ jacobian.transpose(0, 2, 1) + damping[:, None, None] * eye
    solved = np.linalg.solve(normal, residual[:, :, None])
    return (jacobian.transpose(0, 2, 1) @ solved)[:, :, 0]


def _refine(q: np.ndarray, target: np.ndarray, arm, steps: int = 40) -> np.ndarray:
    """
    Levenberg-Marquardt on the planar positions of K starts (K, 3) towards ``target`` (K, 2).

    The joints are held inside their limits: a step is kept only when it brings the tool nearer (a
    target out of reach sits at a singular, stretched arm, where plain Gauss-Newton steps
    overshoot).
    """
    eps, k = 1e-7, len(q)
    low, high = _bounds(arm)
    low, high = low[_PITCH], high[_PITCH]
    damping = np.full(k, 1e-4)
    planar = _planar(q, arm)
    gap = np.linalg.norm(planar - target, axis=1)
    for _ in range(steps):
        probes = _planar((q[:, None, :] + eps * np.eye(3)).reshape(-1, 3), arm)
        jacobian = ((probes.reshape(k, 3, 2) - planar[:, None, :]) / eps).transpose(0, 2, 1)
        step = _step(jacobian, target - planar, damping)
        # a joint at its limit that the step pushes further out is held there and the step
        # taken by the others (projected: else the clipped step stalls short of the optimum)
        held = ((q <= low + 1e-12) & (step < 0)) | ((q >= high - 1e-12) & (step > 0))
        if held.any():
            step = _step(jacobian * ~held[:, None, :], target - planar, damping)
        trial = np.clip(q + step, low, high)
        trial_planar = _planar(trial, arm)
        trial_gap = np.linalg.norm(trial_planar - target, axis=1)
        better = trial_gap < gap
        q[better], planar[better], gap[better] = trial[better], trial_planar[better], \
            trial_gap[better]
        damping = np.where(better, np.maximum(damping / 3, 1e-9), damping * 4)
        if np.all((gap < 1e-9) | (damping > 1e3)):
            break
    return q
