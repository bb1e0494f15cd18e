"""
The solver's pipeline for an arm of the Universal-Robots layout (the OMY): every branch, safely.

A 6-DOF arm takes any orientation, so nothing is projected: each pose has up to eight exact
solutions (:func:`~ik_net_ros.kinematics.ur_closed_form.ur_inverse`), each standing for every
q + 2 pi k inside the real limits (:func:`~ik_net_ros.kinematics.ur_branches.representatives`).
The rules, as the OM-X's (:mod:`~ik_net_ros.kinematics.nearest`):

- **Seeded** (where the arm is): of every branch, each joint's representative nearest the seed;
  dropped where a joint has none inside the limits, where it is in collision (the solver's
  collision model: table, the arm's own capsules, workspace box; in the real, possibly leaning
  arm), and where some joint would turn more than half a turn from the seed (the long way round)
  for a small target change (the jump window of
  :func:`~ik_net_ros.kinematics.nearest.small_change`; beyond it a long move is taken where
  ``allow_long_moves``). The nearest left (Euclidean, rad) is the answer; if it moves a joint
  more than ``max_jump`` for a small target change the target is refused (another branch would
  be needed). Free joints of a singular pose keep the seed's values.
- **Without a seed**: one branch family, the home pose's
  (:func:`~ik_net_ros.kinematics.ur_branches.family_solution`, each joint nearest home's value):
  the answer is a function of the pose. With a collision model a blocked answer is refused.
- **Unreachable** (out of reach, no branch inside the limits, or none safe): refused
  (UnreachableError) with on_unreachable='raise'. With 'nearest' and a seed the arm stays at
  the seed (where that is clear), as the OM-X's does; with 'nearest' and no seed the safe
  solution nearest home of any branch is taken where the family has none, and a pose no branch
  reaches is refused: the OMY's closest reachable pose is not computed (no answer is given for a
  pose the arm cannot take).

The answers are exact in the arm with its axes upright; the solver's tilt stage then makes them
the leaning arm's on the one chain (:func:`~ik_net_ros.solver.leaning_chain.refine_on_chain`).
"""

from __future__ import annotations

import math

from ik_net_ros.errors import InvalidJointsError, UnreachableError
from ik_net_ros.kinematics.limits import clamp_one, clamp_to_limits
from ik_net_ros.kinematics.nearest import BRANCH_MATCH, refuse_jumps, SEAM, small_change
from ik_net_ros.kinematics.ur_branches import home_branch, representatives
from ik_net_ros.kinematics.ur_closed_form import ur_inverse
from ik_net_ros.kinematics.ur_closed_form_one import nearest_solution_one
from ik_net_ros.kinematics.validation import as_joint_array, as_pose_array, validate_pose
from ik_net_ros.solver.refine import refine_joints
import numpy as np

__all__ = ['solve_ur', 'CHUNK']

CHUNK = 4096  # poses per chunk of a large batch: its (chunk, 8, 6) arrays stay in cache
_OUT_OF_REACH = 'out of reach: no branch of the closed form reaches the pose'
_LIMITS = 'no branch reaches it inside the joint limits (joint3 +-150 deg on the OMY)'
_FAMILY = ("outside the joint limits in the no-seed branch family (the home pose's, branch "
           '{}); give a seed to allow the others')


def solve_ur(solver, poses, seed, on_unreachable: str, one_pose: bool = False,
             refine: bool = False) -> np.ndarray:
    """
    Return the joints of ``poses`` in ``solver.planar_arm`` by the module's rules.

    ``solver``: a :class:`~ik_net_ros.solver.base.Solver` of a UR-layout arm (its collision
    model, ``max_jump`` and ``allow_long_moves`` are read). (dof,) for one pose, else (N, dof).
    ``one_pose``: ``poses`` is one flat pose (the live node's case: tried in plain floats
    first). ``refine``: a learned solver's answers refined on the chain (see :func:`_learned`).

    Raises
    ------
    InvalidPoseError, InvalidJointsError
        Bad poses or seed.
    UnreachableError
        As the module says.

    """
    fast = None
    if one_pose and seed is not None:
        fast = _seeded_one(solver, validate_pose(poses), seed)
    p, single = as_pose_array(poses)
    seeds = None
    if fast is not None:
        joints, own = fast[None], np.ones(1, bool)
        seeds = clamp_to_limits(solver.arm, as_joint_array(seed, 'seed', solver.arm)[0])
    elif seed is None:
        joints, own = _unseeded(solver, p, on_unreachable)
    else:
        q, _ = as_joint_array(seed, 'seed', solver.arm)
        if len(q) not in (1, len(p)):
            raise InvalidJointsError(f'seed: {len(q)} rows for {len(p)} poses')
        seeds = clamp_to_limits(solver.arm, np.broadcast_to(q, (len(p), solver.arm.dof)))
        joints, own = _seeded(solver, p, seeds, on_unreachable)
    if not solver.exact and own.any():
        joints = _learned(solver, p, joints, own, seeds, refine)
    return joints[0] if single else joints


def _learned(solver, p: np.ndarray, chosen: np.ndarray, own: np.ndarray, seeds, refine: bool
             ) -> np.ndarray:
    """
    Return ``chosen`` (N, dof) with a learned solver's own answers where they may be used.

    A network of a UR-layout arm is trained on one branch family (the home pose's), as the
    no-seed rule answers. Its answer (clamped to the limits; refined on the chain where
    ``refine``) is used on rows ``own`` (the rule's answer, not a seed the arm stays at nor
    another family's): without a seed or collision model everywhere there (the network alone,
    as a planar arm's batch), else where it lies on the chosen solution's branch and turn
    (within BRANCH_MATCH rad in every joint), is clear and keeps the rules the chosen answer
    keeps (no jump, no long way round: :meth:`~ik_net_ros.solver.base.Solver._keeps_rules`);
    elsewhere the exact closed form stands.
    """
    rows = np.flatnonzero(own)
    with np.errstate(all='ignore'):
        answers = clamp_to_limits(solver.arm, solver._solve(p[rows], None))
        if refine:
            answers = clamp_to_limits(solver.arm,
                                      refine_joints(p[rows], answers, solver.planar_arm))
    ok = np.all(np.isfinite(answers), axis=1)
    if seeds is not None or solver._candidate_check() is not None:
        ok &= np.all(np.abs(answers - chosen[rows]) <= BRANCH_MATCH, axis=1)
        if ok.any():
            ok[ok] = _clear(solver, answers[ok])
        if seeds is not None and ok.any():
            ok[ok] = solver._keeps_rules(answers[ok], seeds[rows[ok]], p[rows[ok]],
                                         chosen[rows[ok]])
    out = chosen.copy()
    out[rows[ok]] = answers[ok]
    return out


def _clear(solver, joints: np.ndarray) -> np.ndarray:
    """Return (M,) True where configurations (M, dof) are clear (no collision model: all)."""
    check = solver._candidate_check()
    if check is None or len(joints) == 0:
        return np.ones(len(joints), bool)
    return check.check(joints).clear


def _seeded_one(solver, pose: list[float], seed) -> np.ndarray | None:
    """
    Return the live node's case in plain floats, or None for the full rule to decide.

    ``pose``: 7 floats :func:`validate_pose` passed; ``seed`` as given (a seed that is not
    ``dof`` finite numbers is the full rule's to report).

    The nearest branch (no move over SEAM, clear) is the full rule's answer where its distance
    from the seed is under SEAM (no long-way candidate can then be nearer) and it moves no joint
    more than ``max_jump`` (the jump rule cannot apply).
    """
    arm = solver.planar_arm
    model = solver._candidate_check()
    leaning = model is not solver.collision  # a leaning arm's check: vectorised only

    def accept(values):
        if max(abs(v - s) for v, s in zip(values, seed_list)) > SEAM:
            return False
        if model is None:
            return True
        if leaning:
            return bool(model.check(np.array([values])).clear[0])
        return model.clear_one(values)

    try:
        seed_list = [float(v) for v in seed]
    except (TypeError, ValueError):
        return None
    if len(seed_list) != arm.dof or not math.isfinite(sum(seed_list)):
        return None
    seed_list = clamp_one(solver.arm, seed_list)
    best, _, _ = nearest_solution_one(arm, pose, seed_list, accept)
    if best is None:
        return None
    move = [abs(v - s) for v, s in zip(best, seed_list)]
    if math.sqrt(sum(m * m for m in move)) >= SEAM or (
            solver.max_jump is not None and max(move) > solver.max_jump):
        return None
    return np.array(best)


def _seeded(solver, p: np.ndarray, seeds: np.ndarray, on_unreachable: str
            ) -> tuple[np.ndarray, np.ndarray]:
    """
    Apply the seeded rule of the module to poses (N, 7) from clamped seeds (N, dof).

    Returns (joints (N, dof), (N,) True where the answer is the rule's, not the seed kept).
    """
    arm = solver.planar_arm
    n, dof = len(p), arm.dof
    sol = ur_inverse(arm, p, free=seeds)
    values, found = representatives(arm, sol.joints, seeds[:, None, :])  # (N, 8, dof)
    usable = sol.reachable & found
    delta = values - seeds[:, None, :]
    far = usable & (np.abs(delta).max(axis=2) > SEAM)  # some joint the long way round
    if far.any():
        rows = np.flatnonzero(far.any(axis=1))
        long_move = ~small_change(p[rows], seeds[rows], arm) if solver.allow_long_moves \
            else np.zeros(len(rows), bool)
        far[rows[long_move]] = False
    acceptable = usable & ~far
    hit = np.zeros_like(acceptable)
    flat = np.flatnonzero(acceptable.ravel())
    report = None
    if flat.size and solver._candidate_check() is not None:
        report = solver._candidate_check().check(values.reshape(-1, dof)[flat])
        blocked = np.zeros(acceptable.size, bool)
        blocked[flat[~report.clear]] = True
        hit = blocked.reshape(acceptable.shape)
        acceptable &= ~hit
    distance = np.where(acceptable, np.linalg.norm(delta, axis=2), np.inf)
    pick = np.argmin(distance, axis=1)
    rows = np.arange(n)
    ok = np.isfinite(distance[rows, pick])
    joints = values[rows, pick]
    reasons = [''] * n
    if solver.max_jump is not None:
        refuse_jumps(p, joints, seeds, arm, solver.max_jump, ok, reasons, 'another branch')
    bad = np.flatnonzero(~ok)
    if bad.size == 0:
        return joints, ok
    for row in bad:
        if not reasons[row]:
            reasons[row] = _why(row, sol.reachable, found, far, hit, report, acceptable)
    if on_unreachable == 'raise':
        raise UnreachableError(~ok, [reasons[i] for i in bad], p[bad[0], :3], refused=True)
    solver._stay(seeds, bad, [reasons[i] for i in bad], p)
    joints[bad] = seeds[bad]  # 'nearest': the arm stays
    return joints, ok


def _why(row, reachable, found, far, hit, report, acceptable) -> str:
    """Why no branch of ``row`` is acceptable."""
    if not reachable[row].any():
        return _OUT_OF_REACH
    if not (reachable[row] & found[row]).any():
        return _LIMITS
    if hit[row].any():
        checked = np.flatnonzero((acceptable | hit).ravel())
        k = int(np.flatnonzero(hit[row])[0])
        return report.reason(int(np.searchsorted(checked, row * hit.shape[1] + k)))
    return ('some joint would turn more than half a turn (the long way round) for a small '
            'target change; bring the target back, or move the arm there in smaller steps')


def _unseeded(solver, p: np.ndarray, on_unreachable: str) -> tuple[np.ndarray, np.ndarray]:
    """
    Apply the no-seed rule (the home branch family) to poses (N, 7) in chunks of CHUNK.

    Returns (joints (N, dof), (N,) True where the answer is of the home family).
    """
    arm = solver.planar_arm
    family = home_branch(arm)
    home = np.asarray(arm.home, dtype=float)
    out = np.empty((len(p), arm.dof))
    in_family = np.zeros(len(p), bool)
    refused: dict[int, str] = {}
    unsafe = False  # some refusal is for safety (a collision), not reach
    for start in range(0, len(p), CHUNK):
        rows = p[start:start + CHUNK]
        sol = ur_inverse(arm, rows)
        values, found = representatives(arm, sol.joints, home)
        usable = sol.reachable & found
        mine = usable[:, family]
        joints = values[:, family]
        if mine.any() and solver._candidate_check() is not None:
            idx = np.flatnonzero(mine)
            mine[idx] = _clear(solver, joints[idx])
        out[start:start + len(rows)] = joints
        in_family[start:start + len(rows)] = mine
        for i in np.flatnonzero(~mine):
            if on_unreachable == 'nearest':
                other = _nearest_other(solver, values[i], usable[i], home)
                if other is not None:
                    out[start + i] = other
                    continue
            refused[start + i] = _why_unseeded(sol.reachable[i], usable[i], family)
            unsafe = unsafe or bool(usable[i, family])
    if refused:
        mask = np.zeros(len(p), bool)
        mask[list(refused)] = True
        first = min(refused)
        raise UnreachableError(mask, [refused[i] for i in sorted(refused)], p[first, :3],
                               refused=unsafe)
    return out, in_family


def _nearest_other(solver, values: np.ndarray, usable: np.ndarray, home: np.ndarray
                   ) -> np.ndarray | None:
    """Return the clear branch of one pose nearest ``home`` ('nearest', no seed), or None."""
    idx = np.flatnonzero(usable)
    if idx.size == 0:
        return None
    cand = values[idx]
    clear = _clear(solver, cand)
    if not clear.any():
        return None
    cand = cand[clear]
    return cand[int(np.argmin(np.linalg.norm(cand - home, axis=1)))]


def _why_unseeded(reachable: np.ndarray, usable: np.ndarray, family: int) -> str:
    """Why one pose has no answer in the family (or, with 'nearest', in any branch)."""
    if not reachable.any():
        return _OUT_OF_REACH
    if not usable.any():
        return _LIMITS
    if not usable[family]:
        return _FAMILY.format(family)
    return 'its solution in the no-seed branch family is in collision (table or the arm itself)'
