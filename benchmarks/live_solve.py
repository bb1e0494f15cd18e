"""
The live path's cost: one seeded target with a collision model, and the collision checks.

What the ik node pays per target (``solution:=nearest``, the default): ``solve(pose, seed=...)``
with ``solver.collision`` set, seeded by the previous answer, targets a few mm apart along a
random walk of the joints; and the collision model's own cost, one configuration in plain floats
(``clear_one``) and through numpy (``check``, 1 and 1,000 configurations). For the nominal arm
and a leaning one (the tilts and offsets of ``test/test_axis_tilts.py``). Prints medians of
repeated runs (us). Usage: ``PYTHONPATH=. python benchmarks/live_solve.py analytic focused``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import timeit

from ik_net_ros import load_solver, UnreachableError
from ik_net_ros.arm import ChainErrors, default_arm
from ik_net_ros.kinematics import forward_kinematics, sample_joints
from ik_net_ros.kinematics.collision import CollisionModel
import numpy as np

OMX = default_arm()  # the OM-X, ROBOTIS's humble description

LEANING = OMX.with_errors(ChainErrors(
    (0.01, -0.02, 0.03, 0.0), np.zeros((4, 3)),
    np.radians([0.3, -0.2, 0.4, 0.1, -0.3, 0.2, 0.25, -0.35]).reshape(4, 2)))


def per_call(statement, number: int) -> float:
    """Median over 5 repeats of one call's time, us."""
    return statistics.median(timeit.repeat(statement, number=number, repeat=5)) / number * 1e6


def main(argv: list[str] | None = None) -> int:
    """Time the live path; returns the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument('models', nargs='*', default=['analytic', 'focused'])
    parser.add_argument('--steps', type=int, default=2000)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    configs = sample_joints(OMX, 1000, rng)
    one = configs[0].tolist()
    for label, arm in (('nominal', OMX), ('leaning', LEANING)):
        model = CollisionModel(arm, 0.01)
        print(f'{label} arm: clear_one {per_call(lambda m=model: m.clear_one(one), 2000):.1f} us, '
              f'check(1) {per_call(lambda m=model: m.check(configs[:1]), 500):.1f} us, '
              f'check(1000) {per_call(lambda m=model: m.check(configs), 20):.0f} us')
        # a random walk of the joints, 2-5 mrad a step: targets a few mm apart
        walk = np.array(OMX.home) + np.cumsum(rng.uniform(-0.004, 0.004, (args.steps, 4)),
                                              axis=0)
        walk = np.clip(walk, [-3.0, -1.2, -1.2, -1.5], [3.0, 1.2, 1.2, 1.8])
        targets = forward_kinematics(walk, arm).tolist()
        for name in args.models:
            solver = load_solver(name, arm=arm)
            solver.collision = CollisionModel(solver.planar_arm, 0.01)
            times, seed = [], np.array(OMX.home, float)
            for pose in targets:
                start = time.perf_counter()
                try:
                    seed = solver.solve(pose, seed=seed)
                except UnreachableError:
                    pass
                times.append(time.perf_counter() - start)
            print(f'  {name}: seeded single pose with collision model, median '
                  f'{statistics.median(times[100:]) * 1e6:.1f} us')
    return 0


if __name__ == '__main__':
    sys.exit(main())
