"""
Synthetic data of any arm: joints uniform in its real limits -> the chain's FK -> pose.

Labelled by the closed form's no-seed branch rule so that the pose -> joints map a network learns
is single-valued: a planar arm's (:func:`~ik_net_ros.kinematics.inverse.pick_branch`, elbow up
where inside the limits); a Universal-Robots-layout arm's (the OMY:
:func:`~ik_net_ros.kinematics.ur_branches.family_solution`), the home pose's branch family with
each joint the turn of its value nearest home's.
"""

from __future__ import annotations

from ik_net_ros.arm import Arm, arm_or_default
from ik_net_ros.data.dataset import PoseJointSet
from ik_net_ros.errors import DatasetError
from ik_net_ros.kinematics import inverse_kinematics
from ik_net_ros.kinematics.chain import chain_forward
from ik_net_ros.kinematics.limits import sample_joints
from ik_net_ros.kinematics.planar import is_planar
from ik_net_ros.kinematics.ur_branches import family_configurations, home_branch
from ik_net_ros.kinematics.ur_layout import is_ur_layout
import numpy as np

__all__ = ['make_synthetic', 'MAX_DRAWS']

# draws of ``rows`` joint vectors a UR-layout arm may take to find ``rows`` poses its family
# reaches (on the OMY about 3 in 4 drawn poses are: one draw or two)
MAX_DRAWS = 20


def make_synthetic(rows: int, seed: int = 0, arm: Arm | None = None) -> PoseJointSet:
    """
    Return ``rows`` pose/joint pairs of ``arm`` (None: the OM-X).

    Joints are drawn uniformly inside the arm's real limits; the pose is the chain's forward
    kinematics (the arm's errors included); the label of each pose is the closed-form solution
    picked by the no-seed branch rule (e.g. elbow up when inside the limits), which differs from
    the drawn joints for the poses where several branches fit. On a Universal-Robots-layout arm
    (the OMY) the rule is one branch family, the home pose's (on the OMY branch 0: the wrist
    centre in front of joint1, elbow bent, sin q5 > 0), each joint the value q + 2 pi k inside the
    limits nearest home's: within one family each pose has one solution, so the pose -> joints
    map is a function a regression can learn (several families would be averaged), and it is
    the family the arm rests in. Poses that family cannot reach inside the limits are drawn
    again, so every row's label is exact (``metadata['labels']`` names the family).

    Raises
    ------
    ik_net_ros.kinematics.planar.NotPlanarError
        An arm of a shape with no closed form here.
    ik_net_ros.kinematics.ur_layout.NotURLayoutError
        A UR-layout arm whose axes lean (a calibration's tilts): no exact labels.
    DatasetError
        The family reaches too few of the drawn poses (an arm whose limits exclude it).

    """
    arm = arm_or_default(arm)
    rng = np.random.default_rng(seed)
    if not is_planar(arm) and is_ur_layout(arm.upright()):
        poses, joints, rule = _ur_rows(arm, rows, rng)
    else:
        drawn = sample_joints(arm, rows, rng)
        poses = chain_forward(arm, drawn)
        labels = inverse_kinematics(poses, arm)
        # every drawn pose is reachable by construction; keep the drawn joints if rounding ever
        # says otherwise, so no row is lost or NaN
        joints = np.where(labels.reachable[:, None], labels.joints, drawn)
        rule = 'closed form, no-seed branch rule'
    return PoseJointSet(poses, joints, {'source': 'synthetic', 'seed': seed, 'arm': arm.name,
                                        'arm_digest': arm.digest, 'labels': rule})


def _ur_rows(arm: Arm, rows: int, rng: np.random.Generator):
    """Return (poses, labels, rule): ``rows`` poses of a UR-layout arm its home family reaches."""
    branch = home_branch(arm)  # raises NotURLayoutError for leaning axes
    poses, joints, found = [], [], 0
    for _ in range(MAX_DRAWS):
        drawn = sample_joints(arm, rows, rng)
        label = family_configurations(arm, drawn, branch)  # the babble's rule too
        poses.append(chain_forward(arm, drawn[label.found]))
        joints.append(label.joints[label.found])
        found += int(label.found.sum())
        if found >= rows:
            break
    else:
        raise DatasetError(f"{arm.name}: branch {branch} (the home pose's) reaches {found} of "
                           f'{MAX_DRAWS * rows} drawn poses, fewer than the {rows} asked for')
    rule = (f'UR closed form, no-seed branch rule: the home family (branch {branch}), each joint '
            'the turn nearest home')
    return np.concatenate(poses)[:rows], np.concatenate(joints)[:rows], rule
