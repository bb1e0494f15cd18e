"""
The ``ik`` node: target PoseStamped in, JointState command out, via the selected solver.

Each target is solved from where the arm is (its last command, else ``joint_states``): the
safe solution nearest it, clear of the table and the arm's own base, never the long way round
and never a jump for a small target change (``solution:=nearest``, see
:mod:`ik_net_ros.kinematics.nearest`). Targets in the calibration's tracker frame are moved into
the base frame (:mod:`ik_net_ros.kinematics.target_frames`). Each target's fate (taken, refused
and why, by the node or by the driver, reached) goes to ``target_status`` and ``target_fate``
(:mod:`ik_net_ros.nodes.ik_feedback`); JointTrajectory points are timed from where the arm may
be (:mod:`ik_net_ros.solver.trajectory_timing`).
"""

from __future__ import annotations

import time

from geometry_msgs.msg import PoseStamped
from ik_net_ros.errors import ConfigError, IkNetError, InvalidPoseError, UnreachableError
from ik_net_ros.kinematics.target_frames import FrameError
from ik_net_ros.nodes.command_bytes import CommandBytes
from ik_net_ros.nodes.conversions import joints_by_name, pose_to_list, stamp_to_seconds, trajectory
from ik_net_ros.nodes.core_logs import bridge_core_logs
from ik_net_ros.nodes.ik_feedback import TargetFeedback
from ik_net_ros.nodes.ik_params import (
    configure,
    FRAME_PARAMS,
    make_frames,
    make_solver,
    PARAMETERS,
)
from ik_net_ros.nodes.ik_services import add_ik_services
from ik_net_ros.nodes.params import check_changes, declare_parameters, prefixed
from ik_net_ros.nodes.qos import NEWEST
from ik_net_ros.nodes.runner import run_node
from ik_net_ros.nodes.tf_targets import TfTargets
from ik_net_ros.robot_urdf import base_link_name
from ik_net_ros.solver.parallel import hold_blas_to_one_thread
from ik_net_ros.solver.stats import SolveStats
from ik_net_ros.solver.trajectory_timing import (
    arm_reading,
    MoveTimer,
    path_refusal,
    UNSTAMPED_AGE,
)
from rcl_interfaces.msg import SetParametersResult
from rclpy.node import Node
from sensor_msgs.msg import JointState
from trajectory_msgs.msg import JointTrajectory

__all__ = ['IkNode', 'PARAMETERS', 'main']

SEED_FRESH = 1.0  # s a last command stays the seed; later the arm may have been moved by hand
WARN_PERIOD = 2.0  # s between two warnings of rejected targets


class IkNode(Node):
    """Solves each newest target and publishes a joint command inside the limits."""

    def __init__(self, **kwargs):
        super().__init__('ik', **kwargs)
        bridge_core_logs(self)
        self.arm = declare_parameters(self, PARAMETERS)  # the nominal arm the node names
        self.params = self._params()  # cached: on_target runs at up to kHz rates
        try:
            self.solver = make_solver(self.params, self.arm)
        except IkNetError as e:
            raise ConfigError(f"parameters model = {self.params['model']!r}, device = "
                              f"{self.params['device']!r}, calibration = "
                              f"{self.params['calibration']!r} refused: {e}") from e
        self.frames = make_frames(self.params, self.arm)  # ConfigError, DatasetError: said at exit
        # other frames through tf2 where installed; the tracker frame on /tf_static
        self.tf = TfTargets(self, self.get_parameter('publish_tracker_frame').value,
                            base_link_name(self.arm))
        self.tf.publish_static(self.frames)
        self.stats = SolveStats()
        self.last_command: tuple[float, list[float]] | None = None  # (time, joints)
        self.arm_state: tuple[float, list[float]] | None = None  # newest usable joint_states
        self.timer = MoveTimer()  # where the arm may be, for JointTrajectory timing
        self.last_target_time: float | None = None
        self.warned_at = float('-inf')  # time.monotonic() of the last rejection warned of
        # depth 1: only the newest target waits while one is solved, so bursts never queue up
        self.sub = self.create_subscription(PoseStamped, 'target_pose', self.on_target, NEWEST)
        self.pub = self.create_publisher(JointState, 'joint_command', 10)
        # the command serialised once, its stamp and positions rewritten per target: rclpy's
        # conversion and serialisation of a JointState per publish cost about 60 us of CPU
        self.joint_names = prefixed(self.arm.joint_names, self.get_parameter('prefix').value)
        self.command = CommandBytes(self.joint_names)
        self.traj_pub = self.create_publisher(
            JointTrajectory, 'arm_controller/joint_trajectory', 10)
        self.feedback = TargetFeedback(self, self.params['reached_tolerance'],
                                       on_refused=self.on_seed_source)
        self.status_pub = self.feedback.status_pub
        # joint_states only while needed (see on_seed_source): each message costs the process
        # a wake-up (about 1.2 ms of CPU per 10 ms here), which streaming targets need not pay
        self.state_sub = None
        self.on_seed_source()
        self.seed_timer = self.create_timer(SEED_FRESH / 2, self.on_seed_source)
        self.add_on_set_parameters_callback(self.on_set_parameters)
        # MoveIt's GetPositionIK / GetPositionFK at ~/solve_ik, ~/solve_fk (docs/moveit.md)
        self.ik_services = add_ik_services(self)
        self.stats_timer = self.create_timer(
            self.get_parameter('stats_period').value, self.on_stats)
        self.get_logger().info(f'ik ready: {self.solver!r}, refine={self.params["refine"]}')

    def _params(self) -> dict:
        return {name: self.get_parameter(name).value for name in
                ('model', 'device', 'description', 'calibration', 'refine', 'frame_id',
                 'accept_empty_frame', 'publish_trajectory', 'trajectory_duration',
                 'solution', 'max_jump', 'allow_long_moves', 'table_clearance', 'workspace',
                 'max_velocity', 'reached_tolerance', 'prefix', 'base_xyz_rpy')}

    def on_set_parameters(self, params) -> SetParametersResult:
        """Swap the solver on model/device changes; refuse bad values and keep the old one."""
        verdict = check_changes(params, PARAMETERS, self.arm)
        if not verdict.successful:
            self.get_logger().warning(f'parameter change refused: {verdict.reason}')
            return verdict
        new = self._params()
        for p in params:
            new[p.name] = p.value
        names = {p.name for p in params}
        try:
            frames = make_frames(new, self.arm) if names & set(FRAME_PARAMS) else self.frames
            solver = make_solver(new, self.arm) if names & {'model', 'device', 'calibration'} \
                else None
        except (IkNetError, OSError) as e:
            self.get_logger().warning(f'parameter change refused: {e}')
            return SetParametersResult(successful=False, reason=str(e))
        if solver is not None:
            self.solver = solver
            self.get_logger().info(f'solver swapped: {solver!r}')
        configure(self.solver, new)
        if frames is not self.frames:
            self.tf.publish_static(frames)
        self.frames = frames
        self.feedback.fates.tolerance = new['reached_tolerance']
        if new['publish_trajectory'] and not self.params['publish_trajectory']:
            self.timer = MoveTimer()  # commands sent meanwhile were not recorded
        self.params = new
        self.on_seed_source()
        return SetParametersResult(successful=True)

    def on_target(self, msg: PoseStamped) -> None:
        params = self.params
        try:
            pose = self.tf.to_base(self.frames, msg.header, pose_to_list(msg))
        except FrameError as e:
            return self._reject(msg.header, e.code, str(e))
        start = time.perf_counter()
        seed = self._seed(start) if params['solution'] == 'nearest' else None
        try:
            joints = self.solver.solve(pose, refine=params['refine'], seed=seed)
        except InvalidPoseError as e:
            return self._reject(msg.header, 'invalid', str(e))
        except UnreachableError as e:
            return self._reject(msg.header, 'unreachable', str(e.reasons[0] if e.reasons else e))
        seconds = time.perf_counter() - start
        # the answer sent is the solver's, checked there once (inside the limits, clear of the
        # collision model in the real arm, no jump: Solver.solve's guarantee, tested in
        # test_answer_checked.py); checking it again here cost as much as the check itself
        positions = joints.tolist()
        if params['publish_trajectory']:  # the arm_controller's straight path, checked here
            why = path_refusal(self.solver.collision, self.timer, joints,
                               self.last_command[1] if self.last_command else None)
            if why:
                return self._reject(msg.header, 'collision', why)
        # the command carries its target's stamp, so consumers can match and time them; one no
        # pending command has (the driver's answer names it), else the clock's (target_fate)
        stamp = msg.header.stamp
        key = self.feedback.fates.command_key((stamp.sec, stamp.nanosec), self._now_ns)
        self.pub.publish(self.command.fill(key[0], key[1], positions))
        if params['publish_trajectory']:
            self.traj_pub.publish(trajectory(self.joint_names, positions,
                                             self._duration(positions, start)))
            self.timer.on_command(self._now(), positions)
        self.last_command = (start, positions)
        self.last_target_time = start
        self.feedback.taken(key, msg.header, positions)
        self.stats.solved(seconds)

    def _now_ns(self) -> int:
        return self.get_clock().now().nanoseconds

    def _now(self) -> float:
        return self.get_clock().now().nanoseconds * 1e-9

    def on_joint_states(self, msg: JointState) -> None:
        """Where the arm is: the seed when no command is fresh, the start of trajectory timing."""
        joints = joints_by_name(msg, self.joint_names)
        if joints is None:
            return
        reading = arm_reading(joints)  # absurd readings (1e300, NaN) never reach seed or timing
        if reading is None:
            self.get_logger().warning(f'joint_states ignored: {joints.tolist()} is not a pose '
                                      'the arm can be in', throttle_duration_sec=5.0)
            return
        now = self._now()
        stamp = stamp_to_seconds(msg.header.stamp)
        # a stamp of the future (another clock) or none: taken as measured a while ago
        self.timer.on_state(stamp if 0.0 < stamp <= now else now - UNSTAMPED_AGE, reading)
        self.arm_state = (time.perf_counter(), reading.tolist())
        self.feedback.on_arm(reading)

    def on_seed_source(self) -> None:
        """
        Listen to joint_states only while they are needed, not while commands stream.

        Needed: to time trajectories, when the last command is stale (the arm may be moved by
        hand) or refused by the driver, and to tell a listener that a target was reached. The
        driver's acceptances likewise only while target_fate has a listener (TargetFeedback).
        """
        feedback = self.feedback
        feedback.hear_acceptances(feedback.listening)  # a target_fate listener came or went
        fates = feedback.fates
        fresh = self.last_command is not None and not fates.newest_refused and \
            time.perf_counter() - self.last_command[0] <= SEED_FRESH
        needed = not fresh or self.params['publish_trajectory'] or \
            (fates.waiting and feedback.listening)
        if not needed and self.state_sub is not None:
            self.destroy_subscription(self.state_sub)
            self.state_sub = None
            self.arm_state = None  # no longer kept up to date: never a seed once stale
            feedback.arm = None
        elif needed and self.state_sub is None:
            self.state_sub = self.create_subscription(JointState, 'joint_states',
                                                      self.on_joint_states, NEWEST)

    def _seed(self, now: float) -> list[float] | None:
        """
        Return the last command while it is fresh, else the newest joint state received after it.

        Else the last command, else None (the branch rule). A command the driver refused is
        never the seed: the arm did not go there.
        """
        command = None if self.feedback.fates.newest_refused else self.last_command
        if command is not None and now - command[0] <= SEED_FRESH:
            return command[1]
        if self.arm_state is not None and (command is None or self.arm_state[0] > command[0]):
            return self.arm_state[1]
        return None if command is None else command[1]

    def _duration(self, joints: list[float], now: float) -> float:
        """
        time_from_start of a trajectory point, s.

        What the move from where the arm may be needs at max_velocity, and at least
        trajectory_duration (0: the time since the previous target, at most 1 s).
        """
        params = self.params
        floor = params['trajectory_duration']
        if floor == 0.0:
            floor = 1.0 if self.last_target_time is None else \
                min(1.0, max(0.0, now - self.last_target_time))
        return self.timer.duration(joints, params['max_velocity'], floor)

    def _reject(self, header, kind: str, why: str) -> None:
        self.stats.reject(kind)
        self.feedback.refused(header, kind, why)
        now = time.monotonic()
        # throttled here, before the line is formatted: a stream of unreachable targets (a
        # marker dragged out of reach) formats one line per WARN_PERIOD, not one per target
        if now - self.warned_at >= WARN_PERIOD:
            self.warned_at = now
            self.get_logger().warning(f'target rejected ({kind}): {why}')

    def on_stats(self) -> None:
        line = self.stats.report()
        if line:
            self.get_logger().info(line)


def main(args=None):
    hold_blas_to_one_thread()  # this process solves one pose at a time (see there)
    run_node(IkNode, args)


if __name__ == '__main__':
    main()
