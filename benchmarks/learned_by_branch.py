"""
A learned model of a UR-layout arm (the OMY) judged per branch of the joints a pose came from.

``PYTHONPATH=<checkout> nice -n 19 python benchmarks/learned_by_branch.py --arm omy_f3m
--model focused [--poses 20000]`` draws joints uniformly inside the arm's real limits (the
held-out seed), makes their poses by forward kinematics and splits them by the branch of the
drawn joints (``4 shoulder + 2 elbow + wrist``, :func:`~ik_net_ros.kinematics.ur_closed_form.
branch_of`). The model is trained on one branch family (the home pose's, see models/README.md),
so it answers every pose with that family's solution; per source branch the table gives the
share of poses that family reaches inside the limits, and on those the network's tool error
alone and with ``refine`` (share within 0.1 mm and 0.1 deg).
"""

from __future__ import annotations

import argparse

from ik_net_ros.arm import load_arm
from ik_net_ros.evaluation.accuracy import pose_accuracy
from ik_net_ros.kinematics.chain import chain_forward
from ik_net_ros.kinematics.limits import sample_joints
from ik_net_ros.kinematics.ur_branches import family_solution
from ik_net_ros.kinematics.ur_closed_form import branch_of, BRANCHES
from ik_net_ros.solver import load_solver
from ik_net_ros.tools.common import HELD_OUT_SEED
import numpy as np


def main(argv: list[str] | None = None) -> int:
    """Print the table (see the module's docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument('--arm', default='omy_f3m')
    parser.add_argument('--model', default='focused')
    parser.add_argument('--poses', type=int, default=20_000)
    args = parser.parse_args(argv)
    arm = load_arm(args.arm)
    q = sample_joints(arm, args.poses, HELD_OUT_SEED)
    poses = chain_forward(arm, q)
    source = branch_of(arm, q)
    reached = family_solution(arm, poses).found
    solver = load_solver(args.model, arm=arm)
    alone = solver.solve(poses[reached], on_unreachable='nearest')
    refined = solver.solve(poses[reached], refine=True, on_unreachable='nearest')
    print(f'{args.model} of {arm.name} on {args.poses} poses drawn inside the limits '
          f'(seed {HELD_OUT_SEED}); the home family reaches {reached.mean():.1%} of them')
    print('| source branch | poses | home family reaches | mm p50 | mm p95 | deg p50 '
          '| refine within 0.1 mm / 0.1 deg |')
    print('|---|---|---|---|---|---|---|')
    rows = source[reached]
    for b in list(range(BRANCHES)) + [None]:
        pick = np.ones(len(rows), bool) if b is None else rows == b
        total = len(source) if b is None else int((source == b).sum())
        if not pick.any():
            print(f'| {b} | {total} | 0 | | | | |')
            continue
        a = pose_accuracy(poses[reached][pick], alone[pick], arm=arm)
        r = pose_accuracy(poses[reached][pick], refined[pick], arm=arm)
        name = 'all' if b is None else str(b)
        print(f'| {name} | {total} | {pick.sum() / max(total, 1):.1%} | '
              f'{a["position_mm_median"]:.2f} | {a["position_mm_p95"]:.2f} | '
              f'{a["orientation_deg_median"]:.2f} | {r["solved_0.1mm_0.1deg_share"]:.2%} |')
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
