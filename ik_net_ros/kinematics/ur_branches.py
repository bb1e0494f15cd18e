"""
Which of a UR-layout arm's eight solutions to command: the nearest safe one, or one family.

The OMY's joints may turn up to two full turns (+-2 pi; J3 +-150 deg), so each solution of
:func:`~ik_net_ros.kinematics.ur_closed_form.ur_inverse` stands for every q + 2 pi k. The
rules here:

- **Representatives**: of each joint value, the q + 2 pi k inside the arm's real limits
  (:mod:`ik_net_ros.kinematics.limits`) nearest a reference; a value with none (J3 past 150 deg)
  makes its branch unsafe.
- **Seeded** (:func:`nearest_solution`, where the arm is): every reachable branch, each joint
  brought to its representative nearest the seed, dropped if it has none or ``accept`` refuses it
  (the caller's table and self-collision check); the one nearest the seed in joint space
  (Euclidean, rad) wins. Free joints of a singular pose keep the seed's value. So a small
  target change moves every joint a little (never the long way round a full turn) unless no
  nearby branch is safe; refusing a big jump for a small change is the caller's rule, as for
  the OM-X (``max_jump``).
- **Without a seed** (:func:`family_solution`): one branch family, the home pose's (its
  shoulder, elbow and wrist bits: :func:`home_branch`), each joint the representative nearest
  the home pose's value, free joints at home's. Why one family: within it each pose has one
  solution (mod 2 pi, fixed by the nearest-to-home rule), so the answer is a function of the
  pose, continuous away from the singular sets and home +- pi: what learned IK can regress
  (several branches would make the target multi-valued, and a regression averages them). Why
  home's: the arm starts there, so a command from rest stays in it. On the OMY it is branch
  0 (wrist centre in front of joint1, elbow bent q3 > 0, sin q5 > 0). Poses this family
  cannot reach inside the limits are reported, not answered from another family.
"""

from __future__ import annotations

from dataclasses import dataclass
import math

from ik_net_ros.arm import Arm
from ik_net_ros.kinematics.chain import chain_forward, joint_rows
from ik_net_ros.kinematics.limits import within_limits
from ik_net_ros.kinematics.ur_closed_form import branch_of, BRANCHES, ur_inverse
from ik_net_ros.kinematics.ur_layout import check_arm, ur_layout
from ik_net_ros.kinematics.validation import as_pose_array
import numpy as np

__all__ = ['URChoice', 'representatives', 'nearest_solution', 'family_solution', 'home_branch',
           'in_family', 'family_configurations']

TURN = 2 * math.pi
# rad a solution may lie past a limit by rounding (a pose drawn at the limit) and be clamped in
LIMIT_ROUNDING = 1e-12


@dataclass
class URChoice:
    """
    One solution per pose.

    Attributes
    ----------
    joints
        (N, 6) rad, inside the real limits where ``found`` (elsewhere the reference: a seed's or
        home's values, never a command).
    branch
        (N,) int: the branch index (``4 shoulder + 2 elbow + wrist``), -1 where none is found.
    found
        (N,) whether a safe solution was found.
    singular
        (N,) uint8: the chosen branch's singular bits (WRIST | ELBOW | SHOULDER).

    """

    joints: np.ndarray
    branch: np.ndarray
    found: np.ndarray
    singular: np.ndarray


def representatives(arm: Arm, joints, reference) -> tuple[np.ndarray, np.ndarray]:
    """
    Return, per joint, the value q + 2 pi k inside the limits nearest ``reference``, and if any.

    ``joints`` (..., dof) and ``reference`` broadcastable to it, rad. Returns (values (..., dof),
    found (...,)): where a joint has no representative inside the limits its value is clamped
    (and ``found`` is False); one past a limit by LIMIT_ROUNDING or less is clamped and found.
    Prismatic joints are taken as they are.
    """
    check_arm(arm)
    q = np.asarray(joints, dtype=float)
    reference = np.asarray(reference, dtype=float)
    revolute = np.array([j.type == 'revolute' for j in arm.joints])
    tol = LIMIT_ROUNDING
    lowest = np.ceil((arm.lower - tol - q) / TURN)  # the fewest turns up to the lower limit
    highest = np.floor((arm.upper + tol - q) / TURN)
    k = np.clip(np.round((reference - q) / TURN), lowest, highest)  # distance is convex in k
    k = np.where(revolute, k, 0.0)
    out = q + k * TURN
    found = within_limits(arm, out, tol)
    return np.clip(out, arm.lower, arm.upper), found


def _choose(arm, solutions, reference, accept, allowed) -> URChoice:
    """Return the allowed branch nearest ``reference`` (N, 6) of :class:`URSolutions`."""
    n = len(reference)
    values, found = representatives(arm, solutions.joints, reference[:, None, :])
    ok = solutions.reachable & found & allowed
    if accept is not None and ok.any():
        ok[ok] = np.asarray(accept(values[ok]), dtype=bool)
    dist = np.linalg.norm(values - reference[:, None, :], axis=-1)
    dist = np.where(ok, dist, np.inf)
    best = np.argmin(dist, axis=1)
    rows = np.arange(n)
    hit = ok[rows, best]
    joints = np.where(hit[:, None], values[rows, best], reference)
    return URChoice(joints, np.where(hit, best, -1), hit,
                    np.where(hit, solutions.singular[rows, best], 0).astype(np.uint8))


def _rows(arm: Arm, poses, reference, name: str):
    """Return the poses (N, 7) checked, the reference (N, dof), whether one pose was given."""
    pose, single = as_pose_array(poses)
    n = len(pose)
    ref, _ = joint_rows(arm, reference, name)
    if len(ref) not in (1, n):
        raise ValueError(f'{name}: expected (6,) or ({n}, 6) joint values, got '
                         f'{np.shape(reference)}')
    return pose, np.broadcast_to(ref, (n, arm.dof)).copy(), single


def _one(choice: URChoice, single: bool) -> URChoice:
    if not single:
        return choice
    return URChoice(choice.joints[0], choice.branch[0], choice.found[0], choice.singular[0])


def nearest_solution(arm, poses, seed, accept=None) -> URChoice:
    """
    Return the safe solution of each pose nearest ``seed`` (where the arm is).

    ``poses`` (N, 7) or (7,) [x y z qx qy qz qw] in the base frame; ``seed`` (6,) or (N, 6) rad;
    ``accept``: None, or a function of joints (M, 6) returning (M,) bool, False where the
    caller's other safety rules (table, self collision) refuse them.

    Raises
    ------
    NotURLayoutError
        ``arm`` is not of the UR layout (see :func:`ur_layout`).
    InvalidPoseError, InvalidJointsError
        Bad poses or seed.

    """
    ur_layout(arm)
    poses, seed, single = _rows(arm, poses, seed, 'seed')
    solutions = ur_inverse(arm, poses, free=seed)
    return _one(_choose(arm, solutions, seed, accept, True), single)


def home_branch(arm) -> int:
    """
    Return the branch index of ``arm.home``: the family :func:`family_solution` answers in.

    Raises
    ------
    NotURLayoutError
        ``arm`` is not of the UR layout.

    """
    ur_layout(arm)
    return int(branch_of(arm, np.asarray(arm.home, dtype=float)))


def family_solution(arm, poses, branch: int | None = None, accept=None) -> URChoice:
    """
    Return each pose's solution in one branch family, each joint nearest the home pose's.

    ``branch``: the family's index (0-7; None: :func:`home_branch`); ``accept`` as in
    :func:`nearest_solution`. Poses the family cannot reach inside the limits (or that
    ``accept`` refuses) are not found: no other branch is substituted.

    Raises
    ------
    ValueError
        ``branch`` not in 0-7.
    NotURLayoutError, InvalidPoseError
        As :func:`nearest_solution`.

    """
    ur_layout(arm)
    branch = home_branch(arm) if branch is None else branch
    if branch not in range(BRANCHES):
        raise ValueError(f'branch must be 0-{BRANCHES - 1}, got {branch!r}')
    poses, home, single = _rows(arm, poses, arm.home, 'home')
    solutions = ur_inverse(arm, poses)
    return _one(_choose(arm, solutions, home, accept, np.arange(BRANCHES) == branch), single)


def in_family(arm, joints, branch: int | None = None):
    """
    Return whether joints (N, 6) or (6,) rad lie on one branch family (their turns aside).

    ``branch``: the family's index (None: :func:`home_branch`, the no-seed family). Returns (N,)
    bool, or a bool for one row.

    Raises
    ------
    NotURLayoutError
        ``arm`` is not of the UR layout.
    InvalidJointsError
        Not finite real joints of ``arm``.

    """
    branch = home_branch(arm) if branch is None else branch
    return branch_of(arm, joints) == branch


def family_configurations(arm, drawn, branch: int | None = None) -> URChoice:
    """
    Return the configurations in one branch family that put the tool where ``drawn`` does.

    ``drawn`` (N, 6) or (6,) rad, e.g. uniform in the limits; each row's tool pose answered by
    :func:`family_solution` (``branch`` None: the home family). The one rule by which a
    UR-layout arm's synthetic rows and its babble goals are drawn, so that the rows a learned
    correction is trained on lie where its base model was: poses of the family, each joint the
    turn nearest home. ``found`` is False where the family cannot reach the pose inside the
    limits.

    Raises
    ------
    NotURLayoutError, InvalidJointsError
        As :func:`in_family`.

    """
    ur_layout(arm)
    q, single = joint_rows(arm, drawn)
    return _one(family_solution(arm, chain_forward(arm, q), branch), single)
