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
shoulder by SHRINKS (the closed form of a target out of reach does not exist; pulled in by a few
millimetres it does, and lies next to the answer), damped Gauss-Newton on the leaning chain
(:func:`~ik_net_ros.solver.real_jump.reach_from_seed`, the seed refinement's own steps, every
step inside the limits; then three steps on the reach rule's own measure) to
TILT_TOLERANCE, the tilt stage's, on the measure the reach rule judges the answer by. Branches are tried in the branch
rule's order of preference (elbow up first), so each target gets the first branch on which the
leaning arm reaches it. Rows no start reaches are left to the nearest reachable pose.
"""

from __future__ import annotations

from ik_net_ros.arm import Arm
from ik_net_ros.kinematics.limits import clamp_to_limits
from ik_net_ros.kinematics.planar import planar_chain
from ik_net_ros.kinematics.projection import project_both
from ik_net_ros.solver.leaning_chain import steps_to_pose, upright_of
from ik_net_ros.solver.real_jump import _goal, _miss, reach_from_seed
from ik_net_ros.solver.refine import gauss_newton_for_tilts, TILT_TOLERANCE
from ik_net_ros.solver.tilt_stage import has_corrections
import numpy as np

__all__ = ['reach_beyond_upright', 'SHRINKS']

# fractions of the target's distance from the shoulder it is pulled in by for a start: 0 first
# (a target outside the limits, not the stretch, has a closed form), then millimetres (the
# leaning arm's stretch exceeds the upright's by about its origin deltas)
SHRINKS = (0.0, 0.003, -0.003, 0.01, -0.01, 0.03, -0.03)


def reach_beyond_upright(poses: np.ndarray, arm: Arm) -> tuple[np.ndarray, np.ndarray]:
    """
    Return joints (N, dof) rad of the leaning ``arm`` for validated ``poses`` (N, 7), and where.

    For targets the upright arm does not reach (any others are answered too, by the same
    rule). The joints are inside the limits and put the leaning arm's tool on the target to
    TILT_TOLERANCE m (what the arm's answer fixes: the position and, of the orientation, the
    pitch; the OMX-F also the roll); found (N,) says where; elsewhere the joints are NaN.
    """
    poses = np.asarray(poses, dtype=float)
    out = np.full((len(poses), arm.dof), np.nan)
    upright = upright_of(arm)
    chain = planar_chain(upright)
    shoulder = np.array([chain.joint1_x, 0.0, chain.shoulder_z])
    todo = np.arange(len(poses))
    starts = {}  # shrink -> the upright closed form's branches (N, B, dof), preferred first
    for branch in range(4):  # every candidate: the projection's two sides, two elbows each
        for shrink in SHRINKS:
            if not todo.size:
                return out, np.all(np.isfinite(out), axis=1)
            if shrink not in starts:
                starts[shrink] = _branches(poses, shoulder, shrink, upright)
            start = starts[shrink][todo, branch]
            finite = np.all(np.isfinite(start), axis=1)
            if not finite.any():
                continue
            rows = todo[finite]
            with np.errstate(invalid='ignore'):
                q = reach_from_seed(clamp_to_limits(arm, start[finite]), poses[rows], arm)[0]
                if has_corrections(arm):
                    # the reach rule's own measure (the x axis's height, leaning_reach's), which
                    # the pitch as an angle matches only to micrometres: three more steps on it
                    q = gauss_newton_for_tilts(q, _goal(poses[rows], arm), arm, iterations=3)
                else:  # what the arm can fix, read where it ends (the reach rule's) not the start
                    q = steps_to_pose(q, poses[rows], arm, iterations=3)
                miss = _miss(q, poses[rows], arm)
            reached = miss < TILT_TOLERANCE
            out[rows[reached]] = q[reached]
            todo = np.setdiff1d(todo, rows[reached], assume_unique=True)
    return out, np.all(np.isfinite(out), axis=1)


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
