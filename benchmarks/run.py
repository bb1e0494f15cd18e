"""
The benchmark harness: ``make bench`` (``python -m benchmarks.run --output docs``).

The paper's three comparisons reproduced on this machine (accuracy, CPU/GPU inference time, memory)
for the shipped variants, the closed form and a numerical IK from PyPI side by side, plus
end-to-end latency through ROS. Writes ``benchmarks.md``, ``benchmarks.json`` and PNG charts into
``--output``.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
from pathlib import Path
import platform
import sys
import time

from benchmarks import solvers as solvers_bench
from benchmarks.leaning import leaning_speed
from benchmarks.peak import fp32_peak, network_profile
from benchmarks.report import write_report
from ik_net_ros.data import make_synthetic
from ik_net_ros.resources import share_dir
from ik_net_ros.solver import load_solver
from ik_net_ros.tools.common import count_in, HELD_OUT_SEED, number_in
import numpy as np
import torch
from tqdm import tqdm


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument('--output', default='docs', help='folder for the report and charts')
    parser.add_argument('--models', nargs='+', default=['original', 'improved', 'focused'])
    parser.add_argument('--held-out', type=count_in(1, 10_000_000), default=10000,
                        help='held-out poses')
    parser.add_argument('--repeats', type=count_in(10, 10_000_000), default=3000,
                        help='batch-1 timing samples')
    parser.add_argument('--batch', type=count_in(1, 10_000_000), default=100000,
                        help='poses for throughput')
    parser.add_argument('--ros-duration', type=number_in(0.0, 3600.0), default=5.0,
                        help='seconds per ROS latency run (0 skips them)')
    parser.add_argument('--cost-max', type=count_in(1, 10_000_000), default=1_000_000,
                        help='largest batch of the cost-per-pose curve')
    parser.add_argument('--ikpy-poses', type=count_in(0, 1_000_000), default=200,
                        help='poses for the ikpy peer (0 skips it)')


def _machine() -> dict:
    cpu = platform.processor() or platform.machine()
    try:
        for line in open('/proc/cpuinfo'):
            if line.startswith('model name'):
                cpu = line.split(':', 1)[1].strip()
                break
    except OSError:
        pass
    try:
        import rclpy
        rclpy_from = Path(rclpy.__file__).parent.as_posix()
    except ImportError:
        rclpy_from = 'not installed'
    return {
        'date': datetime.date.today().isoformat(), 'cpu': cpu, 'cores': os.cpu_count(),
        'memory_gb': os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2 ** 30,
        'gpu': torch.cuda.get_device_name(0) if torch.cuda.is_available() else 'no GPU',
        'python': platform.python_version(), 'torch': str(torch.__version__),
        'numpy': np.__version__,
        'rclpy': 'PyPI wheels (Kilted)' if 'site-packages' in rclpy_from else rclpy_from,
    }


def run(args: argparse.Namespace) -> int:
    start = time.perf_counter()
    held = make_synthetic(args.held_out, seed=HELD_OUT_SEED)
    batch = make_synthetic(args.batch, seed=HELD_OUT_SEED + 1).poses
    curve_poses = make_synthetic(args.cost_max, seed=HELD_OUT_SEED + 2).poses
    names = ['analytic'] + list(args.models)
    results = {'machine': _machine(), 'solvers': {}, 'peak': fp32_peak(),
               'held_out': {'rows': args.held_out, 'seed': HELD_OUT_SEED},
               'command': 'make bench' if args.output == 'docs' else ' '.join(sys.argv)}
    rates = (100.0, 1000.0) if args.ros_duration > 0 else ()
    steps = len(names) * 7 + 1 + (1 if args.ikpy_poses else 0) \
        + 2 * (len(rates) + 3 * bool(rates)) + (len(names) + 1 if rates else 0)
    with tqdm(total=steps, desc='bench', unit='step') as bar:
        for name in names:
            res = results['solvers'][name] = {}
            res['accuracy'] = solvers_bench.accuracy(name, held.poses, held.joints)
            bar.update(1)
            if name != 'analytic':
                res['accuracy_refined'] = solvers_bench.accuracy(name, held.poses, held.joints,
                                                                 refine=True)
            bar.update(1)
            res['cpu_latency'] = solvers_bench.cpu_latency(name, held.poses, args.repeats)
            bar.update(1)
            res['throughput'] = solvers_bench.throughput(name, batch)
            fast = getattr(load_solver(name), 'fast', None)  # None: a torch-only solver
            if fast is not None:
                res['network_profile'] = network_profile(fast.folded, batch)
            res['gpu'] = solvers_bench.gpu_timing(name, held.poses)
            bar.update(1)
            if name != 'analytic':
                res['engines'] = solvers_bench.engines(name, batch)
            bar.update(1)
            res['cost_curve'] = solvers_bench.cost_curve(name, curve_poses)
            bar.update(1)
            res['memory'] = solvers_bench.memory(name)
            bar.update(1)
        # the leaning arms' batches (the OM-X's and the OMX-F's): 10,000 poses at most (the ~4 %
        # of their poses the planar arm cannot reach cost tens of milliseconds each in
        # closest_reachable, and make bench stays within minutes)
        # (single poses: as many as the batch-1 timings, up to 1,000)
        results['leaning'] = leaning_speed(poses=min(1000, args.repeats),
                                           batch=min(args.batch, 10_000))
        bar.update(1)
        if args.ikpy_poses:
            urdf = str(share_dir('urdf') / 'open_manipulator_x.urdf')
            results['ikpy'] = solvers_bench.ikpy_peer(urdf, held.poses, args.ikpy_poses)
            bar.update(1)
        if rates:
            from benchmarks.ros_breakdown import callback_breakdown
            from benchmarks.ros_latency import node_start, ros_latency
            results['node_start'] = node_start(names, progress=bar)
            model = 'focused' if 'focused' in args.models else args.models[0]
            results['ros'] = ros_latency(model, rates, args.ros_duration, progress=bar)
            results['ros_breakdown'] = callback_breakdown(model)
            bar.update(1)
    results['seconds'] = time.perf_counter() - start
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    (out / 'benchmarks.json').write_text(json.dumps(results, indent=1))
    path = write_report(results, out)
    print(path.read_text())
    print(f'wrote {path} and charts in {out}/')
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks from the command line; returns the exit code."""
    parser = argparse.ArgumentParser(prog='python -m benchmarks.run', description=__doc__)
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == '__main__':
    sys.exit(main())
