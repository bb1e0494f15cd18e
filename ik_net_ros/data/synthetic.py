"""
Synthetic data: joints uniform in the limits -> forward kinematics -> pose.

Labelled by the closed form's branch rule so that the pose -> joints map a network learns is
single-valued.
"""

from __future__ import annotations

from ik_net_ros.data.dataset import PoseJointSet
from ik_net_ros.kinematics import (
    ArmGeometry,
    DEFAULT_GEOMETRY,
    forward_kinematics,
    inverse_kinematics,
    sample_joints,
)
import numpy as np

__all__ = ['make_synthetic']


def make_synthetic(rows: int, seed: int = 0,
                   geometry: ArmGeometry = DEFAULT_GEOMETRY) -> PoseJointSet:
    """
    ``rows`` pose/joint pairs.

    Joints are drawn uniformly inside the limits; the label of each pose is the closed-form
    solution picked by the branch rule (elbow up when inside the limits), which differs from the
    drawn joints for the few percent of poses where both elbows fit.
    """
    drawn = sample_joints(rows, np.random.default_rng(seed))
    poses = forward_kinematics(drawn, geometry)
    labels = inverse_kinematics(poses, geometry)
    # every drawn pose is reachable by construction; keep the drawn joints if rounding ever
    # says otherwise, so no row is lost or NaN
    joints = np.where(labels.reachable[:, None], labels.joints, drawn)
    return PoseJointSet(poses, joints, {'source': 'synthetic', 'seed': seed,
                                        'base_height': geometry.base_height,
                                        'labels': 'closed form, elbow up first'})
