"""
The one way to turn poses into joints.

:class:`Solver` validates, projects, checks reachability, runs a subclass's ``_solve``, clamps, and
optionally refines.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import replace
import logging
import math

from ik_net_ros.arm import Arm, arm_or_default
from ik_net_ros.errors import (
    ConfigError,
    InvalidJointsError,
    InvalidPoseError,
    UnreachableError,
)
from ik_net_ros.kinematics import (
    IkSolutions,
    project_and_solve,
    REASONS,
)
from ik_net_ros.kinematics.closed_forms import closed_form_kind, NoClosedFormError, UR
from ik_net_ros.kinematics.closest_reachable import closest_reachable, nearest_clear
from ik_net_ros.kinematics.collision import CollisionModel
from ik_net_ros.kinematics.inverse import closed_form
from ik_net_ros.kinematics.limits import clamp_one, clamp_to_limits
from ik_net_ros.kinematics.nearest import (
    BRANCH_MATCH,
    DEFAULT_MAX_JUMP,
    nearest_solutions,
    SEAM,
    small_change,
)
from ik_net_ros.kinematics.nearest_one import seeded_candidates_one, small_change_one
from ik_net_ros.kinematics.projection_one_pose import OneSolution, project_and_solve_one
from ik_net_ros.kinematics.validation import (
    as_joint_array,
    as_pose_array,
    check_pose_rows,
    pose_rows,
    validate_pose,
)
from ik_net_ros.solver.beyond_upright import reach_beyond_upright
from ik_net_ros.solver.parallel import pipeline, worker_count
from ik_net_ros.solver.real_jump import hold_real_jump_rule
from ik_net_ros.solver.refine import refine_joints
from ik_net_ros.solver.tilt_stage import refine_for_tilts
from ik_net_ros.solver.ur_pipeline import solve_ur
import numpy as np

__all__ = ['Solver', 'ON_UNREACHABLE']

log = logging.getLogger(__name__)
ON_UNREACHABLE = ('raise', 'nearest')
SMALL_BATCH = 64  # up to this many poses, solve() runs the single-pose pipeline per pose
BATCH_CHUNK = 4096  # poses per chunk of a large batch: its arrays stay in the L2 cache
# rad in every joint within which a single seeded target's rule-side solution is taken without
# weighing the other candidates (each of which is at least pi - FAST_STEP away in joint1)
FAST_STEP = 0.1


def _is_single_pose(poses) -> bool:
    """One pose given as a flat sequence of 7 numbers (the live node's case)."""
    if isinstance(poses, np.ndarray):
        return poses.ndim == 1
    return (isinstance(poses, (list, tuple)) and len(poses) > 0
            and not isinstance(poses[0], (list, tuple, np.ndarray)))


class Solver(ABC):
    """
    Inverse kinematics for one arm (an :class:`~ik_net_ros.arm.Arm`, any number of joints).

    What the pipeline needs from the arm's shape: a closed form (projection of a pose onto what
    the arm can take, every solution, a branch rule, the one nearest a seed) in the kinematics
    layer, picked by :func:`~ik_net_ros.kinematics.closed_forms.closed_form_kind` (:attr:`kind`).
    The planar pitch chain under a base yaw (the OM-X, the OMX-F) runs the pipeline below; the
    UR layout (the OMY: every orientation its own, eight branches) runs
    :func:`~ik_net_ros.solver.ur_pipeline.solve_ur` under the same rules (limits, collision,
    jump, long way round); both then go through the tilt stage of a leaning arm.

    Attributes
    ----------
    name
        What :func:`ik_net_ros.load_solver` was given ('analytic', 'focused', a path...).
    device
        'cpu' or 'cuda' (the analytic solver is always 'cpu').
    arm
        The real arm, its errors (a calibration's offsets, origin deltas, leaning axes)
        included: the one the collision model checks (see :attr:`collision`).
    planar_arm
        The arm the pipeline solves in: :attr:`arm` with its axes upright (``arm.upright()``).
    collision
        A :class:`~ik_net_ros.kinematics.collision.CollisionModel` no answer may hit, or
        None. One made for :attr:`planar_arm` is taken as made for :attr:`arm` (the arm that
        moves is the real one, leaning axes included).
    max_jump
        rad a seeded answer may move a joint for a small target change (None: no limit).
    allow_long_moves
        Whether a seeded target beyond the jump window whose only safe solution turns
        joint1 more than half a turn is answered (a long move, timed and checked by the
        driver); False refuses it. A small target change never swings joint1 round.

    """

    name: str = 'solver'
    device: str = 'cpu'
    # poses per chunk of a large batch (None: all at once) and whether chunks may run on
    # several threads at once (solvers whose work releases the GIL)
    batch_chunk: int | None = BATCH_CHUNK
    parallel: bool = True
    # the smallest chunk worth handing to another thread: its work must outweigh the hand-off
    # (make bench's cost-per-pose curve: 512 for a network, 4096 for the closed form)
    min_chunk: int = 512
    # whether ``_solve`` reads the closed-form joints of its batch (``solutions.joints``),
    # or only needs the targets (reachability is checked either way)
    uses_closed_form: bool = True
    # whether the answers are the closed form itself: then the safe candidate is the answer
    exact: bool = False
    # whether answers are refined for an arm whose axes lean (a correction model's own answers
    # learned the real arm already: False)
    tilt_stage: bool = True

    def __init__(self, arm: Arm | None = None):
        # the pipeline (projection, closed form, candidates, safety) runs in the planar arm; an
        # arm whose joint axes lean (a calibration found them) gets each answer refined in its
        # own geometry at the end, held to the same rules (see _through_tilts)
        self.arm = arm_or_default(arm)
        # what no answer may hit (the table, the arm's own base...); None: not checked
        self.collision = None
        # rad a seeded answer may move a joint for a small target change (None: no limit)
        self.max_jump: float | None = DEFAULT_MAX_JUMP
        self.allow_long_moves = True

    @property
    def arm(self) -> Arm:
        """Return the real arm, its errors included."""
        return self._arm

    @arm.setter
    def arm(self, arm: Arm) -> None:
        if not isinstance(arm, Arm):
            raise TypeError(f'expected an Arm, got {type(arm).__name__}')
        self._arm = arm
        self.planar_arm = arm.upright()
        self.leaning = arm.has_tilts
        try:  # which closed form the pipeline runs (kinematics/closed_forms.py decides)
            self.kind = closed_form_kind(arm)
        except NoClosedFormError:
            self.kind = None  # the planar pipeline says what is missing when asked to solve
        # the joints whose +-pi seam the long-way rule watches: joint1 on a planar arm (its
        # other joints' moves follow the pose), every joint of a 6-DOF arm that turns freely
        self._seam = slice(None) if self.kind == UR else slice(0, 1)

    @property
    def collision(self) -> CollisionModel | None:
        """Return what no answer may hit, checked in :attr:`arm` (None: not checked)."""
        return self._collision

    @collision.setter
    def collision(self, model: CollisionModel | None) -> None:
        # callers build the model from the planar pipeline's arm: the leaning arm's links are
        # elsewhere (3.7 mm at 0.4 deg, 11 mm into the table at 3 deg)
        if model is not None and self.leaning and model.arm == self.planar_arm:
            model = replace(model, arm=self.arm)
        self._collision = model

    def _solve_safe(self, poses, seed, refine: bool, on_unreachable: str) -> np.ndarray:
        """
        solve() with a seed or a collision model.

        Every safe candidate of each target
        (:func:`~ik_net_ros.kinematics.nearest.nearest_solutions`), the one nearest the seed
        (without a seed: nearest the branch rule's answer, with no jump or seam rule), then this
        solver's own answer where it lies on that candidate's branch, is clear and keeps the
        rules the candidate keeps (:meth:`_keeps_rules`).
        """
        if seed is not None and _is_single_pose(poses):
            fast = self._seeded_one(poses, seed, refine)
            if fast is not None:
                return fast
        p, single = as_pose_array(poses)
        if seed is None:
            targets, solutions = project_and_solve(p, self.planar_arm)
            seeds = closed_form(solutions)
            guarded = False
        else:
            q, _ = as_joint_array(seed, 'seed', self.arm)
            if len(q) not in (1, len(p)):
                raise InvalidJointsError(f'seed: {len(q)} rows for {len(p)} poses')
            seeds = clamp_to_limits(self.arm, np.broadcast_to(q, (len(p), self.arm.dof)))
            guarded = True
        found = nearest_solutions(p, seeds, self.planar_arm, self._candidate_check(),
                                  self.max_jump if guarded else None, long_way=guarded,
                                  long_moves=self.allow_long_moves, exact_first=not guarded)
        if not guarded and on_unreachable == 'nearest' and not found.ok.all():
            self._nearest_safe(p, found)
        joints = found.joints
        rows = np.flatnonzero(found.ok)
        if rows.size and not self.exact:
            answers, own = self._own_answers(found.targets[rows], joints[rows], refine)
            if guarded and own.any():
                own[own] = self._keeps_rules(answers[own], seeds[rows[own]], p[rows[own]],
                                             joints[rows[own]])
            joints[rows[own]] = answers[own]
        if not found.ok.all():
            bad = np.flatnonzero(~found.ok)
            reasons = [found.reasons[i] for i in bad]
            # without a seed no answer is known to be safe for these: refused either way
            if on_unreachable == 'raise' or not guarded:
                raise UnreachableError(~found.ok, reasons, p[bad[0], :3], refused=True)
            self._stay(seeds, bad, reasons, p)
            joints[bad] = seeds[bad]  # 'nearest': the arm stays
        joints = self._finite(clamp_to_limits(self.arm, joints))
        return joints[0] if single else joints

    def _stay(self, seeds: np.ndarray, bad: np.ndarray, reasons: list[str], p: np.ndarray
              ) -> None:
        """
        Check that the arm may stay at the seeds of refused rows ``bad`` ('nearest').

        Raises
        ------
        UnreachableError
            Some seed is not clear of the collision model (where the arm is, or was last
            commanded, is no safe answer either).

        """
        if self.collision is None:
            return
        report = self.collision.check(seeds[bad])
        if report.clear.all():
            return
        mask = np.zeros(len(seeds), bool)
        mask[bad[~report.clear]] = True
        why = [f'{reason}; and the seed (where the arm would stay) is not clear: '
               f'{report.reason(k)}' for k, reason in enumerate(reasons) if not report.clear[k]]
        raise UnreachableError(mask, why, p[int(np.argmax(mask)), :3], refused=True)

    def _nearest_safe(self, p: np.ndarray, found) -> None:
        """
        Fill the refused rows of ``found`` (no seed, on_unreachable='nearest') in place.

        Each gets the safe solution of the reachable pose nearest its target, raised over the
        table where that has none clear of the collision model
        (:func:`~ik_net_ros.kinematics.closest_reachable.nearest_clear`, the one rule). Rows
        none of these fit stay refused.
        """
        rows = np.flatnonzero(~found.ok)

        def solve_rows(near: np.ndarray, pending: np.ndarray) -> np.ndarray:
            _, solutions = project_and_solve(near, self.planar_arm)
            again = nearest_solutions(near, closed_form(solutions), self.planar_arm,
                                      self._candidate_check(), None, long_way=False,
                                      exact_first=True)
            done = rows[pending[again.ok]]
            found.joints[done] = again.joints[again.ok]
            found.targets[done] = again.targets[again.ok]
            found.ok[done] = True
            return again.ok

        nearest_clear(p[rows], self.planar_arm, self.collision, solve_rows)

    def _candidate_check(self):
        """
        Return what judges the clearance of candidates: the collision model, or None.

        For an arm whose axes lean and whose answers the tilt stage refines, a candidate is
        clear where it or its refinement is: the answer it becomes (:meth:`_through_tilts`
        takes whichever is clear, and refuses where neither is).
        """
        if self.collision is None or not self.leaning or not self.tilt_stage:
            return self.collision
        return _LeaningCheck(self.collision, self.arm)

    def _keeps_rules(self, answers: np.ndarray, seeds: np.ndarray, poses,
                     chosen: np.ndarray) -> np.ndarray:
        """
        Return (M,) True where ``answers`` (M, dof) may replace the safe ``chosen`` (M, dof).

        The rules ``chosen`` keeps relative to the (clamped) ``seeds`` (M, dof): finite; never
        the long way round (joint1 more than half a turn) where ``chosen`` was not a long move;
        no move over ``max_jump`` for a small change of the requested ``poses`` (M, 7; their
        jump window, around the seed's real tool pose in :attr:`arm`, is looked at only
        where some answer moves more). Limits are the caller's
        (answers are clamped) and so is the collision check.
        """
        ok = np.all(np.isfinite(answers), axis=1)
        move = np.abs(answers - seeds)
        seam = self._seam
        ok &= (move[:, seam].max(axis=1) <= SEAM) \
            | (np.abs(chosen[:, seam] - seeds[:, seam]).max(axis=1) > SEAM)
        if self.max_jump is not None:
            over = np.flatnonzero(ok & (move.max(axis=1) > self.max_jump))
            if over.size:
                p = as_pose_array(poses)[0]
                ok[over] = ~small_change(p[over], seeds[over], self.arm)
        return ok

    def _seeded_one(self, pose, seed, refine: bool) -> np.ndarray | None:
        """
        Solve the live node's case, one seeded pose, in plain floats.

        A small step: the projection (the rule's yaw side) has a solution inside the limits
        within FAST_STEP rad of the seed in every joint. That is the nearest exact candidate (the
        other side's differ from it by pi in joint1) and no jump or seam rule can apply to it. A
        far target: the rule's candidates nearest the seed first
        (:func:`~ik_net_ros.kinematics.nearest_one.seeded_candidates_one`), the first clear one,
        refused by the jump rule as the vectorised rule refuses. Then this solver's own answer
        where it is on that candidate's branch, keeps the rules and is clear. None: the full
        rule decides (and says why it refuses).

        The collision model is asked once per candidate weighed (the answer sent is one of
        them; a network's own answer, sent in its place, is asked itself): the solver's check
        of the answer is the one check (the ik node sends what this returns).
        """
        try:
            q = clamp_one(self.arm, [float(v) for v in seed])
        except (TypeError, ValueError):
            return None
        if len(q) != self.arm.dof or not math.isfinite(sum(q)):
            return None  # the full rule says what is wrong
        valid_pose = validate_pose(pose)
        target, solution = project_and_solve_one(valid_pose, self.planar_arm, both=True)
        best, step = None, FAST_STEP
        for joints, valid in zip(solution.joints, solution.valid):
            if valid and joints is not None:
                move = max(abs(a - b) for a, b in zip(joints, q))
                if move <= step:
                    best, step = joints, move
        if best is not None:
            if self.max_jump is not None and step > self.max_jump:
                return None
            best = clamp_one(self.arm, list(best))
            if self.collision is not None and not self.collision.clear_one(best):
                return None
        else:
            found = self._far_one(valid_pose, q)
            if found is None:
                return None
            target, solution, best = found
        answer = best if self.exact else self._own_one(target, solution, best, q, valid_pose,
                                                       refine)
        return np.array(answer)

    def _far_one(self, pose: list[float], q: list[float]
                 ) -> tuple[list[float], OneSolution, list[float]] | None:
        """
        Return (projected pose, its closed form, joints) of a far target's safe candidate.

        The candidate nearest ``q``, or None.

        The first clear of the rule's candidates, kept where the jump rule allows it; None where
        the full rule must decide (a candidate that is not clear may be clear once refined for a
        leaning arm's axes; a refusal is worded there).
        """
        found = seeded_candidates_one(pose, q, self.planar_arm)
        if found is None:
            return None
        target, solution, candidates = found
        # inside the limits as sent (a strict solution may lie 1e-15 rad past one): the
        # configuration checked is the one answered
        candidates = [clamp_one(self.arm, c) for c in candidates]
        best = candidates[0]
        if self.collision is not None:
            leaning = self.leaning and self.tilt_stage  # see _candidate_check
            for joints in candidates:
                if self.collision.clear_one(joints):
                    best = joints
                    break
                if leaning:
                    return None
            else:
                return None
        if self.max_jump is not None and max(abs(a - b) for a, b in zip(best, q)) > \
                self.max_jump and small_change_one(pose, q, self.planar_arm):
            return None  # refused: the vectorised rule says which joint jumps and by how much
        return target, solution, best

    def _own_one(self, target: list[float], solution: OneSolution, best: list[float],
                 q: list[float], pose: list[float], refine: bool) -> list[float]:
        """
        Return this solver's answer for ``target`` where it may replace ``best``, else ``best``.

        ``solution``: the closed form of ``target``. May replace: finite, on the branch of
        ``best`` (BRANCH_MATCH), the rules ``best`` keeps against the seed ``q``
        (:meth:`_keeps_rules`, in plain floats here) and clear.
        """
        with np.errstate(all='ignore'):
            own = clamp_one(self.arm, self._solve_one(target, solution).tolist())
            if refine:
                own = clamp_one(self.arm, refine_joints(
                    np.array([target]), np.array([own]), self.planar_arm)[0].tolist())
        if not math.isfinite(sum(own)) or max(abs(a - b) for a, b in zip(own, best)) > \
                BRANCH_MATCH:
            return best
        move = [abs(a - b) for a, b in zip(own, q)]
        if move[0] > SEAM and abs(best[0] - q[0]) <= SEAM:
            return best  # the long way round where best is not
        if self.max_jump is not None and max(move) > self.max_jump and \
                small_change_one(pose, q, self.arm):
            return best
        if self.collision is not None and not self.collision.clear_one(own):
            return best
        return own

    def _own_answers(self, targets: np.ndarray, chosen: np.ndarray, refine: bool
                     ) -> tuple[np.ndarray, np.ndarray]:
        """
        Return this solver's answers (M, dof) for projected ``targets``, where each may be used.

        An answer may replace the safe ``chosen`` candidate where it is finite, on its branch
        (within BRANCH_MATCH rad of it in every joint) and clear.
        """
        # the targets are projected already; a network that makes its own joints needs no
        # closed form of them
        solutions = project_and_solve(targets, self.planar_arm)[1] if self.uses_closed_form \
            else None
        with np.errstate(all='ignore'):
            answers = clamp_to_limits(self.arm, self._solve(targets, solutions))
            if refine:
                answers = clamp_to_limits(self.arm,
                                          refine_joints(targets, answers, self.planar_arm))
            near = np.all(np.abs(answers - chosen) <= BRANCH_MATCH, axis=1)
        check = self._candidate_check()
        if check is not None and near.any():
            clear = np.zeros(len(near), bool)
            clear[near] = check.check(answers[near]).clear
            near &= clear
        return answers, near

    def solve(self, poses, refine: bool = False, on_unreachable: str = 'raise',
              seed=None) -> np.ndarray:
        """
        Joints for target poses.

        Parameters
        ----------
        poses
            (7,) or (N, 7) [x, y, z, qx, qy, qz, qw]; metres, base frame. Quaternions are
            normalised; orientations the arm cannot take are projected (see
            :mod:`ik_net_ros.kinematics.projection`).
        refine
            Add damped Gauss-Newton steps with the analytic Jacobian.
        on_unreachable
            'raise' (default) or 'nearest': answer an unreachable target with
            the solution of the reachable pose nearest it, the position first, then the
            orientation (:mod:`~ik_net_ros.kinematics.closest_reachable`); with a
            collision model and no seed: of the nearest reachable pose that has a clear
            solution (that pose raised over the table where it has none); with a seed, a
            target refused for any reason gets the seed itself (the arm stays where it is),
            where the seed is clear.
        seed
            (dof,) or (N, dof) joints in rad where the arm is (or was last commanded): each
            target then gets its solution nearest the seed, never a jump nor the long way
            round for a small target change (see :mod:`ik_net_ros.kinematics.nearest`; a far
            target reached only the long way round is a long move, answered unless
            :attr:`allow_long_moves` is False); a network's answer is kept where it is on
            that solution's branch and keeps the rules it keeps, else the exact closed form
            of that branch is returned. None: the branch rule (elbow up where it is inside
            the limits).

        With :attr:`collision` set (a :class:`~ik_net_ros.kinematics.collision.CollisionModel`)
        no answer is in collision in :attr:`arm` (a leaning arm's too): another
        solution that is clear is taken, or the target is refused.

        Returns
        -------
        (dof,) or (N, dof) the arm's joints in chain order (rad; m for a prismatic joint),
        always inside the joint limits.

        Raises
        ------
        InvalidPoseError
            Not real numbers, wrong shape, NaN/inf, a coordinate beyond
            1 km, a zero quaternion, or (never expected) no finite answer.
        UnreachableError
            Some target is out of reach, or (with a seed or a collision
            model) has no safe solution (``.mask`` tells which, ``.reasons`` why), unless
            on_unreachable='nearest'.
        InvalidJointsError
            A seed that is not ``arm.dof`` finite values per pose.
        ConfigError
            Bad ``on_unreachable``.

        """
        if on_unreachable not in ON_UNREACHABLE:
            raise ConfigError(f'on_unreachable must be one of {ON_UNREACHABLE}, '
                              f'got {on_unreachable!r}')
        if self.leaning and self.tilt_stage and seed is None and self.collision is None \
                and on_unreachable == 'nearest' and self.kind != UR:
            return self._solve_beyond_upright(poses, refine)
        return self._solve_checked(poses, refine, on_unreachable, seed)

    def _solve_beyond_upright(self, poses, refine: bool) -> np.ndarray:
        """
        Return :meth:`solve` of a leaning arm's ``poses`` with 'nearest', no seed, no collision.

        Targets the upright (planar) arm does not reach are answered in the leaning arm itself,
        exactly, where it reaches them (:func:`~ik_net_ros.solver.beyond_upright.
        reach_beyond_upright`, vectorised); the rest by the pipeline (:meth:`_solve_checked`):
        only those the leaning arm does not reach either go to the nearest reachable pose.
        """
        if _is_single_pose(poses):  # the live node's case: the one-pose projection (plain floats)
            pose = validate_pose(poses)
            target, solution = project_and_solve_one(pose, self.planar_arm, both=False)
            if solution.reachable:  # _solve_checked's single pose, projected once
                return self._leaning_tail(self._solve_projected_one(
                    pose, target, solution, refine, 'nearest'), None, pose, 'nearest')
            p, single = np.array([pose]), True
        else:
            p, single = pose_rows(poses)
            check_pose_rows(p)
            reach = project_and_solve(p, self.planar_arm, closed_form=False)[1].reachable
            if reach.all():
                return self._solve_checked(p, refine, 'nearest', None)
        reach = np.zeros(len(p), bool) if single else reach
        out = np.empty((len(p), self.arm.dof))
        beyond = np.flatnonzero(~reach)
        joints, found = reach_beyond_upright(p[beyond], self.arm)
        out[beyond[found]] = joints[found]
        rest = np.ones(len(p), bool)
        rest[beyond[found]] = False
        if rest.any():
            out[rest] = self._solve_checked(p[rest], refine, 'nearest', None)
        return out[0] if single else out

    def _solve_checked(self, poses, refine: bool, on_unreachable: str, seed) -> np.ndarray:
        """:meth:`solve` after its arguments are checked."""
        if self.kind == UR:  # every branch of the 6-DOF closed form (solver/ur_pipeline.py)
            joints = self._ur_answers(poses, solve_ur(
                self, poses, seed, on_unreachable, _is_single_pose(poses), refine), seed)
        elif seed is not None or self.collision is not None:
            joints = self._solve_safe(poses, seed, refine, on_unreachable)
        elif _is_single_pose(poses):
            joints = self._solve_single(poses, refine, on_unreachable)
        else:
            p, single = pose_rows(poses)
            joints = self._solve_rows(p, on_unreachable) if len(p) <= SMALL_BATCH \
                and not refine else self._solve_batch(p, refine, on_unreachable)
            joints = joints[0] if single else joints
        return self._leaning_tail(joints, seed, poses, on_unreachable)

    def _leaning_tail(self, joints: np.ndarray, seed, poses, on_unreachable: str
                      ) -> np.ndarray:
        """Return the planar pipeline's ``joints`` as :meth:`solve` sends them (leaning arm)."""
        if not self.leaning:
            return joints
        if self.tilt_stage:
            joints = self._through_tilts(joints, seed, poses, on_unreachable)
        # the stages ran in the planar arm: the jump rule and the reach hold on the answer
        # returned, judged where the leaning arm's tool really is
        return hold_real_jump_rule(self, joints, seed, poses, on_unreachable)

    def _ur_answers(self, poses, joints: np.ndarray, seed) -> np.ndarray:
        """Return the UR pipeline's safe ``joints`` as this solver sends them: unchanged."""
        return joints

    def _through_tilts(self, joints: np.ndarray, seed, poses, on_unreachable: str = 'raise'
                       ) -> np.ndarray:
        """
        Return the answers refined for the arm whose joint axes lean, where that is safe.

        Each answer (safe in the planar arm) is refined until the tilted arm's tool reaches the
        pose the planar arm's tool would (:func:`~ik_net_ros.solver.refine.refine_for_tilts`,
        every step inside the limits). The refined answer replaces it only where it moved no
        joint more than TILT_STEP, is clear (with a collision model: in the leaning arm, as the
        planar answer was checked), and, with a seed, keeps the rules the planar answer keeps
        (:meth:`_keeps_rules`: no jump for a small target change, no long way round); else the
        planar answer stands where it is clear in the leaning arm; where it is not, the target is
        refused (with a seed and 'nearest': the arm stays at the seed, where that is clear). An
        answer that is the seed itself (a target refused with 'nearest': the arm stays where it
        is) is never refined.
        """
        q = np.array(joints, dtype=float, ndmin=2)
        refined, ok = refine_for_tilts(q, self.arm)
        if self.collision is not None and ok.any():
            ok[ok] = self.collision.check(refined[ok]).clear
        if seed is not None and ok.any():
            s = clamp_to_limits(self.arm, np.broadcast_to(np.asarray(seed, dtype=float), q.shape))
            ok &= ~np.all(q == s, axis=1)
            rows = np.flatnonzero(ok)
            if rows.size:
                p = np.asarray(poses, dtype=float).reshape(-1, 7)
                ok[rows] = self._keeps_rules(refined[rows], s[rows],
                                             np.broadcast_to(p, (len(q), 7))[rows], q[rows])
        out = np.where(ok[:, None], refined, q)
        if self.collision is not None and not ok.all():
            # a planar answer stands: it must be clear where the arm really is
            rows = np.flatnonzero(~ok)
            report = self.collision.check(q[rows])
            if not report.clear.all():
                bad = rows[~report.clear]
                reasons = [f'the leaning arm: {report.reason(k)}'
                           for k in np.flatnonzero(~report.clear)]
                p = np.broadcast_to(np.asarray(poses, dtype=float).reshape(-1, 7), (len(q), 7))
                if seed is None or on_unreachable == 'raise':
                    mask = np.zeros(len(q), bool)
                    mask[bad] = True
                    raise UnreachableError(mask, reasons, p[bad[0], :3], refused=True)
                s = clamp_to_limits(self.arm,
                                    np.broadcast_to(np.asarray(seed, dtype=float), q.shape))
                self._stay(s, bad, reasons, p)
                out[bad] = s[bad]
        return out[0] if np.ndim(joints) == 1 else out

    def _solve_batch(self, p: np.ndarray, refine: bool, on_unreachable: str) -> np.ndarray:
        """
        Solve poses (N, 7) from :func:`pose_rows` in chunks of ``batch_chunk``.

        Chunks keep their arrays in cache: each chunk is validated, projected and checked for reach
        (one chunk at a time), then solved (network, clamping, refinement) while another chunk is
        prepared, on the worker threads where the solver's work releases the GIL (``parallel``; see
        :func:`~ik_net_ros.solver.parallel.pipeline`). Errors are the one-pass pipeline's: a bad
        pose anywhere is reported with the whole batch's count and first index.
        """
        chunks = [p[i:i + size] for size in [self.chunk_size(len(p))]
                  for i in range(0, len(p), size)]
        stop = on_unreachable == 'raise'
        reach: list = [None] * len(chunks)  # (reachable, reason) of each chunk
        failed = broken = False

        def prepare(index: int, rows: np.ndarray):
            nonlocal failed, broken
            if broken:  # another chunk's poses are invalid: the batch raises
                return None
            try:
                check_pose_rows(rows)
            except InvalidPoseError:
                broken = True
                check_pose_rows(p)  # raises the batch's message (count, first index)
                raise  # never expected: the chunk's error is the batch's
            targets, solutions = project_and_solve(rows, self.planar_arm, self.uses_closed_form)
            reachable = solutions.reachable
            reach[index] = reachable, solutions.reason
            failed = failed or not reachable.all()
            if stop and failed:
                return None  # raise: no answers
            if not reachable.all():  # 'nearest': the nearest reachable pose instead
                rows = rows.copy()
                rows[~reachable] = closest_reachable(rows[~reachable], self.planar_arm)
                targets, solutions = project_and_solve(rows, self.planar_arm,
                                                       self.uses_closed_form)
            return targets, solutions

        def finish(prepared) -> tuple[np.ndarray, bool]:
            targets, solutions = prepared
            joints = clamp_to_limits(self.arm, self._solve(targets, solutions))
            if refine:
                joints = refine_joints(targets, joints, self.planar_arm)
            return joints, bool(np.isfinite(joints).all())

        results = pipeline(prepare, finish, chunks, threads=self.parallel)
        if stop and failed:
            reachable = np.concatenate([r for r, _ in reach])
            reason = np.concatenate([r for _, r in reach])
            bad = np.flatnonzero(~reachable)
            reasons = [REASONS[int(reason[i])] for i in bad]
            raise UnreachableError(~reachable, reasons, p[bad[0], :3])
        joints = np.concatenate([j for j, _ in results])
        return joints if all(ok for _, ok in results) else self._finite(joints)

    def chunk_size(self, n: int) -> int:
        """
        Poses per chunk of an n-pose batch.

        At most ``batch_chunk``, at least ``min_chunk``, and where chunks run on the workers, a
        count of them that is a multiple of the workers (13 + 12 chunks leave one core idle for a
        whole chunk at the end).
        """
        if not self.batch_chunk or n < 1:
            return max(n, 1)
        workers = worker_count() if self.parallel else 1
        count = -(-n // self.batch_chunk)
        count = -(-count // workers) * workers
        return max(self.min_chunk, -(-n // count))

    def _solve_rows(self, p: np.ndarray, on_unreachable: str) -> np.ndarray:
        """
        Poses (N, 7) from :func:`pose_rows`, N <= SMALL_BATCH.

        One by one through the single-pose pipeline, validation included: below this size the
        vectorised pipeline's fixed cost (numpy calls on tiny arrays) exceeds N single solves, so a
        small batch never costs more than its poses. A bad row is reported as the batch check
        reports it.
        """
        try:
            rows = [validate_pose(row) for row in p.tolist()]
        except InvalidPoseError:
            check_pose_rows(p)  # raises the batch's message (count, first index)
            raise  # never expected: both checks are twins (tested)
        if len(rows) == 1:  # the single-pose path itself: one copy less
            return self._solve_valid_one(rows[0], False, on_unreachable)[None]
        out = np.empty((len(rows), self.arm.dof))
        unreachable = []
        for i, row in enumerate(rows):
            target, solution = project_and_solve_one(row, self.planar_arm, both=False)
            if not solution.reachable:
                unreachable.append((i, target, REASONS[solution.reason]))
                if on_unreachable == 'raise':
                    continue
                target, solution = self._closest_one(row)
            out[i] = self._solve_one(target, solution)
        if unreachable and on_unreachable == 'raise':
            mask = np.zeros(len(rows), bool)
            mask[[i for i, _, _ in unreachable]] = True
            raise UnreachableError(mask, [r for _, _, r in unreachable], unreachable[0][1][:3])
        out = np.minimum(np.maximum(out, self.arm.lower), self.arm.upper)  # cheaper than np.clip
        return out if math.isfinite(out.sum()) else self._finite(out)

    def _solve_single(self, pose, refine: bool, on_unreachable: str) -> np.ndarray:
        """
        Run the same pipeline for one pose in plain floats; tests check both give the same answer.

        About 10 us before the solver's own work, against about 300 us through numpy.
        """
        return self._solve_valid_one(validate_pose(pose), refine, on_unreachable)

    def _solve_valid_one(self, pose: list[float], refine: bool, on_unreachable: str
                         ) -> np.ndarray:
        """_solve_single of a pose validate_pose has passed."""
        target, solution = project_and_solve_one(pose, self.planar_arm, both=False)
        return self._solve_projected_one(pose, target, solution, refine, on_unreachable)

    def _solve_projected_one(self, pose: list[float], target: list[float],
                             solution: OneSolution, refine: bool, on_unreachable: str
                             ) -> np.ndarray:
        """_solve_valid_one of a pose projected and solved (``target``, ``solution``)."""
        if not solution.reachable and on_unreachable == 'raise':
            raise UnreachableError(np.array([True]), [REASONS[solution.reason]], target[:3])
        if not solution.reachable:  # 'nearest'
            target, solution = self._closest_one(pose)
        # clamped in Python floats (float32 answers become float64 exactly before they are
        # compared): 0.2 us, against 0.6 for np.maximum + np.minimum at this size
        joints = clamp_one(self.arm, self._solve_one(target, solution).tolist())
        if refine:
            joints = refine_joints(np.array([target]), np.array([joints]),
                                   self.planar_arm)[0].tolist()
        if not math.isfinite(sum(joints)):  # NaN or inf in a joint (finite values sum finite)
            self._finite(np.array([joints]))
        return np.array(joints)

    def _closest_one(self, pose: list[float]) -> tuple[list[float], OneSolution]:
        """
        Return the projection and solutions of the reachable pose nearest an unreachable one.

        :mod:`~ik_net_ros.kinematics.closest_reachable`: position first, then orientation.
        """
        nearest = closest_reachable(np.array([pose]), self.planar_arm)[0].tolist()
        return project_and_solve_one(nearest, self.planar_arm, both=False)

    def _finite(self, joints: np.ndarray) -> np.ndarray:
        """
        ``joints`` (N, dof) if all are finite.

        Clamping passes NaN through, so this is the last word on every answer.

        Raises
        ------
        InvalidPoseError
            Some pose got no finite answer (a pose far outside what a
            network was trained on can overflow it).

        """
        bad = ~np.all(np.isfinite(joints), axis=1)
        if bad.any():
            raise InvalidPoseError(
                f'{int(bad.sum())} pose(s) got no finite answer from solver {self.name!r} (far '
                f'outside what it was trained on?), first at index {int(np.argmax(bad))}')
        return joints

    def _solve_one(self, target: list[float], solution: OneSolution) -> np.ndarray:
        """Joints (dof,) for one projected target; default: the batch path with N = 1."""
        targets = np.array([target])
        return self._solve(targets, project_and_solve(targets, self.planar_arm)[1])[0]

    @abstractmethod
    def _solve(self, targets: np.ndarray, solutions: IkSolutions) -> np.ndarray:
        """
        Return joints (N, dof) for projected targets (N, 7).

        ``solutions`` are their closed forms (their reachability only, ``joints`` None, unless
        ``uses_closed_form``; None where the caller projected them already and ``uses_closed_form``
        is False).
        """

    def __repr__(self) -> str:
        return f'{type(self).__name__}(name={self.name!r}, device={self.device!r})'


class _LeaningCheck:
    """
    A collision model as the candidates of an arm whose axes lean see it.

    A configuration counts as clear where it is, or where its tilt-stage refinement
    (:func:`~ik_net_ros.solver.refine.refine_for_tilts`) is: the answer it becomes.
    """

    def __init__(self, model: CollisionModel, arm: Arm):
        self.model = model
        self.arm = arm

    def check(self, joints: np.ndarray):
        """:meth:`CollisionModel.check`, each configuration or its refinement."""
        report = self.model.check(joints)
        if report.clear.all():
            return report
        rows = np.flatnonzero(~report.clear)
        refined, ok = refine_for_tilts(np.asarray(joints, float)[rows], self.arm)
        if ok.any():
            ok[ok] = self.model.check(refined[ok]).clear
            done = rows[ok]
            report.clear[done] = True
            report.depth[done], report.kind[done] = 0.0, 0
        return report
