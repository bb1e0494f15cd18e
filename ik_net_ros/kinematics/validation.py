"""
Input checks shared by every layer: types, shapes, finiteness, magnitudes, quaternion norms.

Only clean finite real numbers are poses or joints: complex numbers, strings, booleans, masked
arrays and numbers too large for a float are refused with an :class:`InvalidPoseError` (or
:class:`InvalidJointsError`), never cast silently or let through to raise something else.
"""

from __future__ import annotations

import math
import numbers
import reprlib

from ik_net_ros.arm import default_arm
from ik_net_ros.errors import InvalidJointsError, InvalidPoseError
from ik_net_ros.kinematics.rotations import canonical_quat
import numpy as np

__all__ = ['as_pose_array', 'validate_pose', 'pose_rows', 'check_pose_rows', 'as_joint_array',
           'real_array', 'unit_quaternions', 'MIN_QUAT_NORM', 'MAX_COORDINATE']

MIN_QUAT_NORM = 1e-6  # below this a quaternion has no direction to normalise to
# m: a target a kilometre away is no target for a 0.4 m arm, and beyond this a float32 network
# input can overflow to inf inside the layers (1e36 m did: NaN joints)
MAX_COORDINATE = 1e3
# quaternion norms in this range were computed without over- or underflow of their squares
_SAFE_LOW, _SAFE_HIGH = 1e-150, 1e150


def real_array(values, name: str, error: type[Exception]) -> np.ndarray:
    """
    ``values`` as a float64 array, or ``error`` if they are not plain real numbers.

    Raises
    ------
    error
        Complex, string, boolean or object values that are not real numbers, a masked
        array, or a number too large for a float (``10**400``).

    """
    if isinstance(values, np.ma.MaskedArray):
        raise error(f'{name}: a masked array (fill or drop the masked values first)')
    try:
        arr = np.asarray(values)
        if arr.dtype.kind == 'O':
            if not all(isinstance(v, numbers.Real) and not isinstance(v, (bool, np.bool_))
                       for v in arr.flat):
                raise TypeError('not all values are real numbers')
            arr = arr.astype(np.float64)
    except (TypeError, ValueError, OverflowError) as e:
        raise error(f'{name}: not an array of real numbers ({e})') from e
    if arr.dtype.kind not in 'iuf':
        raise error(f'{name}: values of type {arr.dtype} are not real numbers')
    return np.array(arr, dtype=np.float64)


def unit_quaternions(quat: np.ndarray, name: str = 'poses') -> np.ndarray:
    """
    Return unit, canonical quaternions (N, 4) of finite ones, without overflow or underflow.

    Each is scaled by its largest component first (1e200 or 1e-200 components have a direction).

    Raises
    ------
    InvalidPoseError
        A quaternion of norm < MIN_QUAT_NORM (a zero quaternion).

    """
    x, y, z, w = quat[:, 0], quat[:, 1], quat[:, 2], quat[:, 3]
    with np.errstate(over='ignore', under='ignore'):  # such squares take the slow path below
        norm = np.sqrt(x * x + y * y + z * z + w * w)
    if np.all((norm > _SAFE_LOW) & (norm < _SAFE_HIGH)):
        # the common case, 4x cheaper (and as the single-pose twin computes it): the squares
        # neither overflowed nor underflowed
        tiny = norm < MIN_QUAT_NORM
        if not tiny.any():
            return canonical_quat(quat / norm[:, None])
    # scaled by the largest component first: 1e200 or 1e-200 components have a direction
    scale = np.maximum(np.maximum(np.abs(x), np.abs(y)), np.maximum(np.abs(z), np.abs(w)))
    safe = np.where(scale > 0.0, scale, 1.0)
    scaled = quat / safe[:, None]
    norm = np.sqrt(np.sum(scaled * scaled, axis=1))  # in [1, 2]: no overflow
    tiny = scale * norm < MIN_QUAT_NORM
    if tiny.any():
        raise InvalidPoseError(
            f'{name}: {int(tiny.sum())} quaternion(s) of norm < {MIN_QUAT_NORM} (a zero '
            f'quaternion is no orientation), first at index {int(np.argmax(tiny))}')
    return canonical_quat(scaled / norm[:, None])


def pose_rows(poses, name: str = 'poses') -> tuple[np.ndarray, bool]:
    """
    Return the first half of :func:`as_pose_array`.

    Poses as a float64 (N, 7) array (a new one) and whether one pose (7,) was given, values not yet
    checked.

    Raises
    ------
    InvalidPoseError
        Not real numbers, or the wrong shape.

    """
    arr = real_array(poses, name, InvalidPoseError)
    single = arr.ndim == 1
    if single:
        arr = arr[None, :]
    if arr.ndim != 2 or arr.shape[1] != 7:
        raise InvalidPoseError(
            f'{name}: expected shape (7,) or (N, 7) [x, y, z, qx, qy, qz, qw], got '
            f'{np.shape(poses)}')
    return arr, single


def check_pose_rows(arr: np.ndarray, name: str = 'poses') -> np.ndarray:
    """
    Return the second half of :func:`as_pose_array`.

    ``arr`` (N, 7) float64 from :func:`pose_rows`, checked, its quaternions made unit and canonical
    in place.

    Raises
    ------
    InvalidPoseError
        NaN/inf, a coordinate beyond MAX_COORDINATE m, or a quaternion of
        norm < 1e-6.

    """
    # one reduction over the whole array first: the per-row ones only to name the culprit
    if not np.isfinite(arr).all():
        bad = ~np.all(np.isfinite(arr), axis=1)
        raise InvalidPoseError(
            f'{name}: {int(bad.sum())} pose(s) contain NaN or inf, first at index '
            f'{int(np.argmax(bad))}')
    if arr.size and np.abs(arr[:, :3]).max() > MAX_COORDINATE:
        far = np.any(np.abs(arr[:, :3]) > MAX_COORDINATE, axis=1)
        raise InvalidPoseError(
            f'{name}: {int(far.sum())} position(s) beyond {MAX_COORDINATE:g} m from the base '
            f'(not a target for this arm), first at index {int(np.argmax(far))}')
    if not _unit_in_place(arr[:, 3:]):
        arr[:, 3:] = unit_quaternions(arr[:, 3:], name)
    return arr


def _unit_in_place(quat: np.ndarray) -> bool:
    """
    Handle the common case of :func:`unit_quaternions`, in place, column by column.

    Column by column because an (N, 4) operation runs 4-element loops, 2x slower. The common
    case: no square over- or underflowed, no norm
    is too small and every qw is non-zero, so the canonical sign is qw's. The same float operations
    as the single-pose twin (q / +-norm). False, nothing changed, otherwise.
    """
    x, y, z, w = quat[:, 0], quat[:, 1], quat[:, 2], quat[:, 3]
    with np.errstate(over='ignore', under='ignore'):  # such squares fail the test below
        norm = np.sqrt(x * x + y * y + z * z + w * w)
    if not (np.all((norm >= MIN_QUAT_NORM) & (norm < _SAFE_HIGH)) and w.all()):
        return False
    divisor = np.copysign(norm, w, out=norm)  # canonical: qw > 0
    for column in (x, y, z, w):
        column /= divisor
    if not w.all():  # a subnormal qw divided to 0: the tie-break of canonical_quat decides
        quat[...] = canonical_quat(quat)
    return True


def as_pose_array(poses, name: str = 'poses') -> tuple[np.ndarray, bool]:
    """
    Validate poses and return them as float64 (N, 7) with unit, canonical quaternions.

    Parameters
    ----------
    poses
        (7,) or (N, 7) [x, y, z, qx, qy, qz, qw]; metres, base frame.
    name
        What to call the argument in error messages.

    Returns
    -------
    (poses (N, 7) as a new array, single) where single says the input was one pose (7,).

    Raises
    ------
    InvalidPoseError
        Not real numbers, wrong shape, NaN/inf, a coordinate beyond
        MAX_COORDINATE m, or a quaternion of norm < 1e-6 (zero quaternion).

    """
    arr, single = pose_rows(poses, name)
    return check_pose_rows(arr, name), single


def as_joint_array(joints, name: str = 'joints', arm=None) -> tuple[np.ndarray, bool]:
    """
    Validate joints (dof,) or (N, dof) of ``arm``; return float64 (N, dof) and whether one row.

    ``arm``: an :class:`~ik_net_ros.arm.Arm` (None: ROBOTIS's humble OM-X, 4 joints); rad (m for
    a prismatic joint).

    Raises
    ------
    InvalidJointsError
        Not real numbers, wrong shape or NaN/inf.

    """
    arm = default_arm() if arm is None else arm
    dof = arm.dof
    arr = real_array(joints, name, InvalidJointsError)
    single = arr.ndim == 1
    if single:
        arr = arr[None, :]
    if arr.ndim != 2 or arr.shape[1] != dof:
        raise InvalidJointsError(
            f'{name}: expected shape ({dof},) or (N, {dof}) {list(arm.joint_names)}, got '
            f'{np.shape(joints)}')
    if not np.all(np.isfinite(arr)):
        raise InvalidJointsError(f'{name}: contains NaN or inf')
    return arr, single


# the single-pose twin of as_pose_array (tests hold the two equal), for the live node
def validate_pose(pose) -> list[float]:
    """
    [x, y, z, qx, qy, qz, qw] with a unit, canonical (qw >= 0) quaternion.

    The same rules as :func:`~ik_net_ros.kinematics.validation.as_pose_array`, in plain floats.

    Raises
    ------
    InvalidPoseError
        Not 7 real numbers, NaN/inf, a coordinate beyond MAX_COORDINATE m,
        or a zero quaternion.

    """
    # a list of 7 floats (the node's case) or a plain float ndarray converts in one step;
    # anything else is checked value by value: complex, strings, booleans and masked values
    # are no pose
    values = pose
    if type(pose) is list and len(pose) == 7:
        x, y, z, qx, qy, qz, qw = pose
        if not (type(x) is float and type(y) is float and type(z) is float
                and type(qx) is float and type(qy) is float and type(qz) is float
                and type(qw) is float):
            values = [float(v) if type(v) is float else _real(v) for v in pose]
    elif type(pose) is np.ndarray and pose.dtype.kind in 'fiu':
        values = pose.tolist()
        if pose.ndim != 1:
            raise InvalidPoseError(f'pose: expected 7 values, got shape {pose.shape}')
    else:
        values = [float(v) if type(v) is float else _real(v) for v in _sequence(pose)]
    if len(values) != 7:
        raise InvalidPoseError(f'pose: expected 7 values [x, y, z, qx, qy, qz, qw], got '
                               f'{len(values)}')
    x, y, z, qx, qy, qz, qw = values
    # one test for the usual case: a finite sum has finite terms; an infinite one may only
    # have overflowed (1e308 + 1e308), so then each value is looked at
    if not math.isfinite(x + y + z + qx + qy + qz + qw) and not all(
            math.isfinite(v) for v in values):
        raise InvalidPoseError('pose: 1 pose(s) contain NaN or inf, first at index 0')
    if abs(x) > MAX_COORDINATE or abs(y) > MAX_COORDINATE or abs(z) > MAX_COORDINATE:
        raise InvalidPoseError(f'pose: 1 position(s) beyond {MAX_COORDINATE:g} m from the base '
                               '(not a target for this arm), first at index 0')
    norm = math.sqrt(qx * qx + qy * qy + qz * qz + qw * qw)
    scale = 1.0
    if not 1e-150 < norm < 1e150:  # the squares over- or underflowed: scale by the largest
        scale = max(abs(qx), abs(qy), abs(qz), abs(qw))  # component (1e200 has a direction)
        if scale > 0.0:
            qx, qy, qz, qw = qx / scale, qy / scale, qz / scale, qw / scale
        norm = math.sqrt(qx * qx + qy * qy + qz * qz + qw * qw)
    if scale * norm < MIN_QUAT_NORM:
        raise InvalidPoseError(f'pose: 1 quaternion(s) of norm < {MIN_QUAT_NORM} (a zero '
                               'quaternion is no orientation), first at index 0')
    qx, qy, qz, qw = qx / norm, qy / norm, qz / norm, qw / norm
    # canonical sign: the first non-zero of (w, x, y, z) positive (if chains: a generator
    # costs more than the test at this size)
    if qw < 0.0 or (qw == 0.0 and (qx < 0.0 or (qx == 0.0 and (
            qy < 0.0 or (qy == 0.0 and qz < 0.0))))):
        return [x, y, z, -qx, -qy, -qz, -qw]
    return [x, y, z, qx, qy, qz, qw]


def _sequence(pose):
    if isinstance(pose, np.ma.MaskedArray):
        raise InvalidPoseError('pose: a masked array (fill or drop the masked values first)')
    if isinstance(pose, np.ndarray):
        if pose.ndim != 1:
            raise InvalidPoseError(f'pose: expected 7 values, got shape {pose.shape}')
        return pose.tolist()
    try:
        return list(pose)
    except TypeError as e:
        raise InvalidPoseError(f'pose: not 7 numbers ({e})') from e


def _real(value) -> float:
    """Return a real number as a float; InvalidPoseError for anything else (complex, str...)."""
    if not isinstance(value, numbers.Real) or isinstance(value, (bool, np.bool_)):
        raise InvalidPoseError(f'pose: {reprlib.repr(value)} is not a real number')
    try:
        return float(value)
    except (OverflowError, TypeError, ValueError) as e:
        raise InvalidPoseError(f'pose: {reprlib.repr(value)} is not a real number that fits a '
                               f'float ({e})') from e
