"""Input checks shared by every layer: shapes, finiteness, quaternion norms."""

from __future__ import annotations

import numpy as np

from ik_net_ros.errors import InvalidJointsError, InvalidPoseError
from ik_net_ros.kinematics.rotations import canonical_quat

__all__ = ['as_pose_array', 'as_joint_array', 'MIN_QUAT_NORM']

MIN_QUAT_NORM = 1e-6  # below this a quaternion has no direction to normalise to


def as_pose_array(poses, name: str = 'poses') -> tuple[np.ndarray, bool]:
    """Validate poses and return them as float64 (N, 7) with unit, canonical quaternions.

    Args:
        poses: (7,) or (N, 7) [x, y, z, qx, qy, qz, qw]; metres, base frame.
        name: what to call the argument in error messages.

    Returns:
        (poses (N, 7) as a new array, single) where single says the input was one pose (7,).

    Raises:
        InvalidPoseError: wrong shape, NaN/inf, or a quaternion of norm < 1e-6 (zero quaternion).
    """
    try:
        arr = np.array(poses, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise InvalidPoseError(f'{name}: not a numeric array ({e})') from e
    single = arr.ndim == 1
    if single:
        arr = arr[None, :]
    if arr.ndim != 2 or arr.shape[1] != 7:
        raise InvalidPoseError(
            f'{name}: expected shape (7,) or (N, 7) [x, y, z, qx, qy, qz, qw], got '
            f'{np.shape(poses)}')
    bad = ~np.all(np.isfinite(arr), axis=1)
    if bad.any():
        raise InvalidPoseError(
            f'{name}: {int(bad.sum())} pose(s) contain NaN or inf, first at index '
            f'{int(np.argmax(bad))}')
    norm = np.linalg.norm(arr[:, 3:], axis=1)
    tiny = norm < MIN_QUAT_NORM
    if tiny.any():
        raise InvalidPoseError(
            f'{name}: {int(tiny.sum())} quaternion(s) of norm < {MIN_QUAT_NORM} (a zero '
            f'quaternion is no orientation), first at index {int(np.argmax(tiny))}')
    arr[:, 3:] = canonical_quat(arr[:, 3:] / norm[:, None])
    return arr, single


def as_joint_array(joints, name: str = 'joints') -> tuple[np.ndarray, bool]:
    """Validate joints (4,) or (N, 4) in rad; return float64 (N, 4) and whether one row was given.

    Raises:
        InvalidJointsError: wrong shape or NaN/inf.
    """
    try:
        arr = np.array(joints, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise InvalidJointsError(f'{name}: not a numeric array ({e})') from e
    single = arr.ndim == 1
    if single:
        arr = arr[None, :]
    if arr.ndim != 2 or arr.shape[1] != 4:
        raise InvalidJointsError(
            f'{name}: expected shape (4,) or (N, 4) [joint1..joint4], got {np.shape(joints)}')
    if not np.all(np.isfinite(arr)):
        raise InvalidJointsError(f'{name}: contains NaN or inf')
    return arr, single
