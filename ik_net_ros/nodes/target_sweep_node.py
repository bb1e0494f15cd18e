"""The ``target_sweep`` node: publishes target poses sweeping a smooth reachable path through the
workspace (the demo's target source; also handy to exercise a real arm slowly)."""

from __future__ import annotations

import time

from geometry_msgs.msg import PoseStamped
from rclpy.node import Node

from ik_net_ros.kinematics.paths import sweep_pose
from ik_net_ros.nodes.conversions import array_to_pose, describe
from ik_net_ros.nodes.runner import run_node


class TargetSweepNode(Node):
    """Publishes ``target_pose`` at ``rate`` Hz along :func:`sweep_pose`."""

    def __init__(self, **kwargs):
        super().__init__('target_sweep', **kwargs)
        self.declare_parameter('rate', 50.0, describe('targets per second'))
        self.declare_parameter('speed', 1.0, describe('path speed factor (1 = about a minute '
                                                      'per figure)'))
        self.declare_parameter('frame_id', 'world', describe('frame of the targets'))
        self.pub = self.create_publisher(PoseStamped, 'target_pose', 10)
        self.start = time.monotonic()
        self.sent: dict[tuple[int, int], tuple[float, object]] = {}  # stamp -> (t, pose)
        self.record = False
        self.timer = self.create_timer(1.0 / self.get_parameter('rate').value, self.on_timer)

    def on_timer(self) -> None:
        pose = sweep_pose(time.monotonic() - self.start, self.get_parameter('speed').value)
        stamp = self.get_clock().now().to_msg()
        msg = array_to_pose(pose, self.get_parameter('frame_id').value, stamp)
        if self.record:
            self.sent[(stamp.sec, stamp.nanosec)] = (time.perf_counter(), pose)
        self.pub.publish(msg)


def main(args=None):
    run_node(TargetSweepNode, args)


if __name__ == '__main__':
    main()
