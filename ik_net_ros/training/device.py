"""Device choice shared by training and the solver."""

from __future__ import annotations

from ik_net_ros.errors import ConfigError
import torch

__all__ = ['resolve_device', 'DEVICES']

DEVICES = ('cpu', 'cuda', 'auto')


def resolve_device(device: str) -> torch.device:
    """
    'cpu' | 'cuda' | 'cuda:N' | 'auto' -> a torch.device.

    Raises
    ------
    ConfigError
        Unknown name, or cuda requested where torch sees no GPU.

    """
    name = str(device)
    if name == 'auto':
        return torch.device('cuda' if torch.cuda.is_available() else 'cpu')
    if name == 'cpu':
        return torch.device('cpu')
    if name == 'cuda' or name.startswith('cuda:'):
        if not torch.cuda.is_available():
            raise ConfigError(f'device {name!r} requested but torch sees no CUDA GPU '
                              '(use cpu or auto)')
        return torch.device(name)
    raise ConfigError(f'unknown device {name!r}; expected one of {DEVICES}')
