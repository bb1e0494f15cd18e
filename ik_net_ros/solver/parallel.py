"""
One pool of worker threads for the chunks of large batches (see ``Solver._solve_batch``).

Threads, not processes: ONNX Runtime's runs and numpy's large matmuls release the GIL, so
networks run on all cores with no copies between processes (short numpy calls do not: see
:func:`pipeline`); the pool is made on first use (the live node,
which solves one pose at a time, never starts it). While chunks run, the BLAS under numpy is
held to one thread (threadpoolctl): otherwise each chunk's matmuls spread over every core as
well, and the numpy twin ran at 0.33 instead of 0.59 M poses/s (focused, 2 cores).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
import contextlib
import os
import threading

__all__ = ['map_chunks', 'pipeline', 'worker_count', 'hold_blas_to_one_thread']

_pool: ThreadPoolExecutor | None = None
_blas = None  # threadpoolctl's controller (made once: it inspects the loaded libraries)
_lock = threading.Lock()


def worker_count() -> int:
    """Return the cores this process may run on (CPU affinity, not the machine's core count)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        return os.cpu_count() or 1


def map_chunks(fn: Callable, chunks: list) -> Iterable:
    """
    ``map(fn, chunks)``, the chunks spread over worker_count() threads; results in order.

    A single chunk, or a call from inside a worker, runs on the calling thread.
    """
    global _pool
    if len(chunks) < 2 or worker_count() < 2 or threading.current_thread().name.startswith(
            'ik_net_ros_chunk'):
        return map(fn, chunks)
    with _lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(worker_count(), thread_name_prefix='ik_net_ros_chunk')
    with _one_blas_thread():
        return list(_pool.map(fn, chunks))


def pipeline(prepare: Callable, finish: Callable, chunks: list, threads: bool = True) -> list:
    """
    ``[finish(prepare(c)) for c in chunks]`` on the worker threads.

    The ``prepare`` calls take turns (one lock), the ``finish`` calls run at once.

    For work of two kinds: many short numpy calls (``prepare``: a projection) and one long call
    that releases the GIL (``finish``: a network on ONNX Runtime). Short numpy calls on two
    threads at once run slower than on one: each hands the GIL over (an OS thread wake-up,
    several microseconds) more often than it computes (4096-element array operations take 1-4
    us); two threads projecting at once reached 0.94x of one. Taking turns, one worker
    prepares while the other runs its network; preparing on a third thread instead (two
    workers finishing, three threads on two cores) was slower: 0.69 against 0.74 M poses/s
    (focused, 2 cores, interleaved medians).

    Chunks are prepared in no fixed order (``prepare`` gets the chunk's index as well:
    ``prepare(index, chunk)``); the answers are in the chunks' order. ``finish(None)`` is
    never called: a chunk whose ``prepare`` returns None gets None. ``threads=False``: all on
    the calling thread, in order.
    """
    if not threads or len(chunks) < 2 or worker_count() < 2 or \
            threading.current_thread().name.startswith('ik_net_ros_chunk'):
        return [None if (ready := prepare(i, c)) is None else finish(ready)
                for i, c in enumerate(chunks)]
    turn = threading.Lock()

    def work(indexed):
        with turn:
            ready = prepare(*indexed)
        return None if ready is None else finish(ready)

    return list(map_chunks(work, list(enumerate(chunks))))


def hold_blas_to_one_thread() -> bool:
    """
    Hold numpy's BLAS to one thread for the rest of the process.

    For a process that solves one pose at a time (the ik node). Its layers are single-vector
    products, which OpenBLAS spreads over its helper threads above about 9,000 weights; woken after
    the 10-20 ms between targets, with other nodes on the cores, they add a wake-up tail (improved,
    one pose after 10 ms of sleep, p90 of 300: 117, 121, 195 us with them, 111, 103, 105 us
    without; p50 alike). Returns whether the limit was set (False without threadpoolctl).
    """
    _one_blas_thread()
    if not _blas:
        return False
    _blas.limit(limits=1, user_api='blas')  # kept: the limit object is not used as a context
    return True


def _one_blas_thread():
    """Return a context holding numpy's BLAS to one thread (none without threadpoolctl)."""
    global _blas
    if _blas is None:
        try:
            from threadpoolctl import ThreadpoolController
            _blas = ThreadpoolController()
        except Exception:  # not installed, or a BLAS it cannot inspect: run as is
            _blas = False
    return _blas.limit(limits=1, user_api='blas') if _blas else contextlib.nullcontext()
