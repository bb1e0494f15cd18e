"""The ``ik`` node: target PoseStamped in, JointState command out, via the selected solver."""

from __future__ import annotations

import time

import numpy as np
from geometry_msgs.msg import PoseStamped
from rcl_interfaces.msg import SetParametersResult
from rclpy.node import Node
from rclpy.qos import QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import JointState
from trajectory_msgs.msg import JointTrajectory, JointTrajectoryPoint

from ik_net_ros.errors import ConfigError, IkNetError, InvalidPoseError, UnreachableError
from ik_net_ros.kinematics import HOME_POSE, JOINT_NAMES, forward_kinematics, within_limits_one
from ik_net_ros.nodes.conversions import pose_to_list
from ik_net_ros.nodes.params import (
    EXECUTOR,
    MAX_PERIOD,
    PERIOD_NEED,
    Spec,
    check_changes,
    declare_parameters,
    description_spec,
    frame_accepted,
    non_empty,
    number_in,
    period,
)
from ik_net_ros.nodes.runner import run_node
from ik_net_ros.solver import load_solver
from ik_net_ros.solver.parallel import hold_blas_to_one_thread
from ik_net_ros.solver.stats import SolveStats

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
    'publish_trajectory': Spec(False, 'also publish trajectory_msgs/JointTrajectory '
                                      '(ROBOTIS arm_controller)'),
    'trajectory_duration': Spec(0.5, 'seconds the JointTrajectory point is given to reach the '
                                     'target', number_in(0.0, MAX_PERIOD, low_open=True),
                                 f'a time in (0, {MAX_PERIOD:g}] s'),
    'stats_period': Spec(5.0, 'seconds between statistics logs', period, PERIOD_NEED,
                         fixed=True),
    'executor': EXECUTOR,
}


class IkNode(Node):
    """Solves each newest target and publishes a joint command inside the limits."""

    def __init__(self, **kwargs):
        super().__init__('ik', **kwargs)
        declare_parameters(self, PARAMETERS)
        self.params = self._params()  # cached: on_target runs at up to kHz rates
        try:
            self.solver = self._make_solver(self.params)
        except IkNetError as e:
            raise ConfigError(f"parameters model = {self.params['model']!r}, device = "
                              f"{self.params['device']!r}, calibration = "
                              f"{self.params['calibration']!r} refused: {e}") from e
        self.stats = SolveStats()
        depth1 = QoSProfile(depth=1, reliability=ReliabilityPolicy.RELIABLE)
        # depth 1: only the newest target waits while one is solved, so bursts never queue up
        self.sub = self.create_subscription(PoseStamped, 'target_pose', self.on_target, depth1)
        self.pub = self.create_publisher(JointState, 'joint_command', 10)
        # one command message, its names set once (publish serialises it at once): building a
        # JointState per target cost 3.8 us of rclpy's field checks
        self.command = JointState(name=list(JOINT_NAMES))
        self.traj_pub = self.create_publisher(
            JointTrajectory, '/arm_controller/joint_trajectory', 10)
        self.add_on_set_parameters_callback(self.on_set_parameters)
        self.stats_timer = self.create_timer(
            self.get_parameter('stats_period').value, self.on_stats)
        self.get_logger().info(f'ik ready: {self.solver!r}, refine={self.params["refine"]}')

    def _params(self) -> dict:
        return {name: self.get_parameter(name).value for name in
                ('model', 'device', 'description', 'calibration', 'refine', 'frame_id',
                 'accept_empty_frame', 'publish_trajectory', 'trajectory_duration')}

    @staticmethod
    def _make_solver(params: dict):
        solver = load_solver(params['model'], device=params['device'],
                             description=params['description'],
                             calibration=params['calibration'] or None)
        # warm-up: the first call pays for lazy initialisation, not the first target
        solver.solve(forward_kinematics(HOME_POSE, solver.geometry), refine=params['refine'])
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
        if not frame_accepted(frame, params['frame_id'], params['accept_empty_frame']):
            return self._reject('wrong_frame', f"target in frame '{frame}', expected "
                                f"'{params['frame_id']}'")
        start = time.perf_counter()
        try:
            joints = self.solver.solve(pose_to_list(msg), refine=params['refine'])
        except InvalidPoseError as e:
            return self._reject('invalid', str(e))
        except UnreachableError as e:
            return self._reject('unreachable', str(e))
        seconds = time.perf_counter() - start
        positions = joints.tolist()
        # the solver guarantees this (NaN included); never trust, always check
        if not within_limits_one(positions):
            return self._reject('limits', f'solver returned joints outside the limits {joints}')
        # the command carries its target's stamp, so consumers can match and time them
        stamp = msg.header.stamp
        if stamp.sec == 0 and stamp.nanosec == 0:
            stamp = self.get_clock().now().to_msg()
        command = self.command
        command.header.stamp = stamp
        command.position = positions
        self.pub.publish(command)
        if params['publish_trajectory']:
            self.traj_pub.publish(self._trajectory(joints, params['trajectory_duration']))
        self.stats.solved(seconds)

    @staticmethod
    def _trajectory(joints: np.ndarray, duration: float) -> JointTrajectory:
        traj = JointTrajectory()
        traj.joint_names = list(JOINT_NAMES)
        point = JointTrajectoryPoint()
        point.positions = [float(v) for v in joints]
        point.time_from_start.sec = int(duration)
        point.time_from_start.nanosec = int((duration % 1.0) * 1e9)
        traj.points = [point]
        return traj

    def _reject(self, kind: str, why: str) -> None:
        self.stats.reject(kind)
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
