"""
Forward kinematics and the analytic Jacobian of the OpenMANIPULATOR-X (numpy, vectorised).

With c2 = cos q2, s23 = sin(q2 + q3) etc. and the tool pitch phi = q2 + q3 + q4 (positive =
tool pointing down), the tool is at distance r from the joint1 axis and height z:
    r = ax c2 + az s2 + l3 c23 + l4 c234
    z = z0 + az c2 - ax s2 - l3 s23 - l4 s234
    x = x1 + r cos q1,  y = r sin q1,  orientation = Rz(q1) Ry(phi).
"""

from __future__ import annotations

from ik_net_ros.kinematics.geometry import ArmGeometry, DEFAULT_GEOMETRY
from ik_net_ros.kinematics.rotations import quat_from_yaw_pitch
from ik_net_ros.kinematics.validation import as_joint_array
import numpy as np

__all__ = ['forward_kinematics', 'planar_forward', 'jacobian']


def planar_forward(q2, q3, q4, geometry: ArmGeometry = DEFAULT_GEOMETRY):
    """(r, z) of the tool in the arm's vertical plane for joints 2-4 (arrays, rad)."""
    g = geometry
    a2, a23, a234 = q2, q2 + q3, q2 + q3 + q4
    r = (g.upper_arm_x * np.cos(a2) + g.upper_arm_z * np.sin(a2) + g.forearm * np.cos(a23)
         + g.tool * np.cos(a234))
    z = (g.shoulder_z + g.upper_arm_z * np.cos(a2) - g.upper_arm_x * np.sin(a2)
         - g.forearm * np.sin(a23) - g.tool * np.sin(a234))
    return r, z


def forward_kinematics(joints, geometry: ArmGeometry = DEFAULT_GEOMETRY) -> np.ndarray:
    """
    Tool poses of joint configurations.

    Parameters
    ----------
    joints
        (4,) or (N, 4) joint1..joint4 in rad (limits are not checked here).
    geometry
        The arm's geometry (base height 0.017 m by default).

    Returns
    -------
    (7,) or (N, 7) [x, y, z, qx, qy, qz, qw] in metres, base frame; unit quaternion with
    qw >= 0 (see :func:`~ik_net_ros.kinematics.rotations.canonical_quat`).

    Raises
    ------
    InvalidJointsError
        Wrong shape or NaN/inf.

    """
    q, single = as_joint_array(joints)
    if geometry.has_offsets:
        q = q + np.asarray(geometry.joint_offsets)
    q1, q2, q3, q4 = q.T
    r, z = planar_forward(q2, q3, q4, geometry)
    pose = np.empty((q.shape[0], 7))
    pose[:, 0] = geometry.joint1_x + r * np.cos(q1)
    pose[:, 1] = r * np.sin(q1)
    pose[:, 2] = z
    pose[:, 3:] = quat_from_yaw_pitch(q1, q2 + q3 + q4)
    return pose[0] if single else pose


def jacobian(joints, geometry: ArmGeometry = DEFAULT_GEOMETRY) -> np.ndarray:
    """
    Geometric Jacobian of the tool.

    Parameters
    ----------
    joints
        (4,) or (N, 4) in rad.
    geometry
        The arm's geometry (default: ROBOTIS's humble description).

    Returns
    -------
    (6, 4) or (N, 6, 4): rows 0-2 the tool's linear velocity (m/rad) in the base frame,
    rows 3-5 its angular velocity (rad/rad) in the base frame, per unit joint velocity.

    """
    q, single = as_joint_array(joints)
    g = geometry
    if g.has_offsets:
        q = q + np.asarray(g.joint_offsets)
    q1, q2, q3, q4 = q.T
    s2, c2 = np.sin(q2), np.cos(q2)
    s23, c23 = np.sin(q2 + q3), np.cos(q2 + q3)
    s234, c234 = np.sin(q2 + q3 + q4), np.cos(q2 + q3 + q4)
    s1, c1 = np.sin(q1), np.cos(q1)
    r, _ = planar_forward(q2, q3, q4, g)
    # d(r, z)/d(q2, q3, q4)
    dr4 = -g.tool * s234
    dr3 = -g.forearm * s23 + dr4
    dr2 = -g.upper_arm_x * s2 + g.upper_arm_z * c2 + dr3
    dz4 = -g.tool * c234
    dz3 = -g.forearm * c23 + dz4
    dz2 = -g.upper_arm_z * s2 - g.upper_arm_x * c2 + dz3
    jac = np.zeros((q.shape[0], 6, 4))
    jac[:, 0, 0] = -r * s1
    jac[:, 1, 0] = r * c1
    for col, (dr, dz) in enumerate(((dr2, dz2), (dr3, dz3), (dr4, dz4)), start=1):
        jac[:, 0, col] = dr * c1
        jac[:, 1, col] = dr * s1
        jac[:, 2, col] = dz
        # joints 2-4 turn about the y axis of the frame after joint1: (-sin q1, cos q1, 0)
        jac[:, 3, col] = -s1
        jac[:, 4, col] = c1
    jac[:, 5, 0] = 1.0
    return jac[0] if single else jac
