"""Solver benchmarks: accuracy on held-out poses, CPU/GPU latency and throughput, memory."""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
import time

from ik_net_ros.arm import default_arm
from ik_net_ros.evaluation.accuracy import pose_accuracy
from ik_net_ros.model import load_model
from ik_net_ros.networks import count_parameters
from ik_net_ros.solver import load_solver
import numpy as np
import torch

OMX = default_arm()  # the OM-X, ROBOTIS's humble description

__all__ = ['accuracy', 'cpu_latency', 'throughput', 'engines', 'cost_curve', 'gpu_timing',
           'memory', 'ikpy_peer', 'COST_SIZES']

# poses per solve() call for the cost-per-pose curve: 1 to 1,000,000
COST_SIZES = (1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1_000_000)


def accuracy(name: str, poses: np.ndarray, labels: np.ndarray, refine: bool = False) -> dict:
    """pose_accuracy of a solver on held-out poses."""
    solver = load_solver(name)
    joints = solver.solve(poses, refine=refine, on_unreachable='nearest')
    return pose_accuracy(poses, joints, labels, solver.planar_arm)


def _percentiles(samples_s: list[float]) -> dict:
    us = np.array(samples_s) * 1e6
    return {'p50_us': float(np.percentile(us, 50)), 'p99_us': float(np.percentile(us, 99)),
            'mean_us': float(us.mean())}


def cpu_latency(name: str, poses: np.ndarray, repeats: int = 3000) -> dict:
    """
    Batch-1 latency of ``solver.solve(pose)`` on one CPU thread.

    And of the bare network (torch eager and the numpy twin) where there is one.
    """
    torch.set_num_threads(1)
    solver = load_solver(name)
    single = poses.tolist()
    for pose in single[:200]:  # warm-up
        solver.solve(pose)
    samples = []
    for i in range(repeats):
        pose = single[i % len(single)]
        start = time.perf_counter()
        solver.solve(pose)
        samples.append(time.perf_counter() - start)
    out = {'solve': _percentiles(samples)}
    if name != 'analytic':
        reference = load_solver(name, engine='torch').batch_engine()  # torch, beside the twin
        x = torch.as_tensor(poses[:1], dtype=torch.float32)
        xs = np.asarray(poses[:1], dtype=np.float32)
        for label, fn in (('torch_eager', lambda: reference.model(x)),
                          ('numpy_twin', lambda: solver.fast(xs))):
            with torch.no_grad():
                for _ in range(100):
                    fn()
                times = []
                for _ in range(repeats):
                    start = time.perf_counter()
                    fn()
                    times.append(time.perf_counter() - start)
            out[label] = _percentiles(times)
    torch.set_num_threads(os.cpu_count() or 1)
    return out


def throughput(name: str, poses: np.ndarray, repeats: int = 7) -> dict:
    """
    Measure poses per second of ``solver.solve`` on a large batch (all cores).

    Also of its network alone as solve() runs it (its batch engine, its chunks, on all
    cores), and the share of solve()'s time that is not the network (validation, projection,
    reachability, clamping). The two are timed in alternation, ``repeats`` rounds, so that a
    machine speeding up or slowing down between them does not count as either's; medians of the
    rounds (of each rate, and of each round's share), never the best run.
    """
    from ik_net_ros.solver.parallel import map_chunks
    torch.set_num_threads(os.cpu_count() or 1)
    solver = load_solver(name)

    def solve():
        solver.solve(poses)

    if name == 'analytic':
        return {'solve_poses_per_s': _rate(solve, len(poses), repeats)}
    engine = solver.batch_engine()
    x32 = np.asarray(poses, np.float32)
    size = solver.chunk_size(len(x32))
    chunks = [x32[i:i + size] for i in range(0, len(x32), size)]

    def network():
        map_chunks(engine, chunks)

    solve(), network()  # warm-up
    rounds = np.array([(_timed(network), _timed(solve)) for _ in range(repeats)])
    return {'solve_poses_per_s': len(poses) / float(np.median(rounds[:, 1])),
            'network_poses_per_s': len(poses) / float(np.median(rounds[:, 0])),
            'network_engine': 'numpy twin' if engine is solver.fast else 'ONNX Runtime',
            'non_network_share': max(0.0, float(np.median(1.0 - rounds[:, 0] / rounds[:, 1])))}


def _rate(fn, n: int, repeats: int = 3) -> float:
    """Median poses/s of ``fn()`` handling n poses (after a warm-up call)."""
    fn()
    return n / float(np.median([_timed(fn) for _ in range(repeats)]))


def engines(name: str, poses: np.ndarray, repeats: int = 1000) -> dict:
    """
    Return the network alone on each engine.

    Batch-1 p50 (one thread) and batched poses/s (all cores, each engine as ``solve()`` drives it),
    with its FLOPs per pose. Engines: torch eager, the numpy twin, ONNX Runtime where installed,
    CUDA where present.
    """
    from ik_net_ros.solver.base import BATCH_CHUNK
    from ik_net_ros.solver.parallel import map_chunks
    numpy_solver = load_solver(name, engine='numpy')
    out = {'flops_per_pose': numpy_solver.fast.folded.flops(), 'engines': {}}
    x32 = np.asarray(poses, np.float32)
    one = x32[:1]
    chunks = [x32[i:i + BATCH_CHUNK] for i in range(0, len(x32), BATCH_CHUNK)]
    reference = load_solver(name, engine='torch').batch_engine()
    one_torch = torch.as_tensor(one)

    def batch1(fn) -> float:
        for _ in range(100):
            fn()
        return float(np.median([_timed(fn) for _ in range(repeats)])) * 1e6

    with torch.no_grad():
        torch.set_num_threads(1)
        torch_b1 = batch1(lambda: reference.model(one_torch))
        torch.set_num_threads(os.cpu_count() or 1)
        out['engines']['torch eager (CPU)'] = {
            'batch1_us': torch_b1,
            'poses_per_s': _rate(lambda: reference(poses), len(poses))}
    twin = numpy_solver.fast
    out['engines']['numpy twin'] = {
        'batch1_us': batch1(lambda: twin(one)),
        'poses_per_s': _rate(lambda: map_chunks(twin, chunks), len(poses))}
    auto = load_solver(name)
    engine = auto.batch_engine()
    if engine is not auto.fast:
        out['engines']['ONNX Runtime'] = {
            'batch1_us': batch1(lambda: engine(one)),
            'poses_per_s': _rate(lambda: map_chunks(engine, chunks), len(poses))}
    if torch.cuda.is_available():
        gpu = load_solver(name, device='cuda')
        out['engines']['torch (CUDA)'] = {
            'poses_per_s': _rate(lambda: gpu.batch_engine()(poses), len(poses))}
    return out


def cost_curve(name: str, poses: np.ndarray, sizes=COST_SIZES, budget_s: float = 0.3) -> dict:
    """
    {N: median us per pose of ``solve()`` on an (N, 7) array}.

    Each size repeated until ``budget_s`` (at least 3 calls); sizes beyond the poses given are
    skipped.
    """
    solver = load_solver(name)
    out = {}
    for n in sizes:
        if n > len(poses):
            break
        call = functools.partial(solver.solve, poses[:n], on_unreachable='nearest')
        call()
        times, spent = [], 0.0
        while len(times) < 3 or (spent < budget_s and len(times) < 2000):
            times.append(_timed(call))
            spent += times[-1]
        out[str(n)] = float(np.median(times)) / n * 1e6
    return out


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def gpu_timing(name: str, poses: np.ndarray, repeats: int = 1000) -> dict | None:
    """Time synchronised GPU runs (batch 1 and batched) and peak memory; None without a GPU."""
    if name == 'analytic' or not torch.cuda.is_available():
        return None
    solver = load_solver(name, device='cuda')
    model = solver.batch_engine().model
    one = torch.as_tensor(poses[:1], dtype=torch.float32, device='cuda')
    many = torch.as_tensor(poses, dtype=torch.float32, device='cuda')
    torch.cuda.reset_peak_memory_stats()
    with torch.no_grad():
        for _ in range(100):
            model(one)
        torch.cuda.synchronize()
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            model(one)
            torch.cuda.synchronize()
            times.append(time.perf_counter() - start)
        model(many)
        torch.cuda.synchronize()
        start = time.perf_counter()
        model(many)
        torch.cuda.synchronize()
        batched = len(poses) / (time.perf_counter() - start)
    return {'batch1': _percentiles(times), 'network_poses_per_s': batched,
            'peak_memory_mb': torch.cuda.max_memory_allocated() / 2 ** 20}


_MEMORY_PROBE = r"""
import json, sys
def rss(field):
    for line in open('/proc/self/status'):
        if line.startswith(field):
            return int(line.split()[1]) / 1024.0
import numpy as np
from ik_net_ros import load_solver
from ik_net_ros.arm import default_arm
from ik_net_ros.kinematics import forward_kinematics, sample_joints
poses = forward_kinematics(sample_joints(default_arm(), 1000, 0)).tolist()
after_imports = rss('VmRSS:')
solver = load_solver(sys.argv[1])
for pose in poses:
    solver.solve(pose)
print(json.dumps({'torch_imported': 'torch' in sys.modules,
                  'inference_growth_mb': rss('VmRSS:') - after_imports,
                  'process_peak_mb': rss('VmHWM:')}))
"""


def memory(name: str) -> dict:
    """
    Parameter bytes; the memory growth of loading the solver and answering 1,000 single poses.

    The whole process's peak (a fresh process per solver, so figures do not mix).
    """
    out = {}
    if name != 'analytic':
        params = count_parameters(load_model(name).to_torch().network)
        out['parameters'] = params
        out['parameter_bytes'] = params * 4
    proc = subprocess.run([sys.executable, '-c', _MEMORY_PROBE, name], capture_output=True,
                          text=True, timeout=300)
    if proc.returncode == 0:
        out.update(json.loads(proc.stdout.strip().splitlines()[-1]))
    else:
        out['error'] = proc.stderr.strip().splitlines()[-1] if proc.stderr else 'failed'
    return out


def ikpy_peer(urdf: str, poses: np.ndarray, count: int = 200) -> dict | None:
    """Ikpy (numerical IK from PyPI) on the first ``count`` poses: solved share and time."""
    try:
        import warnings

        import ikpy.chain
    except ImportError:
        return None
    from ik_net_ros.kinematics import quat_to_matrix, within_limits
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        chain = ikpy.chain.Chain.from_urdf_file(
            urdf, base_elements=['world'],
            active_links_mask=[False, False, True, True, True, True, False])
    poses = poses[:count]
    joints, times = [], []
    for pose in poses:
        start = time.perf_counter()
        full = chain.inverse_kinematics(target_position=pose[:3],
                                        target_orientation=quat_to_matrix(pose[3:]),
                                        orientation_mode='all')
        times.append(time.perf_counter() - start)
        joints.append(full[2:6])
    joints = np.array(joints)
    acc = pose_accuracy(poses, joints)
    acc['inside_limits_share'] = float(np.mean(within_limits(OMX, joints)))
    return {'accuracy': acc, 'latency': _percentiles(times), 'count': len(poses)}
