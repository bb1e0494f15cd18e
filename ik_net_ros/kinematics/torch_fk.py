"""
Torch twin of :func:`ik_net_ros.kinematics.forward.forward_kinematics`, differentiable.

For task-space training losses: the one chain's torch twin
(:func:`~ik_net_ros.kinematics.chain_torch.chain_forward_torch`) under its old name, same
quaternion sign convention (qw >= 0), any arm, its errors (offsets, leaning axes) included.
"""

from __future__ import annotations

from ik_net_ros.arm import arm_or_default
from ik_net_ros.kinematics.chain_torch import chain_forward_torch

__all__ = ['forward_kinematics_torch']


def forward_kinematics_torch(joints, arm=None):
    """
    Return tool poses (N, 7) [x, y, z, qx, qy, qz, qw] of joints (N, dof) in rad; differentiable.

    ``arm``: an :class:`~ik_net_ros.arm.Arm` (None: ROBOTIS's humble OM-X).

    Raises
    ------
    ValueError
        ``joints`` is not (N, dof).

    """
    return chain_forward_torch(arm_or_default(arm), joints)
