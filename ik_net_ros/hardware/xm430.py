"""
The X-series control table addresses (Protocol 2.0) and unit conversions.

The XM430-W350-T's table, whose addresses and units the XL430-W250-T and XL330-M288-T share;
what differs between the models (Model Number, current registers, limits, modes, table length)
is :mod:`~ik_net_ros.arm.servo_models`'.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ['ADDR', 'RAD_PER_TICK', 'VELOCITY_UNIT', 'rad_to_raw', 'raw_to_rad',
           'HARDWARE_ERROR_BITS', 'describe_hardware_error', 'EEPROM_END', 'READ_ONLY']

RAD_PER_TICK = 2 * math.pi / 4096  # 0.0015339807878856412
VELOCITY_UNIT = 0.229 * 2 * math.pi / 60  # rad/s per unit (0.229 rpm)
EEPROM_END = 64  # addresses below are EEPROM: writable only with torque off


class ADDR:
    MODEL_NUMBER, FIRMWARE, ID, BAUD_RATE, RETURN_DELAY = 0, 6, 7, 8, 9
    DRIVE_MODE, OPERATING_MODE, HOMING_OFFSET = 10, 11, 20
    CURRENT_LIMIT, VELOCITY_LIMIT, MAX_POSITION, MIN_POSITION, SHUTDOWN = 38, 44, 48, 52, 63
    TORQUE_ENABLE, LED, STATUS_RETURN_LEVEL, HARDWARE_ERROR = 64, 65, 68, 70
    POSITION_D_GAIN, POSITION_I_GAIN, POSITION_P_GAIN = 80, 82, 84
    GOAL_CURRENT, GOAL_VELOCITY, PROFILE_ACCELERATION, PROFILE_VELOCITY = 102, 104, 108, 112
    GOAL_POSITION, MOVING, PRESENT_CURRENT, PRESENT_VELOCITY = 116, 122, 126, 128
    PRESENT_POSITION, PRESENT_VOLTAGE, PRESENT_TEMPERATURE = 132, 144, 146


READ_ONLY = frozenset(list(range(0, 7)) + [ADDR.HARDWARE_ERROR]
                      + list(range(ADDR.MOVING, ADDR.PRESENT_TEMPERATURE + 1)))

HARDWARE_ERROR_BITS = {0: 'input voltage', 2: 'overheating', 3: 'motor encoder',
                       4: 'electrical shock', 5: 'overload'}


def describe_hardware_error(bits: int) -> str:
    """'overheating, overload' for a Hardware Error Status byte."""
    names = [name for bit, name in HARDWARE_ERROR_BITS.items() if bits & (1 << bit)]
    return ', '.join(names) or f'unknown (0x{bits:02x})'


def rad_to_raw(rad) -> np.ndarray:
    """Joint angle (rad) -> goal position ticks (2048 = 0 rad)."""
    return np.rint(np.asarray(rad) / RAD_PER_TICK + 2048).astype(np.int64)


def raw_to_rad(raw) -> np.ndarray:
    """Position ticks -> rad."""
    return (np.asarray(raw, dtype=np.float64) - 2048) * RAD_PER_TICK
