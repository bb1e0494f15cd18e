"""
The ``tracker`` node: a simulated pose tracker (camera marker, motion capture).

It reads the simulated arm's true tool pose (``sim/true_tool_pose``, from the driver with a
``true_arm``) and publishes what a tracker would measure: the pose with position and orientation
noise, at most ``rate`` times per second, with the truth's stamp (so the collector pairs it by
stamp).
"""

from __future__ import annotations

import math

from geometry_msgs.msg import PoseStamped
from ik_net_ros.kinematics.true_arm import measure
from ik_net_ros.nodes.conversions import array_to_pose, pose_to_array, stamp_to_seconds
from ik_net_ros.nodes.core_logs import bridge_core_logs
from ik_net_ros.nodes.params import (
    check_changes,
    declare_parameters,
    EXECUTOR,
    int_in,
    non_empty,
    number_in,
    Spec,
)
from ik_net_ros.nodes.runner import run_node
import numpy as np
from rclpy.node import Node

PARAMETERS = {
    'position_noise': Spec(3e-4, 'standard deviation of the position noise per axis, m',
                           number_in(0.0, 0.1), 'a length in [0, 0.1] m'),
    'orientation_noise': Spec(math.radians(0.2), 'standard deviation of the orientation noise '
                                                 'per axis, rad', number_in(0.0, 0.5),
                              'an angle in [0, 0.5] rad'),
    'rate': Spec(1000.0, 'measurements per second at most (the default passes every pose of '
                         "a 100 Hz driver, jitter included: a rate equal to the driver's "
                         'drops poses whose stamps come early)', number_in(0.1, 1000.0),
                 'a rate in [0.1, 1000] Hz'),
    'frame_id': Spec('world', 'frame of the measured poses', non_empty, 'a frame name'),
    'seed': Spec(0, 'seed of the noise', int_in(0, 2 ** 63 - 1), 'an integer >= 0', fixed=True),
    'executor': EXECUTOR,
}


class TrackerNode(Node):
    """Republishes ``sim/true_tool_pose`` as ``tracker/pose`` with noise, rate-limited."""

    def __init__(self, **kwargs):
        super().__init__('tracker', **kwargs)
        bridge_core_logs(self)
        declare_parameters(self, PARAMETERS)
        self.rng = np.random.default_rng(self.get_parameter('seed').value)
        self.last = -math.inf
        self.add_on_set_parameters_callback(lambda p: check_changes(p, PARAMETERS))
        self.pub = self.create_publisher(PoseStamped, 'tracker/pose', 10)
        self.sub = self.create_subscription(PoseStamped, 'sim/true_tool_pose', self.on_truth, 10)

    def on_truth(self, msg: PoseStamped) -> None:
        stamp = stamp_to_seconds(msg.header.stamp)
        # a stamp behind the last one (the input's clock jumped back) starts the count again
        if 0.0 <= stamp - self.last < 1.0 / self.get_parameter('rate').value:
            return
        self.last = stamp
        value = self.get_parameter
        pose = measure(pose_to_array(msg), self.rng, value('position_noise').value,
                       value('orientation_noise').value)[0]
        self.pub.publish(array_to_pose(pose, value('frame_id').value, msg.header.stamp))


def main(args=None):
    run_node(TrackerNode, args)


if __name__ == '__main__':
    main()
