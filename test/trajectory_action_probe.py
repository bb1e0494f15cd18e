"""
Run by test_trajectory_action.py in a process that can import the generated control_msgs.

A driver (``sim`` or ``emulated`` backend) with its FollowJointTrajectory server, and a client
sending goals over DDS and listening to joint_states. Prints JSON.
"""

import json
import sys
import time

from builtin_interfaces.msg import Duration
from control_msgs.action import FollowJointTrajectory
from control_msgs.msg import JointTolerance
from ik_net_ros.arm import default_arm
from ik_net_ros.nodes.driver_node import DriverNode
from ik_net_ros.nodes.runner import make_executor
import numpy as np
import rclpy
from rclpy.action import ActionClient
from rclpy.parameter import Parameter
from sensor_msgs.msg import JointState
from trajectory_msgs.msg import JointTrajectoryPoint
from waiting import WAIT

OMX = default_arm()  # the OM-X, ROBOTIS's humble description

CLEAR = np.array([0.4, -0.6, 0.3, 0.6])  # a pose clear of the table and the base
IN_TABLE = np.array([0.0, 1.2, 0.3, 0.3])


def duration(seconds: float) -> Duration:
    return Duration(sec=int(seconds), nanosec=int(round((seconds % 1) * 1e9)))


def main(backend: str, executor_choice: str) -> None:
    rclpy.init()
    params = [Parameter('backend', value=backend), Parameter('home', value=list(OMX.home))]
    driver = DriverNode(parameter_overrides=params)
    client_node = rclpy.create_node('trajectory_client')
    client = ActionClient(client_node, FollowJointTrajectory,
                          'arm_controller/follow_joint_trajectory')
    states = []
    client_node.create_subscription(JointState, 'joint_states', states.append, 10)
    executor = make_executor(executor_choice)
    executor.add_node(driver)
    executor.add_node(client_node)
    out = {}

    def spin_until(done, timeout=WAIT):
        end = time.monotonic() + timeout
        while not done() and time.monotonic() < end:
            executor.spin_once(timeout_sec=0.02)
        return done()

    def arm():
        """Give the newest joint_states positions of the arm, after a few fresh ones."""
        count = len(states)
        assert spin_until(lambda: len(states) >= count + 3), 'no joint_states'
        names = list(states[-1].name)
        return np.array([states[-1].position[names.index(n)] for n in OMX.joint_names])

    def goal_of(times, positions, names=OMX.joint_names, velocities=None, **kw):
        goal = FollowJointTrajectory.Goal()
        goal.trajectory.joint_names = list(names)
        for i, (t, q) in enumerate(zip(times, positions)):
            point = JointTrajectoryPoint(positions=[float(x) for x in q],
                                         time_from_start=duration(t))
            if velocities is not None:
                point.velocities = [float(x) for x in velocities[i]]
            goal.trajectory.points.append(point)
        for key, value in kw.items():
            setattr(goal, key, value)
        return goal

    def send(goal, feedback=None):
        sent = client.send_goal_async(goal, feedback_callback=feedback)
        assert spin_until(sent.done), 'goal not answered'
        return sent.result()

    def finish(handle):
        if not handle.accepted:
            return {'accepted': False}
        result = handle.get_result_async()
        assert spin_until(result.done), 'no result'
        r = result.result()
        return {'accepted': True, 'status': r.status, 'code': r.result.error_code,
                'why': r.result.error_string}

    assert client.wait_for_server(timeout_sec=WAIT)
    start = arm()
    # 20 points, in the arm's joints reversed (by name), positions and velocities: cubic
    ts = np.linspace(0.15, 3.0, 20)
    path = start + np.outer(np.sin(np.pi * ts / 6.0), CLEAR - start)
    speed = np.outer(np.pi / 6.0 * np.cos(np.pi * ts / 6.0), CLEAR - start)
    order = list(reversed(range(len(OMX.joint_names))))
    feedback = []
    goal = goal_of(ts, path[:, order], [OMX.joint_names[i] for i in order], speed[:, order],
                   path_tolerance=[JointTolerance(name=n, position=0.3) for n in OMX.joint_names],
                   goal_tolerance=[JointTolerance(name=n, position=0.01) for n in OMX.joint_names],
                   goal_time_tolerance=duration(2.0))
    out['twenty'] = finish(send(goal, lambda m: feedback.append(m.feedback)))
    out['feedback'] = len(feedback)
    out['feedback_names'] = sorted({tuple(f.joint_names) for f in feedback})
    out['feedback_error'] = max(float(np.abs(np.array(f.desired.positions) -
                                             np.array(f.actual.positions)
                                             - np.array(f.error.positions)).max())
                                for f in feedback)
    out['twenty_end'] = (arm() - path[-1]).tolist()

    # refused whole before anything moves: the arm stays where it is
    here = arm()
    mid = (here + OMX.home) / 2
    refusals = {
        'collision': goal_of([1.0, 2.0, 3.0], [mid, IN_TABLE, OMX.home]),
        'speed': goal_of([0.1, 2.0], [here + 0.6 * np.eye(len(OMX.joint_names))[0], OMX.home]),
        'limits': goal_of([1.0, 2.0], [mid, here + 3.0 * np.eye(len(OMX.joint_names))[-1]]),
        'missing': goal_of([1.0], [mid[:-1]], OMX.joint_names[:-1]),
        'unknown': goal_of([1.0], [list(mid) + [0.0]], list(OMX.joint_names) + ['joint9']),
        'old_stamp': goal_of([1.0], [mid]),
        'effort': goal_of([1.0], [mid]),
        # a far time_from_start: refused at once, its path never sampled (F6: stalled the driver)
        'too_long': goal_of([1e9], [mid]),
        # a huge finite position with velocities: its interpolation overflows (F7: a traceback)
        'huge': goal_of([0.5, 1.0], [mid + [0.0, -1e308, 0.0, 0.0], mid],
                        velocities=np.zeros((2, len(OMX.joint_names)))),
    }
    refusals['effort'].trajectory.points[0].effort = [1.0] * len(OMX.joint_names)
    stamp = driver.get_clock().now().to_msg()
    stamp.sec -= 10
    refusals['old_stamp'].trajectory.header.stamp = stamp
    out['refused'] = {k: finish(send(g)) for k, g in refusals.items()}
    out['refused_moved'] = float(np.abs(arm() - here).max())

    # preemption: a new goal while one runs
    first = send(goal_of([3.0], [OMX.home]))
    assert spin_until(lambda: np.abs(arm() - here).max() > 0.05)
    # a refused goal leaves the running one alone (checked whole before it preempts)
    out['refused_while_running'] = finish(send(refusals['collision']))
    running = driver.trajectory_action.current
    out['still_running'] = running is not None and bytes(running[1].goal_id.uuid) == \
        bytes(first.goal_id.uuid)
    second = send(goal_of([1.0, 2.0], [CLEAR, here]))
    out['preempted'], out['preempting'] = finish(first), finish(second)
    out['preempting_end'] = float(np.abs(arm() - here).max())

    # cancel: the arm holds where it is
    running = send(goal_of([3.0], [OMX.home]))
    assert spin_until(lambda: np.abs(arm() - here).max() > 0.05)
    cancel = running.cancel_goal_async()
    assert spin_until(cancel.done)
    out['canceled'] = finish(running)
    held = arm()
    for _ in range(20):
        arm()
    out['held_drift'] = float(np.abs(arm() - held).max())
    out['held_from_goal'] = float(np.abs(held - OMX.home).max())

    # an arm slower than the trajectory (max_velocity lowered after the check): late at the
    # end beyond goal_time_tolerance, then off its path beyond path_tolerance
    here = arm()
    slow = Parameter('max_velocity', value=0.05)
    fast = Parameter('max_velocity', value=driver.get_parameter('max_velocity').value)
    late = send(goal_of([1.0], [OMX.home], goal_time_tolerance=duration(0.3)))
    driver.set_parameters([slow])
    out['late'] = finish(late)
    driver.set_parameters([fast])
    here = arm()
    far = CLEAR if np.abs(here - OMX.home).max() < np.abs(here - CLEAR).max() else OMX.home
    behind = send(goal_of([2.0], [far], path_tolerance=[
        JointTolerance(name=n, position=0.02) for n in OMX.joint_names]))
    driver.set_parameters([slow])
    out['behind'] = finish(behind)
    driver.set_parameters([fast])

    here = arm()
    running = send(goal_of([3.0], [far]))
    assert spin_until(lambda: np.abs(arm() - here).max() > 0.05)
    driver.trigger_deactivate()
    out['deactivated'] = finish(running)
    out['inactive'] = finish(send(goal_of([1.0], [OMX.home])))
    driver.shutdown()
    print(json.dumps(out))
    executor.shutdown()
    client_node.destroy_node()
    driver.destroy_node()
    rclpy.try_shutdown()


if __name__ == '__main__':
    main(sys.argv[1], sys.argv[2])
