"""
The bus and servo settings of the Dynamixel backend, declared once.

Each field carries its description and rule: the driver node declares its parameters from them
(:data:`ik_net_ros.nodes.driver_params.PARAMETERS`), so a setting is added or changed here alone.
The defaults are what ROBOTIS's humble hardware interface writes (velocity-based profiles); see
``docs/hardware.md``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace

from ik_net_ros.arm import arm_descriptions
from ik_net_ros.arm.servo_models import ServoSettings
from ik_net_ros.rules import int_in, non_empty, one_of, period, Range

__all__ = ['DynamixelConfig', 'BAUD_RATES', 'SETTINGS', 'servo_ids', 'servo_settings']

# the baud rates an X-series servo can be set to (e-manual, address 8; the XL330 stops at 4M)
BAUD_RATES = (9600, 57600, 115200, 1_000_000, 2_000_000, 3_000_000, 4_000_000, 4_500_000)
_SERVO_ID = int_in(0, 252)
_GAIN = int_in(-1, 16383)  # -1: the arm's own (its YAML)
_RAW = int_in(-1, 32767)


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
    # the servo setup: -1 (every default) takes the arm's own, its YAML's servos / gripper
    # (ROBOTIS's values for that arm, checked against each servo's control table); another
    # value is written to every servo in place of the arm's, checked the same way. ROBOTIS's
    # jazzy bringup leaves 4 (time-based) on the OM-X's 11-14 and 5 (time-based + reverse) on
    # 15; left, profile values would be read as ms and the gripper would run backwards, so the
    # package writes the mode it means
    drive_mode: int = _setting(-1, 'servo Drive Mode (EEPROM 10): 0 velocity-based profile, 4 '
                                   "time-based (profile_* in ms); -1 = the arm's (OM-X 0, "
                                   'OMX-F 4); written only where it differs', one_of(-1, 0, 4),
                               '-1, 0 or 4')
    return_delay: int = _setting(-1, 'servo Return Delay Time (EEPROM 9), units of 2 us '
                                     "(factory 250); -1 = the arm's (0)", int_in(-1, 254))
    position_p_gain: int = _setting(-1, "servo position P gain, RAM 84; -1 = the arm's (OM-X "
                                        '800, OMX-F 1000)', _GAIN)
    position_i_gain: int = _setting(-1, "servo position I gain, RAM 82; -1 = the arm's (OM-X "
                                        '100, OMX-F 0)', _GAIN)
    position_d_gain: int = _setting(-1, "servo position D gain, RAM 80; -1 = the arm's (OM-X "
                                        '100, OMX-F 1000)', _GAIN)
    # velocity-based: the Profile Velocity written is the smallest of this (0: no cap of its
    # own), the backend's max_velocity and the servo's Velocity Limit register (44);
    # time-based: the shortest move (ms), lengthened so no joint outruns max_velocity
    profile_velocity: int = _setting(-1, 'servo profile velocity: velocity-based, units of '
                                         '0.229 rpm, a cap beside max_velocity (0 = none); '
                                         'time-based, the shortest move in ms, lengthened to '
                                         "keep max_velocity; -1 = the arm's (OM-X 200 = 4.8 "
                                         'rad/s, OMX-F 50 ms)', _RAW)
    profile_acceleration: int = _setting(-1, 'servo profile acceleration: velocity-based, '
                                             'units of 214.577 rev/min^2 (0 = unlimited); '
                                             "time-based, ms; -1 = the arm's (OM-X 50, OMX-F 25 "
                                             'ms)', _RAW)
    gripper_current_limit: int = _setting(-1, "gripper Goal Current (its grip) in its servo's "
                                              'unit (XM430 ~2.69 mA, XL330 1 mA), at most its '
                                              "Current Limit; -1 = the arm's (OM-X 200, OMX-F "
                                              '600)', int_in(-1, 1750))
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


def servo_settings(arm_settings: ServoSettings, config: DynamixelConfig,
                   gripper: bool = False) -> ServoSettings:
    """
    Return what is written to a servo: the arm's ``arm_settings`` with the config's laid over.

    A config setting of -1 (its default) keeps the arm's; ``gripper``: the gripper's servo,
    whose Goal Current ``gripper_current_limit`` sets. Not checked here
    (:func:`~ik_net_ros.arm.servo_models.check_settings` is, against the servo's model).
    """
    def own(value: int, arm_value):
        return arm_value if value < 0 else value
    c, a = config, arm_settings
    return replace(a, drive_mode=own(c.drive_mode, a.drive_mode),
                   return_delay=own(c.return_delay, a.return_delay),
                   gains=tuple(own(v, g) for v, g in zip(
                       (c.position_p_gain, c.position_i_gain, c.position_d_gain), a.gains)),
                   profile=(own(c.profile_velocity, a.profile[0]),
                            own(c.profile_acceleration, a.profile[1])),
                   goal_current=own(c.gripper_current_limit, a.goal_current) if gripper
                   else a.goal_current)
