"""Dataset files: CSV (the interchange format the collector writes) and NPZ (large sets).

CSV: a header naming at least ``joint1..joint4, x, y, z, qx, qy, qz, qw`` in any order (extra
columns such as ``stamp`` are allowed and ignored), then one row per sample. A last line without
its newline (a recording cut off mid-write: torn by definition, even when it still parses) is
skipped with a warning; any other malformed row is an error naming the file and the line.
With all of ``mx, my, mz, mqx, mqy, mqz, mqw`` (a tracker's measured tool pose, written by the
collector with ``measured_pose_topic``) the set carries ``measured``; files without them load as
before.
"""

from __future__ import annotations

import csv
import logging
from pathlib import Path

import numpy as np

from ik_net_ros.atomic import atomic_write
from ik_net_ros.data.dataset import JOINT_COLUMNS, MEASURED_COLUMNS, POSE_COLUMNS, PoseJointSet
from ik_net_ros.errors import DatasetError

__all__ = ['read_csv', 'write_csv', 'read_npz', 'write_npz', 'load_dataset', 'save_dataset',
           'CSV_COLUMNS']

log = logging.getLogger(__name__)
CSV_COLUMNS = JOINT_COLUMNS + POSE_COLUMNS


def read_csv(path: str | Path) -> PoseJointSet:
    """Read a CSV dataset. Raises DatasetError (file, line and reason) on malformed content."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise DatasetError(f'{path}: cannot read ({e.strerror})') from e
    try:
        text = raw.decode('utf-8')
    except UnicodeDecodeError as e:
        line = raw[:e.start].count(b'\n') + 1
        raise DatasetError(f'{path}: line {line}: not text (byte {e.start} is not UTF-8; a '
                           'damaged or binary file?)') from e
    lines = text.splitlines()
    if text and not text.endswith('\n') and len(lines) > 1:
        # a last line without its newline is torn by definition (a crash mid-write), even
        # when it still parses: '0.9096' cut to '0.9' is a wrong value, not a short one
        log.warning('%s: line %d has no newline (recording cut off?); skipped', path, len(lines))
        lines = lines[:-1]
    reader = csv.reader(lines)
    try:
        rows = list(reader)
    except csv.Error as e:  # e.g. a field over the csv module's limit (128 KiB)
        raise DatasetError(f'{path}: line {reader.line_num}: not CSV ({e})') from e
    if not rows:
        raise DatasetError(f'{path}: empty file, expected a header {",".join(CSV_COLUMNS)}')
    header = [h.strip() for h in rows[0]]
    missing = [c for c in CSV_COLUMNS if c not in header]
    if missing:
        raise DatasetError(f'{path}: line 1: header lacks column(s) {", ".join(missing)}')
    measured = [c for c in MEASURED_COLUMNS if c in header]
    if measured and len(measured) != len(MEASURED_COLUMNS):
        raise DatasetError(f'{path}: line 1: header has {", ".join(measured)} but not all of '
                           f'{", ".join(MEASURED_COLUMNS)}')
    cols = [header.index(c) for c in CSV_COLUMNS + (MEASURED_COLUMNS if measured else ())]
    values = np.empty((len(rows) - 1, len(cols)))
    kept = 0
    for lineno, row in enumerate(rows[1:], start=2):
        if not row or all(not v.strip() for v in row):
            continue
        try:
            if len(row) != len(header):
                raise ValueError(f'{len(row)} fields, header has {len(header)}')
            values[kept] = [float(row[c]) for c in cols]
        except ValueError as e:
            raise DatasetError(f'{path}: line {lineno}: {_short(e)}') from e
        if not np.all(np.isfinite(values[kept])):
            raise DatasetError(f'{path}: line {lineno}: NaN or inf')
        kept += 1
    values = values[:kept]
    return PoseJointSet(values[:, 4:11], values[:, :4], {'source': str(path)},
                        values[:, 11:] if measured else None)


def _short(error: Exception, limit: int = 200) -> str:
    """An error's text cut to ``limit`` characters (a 1 MB field in a message helps nobody)."""
    text = str(error)
    return text if len(text) <= limit else text[:limit] + '...'


def write_csv(data: PoseJointSet, path: str | Path) -> None:
    """Write ``data`` as CSV with the standard header, atomically (temp file + rename)."""
    path = Path(path)
    columns = CSV_COLUMNS + (MEASURED_COLUMNS if data.measured is not None else ())
    table = np.concatenate([data.joints, data.poses] + (
        [data.measured] if data.measured is not None else []), axis=1)
    _atomic_write(path, lambda f: (f.write(','.join(columns) + '\n'),
                                   np.savetxt(f, table, delimiter=',', fmt='%.17g')), 'w')


def read_npz(path: str | Path) -> PoseJointSet:
    """Read an NPZ dataset (real arrays ``poses`` (N, 7) and ``joints`` (N, 4)).

    Raises:
        DatasetError: unreadable or damaged archive, missing arrays, arrays that are not real
            numbers (strings, objects, complex), wrong shapes, NaN or inf.
    """
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as z:
            arrays = {name: z[name] for name in ('poses', 'joints')}
            if 'measured' in z:
                arrays['measured'] = z['measured']
            meta = {'source': str(path)}
            if 'seed' in z:
                seed = z['seed']
                if seed.shape != () or seed.dtype.kind not in 'iu':
                    raise DatasetError(f'{path}: seed is not an integer')
                meta['seed'] = int(seed)
    except KeyError as e:
        raise DatasetError(f'{path}: missing array {e} (expected poses and joints)') from e
    except DatasetError:
        raise
    except Exception as e:  # noqa: BLE001 - damaged archives raise BadZipFile, zlib.error...
        raise DatasetError(f'{path}: not a readable NPZ file ({type(e).__name__}: '
                           f'{_short(e)})') from e
    for name, array in arrays.items():
        if array.dtype.kind not in 'iuf':
            raise DatasetError(f'{path}: {name} holds {array.dtype} values, not real numbers')
    data = PoseJointSet(arrays['poses'], arrays['joints'], meta, arrays.get('measured'))
    if not (np.all(np.isfinite(data.poses)) and np.all(np.isfinite(data.joints))
            and (data.measured is None or np.all(np.isfinite(data.measured)))):
        raise DatasetError(f'{path}: contains NaN or inf')
    return data


def write_npz(data: PoseJointSet, path: str | Path) -> None:
    """Write ``data`` as a compressed NPZ, atomically."""
    extra = {'seed': data.meta['seed']} if 'seed' in data.meta else {}
    if data.measured is not None:
        extra['measured'] = data.measured
    _atomic_write(Path(path), lambda f: np.savez_compressed(
        f, poses=data.poses, joints=data.joints, **extra), 'wb')


def load_dataset(path: str | Path) -> PoseJointSet:
    """Read a dataset by extension: .csv or .npz."""
    suffix = Path(path).suffix.lower()
    if suffix == '.csv':
        return read_csv(path)
    if suffix == '.npz':
        return read_npz(path)
    raise DatasetError(f'{path}: unknown dataset format {suffix!r} (expected .csv or .npz)')


def save_dataset(data: PoseJointSet, path: str | Path) -> None:
    """Write a dataset by extension: .csv or .npz."""
    suffix = Path(path).suffix.lower()
    if suffix == '.csv':
        write_csv(data, path)
    elif suffix == '.npz':
        write_npz(data, path)
    else:
        raise DatasetError(f'{path}: unknown dataset format {suffix!r} (expected .csv or .npz)')


def _atomic_write(path: Path, write, mode: str) -> None:
    try:
        atomic_write(path, write, mode)
    except OSError as e:
        raise DatasetError(f'{path}: cannot write ({e.strerror})') from e
