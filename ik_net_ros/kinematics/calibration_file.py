"""
The calibration file: YAML written by ``ik_net_ros calibrate``, read by the solver and training.

It carries the calibrated geometry (what the ik node needs), the tracker setup (what training
and evaluation against measured poses need: the tracker frame, the marker, the time offset),
the joint-space region the fit saw, and the fit's figures.
"""

from __future__ import annotations

from pathlib import Path

from ik_net_ros.bounded_files import load_yaml
from ik_net_ros.errors import DatasetError
from ik_net_ros.kinematics.geometry import ArmGeometry, geometry_from_dict
from ik_net_ros.kinematics.tracker_setup import BASE_FRAME, TrackerSetup
import numpy as np

__all__ = ['save_calibration', 'load_calibration', 'load_tracker_setup', 'outside_region',
           'FORMAT', 'VERSION']

FORMAT = 'ik_net_ros.calibration'
VERSION = 2  # 2: the tracker setup; a version 1 file is a base-frame tracker


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
            or not isinstance(data.get('geometry'), dict):
        raise DatasetError(f'{path}: not an ik_net_ros calibration (write one with '
                           '`ik_net_ros calibrate`)')
    if not isinstance(data.get('version', 1), int) or not 1 <= data.get('version', 1) <= VERSION:
        raise DatasetError(f'{path}: calibration version {data.get("version")!r} is not one '
                           f'this ik_net_ros reads (1..{VERSION})')
    return data


def load_calibration(path) -> ArmGeometry:
    """
    Return the calibrated geometry of a calibration file.

    Raises
    ------
    DatasetError
        Missing, unreadable, oversized or malformed file (see
        :func:`ik_net_ros.bounded_files.load_yaml`), or a geometry that is not an OM-X
        (:func:`ik_net_ros.kinematics.geometry.geometry_from_dict`).

    """
    data = _read(path)
    try:
        return geometry_from_dict(data['geometry'])
    except ValueError as e:
        raise DatasetError(f'{path}: geometry is not an OM-X: {e}') from e


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
        if lo.shape != (4,) or hi.shape != (4,) or not np.all(np.isfinite([lo, hi])):
            raise ValueError('joint_min and joint_max must be 4 finite numbers each')
    except (KeyError, TypeError, ValueError) as e:
        raise DatasetError(f'{path}: region: {e}') from e
    joints = np.asarray(joints, dtype=float)
    return np.any((joints < lo) | (joints > hi), axis=1)
