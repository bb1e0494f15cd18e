"""Building blocks shared by the IKNet variants."""

from __future__ import annotations

from torch import nn

__all__ = ['ACTIVATIONS', 'make_activation', 'mlp']

ACTIVATIONS = {'relu': nn.ReLU, 'silu': nn.SiLU, 'gelu': nn.GELU, 'tanh': nn.Tanh}


def make_activation(name: str) -> nn.Module:
    """An activation module by name (relu, silu, gelu, tanh)."""
    try:
        return ACTIVATIONS[name]()
    except KeyError as e:
        raise ValueError(f'unknown activation {name!r}; expected one of '
                         f'{list(ACTIVATIONS)}') from e


def mlp(in_features: int, widths: tuple[int, ...] | list[int], activation: str = 'relu'
        ) -> nn.Sequential:
    """Linear + activation for each width: (N, in_features) -> (N, widths[-1])."""
    layers: list[nn.Module] = []
    for width in widths:
        layers += [nn.Linear(in_features, width), make_activation(activation)]
        in_features = width
    return nn.Sequential(*layers)


def count_parameters(module: nn.Module) -> int:
    """Number of trainable parameters."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


__all__.append('count_parameters')
