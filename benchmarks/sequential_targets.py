"""
Targets a safe arm can take, sent one after another: how many does a solver answer.

Each target is the tool pose of random joints inside the limits whose configuration is clear of
the collision model (the table at its clearance, the arm's own base), in the arm's own geometry
(its calibration, leaning axes included, where one is given). Each is solved seeded by the
previous answer (where the arm was left), as the ik node does with ``solution:=nearest``; a
refused target leaves the seed where it was. Prints the fraction answered, and why the others
were refused (the most frequent reasons). Usage:
``PYTHONPATH=. python benchmarks/sequential_targets.py analytic focused --targets 2000``.
"""

from __future__ import annotations

import argparse
from collections import Counter
import re
import sys

from ik_net_ros import load_solver, UnreachableError
from ik_net_ros.arm import ChainErrors, default_arm
from ik_net_ros.kinematics import forward_kinematics, sample_joints
from ik_net_ros.kinematics.collision import CollisionModel
import numpy as np

OMX = default_arm()  # the OM-X, ROBOTIS's humble description


def clear_targets(geometry, collision: CollisionModel, count: int, seed: int) -> np.ndarray:
    """Return ``count`` tool poses (count, 7) of clear configurations of ``geometry``."""
    rng = np.random.default_rng(seed)
    poses = []
    while sum(len(p) for p in poses) < count:
        q = sample_joints(OMX, 4 * count, rng)
        poses.append(forward_kinematics(q[collision.check(q).clear], geometry))
    return np.concatenate(poses)[:count]


def answered(solver, targets: np.ndarray) -> tuple[float, Counter]:
    """Return the fraction of ``targets`` answered one after another, and the refusals."""
    seed = np.array(OMX.home, float)
    refused: Counter = Counter()
    for pose in targets:
        try:
            seed = solver.solve(pose, seed=seed)
        except UnreachableError as e:
            reason = str(e.reasons[0] if e.reasons else e)
            refused[re.sub(r'-?\d+\.\d+', '#', reason)[:70]] += 1
    return 1.0 - sum(refused.values()) / len(targets), refused


def main(argv: list[str] | None = None) -> int:
    """Run the measurement; returns the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument('models', nargs='*', default=['analytic', 'focused'])
    parser.add_argument('--targets', type=int, default=2000)
    parser.add_argument('--calibration', help="an arm's calibration file (its tilts too)")
    parser.add_argument('--tilts', type=float, default=0.0,
                        help='deg: a nominal arm whose 8 axis tilts are this, signs alternating')
    parser.add_argument('--clearance', type=float, default=0.01, help='m (the ik node default)')
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args(argv)
    for name in args.models:
        leaning = None
        if args.tilts:
            tilts = np.radians(args.tilts) * np.array([1, -1] * 4)
            leaning = OMX.with_errors(ChainErrors((0.0,) * 4, np.zeros((4, 3)),
                                                  tilts.reshape(4, 2)))
        solver = load_solver(name, arm=leaning, calibration=args.calibration)
        arm = solver.arm  # the real arm (its tilts too): the targets are its poses
        solver.collision = CollisionModel(solver.planar_arm, args.clearance)
        targets = clear_targets(arm, CollisionModel(arm, args.clearance), args.targets,
                                args.seed)
        share, refused = answered(solver, targets)
        print(f'{name}: {share:.1%} of {len(targets)} clear targets answered one after another')
        for reason, n in refused.most_common(3):
            print(f'  {n} refused: {reason}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
