"""
Layer 1: the OpenMANIPULATOR-X as numbers (numpy).

The torch twin of forward kinematics is in :mod:`ik_net_ros.kinematics.torch_fk`, imported only
where gradients are needed.
"""

from ik_net_ros.kinematics.forward import forward_kinematics, jacobian, planar_forward
from ik_net_ros.kinematics.geometry import (
    ArmGeometry,
    clamp_one,
    clamp_to_limits,
    DEFAULT_GEOMETRY,
    geometry_for,
    GEOMETRY_OF_DESCRIPTION,
    HOME_POSE,
    JAZZY_GEOMETRY,
    JOINT_LOWER,
    JOINT_NAMES,
    JOINT_UPPER,
    ROBOTIS_DESCRIPTIONS,
    sample_joints,
    VELOCITY_LIMIT,
    within_limits,
    within_limits_one,
)
from ik_net_ros.kinematics.inverse import (
    ik_solutions,
    IkResult,
    IkSolutions,
    inverse_kinematics,
    pick_branch,
    REASONS,
)
from ik_net_ros.kinematics.projection import is_reachable, project_and_solve, project_pose
from ik_net_ros.kinematics.rotations import canonical_quat, quat_angle, quat_to_matrix
from ik_net_ros.kinematics.validation import as_joint_array, as_pose_array

__all__ = [
    'ArmGeometry', 'DEFAULT_GEOMETRY', 'JAZZY_GEOMETRY', 'ROBOTIS_DESCRIPTIONS',
    'GEOMETRY_OF_DESCRIPTION', 'geometry_for',
    'JOINT_NAMES', 'JOINT_LOWER',
    'JOINT_UPPER', 'VELOCITY_LIMIT', 'HOME_POSE', 'clamp_to_limits', 'clamp_one', 'within_limits',
    'within_limits_one',
    'forward_kinematics', 'planar_forward', 'jacobian', 'inverse_kinematics', 'ik_solutions',
    'IkResult', 'IkSolutions', 'REASONS', 'pick_branch', 'project_pose', 'project_and_solve',
    'is_reachable', 'canonical_quat',
    'quat_angle', 'quat_to_matrix', 'as_pose_array', 'as_joint_array', 'sample_joints',
]
