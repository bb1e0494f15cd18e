"""
Synthetic data of any arm: joints uniform in its real limits -> the chain's FK -> pose.

Labelled by the closed form's no-seed branch rule so that the pose -> joints map a network learns
is single-valued.
"""

from __future__ import annotations

from ik_net_ros.arm import Arm, arm_or_default
from ik_net_ros.data.dataset import PoseJointSet
from ik_net_ros.kinematics import inverse_kinematics
from ik_net_ros.kinematics.chain import chain_forward
from ik_net_ros.kinematics.limits import sample_joints
import numpy as np

__all__ = ['make_synthetic']


def make_synthetic(rows: int, seed: int = 0, arm: Arm | None = None) -> PoseJointSet:
    """
    Return ``rows`` pose/joint pairs of ``arm`` (None: the OM-X).

    Joints are drawn uniformly inside the arm's real limits; the pose is the chain's forward
    kinematics (the arm's errors included); the label of each pose is the closed-form solution
    picked by the no-seed branch rule (e.g. elbow up when inside the limits), which differs from
    the drawn joints for the poses where several branches fit.

    Raises
    ------
    ik_net_ros.kinematics.planar.NotPlanarError
        An arm of a shape with no closed form here.

    """
    arm = arm_or_default(arm)
    drawn = sample_joints(arm, rows, np.random.default_rng(seed))
    poses = chain_forward(arm, drawn)
    labels = inverse_kinematics(poses, arm)
    # every drawn pose is reachable by construction; keep the drawn joints if rounding ever
    # says otherwise, so no row is lost or NaN
    joints = np.where(labels.reachable[:, None], labels.joints, drawn)
    return PoseJointSet(poses, joints, {'source': 'synthetic', 'seed': seed, 'arm': arm.name,
                                        'arm_digest': arm.digest,
                                        'labels': 'closed form, no-seed branch rule'})
