"""The ``driver`` node: joint commands in, the arm moved, ``joint_states`` out at a fixed rate."""

from __future__ import annotations

import numpy as np
from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue
from rcl_interfaces.msg import SetParametersResult
from rclpy.node import Node
from sensor_msgs.msg import JointState
from std_msgs.msg import Float64
from std_srvs.srv import SetBool

from ik_net_ros.errors import IkNetError
from ik_net_ros.hardware import ArmBackend, SimulatedArm
from ik_net_ros.hardware.xm430 import rad_to_raw
from ik_net_ros.kinematics import HOME_POSE, VELOCITY_LIMIT
from ik_net_ros.nodes.conversions import describe, joint_state, joints_by_name
from ik_net_ros.nodes.runner import run_node

BACKENDS = ('sim', 'dynamixel', 'emulated')


def make_backend(node: Node) -> tuple[ArmBackend, object]:
    """The backend named by the node's ``backend`` parameter, and the servo emulator it talks
    to (``emulated`` only, else None)."""
    value = node.get_parameter
    backend = value('backend').value
    if backend == 'sim':
        return SimulatedArm(home=value('home').value,
                            max_velocity=value('max_velocity').value), None
    if backend in ('dynamixel', 'emulated'):
        from ik_net_ros.hardware.dynamixel import DynamixelArm, DynamixelConfig
        emulator = None
        port = value('port').value
        if backend == 'emulated':
            from ik_net_ros.hardware.emulator import ServoEmulator
            home = rad_to_raw(value('home').value)
            ids = list(value('ids').value) + ([value('gripper_id').value]
                                              if value('gripper_id').value else [])
            emulator = ServoEmulator(ids=ids, positions=dict(zip(ids, home.tolist()))).start()
            port = str(emulator.port_path)
        config = DynamixelConfig(
            port=port, baud_rate=value('baud_rate').value, ids=tuple(value('ids').value),
            profile_velocity=value('profile_velocity').value,
            profile_acceleration=value('profile_acceleration').value,
            gripper_id=value('gripper_id').value,
            gripper_current_limit=value('gripper_current_limit').value,
            torque_on_exit=value('torque_on_exit').value,
            reconnect_period=value('reconnect_period').value)
        return DynamixelArm(config), emulator
    raise IkNetError(f"backend {backend!r} is not available; expected one of {BACKENDS}")


class DriverNode(Node):
    """Moves the arm toward the newest joint command and publishes its state."""

    def __init__(self, **kwargs):
        super().__init__('driver', **kwargs)
        self.declare_parameter('backend', 'sim', describe(
            'sim (simulated arm) | dynamixel (servos on port) | emulated (servo emulator)'))
        self.declare_parameter('rate', 100.0, describe('joint_states rate, Hz'))
        self.declare_parameter('home', list(HOME_POSE), describe(
            'start pose of the simulated arm, rad [joint1..joint4]'))
        self.declare_parameter('max_velocity', VELOCITY_LIMIT, describe(
            'joint speed limit of the simulated arm, rad/s'))
        self.declare_parameter('port', '/dev/ttyUSB0', describe('serial port of the servo bus'))
        self.declare_parameter('baud_rate', 1_000_000, describe('servo bus baud rate'))
        self.declare_parameter('ids', [11, 12, 13, 14], describe('servo IDs of joint1..joint4'))
        self.declare_parameter('gripper_id', 0, describe('gripper servo ID (15 on the '
                                                          'OpenMANIPULATOR-X); 0 = no gripper'))
        self.declare_parameter('gripper_current_limit', 300, describe(
            'gripper goal current, raw units of ~2.69 mA'))
        self.declare_parameter('profile_velocity', 0, describe(
            'servo profile velocity, raw units of 0.229 rpm (0 = unlimited)'))
        self.declare_parameter('profile_acceleration', 0, describe(
            'servo profile acceleration, raw units of 214.577 rev/min^2 (0 = unlimited)'))
        self.declare_parameter('torque_on_exit', False, describe(
            'keep holding the pose when the node exits (false: release torque)'))
        self.declare_parameter('reconnect_period', 1.0, describe(
            'seconds between attempts to reopen a vanished port'))
        self.backend, self.emulator = make_backend(self)
        try:
            self.backend.open()
        except IkNetError as e:  # keep running: the cycle retries until the arm is there
            self.get_logger().error(f'arm not ready: {e}; retrying')
        self.rejected = 0
        self.faults: list[str] = []
        self.diag_pub = self.create_publisher(DiagnosticArray, '/diagnostics', 10)
        self.diag_timer = self.create_timer(1.0, self.on_diagnostics)
        self.torque_srv = self.create_service(SetBool, '~/set_torque', self.on_set_torque)
        if getattr(self.backend, 'config', None) and self.backend.config.gripper_id:
            self.create_subscription(Float64, 'gripper_command', self.on_gripper, 10)
        self.add_on_set_parameters_callback(self.on_set_parameters)
        self.sub = self.create_subscription(JointState, 'joint_command', self.on_command, 10)
        self.pub = self.create_publisher(JointState, 'joint_states', 10)
        self.period = 1.0 / self.get_parameter('rate').value
        self.timer = self.create_timer(self.period, self.on_cycle)
        self.get_logger().info(f"driver ready: backend {self.get_parameter('backend').value}, "
                               f'{1 / self.period:.0f} Hz')

    def on_set_parameters(self, params) -> SetParametersResult:
        for p in params:
            if p.name in ('backend', 'rate', 'port', 'baud_rate', 'ids', 'gripper_id'):
                return SetParametersResult(successful=False,
                                           reason=f'{p.name} is fixed at start; restart the node')
            if p.name == 'max_velocity':
                if not (isinstance(p.value, (int, float)) and 0 < p.value <= VELOCITY_LIMIT):
                    return SetParametersResult(
                        successful=False, reason=f'max_velocity must be in (0, {VELOCITY_LIMIT}]')
                if isinstance(self.backend, SimulatedArm):
                    self.backend.max_velocity = float(p.value)
        return SetParametersResult(successful=True)

    def on_command(self, msg: JointState) -> None:
        goal = joints_by_name(msg, self.backend.joint_names)
        if goal is None or not np.all(np.isfinite(goal)):
            self.rejected += 1
            self.get_logger().warning(
                'joint_command ignored: needs finite positions for '
                f'{", ".join(self.backend.joint_names)} (got names {list(msg.name)})',
                throttle_duration_sec=2.0)
            return
        used = self.backend.set_goal(goal)
        if self.backend.goal_clamped:
            self.get_logger().warning(f'joint_command {goal.round(3).tolist()} outside the '
                                      f'limits, clamped to {used.round(3).tolist()}',
                                      throttle_duration_sec=2.0)

    def on_cycle(self) -> None:
        reading = self.backend.cycle(self.period)
        for fault in reading.faults:
            self.get_logger().error(fault, throttle_duration_sec=2.0)
        if reading.faults or reading.ok:
            self.faults = list(reading.faults) or ([] if reading.ok else self.faults)
        if not reading.ok:
            return  # never publish stale positions as fresh
        names, positions, velocities = (list(self.backend.joint_names),
                                        list(reading.positions), list(reading.velocities))
        gripper = getattr(self.backend, 'gripper_position', None)
        if gripper is not None:
            names.append('gripper')
            positions.append(gripper)
            velocities.append(0.0)
        self.pub.publish(joint_state(positions, self.get_clock().now().to_msg(), velocities,
                                     names))

    def on_set_torque(self, request: SetBool.Request, response: SetBool.Response):
        """``~/set_torque``: false lets a person move the arm by hand; true holds the present
        pose (an old command is never replayed)."""
        if not hasattr(self.backend, 'set_torque'):
            response.success, response.message = False, 'the simulated arm has no torque'
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
        try:
            self.backend.set_gripper(msg.data)
        except IkNetError as e:
            self.get_logger().warning(f'gripper_command ignored: {e}', throttle_duration_sec=2.0)

    def on_diagnostics(self) -> None:
        status = DiagnosticStatus(name=f'{self.get_name()}: arm',
                                  hardware_id=str(self.get_parameter('port').value))
        connected = getattr(self.backend, 'connected', True)
        if self.faults or not connected:
            status.level = DiagnosticStatus.ERROR
            status.message = '; '.join(self.faults) or 'not connected'
        else:
            status.level, status.message = DiagnosticStatus.OK, 'ok'
        status.values = [KeyValue(key='backend', value=str(self.get_parameter('backend').value)),
                         KeyValue(key='connected', value=str(connected)),
                         KeyValue(key='rejected_commands', value=str(self.rejected))]
        array = DiagnosticArray(status=[status])
        array.header.stamp = self.get_clock().now().to_msg()
        self.diag_pub.publish(array)

    def shutdown(self) -> None:
        """Explicit hardware cleanup: torque as configured, port closed, emulator stopped."""
        self.backend.close()
        if self.emulator is not None:
            self.emulator.stop()


def main(args=None):
    run_node(DriverNode, args)


if __name__ == '__main__':
    main()
