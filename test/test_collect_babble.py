"""
Stop-and-go babble goes on whatever the driver does with its goals.

A driver that refuses a goal (in collision from where the arm really is, or inactive), or a goal
that never arrives, used to stall the babble for good: the same goal was sent again forever and
nothing was logged.
"""

from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue
from hypothesis import given
from hypothesis import strategies as st
from ik_net_ros.arm import default_arm
from ik_net_ros.data.babble_schedule import BabbleSchedule
from ik_net_ros.hardware.sim import SimulatedArm
from ik_net_ros.kinematics.paths import babble_joints
from ik_net_ros.nodes.conversions import joint_state
import numpy as np
from propcheck import fixed_examples
import pytest
from rclpy.parameter import Parameter
from sensor_msgs.msg import JointState

OMX = default_arm()  # the OM-X, ROBOTIS's humble description

SETTINGS = fixed_examples(25)
DT = 0.02  # s of one babble period and one driver cycle


@SETTINGS
@given(fates=st.lists(st.sampled_from(['refuse', 'lose', 'take']), min_size=1, max_size=6),
       settle=st.floats(0.0, 0.5), seed=st.integers(0, 2**32 - 1),
       home=st.sampled_from([OMX.home, (2.0, 0.3, 0.2, 0.8), (-1.5, -1.2, 0.9, 0.4)]))
def test_refused_and_lost_goals_never_stall_the_babble(fates, settle, seed, home):
    """The driver refuses the first goal, then refuses, loses or takes each new one."""
    fates = ['refuse'] + fates
    arm = SimulatedArm(home=home)  # the driver's own wall
    schedule = BabbleSchedule(settle=settle, timeout=2.0)
    rng = np.random.default_rng(seed)

    def draw(start):
        return babble_joints(rng, collision=arm.collision, start=start)

    new_goals, now = 0, 0.0
    for _ in range(int(60 / DT)):  # a minute of babble
        schedule.observe(arm.cycle(DT).positions, now)
        goal, new, why = schedule.next_goal(now, draw)
        if new:
            fate = fates[new_goals] if new_goals < len(fates) else 'take'
            new_goals += 1
            if fate == 'refuse':
                schedule.refused('the driver is not active')
            elif fate == 'take':  # drawn from where the arm is: the driver takes it
                arm.set_goal(goal)
            if new_goals > len(fates) + 2:
                break
        now += DT
    assert new_goals > len(fates) + 2, f'the babble stalled after {new_goals} goals'
    assert schedule.given_up >= fates.count('refuse')


def test_no_goal_before_the_arm_is_heard_of_and_each_from_where_it_is():
    schedule = BabbleSchedule(settle=0.1)
    starts = []

    def draw(start):
        starts.append(start)
        return start + 0.1

    assert schedule.next_goal(0.0, draw) == (None, False, '')
    schedule.observe(np.array([0.1, 0.2, 0.3, 0.4]), 0.0)
    goal, new, why = schedule.next_goal(0.0, draw)
    assert new and why == '' and np.allclose(starts[-1], [0.1, 0.2, 0.3, 0.4])
    schedule.refused('collision: hand 3.0 mm under the table')
    schedule.observe(np.array([0.12, 0.2, 0.3, 0.4]), 0.1)
    goal, new, why = schedule.next_goal(0.1, draw)
    assert new and 'under the table' in why and np.allclose(starts[-1], [0.12, 0.2, 0.3, 0.4])


@pytest.mark.ros
def test_the_collector_babbles_on_past_a_driver_that_refuses_its_first_goal(ros, tmp_path):
    """A stand-in driver: refuses the first goal, takes the others (the arm is there at once)."""
    from ik_net_ros.nodes.collect_node import CollectNode
    collect = ros.add(CollectNode(context=ros.context, parameter_overrides=[
        Parameter('output', value=str(tmp_path / 'r.csv')), Parameter('babble', value=True),
        Parameter('babble_period', value=0.05), Parameter('babble_settle', value=0.2)]))
    driver = ros.node('driver')
    arm = [list(OMX.home)]
    goals = []
    results = driver.create_publisher(DiagnosticArray, 'joint_command_result', 10)
    states = driver.create_publisher(JointState, 'joint_states', 10)

    def on_command(msg):
        refused = not goals or np.allclose(msg.position, goals[0].position)
        if not goals or not np.allclose(msg.position, goals[-1].position):
            goals.append(msg)
        status = DiagnosticStatus(level=DiagnosticStatus.ERROR if refused else DiagnosticStatus.OK,
                                  name='/driver', message='collision: test' if refused else '',
                                  values=[KeyValue(key='result',
                                                   value='refused' if refused else 'accepted')])
        answer = DiagnosticArray(status=[status])
        answer.header.stamp = msg.header.stamp
        results.publish(answer)
        if not refused:
            arm[0] = list(msg.position)

    driver.create_subscription(JointState, 'joint_command', on_command, 10)
    driver.create_timer(0.02, lambda: states.publish(
        joint_state(arm[0], driver.get_clock().now().to_msg())))
    try:
        assert ros.spin_until(lambda: len(goals) >= 4), len(goals)
        assert collect.schedule.given_up >= 1
    finally:
        collect.shutdown()
