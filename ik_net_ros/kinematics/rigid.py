"""
Rigid transforms as poses [x, y, z, qx, qy, qz, qw], vectorised over rows.

A pose ``a`` read as a transform maps points of its child frame into its parent frame;
:func:`compose` (a, b) is the transform a * b (b's child frame into a's parent frame).
"""

from __future__ import annotations

import math

from ik_net_ros.kinematics.rotations import canonical_quat, quat_mul, quat_to_matrix
import numpy as np

__all__ = ['IDENTITY', 'compose', 'invert', 'matrix_to_quat', 'rotvec_to_quat',
           'quat_to_rotvec', 'pose_from_xyz_rpy', 'xyz_rpy_from_pose', 'perturb']

IDENTITY = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0)


def _rows(pose) -> tuple[np.ndarray, bool]:
    arr = np.asarray(pose, dtype=float)
    return arr.reshape(-1, 7), arr.ndim == 1


def compose(a, b) -> np.ndarray:
    """Return the transform a * b of poses (7,) or (N, 7) (a row broadcasts)."""
    (pa, sa), (pb, sb) = _rows(a), _rows(b)
    ra = quat_to_matrix(pa[:, 3:])
    n = max(len(pa), len(pb))
    t = np.einsum('nij,nj->ni', np.broadcast_to(ra, (n, 3, 3)),
                  np.broadcast_to(pb[:, :3], (n, 3))) + pa[:, :3]
    q = quat_mul(np.broadcast_to(pa[:, 3:], (n, 4)), np.broadcast_to(pb[:, 3:], (n, 4)))
    out = np.concatenate([t, canonical_quat(q / np.linalg.norm(q, axis=1, keepdims=True))], 1)
    return out[0] if sa and sb else out


def invert(a) -> np.ndarray:
    """Return the inverse transform of poses (7,) or (N, 7)."""
    p, single = _rows(a)
    q = p[:, 3:] * np.array([-1.0, -1.0, -1.0, 1.0])
    t = -np.einsum('nij,nj->ni', quat_to_matrix(q), p[:, :3])
    out = np.concatenate([t, canonical_quat(q)], 1)
    return out[0] if single else out


def matrix_to_quat(r: np.ndarray) -> np.ndarray:
    """Return canonical unit quaternions (N, 4) of rotation matrices (N, 3, 3) (Shepperd)."""
    r = np.asarray(r, dtype=float).reshape(-1, 3, 3)
    tr = np.trace(r, axis1=1, axis2=2)
    diag = np.stack([r[:, 0, 0], r[:, 1, 1], r[:, 2, 2], tr], 1)
    k = np.argmax(diag, axis=1)  # the largest of 4w^2-1, 4x^2-1...: no cancellation
    q = np.empty((len(r), 4))
    for i in range(4):
        m = r[k == i]
        if i == 3:
            w = 0.5 * np.sqrt(1.0 + m[:, 0, 0] + m[:, 1, 1] + m[:, 2, 2])
            q[k == i] = np.stack([(m[:, 2, 1] - m[:, 1, 2]) / (4 * w),
                                  (m[:, 0, 2] - m[:, 2, 0]) / (4 * w),
                                  (m[:, 1, 0] - m[:, 0, 1]) / (4 * w), w], 1)
            continue
        j, k2 = (i + 1) % 3, (i + 2) % 3
        s = 0.5 * np.sqrt(np.maximum(1.0 + m[:, i, i] - m[:, j, j] - m[:, k2, k2], 0.0))
        part = np.empty((len(m), 4))
        part[:, i] = s
        part[:, j] = (m[:, j, i] + m[:, i, j]) / (4 * s)
        part[:, k2] = (m[:, k2, i] + m[:, i, k2]) / (4 * s)
        part[:, 3] = (m[:, k2, j] - m[:, j, k2]) / (4 * s)
        q[k == i] = part
    return canonical_quat(q / np.linalg.norm(q, axis=1, keepdims=True))


def rotvec_to_quat(v) -> np.ndarray:
    """Return quaternions (N, 4) of rotation vectors (N, 3) (axis times angle, rad)."""
    v = np.asarray(v, dtype=float).reshape(-1, 3)
    angle = np.linalg.norm(v, axis=1, keepdims=True)
    # sin(a/2)/a stays accurate near 0 through its series
    k = np.where(angle > 1e-8, np.sin(0.5 * angle) / np.maximum(angle, 1e-300),
                 0.5 - angle ** 2 / 48.0)
    return np.concatenate([v * k, np.cos(0.5 * angle)], 1)


def quat_to_rotvec(q) -> np.ndarray:
    """Return rotation vectors (N, 3) of unit quaternions (N, 4), angles in [0, pi]."""
    q = canonical_quat(np.asarray(q, dtype=float).reshape(-1, 4))
    n = np.linalg.norm(q[:, :3], axis=1, keepdims=True)
    angle = 2.0 * np.arctan2(n, q[:, 3:])
    return q[:, :3] * np.where(n > 1e-12, angle / np.maximum(n, 1e-300), 2.0)


def perturb(pose, delta) -> np.ndarray:
    """Return ``pose`` (7,) moved by ``delta`` (6,): a translation (m), a rotation vector (rad)."""
    pose = np.asarray(pose, dtype=float)
    q = quat_mul(pose[None, 3:], rotvec_to_quat(delta[3:]))[0]
    return np.concatenate([pose[:3] + delta[:3], canonical_quat(q / np.linalg.norm(q))])


def pose_from_xyz_rpy(values) -> np.ndarray:
    """Return the pose (7,) of [x, y, z] (m) and fixed-axis roll, pitch, yaw (deg): Rz Ry Rx."""
    x, y, z, roll, pitch, yaw = (float(v) for v in values)
    half = [math.radians(a) / 2 for a in (roll, pitch, yaw)]
    cr, sr = math.cos(half[0]), math.sin(half[0])
    cp, sp = math.cos(half[1]), math.sin(half[1])
    cy, sy = math.cos(half[2]), math.sin(half[2])
    q = np.array([sr * cp * cy - cr * sp * sy, cr * sp * cy + sr * cp * sy,
                  cr * cp * sy - sr * sp * cy, cr * cp * cy + sr * sp * sy])
    return np.concatenate([[x, y, z], canonical_quat(q[None])[0]])


def xyz_rpy_from_pose(pose) -> list[float]:
    """Return [x, y, z] (m) and roll, pitch, yaw (deg) of a pose (7,): the inverse of the above."""
    pose = np.asarray(pose, dtype=float)
    r = quat_to_matrix(pose[3:])
    pitch = math.asin(max(-1.0, min(1.0, -r[2, 0])))
    roll = math.atan2(r[2, 1], r[2, 2])
    yaw = math.atan2(r[1, 0], r[0, 0])
    return [float(v) for v in pose[:3]] + [math.degrees(a) for a in (roll, pitch, yaw)]
