"""The driver node with the Dynamixel backend, end to end over DDS against the servo emulator."""


from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus
from ik_net_ros.hardware.xm430 import ADDR, rad_to_raw
from ik_net_ros.nodes.conversions import joint_state
from ik_net_ros.nodes.driver_node import DriverNode
import numpy as np
import pytest
from rclpy.parameter import Parameter
from sensor_msgs.msg import JointState
from std_srvs.srv import SetBool

pytestmark = pytest.mark.ros
IDS = (11, 12, 13, 14)


@pytest.fixture
def rig(ros):
    driver = ros.add(DriverNode(context=ros.context, parameter_overrides=[
        Parameter('backend', value='emulated'), Parameter('home', value=[0.0, 0.0, 0.0, 0.0]),
        Parameter('reconnect_period', value=0.2)]))
    probe = ros.node('probe')
    states, diags = [], []
    probe.create_subscription(JointState, 'joint_states', states.append, 100)
    probe.create_subscription(DiagnosticArray, '/diagnostics', diags.append, 10)
    pub = probe.create_publisher(JointState, 'joint_command', 10)
    assert ros.spin_until(lambda: states and pub.get_subscription_count() > 0)
    yield driver, probe, pub, states, diags
    driver.shutdown()


def _goals(driver):
    servos = driver.backend.emulator.servos
    return [servos[i]._get(ADDR.GOAL_POSITION, 4, signed=True) for i in IDS]


def _last_diag(diags):
    return diags[-1].status[0] if diags else None


def test_command_reaches_goal_registers_and_states_follow(ros, rig):
    driver, probe, pub, states, _ = rig
    # joint4 beyond its 1.97 limit (the hand folded back; elbow down so that the capsules fitted
    # to the meshes keep the hand off the upper arm there)
    goal = [0.4, -0.2, -0.3, 2.5]
    pub.publish(joint_state(goal, probe.get_clock().now().to_msg()))
    expected = [0.4, -0.2, -0.3, 1.97]
    assert ros.spin_until(lambda: _goals(driver) == rad_to_raw(expected).tolist())
    assert ros.spin_until(lambda: np.allclose(states[-1].position[:4], expected, atol=2e-3))
    assert all(np.all(np.array(s.position[:4]) <= 1.97 + 1e-9) for s in states)
    assert list(states[-1].name[4:]) == ['gripper_left_joint', 'gripper_right_joint']
    assert -0.010 <= states[-1].position[4] == states[-1].position[5] <= 0.019


def test_torque_service(ros, rig):
    driver, probe, pub, states, _ = rig
    for enable in (False, True):
        result = ros.call(probe, SetBool, '/driver/set_torque', SetBool.Request(data=enable))
        assert result.success, result.message
        assert all(driver.backend.emulator.servos[i].torque == enable for i in IDS)


def test_silent_servo_reported_node_alive_and_recovers(ros, rig):
    driver, probe, pub, states, diags = rig
    driver.backend.emulator.set_silent(13)
    assert ros.spin_until(lambda: _last_diag(diags) is not None
                          and _last_diag(diags).level == DiagnosticStatus.ERROR)
    assert 'servo 13 not answering' in _last_diag(diags).message
    count = len(states)
    ros.spin_for(0.3)
    assert len(states) == count  # nothing stale published while the servo is silent
    driver.backend.emulator.set_silent(13, False)
    assert ros.spin_until(lambda: len(states) > count + 5)
    assert ros.spin_until(lambda: _last_diag(diags).level == DiagnosticStatus.OK)


def test_hardware_error_reported(ros, rig):
    driver, probe, pub, states, diags = rig
    driver.backend.emulator.servos[12].set_hardware_error(1 << 2)
    assert ros.spin_until(lambda: _last_diag(diags) is not None
                          and 'overheating' in _last_diag(diags).message)


def test_port_gone_reported_then_reconnects(ros, rig):
    driver, probe, pub, states, diags = rig
    driver.backend.emulator.unplug()
    assert ros.spin_until(lambda: _last_diag(diags) is not None
                          and _last_diag(diags).level == DiagnosticStatus.ERROR)
    count = len(states)
    driver.backend.emulator.replug()
    assert ros.spin_until(lambda: len(states) > count + 5)
    assert driver.backend.connected


def test_diagnostics_and_results_name_the_port_actually_opened(ros, rig):
    """Issue 35 item 6: the emulator's pty, not the port parameter (/dev/ttyUSB0)."""
    driver, probe, pub, states, diags = rig
    opened = str(driver.backend.emulator.port_path)
    assert opened != driver.get_parameter('port').value
    results = []
    probe.create_subscription(DiagnosticArray, 'joint_command_result', results.append, 10)
    assert ros.spin_until(lambda: pub.get_subscription_count() > 0 and
                          probe.count_publishers('joint_command_result') > 0)
    ros.spin_for(0.2)
    pub.publish(joint_state([0.1, 0.0, 0.0, 0.0], probe.get_clock().now().to_msg()))
    assert ros.spin_until(lambda: results and len(diags) >= 2)
    assert opened in _last_diag(diags).hardware_id
    assert results[-1].status[0].hardware_id.startswith(opened)
