"""
Targets a leaning arm reaches and its upright arm does not, answered in the leaning arm.

The pipeline solves an arm whose joint axes lean in its upright arm (``arm.upright()``) and
refines the answer for the tilts; a target near the edge of the workspace (the arm stretched, a
joint near its limit) can be out of the upright arm's reach and inside the leaning arm's (the
joint offsets, origin deltas and tilts move the tool millimetres). Such a target used to be
answered by the upright arm's nearest reachable pose
(:func:`~ik_net_ros.kinematics.closest_reachable.closest_reachable`, tens of milliseconds per
pose, and then millimetres from a target the arm reaches). Here it is answered exactly, for a
whole batch at once: from the upright arm's closed form of the target pulled towards the
shoulder (or pushed out) by SHRINKS (the closed form of a target out of reach does not exist;
moved by a few millimetres it does, and lies next to the answer), damped Gauss-Newton on the
leaning chain (:func:`~ik_net_ros.solver.real_jump.reach_from_seed`, the seed refinement's own
steps, every step inside the limits; then three steps on the reach rule's own measure), aiming
at TILT_TOLERANCE, the tilt stage's, and taken under FOUND. Rows none of those starts reaches
are tried again from the tilt stage's correction of each: the closed form of the target moved
by what the errors move the tool at the start. Branches are tried in the branch rule's order of
preference (the projection's preferred side, elbow up first), so each target gets the first
branch on which the leaning arm reaches it. Rows no start reaches (seen: near joint1's axis,
where the steps do not converge even from next to the answer) are left to the nearest
reachable pose.
"""

from __future__ import annotations

from ik_net_ros.arm import Arm
from ik_net_ros.kinematics.chain import chain_forward
from ik_net_ros.kinematics.limits import clamp_to_limits
from ik_net_ros.kinematics.planar import planar_chain
from ik_net_ros.kinematics.projection import project_both
from ik_net_ros.solver.leaning_chain import steps_to_pose, upright_of
from ik_net_ros.solver.real_jump import _goal, _miss, reach_from_seed
from ik_net_ros.solver.refine import gauss_newton_for_tilts
from ik_net_ros.solver.tilt_stage import has_corrections
import numpy as np

__all__ = ['reach_beyond_upright', 'SHRINKS', 'FOUND']

# fractions of the target's distance from the shoulder it is pulled in by for a start: 0 first
# (a target outside the limits, not the stretch, has a closed form), then millimetres (the
# leaning arm's stretch exceeds the upright's by about its origin deltas)
# m: a row counts as reached under this miss (the reach rule's measure). The steps aim at
# TILT_TOLERANCE; a row ending between the two (a slow, ill-conditioned one, where a batch's
# extra steps for other rows decide which side it ends on) is still taken, so that a pose gets
# the same branch alone as in any batch; the reach rule allows REACH_TOLERANCE (a millimetre)
FOUND = 1e-6
SHRINKS = (0.0, 0.003, -0.003, 0.01, -0.01, 0.03, -0.03)


def reach_beyond_upright(poses: np.ndarray, arm: Arm) -> tuple[np.ndarray, np.ndarray]:
    """
    Return joints (N, dof) rad of the leaning ``arm`` for validated ``poses`` (N, 7), and where.

    For targets the upright arm does not reach (any others are answered too, by the same
    rule). The joints are inside the limits and put the leaning arm's tool on the target to
    FOUND m, most to TILT_TOLERANCE (what the arm's answer fixes: the position and, of the
    orientation, the pitch; the OMX-F also the roll); found (N,) says where; elsewhere the
    joints are NaN.
    """
    poses = np.asarray(poses, dtype=float)
    out = np.full((len(poses), arm.dof), np.nan)
    upright = upright_of(arm)
    chain = planar_chain(upright)
    shoulder = np.array([chain.joint1_x, 0.0, chain.shoulder_z])
    todo = np.arange(len(poses))
    starts = {}  # shrink -> the upright closed form's branches (N, B, dof), preferred first
    for corrected in (False, True):
        for branch in range(4):  # every candidate: the projection's two sides, two elbows each
            for shrink in SHRINKS:
                if not todo.size:
                    return out, np.all(np.isfinite(out), axis=1)
                if shrink not in starts:
                    starts[shrink] = _branches(poses, shoulder, shrink, upright)
                start = starts[shrink][todo, branch]
                finite = np.all(np.isfinite(start), axis=1)
                rows, start = todo[finite], start[finite]
                if corrected and rows.size:
                    # the tilt stage's correction: the closed form of the target moved by what
                    # the errors move the tool at the start, in (or nearer) the upright reach
                    moved = poses[rows].copy()
                    moved[:, :3] += chain_forward(upright, start)[:, :3] \
                        - chain_forward(arm, start)[:, :3]
                    start = _branches(moved, shoulder, 0.0, upright)[:, branch]
                    finite = np.all(np.isfinite(start), axis=1)
                    rows, start = rows[finite], start[finite]
                if rows.size:
                    todo = np.setdiff1d(todo, _reach_from(start, rows, poses, arm, out),
                                        assume_unique=True)
    return out, np.all(np.isfinite(out), axis=1)


def _reach_from(start: np.ndarray, rows: np.ndarray, poses: np.ndarray, arm: Arm,
                out: np.ndarray) -> np.ndarray:
    """
    Step the leaning arm from ``start`` (M, dof) to ``poses[rows]``; return the rows reached.

    Their joints are written to ``out[rows]``.
    """
    with np.errstate(invalid='ignore'):
        q = reach_from_seed(clamp_to_limits(arm, start), poses[rows], arm)[0]
        if has_corrections(arm):
            # the reach rule's own measure (the x axis's height, leaning_reach's), which the
            # pitch as an angle matches only to micrometres: three more steps on it
            q = gauss_newton_for_tilts(q, _goal(poses[rows], arm), arm, iterations=3)
        else:  # what the arm can fix, read where it ends (the reach rule's), not the start
            q = steps_to_pose(q, poses[rows], arm, iterations=3)
        reached = _miss(q, poses[rows], arm) < FOUND
    out[rows[reached]] = q[reached]
    return rows[reached]


def _branches(poses: np.ndarray, shoulder: np.ndarray, shrink: float, upright: Arm
              ) -> np.ndarray:
    """
    Return the upright arm's closed-form branches (N, 4, dof) of ``poses`` pulled in by ``shrink``.

    Towards ``shoulder`` (3,) m by that fraction of their distance (negative: pushed out); the
    projection's preferred side's two elbows first, then the other side's
    (:func:`~ik_net_ros.kinematics.projection.project_both`); NaN where a branch does not exist.
    """
    moved = poses.copy()
    moved[:, :3] = shoulder + (poses[:, :3] - shoulder) * (1.0 - shrink)
    _, sides, back, _ = project_both(moved, upright)
    first = np.where(back[:, None, None], sides[1].joints, sides[0].joints)
    second = np.where(back[:, None, None], sides[0].joints, sides[1].joints)
    return np.concatenate([first, second], axis=1)
