"""
The one chain's FK over 100,000 rows and the collision check of 1,000 rows: OM-X vs OMX-F.

CPU time (``time.process_time``: steadier than wall time on a shared machine), the arms
interleaved run by run so both see the same load; prints the median and the best of the runs.

    PYTHONPATH=<checkout> python benchmarks/arm_speed.py [--runs 15] [--against main]

``--against REV`` also times REV's ``chain.py``, ``capsules.py`` and ``collision.py`` (``git
show``, loaded as modules beside this tree's: each the old file with this tree's others) against
this tree's, interleaved in the same process: what each file's change is worth on its own.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import subprocess
import sys
import tempfile
import time

from ik_net_ros.arm import load_arm
from ik_net_ros.kinematics import capsules, chain, collision
from ik_net_ros.kinematics.chain import chain_forward
from ik_net_ros.kinematics.collision import CollisionModel
from ik_net_ros.kinematics.limits import sample_joints
import numpy as np

ARMS = ('open_manipulator_x', 'omx_f')


def _cpu(call) -> float:
    start = time.process_time()
    call()
    return time.process_time() - start


def _old_module(revision: str, name: str):
    """Return ``ik_net_ros/kinematics/<name>.py`` of ``revision`` loaded as a module of its own."""
    source = subprocess.run(['git', 'show', f'{revision}:ik_net_ros/kinematics/{name}.py'],
                            capture_output=True, text=True, check=True).stdout
    with tempfile.NamedTemporaryFile('w', suffix='.py', delete=False) as f:
        f.write(source)
    spec = importlib.util.spec_from_file_location(f'old_{name}', f.name)
    module = importlib.util.module_from_spec(spec)
    sys.modules[f'old_{name}'] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def _against(revision: str, runs: int) -> None:
    """Print old / new CPU ms of each file's function, interleaved (median of ``runs``)."""
    old = {name: _old_module(revision, name) for name in ('chain', 'capsules', 'collision')}
    print(f'{revision} -> this tree, CPU ms (median of {runs}, interleaved)')
    for name in ARMS:
        arm = load_arm(name)
        rows, few = sample_joints(arm, 100_000, 0), sample_joints(arm, 1000, 1)
        pairs = (('chain_forward 100,000', old['chain'].chain_forward, chain.chain_forward, rows),
                 ('capsule_ends 1,000', old['capsules'].capsule_ends, capsules.capsule_ends,
                  few),
                 ('check 1,000', old['collision'].CollisionModel(arm).check,
                  collision.CollisionModel(arm).check, few))
        for label, before, after, q in pairs:
            if not np.array_equal(np.asarray(_result(before, arm, q)),
                                  np.asarray(_result(after, arm, q))):
                print(f'  {name} {label}: results differ')
            times = ([], [])
            for _ in range(runs):
                for k, call in enumerate((before, after)):
                    times[k].append(_cpu(lambda c=call, a=arm, r=q: _result(c, a, r)))
            print(f'  {name:20s} {label:24s} {statistics.median(times[0]) * 1e3:8.2f} -> '
                  f'{statistics.median(times[1]) * 1e3:8.2f}')


def _result(call, arm, q):
    """Return the figures of ``call`` (a function of (arm, q), or a bound check of q)."""
    out = call(q) if hasattr(call, '__self__') else call(arm, q)
    return out.depth if hasattr(out, 'depth') else out


def main(argv: list[str] | None = None) -> None:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument('--runs', type=int, default=15)
    parser.add_argument('--against', default=None, help='a git revision to time against')
    args = parser.parse_args(argv)
    if args.against:
        _against(args.against, args.runs)
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
