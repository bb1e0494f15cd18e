"""
Append-only CSV recording of pose/joint pairs that never loses what it was given.

Each row goes to the kernel with one ``os.write`` as it arrives (a killed process loses nothing
it appended) and is fsynced at least every ``flush_period`` seconds and on close (a power cut
loses at most that much). The file is locked (``flock``) for as long as the recorder is open:
a second recorder on the same file is refused instead of interleaving rows. A write that fails
(a full disk) is undone to the last complete row, so the file always loads and :attr:`rows`
always equals the rows on disk.

Reopening an existing file appends after checking that its header matches, in bounded memory
(the header, the tail and a count of the rows, read a block at a time). A torn last line (a
crash mid-write: no final newline) is moved, byte for byte, to ``<file>.torn-<n>`` first, with a
warning: the recording still loads and nothing is lost.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
import time

from ik_net_ros.arm import Arm
from ik_net_ros.data.files import csv_columns, MAX_HEADER_BYTES
from ik_net_ros.errors import DatasetError
import numpy as np

try:
    import fcntl
except ImportError:  # not POSIX: no lock
    fcntl = None

__all__ = ['CsvRecorder', 'record_columns']

log = logging.getLogger(__name__)


def record_columns(arm: Arm | None = None) -> tuple[str, ...]:
    """Return a recording's columns: stamp, the arm's joints (None: the OM-X's), x..qw."""
    return ('stamp',) + csv_columns(arm)


BLOCK = 1 << 20  # bytes read at a time when reopening a recording: its memory, whatever its size


class CsvRecorder:
    """
    Appends rows ``stamp, <the arm's joints>, x, y, z, qx, qy, qz, qw[, extra...]`` to a CSV file.

    Parameters
    ----------
    path
        The CSV file (created with a header, or appended to).
    flush_period
        Seconds between fsyncs.
    columns
        The header's columns (default: :func:`record_columns` of the OM-X).

    Raises
    ------
    DatasetError
        On construction: the file exists with another header, another recorder holds it, or it
        cannot be opened.

    """

    def __init__(self, path: str | Path, flush_period: float = 1.0,
                 columns: tuple[str, ...] | None = None):
        self.path = Path(path)
        self.flush_period = flush_period
        self.columns = tuple(columns) if columns is not None else record_columns()
        self.rows = 0  # written by this recorder, all of them in the file
        self.existing_rows = 0
        self._fd: int | None = None
        header = (','.join(self.columns) + '\n').encode()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
            self._lock()
            self.existing_rows = self._prepare(header)
            self._size = os.fstat(self._fd).st_size
            os.fsync(self._fd)
        except OSError as e:
            self._release()
            raise DatasetError(f'{self.path}: cannot open for recording ({e.strerror})') from e
        except DatasetError:
            self._release()
            raise
        self._last_flush = time.monotonic()

    def _lock(self) -> None:
        if fcntl is None:
            return
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as e:
            raise DatasetError(f'{self.path}: another recorder is writing this file; stop it '
                               'or choose another output file') from e

    def _prepare(self, header: bytes) -> int:
        """
        Write or check the header, keep a torn tail aside; return the rows already there.

        Reads the first line, the file backwards to its last newline, and counts the rows a
        block at a time: memory stays BLOCK whatever the file's size (a 1 GB recording was read
        whole, twice).
        """
        size = os.fstat(self._fd).st_size
        head = os.pread(self._fd, MAX_HEADER_BYTES + 1, 0)
        if size <= len(head) and not head.strip():
            os.ftruncate(self._fd, 0)
            self._write_all(header)
            return 0
        first = head.split(b'\n', 1)[0]
        if first.rstrip(b'\r').strip() != header.strip():
            shown = first[:200].decode(errors='replace')
            raise DatasetError(f'{self.path}: exists with header {shown!r}, expected '
                               f'{header.decode().strip()!r}; choose another output file')
        if len(first) == size:  # only the header, without its newline: complete it
            self._write_all(b'\n')
            return 0
        cut = self._last_newline(size) + 1
        if cut < size:
            self._keep_torn(cut, size)
        return self._count_newlines(len(first) + 1, cut)

    def _last_newline(self, size: int) -> int:
        """Return the offset of the file's last newline (the header has one), reading back."""
        end = size
        while end > 0:
            start = max(0, end - BLOCK)
            found = os.pread(self._fd, end - start, start).rfind(b'\n')
            if found >= 0:
                return start + found
            end = start
        return -1

    def _count_newlines(self, start: int, end: int) -> int:
        count = 0
        while start < end:
            block = os.pread(self._fd, min(BLOCK, end - start), start)
            if not block:
                break
            count += block.count(b'\n')
            start += len(block)
        return count

    def _keep_torn(self, cut: int, size: int) -> None:
        """
        Move a torn last line (bytes ``cut:size``, no newline) to ``<file>.torn-<n>``.

        A crash mid-write leaves it; appended to, it would become a malformed row inside the
        recording (which then no longer loads); cut, its bytes would be lost. Kept aside in a
        new file (synced before the recording is cut), every byte stays on disk.

        Raises
        ------
        DatasetError
            The side file cannot be written: nothing is cut and no row appended.

        """
        side, fd, n = None, None, 1
        try:
            while fd is None:
                side = self.path.with_name(f'{self.path.name}.torn-{n}')
                try:
                    fd = os.open(side, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
                except FileExistsError:
                    n += 1
            offset = cut
            while offset < size:
                block = os.pread(self._fd, min(BLOCK, size - offset), offset)
                if not block:
                    break
                view = memoryview(block)
                while view:
                    view = view[os.write(fd, view):]
                offset += len(block)
            os.fsync(fd)
        except OSError as e:
            raise DatasetError(f'{self.path}: its last line is torn ({size - cut} bytes, no '
                               f'newline) and could not be kept in {side} ({e.strerror}); '
                               'nothing was cut, no row appended') from e
        finally:
            if fd is not None:
                os.close(fd)
        os.ftruncate(self._fd, cut)
        log.warning('%s: last line was torn (%d bytes, no newline, a crash mid-write?): moved '
                    'to %s before appending', self.path, size - cut, side)

    def _write_all(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            view = view[os.write(self._fd, view):]

    def append(self, stamp: float, joints: np.ndarray, pose: np.ndarray, *extra) -> None:
        """
        Append one row (``extra``: values of further columns).

        Fsyncs when ``flush_period`` has passed.

        Raises
        ------
        DatasetError
            The row could not be written (a full disk, a closed recorder); the
            file is left at its last complete row and :attr:`rows` counts what is there.

        """
        if self._fd is None:
            raise DatasetError(f'{self.path}: recorder is closed')
        values = [stamp, *joints, *pose, *extra]
        line = (','.join(f'{float(v):.17g}' for v in values) + '\n').encode()
        try:
            self._write_all(line)
        except OSError as e:
            self._undo_partial()
            raise DatasetError(f'{self.path}: cannot write ({e.strerror}); {self.rows} rows '
                               'recorded are on disk, this one is not') from e
        self._size += len(line)
        self.rows += 1
        if time.monotonic() - self._last_flush >= self.flush_period:
            self.flush()

    def _undo_partial(self) -> None:
        """Cut a partly written row: the file ends with a complete one again."""
        try:
            os.ftruncate(self._fd, self._size)
        except OSError as e:
            log.error('%s: could not cut a partial row (%s)', self.path, e.strerror)

    def flush(self) -> None:
        """
        Everything appended so far is on disk when this returns.

        Raises
        ------
        DatasetError
            Fsync failed.

        """
        if self._fd is None:
            return
        try:
            os.fsync(self._fd)
        except OSError as e:
            raise DatasetError(f'{self.path}: cannot sync to disk ({e.strerror})') from e
        self._last_flush = time.monotonic()

    def close(self) -> None:
        """
        Sync to disk, unlock and close the file (idempotent).

        Raises
        ------
        DatasetError
            The final fsync failed (the file is closed all the same).

        """
        if self._fd is None:
            return
        try:
            self.flush()
        finally:
            self._release()

    def _release(self) -> None:
        if self._fd is not None:
            try:
                os.close(self._fd)  # closing drops the flock
            except OSError:
                pass
            self._fd = None

    @property
    def closed(self) -> bool:
        return self._fd is None
