"""
Layer 1: an arm as numbers (numpy): the one chain, the planar closed forms, projection, limits.

Every function takes an :class:`~ik_net_ros.arm.Arm` (None: ROBOTIS's humble OM-X); an arm's
numbers (limits, home, velocity) are the Arm's (``arm.lower``, ``arm.home``, ...). The torch
twin of forward kinematics is in :mod:`ik_net_ros.kinematics.torch_fk`, imported only where
gradients are needed.
"""

from ik_net_ros.kinematics.chain import chain_forward, chain_frames, chain_jacobian
from ik_net_ros.kinematics.forward import forward_kinematics, jacobian, planar_forward
from ik_net_ros.kinematics.inverse import (
    closed_form,
    ik_solutions,
    IkResult,
    IkSolutions,
    inverse_kinematics,
    pick_branch,
    REASONS,
)
from ik_net_ros.kinematics.limits import (
    clamp_one,
    clamp_to_limits,
    sample_joints,
    within_limits,
    within_limits_one,
)
from ik_net_ros.kinematics.planar import is_planar, NotPlanarError, planar_chain, PlanarChain
from ik_net_ros.kinematics.projection import is_reachable, project_and_solve, project_pose
from ik_net_ros.kinematics.rotations import canonical_quat, quat_angle, quat_to_matrix
from ik_net_ros.kinematics.validation import as_joint_array, as_pose_array

__all__ = [
    'clamp_to_limits', 'clamp_one', 'within_limits', 'within_limits_one', 'sample_joints',
    'chain_forward', 'chain_frames', 'chain_jacobian',
    'PlanarChain', 'planar_chain', 'NotPlanarError', 'is_planar',
    'forward_kinematics', 'planar_forward', 'jacobian', 'inverse_kinematics', 'ik_solutions',
    'IkResult', 'IkSolutions', 'REASONS', 'pick_branch', 'closed_form', 'project_pose',
    'project_and_solve', 'is_reachable', 'canonical_quat',
    'quat_angle', 'quat_to_matrix', 'as_pose_array', 'as_joint_array',
]
