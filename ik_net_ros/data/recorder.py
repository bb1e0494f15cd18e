"""Append-only CSV recording of pose/joint pairs that never loses what it was given.

Rows are buffered by the OS and flushed + fsynced at least every ``flush_period`` seconds and on
close, so a crash loses at most that much. Reopening an existing file appends after checking
that its header matches; a torn last line (a crash mid-write) is cut off first, with a warning,
so the file stays readable.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

import numpy as np

from ik_net_ros.data.files import CSV_COLUMNS
from ik_net_ros.errors import DatasetError

__all__ = ['CsvRecorder', 'RECORD_COLUMNS']

log = logging.getLogger(__name__)
RECORD_COLUMNS = ('stamp',) + CSV_COLUMNS  # stamp, joint1..4, x, y, z, qx, qy, qz, qw


class CsvRecorder:
    """Appends rows ``stamp, joint1..4, x, y, z, qx, qy, qz, qw`` to a CSV file.

    Raises (on construction):
        DatasetError: the file exists with another header, or cannot be opened.
    """

    def __init__(self, path: str | Path, flush_period: float = 1.0):
        self.path = Path(path)
        self.flush_period = flush_period
        self.rows = 0  # written by this recorder
        self.existing_rows = 0
        header = ','.join(RECORD_COLUMNS)
        try:
            if self.path.exists() and self.path.stat().st_size > 0:
                self.existing_rows = self._prepare_append(header)
                self._file = open(self.path, 'a')
            else:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._file = open(self.path, 'w')
                self._file.write(header + '\n')
                self._sync()
        except OSError as e:
            raise DatasetError(f'{self.path}: cannot open for recording ({e.strerror})') from e
        self._last_flush = time.monotonic()

    def _prepare_append(self, header: str) -> int:
        with open(self.path, 'rb+') as f:
            data = f.read()
            first = data.split(b'\n', 1)[0].decode(errors='replace').strip()
            if first != header:
                raise DatasetError(f'{self.path}: exists with header {first!r}, expected '
                                   f'{header!r}; choose another output file')
            if not data.endswith(b'\n'):
                cut = data.rfind(b'\n') + 1
                log.warning('%s: last line was torn (%d bytes); cut before appending',
                            self.path, len(data) - cut)
                f.truncate(cut)
                data = data[:cut]
        return max(0, data.count(b'\n') - 1)

    def append(self, stamp: float, joints: np.ndarray, pose: np.ndarray) -> None:
        """Append one row; flushes to disk when ``flush_period`` has passed."""
        values = [stamp, *joints, *pose]
        self._file.write(','.join(f'{v:.17g}' for v in values) + '\n')
        self.rows += 1
        if time.monotonic() - self._last_flush >= self.flush_period:
            self.flush()

    def flush(self) -> None:
        """Everything appended so far is on disk when this returns."""
        if not self._file.closed:
            self._sync()
            self._last_flush = time.monotonic()

    def _sync(self) -> None:
        self._file.flush()
        os.fsync(self._file.fileno())

    def close(self) -> None:
        """Flush, fsync and close (idempotent)."""
        if not self._file.closed:
            self._sync()
            self._file.close()
