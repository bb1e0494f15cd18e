"""The training configuration: one typed dataclass, stored in every checkpoint."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

__all__ = ['TrainConfig', 'LOSSES', 'SCHEDULES', 'MONITORS']

LOSSES = ('joint', 'task', 'joint+task')
MONITORS = ('loss', 'joint_mse', 'position_mm_median')
SCHEDULES = ('none', 'cosine', 'plateau')


@dataclass
class TrainConfig:
    """How to train one network.

    Attributes:
        network: registry name (original, improved, focused).
        network_kwargs: constructor arguments (empty = the shipped size).
        epochs: upper bound on epochs.
        batch_size: samples per step.
        lr: Adam's learning rate.
        weight_decay: Adam's L2 penalty.
        schedule: 'none', 'cosine' (to lr * 1e-3 over ``epochs``) or 'plateau' (x0.3 after
            ``patience // 2`` epochs without improvement).
        patience: stop after this many epochs without a better validation loss.
        loss: 'joint' (joint-space MSE, the paper's), 'task' (tool position and orientation
            error through the torch forward kinematics) or 'joint+task'.
        task_weight: weight of the task term in 'joint+task'.
        seed: seeds torch's initialisation and the batch order.
        device: 'cpu', 'cuda' or 'auto'.
        threads: torch CPU threads (0 = torch's default).
        normalize: z-score inputs and outputs with training-set statistics (False feeds raw
            poses and predicts raw joints, as the original IKNet did).
        monitor: the validation figure early stopping and the kept epoch follow: 'loss' (the
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
        if self.loss not in LOSSES:
            raise ValueError(f'loss must be one of {LOSSES}, got {self.loss!r}')
        if self.monitor not in MONITORS:
            raise ValueError(f'monitor must be one of {MONITORS}, got {self.monitor!r}')
        if self.schedule not in SCHEDULES:
            raise ValueError(f'schedule must be one of {SCHEDULES}, got {self.schedule!r}')
        if self.epochs < 1 or self.batch_size < 1 or self.lr <= 0 or self.patience < 1:
            raise ValueError('epochs, batch_size, patience must be >= 1 and lr > 0')

    def as_dict(self) -> dict:
        return asdict(self)
