"""The target marker: an RViz-like client sees it, drags it, and gets targets on target_pose."""

from geometry_msgs.msg import PoseStamped
from ik_net_ros.kinematics import forward_kinematics, quat_to_matrix
from ik_net_ros.nodes.conversions import array_to_pose, joint_state
from ik_net_ros.nodes.target_marker_node import GREEN, RED, RESET_HOME, TargetMarkerNode
import numpy as np
import pytest
from rclpy.parameter import Parameter
from sensor_msgs.msg import JointState
from visualization_msgs.msg import (
    InteractiveMarkerControl,
    InteractiveMarkerFeedback,
    InteractiveMarkerUpdate,
)
from visualization_msgs.srv import GetInteractiveMarkers
import yaml

pytestmark = pytest.mark.ros


class RvizLikeClient:
    """Does what RViz's InteractiveMarkers display does."""

    def __init__(self, ros):
        self.ros = ros
        self.node = ros.node('rviz_like')
        self.updates, self.targets = [], []
        self.node.create_subscription(InteractiveMarkerUpdate, 'target_marker/update',
                                      self.updates.append, 100)
        self.node.create_subscription(PoseStamped, 'target_pose', self.targets.append, 100)
        self.feedback = self.node.create_publisher(InteractiveMarkerFeedback,
                                                   'target_marker/feedback', 100)
        self.states = self.node.create_publisher(JointState, 'joint_states', 10)

    def get_markers(self):
        client = self.node.create_client(GetInteractiveMarkers,
                                         'target_marker/get_interactive_markers')
        assert self.ros.spin_until(client.service_is_ready)
        future = client.call_async(GetInteractiveMarkers.Request())
        assert self.ros.spin_until(future.done)
        return future.result()

    def drag(self, pose, event=InteractiveMarkerFeedback.POSE_UPDATE, frame='world'):
        msg = InteractiveMarkerFeedback(client_id='/rviz_like', marker_name='target',
                                        control_name='move_x', event_type=event)
        msg.header.frame_id = frame
        msg.pose = array_to_pose(pose, frame, msg.header.stamp).pose
        self.feedback.publish(msg)


@pytest.fixture
def scene(ros):
    node = ros.add(TargetMarkerNode(context=ros.context, parameter_overrides=[
        Parameter('max_rate', value=50.0)]))
    client = RvizLikeClient(ros)
    assert ros.spin_until(lambda: client.feedback.get_subscription_count() > 0
                          and node.pub.get_subscription_count() > 0)
    return node, client


def _color(marker):
    c = marker.controls[0].markers[0].color
    return (c.r, c.g, c.b, c.a)


def test_client_sees_the_marker_with_arm_like_controls(ros, scene):
    node, client = scene
    response = client.get_markers()
    assert len(response.markers) == 1
    marker = response.markers[0]
    assert marker.name == 'target' and marker.header.frame_id == 'world'
    names = {c.name: c for c in marker.controls}
    assert {'move_x', 'move_y', 'move_z', 'pitch'} <= set(names)
    assert not any('roll' in n or 'yaw' in n for n in names)
    assert names['pitch'].interaction_mode == InteractiveMarkerControl.ROTATE_AXIS
    assert marker.menu_entries[0].title == 'Reset to home'
    np.testing.assert_allclose(_color(marker), GREEN, atol=1e-6)


def test_marker_starts_at_the_arms_current_tool_pose(ros, scene):
    node, client = scene
    q = [0.3, 0.1, 0.2, -0.1]
    client.states.publish(joint_state(q, client.node.get_clock().now().to_msg()))
    assert ros.spin_until(lambda: node.placed)
    np.testing.assert_allclose(node.pose, forward_kinematics(q), atol=1e-12)
    assert ros.spin_until(lambda: any(u.poses for u in client.updates))


def test_drag_publishes_a_matching_projected_target(ros, scene):
    node, client = scene
    goal = forward_kinematics([0.5, 0.2, -0.1, 0.4])
    dragged = goal.copy()
    dragged[3:] = [0.1, 0.2, 0.0, 0.97]  # RViz may send any orientation: roll and yaw removed
    client.drag(dragged)
    assert ros.spin_until(lambda: client.targets)
    target = client.targets[-1]
    assert target.header.frame_id == 'world'
    p = target.pose.position
    np.testing.assert_allclose([p.x, p.y, p.z], goal[:3], atol=1e-9)
    q = target.pose.orientation
    rot = quat_to_matrix(np.array([q.x, q.y, q.z, q.w]))
    assert abs(rot[2, 1]) < 1e-9  # no roll
    assert ros.spin_until(lambda: any(u.poses and u.poses[0].name == 'target'
                                      for u in client.updates))


def test_drags_are_rate_limited_but_the_last_pose_goes_out(ros, scene):
    node, client = scene
    poses = forward_kinematics(np.column_stack([np.linspace(0, 0.5, 40), np.zeros((40, 3))]))
    for pose in poses:
        client.drag(pose)
    client.drag(poses[-1], event=InteractiveMarkerFeedback.MOUSE_UP)

    def last_is_out():  # on a busy machine the drags take a while to arrive: wait for it
        if not client.targets:
            return False
        last = client.targets[-1].pose.position
        return np.allclose([last.x, last.y, last.z], poses[-1, :3], atol=1e-9)
    assert ros.spin_until(last_is_out)
    assert 0 < len(client.targets) < 40


def test_unreachable_drag_is_flagged_and_not_published(ros, scene):
    node, client = scene
    far = np.array([0.6, 0.0, 0.3, 0.0, 0.0, 0.0, 1.0])
    client.drag(far)
    assert ros.spin_until(lambda: node.unreachable_drags == 1)
    assert ros.spin_until(lambda: any(u.markers and np.allclose(_color(u.markers[0]), RED,
                                                                atol=1e-6)
                                      for u in client.updates))
    ros.spin_for(0.2)
    assert client.targets == []
    client.drag(forward_kinematics([0.0, 0.0, 0.0, 0.0]))  # back in reach: green again
    assert ros.spin_until(lambda: client.targets)
    assert np.allclose(_color(client.get_markers().markers[0]), GREEN, atol=1e-6)


def test_menu_resets_home(ros, scene):
    node, client = scene
    client.drag(forward_kinematics([0.5, 0.0, 0.0, 0.0]))
    assert ros.spin_until(lambda: client.targets)
    msg = InteractiveMarkerFeedback(client_id='/rviz_like', marker_name='target',
                                    event_type=InteractiveMarkerFeedback.MENU_SELECT,
                                    menu_entry_id=RESET_HOME)
    client.feedback.publish(msg)
    home = forward_kinematics([0.0, -1.0, 0.7, 0.3])
    assert ros.spin_until(lambda: np.allclose(
        [client.targets[-1].pose.position.x, client.targets[-1].pose.position.z],
        home[[0, 2]], atol=1e-9))


def test_rviz_config_shows_the_marker_namespace():
    from pathlib import Path
    config = yaml.safe_load((Path(__file__).resolve().parents[1] / 'config' / 'ik.rviz')
                            .read_text())
    manager = config['Visualization Manager']
    assert manager['Global Options']['Fixed Frame'] == 'world'
    classes = {d['Class']: d for d in manager['Displays']}
    assert classes['rviz_default_plugins/InteractiveMarkers'][
        'Interactive Markers Namespace'] == '/target_marker'
    assert 'rviz_default_plugins/RobotModel' in classes and 'rviz_default_plugins/TF' in classes


def test_a_target_in_collision_or_refused_by_the_ik_node_is_red(ros, scene):
    from std_msgs.msg import String
    node, client = scene
    client.drag(forward_kinematics([0.0, 1.2, 0.3, 0.3]))  # reachable, but under the table
    assert ros.spin_until(lambda: node.unreachable_drags == 1)
    assert ros.spin_until(lambda: any(u.markers and np.allclose(_color(u.markers[0]), RED,
                                                                atol=1e-6)
                                      for u in client.updates))
    ros.spin_for(0.2)
    assert client.targets == []
    client.drag(forward_kinematics([0.0, 0.0, 0.0, 0.0]))
    assert ros.spin_until(lambda: client.targets)
    assert np.allclose(_color(client.get_markers().markers[0]), GREEN, atol=1e-6)
    # the ik node refuses it (a jump, say): red until a target is taken again
    status = ros.node('ik_like').create_publisher(String, 'target_status', 10)
    assert ros.spin_until(lambda: status.get_subscription_count() > 0)
    status.publish(String(data='refused (unreachable): jump: ...'))
    assert ros.spin_until(lambda: not node.reachable)
    assert np.allclose(_color(client.get_markers().markers[0]), RED, atol=1e-6)
    status.publish(String(data=''))
    assert ros.spin_until(lambda: node.reachable)


# --- issue 33: the marker of another arm (the OMX-F: five joints, a wrist roll) ---------------

def test_the_omx_f_marker_follows_its_chain_rolls_and_projects_onto_what_it_reaches(ros):
    from ik_net_ros.arm import load_arm
    from ik_net_ros.kinematics.chain import chain_forward
    arm = load_arm('omx_f')
    node = ros.add(TargetMarkerNode(context=ros.context, parameter_overrides=[
        Parameter('arm', value='omx_f'), Parameter('max_rate', value=50.0)]))
    client = RvizLikeClient(ros)
    assert ros.spin_until(lambda: client.feedback.get_subscription_count() > 0
                          and node.pub.get_subscription_count() > 0)
    np.testing.assert_allclose(node.pose, chain_forward(arm, arm.home), atol=1e-12)
    names = {c.name for c in client.get_markers().markers[0].controls}
    assert {'move_x', 'move_y', 'move_z', 'pitch', 'roll'} <= names
    q = [0.3, -0.4, 0.5, 0.3, 0.6]
    client.states.publish(joint_state(q, client.node.get_clock().now().to_msg(),
                                      names=arm.joint_names))
    assert ros.spin_until(lambda: node.placed)
    np.testing.assert_allclose(node.pose, chain_forward(arm, q), atol=1e-12)
    goal = chain_forward(arm, [0.5, -0.2, 0.3, 0.4, -0.7])  # a pose it reaches: kept as it is
    client.drag(goal)
    assert ros.spin_until(lambda: client.targets)
    target = client.targets[-1].pose
    got = [target.position.x, target.position.y, target.position.z, target.orientation.x,
           target.orientation.y, target.orientation.z, target.orientation.w]
    np.testing.assert_allclose(got[:3], goal[:3], atol=1e-9)
    assert abs(abs(np.dot(got[3:], goal[3:])) - 1.0) < 1e-9  # the same rotation (q or -q)
