"""
The solution of a target nearest a seed (where the arm is), for continuous, safe motion.

A target has a few exact solutions inside the joint limits: every branch of each of the two
candidates of its projection (the OM-X: two elbows, reaching forward or behind over the base; an
arm with a wrist roll: four branches, front and over the top, of each of its two candidate
planes; see :mod:`ik_net_ros.kinematics.projection`), and joint1 = +pi and -pi are one yaw. The
rule here:

1. **Candidates**: every exact solution inside the limits, plus each solution brought to the
   seed's side of the +-pi seam (joint1's, and that of any joint whose limits reach +-pi: the
   OMX-F's joint4 and joint5) and clamped into the limits where that still puts the
   tool within SNAP_POSITION m and SNAP_ANGLE rad of the target (a target a hair past the seam
   or a limit is kept, at the solver's accuracy, instead of being reached the long way round).
2. **Sides with hysteresis**: the projection's preferred candidate only, except near its tie
   (OM-X: the requested tool y axis within HYSTERESIS of across both yaws), where either side
   may be taken, so a target wobbling about the tie never flips the arm; the other side is
   taken when the preferred one has no acceptable candidate. (A roll arm's two candidates are
   different orientations: no band; its front and over-the-top branches reach the same pose
   and compete by distance.)
3. **Safety**: candidates in collision (``collision``) are dropped, and so are those whose
   joint1 would turn more than pi from the seed (the long way round, sweeping the workspace)
   for a small target change (within the jump window below: a target a hair past joint1's
   seam never swings the arm round). A target beyond the window whose only safe solution is
   that far round is a long move, taken (``long_moves``; the driver times it and checks its
   path) unless long moves are refused.
4. **Nearest**: the candidate nearest the seed in joint space (Euclidean, rad).
5. **No jumps**: if that candidate moves some joint more than ``max_jump`` rad while the
   requested target is within JUMP_WINDOW m of the seed's own tool position and the tilt of
   its tool x axis (its angle to the horizontal plane: the heading follows the position's
   azimuth) within JUMP_WINDOW_ANGLE rad of the seed's (a small target change needing another
   branch: an elbow or a wrist at its limit), the target is refused.

Near singularities (the tool over joint1's axis, the arm stretched straight) a small target
change can still need a large joint move; the jump rule refuses those too.
"""

from __future__ import annotations

from dataclasses import dataclass
import math

from ik_net_ros.arm import arm_or_default
from ik_net_ros.kinematics.chain import chain_forward
from ik_net_ros.kinematics.collision import CollisionModel
from ik_net_ros.kinematics.inverse import REACHABLE, REASONS
from ik_net_ros.kinematics.limits import clamp_to_limits
from ik_net_ros.kinematics.planar_ik import bounds_of
from ik_net_ros.kinematics.projection import HYSTERESIS, project_both
from ik_net_ros.kinematics.rotations import quat_angle
import numpy as np

__all__ = ['SeededSolutions', 'nearest_solutions', 'refuse_jumps', 'safely_reachable',
           'small_change',
           'DEFAULT_MAX_JUMP', 'SEAM',
           'HYSTERESIS', 'SNAP_POSITION', 'SNAP_ANGLE', 'JUMP_WINDOW', 'JUMP_WINDOW_ANGLE']

SNAP_POSITION = 1e-3  # m: a clamped solution this close to the target is kept
SNAP_ANGLE = math.radians(1.0)
DEFAULT_MAX_JUMP = 0.5  # rad
JUMP_WINDOW = 0.01  # m: a target this close to the seed's tool pose is a small change
JUMP_WINDOW_ANGLE = math.radians(5.0)
_OFF_SIDE = 100.0  # rad added to the distance of a candidate on the non-preferred side
SEAM = math.pi + 1e-9  # joint1 may move at most this far: more is the long way round
# rad in every joint within which a network's answer counts as on a candidate's branch (the
# branches of one target are far apart; a learned correction moves a joint by millirad)
BRANCH_MATCH = 0.2


@dataclass
class SeededSolutions:
    """
    One answer per target.

    joints: (N, dof) rad inside the limits (NaN where refused).
    targets: (N, 7) the projected pose each answer reaches (the chosen yaw side).
    ok: (N,) True where a safe solution was found.
    reasons: N strings, '' where ok, else why the target is refused.
    """

    joints: np.ndarray
    targets: np.ndarray
    ok: np.ndarray
    reasons: list[str]


def nearest_solutions(p: np.ndarray, seed: np.ndarray, arm=None,
                      collision: CollisionModel | None = None,
                      max_jump: float | None = DEFAULT_MAX_JUMP,
                      long_way: bool = True, long_moves: bool = False,
                      exact_first: bool = False) -> SeededSolutions:
    """
    Return the safe solution nearest ``seed`` of each validated pose (see the module's rule).

    Parameters
    ----------
    p
        (N, 7) validated poses (:func:`~ik_net_ros.kinematics.validation.as_pose_array`).
    seed
        (N, dof) finite joints, rad (clamped into the limits here).
    arm
        A planar :class:`~ik_net_ros.arm.Arm` (None: ROBOTIS's humble OM-X).
    collision
        Drop candidates in collision; None: no collision check.
    max_jump
        rad, the jump rule's limit; None: no jump rule.
    long_way
        Refuse joint1 moves of more than pi from the seed (the long way round).
    long_moves
        With ``long_way``: refuse them only for a small target change (within the jump
        window); a target beyond it whose only safe solutions are that far round gets one.
    exact_first
        A clamped (snapped) candidate only where no exact one is acceptable on either side:
        without a seed (``seed`` is the branch rule's answer) a target some branch reaches
        exactly and safely is answered exactly, not within SNAP_POSITION by a clamped branch
        nearer the rule's. With a seed the snapped candidate keeps its place (a target a hair
        past a limit keeps the arm there rather than flipping a branch).

    """
    arm = arm_or_default(arm)
    n, dof = len(p), arm.dof
    seed = clamp_to_limits(arm, np.asarray(seed, float))
    poses, sols, prefer_back, in_band = project_both(p, arm)
    branches = sols[0].joints.shape[1]
    per_side = 2 * branches
    slots = 2 * per_side
    # (N, slots, dof): side-major, per side [exact branches..., snapped branches...]
    cand = np.full((n, slots, dof), np.nan)
    usable = np.zeros((n, slots), bool)
    side_of = np.repeat([0, 1], per_side)
    bounds = bounds_of(arm)
    seams = [i for i in range(dof) if bounds.free[i] or i in bounds.turns]
    for side in (0, 1):
        sol, k = sols[side], per_side * side
        raw = sol.joints  # valid rows clamped; others raw; NaN out of reach
        # valid rows inside the limits to the last ulp: the candidate checked is the answer sent
        raw = np.where(sol.valid[..., None], clamp_to_limits(arm, raw.reshape(-1, dof))
                       .reshape(raw.shape), raw)
        cand[:, k:k + branches] = raw
        usable[:, k:k + branches] = sol.valid
        snapped = raw.copy()
        for i in seams:  # to the seed's side of the +-pi seam
            snapped[..., i] += 2 * math.pi * np.round((seed[:, None, i] - raw[..., i])
                                                      / (2 * math.pi))
        snapped = clamp_to_limits(arm, snapped.reshape(-1, dof)).reshape(n, branches, dof)
        # only where clamping moved the solution: elsewhere it is the exact one again
        finite = np.isfinite(snapped).all(axis=2) & (np.abs(snapped - raw).max(axis=2) > 0)
        close = np.zeros((n, branches), bool)
        if finite.any():
            rows, elbows = np.nonzero(finite)
            reached = chain_forward(arm, snapped[rows, elbows])
            want = poses[side][rows]
            near = ((np.linalg.norm(reached[:, :3] - want[:, :3], axis=1) <= SNAP_POSITION)
                    & (quat_angle(reached[:, 3:], want[:, 3:]) <= SNAP_ANGLE))
            close[rows, elbows] = near
        cand[:, k + branches:k + per_side] = snapped
        usable[:, k + branches:k + per_side] = close
    delta = cand - seed[:, None, :]
    reasons = [''] * n
    acceptable = usable.copy()
    far = np.zeros((n, slots), bool)
    if long_way:  # far: the candidates refused for the long way round
        far = usable & (np.abs(delta[..., 0]) > SEAM)
        rows = np.flatnonzero(far.any(axis=1)) if long_moves else np.empty(0, int)
        if rows.size:  # a long move to a target beyond the jump window is taken
            far[rows[~small_change(p[rows], seed[rows], arm)]] = False
        acceptable &= ~far
    hit = np.zeros((n, slots), bool)
    report = None
    flat = np.flatnonzero(acceptable.ravel())
    if collision is not None and flat.size:
        report = collision.check(cand.reshape(-1, dof)[flat])
        blocked = np.zeros(n * slots, bool)
        blocked[flat[~report.clear]] = True
        hit = blocked.reshape(n, slots)
        acceptable &= ~hit
    distance = np.sqrt(np.nansum(delta * delta, axis=2))
    off_side = (side_of[None, :] == 1) != prefer_back[:, None]
    penalty = np.where(off_side & ~in_band[:, None], _OFF_SIDE, 0.0)
    if exact_first:  # snapped slots after every exact one, of either side
        penalty = penalty + np.where(np.arange(slots) % per_side >= branches, 2 * _OFF_SIDE, 0.0)
    score = np.where(acceptable, distance + penalty, np.inf)
    pick = np.argmin(score, axis=1)
    ok = np.isfinite(score[np.arange(n), pick])
    joints = cand[np.arange(n), pick]
    targets = np.stack(poses, axis=1)[np.arange(n), side_of[pick]]
    if max_jump is not None:
        refuse_jumps(p, joints, seed, arm, max_jump, ok, reasons, 'another elbow or side')
    for row in np.flatnonzero(~ok):
        if not reasons[row]:
            reasons[row] = _refusal(row, usable, far, hit, cand, delta, sols, prefer_back,
                                    report, acceptable)
    joints[~ok] = np.nan
    return SeededSolutions(joints=joints, targets=targets, ok=ok, reasons=reasons)


def refuse_jumps(p: np.ndarray, joints: np.ndarray, seed: np.ndarray, arm, max_jump: float,
                 ok: np.ndarray, reasons: list[str], remedy: str) -> None:
    """
    Refuse, in place, answers that move a joint more than ``max_jump`` rad for a small change.

    The jump rule of every seeded solve: rows ``ok`` whose answer ``joints`` (N, dof) moves some
    joint more than ``max_jump`` rad from ``seed`` (N, dof) for a request ``p`` (N, 7) within
    the jump window (:func:`small_change`: the request, not its projection, near the seed's
    tool) get ``ok`` False and a reason naming the joint, the move and ``remedy``.
    """
    jumping = ok & (np.abs(joints - seed).max(axis=1) > max_jump)
    if not jumping.any():
        return
    idx = np.flatnonzero(jumping)
    small, gap = small_change(p[idx], seed[idx], arm, gaps=True)
    for row, g in zip(idx[small], gap[small]):
        j = int(np.argmax(np.abs(joints[row] - seed[row])))
        reasons[row] = (f'jump: the nearest safe solution moves joint{j + 1} by '
                        f'{abs(joints[row, j] - seed[row, j]):.2f} rad for a target '
                        f'{g * 1000:.1f} mm from where the arm is (max_jump '
                        f'{max_jump:g} rad): {remedy} is needed')
        ok[row] = False


def small_change(p: np.ndarray, seed: np.ndarray, arm=None, gaps: bool = False):
    """
    Return (N,) True where requested poses ``p`` (N, 7) are a small change from ``seed`` (N, dof).

    The jump window: the request within JUMP_WINDOW m of the seed's tool position and the tilt
    of its tool x axis within JUMP_WINDOW_ANGLE rad of the seed's (an arm of six joints or
    more, whose targets are not projected: its whole rotation). With ``gaps`` also the
    distances (N,) m.
    """
    arm = arm_or_default(arm)
    at = chain_forward(arm, seed)
    gap = np.linalg.norm(at[:, :3] - p[:, :3], axis=1)
    if arm.dof >= 6:  # every orientation is the arm's own (nothing projected): all of it counts
        turn = quat_angle(at[:, 3:], p[:, 3:])
    else:
        turn = np.abs(_tilt(at[:, 3:]) - _tilt(p[:, 3:]))
    small = (gap <= JUMP_WINDOW) & (turn <= JUMP_WINDOW_ANGLE)
    return (small, gap) if gaps else small


def _tilt(quat: np.ndarray) -> np.ndarray:
    """(N,) angle of the tool x axis above the horizontal plane, rad."""
    return np.arcsin(np.clip(_x_axis(quat)[:, 2], -1.0, 1.0))


def _x_axis(quat: np.ndarray) -> np.ndarray:
    """(N, 3) tool x axes of unit quaternions (N, 4) [x, y, z, w]."""
    qx, qy, qz, qw = quat.T
    return np.stack([1 - 2 * (qy * qy + qz * qz), 2 * (qx * qy + qz * qw),
                     2 * (qx * qz - qy * qw)], axis=1)


def _refusal(row, usable, far, hit, cand, delta, sols, prefer_back, report, acceptable) -> str:
    """Why no candidate of ``row`` is acceptable."""
    if not usable[row].any():
        side = 1 if prefer_back[row] else 0
        reason = int(sols[side].reason[row])
        if reason == REACHABLE:
            reason = int(sols[1 - side].reason[row])
        return REASONS[reason]
    if hit[row].any():
        # the nearest candidate that was blocked: its collision
        distance = np.where(hit[row], np.sqrt(np.nansum(delta[row] ** 2, axis=1)), np.inf)
        k = int(np.argmin(distance))
        # the report holds the checked candidates (usable, not the long way) in row order
        checked = np.flatnonzero((usable & ~far).ravel())
        return report.reason(int(np.searchsorted(checked, row * usable.shape[1] + k)))
    k = int(np.flatnonzero(far[row])[0])
    return (f'joint1 would turn {abs(delta[row, k, 0]):.2f} rad, more than half a turn (the '
            f'long way round: its +-pi seam is in the way); bring the target back, or move the '
            f'arm there in smaller steps')


def safely_reachable(p: np.ndarray, arm=None,
                     collision: CollisionModel | None = None) -> np.ndarray:
    """
    Return (N,) True where validated poses ``p`` have a solution that is clear of ``collision``.

    The solution is inside the limits; the arm's present pose does not matter.
    """
    arm = arm_or_default(arm)
    seeds = np.zeros((len(p), arm.dof))
    return nearest_solutions(p, seeds, arm, collision, max_jump=None, long_way=False).ok
