"""
The checkpoint: one file carrying everything needed to use a trained model.

Contents (a dict of plain types and tensors, so ``torch.load(weights_only=True)`` reads it):
format and version, network name and constructor arguments, the weights with the normalisation
buffers, the arm geometry it was trained for, the training config, a training data summary,
validation/held-out metrics, creation time and library versions. Saved atomically.

A SHA-256 of the network, its arguments, the geometry and every weight is stored too: a flipped
byte inside a weight tensor still unpickles fine (torch does not check the archive's CRCs), and
would otherwise become a silently different model.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import logging
from pathlib import Path

from ik_net_ros.atomic import atomic_write
from ik_net_ros.bounded_files import open_limited, open_zip
from ik_net_ros.errors import CheckpointError
from ik_net_ros.kinematics import ArmGeometry, forward_kinematics, HOME_POSE
from ik_net_ros.kinematics.geometry import geometry_from_dict
from ik_net_ros.networks import build_network, IKModel, NETWORKS
from ik_net_ros.networks.weights import (
    check_pair,
    load_weights,
    MAX_MODEL_BYTES,
    model_arrays,
    save_weights,
    weights_path,
)
import numpy as np
import torch

__all__ = ['save_checkpoint', 'load_checkpoint', 'weights_digest', 'FORMAT', 'VERSION',
           'Checkpoint', 'export_weights']

FORMAT = 'ik_net_ros.checkpoint'
VERSION = 1
log = logging.getLogger(__name__)
# poses a model must answer finitely: home, the zero pose, and a stretch of the workspace
_PROBE_JOINTS = np.array([HOME_POSE, (0.0, 0.0, 0.0, 0.0), (1.5, 0.8, -0.9, 1.2),
                          (-2.5, -1.2, 1.0, -1.0)])


CORRECTIONS = (None, 'analytic')  # what a model's output is added to (None: nothing)


def weights_digest(network: str, network_kwargs: dict, state_dict: dict,
                   geometry: dict, correction: str | None = None) -> str:
    """
    SHA-256 (hex) of what decides a model's answers.

    Raises
    ------
    TypeError, AttributeError
        Entries that are not tensors.

    """
    head = [network, network_kwargs, geometry] + ([correction] if correction else [])
    digest = hashlib.sha256(json.dumps(head, sort_keys=True).encode())
    for key in sorted(state_dict):
        tensor = state_dict[key].detach().cpu().contiguous()
        digest.update(f'{key}|{tensor.dtype}|{tuple(tensor.shape)}|'.encode())
        digest.update(tensor.numpy().tobytes())
    return digest.hexdigest()


class Checkpoint:
    """A loaded checkpoint: ``model`` (IKModel, eval mode) and ``info`` (everything else)."""

    def __init__(self, model: IKModel, info: dict):
        self.model, self.info = model, info

    @property
    def geometry(self) -> ArmGeometry:
        return ArmGeometry(**self.info['geometry'])

    @property
    def network(self) -> str:
        return self.info['network']

    @property
    def correction(self) -> str | None:
        """'analytic' when the network's output is added to the closed form, else None."""
        return self.info.get('correction')


def save_checkpoint(path: str | Path, model: IKModel, network: str, network_kwargs: dict,
                    geometry: ArmGeometry, train_config: dict | None = None,
                    data_summary: dict | None = None, metrics: dict | None = None,
                    correction: str | None = None) -> Path:
    """
    Write a checkpoint atomically (temp file, fsync, rename).

    Returns the path.

    ``correction='analytic'``: the network predicts a correction added to the closed form in
    ``geometry`` (a calibrated arm): it learns only what the parametric calibration leaves.
    """
    path = Path(path)
    state_dict = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    payload = {
        'format': FORMAT, 'version': VERSION,
        'network': network, 'network_kwargs': dict(network_kwargs),
        'state_dict': state_dict,
        'weights_sha256': weights_digest(network, dict(network_kwargs), state_dict,
                                         geometry.as_dict(), correction),
        'geometry': geometry.as_dict(),
        **({'correction': correction} if correction else {}),
        'train_config': dict(train_config or {}),
        'data': dict(data_summary or {}),
        'metrics': dict(metrics or {}),
        'created': datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='seconds'),
        'torch_version': str(torch.__version__),
    }
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, lambda f: torch.save(payload, f))
    except OSError as e:
        raise CheckpointError(f'{path}: cannot write checkpoint ({e.strerror})') from e
    export_weights(path, model, payload)
    return path


def export_weights(path: str | Path, model: IKModel, info: dict) -> Path:
    """
    Write the torch-free weights file beside checkpoint ``path`` (CPU inference reads it).

    ``info``: the checkpoint's payload or info. It carries
    the checkpoint's digest: the two are one model
    (:func:`ik_net_ros.networks.weights.check_pair`).

    Raises
    ------
    CheckpointError
        The network supplies no inference form, or the file cannot be written.

    """
    try:
        plan = model.network.inference_plan()
    except (AttributeError, TypeError) as e:
        raise CheckpointError(f'{path}: network {info.get("network")!r} has no torch-free '
                              f'inference form ({e})') from e
    meta = {'network': info['network'], 'network_kwargs': info.get('network_kwargs', {}),
            'geometry': info['geometry'], 'plan': plan, 'correction': info.get('correction'),
            'metrics': {k: v for k, v in info.get('metrics', {}).items() if k != 'history'},
            'created': info.get('created'), 'checkpoint_sha256': info.get('weights_sha256')}
    return save_weights(weights_path(path), model_arrays(model), meta)


def _first_cause(error: Exception) -> str:
    """
    Return the gist of a torch.load error.

    Its unpickler's complaint, not the page of advice (e.g. to retry with weights_only=False, which
    a corrupt file does not need).
    """
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    detail = next((line for line in lines if line.startswith(('Unsupported', 'Trying to'))),
                  None)
    detail = (detail or (lines[0] if lines else 'unreadable')).split('. ')[0]
    return f'{type(error).__name__}: {detail}'


def _check_digest(path: Path, payload: dict) -> None:
    expected = payload.get('weights_sha256')
    if expected is None:
        log.warning('%s: no weights checksum (an older checkpoint): damage cannot be detected',
                    path)
        return
    try:
        actual = weights_digest(payload['network'], payload.get('network_kwargs', {}),
                                payload['state_dict'], payload.get('geometry', {}),
                                payload.get('correction'))
    except (KeyError, TypeError, AttributeError) as e:
        raise CheckpointError(f'{path}: damaged: weights missing or not tensors ({e})') from e
    if actual != expected:
        raise CheckpointError(f'{path}: damaged: the weights do not match the checksum saved '
                              'with them (copy the file again, or retrain)')


def _check_content(path: Path, model: IKModel, geometry: ArmGeometry) -> None:
    """
    Refuse content no solver can use, whatever its checksum says.

    Non-finite weights or statistics, a zero or negative normalisation std, a geometry that is no
    arm, or a model that answers reachable poses with NaN or inf.
    """
    for name, tensor in model.state_dict().items():
        if tensor.is_floating_point() and not bool(torch.isfinite(tensor).all()):
            raise CheckpointError(f'{path}: {name} holds NaN or inf (a diverged training run?)')
    for name in ('pose_std', 'joint_std'):
        if not bool((getattr(model, name) > 0).all()):
            raise CheckpointError(f'{path}: normalisation {name} has a zero or negative entry '
                                  '(every output would be inf or NaN)')
    probe = torch.as_tensor(forward_kinematics(_PROBE_JOINTS, geometry), dtype=torch.float32)
    with torch.no_grad():
        out = model.eval()(probe)
    if not bool(torch.isfinite(out).all()):
        raise CheckpointError(f'{path}: the model answers reachable poses with NaN or inf')


def load_checkpoint(path: str | Path, geometry: ArmGeometry | None = None,
                    pair: bool = True) -> Checkpoint:
    """
    Read a checkpoint (weights_only) and rebuild its model on the CPU, in eval mode.

    Parameters
    ----------
    path
        The checkpoint (.pt).
    geometry
        If given, the checkpoint must have been trained for it (base height etc.).
    pair
        Check that the weights file beside it (``.npz``), if any, is the same model
        (off only to write that file again: ``ik_net_ros export``).

    Raises
    ------
    CheckpointError
        Missing, unreadable or corrupt file; weights that do not match their
        checksum; not an ik_net_ros checkpoint; unknown version or network; weights that do
        not fit; NaN or inf weights, a degenerate normalisation or non-finite answers
        (:func:`_check_content`); a geometry that is not an OM-X or a mismatch; a
        weights file beside it that holds another model.

    """
    path = Path(path)
    with open_limited(path, MAX_MODEL_BYTES, CheckpointError, 'checkpoint') as f, \
            open_zip(f, path, CheckpointError, MAX_MODEL_BYTES, 'checkpoint'):
        pass  # a regular file whose members do not inflate past the limit
    try:
        payload = torch.load(path, map_location='cpu', weights_only=True)
    except Exception as e:  # noqa: BLE001 - a damaged pickle can raise anything (IndexError...)
        raise CheckpointError(f'{path}: corrupt or not a torch checkpoint '
                              f'({_first_cause(e)})') from e
    if not isinstance(payload, dict) or payload.get('format') != FORMAT:
        raise CheckpointError(f'{path}: not an ik_net_ros checkpoint (foreign file)')
    if payload.get('version') != VERSION:
        raise CheckpointError(f'{path}: checkpoint version {payload.get("version")} is not '
                              f'supported (this ik_net_ros reads version {VERSION})')
    name = payload.get('network')
    if name not in NETWORKS:
        raise CheckpointError(f'{path}: unknown network {name!r}')
    if payload.get('correction') not in CORRECTIONS:
        raise CheckpointError(f'{path}: unknown correction {payload.get("correction")!r}')
    _check_digest(path, payload)
    try:
        network = build_network(name, **payload.get('network_kwargs', {}))
        model = IKModel(network, torch.zeros(7), torch.ones(7), torch.zeros(4), torch.ones(4))
        model.load_state_dict(payload['state_dict'])
        stored = geometry_from_dict(payload['geometry'])
    except (KeyError, TypeError, ValueError, RuntimeError) as e:
        raise CheckpointError(f'{path}: weights or settings do not fit network {name!r} '
                              f'({e})') from e
    _check_content(path, model, stored)
    if geometry is not None and stored != geometry:
        raise CheckpointError(
            f'{path}: trained for base height {stored.base_height} m, but geometry with base '
            f'height {geometry.base_height} m was requested (retrain, or use the matching '
            'geometry)')
    if pair:
        _check_pair(path, payload.get('weights_sha256'))
    model.eval()
    return Checkpoint(model, {k: v for k, v in payload.items() if k != 'state_dict'})


def _check_pair(path: Path, digest: str | None) -> None:
    """Check that the weights file beside ``path``, if any, carries this checkpoint's digest."""
    weights = weights_path(path)
    if not weights.exists():
        return
    try:
        _, meta = load_weights(weights, pair=False)
    except CheckpointError as e:
        raise CheckpointError(f'{path}: the weights file beside it is unusable ({e}): export '
                              f'again (`ik_net_ros export {path}`) or remove it') from e
    check_pair(weights, meta, path, digest or '')
