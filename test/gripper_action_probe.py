"""
Run by test_gripper_action.py in a process that can import the generated control_msgs.

A sim driver with its GripperCommand server, and a client sending goals. Prints JSON.
"""

import json
import sys
import time

from control_msgs.action import GripperCommand
from ik_net_ros.nodes.driver_node import DriverNode
from ik_net_ros.nodes.runner import make_executor
import rclpy
from rclpy.action import ActionClient
from rclpy.parameter import Parameter
from waiting import WAIT


def main(executor_choice: str) -> None:
    rclpy.init()
    driver = DriverNode(parameter_overrides=[
        Parameter('backend', value='sim'), Parameter('gripper_goal_tolerance', value=0.002),
        Parameter('gripper_stall_timeout', value=0.5)])
    client_node = rclpy.create_node('gripper_client')
    client = ActionClient(client_node, GripperCommand, 'gripper_controller/gripper_cmd')
    executor = make_executor(executor_choice)
    executor.add_node(driver)
    executor.add_node(client_node)
    out = {'executor': type(executor).__name__,
           'settings': getattr(driver.gripper_action, 'settings', None)}

    def spin_until(future, timeout=WAIT):
        end = time.monotonic() + timeout
        while not future.done() and time.monotonic() < end:
            executor.spin_once(timeout_sec=0.02)
        return future.done()

    def send(position, max_effort=1.0, feedback=None):
        goal = GripperCommand.Goal()
        goal.command.position, goal.command.max_effort = position, max_effort
        return client.send_goal_async(goal, feedback_callback=feedback)

    def finish(sent):
        assert spin_until(sent), 'goal not answered'
        handle = sent.result()
        result = handle.get_result_async()
        assert spin_until(result), 'no result'
        r = result.result()
        return {'accepted': handle.accepted, 'status': r.status, 'position': r.result.position,
                'reached_goal': r.result.reached_goal, 'stalled': r.result.stalled}

    assert client.wait_for_server(timeout_sec=WAIT)
    feedback = []
    out['reach'] = finish(send(0.015, feedback=feedback.append))
    out['feedback'] = len(feedback)
    out['clamped'] = finish(send(0.05))  # beyond the range: clamped to the open limit
    first = send(-0.005)
    assert spin_until(first)
    second = send(0.010)
    out['preempted'] = finish(first)
    out['preempting'] = finish(second)
    cancel_me = send(-0.010)
    assert spin_until(cancel_me)
    cancel = cancel_me.result().cancel_goal_async()
    assert spin_until(cancel)
    out['canceled'] = finish(cancel_me)
    sent_before = driver.backend._gripper_goal
    out['nan_effort'] = finish(send(0.002, max_effort=float('nan')))
    out['nan_effort_moved'] = driver.backend._gripper_goal != sent_before
    driver.trigger_deactivate()
    out['inactive'] = finish(send(0.0))
    driver.shutdown()
    print(json.dumps(out))
    executor.shutdown()
    client_node.destroy_node()
    driver.destroy_node()
    rclpy.try_shutdown()


if __name__ == '__main__':
    main(sys.argv[1])
