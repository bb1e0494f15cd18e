"""
The machine's fp32 ceilings, measured in the same run as the throughputs they are set beside.

And where a network's time goes inside ONNX Runtime (how close its matmuls come to the ceilings).

Two ceilings. The peak: a small C loop of independent fused multiply-adds (AVX-512 where the CPU
has it, else AVX2; 16 accumulators, twice what 2 FMA units of 4 cycles' latency need), compiled
at run time with the machine's C compiler (``-O3 -march=native``) into a temporary folder, the
best of several runs on one core; the ceiling is that times the cores (one core runs at least as
fast alone as beside the others, so no engine can beat it even on an idle machine). The loop on
every core at once (ctypes releases the GIL) is reported beside it: on a shared, loaded machine
it is lower, and that is the load, not the ceiling. The practical ceiling: the best SGEMM of the
machine's BLAS (numpy float32 matmul on square matrices of 1,024 and 2,048, best of 8 runs) on
one thread, times the cores (or all cores measured at once where higher); its runs take tens of
milliseconds, so a loaded machine lowers it. Without a compiler the peak is that SGEMM figure
instead, and labelled so: a lower bound of the peak, not the peak.
"""

from __future__ import annotations

import collections
import ctypes
import json
import os
from pathlib import Path
import shutil
import subprocess
import sys
import tempfile
import threading
import time

from ik_net_ros.solver.parallel import worker_count
import numpy as np

__all__ = ['fp32_peak', 'network_profile', 'sgemm_ceiling']

_CHAINS = 16
# CHAINS independent accumulators hide the FMA latency (4 cycles on 2 units: 8 needed; 16 also
# covers 3 units or 5 cycles); no loads or stores in the loop, so only the FMA units bound it
_SOURCE = r"""
#include <immintrin.h>
#include <stdint.h>
#define CHAINS CHAINS_N
float fma_loop(int64_t n) {
  VEC m = SET1(0.999999f), c = SET1(1e-7f), a[CHAINS];
  for (int i = 0; i < CHAINS; i++) a[i] = SET1((float)i);
  for (int64_t k = 0; k < n; k++) {
#pragma GCC unroll 16
    for (int i = 0; i < CHAINS; i++) a[i] = FMADD(a[i], m, c);
  }
  float out = 0.0f, lanes[LANES];
  for (int i = 0; i < CHAINS; i++) {
    STORE(lanes, a[i]);
    for (int j = 0; j < LANES; j++) out += lanes[j];
  }
  return out;
}
""".replace('CHAINS_N', str(_CHAINS))
_ISA = {  # cpuinfo flag: (defines, compiler flags, float lanes)
    'avx512f': ('-DVEC=__m512 -DSET1=_mm512_set1_ps -DFMADD=_mm512_fmadd_ps '
                '-DSTORE=_mm512_storeu_ps -DLANES=16', '-mavx512f -mfma', 16),
    'avx2': ('-DVEC=__m256 -DSET1=_mm256_set1_ps -DFMADD=_mm256_fmadd_ps '
             '-DSTORE=_mm256_storeu_ps -DLANES=8', '-mavx2 -mfma', 8),
}
_SGEMM_SIZES = (1024, 2048)


def _cpu_flags() -> set[str]:
    try:
        for line in open('/proc/cpuinfo'):
            if line.startswith('flags'):
                return set(line.split(':', 1)[1].split())
    except OSError:
        pass
    return set()


def _fma_library(folder: Path):
    """(ctypes function, lanes, ISA name), or (None, why) when no compiler or no FMA ISA."""
    compiler = os.environ.get('CC') or shutil.which('cc') or shutil.which('gcc')
    flags = _cpu_flags()
    isa = next((name for name in _ISA if name in flags and 'fma' in flags), None)
    if compiler is None:
        return None, 'no C compiler (cc, gcc or $CC)'
    if isa is None:
        return None, 'the CPU has no AVX2/AVX-512 FMA'
    defines, cflags, lanes = _ISA[isa]
    source, library = folder / 'fma.c', folder / 'fma.so'
    source.write_text(_SOURCE)
    why = 'the compiler failed'
    # -march=native first (the compiler schedules for this core); the ISA's flags alone where a
    # compiler does not know the core
    for arch in (['-march=native', *cflags.split()], cflags.split()):
        cmd = [compiler, '-O3', '-shared', '-fPIC', *arch, *defines.split(), str(source),
               '-o', str(library)]
        try:
            done = subprocess.run(cmd, capture_output=True, timeout=120)
        except (OSError, subprocess.TimeoutExpired) as error:  # a compiler that hangs
            why = f'the compiler failed ({error})'
            continue
        if done.returncode == 0:
            try:
                fn = ctypes.CDLL(str(library)).fma_loop
            except OSError as error:
                return None, f'the compiled loop did not load ({error})'
            fn.restype, fn.argtypes = ctypes.c_float, [ctypes.c_int64]
            return (fn, lanes, isa), ''
        why = f'the compiler failed: {done.stderr.decode(errors="replace").strip()[:200]}'
    return None, why


def _timed(fn, arg) -> float:
    """Return the seconds of one call on this thread."""
    start = time.perf_counter()
    fn(arg)
    return time.perf_counter() - start


def _on_threads(fn, arg, threads: int) -> float:
    workers = [threading.Thread(target=fn, args=(arg,)) for _ in range(threads)]
    start = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return time.perf_counter() - start


def _best_sgemm(repeats: int) -> tuple[float, int]:
    """(best GFLOP/s, its size) of numpy float32 matmul over _SGEMM_SIZES, as BLAS threads."""
    best, where = 0.0, 0
    rng = np.random.default_rng(0)
    for n in _SGEMM_SIZES:
        a, b = rng.random((n, n), dtype=np.float32), rng.random((n, n), dtype=np.float32)
        out = a @ b  # warm-up: BLAS threads started, pages in
        for _ in range(repeats):
            start = time.perf_counter()
            np.matmul(a, b, out=out)
            rate = 2 * n ** 3 / (time.perf_counter() - start) / 1e9
            if rate > best:
                best, where = rate, n
    return best, where


def sgemm_ceiling(repeats: int = 8) -> dict:
    """
    Return the practical ceiling: the best SGEMM of numpy's BLAS, all cores and one thread.

    Returns
    -------
    {'gflops': the practical ceiling on all cores (the higher of BLAS's own threads measured
    and one thread's best times the cores: on a loaded machine the threads measure the load),
    'measured_gflops': best with BLAS's own threads, 'size': its matrix size,
    'one_thread_gflops': best on one thread (None without threadpoolctl), 'one_thread_size'}.

    """
    measured, size = _best_sgemm(repeats)
    one, one_size = None, None
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # the one-thread figure needs threadpoolctl
        pass
    else:
        with threadpool_limits(limits=1, user_api='blas'):
            one, one_size = _best_sgemm(repeats)
    return {'gflops': max(measured, (one or 0.0) * worker_count()), 'measured_gflops': measured,
            'size': size, 'one_thread_gflops': one, 'one_thread_size': one_size}


def fp32_peak(repeats: int = 40) -> dict:
    """
    Measure the fp32 ceilings of this machine.

    Returns
    -------
    {'gflops': the peak on all cores (one core's best times the cores), 'per_core_gflops':
    one core's best, 'all_cores_measured_gflops': the loop on every core at once in this run
    (lower on a loaded machine), 'cores', 'method', 'sgemm': sgemm_ceiling()}. Without a C
    compiler 'gflops' is the SGEMM's and 'method' says so (a message on stderr too).

    """
    cores = worker_count()
    with tempfile.TemporaryDirectory(prefix='ik_net_ros_peak_') as folder:
        found, why = _fma_library(Path(folder))
        if found is not None:
            fn, lanes, isa = found
            # runs of about 2 ms (1e6 iterations at 1 ns), the best of many: on a shared machine
            # some run is then not interrupted (a long run's time always includes the others')
            n = 1_000_000
            flops = n * _CHAINS * lanes * 2
            fn(20 * n)  # warm-up: clocks up, pages in
            one = max(flops / _timed(fn, n) for _ in range(repeats)) / 1e9
            every = max(cores * flops / _on_threads(fn, n, cores)
                        for _ in range(repeats // 4)) / 1e9
            # a core that measured slower alone than beside the others was interrupted alone
            per_core = max(one, every / cores)
            method = (f'{isa.upper()} FMA loop, {_CHAINS} chains, -O3 -march=native: '
                      f"one core's best of {repeats} runs x {cores} cores")
    sgemm = sgemm_ceiling()
    if found is None:
        print(f"fp32 peak: no FMA loop ({why}); the ceiling is numpy's SGEMM, a lower bound of "
              'the peak', file=sys.stderr)
        per_core = (sgemm['one_thread_gflops'] or sgemm['gflops'] / cores)
        every = sgemm['gflops']
        method = f'numpy SGEMM (no FMA loop: {why}; a lower bound of the peak)'
    return {'gflops': max(per_core * cores, every), 'per_core_gflops': per_core,
            'all_cores_measured_gflops': every, 'cores': cores, 'method': method,
            'sgemm': sgemm}


# ONNX Runtime op types by their work in the graphs of onnx_engine (GELU's Add is counted as
# 'other', with the residual additions: GELU is no shipped network's activation)
_MATMUL_OPS = frozenset({'Gemm', 'MatMul', 'FusedGemm', 'FusedMatMul'})
_ACTIVATION_OPS = frozenset({'QuickGelu', 'Sigmoid', 'Mul', 'Relu', 'Tanh', 'Erf', 'Gelu'})


def network_profile(folded, poses: np.ndarray, runs: int = 400) -> dict | None:
    """
    Where the batch engine spends one network's time.

    ONNX Runtime's own profiler, one thread, ``runs`` runs of a BLOCK of ``poses`` (N >= 1, 7);
    each op's median over the runs (the first, cold runs do not count), summed by kind.

    Returns
    -------
    {'us_per_pose': kernel time per pose on one thread, 'us': {'matmul', 'activation',
    'other'} per pose, 'matmul_gflops': the matmuls' rate on one core, 'ops': {op type: us
    per pose}}, or None where ONNX Runtime is not installed.

    """
    from ik_net_ros.engines.onnx_engine import BLOCK, EngineUnavailable, OnnxForward
    x = np.ascontiguousarray(np.resize(np.asarray(poses, np.float32), (BLOCK, 7)))
    with tempfile.TemporaryDirectory(prefix='ik_net_ros_profile_') as folder:
        try:
            engine = OnnxForward(folded, profile_prefix=str(Path(folder) / 'ort'))
        except EngineUnavailable:
            return None
        for _ in range(runs):
            engine(x)
        events = json.loads(Path(engine.session.end_profiling()).read_text())
    times = collections.defaultdict(list)  # (op type, node) -> us of each run
    for event in events:
        if event.get('cat') == 'Node' and event.get('name', '').endswith('_kernel_time'):
            times[event['args']['op_name'], event['name']].append(event['dur'])
    ops: dict[str, float] = collections.defaultdict(float)
    for (op, _), durations in times.items():
        ops[op] += float(np.median(durations)) / BLOCK
    kinds = {'matmul': sum(t for op, t in ops.items() if op in _MATMUL_OPS),
             'activation': sum(t for op, t in ops.items() if op in _ACTIVATION_OPS)}
    kinds['other'] = sum(ops.values()) - kinds['matmul'] - kinds['activation']
    return {'us_per_pose': sum(ops.values()), 'us': kinds, 'ops': dict(ops),
            'matmul_gflops': folded.flops() / kinds['matmul'] / 1e3 if kinds['matmul'] else None}
