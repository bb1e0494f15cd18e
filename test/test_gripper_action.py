"""
The GripperCommand action, as ROBOTIS's gripper_controller serves it.

The decision core (reached, stalled) free of ROS, and the driver's action server end to end where
control_msgs is importable. control_msgs is not on PyPI: where it is not installed, its
GripperCommand is generated from test/interfaces/control_msgs with the rosidl generators
(requirements-ros.txt; control_msgs_build.py).
"""

import json
import os
from pathlib import Path
import subprocess
import sys

from control_msgs_build import control_msgs_environment
from ik_net_ros.hardware.gripper_goal import GOAL_TOLERANCE, GripperGoal, STALL_TIMEOUT
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
    assert abs(out['reach']['position'] - 0.015) <= GOAL_TOLERANCE and out['feedback'] > 0
    assert out['clamped']['status'] == SUCCEEDED
    assert out['preempted']['status'] == ABORTED
    assert out['preempting']['status'] == SUCCEEDED
    assert out['canceled']['status'] == CANCELED
    assert out['inactive']['status'] == ABORTED
    # a goal with a NaN max_effort is refused whole: the gripper is not sent anywhere
    assert out['nan_effort']['status'] == ABORTED and not out['nan_effort_moved']
