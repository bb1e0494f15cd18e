"""
IKModel: a network plus the normalisation it was trained with.

So that raw poses (m, unit quaternions) go in and joints (rad) come out. Its buffers travel in the
checkpoint.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

__all__ = ['IKModel']


class IKModel(nn.Module):
    """
    (N, 7) raw poses -> (N, dof) joints in rad.

    ``dof`` is the length of ``joint_mean`` (the arm's joint count; the network's outputs).
    """

    def __init__(self, network: nn.Module, pose_mean, pose_std, joint_mean, joint_std):
        super().__init__()
        self.network = network
        dof = np.asarray(joint_mean).size
        for name, value, size in (('pose_mean', pose_mean, 7), ('pose_std', pose_std, 7),
                                  ('joint_mean', joint_mean, dof), ('joint_std', joint_std, dof)):
            self.register_buffer(name, torch.as_tensor(np.asarray(value), dtype=torch.float32)
                                 .reshape(size))

    def forward(self, poses: torch.Tensor) -> torch.Tensor:
        x = (poses - self.pose_mean) / self.pose_std  # (N, 7) zero mean, unit std
        return self.network(x) * self.joint_std + self.joint_mean  # (N, dof) rad
