"""
Layer 2: the IKNet variants as torch modules, in a registry by name.

Each class's default constructor builds the shipped size; ``outputs`` is the arm's joint count
(``arm.dof``: 4 on the OM-X, the default; 5 on the OMX-F), the only thing that changes per arm:

| name | layout | parameters (OM-X) |
|---|---|---|
| original | 7-400-300-200-100-50-dof, ReLU + Dropout(0.1) after each hidden layer | 209,054 |
| improved | 7-192 + BN + SiLU + Dropout(0.02), 3 residual blocks of 192, head dof | 227,332 |
| focused | position 3-128-128, orientation 4-64-64, merge 192-256-256-128-dof, SiLU | 170,116 |
"""

from __future__ import annotations

import importlib

__all__ = ['NETWORKS', 'NETWORK_NAMES', 'OriginalIKNet', 'ImprovedIKNet', 'FocusedIKNet',
           'ResidualBlock', 'IKModel', 'build_network', 'count_parameters', 'ACTIVATIONS']

# torch is imported only when a torch name is used: NETWORK_NAMES serves the torch-free model
# checks (ik_net_ros.model) without it
_LAZY = {'FocusedIKNet': 'focused', 'ImprovedIKNet': 'improved', 'ResidualBlock': 'improved',
         'OriginalIKNet': 'original', 'IKModel': 'model', 'ACTIVATIONS': 'layers',
         'count_parameters': 'layers'}

# the registry's names, known without importing torch (a test keeps the two equal)
NETWORK_NAMES = ('original', 'improved', 'focused')


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(f'ik_net_ros.networks.{_LAZY[name]}'), name)
    if name == 'NETWORKS':
        return _registry()
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')


def _registry() -> dict:
    """Return the registry of networks by name (adding a network: its file and one line here)."""
    from ik_net_ros.networks.focused import FocusedIKNet
    from ik_net_ros.networks.improved import ImprovedIKNet
    from ik_net_ros.networks.original import OriginalIKNet
    return {'original': OriginalIKNet, 'improved': ImprovedIKNet, 'focused': FocusedIKNet}


def build_network(name: str, **kwargs):
    """
    Instantiate a registered network; ``kwargs`` go to its constructor.

    Raises
    ------
    KeyError
        Unknown name (message lists the known ones).

    """
    networks = _registry()
    if name not in networks:
        raise KeyError(f'unknown network {name!r}; known: {", ".join(networks)}')
    return networks[name](**kwargs)
