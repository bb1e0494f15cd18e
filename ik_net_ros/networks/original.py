"""
The original IKNet (youtalk/iknet, 2021), exactly.

7-400-300-200-100-50-dof (4 on the OM-X), ReLU and Dropout(0.1) after every hidden layer,
PyTorch's default
initialisation; 209,054 parameters.
"""

from __future__ import annotations

from ik_net_ros.networks.layers import sequence_plan
import torch
from torch import nn

__all__ = ['OriginalIKNet']


class OriginalIKNet(nn.Module):
    """(N, 7) pose -> (N, outputs) joints (``outputs``: the arm's dof)."""

    def __init__(self, hidden: tuple[int, ...] = (400, 300, 200, 100, 50), dropout: float = 0.1,
                 outputs: int = 4):
        super().__init__()
        layers: list[nn.Module] = []
        width = 7
        for h in hidden:
            layers += [nn.Linear(width, h), nn.ReLU(), nn.Dropout(dropout)]
            width = h
        layers.append(nn.Linear(width, outputs))
        self.layers = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(x)  # (N, 7) -> (N, outputs)

    def inference_plan(self, prefix: str = 'network') -> dict:
        """Torch-free form: one chain of layers (see ik_net_ros.engines.numpy_engine)."""
        return {'kind': 'chain', 'ops': sequence_plan(self.layers, f'{prefix}.layers')}
