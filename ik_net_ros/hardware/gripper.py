"""
The gripper as ROBOTIS names it.

Prismatic ``gripper_left_joint`` in metres (the right finger, ``gripper_right_joint``, mimics it),
driven by a servo horn in radians.

ROBOTIS's humble description maps the horn linearly: -1.52 rad is 0.019 m (open) and 0.92 rad
is -0.010 m (closed). The range is the description's: humble -0.010..0.019 m, jazzy
-0.011..0.020 m.
"""

from __future__ import annotations

import math

__all__ = ['GRIPPER_JOINTS', 'GRIPPER_RANGES', 'horn_to_metres', 'metres_to_horn',
           'clamp_gripper', 'finger_speed']

GRIPPER_JOINTS = ('gripper_left_joint', 'gripper_right_joint')
GRIPPER_RANGES = {'humble': (-0.010, 0.019), 'jazzy': (-0.011, 0.020)}  # m
_HORN = (-1.52, 0.92)  # rad: open, closed
_METRES = (0.019, -0.010)  # m at those horn angles
_SLOPE = (_METRES[1] - _METRES[0]) / (_HORN[1] - _HORN[0])  # m per rad (negative)


def horn_to_metres(rad: float) -> float:
    """``gripper_left_joint`` (m) of a horn angle (rad)."""
    return _METRES[0] + _SLOPE * (rad - _HORN[0])


def metres_to_horn(metres: float) -> float:
    """Horn angle (rad) of a ``gripper_left_joint`` position (m)."""
    return _HORN[0] + (metres - _METRES[0]) / _SLOPE


def finger_speed(horn_rad_per_s: float) -> float:
    """``gripper_left_joint`` speed (m/s) of a horn turning at ``horn_rad_per_s`` (rad/s)."""
    return abs(_SLOPE) * horn_rad_per_s


def clamp_gripper(metres: float, description: str = 'humble') -> tuple[float, bool]:
    """
    (position clamped into the description's range, whether it had to be clamped).

    Raises
    ------
    ValueError
        Not a finite number.

    """
    if not isinstance(metres, (int, float)) or isinstance(metres, bool) \
            or not math.isfinite(metres):
        raise ValueError(f'gripper position must be a finite number of metres, got {metres!r}')
    lo, hi = GRIPPER_RANGES[description]
    clamped = min(hi, max(lo, float(metres)))
    return clamped, clamped != metres
