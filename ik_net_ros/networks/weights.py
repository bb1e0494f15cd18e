"""The torch-free weights file: what CPU inference needs, read with numpy alone.

Written beside every checkpoint (``model.pt`` -> ``model.npz``): the state dict as float32
arrays and, in a ``__meta__`` entry (UTF-8 JSON), the network's name, arguments and inference
form (:func:`ik_net_ros.networks.layers.sequence_plan`), the arm geometry, the correction kind
and the checkpoint's metrics. The same digest discipline as checkpoints: a SHA-256 over the
metadata and every array is stored and checked on load, so a flipped byte is a CheckpointError,
and non-finite or degenerate content is refused whatever the digest says.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
from pathlib import Path

import numpy as np

from ik_net_ros.atomic import atomic_write
from ik_net_ros.errors import CheckpointError

__all__ = ['FORMAT', 'VERSION', 'weights_path', 'save_weights', 'load_weights', 'model_arrays']

FORMAT = 'ik_net_ros.weights'
VERSION = 1
_META = '__meta__'


def model_arrays(model) -> dict[str, np.ndarray]:
    """The state dict of an IKModel as float64 numpy arrays (tensors in; no torch import)."""
    return {k: v.detach().cpu().double().numpy() for k, v in model.state_dict().items()
            if v.is_floating_point()}


def weights_path(checkpoint: str | Path) -> Path:
    """The weights file that belongs to a checkpoint: the same name, ``.npz``."""
    return Path(checkpoint).with_suffix('.npz')


def _digest(meta: dict, arrays: dict[str, np.ndarray]) -> str:
    head = {k: v for k, v in meta.items() if k != 'sha256'}
    digest = hashlib.sha256(json.dumps(head, sort_keys=True).encode())
    for key in sorted(arrays):
        array = np.ascontiguousarray(arrays[key])
        digest.update(f'{key}|{array.dtype.str}|{array.shape}|'.encode())
        digest.update(array.tobytes())
    return digest.hexdigest()


def save_weights(path: str | Path, arrays: dict[str, np.ndarray], meta: dict) -> Path:
    """Write a weights file atomically; ``arrays`` are stored as float32.

    Raises:
        CheckpointError: the file cannot be written.
    """
    path = Path(path)
    arrays = {k: np.asarray(v, dtype=np.float32) for k, v in arrays.items()}
    meta = {**meta, 'format': FORMAT, 'version': VERSION}
    meta['sha256'] = _digest(meta, arrays)
    blob = np.frombuffer(json.dumps(meta, sort_keys=True).encode(), dtype=np.uint8)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays, **{_META: blob})
    try:
        atomic_write(path, lambda f: f.write(buffer.getvalue()))
    except OSError as e:
        raise CheckpointError(f'{path}: cannot write weights ({e.strerror})') from e
    return path


def load_weights(path: str | Path) -> tuple[dict[str, np.ndarray], dict]:
    """(arrays, metadata) of a weights file, checked.

    Raises:
        CheckpointError: missing, unreadable or damaged file, a digest mismatch, a foreign or
            newer format, or non-finite or degenerate content.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f'{path}: no such weights file')
    try:
        with np.load(path, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
        meta = json.loads(bytes(arrays.pop(_META)).decode())
    except KeyError as e:
        raise CheckpointError(f'{path}: not an ik_net_ros weights file (no metadata)') from e
    except Exception as e:  # noqa: BLE001 - damaged archives raise BadZipFile, zlib.error...
        raise CheckpointError(f'{path}: corrupt or not a weights file ({type(e).__name__}: '
                              f'{str(e)[:200]})') from e
    if not isinstance(meta, dict) or meta.get('format') != FORMAT:
        raise CheckpointError(f'{path}: not an ik_net_ros weights file (foreign file)')
    if meta.get('version') != VERSION:
        raise CheckpointError(f'{path}: weights version {meta.get("version")} is not supported '
                              f'(this ik_net_ros reads version {VERSION})')
    if any(a.dtype != np.float32 for a in arrays.values()) or \
            _digest(meta, arrays) != meta.get('sha256'):
        raise CheckpointError(f'{path}: damaged: the weights do not match the checksum saved '
                              'with them (copy the file again, or export it again)')
    for key, array in arrays.items():
        if not np.all(np.isfinite(array)):
            raise CheckpointError(f'{path}: {key} holds NaN or inf')
    for key in ('pose_std', 'joint_std'):
        if key not in arrays or not np.all(arrays[key] > 0):
            raise CheckpointError(f'{path}: normalisation {key} missing, zero or negative')
    geometry = meta.get('geometry')
    if not isinstance(geometry, dict) or not all(
            isinstance(v, (int, float)) and math.isfinite(v)
            for v in [x for v in geometry.values() for x in (v if isinstance(v, list) else [v])]):
        raise CheckpointError(f'{path}: geometry {geometry!r} is not an arm')
    return arrays, meta
