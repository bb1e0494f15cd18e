"""
Safe answers from the solver.

The solution nearest where the arm is (no jumps, never the long way round), never in collision with
the table or the arm's own base.
"""

import math

from hypothesis import given
from hypothesis import strategies as st
from ik_net_ros import load_solver
from ik_net_ros.arm import default_arm
from ik_net_ros.errors import UnreachableError
from ik_net_ros.kinematics import forward_kinematics, ik_solutions, jacobian, within_limits
from ik_net_ros.kinematics.collision import CollisionModel
from ik_net_ros.kinematics.nearest import JUMP_WINDOW, JUMP_WINDOW_ANGLE
from ik_net_ros.kinematics.paths import babble_joints, BABBLE_ROOM, sweep_box, sweep_pose
from ik_net_ros.kinematics.rotations import quat_angle, quat_from_yaw_pitch, quat_mul
import numpy as np
from propcheck import fixed_examples
import pytest

OMX = default_arm()  # the OM-X, ROBOTIS's humble description

SETTINGS = fixed_examples(150)
MODEL = CollisionModel()


@pytest.fixture(scope='module')
def analytic():
    solver = load_solver('analytic')
    solver.collision = MODEL
    return solver


@pytest.fixture(scope='module')
def focused():
    solver = load_solver('focused')
    solver.collision = MODEL
    return solver


def _rolled(position, roll):
    """
    Return a target at ``position`` whose tool is rolled by ``roll`` about its x axis.

    With roll pi/2 its y axis is vertical, the projection's tie between reaching forward and
    behind.
    """
    yaw = math.atan2(position[1], position[0] - 0.012)
    base = quat_from_yaw_pitch(np.array([yaw]), np.array([0.0]))
    rolled = quat_mul(base, np.array([[math.sin(roll / 2), 0.0, 0.0, math.cos(roll / 2)]]))
    return np.r_[position, rolled[0]]


# --- continuity --------------------------------------------------------------------------------

@pytest.mark.parametrize('name', ['analytic', 'focused'])
def test_targets_a_hair_apart_across_joint1s_seam_give_commands_a_hair_apart(name, request):
    solver = request.getfixturevalue(name)
    behind = np.array([math.pi - 1e-5, -0.3, 0.2, 0.5])
    other_side = behind * [-1, 1, 1, 1]
    a, b = forward_kinematics(behind), forward_kinematics(other_side)
    assert np.linalg.norm(a[:3] - b[:3]) < 5e-6
    first = solver.solve(a, seed=behind)
    second = solver.solve(b, seed=first)
    assert np.abs(second - first).max() < 0.02  # not the 6.28 rad of joint1 the long way round
    # the branch rule on its own turns joint1 by a whole revolution: what the seed is for
    assert abs(solver.solve(b)[0] - solver.solve(a)[0]) > 6


def test_a_target_well_past_the_seam_is_a_long_move_unless_long_moves_are_refused(analytic):
    seed = np.array([math.pi - 0.05, -0.3, 0.2, 0.5])
    past = forward_kinematics(seed * [-1, 1, 1, 1] + [0.05, 0, 0, 0])  # 0.1 rad past the seam
    # 30 mm from the arm's tool, beyond the jump window: the only way there is the long turn
    np.testing.assert_allclose(analytic.solve(past, seed=seed),
                               seed * [-1, 1, 1, 1] + [0.05, 0, 0, 0], atol=1e-9)
    analytic.allow_long_moves = False
    try:
        with pytest.raises(UnreachableError, match='long way round'):
            analytic.solve(past, seed=seed)
        # 'nearest': the arm stays where it is
        np.testing.assert_allclose(analytic.solve(past, seed=seed, on_unreachable='nearest'),
                                   seed)
    finally:
        analytic.allow_long_moves = True


def test_a_small_target_change_past_the_seam_is_refused_not_reached_the_long_way_round(
        analytic):
    seed = np.array([math.pi - 0.01, -0.3, 0.2, 0.5])
    past = forward_kinematics(seed * [-1, 1, 1, 1] + [0.01, 0, 0, 0])  # 4 mm away, past the seam
    with pytest.raises(UnreachableError, match='long way round'):
        analytic.solve(past, seed=seed)
    np.testing.assert_allclose(analytic.solve(past, seed=seed, on_unreachable='nearest'), seed)


@pytest.mark.parametrize('name', ['analytic', 'focused'])
def test_a_target_wobbling_about_the_forward_behind_tie_never_flips_the_arm(name, request):
    solver = request.getfixturevalue(name)
    targets = [_rolled([0.058, 0.251, 0.279], math.pi / 2 + eps) for eps in (2e-7, -2e-7) * 20]
    branch = solver.solve(np.array(targets[:2]))  # each on its own: a flip, 3 rad and more
    assert np.abs(branch[0] - branch[1]).max() > 3
    command = solver.solve(targets[0], seed=branch[0])
    # a network's answers may differ by its accuracy: these targets' quaternions have qw ~ 0,
    # where q and -q (one rotation) are both network inputs
    bound = 1e-3 if name == 'analytic' else 0.01
    for target in targets[1:]:
        following = solver.solve(target, seed=command)
        assert np.abs(following - command).max() < bound
        command = following


def test_a_wrist_at_its_limit_never_flips_the_arm_for_a_tiny_step(analytic):
    # joint4 at its lower limit: 4 mm further, only the other side (reaching behind) is left
    seed = np.array([0.3, -1.0094, 0.4538, OMX.lower[3]])
    assert MODEL.clear(seed)
    pose = forward_kinematics(seed)
    step = np.r_[0.004 * np.array([0.8962, -0.1362, -0.4222]), 0, 0, 0, 0]
    elsewhere = analytic.solve(pose + step)  # on its own: joint1 turns by 3.1 rad
    assert np.abs(elsewhere - seed).max() > 3
    with pytest.raises(UnreachableError, match='jump'):
        analytic.solve(pose + step, seed=seed)
    # a hair past the limit: the clamped solution is within a millimetre, kept
    kept = analytic.solve(pose + step * 0.02, seed=seed)
    assert np.abs(kept - seed).max() < 0.01


def _far_from_singular(q) -> bool:
    """
    Away from the arm's singularities.

    The tool not near joint1's axis, the arm not stretched, joint1 not at the seam.
    """
    jac = jacobian(q)
    radius = math.hypot(*(forward_kinematics(q)[:2] - [0.012, 0.0]))
    return (np.linalg.svd(jac[[0, 1, 2, 4]])[1].min() > 0.03 and radius > 0.05
            and abs(q[0]) < math.pi - 0.05)


joints = st.tuples(*[st.floats(float(lo) + 0.02, float(hi) - 0.02)
                     for lo, hi in zip(OMX.lower, OMX.upper)]).map(np.array)


@SETTINGS
@given(q=joints, direction=st.tuples(*[st.floats(-1, 1)] * 6), size=st.floats(1e-7, 1e-4))
def test_small_target_steps_give_small_command_steps(analytic, q, direction, size):
    if not (MODEL.clear(q) and _far_from_singular(q)):
        return
    pose = forward_kinematics(q)
    step = np.array(direction) * size
    moved = pose.copy()
    moved[:3] += step[:3]
    spin = quat_from_yaw_pitch(np.array([step[3]]), np.array([step[4]]))
    moved[3:] = quat_mul(spin, pose[None, 3:])[0]
    try:
        command = analytic.solve(moved, seed=q)
    except UnreachableError:  # the step left the limits or the clear space: refused, fine
        return
    # away from singularities a joint moves by about the target's change over the arm's
    # smallest gain (3 cm/rad here), not by another branch's radians
    assert np.abs(command - q).max() <= 100 * size + 1e-9


# --- any sequence of targets -------------------------------------------------------------------

poses = st.tuples(st.floats(-0.45, 0.45), st.floats(-0.45, 0.45), st.floats(-0.3, 0.5),
                  *[st.floats(-1, 1)] * 4).filter(lambda p: np.linalg.norm(p[3:]) > 0.1)


# targets the arm can take (FK of joints inside the limits, a few of them nudged) mixed with
# arbitrary ones: most arbitrary poses are out of reach, so on their own a sequence of them
# would mostly test refusals
arm_poses = st.tuples(joints, st.tuples(*[st.floats(-0.005, 0.005)] * 3)).map(
    lambda jq: tuple(forward_kinematics(jq[0]) + np.r_[jq[1], 0, 0, 0, 0]))


@SETTINGS
@given(targets=st.lists(arm_poses | poses, min_size=1, max_size=12))
def test_any_sequence_of_targets_gets_only_safe_commands(analytic, targets):
    command = np.array(OMX.home)
    for target in targets:
        target = np.array(target)
        try:
            following = analytic.solve(target, seed=command)
        except UnreachableError as e:
            assert e.reasons and e.reasons[0]
            continue
        assert within_limits(OMX, following)
        assert MODEL.clear(following)
        at = forward_kinematics(command)
        near = np.linalg.norm(at[:3] - target[:3]) <= JUMP_WINDOW and \
            np.dot(_x_axis(at[3:]), _x_axis(target[3:] / np.linalg.norm(target[3:]))) >= \
            math.cos(JUMP_WINDOW_ANGLE)
        if near:  # a small change of the request: no big joint move, never the long way round
            assert np.abs(following - command).max() <= analytic.max_jump + 1e-12
        elif abs(following[0] - command[0]) > math.pi:  # a long move: the only way there
            analytic.allow_long_moves = False
            try:
                short = analytic.solve(target, seed=command)
            except UnreachableError:
                pass
            else:  # the short way reaches another pose (the target reached from behind)
                a, b = forward_kinematics(following), forward_kinematics(short)
                assert np.linalg.norm(a[:3] - b[:3]) > 1e-3 or \
                    quat_angle(a[None, 3:], b[None, 3:])[0] > math.radians(1)
            finally:
                analytic.allow_long_moves = True
        command = following


@SETTINGS
@given(q=st.tuples(*[st.sampled_from([float(lo), float(hi)]) | st.floats(float(lo), float(hi))
                     for lo, hi in zip(OMX.lower, OMX.upper)]).map(np.array),
       walk=st.lists(st.tuples(*[st.floats(-0.004, 0.004)] * 3), min_size=1, max_size=25))
def test_a_target_walking_in_small_steps_never_makes_a_big_joint_move(analytic, q, walk):
    """
    From any pose (limits included) the request moves a few millimetres at a time.

    Each answered command must stay within max_jump of the one before while the request stays near
    it: an elbow or wrist reaching its limit is refused, not swapped for another branch.
    """
    if not MODEL.clear(q):
        return
    command, target = q, forward_kinematics(q)
    for step in walk:
        target = target + np.r_[step, 0, 0, 0, 0]
        try:
            following = analytic.solve(target, seed=command)
        except UnreachableError:
            continue
        if np.linalg.norm(forward_kinematics(command)[:3] - target[:3]) <= JUMP_WINDOW:
            assert np.abs(following - command).max() <= analytic.max_jump + 1e-12
        command = following


def _x_axis(quat):
    qx, qy, qz, qw = quat
    return np.array([1 - 2 * (qy * qy + qz * qz), 2 * (qx * qy + qz * qw),
                     2 * (qx * qz - qy * qw)])


@SETTINGS
@given(targets=st.lists(poses, min_size=1, max_size=8))
def test_any_targets_in_a_batch_are_clear_or_refused(focused, targets):
    batch = np.array(targets)
    try:
        answers = focused.solve(batch)
    except UnreachableError as e:
        assert e.mask.any() and len(e.reasons) == e.mask.sum()
        answers = focused.solve(batch[~e.mask]) if (~e.mask).any() else np.zeros((0, 4))
    if len(answers):
        assert MODEL.check(answers).clear.all()


# --- the collision model -----------------------------------------------------------------------

def test_targets_under_the_table_or_inside_the_base_are_refused_with_the_reason(analytic):
    down = [0.0, 0.7071068, 0.0, 0.7071068]  # tool pointing down
    with pytest.raises(UnreachableError, match='under the table'):
        analytic.solve([0.2, 0.0, -0.10, *down])
    with pytest.raises(UnreachableError, match='base'):
        analytic.solve([0.02, 0.0, 0.03, *down], seed=OMX.home)
    # without a collision model the same solver commands them (what the model is for)
    plain = load_solver('analytic')
    assert plain.solve([0.2, 0.0, -0.10, *down]) is not None


class _BlocksElbowUp(CollisionModel):
    """
    The arm's model, plus a (made-up) obstacle wherever joint3 is above a threshold.

    The selection must then take the other solution.
    """

    def check(self, joints):
        report = super().check(joints)
        q = np.atleast_2d(np.asarray(joints, float))
        blocked = q[:, 2] > self.threshold
        report.clear = report.clear & ~blocked
        report.depth = np.where(blocked, 0.01, report.depth)
        return report

    def clear_one(self, joints):
        return bool(self.check(np.array([joints])).clear[0])


def test_a_clear_solution_is_taken_where_the_branch_rule_one_collides():
    # re-posed: at [-0.381, 1.132, -1.271, 0.905] the fingers (to 149 mm, covered since the
    # capsules hold the meshes) come 7.8 mm over the table, under the clearance
    pose = forward_kinematics([-0.555, 1.268, -1.301, -0.122])
    up, down = ik_solutions(pose).joints[0]  # both inside the limits, both clear of the table
    assert MODEL.check(np.array([up, down])).clear.all()
    solver = load_solver('analytic')
    np.testing.assert_allclose(solver.solve(pose), up)  # the branch rule
    model = _BlocksElbowUp()
    object.__setattr__(model, 'threshold', (up[2] + down[2]) / 2)
    solver.collision = model
    np.testing.assert_allclose(solver.solve(pose), down, atol=1e-9)
    np.testing.assert_allclose(solver.solve(pose, seed=up), down, atol=1e-9)


def test_collision_model_agrees_with_points_along_each_link():
    """
    Sampled points of each capsule.

    The model says 'under the table' exactly where some sampled point of a moving link is lower
    than clearance + radius.
    """
    rng = np.random.default_rng(0)
    q = rng.uniform(OMX.lower, OMX.upper, (3000, 4))
    ends = MODEL.capsule_ends(q)  # (M, C, 2, 3): the capsules fitted to the meshes
    t = np.linspace(0, 1, 51)[:, None]
    lowest = np.full(len(q), np.inf)
    for k in MODEL.moving:  # the capsules checked against the table (not the base)
        z = ends[None, :, k, 0, 2] + t * (ends[None, :, k, 1, 2] - ends[None, :, k, 0, 2])
        lowest = np.minimum(lowest, z.min(axis=0) - MODEL.radii[k])
    report = MODEL.check(q)
    under = lowest < MODEL.table_z + MODEL.table_clearance
    assert np.all(~report.clear[under])
    # and 22.9 % of configurations inside the limits put a link under the base plane
    assert (lowest < MODEL.table_z).mean() > 0.1


def test_path_through_the_table_between_two_clear_poses_is_refused():
    start, goal = np.array([2.16, 0.44, 0.06, -0.08]), np.array([0.07, -0.12, 0.45, 1.65])
    assert MODEL.clear(start) and MODEL.clear(goal) and not MODEL.clear((start + goal) / 2)
    ok, why = MODEL.check_path(start, goal)
    assert not ok and 'path hits' in why
    assert MODEL.check_path(start, OMX.home)[0] and MODEL.check_path(OMX.home, goal)[0]


def test_a_path_out_of_a_collision_is_allowed_but_not_deeper_in():
    inside = np.array([0.0, 1.2, 0.3, 0.3])  # pushed down to the table by hand
    assert not MODEL.clear(inside)
    assert MODEL.check_path(inside, OMX.home)[0]
    assert not MODEL.check_path(inside, [0.0, 1.5, 0.3, 0.3])[0]
    assert not MODEL.check_path(OMX.home, inside)[0]


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), clearance=st.floats(0.0, 0.04))
def test_babble_goals_and_the_paths_to_them_are_clear(seed, clearance):
    model = CollisionModel(table_clearance=clearance)
    rng = np.random.default_rng(seed)
    # the capsules fitted to the meshes hold the upper arm's servo 35 mm over the table at its
    # lowest, wherever the joints are: a clearance (plus the babble's room) above that leaves no
    # goal, and babbling says so instead of answering
    grid = np.random.default_rng(1).uniform(OMX.lower, OMX.upper, (2000, OMX.dof))
    if not model.inflated(BABBLE_ROOM).check(grid).clear.any():
        with pytest.raises(RuntimeError, match='leaves no room'):
            babble_joints(rng, collision=model)
        return
    goal = None
    for _ in range(5):
        following = babble_joints(rng, collision=model, start=goal)
        assert model.clear(following)
        if goal is not None:
            assert model.check_path(goal, following)[0]
        goal = following


def test_the_demo_sweep_stays_clear_of_the_table_and_the_base():
    lower, upper = sweep_box()
    grid = np.stack(np.meshgrid(*[np.linspace(lo, hi, 7) for lo, hi in zip(lower, upper)]),
                    -1).reshape(-1, 4)
    assert CollisionModel(table_clearance=0.03).check(grid).clear.all()
    path = sweep_pose(np.linspace(0, 600, 30001))
    assert path[:, 2].min() > 0.1


@SETTINGS
@given(q=joints, direction=st.tuples(*[st.floats(-1, 1)] * 3), size=st.floats(0.0, 0.02))
def test_the_single_pose_fast_path_gives_the_full_rules_answer(analytic, focused, q, direction,
                                                               size):
    """
    Check the single-pose fast path answers as the full rule does.

    One seeded pose takes a fast path in plain floats when its rule-side solution is near the
    seed; a batch of one always takes the full rule: both must answer alike.
    """
    pose = forward_kinematics(q)
    pose[:3] += np.array(direction) * size
    for solver in (analytic, focused):
        try:
            full = solver.solve(pose[None], seed=q)[0]
        except UnreachableError:
            with pytest.raises(UnreachableError):
                solver.solve(pose, seed=q)
            continue
        np.testing.assert_allclose(solver.solve(pose, seed=q), full, atol=1e-6)


@SETTINGS
@given(q=st.lists(st.tuples(*[st.floats(-4, 4) | st.just(math.nan)] * 4), min_size=1,
                  max_size=20),
       clearance=st.floats(0.0, 0.05), box=st.booleans(), description=st.sampled_from(
           ['humble', 'jazzy']))
def test_the_single_configuration_check_is_the_batch_check(q, clearance, box, description):
    model = CollisionModel(default_arm(description), clearance,
                           (-0.2, 0.35, -0.3, 0.3, -0.05, 0.4) if box else None)
    q = np.array(q)
    finite = np.isfinite(q).all(axis=1)
    batch = np.zeros(len(q), bool)
    if finite.any():
        batch[finite] = model.check(q[finite]).clear
    assert [model.clear_one(row) for row in q.tolist()] == batch.tolist()
