"""
The ``ik`` node: target PoseStamped in, JointState command out, via the selected solver.

Each target is solved from where the arm is (its last command, else ``joint_states``): the
safe solution nearest it, clear of the table and the arm's own base, never the long way round
and never a jump for a small target change (``solution:=nearest``, see
:mod:`ik_net_ros.kinematics.nearest`); refused targets are logged with the reason and reported
on ``target_status``.
"""

from __future__ import annotations

import time

from geometry_msgs.msg import PoseStamped
from ik_net_ros.errors import ConfigError, IkNetError, InvalidPoseError, UnreachableError
from ik_net_ros.kinematics import (
    forward_kinematics,
    HOME_POSE,
    JOINT_NAMES,
    VELOCITY_LIMIT,
    within_limits_one,
)
from ik_net_ros.kinematics.collision import CollisionModel
from ik_net_ros.nodes.conversions import joints_by_name, pose_to_list
from ik_net_ros.nodes.core_logs import bridge_core_logs
from ik_net_ros.nodes.params import (
    check_changes,
    declare_parameters,
    description_spec,
    EXECUTOR,
    frame_accepted,
    MAX_PERIOD,
    non_empty,
    number_in,
    one_of,
    period,
    PERIOD_NEED,
    PREFIX,
    prefixed,
    Spec,
    TABLE_CLEARANCE,
    WORKSPACE,
    workspace_box,
)
from ik_net_ros.nodes.qos import NEWEST
from ik_net_ros.nodes.runner import run_node
from ik_net_ros.solver import load_solver
from ik_net_ros.solver.parallel import hold_blas_to_one_thread
from ik_net_ros.solver.stats import SolveStats
import numpy as np
from rcl_interfaces.msg import SetParametersResult
from rclpy.node import Node
from sensor_msgs.msg import JointState
from std_msgs.msg import String
from trajectory_msgs.msg import JointTrajectory, JointTrajectoryPoint

PARAMETERS = {
    'model': Spec('focused', 'original | improved | focused | analytic | checkpoint path'),
    'device': Spec('cpu', 'cpu | cuda | cuda:N | auto (cuda when there is a GPU)'),
    'refine': Spec(False, 'add damped Gauss-Newton steps after the network '
                          '(sub-micrometre accuracy)'),
    'description': description_spec('the targets are given in'),
    'calibration': Spec('', 'calibration file of this arm (`ik_net_ros calibrate`): joint '
                            'offsets and link lengths the solver uses; empty: the nominal arm'),
    'frame_id': Spec('world', 'frame targets must be in (the arm base: world and link1 are one '
                              'frame); others are rejected',
                     non_empty, 'a frame name'),
    'accept_empty_frame': Spec(True, 'treat targets with an empty frame_id as in frame_id'),
    'solution': Spec('nearest', 'which solution a target gets: nearest (the safe solution '
                                'nearest where the arm is: no jumps, never the long way round) '
                                '| branch (the branch rule of the training labels, each target '
                                'on its own; still clear of collisions)',
                     one_of('nearest', 'branch'), 'nearest | branch'),
    'max_jump': Spec(0.5, 'rad a joint may move for a target within 10 mm and 5 deg of the '
                          "arm's tool pose (more is another elbow or side: refused)",
                     number_in(0.0, 7.0, low_open=True), 'an angle in (0, 7] rad'),
    'table_clearance': TABLE_CLEARANCE,
    'workspace': WORKSPACE,
    'max_velocity': Spec(VELOCITY_LIMIT, 'rad/s the commanded moves are timed for in '
                                         'JointTrajectory points',
                         number_in(0.01, VELOCITY_LIMIT),
                         f'a speed in [0.01, {VELOCITY_LIMIT}] rad/s'),
    'publish_trajectory': Spec(False, 'also publish trajectory_msgs/JointTrajectory '
                                      '(ROBOTIS arm_controller)'),
    'trajectory_duration': Spec(0.0, 'least time_from_start of a JointTrajectory point, s; '
                                     'never less than the move needs at max_velocity. 0: the '
                                     'time since the previous target (streaming), at most 1 s',
                                number_in(0.0, MAX_PERIOD), f'a time in [0, {MAX_PERIOD:g}] s'),
    'stats_period': Spec(5.0, 'seconds between statistics logs', period, PERIOD_NEED,
                         fixed=True),
    'prefix': PREFIX,
    'executor': EXECUTOR,
}


SEED_FRESH = 1.0  # s a last command stays the seed; later the arm may have been moved by hand


class IkNode(Node):
    """Solves each newest target and publishes a joint command inside the limits."""

    def __init__(self, **kwargs):
        super().__init__('ik', **kwargs)
        bridge_core_logs(self)
        declare_parameters(self, PARAMETERS)
        self.params = self._params()  # cached: on_target runs at up to kHz rates
        try:
            self.solver = self._make_solver(self.params)
        except IkNetError as e:
            raise ConfigError(f"parameters model = {self.params['model']!r}, device = "
                              f"{self.params['device']!r}, calibration = "
                              f"{self.params['calibration']!r} refused: {e}") from e
        self.stats = SolveStats()
        self.last_command: tuple[float, list[float]] | None = None  # (time, joints)
        self.arm_state: tuple[float, list[float]] | None = None  # newest joint_states
        self.last_target_time: float | None = None
        # depth 1: only the newest target waits while one is solved, so bursts never queue up
        self.sub = self.create_subscription(PoseStamped, 'target_pose', self.on_target, NEWEST)
        self.pub = self.create_publisher(JointState, 'joint_command', 10)
        # one command message, its names set once (publish serialises it at once): building a
        # JointState per target cost 3.8 us of rclpy's field checks
        self.joint_names = prefixed(JOINT_NAMES, self.get_parameter('prefix').value)
        self.command = JointState(name=list(self.joint_names))
        self.traj_pub = self.create_publisher(
            JointTrajectory, 'arm_controller/joint_trajectory', 10)
        self.status_pub = self.create_publisher(String, 'target_status', 10)
        # joint_states only while no command is fresh: each message costs the process a
        # wake-up (about 1.2 ms of CPU per 10 ms here), which streaming targets need not pay
        self.state_sub = None
        self.on_seed_source()
        self.seed_timer = self.create_timer(SEED_FRESH / 2, self.on_seed_source)
        self.add_on_set_parameters_callback(self.on_set_parameters)
        self.stats_timer = self.create_timer(
            self.get_parameter('stats_period').value, self.on_stats)
        self.get_logger().info(f'ik ready: {self.solver!r}, refine={self.params["refine"]}')

    def _params(self) -> dict:
        return {name: self.get_parameter(name).value for name in
                ('model', 'device', 'description', 'calibration', 'refine', 'frame_id',
                 'accept_empty_frame', 'publish_trajectory', 'trajectory_duration',
                 'solution', 'max_jump', 'table_clearance', 'workspace', 'max_velocity',
                 'prefix')}

    @staticmethod
    def _make_solver(params: dict):
        solver = load_solver(params['model'], device=params['device'],
                             description=params['description'],
                             calibration=params['calibration'] or None)
        # warm-up: the first call pays for lazy initialisation, not the first target
        solver.solve(forward_kinematics(HOME_POSE, solver.geometry), refine=params['refine'])
        # the first wall: no command in collision (the driver is the second)
        solver.collision = CollisionModel(solver.geometry, params['table_clearance'],
                                          workspace_box(params['workspace']))
        try:  # and the seeded, checked path the targets take
            solver.solve(forward_kinematics(HOME_POSE, solver.geometry), seed=HOME_POSE)
        except UnreachableError:  # a workspace box without the home pose: targets will say
            pass
        return solver

    def on_set_parameters(self, params) -> SetParametersResult:
        """Swap the solver on model/device changes; refuse bad values and keep the old one."""
        verdict = check_changes(params, PARAMETERS)
        if not verdict.successful:
            self.get_logger().warning(f'parameter change refused: {verdict.reason}')
            return verdict
        new = self._params()
        for p in params:
            new[p.name] = p.value
        if any(p.name in ('model', 'device', 'calibration') for p in params):
            try:
                solver = self._make_solver(new)
            except (IkNetError, OSError) as e:
                self.get_logger().warning(f'parameter change refused: {e}')
                return SetParametersResult(successful=False, reason=str(e))
            self.solver = solver
            self.get_logger().info(f'solver swapped: {solver!r}')
        self.params = new
        return SetParametersResult(successful=True)

    def on_target(self, msg: PoseStamped) -> None:
        params = self.params
        frame = msg.header.frame_id
        if not frame_accepted(frame, params['frame_id'], params['accept_empty_frame'],
                              params['prefix']):
            return self._reject('wrong_frame', f"target in frame '{frame}', expected "
                                f"'{params['frame_id']}'")
        start = time.perf_counter()
        seed = self._seed(start) if params['solution'] == 'nearest' else None
        self.solver.max_jump = params['max_jump']
        try:
            joints = self.solver.solve(pose_to_list(msg), refine=params['refine'], seed=seed)
        except InvalidPoseError as e:
            return self._reject('invalid', str(e))
        except UnreachableError as e:
            return self._reject('unreachable', str(e.reasons[0] if e.reasons else e))
        seconds = time.perf_counter() - start
        positions = joints.tolist()
        # the solver guarantees these (NaN included); never trust, always check
        if not within_limits_one(positions):
            return self._reject('limits', f'solver returned joints outside the limits {joints}')
        if not self.solver.collision.check(joints).clear[0]:
            return self._reject('collision', f'solver returned joints in collision {joints}')
        # the command carries its target's stamp, so consumers can match and time them
        stamp = msg.header.stamp
        if stamp.sec == 0 and stamp.nanosec == 0:
            stamp = self.get_clock().now().to_msg()
        command = self.command
        command.header.stamp = stamp
        command.position = positions
        self.pub.publish(command)
        if params['publish_trajectory']:
            self.traj_pub.publish(self._trajectory(joints, self._duration(joints, seed, start)))
        self.last_command = (start, positions)
        self.last_target_time = start
        self.status_pub.publish(String(data=''))
        self.stats.solved(seconds)

    def on_joint_states(self, msg: JointState) -> None:
        """Where the arm is: the seed when no command was sent for SEED_FRESH seconds."""
        joints = joints_by_name(msg, self.joint_names)
        if joints is not None and np.all(np.isfinite(joints)):
            self.arm_state = (time.perf_counter(), joints.tolist())

    def on_seed_source(self) -> None:
        """
        Listen to joint_states while the last command is stale, not while commands stream.

        The arm may be moved by hand.
        """
        fresh = self.last_command is not None and \
            time.perf_counter() - self.last_command[0] <= SEED_FRESH
        if fresh and self.state_sub is not None:
            self.destroy_subscription(self.state_sub)
            self.state_sub = None
        elif not fresh and self.state_sub is None:
            self.state_sub = self.create_subscription(JointState, 'joint_states',
                                                      self.on_joint_states, NEWEST)

    def _seed(self, now: float) -> list[float] | None:
        """
        Return the last command while it is fresh, else the newest joint state received after it.

        Else the last command, else None (the branch rule).
        """
        command = self.last_command
        if command is not None and now - command[0] <= SEED_FRESH:
            return command[1]
        if self.arm_state is not None and (command is None or self.arm_state[0] > command[0]):
            return self.arm_state[1]
        return None if command is None else command[1]

    def _duration(self, joints: np.ndarray, seed, now: float) -> float:
        """
        time_from_start of a trajectory point.

        What the move from the seed needs at max_velocity, and at least trajectory_duration (0: the
        time since the previous target, at most 1 s).
        """
        params = self.params
        floor = params['trajectory_duration']
        if floor == 0.0:
            floor = 1.0 if self.last_target_time is None else \
                min(1.0, max(0.0, now - self.last_target_time))
        if seed is None:
            seed = self.arm_state[1] if self.arm_state is not None else None
        if seed is None:  # nowhere known to start from: the slowest a full turn could need
            return max(floor, 2 * np.pi / params['max_velocity'])
        move = float(np.abs(np.asarray(joints) - np.asarray(seed)).max())
        return max(floor, move / params['max_velocity'])

    def _trajectory(self, joints: np.ndarray, duration: float) -> JointTrajectory:
        traj = JointTrajectory()
        traj.joint_names = list(self.joint_names)
        point = JointTrajectoryPoint()
        point.positions = [float(v) for v in joints]
        point.time_from_start.sec = int(duration)
        point.time_from_start.nanosec = int((duration % 1.0) * 1e9)
        traj.points = [point]
        return traj

    def _reject(self, kind: str, why: str) -> None:
        self.stats.reject(kind)
        self.status_pub.publish(String(data=f'refused ({kind}): {why}'))
        self.get_logger().warning(f'target rejected ({kind}): {why}', throttle_duration_sec=2.0)

    def on_stats(self) -> None:
        line = self.stats.report()
        if line:
            self.get_logger().info(line)


def main(args=None):
    hold_blas_to_one_thread()  # this process solves one pose at a time (see there)
    run_node(IkNode, args)


if __name__ == '__main__':
    main()
