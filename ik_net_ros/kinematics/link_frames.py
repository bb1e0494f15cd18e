"""
The pose of each link of the OpenMANIPULATOR-X's chain, as ROBOTIS's description names them.

``link1`` is the base (the ``world_fixed`` joint puts it on ``world``); ``jointK`` turns
``link(K+1)`` at its origin; ``end_effector_link`` sits ``tool`` m along ``link5``'s x axis. The
chain is :func:`~ik_net_ros.kinematics.forward._tilted_chain`'s, with each joint's leaning axis
where the geometry has one, so ``end_effector_link`` is exactly
:func:`~ik_net_ros.kinematics.forward.forward_kinematics`'s tool pose (tested).
"""

from __future__ import annotations

from ik_net_ros.kinematics.forward import lean_rotations
from ik_net_ros.kinematics.geometry import ArmGeometry
from ik_net_ros.kinematics.rigid import matrix_to_quat
from ik_net_ros.kinematics.validation import as_joint_array
import numpy as np

__all__ = ['LINK_NAMES', 'link_poses']

LINK_NAMES = ('link1', 'link2', 'link3', 'link4', 'link5', 'end_effector_link')


def _turn(axis: int, angle: float) -> np.ndarray:
    """Return the rotation (3, 3) by ``angle`` rad about axis 0 (x), 1 (y) or 2 (z)."""
    c, s = np.cos(angle), np.sin(angle)
    out = np.eye(3)
    i, j = [(1, 2), (2, 0), (0, 1)][axis]
    out[i, i] = out[j, j] = c
    out[i, j], out[j, i] = -s, s
    return out


def link_poses(joints, geometry: ArmGeometry) -> dict[str, list[float]]:
    """
    Return each link's pose [x, y, z, qx, qy, qz, qw] (m, base frame) for one configuration.

    Parameters
    ----------
    joints
        (4,) joint1..joint4 in rad (limits are not checked here).
    geometry
        The arm's geometry: joint offsets and leaning axes included.

    Raises
    ------
    InvalidJointsError
        Wrong shape or NaN/inf.

    """
    q, _ = as_joint_array(joints)
    q = q[0] + np.asarray(geometry.joint_offsets)
    g = geometry
    leans = lean_rotations(g.axis_tilts)
    frames = [(np.zeros(3), np.eye(3))]  # link1: the base
    rot = leans[0] @ _turn(2, q[0])
    pos = np.array([g.joint1_x, 0.0, g.base_height])
    frames.append((pos, rot))  # link2, turned by joint1
    pos = pos + rot[:, 2] * g.shoulder_height
    for k, link in enumerate(((g.upper_arm_x, 0.0, g.upper_arm_z), (g.forearm, 0.0, 0.0),
                              (g.tool, 0.0, 0.0))):
        rot = rot @ leans[k + 1] @ _turn(1, q[1 + k])
        frames.append((pos, rot))  # link3, link4, link5, turned by joint2..joint4
        pos = pos + rot @ np.array(link)
    frames.append((pos, rot))  # end_effector_link
    return {name: [*map(float, p), *map(float, matrix_to_quat(r)[0])]  # canonical: qw >= 0
            for name, (p, r) in zip(LINK_NAMES, frames)}
