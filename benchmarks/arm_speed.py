"""
The one chain's FK over 100,000 rows and the collision check of 1,000 rows: OM-X vs OMX-F.

CPU time (``time.process_time``: steadier than wall time on a shared machine), the arms
interleaved run by run so both see the same load; prints the median and the best of the runs.

    PYTHONPATH=<checkout> python benchmarks/arm_speed.py [--runs 15]

Before / after a change: run it on both checkouts back to back (``git archive <rev>
ik_net_ros | tar -x -C /tmp/old`` gives the old tree) and compare within the pair.
"""

from __future__ import annotations

import argparse
import statistics
import time

from ik_net_ros.arm import load_arm
from ik_net_ros.kinematics.chain import chain_forward
from ik_net_ros.kinematics.collision import CollisionModel
from ik_net_ros.kinematics.limits import sample_joints

ARMS = ('open_manipulator_x', 'omx_f')


def _cpu(call) -> float:
    start = time.process_time()
    call()
    return time.process_time() - start


def main(argv: list[str] | None = None) -> None:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument('--runs', type=int, default=15)
    args = parser.parse_args(argv)
    cases = {}
    for name in ARMS:
        arm = load_arm(name)
        model = CollisionModel(arm)
        rows, few = sample_joints(arm, 100_000, 0), sample_joints(arm, 1000, 1)
        chain_forward(arm, rows[:1000])
        model.check(few)
        cases[name] = (lambda a=arm, q=rows: chain_forward(a, q),
                       lambda m=model, q=few: [m.check(q) for _ in range(10)])
    times = {(name, what): [] for name in ARMS for what in (0, 1)}
    for _ in range(args.runs):
        for name in ARMS:
            for what, call in enumerate(cases[name]):
                times[name, what].append(_cpu(call))
    print(f'{"CPU ms (median / best of " + str(args.runs) + ")":34s} {"FK 100,000 rows":>18s} '
          f'{"check 1,000 rows":>18s}')
    for name in ARMS:
        fk, check = times[name, 0], [t / 10 for t in times[name, 1]]
        print(f'{name:34s} {statistics.median(fk) * 1e3:8.1f} / {min(fk) * 1e3:6.1f}  '
              f'{statistics.median(check) * 1e3:8.2f} / {min(check) * 1e3:6.2f}')


if __name__ == '__main__':
    main()
