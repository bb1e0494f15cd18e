"""
Torch twin of :func:`ik_net_ros.kinematics.forward.forward_kinematics`, differentiable.

For task-space training losses. Same formulas, same quaternion sign convention (qw >= 0).
"""

from __future__ import annotations

from ik_net_ros.kinematics.geometry import ArmGeometry, DEFAULT_GEOMETRY
import torch

__all__ = ['forward_kinematics_torch']


def forward_kinematics_torch(joints: torch.Tensor,
                             geometry: ArmGeometry = DEFAULT_GEOMETRY) -> torch.Tensor:
    """Tool poses (N, 7) [x, y, z, qx, qy, qz, qw] of joints (N, 4) in rad; differentiable."""
    g = geometry
    if g.has_offsets:
        joints = joints + joints.new_tensor(g.joint_offsets)
    q1, q2, q3, q4 = joints.unbind(-1)
    a23 = q2 + q3
    phi = a23 + q4
    r = (g.upper_arm_x * torch.cos(q2) + g.upper_arm_z * torch.sin(q2)
         + g.forearm * torch.cos(a23) + g.tool * torch.cos(phi))
    z = (g.shoulder_z + g.upper_arm_z * torch.cos(q2) - g.upper_arm_x * torch.sin(q2)
         - g.forearm * torch.sin(a23) - g.tool * torch.sin(phi))
    sa, ca = torch.sin(0.5 * q1), torch.cos(0.5 * q1)
    sb, cb = torch.sin(0.5 * phi), torch.cos(0.5 * phi)
    quat = torch.stack([-sa * sb, ca * sb, sa * cb, ca * cb], -1)  # (N, 4)
    # canonical sign: qw >= 0 (qw == 0 exactly has measure zero in training; keep its sign)
    sign = torch.where(quat[..., 3:] < 0, -1.0, 1.0).to(quat.dtype)
    pos = torch.stack([g.joint1_x + r * torch.cos(q1), r * torch.sin(q1), z], -1)  # (N, 3)
    return torch.cat([pos, quat * sign], -1)
