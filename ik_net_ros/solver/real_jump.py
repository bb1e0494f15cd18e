"""
The jump rule on the answer returned, judged in the real (leaning) arm.

The pipeline judges a seed's jump window in the planar arm; an arm whose joint axes lean has its
tool elsewhere (millimetres at tenths of a degree), so a target inside the real window can look
outside the planar one and get a far answer (joint1 the long way round). This final gate runs on
whatever a stage returned: a small change of the real tool pose never moves a joint more than
``max_jump`` nor turns joint1 the long way round.
"""

from __future__ import annotations

from ik_net_ros.errors import UnreachableError
from ik_net_ros.kinematics import clamp_to_limits, JOINT_LOWER, JOINT_UPPER
from ik_net_ros.kinematics.forward import leaning_reach
from ik_net_ros.kinematics.nearest import SEAM, small_change
from ik_net_ros.kinematics.validation import as_pose_array
import numpy as np

__all__ = ['hold_real_jump_rule', 'reach_from_seed']

# m: an answer refined from the seed is taken only if the real tool's position and pitch (scaled
# by the tool length) are this close to the target's: the solver's accuracy elsewhere is
# micrometres, a millimetre is far above the refinement's residual and below any visible miss
REACH_TOLERANCE = 1e-3
SEED_STEPS = 12
SEED_DAMPING = 1e-8  # m^2: keeps the step small near the wrist's singularity


def reach_from_seed(seeds: np.ndarray, targets: np.ndarray, arm) -> tuple[np.ndarray, np.ndarray]:
    """
    Refine the seeds (N, 4) rad until the real arm's tool reaches ``targets`` (N, 7).

    Damped Gauss-Newton steps on the tool's position and pitch in ``arm`` (an
    :class:`~ik_net_ros.kinematics.ArmGeometry` whose axes may lean), every step inside the
    limits: for a small target change the seed (where the arm is) is the best start. Returns the
    joints and their miss (N,) in m (position and pitch scaled by the tool length).
    """
    q = clamp_to_limits(np.array(seeds, dtype=float, ndmin=2))
    qx, qy, qz, qw = targets[:, 3:].T
    # the tool x axis's height component (what a 4-DOF arm's answer fixes besides the position)
    goal = np.concatenate([targets[:, :3], arm.tool * (2 * (qx * qz - qy * qw))[:, None]], axis=1)
    for _ in range(SEED_STEPS):
        reached, jac = leaning_reach(q, arm)
        error = goal - reached
        jt = np.swapaxes(jac, 1, 2)
        step = np.linalg.solve(jt @ jac + SEED_DAMPING * np.eye(4), jt @ error[:, :, None])
        q = np.clip(q + step[:, :, 0], JOINT_LOWER, JOINT_UPPER)
    miss = np.linalg.norm(goal - leaning_reach(q, arm)[0], axis=1)
    return q, np.where(np.all(np.isfinite(q), axis=1), miss, np.inf)


def hold_real_jump_rule(solver, answers: np.ndarray, seed, poses, on_unreachable: str
                        ) -> np.ndarray:
    """
    Return ``answers`` (4,) or (N, 4) with the jump rule kept in ``solver.arm_geometry``.

    Where a requested pose is inside the jump window
    (:func:`~ik_net_ros.kinematics.nearest.small_change`) of the seed's real tool pose and the
    answer moves a joint more than ``solver.max_jump`` or joint1 more than half a turn, the seed
    refined towards the target in the real arm (:func:`reach_from_seed`) replaces it if it
    reaches (REACH_TOLERANCE), keeps those rules and is clear of ``solver.collision``.

    Raises
    ------
    UnreachableError
        Some such answer has no replacement (on_unreachable='raise'), or with 'nearest' the
        arm would stay at a seed that is not clear.

    """
    q = np.array(answers, dtype=float, ndmin=2)
    s = clamp_to_limits(np.broadcast_to(np.asarray(seed, dtype=float), q.shape))
    p = np.broadcast_to(as_pose_array(poses)[0], (len(q), 7))
    move = np.abs(q - s)
    far = move[:, 0] > SEAM
    if solver.max_jump is not None:
        far |= move.max(axis=1) > solver.max_jump
    rows = np.flatnonzero(far)
    if rows.size:
        rows = rows[small_change(p[rows], s[rows], solver.arm_geometry)]
    if rows.size == 0:
        return answers
    out = q.copy()
    cand, miss = reach_from_seed(s[rows], p[rows], solver.arm_geometry)
    step = np.abs(cand - s[rows])
    ok = (miss <= REACH_TOLERANCE) & (step[:, 0] <= SEAM)
    if solver.max_jump is not None:
        ok &= step.max(axis=1) <= solver.max_jump
    if solver.collision is not None and ok.any():
        ok[ok] = solver.collision.check(cand[ok]).clear
    out[rows[ok]] = cand[ok]
    bad = rows[~ok]
    if bad.size:
        reasons = [f'a target {gap * 1000:.1f} mm from the leaning arm\'s tool would move a '
                   f'joint {move[k].max():.2f} rad (more than max_jump '
                   f'{solver.max_jump} rad or joint1 the long way round), and no answer near '
                   f'the seed reaches it' for k, gap in
                   zip(bad, small_change(p[bad], s[bad], solver.arm_geometry, gaps=True)[1])]
        if on_unreachable == 'raise':
            mask = np.zeros(len(q), bool)
            mask[bad] = True
            raise UnreachableError(mask, reasons, p[bad[0], :3], refused=True)
        solver._stay(s, bad, reasons, p)
        out[bad] = s[bad]
    return out[0] if np.ndim(answers) == 1 else out
