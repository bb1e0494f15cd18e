"""
The ``driver`` node, a managed (lifecycle) node.

Joint commands in, the arm moved, ``joint_states`` out at a fixed rate; the fate of each command
(accepted, or refused and why) out on ``joint_command_result``.

Lifecycle, as ROS 2 hardware drivers have it: **configure** opens the port, checks and writes
the servo setup (torque off); **activate** turns torque on holding the present pose and takes
commands; **deactivate** turns torque off (the arm is limp; states are still published, commands
refused); **cleanup** closes the port. ``autostart`` (default true) goes to active at start,
retrying every ``reconnect_period`` until the arm answers, so ``ros2 run`` and ``ros2 launch``
work as with an unmanaged driver; ``ros2 lifecycle set /driver deactivate`` etc. then apply.
"""

from __future__ import annotations

from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue
from geometry_msgs.msg import PoseStamped
from ik_net_ros.errors import ConfigError, HardwareError, IkNetError, UnsafeGoalError
from ik_net_ros.hardware import make_backend
from ik_net_ros.nodes.conversions import array_to_pose, joint_state, joints_by_name
from ik_net_ros.nodes.core_logs import bridge_core_logs
from ik_net_ros.nodes.driver_params import backend_settings, PARAMETERS
from ik_net_ros.nodes.gripper_action import gripper_goal_settings, make_gripper_action
from ik_net_ros.nodes.params import check_changes, declare_parameters, prefixed
from ik_net_ros.nodes.runner import run_node
from ik_net_ros.nodes.trajectory_action import make_trajectory_action
from ik_net_ros.robot_urdf import finger_joints
import numpy as np
from rcl_interfaces.msg import SetParametersResult
from rclpy.lifecycle import LifecycleNode, State, TransitionCallbackReturn
from sensor_msgs.msg import JointState
from std_msgs.msg import Float64
from std_srvs.srv import SetBool

__all__ = ['DriverNode', 'PARAMETERS', 'backend_settings']

SUCCESS, FAILURE = TransitionCallbackReturn.SUCCESS, TransitionCallbackReturn.FAILURE


class DriverNode(LifecycleNode):
    """Moves the arm toward the newest joint command and publishes its state."""

    def __init__(self, **kwargs):
        super().__init__('driver', **kwargs)
        bridge_core_logs(self)
        self.arm = declare_parameters(self, PARAMETERS)
        value = self.get_parameter
        if value('gripper_id').value in value('ids').value:
            raise ConfigError('parameter gripper_id refused: it must differ from the joint ids')
        # checked before any work
        self.settings = backend_settings(lambda n: value(n).value, self.arm)
        self.backend = None  # made by configure, closed by cleanup
        self.active = False
        self.not_ready = 'not configured'  # why there is no arm, for diagnostics
        self.rejected = 0
        # the arm's name on /diagnostics and joint_command_result: the port the backend opened
        # (the emulator's pty, not the port parameter), or 'sim'; before that, what it will try
        self.hardware_id = {'sim': 'sim', 'emulated': 'emulated (no pty yet)'}.get(
            value('backend').value, str(value('port').value))
        prefix = value('prefix').value
        self.joint_names = prefixed(self.arm.joint_names, prefix)
        # the gripper joint and the finger that mirrors it, as the arm's URDF has them
        fingers = finger_joints(self.arm)
        self.gripper_names = prefixed([name for name, _ in fingers], prefix)
        self.gripper_factors = [factor for _, factor in fingers]
        self.diag_pub = self.create_publisher(DiagnosticArray, '/diagnostics', 10)
        self.diag_timer = self.create_timer(1.0, self.on_diagnostics)
        self.torque_srv = self.create_service(SetBool, '~/set_torque', self.on_set_torque)
        self.create_subscription(Float64, 'gripper_command', self.on_gripper, 10)
        self.gripper_action = make_gripper_action(self, self.set_gripper, gripper_goal_settings(
            lambda n: value(n).value))
        if self.gripper_action is None and value('gripper_id').value:
            self.get_logger().info('control_msgs is not installed: no GripperCommand action '
                                   '(gripper_command, Float64 m, still works)')
        self.trajectory_action = make_trajectory_action(self)  # None without control_msgs
        self.add_on_set_parameters_callback(self.on_set_parameters)
        self.sub = self.create_subscription(JointState, 'joint_command', self.on_command, 10)
        # the fate of every joint_command (reliable, depth 10): its sender learns a refusal
        self.result_pub = self.create_publisher(DiagnosticArray, 'joint_command_result', 10)
        self.pub = self.create_publisher(JointState, 'joint_states', 10)
        self.truth_pub = self.create_publisher(PoseStamped, 'sim/true_tool_pose', 10)
        self.period = 1.0 / value('rate').value
        self.timer = self.create_timer(self.period, self.on_cycle)
        self.start_timer = None
        if value('autostart').value:
            self.on_autostart()
            if not self.active:  # the arm is not there yet: try again
                self.start_timer = self.create_timer(value('reconnect_period').value,
                                                     self.on_autostart)
        self.get_logger().info(f"driver ready: backend {value('backend').value}, "
                               f'{1 / self.period:.0f} Hz, '
                               f'{"active" if self.active else "waiting for activation"}')

    # lifecycle ---------------------------------------------------------------------------------
    def on_autostart(self) -> None:
        """autostart: configure, then activate; until both succeed, again on the timer."""
        if self.backend is None:
            self.trigger_configure()
        if self.backend is not None and not self.active:
            self.trigger_activate()
        if self.active and self.start_timer is not None:
            self.start_timer.cancel()

    def on_configure(self, state: State) -> TransitionCallbackReturn:
        """Open the port, check and write the servo setup; torque stays off."""
        try:
            backend = make_backend(self.settings)
        except IkNetError as e:
            return self._failed('configure', e)
        try:
            backend.open(torque=False)
        except IkNetError as e:
            backend.close()
            return self._failed('configure', e)
        self.backend = backend
        self.hardware_id = backend.hardware_id
        self.not_ready = ''
        self.get_logger().info('configured: servos set up, torque off')
        return SUCCESS

    def on_activate(self, state: State) -> TransitionCallbackReturn:
        """Torque on, holding the present pose; commands taken from now on."""
        try:
            self.backend.set_torque(True)
        except IkNetError as e:
            return self._failed('activate', e)
        self.active = True
        self.get_logger().info('active: torque on, holding the present pose')
        return super().on_activate(state)

    def on_deactivate(self, state: State) -> TransitionCallbackReturn:
        """Torque off (limp); states still published, commands refused."""
        self.active = False
        if self.gripper_action is not None:
            self.gripper_action.stop()
        if self.trajectory_action is not None:
            self.trajectory_action.stop()
        try:
            self.backend.set_torque(False)
        except IkNetError as e:
            self.get_logger().error(f'deactivate: torque off failed: {e}')
        self.get_logger().info('inactive: torque off, commands refused')
        return super().on_deactivate(state)

    def on_cleanup(self, state: State) -> TransitionCallbackReturn:
        self._close()
        return SUCCESS

    def on_shutdown(self, state: State) -> TransitionCallbackReturn:
        self._close()
        return SUCCESS

    def _failed(self, step: str, error: Exception) -> TransitionCallbackReturn:
        self.not_ready = f'{step} failed: {error}'
        self.get_logger().error(f'{step} failed: {error}', throttle_duration_sec=10.0)
        return FAILURE

    def _close(self) -> None:
        """Torque as configured (torque_on_exit), port closed (an emulated bus stopped)."""
        self.active = False
        if self.gripper_action is not None:
            self.gripper_action.stop()
        if self.trajectory_action is not None:
            self.trajectory_action.stop()
        if self.backend is not None:
            self.backend.close()
            self.backend = None
        self.not_ready = 'not configured'

    def on_set_parameters(self, params) -> SetParametersResult:
        verdict = check_changes(params, PARAMETERS, self.arm)
        if not verdict.successful:
            return verdict
        for p in params:
            if p.name == 'max_velocity' and self.backend is not None:  # else: at configure
                try:
                    self.backend.set_max_velocity(float(p.value))
                except IkNetError as e:
                    return SetParametersResult(successful=False, reason=str(e))
        return verdict

    def on_command(self, msg: JointState) -> None:
        """Take a joint command, or refuse it; either way say so on ``joint_command_result``."""
        refusal = self._take(msg)
        if refusal:
            self.rejected += 1
            self.get_logger().warning(f'joint_command refused: {refusal}',
                                      throttle_duration_sec=2.0)
        status = DiagnosticStatus(
            level=DiagnosticStatus.ERROR if refusal else DiagnosticStatus.OK,
            name=self.get_fully_qualified_name(), message=refusal,
            hardware_id=self.hardware_id,
            values=[KeyValue(key='result', value='refused' if refusal else 'accepted')])
        result = DiagnosticArray(status=[status])
        result.header.stamp = msg.header.stamp  # the sender matches its command by it
        self.result_pub.publish(result)

    def _take(self, msg: JointState) -> str:
        """Set the command's goal; return '' when taken, else why it is refused."""
        if not self.active:
            return f'the driver is not active ({self.not_ready or "inactive: torque off"})'
        goal = joints_by_name(msg, self.joint_names)
        if goal is None or not np.all(np.isfinite(goal)):
            return (f'needs each of {", ".join(self.joint_names)} once, with a finite position '
                    f'(got names {list(msg.name)[:10]}, {len(msg.position)} positions)')
        try:
            used = self.backend.set_goal(goal)
        except (UnsafeGoalError, IkNetError) as e:
            return str(e)
        if self.backend.goal_clamped:
            self.get_logger().warning(f'joint_command {goal.round(3).tolist()} outside the '
                                      f'limits, clamped to {used.round(3).tolist()}',
                                      throttle_duration_sec=2.0)
        return ''

    def on_cycle(self) -> None:
        if self.backend is None:
            return  # not configured: no arm to read
        reading = self.backend.cycle(self.period)
        for fault in reading.faults:
            self.get_logger().error(fault, throttle_duration_sec=2.0)
        if not reading.ok:
            return  # never publish stale positions as fresh
        names, positions = list(self.joint_names), list(reading.positions)
        velocities = list(reading.velocities)
        if self.gripper_action is not None:
            self.gripper_action.on_reading(reading.gripper)
        if self.trajectory_action is not None and self.active:
            self.trajectory_action.on_reading(reading.positions, reading.velocities)
        if reading.gripper is not None and self.gripper_names:  # the other finger mirrors it
            names += list(self.gripper_names)
            positions += [reading.gripper * f for f in self.gripper_factors]
            velocities += [0.0] * len(self.gripper_factors)
        stamp = self.get_clock().now().to_msg()
        self.pub.publish(joint_state(positions, stamp, velocities, names))
        truth = self.backend.true_tool_pose()
        if truth is not None:  # same stamp: the tracker's measurement pairs with this state
            self.truth_pub.publish(array_to_pose(truth, 'world', stamp))

    def on_set_torque(self, request: SetBool.Request, response: SetBool.Response):
        """
        ``~/set_torque``: false lets a person move the arm by hand.

        True holds the present pose (an old command is never replayed). Only while active (the
        lifecycle owns the torque otherwise).
        """
        if not self.active:
            response.success = False
            response.message = ('the driver is not active (ros2 lifecycle set '
                                f'{self.get_fully_qualified_name()} activate)')
            return response
        try:
            self.backend.set_torque(request.data)
        except IkNetError as e:
            response.success, response.message = False, str(e)
            return response
        response.success = True
        response.message = 'torque on, holding the present pose' if request.data else \
            'torque off: the arm can be moved by hand'
        self.get_logger().info(response.message)
        return response

    def on_gripper(self, msg: Float64) -> None:
        """``gripper_command``: ``gripper_left_joint`` in m, clamped into the range."""
        try:
            self.set_gripper(msg.data)
        except IkNetError as e:
            self.get_logger().warning(f'gripper_command ignored: {e}', throttle_duration_sec=2.0)

    def set_gripper(self, metres: float) -> float:
        """
        Send a gripper goal of the topic or the action, clamped into the range (logged).

        Returns the position used.

        Raises
        ------
        HardwareError
            The driver is not active, there is no gripper, or not a number.

        """
        if not self.active:
            raise HardwareError(f'the driver is not active ({self.not_ready or "torque off"})')
        used = self.backend.set_gripper(metres)
        if used != metres:
            low, high = self.backend.gripper_range
            self.get_logger().warning(f'gripper goal {metres:g} m outside {low}..{high} m, '
                                      f'clamped to {used:g} m', throttle_duration_sec=2.0)
        return used

    def on_diagnostics(self) -> None:
        backend = str(self.get_parameter('backend').value)
        hardware = self.hardware_id
        # one name per driver: two arms under namespaces are two entries, never one
        status = DiagnosticStatus(name=f'{self.get_fully_qualified_name()}: arm ({backend})',
                                  hardware_id=hardware)
        if self.backend is None:
            status.level, status.message, connected = (DiagnosticStatus.ERROR, self.not_ready,
                                                       False)
        else:
            health = self.backend.health()
            status.level = DiagnosticStatus.OK if health.ok else DiagnosticStatus.ERROR
            status.message, connected = health.message, health.connected
        status.values = [KeyValue(key='backend', value=backend),
                         KeyValue(key='connected', value=str(connected)),
                         KeyValue(key='active', value=str(self.active)),
                         KeyValue(key='rejected_commands', value=str(self.rejected))]
        array = DiagnosticArray(status=[status])
        array.header.stamp = self.get_clock().now().to_msg()
        self.diag_pub.publish(array)

    def shutdown(self) -> None:
        """Clean up the hardware: torque as configured, port closed, an emulated bus stopped."""
        self._close()


def main(args=None):
    run_node(DriverNode, args)


if __name__ == '__main__':
    main()
