"""``ik_net_ros evaluate``: accuracy of a model (or the closed form) on a dataset."""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from ik_net_ros.atomic import atomic_write
from ik_net_ros.errors import ConfigError
from ik_net_ros.kinematics import is_reachable
from ik_net_ros.solver import load_solver
from ik_net_ros.tools.common import (
    DATA_HELP,
    HELD_OUT_SEED,
    load_data,
    print_metrics,
    require_rows,
    writable_output,
)
from ik_net_ros.training.metrics import pose_accuracy


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument('--model', default='focused',
                        help='analytic | original | improved | focused | checkpoint path')
    parser.add_argument('--data', default=f'synthetic:10000:{HELD_OUT_SEED}', help=DATA_HELP)
    parser.add_argument('--device', default='cpu', help='cpu | cuda | auto')
    parser.add_argument('--refine', action='store_true', help='add Gauss-Newton refinement')
    parser.add_argument('--json', help='also write the metrics to this JSON file')


def run(args: argparse.Namespace) -> int:
    json_path = writable_output(args.json, 'metrics file') if args.json else None
    solver = load_solver(args.model, device=args.device)
    data = require_rows(load_data(args.data, solver.geometry), args.data)
    reachable = is_reachable(data.poses, solver.geometry)
    if not reachable.all():
        print(f'note: {int((~reachable).sum())} of {len(data)} poses are unreachable; '
              'they are scored with the solver\'s best effort')
    start = time.perf_counter()
    joints = solver.solve(data.poses, refine=args.refine, on_unreachable='nearest')
    seconds = time.perf_counter() - start
    metrics = pose_accuracy(data.poses, joints, data.joints, solver.geometry)
    metrics['seconds_per_pose_batched'] = seconds / max(1, len(data))
    metrics['unreachable_share'] = float(np.mean(~reachable))
    print_metrics(f'{args.model}{" + refine" if args.refine else ""} on {args.data}', metrics)
    if json_path is not None:
        text = json.dumps({'model': args.model, 'data': args.data, 'refine': args.refine,
                           **metrics}, indent=2)
        try:
            atomic_write(json_path, lambda f: f.write(text), 'w')
        except OSError as e:
            raise ConfigError(f'metrics file {json_path}: cannot be written ({e.strerror})'
                              ) from e
    return 0
