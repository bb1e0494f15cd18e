"""
Torch twin of :mod:`ik_net_ros.kinematics.chain`: the same chain, differentiable.

For task-space training losses of any arm. torch is imported when a function is called, so that
importing this module costs nothing where torch is absent. Same constants (one compiled chain,
:func:`~ik_net_ros.kinematics.chain.compiled_chain`), same quaternion sign (qw >= 0); in float64
it equals the numpy chain to rounding (tests).
"""

from __future__ import annotations

from ik_net_ros.arm import Arm
from ik_net_ros.kinematics.chain import ChainErrors, compiled_chain
import numpy as np

__all__ = ['chain_forward_torch', 'chain_positions_torch', 'matrix_to_quat_torch']


def _walk(arm: Arm, q, errors: ChainErrors | None):
    """Return the link positions (N, dof + 1, 3) and the tool rotation (N, 3, 3)."""
    import torch
    joints, (tool_rot, tool_xyz) = compiled_chain(arm, errors)
    if q.ndim != 2 or q.shape[1] != arm.dof:
        raise ValueError(f'joints must be (N, {arm.dof}), got {tuple(q.shape)}')
    n = q.shape[0]
    rot, pos, positions = None, None, []
    for i, j in enumerate(joints):
        value = q[:, i] + j.offset if j.offset else q[:, i]
        origin = np.eye(3) if j.rot is None else j.rot
        c_rot, xyz, axis = (q.new_tensor(v) for v in (origin, j.xyz, j.axis))
        c_k, c_k2 = q.new_tensor(origin @ j.k), q.new_tensor(origin @ j.k2)
        if rot is None:
            pos = xyz.expand(n, 3)
            frame, frame_k, frame_k2 = c_rot.expand(n, 3, 3), c_k.expand(n, 3, 3), \
                c_k2.expand(n, 3, 3)
        else:
            pos = pos + rot @ xyz
            frame, frame_k, frame_k2 = rot @ c_rot, rot @ c_k, rot @ c_k2
        if j.revolute:
            rot = frame + torch.sin(value)[:, None, None] * frame_k \
                + (1.0 - torch.cos(value))[:, None, None] * frame_k2
        else:
            rot = frame
            pos = pos + (frame @ axis) * value[:, None]
        positions.append(pos)
    positions.append(pos + rot @ q.new_tensor(tool_xyz))
    return torch.stack(positions, 1), rot @ q.new_tensor(tool_rot)


def matrix_to_quat_torch(r):
    """
    Return unit quaternions (N, 4) [qx qy qz qw], qw >= 0, of rotations (N, 3, 3).

    Shepperd's method as :func:`~ik_net_ros.kinematics.rigid.matrix_to_quat`: each row from its
    largest of 4w^2, 4x^2, ... (no cancellation); every candidate is kept finite so that the
    gradient of the ones not taken is zero, not NaN.
    """
    import torch
    r00, r11, r22 = r[:, 0, 0], r[:, 1, 1], r[:, 2, 2]
    diag = torch.stack([r00, r11, r22, r00 + r11 + r22], 1)
    best = torch.argmax(diag, 1)
    tiny = 1e-12
    w = 0.5 * torch.sqrt(torch.clamp(1.0 + r00 + r11 + r22, min=tiny))
    cand = [torch.stack([(r[:, 2, 1] - r[:, 1, 2]) / (4 * w), (r[:, 0, 2] - r[:, 2, 0]) / (4 * w),
                         (r[:, 1, 0] - r[:, 0, 1]) / (4 * w), w], 1)]
    for i in range(3):
        j, k = (i + 1) % 3, (i + 2) % 3
        s = 0.5 * torch.sqrt(torch.clamp(1.0 + r[:, i, i] - r[:, j, j] - r[:, k, k], min=tiny))
        part = [None] * 4
        part[i] = s
        part[j] = (r[:, j, i] + r[:, i, j]) / (4 * s)
        part[k] = (r[:, k, i] + r[:, i, k]) / (4 * s)
        part[3] = (r[:, k, j] - r[:, j, k]) / (4 * s)
        cand.insert(i, torch.stack(part, 1))
    quat = torch.stack(cand, 1).gather(1, best[:, None, None].expand(-1, 1, 4))[:, 0]
    quat = quat / torch.linalg.norm(quat, dim=1, keepdim=True)
    return torch.where(quat[:, 3:] < 0, -quat, quat)


def chain_positions_torch(arm: Arm, joints, errors: ChainErrors | None = None):
    """Return the link frame origins (N, dof + 1, 3) (the tool last) of joints (N, dof), m."""
    return _walk(arm, joints, errors)[0]


def chain_forward_torch(arm: Arm, joints, errors: ChainErrors | None = None):
    """
    Return tool poses (N, 7) [x y z qx qy qz qw] of joints (N, dof) (tensors), differentiable.

    Raises
    ------
    ValueError
        ``joints`` not of shape (N, dof).

    """
    import torch
    positions, rot = _walk(arm, joints, errors)
    return torch.cat([positions[:, -1], matrix_to_quat_torch(rot)], 1)
