"""
Quaternion helpers, vectorised over leading axes.

Quaternions are [qx, qy, qz, qw].

Three short formulas do not justify a dependency on scipy's Rotation (about 40 MB); these are
checked against independent 4x4 transform chains in the tests.
"""

from __future__ import annotations

import numpy as np

__all__ = ['quat_to_matrix', 'quat_from_yaw_pitch', 'canonical_quat', 'quat_angle', 'quat_mul',
           'pose_error']


def quat_to_matrix(quat: np.ndarray) -> np.ndarray:
    """Rotation matrices (..., 3, 3) of unit quaternions (..., 4) [x, y, z, w]."""
    x, y, z, w = np.moveaxis(np.asarray(quat, dtype=float), -1, 0)
    return np.stack([
        np.stack([1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)], -1),
        np.stack([2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)], -1),
        np.stack([2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)], -1),
    ], -2)


def quat_from_yaw_pitch(yaw: np.ndarray, pitch: np.ndarray) -> np.ndarray:
    """Canonical quaternion (..., 4) of Rz(yaw) * Ry(pitch), the only orientations of the tool."""
    sa, ca = np.sin(0.5 * yaw), np.cos(0.5 * yaw)
    sb, cb = np.sin(0.5 * pitch), np.cos(0.5 * pitch)
    quat = np.empty(np.shape(sa) + (4,))
    np.multiply(-sa, sb, out=quat[..., 0])
    np.multiply(ca, sb, out=quat[..., 1])
    np.multiply(sa, cb, out=quat[..., 2])
    np.multiply(ca, cb, out=quat[..., 3])
    return canonical_quat(quat)


def canonical_quat(quat: np.ndarray) -> np.ndarray:
    """
    Apply the sign convention of the package: qw >= 0.

    Where qw == 0, the first non-zero of (qx, qy, qz) is positive. q and -q are the same rotation;
    networks need one of them.
    """
    quat = np.array(quat, dtype=float)
    if quat.ndim == 2 and np.all(quat[:, 3] != 0.0):  # the common case: qw decides alone
        quat[quat[:, 3] < 0.0] *= -1.0
        return quat
    key = quat[..., 3].copy()
    for i in (0, 1, 2):  # tie-break on exact zeros of qw, in a fixed order
        tie = key == 0.0
        key[tie] = quat[..., i][tie]
    quat[key < 0] *= -1.0
    return quat


def quat_angle(q1: np.ndarray, q2: np.ndarray) -> np.ndarray:
    """Angle (rad) of the rotation between unit quaternions q1 and q2 (..., 4), in [0, pi]."""
    q1, q2 = np.asarray(q1, dtype=float), np.asarray(q2, dtype=float)
    sign = np.where(np.sum(q1 * q2, axis=-1, keepdims=True) < 0, -1.0, 1.0)
    # 4 atan2(|q1 - q2|, |q1 + q2|) stays accurate near 0, where 2 acos(dot) loses half the digits
    return 4.0 * np.arctan2(np.linalg.norm(q1 - sign * q2, axis=-1),
                            np.linalg.norm(q1 + sign * q2, axis=-1))


def quat_mul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Return the Hamilton products a * b of quaternions (..., 4) [x, y, z, w]."""
    ax, ay, az, aw = np.moveaxis(a, -1, 0)
    bx, by, bz, bw = np.moveaxis(b, -1, 0)
    return np.stack([aw * bx + ax * bw + ay * bz - az * by,
                     aw * by - ax * bz + ay * bw + az * bx,
                     aw * bz + ax * by - ay * bx + az * bw,
                     aw * bw - ax * bx - ay * by - az * bz], -1)


def pose_error(target: np.ndarray, current: np.ndarray) -> np.ndarray:
    """(N, 6) error target - current: position (m) and rotation vector (rad) in the base frame."""
    conj = current[:, 3:] * np.array([-1.0, -1.0, -1.0, 1.0])
    dq = quat_mul(target[:, 3:], conj)  # rotation from current to target, base frame
    dq *= np.where(dq[:, 3:] < 0, -1.0, 1.0)
    vec_norm = np.linalg.norm(dq[:, :3], axis=1, keepdims=True)
    angle = 2.0 * np.arctan2(vec_norm, dq[:, 3:])
    scale = np.where(vec_norm > 1e-12, angle / np.maximum(vec_norm, 1e-300), 2.0)
    return np.concatenate([target[:, :3] - current[:, :3], dq[:, :3] * scale], axis=1)
