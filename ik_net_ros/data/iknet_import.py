"""Import of recordings made with the original IKNet tooling (youtalk/iknet).

That tooling records two files with ``ros2 topic echo --csv``, no header:
- ``kinematics_pose.csv``: sec, nanosec, frame_id, x, y, z, qx, qy, qz, qw[, scaling...]
- ``joint_states.csv``: sec, nanosec, frame_id, name_1..name_k, position_1..position_k,
  velocity..., effort... (k varies: ROBOTIS's driver publishes joint1..4 + gripper, and now and
  then gripper_sub too)

The original pairs the files row by row. Extra joint_states messages make row pairing drift, so
pairing by time stamp (nearest joint state, within ``max_gap``) is the default; ``pairing='row'``
reproduces the original exactly.
"""

from __future__ import annotations

import csv
import logging
from pathlib import Path

import numpy as np

from ik_net_ros.data.dataset import JOINT_COLUMNS, PoseJointSet
from ik_net_ros.errors import DatasetError
from ik_net_ros.kinematics import forward_kinematics

__all__ = ['import_iknet_recording']

log = logging.getLogger(__name__)


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def _read_rows(path: Path) -> list[list[str]]:
    try:
        with open(path, newline='') as f:
            text = f.read()
    except OSError as e:
        raise DatasetError(f'{path}: cannot read ({e.strerror})') from e
    rows = [r for r in csv.reader(text.splitlines()) if r]
    if rows and not text.endswith('\n'):
        log.warning('%s: last line is truncated; skipped', path)
        rows = rows[:-1]
    if not rows:
        raise DatasetError(f'{path}: no rows')
    return rows


def _read_poses(path: Path) -> tuple[np.ndarray, np.ndarray]:
    stamps, poses = [], []
    for lineno, row in enumerate(_read_rows(path), start=1):
        try:
            if len(row) < 10:
                raise ValueError(f'{len(row)} fields, expected sec, nanosec, frame_id and 7 pose '
                                 'values')
            stamps.append(int(row[0]) + int(row[1]) * 1e-9)
            poses.append([float(v) for v in row[3:10]])
        except ValueError as e:
            raise DatasetError(f'{path}: line {lineno}: {e}') from e
    return np.array(stamps), np.array(poses)


def _read_joint_states(path: Path) -> tuple[np.ndarray, np.ndarray]:
    stamps, joints = [], []
    for lineno, row in enumerate(_read_rows(path), start=1):
        try:
            names = []
            for field in row[3:]:
                if _is_number(field):
                    break
                names.append(field)
            if not set(JOINT_COLUMNS) <= set(names):
                raise ValueError(f'joint names {names} lack some of {list(JOINT_COLUMNS)}')
            positions = row[3 + len(names): 3 + 2 * len(names)]
            if len(positions) != len(names):
                raise ValueError(f'{len(positions)} positions for {len(names)} names')
            stamps.append(int(row[0]) + int(row[1]) * 1e-9)
            joints.append([float(positions[names.index(n)]) for n in JOINT_COLUMNS])
        except ValueError as e:
            raise DatasetError(f'{path}: line {lineno}: {e}') from e
    return np.array(stamps), np.array(joints)


def import_iknet_recording(kinematics_pose_csv: str | Path, joint_states_csv: str | Path,
                           pairing: str = 'time', max_gap: float = 0.02) -> PoseJointSet:
    """Pair an original-IKNet recording into a dataset.

    Args:
        kinematics_pose_csv: the ``ros2 topic echo --csv`` file of the kinematics pose topic.
        joint_states_csv: the one of ``joint_states``.
        pairing: 'time' (nearest joint state by stamp, pairs further apart than ``max_gap``
            seconds are dropped) or 'row' (row i with row i, as the original did).
        max_gap: seconds, for 'time' pairing.

    Raises:
        DatasetError: unreadable or malformed files (file and line named), bad ``pairing``, or no
            pairs.
    """
    pose_t, poses = _read_poses(Path(kinematics_pose_csv))
    joint_t, joints = _read_joint_states(Path(joint_states_csv))
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
    gap = np.linalg.norm(forward_kinematics(joints)[:, :3] - poses[:, :3], axis=1)
    if np.median(gap) > 1e-3:
        log.warning('recorded poses differ from forward kinematics of the paired joints by %.1f '
                    'mm (median): another base height, or misaligned pairs?',
                    1e3 * np.median(gap))
    return PoseJointSet(poses, joints, {
        'source': f'iknet recording {Path(kinematics_pose_csv).name}',
        'pairing': pairing, 'fk_gap_median_m': float(np.median(gap))})
