"""
The GripperCommand action, as ROBOTIS's gripper_controller serves it.

The decision core (reached, stalled) free of ROS, and the driver's action server end to end where
control_msgs is importable. control_msgs is not on PyPI: where it is not installed, its
GripperCommand is generated from test/interfaces/control_msgs with the rosidl generators
(requirements-ros.txt; interface_build.py).
"""

import json
import os
from pathlib import Path
import subprocess
import sys

from hypothesis import given, settings
from hypothesis import strategies as st
from ik_net_ros.hardware.gripper_goal import GOAL_TOLERANCE, GripperGoal, STALL_TIMEOUT
from interface_build import control_msgs_environment
import pytest

HERE = Path(__file__).resolve().parent
SUCCEEDED, CANCELED, ABORTED = 4, 5, 6  # action_msgs/GoalStatus


def test_a_goal_is_reached_within_the_tolerance():
    goal = GripperGoal(0.015)
    assert not goal.update(0.0, 0.0).done
    outcome = goal.update(0.015 - GOAL_TOLERANCE / 2, 0.1)
    assert outcome.reached_goal and not outcome.stalled and goal.succeeded(outcome)


def test_fingers_that_stop_short_stall_after_the_timeout():
    """
    An object between the fingers: they stop 15 mm short.

    After stall_timeout the goal ends, aborted unless stalling is allowed (grasping).
    """
    for allow in (False, True):
        goal = GripperGoal(-0.010, allow_stalling=allow)
        t, outcome = 0.0, None
        for position in (0.019, 0.012, 0.008, 0.005):  # closing
            outcome = goal.update(position, t)
            t += 0.1
        assert not outcome.done
        while t < 0.3 + STALL_TIMEOUT:  # held at 5 mm by the object
            outcome = goal.update(0.005, t)
            assert not outcome.stalled
            t += 0.1
        outcome = goal.update(0.005, t + 0.1)
        assert outcome.stalled and not outcome.reached_goal
        assert goal.succeeded(outcome) == allow
    slow = GripperGoal(0.019)
    for i in range(40):  # slow but moving: never a stall
        assert not slow.update(-0.010 + 0.0002 * i, 0.1 * i).stalled
    for bad in ({'goal': float('nan')}, {'goal': 0.01, 'max_effort': float('inf')},
                {'goal': 0.01, 'stall_timeout': 0.0}):
        with pytest.raises(ValueError):
            GripperGoal(**bad)


def _controller(goal, tolerance, velocity_threshold, timeout, readings):
    """
    ros2_controllers' GripperActionController ``check_for_success``, transcribed.

    The goal's clock starts when it is accepted (the first reading here); the joint's velocity
    is what successive readings give. Return (reached_goal, stalled) after each reading, until
    the goal is done.
    """
    out, last_movement, previous = [], readings[0][0], None
    for now, position in readings:
        if abs(position - goal) < tolerance:
            out.append((True, False))
            break
        stalled = False
        if previous is not None:
            velocity = (position - previous[1]) / (now - previous[0])
            if abs(velocity) > velocity_threshold:
                last_movement = now
            elif now - last_movement > timeout:
                stalled = True
        previous = (now, position)
        out.append((False, stalled))
        if stalled:
            break
    return out


# exact binary fractions, so that the tolerance, speed and timeout edges are hit exactly
grid = st.integers(-40, 40).map(lambda i: i / 2048)
steps = st.lists(st.tuples(st.integers(1, 4).map(lambda i: i / 8), grid), min_size=1,
                 max_size=40)


@settings(max_examples=300, deadline=None)
@given(grid, st.sampled_from([1 / 1024, 1 / 256, 1 / 64]),
       st.sampled_from([1 / 1024, 1 / 128, 1 / 16]), st.sampled_from([0.25, 0.5, 1.0]), steps,
       st.booleans())
def test_reached_and_stalled_as_gripper_action_controller(
        goal, tolerance, velocity, timeout, moves, allow):
    """Issue 35 item 5: every reading's verdict is the controller's, edges included."""
    t, readings = 0.0, []
    for dt, position in moves:
        readings.append((t, position))
        t += dt
    expected = _controller(goal, tolerance, velocity, timeout, readings)
    gripper = GripperGoal(goal, goal_tolerance=tolerance, stall_velocity=velocity,
                          stall_timeout=timeout, allow_stalling=allow)
    for (now, position), (reached, stalled) in zip(readings, expected):
        outcome = gripper.update(position, now)
        assert (outcome.reached_goal, outcome.stalled) == (reached, stalled), (now, position)
        assert outcome.position == position  # the real position, not the goal
        if outcome.done:
            assert gripper.succeeded(outcome) == (reached or allow)


def test_the_driver_takes_tolerance_and_stall_detection_as_parameters():
    from ik_net_ros.nodes.driver_params import PARAMETERS
    from ik_net_ros.nodes.gripper_action import gripper_goal_settings
    names = ('gripper_goal_tolerance', 'gripper_stall_velocity', 'gripper_stall_timeout',
             'gripper_allow_stalling')
    values = {'gripper_goal_tolerance': 0.002, 'gripper_stall_velocity': 0.0005,
              'gripper_stall_timeout': 0.4, 'gripper_allow_stalling': True}
    assert all(name in PARAMETERS for name in names)
    goal = GripperGoal(0.01, **gripper_goal_settings(values.__getitem__))
    assert (goal.goal_tolerance, goal.stall_velocity, goal.stall_timeout,
            goal.allow_stalling) == (0.002, 0.0005, 0.4, True)
    for name, bad in (('gripper_goal_tolerance', 0.0), ('gripper_stall_timeout', -1.0),
                      ('gripper_stall_velocity', float('nan'))):
        assert not PARAMETERS[name].check(bad)


@pytest.fixture(scope='session')
def control_msgs_env(request, tmp_path_factory):
    return control_msgs_environment(request, tmp_path_factory)


@pytest.mark.ros
@pytest.mark.parametrize('executor', ['single', 'events'])
def test_the_driver_serves_gripper_command_as_robotis_controller(control_msgs_env, executor):
    """
    Reached goals succeed (feedback on the way), a goal beyond the range is clamped.

    A new goal preempts (aborts) the running one, a cancel cancels, an inactive driver aborts.
    """
    from ik_net_ros.nodes.runner import events_executor_class
    if executor == 'events' and events_executor_class() is None:
        pytest.skip('this rclpy has no EventsExecutor')
    env = dict(control_msgs_env)
    env['PYTHONPATH'] = os.pathsep.join([str(HERE), env.get('PYTHONPATH', '')])
    proc = subprocess.run([sys.executable, str(HERE / 'gripper_action_probe.py'), executor],
                          env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out['reach']['status'] == SUCCEEDED and out['reach']['reached_goal']
    # the driver's parameters (0.002 m, 0.5 s) are the goals' tolerance and stall timeout
    assert out['settings'] == {'goal_tolerance': 0.002, 'stall_velocity': 0.001,
                               'stall_timeout': 0.5, 'allow_stalling': False}
    assert abs(out['reach']['position'] - 0.015) < 0.002 and out['feedback'] > 0
    assert out['clamped']['status'] == SUCCEEDED
    assert out['preempted']['status'] == ABORTED
    assert out['preempting']['status'] == SUCCEEDED
    assert out['canceled']['status'] == CANCELED
    assert out['inactive']['status'] == ABORTED
    # a goal with a NaN max_effort is refused whole: the gripper is not sent anywhere
    assert out['nan_effort']['status'] == ABORTED and not out['nan_effort_moved']
