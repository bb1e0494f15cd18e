"""
MoveIt's IK and FK requests (``GetPositionIK``, ``GetPositionFK``) answered in plain Python.

The ik node's services (:mod:`ik_net_ros.nodes.ik_services`) turn the messages into the values
here and the answers back; everything that decides lives here, free of ROS, so it is tested
without DDS. The answer comes from the node's own solver through the same safety path as a
target (:meth:`~ik_net_ros.solver.base.Solver.solve` with a seed: the safe solution nearest
it, inside the limits, clear of the table and the arm's body, no jump for a small change), then
checked again as the node checks a command. A request never changes the node's seed and never
commands anything.

Rules (MoveIt's error codes, ``moveit_msgs/MoveItErrorCodes`` 2.6.0):

- ``group_name``: ``arm`` (ROBOTIS's SRDF group of the OpenMANIPULATOR-X) or empty; else
  INVALID_GROUP_NAME.
- ``ik_link_name``: the tool frame ``<prefix>end_effector_link`` or empty; else
  INVALID_LINK_NAME.
- ``pose_stamped.header.frame_id``: what the node's targets may be in
  (:class:`~ik_net_ros.kinematics.target_frames.TargetFrames`); else FRAME_TRANSFORM_FAILURE.
- the seed: ``robot_state.joint_state`` by name (other joints ignored); one that lacks an arm
  joint or holds a non-finite one is replaced by the node's usual seed, and the answer says so.
- ``avoid_collisions``: the collision model is a rule of the package, kept either way (false
  never lets an answer through the table or the arm's body).
- ``constraints``: joint constraints (``position - tolerance_below <= q <= position +
  tolerance_above``) pick among the safe candidates; none satisfies them: NO_IK_SOLUTION.
  Position, orientation and visibility constraints are not honoured: INVALID_GOAL_CONSTRAINTS
  rather than an answer that may break them.
- ``timeout``: 0 (or less) is no limit; a solve that took longer is TIMED_OUT.
- the pose: an answer must reach it (1 mm, 1 degree): a pose whose orientation the arm (4 or 5
  joints) cannot take is NO_IK_SOLUTION, not the projection the node's targets get (MoveIt
  would take that answer as reaching the requested pose).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
import math
import time

from ik_net_ros.arm import Arm, arm_or_default
from ik_net_ros.errors import IkNetError, InvalidPoseError, UnreachableError
from ik_net_ros.kinematics.closed_forms import UR
from ik_net_ros.kinematics.limits import clamp_one, within_limits_one
from ik_net_ros.kinematics.link_frames import link_names, link_poses
from ik_net_ros.kinematics.nearest import (
    nearest_solutions,
    SEAM,
    small_change,
    SNAP_ANGLE,
    SNAP_POSITION,
)
from ik_net_ros.kinematics.planar import is_planar, planar_chain
from ik_net_ros.kinematics.rigid import compose, IDENTITY, invert
from ik_net_ros.kinematics.rotations import quat_angle
from ik_net_ros.kinematics.target_frames import FrameError, TargetFrames
from ik_net_ros.kinematics.validation import as_pose_array
from ik_net_ros.solver.refine import chain_of, refine_joints
import numpy as np

__all__ = ['IkRequest', 'IkAnswer', 'JointConstraint', 'ArmNames', 'solve_request',
           'forward_request', 'fk_frame', 'solution_state', 'SUCCESS', 'FAILURE', 'TIMED_OUT',
           'INVALID_GROUP_NAME', 'INVALID_GOAL_CONSTRAINTS', 'INVALID_ROBOT_STATE',
           'INVALID_LINK_NAME', 'FRAME_TRANSFORM_FAILURE', 'NO_IK_SOLUTION', 'GROUP_NAMES']

# moveit_msgs/MoveItErrorCodes (2.6.0): the values a test compares with the generated message
SUCCESS = 1
FAILURE = 99999
TIMED_OUT = -6
INVALID_GROUP_NAME = -15
INVALID_GOAL_CONSTRAINTS = -16
INVALID_ROBOT_STATE = -17
INVALID_LINK_NAME = -18
FRAME_TRANSFORM_FAILURE = -21
NO_IK_SOLUTION = -31

GROUP_NAMES = ('arm', '')  # ROBOTIS's open_manipulator_moveit_config SRDF group, or unnamed
TOOL_LINK = 'end_effector_link'
EXACT = 1e-7  # m: a leaning arm's answer converged (LM reaches 1e-9 m)


@dataclass(frozen=True)
class JointConstraint:
    """One ``moveit_msgs/JointConstraint``: the joint in [position - below, position + above]."""

    joint_name: str
    position: float
    tolerance_above: float
    tolerance_below: float

    def holds(self, value: float) -> bool:
        """Tell whether a joint value (rad) satisfies the constraint."""
        return self.position - self.tolerance_below <= value <= \
            self.position + self.tolerance_above


@dataclass(frozen=True)
class ArmNames:
    """
    The arm's names under ROBOTIS's xacro ``prefix``: its joints (in order), tool and base links.

    ``tool_link`` / ``base_link``: unprefixed (the OM-X's by default); :meth:`of` an arm reads
    them off it.
    """

    joints: tuple[str, ...]
    prefix: str = ''
    tool_link: str = TOOL_LINK
    base_link: str = 'link1'

    @classmethod
    def of(cls, arm: Arm, prefix: str = '') -> ArmNames:
        """Return the names of ``arm`` (an :class:`~ik_net_ros.arm.Arm`) under ``prefix``."""
        return cls(tuple(f'{prefix}{n}' for n in arm.joint_names), prefix, arm.tool_frame,
                   link_names(arm)[0])

    @property
    def tool(self) -> str:
        """Return the tool frame's name (MoveIt's tip link of the ``arm`` group)."""
        return f'{self.prefix}{self.tool_link}'


@dataclass
class IkRequest:
    """
    A ``PositionIKRequest`` as plain values.

    pose: [x, y, z, qx, qy, qz, qw] (m) in ``frame``; seed: joint name -> rad (the request's
    ``robot_state.joint_state``); timeout: s (<= 0: no limit); other_constraints: how many
    position, orientation and visibility constraints the request holds.
    """

    pose: list[float]
    frame: str = ''
    group: str = 'arm'
    link: str = ''
    seed: dict[str, float] = field(default_factory=dict)
    constraints: list[JointConstraint] = field(default_factory=list)
    other_constraints: int = 0
    avoid_collisions: bool = True
    timeout: float = 0.0
    links: list[str] = field(default_factory=list)  # ik_link_names (several tips)
    poses: int = 0  # len(pose_stamped_vector)


@dataclass(frozen=True)
class IkAnswer:
    """An error code (MoveIt's), the arm's joints (rad, in the arm's order) or None, the reason."""

    code: int
    joints: list[float] | None = None
    reason: str = ''


def _check_names(request: IkRequest, names: ArmNames) -> IkAnswer | None:
    """Refuse a request for another group, link, several tips, or constraints not honoured."""
    if request.group not in GROUP_NAMES:
        return IkAnswer(INVALID_GROUP_NAME, reason=f"group '{request.group}' is not the arm: "
                        f"expected 'arm' or ''")
    links = list(request.links)
    if links or request.poses:
        if len(links) != 1 or request.poses != 1 or request.link not in ('', links[0]):
            return IkAnswer(INVALID_LINK_NAME, reason=f'{len(links)} ik_link_names for '
                            f'{request.poses} poses: the arm has one tip, {names.tool!r}')
        request.link = links[0]
    if request.link not in ('', names.tool):
        return IkAnswer(INVALID_LINK_NAME, reason=f"ik_link_name '{request.link}' is not the "
                        f"arm's tool frame '{names.tool}' (or '')")
    if request.other_constraints:
        return IkAnswer(INVALID_GOAL_CONSTRAINTS, reason=f'{request.other_constraints} '
                        'position, orientation or visibility constraints: only joint '
                        'constraints are honoured')
    for c in request.constraints:
        values = (c.position, c.tolerance_above, c.tolerance_below)
        if not all(math.isfinite(v) for v in values) or min(values[1:]) < 0:
            return IkAnswer(INVALID_GOAL_CONSTRAINTS, reason=f'joint constraint on '
                            f"'{c.joint_name}' is not a finite position with tolerances >= 0")
    return None


def arm_seed(seed: dict[str, float], names: ArmNames) -> tuple[list[float] | None, str]:
    """
    Return the arm's joints (rad) in the request's seed, or None and why it is not usable.

    Joints by name, others ignored; every arm joint must be there and finite.
    """
    missing = [n for n in names.joints if n not in seed]
    if missing:
        return None, f'seed lacks {", ".join(missing)}'
    q = [float(seed[n]) for n in names.joints]
    if not all(math.isfinite(v) for v in q):
        return None, f'seed {q} is not finite'
    return q, ''


def solve_request(request: IkRequest, solver, frames: TargetFrames, names: ArmNames,
                  fallback_seed: Callable[[], list[float] | None] = lambda: None,
                  clock: Callable[[], float] = time.perf_counter) -> IkAnswer:
    """
    Answer a PositionIKRequest with the node's solver (see the module's rules).

    Parameters
    ----------
    request
        The request's values.
    solver
        The node's :class:`~ik_net_ros.solver.base.Solver`, with its collision model, max_jump
        and allow_long_moves as the node set them (read here, never changed).
    frames
        The frames the node's targets may be in: anything with ``to_base(frame, pose)`` that
        raises :class:`~ik_net_ros.kinematics.target_frames.FrameError` for a frame it cannot
        transform (the hook for tf2: a tf2-backed frames object answers the same way, its
        lookup failures raised as FrameError become FRAME_TRANSFORM_FAILURE).
    names
        The arm's joint names and prefix.
    fallback_seed
        The node's usual seed (its last command or the arm's state; None: the branch rule),
        used where the request's seed lacks an arm joint.
    clock
        Seconds, for the timeout.

    Returns
    -------
    The answer: SUCCESS with the joints, or an error code and the reason. Never raises for a
    bad request.

    """
    start = clock()
    refused = _check_names(request, names)
    if refused is not None:
        return refused
    try:
        pose = frames.to_base(request.frame, list(request.pose))
    except FrameError as e:
        return IkAnswer(FRAME_TRANSFORM_FAILURE, reason=str(e))
    seed, why = arm_seed(request.seed, names)
    note = ''
    if seed is None:
        seed = fallback_seed()
        note = f" ({why}: the node's seed {seed} used)" if seed is not None else \
            f' ({why}, and the node has no seed: the branch rule)'
    answers, reason = _candidates(solver, pose, seed, request.constraints, names)
    if request.timeout > 0 and clock() - start > request.timeout:
        return IkAnswer(TIMED_OUT, reason=f'the solve took {clock() - start:.4f} s, over the '
                        f'timeout of {request.timeout:g} s{note}')
    if not answers:
        return IkAnswer(NO_IK_SOLUTION, reason=reason + note)
    return IkAnswer(SUCCESS, joints=answers[0], reason=note.strip(' ()'))


def _candidates(solver, pose, seed, constraints, names: ArmNames
                ) -> tuple[list[list[float]], str]:
    """
    Return the safe answers satisfying ``constraints``, nearest the seed first, or why none.

    The solver's answer from the seed; where it breaks a joint constraint, its answers from
    the seed with each constrained joint moved to its constraint's position, and the same with
    joint1 turned half a turn (the other yaw side), each still the solver's safe answer.
    """
    index = {n: i for i, n in enumerate(names.joints)}
    mine = [c for c in constraints if c.joint_name in index]
    seeds = [seed]
    if mine:
        base = list(seed) if seed is not None else [0.0] * len(names.joints)
        for c in mine:
            base[index[c.joint_name]] = c.position
        turned = list(base)
        turned[0] = base[0] - math.copysign(math.pi, base[0])
        seeds += [clamp_one(solver.arm, base), clamp_one(solver.arm, turned)]
    found, reason = [], ''
    for s in seeds:
        try:
            q = _safe_answer(solver, pose, s)
        except (InvalidPoseError, UnreachableError) as e:
            reasons = getattr(e, 'reasons', None)
            reason = str(reasons[0]) if reasons else str(e)
            if s is seed and not mine:
                return [], reason  # out of reach, or unsafe, and no constraint to try
            continue
        except IkNetError as e:
            return [], str(e)
        # the solver guarantees these; never trust, always check (as the node checks commands)
        if not within_limits_one(solver.arm, q) or (
                solver.collision is not None and not solver.collision.clear_one(q)):
            reason = f'solver returned joints outside the limits or in collision {q}'
            continue
        missed = _misses(solver, pose, q)
        if missed:
            reason = missed
            continue
        if all(c.holds(q[index[c.joint_name]]) for c in mine):
            found.append(q)
        else:
            reason = f'no safe solution satisfies the joint constraints (nearest {q})'
        if not mine:
            break
    if found and seed is not None:
        found.sort(key=lambda q: float(np.linalg.norm(np.subtract(q, seed))))
    return found, reason


def _misses(solver, pose, q: list[float]) -> str:
    """
    Return why joints ``q`` do not reach ``pose`` (base frame), or '' where they do.

    Reached: the tool (in the real arm, :attr:`Solver.arm`, leaning axes included) within
    SNAP_POSITION m and SNAP_ANGLE rad of the request, the package's tolerance for a solution at
    a limit. The node's targets take the nearest orientation the arm can take (a 4-joint arm's
    tool points along its azimuth, a 5-joint arm's may roll too); MoveIt takes an answer as
    reaching the pose, so this is refused.
    """
    want, _ = as_pose_array(pose)
    got = chain_of(solver.arm)[0](np.array([q], float))[0]
    gap = float(np.linalg.norm(got[:3] - want[0, :3]))
    turn = float(quat_angle(got[None, 3:], want[:, 3:])[0])
    if gap <= SNAP_POSITION and turn <= SNAP_ANGLE:
        return ''
    return (f'the nearest pose the arm can take is {gap * 1000:.1f} mm and '
            f'{math.degrees(turn):.1f} deg from the request (its {solver.arm.dof} joints cannot '
            f'turn the tool about every axis: the tool x axis points along its azimuth)')


def _safe_answer(solver, pose, seed) -> list[float]:
    """
    Return the solver's safe answer from ``seed``, exact (MoveIt takes it as reaching the pose).

    The planar arm: the exact candidate the solver's seeded path picks
    (:func:`~ik_net_ros.kinematics.nearest.nearest_solutions` with its geometry, collision model
    and max_jump), without the network's approximation the solver puts in its place for
    streaming targets (near the straight-arm singularity that approximation, refined, may land
    on the other elbow: 8 of 202 answers were not the nearest in ik_service_probe.py). An arm
    whose axes lean, or no seed: the solver's refined answer (1e-9 m measured). A UR-layout arm
    (the OMY): the solver's seeded answer, a branch of its exact closed form (refined on the
    leaning arm's chain where its axes lean).

    Raises
    ------
    InvalidPoseError, UnreachableError
        As :meth:`~ik_net_ros.solver.base.Solver.solve`.

    """
    if seed is None:
        return [float(v) for v in solver.solve(pose, seed=seed, refine=True)]
    if solver.kind == UR:  # every answer is a branch of the exact closed form (ur_pipeline)
        return [float(v) for v in solver.solve(pose, seed=seed)]
    if solver.leaning:
        return _leaning_answer(solver, pose, seed)
    p, _ = as_pose_array(pose)
    seeds = np.array([seed], float)
    found = nearest_solutions(p, seeds, solver.planar_arm, solver.collision, solver.max_jump,
                              long_way=True, long_moves=solver.allow_long_moves)
    if found.ok[0] and not solver.allow_long_moves and _misses(solver, pose, found.joints[0]):
        # the answer is the other yaw side's (the tool rolled half a turn): the exact one
        # may be a long move the node refuses; say so rather than 'cannot take the pose'
        exact = nearest_solutions(p, seeds, solver.planar_arm, solver.collision,
                                  solver.max_jump, long_way=True, long_moves=True)
        if exact.ok[0] and not _misses(solver, pose, exact.joints[0]):
            turn = abs(float(exact.joints[0, 0]) - seed[0])
            raise UnreachableError(np.ones(1, bool), [
                f'joint1 would turn {turn:.2f} rad, more than half a turn (a long move), and '
                'the node refuses long moves (allow_long_moves false)'], p[0, :3], refused=True)
    if not found.ok[0]:
        raise UnreachableError(~found.ok, found.reasons, p[0, :3], refused=True)
    return clamp_one(solver.arm, [float(v) for v in found.joints[0]])


def _leaning_answer(solver, pose, seed: list[float]) -> list[float]:
    """
    Return the exact, safe answer nearest ``seed`` for an arm whose axes lean.

    The solver's pipeline judges candidates in the planar arm, where the request's exact
    solutions are millimetres away (and out of reach near the workspace's edge): its answer
    for a near seed may be another branch, refused as a jump. Here the request is solved in
    the leaning arm itself: Levenberg-Marquardt from the seed and the planar arm's nearest
    solution (where none converges, also from the solver's own answers), each kept where it
    reaches the pose (SNAP_*), is clear (the collision model, leaning arm) and keeps the
    seeded rules (no jump for a small change, no turn of joint1 past half a turn for a small
    change, or at all without allow_long_moves); converged answers first, then the nearest
    the seed wins.

    Raises
    ------
    UnreachableError
        No start reaches the pose under the rules (the solver's reason where it has one).

    """
    p, _ = as_pose_array(pose)
    s = np.asarray(clamp_one(solver.arm, seed), float)
    small = bool(small_change(p, s[None], solver.arm)[0])
    starts, reason = [s], ''
    planar = nearest_solutions(p, s[None], solver.planar_arm, None, None, long_way=False)
    if planar.ok[0]:
        starts.append(planar.joints[0])
    kept, why = _refined_answers(solver, pose, p, s, starts, small)
    if not any(exact for exact, _ in kept):  # the solver's answers too (slower: 10-100 ms)
        starts = []
        for kwargs in ({'seed': seed}, {'on_unreachable': 'nearest'}):  # the last: the edge
            try:
                starts.append(np.asarray(solver.solve(pose, refine=True, **kwargs), float))
            except (InvalidPoseError, UnreachableError) as e:
                reasons = getattr(e, 'reasons', None)
                reason = reason or (str(reasons[0]) if reasons else str(e))
        more, why2 = _refined_answers(solver, pose, p, s, starts, small) if starts else ([], '')
        kept, why = kept + more, why or why2
    if not kept:
        raise UnreachableError(np.ones(1, bool), [reason or why], p[0, :3], refused=True)
    # converged ones first (LM may stop in a shallow local minimum within SNAP_* of the pose)
    exact, best = min(kept, key=lambda k: (not k[0], float(np.linalg.norm(k[1] - s))))
    return [float(v) for v in best]


def _refined_answers(solver, pose, p, s, starts, small: bool) -> tuple[list, str]:
    """
    Return [(converged, joints)] LM finds in the leaning arm from ``starts``, and why not.

    Each start also turned to the target's azimuth, across joint1's seam, and with the
    elbow reflected about the straight arm (near it, LM from one side stops short of a
    solution on the other, 0.2 mm away) or bent off it. Kept: within SNAP_* of the pose,
    inside the limits, clear, no jump or long way round for a small change
    (``small``), no long way at all without allow_long_moves.
    """
    starts = np.array(starts, float)
    # and turned to the target's azimuth (a start reaching behind the base converges there)
    turned = starts.copy()
    turned[:, 0] = math.atan2(p[0, 1], p[0, 0])
    starts = np.concatenate([starts, turned])
    # and across joint1's +-pi seam (LM clamps at a limit; the solution may be past it)
    seam = starts[np.abs(starts[:, 0]) > math.pi - 0.5]
    seam[:, 0] -= np.copysign(2 * math.pi, seam[:, 0])
    starts = np.concatenate([starts, seam])
    if is_planar(solver.arm):  # the elbow (joint3) of a planar arm: its straight angle
        c = planar_chain(solver.planar_arm)
        straight = -math.atan2(c.upper_arm_z, c.upper_arm_x)
        other = starts.copy()
        other[:, 2] = 2 * straight - other[:, 2]
        bent = [starts.copy(), starts.copy()]  # and bent off a straight arm (LM stalls on it)
        bent[0][:, 2], bent[1][:, 2] = straight - 0.2, straight + 0.2
        near = np.abs(starts[:, 2] - straight) < 0.15
        starts = np.concatenate([starts, other, bent[0][near], bent[1][near]])
    starts = np.array([clamp_one(solver.arm, list(x)) for x in starts])
    # 20 steps converge from a start on the right branch; where none did, 130 more (near the
    # straight arm: slow). LM's damping grows tenfold per refused step: 150 steps stay finite
    targets = np.repeat(p, len(starts), axis=0)
    forward = chain_of(solver.arm)[0]
    found = refine_joints(targets, starts, solver.arm, iterations=20)
    gap = np.linalg.norm(forward(found)[:, :3] - p[:, :3], axis=1)
    if not (gap <= EXACT).any():
        found = refine_joints(targets, found, solver.arm, iterations=130)
        gap = np.linalg.norm(forward(found)[:, :3] - p[:, :3], axis=1)
    kept, reason = [], ''
    for q, g in zip(found, gap):
        move = np.abs(q - s)
        missed = _misses(solver, pose, q)
        if missed or not within_limits_one(solver.arm, q) or (
                solver.collision is not None and not solver.collision.clear_one(q)):
            if missed:  # not '4 joints cannot take it': LM's failure, not the arm's
                reason = reason or (f'no exact solution found for the leaning arm (the nearest '
                                    f'of {len(found)} Levenberg-Marquardt starts ends '
                                    f'{g * 1000:.1f} mm off)')
            continue
        if move[0] > SEAM and (small or not solver.allow_long_moves):
            reason = reason or (f'joint1 would turn {move[0]:.2f} rad, more than half a turn '
                                '(a long move: refused for a small target change, or where '
                                'allow_long_moves is false)')
            continue
        if small and solver.max_jump is not None and move.max() > solver.max_jump:
            reason = reason or (f'jump: the nearest exact solution moves a joint by '
                                f'{move.max():.2f} rad for a small target change')
            continue
        kept.append((bool(g <= EXACT), q))
    return kept, reason


def solution_state(seed_names: list[str], seed_positions: list[float], names: ArmNames,
                   joints: list[float]) -> tuple[list[str], list[float]]:
    """
    Return the solution's ``joint_state`` (names, positions).

    The arm's joints with the answer, then the seed's other joints copied through (MoveIt reads
    the solution by name into a whole robot state).
    """
    arm = set(names.joints)
    others = [(n, p) for n, p in zip(seed_names, seed_positions) if n not in arm]
    return (list(names.joints) + [n for n, _ in others],
            [float(v) for v in joints] + [float(p) for _, p in others])


def fk_frame(frame: str, names: ArmNames) -> str:
    """Return the frame a GetPositionFK answer is in: the request's, or the base link for ''."""
    return frame or f'{names.prefix}{names.base_link}'


def forward_request(state: dict[str, float], links: list[str], frame: str, arm,
                    names: ArmNames, frames=None) -> tuple[int, list[list[float]], str]:
    """
    Answer a GetPositionFK request: each link's pose [x, y, z, qx, qy, qz, qw] in ``frame``.

    ``state``: joint name -> rad (``robot_state.joint_state``; every arm joint needed);
    ``links``: links of the arm's chain (``<prefix>link1`` .. ``<prefix>link5``,
    ``<prefix>end_effector_link``: :mod:`~ik_net_ros.kinematics.link_frames`); ``frame``: the
    request's ``header.frame_id``, '' = the arm's base link (:func:`fk_frame` names the frame
    the answer is in); ``arm``: the real arm (the solver's :attr:`Solver.arm`, calibrated axes
    included);
    ``frames``: the node's frames (``to_base(frame, pose)``, as solve_ik takes the pose, tf2
    included; used the inverse way: world with the base's placement, the tracker frame),
    None: the base frame names only. Returns (code, poses, reason): a frame that cannot be
    transformed is FRAME_TRANSFORM_FAILURE.
    """
    placement = None
    if frame:
        try:  # the frame's own pose in the base frame: to_base of its origin
            placement = (frames if frames is not None else
                         TargetFrames(prefix=names.prefix,
                                      base_link=names.base_link)).to_base(frame, list(IDENTITY))
        except FrameError as e:
            return FRAME_TRANSFORM_FAILURE, [], str(e)
        placement = np.asarray(placement, float)
        if placement.shape != (7,) or not np.isfinite(placement).all():
            return FRAME_TRANSFORM_FAILURE, [], f"frame '{frame}': no finite transform"
    arm = arm_or_default(arm)
    known = [f'{names.prefix}{link}' for link in link_names(arm)]
    bad = [link for link in links if link not in known]
    if bad or not links:
        return INVALID_LINK_NAME, [], (f"links {bad or links} are not computed: the arm's "
                                       f'are {", ".join(known)}')
    q, why = arm_seed(state, names)
    if q is None:
        return INVALID_ROBOT_STATE, [], why.replace('seed', 'robot_state')
    poses = link_poses(q, arm)
    found = [poses[link[len(names.prefix):]] for link in links]
    if placement is not None:
        back = invert(placement)
        found = [list(map(float, compose(back, np.asarray(p, float)))) for p in found]
    return SUCCESS, found, ''
