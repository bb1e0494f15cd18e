"""Device choice shared by training and the solver (torch is imported only to answer)."""

from __future__ import annotations

from ik_net_ros.errors import ConfigError

__all__ = ['resolve_device', 'check_device', 'DEVICES']

DEVICES = ('cpu', 'cuda', 'auto')


def resolve_device(device: str):
    """
    'cpu' | 'cuda' | 'cuda:N' | 'auto' -> a torch.device.

    Raises
    ------
    ConfigError
        Unknown name, cuda requested where torch is not installed or sees no GPU, or cuda:N
        beyond the GPUs it sees.

    """
    check_device(str(device))
    try:
        import torch
    except ImportError as e:  # a ROS install runs on the CPU without torch
        raise ConfigError(f'device {device!r} needs torch, which is not installed '
                          '(use cpu)') from e
    name = str(device)
    if name == 'auto':
        return torch.device('cuda' if torch.cuda.is_available() else 'cpu')
    if name == 'cpu':
        return torch.device('cpu')
    if name == 'cuda' or name.startswith('cuda:'):
        if not torch.cuda.is_available():
            raise ConfigError(f'device {name!r} requested but torch sees no CUDA GPU '
                              '(use cpu or auto)')
        count = torch.cuda.device_count()
        if name.startswith('cuda:') and int(name[5:]) >= count:
            raise ConfigError(f'device {name!r} requested but torch sees {count} CUDA GPU(s): '
                              f'cuda:0 to cuda:{count - 1}')
        return torch.device(name)
    raise ConfigError(f'unknown device {name!r}; expected one of {DEVICES}')


def check_device(device) -> None:
    """
    Refuse a name that is not 'cpu', 'cuda', 'cuda:N' or 'auto', without importing torch.

    Raises
    ------
    ConfigError
        Naming the value and the choices.

    """
    if not isinstance(device, str) or not (device in DEVICES or (
            device.startswith('cuda:') and device[5:].isdigit())):
        raise ConfigError(f'unknown device {device!r}; expected one of {DEVICES} or cuda:N')
