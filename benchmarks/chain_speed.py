"""
Speed of the one chain (``kinematics/chain.py``) against the OM-X's own FK, and of loading an arm.

``PYTHONPATH=<checkout> python benchmarks/chain_speed.py`` prints, on this machine:

- the cost of importing yourdfpy and xacro (each in a fresh process: time and resident memory),
  which only loading an arm needs;
- ``load_arm`` of each shipped arm: the first load in a fresh process (imports included), a
  load from its parsed tree (the sidecar beside the URDF, no yourdfpy), a parse of its URDF with
  yourdfpy (imports done), and a cached second load;
- FK of 1 pose (median of 2,000 calls, us) and of 100,000 poses (median of 5 runs, ms) for the
  OM-X / OMX-F / OMY-3M chains, and the OM-X's ``forward_kinematics``; the Jacobian likewise.
"""

from __future__ import annotations

import argparse
from pathlib import Path
import statistics
import subprocess
import sys
import time

import numpy as np

IMPORT_PROBE = """
import time, sys
def rss():
    return int(open('/proc/self/status').read().split('VmRSS:')[1].split()[0]) / 1024
import numpy, yaml
before, start = rss(), time.perf_counter()
{statement}
print(time.perf_counter() - start, rss() - before)
"""


def _probe(statement: str, runs: int) -> tuple[float, float]:
    """Return the median seconds and MB of ``statement`` in fresh processes."""
    times, megabytes = [], []
    for _ in range(runs):
        out = subprocess.run([sys.executable, '-c', IMPORT_PROBE.format(statement=statement)],
                             capture_output=True, text=True, check=True).stdout.split()
        times.append(float(out[0]))
        megabytes.append(float(out[1]))
    return statistics.median(times), statistics.median(megabytes)


def _median_time(call, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    """Print the figures; returns the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument('--runs', type=int, default=3, help='fresh processes per import figure')
    args = parser.parse_args(argv)
    for what, statement in (('import yourdfpy', 'import yourdfpy'),
                            ('import xacro', 'import xacro'),
                            ("load_arm('omx_f') first",
                             "from ik_net_ros.arm import load_arm; load_arm('omx_f')")):
        seconds, mb = _probe(statement, args.runs)
        print(f'{what:28s} {seconds * 1e3:8.1f} ms  {mb:6.1f} MB  (median of {args.runs} '
              'fresh processes)')

    from ik_net_ros.arm import load_arm, loading
    from ik_net_ros.arm.urdf_chain import _parse, _records
    from ik_net_ros.kinematics import forward_kinematics, jacobian
    from ik_net_ros.kinematics.chain import chain_forward, chain_jacobian
    import yourdfpy  # noqa: F401 - imported before the timings
    for name in ('open_manipulator_x', 'omx_f', 'omy_3m', 'omy_f3m'):
        loading._CACHE.clear()
        first = _median_time(lambda n=name: (loading._CACHE.clear(), load_arm(n)), 5)
        urdf = Path(load_arm(name).source.split(' (')[0])
        data = urdf.read_bytes()
        parse = _median_time(lambda p=urdf, d=data: _records(_parse(p, d)), 5)
        cached = _median_time(lambda n=name: load_arm(n), 200)
        print(f'load_arm({name!r}): from its tree {first * 1e3:.1f} ms (yourdfpy parse of the '
              f'URDF {parse * 1e3:.1f} ms), cached {cached * 1e6:.1f} us')

    rng = np.random.default_rng(0)
    cases = [(name, load_arm(name)) for name in ('open_manipulator_x', 'omx_f', 'omy_3m')]
    print(f'{"":34s} {"1 pose (us)":>12s} {"100,000 poses (ms)":>19s}')
    rows = [(f'chain FK {name}', lambda q, a=arm: chain_forward(a, q), arm)
            for name, arm in cases]
    rows.append(('forward_kinematics (OM-X)', forward_kinematics, cases[0][1]))
    rows += [(f'chain Jacobian {name}', lambda q, a=arm: chain_jacobian(a, q), arm)
             for name, arm in cases]
    rows.append(('jacobian (OM-X)', jacobian, cases[0][1]))
    for label, call, arm in rows:
        one = rng.uniform(arm.lower, arm.upper)
        many = rng.uniform(arm.lower, arm.upper, (100_000, arm.dof))
        call(many[:1000])
        single = _median_time(lambda f=call, q=one: f(q), 2000)
        batch = _median_time(lambda f=call, q=many: f(q), 5)
        print(f'{label:34s} {single * 1e6:12.1f} {batch * 1e3:19.1f}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
