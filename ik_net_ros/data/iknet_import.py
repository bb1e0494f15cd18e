"""
Import of recordings made with the original IKNet tooling (youtalk/iknet).

That tooling records two files with ``ros2 topic echo --csv``; its README has users add a header
line with sed (its published files have it). Both forms import:
- ``kinematics_pose.csv`` (13 columns): sec, nanosec, frame_id, position_x..z, orientation_x..w,
  max_accelerations_scaling_factor, max_velocity_scaling_factor, tolerance
- ``joint_states.csv`` (23 columns): sec, nanosec, frame_id, name0..4, position0..4,
  velocity0..4, effort0..4 (names joint1..4, gripper; ROBOTIS's driver adds gripper_sub now
  and then, so each row's names are read from the row)
Quaternions are normalised to the package's sign rule (qw >= 0).

The original pairs the files row by row. Extra joint_states messages make row pairing drift, so
pairing by time stamp (nearest joint state, within ``max_gap``) is the default; ``pairing='row'``
reproduces the original exactly.
"""

from __future__ import annotations

import csv
import logging
import math
from pathlib import Path

from ik_net_ros.arm import Arm, arm_or_default
from ik_net_ros.data.dataset import joint_columns, PoseJointSet
from ik_net_ros.errors import DatasetError, IkNetError
from ik_net_ros.kinematics.chain import chain_forward
from ik_net_ros.kinematics.validation import unit_quaternions
import numpy as np

__all__ = ['import_iknet_recording']

log = logging.getLogger(__name__)


POSE_HEADER = ('sec', 'nanosec', 'frame_id', 'position_x', 'position_y', 'position_z',
               'orientation_x', 'orientation_y', 'orientation_z', 'orientation_w',
               'max_accelerations_scaling_factor', 'max_velocity_scaling_factor', 'tolerance')
JOINT_HEADER = (('sec', 'nanosec', 'frame_id') + tuple(f'name{i}' for i in range(5))
                + tuple(f'{kind}{i}' for kind in ('position', 'velocity', 'effort')
                        for i in range(5)))


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def _read_rows(path: Path, header: tuple[str, ...]) -> list[tuple[int, list[str]]]:
    """
    (line number, fields) of every data row.

    The header line the original IKNet's README has users add (``sed``) is skipped when present,
    checked against ``header``.
    """
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise DatasetError(f'{path}: cannot read ({e.strerror})') from e
    try:
        text = raw.decode('utf-8')
    except UnicodeDecodeError as e:
        line = raw[:e.start].count(b'\n') + 1
        raise DatasetError(f'{path}: line {line}: not text (byte {e.start} is not UTF-8)') from e
    lines = text.splitlines()
    if lines and not text.endswith('\n'):
        log.warning('%s: last line has no newline (cut off?); skipped', path)
        lines = lines[:-1]
    reader = csv.reader(lines)
    try:
        rows = [(n, row) for n, row in enumerate(reader, start=1) if row]
    except csv.Error as e:  # e.g. a field over the csv module's limit (128 KiB)
        raise DatasetError(f'{path}: line {reader.line_num}: not CSV ({e})') from e
    if rows and rows[0][1] and not _is_number(rows[0][1][0]):
        found = tuple(field.strip() for field in rows[0][1])
        if found[:len(header)] != header[:len(found)] or len(found) < 10:
            raise DatasetError(f'{path}: line 1: header {",".join(found)[:200]!r} is not the '
                               f'original IKNet layout {",".join(header)!r}')
        rows = rows[1:]
    if not rows:
        raise DatasetError(f'{path}: no rows')
    return rows


def _stamp(row: list[str]) -> float:
    return int(row[0]) + int(row[1]) * 1e-9


def _finite(path: Path, lineno: int, values: list[float]) -> list[float]:
    if not all(math.isfinite(v) for v in values):
        raise DatasetError(f'{path}: line {lineno}: NaN or inf')
    return values


def _read_poses(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """
    Stamps and poses of kinematics_pose rows.

    Sec, nanosec, frame_id, position_x..z, orientation_x..w, then three scaling/tolerance fields
    (13 in all).
    """
    stamps, poses = [], []
    for lineno, row in _read_rows(path, POSE_HEADER):
        try:
            if len(row) not in (10, len(POSE_HEADER)):
                raise ValueError(f'{len(row)} fields, expected {len(POSE_HEADER)} (sec, nanosec, '
                                 'frame_id, position_x..z, orientation_x..w, three scaling '
                                 'fields)')
            stamps.append(_stamp(row))
            poses.append(_finite(path, lineno, [float(v) for v in row[3:10]]))
        except ValueError as e:
            raise DatasetError(f'{path}: line {lineno}: {str(e)[:200]}') from e
    return np.array(stamps), np.array(poses)


def _read_joint_states(path: Path, columns: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """
    Stamps and the joints ``columns`` (the arm's joint names) of joint_states rows.

    Sec, nanosec, frame_id, k names, then k positions, velocities and efforts (k = 5 in the
    upstream layout: joint1..4, gripper; ROBOTIS's driver adds gripper_sub now and then, so k is
    read from each row).
    """
    stamps, joints = [], []
    for lineno, row in _read_rows(path, JOINT_HEADER):
        try:
            names = []
            for field in row[3:]:
                if _is_number(field):
                    break
                names.append(field)
            if not set(columns) <= set(names) or len(set(names)) != len(names):
                raise ValueError(f'joint names {names[:8]} lack some of {list(columns)} '
                                 'or repeat one')
            positions = row[3 + len(names): 3 + 2 * len(names)]
            if len(positions) != len(names):
                raise ValueError(f'{len(positions)} positions for {len(names)} names')
            stamps.append(_stamp(row))
            joints.append(_finite(path, lineno, [float(positions[names.index(n)])
                                                 for n in columns]))
        except ValueError as e:
            raise DatasetError(f'{path}: line {lineno}: {str(e)[:200]}') from e
    return np.array(stamps), np.array(joints)


def import_iknet_recording(kinematics_pose_csv: str | Path, joint_states_csv: str | Path,
                           pairing: str = 'time', max_gap: float = 0.02,
                           arm: Arm | None = None) -> PoseJointSet:
    """
    Pair an original-IKNet recording into a dataset.

    Parameters
    ----------
    kinematics_pose_csv
        The ``ros2 topic echo --csv`` file of the kinematics pose topic.
    joint_states_csv
        The one of ``joint_states``.
    pairing
        'time' (nearest joint state by stamp, pairs further apart than ``max_gap``
        seconds are dropped) or 'row' (row i with row i, as the original did).
    max_gap
        Seconds, for 'time' pairing.
    arm
        The arm recorded (None: the OM-X, the original IKNet's): its joint names are read.

    Raises
    ------
    DatasetError
        Unreadable or malformed files (file and line named), bad ``pairing``, or no
        pairs.

    """
    pose_t, poses = _read_poses(Path(kinematics_pose_csv))
    arm = arm_or_default(arm)
    joint_t, joints = _read_joint_states(Path(joint_states_csv), joint_columns(arm))
    if pairing == 'row':
        n = min(len(poses), len(joints))
        poses, joints = poses[:n], joints[:n]
    elif pairing == 'time':
        order = np.argsort(joint_t)
        joint_t, joints = joint_t[order], joints[order]
        right = np.clip(np.searchsorted(joint_t, pose_t), 1, len(joint_t) - 1)
        left = right - 1
        nearest = np.where(np.abs(joint_t[left] - pose_t) <= np.abs(joint_t[right] - pose_t),
                           left, right) if len(joint_t) > 1 else np.zeros(len(pose_t), int)
        keep = np.abs(joint_t[nearest] - pose_t) <= max_gap
        poses, joints = poses[keep], joints[nearest[keep]]
    else:
        raise DatasetError(f"pairing must be 'time' or 'row', got {pairing!r}")
    if len(poses) == 0:
        raise DatasetError(f'{kinematics_pose_csv} and {joint_states_csv}: no pose/joint pairs')
    try:  # unit quaternions with the package's sign rule (qw >= 0): 5.5 % of rows upstream
        poses[:, 3:] = unit_quaternions(poses[:, 3:], str(kinematics_pose_csv))
    except IkNetError as e:
        raise DatasetError(str(e)) from e
    gap = np.linalg.norm(chain_forward(arm, joints)[:, :3] - poses[:, :3], axis=1)
    if np.median(gap) > 1e-3:
        log.warning('recorded poses differ from forward kinematics of the paired joints by %.1f '
                    'mm (median): another base height, or misaligned pairs?',
                    1e3 * np.median(gap))
    return PoseJointSet(poses, joints, {
        'source': f'iknet recording {Path(kinematics_pose_csv).name}',
        'pairing': pairing, 'fk_gap_median_m': float(np.median(gap)), 'arm': arm.name})
