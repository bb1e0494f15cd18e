"""
Focused IKNet (Chen et al., ICCE-TW 2025).

A position branch fed only (x, y, z), an orientation branch fed only (qx, qy, qz, qw), concatenated
into a merging MLP.

    x (N, 7) -> pos (N, 3) -> MLP -> (N, P)  \
             -> quat (N, 4) -> MLP -> (N, O)  -> cat (N, P + O) -> MLP -> Linear -> (N, dof)
"""

from __future__ import annotations

from ik_net_ros.networks.layers import mlp, sequence_plan
import torch
from torch import nn

__all__ = ['FocusedIKNet']


class FocusedIKNet(nn.Module):
    """(N, 7) pose -> (N, outputs) joints (``outputs``: the arm's dof)."""

    def __init__(self, position: tuple[int, ...] = (128, 128),
                 orientation: tuple[int, ...] = (64, 64),
                 merge: tuple[int, ...] = (256, 256, 128), activation: str = 'silu',
                 outputs: int = 4):
        super().__init__()
        self.position = mlp(3, position, activation)
        self.orientation = mlp(4, orientation, activation)
        self.merge = nn.Sequential(mlp(position[-1] + orientation[-1], merge, activation),
                                   nn.Linear(merge[-1], outputs))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        p = self.position(x[:, :3])  # (N, P)
        o = self.orientation(x[:, 3:])  # (N, O)
        return self.merge(torch.cat([p, o], dim=-1))  # (N, outputs)

    def inference_plan(self, prefix: str = 'network') -> dict:
        """Torch-free form: two branches on slices of the pose, concatenated, then a chain."""
        return {'kind': 'branches', 'inputs': [[0, 1, 2], [3, 4, 5, 6]],
                'branches': [sequence_plan(self.position, f'{prefix}.position'),
                             sequence_plan(self.orientation, f'{prefix}.orientation')],
                'merge': sequence_plan(self.merge, f'{prefix}.merge')}
