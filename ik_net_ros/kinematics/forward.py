"""
Forward kinematics and the geometric Jacobian of an arm: the one chain, under the old names.

Every function here is :mod:`ik_net_ros.kinematics.chain` (the one chain formula of any arm,
its errors included: offsets, origin deltas, leaning axes) seen from what the planar closed
form and the refinements ask: the tool pose, its Jacobian, the planar (r, z) of joints 2-4, the
tool's position and pitch with their Jacobian. ``arm``: an :class:`~ik_net_ros.arm.Arm` (None:
ROBOTIS's humble OM-X).
"""

from __future__ import annotations

from dataclasses import replace
import functools

from ik_net_ros.arm import arm_or_default
from ik_net_ros.kinematics.chain import (
    _axis_rotation,
    chain_forward,
    chain_jacobian,
    chain_tool,
    tilt_axes,
)
from ik_net_ros.kinematics.planar_ik import planar_of
import numpy as np

__all__ = ['forward_kinematics', 'planar_forward', 'jacobian', 'lean_rotations',
           'leaning_reach', 'leaning_points']


def forward_kinematics(joints, arm=None) -> np.ndarray:
    """
    Tool poses of joint configurations.

    Parameters
    ----------
    joints
        (dof,) or (N, dof) joint1..jointN in rad (limits are not checked here).
    arm
        The arm (default: ROBOTIS's humble OM-X, base height 0.017 m), its errors included.

    Returns
    -------
    (7,) or (N, 7) [x, y, z, qx, qy, qz, qw] in metres, base frame; unit quaternion with
    qw >= 0 (see :func:`~ik_net_ros.kinematics.rotations.canonical_quat`).

    Raises
    ------
    InvalidJointsError
        Wrong shape or NaN/inf.

    """
    return chain_forward(arm_or_default(arm), joints)


def jacobian(joints, arm=None) -> np.ndarray:
    """
    Geometric Jacobian of the tool.

    Parameters
    ----------
    joints
        (dof,) or (N, dof) in rad.
    arm
        The arm (default: ROBOTIS's humble OM-X), its errors included.

    Returns
    -------
    (6, dof) or (N, 6, dof): rows 0-2 the tool's linear velocity (m/rad) in the base frame,
    rows 3-5 its angular velocity (rad/rad) in the base frame, per unit joint velocity.

    Raises
    ------
    InvalidJointsError
        Wrong shape or NaN/inf.

    """
    return chain_jacobian(arm_or_default(arm), joints)


@functools.lru_cache(maxsize=64)
def _link_angle_arm(arm):
    """Return ``arm`` upright with its offsets zeroed: its chain takes link angles."""
    upright = arm.upright()
    return upright.with_errors(replace(upright.errors, offsets=(0.0,) * arm.dof))


def planar_forward(q2, q3, q4, arm=None):
    """
    (r, z) of the tool in a planar arm's vertical plane for link angles of joints 2-4 (rad).

    The chain of ``arm.upright()`` at joint1 = 0 (and a roll of 0), offsets not added: r the
    tool's distance along the arm's plane from joint1's axis, z its height, m.
    """
    arm = _link_angle_arm(arm_or_default(arm))
    x1 = planar_of(arm).joint1_x
    q2, q3, q4 = np.broadcast_arrays(*(np.asarray(v, float) for v in (q2, q3, q4)))
    q = np.zeros(q2.shape + (arm.dof,))
    q[..., 1], q[..., 2], q[..., 3] = q2, q3, q4
    tool = chain_tool(arm, q.reshape(-1, arm.dof))[0]  # NaN in, NaN out: no validation
    return (tool[:, 0] - x1).reshape(q2.shape), tool[:, 2].reshape(q2.shape)


@functools.lru_cache(maxsize=16)
def lean_rotations(tilts: tuple[float, ...], arm=None) -> tuple[np.ndarray, ...]:
    """
    Return the fixed rotation (3, 3) of each joint's leaning axis (an arm's constants).

    ``tilts``: two angles per joint, flat (the chain's rule: about the two coordinate axes other
    than the one nearest the joint's axis, the lower-indexed first).
    """
    arm = arm_or_default(arm)
    out = []
    for k, joint in enumerate(arm.joints):
        first, second = tilt_axes(np.array(joint.axis))
        out.append(_axis_rotation(np.eye(3)[first], tilts[2 * k])
                   @ _axis_rotation(np.eye(3)[second], tilts[2 * k + 1]))
    return tuple(out)


def leaning_reach(joints: np.ndarray, arm) -> tuple[np.ndarray, np.ndarray]:
    """
    Return the tool's position and pitch (N, 4) of commanded joints (N, dof), and their Jacobian.

    The 4th value is the tool x axis's height component times the tool length (m: ``-sin`` of
    the pitch, scaled like a position), which a planar arm's answer fixes besides the position.
    One pass along the chain of an arm whose axes may lean, without the quaternion: what a
    refinement for such an arm needs per step. Jacobian (N, 4, dof).
    """
    arm = arm_or_default(arm)
    tool_length = planar_of(arm).tool
    position, rotation, axes, origins = chain_tool(arm, joints)
    tool_x = rotation[:, :, 0]
    values = np.concatenate([position, tool_length * tool_x[:, 2:]], axis=1)
    jac = np.empty((len(values), 4, arm.dof))
    jac[:, :3] = np.swapaxes(np.cross(axes, position[:, None, :] - origins), 1, 2)
    jac[:, 3] = tool_length * np.cross(axes, tool_x[:, None, :])[:, :, 2]
    return values, jac


def leaning_points(angles: np.ndarray, arm) -> np.ndarray:
    """
    Return joint2 .. the last joint's origin and the tool (N, dof, 3) of link angles, m.

    Along the chain of an arm whose axes may lean (``angles`` (N, dof) are the links' angles:
    the joint offsets added already): where its links really are, for the collision model.
    """
    arm = arm_or_default(arm)
    plain = arm.with_errors(replace(arm.errors, offsets=(0.0,) * arm.dof))
    position, _, _, origins = chain_tool(plain, np.asarray(angles, float))
    return np.concatenate([origins[:, 1:], position[:, None, :]], axis=1)
