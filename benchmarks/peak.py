"""
The machine's fp32 ceiling, measured in the same run as the throughputs it is set beside.

And where a network's time goes inside ONNX Runtime (how close its matmuls come to that ceiling).

A small C loop of independent fused multiply-adds (AVX-512 where the CPU has it, else AVX2),
compiled with the machine's C compiler into a temporary folder and run on every core at once
(ctypes releases the GIL). Without a compiler the ceiling is numpy's SGEMM on 2048 x 2048
matrices instead, and labelled so: a lower bound of the peak, not the peak.
"""

from __future__ import annotations

import collections
import ctypes
import json
import os
from pathlib import Path
import shutil
import subprocess
import tempfile
import threading
import time

from ik_net_ros.solver.parallel import worker_count
import numpy as np

__all__ = ['fp32_peak', 'network_profile']

# CHAINS independent accumulators hide the FMA latency (4 cycles, 2 ports: 8 needed)
_SOURCE = r"""
#include <immintrin.h>
#include <stdint.h>
#define CHAINS 12
float fma_loop(int64_t n) {
  VEC m = SET1(0.999999f), c = SET1(1e-7f), a[CHAINS];
  for (int i = 0; i < CHAINS; i++) a[i] = SET1((float)i);
  for (int64_t k = 0; k < n; k++) {
#pragma GCC unroll 12
    for (int i = 0; i < CHAINS; i++) a[i] = FMADD(a[i], m, c);
  }
  float out = 0.0f, lanes[LANES];
  for (int i = 0; i < CHAINS; i++) {
    STORE(lanes, a[i]);
    for (int j = 0; j < LANES; j++) out += lanes[j];
  }
  return out;
}
"""
_ISA = {  # cpuinfo flag: (defines, compiler flags, float lanes)
    'avx512f': ('-DVEC=__m512 -DSET1=_mm512_set1_ps -DFMADD=_mm512_fmadd_ps '
                '-DSTORE=_mm512_storeu_ps -DLANES=16', '-mavx512f -mfma', 16),
    'avx2': ('-DVEC=__m256 -DSET1=_mm256_set1_ps -DFMADD=_mm256_fmadd_ps '
             '-DSTORE=_mm256_storeu_ps -DLANES=8', '-mavx2 -mfma', 8),
}
_CHAINS = 12


def _cpu_flags() -> set[str]:
    try:
        for line in open('/proc/cpuinfo'):
            if line.startswith('flags'):
                return set(line.split(':', 1)[1].split())
    except OSError:
        pass
    return set()


def _fma_library(folder: Path):
    """(ctypes function, lanes, ISA name) or None when no compiler or no FMA ISA."""
    compiler = os.environ.get('CC') or shutil.which('gcc') or shutil.which('cc')
    flags = _cpu_flags()
    isa = next((name for name in _ISA if name in flags and 'fma' in flags), None)
    if compiler is None or isa is None:
        return None
    defines, cflags, lanes = _ISA[isa]
    source, library = folder / 'fma.c', folder / 'fma.so'
    source.write_text(_SOURCE)
    cmd = [compiler, '-O2', '-shared', '-fPIC', *cflags.split(), *defines.split(),
           str(source), '-o', str(library)]
    try:
        if subprocess.run(cmd, capture_output=True, timeout=120).returncode != 0:
            return None
        fn = ctypes.CDLL(str(library)).fma_loop
    except (OSError, subprocess.TimeoutExpired):  # a compiler that fails or hangs: SGEMM
        return None
    fn.restype, fn.argtypes = ctypes.c_float, [ctypes.c_int64]
    return fn, lanes, isa


def _on_all_cores(fn, arg, threads: int) -> float:
    workers = [threading.Thread(target=fn, args=(arg,)) for _ in range(threads)]
    start = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return time.perf_counter() - start


def fp32_peak(repeats: int = 3) -> dict:
    """{'gflops': median fp32 GFLOP/s on all cores, 'per_core_gflops', 'cores', 'method'}."""
    cores = worker_count()
    with tempfile.TemporaryDirectory(prefix='ik_net_ros_peak_') as folder:
        found = _fma_library(Path(folder))
        if found is not None:
            fn, lanes, isa = found
            n = 2_000_000
            fn(n // 10)  # warm-up: clocks up, pages in
            times = [_on_all_cores(fn, n, cores) for _ in range(repeats)]
            gflops = cores * n * _CHAINS * lanes * 2 / float(np.median(times)) / 1e9
            method = f'{isa.upper()} FMA loop, {_CHAINS} chains, all cores'
    if found is None:
        a = np.random.default_rng(0).random((2048, 2048), dtype=np.float32)
        a @ a
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            a @ a
            times.append(time.perf_counter() - start)
        gflops = 2 * 2048 ** 3 / float(np.median(times)) / 1e9
        method = 'numpy SGEMM 2048^2 (no C compiler: a lower bound of the peak)'
    return {'gflops': gflops, 'per_core_gflops': gflops / cores, 'cores': cores,
            'method': method}


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
