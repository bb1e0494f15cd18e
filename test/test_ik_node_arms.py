"""
Another arm through the live nodes over real DDS (issue 33): the OMX-F, selected by ``arm``.

The ik node and the driver (sim backend) of the OMX-F in one private context: targets from its
URDF chain get commands of its five joints, inside its real limits and clear of its own body,
that reach them; the driver publishes its joints and its gripper's fingers and follows.
"""

from geometry_msgs.msg import PoseStamped
from hypothesis import given, settings
from hypothesis import strategies as st
from ik_net_ros.arm import load_arm
from ik_net_ros.kinematics.chain import chain_forward
from ik_net_ros.kinematics.collision import CollisionModel
from ik_net_ros.kinematics.limits import sample_joints, within_limits
from ik_net_ros.nodes.conversions import array_to_pose, joints_by_name
from ik_net_ros.nodes.driver_node import DriverNode
from ik_net_ros.nodes.ik_node import IkNode
import numpy as np
import pytest
from rclpy.parameter import Parameter
from sensor_msgs.msg import JointState

pytestmark = pytest.mark.ros

OMX_F = load_arm('omx_f')


def _targets(count: int, seed: int) -> np.ndarray:
    """Tool poses of joint configurations of the OMX-F clear of its body (its own chain's FK)."""
    model = CollisionModel(OMX_F)
    q = sample_joints(OMX_F, 20 * count, np.random.default_rng(seed))
    q = q[model.check(q).clear][:count]
    assert len(q) == count
    return chain_forward(OMX_F, q)


def _driver(ros):
    driver = ros.add(DriverNode(context=ros.context, parameter_overrides=[
        Parameter('arm', value='omx_f'), Parameter('backend', value='sim')]))
    probe = ros.node('probe')
    states = []
    probe.create_subscription(JointState, 'joint_states', states.append, 1000)
    sender = probe.create_publisher(JointState, 'joint_command', 10)
    assert ros.spin_until(lambda: states and sender.get_subscription_count() > 0)
    return driver, probe, sender, states


def _command(probe, sender, names, q) -> None:
    msg = JointState(name=list(names), position=[float(v) for v in q])
    msg.header.stamp = probe.get_clock().now().to_msg()
    sender.publish(msg)


def test_the_omx_f_driver_publishes_its_joints_and_fingers_and_follows_commands(ros):
    driver, probe, sender, states = _driver(ros)
    assert list(states[-1].name) == [*OMX_F.joint_names, 'gripper_joint_1', 'gripper_joint_2']
    assert np.allclose(joints_by_name(states[-1], OMX_F.joint_names), OMX_F.home)
    model = CollisionModel(OMX_F)
    goals = sample_joints(OMX_F, 200, np.random.default_rng(5))
    goals = goals[model.check(goals).clear][:3]
    for goal in goals:
        _command(probe, sender, OMX_F.joint_names, goal)
        ros.spin_until(lambda g=goal: np.allclose(
            joints_by_name(states[-1], OMX_F.joint_names), g, atol=1e-3))
    for msg in states:  # inside the real limits all the way
        q = joints_by_name(msg, OMX_F.joint_names)
        assert q is not None and within_limits(OMX_F, q)
    reached = joints_by_name(states[-1], OMX_F.joint_names)
    assert np.allclose(reached, goals[-1], atol=1e-3) or \
        not model.check_path(goals[-2], goals[-1])[0]  # (a path through the body: refused)


def test_the_omx_f_driver_ignores_a_command_of_four_joints(ros):
    """A command naming four joints of a five-joint arm never moves it (joints by name)."""
    driver, probe, sender, states = _driver(ros)
    start = joints_by_name(states[-1], OMX_F.joint_names)
    _command(probe, sender, ['joint1', 'joint2', 'joint3', 'joint4'], [0.5, 0.0, 0.0, 0.0])
    ros.spin_for(0.5)
    assert np.allclose(joints_by_name(states[-1], OMX_F.joint_names), start, atol=1e-9)


def test_the_omx_f_ik_node_answers_targets_with_its_five_joints_inside_its_limits(ros):
    """Targets from its URDF chain: commands of its joints that reach them, clear of its body."""
    ik = ros.add(IkNode(context=ros.context, parameter_overrides=[
        Parameter('arm', value='omx_f'), Parameter('model', value='analytic')]))
    driver, probe, sender, states = _driver(ros)
    pub = probe.create_publisher(PoseStamped, 'target_pose', 10)
    commands = []
    probe.create_subscription(JointState, 'joint_command', commands.append, 1000)
    assert ros.spin_until(lambda: pub.get_subscription_count() > 0
                          and ik.pub.get_subscription_count() > 1)
    model = CollisionModel(OMX_F)
    for pose in _targets(8, 33):
        before = len(commands)
        pub.publish(array_to_pose(pose, 'world', probe.get_clock().now().to_msg()))
        assert ros.spin_until(lambda n=before: len(commands) > n)
        command = commands[-1]
        assert list(command.name) == list(OMX_F.joint_names) == [f'joint{k}' for k in range(1, 6)]
        q = np.array(command.position)
        assert within_limits(OMX_F, q) and model.check(q[None]).clear[0]
        assert np.linalg.norm(chain_forward(OMX_F, q)[:3] - pose[:3]) < 1e-6
    goal = np.array(commands[-1].position)  # the driver follows, inside the limits
    assert ros.spin_until(lambda: np.allclose(joints_by_name(states[-1], OMX_F.joint_names),
                                              goal, atol=1e-3))
    for msg in states:
        assert within_limits(OMX_F, joints_by_name(msg, OMX_F.joint_names))


@settings(max_examples=50, deadline=None)
@given(t=st.floats(0.0, 3600.0), speed=st.floats(0.01, 10.0))
def test_the_sweep_of_any_arm_stays_in_its_limits_and_the_om_x_figure_is_unchanged(t, speed):
    from ik_net_ros.arm import default_arm
    from ik_net_ros.kinematics.paths import sweep_pose
    from ik_net_ros.nodes.target_sweep_node import sweep_box
    om_x = default_arm()
    np.testing.assert_array_equal(sweep_pose(t, speed, om_x, sweep_box(om_x)),
                                  sweep_pose(t, speed))
    center, amplitude = sweep_box(OMX_F)
    assert center.shape == amplitude.shape == (OMX_F.dof,)
    assert within_limits(OMX_F, center - amplitude) and within_limits(OMX_F, center + amplitude)
    pose = sweep_pose(t, speed, OMX_F, (center, amplitude))
    assert pose.shape == (7,) and np.isfinite(pose).all()
