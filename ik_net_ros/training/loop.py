"""
The training loop: Adam, optional learning-rate schedule, early stopping on validation loss.

The best weights kept. Plain and explicit, in the manner of nanoGPT's train.py.
"""

from __future__ import annotations

import copy
import logging
import math
import time

from ik_net_ros.arm import Arm, arm_or_default
from ik_net_ros.data import check_arm_of, Normalization, PoseJointSet
from ik_net_ros.errors import ConfigError, DatasetError, TrainingError
from ik_net_ros.kinematics.chain_torch import chain_forward_torch
from ik_net_ros.model.device import resolve_device
from ik_net_ros.networks import build_network, IKModel
from ik_net_ros.networks.angles import circular_joints
from ik_net_ros.training.config import TrainConfig
import numpy as np
import torch
from tqdm import tqdm

__all__ = ['train', 'TrainResult', 'compute_loss', 'new_model']

log = logging.getLogger(__name__)
POSITION_SCALE = 0.01  # m: the task loss counts position error in centimetres


class TrainResult:
    """What :func:`train` returns: the best model (on the CPU, eval mode) and its history."""

    def __init__(self, model: IKModel, history: list[dict], best_epoch: int, seconds: float,
                 stopped_early: bool):
        self.model, self.history, self.best_epoch = model, history, best_epoch
        self.seconds, self.stopped_early = seconds, stopped_early

    @property
    def best(self) -> dict:
        return self.history[self.best_epoch - 1]


def joint_error(pred: torch.Tensor, joints: torch.Tensor, circular: torch.Tensor | None = None
                ) -> torch.Tensor:
    """
    Return predicted minus label joints (N, dof), rad; a circular joint's the shortest way round.

    ``circular``: indices of the joints a model answers as (cos, sin) (its angle is the label's
    up to whole turns: the difference that counts is the one within half a turn).
    """
    diff = pred - joints
    if circular is None or circular.numel() == 0:
        return diff
    idx = circular.long()
    wrapped = diff[:, idx] - 2 * math.pi * torch.round(diff[:, idx] / (2 * math.pi))
    diff = diff.clone()
    diff[:, idx] = wrapped
    return diff


def compute_loss(kind: str, pred: torch.Tensor, joints: torch.Tensor, poses: torch.Tensor,
                 arm: Arm, task_weight: float = 1.0, circular: torch.Tensor | None = None
                 ) -> torch.Tensor:
    """
    Loss of predicted joints (N, dof) against label joints (N, dof) and target poses (N, 7).

    The task term reaches the tool through ``arm``'s chain (its errors included); the joint
    term takes circular joints the short way round (:func:`joint_error`).
    """
    arm = arm_or_default(arm)
    loss = pred.new_zeros(())
    if kind in ('joint', 'joint+task'):
        # rad^2, the paper's joint-space MSE
        loss = loss + torch.mean(joint_error(pred, joints, circular) ** 2)
    if kind in ('task', 'joint+task'):
        reached = chain_forward_torch(arm, pred)  # (N, 7)
        pos = torch.sum((reached[:, :3] - poses[:, :3]) ** 2, dim=1) / POSITION_SCALE ** 2
        dot = torch.sum(reached[:, 3:] * poses[:, 3:], dim=1)
        rot = 4.0 * (1.0 - dot ** 2)  # ~ angle^2 for small angles, sign-free
        task = torch.mean(pos + rot)
        loss = loss + (task if kind == 'task' else task_weight * task)
    return loss


def _finite_loss(value: float, epoch: int, config: TrainConfig) -> float:
    """
    ``value`` if finite; a diverged run stops at once instead of training on NaN.

    Raises
    ------
    TrainingError
        NaN or inf.

    """
    if not math.isfinite(value):
        raise TrainingError(
            f'training diverged in epoch {epoch}: the loss is {value} (learning rate '
            f'{config.lr:g}, task weight {config.task_weight:g}); lower --lr, or check the data')
    return value


def _progress(config: TrainConfig, epoch: int, seconds: float) -> float:
    """Return how far training is, 0..1: epochs done, or the time budget spent if further."""
    done = epoch / config.epochs
    if config.minutes:
        done = max(done, seconds / (60.0 * config.minutes))
    return min(1.0, done)


def _lr_factor(config: TrainConfig, progress: float) -> float:
    """Return the learning rate's factor at ``progress`` (0..1) of the schedule."""
    if config.schedule == 'cosine':
        return 1e-3 + 0.5 * (1 - 1e-3) * (1 + math.cos(math.pi * progress))
    return 1.0


def new_model(config: TrainConfig, train_set: PoseJointSet, arm: Arm) -> IKModel:
    """
    Return a new network of ``config`` for ``arm``, normalised to ``train_set`` (unless not).

    Raises
    ------
    ConfigError
        The network cannot be built with the configuration's arguments.

    """
    if config.normalize:
        norm = Normalization.fit(train_set)
    else:
        norm = Normalization(np.zeros(7), np.ones(7), np.zeros(arm.dof), np.ones(arm.dof))
    circular, reference = (circular_joints(train_set.joints) if config.angles == 'circular'
                           else (np.zeros(0, int), np.zeros(0)))
    # a circular joint's cosine and sine columns are in [-1, 1] already: not normalised
    mean = np.concatenate([norm.joint_mean, np.zeros(len(circular))])
    std = np.concatenate([norm.joint_std, np.ones(len(circular))])
    mean[circular], std[circular] = 0.0, 1.0
    try:
        network = build_network(config.network, outputs=len(mean), **config.network_kwargs)
    except (KeyError, TypeError, ValueError) as e:
        raise ConfigError(f'cannot build network {config.network!r} with '
                          f'{config.network_kwargs}: {e}') from e
    return IKModel(network, norm.pose_mean, norm.pose_std, mean, std, circular, reference)


def train(config: TrainConfig, train_set: PoseJointSet, val_set: PoseJointSet,
          arm: Arm | None = None, progress: bool = True,
          init: IKModel | None = None) -> TrainResult:
    """
    Train ``config.network`` for ``arm`` on ``train_set``, early-stopping on ``val_set``.

    ``arm``: the arm the data is of (None: the OM-X): the
    network answers one joint per joint of it, and the task loss runs its chain. ``init``:
    start from this model (fine-tuning: its weights and normalisation; a copy, the argument is
    not changed) instead of a fresh network.

    Returns the model of the best validation epoch, on the CPU in eval mode.

    Raises
    ------
    TrainingError
        Too few rows, or a diverged run.
    ConfigError
        A network that cannot be built with its arguments.
    DatasetError
        Data of another arm.

    """
    arm = arm_or_default(arm)
    torch.manual_seed(config.seed)
    if config.threads:
        torch.set_num_threads(config.threads)
    device = resolve_device(config.device)
    if len(train_set) < 2 or len(val_set) < 1:
        raise TrainingError(f'need at least 2 training rows and 1 validation row, got '
                            f'{len(train_set)} and {len(val_set)}')
    for data, what in ((train_set, 'training data'), (val_set, 'validation data')):
        check_arm_of(data, arm, what)
    if init is not None:
        if init.dof != arm.dof:
            raise DatasetError(f'the start model answers {init.dof} joints, the '
                               f'{arm.name} has {arm.dof}')
        model = copy.deepcopy(init).to(device)
    else:
        model = new_model(config, train_set, arm).to(device)

    def tensors(data: PoseJointSet):
        return (torch.as_tensor(data.poses, dtype=torch.float32, device=device),
                torch.as_tensor(data.joints, dtype=torch.float32, device=device))

    x_train, y_train = tensors(train_set)  # (N, 7), (N, dof)
    x_val, y_val = tensors(val_set)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr,
                                 weight_decay=config.weight_decay)
    plateau = (torch.optim.lr_scheduler.ReduceLROnPlateau(
        optimizer, factor=0.3, patience=max(1, config.patience // 2))
        if config.schedule == 'plateau' else None)
    generator = torch.Generator().manual_seed(config.seed)
    history: list[dict] = []
    best_loss, best_epoch, best_state = math.inf, 0, None
    start = time.perf_counter()
    steps = math.ceil(len(x_train) / config.batch_size)
    bar = tqdm(range(1, config.epochs + 1), desc=f'train {config.network}', unit='epoch',
               disable=not progress)
    for epoch in bar:
        progress = _progress(config, epoch - 1, time.perf_counter() - start)
        if epoch > 1 and progress >= 1.0:
            log.info('time budget of %g minutes spent after %d epochs', config.minutes, epoch - 1)
            break
        if plateau is None:
            for group in optimizer.param_groups:
                group['lr'] = config.lr * _lr_factor(config, progress)
        model.train()
        order = torch.randperm(len(x_train), generator=generator).to(device)
        total = 0.0
        for step in range(steps):
            idx = order[step * config.batch_size:(step + 1) * config.batch_size]
            if len(idx) < 2:  # BatchNorm needs two samples
                continue
            loss = compute_loss(config.loss, model(x_train[idx]), y_train[idx], x_train[idx],
                                arm, config.task_weight, model.circular)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            total += _finite_loss(loss.item(), epoch, config)
        val = evaluate_loss(model, x_val, y_val, config, arm)
        score = _finite_loss(val[config.monitor], epoch, config)
        if plateau is not None:
            plateau.step(score)
        row = {'epoch': epoch, 'train_loss': total / steps, **val,
               'lr': optimizer.param_groups[0]['lr'], 'seconds': time.perf_counter() - start}
        history.append(row)
        bar.set_postfix(val=f"{val['loss']:.2e}", mm=f"{val['position_mm_median']:.2f}")
        if score < best_loss:
            best_loss, best_epoch = score, epoch
            best_state = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
        elif epoch - best_epoch >= config.patience:
            log.info('early stop at epoch %d: no better validation %s for %d epochs', epoch,
                     config.monitor, config.patience)
            break
    model = model.cpu()
    if best_state is None:
        raise TrainingError('training ran no epoch')
    model.load_state_dict(best_state)
    model.eval()
    return TrainResult(model, history, best_epoch, time.perf_counter() - start,
                       stopped_early=len(history) < config.epochs)


@torch.no_grad()
def evaluate_loss(model: IKModel, poses: torch.Tensor, joints: torch.Tensor,
                  config: TrainConfig, arm: Arm) -> dict:
    """Compute the validation loss (configured kind), joint MSE and median tool position error."""
    arm = arm_or_default(arm)
    model.eval()
    preds = torch.cat([model(poses[i:i + 65536]) for i in range(0, len(poses), 65536)])
    loss = compute_loss(config.loss, preds, joints, poses, arm, config.task_weight,
                        model.circular).item()
    reached = chain_forward_torch(arm, preds.double())
    err_mm = 1e3 * torch.linalg.norm(reached[:, :3] - poses[:, :3].double(), dim=1)
    return {'loss': loss,
            'joint_mse': torch.mean(joint_error(preds, joints, model.circular) ** 2).item(),
            'position_mm_median': float(np.median(err_mm.cpu().numpy()))}
