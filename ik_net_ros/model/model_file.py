"""
A trained model as one object, and the one place it is found, loaded, checked and saved.

A :class:`ModelFile` is what a solver runs and what ``train`` produces: the network's name and
arguments, its weights and normalisation (``arrays``), the torch-free inference ``plan``, the
:class:`~ik_net_ros.arm.Arm` it was trained for (:mod:`.arm_record`: loading it for another arm is
refused by name), the correction kind, and its metadata (training config, data
summary, metrics, creation time). On disk it is two files that are one model: the checkpoint
(``name.pt``, torch; :mod:`.checkpoint_file`) and the weights file (``name.npz``, numpy alone;
:mod:`.weights_file`). :func:`save_model` writes both after one validation; :func:`load_model`
reads the weights file without torch where it exists, checks the same things, and refuses a
pair that holds two different models (a save killed between its two writes, or a file copied
over one of them) by name.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
import datetime
from pathlib import Path

from ik_net_ros.arm import Arm, arm_or_default, DEFAULT_ARM
from ik_net_ros.engines.numpy_engine import NumpyForward
from ik_net_ros.errors import CheckpointError, ConfigError
from ik_net_ros.kinematics.chain import chain_forward
from ik_net_ros.model.arm_record import arm_of_record, arm_record, check_arm
from ik_net_ros.model.weights_file import (
    check_pair,
    read_weights,
    weights_path,
    write_weights,
)
from ik_net_ros.networks import NETWORK_NAMES
from ik_net_ros.networks.angles import decode
from ik_net_ros.resources import share_dir
import numpy as np

__all__ = ['ModelFile', 'load_model', 'save_model', 'resolve_model', 'shipped_models',
           'models_folder',
           'CORRECTIONS', 'MODEL_SUFFIXES']

CORRECTIONS = (None, 'analytic')  # what a model's output is added to (None: nothing)
MODEL_SUFFIXES = ('.pt', '.pth', '.npz')


def _probe_joints(arm: Arm) -> np.ndarray:
    """Return joints whose poses a model must answer finitely: home, zero, two stretches."""
    return np.array([arm.home, np.zeros(arm.dof), 0.8 * arm.lower, 0.8 * arm.upper])


@dataclass(frozen=True, eq=False)
class ModelFile:
    """
    A trained network with everything needed to run and describe it.

    Attributes
    ----------
    network
        Registered network name ('original', 'improved', 'focused').
    network_kwargs
        Its constructor arguments (empty: the shipped size).
    arm
        The arm it was trained for (its errors included: a calibration's, for a correction).
    arrays
        Its state dict (weights and the normalisation buffers) as float32 arrays.
    plan
        Its torch-free inference form (``network.inference_plan()``).
    correction
        'analytic' when its output is added to the closed form of ``arm``, else None.
    metadata
        train_config, data, metrics, created (and torch_version where known).
    path
        The checkpoint it was read from or saved to (None for a model in memory).

    """

    network: str
    network_kwargs: dict
    arm: Arm
    arrays: dict
    plan: dict
    correction: str | None = None
    metadata: dict = field(default_factory=dict)
    path: Path | None = None

    @property
    def dof(self) -> int:
        """Return the number of joints it answers."""
        return self.arm.dof

    @property
    def metrics(self) -> dict:
        """Return the validation and held-out figures saved with the model."""
        return self.metadata.get('metrics', {})

    @classmethod
    def from_torch(cls, model, network: str, network_kwargs: dict, arm: Arm | None = None,
                   correction: str | None = None, metadata: dict | None = None) -> ModelFile:
        """
        Return the model file of an :class:`~ik_net_ros.networks.IKModel` in memory.

        ``arm``: the arm it was trained for (None: the OM-X).

        Raises
        ------
        CheckpointError
            The network supplies no torch-free inference form.

        """
        try:
            plan = model.network.inference_plan()
        except (AttributeError, TypeError) as e:
            raise CheckpointError(f'network {network!r} has no torch-free inference form '
                                  f'({e})') from e
        arrays = {k: v.detach().cpu().float().numpy() for k, v in model.state_dict().items()
                  if v.is_floating_point()}
        return cls(network, dict(network_kwargs), arm_or_default(arm), arrays, plan, correction,
                   {'created': _now(), **(metadata or {})})

    def to_torch(self, device: str = 'cpu'):
        """
        Return the network as an eval-mode :class:`~ik_net_ros.networks.IKModel` (imports torch).

        Raises
        ------
        CheckpointError
            The arrays do not fit the network and its arguments.

        """
        from ik_net_ros.networks import build_network, IKModel
        import torch
        try:
            # the network's outputs: one per joint of its arm, and a sine per circular joint
            n = self.circular.size
            outputs = self.arm.dof + n
            model = IKModel(build_network(self.network, outputs=outputs, **self.network_kwargs),
                            torch.zeros(7), torch.ones(7), torch.zeros(outputs),
                            torch.ones(outputs), torch.zeros(n), torch.zeros(n))
            # files from before circular joints have none
            state = {'circular': torch.zeros(0), 'reference': torch.zeros(0),
                     **{k: torch.from_numpy(np.array(v)) for k, v in self.arrays.items()}}
            missing, unexpected = model.load_state_dict(state, strict=False)
        except (KeyError, TypeError, ValueError, RuntimeError) as e:
            raise CheckpointError(f'{self.path or "model"}: weights do not fit network '
                                  f'{self.network!r} ({e})') from e
        # BatchNorm's step counters are integers, kept in the checkpoint only; eval ignores them
        if unexpected or any(not k.endswith('num_batches_tracked') for k in missing):
            raise CheckpointError(f'{self.path or "model"}: weights do not fit network '
                                  f'{self.network!r} (missing {missing}, unexpected '
                                  f'{unexpected})')
        return model.to(device).eval()

    @property
    def circular(self) -> np.ndarray:
        """Return the joints answered as (cos, sin) (indices; empty for most models)."""
        return np.asarray(self.arrays.get('circular', np.zeros(0)), dtype=float).reshape(-1)

    def decode(self, raw: np.ndarray) -> np.ndarray:
        """Return joints (..., dof) rad of the engines' outputs (..., dof + n)."""
        if not self.circular.size:
            return raw
        return decode(raw, self.circular, self.arrays['reference'])

    def with_metadata(self, **entries) -> ModelFile:
        """Return this model with metadata entries added or replaced."""
        return replace(self, metadata={**self.metadata, **entries})

    def _info(self) -> dict:
        return {'network': self.network, 'network_kwargs': self.network_kwargs,
                'arm': arm_record(self.arm), 'correction': self.correction,
                **self.metadata}


def _now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='seconds')


def models_folder(arm: Arm | str | None = None) -> Path:
    """
    Return the folder of an arm's shipped models (``arm``: an Arm, its name, None: the OM-X).

    ``models/<arm name>/`` where it exists, else ``models/`` itself, where the models shipped
    before arms had names are (the OM-X's: their files say so, and :func:`load_model` refuses
    them for another arm by name).
    """
    top = share_dir('models')
    folder = top / _arm_name(arm)
    return folder if folder.is_dir() else top


def _arm_name(arm: Arm | str | None) -> str:
    return arm if isinstance(arm, str) else (arm.name if arm is not None else DEFAULT_ARM)


def shipped_models(arm: Arm | str | None = None) -> list[str]:
    """Names of an arm's models in ``models/`` (each a checkpoint and its weights file)."""
    folder = models_folder(arm)
    return sorted({p.stem for p in folder.glob('*.pt')}) if folder.is_dir() else []


def resolve_model(source: str | Path, arm: Arm | str | None = None) -> Path:
    """
    Return the checkpoint path a shipped model's name (of ``arm``) or a model path stands for.

    A path to either file of a model (``.pt``, ``.pth`` or ``.npz``) is returned as given.

    Raises
    ------
    ConfigError
        Neither a shipped model's name nor a model path.

    """
    path = Path(str(source))
    if path.suffix in MODEL_SUFFIXES:
        return path
    if str(source) not in shipped_models(arm):
        raise ConfigError(f'unknown model {str(source)!r} of the {_arm_name(arm)}: expected '
                          f'{", ".join(shipped_models(arm)) or "a shipped model"} or a model '
                          'path (*.pt, *.npz)')
    return models_folder(arm) / f'{source}.pt'


def load_model(source: str | Path, *, torch_free: bool = True, pair: bool = True,
               arm: Arm | None = None) -> ModelFile:
    """
    Read a model by shipped name or path, checked.

    Parameters
    ----------
    source
        'original' | 'improved' | 'focused' (of ``arm``), or either file of a model.
    torch_free
        Read the weights file (numpy only) where it exists; False reads the checkpoint
        (torch) and all it carries (the whole training history).
    pair
        Refuse when the other file of the pair holds another model (off only to write
        the pair again: ``ik_net_ros export``).
    arm
        The arm the model must be of (None: any; a shipped name then means the OM-X's).

    Raises
    ------
    ConfigError
        An unknown name.
    CheckpointError
        Missing, unreadable, oversized, foreign or damaged files, content no solver
        can use (:func:`check_model`), two files that hold different models, or a model
        of another arm than ``arm`` (naming both).

    """
    path = resolve_model(source, arm)
    weights = weights_path(path)
    checkpoint = path if path.suffix != '.npz' else path.with_suffix('.pt')
    if path.suffix == '.npz' or (torch_free and weights.is_file()):
        arrays, meta = read_weights(weights)
        if pair:
            check_pair(weights, meta, checkpoint)
        model = ModelFile(meta.get('network'), meta.get('network_kwargs') or {},
                          arm_of_record(weights, meta.get('arm'), meta.get('geometry')), arrays,
                          meta.get('plan'),
                          meta.get('correction'), _metadata(meta), checkpoint)
    else:
        if not checkpoint.is_file():
            raise CheckpointError(f'{checkpoint}: no such checkpoint (train one with '
                                  '`ik_net_ros train`, or give a path)')
        from ik_net_ros.model.checkpoint_file import read_checkpoint
        torch_model, info = read_checkpoint(checkpoint)
        if pair and weights.is_file():
            _check_weights_beside(checkpoint, weights, info.get('weights_sha256'))
        model = ModelFile.from_torch(torch_model, info['network'], info.get('network_kwargs', {}),
                                     arm_of_record(checkpoint, info.get('arm'),
                                                   info.get('geometry')),
                                     info.get('correction'), _metadata(info))
        model = replace(model, path=checkpoint)
    check_arm(model.arm, arm, str(path))
    check_model(model, str(path))
    return model


def _metadata(info: dict) -> dict:
    """
    Return what a file says about a model's training, of the types the tools read.

    The checksums cover what decides the answers, not these notes: a note of another type (a
    hand-edited or hostile file) is dropped, never handed to ``info`` or ``train --init``.
    """
    kinds = {'train_config': dict, 'data': dict, 'metrics': dict, 'created': str,
             'torch_version': str, 'weights_sha256': str, 'checkpoint_sha256': str}
    return {k: info[k] for k, kind in kinds.items() if isinstance(info.get(k), kind)}


def _check_weights_beside(checkpoint: Path, weights: Path, digest: str | None) -> None:
    try:
        _, meta = read_weights(weights)
    except CheckpointError as e:
        raise CheckpointError(f'{checkpoint}: the weights file beside it is unusable ({e}): '
                              f'export again (`ik_net_ros export {checkpoint}`) or remove '
                              'it') from e
    check_pair(weights, meta, checkpoint, digest or '')


def check_model(model: ModelFile, where: str = 'model') -> None:
    """
    Refuse content no solver can use, whatever its checksum says.

    An unknown network or correction, non-finite weights or statistics, a zero or negative
    normalisation std, a plan that does not fit the arrays, outputs other than its arm's joints,
    or a model that answers reachable poses with NaN or inf.

    Raises
    ------
    CheckpointError
        Naming ``where`` and what is wrong.

    """
    if model.network not in NETWORK_NAMES:
        raise CheckpointError(f'{where}: unknown network {model.network!r}')
    if not isinstance(model.network_kwargs, dict):
        raise CheckpointError(f'{where}: network arguments are not a mapping')
    if model.correction not in CORRECTIONS:
        raise CheckpointError(f'{where}: unknown correction {model.correction!r}')
    for name, array in model.arrays.items():
        if not np.all(np.isfinite(array)):
            raise CheckpointError(f'{where}: {name} holds NaN or inf (a diverged training run?)')
    for name in ('pose_std', 'joint_std'):
        if name in model.arrays and not np.all(model.arrays[name] > 0):
            raise CheckpointError(f'{where}: normalisation {name} has a zero or negative entry '
                                  '(every output would be inf or NaN)')
    try:
        forward = NumpyForward(model.plan, model.arrays)
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        raise CheckpointError(f'{where}: weights do not fit their inference form ({e})') from e
    circular = model.circular
    if circular.size and (
            'reference' not in model.arrays or model.arrays['reference'].size != circular.size
            or not np.all((circular >= 0) & (circular < model.arm.dof))
            or not np.array_equal(circular, np.round(circular))):
        raise CheckpointError(f'{where}: circular joints {circular.tolist()} do not fit its arm '
                              f'{model.arm.name} ({model.arm.dof} joints) or their references')
    if forward.folded.outputs != model.arm.dof + circular.size:
        raise CheckpointError(f'{where}: answers {forward.folded.outputs - circular.size} '
                              f'joints, its arm {model.arm.name} has {model.arm.dof}')
    probe = chain_forward(model.arm, _probe_joints(model.arm)).astype(np.float32)
    with np.errstate(all='ignore'):  # overflow is what this looks for
        answers = forward(probe)
    if not np.all(np.isfinite(answers)):
        raise CheckpointError(f'{where}: the model answers reachable poses with NaN or inf')


def save_model(model: ModelFile, path: str | Path) -> ModelFile:
    """
    Check ``model`` once and write its checkpoint and weights file; return it with its path.

    The checkpoint first, then the weights file carrying its digest: a save killed between the
    two leaves a pair :func:`load_model` refuses by name, never a silently different model.

    Raises
    ------
    CheckpointError
        Content no solver can use (:func:`check_model`), or a file cannot be written.

    """
    from ik_net_ros.model.checkpoint_file import write_checkpoint
    path = Path(path)
    check_model(model, str(path))
    info = model._info()
    digest = write_checkpoint(path, model.to_torch(), info)
    meta = {**{k: info[k] for k in ('network', 'network_kwargs', 'arm', 'correction')},
            'plan': model.plan, 'checkpoint_sha256': digest,
            **{k: info[k] for k in ('train_config', 'data', 'created') if k in info},
            'metrics': {k: v for k, v in model.metrics.items() if k != 'history'}}
    write_weights(weights_path(path), model.arrays, meta)
    return replace(model, path=path, metadata={**model.metadata, 'weights_sha256': digest})
