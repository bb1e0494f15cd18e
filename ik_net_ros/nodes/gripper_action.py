"""
The driver's ``control_msgs/GripperCommand`` action server on ``gripper_controller/gripper_cmd``.

As ROBOTIS's ``gripper_controller`` offers it (their teleop, GUI and MoveIt drive the gripper
through it): ``command.position`` in metres of ``gripper_left_joint``, ``max_effort``; feedback and
result ``position, effort, stalled, reached_goal``. A new goal preempts the running one (aborted),
as the controller does. The decisions are :class:`~ik_net_ros.hardware.gripper_goal.GripperGoal`'s;
this module only maps them to the action.

Made only where control_msgs is importable (every ROS 2 desktop install; it is not on PyPI):
:func:`make_gripper_action` returns None otherwise and the driver says so.
"""

from __future__ import annotations

from collections.abc import Callable
import time
from typing import Any

from ik_net_ros.errors import IkNetError
from ik_net_ros.hardware.gripper_goal import GripperGoal, GripperOutcome
from rclpy.action import ActionServer, CancelResponse, GoalResponse
from rclpy.task import Future

__all__ = ['make_gripper_action', 'GripperAction', 'ACTION_NAME', 'gripper_goal_settings']

ACTION_NAME = 'gripper_controller/gripper_cmd'


def gripper_goal_settings(value: Callable[[str], Any]) -> dict:
    """Return GripperGoal's keyword arguments from the driver's ``gripper_*`` parameters."""
    return {'goal_tolerance': value('gripper_goal_tolerance'),
            'stall_velocity': value('gripper_stall_velocity'),
            'stall_timeout': value('gripper_stall_timeout'),
            'allow_stalling': value('gripper_allow_stalling')}


def make_gripper_action(node, set_gripper: Callable[[float], float], settings: dict):
    """
    Return the action server on ``node``, or None where control_msgs is not importable.

    ``settings``: goal tolerance, stall detection and allow_stalling
    (:func:`gripper_goal_settings`).
    """
    try:
        from control_msgs.action import GripperCommand
    except ImportError:
        return None
    return GripperAction(node, GripperCommand, set_gripper, settings)


class GripperAction:
    """Follows one goal at a time; the driver feeds it each cycle's finger position."""

    def __init__(self, node, action_type, set_gripper: Callable[[float], float],
                 settings: dict):
        self.node, self.action_type = node, action_type
        self.set_gripper, self.settings = set_gripper, dict(settings)
        self.current: tuple[GripperGoal, object, Future] | None = None
        self.server = ActionServer(node, action_type, ACTION_NAME, self.on_execute,
                                   goal_callback=lambda request: GoalResponse.ACCEPT,
                                   cancel_callback=lambda handle: CancelResponse.ACCEPT)

    async def on_execute(self, handle):
        command = handle.request.command
        result = self.action_type.Result()
        try:  # the whole goal is checked before the gripper is sent anywhere
            goal = GripperGoal(command.position, command.max_effort, **self.settings)
            goal.goal = self.set_gripper(command.position)  # clamped into the range
        except (IkNetError, ValueError) as e:
            self.node.get_logger().warning(f'gripper goal {command.position!r} refused: {e}')
            handle.abort()
            return result
        if self.current is not None:  # preempted, as ROBOTIS's controller does
            self.current[2].set_result(None)
        done = Future()
        self.current = (goal, handle, done)
        outcome = await done
        if self.current is not None and self.current[2] is done:
            self.current = None
        if outcome is None:  # preempted by a newer goal, or the driver stopped
            handle.abort()
            return result
        self._fill(result, outcome)
        if handle.is_cancel_requested:
            handle.canceled()
        elif goal.succeeded(outcome):
            handle.succeed()
        else:
            handle.abort()
        return result

    def on_reading(self, position: float | None) -> None:
        """One driver cycle: the finger's position (m; None: no reading this cycle)."""
        if self.current is None or position is None:
            return
        goal, handle, done = self.current
        outcome = goal.update(position, time.monotonic())
        feedback = self.action_type.Feedback()
        self._fill(feedback, outcome)
        handle.publish_feedback(feedback)
        if outcome.done or handle.is_cancel_requested:
            done.set_result(outcome)

    def stop(self) -> None:
        """Abort the running goal: the arm is going away (deactivate, cleanup)."""
        if self.current is not None:
            self.current[2].set_result(None)
            self.current = None

    @staticmethod
    def _fill(message, outcome: GripperOutcome) -> None:
        message.position, message.effort = outcome.position, outcome.effort
        message.stalled, message.reached_goal = outcome.stalled, outcome.reached_goal
