"""
The view as a ROS node over real DDS: what it publishes, what it shows, what it never does.

The browser test drags the gizmo with real mouse events; the node publishes target_pose (only
with allow_commands) and the page shows the joint_states it receives.
"""

from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue
from geometry_msgs.msg import PoseStamped
from ik_net_ros.nodes.conversions import joint_state
from ik_net_ros.nodes.view_node import NOT_ALLOWED, ViewNode
from ik_net_ros.view.page import CAMERA_POSITION, GIZMO_SCALE, ViewPage
import numpy as np
import pytest
from rclpy.parameter import Parameter
from sensor_msgs.msg import JointState
from std_msgs.msg import String
from viewutil import Browser, camera_of, chromium_path, project, wait_for

pytestmark = pytest.mark.ros
NS = '/view_test'


def _view(ros, allow: bool) -> ViewNode:
    return ros.add(ViewNode(context=ros.context, namespace=NS, parameter_overrides=[
        Parameter('allow_commands', value=allow)]))


@pytest.mark.slow
def test_page_drag_publishes_target_pose_and_shows_joint_states(ros):
    chromium_path()
    view = _view(ros, True)
    probe = ros.node('probe')
    targets = []
    probe.create_subscription(PoseStamped, f'{NS}/target_pose', targets.append, 10)
    states = probe.create_publisher(JointState, f'{NS}/joint_states', 10)
    assert ros.spin_until(lambda: probe.count_subscribers(f'{NS}/joint_states') > 0 and
                          probe.count_publishers(f'{NS}/target_pose') > 0)
    page = ViewPage(view, port=0)
    browser = None
    try:
        browser = Browser(page.url)
        browser.wait_text('targets go to the ik node')
        camera = camera_of(page.server, CAMERA_POSITION)
        centre = np.asarray(page.gizmo.position).copy()
        start = project(camera, centre + [0, 0, 0.6 * GIZMO_SCALE])
        end = project(camera, centre + [0, 0, 0.6 * GIZMO_SCALE - 0.04])
        for _ in range(5):  # again while the page has not drawn the gizmo yet
            browser.drag(start, end)
            if wait_for(lambda: abs(page.gizmo.position[2] - centre[2]) > 1e-3, 2.0):
                break
        # the drag's targets arrive, down from where the gizmo was
        assert ros.spin_until(lambda: any(t.pose.position.z < centre[2] - 0.01
                                          for t in targets))
        assert all(t.header.frame_id == 'world' for t in targets)
        # the arm's state as a driver publishes it: the page shows it
        joints = [0.123, -0.456, 0.321, 0.654]
        states.publish(joint_state(joints, probe.get_clock().now().to_msg()))
        assert ros.spin_until(lambda: view.state().present is not None)
        assert np.allclose(view.state().present, joints)
        browser.wait_text('+0.123 -0.456 +0.321 +0.654')
    finally:
        if browser is not None:
            browser.close()
        page.close()


def test_without_permission_nothing_is_published_and_the_page_says_so(ros):
    view = _view(ros, False)
    probe = ros.node('probe')
    ros.spin_for(0.3)
    assert view.count_publishers(f'{NS}/target_pose') == 0
    fate = view.set_target([0.2, 0.0, 0.1, 0.0, 0.0, 0.0, 1.0])
    assert fate.fate == 'not sent' and fate.reason == NOT_ALLOWED
    assert view.switch_model('analytic') == NOT_ALLOWED
    assert probe.count_publishers(f'{NS}/target_pose') == 0


def test_the_fate_shown_is_the_last_that_arrived_from_either_topic(ros):
    view = _view(ros, False)
    probe = ros.node('probe')
    status = probe.create_publisher(String, f'{NS}/target_status', 10)
    fates = probe.create_publisher(DiagnosticArray, f'{NS}/target_fate', 10)
    assert ros.spin_until(lambda: probe.count_subscribers(f'{NS}/target_fate') > 0 and
                          probe.count_subscribers(f'{NS}/target_status') > 0)
    status.publish(String(data='refused (unreachable): too far from the shoulder'))
    assert ros.spin_until(lambda: view.state().fate.fate == 'refused')
    assert view.state().fate.code == 'unreachable'
    assert view.state().fate.reason == 'too far from the shoulder'
    msg = DiagnosticArray()
    msg.status = [DiagnosticStatus(message='at the target', values=[
        KeyValue(key='fate', value='reached'), KeyValue(key='reason', value='')])]
    fates.publish(msg)
    assert ros.spin_until(lambda: view.state().fate.fate == 'reached')
    assert view.state().fate.reason == 'at the target'


def test_config_view_yaml_lists_the_declared_parameters():
    from pathlib import Path

    from ik_net_ros.nodes.view_node import PARAMETERS
    import yaml
    section = yaml.safe_load((Path(__file__).resolve().parents[1] / 'config' / 'view.yaml')
                             .read_text())['/**/view']['ros__parameters']
    assert set(section) == set(PARAMETERS)
    assert all(section[k] == spec.default for k, spec in PARAMETERS.items())


def test_the_solver_menu_sets_the_ik_nodes_model_only_with_permission(ros):
    import threading

    from ik_net_ros.nodes.ik_node import IkNode
    ik = ros.add(IkNode(context=ros.context, namespace=NS,
                        parameter_overrides=[Parameter('model', value='analytic')]))
    view = _view(ros, True)
    answers = []
    worker = threading.Thread(target=lambda: answers.append(view.switch_model('improved')))
    worker.start()  # it waits for the ik node's answer while this thread spins both nodes
    assert ros.spin_until(lambda: answers, 30.0)
    worker.join()
    assert answers == [''] and ik.get_parameter('model').value == 'improved'
    assert view.state().model == 'improved'
    worker = threading.Thread(target=lambda: answers.append(view.switch_model('nope')))
    worker.start()
    assert ros.spin_until(lambda: len(answers) == 2, 30.0)
    worker.join()
    assert 'nope' in answers[1] and ik.get_parameter('model').value == 'improved'


def test_with_a_real_ik_node_the_view_shows_its_commands_and_refusals(ros):
    from ik_net_ros.kinematics import forward_kinematics
    from ik_net_ros.nodes.ik_node import IkNode
    ros.add(IkNode(context=ros.context, namespace=NS,
                   parameter_overrides=[Parameter('model', value='analytic')]))
    view = _view(ros, True)
    assert ros.spin_until(lambda: view.count_subscribers(f'{NS}/target_pose') > 0)
    goal = [0.3, -0.5, 0.4, 0.6]
    target = forward_kinematics(goal)
    view.set_target(target)
    assert ros.spin_until(lambda: view.state().commanded is not None
                          and view.state().fate.fate == 'taken')
    state = view.state()
    assert np.allclose(state.commanded, goal, atol=1e-6)
    assert state.error_mm < 1e-3 and state.solve_ms is not None  # matched by the stamp
    view.set_target([0.2, 0.0, -0.03, 0.0, 0.7071068, 0.0, 0.7071068])  # under the table
    assert ros.spin_until(lambda: view.state().fate.fate == 'refused')
    assert view.state().fate.code == 'unreachable' and view.state().fate.reason
    assert np.allclose(view.state().commanded, goal, atol=1e-6)  # nothing else was commanded
