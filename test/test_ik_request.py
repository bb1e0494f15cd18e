"""
MoveIt's IK and FK requests answered by the ik node's solver, free of ROS (ik_request).

The requests are what MoveIt's srv_kinematics_plugin sends: avoid_collisions true, group 'arm',
the seed as the robot state, the pose in the base frame, ik_link_name the tool frame.
"""

import copy
from dataclasses import replace
import math

from hypothesis import given, settings
from hypothesis import strategies as st
from ik_net_ros.arm import ChainErrors, default_arm
from ik_net_ros.kinematics import forward_kinematics
from ik_net_ros.kinematics.calibration_file import FORMAT
from ik_net_ros.kinematics.nearest import small_change, SNAP_ANGLE, SNAP_POSITION
from ik_net_ros.kinematics.rigid import compose, invert, pose_from_xyz_rpy
from ik_net_ros.kinematics.rotations import quat_angle
from ik_net_ros.kinematics.target_frames import TargetFrames
from ik_net_ros.kinematics.tracker_setup import TrackerSetup
from ik_net_ros.nodes.ik_params import make_frames, make_solver, PARAMETERS
from ik_net_ros.solver.ik_request import (
    ArmNames,
    fk_frame,
    forward_request,
    FRAME_TRANSFORM_FAILURE,
    IkRequest,
    INVALID_GOAL_CONSTRAINTS,
    INVALID_GROUP_NAME,
    INVALID_LINK_NAME,
    INVALID_ROBOT_STATE,
    JointConstraint,
    NO_IK_SOLUTION,
    solution_state,
    solve_request,
    SUCCESS,
    TIMED_OUT,
)
import numpy as np
from omx_legacy import OMX_GEOMETRY
import pytest
import yaml

OMX = default_arm()  # the OM-X, ROBOTIS's humble description

PARAMS = {name: spec.default for name, spec in PARAMETERS.items()}
NAMES = ArmNames(tuple(OMX.joint_names))


@pytest.fixture(scope='module')
def node_like():
    """Return the ik node's solver and frames with its default parameters."""
    return make_solver(PARAMS), make_frames(PARAMS)


joints = st.tuples(*[st.floats(lo, hi) for lo, hi in zip(OMX.lower, OMX.upper)])
# the forearm nearly in line with the upper arm (joint3 about -atan2(0.128, 0.024) = -1.385 rad):
# both elbows are close there, where an approximate answer refined lands on either
STRAIGHT = -math.atan2(0.128, 0.024)
near_straight = joints.map(list).flatmap(lambda q: st.floats(STRAIGHT - 0.1, STRAIGHT + 0.1).map(
    lambda q3: (q[0], q[1], q3, q[3])))
noise = st.lists(st.floats(-0.05, 0.05), min_size=OMX.dof, max_size=OMX.dof)


def plugin_request(pose, seed, **kw) -> IkRequest:
    """Return what srv_kinematics_plugin sends for ``pose`` from ``seed``."""
    values = {'pose': list(pose), 'frame': 'world', 'group': 'arm', 'link': NAMES.tool,
              'seed': dict(zip(NAMES.joints, seed)), 'avoid_collisions': True}
    values.update(kw)
    return IkRequest(**values)


@pytest.fixture(scope='module')
def arms(node_like, tmp_path_factory):
    """Return the node's solver for the nominal arm and for arms whose axes lean (by name)."""
    solvers = {'nominal': node_like[0]}
    rng = np.random.default_rng(35)
    for name, degrees in (('lean 0.4 deg', 0.4), ('lean 1 deg', 1.0)):  # x and y, either sign
        tilts = np.radians(degrees) * rng.choice([-1.0, 1.0], 8) * rng.uniform(0.7, 1.0, 8)
        geometry = dict(OMX_GEOMETRY)
        geometry['axis_tilts'] = [float(v) for v in tilts]
        path = tmp_path_factory.mktemp('cal') / f'lean{degrees}.yaml'
        path.write_text(yaml.safe_dump({'format': FORMAT, 'version': 2, 'geometry': geometry}))
        solvers[name] = make_solver({**PARAMS, 'calibration': str(path)})
    return solvers


def arm_of(solver):
    """Return the arm the solver's arm really is (leaning axes included)."""
    return solver.arm


@settings(max_examples=120, deadline=None)
@given(q=st.one_of(joints, near_straight), far=joints, wobble=noise, near=st.booleans(),
       arm=st.sampled_from(['nominal', 'lean 0.4 deg']))
def test_clear_targets_get_exact_answers_nearest_the_seed(node_like, arms, q, far, wobble,
                                                          near, arm):
    """
    An exact solution, no farther from the seed than the one the target was made from.

    As srv_kinematics_plugin asks: the seed near the answer, or anywhere (a far seed: joint1
    may need more than half a turn, a long move the node allows; the other yaw side's
    solution, with the tool rolled half a turn, is no answer), on the nominal arm and on arms
    whose axes lean 0.4 degree (1 degree: rare far targets are still refused, see moveit.md).
    """
    solver, frames = arms[arm], node_like[1]
    geometry = arm_of(solver)
    q = list(q)
    if not solver.collision.clear_one(q):
        return
    pose = forward_kinematics(np.array(q), geometry)
    seed = [a + b for a, b in zip(q, wobble)] if near else list(far)
    if not near and small_change(pose[None], np.array([seed]), geometry)[0]:
        return  # a small change from another branch: the jump rule's (refused, rightly)
    before = (solver.max_jump, getattr(solver, 'allow_long_moves', None))
    answer = solve_request(plugin_request(pose, seed), solver, frames, NAMES)
    assert answer.code == SUCCESS, answer.reason
    got = forward_kinematics(np.array(answer.joints), geometry)
    # exact; from a far seed, a solution a hair past joint1's seam or a limit may be the
    # clamped one, within the package's tolerance (kinematics/nearest.py)
    reach, turn = (1e-6, 1e-5) if near else (SNAP_POSITION, SNAP_ANGLE)
    assert np.linalg.norm(got[:3] - pose[:3]) <= reach
    assert quat_angle(got[None, 3:], pose[None, 3:])[0] <= turn
    slack = 1e-3 if solver.leaning else 1e-6  # a leaning arm's solve: 1e-9 m
    assert np.linalg.norm(np.subtract(answer.joints, seed)) <= \
        np.linalg.norm(np.subtract(q, seed)) + slack
    assert solver.collision.clear_one(answer.joints)
    assert (solver.max_jump, getattr(solver, 'allow_long_moves', None)) == before
    # FK round-trips: the answer's tool pose is the target
    code, poses, _ = forward_request(dict(zip(NAMES.joints, answer.joints)), [NAMES.tool],
                                     'world', geometry, NAMES)
    assert code == SUCCESS and np.allclose(poses[0][:3], got[:3], atol=1e-9)


@settings(max_examples=40, deadline=None)
@given(q=joints, far=joints, t=st.floats(0.0, 0.99))
def test_a_long_move_the_node_refuses_is_said_so(node_like, q, far, t):
    """allow_long_moves false: an exact answer, or NO_IK_SOLUTION naming the half turn."""
    solver, frames = node_like
    strict = copy.copy(solver)
    strict.allow_long_moves = False
    q = list(q)
    if not solver.collision.clear_one(q):
        return
    # the seed's joint1 more than half a turn from the target's (the long way round)
    far = [-math.copysign(math.pi - abs(q[0]) * t, q[0])] + list(far[1:])
    pose = forward_kinematics(np.array(q), solver.planar_arm)
    answer = solve_request(plugin_request(pose, list(far)), strict, frames, NAMES)
    if answer.code == SUCCESS:
        assert abs(answer.joints[0] - far[0]) <= math.pi + 1e-6
        got = forward_kinematics(np.array(answer.joints), solver.planar_arm)
        assert quat_angle(got[None, 3:], pose[None, 3:])[0] <= 1e-5
    else:
        assert answer.code == NO_IK_SOLUTION and 'half a turn' in answer.reason, answer.reason


@settings(max_examples=40, deadline=None)
@given(name=st.text(max_size=12), field=st.sampled_from(['group', 'link', 'frame']))
def test_other_groups_links_and_frames_are_refused_with_moveits_codes(node_like, name, field):
    solver, frames = node_like
    accepted = {'group': ('arm', ''), 'link': ('', NAMES.tool),
                'frame': ('', 'world', 'link1')}[field]
    zero = [0.0] * len(OMX.joint_names)
    pose = forward_kinematics(np.array(zero), solver.planar_arm)
    answer = solve_request(plugin_request(pose, zero, **{field: name}), solver, frames,
                           NAMES)
    code = {'group': INVALID_GROUP_NAME, 'link': INVALID_LINK_NAME,
            'frame': FRAME_TRANSFORM_FAILURE}[field]
    assert (answer.code == SUCCESS) == (name in accepted)
    if name not in accepted:
        assert answer.code == code and answer.joints is None and answer.reason


@settings(max_examples=30, deadline=None)
@given(q=joints, missing=st.sampled_from(OMX.joint_names))
def test_a_seed_without_an_arm_joint_falls_back_to_the_nodes_seed(node_like, q, missing):
    solver, frames = node_like
    q = list(q)
    if not solver.collision.clear_one(q):
        return
    pose = forward_kinematics(np.array(q), solver.planar_arm)
    request = plugin_request(pose, q)
    del request.seed[missing]
    request.seed['gripper_left_joint'] = 0.01  # other joints: ignored
    answer = solve_request(request, solver, frames, NAMES, fallback_seed=lambda: q)
    assert answer.code == SUCCESS and missing in answer.reason
    assert np.allclose(answer.joints, q, atol=1e-6)


@settings(max_examples=30, deadline=None)
@given(q=joints, other=joints)
def test_joint_constraints_pick_among_the_safe_candidates(node_like, q, other):
    """Constraints around one solution find it from any seed; impossible ones: NO_IK_SOLUTION."""
    solver, frames = node_like
    q = list(q)
    if not solver.collision.clear_one(q):
        return
    pose = forward_kinematics(np.array(q), solver.planar_arm)
    around = [JointConstraint(n, v, 1e-4, 1e-4) for n, v in zip(NAMES.joints, q)]
    answer = solve_request(plugin_request(pose, list(other), constraints=around), solver,
                           frames, NAMES)
    assert answer.code == SUCCESS, answer.reason
    assert all(c.holds(v) for c, v in zip(around, answer.joints))
    beyond = [JointConstraint(NAMES.joints[1], OMX.upper[1] + 0.5, 0.1, 0.1)]
    answer = solve_request(plugin_request(pose, q, constraints=beyond), solver, frames, NAMES)
    assert answer.code == NO_IK_SOLUTION and answer.joints is None


def test_bad_constraints_timeouts_and_collisions(node_like):
    solver, frames = node_like
    q = [0.3, -0.2, 0.3, 0.4]
    pose = forward_kinematics(np.array(q), solver.planar_arm)
    nan = [JointConstraint(NAMES.joints[0], math.nan, 0.1, 0.1)]
    for request in (plugin_request(pose, q, constraints=nan),
                    plugin_request(pose, q, other_constraints=1)):
        assert solve_request(request, solver, frames, NAMES).code == INVALID_GOAL_CONSTRAINTS
    # a zero timeout is no limit; a solve longer than the timeout is TIMED_OUT
    assert solve_request(plugin_request(pose, q, timeout=0.0), solver, frames,
                         NAMES).code == SUCCESS
    ticks = iter(range(100))
    late = solve_request(plugin_request(pose, q, timeout=0.5), solver, frames, NAMES,
                         clock=lambda: float(next(ticks)))
    assert late.code == TIMED_OUT
    # under the table: refused whether or not the caller asks to avoid collisions
    low = forward_kinematics(np.array([0.0, 1.2, 0.2, 0.5]), solver.planar_arm)
    assert not solver.collision.clear_one([0.0, 1.2, 0.2, 0.5])
    for avoid in (True, False):
        answer = solve_request(plugin_request(low, q, avoid_collisions=avoid), solver, frames,
                               NAMES)
        assert answer.code == NO_IK_SOLUTION
    # several tips: the arm has one
    two = plugin_request(pose, q, links=[NAMES.tool, 'link3'], poses=2)
    assert solve_request(two, solver, frames, NAMES).code == INVALID_LINK_NAME


def test_the_solution_state_holds_the_arm_and_the_seeds_other_joints():
    names, positions = solution_state(['gripper_left_joint', 'joint2'], [0.01, 9.0], NAMES,
                                      [0.1 * (k + 1) for k in range(len(OMX.joint_names))])
    assert names == list(NAMES.joints) + ['gripper_left_joint']
    assert positions == [0.1 * (k + 1) for k in range(len(OMX.joint_names))] + [0.01]


def test_fk_refuses_other_links_frames_and_partial_states(node_like):
    solver, _ = node_like
    state = dict.fromkeys(NAMES.joints, 0.0)
    geometry = solver.planar_arm
    for links in (['gripper_left_link'], ['arm1_link3'], []):
        assert forward_request(state, links, 'world', geometry, NAMES)[0] == INVALID_LINK_NAME
    assert forward_request(state, [NAMES.tool], 'camera', geometry,
                           NAMES)[0] == FRAME_TRANSFORM_FAILURE
    del state[NAMES.joints[2]]
    assert forward_request(state, [NAMES.tool], '', geometry, NAMES)[0] == INVALID_ROBOT_STATE


@settings(max_examples=30, deadline=None)
@given(q=joints, frame=st.tuples(*[st.floats(-1.0, 1.0)] * 3 + [st.floats(-180.0, 180.0)] * 3))
def test_a_pose_in_the_tracker_frame_of_a_prefixed_arm(node_like, q, frame):
    """Take the calibration's tracker frame as the node's targets do; names carry the prefix."""
    solver, _ = node_like
    q = list(q)
    if not solver.collision.clear_one(q):
        return
    setup = TrackerSetup(frame=tuple(pose_from_xyz_rpy(frame)), frame_id='mocap')
    frames = TargetFrames('world', prefix='arm1_', tracker=setup)
    names = ArmNames(tuple(f'arm1_{n}' for n in OMX.joint_names), 'arm1_')
    base_pose = forward_kinematics(np.array(q), solver.planar_arm)
    in_tracker = compose(invert(np.asarray(setup.frame)), base_pose)
    request = IkRequest(pose=in_tracker.tolist(), frame='mocap', link='arm1_end_effector_link',
                        seed=dict(zip(names.joints, q)))
    answer = solve_request(request, solver, frames, names)
    assert answer.code == SUCCESS, answer.reason
    got = forward_kinematics(np.array(answer.joints), solver.planar_arm)
    assert np.linalg.norm(got[:3] - base_pose[:3]) <= 1e-6
    for link, frame_id, code in (('end_effector_link', 'mocap', INVALID_LINK_NAME),
                                 ('arm1_end_effector_link', 'link1', FRAME_TRANSFORM_FAILURE)):
        request = IkRequest(pose=in_tracker.tolist(), frame=frame_id, link=link,
                            seed=dict(zip(names.joints, q)))
        assert solve_request(request, solver, frames, names).code == code


@settings(max_examples=40, deadline=None)
@given(q=joints, roll=st.floats(-0.5, 0.5))
def test_an_orientation_the_arm_cannot_take_is_no_solution(node_like, q, roll):
    """A roll about the tool x axis beyond 1 degree: NO_IK_SOLUTION, never the projection."""
    solver, frames = node_like
    q = list(q)
    if not solver.collision.clear_one(q):
        return
    pose = forward_kinematics(np.array(q), solver.planar_arm)
    rolled = compose(pose, pose_from_xyz_rpy([0.0, 0.0, 0.0, math.degrees(roll), 0.0, 0.0]))
    answer = solve_request(plugin_request(rolled, q), solver, frames, NAMES)
    if abs(roll) > math.radians(1.0) + 1e-9:
        assert answer.code == NO_IK_SOLUTION and 'deg' in answer.reason
    elif answer.code == SUCCESS:
        got = forward_kinematics(np.array(answer.joints), solver.planar_arm)
        assert quat_angle(got[None, 3:], rolled[None, 3:])[0] <= math.radians(1.0) + 1e-9


@settings(max_examples=40, deadline=None)
@given(q=joints, tilts=st.lists(st.floats(-0.02, 0.02), min_size=8, max_size=8))
def test_an_arm_with_leaning_axes_gets_answers_that_reach_the_pose_or_none(node_like, q, tilts):
    """Where the tilt stage cannot reach the pose, NO_IK_SOLUTION (it left 8 mm before)."""
    solver, frames = node_like
    leaning = copy.copy(solver)
    leaning.arm = OMX.with_errors(replace(ChainErrors.zeros(4), tilts=np.reshape(tilts, (4, 2))))
    q = list(q)
    if not solver.collision.clear_one(q):
        return
    pose = forward_kinematics(np.array(q), leaning.arm)
    answer = solve_request(plugin_request(pose, q), leaning, frames, NAMES)
    assert answer.code in (SUCCESS, NO_IK_SOLUTION)
    if answer.code == SUCCESS:
        code, poses, _ = forward_request(dict(zip(NAMES.joints, answer.joints)), [NAMES.tool],
                                         'world', leaning.arm, NAMES)
        assert code == SUCCESS and np.linalg.norm(np.subtract(poses[0][:3], pose[:3])) <= 1e-3


@settings(max_examples=30, deadline=None)
@given(q=joints, base=st.tuples(*[st.floats(-1.0, 1.0)] * 3 + [st.floats(-180.0, 180.0)] * 3),
       tracker=st.tuples(*[st.floats(-1.0, 1.0)] * 3 + [st.floats(-180.0, 180.0)] * 3))
def test_fk_answers_in_the_frame_requested_and_round_trips_with_ik(node_like, q, base, tracker):
    """
    World with the base's placement, the base link, the tracker frame, '' (= the base link).

    Each answer is in the frame it is labelled with (:func:`fk_frame`), and solve_ik of it in
    that frame gives the joints back (FK of a placed arm answered in link1 coordinates before).
    """
    solver, _ = node_like
    q = list(q)
    if not solver.collision.clear_one(q):
        return
    placed = tuple(pose_from_xyz_rpy(base))
    setup = TrackerSetup(frame=tuple(pose_from_xyz_rpy(tracker)), frame_id='mocap')
    frames = TargetFrames('world', tracker=setup, base=placed)
    in_base = forward_kinematics(np.array(q), solver.planar_arm)
    expected = {'world': compose(np.asarray(placed), in_base), 'link1': in_base,
                'mocap': compose(invert(np.asarray(setup.frame)), in_base), '': in_base}
    for frame, want in expected.items():
        code, poses, reason = forward_request(dict(zip(NAMES.joints, q)), [NAMES.tool], frame,
                                              solver.planar_arm, NAMES, frames)
        assert code == SUCCESS, reason
        assert np.allclose(poses[0][:3], want[:3], atol=1e-9)
        assert quat_angle(np.array([poses[0][3:]]), want[None, 3:])[0] <= 1e-7
        label = fk_frame(frame, NAMES)
        assert label == (frame or 'link1')
        answer = solve_request(plugin_request(poses[0], q, frame=label), solver, frames, NAMES)
        assert answer.code == SUCCESS, answer.reason
        assert np.allclose(answer.joints, q, atol=1e-6)
    code, _, reason = forward_request(dict(zip(NAMES.joints, q)), [NAMES.tool], 'camera',
                                      solver.planar_arm, NAMES, frames)
    assert code == FRAME_TRANSFORM_FAILURE and 'camera' in reason
