"""
Forward kinematics and the analytic Jacobian of the OpenMANIPULATOR-X (numpy, vectorised).

With c2 = cos q2, s23 = sin(q2 + q3) etc. and the tool pitch phi = q2 + q3 + q4 (positive =
tool pointing down), the tool is at distance r from the joint1 axis and height z:
    r = ax c2 + az s2 + l3 c23 + l4 c234
    z = z0 + az c2 - ax s2 - l3 s23 - l4 s234
    x = x1 + r cos q1,  y = r sin q1,  orientation = Rz(q1) Ry(phi).

An arm whose joint axes lean (``ArmGeometry.axis_tilts``) is not planar: its tool pose is the
product of each joint's transform, and its Jacobian is each joint's axis crossed with the lever to
the tool (:func:`_tilted_chain`).
"""

from __future__ import annotations

import functools

from ik_net_ros.kinematics.geometry import ArmGeometry, DEFAULT_GEOMETRY
from ik_net_ros.kinematics.rigid import matrix_to_quat
from ik_net_ros.kinematics.rotations import quat_from_yaw_pitch
from ik_net_ros.kinematics.validation import as_joint_array
import numpy as np

__all__ = ['forward_kinematics', 'planar_forward', 'jacobian', 'lean_rotations',
           'leaning_reach', 'leaning_points']


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
    if geometry.has_tilts:
        pose = _tilted_chain(q, geometry)[0]
        return pose[0] if single else pose
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
    if g.has_tilts:
        jac = _tilted_jacobian(q, g)
        return jac[0] if single else jac
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


def _rotation(axis: int, angle) -> np.ndarray:
    """Return rotations (N, 3, 3) (or (3, 3) for a scalar angle) about axis 0, 1 or 2."""
    c, s = np.cos(angle), np.sin(angle)
    out = np.zeros(np.shape(angle) + (3, 3))
    i, j = [(1, 2), (2, 0), (0, 1)][axis]
    out[..., axis, axis] = 1.0
    out[..., i, i] = c
    out[..., j, j] = c
    out[..., i, j] = -s
    out[..., j, i] = s
    return out


@functools.lru_cache(maxsize=16)
def lean_rotations(tilts: tuple[float, ...]) -> tuple[np.ndarray, ...]:
    """Return the fixed rotation (3, 3) of each joint's leaning axis (a geometry's constants)."""
    out = [_rotation(0, tilts[0]) @ _rotation(1, tilts[1])]
    out += [_rotation(0, tilts[k]) @ _rotation(2, tilts[k + 1]) for k in (2, 4, 6)]
    return tuple(out)


def _tilted_chain(q: np.ndarray, g: ArmGeometry, quaternion: bool = True
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """
    Return the tool pose (N, 7), each joint's axis and origin (N, 4, 3), the tool's rotation.

    For link angles (N, 4) of an arm whose joint axes lean, along the chain of ``ArmGeometry``:
    joint1 at (joint1_x, 0, base_height) turning about its axis tilted about x then y; joint2
    ``shoulder_height`` up that axis; each of joints 2-4 turning about its y axis tilted about x
    then z; the links between them as in :func:`planar_forward`. With no tilt this is the planar
    arm exactly (tests). ``quaternion`` False leaves the pose's orientation unset (a Jacobian
    needs only the axes).
    """
    leans = lean_rotations(g.axis_tilts)
    lean = leans[0]
    axes, origins = np.empty((len(q), 4, 3)), np.empty((len(q), 4, 3))
    axes[:, 0] = lean[:, 2]
    origins[:, 0] = (g.joint1_x, 0.0, g.base_height)
    rot = lean @ _rotation(2, q[:, 0])
    pos = origins[:, 0] + rot[:, :, 2] * g.shoulder_height
    links = ((g.upper_arm_x, 0.0, g.upper_arm_z), (g.forearm, 0.0, 0.0), (g.tool, 0.0, 0.0))
    for k, link in enumerate(links):
        rot = rot @ leans[k + 1]
        axes[:, k + 1], origins[:, k + 1] = rot[:, :, 1], pos  # turning about y keeps y
        rot = rot @ _rotation(1, q[:, 1 + k])
        pos = pos + rot @ np.array(link)
    pose = np.empty((len(q), 7))
    pose[:, :3] = pos
    if quaternion:
        pose[:, 3:] = matrix_to_quat(rot)
    return pose, axes, origins, rot


def _tilted_jacobian(q: np.ndarray, g: ArmGeometry) -> np.ndarray:
    """Return the geometric Jacobian (N, 6, 4) of link angles: axis x (tool - origin), axis."""
    pose, axes, origins, _ = _tilted_chain(q, g, quaternion=False)
    jac = np.empty((len(q), 6, 4))
    jac[:, :3] = _lever_jacobian(pose, axes, origins)
    jac[:, 3:] = np.swapaxes(axes, 1, 2)
    return jac


def _lever_jacobian(pose: np.ndarray, axes: np.ndarray, origins: np.ndarray) -> np.ndarray:
    """Return the tool position's Jacobian (N, 3, 4): each joint's axis x its lever to the tool."""
    return np.swapaxes(np.cross(axes, pose[:, None, :3] - origins), 1, 2)


def leaning_reach(joints: np.ndarray, geometry: ArmGeometry) -> tuple[np.ndarray, np.ndarray]:
    """
    Return the tool's position and pitch (N, 4) of commanded joints (N, 4), and their Jacobian.

    The 4th value is the tool x axis's height component times the tool length (m: ``-sin`` of
    the pitch, scaled like a position), which a 4-DOF arm's answer fixes besides the position.
    One pass along the chain of an arm whose axes may lean, without the quaternion: what a
    refinement for such an arm needs per step. Jacobian (N, 4, 4).
    """
    q = np.asarray(joints, dtype=float) + np.asarray(geometry.joint_offsets)
    pose, axes, origins, rot = _tilted_chain(q, geometry, quaternion=False)
    tool_x = rot[:, :, 0]
    values = np.concatenate([pose[:, :3], geometry.tool * tool_x[:, 2:]], axis=1)
    jac = np.empty((len(q), 4, 4))
    jac[:, :3] = _lever_jacobian(pose, axes, origins)
    jac[:, 3] = geometry.tool * np.cross(axes, tool_x[:, None, :])[:, :, 2]
    return values, jac


def leaning_points(angles: np.ndarray, geometry: ArmGeometry) -> np.ndarray:
    """
    Return joint2, joint3, joint4 and the tool (N, 4, 3) of link angles (N, 4), m, base frame.

    Along the chain of an arm whose axes may lean (``angles`` are the links' angles: the joint
    offsets added already): where its links really are, for the collision model.
    """
    pose, _, origins, _ = _tilted_chain(np.asarray(angles, float), geometry, quaternion=False)
    return np.concatenate([origins[:, 1:], pose[:, None, :3]], axis=1)
