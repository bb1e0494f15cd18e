"""
The driver's FollowJointTrajectory action, as ros2_controllers' JointTrajectoryController has it.

End to end over DDS where control_msgs is importable (generated from test/interfaces/control_msgs
otherwise, interface_build.py): a 20-point goal followed within its tolerances, unsafe or
malformed goals refused whole before anything moves, preemption, cancel, late and off-path arms,
an inactive driver. The decisions themselves: test_trajectory_goal.py.
"""

import json
import os
from pathlib import Path
import subprocess
import sys

from ik_net_ros.hardware.trajectory_goal import (
    GOAL_TOLERANCE_VIOLATED,
    INVALID_GOAL,
    INVALID_JOINTS,
    OLD_HEADER_TIMESTAMP,
    PATH_TOLERANCE_VIOLATED,
    SUCCESSFUL,
)
from interface_build import control_msgs_environment
import pytest

HERE = Path(__file__).resolve().parent
SUCCEEDED, CANCELED, ABORTED = 4, 5, 6  # action_msgs/GoalStatus


@pytest.fixture(scope='session')
def control_msgs_env(request, tmp_path_factory):
    return control_msgs_environment(request, tmp_path_factory)


@pytest.mark.ros
@pytest.mark.parametrize('backend, executor', [('sim', 'single'), ('sim', 'events'),
                                               ('emulated', 'single')])
def test_the_driver_follows_joint_trajectories_as_jtc(control_msgs_env, backend, executor):
    from ik_net_ros.nodes.runner import events_executor_class
    if executor == 'events' and events_executor_class() is None:
        pytest.skip('this rclpy has no EventsExecutor')
    env = dict(control_msgs_env)
    env['PYTHONPATH'] = os.pathsep.join([str(HERE), env.get('PYTHONPATH', '')])
    proc = subprocess.run([sys.executable, str(HERE / 'trajectory_action_probe.py'), backend,
                           executor],
                          env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    # 20 points, joints in another order, followed with feedback; the arm ends at the last point
    assert out['twenty']['status'] == SUCCEEDED and out['twenty']['code'] == SUCCESSFUL
    assert out['twenty']['why'] == 'Goal successfully reached!'
    assert out['feedback'] > 20 and out['feedback_error'] < 1e-9
    assert out['feedback_names'] == [['joint1', 'joint2', 'joint3', 'joint4']]
    assert max(abs(e) for e in out['twenty_end']) <= 0.01
    # refused whole, with the code and why; nothing moved
    codes = {'collision': INVALID_GOAL, 'speed': INVALID_GOAL, 'limits': INVALID_GOAL,
             'missing': INVALID_JOINTS, 'unknown': INVALID_JOINTS,
             'old_stamp': OLD_HEADER_TIMESTAMP, 'effort': INVALID_GOAL,
             'too_long': INVALID_GOAL, 'huge': INVALID_GOAL}
    words = {'collision': 'collision', 'speed': 'max_velocity', 'limits': 'limits',
             'missing': 'missing', 'unknown': 'unknown', 'old_stamp': 'old', 'effort': 'effort',
             'too_long': 'trajectory_max_duration', 'huge': 'limits'}
    for name, code in codes.items():
        refused = out['refused'][name]
        assert refused['status'] == ABORTED and refused['code'] == code, (name, refused)
        assert words[name] in refused['why'], (name, refused)
    assert out['refused_moved'] < 1e-6
    assert out['refused_while_running']['code'] == INVALID_GOAL and out['still_running']
    # a new goal preempts the running one (canceled, as JTC does); the new one is followed
    assert out['preempted']['status'] == CANCELED and out['preempted']['code'] == INVALID_GOAL
    assert out['preempting']['status'] == SUCCEEDED and out['preempting_end'] <= 0.02
    # cancel: the arm holds where it was, short of the goal
    assert out['canceled']['status'] == CANCELED and out['canceled']['code'] == SUCCESSFUL
    assert out['held_drift'] < 1e-6 and out['held_from_goal'] > 0.02
    assert out['late']['status'] == ABORTED and out['late']['code'] == GOAL_TOLERANCE_VIOLATED
    assert out['behind']['status'] == ABORTED
    assert out['behind']['code'] == PATH_TOLERANCE_VIOLATED
    # deactivating cancels the running goal (JTC's words), then goals are rejected
    assert out['deactivated']['status'] == CANCELED
    assert out['deactivated']['why'] == 'Current goal cancelled during deactivate transition.'
    assert out['inactive'] == {'accepted': False}
