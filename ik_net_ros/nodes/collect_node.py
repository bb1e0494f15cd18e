"""
The ``collect`` node: joint_states in.

Forward-kinematics pose/joint rows appended to a CSV dataset (the format `ik_net_ros train` reads).
Nothing recorded is lost: rows reach the disk at least every second and on exit (Ctrl-C or
SIGTERM).
"""

from __future__ import annotations

import datetime
import time

from diagnostic_msgs.msg import DiagnosticArray
from geometry_msgs.msg import PoseStamped
from ik_net_ros.data.babble_schedule import BabbleSchedule
from ik_net_ros.data.coverage import JointCoverage
from ik_net_ros.data.dataset import MEASURED_COLUMNS, velocity_columns
from ik_net_ros.data.files import read_sidecar, write_sidecar
from ik_net_ros.data.pairing import StampPairer
from ik_net_ros.data.recorder import CsvRecorder, record_columns
from ik_net_ros.data.row_filter import BAD, RowFilter
from ik_net_ros.errors import DatasetError, InvalidPoseError
from ik_net_ros.kinematics import as_pose_array
from ik_net_ros.kinematics.chain import chain_forward
from ik_net_ros.kinematics.collision import CollisionModel
from ik_net_ros.kinematics.paths import babble_joints
from ik_net_ros.kinematics.tracker_setup import is_base_frame_name
from ik_net_ros.nodes.arm_params import arm_joint_names
from ik_net_ros.nodes.collect_params import CLOCK_JUMP, PAIR_PERIOD, PARAMETERS
from ik_net_ros.nodes.conversions import (
    joint_state,
    joints_by_name,
    pose_to_array,
    stamp_to_seconds,
)
from ik_net_ros.nodes.core_logs import bridge_core_logs
from ik_net_ros.nodes.driver_params import calibrated_arm
from ik_net_ros.nodes.params import (
    check_changes,
    declare_parameters,
    non_empty,
    prefixed,
    Spec,
    workspace_box,
)
from ik_net_ros.nodes.qos import SENSOR_STREAM
from ik_net_ros.nodes.runner import run_node
import numpy as np
from rcl_interfaces.msg import SetParametersResult
from rclpy.clock import Clock, ClockType, JumpThreshold
from rclpy.duration import Duration
from rclpy.node import Node
from sensor_msgs.msg import JointState


class CollectNode(Node):
    """Records FK pose/joint pairs from ``joint_states``; optionally babbles the arm."""

    def __init__(self, **kwargs):
        super().__init__('collect', **kwargs)
        bridge_core_logs(self)
        default = datetime.datetime.now().strftime('iknet_data_%Y%m%d_%H%M%S.csv')
        self.specs = {'output': Spec(
            default, 'CSV file to append to (created with a header; an existing one must match)',
            non_empty, 'a file path', fixed=True), **PARAMETERS}
        self.arm = declare_parameters(self, self.specs)
        topic = self.get_parameter('measured_pose_topic').value
        self.pairer = StampPairer(self.get_parameter('measured_tolerance').value,
                                  self.get_parameter('measured_wait').value,
                                  latency=self.get_parameter('measured_latency').value
                                  ) if topic else None
        self.reported_refusals = 0
        self.recorder = CsvRecorder(
            self.get_parameter('output').value, columns=record_columns(self.arm)
            + (MEASURED_COLUMNS + velocity_columns(self.arm) if topic else ()))
        # the one frame the tracker's poses are in: an appended recording keeps its own
        self.measured_frame: str | None = None
        if topic and self.recorder.existing_rows:
            self.measured_frame = read_sidecar(self.recorder.path).get('measured_frame', '')
        self.max_speed = self.get_parameter('measured_max_speed').value
        self.too_fast = 0  # measurements of an arm faster than measured_max_speed
        self.bad_measurements = 0
        self.coverage = JointCoverage()
        self.filter = RowFilter(self.get_parameter('min_joint_change').value,
                                self.get_parameter('max_rate').value, self.arm)
        self.schedule = BabbleSchedule(self.get_parameter('babble_settle').value,
                                       self.get_parameter('babble_timeout').value)
        self.babble_stamps: set[tuple[int, int]] = set()  # the present goal's sends
        self.joint_names = prefixed(arm_joint_names(self.get_parameter('joint_names').value,
                                                    self.arm),
                                    self.get_parameter('prefix').value)
        self.lost = 0  # rows that could not be written (full disk)
        self.rng = np.random.default_rng(self.get_parameter('seed').value)
        # babble goals, and the paths to them, keep clear of the table and the arm's base: the
        # calibrated arm's, as the driver checks them (the recorded poses stay nominal FK)
        self.collision = CollisionModel(
            calibrated_arm(self.arm, self.get_parameter('calibration').value),
            self.get_parameter('table_clearance').value,
            workspace_box(self.get_parameter('workspace').value))
        self.babble_goal: np.ndarray | None = None
        self.add_on_set_parameters_callback(self.on_set_parameters)
        self.sub = self.create_subscription(JointState, 'joint_states', self.on_state, 100)
        if self.pairer is not None:
            self.measured_sub = self.create_subscription(PoseStamped, topic, self.on_measured,
                                                         SENSOR_STREAM)
        # steady timers: with use_sim_time a paused or restarted /clock must not hold rows back
        steady = Clock(clock_type=ClockType.STEADY_TIME)
        self.flush_timer = self.create_timer(self.recorder.flush_period, self.on_flush,
                                             clock=steady)
        if self.pairer is not None:  # waiting states are decided on the receive clock
            self.pair_timer = self.create_timer(PAIR_PERIOD, self.on_pair, clock=steady)
            self.clock_jumped = False
            self.jump_handle = self.get_clock().create_jump_callback(
                JumpThreshold(min_forward=None, min_backward=Duration(seconds=-CLOCK_JUMP),
                              on_clock_change=True), post_callback=self.on_clock_jump)
        self.report_timer = self.create_timer(self.get_parameter('report_period').value,
                                              self.on_report)
        self.babble_pub = self.create_publisher(JointState, 'joint_command', 10)
        # the driver's answer to each command: a refused babble goal is given up for another
        self.result_sub = self.create_subscription(DiagnosticArray, 'joint_command_result',
                                                   self.on_command_result, 10)
        self.babble_timer = self.create_timer(self.get_parameter('babble_period').value,
                                              self.on_babble)
        self.get_logger().info(
            f'recording to {self.recorder.path.resolve()} ({self.recorder.existing_rows} rows '
            f'there already){"; babbling" if self.get_parameter("babble").value else ""}')

    def on_set_parameters(self, params) -> SetParametersResult:
        verdict = check_changes(params, self.specs, self.arm)
        if verdict.successful:
            for p in params:
                if p.name in ('min_joint_change', 'max_rate'):
                    setattr(self.filter, p.name, float(p.value))
        return verdict

    def on_state(self, msg: JointState) -> None:
        joints = joints_by_name(msg, self.joint_names)
        self.schedule.observe(joints, time.monotonic())
        # with a tracker every good state goes to the pairer (measurements are interpolated
        # between neighbouring states) and each paired measurement is a row
        skip = self.filter.check(joints, time.monotonic()) if self.pairer is None \
            else self.filter.check_bad(joints)
        if skip == BAD:
            self.get_logger().warning(
                'joint_states skipped: missing or repeated joints, NaN or out-of-limit reading '
                f'({self.filter.skipped[BAD]} so far)', throttle_duration_sec=5.0)
        if skip:
            return
        stamp = stamp_to_seconds(msg.header.stamp)
        if self.pairer is None:
            # no tracker: the stamp only labels the row; a missing one is the node's time
            self._write(stamp if stamp > 0 else self.get_clock().now().nanoseconds * 1e-9,
                        joints)
            return
        for row in self.pairer.add_state(stamp, joints, time.monotonic()):
            self._write(*row)
        self._warn_refusals()

    def on_measured(self, msg: PoseStamped) -> None:
        """Take a tracker's pose: validated (one frame, finite, a quaternion), then paired."""
        try:
            pose = as_pose_array(pose_to_array(msg), 'measured pose')[0][0]
            self._check_frame(msg.header.frame_id)
        except InvalidPoseError as e:
            self.bad_measurements += 1
            self.get_logger().warning(f'measured pose skipped: {e} ({self.bad_measurements} so '
                                      'far)', throttle_duration_sec=5.0)
            return
        for row in self.pairer.add_measurement(stamp_to_seconds(msg.header.stamp), pose,
                                               time.monotonic()):
            self._write(*row)
        self._warn_refusals()

    def _check_frame(self, frame: str) -> None:
        """Adopt the first measurement's frame (written beside the recording); refuse others."""
        if self.measured_frame is None:
            try:
                write_sidecar(self.recorder.path, frame)
            except DatasetError as e:
                raise InvalidPoseError(f'its frame cannot be recorded ({e})') from e
            self.measured_frame = frame
            self.get_logger().info(f"measured poses are in frame '{frame}' (recorded in "
                                   f'{self.recorder.path}.tracker.yaml)')
        elif frame != self.measured_frame and not (
                self._base(frame) and self._base(self.measured_frame)):
            raise InvalidPoseError(f"frame '{frame}', not '{self.measured_frame}' as the "
                                   'recording so far (one tracker frame per recording)')

    def _base(self, frame: str) -> bool:
        """Whether ``frame`` names the arm's base frame ('' for a recording that names none)."""
        return is_base_frame_name(frame, self.get_parameter('prefix').value)

    def on_pair(self) -> None:
        """
        Decide the states that have waited.

        A jump back of this node's clock (sim time restarting) starts a new pairing epoch.
        """
        rows = self.pairer.poll(time.monotonic())
        if self.clock_jumped:
            self.clock_jumped = False
            rows += self.pairer.new_epoch()
            self.get_logger().warning('the clock jumped back: a new pairing epoch')
        for row in rows:
            self._write(*row)

    def on_clock_jump(self, jump) -> None:
        self.clock_jumped = True  # acted on in on_pair, beside the other pairing work

    def _warn_refusals(self) -> None:
        refused = sum(self.pairer.refused.values()) + self.pairer.states_refused
        if refused > self.reported_refusals:
            self.reported_refusals = refused
            self.get_logger().warning(
                f'{self.pairer.states_refused} joint states and '
                f'{sum(self.pairer.refused.values())} measurements refused so far: stamp zero, '
                'negative or not finite (the publisher does not stamp its messages?)',
                throttle_duration_sec=5.0)

    def _write(self, stamp: float, joints: np.ndarray, measured=None, velocities=None) -> None:
        if velocities is not None and 0 < self.max_speed < np.abs(velocities).max():
            self.too_fast += 1
            return
        extra = () if measured is None else (*measured, *velocities)
        try:
            self.recorder.append(stamp, joints, chain_forward(self.arm, joints),
                                 *extra)
        except DatasetError as e:
            self.lost += 1
            self.get_logger().error(f'{e} ({self.lost} rows lost so far)',
                                    throttle_duration_sec=5.0)
            return
        self.coverage.add(joints)

    def on_flush(self) -> None:
        try:
            self.recorder.flush()
        except DatasetError as e:
            self.get_logger().error(str(e), throttle_duration_sec=5.0)

    def on_babble(self) -> None:
        if not self.get_parameter('babble').value:
            return
        try:  # drawn from where the arm is, its path checked as the driver checks it
            goal, new, why = self.schedule.next_goal(
                time.monotonic(),
                lambda start: babble_joints(self.rng, collision=self.collision, start=start,
                                            arm=self.arm))
        except RuntimeError as e:
            self.get_logger().error(f'babble: {e}', throttle_duration_sec=5.0)
            return
        if goal is None:
            self.get_logger().info('babble: waiting for joint_states (goals are drawn from '
                                   'where the arm is)', throttle_duration_sec=5.0)
            return
        if why:
            self.get_logger().warning(
                f'babble goal {np.round(self.babble_goal, 3).tolist()} given up: {why}; '
                f'another drawn ({self.schedule.given_up} given up so far)',
                throttle_duration_sec=2.0)
        if new:
            self.babble_stamps.clear()
        self.babble_goal = goal
        stamp = self.get_clock().now().to_msg()
        self.babble_stamps.add((stamp.sec, stamp.nanosec))
        self.babble_pub.publish(joint_state(goal, stamp, names=self.joint_names))

    def on_command_result(self, msg: DiagnosticArray) -> None:
        """Take the driver's answer: a refusal of the present babble goal gives it up."""
        if (msg.header.stamp.sec, msg.header.stamp.nanosec) not in self.babble_stamps:
            return  # another sender's command, or an older goal's
        for status in msg.status:
            if any(v.key == 'result' and v.value == 'refused' for v in status.values):
                self.schedule.refused(status.message)

    def on_report(self) -> None:
        self.get_logger().info(
            f'{self.recorder.rows} rows recorded ({self.recorder.existing_rows} before), '
            f'coverage {100 * self.coverage.share:.1f} % of joint-space cells; least visited: '
            f'{"; ".join(self.coverage.emptiest())}; skipped bad {self.filter.skipped[BAD]}'
            + (f'; {self.lost} rows lost (could not be written)' if self.lost else '')
            + (f'; {self.pairer.unmatched} measurements without joint states within '
               f'{self.pairer.tolerance:g} s on both sides and {self.too_fast} of an arm faster '
               f'than {self.max_speed:g} rad/s (not written); {self._refusals()}'
               if self.pairer else ''))

    def _refusals(self) -> str:
        p = self.pairer
        return (f'refused for their stamps: {sum(p.refused.values())} measurements, '
                f'{p.states_refused} states; {p.jumps} clock jumps back')

    def shutdown(self) -> None:
        """Flush, fsync and close the file: a complete dataset after Ctrl-C or SIGTERM."""
        if self.pairer is not None:
            for row in self.pairer.flush():
                self._write(*row)
        try:
            self.recorder.close()
        except DatasetError as e:
            self.get_logger().error(str(e))
        lost = f'; {self.lost} could not be written' if self.lost else ''
        if self.pairer is not None:
            lost += (f'; {self.pairer.unmatched} measurements had no joint states around '
                     f'their instant, {self.too_fast} showed an arm faster than '
                     f'{self.max_speed:g} rad/s; {self._refusals()}')
        self.get_logger().info(f'{self.recorder.rows} rows written to {self.recorder.path}{lost}')


def main(args=None):
    run_node(CollectNode, args)


if __name__ == '__main__':
    main()
