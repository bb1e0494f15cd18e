"""``ik_net_ros solve``: joints for poses, from the command line or a dataset file."""

from __future__ import annotations

import argparse

from ik_net_ros.solver import load_solver
from ik_net_ros.tools.common import add_arm_argument, model_arm, solver_arm
import numpy as np


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument('pose', nargs=7, type=float, metavar='V',
                        help='x y z (m) qx qy qz qw, base frame')
    parser.add_argument('--model', default='analytic',
                        help='analytic | original | improved | focused | checkpoint path')
    parser.add_argument('--device', default='cpu', help='cpu | cuda | auto')
    parser.add_argument('--refine', action='store_true', help='refine with Gauss-Newton steps')
    add_arm_argument(parser)


def run(args: argparse.Namespace) -> int:
    solver = load_solver(args.model, device=args.device, **solver_arm(model_arm(args)))
    joints = solver.solve(np.array(args.pose), refine=args.refine)
    print(' '.join(f'{j:.6f}' for j in joints))
    return 0
