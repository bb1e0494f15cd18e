"""The training configuration: one typed dataclass, stored in every checkpoint."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
import math

from ik_net_ros.errors import ConfigError

__all__ = ['TrainConfig', 'LOSSES', 'SCHEDULES', 'MONITORS']


def _whole(lo: int, hi: int):
    return lambda v: isinstance(v, int) and not isinstance(v, bool) and lo <= v <= hi


def _real(lo: float, hi: float, low_open: bool = False):
    return lambda v: isinstance(v, (int, float)) and not isinstance(v, bool) \
        and math.isfinite(v) and (lo < v if low_open else lo <= v) and v <= hi


LOSSES = ('joint', 'task', 'joint+task')
MONITORS = ('loss', 'joint_mse', 'position_mm_median')
SCHEDULES = ('none', 'cosine', 'plateau')


@dataclass
class TrainConfig:
    """
    How to train one network.

    Attributes
    ----------
    network
        Registry name (original, improved, focused).
    network_kwargs
        Constructor arguments (empty = the shipped size).
    epochs
        Upper bound on epochs.
    batch_size
        Samples per step.
    lr
        Adam's learning rate.
    weight_decay
        Adam's L2 penalty.
    schedule
        'none', 'cosine' (to lr * 1e-3 over ``epochs``) or 'plateau' (x0.3 after
        ``patience // 2`` epochs without improvement).
    patience
        Stop after this many epochs without a better validation loss.
    loss
        'joint' (joint-space MSE, the paper's), 'task' (tool position and orientation
        error through the torch forward kinematics) or 'joint+task'.
    task_weight
        Weight of the task term in 'joint+task'.
    seed
        Seeds torch's initialisation and the batch order.
    device
        'cpu', 'cuda' or 'auto'.
    threads
        Torch CPU threads (0 = torch's default).
    normalize
        Z-score inputs and outputs with training-set statistics (False feeds raw
        poses and predicts raw joints, as the original IKNet did).
    monitor
        The validation figure early stopping and the kept epoch follow: 'loss' (the
        training loss on validation data), 'joint_mse' or 'position_mm_median'.

    """

    network: str = 'focused'
    network_kwargs: dict = field(default_factory=dict)
    epochs: int = 60
    batch_size: int = 1024
    lr: float = 2e-3
    weight_decay: float = 0.0
    schedule: str = 'cosine'
    patience: int = 10
    loss: str = 'joint'
    task_weight: float = 1.0
    seed: int = 0
    device: str = 'cpu'
    threads: int = 0
    normalize: bool = True
    monitor: str = 'loss'

    def __post_init__(self):
        """
        Every value checked here, before any work: a bad one is a ConfigError saying which.

        Raises
        ------
        ConfigError
            An unknown choice or a value out of its range (batch_size 1 would
            skip every BatchNorm batch and train nothing).

        """
        for name, choices in (('loss', LOSSES), ('monitor', MONITORS),
                              ('schedule', SCHEDULES)):
            if getattr(self, name) not in choices:
                raise ConfigError(f'{name} must be one of {choices}, got {getattr(self, name)!r}')
        rules = (
            ('epochs', _whole(1, 1_000_000), 'a whole number in 1..1000000'),
            ('batch_size', _whole(2, 10_000_000), 'a whole number in 2..10000000 (BatchNorm '
                                                  'needs 2 samples per batch)'),
            ('patience', _whole(1, 1_000_000), 'a whole number in 1..1000000'),
            ('threads', _whole(0, 4096), 'a whole number in 0..4096 (0: torch chooses)'),
            ('seed', _whole(0, 2 ** 63 - 1), 'a whole number in 0..2**63-1'),
            ('lr', _real(0.0, 10.0, low_open=True), 'a finite number in (0, 10]'),
            ('weight_decay', _real(0.0, 10.0), 'a finite number in [0, 10]'),
            ('task_weight', _real(0.0, 1e6), 'a finite number in [0, 1e6]'),
        )
        for name, check, need in rules:
            if not check(getattr(self, name)):
                raise ConfigError(f'{name} = {getattr(self, name)!r} refused: needs {need}')
        if not isinstance(self.network_kwargs, dict):
            raise ConfigError(f'network_kwargs must be a dict (JSON object), got '
                              f'{type(self.network_kwargs).__name__}')

    def as_dict(self) -> dict:
        return asdict(self)
