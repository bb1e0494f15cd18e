"""
The demo's scaffolding (not shipped nodes).

An observer that records joint commands (with receive times) and the arm's joint states, and the
target sweep with a record of what it sent.
"""

from __future__ import annotations

import time

from ik_net_ros.nodes.conversions import joints_by_name, stamp_to_seconds
from ik_net_ros.nodes.target_sweep_node import TargetSweepNode
from rclpy.node import Node
from sensor_msgs.msg import JointState

__all__ = ['DemoMonitor', 'RecordingSweep']


class DemoMonitor(Node):
    """Subscribes ``joint_command`` and ``joint_states`` and keeps what it saw of ``names``."""

    def __init__(self, names, **kwargs):
        super().__init__('demo_monitor', **kwargs)
        self.names = tuple(names)  # the arm's joints, in chain order
        self.commands: list[tuple[tuple[int, int], float, object]] = []  # stamp, t, joints
        self.states: list[tuple[float, object]] = []  # stamp s, joints
        self.record = False
        self.create_subscription(JointState, 'joint_command', self.on_command, 100)
        self.create_subscription(JointState, 'joint_states', self.on_state, 100)

    def on_command(self, msg: JointState) -> None:
        received = time.perf_counter()
        joints = joints_by_name(msg, self.names)
        if self.record and joints is not None:
            self.commands.append(((msg.header.stamp.sec, msg.header.stamp.nanosec), received,
                                  joints))

    def on_state(self, msg: JointState) -> None:
        joints = joints_by_name(msg, self.names)
        if joints is not None and (self.record or not self.states):
            self.states.append((stamp_to_seconds(msg.header.stamp), joints))


class RecordingSweep(TargetSweepNode):
    """The target sweep, keeping each target it sends (while ``record``) by stamp."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.sent: dict[tuple[int, int], tuple[float, object]] = {}  # stamp -> (t, pose)
        self.record = False

    def publish_target(self, msg, pose) -> None:
        if self.record:
            self.sent[(msg.header.stamp.sec, msg.header.stamp.nanosec)] = (
                time.perf_counter(), pose)
        super().publish_target(msg, pose)
