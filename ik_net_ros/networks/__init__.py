"""Layer 2: the IKNet variants as torch modules, in a registry by name.

Each class's default constructor builds the shipped size:

| name | layout | parameters |
|---|---|---|
| original | 7-400-300-200-100-50-4, ReLU + Dropout(0.1) after each hidden layer | 209,054 |
| improved | 7-192 + BN + SiLU + Dropout(0.02), 3 residual blocks of 192, head 4 | 227,332 |
| focused | position 3-128-128, orientation 4-64-64, merge 192-256-256-128-4, SiLU | 170,116 |
"""

from ik_net_ros.networks.focused import FocusedIKNet
from ik_net_ros.networks.improved import ImprovedIKNet, ResidualBlock
from ik_net_ros.networks.layers import ACTIVATIONS, count_parameters
from ik_net_ros.networks.model import IKModel
from ik_net_ros.networks.original import OriginalIKNet

__all__ = ['NETWORKS', 'OriginalIKNet', 'ImprovedIKNet', 'FocusedIKNet', 'ResidualBlock',
           'IKModel', 'build_network', 'count_parameters', 'ACTIVATIONS']

NETWORKS = {
    'original': OriginalIKNet,
    'improved': ImprovedIKNet,
    'focused': FocusedIKNet,
}


def build_network(name: str, **kwargs):
    """Instantiate a registered network; ``kwargs`` go to its constructor.

    Raises:
        KeyError: unknown name (message lists the known ones).
    """
    if name not in NETWORKS:
        raise KeyError(f'unknown network {name!r}; known: {", ".join(NETWORKS)}')
    return NETWORKS[name](**kwargs)
