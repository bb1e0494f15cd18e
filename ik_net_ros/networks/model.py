"""
IKModel: a network plus the normalisation it was trained with.

So that raw poses (m, unit quaternions) go in and joints (rad) come out. Its buffers travel in the
checkpoint.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

__all__ = ['IKModel']


class IKModel(nn.Module):
    """
    (N, 7) raw poses -> (N, dof) joints in rad.

    The network has ``dof + n`` outputs, de-normalised by ``joint_mean`` / ``joint_std`` (that
    length): one per joint, and for each of the ``n`` joints listed in ``circular`` (joint
    indices) its cosine in the joint's column and its sine in an extra last column, decoded by
    atan2 to within half a turn of ``reference`` (rad; see :mod:`ik_net_ros.networks.angles`).
    """

    def __init__(self, network: nn.Module, pose_mean, pose_std, joint_mean, joint_std,
                 circular=(), reference=()):
        super().__init__()
        self.network = network
        outputs = np.asarray(joint_mean).size
        n = np.asarray(circular).size
        for name, value, size in (('pose_mean', pose_mean, 7), ('pose_std', pose_std, 7),
                                  ('joint_mean', joint_mean, outputs),
                                  ('joint_std', joint_std, outputs),
                                  # float, so they travel with the other arrays of a model
                                  ('circular', circular, n), ('reference', reference, n)):
            self.register_buffer(name, torch.as_tensor(np.asarray(value, dtype=np.float32))
                                 .reshape(size))

    @property
    def dof(self) -> int:
        """Joints answered per pose."""
        return self.joint_mean.numel() - self.circular.numel()

    def raw(self, poses: torch.Tensor) -> torch.Tensor:
        """Return the de-normalised outputs (N, dof + n) (the layout of ``angles``)."""
        x = (poses - self.pose_mean) / self.pose_std  # (N, 7) zero mean, unit std
        return self.network(x) * self.joint_std + self.joint_mean

    def decode(self, raw: torch.Tensor) -> torch.Tensor:
        """Return joints (N, dof) rad of outputs (N, dof + n) (``angles.decode``'s twin)."""
        n = self.circular.numel()
        if n == 0:
            return raw
        dof = raw.shape[-1] - n
        idx = self.circular.long()
        angle = torch.atan2(raw[:, dof:], raw[:, idx])
        angle = angle + 2 * math.pi * torch.round((self.reference - angle) / (2 * math.pi))
        q = raw[:, :dof].clone()
        q[:, idx] = angle
        return q

    def forward(self, poses: torch.Tensor) -> torch.Tensor:
        return self.decode(self.raw(poses))  # (N, dof) rad
