"""
The gripper as ROBOTIS names it, and its servo horn.

The arm's :class:`~ik_net_ros.arm.Gripper` says the joint (``gripper_left_joint`` in m on the
OM-X, ``gripper_joint_1`` in rad on the OMX-F; the other finger mimics it), its range, and how the
servo horn (rad) drives it: a linear map through two points (the OM-X's rack: -1.52 rad is
0.019 m, open, and 0.92 rad is -0.010 m, closed, ROBOTIS's humble description) or, without one,
the horn is the joint.
"""

from __future__ import annotations

import math

from ik_net_ros.arm import Gripper

__all__ = ['GRIPPER_JOINTS', 'GRIPPER_RANGES', 'horn_to_metres', 'metres_to_horn',
           'clamp_gripper', 'finger_speed', 'horn_to_joint', 'joint_to_horn']

GRIPPER_JOINTS = ('gripper_left_joint', 'gripper_right_joint')  # the OM-X's
GRIPPER_RANGES = {'humble': (-0.010, 0.019), 'jazzy': (-0.011, 0.020)}  # m, the OM-X's
_OMX_HORN = ((0.019, -1.52), (-0.010, 0.92))  # (m, rad): open, closed


def _slope(horn) -> float:
    """Return the joint's change per horn radian of a horn map ((joint, rad), (joint, rad))."""
    (j0, h0), (j1, h1) = horn
    return (j1 - j0) / (h1 - h0)


def horn_to_joint(rad: float, gripper: Gripper) -> float:
    """Return the gripper joint (m or rad) at a horn angle (rad)."""
    if gripper.horn is None:
        return float(rad)
    (j0, h0), _ = gripper.horn
    return j0 + _slope(gripper.horn) * (rad - h0)


def joint_to_horn(value: float, gripper: Gripper) -> float:
    """Return the horn angle (rad) of a gripper joint position (m or rad)."""
    if gripper.horn is None:
        return float(value)
    (j0, h0), _ = gripper.horn
    return h0 + (value - j0) / _slope(gripper.horn)


def horn_to_metres(rad: float) -> float:
    """``gripper_left_joint`` (m) of the OM-X at a horn angle (rad)."""
    (j0, h0), _ = _OMX_HORN
    return j0 + _slope(_OMX_HORN) * (rad - h0)


def metres_to_horn(metres: float) -> float:
    """Horn angle (rad) of the OM-X's ``gripper_left_joint`` position (m)."""
    (j0, h0), _ = _OMX_HORN
    return h0 + (metres - j0) / _slope(_OMX_HORN)


def finger_speed(horn_rad_per_s: float, gripper: Gripper | None = None) -> float:
    """
    Return the gripper joint's speed of a horn turning at ``horn_rad_per_s`` (rad/s).

    m/s or rad/s as the joint; None: the OM-X's ``gripper_left_joint``, m/s.
    """
    horn = _OMX_HORN if gripper is None else gripper.horn
    return abs(horn_rad_per_s) if horn is None else abs(_slope(horn)) * horn_rad_per_s


def clamp_gripper(value: float, gripper: Gripper | str = 'humble') -> tuple[float, bool]:
    """
    (position clamped into the gripper's range, whether it had to be clamped).

    ``gripper``: the arm's :class:`~ik_net_ros.arm.Gripper`, or the OM-X's description name.

    Raises
    ------
    ValueError
        Not a finite number, or an unknown description.

    """
    if not isinstance(value, (int, float)) or isinstance(value, bool) \
            or not math.isfinite(value):
        raise ValueError(f'gripper position must be a finite number, got {value!r}')
    if isinstance(gripper, str):
        if gripper not in GRIPPER_RANGES:
            raise ValueError(f'description must be one of {list(GRIPPER_RANGES)}, got '
                             f'{gripper!r}')
        lo, hi = GRIPPER_RANGES[gripper]
    else:
        lo, hi = gripper.lower, gripper.upper
    clamped = min(hi, max(lo, float(value)))
    return clamped, clamped != value
