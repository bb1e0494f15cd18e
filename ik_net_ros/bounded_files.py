"""
Reading a file the package did not write: bounded and checked before anything parses it.

Every file a user names (calibrations, true arms, model weights, datasets) may be anything: a
FIFO that never ends, ``/dev/zero``, a 10 GB log, YAML nested 100,000 deep or holding a
400-digit number. The rules here, used by every loader:

- a **regular file** only (opened non-blocking, so a FIFO is refused instead of waiting), at most
  ``limit`` bytes (checked on the open file, then by reading at most ``limit + 1`` bytes);
- **YAML** walked event by event before it is built (PyYAML's composer recurses: a deep file is
  a RecursionError), at most :data:`MAX_YAML_DEPTH` levels and :data:`MAX_YAML_NODES` nodes, no
  aliases, and every integer within :data:`MAX_YAML_INTEGER` (a 400-digit integer is an
  OverflowError as a float); each field's own range is its schema's (:func:`check_number`).

Errors are raised as the caller's error class (DatasetError, CheckpointError) with the file's
name and the reason.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
import stat

__all__ = ['read_limited', 'open_limited', 'open_zip', 'load_yaml', 'load_npz', 'check_number',
           'MAX_YAML_BYTES', 'MAX_YAML_DEPTH', 'MAX_YAML_NODES', 'MAX_YAML_NUMBER',
           'MAX_YAML_INTEGER']

MAX_YAML_BYTES = 1 << 20  # a calibration is about 1 KB
MAX_YAML_DEPTH = 16
MAX_YAML_NODES = 10_000
MAX_YAML_NUMBER = 1e6  # default bound of check_number
MAX_YAML_INTEGER = 10 ** 15


def open_limited(path: str | Path, limit: int, error: type[Exception], what: str = 'file'):
    """
    Open ``path`` for binary reading, checked to be a regular file of at most ``limit`` bytes.

    The caller closes it.

    Raises
    ------
    error
        Missing, unreadable, not a regular file (FIFO, device, folder), or too large.

    """
    path = Path(path)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, 'O_NONBLOCK', 0))
    except FileNotFoundError as e:
        raise error(f'{path}: no such {what} file') from e
    except OSError as e:
        raise error(f'{path}: cannot read the {what} ({e.strerror})') from e
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise error(f'{path}: not a regular file (a FIFO, device or folder), refused as the '
                        f'{what}')
        if info.st_size > limit:
            raise error(f'{path}: {info.st_size} bytes, over the {limit}-byte limit of a '
                        f'{what}')
        if hasattr(os, 'set_blocking'):
            os.set_blocking(fd, True)
        return os.fdopen(fd, 'rb')
    except BaseException:
        os.close(fd)
        raise


def read_limited(path: str | Path, limit: int, error: type[Exception],
                 what: str = 'file') -> bytes:
    """
    Return the bytes of a regular file of at most ``limit`` bytes (see :func:`open_limited`).

    Raises
    ------
    error
        As :func:`open_limited`, or the file grew past ``limit`` while read.

    """
    with open_limited(path, limit, error, what) as f:
        try:
            data = f.read(limit + 1)
        except OSError as e:
            raise error(f'{path}: cannot read the {what} ({e.strerror})') from e
    if len(data) > limit:
        raise error(f'{path}: over the {limit}-byte limit of a {what}')
    return data


def check_number(value, name: str, low: float = -MAX_YAML_NUMBER,
                 high: float = MAX_YAML_NUMBER) -> float:
    """
    ``value`` as a float when it is a real number (not a bool) in [low, high].

    Raises
    ------
    ValueError
        Anything else, naming ``name``.

    """
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f'{name} must be a number, got {type(value).__name__}')
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if not (math.isfinite(number) and low <= number <= high):
        raise ValueError(f'{name} must be a finite number in [{low:g}, {high:g}], got '
                         f'{str(value)[:40]}')
    return number


def load_yaml(path: str | Path, error: type[Exception], what: str = 'YAML file',
              limit: int = MAX_YAML_BYTES):
    """
    Return the data of a YAML file, checked for size, depth, node count and numbers first.

    Raises
    ------
    error
        As :func:`read_limited`; not UTF-8; not YAML; nested deeper than
        :data:`MAX_YAML_DEPTH`; more than :data:`MAX_YAML_NODES` nodes; a number that is
        an integer beyond :data:`MAX_YAML_INTEGER`.

    """
    import yaml
    data = read_limited(path, limit, error, what)
    try:
        text = data.decode('utf-8')
    except UnicodeDecodeError as e:
        raise error(f'{path}: not text (byte {e.start} is not UTF-8)') from e
    try:
        _check_events(yaml.parse(text, Loader=yaml.SafeLoader), path, error)
        value = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise error(f'{path}: not YAML ({str(e)[:200]})') from e
    except (ValueError, OverflowError, RecursionError) as e:  # int() of 5,000 digits, ...
        raise error(f'{path}: unreadable YAML value ({type(e).__name__}: {str(e)[:120]})') \
            from e
    try:
        _check_numbers(value)
    except ValueError as e:
        raise error(f'{path}: {e}') from e
    return value


def _check_events(events, path, error) -> None:
    import yaml
    depth = nodes = 0
    for event in events:
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            if depth > MAX_YAML_DEPTH:
                raise error(f'{path}: nested deeper than {MAX_YAML_DEPTH} levels')
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1
        elif isinstance(event, yaml.AliasEvent):
            raise error(f'{path}: YAML aliases are not accepted (*{event.anchor})')
        if isinstance(event, yaml.NodeEvent):
            nodes += 1
            if nodes > MAX_YAML_NODES:
                raise error(f'{path}: more than {MAX_YAML_NODES} YAML nodes')


def _check_numbers(value, name: str = 'value') -> None:
    """
    Integers within :data:`MAX_YAML_INTEGER` (a 400-digit one overflows every float it meets).

    Floats are left to the schema of each field (a NaN may be a valid 'none').
    """
    if isinstance(value, dict):
        for key, item in value.items():
            _check_numbers(key, 'a key')
            _check_numbers(item, str(key)[:40])
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _check_numbers(item, f'{name}[{i}]')
    elif isinstance(value, int) and not isinstance(value, bool) \
            and abs(value) > MAX_YAML_INTEGER:
        raise ValueError(f'{name}: an integer of {len(str(abs(value)))} digits, over the '
                         f'{MAX_YAML_INTEGER:.0e} limit')


def load_npz(path: str | Path, error: type[Exception], limit: int, what: str = 'NPZ file',
             max_members: int = 1024) -> dict:
    """
    Return the arrays of an ``.npz`` archive (no pickles), checked before anything inflates.

    Every member's size is checked before it is decompressed: the archive at most
    ``limit`` bytes and so is the sum of its members' declared sizes (a zip bomb is refused before
    it inflates), each member a ``.npy`` whose header's shape and dtype account exactly for its
    bytes.

    Raises
    ------
    error
        As :func:`open_limited`, not a zip archive, too many or oversized members, a
        member that is not a plain numeric ``.npy`` or whose data does not match its header.

    """
    import zipfile
    import zlib

    import numpy as np
    with open_limited(path, limit, error, what) as f, \
            open_zip(f, path, error, limit, what, max_members) as archive:
        arrays: dict[str, np.ndarray] = {}
        for member in archive.infolist():
            name = member.filename[:-4] if member.filename.endswith('.npy') else None
            if not name:
                raise error(f'{path}: member {member.filename[:80]!r} is not an array')
            try:
                raw = archive.read(member)  # stops at the declared size, checks the CRC
                arrays[name] = _parse_npy(raw)
            except (zipfile.BadZipFile, OSError, ValueError, EOFError, RuntimeError,
                    NotImplementedError, zlib.error) as e:
                raise error(f'{path}: member {name[:80]!r}: {type(e).__name__}: '
                            f'{str(e)[:160]}') from e
    return arrays


def open_zip(f, path: str | Path, error: type[Exception], limit: int, what: str,
             max_members: int = 1024):
    """
    Return a ``zipfile.ZipFile`` over ``f`` whose members declare at most ``limit`` bytes.

    Reading a member stops at its declared size and checks its CRC, so nothing inflates past
    this.

    Raises
    ------
    error
        Not a zip archive, too many members, or more than ``limit`` bytes declared.

    """
    import zipfile
    try:
        archive = zipfile.ZipFile(f)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as e:
        raise error(f'{path}: corrupt or not a {what} ({type(e).__name__}: {str(e)[:120]})') \
            from e
    members = archive.infolist()
    if len(members) > max_members or sum(m.file_size for m in members) > limit:
        archive.close()
        raise error(f'{path}: {len(members)} members declaring '
                    f'{sum(m.file_size for m in members)} bytes, over the limits of a {what} '
                    f'({max_members} members, {limit} bytes)')
    return archive


def _parse_npy(raw: bytes):
    """Return a numeric array from ``.npy`` bytes whose header matches its data length."""
    import io

    import numpy as np
    stream = io.BytesIO(raw)
    version = np.lib.format.read_magic(stream)
    if version == (1, 0):
        shape, fortran, dtype = np.lib.format.read_array_header_1_0(stream)
    elif version == (2, 0):
        shape, fortran, dtype = np.lib.format.read_array_header_2_0(stream)
    else:
        raise ValueError(f'.npy version {version} is not read here')
    if dtype.hasobject or dtype.kind not in 'biuf' or dtype.fields is not None:
        raise ValueError(f'holds {dtype} values, not real numbers')
    count = 1
    for n in shape:
        count *= n
    data = raw[stream.tell():]
    if count * dtype.itemsize != len(data):
        raise ValueError(f'header says {shape} {dtype}, the data holds {len(data)} bytes')
    array = np.frombuffer(data, dtype=dtype, count=count)
    return array.reshape(shape[::-1]).T if fortran else array.reshape(shape)
