"""The simulated arm and the driver node over real DDS."""

from ik_net_ros.arm import default_arm
from ik_net_ros.errors import InvalidJointsError
from ik_net_ros.hardware import SimulatedArm
from ik_net_ros.kinematics import within_limits
from ik_net_ros.nodes.conversions import joint_state
from ik_net_ros.nodes.driver_node import DriverNode
import numpy as np
import pytest
from rclpy.parameter import Parameter
from sensor_msgs.msg import JointState

OMX = default_arm()  # the OM-X, ROBOTIS's humble description


def test_sim_starts_home_and_converges_at_the_velocity_limit():
    arm = SimulatedArm()
    np.testing.assert_allclose(arm.cycle(0.01).positions, OMX.home)
    goal = np.array([1.0, 0.5, -0.5, 1.0])
    arm.set_goal(goal)
    previous = arm.positions.copy()
    for _ in range(200):
        reading = arm.cycle(0.01)
        assert np.all(np.abs(reading.positions - previous) <= OMX.velocity[0] * 0.01 + 1e-12)
        assert np.all(np.abs(reading.velocities) <= OMX.velocity[0] + 1e-9)
        previous = reading.positions
    np.testing.assert_allclose(previous, goal, atol=1e-12)


def test_sim_clamps_goals_and_never_leaves_the_limits(rng):
    arm = SimulatedArm(home=[0, 0, 0, 0], collision=None)  # clamping alone (collisions: below)
    for _ in range(50):
        goal = rng.uniform(-2 * np.pi, 2 * np.pi, 4)
        used = arm.set_goal(goal)
        assert within_limits(OMX, used)
        assert arm.goal_clamped == (not within_limits(OMX, goal))
        for _ in range(20):
            assert within_limits(OMX, arm.cycle(0.01).positions)
    arm.set_goal([10, 10, 10, 10])
    for _ in range(300):
        arm.cycle(0.01)
    np.testing.assert_allclose(arm.positions, OMX.upper)
    with pytest.raises(InvalidJointsError):
        arm.set_goal([0.0, np.nan, 0.0, 0.0])


@pytest.mark.ros
def test_driver_node_follows_commands_inside_limits(ros):
    ros.add(DriverNode(context=ros.context, parameter_overrides=[
        Parameter('home', value=[0.0, 0.0, 0.0, 0.0])]))
    probe = ros.node('probe')
    states = []
    probe.create_subscription(JointState, 'joint_states', states.append, 100)
    pub = probe.create_publisher(JointState, 'joint_command', 10)
    assert ros.spin_until(lambda: states and pub.get_subscription_count() > 0)
    assert list(states[-1].name) == ['joint1', 'joint2', 'joint3', 'joint4',
                                     'gripper_left_joint', 'gripper_right_joint']
    assert len(states[-1].velocity) == 6
    # a command past the limits, with an extra joint and shuffled order: matched by name
    # (joint4 -0.5: the clamped pose is clear of the capsules fitted to the meshes)
    msg = joint_state([0.5, 3.0, -3.0, -0.5], probe.get_clock().now().to_msg())
    msg.name = ['joint1', 'joint2', 'joint3', 'joint4']
    msg.name.append('gripper')
    msg.position.append(0.01)
    pub.publish(msg)
    target = np.clip([0.5, 3.0, -3.0, -0.5], OMX.lower, OMX.upper)
    assert ros.spin_until(lambda: np.allclose(states[-1].position[:4], target, atol=1e-9))
    assert all(within_limits(OMX, np.array(s.position[:4])) for s in states)


@pytest.mark.ros
def test_driver_ignores_commands_missing_joints_or_with_nan(ros):
    driver = ros.add(DriverNode(context=ros.context))
    probe = ros.node('probe')
    pub = probe.create_publisher(JointState, 'joint_command', 10)
    assert ros.spin_until(lambda: pub.get_subscription_count() > 0)
    bad = JointState(name=['joint1', 'joint2'], position=[0.1, 0.2])
    pub.publish(bad)
    assert ros.spin_until(lambda: driver.rejected == 1)
    pub.publish(joint_state([0.1, float('nan'), 0.0, 0.0], probe.get_clock().now().to_msg()))
    assert ros.spin_until(lambda: driver.rejected == 2)
    # a joint named twice: which value is meant? refused, not "the last one wins"
    twice = JointState(name=['joint1', 'joint2', 'joint3', 'joint4', 'joint2'],
                       position=[0.1, 0.2, 0.3, 0.4, 1.0])
    pub.publish(twice)
    assert ros.spin_until(lambda: driver.rejected == 3)
    assert driver.backend.goal is None


@pytest.mark.ros
def test_driver_refuses_bad_parameter_changes(ros):
    driver = ros.add(DriverNode(context=ros.context))
    result = driver.set_parameters([Parameter('max_velocity', value=100.0)])[0]
    assert not result.successful and 'max_velocity' in result.reason
    assert driver.set_parameters([Parameter('max_velocity', value=1.0)])[0].successful
    assert driver.backend.max_velocity == 1.0
    assert not driver.set_parameters([Parameter('rate', value=5.0)])[0].successful


@pytest.mark.ros
@pytest.mark.parametrize('backend', ['sim', 'emulated'])
def test_gripper_command_in_metres_clamped_and_safe(ros, backend):
    from std_msgs.msg import Float64
    driver = ros.add(DriverNode(context=ros.context, parameter_overrides=[
        Parameter('backend', value=backend), Parameter('home', value=[0.0, 0.0, 0.0, 0.0])]))
    probe = ros.node('probe')
    states = []
    probe.create_subscription(JointState, 'joint_states', states.append, 100)
    pub = probe.create_publisher(Float64, 'gripper_command', 10)
    assert ros.spin_until(lambda: states and pub.get_subscription_count() > 0)
    for command in (1e10, float('nan'), 100.0):  # clamped, refused, clamped: never a crash
        pub.publish(Float64(data=command))
    assert ros.spin_until(lambda: abs(states[-1].position[4] - 0.019) < 1e-4)
    assert states[-1].position[4] == states[-1].position[5]  # the right finger mimics
    pub.publish(Float64(data=-0.005))  # no joint command needed: it goes on its own
    assert ros.spin_until(lambda: abs(states[-1].position[4] + 0.005) < 1e-4)
    driver.shutdown()


@pytest.mark.ros
def test_driver_refuses_joint_commands_in_collision_from_any_node(ros):
    driver = ros.add(DriverNode(context=ros.context))
    probe = ros.node('probe')
    pub = probe.create_publisher(JointState, 'joint_command', 10)
    assert ros.spin_until(lambda: pub.get_subscription_count() > 0)
    pub.publish(joint_state([0.0, 1.2, 0.3, 0.3], probe.get_clock().now().to_msg()))  # table
    assert ros.spin_until(lambda: driver.rejected == 1)
    assert driver.backend.goal is None
    ros.spin_for(0.2)
    np.testing.assert_allclose(driver.backend.positions, OMX.home)


def test_the_sim_torque_switch_makes_the_arm_limp_and_holds_on_return():
    """
    Off: a command does not move the arm (it stays where it is).

    On: it holds the present pose and only a new command moves it (the old one is never replayed).
    """
    arm = SimulatedArm(home=[0.0, 0.0, 0.0, 0.0])
    arm.set_goal([0.4, 0.0, 0.0, 0.0])
    for _ in range(5):
        arm.cycle(0.01)
    here = arm.positions.copy()
    assert 0 < here[0] < 0.4
    arm.set_torque(False)
    assert not arm.torque_enabled
    arm.set_goal([-0.5, 0.2, 0.1, 0.0])
    for _ in range(50):
        reading = arm.cycle(0.01)
    np.testing.assert_array_equal(reading.positions, here)
    assert not reading.velocities.any()
    arm.set_torque(True)
    for _ in range(50):
        reading = arm.cycle(0.01)
    np.testing.assert_array_equal(reading.positions, here)  # neither command is replayed
    arm.set_goal([0.1, 0.0, 0.0, 0.0])
    for _ in range(100):
        reading = arm.cycle(0.01)
    np.testing.assert_allclose(reading.positions, [0.1, 0.0, 0.0, 0.0], atol=1e-12)


def test_the_driver_s_torque_service_succeeds_on_the_sim(ros):
    from std_srvs.srv import SetBool
    ros.add(DriverNode(context=ros.context, parameter_overrides=[
        Parameter('backend', value='sim')]))
    probe = ros.node('probe')
    for enable in (False, True):
        result = ros.call(probe, SetBool, '/driver/set_torque', SetBool.Request(data=enable))
        assert result.success, result.message
