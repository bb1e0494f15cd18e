"""
The OMY-F3M (6-DOF, the UR layout) through the live nodes over real DDS (issue 34 item 6).

The ik node (the closed form, and the shipped focused model refined) and the driver (sim backend)
in one private context. Targets from its URDF chain, each a small step from where the arm is:
commands of its six joints inside the real limits, clear of the table and of its own body, that
reach the target; the arm_controller's JointTrajectory is timed so no joint moves faster than
max_velocity from where the arm is; the driver follows.
"""

from geometry_msgs.msg import PoseStamped
from ik_net_ros.arm import load_arm
from ik_net_ros.kinematics.chain import chain_forward
from ik_net_ros.kinematics.collision import CollisionModel
from ik_net_ros.kinematics.limits import within_limits
from ik_net_ros.kinematics.rotations import quat_angle
from ik_net_ros.nodes.conversions import array_to_pose, joints_by_name
from ik_net_ros.nodes.driver_node import DriverNode
from ik_net_ros.nodes.ik_node import IkNode
import numpy as np
import pytest
from rclpy.parameter import Parameter
from sensor_msgs.msg import JointState
from trajectory_msgs.msg import JointTrajectory

pytestmark = pytest.mark.ros

OMY = load_arm('omy_f3m')
MAX_VELOCITY = 1.0  # rad/s: the moves below take a visible fraction of a second


def _goals(count: int, seed: int) -> np.ndarray:
    """Joint configurations of the OMY clear of the table and its body, near home."""
    model = CollisionModel(OMY)
    rng = np.random.default_rng(seed)
    q = np.clip(OMY.home + rng.uniform(-0.6, 0.6, (20 * count, OMY.dof)), OMY.lower, OMY.upper)
    q = q[model.check(q).clear][:count]
    assert len(q) == count
    return q


def _seconds(duration) -> float:
    return duration.sec + duration.nanosec * 1e-9


@pytest.mark.parametrize('model', ['analytic', 'focused'])
def test_the_omy_ik_node_commands_safely_and_times_its_trajectories(ros, model):
    """The closed form, and the shipped focused model refined on the chain: the same rules."""
    ik = ros.add(IkNode(context=ros.context, parameter_overrides=[
        Parameter('arm', value='omy_f3m'), Parameter('model', value=model),
        Parameter('refine', value=model != 'analytic'),
        Parameter('publish_trajectory', value=True),
        Parameter('max_velocity', value=MAX_VELOCITY)]))
    driver = ros.add(DriverNode(context=ros.context, parameter_overrides=[
        Parameter('arm', value='omy_f3m'), Parameter('backend', value='sim')]))
    probe = ros.node('probe')
    states, commands, trajectories = [], [], []
    probe.create_subscription(JointState, 'joint_states', states.append, 1000)
    probe.create_subscription(JointState, 'joint_command', commands.append, 1000)
    probe.create_subscription(JointTrajectory, 'arm_controller/joint_trajectory',
                              trajectories.append, 1000)
    pub = probe.create_publisher(PoseStamped, 'target_pose', 10)
    assert ros.spin_until(lambda: states and pub.get_subscription_count() > 0
                          and ik.pub.get_subscription_count() > 1)
    # the driver's sim publishes the hand's joint beside the arm's (ROBOTIS's gripper_controller
    # drives rh_r1_joint on the real OMY-F3M)
    assert OMY.gripper.joint in states[-1].name and driver is not None
    body = CollisionModel(OMY)
    at = np.array(OMY.home)
    for goal in _goals(4, 34):
        pose = chain_forward(OMY, goal)
        before = len(commands)
        pub.publish(array_to_pose(pose, 'world', probe.get_clock().now().to_msg()))
        assert ros.spin_until(lambda n=before: len(commands) > n and len(trajectories) > n)
        command, traj = commands[-1], trajectories[-1]
        assert list(command.name) == list(OMY.joint_names) == [f'joint{k}' for k in range(1, 7)]
        q = np.array(command.position)
        assert within_limits(OMY, q) and body.check(q[None]).clear[0]
        reached = chain_forward(OMY, q)
        assert np.linalg.norm(reached[:3] - pose[:3]) < 1e-6
        assert quat_angle(reached[None, 3:], pose[None, 3:])[0] < 1e-6
        assert list(traj.joint_names) == list(OMY.joint_names)
        point = traj.points[-1]
        assert np.allclose(point.positions, q)
        # never faster than max_velocity from where the arm is (it stood at ``at``)
        assert np.abs(q - at).max() / _seconds(point.time_from_start) <= MAX_VELOCITY * 1.001
        assert ros.spin_until(lambda g=q: np.allclose(joints_by_name(states[-1], OMY.joint_names),
                                                      g, atol=1e-3))
        at = q
    for msg in states:  # the driver inside the real limits all the way
        assert within_limits(OMY, joints_by_name(msg, OMY.joint_names))


def test_the_omy_ik_node_refuses_what_it_cannot_reach_and_stays(ros):
    """Out of reach, under the table: no command (the arm stays); a reachable one follows."""
    ik = ros.add(IkNode(context=ros.context, parameter_overrides=[
        Parameter('arm', value='omy_f3m'), Parameter('model', value='analytic')]))
    probe = ros.node('probe')
    commands = []
    probe.create_subscription(JointState, 'joint_command', commands.append, 1000)
    pub = probe.create_publisher(PoseStamped, 'target_pose', 10)
    assert ros.spin_until(lambda: pub.get_subscription_count() > 0)
    home = chain_forward(OMY, OMY.home)
    far, under = home.copy(), home.copy()
    far[:3] = [1.5, 0.0, 0.3]
    under[2] = -0.1
    for count, pose in enumerate((far, under), start=1):
        pub.publish(array_to_pose(pose, 'world', probe.get_clock().now().to_msg()))
        assert ros.spin_until(lambda c=count: sum(ik.stats.rejected.values()) == c)
    assert commands == []
    assert ik.stats.handled == 0 and sum(ik.stats.rejected.values()) == 2
    pub.publish(array_to_pose(chain_forward(OMY, OMY.home), 'world',
                              probe.get_clock().now().to_msg()))
    assert ros.spin_until(lambda: commands)
    assert np.allclose(commands[-1].position, OMY.home, atol=1e-9)
