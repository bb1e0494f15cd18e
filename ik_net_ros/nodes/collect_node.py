"""The ``collect`` node: joint_states in, forward-kinematics pose/joint rows appended to a CSV
dataset (the format `ik_net_ros train` reads). Nothing recorded is lost: rows reach the disk at
least every second and on exit (Ctrl-C or SIGTERM)."""

from __future__ import annotations

import datetime
import time

import numpy as np
from rcl_interfaces.msg import SetParametersResult
from rclpy.node import Node
from sensor_msgs.msg import JointState

from ik_net_ros.data.coverage import JointCoverage
from ik_net_ros.data.recorder import CsvRecorder
from ik_net_ros.kinematics import JOINT_NAMES, forward_kinematics, within_limits
from ik_net_ros.kinematics.paths import babble_joints
from ik_net_ros.nodes.conversions import joint_state, joints_by_name, stamp_to_seconds
from ik_net_ros.nodes.params import (
    Spec,
    check_changes,
    declare_parameters,
    int_in,
    non_empty,
    non_negative,
    positive,
    string_list,
)
from ik_net_ros.nodes.runner import run_node

PARAMETERS = {  # and 'output', whose default is made at start
    'min_joint_change': Spec(0.001, 'rad: skip a state whose joints all moved less than this '
                                    'since the last row', non_negative, 'an angle >= 0 rad'),
    'max_rate': Spec(100.0, 'rows per second at most (0: every state)', non_negative,
                     'a rate >= 0 Hz'),
    'joint_names': Spec(list(JOINT_NAMES), 'names of joint1..joint4 in joint_states (others '
                                           'are ignored)', string_list(4), '4 distinct names',
                        fixed=True),
    'report_period': Spec(5.0, 'seconds between coverage logs', positive, 'a time > 0 s',
                          fixed=True),
    'babble': Spec(False, 'drive the arm through random configurations (simulated arm, no '
                          'hardware needed)'),
    'babble_period': Spec(1.0, 'seconds between babble goals', positive, 'a time > 0 s',
                          fixed=True),
    'seed': Spec(0, 'seed of the babbling', int_in(0, 2**63 - 1), 'an integer >= 0',
                 fixed=True),
}


class CollectNode(Node):
    """Records FK pose/joint pairs from ``joint_states``; optionally babbles the arm."""

    def __init__(self, **kwargs):
        super().__init__('collect', **kwargs)
        default = datetime.datetime.now().strftime('iknet_data_%Y%m%d_%H%M%S.csv')
        self.specs = {'output': Spec(
            default, 'CSV file to append to (created with a header; an existing one must match)',
            non_empty, 'a file path', fixed=True), **PARAMETERS}
        declare_parameters(self, self.specs)
        self.recorder = CsvRecorder(self.get_parameter('output').value)
        self.coverage = JointCoverage()
        self.skipped = {'bad': 0, 'still': 0, 'rate': 0}
        self.last_joints: np.ndarray | None = None
        self.last_time = -np.inf
        self.rng = np.random.default_rng(self.get_parameter('seed').value)
        self.add_on_set_parameters_callback(self.on_set_parameters)
        self.sub = self.create_subscription(JointState, 'joint_states', self.on_state, 100)
        self.flush_timer = self.create_timer(self.recorder.flush_period, self.recorder.flush)
        self.report_timer = self.create_timer(self.get_parameter('report_period').value,
                                              self.on_report)
        self.babble_pub = self.create_publisher(JointState, 'joint_command', 10)
        self.babble_timer = self.create_timer(self.get_parameter('babble_period').value,
                                              self.on_babble)
        self.get_logger().info(
            f'recording to {self.recorder.path.resolve()} ({self.recorder.existing_rows} rows '
            f'there already){"; babbling" if self.get_parameter("babble").value else ""}')

    def on_set_parameters(self, params) -> SetParametersResult:
        return check_changes(params, self.specs)

    def on_state(self, msg: JointState) -> None:
        joints = joints_by_name(msg, self.get_parameter('joint_names').value)
        if joints is None or not np.all(np.isfinite(joints)) or not within_limits(joints, 1e-3):
            self.skipped['bad'] += 1
            self.get_logger().warning(
                'joint_states skipped: missing joints, NaN or out-of-limit reading '
                f'({self.skipped["bad"]} so far)', throttle_duration_sec=5.0)
            return
        now = time.monotonic()
        max_rate = self.get_parameter('max_rate').value
        if max_rate > 0 and now - self.last_time < 1.0 / max_rate:
            self.skipped['rate'] += 1
            return
        if self.last_joints is not None and np.all(
                np.abs(joints - self.last_joints) < self.get_parameter('min_joint_change').value):
            self.skipped['still'] += 1
            return
        stamp = stamp_to_seconds(msg.header.stamp) or time.time()
        self.recorder.append(stamp, joints, forward_kinematics(joints))
        self.coverage.add(joints)
        self.last_joints, self.last_time = joints, now

    def on_babble(self) -> None:
        if self.get_parameter('babble').value:
            self.babble_pub.publish(joint_state(babble_joints(self.rng),
                                                self.get_clock().now().to_msg()))

    def on_report(self) -> None:
        self.get_logger().info(
            f'{self.recorder.rows} rows recorded ({self.recorder.existing_rows} before), '
            f'coverage {100 * self.coverage.share:.1f} % of joint-space cells; least visited: '
            f'{"; ".join(self.coverage.emptiest())}; skipped bad {self.skipped["bad"]}')

    def shutdown(self) -> None:
        """Flush, fsync and close the file: a complete dataset after Ctrl-C or SIGTERM."""
        self.recorder.close()
        self.get_logger().info(f'{self.recorder.rows} rows written to {self.recorder.path}')


def main(args=None):
    run_node(CollectNode, args)


if __name__ == '__main__':
    main()
