"""
The weights file (``.npz``): what inference needs, read with numpy alone.

One of the two files of a :class:`~ik_net_ros.model.ModelFile` (only
:mod:`ik_net_ros.model.model_file` calls this module), written beside every checkpoint
(``model.pt`` -> ``model.npz``): the state dict as float32 arrays and, in a ``__meta__`` entry
(UTF-8 JSON), the network's name, arguments and inference form
(:func:`ik_net_ros.networks.layers.sequence_plan`), the arm's record, the correction kind and the
checkpoint's metrics. The same digest discipline as checkpoints: a SHA-256 over the metadata and
every array is stored and checked on load, so a flipped byte is a CheckpointError, and non-finite
or degenerate content is refused whatever the digest says.

The weights file carries its checkpoint's digest (``checkpoint_sha256``); reading the checkpoint's
digest needs no torch (:func:`checkpoint_digest`), so the pair is checked without it
(:func:`check_pair`).
"""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path
import pickle
import zipfile

from ik_net_ros.atomic import atomic_write
from ik_net_ros.bounded_files import load_npz, open_limited
from ik_net_ros.errors import CheckpointError
import numpy as np

__all__ = ['FORMAT', 'VERSION', 'weights_path', 'write_weights', 'read_weights',
           'checkpoint_digest', 'check_pair', 'MAX_MODEL_BYTES']

FORMAT = 'ik_net_ros.weights'
VERSION = 1
_META = '__meta__'
MAX_MODEL_BYTES = 64 << 20  # the shipped models are 0.1-1 MB; an IKNet of 64 MB is no IKNet
_MAX_PICKLE_BYTES = 1 << 20


def weights_path(checkpoint: str | Path) -> Path:
    """Return the weights file that belongs to a checkpoint: the same name, ``.npz``."""
    return Path(checkpoint).with_suffix('.npz')


def _digest(meta: dict, arrays: dict[str, np.ndarray]) -> str:
    head = {k: v for k, v in meta.items() if k != 'sha256'}
    digest = hashlib.sha256(json.dumps(head, sort_keys=True).encode())
    for key in sorted(arrays):
        array = np.ascontiguousarray(arrays[key])
        digest.update(f'{key}|{array.dtype.str}|{array.shape}|'.encode())
        digest.update(array.tobytes())
    return digest.hexdigest()


def write_weights(path: str | Path, arrays: dict[str, np.ndarray], meta: dict) -> Path:
    """
    Write a weights file atomically; ``arrays`` are stored as float32.

    Raises
    ------
    CheckpointError
        The file cannot be written.

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


def read_weights(path: str | Path) -> tuple[dict[str, np.ndarray], dict]:
    """
    Load the arrays and metadata of a weights file, checked.

    Parameters
    ----------
    path
        The weights file (.npz).

    Raises
    ------
    CheckpointError
        Missing, unreadable, oversized or damaged file, a digest mismatch, a
        foreign or newer format.

    """
    path = Path(path)
    arrays = load_npz(path, CheckpointError, MAX_MODEL_BYTES, 'weights file')
    try:
        meta = json.loads(bytes(arrays.pop(_META)).decode())
    except KeyError as e:
        raise CheckpointError(f'{path}: not an ik_net_ros weights file (no metadata)') from e
    except (ValueError, RecursionError) as e:
        raise CheckpointError(f'{path}: corrupt metadata ({type(e).__name__})') from e
    if not isinstance(meta, dict) or meta.get('format') != FORMAT:
        raise CheckpointError(f'{path}: not an ik_net_ros weights file (foreign file)')
    if meta.get('version') != VERSION:
        raise CheckpointError(f'{path}: weights version {str(meta.get("version"))[:20]} is not '
                              f'supported (this ik_net_ros reads version {VERSION})')
    if any(a.dtype != np.float32 for a in arrays.values()) or \
            _digest(meta, arrays) != meta.get('sha256'):
        raise CheckpointError(f'{path}: damaged: the weights do not match the checksum saved '
                              'with them (copy the file again, or export it again)')
    return arrays, meta


def check_pair(path: Path, meta: dict, checkpoint: Path | None = None,
               digest: str | None = None) -> None:
    """
    Refuse a weights file whose checkpoint, if it exists, holds another model.

    Parameters
    ----------
    path
        The weights file.
    meta
        Its metadata (``checkpoint_sha256``: the digest of the checkpoint it was exported from).
    checkpoint
        The checkpoint to compare with (default: the same name, ``.pt``).
    digest
        The checkpoint's ``weights_sha256`` when the caller has read it already.

    Raises
    ------
    CheckpointError
        Naming both files, when the checkpoint exists and its digest is not
        the ``checkpoint_sha256`` of ``meta`` (or cannot be read).

    """
    checkpoint = Path(checkpoint or Path(path).with_suffix('.pt'))
    if not checkpoint.exists():
        return
    theirs = meta.get('checkpoint_sha256')
    if theirs is None:
        raise CheckpointError(f"{path} was written without its checkpoint's digest, so it "
                              f'cannot be matched to {checkpoint}: run `ik_net_ros export '
                              f'{checkpoint}` to write it again')
    if theirs != (digest if digest is not None else checkpoint_digest(checkpoint)):
        raise CheckpointError(f'{path} and {checkpoint} hold different models (a save '
                              'interrupted between the two files, or one copied over): save or '
                              f'export again (`ik_net_ros export {checkpoint}`), or remove the '
                              'stale one')


class _Opaque:
    """Whatever a checkpoint's pickle builds (tensors, storages): accepted and ignored."""

    def __init__(self, *args, **kwargs):
        pass

    def __setstate__(self, state):
        pass

    def __setitem__(self, key, value):
        pass

    def append(self, value):
        pass

    def extend(self, values):
        pass


class _DigestUnpickler(pickle.Unpickler):

    def find_class(self, module, name):  # nothing is imported: every class is opaque
        return _Opaque

    def persistent_load(self, pid):
        return None


def checkpoint_digest(path: str | Path) -> str | None:
    """
    Read the ``weights_sha256`` a checkpoint (``.pt``) carries; None when it has none.

    Read without torch and without running any of its pickle's classes.

    Raises
    ------
    CheckpointError
        Unreadable, oversized or not a torch zip checkpoint.

    """
    with open_limited(path, MAX_MODEL_BYTES, CheckpointError, 'checkpoint') as f:
        try:
            with zipfile.ZipFile(f) as archive:
                member = next(m for m in archive.infolist() if m.filename.endswith('/data.pkl'))
                if member.file_size > _MAX_PICKLE_BYTES:
                    raise CheckpointError(f'{path}: its pickle is over {_MAX_PICKLE_BYTES} '
                                          'bytes')
                payload = _DigestUnpickler(io.BytesIO(archive.read(member))).load()
        except CheckpointError:
            raise
        except Exception as e:  # noqa: BLE001 - a damaged pickle or zip raises anything
            raise CheckpointError(f'{path}: not a readable checkpoint ({type(e).__name__})') \
                from e
    digest = payload.get('weights_sha256') if isinstance(payload, dict) else None
    return digest if isinstance(digest, str) else None
