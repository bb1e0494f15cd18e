"""
The ``tracker`` node: a simulated pose tracker (camera marker, motion capture).

It reads the simulated arm's true tool pose (``sim/true_tool_pose``, from the driver with a
``true_arm``) and publishes what a tracker would measure
(:class:`~ik_net_ros.sim.tracker.SimulatedTracker`): a marker's pose (``marker``
on the tool) in the tracker's own frame (``frame``, named ``frame_id``), with noise and a share
of swapped-marker outliers, at most ``rate`` times per second, stamped ``latency`` seconds
after the instant it shows.
"""

from __future__ import annotations

import math

from builtin_interfaces.msg import Time
from geometry_msgs.msg import PoseStamped
from ik_net_ros.kinematics.rigid import pose_from_xyz_rpy
from ik_net_ros.kinematics.tracker_setup import (
    MAX_FRAME_DISTANCE,
    MAX_MARKER_DISTANCE,
    TrackerSetup,
)
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
    xyz_rpy_within,
)
from ik_net_ros.nodes.runner import run_node
from ik_net_ros.sim.tracker import SimulatedTracker
import numpy as np
from rclpy.node import Node

PARAMETERS = {
    'position_noise': Spec(3e-4, 'standard deviation of the position noise per axis, m',
                           number_in(0.0, 0.1), 'a length in [0, 0.1] m'),
    'orientation_noise': Spec(math.radians(0.2), 'standard deviation of the orientation noise '
                                                 'per axis, rad', number_in(0.0, 0.5),
                              'an angle in [0, 0.5] rad'),
    'rate': Spec(1000.0, 'measurements per second at most (a camera: 30)',
                 number_in(0.1, 1000.0), 'a rate in [0.1, 1000] Hz'),
    'frame_id': Spec('world', 'frame of the measured poses (a camera: its own name)', non_empty,
                     'a frame name'),
    'frame_xyz_rpy': Spec([0.0] * 6, "the tracker frame's true pose in the base frame: x, y, z "
                                     '(m), roll, pitch, yaw (deg)',
                          xyz_rpy_within(MAX_FRAME_DISTANCE),
                          f'6 numbers, within {MAX_FRAME_DISTANCE:g} m and 360 deg', fixed=True),
    'marker_xyz_rpy': Spec([0.0] * 6, "the marker's true pose on the tool: x, y, z (m), roll, "
                                      'pitch, yaw (deg)', xyz_rpy_within(MAX_MARKER_DISTANCE),
                           f'6 numbers, within {MAX_MARKER_DISTANCE:g} m and 360 deg',
                           fixed=True),
    'latency': Spec(0.0, 'seconds the stamps are late: a measurement shows the arm that long '
                         'before its stamp', number_in(0.0, 1.0), 'a time in [0, 1] s',
                    fixed=True),
    'outliers': Spec(0.0, 'share of measurements of a swapped marker (structured outliers)',
                     number_in(0.0, 0.5), 'a share in [0, 0.5]', fixed=True),
    'seed': Spec(0, 'seed of the noise', int_in(0, 2 ** 63 - 1), 'an integer >= 0', fixed=True),
    'executor': EXECUTOR,
}


class TrackerNode(Node):
    """Republishes ``sim/true_tool_pose`` as ``tracker/pose``, as a tracker would see it."""

    def __init__(self, **kwargs):
        super().__init__('tracker', **kwargs)
        bridge_core_logs(self)
        declare_parameters(self, PARAMETERS)
        self.rng = np.random.default_rng(self.get_parameter('seed').value)
        value = self.get_parameter
        self.setup = TrackerSetup(tuple(pose_from_xyz_rpy(value('frame_xyz_rpy').value)),
                                  tuple(pose_from_xyz_rpy(value('marker_xyz_rpy').value)),
                                  value('latency').value)
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
        tracker = SimulatedTracker(self.setup, value('rate').value, value('position_noise').value,
                                   value('orientation_noise').value, value('outliers').value)
        pose = tracker.measure(pose_to_array(msg), self.rng)[0]
        late = int(round((stamp + self.setup.latency) * 1e9))
        self.pub.publish(array_to_pose(pose, value('frame_id').value,
                                       Time(sec=late // 10 ** 9, nanosec=late % 10 ** 9)))


def main(args=None):
    run_node(TrackerNode, args)


if __name__ == '__main__':
    main()
