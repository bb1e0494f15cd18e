"""
The driver as a managed node, through the lifecycle services ROS tools call.

As `ros2 lifecycle set` does: configure sets the servos up with torque off, activate holds,
deactivate releases, cleanup closes; autostart reaches active at start and retries while the arm is
absent.
"""

from diagnostic_msgs.msg import DiagnosticArray
from ik_net_ros.nodes.conversions import joint_state
from ik_net_ros.nodes.driver_node import DriverNode
from lifecycle_msgs.msg import Transition
from lifecycle_msgs.srv import ChangeState, GetState
import numpy as np
import pytest
from rclpy.parameter import Parameter
from sensor_msgs.msg import JointState

pytestmark = pytest.mark.ros


def _state(ros, probe):
    return ros.call(probe, GetState, '/driver/get_state', GetState.Request()).current_state.label


def _change(ros, probe, transition):
    return ros.call(probe, ChangeState, '/driver/change_state',
                    ChangeState.Request(transition=Transition(id=transition))).success


def test_the_lifecycle_drives_the_servos_torque(ros):
    driver = ros.add(DriverNode(context=ros.context, parameter_overrides=[
        Parameter('backend', value='emulated'), Parameter('autostart', value=False),
        Parameter('home', value=[0.0, 0.0, 0.0, 0.0])]))
    probe = ros.node('probe')
    states = []
    probe.create_subscription(JointState, 'joint_states', states.append, 10)
    commands = probe.create_publisher(JointState, 'joint_command', 10)
    try:
        assert _state(ros, probe) == 'unconfigured' and driver.backend is None
        ros.spin_for(0.2)
        assert not states  # no arm yet: nothing published
        assert _change(ros, probe, Transition.TRANSITION_CONFIGURE)
        servos = driver.backend.emulator.servos
        assert _state(ros, probe) == 'inactive'
        assert not any(s.torque for s in servos.values())  # set up, limp
        assert ros.spin_until(lambda: states)  # an inactive driver still reports the arm
        goal = [0.3, 0.0, 0.0, 0.0]
        ros.spin_until(lambda: commands.get_subscription_count() > 0)
        commands.publish(joint_state(goal, probe.get_clock().now().to_msg()))
        assert ros.spin_until(lambda: driver.rejected == 1)  # refused while inactive
        ros.spin_for(0.3)
        assert abs(states[-1].position[0]) < 1e-2
        assert _change(ros, probe, Transition.TRANSITION_ACTIVATE)
        assert _state(ros, probe) == 'active' and all(s.torque for s in servos.values())
        commands.publish(joint_state(goal, probe.get_clock().now().to_msg()))
        assert ros.spin_until(lambda: np.allclose(states[-1].position[:4], goal, atol=3e-3))
        assert _change(ros, probe, Transition.TRANSITION_DEACTIVATE)
        assert not any(s.torque for s in servos.values())
        assert _change(ros, probe, Transition.TRANSITION_CLEANUP)
        assert _state(ros, probe) == 'unconfigured' and driver.backend is None
    finally:
        driver.shutdown()


def test_autostart_retries_while_the_port_is_absent_and_says_why(ros, tmp_path):
    driver = ros.add(DriverNode(context=ros.context, parameter_overrides=[
        Parameter('backend', value='dynamixel'), Parameter('reconnect_period', value=0.2),
        Parameter('port', value=str(tmp_path / 'ttyUSB_absent'))]))
    probe = ros.node('probe')
    diags = []
    probe.create_subscription(DiagnosticArray, '/diagnostics', diags.append, 10)
    try:
        assert ros.spin_until(lambda: diags)
        status = diags[-1].status[0]
        assert status.level == status.ERROR and 'configure failed' in status.message
        assert str(tmp_path / 'ttyUSB_absent') in status.message
        assert _state(ros, probe) == 'unconfigured' and not driver.active
    finally:
        driver.shutdown()
