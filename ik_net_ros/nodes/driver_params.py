"""
The driver node's parameters and the backend settings they make.

One table: default, description, rule.
"""

from __future__ import annotations

from ik_net_ros.errors import ConfigError, DatasetError
from ik_net_ros.hardware import BACKENDS, BackendSettings
from ik_net_ros.hardware.dynamixel import DynamixelConfig
from ik_net_ros.hardware.emulator import LEFTOVERS
from ik_net_ros.hardware.motion import DEFAULT_ACCELERATION
from ik_net_ros.kinematics import HOME_POSE, VELOCITY_LIMIT
from ik_net_ros.kinematics.true_arm import TrueArm
from ik_net_ros.nodes.params import (
    description_spec,
    EXECUTOR,
    int_in,
    joint_vector,
    non_empty,
    number_in,
    one_of,
    period,
    PERIOD_NEED,
    PREFIX,
    Spec,
    TABLE_CLEARANCE,
    WORKSPACE,
    workspace_box,
)

__all__ = ['PARAMETERS', 'backend_settings', 'BAUD_RATES']

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
                                         "interpolated at it, and the servos' Profile Velocity "
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
    'gripper_allow_stalling': Spec(False, 'GripperCommand action: a goal whose fingers stall '
                                          '(an object between them) succeeds (true: grasping) '
                                          "or aborts (false, ROBOTIS's controller default)",
                                   fixed=True),
    'autostart': Spec(True, 'configure and activate at start (torque on, holding the pose), '
                            'retrying every reconnect_period until the arm answers; false: '
                            'wait for lifecycle transitions (ros2 lifecycle set)', fixed=True),
    'prefix': PREFIX,
    'executor': EXECUTOR,
}


def backend_settings(value) -> BackendSettings:
    """Return the backend settings of the node's parameters (``value(name)`` gives one)."""
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
