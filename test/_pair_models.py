"""Two small, different models for the save-and-kill test (imported by its subprocess too)."""

from ik_net_ros.networks import build_network, IKModel
import numpy as np
import torch

KWARGS = {'position': (8,), 'orientation': (8,), 'merge': (8,)}


def model(seed: int) -> IKModel:
    """Return a focused IKNet whose weights depend on ``seed`` (1 and 2 answer differently)."""
    torch.manual_seed(seed)
    return IKModel(build_network('focused', **KWARGS), np.zeros(7), np.ones(7), np.zeros(4),
                   np.ones(4)).eval()
