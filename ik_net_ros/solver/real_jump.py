"""
The jump rule on the answer returned, judged in the real (leaning) arm.

The pipeline judges a seed's jump window in the planar arm; an arm whose joint axes lean has its
tool elsewhere (millimetres at tenths of a degree), so a target inside the real window can look
outside the planar one and get a far answer (joint1 the long way round). This final gate runs on
whatever a stage returned: a small change of the real tool pose never moves a joint more than
``max_jump`` nor turns joint1 the long way round.
"""

from __future__ import annotations

from ik_net_ros.arm import Arm
from ik_net_ros.errors import UnreachableError
from ik_net_ros.kinematics.chain import chain_tool
from ik_net_ros.kinematics.closed_forms import reaches
from ik_net_ros.kinematics.forward import leaning_reach
from ik_net_ros.kinematics.limits import clamp_to_limits
from ik_net_ros.kinematics.nearest import small_change
from ik_net_ros.kinematics.planar import planar_chain
from ik_net_ros.kinematics.validation import as_pose_array, validate_pose
from ik_net_ros.solver.leaning_chain import (
    movable_rows,
    pose_miss,
    pose_miss_one,
    steps_to_pose,
    upright_of,
)
from ik_net_ros.solver.refine import gauss_newton_for_tilts
from ik_net_ros.solver.tilt_stage import has_corrections, reach_miss_one
import numpy as np

__all__ = ['hold_real_jump_rule', 'reach_from_seed']

# m: an answer refined from the seed is taken only if the real tool's position and pitch (scaled
# by the tool length) are this close to the target's: the solver's accuracy elsewhere is
# micrometres, a millimetre is far above the refinement's residual and below any visible miss
REACH_TOLERANCE = 1e-3
SEED_STEPS = 12


def reach_from_seed(seeds: np.ndarray, targets: np.ndarray, arm: Arm
                    ) -> tuple[np.ndarray, np.ndarray]:
    """
    Refine the seeds (N, dof) rad until the real arm's tool reaches ``targets`` (N, 7).

    Damped Gauss-Newton steps on what the arm's answer fixes (the OM-X: the tool's position and
    pitch, the pitch as an angle (:func:`_pitch_reach`: well conditioned with the tool straight
    down); any arm: :func:`~ik_net_ros.solver.leaning_chain.steps_to_pose`) in ``arm`` (its
    axes may lean), every step inside the limits: for a small target change the seed (where the
    arm is) is the best start. Returns the joints and their miss (N,) in m (rotations scaled by
    the tool length).
    """
    q = clamp_to_limits(arm, np.array(seeds, dtype=float, ndmin=2))
    if not has_corrections(arm):  # not the tilt stage's corrections: the one chain's steps
        rows = movable_rows(arm, q)  # what the arm can fix, from the seed
        q = steps_to_pose(q, targets, arm, iterations=SEED_STEPS, rows=rows)
        return q, pose_miss(q, targets, arm, rows)
    heading, pitch = _pitch_of(targets, arm)
    goal = np.concatenate([targets[:, :3], np.zeros((len(q), 1))], axis=1)

    def reach(joints):
        return _pitch_reach(joints, arm, heading, pitch)
    # the tilt stage's own steps (one copy), run longer: a seed may start further off; the
    # pitch as an angle, not the x axis's height (flat where the tool points straight down)
    q = gauss_newton_for_tilts(q, goal, arm, iterations=SEED_STEPS, reach=reach)
    miss = np.linalg.norm(goal - reach(q)[0], axis=1)
    return q, np.where(np.all(np.isfinite(q), axis=1), miss, np.inf)


def _pitch_of(targets: np.ndarray, arm: Arm) -> tuple[np.ndarray, np.ndarray]:
    """
    Return the headings (N, 2) of targets (N, 7) about joint1's axis and their tools' pitch (N,).

    The heading: the target position's, from joint1's axis (on the axis, the tool x axis's;
    else x). The pitch: the tool x axis's angle above that heading, ``atan2(-u_z, u . e)``,
    rad, a function of the target alone (the leaning arm's values are taken along the same
    heading, so a target the arm reaches is reached at zero).
    """
    qx, qy, qz, qw = targets[:, 3:].T
    u = np.stack([1 - 2 * (qy * qy + qz * qz), 2 * (qx * qy + qz * qw),
                  2 * (qx * qz - qy * qw)], axis=1)
    heading = targets[:, :2] - [planar_chain(upright_of(arm)).joint1_x, 0.0]
    norm = np.linalg.norm(heading, axis=1)
    off_axis = norm > 1e-9
    heading = np.where(off_axis[:, None], heading, u[:, :2])
    norm = np.where(off_axis, norm, np.linalg.norm(u[:, :2], axis=1))
    heading = np.where((norm > 1e-9)[:, None], heading / np.where(norm > 1e-9, norm, 1.0)[:, None],
                       [1.0, 0.0])
    return heading, np.arctan2(-u[:, 2], np.einsum('ij,ij->i', u[:, :2], heading))


def _pitch_reach(joints: np.ndarray, arm: Arm, heading: np.ndarray, pitch: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray]:
    """
    Return the leaning arm's tool position and pitch miss (N, 4), m, and their Jacobian.

    The 4th value: the tool x axis's angle above ``heading`` (N, 2) less ``pitch`` (N,),
    wrapped, times the tool length; well conditioned at every pitch (the x axis's height,
    :func:`~ik_net_ros.kinematics.forward.leaning_reach`'s, is flat where it points straight
    down, and Gauss-Newton there wandered 0.2-0.4 rad along the arm's pitch). Jacobian
    (N, 4, dof).
    """
    tool = planar_chain(upright_of(arm)).tool
    position, rotation, axes, origins = chain_tool(arm, joints)
    u = rotation[:, :, 0]
    along = np.einsum('ij,ij->i', u[:, :2], heading)
    rise = -u[:, 2]
    angle = np.arctan2(rise, along)
    miss = angle - pitch
    miss -= 2 * np.pi * np.round(miss / (2 * np.pi))
    values = np.concatenate([position, tool * miss[:, None]], axis=1)
    turned = np.cross(axes, u[:, None, :])  # (N, dof, 3): d u / d q
    d_along = np.einsum('ijk,ik->ij', turned[:, :, :2], heading)
    scale = np.maximum(along * along + rise * rise, 1e-12)
    jac = np.empty((len(values), 4, arm.dof))
    jac[:, :3] = np.swapaxes(np.cross(axes, position[:, None, :] - origins), 1, 2)
    jac[:, 3] = tool * (along[:, None] * -turned[:, :, 2] - rise[:, None] * d_along) \
        / scale[:, None]
    return values, jac


def hold_real_jump_rule(solver, answers: np.ndarray, seed, poses, on_unreachable: str
                        ) -> np.ndarray:
    """
    Return ``answers`` (dof,) or (N, dof) with the jump rule and the reach kept in the real arm.

    Jump: where a requested pose is inside the jump window
    (:func:`~ik_net_ros.kinematics.nearest.small_change`) of the seed's real tool pose (in
    ``solver.arm``) and the answer breaks the rules the seed itself keeps
    (``solver._keeps_rules``: no move over ``max_jump``, joint1 never the long way round).
    Reach (with the tilt stage): where a reached target's real tool misses it by more than
    REACH_TOLERANCE (the tilt refinement was declined and the planar answer stood). Such an
    answer is replaced by the answer, or else the seed, refined towards the target in the real
    arm (:func:`reach_from_seed`) where that reaches, keeps the rules against the seed and is
    clear of ``solver.collision``; else the target is refused (with a seed and
    on_unreachable='nearest' the arm stays at the seed; without a seed and 'nearest' the answer
    stands: it is the nearest answer the solver has, reported as such by no one).

    Raises
    ------
    UnreachableError
        Some such answer has no replacement (on_unreachable='raise'), or with 'nearest' the
        arm would stay at a seed that is not clear.

    """
    arm = solver.arm
    if seed is None and solver.tilt_stage and np.ndim(answers) == 1:
        # the live node's unseeded case in plain floats: no jump rule without a seed, and the
        # reach holds where the real tool is on the target (else the full rule below decides)
        one, pose = answers.tolist(), validate_pose(poses)
        miss = reach_miss_one(one, pose, arm) if has_corrections(arm) \
            else pose_miss_one(one, pose, arm)
        if miss <= REACH_TOLERANCE:
            return answers
    q = np.array(answers, dtype=float, ndmin=2)
    p = np.broadcast_to(as_pose_array(poses)[0], (len(q), 7))
    reasons = np.full(len(q), '', dtype=object)
    s = None
    if seed is not None:
        s = clamp_to_limits(arm, np.broadcast_to(np.asarray(seed, dtype=float), q.shape))
        small, gaps = small_change(p, s, arm, gaps=True)
        jump = small & ~solver._keeps_rules(q, s, p, s)
        for k in np.flatnonzero(jump):
            reasons[k] = (f"a target {gaps[k] * 1000:.1f} mm from the leaning arm's tool would "
                          f'move a joint {np.abs(q[k] - s[k]).max():.2f} rad (more than '
                          f'max_jump or joint1 the long way round)')
    if solver.tilt_stage:
        miss = _miss(q, p, arm)
        off = miss > REACH_TOLERANCE
        if s is not None:
            off &= ~np.all(q == s, axis=1)  # the arm stays: not an answer for the target
        if on_unreachable == 'nearest' and off.any():
            # an unreachable target's answer is for the nearest reachable pose, not for it
            off[off] = reaches(p[off], solver.arm)
        for k in np.flatnonzero(off & (reasons == '')):
            reasons[k] = (f"the leaning arm's tool would miss the target by "
                          f'{miss[k] * 1000:.1f} mm (its tilt refinement was declined)')
    rows = np.flatnonzero(reasons != '')
    if rows.size == 0:
        return answers
    out = q.copy()
    todo = rows
    for start in (q, s):
        if start is None or todo.size == 0:
            continue
        cand, miss = reach_from_seed(start[todo], p[todo], arm)
        ok = miss <= REACH_TOLERANCE
        if s is not None:
            # inside the window the seed's short way is the rule; elsewhere the answer's
            chosen = np.where(small_change(p[todo], s[todo], arm)[:, None],
                              s[todo], q[todo])
            ok &= solver._keeps_rules(cand, s[todo], p[todo], chosen)
        if solver.collision is not None and ok.any():
            ok[ok] = solver.collision.check(cand[ok]).clear
        out[todo[ok]] = cand[ok]
        todo = todo[~ok]
    if todo.size:
        why = [f'{reasons[k]}, and no answer near it or the seed reaches it' for k in todo]
        if on_unreachable == 'raise':
            mask = np.zeros(len(q), bool)
            mask[todo] = True
            raise UnreachableError(mask, why, p[todo[0], :3], refused=True)
        if s is not None:
            solver._stay(s, todo, why, p)
            out[todo] = s[todo]
        else:
            out[todo] = q[todo]
    return out[0] if np.ndim(answers) == 1 else out


def _goal(targets: np.ndarray, arm: Arm) -> np.ndarray:
    """Return the tool position and pitch (N, 4) that targets (N, 7) ask of a planar arm, m."""
    qx, qy, qz, qw = targets[:, 3:].T
    tool = planar_chain(upright_of(arm)).tool
    # the tool x axis's height component, scaled by the tool length (as leaning_reach's)
    return np.concatenate([targets[:, :3], tool * (2 * (qx * qz - qy * qw))[:, None]], axis=1)


def _miss(joints: np.ndarray, targets: np.ndarray, arm: Arm) -> np.ndarray:
    """Return how far (N,) m the real tool of joints (N, dof) is from targets (N, 7)."""
    if not has_corrections(arm):
        return pose_miss(joints, targets, arm)
    if len(joints) == 1:  # the live node's case: plain floats, 20x faster than the chain walk
        return np.array([reach_miss_one(joints[0].tolist(), targets[0].tolist(), arm)])
    return np.linalg.norm(_goal(targets, arm) - leaning_reach(joints, arm)[0], axis=1)
