"""
A calibrated arm whose joint axes lean, against the nominal closed form, in one run.

The closed form of an arm with the leaning demo's tilts (each axis 0.24-0.4 deg, as
``ik_net_ros calibration-demo --tilt-deg 0.4`` makes them; small joint offsets) and of the
nominal arm, timed alternately: ``solve(pose)`` of single poses the arm reaches (p50) and
``solve()`` of a large batch (median rate). Issue 36's goals are ratios: a single pose within
10x the nominal closed form's time, batches at >= 0.25x its rate; and a single pose <= 100 us.
"""

from __future__ import annotations

import math
import statistics
import time

from ik_net_ros.arm import ChainErrors, default_arm
from ik_net_ros.kinematics import forward_kinematics, sample_joints
from ik_net_ros.solver import AnalyticSolver
import numpy as np

OMX = default_arm()  # the OM-X, ROBOTIS's humble description

__all__ = ['leaning_speed', 'leaning_section', 'leaning_verdicts', 'TARGET_SINGLE_RATIO',
           'TARGET_BATCH_RATIO', 'TARGET_SINGLE_US']

TARGET_SINGLE_RATIO = 10.0  # leaning single pose time / nominal's, at most
TARGET_BATCH_RATIO = 0.25  # leaning batch rate / nominal's, at least
TARGET_SINGLE_US = 100.0


def leaning_geometry():
    """Return the leaning demo's kind of arm: tilts of 0.24-0.4 deg either way, small offsets."""
    rng = np.random.default_rng(4)
    tilts = np.radians(rng.uniform(0.24, 0.4, 8)) * rng.choice([-1, 1], 8)
    return OMX.with_errors(ChainErrors((0.002, -0.003, 0.001, 0.0015), np.zeros((4, 3)),
                                       np.reshape(tilts, (4, 2))))


def _time(solver, single: list, batch: np.ndarray, runs: int) -> tuple[float, float]:
    """Return (p50 us of single solve() calls, median poses/s of solve() on ``batch``)."""
    for pose in single[:100]:
        solver.solve(pose, on_unreachable='nearest')
    times = []
    for pose in single:
        start = time.perf_counter()
        solver.solve(pose, on_unreachable='nearest')
        times.append(time.perf_counter() - start)
    solver.solve(batch[:2000], on_unreachable='nearest')
    rates = []
    for _ in range(runs):
        start = time.perf_counter()
        solver.solve(batch, on_unreachable='nearest')
        rates.append(len(batch) / (time.perf_counter() - start))
    return statistics.median(times) * 1e6, statistics.median(rates)


def leaning_speed(poses: int = 1000, batch: int = 100_000, rounds: int = 2) -> dict:
    """
    Time the leaning and the nominal closed form alternately, ``rounds`` rounds.

    Returns
    -------
    {'tilts_deg': the tilts, 'nominal'/'leaning': {'single_us', 'poses_per_s'} (medians of
    the rounds), 'batch': its size}. Each arm solves poses it reaches (its own FK).

    """
    arms = {'nominal': OMX, 'leaning': leaning_geometry()}
    solvers = {name: AnalyticSolver(g) for name, g in arms.items()}
    figures: dict = {name: ([], []) for name in arms}
    for k in range(rounds):
        for name, g in arms.items():
            single = forward_kinematics(sample_joints(OMX, poses, np.random.default_rng(k)), g)
            many = forward_kinematics(sample_joints(OMX, batch, np.random.default_rng(100 + k)), g)
            us, rate = _time(solvers[name], single.tolist(), many, 1)
            figures[name][0].append(us)
            figures[name][1].append(rate)
    out = {name: {'single_us': statistics.median(f[0]), 'poses_per_s': statistics.median(f[1])}
           for name, f in figures.items()}
    tilts = np.ravel(arms['leaning'].errors.tilts)
    out.update(tilts_deg=[math.degrees(t) for t in tilts], batch=batch,
               rounds=rounds)
    return out


def leaning_section(lean: dict, table) -> list[str]:
    """Return the report's Markdown lines of the leaning arm's speed."""
    tilts = [abs(t) for t in lean['tilts_deg']]
    rows = [[name, lean[name]['single_us'], lean[name]['poses_per_s']]
            for name in ('nominal', 'leaning')]
    rows.append(['leaning / nominal',
                 f"{lean['leaning']['single_us'] / lean['nominal']['single_us']:.1f}x",
                 f"{lean['leaning']['poses_per_s'] / lean['nominal']['poses_per_s']:.3f}x"])
    return ['\n## A calibrated arm whose axes lean\n',
            f'The closed form of an arm whose 8 axis tilts are {min(tilts):.2f}-{max(tilts):.2f} '
            "deg (the leaning demo's kind) against the nominal closed form, timed alternately, "
            f"{lean['rounds']} rounds (medians): `solve(pose)` p50 of 1,000 single poses and "
            f"`solve()` of {lean['batch']:,} poses, each arm's own reachable poses. Targets: a "
            f'single pose <= {TARGET_SINGLE_RATIO:.0f}x the nominal and <= '
            f'{TARGET_SINGLE_US:.0f} us, batches >= {TARGET_BATCH_RATIO}x the nominal rate.\n',
            table(['arm', 'single pose p50 us', 'poses/s'], rows), '']


def leaning_verdicts(lean: dict | None) -> list[str]:
    """Return the report's target lines of the leaning arm."""
    if not lean:
        return []
    nominal, leaning = lean['nominal'], lean['leaning']
    single = leaning['single_us'] / nominal['single_us']
    batch = leaning['poses_per_s'] / nominal['poses_per_s']
    return [f"leaning arm: single pose {leaning['single_us']:.0f} us, {single:.1f}x the nominal "
            f'closed form (<= {TARGET_SINGLE_RATIO:.0f}x: '
            + ('met' if single <= TARGET_SINGLE_RATIO else 'missed') + f'; <= '
            f'{TARGET_SINGLE_US:.0f} us: '
            + ('met' if leaning['single_us'] <= TARGET_SINGLE_US else 'missed') + ')',
            f"leaning arm: {leaning['poses_per_s'] / 1e6:.3f} M poses/s batched, {batch:.3f}x the "
            f'nominal (>= {TARGET_BATCH_RATIO}x: '
            + ('met' if batch >= TARGET_BATCH_RATIO else 'missed') + ')']
