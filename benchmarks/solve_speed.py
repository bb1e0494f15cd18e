"""
A quick speed check of one solver: single-pose and 100,000-pose ``solve()``.

For comparing two revisions on one machine, alternately and in fresh processes:
``PYTHONPATH=<checkout> python benchmarks/solve_speed.py focused`` runs the package of
``<checkout>`` (the full benchmark is ``make bench``). Prints the p50 of 3,000 single-pose calls
(us) and the median of 3 runs on 100,000 poses (M poses/s).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

from ik_net_ros import load_solver
from ik_net_ros.arm import default_arm
from ik_net_ros.kinematics import forward_kinematics, sample_joints
import numpy as np

OMX = default_arm()  # the OM-X, ROBOTIS's humble description


def main(argv: list[str] | None = None) -> int:
    """Time one solver; returns the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument('model', nargs='?', default='focused')
    parser.add_argument('--calibration', help="an arm's calibration file (its tilts too)")
    args = parser.parse_args(argv)
    solver = load_solver(args.model, calibration=args.calibration)
    # poses the arm reaches (in its calibrated geometry where one is given)
    arm = solver.arm
    single = forward_kinematics(sample_joints(arm, 3000, np.random.default_rng(0)), arm).tolist()
    for pose in single[:300]:  # warm-up
        solver.solve(pose, on_unreachable='nearest')
    times = []
    for pose in single:
        start = time.perf_counter()
        solver.solve(pose, on_unreachable='nearest')
        times.append(time.perf_counter() - start)
    batch = forward_kinematics(sample_joints(arm, 100_000, np.random.default_rng(1)), arm)
    solver.solve(batch[:5000], on_unreachable='nearest')
    rates = []
    for _ in range(3):
        start = time.perf_counter()
        solver.solve(batch, on_unreachable='nearest')
        rates.append(len(batch) / (time.perf_counter() - start))
    print(f'{args.model}: single pose p50 {statistics.median(times) * 1e6:.1f} us, '
          f'100,000 poses {statistics.median(rates) / 1e6:.3f} M poses/s')
    return 0


if __name__ == '__main__':
    sys.exit(main())
