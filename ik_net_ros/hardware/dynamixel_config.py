"""
The bus and servo settings of the Dynamixel backend, declared once.

Each field carries its description and rule: the driver node declares its parameters from them
(:data:`ik_net_ros.nodes.driver_params.PARAMETERS`), so a setting is added or changed here alone.
The defaults are what ROBOTIS's humble hardware interface writes (velocity-based profiles); see
``docs/hardware.md``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

from ik_net_ros.arm import arm_descriptions
from ik_net_ros.rules import int_in, non_empty, one_of, period, Range

__all__ = ['DynamixelConfig', 'BAUD_RATES', 'SETTINGS', 'servo_ids']

# the baud rates an X-series servo can be set to (e-manual, address 8; the XL330 stops at 4M)
BAUD_RATES = (9600, 57600, 115200, 1_000_000, 2_000_000, 3_000_000, 4_000_000, 4_500_000)
_SERVO_ID = int_in(0, 252)
_GAIN = int_in(0, 16383)
_RAW = int_in(0, 32767)


def _ids(value) -> bool:
    """Tell whether ``value`` are distinct servo IDs (none: the arm's own)."""
    return len(value) == len(set(value)) and all(_SERVO_ID(i) for i in value)


def _setting(default, description: str, rule=None, need: str = ''):
    """Return a field with what a node parameter needs: description, rule, what the rule needs."""
    need = need or getattr(rule, 'need', '')
    return field(default=default, metadata={'description': description, 'rule': rule,
                                            'need': need})


@dataclass
class DynamixelConfig:
    """Settings of the bus and the servos (each field's ``metadata`` says what it is)."""

    port: str = _setting('/dev/ttyUSB0', 'serial port of the servo bus', non_empty,
                         'a device path')
    baud_rate: int = _setting(1_000_000, 'servo bus baud rate', one_of(*BAUD_RATES),
                              'one of ' + ', '.join(map(str, BAUD_RATES)))
    ids: tuple[int, ...] = _setting((), "servo IDs of the arm's joints in order; empty: the "
                                        "arm's own (its YAML's servos)", _ids,
                                    'one distinct ID in 0..252 per joint, or none')
    gripper_id: int = _setting(-1, "gripper servo ID; -1 = the arm's own (15 on the "
                                   'OpenMANIPULATOR-X, 16 on the OMX-F); 0 = no gripper '
                                   '(current-based position mode)', int_in(-1, 252))
    description: str = _setting('humble', "ROBOTIS's arm description whose gripper range "
                                          'applies (humble -0.010..0.019 m, jazzy -0.011..0.020 '
                                          'm)', one_of(*arm_descriptions()),
                                ' | '.join(arm_descriptions()))
    # ROBOTIS's jazzy bringup leaves 4 (time-based) on 11-14 and 5 (time-based + reverse) on
    # 15; then profile values would be read as milliseconds and the gripper would run
    # backwards, so the package writes the mode it means
    drive_mode: int = _setting(0, 'servo Drive Mode (EEPROM 10): 0 velocity-based profile, 4 '
                                  'time-based (profile_* in ms); written only where it differs',
                               one_of(0, 4), '0 or 4')
    return_delay: int = _setting(0, 'servo Return Delay Time (EEPROM 9), units of 2 us '
                                    '(factory 250)', int_in(0, 254))
    position_p_gain: int = _setting(800, 'servo position P gain, RAM 84 (ROBOTIS: 800)', _GAIN)
    position_i_gain: int = _setting(100, 'servo position I gain, RAM 82 (ROBOTIS: 100)', _GAIN)
    position_d_gain: int = _setting(100, 'servo position D gain, RAM 80 (ROBOTIS: 100)', _GAIN)
    # with drive mode 0 the Profile Velocity written is the smallest of this (0: no cap of its
    # own), the backend's max_velocity and the servo's Velocity Limit register (44)
    profile_velocity: int = _setting(200, 'servo profile velocity, raw units of 0.229 rpm (200 '
                                          "= 4.8 rad/s, ROBOTIS's humble value; 0 = "
                                          'unlimited)', _RAW)
    profile_acceleration: int = _setting(50, 'servo profile acceleration, raw units of 214.577 '
                                             "rev/min^2 (ROBOTIS's humble value; 0 = "
                                             'unlimited)', _RAW)
    gripper_current_limit: int = _setting(200, "gripper goal current in its servo's unit "
                                               "(XM430 ~2.69 mA: 200 is ROBOTIS's jazzy "
                                               'value; XL330 1 mA); at most its Current Limit',
                                          int_in(0, 1750))
    torque_on_exit: bool = _setting(False, 'keep holding the pose when the node exits (false: '
                                           'release torque)')
    reconnect_period: float = _setting(1.0, 'seconds between attempts to reopen a vanished '
                                            'port', period)
    # a servo emulator is a thread of this process: on a loaded machine it may not run for
    # longer than dynamixel-sdk's own timeout (about 34 ms at 1 Mbps, which real servos answer
    # well within); not a node parameter
    min_packet_timeout: float = _setting(0.0, 'ms a reply is waited for at least (0: '
                                              "dynamixel-sdk's own)", Range(0.0, 1000.0))


# the settings a user sets (the driver's parameters); min_packet_timeout is the emulator's
SETTINGS = tuple(f for f in fields(DynamixelConfig) if f.name != 'min_packet_timeout')


def servo_ids(arm, ids=(), gripper_id: int = -1) -> tuple[tuple[int, ...], int]:
    """
    Return the servo IDs of the arm's joints and its gripper's (0: none).

    ``ids``: one per joint (empty: the arm's own); ``gripper_id``: -1 the arm's gripper, 0
    none, else that ID.

    Raises
    ------
    ValueError
        An arm that names no servos, IDs not one per joint or not distinct, a gripper ID on an
        arm without a gripper or equal to a joint's.

    """
    if len(arm.servos) != arm.dof:
        raise ValueError(f'{arm.name} names no servos for its joints (servos: in its YAML)')
    joints = tuple(ids) or tuple(s.id for s in arm.servos)
    if len(joints) != arm.dof or len(set(joints)) != arm.dof:
        raise ValueError(f'need {arm.dof} distinct servo IDs ({", ".join(arm.joint_names)}), '
                         f'got {list(joints)}')
    gripper = 0
    if gripper_id and arm.gripper is not None:
        gripper = arm.gripper.id if gripper_id < 0 else gripper_id
    elif gripper_id > 0:
        raise ValueError(f'gripper_id {gripper_id}: {arm.name} has no gripper')
    if gripper in joints:
        raise ValueError(f'gripper_id {gripper} is also a joint ID')
    return joints, gripper
