"""Building blocks shared by the IKNet variants."""

from __future__ import annotations

from torch import nn

__all__ = ['ACTIVATIONS', 'make_activation', 'mlp', 'activation_name', 'sequence_plan']

ACTIVATIONS = {'relu': nn.ReLU, 'silu': nn.SiLU, 'gelu': nn.GELU, 'tanh': nn.Tanh}


def make_activation(name: str) -> nn.Module:
    """Return an activation module by name (relu, silu, gelu, tanh)."""
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
    """Count the trainable parameters."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


__all__.append('count_parameters')


def activation_name(module: nn.Module) -> str:
    """
    Return the ACTIVATIONS name of an activation module.

    Raises
    ------
    TypeError
        Not one of ACTIVATIONS.

    """
    for name, kind in ACTIVATIONS.items():
        if type(module) is kind:
            return name
    raise TypeError(f'no inference form for activation {type(module).__name__}')


def sequence_plan(seq: nn.Sequential, prefix: str) -> list[dict]:
    """
    Return the torch-free inference form of a Sequential of Linear, BatchNorm1d.

    Activations and Dropout (nested Sequentials too): ops naming their state-dict entries under
    ``prefix``.

    Raises
    ------
    TypeError
        A module this form cannot express.

    """
    ops: list[dict] = []
    for index, module in enumerate(seq):
        name = f'{prefix}.{index}'
        if isinstance(module, nn.Linear):
            ops.append({'linear': name})
        elif isinstance(module, nn.BatchNorm1d):
            ops.append({'batchnorm': name, 'eps': float(module.eps)})
        elif isinstance(module, nn.Dropout):
            continue  # inference: identity
        elif isinstance(module, nn.Sequential):
            ops += sequence_plan(module, name)
        else:
            ops.append({'act': activation_name(module)})
    return ops
