"""
Torch twin of :func:`ik_net_ros.kinematics.forward.forward_kinematics`, differentiable.

For task-space training losses. Same formulas, same quaternion sign convention (qw >= 0); an arm
whose joint axes lean is computed along its chain, as
:func:`ik_net_ros.kinematics.forward._tilted_chain` does.
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
    if g.has_tilts:
        return _tilted(joints, g)
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


def _rotation(axis: int, angle: torch.Tensor) -> torch.Tensor:
    """Return rotations (N, 3, 3) about axis 0, 1 or 2 by angles (N,)."""
    c, s = torch.cos(angle), torch.sin(angle)
    one, zero = torch.ones_like(angle), torch.zeros_like(angle)
    rows = {0: [[one, zero, zero], [zero, c, -s], [zero, s, c]],
            1: [[c, zero, s], [zero, one, zero], [-s, zero, c]],
            2: [[c, -s, zero], [s, c, zero], [zero, zero, one]]}[axis]
    return torch.stack([torch.stack(row, -1) for row in rows], -2)


def _tilted(q: torch.Tensor, g: ArmGeometry) -> torch.Tensor:
    """Return tool poses (N, 7) of link angles (N, 4) along the chain of a leaning arm."""
    from ik_net_ros.kinematics.forward import lean_rotations
    leans = [q.new_tensor(lean) for lean in lean_rotations(g.axis_tilts)]
    rot = leans[0] @ _rotation(2, q[:, 0])
    pos = q.new_tensor([g.joint1_x, 0.0, g.base_height]) + rot[:, :, 2] * g.shoulder_height
    links = ((g.upper_arm_x, 0.0, g.upper_arm_z), (g.forearm, 0.0, 0.0), (g.tool, 0.0, 0.0))
    for k, link in enumerate(links):
        rot = rot @ leans[k + 1] @ _rotation(1, q[:, 1 + k])
        pos = pos + rot @ q.new_tensor(link)
    r = rot
    # each component's size from the diagonal, its sign from the off-diagonal (w >= 0)
    tiny = 1e-12
    w = 0.5 * torch.sqrt(torch.clamp(1 + r[:, 0, 0] + r[:, 1, 1] + r[:, 2, 2], min=tiny))
    x = 0.5 * torch.sqrt(torch.clamp(1 + r[:, 0, 0] - r[:, 1, 1] - r[:, 2, 2], min=tiny))
    y = 0.5 * torch.sqrt(torch.clamp(1 - r[:, 0, 0] + r[:, 1, 1] - r[:, 2, 2], min=tiny))
    z = 0.5 * torch.sqrt(torch.clamp(1 - r[:, 0, 0] - r[:, 1, 1] + r[:, 2, 2], min=tiny))
    quat = torch.stack([x * torch.sign(r[:, 2, 1] - r[:, 1, 2]),
                        y * torch.sign(r[:, 0, 2] - r[:, 2, 0]),
                        z * torch.sign(r[:, 1, 0] - r[:, 0, 1]), w], -1)
    return torch.cat([pos, quat / torch.linalg.norm(quat, dim=-1, keepdim=True)], -1)
