"""Solver benchmarks: accuracy on held-out poses, CPU/GPU latency and throughput, memory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import numpy as np
import torch

from ik_net_ros.networks import count_parameters
from ik_net_ros.solver import load_solver
from ik_net_ros.solver.network import NetworkSolver
from ik_net_ros.training.metrics import pose_accuracy

__all__ = ['accuracy', 'cpu_latency', 'throughput', 'gpu_timing', 'memory', 'ikpy_peer']


def accuracy(name: str, poses: np.ndarray, labels: np.ndarray, refine: bool = False) -> dict:
    """pose_accuracy of a solver on held-out poses."""
    solver = load_solver(name)
    joints = solver.solve(poses, refine=refine, on_unreachable='nearest')
    return pose_accuracy(poses, joints, labels, solver.geometry)


def _percentiles(samples_s: list[float]) -> dict:
    us = np.array(samples_s) * 1e6
    return {'p50_us': float(np.percentile(us, 50)), 'p99_us': float(np.percentile(us, 99)),
            'mean_us': float(us.mean())}


def cpu_latency(name: str, poses: np.ndarray, repeats: int = 3000) -> dict:
    """Batch-1 latency of ``solver.solve(pose)`` on one CPU thread, and of the bare network
    (torch eager and the numpy twin) where there is one."""
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
        reference = NetworkSolver.from_name(name)  # torch, beside the torch-free solver
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


def throughput(name: str, poses: np.ndarray, repeats: int = 3) -> dict:
    """Poses per second of ``solver.solve`` on a large batch (all CPU threads), and of the
    network alone."""
    torch.set_num_threads(os.cpu_count() or 1)
    solver = load_solver(name)
    solver.solve(poses[:1000])
    # medians of repeated runs, never the best run
    median = float(np.median([_timed(lambda: solver.solve(poses)) for _ in range(repeats)]))
    out = {'solve_poses_per_s': len(poses) / median}
    if name != 'analytic':
        reference = NetworkSolver.from_name(name)
        median = float(np.median([_timed(lambda: reference.predict_torch(poses))
                                  for _ in range(repeats)]))
        out['network_poses_per_s'] = len(poses) / median
        median = float(np.median([_timed(lambda: solver.predict(poses))
                                  for _ in range(repeats)]))
        out['numpy_network_poses_per_s'] = len(poses) / median
    return out


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def gpu_timing(name: str, poses: np.ndarray, repeats: int = 1000) -> dict | None:
    """Synchronised GPU timing (batch 1 and batched) and peak memory; None without a GPU."""
    if name == 'analytic' or not torch.cuda.is_available():
        return None
    solver = load_solver(name, device='cuda')
    model = solver.model
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


_MEMORY_PROBE = r'''
import json, sys
def rss(field):
    for line in open('/proc/self/status'):
        if line.startswith(field):
            return int(line.split()[1]) / 1024.0
import numpy as np
from ik_net_ros import load_solver
from ik_net_ros.kinematics import forward_kinematics, sample_joints
poses = forward_kinematics(sample_joints(1000, 0)).tolist()
after_imports = rss('VmRSS:')
solver = load_solver(sys.argv[1])
for pose in poses:
    solver.solve(pose)
print(json.dumps({'torch_imported': 'torch' in sys.modules,
                  'inference_growth_mb': rss('VmRSS:') - after_imports,
                  'process_peak_mb': rss('VmHWM:')}))
'''


def memory(name: str) -> dict:
    """Parameter bytes; the memory growth of loading the solver and answering 1,000 single
    poses; the whole process's peak (a fresh process per solver, so figures do not mix)."""
    out = {}
    if name != 'analytic':
        params = count_parameters(NetworkSolver.from_name(name).model.network)
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
    """ikpy (numerical IK from PyPI) on the first ``count`` poses: solved share and time."""
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
    acc['inside_limits_share'] = float(np.mean(within_limits(joints)))
    return {'accuracy': acc, 'latency': _percentiles(times), 'count': len(poses)}


