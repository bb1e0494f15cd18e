"""
The ``target_sweep`` node: target poses along a smooth reachable path through the workspace.

The demo's target source; also handy to exercise a real arm slowly.
"""

from __future__ import annotations

import time

from geometry_msgs.msg import PoseStamped
from ik_net_ros.errors import ConfigError
from ik_net_ros.kinematics.paths import SWEEP_BOX, sweep_pose
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
import numpy as np
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


EXTRA_AMPLITUDE = 0.5  # rad a joint beyond the pitch chain's four (a wrist roll) sweeps by


def sweep_box(arm) -> tuple[np.ndarray, np.ndarray]:
    """
    Return the joint box (center, amplitude) (dof,) rad the sweep of ``arm`` fills.

    The kinematics' figure of the pitch chain under the base yaw (joints 1-4: clear of the
    table and the body, tested there) and every further joint (the OMX-F's wrist roll) about 0
    by EXTRA_AMPLITUDE. A target is only a request: the ik node and the driver still refuse
    any answer in collision.

    Raises
    ------
    ConfigError
        An arm of fewer joints than the figure's.

    """
    center, amplitude = (np.asarray(v, dtype=float) for v in SWEEP_BOX)
    extra = arm.dof - len(center)
    if extra < 0:
        raise ConfigError(f'arm {arm.name}: the sweep needs at least {len(center)} joints')
    return (np.concatenate([center, np.zeros(extra)]),
            np.concatenate([amplitude, np.full(extra, EXTRA_AMPLITUDE)]))


class TargetSweepNode(Node):
    """Publishes ``target_pose`` at ``rate`` Hz along :func:`sweep_pose`."""

    def __init__(self, **kwargs):
        super().__init__('target_sweep', **kwargs)
        bridge_core_logs(self)
        self.arm = declare_parameters(self, PARAMETERS)
        self.add_on_set_parameters_callback(self.on_set_parameters)
        self.pub = self.create_publisher(PoseStamped, 'target_pose', 10)
        self.start = time.monotonic()
        self.box = sweep_box(self.arm)
        self.timer = self.create_timer(1.0 / self.get_parameter('rate').value, self.on_timer)

    def on_set_parameters(self, params) -> SetParametersResult:
        return check_changes(params, PARAMETERS, self.arm)

    def on_timer(self) -> None:
        pose = sweep_pose(time.monotonic() - self.start, self.get_parameter('speed').value,
                          self.arm, self.box)
        stamp = self.get_clock().now().to_msg()
        self.publish_target(array_to_pose(pose, self.get_parameter('frame_id').value, stamp), pose)

    def publish_target(self, msg: PoseStamped, pose) -> None:
        """Send one target (a hook for tools that record what was sent)."""
        self.pub.publish(msg)


def main(args=None):
    run_node(TargetSweepNode, args)


if __name__ == '__main__':
    main()
