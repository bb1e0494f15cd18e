"""
Dataset files: CSV (the interchange format the collector writes) and NPZ (large sets).

CSV: a header naming at least a column per joint of the arm (its joint names: ``joint1..joint4``
on the OM-X, ``joint1..joint5`` on the OMX-F) and ``x, y, z, qx, qy, qz, qw`` in any order (extra
columns such as ``stamp`` are allowed and ignored; a ``jointN`` column the arm has not is a
recording of another arm, refused), then one row per sample. A last line without
its newline (a recording cut off mid-write: torn by definition, even when it still parses) is
skipped with a warning; any other malformed row is an error naming the file and the line.
With all of ``mx, my, mz, mqx, mqy, mqz, mqw`` (a tracker's measured pose, written by the
collector with ``measured_pose_topic``) the set carries ``measured``, and with all of
``v`` + each joint name its joint ``velocities``; files without them load as before. A sidecar
``<file>.tracker.yaml`` (written by the collector) names the frame of the measured poses.
NPZ: arrays ``poses``, ``joints`` (and ``measured``, ``velocities``), and ``arm`` (the arm's name
as UTF-8 bytes; a file without it is the OM-X's, as before). Every reader takes the ``arm`` the
data must be of (None: the OM-X) and refuses a file of another arm by name.
"""

from __future__ import annotations

import csv
import logging
import os
from pathlib import Path
import re

from ik_net_ros.arm import Arm, arm_or_default, ArmError, load_arm
from ik_net_ros.atomic import atomic_write
from ik_net_ros.bounded_files import load_npz, open_limited
from ik_net_ros.data.dataset import (
    check_arm_of,
    joint_columns,
    MEASURED_COLUMNS,
    POSE_COLUMNS,
    PoseJointSet,
    velocity_columns,
)
from ik_net_ros.errors import DatasetError
import numpy as np
from tqdm import tqdm

__all__ = ['read_csv', 'write_csv', 'read_npz', 'write_npz', 'load_dataset', 'save_dataset',
           'write_sidecar', 'read_sidecar', 'csv_columns', 'arm_of_data']

log = logging.getLogger(__name__)
# a column named as a joint (ROBOTIS's names): one the arm has not is another arm's recording
_JOINT_LIKE = re.compile(r'joint\d+')
MAX_CSV_BYTES = 1 << 40  # a regular file; memory is the real bound (checked before allocating)
MAX_HEADER_BYTES = MAX_LINE_BYTES = 1 << 16
CHUNK_ROWS = 65536
PROGRESS_BYTES = 50 << 20


def csv_columns(arm: Arm | None = None) -> tuple[str, ...]:
    """Return the columns every dataset CSV of ``arm`` has (None: the OM-X): joints, then pose."""
    return joint_columns(arm) + POSE_COLUMNS


def read_csv(path: str | Path, progress: bool | None = None,
             arm: Arm | None = None) -> PoseJointSet:
    """
    Read a CSV dataset in bounded memory.

    The rows are counted first, one float64 array is allocated for the columns used, and lines are
    parsed into it in chunks (NumPy's C parser), so the peak is that array plus one chunk (a 3
    M-row recording: about 0.4 GB).

    Parameters
    ----------
    path
        The CSV file (a header naming at least the joint and pose columns).
    progress
        Show a progress bar (None: on a terminal, for files over 50 MB).
    arm
        The arm whose recording it is (None: the OM-X): its joint names are the joint columns.

    Raises
    ------
    DatasetError
        File and line and reason on malformed content; not a regular file; not
        enough memory for the rows (said before anything is allocated where it can be);
        a recording of another arm.

    """
    path = Path(path)
    arm = arm_or_default(arm)
    dof = arm.dof
    with open_limited(path, MAX_CSV_BYTES, DatasetError, 'dataset') as f:
        size = os.fstat(f.fileno()).st_size
        header_line = f.readline(MAX_HEADER_BYTES + 1)
        if not header_line.strip():
            raise DatasetError(f'{path}: empty file, expected a header '
                               f'{",".join(csv_columns(arm))}')
        header, cols, groups = _header(path, header_line, arm)
        rows, torn = _count_rows(f, path)
        if torn:
            # a last line without its newline is torn by definition (a crash mid-write), even
            # when it still parses: '0.9096' cut to '0.9' is a wrong value, not a short one
            log.warning('%s: line %d has no newline (recording cut off?); skipped', path,
                        rows + 2)
        values = _allocate(path, rows, len(cols))
        f.seek(len(header_line))
        kept = 0
        show = size > PROGRESS_BYTES if progress is None else progress
        with tqdm(total=rows, desc=f'read {path.name}', unit='row', unit_scale=True,
                  disable=not show or None, leave=False) as bar:
            lineno = 2
            while lineno - 2 < rows:
                chunk = _lines(f, path, lineno, min(CHUNK_ROWS, rows - (lineno - 2)))
                kept += _parse_chunk(path, chunk, lineno, len(header), cols, values[kept:])
                lineno += len(chunk)
                bar.update(len(chunk))
    values = values[:kept]
    measured = values[:, dof + 7:dof + 14] if MEASURED_COLUMNS in groups else None
    velocities = values[:, -dof:] if velocity_columns(arm) in groups else None
    meta = {'source': str(path), 'arm': arm.name, **read_sidecar(path)}
    return PoseJointSet(values[:, dof:dof + 7], values[:, :dof], meta, measured, velocities)


def _lines(f, path: Path, first_line: int, count: int) -> list[bytes]:
    """Return the next ``count`` lines, none over MAX_LINE_BYTES (collector lines: ~400)."""
    lines = []
    for lineno in range(first_line, first_line + count):
        line = f.readline(MAX_LINE_BYTES + 1)
        if len(line) > MAX_LINE_BYTES:
            raise DatasetError(f'{path}: line {lineno}: over {MAX_LINE_BYTES} bytes')
        lines.append(line)
    return lines


def _header(path: Path, line: bytes, arm: Arm) -> tuple[list[str], list[int], list[tuple]]:
    if len(line) > MAX_HEADER_BYTES:
        raise DatasetError(f'{path}: line 1: a header over {MAX_HEADER_BYTES} bytes')
    try:
        text = line.decode('utf-8')
    except UnicodeDecodeError as e:
        raise DatasetError(f'{path}: line 1: not text (byte {e.start} is not UTF-8; a damaged '
                           'or binary file?)') from e
    try:
        header = [h.strip() for h in next(csv.reader([text]))]
    except (csv.Error, StopIteration) as e:
        raise DatasetError(f'{path}: line 1: not a CSV header ({type(e).__name__})') from e
    foreign = [c for c in header if _JOINT_LIKE.fullmatch(c) and c not in arm.joint_names]
    if foreign:
        raise DatasetError(f'{path}: line 1: column(s) {", ".join(foreign)} name joints the '
                           f'{arm.name} has not ({", ".join(arm.joint_names)}): a recording of '
                           'another arm (give its --arm)')
    missing = [c for c in csv_columns(arm) if c not in header]
    if missing:
        raise DatasetError(f'{path}: line 1: header lacks column(s) {", ".join(missing)} of the '
                           f'{arm.name}')
    velocities = velocity_columns(arm)
    groups, names = [], list(csv_columns(arm))
    for group in (MEASURED_COLUMNS, velocities):
        present = [c for c in group if c in header]
        if present and len(present) != len(group):
            raise DatasetError(f'{path}: line 1: header has {", ".join(present)} but not all of '
                               f'{", ".join(group)}')
        if present:
            groups.append(group)
            names += group
    if velocities in groups and MEASURED_COLUMNS not in groups:
        raise DatasetError(f'{path}: line 1: joint velocities without measured poses')
    return header, [header.index(c) for c in names], groups


def read_sidecar(path: str | Path) -> dict:
    """
    Return what the collector's ``<file>.tracker.yaml`` says: {'measured_frame': name} or {}.

    Raises
    ------
    DatasetError
        A sidecar that is unreadable, oversized, or names no frame.

    """
    from ik_net_ros.bounded_files import load_yaml
    path = Path(path)
    side = path.with_name(path.name + '.tracker.yaml')
    if not side.exists():
        return {}
    data = load_yaml(side, DatasetError, 'tracker sidecar')
    frame = data.get('frame_id') if isinstance(data, dict) else None
    if not isinstance(frame, str) or len(frame) > 256:
        raise DatasetError(f'{side}: frame_id must be a frame name')
    return {'measured_frame': frame}


def _count_rows(f, path: Path) -> tuple[int, bool]:
    """Complete lines after the header, and whether a torn last line (no newline) follows."""
    count, last = 0, b'\n'
    while True:
        block = f.read(1 << 24)
        if not block:
            break
        count += block.count(b'\n')
        last = block[-1:]
    return count, last != b'\n'


def _allocate(path: Path, rows: int, cols: int) -> np.ndarray:
    need = rows * cols * 8
    available = _available_memory()
    if available is not None and need > available:
        raise DatasetError(f'{path}: {rows} rows need {need / 1e9:.1f} GB, {available / 1e9:.1f} '
                           'GB of memory is available (split the recording, or convert it on '
                           'a larger machine: `ik_net_ros dataset in.csv out.npz`)')
    try:
        return np.empty((rows, cols))
    except MemoryError as e:
        raise DatasetError(f'{path}: out of memory for {rows} rows ({need / 1e9:.1f} GB)') from e


def _available_memory() -> int | None:
    try:
        with open('/proc/meminfo', 'rb') as f:
            for line in f:
                if line.startswith(b'MemAvailable:'):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def _parse_chunk(path: Path, chunk: list[bytes], first_line: int, fields: int, cols: list[int],
                 out: np.ndarray) -> int:
    """
    Parse lines (bytes) numbered from ``first_line`` into ``out``.

    Returns the rows kept (blank lines are skipped). A problem is located by parsing the chunk line
    by line.
    """
    try:
        lines = [line.decode('utf-8') for line in chunk]
        lines = [line for line in lines if line.strip()]
        if any(line.count(',') != fields - 1 for line in lines):
            raise ValueError('field count')
        table = np.loadtxt(lines, delimiter=',', usecols=cols, ndmin=2, dtype=np.float64) \
            if lines else np.empty((0, len(cols)))
        if not np.all(np.isfinite(table)):
            raise ValueError('not finite')
    except (UnicodeDecodeError, ValueError):
        _locate(path, chunk, first_line, fields, cols)
        raise AssertionError('unreachable: _locate raises') from None
    out[:len(table)] = table
    return len(table)


def _locate(path: Path, chunk: list[bytes], first_line: int, fields: int, cols: list[int]):
    """Raise the DatasetError of the first bad line of ``chunk`` (the slow, exact path)."""
    for lineno, raw in enumerate(chunk, start=first_line):
        try:
            text = raw.decode('utf-8')
        except UnicodeDecodeError as e:
            raise DatasetError(f'{path}: line {lineno}: not text (byte {e.start} is not UTF-8; '
                               'a damaged or binary file?)') from e
        if not text.strip():
            continue
        try:
            row = next(csv.reader([text]))
            if len(row) != fields:
                raise ValueError(f'{len(row)} fields, header has {fields}')
            values = [float(row[c]) for c in cols]
        except (ValueError, csv.Error) as e:
            raise DatasetError(f'{path}: line {lineno}: {_short(e)}') from e
        if not all(np.isfinite(values)):
            raise DatasetError(f'{path}: line {lineno}: NaN or inf')
    raise DatasetError(f'{path}: lines {first_line}-{first_line + len(chunk) - 1}: not CSV '
                       'numbers')


def _short(error: Exception, limit: int = 200) -> str:
    """Return an error's text cut to ``limit`` characters (a 1 MB field helps nobody)."""
    text = str(error)
    return text if len(text) <= limit else text[:limit] + '...'


def arm_of_data(data: PoseJointSet, arm: Arm | None = None, where: str = 'data') -> Arm:
    """
    Return the arm of ``data``: ``arm`` (checked), else the one its meta names, else the OM-X.

    Raises
    ------
    DatasetError
        Data of another arm than ``arm``, an arm name no description is shipped of, or joints
        that do not fit it.

    """
    if arm is None:
        name = data.meta.get('arm')
        try:
            arm = arm_or_default(None) if name is None else load_arm(name)
        except (ArmError, ValueError) as e:
            raise DatasetError(f'{where}: data of arm {name!r}, which cannot be loaded ({e})') \
                from e
    arm = arm_or_default(arm)
    check_arm_of(data, arm, where)
    return arm


def write_csv(data: PoseJointSet, path: str | Path, arm: Arm | None = None) -> None:
    """
    Write ``data`` as CSV with its arm's header, atomically (temp file + rename).

    ``arm``: the arm it is of (None: the one its meta names, else the OM-X).

    Raises
    ------
    DatasetError
        Data of another arm, or the file cannot be written.

    """
    path = Path(path)
    arm = arm_of_data(data, arm, str(path))
    columns, parts = csv_columns(arm), [data.joints, data.poses]
    if data.measured is not None:
        columns, parts = columns + MEASURED_COLUMNS, parts + [data.measured]
        if data.velocities is not None:
            columns, parts = columns + velocity_columns(arm), parts + [data.velocities]
    table = np.concatenate(parts, axis=1)
    _atomic_write(path, lambda f: (f.write(','.join(columns) + '\n'),
                                   np.savetxt(f, table, delimiter=',', fmt='%.17g')), 'w')


def read_npz(path: str | Path, arm: Arm | None = None) -> PoseJointSet:
    """
    Read an NPZ dataset (real arrays ``poses`` (N, 7) and ``joints`` (N, dof)) of ``arm``.

    ``arm``: the arm the data must be of (None: the OM-X; a file without an ``arm`` entry is
    the OM-X's).

    Raises
    ------
    DatasetError
        Unreadable or damaged archive, missing arrays, arrays that are not real
        numbers (strings, objects, complex), wrong shapes, NaN or inf, data of another arm.

    """
    path = Path(path)
    arm = arm_or_default(arm)
    arrays = load_npz(path, DatasetError, _available_memory() or MAX_CSV_BYTES, 'dataset')
    missing = [name for name in ('poses', 'joints') if name not in arrays]
    if missing:
        raise DatasetError(f'{path}: missing array {missing[0]!r} (expected poses and joints)')
    meta = {'source': str(path), **read_sidecar(path)}
    if 'seed' in arrays:
        seed = arrays.pop('seed')
        if seed.shape != () or seed.dtype.kind not in 'iu':
            raise DatasetError(f'{path}: seed is not an integer')
        meta['seed'] = int(seed)
    if 'arm' in arrays:
        meta['arm'] = _arm_name(path, arrays.pop('arm'))
    arrays = {k: v for k, v in arrays.items()
              if k in ('poses', 'joints', 'measured', 'velocities')}
    for name, array in arrays.items():
        if array.dtype.kind not in 'iuf':
            raise DatasetError(f'{path}: {name} holds {array.dtype} values, not real numbers')
    data = PoseJointSet(arrays['poses'], arrays['joints'], meta, arrays.get('measured'),
                        arrays.get('velocities') if 'measured' in arrays else None)
    arrays = (data.poses, data.joints, data.measured, data.velocities)
    if not all(np.all(np.isfinite(a)) for a in arrays if a is not None):
        raise DatasetError(f'{path}: contains NaN or inf')
    return check_arm_of(data, arm, str(path))


def _arm_name(path: Path, array: np.ndarray) -> str:
    """Return the arm name an NPZ's ``arm`` entry (UTF-8 bytes) holds."""
    try:
        if array.dtype != np.uint8 or array.ndim != 1 or not 0 < len(array) <= 256:
            raise ValueError('not a short byte string')
        return bytes(array).decode('utf-8')
    except (ValueError, UnicodeDecodeError) as e:
        raise DatasetError(f'{path}: its arm entry is not an arm name ({e})') from e


def write_npz(data: PoseJointSet, path: str | Path, arm: Arm | None = None) -> None:
    """
    Write ``data`` as a compressed NPZ with its arm's name, atomically.

    ``arm``: the arm it is of (None: the one its meta names, else the OM-X).

    Raises
    ------
    DatasetError
        Data of another arm, or the file cannot be written.

    """
    arm = arm_of_data(data, arm, str(path))
    extra = {'seed': data.meta['seed']} if 'seed' in data.meta else {}
    extra['arm'] = np.frombuffer(arm.name.encode(), np.uint8)
    if data.measured is not None:
        extra['measured'] = data.measured
        if data.velocities is not None:
            extra['velocities'] = data.velocities
    _atomic_write(Path(path), lambda f: np.savez_compressed(
        f, poses=data.poses, joints=data.joints, **extra), 'wb')


def load_dataset(path: str | Path, arm: Arm | None = None) -> PoseJointSet:
    """
    Read a dataset of ``arm`` (None: the OM-X) by extension: .csv or .npz.

    Raises
    ------
    DatasetError
        An unknown extension, or as :func:`read_csv` and :func:`read_npz`.

    """
    suffix = Path(path).suffix.lower()
    if suffix == '.csv':
        return read_csv(path, arm=arm)
    if suffix == '.npz':
        return read_npz(path, arm)
    raise DatasetError(f'{path}: unknown dataset format {suffix!r} (expected .csv or .npz)')


def save_dataset(data: PoseJointSet, path: str | Path, arm: Arm | None = None) -> None:
    """
    Write a dataset of ``arm`` (None: the one its meta names, else the OM-X) by extension.

    Raises
    ------
    DatasetError
        An extension other than .csv or .npz, data of another arm, or an unwritable file.

    """
    suffix = Path(path).suffix.lower()
    if suffix == '.csv':
        write_csv(data, path, arm)
    elif suffix == '.npz':
        write_npz(data, path, arm)
    else:
        raise DatasetError(f'{path}: unknown dataset format {suffix!r} (expected .csv or .npz)')
    if data.measured is not None and 'measured_frame' in data.meta:
        write_sidecar(path, data.meta['measured_frame'])


def write_sidecar(path: str | Path, frame_id: str) -> None:
    """Write ``<path>.tracker.yaml``: the frame the recording's measured poses are in."""
    import yaml
    path = Path(path)
    text = yaml.safe_dump({'frame_id': str(frame_id)})
    _atomic_write(path.with_name(path.name + '.tracker.yaml'), lambda f: f.write(text), 'w')


def _atomic_write(path: Path, write, mode: str) -> None:
    try:
        atomic_write(path, write, mode)
    except OSError as e:
        raise DatasetError(f'{path}: cannot write ({e.strerror})') from e
