"""The ``driver`` node: joint commands in, the arm moved, ``joint_states`` out at a fixed rate."""

from __future__ import annotations

import numpy as np
from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue
from rcl_interfaces.msg import SetParametersResult
from rclpy.node import Node
from sensor_msgs.msg import JointState
from std_msgs.msg import Float64
from std_srvs.srv import SetBool

from ik_net_ros.errors import ConfigError, IkNetError
from ik_net_ros.hardware import ArmBackend, SimulatedArm
from ik_net_ros.hardware.xm430 import rad_to_raw
from ik_net_ros.kinematics import HOME_POSE, VELOCITY_LIMIT
from ik_net_ros.nodes.conversions import joint_state, joints_by_name
from ik_net_ros.nodes.params import (
    PERIOD_NEED,
    Spec,
    check_changes,
    declare_parameters,
    int_in,
    joint_vector,
    non_empty,
    number_in,
    one_of,
    period,
)
from ik_net_ros.nodes.runner import run_node

BACKENDS = ('sim', 'dynamixel', 'emulated')
# the baud rates an XM430 can be set to (e-manual, address 8)
BAUD_RATES = (9600, 57600, 115200, 1_000_000, 2_000_000, 3_000_000, 4_000_000, 4_500_000)
SERVO_ID = int_in(0, 252)
PARAMETERS = {
    'backend': Spec('sim', 'sim (simulated arm) | dynamixel (servos on port) | emulated (servo '
                           'emulator)', one_of(*BACKENDS), ' | '.join(BACKENDS), fixed=True),
    'rate': Spec(100.0, 'joint_states rate, Hz', number_in(1.0, 1000.0),
                 'a rate in [1, 1000] Hz', fixed=True),
    'home': Spec(list(HOME_POSE), 'start pose of the simulated or emulated arm, rad '
                                  '[joint1..joint4]', joint_vector,
                 '4 joint angles inside the limits', fixed=True),
    'max_velocity': Spec(VELOCITY_LIMIT, 'joint speed limit of the simulated arm, rad/s',
                         number_in(0.0, VELOCITY_LIMIT, low_open=True),
                         f'a speed in (0, {VELOCITY_LIMIT}] rad/s'),
    'port': Spec('/dev/ttyUSB0', 'serial port of the servo bus', non_empty, 'a device path',
                 fixed=True),
    'baud_rate': Spec(1_000_000, 'servo bus baud rate', one_of(*BAUD_RATES),
                      'one of ' + ', '.join(map(str, BAUD_RATES)), fixed=True),
    'ids': Spec([11, 12, 13, 14], 'servo IDs of joint1..joint4',
                lambda v: len(v) == 4 == len(set(v)) and all(SERVO_ID(i) for i in v),
                '4 distinct IDs in 0..252', fixed=True),
    'gripper_id': Spec(0, 'gripper servo ID (15 on the OpenMANIPULATOR-X); 0 = no gripper',
                       SERVO_ID, 'an ID in 0..252', fixed=True),
    'gripper_current_limit': Spec(300, 'gripper goal current, raw units of ~2.69 mA',
                                  int_in(0, 1193), 'raw units in 0..1193', fixed=True),
    'profile_velocity': Spec(0, 'servo profile velocity, raw units of 0.229 rpm '
                                '(0 = unlimited)', int_in(0, 32767), 'raw units in 0..32767',
                             fixed=True),
    'profile_acceleration': Spec(0, 'servo profile acceleration, raw units of 214.577 '
                                    'rev/min^2 (0 = unlimited)', int_in(0, 32767),
                                 'raw units in 0..32767', fixed=True),
    'torque_on_exit': Spec(False, 'keep holding the pose when the node exits (false: release '
                                  'torque)', fixed=True),
    'reconnect_period': Spec(1.0, 'seconds between attempts to reopen a vanished port',
                             period, PERIOD_NEED, fixed=True),
}


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
        declare_parameters(self, PARAMETERS)
        if self.get_parameter('gripper_id').value in self.get_parameter('ids').value:
            raise ConfigError('parameter gripper_id refused: it must differ from the joint ids')
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
        verdict = check_changes(params, PARAMETERS)
        if not verdict.successful:
            return verdict
        for p in params:
            if p.name == 'max_velocity' and isinstance(self.backend, SimulatedArm):
                self.backend.max_velocity = float(p.value)
        return verdict

    def on_command(self, msg: JointState) -> None:
        goal = joints_by_name(msg, self.backend.joint_names)
        if goal is None or not np.all(np.isfinite(goal)):
            self.rejected += 1
            self.get_logger().warning(
                'joint_command ignored: needs each of '
                f'{", ".join(self.backend.joint_names)} once, with a finite position (got names '
                f'{list(msg.name)[:10]}, {len(msg.position)} positions)',
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
