"""The driver says what became of every joint_command: joint_command_result, matched by stamp."""

from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus
from ik_net_ros.nodes.conversions import joint_state
from ik_net_ros.nodes.driver_node import DriverNode
import pytest
from rclpy.parameter import Parameter
from rclpy.qos import ReliabilityPolicy
from sensor_msgs.msg import JointState
from std_msgs.msg import Header

pytestmark = pytest.mark.ros
UNDER_THE_TABLE = [0.0, 1.2, 0.3, 0.3]


def _rig(ros, **overrides):
    driver = ros.add(DriverNode(context=ros.context, parameter_overrides=[
        Parameter(name, value=value) for name, value in overrides.items()]))
    probe = ros.node('probe')
    results = []
    probe.create_subscription(DiagnosticArray, 'joint_command_result', results.append, 10)
    pub = probe.create_publisher(JointState, 'joint_command', 10)
    assert ros.spin_until(lambda: pub.get_subscription_count() > 0
                          and driver.result_pub.get_subscription_count() > 0)
    return driver, probe, pub, results


def _send(ros, pub, results, positions, sec, nanosec=123):
    msg = joint_state(positions, Header().stamp)
    msg.header.stamp.sec, msg.header.stamp.nanosec = sec, nanosec
    pub.publish(msg)
    assert ros.spin_until(lambda: any(r.header.stamp == msg.header.stamp for r in results))
    return next(r for r in results if r.header.stamp == msg.header.stamp)


def _check(result, driver, expected: str):
    assert result.header.frame_id == ''
    assert len(result.status) == 1
    status = result.status[0]
    assert status.name == driver.get_fully_qualified_name()
    assert status.hardware_id == 'sim'
    assert [(v.key, v.value) for v in status.values] == [('result', expected)]
    if expected == 'accepted':
        assert status.level == DiagnosticStatus.OK and status.message == ''
    else:
        assert status.level == DiagnosticStatus.ERROR and status.message
    return status


def test_every_command_gets_its_result_with_its_own_stamp(ros):
    driver, probe, pub, results = _rig(ros, home=[0.0, 0.0, 0.0, 0.0])
    (info,) = driver.get_publishers_info_by_topic('joint_command_result')
    assert info.qos_profile.reliability == ReliabilityPolicy.RELIABLE
    assert driver.result_pub.qos_profile.depth == 10
    _check(_send(ros, pub, results, [0.3, 0.0, 0.0, 0.0], 17, 5), driver, 'accepted')
    status = _check(_send(ros, pub, results, UNDER_THE_TABLE, 18, 999_999_999), driver,
                    'refused')
    assert 'under the table' in status.message
    _check(_send(ros, pub, results, [0.3, float('nan'), 0.0, 0.0], 19), driver, 'refused')
    _check(_send(ros, pub, results, [0.2, 0.0, 0.0, 0.0], 0, 0), driver, 'accepted')


def test_commands_while_the_driver_is_inactive_are_refused(ros):
    driver, probe, pub, results = _rig(ros, autostart=False)
    status = _check(_send(ros, pub, results, [0.3, 0.0, 0.0, 0.0], 42), driver, 'refused')
    assert 'not active' in status.message
