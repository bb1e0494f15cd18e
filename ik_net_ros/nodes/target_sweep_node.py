"""
The ``target_sweep`` node: target poses along a smooth reachable path through the workspace.

The demo's target source; also handy to exercise a real arm slowly.
"""

from __future__ import annotations

import time

from geometry_msgs.msg import PoseStamped
from ik_net_ros.errors import ConfigError
from ik_net_ros.kinematics.arm_bridge import geometry_of
from ik_net_ros.kinematics.paths import sweep_pose
from ik_net_ros.nodes.conversions import array_to_pose
from ik_net_ros.nodes.core_logs import bridge_core_logs
from ik_net_ros.nodes.params import (
    ARM,
    check_changes,
    declare_parameters,
    description_spec,
    EXECUTOR,
    non_empty,
    number_in,
    Spec,
)
from ik_net_ros.nodes.runner import run_node
from rcl_interfaces.msg import SetParametersResult
from rclpy.node import Node

PARAMETERS = {
    'rate': Spec(50.0, 'targets per second', number_in(1e-3, 10_000.0),
                 'a rate in [0.001, 10000] Hz', fixed=True),
    'speed': Spec(1.0, 'path speed factor (1 = about a minute per figure)',
                  number_in(0.0, 100.0, low_open=True), 'a factor in (0, 100]'),
    'frame_id': Spec('world', 'frame of the targets', non_empty, 'a frame name'),
    'description': description_spec('the targets are given in'),
    'arm': ARM,
    'executor': EXECUTOR,
}


class TargetSweepNode(Node):
    """Publishes ``target_pose`` at ``rate`` Hz along :func:`sweep_pose`."""

    def __init__(self, **kwargs):
        super().__init__('target_sweep', **kwargs)
        bridge_core_logs(self)
        self.arm = declare_parameters(self, PARAMETERS)
        self.add_on_set_parameters_callback(self.on_set_parameters)
        self.pub = self.create_publisher(PoseStamped, 'target_pose', 10)
        self.start = time.monotonic()
        try:  # bridge: the sweep's figure takes the OM-X's geometry until it takes the Arm
            self.geometry = geometry_of(self.arm)
        except ValueError as e:
            raise ConfigError(f'arm {self.arm.name}: no sweep for this arm yet ({e})') from e
        self.timer = self.create_timer(1.0 / self.get_parameter('rate').value, self.on_timer)

    def on_set_parameters(self, params) -> SetParametersResult:
        return check_changes(params, PARAMETERS, self.arm)

    def on_timer(self) -> None:
        pose = sweep_pose(time.monotonic() - self.start, self.get_parameter('speed').value,
                          self.geometry)
        stamp = self.get_clock().now().to_msg()
        self.publish_target(array_to_pose(pose, self.get_parameter('frame_id').value, stamp), pose)

    def publish_target(self, msg: PoseStamped, pose) -> None:
        """Send one target (a hook for tools that record what was sent)."""
        self.pub.publish(msg)


def main(args=None):
    run_node(TargetSweepNode, args)


if __name__ == '__main__':
    main()
