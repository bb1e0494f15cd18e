"""
Accuracy of joints against target poses.

The figures the evaluation command, the model cards and the benchmark report.
"""

from __future__ import annotations

from ik_net_ros.arm import Arm, arm_or_default
from ik_net_ros.kinematics import quat_angle
from ik_net_ros.kinematics.chain import chain_forward
from ik_net_ros.kinematics.limits import within_limits
import numpy as np

__all__ = ['pose_accuracy', 'SOLVED_MM', 'SOLVED_DEG']

SOLVED_MM, SOLVED_DEG = 1.0, 1.0


CHUNK = 1 << 17  # rows of one forward-kinematics call


def pose_accuracy(poses: np.ndarray, joints: np.ndarray, labels: np.ndarray | None = None,
                  arm: Arm | None = None) -> dict[str, float]:
    """
    Tool errors of ``joints`` (N, dof) of ``arm`` (None: the OM-X) against target ``poses`` (N, 7).

    The tool is where ``arm``'s chain (its errors included) puts it.

    Returns a dict: position error in mm and orientation error in degrees (median, p95, p99, max,
    mean), the share solved within 1 mm and 1 degree, the share inside the joint limits, and the
    joint MSE (rad^2) against ``labels`` when given.
    """
    arm = arm_or_default(arm)
    pos_mm, rot_deg = np.empty(len(poses)), np.empty(len(poses))
    for i in range(0, len(poses), CHUNK):  # FK's temporaries for a chunk, not for millions
        reached = chain_forward(arm, joints[i:i + CHUNK])
        pos_mm[i:i + CHUNK] = 1e3 * np.linalg.norm(reached[:, :3] - poses[i:i + CHUNK, :3],
                                                   axis=1)
        rot_deg[i:i + CHUNK] = np.degrees(quat_angle(reached[:, 3:], poses[i:i + CHUNK, 3:]))
    out = {'count': int(len(poses))}
    for name, err in (('position_mm', pos_mm), ('orientation_deg', rot_deg)):
        out[f'{name}_mean'] = float(err.mean())
        out[f'{name}_median'] = float(np.median(err))
        for q in (95, 99):
            out[f'{name}_p{q}'] = float(np.percentile(err, q))
        out[f'{name}_max'] = float(err.max())
    out['solved_share'] = float(np.mean((pos_mm < SOLVED_MM) & (rot_deg < SOLVED_DEG)))
    out['solved_0.1mm_0.1deg_share'] = float(np.mean((pos_mm < 0.1) & (rot_deg < 0.1)))
    out['inside_limits_share'] = float(np.mean(within_limits(arm, joints)))
    if labels is not None:
        out['joint_mse'] = float(np.mean((joints - labels) ** 2))
    return out
