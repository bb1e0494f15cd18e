"""
Improved IKNet (Chen et al., ICCE-TW 2025).

Dropout only after the input layer, Kaiming normal initialisation, BatchNorm1d, residual blocks.

    x (N, 7) -> Linear(7, W) -> BN -> act -> Dropout -> [block] x B -> Linear(W, dof)
    block: h + BN(Linear(act(BN(Linear(h))))), then act
"""

from __future__ import annotations

from ik_net_ros.networks.layers import activation_name, make_activation, sequence_plan
import torch
from torch import nn

__all__ = ['ImprovedIKNet', 'ResidualBlock']


class ResidualBlock(nn.Module):
    """Two Linear+BatchNorm layers with an identity shortcut: (N, W) -> (N, W)."""

    def __init__(self, width: int, activation: str = 'relu'):
        super().__init__()
        self.body = nn.Sequential(
            nn.Linear(width, width), nn.BatchNorm1d(width), make_activation(activation),
            nn.Linear(width, width), nn.BatchNorm1d(width))
        self.act = make_activation(activation)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return self.act(h + self.body(h))


class ImprovedIKNet(nn.Module):
    """(N, 7) pose -> (N, outputs) joints (``outputs``: the arm's dof)."""

    def __init__(self, width: int = 192, blocks: int = 3, dropout: float = 0.02,
                 activation: str = 'silu', outputs: int = 4):
        super().__init__()
        self.stem = nn.Sequential(nn.Linear(7, width), nn.BatchNorm1d(width),
                                  make_activation(activation), nn.Dropout(dropout))
        self.blocks = nn.Sequential(*[ResidualBlock(width, activation) for _ in range(blocks)])
        self.head = nn.Linear(width, outputs)
        for module in self.modules():
            if isinstance(module, nn.Linear):
                nn.init.kaiming_normal_(module.weight, nonlinearity='relu')
                nn.init.zeros_(module.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.blocks(self.stem(x)))  # (N, 7) -> (N, W) -> (N, outputs)

    def inference_plan(self, prefix: str = 'network') -> dict:
        """Torch-free form: stem, residual blocks h <- act(h + body(h)), head."""
        return {'kind': 'residual', 'stem': sequence_plan(self.stem, f'{prefix}.stem'),
                'blocks': [{'body': sequence_plan(block.body, f'{prefix}.blocks.{i}.body'),
                            'act': activation_name(block.act)}
                           for i, block in enumerate(self.blocks)],
                'head': [{'linear': f'{prefix}.head'}]}
