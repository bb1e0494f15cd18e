"""
The Solver of the OMY (UR layout) against the OM-X's (planar), in one run.

``PYTHONPATH=<checkout> nice -n 19 python benchmarks/solver_arms_speed.py [--repeats 5]``
prints, for each arm, the median over repeats of:

- **seeded one pose**: the live node's call, ``solve(pose, seed=where the arm is)`` with the
  collision model (``live_solver('analytic')``), along a path of small steps near home;
- **100k batch**: ``solve(poses)`` of 100,000 poses without a seed nor a collision model (the
  no-seed branch rule; the OMY's poses are of its home family, so every one is answered);
- **100k seeded**: ``solve(poses, seed=...)`` of the same poses with the collision model, each
  seeded at the joints it was made from (every branch weighed, each checked for collision).

Wall-clock per call (one pose) or per pose (batches) and the process CPU time (the figure that
holds on a shared machine). The arms run interleaved, repeat by repeat. ``--cases one`` times
the live call alone and prints the OMY's CPU over the OM-X's (issue 34's goal: <= 1.1x).
"""

from __future__ import annotations

import argparse
import statistics
import time

from ik_net_ros.arm import load_arm
from ik_net_ros.kinematics.chain import chain_forward
from ik_net_ros.kinematics.collision import CollisionModel
from ik_net_ros.kinematics.limits import sample_joints
from ik_net_ros.kinematics.ur_branches import family_solution
from ik_net_ros.kinematics.ur_layout import is_ur_layout
from ik_net_ros.solver import load_solver
from ik_net_ros.solver.live import live_solver
import numpy as np

ARMS = ('open_manipulator_x', 'omy_f3m')


def _path(arm, steps: int) -> np.ndarray:
    """Return joints (steps, dof) of a slow wander about home, clear of the collision model."""
    t = np.linspace(0.0, 1.0, steps)[:, None]
    phase = np.arange(arm.dof)[None, :]
    q = np.asarray(arm.home) + 0.25 * np.sin(2 * np.pi * (t + phase / arm.dof))
    return np.clip(q, arm.lower, arm.upper)


def _batch(arm, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Return poses (n, 7) every one the no-seed rule answers, and the joints they came from."""
    model = CollisionModel(arm)
    q = sample_joints(arm, 10 * n, 7)
    q = q[model.check(q).clear]
    if is_ur_layout(arm):  # the home family's poses only: the others are refused without seed
        found = family_solution(arm, chain_forward(arm, q)).found
        q = q[found]
    q = q[:n]
    assert len(q) == n, 'too few poses drawn'
    return chain_forward(arm, q), q


def _timed(fn) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def main(argv: list[str] | None = None) -> int:
    """Print the figures (see the module's docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument('--repeats', type=int, default=5)
    parser.add_argument('--poses', type=int, default=100_000)
    parser.add_argument('--steps', type=int, default=500, help='seeded single poses per repeat')
    parser.add_argument('--cases', default='one,batch,seeded',
                        help='which figures, comma-separated (one: the live call alone)')
    args = parser.parse_args(argv)
    keys = [k for k in ('one', 'batch', 'seeded') if k in args.cases.split(',')]
    cases = {}
    for name in ARMS:
        arm = load_arm(name)
        live = live_solver('analytic', arm=arm)
        plain = load_solver('analytic', arm=arm)
        q = _path(arm, args.steps + 1)
        path = chain_forward(arm, q)
        poses, seeds = _batch(arm, args.poses) if keys != ['one'] else (None, None)
        cases[name] = (live, plain, q, path, poses, seeds)
    figures = {name: {'one': [], 'batch': [], 'seeded': []} for name in ARMS}
    for _ in range(args.repeats):
        for name in ARMS:
            live, plain, q, path, poses, seeds = cases[name]

            def walk(live=live, q=q, path=path):
                at = q[0]
                for pose in path[1:]:
                    at = live.solve(pose, seed=at)
            if 'one' in keys:
                wall, cpu = _timed(walk)
                figures[name]['one'].append((wall / args.steps, cpu / args.steps))
            if 'batch' in keys:
                wall, cpu = _timed(lambda plain=plain, poses=poses: plain.solve(poses))
                figures[name]['batch'].append((wall / len(poses), cpu / len(poses)))
            if 'seeded' in keys:
                wall, cpu = _timed(lambda live=live, poses=poses, seeds=seeds:
                                   live.solve(poses, seed=seeds))
                figures[name]['seeded'].append((wall / len(poses), cpu / len(poses)))
    labels = {'one': 'seeded one pose (live)', 'batch': f'{args.poses} batch, no seed',
              'seeded': f'{args.poses} seeded + collision'}
    print(f'median of {args.repeats} repeats, us per call / per pose (wall, cpu)')
    for key in keys:
        label, row = labels[key], []
        for name in ARMS:
            values = figures[name][key]
            wall = statistics.median(v[0] for v in values) * 1e6
            cpu = statistics.median(v[1] for v in values) * 1e6
            row.append(f'{name} {wall:8.2f} / {cpu:8.2f}')
        print(f'{label:32s} ' + '   '.join(row))
    if 'one' in keys:  # the goal: the OMY's live call within 1.1x the OM-X's
        cpu = {name: statistics.median(v[1] for v in figures[name]['one']) for name in ARMS}
        print(f'seeded one pose, OMY / OM-X CPU: {cpu[ARMS[1]] / cpu[ARMS[0]]:.2f}x')
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
