"""The ``driver`` node: joint commands in, the arm moved, ``joint_states`` out at a fixed rate."""

from __future__ import annotations

import numpy as np
from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue
from geometry_msgs.msg import PoseStamped
from rcl_interfaces.msg import SetParametersResult
from rclpy.node import Node
from sensor_msgs.msg import JointState
from std_msgs.msg import Float64
from std_srvs.srv import SetBool

from ik_net_ros.errors import ConfigError, DatasetError, IkNetError, UnsafeGoalError
from ik_net_ros.hardware import (
    BACKENDS,
    GRIPPER_JOINTS,
    BackendSettings,
    make_backend,
)
from ik_net_ros.hardware.dynamixel import DynamixelConfig
from ik_net_ros.hardware.emulator import LEFTOVERS
from ik_net_ros.hardware.motion import DEFAULT_ACCELERATION
from ik_net_ros.kinematics import HOME_POSE, VELOCITY_LIMIT
from ik_net_ros.kinematics.true_arm import TrueArm
from ik_net_ros.nodes.conversions import array_to_pose, joint_state, joints_by_name
from ik_net_ros.nodes.core_logs import bridge_core_logs
from ik_net_ros.nodes.params import (
    EXECUTOR,
    PERIOD_NEED,
    PREFIX,
    TABLE_CLEARANCE,
    WORKSPACE,
    Spec,
    check_changes,
    declare_parameters,
    description_spec,
    int_in,
    joint_vector,
    non_empty,
    number_in,
    one_of,
    period,
    prefixed,
    workspace_box,
)
from ik_net_ros.nodes.runner import run_node

# the baud rates an XM430 can be set to (e-manual, address 8)
BAUD_RATES = (9600, 57600, 115200, 1_000_000, 2_000_000, 3_000_000, 4_000_000, 4_500_000)
SERVO_ID = int_in(0, 252)
GAIN = int_in(0, 16383)
PARAMETERS = {
    'backend': Spec('sim', 'sim (simulated arm) | dynamixel (servos on port) | emulated (servo '
                           'emulator)', one_of(*BACKENDS), ' | '.join(BACKENDS), fixed=True),
    'description': description_spec('whose gripper range applies (humble -0.010..0.019 m, '
                                     'jazzy -0.011..0.020 m)'),
    'rate': Spec(100.0, 'joint_states rate, Hz', number_in(1.0, 1000.0),
                 'a rate in [1, 1000] Hz', fixed=True),
    'home': Spec(list(HOME_POSE), 'start pose of the simulated or emulated arm, rad '
                                  '[joint1..joint4]', joint_vector,
                 '4 joint angles inside the limits', fixed=True),
    'max_velocity': Spec(VELOCITY_LIMIT, 'rad/s no joint exceeds, on every backend: goals are '
                                         'interpolated at it, and the servos\' Profile Velocity '
                                         'is set from it (never above their Velocity Limit)',
                         number_in(0.0, VELOCITY_LIMIT, low_open=True),
                         f'a speed in (0, {VELOCITY_LIMIT}] rad/s'),
    'max_acceleration': Spec(DEFAULT_ACCELERATION, 'rad/s^2 of the interpolated motion along '
                                                   'its path', number_in(0.0, 1000.0,
                                                                         low_open=True),
                             'an acceleration in (0, 1000] rad/s^2', fixed=True),
    'table_clearance': TABLE_CLEARANCE,
    'workspace': WORKSPACE,
    'port': Spec('/dev/ttyUSB0', 'serial port of the servo bus', non_empty, 'a device path',
                 fixed=True),
    'baud_rate': Spec(1_000_000, 'servo bus baud rate', one_of(*BAUD_RATES),
                      'one of ' + ', '.join(map(str, BAUD_RATES)), fixed=True),
    'ids': Spec([11, 12, 13, 14], 'servo IDs of joint1..joint4',
                lambda v: len(v) == 4 == len(set(v)) and all(SERVO_ID(i) for i in v),
                '4 distinct IDs in 0..252', fixed=True),
    'gripper_id': Spec(15, 'gripper servo ID (15 on the OpenMANIPULATOR-X); 0 = no gripper',
                       SERVO_ID, 'an ID in 0..252', fixed=True),
    'gripper_current_limit': Spec(200, "gripper goal current, raw units of ~2.69 mA (ROBOTIS's "
                                       'jazzy value)', int_in(0, 1193), 'raw units in 0..1193',
                                  fixed=True),
    'drive_mode': Spec(0, 'servo Drive Mode (EEPROM 10): 0 velocity-based profile, 4 '
                          'time-based (profile_* in ms); written only where it differs',
                       one_of(0, 4), '0 or 4', fixed=True),
    'return_delay': Spec(0, 'servo Return Delay Time (EEPROM 9), units of 2 us (factory 250)',
                         int_in(0, 254), 'an integer in 0..254', fixed=True),
    'position_p_gain': Spec(800, 'servo position P gain (ROBOTIS: 800)', GAIN,
                            'an integer in 0..16383', fixed=True),
    'position_i_gain': Spec(100, 'servo position I gain (ROBOTIS: 100)', GAIN,
                            'an integer in 0..16383', fixed=True),
    'position_d_gain': Spec(100, 'servo position D gain (ROBOTIS: 100)', GAIN,
                            'an integer in 0..16383', fixed=True),
    'profile_velocity': Spec(200, 'servo profile velocity, raw units of 0.229 rpm (200 = 4.8 '
                                  "rad/s, ROBOTIS's humble value; 0 = unlimited)",
                             int_in(0, 32767), 'raw units in 0..32767', fixed=True),
    'profile_acceleration': Spec(50, 'servo profile acceleration, raw units of 214.577 '
                                     "rev/min^2 (ROBOTIS's humble value; 0 = unlimited)",
                                 int_in(0, 32767), 'raw units in 0..32767', fixed=True),
    'torque_on_exit': Spec(False, 'keep holding the pose when the node exits (false: release '
                                  'torque)', fixed=True),
    'reconnect_period': Spec(1.0, 'seconds between attempts to reopen a vanished port',
                             period, PERIOD_NEED, fixed=True),
    'true_arm': Spec('', 'sim backend: a YAML file of the hidden real arm (joint offsets, link '
                         'errors, sag; `ik_net_ros true-arm`) whose true tool '
                         'pose goes out on sim/true_tool_pose for the simulated tracker. Empty: '
                         'the nominal arm', fixed=True),
    'emulator_leftovers': Spec('factory', 'emulated servos start as from the factory or as '
                                          "ROBOTIS's jazzy bringup leaves them",
                               one_of(*LEFTOVERS), ' | '.join(LEFTOVERS), fixed=True),
    'prefix': PREFIX,
    'executor': EXECUTOR,
}


def backend_settings(value) -> BackendSettings:
    """The backend settings of the node's parameters (``value(name)`` gives one)."""
    servo = DynamixelConfig(
        port=value('port'), baud_rate=value('baud_rate'), ids=tuple(value('ids')),
        gripper_id=value('gripper_id'), description=value('description'),
        drive_mode=value('drive_mode'), return_delay=value('return_delay'),
        position_p_gain=value('position_p_gain'), position_i_gain=value('position_i_gain'),
        position_d_gain=value('position_d_gain'), profile_velocity=value('profile_velocity'),
        profile_acceleration=value('profile_acceleration'),
        gripper_current_limit=value('gripper_current_limit'),
        torque_on_exit=value('torque_on_exit'), reconnect_period=value('reconnect_period'))
    true_arm = None
    if value('true_arm'):
        try:
            true_arm = TrueArm.load(value('true_arm'))
        except DatasetError as e:
            raise ConfigError(f"parameter true_arm = {value('true_arm')!r} refused: {e}") from e
    return BackendSettings(backend=value('backend'), home=tuple(value('home')),
                           max_velocity=value('max_velocity'),
                           max_acceleration=value('max_acceleration'),
                           table_clearance=value('table_clearance'),
                           workspace=workspace_box(value('workspace')), dynamixel=servo,
                           emulator_leftovers=value('emulator_leftovers'), true_arm=true_arm)


class DriverNode(Node):
    """Moves the arm toward the newest joint command and publishes its state."""

    def __init__(self, **kwargs):
        super().__init__('driver', **kwargs)
        bridge_core_logs(self)
        declare_parameters(self, PARAMETERS)
        if self.get_parameter('gripper_id').value in self.get_parameter('ids').value:
            raise ConfigError('parameter gripper_id refused: it must differ from the joint ids')
        self.backend = make_backend(backend_settings(lambda n: self.get_parameter(n).value))
        prefix = self.get_parameter('prefix').value
        self.joint_names = prefixed(self.backend.joint_names, prefix)
        self.gripper_names = prefixed(GRIPPER_JOINTS, prefix)
        try:
            self.backend.open()
        except IkNetError as e:  # keep running: the cycle retries until the arm is there
            self.get_logger().error(f'arm not ready: {e}; retrying')
        self.rejected = 0
        self.diag_pub = self.create_publisher(DiagnosticArray, '/diagnostics', 10)
        self.diag_timer = self.create_timer(1.0, self.on_diagnostics)
        self.torque_srv = self.create_service(SetBool, '~/set_torque', self.on_set_torque)
        if self.backend.has_gripper:
            self.create_subscription(Float64, 'gripper_command', self.on_gripper, 10)
        self.add_on_set_parameters_callback(self.on_set_parameters)
        self.sub = self.create_subscription(JointState, 'joint_command', self.on_command, 10)
        self.pub = self.create_publisher(JointState, 'joint_states', 10)
        self.truth_pub = self.create_publisher(PoseStamped, 'sim/true_tool_pose', 10)
        self.period = 1.0 / self.get_parameter('rate').value
        self.timer = self.create_timer(self.period, self.on_cycle)
        self.get_logger().info(f"driver ready: backend {self.get_parameter('backend').value}, "
                               f'{1 / self.period:.0f} Hz')

    def on_set_parameters(self, params) -> SetParametersResult:
        verdict = check_changes(params, PARAMETERS)
        if not verdict.successful:
            return verdict
        for p in params:
            if p.name == 'max_velocity':
                try:
                    self.backend.set_max_velocity(float(p.value))
                except IkNetError as e:
                    return SetParametersResult(successful=False, reason=str(e))
        return verdict

    def on_command(self, msg: JointState) -> None:
        goal = joints_by_name(msg, self.joint_names)
        if goal is None or not np.all(np.isfinite(goal)):
            self.rejected += 1
            self.get_logger().warning(
                'joint_command ignored: needs each of '
                f'{", ".join(self.joint_names)} once, with a finite position (got names '
                f'{list(msg.name)[:10]}, {len(msg.position)} positions)',
                throttle_duration_sec=2.0)
            return
        try:
            used = self.backend.set_goal(goal)
        except (UnsafeGoalError, IkNetError) as e:
            self.rejected += 1
            self.get_logger().warning(f'joint_command refused: {e}', throttle_duration_sec=2.0)
            return
        if self.backend.goal_clamped:
            self.get_logger().warning(f'joint_command {goal.round(3).tolist()} outside the '
                                      f'limits, clamped to {used.round(3).tolist()}',
                                      throttle_duration_sec=2.0)

    def on_cycle(self) -> None:
        reading = self.backend.cycle(self.period)
        for fault in reading.faults:
            self.get_logger().error(fault, throttle_duration_sec=2.0)
        if not reading.ok:
            return  # never publish stale positions as fresh
        names, positions = list(self.joint_names), list(reading.positions)
        velocities = list(reading.velocities)
        if reading.gripper is not None:  # the right finger mimics the left one
            names += list(self.gripper_names)
            positions += [reading.gripper, reading.gripper]
            velocities += [0.0, 0.0]
        stamp = self.get_clock().now().to_msg()
        self.pub.publish(joint_state(positions, stamp, velocities, names))
        truth = self.backend.true_tool_pose()
        if truth is not None:  # same stamp: the tracker's measurement pairs with this state
            self.truth_pub.publish(array_to_pose(truth, 'world', stamp))

    def on_set_torque(self, request: SetBool.Request, response: SetBool.Response):
        """``~/set_torque``: false lets a person move the arm by hand; true holds the present
        pose (an old command is never replayed)."""
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
            used = self.backend.set_gripper(msg.data)
        except IkNetError as e:
            self.get_logger().warning(f'gripper_command ignored: {e}', throttle_duration_sec=2.0)
            return
        if used != msg.data:
            low, high = self.backend.gripper_range
            self.get_logger().warning(f'gripper_command {msg.data:g} m outside {low}..{high} m, '
                                      f'clamped to {used:g} m', throttle_duration_sec=2.0)

    def on_diagnostics(self) -> None:
        health = self.backend.health()
        backend = str(self.get_parameter('backend').value)
        hardware = str(self.get_parameter('port').value) if backend != 'sim' else 'sim'
        # one name per driver: two arms under namespaces are two entries, never one
        status = DiagnosticStatus(name=f'{self.get_fully_qualified_name()}: arm ({backend})',
                                  hardware_id=hardware)
        status.level = DiagnosticStatus.OK if health.ok else DiagnosticStatus.ERROR
        status.message = health.message
        status.values = [KeyValue(key='backend', value=str(self.get_parameter('backend').value)),
                         KeyValue(key='connected', value=str(health.connected)),
                         KeyValue(key='rejected_commands', value=str(self.rejected))]
        array = DiagnosticArray(status=[status])
        array.header.stamp = self.get_clock().now().to_msg()
        self.diag_pub.publish(array)

    def shutdown(self) -> None:
        """Explicit hardware cleanup: torque as configured, port closed (an emulated bus
        stopped)."""
        self.backend.close()


def main(args=None):
    run_node(DriverNode, args)


if __name__ == '__main__':
    main()
