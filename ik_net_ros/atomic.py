"""Atomic file writes: a reader sees the old file or the new one, never half of one."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ['atomic_write']


def atomic_write(path: Path, write, mode: str = 'wb') -> None:
    """
    Call ``write(f)`` on a temporary file beside ``path``, fsync it, rename it over ``path``.

    Raises
    ------
    OSError
        The file could not be written (the temporary file is removed).

    """
    tmp = path.with_name(f'.{path.name}.{os.getpid()}.tmp')
    try:
        with open(tmp, mode) as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
