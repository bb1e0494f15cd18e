"""
The calibration file: YAML written by ``ik_net_ros calibrate``, read by the solver and training.

It carries the calibrated arm: its name, description and the digest of its kinematics
(:attr:`Arm.digest <ik_net_ros.arm.Arm>`), and its errors (:class:`~ik_net_ros.arm.ChainErrors`,
what the ik node needs: ``arm.with_errors(errors)``); the tracker setup (what training and
evaluation against measured poses need: the tracker frame, the marker, the time offset), the
joint-space region the fit saw, and the fit's figures. A file is refused for another arm (by
name) or for a description whose kinematics changed since (by digest). Files of before (version
1 and 2) hold the OM-X's old ``geometry`` mapping: they load as the OM-X with the same errors
(:func:`~ik_net_ros.kinematics.legacy_geometry.legacy_arm`).
"""

from __future__ import annotations

from pathlib import Path

from ik_net_ros.arm import Arm, ARM_NAMES, arm_or_default, ArmError, ChainErrors, load_arm
from ik_net_ros.arm.errors import LENGTH_TOLERANCE, OFFSET_TOLERANCE, TILT_TOLERANCE
from ik_net_ros.bounded_files import check_number, load_yaml
from ik_net_ros.errors import DatasetError
from ik_net_ros.kinematics.legacy_geometry import legacy_arm, legacy_values
from ik_net_ros.kinematics.tracker_setup import BASE_FRAME, TrackerSetup
import numpy as np

__all__ = ['save_calibration', 'load_calibration', 'load_tracker_setup', 'outside_region',
           'errors_as_dict', 'errors_from_dict', 'FORMAT', 'VERSION']

FORMAT = 'ik_net_ros.calibration'
# 3: the arm's name, digest and errors; 2: an OM-X geometry mapping and the tracker setup; 1:
# an OM-X geometry mapping, a base-frame tracker
VERSION = 3


def save_calibration(result, path, extra: dict | None = None) -> None:
    """
    Write a :class:`~ik_net_ros.kinematics.calibration.CalibrationResult` atomically.

    Raises
    ------
    OSError
        The file cannot be written.

    """
    from ik_net_ros.atomic import atomic_write
    import yaml
    text = yaml.safe_dump({'format': FORMAT, 'version': VERSION, **(extra or {}),
                           **result.as_dict()}, sort_keys=False)
    atomic_write(Path(path), lambda f: f.write(text), 'w')


def _read(path) -> dict:
    path = Path(path)
    data = load_yaml(path, DatasetError, 'calibration')
    if not isinstance(data, dict) or data.get('format') != FORMAT \
            or not isinstance(data.get('errors', data.get('geometry')), dict):
        raise DatasetError(f'{path}: not an ik_net_ros calibration (write one with '
                           '`ik_net_ros calibrate`)')
    if not isinstance(data.get('version', 1), int) or not 1 <= data.get('version', 1) <= VERSION:
        raise DatasetError(f'{path}: calibration version {data.get("version")!r} is not one '
                           f'this ik_net_ros reads (1..{VERSION})')
    return data


def errors_as_dict(errors: ChainErrors) -> dict:
    """Return the file form of chain errors: rad and m, as lists."""
    return {'offsets': list(errors.offsets),
            'origin_deltas': [list(d) for d in errors.origin_deltas],
            'tilts': [list(t) for t in errors.tilts], 'tool_delta': list(errors.tool_delta)}


def errors_from_dict(arm: Arm, data) -> ChainErrors:
    """
    Return the errors of a file's mapping for ``arm``, each number checked.

    Raises
    ------
    ValueError
        Not a mapping of the four fields, a shape not of ``arm``'s joints, a value that is not
        a finite number or beyond the bounds of a real arm of its description
        (:func:`~ik_net_ros.kinematics.calibration.implausible_errors`), naming the field.

    """
    if not isinstance(data, dict):
        raise ValueError(f'errors must be a mapping, got {type(data).__name__}')
    unknown = set(data) - {'offsets', 'origin_deltas', 'tilts', 'tool_delta'}
    if unknown:
        raise ValueError(f'unknown errors field(s) {sorted(map(str, unknown))[:5]}')
    dof = arm.dof

    def numbers(name, shape, bound):
        value = data.get(name, [[0.0] * shape[1]] * dof if len(shape) == 2 else [0.0] * shape[0])
        rows = value if len(shape) == 2 else [value]
        if not isinstance(value, list) or len(rows) != (shape[0] if len(shape) == 2 else 1) \
                or not all(isinstance(r, list) and len(r) == shape[-1] for r in rows):
            raise ValueError(f'errors.{name} must be {" x ".join(map(str, shape))} numbers '
                             f'({arm.name}: {dof} joints)')
        out = [[check_number(v, f'errors.{name}', -bound, bound) for v in r] for r in rows]
        return out if len(shape) == 2 else out[0]
    return ChainErrors(numbers('offsets', (dof,), OFFSET_TOLERANCE),
                       numbers('origin_deltas', (dof, 3), LENGTH_TOLERANCE),
                       numbers('tilts', (dof, 2), TILT_TOLERANCE),
                       numbers('tool_delta', (3,), LENGTH_TOLERANCE))


def _file_arm(path, data: dict, arm: Arm | None) -> Arm:
    """Return the arm a version 3 file is of: ``arm`` checked against it, or the one named."""
    name, description = data.get('arm'), data.get('description', '')
    if not isinstance(name, str) or not isinstance(description, str):
        raise DatasetError(f'{path}: names no arm (arm: a name of {ARM_NAMES})')
    if arm is None:
        if name not in ARM_NAMES:
            raise DatasetError(f'{path}: a calibration of {name[:40]!r}, not one of the arms '
                               f'this package ships {ARM_NAMES}: pass the arm')
        try:
            arm = load_arm(name, description or None)
        except ArmError as e:
            raise DatasetError(f'{path}: {e}') from e
    elif name != arm.name:
        raise DatasetError(f'{path}: a calibration of {name[:40]!r}, not of {arm.name}')
    if description and description != arm.description:
        raise DatasetError(f"{path}: a calibration of {name}'s {description[:20]!r} description, "
                           f'not of its {arm.description!r} one')
    digest = data.get('digest')
    if digest is not None and digest != arm.digest:
        raise DatasetError(f"{path}: the kinematics of {name}'s description differ from those "
                           'it was calibrated with (digest): calibrate it again')
    return arm


def load_calibration(path, arm=None) -> Arm:
    """
    Return the calibrated arm of a calibration file: ``arm.with_errors(errors)``.

    ``arm``: the arm it must be of (None: the arm the file names). A file of before (an OM-X
    geometry mapping) is the OM-X (of ``arm``'s description, else of the geometry's base
    height) with the same motion.

    Raises
    ------
    DatasetError
        Missing, unreadable, oversized or malformed file (see
        :func:`ik_net_ros.bounded_files.load_yaml`), a calibration of another arm, description
        or kinematics, errors beyond a real arm's (:func:`errors_from_dict`), an old file's
        geometry that is not an OM-X
        (:func:`ik_net_ros.kinematics.legacy_geometry.legacy_values`).

    """
    data = _read(path)
    arm = None if arm is None else arm_or_default(arm).nominal()
    if 'errors' not in data:
        try:
            values = legacy_values(data['geometry'])
        except ValueError as e:
            raise DatasetError(f'{path}: geometry is not an OM-X: {e}') from e
        try:
            return legacy_arm(values, arm)
        except ValueError as e:
            raise DatasetError(f'{path}: an OM-X calibration (version 1/2), not of {arm.name}'
                               ) from e
    arm = _file_arm(path, data, arm)
    try:
        return arm.with_errors(errors_from_dict(arm, data['errors']))
    except ValueError as e:
        raise DatasetError(f'{path}: errors of {arm.name}: {e}') from e


def load_tracker_setup(path) -> TrackerSetup:
    """
    Return the tracker setup a calibration file found (a version 1 file: the base frame).

    Raises
    ------
    DatasetError
        As :func:`load_calibration`, or a tracker setup out of bounds
        (:meth:`~ik_net_ros.kinematics.tracker_setup.TrackerSetup.from_dict`).

    """
    data = _read(path)
    if 'tracker' not in data:
        return BASE_FRAME
    try:
        return TrackerSetup.from_dict(data['tracker'])
    except ValueError as e:
        raise DatasetError(f'{path}: tracker: {e}') from e


def outside_region(path, joints) -> np.ndarray | None:
    """
    Return (N,) True for joints outside the joint ranges the calibration's recording covered.

    There the calibration extrapolates. None for a file that does not record its region.

    Raises
    ------
    DatasetError
        As :func:`load_calibration`, or a malformed region.

    """
    region = _read(path).get('region')
    if region is None:
        return None
    try:
        lo = np.asarray(region['joint_min'], dtype=float)
        hi = np.asarray(region['joint_max'], dtype=float)
        joints = np.asarray(joints, dtype=float)
        dof = joints.shape[-1]
        if lo.shape != (dof,) or hi.shape != (dof,) or not np.all(np.isfinite([lo, hi])):
            raise ValueError(f'joint_min and joint_max must be {dof} finite numbers each')
    except (KeyError, TypeError, ValueError) as e:
        raise DatasetError(f'{path}: region: {e}') from e
    return np.any((joints < lo) | (joints > hi), axis=1)
