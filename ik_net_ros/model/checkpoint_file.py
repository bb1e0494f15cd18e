"""
The checkpoint (``.pt``): a trained model with everything about its training, read with torch.

One of the two files of a :class:`~ik_net_ros.model.ModelFile` (only
:mod:`ik_net_ros.model.model_file` calls this module). Contents (a dict of plain types and
tensors, so ``torch.load(weights_only=True)`` reads it): format and version, network name and
constructor arguments, the weights with the normalisation buffers, the arm it was trained for
(:mod:`.arm_record`; an older file: the OM-X's geometry), the training config, a training data
summary, validation/held-out metrics,
creation time and library versions. Saved atomically.

A SHA-256 of the network, its arguments, the arm and every weight is stored too: a flipped
byte inside a weight tensor still unpickles fine (torch does not check the archive's CRCs), and
would otherwise become a silently different model.
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path

from ik_net_ros.atomic import atomic_write
from ik_net_ros.bounded_files import open_limited, open_zip
from ik_net_ros.errors import CheckpointError
from ik_net_ros.model.weights_file import MAX_MODEL_BYTES
from ik_net_ros.networks import build_network, IKModel, NETWORK_NAMES
import torch

__all__ = ['write_checkpoint', 'read_checkpoint', 'weights_digest', 'FORMAT', 'VERSION']

FORMAT = 'ik_net_ros.checkpoint'
VERSION = 1
log = logging.getLogger(__name__)


def weights_digest(network: str, network_kwargs: dict, state_dict: dict,
                   arm: dict, correction: str | None = None) -> str:
    """
    SHA-256 (hex) of what decides a model's answers.

    ``arm``: the file's arm record (an older file's geometry mapping).

    Raises
    ------
    TypeError, AttributeError
        Entries that are not tensors.

    """
    head = [network, network_kwargs, arm] + ([correction] if correction else [])
    digest = hashlib.sha256(json.dumps(head, sort_keys=True).encode())
    for key in sorted(state_dict):
        tensor = state_dict[key].detach().cpu().contiguous()
        digest.update(f'{key}|{tensor.dtype}|{tuple(tensor.shape)}|'.encode())
        digest.update(tensor.numpy().tobytes())
    return digest.hexdigest()


def write_checkpoint(path: Path, model: IKModel, info: dict) -> str:
    """
    Write the checkpoint of ``model`` atomically (temp file, fsync, rename); return its digest.

    ``info``: network, network_kwargs, arm (its record), correction, train_config, data, metrics
    and created, as :class:`~ik_net_ros.model.ModelFile` holds them.

    Raises
    ------
    CheckpointError
        The file cannot be written.

    """
    state_dict = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    correction = info.get('correction')
    digest = weights_digest(info['network'], dict(info['network_kwargs']), state_dict,
                            dict(info['arm']), correction)
    payload = {
        'format': FORMAT, 'version': VERSION,
        'network': info['network'], 'network_kwargs': dict(info['network_kwargs']),
        'state_dict': state_dict, 'weights_sha256': digest, 'arm': dict(info['arm']),
        **({'correction': correction} if correction else {}),
        'train_config': dict(info.get('train_config') or {}),
        'data': dict(info.get('data') or {}),
        'metrics': dict(info.get('metrics') or {}),
        'created': info.get('created'),
        'torch_version': str(torch.__version__),
    }
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, lambda f: torch.save(payload, f))
    except OSError as e:
        raise CheckpointError(f'{path}: cannot write checkpoint ({e.strerror})') from e
    return digest


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
                                payload['state_dict'], _arm_entry(payload),
                                payload.get('correction'))
    except (KeyError, TypeError, AttributeError) as e:
        raise CheckpointError(f'{path}: damaged: weights missing or not tensors ({e})') from e
    if actual != expected:
        raise CheckpointError(f'{path}: damaged: the weights do not match the checksum saved '
                              'with them (copy the file again, or retrain)')


def _arm_entry(payload: dict) -> dict:
    """Return what a checkpoint's digest covers of its arm: the record, or an older geometry."""
    return payload['arm'] if 'arm' in payload else payload.get('geometry', {})


def read_checkpoint(path: Path) -> tuple[IKModel, dict]:
    """
    Read a checkpoint (weights_only) and rebuild its model on the CPU, in eval mode.

    Returns the model and everything else the file carries (its ``weights_sha256`` included).

    Raises
    ------
    CheckpointError
        Missing, unreadable, oversized or corrupt file; weights that do not match their
        checksum; not an ik_net_ros checkpoint; unknown version or network; weights that do
        not fit the network.

    """
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
    if name not in NETWORK_NAMES:
        raise CheckpointError(f'{path}: unknown network {name!r}')
    _check_digest(path, payload)
    try:
        # one output per joint of the arm it was trained for and a sine per circular joint,
        # as its joint statistics say
        # files from before circular joints have none
        state = {'circular': torch.zeros(0), 'reference': torch.zeros(0),
                 **payload['state_dict']}
        outputs = state['joint_mean'].numel()
        n = state['circular'].numel()
        network = build_network(name, outputs=outputs, **payload.get('network_kwargs', {}))
        model = IKModel(network, torch.zeros(7), torch.ones(7), torch.zeros(outputs),
                        torch.ones(outputs), torch.zeros(n), torch.zeros(n))
        model.load_state_dict(state)
    except (KeyError, TypeError, ValueError, RuntimeError) as e:
        raise CheckpointError(f'{path}: weights or settings do not fit network {name!r} '
                              f'({e})') from e
    return model.eval(), {k: v for k, v in payload.items() if k != 'state_dict'}
