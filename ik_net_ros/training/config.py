"""The training configuration: one typed dataclass, stored in every checkpoint, and its flags."""

from __future__ import annotations

import argparse
from dataclasses import asdict, dataclass, field, fields, MISSING
import json

from ik_net_ros.errors import ConfigError
from ik_net_ros.networks import NETWORK_NAMES
from ik_net_ros.rules import int_in, number_in, Range, whole_number

__all__ = ['TrainConfig', 'LOSSES', 'SCHEDULES', 'MONITORS', 'RULES']

LOSSES = ('joint', 'task', 'joint+task')
MONITORS = ('loss', 'joint_mse', 'position_mm_median')
SCHEDULES = ('none', 'cosine', 'plateau')
ANGLES = ('linear', 'circular')
DEVICES = ('cpu', 'cuda', 'auto')
RULES = {'epochs': int_in(1, 1_000_000),
         # batch_size 1 would skip every BatchNorm batch and train nothing
         'batch_size': Range(2, 10_000_000, integer=True,
                             why='BatchNorm needs 2 samples per batch'),
         'patience': int_in(1, 1_000_000),
         'threads': Range(0, 4096, integer=True, why='0: torch chooses'),
         'seed': int_in(0, 2 ** 63 - 1), 'lr': number_in(0.0, 10.0, low_open=True),
         'weight_decay': number_in(0.0, 10.0), 'task_weight': number_in(0.0, 1e6),
         'minutes': number_in(0.0, 1e6)}


def _setting(default, help_text: str, choices: tuple | None = None, fine_tuning=None):
    """
    Return a field with its command-line help.

    ``fine_tuning``: the default with ``--init`` or ``--target measured`` (fine-tuning: small
    steps, small batches), where it differs.
    """
    metadata = {'help': help_text, 'choices': choices, 'fine_tuning': fine_tuning}
    if isinstance(default, dict):
        return field(default_factory=dict, metadata=metadata)
    return field(default=default, metadata=metadata)


@dataclass
class TrainConfig:
    """How to train one network; each field's help is its command-line flag's (``--help``)."""

    network: str = _setting('focused', 'registered network', NETWORK_NAMES)
    network_kwargs: dict = _setting({}, 'constructor arguments as JSON, e.g. \'{"width": 128}\' '
                                        '(empty: the shipped size)')
    epochs: int = _setting(60, 'upper bound on epochs', fine_tuning=150)
    batch_size: int = _setting(1024, 'samples per step', fine_tuning=64)
    lr: float = _setting(2e-3, "Adam's learning rate", fine_tuning=1e-4)
    weight_decay: float = _setting(0.0, "Adam's L2 penalty")
    schedule: str = _setting('cosine', 'none, cosine (to lr * 1e-3 over the epochs) or plateau '
                                       '(x0.3 after patience // 2 epochs without improvement)',
                             SCHEDULES)
    patience: int = _setting(10, 'stop after this many epochs without a better validation '
                                 'figure', fine_tuning=1000)
    loss: str = _setting('joint', "joint (joint-space MSE, the paper's), task (tool position "
                                  'and orientation error through the torch forward kinematics) '
                                  'or joint+task', LOSSES)
    task_weight: float = _setting(1.0, 'weight of the task term in joint+task')
    seed: int = _setting(0, "seeds torch's initialisation and the batch order")
    device: str = _setting('cpu', 'cpu, cuda or auto', DEVICES)
    threads: int = _setting(0, "torch CPU threads (0: torch's default)")
    normalize: bool = _setting(True, 'z-score inputs and outputs with training-set statistics '
                                     '(--no-normalize feeds raw poses and predicts raw joints, '
                                     'as the original IKNet did)')
    angles: str = _setting('linear', 'linear (one output per joint, as the paper) or circular '
                                     '(a joint whose labels cover most of a turn answered as '
                                     'its cosine and sine, decoded by atan2: no seam to learn)',
                           ANGLES)
    monitor: str = _setting('loss', 'validation figure for early stopping and the kept epoch',
                            MONITORS)
    minutes: float = _setting(0.0, 'wall-time budget: no epoch starts after this many minutes, '
                                   'and the cosine schedule runs over whichever of epochs and '
                                   'minutes ends first (0: epochs alone; a shared machine)')

    def __post_init__(self):
        """
        Every value checked here, before any work: a bad one is a ConfigError saying which.

        Raises
        ------
        ConfigError
            An unknown choice or a value out of its range.

        """
        for f in fields(self):
            choices = f.metadata.get('choices')
            if choices and getattr(self, f.name) not in choices:
                raise ConfigError(f'{f.name} must be one of {choices}, got '
                                  f'{getattr(self, f.name)!r}')
        for name, rule in RULES.items():
            if not rule(getattr(self, name)):
                raise ConfigError(f'{name} = {getattr(self, name)!r} refused: needs {rule.need}')
        if not isinstance(self.network_kwargs, dict):
            raise ConfigError(f'network_kwargs must be a dict (JSON object), got '
                              f'{type(self.network_kwargs).__name__}')

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        """Add a flag for every field (``--batch-size``; ``--no-normalize`` for a True bool)."""
        for f in fields(cls):
            default = f.default if f.default is not MISSING else f.default_factory()
            help_text, fine = f.metadata['help'], f.metadata['fine_tuning']
            if isinstance(default, bool):
                parser.add_argument(f'--no-{f.name.replace("_", "-")}', dest=f.name,
                                    action='store_false', help=help_text)
                continue
            # parsed here, checked by __post_init__: the message names the field and its rule
            kind = (whole_number if RULES[f.name].integer else float) if f.name in RULES else \
                json.loads if isinstance(default, dict) else str
            if fine is not None:
                help_text += f' (default {default}; {fine} with --init or --target measured)'
            parser.add_argument(f'--{f.name.replace("_", "-")}', type=kind,
                                choices=f.metadata['choices'],
                                default=None if fine is not None else default, help=help_text)

    @classmethod
    def from_args(cls, args: argparse.Namespace, fine_tuning: bool = False) -> TrainConfig:
        """
        Return the config the flags of :meth:`add_arguments` give.

        Raises
        ------
        ConfigError
            A value out of its range.

        """
        values = {}
        for f in fields(cls):
            value = getattr(args, f.name)
            if value is None and f.metadata['fine_tuning'] is not None:
                value = f.metadata['fine_tuning'] if fine_tuning else f.default
            values[f.name] = value
        return cls(**values)
