"""
The package among other ROS 2 nodes.

Two arms under namespaces with the shipped parameter file, publishers of any reliability, and the
core's log lines on /rosout.
"""

import logging
from pathlib import Path

from geometry_msgs.msg import PoseStamped
from ik_net_ros.kinematics import forward_kinematics
from ik_net_ros.nodes.conversions import array_to_pose
import numpy as np
import pytest
from rcl_interfaces.msg import Log
from rclpy.parameter import Parameter
from rclpy.qos import QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import JointState

ROOT = Path(__file__).resolve().parents[1]
CONFIG = str(ROOT / 'config' / 'ik.yaml')
pytestmark = pytest.mark.ros


def _params_file(tmp_path, text):
    path = tmp_path / 'params.yaml'
    path.write_text(text)
    return str(path)


def test_two_arms_under_namespaces_each_answer_only_their_own_targets(ros, tmp_path):
    """
    /arm1 (sim) and /arm2 (emulated servos).

    Each a driver and an ik node started with the shipped config/ik.yaml as `ros2 launch ...
    namespace:=armN` would: the file's values apply under the namespace, each arm moves only to its
    own target, diagnostics tell them apart.
    """
    from diagnostic_msgs.msg import DiagnosticArray
    from ik_net_ros.nodes.driver_node import DriverNode
    from ik_net_ros.nodes.ik_node import IkNode
    extra = _params_file(tmp_path, '/**/ik:\n  ros__parameters:\n    model: analytic\n'
                                   '/**/driver:\n  ros__parameters:\n    rate: 50.0\n')
    nodes = {}
    for arm, backend in (('arm1', 'sim'), ('arm2', 'emulated')):
        args = ['--ros-args', '--params-file', CONFIG, '--params-file', extra]
        nodes[arm] = (
            ros.add(DriverNode(context=ros.context, namespace=arm, cli_args=args,
                               parameter_overrides=[Parameter('backend', value=backend),
                                                    Parameter('reconnect_period', value=0.2)])),
            ros.add(IkNode(context=ros.context, namespace=arm, cli_args=args)))
    try:
        probe = ros.node('probe')
        states = {arm: [] for arm in nodes}
        pubs, diags = {}, []
        for arm in nodes:
            probe.create_subscription(JointState, f'/{arm}/joint_states', states[arm].append, 50)
            pubs[arm] = probe.create_publisher(PoseStamped, f'/{arm}/target_pose', 10)
        probe.create_subscription(DiagnosticArray, '/diagnostics', diags.append, 50)
        for driver, ik in nodes.values():
            assert driver.get_parameter('rate').value == 50.0  # from the files, namespaced
            assert ik.get_parameter('model').value == 'analytic'
            assert ik.get_parameter('max_jump').value == 0.5  # the shipped file's value
        assert ros.spin_until(lambda: all(s for s in states.values())
                              and all(p.get_subscription_count() for p in pubs.values()))
        goals = {'arm1': [0.3, -0.2, 0.1, 0.2], 'arm2': [-0.3, 0.1, 0.2, -0.1]}
        for arm, goal in goals.items():
            msg = array_to_pose(forward_kinematics(goal), 'world',
                                probe.get_clock().now().to_msg())
            pubs[arm].publish(msg)

        def arrived(arm):
            return states[arm] and np.allclose(states[arm][-1].position[:4], goals[arm],
                                               atol=3e-3)
        assert ros.spin_until(lambda: arrived('arm1') and arrived('arm2'))

        def names():
            return {s.name: s.hardware_id for d in diags for s in d.status}
        assert ros.spin_until(lambda: len(names()) >= 2), names()
        names = names()
        assert names.get('/arm1/driver: arm (sim)') == 'sim'
        assert names.get('/arm2/driver: arm (emulated)') not in (None, 'sim')
    finally:
        for driver, _ in nodes.values():
            driver.shutdown()


def test_best_effort_and_reliable_publishers_both_reach_the_ik_node(ros):
    """
    A tracker or camera driver publishes with sensor-data QoS (best effort).

    The ik node takes it as it takes a reliable publisher.
    """
    from ik_net_ros.nodes.ik_node import IkNode
    ros.add(IkNode(context=ros.context, parameter_overrides=[
        Parameter('model', value='analytic')]))
    probe = ros.node('probe')
    commands = []
    probe.create_subscription(JointState, 'joint_command', commands.append, 10)
    for reliability in (ReliabilityPolicy.BEST_EFFORT, ReliabilityPolicy.RELIABLE):
        pub = probe.create_publisher(PoseStamped, 'target_pose',
                                     QoSProfile(depth=1, reliability=reliability))
        assert ros.spin_until(lambda p=pub: p.get_subscription_count() > 0)
        before = len(commands)
        goal = [0.2, -0.1, 0.2, 0.1] if reliability == ReliabilityPolicy.RELIABLE \
            else [0.1, 0.1, 0.1, 0.1]
        pub.publish(array_to_pose(forward_kinematics(goal), 'world',
                                  probe.get_clock().now().to_msg()))
        assert ros.spin_until(lambda n=before: len(commands) > n), reliability
        np.testing.assert_allclose(commands[-1].position, goal, atol=1e-6)
        probe.destroy_publisher(pub)


def test_the_core_s_log_lines_reach_rosout_at_their_level(ros):
    """A hardware-layer warning (as an EEPROM write logs) is on /rosout under the node's name."""
    from ik_net_ros.nodes.tracker_node import TrackerNode
    node = ros.add(TrackerNode(context=ros.context, namespace='arm7'))
    probe = ros.node('probe')
    lines = []
    probe.create_subscription(Log, '/rosout', lines.append, QoSProfile(depth=100))
    assert ros.spin_until(lambda: probe.count_publishers('/rosout') > 0)
    ros.spin_for(0.3)
    logging.getLogger('ik_net_ros.hardware.dynamixel').warning('servo %d: drive mode 4 -> 0', 11)
    logging.getLogger('ik_net_ros.hardware.dynamixel').debug("not at the node's level")

    def seen():
        return [m for m in lines if 'drive mode 4 -> 0' in m.msg]
    assert ros.spin_until(seen)
    (line,) = seen()
    assert line.name == 'arm7.tracker' and line.level == Log.WARN
    assert not any('not at the node' in m.msg for m in lines)
    assert node.get_logger().name == line.name


def test_a_prefix_names_joints_and_frames_as_robotis_xacro_does(ros):
    """
    prefix:=arm1_: the driver publishes and takes arm1_joint1....

    The ik node commands them and takes targets in arm1_link1, robot_state_publisher's URDF has the
    same names.
    """
    import re

    from ik_net_ros.nodes.driver_node import DriverNode
    from ik_net_ros.nodes.ik_node import IkNode
    from ik_net_ros.resources import robot_description
    prefix = [Parameter('prefix', value='arm1_')]
    ros.add(DriverNode(context=ros.context, parameter_overrides=prefix + [
        Parameter('home', value=[0.0, 0.0, 0.0, 0.0])]))
    ros.add(IkNode(context=ros.context, parameter_overrides=prefix + [
        Parameter('model', value='analytic')]))
    probe = ros.node('probe')
    states, commands = [], []
    probe.create_subscription(JointState, 'joint_states', states.append, 10)
    probe.create_subscription(JointState, 'joint_command', commands.append, 10)
    pub = probe.create_publisher(PoseStamped, 'target_pose', 10)
    assert ros.spin_until(lambda: states and pub.get_subscription_count())
    names = ['arm1_joint1', 'arm1_joint2', 'arm1_joint3', 'arm1_joint4']
    assert list(states[-1].name) == names + ['arm1_gripper_left_joint',
                                             'arm1_gripper_right_joint']
    goal = [0.2, 0.1, -0.1, 0.3]
    pub.publish(array_to_pose(forward_kinematics(goal), 'arm1_link1',
                              probe.get_clock().now().to_msg()))
    assert ros.spin_until(lambda: commands)
    assert list(commands[-1].name) == names
    assert ros.spin_until(lambda: np.allclose(states[-1].position[:4], goal, atol=1e-3))
    urdf = robot_description('humble', 'arm1_')
    joints = set(re.findall(r'<joint name="([^"]+)" type="(?:revolute|prismatic)"', urdf))
    assert joints == set(names) | {'arm1_gripper_left_joint', 'arm1_gripper_right_joint'}
    assert '<parent link="world"/>' in urdf and '<child link="arm1_link1"/>' in urdf
