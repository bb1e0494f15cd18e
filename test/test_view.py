"""The view's core without a browser: what is drawn, a target's fate, the in-process session."""

import time

from hypothesis import given, settings
from hypothesis import strategies as st
from ik_net_ros.arm import default_arm, load_arm
from ik_net_ros.errors import ConfigError
from ik_net_ros.kinematics import (
    forward_kinematics,
    ik_solutions,
    quat_to_matrix,
    within_limits_one,
)
from ik_net_ros.kinematics.chain import chain_forward, chain_frames
from ik_net_ros.kinematics.collision import CollisionModel
from ik_net_ros.view.fate import Fate, from_diagnostic, from_status
from ik_net_ros.view.scene import capsules, elbow, matrix_to_wxyz, UrdfArm, wxyz_to_xyzw
from ik_net_ros.view.session import InProcessSession
import numpy as np
import pytest

OMX = default_arm()  # the OM-X, ROBOTIS's humble description

SETTINGS = settings(max_examples=60, deadline=None, derandomize=True, database=None)
joints = st.tuples(*(st.floats(float(lo), float(hi))
                     for lo, hi in zip(OMX.lower, OMX.upper)))
quaternions = st.tuples(*[st.floats(-1, 1)] * 4).filter(lambda q: np.linalg.norm(q) > 0.1)


@pytest.mark.parametrize('description', ['humble', 'jazzy'])
@SETTINGS
@given(q=joints)
def test_the_urdf_arm_drawn_ends_where_the_kinematics_put_the_tool(description, q):
    tool = UrdfArm(arm=default_arm(description)).link_poses(q)['end_effector_link']
    fk = forward_kinematics(q, default_arm(description))
    assert np.allclose(tool[:3, 3], fk[:3], atol=1e-9)
    assert np.allclose(tool[:3, :3], quat_to_matrix(fk[None, 3:])[0], atol=1e-9)


@SETTINGS
@given(q=joints)
def test_capsules_are_the_collision_models_links_and_cylinders_span_them(q):
    model = CollisionModel()
    segments = model.capsule_ends(np.array([q]))[0]
    drawn = capsules(default_arm(), q)
    assert [c.radius for c in drawn] == list(model.radii)
    for k, capsule in enumerate(drawn):
        assert np.allclose([capsule.start, capsule.end], segments[k])
        wxyz, centre = capsule.cylinder_pose()
        axis = quat_to_matrix(wxyz_to_xyzw(wxyz)[None])[0][:, 2]  # a cylinder's length: z
        assert np.allclose(centre + axis * capsule.length / 2, capsule.end, atol=1e-9)
        assert np.allclose(centre - axis * capsule.length / 2, capsule.start, atol=1e-9)


@SETTINGS
@given(q=quaternions)
def test_matrix_to_wxyz_inverts_quat_to_matrix(q):
    xyzw = np.array(q) / np.linalg.norm(q)
    wxyz = matrix_to_wxyz(quat_to_matrix(xyzw[None])[0])
    assert np.allclose(np.abs(wxyz @ np.array([xyzw[3], *xyzw[:3]])), 1.0, atol=1e-9)


def test_elbow_names_the_closed_forms_branches(rng):
    poses = forward_kinematics(rng.uniform(OMX.lower, OMX.upper, (300, 4)))
    solutions = ik_solutions(poses)
    seen = 0
    for both in solutions.joints:
        for branch, name in ((0, 'elbow up'), (1, 'elbow down')):
            if np.all(np.isfinite(both[branch])):
                assert elbow(default_arm(), both[branch]) == name
                seen += 1
    assert seen > 300


@SETTINGS
@given(code=st.text(st.characters(blacklist_characters=')\n'), min_size=1).map(str.strip)
       .filter(bool),
       why=st.text(st.characters(blacklist_characters='\n'), min_size=1).map(str.strip)
       .filter(bool))
def test_target_status_refusals_give_their_kind_and_reason(code, why):
    fate = from_status(f'refused ({code}): {why}')
    assert fate == Fate('refused', why, code)
    assert why in fate.words() and 'refused' in fate.words()


def test_target_status_and_fate_vocabulary():
    assert from_status('').fate == 'taken'
    assert from_diagnostic('under the table', {'fate': 'refused', 'reason': 'collision'}) == \
        Fate('refused', 'under the table', 'collision')
    assert from_diagnostic('', {'fate': 'reached', 'reason': ''}).fate == 'reached'
    odd = from_diagnostic('what', {'fate': 'exploded'})  # shown, never dropped
    assert 'exploded' in odd.words() and 'what' in odd.words()


@pytest.fixture(scope='module')
def session():
    session = InProcessSession('analytic')
    yield session
    session.close()


positions = st.tuples(st.floats(-0.1, 0.4), st.floats(-0.3, 0.3), st.floats(-0.15, 0.4))


@settings(max_examples=25, deadline=None, derandomize=True, database=None)
@given(targets=st.lists(st.tuples(positions, quaternions), min_size=1, max_size=6))
def test_every_target_is_taken_safely_or_refused_and_moves_nothing(session, targets):
    for position, q in targets:
        before = session.state().commanded
        pose = np.array([*position, *(np.array(q) / np.linalg.norm(q))])
        fate = session.set_target(pose)
        state = session.state()
        assert fate.fate in ('taken', 'refused') and state.fate == fate
        if fate.fate == 'refused':
            assert fate.reason and fate.code
            assert (before is None and state.commanded is None) or \
                np.array_equal(state.commanded, before)
        else:
            goal = state.commanded
            assert within_limits_one(OMX, goal.tolist())
            assert session.collision.check(goal).clear[0]
            assert np.array_equal(session.arm.goal, goal)


def test_a_target_under_the_table_is_refused_with_why(session):
    fate = session.set_target([0.2, 0.0, -0.03, 0.0, 0.7071068, 0.0, 0.7071068])
    assert fate.fate == 'refused' and fate.reason


@settings(max_examples=10, deadline=None, derandomize=True, database=None)
@given(steps=st.lists(st.tuples(*[st.floats(-0.004, 0.004)] * 3), min_size=2, max_size=15))
def test_small_target_changes_never_make_a_big_joint_move(session, steps):
    start = forward_kinematics([0.2, -0.6, 0.3, 0.8])
    assert session.set_target(start).fate == 'taken'
    pose = start.copy()
    for step in steps:
        previous = session.state().commanded
        pose[:3] += step
        if session.set_target(pose).fate == 'taken':
            assert np.abs(session.state().commanded - previous).max() <= \
                session.solver.max_jump + 1e-9


def test_the_simulated_arm_never_outruns_its_speed_limit():
    session = InProcessSession('analytic', max_velocity=0.5)
    try:
        start = session.state().present
        began = time.perf_counter()
        assert session.set_target(forward_kinematics([1.2, -0.5, 0.3, 0.5])).fate == 'taken'
        moved = []
        for _ in range(20):
            time.sleep(0.02)
            moved.append((time.perf_counter() - began,
                          np.abs(session.state().present - start).max()))
        assert moved[-1][1] > 0  # it follows
        for elapsed, distance in moved:  # at most 0.5 rad/s, however late a cycle ran
            assert distance <= 0.5 * elapsed + 1e-9
    finally:
        session.close()


def test_switching_the_solver_keeps_the_old_one_on_a_bad_name(session):
    assert session.switch_model('analytic') == ''
    assert 'unknown solver' in session.switch_model('no-such-model')
    assert session.state().model == 'analytic'
    assert session.switch_model('focused') == ''
    assert session.state().model == 'focused'
    assert session.set_target(forward_kinematics([0.1, -0.4, 0.2, 0.6])).fate == 'taken'


def test_the_command_line_view_is_local_and_commands_nothing_real_by_default():
    from ik_net_ros.tools.cli import build_parser
    args = build_parser('view').parse_args(['view'])
    assert args.host == '127.0.0.1' and not args.allow_commands and not args.ros
    from ik_net_ros.nodes.view_node import PARAMETERS
    assert PARAMETERS['host'].default == '127.0.0.1'
    assert PARAMETERS['allow_commands'].default is False and PARAMETERS['allow_commands'].fixed


@pytest.mark.parametrize('argv, problem', [
    (['view', '--model', 'nope'], "unknown solver 'nope'"),
    (['view', '--workspace', '0', '-1', '-1', '1', '0', '1'], 'workspace must be'),
    (['view', '--calibration', '/no/such/file.yaml'], 'no such calibration file'),
    (['view', '--port', '70000'], 'argument --port'),
    (['view', '--table-clearance', '-0.01'], 'argument --table-clearance'),
    (['view', '--ros', '--namespace', 'bad ns', '--port', '0'], "namespace 'bad ns' refused"),
    (['view', '--arm', 'omx_z'], "arm 'omx_z'"),
    (['view', '--ros', '--arm', '/no/such/arm.yaml', '--port', '0'], '/no/such/arm.yaml'),
])
def test_bad_view_arguments_are_one_line_and_exit_2(capsys, argv, problem):
    from ik_net_ros.tools.cli import main
    try:
        code = main(argv + ['--duration', '0.01'])
    except SystemExit as e:  # argparse's refusals
        code = e.code
    assert code == 2
    err = capsys.readouterr().err
    assert problem in err and 'Traceback' not in err
    assert len([line for line in err.strip().splitlines() if 'Warning' not in line
                and not line.startswith('  ')]) == 1  # rclpy may warn on a node it did not make


# --- issue 33: the view draws any arm from its chain ------------------------------------------

OMX_F = load_arm('omx_f')
omx_f_joints = st.tuples(*(st.floats(j.lower, j.upper) for j in OMX_F.joints))


@SETTINGS
@given(q=omx_f_joints)
def test_the_omx_f_drawn_ends_where_its_chain_puts_the_tool(q):
    tool = UrdfArm(arm=OMX_F).link_poses(q)[OMX_F.tool_frame]
    fk = chain_forward(OMX_F, q)
    assert np.allclose(tool[:3, 3], fk[:3], atol=1e-9)
    assert np.allclose(tool[:3, :3], quat_to_matrix(fk[None, 3:])[0], atol=1e-9)


@SETTINGS
@given(q=omx_f_joints)
def test_the_omx_f_capsules_are_its_own_fixed_to_its_links(q):
    """Each capsule's ends stay where the arm's YAML puts them in its link's frame."""
    drawn = capsules(OMX_F, q)
    assert [c.name for c in drawn] == [c.name for c in OMX_F.capsules]
    positions, rotations = chain_frames(OMX_F, np.array([q]))
    index = {j.child: k for k, j in enumerate(OMX_F.joints)}
    for capsule, spec in zip(drawn, OMX_F.capsules):
        if spec.link in index:  # a moving link's frame
            rot, origin = rotations[0, index[spec.link]], positions[0, index[spec.link]]
        else:  # fixed in the base frame (the base plate)
            assert spec.link == OMX_F.base_frame
            rot, origin = np.eye(3), np.zeros(3)
        assert np.allclose(rot.T @ (capsule.start - origin), spec.a, atol=1e-12)
        assert np.allclose(rot.T @ (capsule.end - origin), spec.b, atol=1e-12)
        assert capsule.radius == spec.radius


def test_a_session_of_an_unknown_arm_is_refused_in_one_line():
    with pytest.raises(ConfigError, match='omx_z'):
        InProcessSession('analytic', arm='omx_z')


@pytest.fixture(scope='module')
def omx_f_session():
    session = InProcessSession('analytic', arm='omx_f')
    yield session
    session.close()


@settings(max_examples=25, deadline=None, derandomize=True, database=None)
@given(targets=st.lists(st.tuples(positions, quaternions), min_size=1, max_size=6))
def test_the_omx_f_in_the_view_takes_targets_safely_or_refuses_and_moves_nothing(
        omx_f_session, targets):
    """The in-process view of the OMX-F: any pose, taken inside its limits and clear, or not."""
    from ik_net_ros.kinematics.limits import within_limits_one as inside
    session = omx_f_session
    assert session.arm_model.dof == 5 and session.state().present.shape == (5,)
    for position, q in targets:
        before = session.state().commanded
        pose = np.array([*position, *(np.array(q) / np.linalg.norm(q))])
        fate = session.set_target(pose)
        state = session.state()
        assert fate.fate in ('taken', 'refused') and state.fate == fate
        if fate.fate == 'refused':
            assert fate.reason and fate.code
            assert (before is None and state.commanded is None) or \
                np.array_equal(state.commanded, before)
        else:
            goal = state.commanded
            assert inside(OMX_F, goal.tolist()) and session.collision.check(goal).clear[0]
            assert np.array_equal(session.arm.goal, goal)


def test_the_omx_f_in_the_view_reaches_a_pose_of_its_chain_exactly(omx_f_session):
    q = np.array([0.3, -0.5, 0.6, 0.4, 0.2])
    fate = omx_f_session.set_target(chain_forward(OMX_F, q))
    assert fate.fate == 'taken' and omx_f_session.state().error_mm < 1e-6


def test_the_view_of_the_omy_offers_its_solvers_and_names_its_branch():
    """Issue 34: the menu offers an arm's shipped models (the OMY-3M has none) and 8 branches."""
    from ik_net_ros.view.session import solver_names
    omy = load_arm('omy_f3m')
    assert solver_names(load_arm('omy_3m')) == ['analytic']
    assert {'analytic', 'focused'} <= set(solver_names(omy))
    assert 'focused' in solver_names(load_arm('open_manipulator_x'))
    assert elbow(omy, omy.home) == 'branch 0: shoulder front, elbow +, wrist +'
    session = InProcessSession(model='analytic', arm='omy_f3m')
    try:
        fate = session.set_target(chain_forward(omy, np.asarray(omy.home) + 0.05))
        assert fate.fate == 'taken', fate
    finally:
        session.close()
