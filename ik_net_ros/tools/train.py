"""``ik_net_ros train``: train a network on a dataset and write a checkpoint with its metrics."""

from __future__ import annotations

import argparse
import json
import logging

from ik_net_ros.data import random_split, sequential_split
from ik_net_ros.networks import NETWORKS, count_parameters
from ik_net_ros.solver.network import NetworkSolver
from ik_net_ros.tools.common import (
    DATA_HELP,
    HELD_OUT_SEED,
    geometry_from_args,
    load_data,
    number_in,
    print_metrics,
    require_rows,
    writable_output,
)
from ik_net_ros.training.checkpoint import load_checkpoint, save_checkpoint
from ik_net_ros.training.config import LOSSES, MONITORS, SCHEDULES, TrainConfig
from ik_net_ros.training.loop import train
from ik_net_ros.training.metrics import pose_accuracy

log = logging.getLogger(__name__)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    d = TrainConfig()
    parser.add_argument('--network', choices=list(NETWORKS), default=d.network)
    parser.add_argument('--network-kwargs', default='{}', type=json.loads,
                        help='constructor arguments as JSON, e.g. \'{"width": 128}\'')
    parser.add_argument('--data', default='synthetic:1000000:0', help=DATA_HELP)
    parser.add_argument('--split', choices=('random', 'sequential'), default='random',
                        help='random for i.i.d. data; sequential (first part trains) for '
                             'recordings')
    parser.add_argument('--val-fraction', type=number_in(0.0, 0.9, low_open=True), default=0.05,
                        help='share of the data that validates, in (0, 0.9]')
    parser.add_argument('--held-out', default=f'synthetic:10000:{HELD_OUT_SEED}',
                        help='held-out set for the final metrics (' + DATA_HELP + ')')
    parser.add_argument('--epochs', type=int, default=d.epochs)
    parser.add_argument('--batch-size', type=int, default=d.batch_size)
    parser.add_argument('--lr', type=float, default=d.lr)
    parser.add_argument('--weight-decay', type=float, default=d.weight_decay)
    parser.add_argument('--schedule', choices=SCHEDULES, default=d.schedule)
    parser.add_argument('--patience', type=int, default=d.patience)
    parser.add_argument('--loss', choices=LOSSES, default=d.loss)
    parser.add_argument('--task-weight', type=float, default=d.task_weight)
    parser.add_argument('--seed', type=int, default=d.seed)
    parser.add_argument('--device', default=d.device, help='cpu | cuda | auto')
    parser.add_argument('--threads', type=int, default=d.threads)
    parser.add_argument('--monitor', choices=MONITORS, default=d.monitor,
                        help='validation figure for early stopping and the kept epoch')
    parser.add_argument('--no-normalize', action='store_true',
                        help='feed raw poses and predict raw joints (the original IKNet way)')
    parser.add_argument('--base-height', type=float, default=None,
                        help='joint1 height in m (default 0.017; 0.0 for the jazzy description)')
    parser.add_argument('--output', required=True, help='checkpoint path (.pt)')
    parser.add_argument('--no-progress', action='store_true', help='no progress bar')


def run(args: argparse.Namespace) -> int:
    geometry = geometry_from_args(args.base_height)
    config = TrainConfig(
        network=args.network, network_kwargs=args.network_kwargs, epochs=args.epochs,
        batch_size=args.batch_size, lr=args.lr, weight_decay=args.weight_decay,
        schedule=args.schedule, patience=args.patience, loss=args.loss,
        task_weight=args.task_weight, seed=args.seed, device=args.device, threads=args.threads,
        normalize=not args.no_normalize, monitor=args.monitor)
    output = writable_output(args.output, 'checkpoint')
    data = require_rows(load_data(args.data, geometry), args.data, at_least=3)
    held = require_rows(load_data(args.held_out, geometry), args.held_out)  # before the work
    split = random_split(data, args.val_fraction, args.seed) if args.split == 'random' \
        else sequential_split(data, args.val_fraction)
    train_set, val_set = split
    print(f'training {args.network} on {len(train_set)} rows, validating on {len(val_set)} '
          f'({args.data})')
    result = train(config, train_set, val_set, geometry, progress=not args.no_progress)
    model = result.model
    metrics = {'best_epoch': result.best_epoch, 'epochs_run': len(result.history),
               'train_seconds': round(result.seconds, 1),
               'parameters': count_parameters(model.network),
               'validation': {k: v for k, v in result.best.items() if k != 'epoch'},
               'history': [{k: round(v, 8) if isinstance(v, float) else v
                            for k, v in row.items()} for row in result.history]}
    path = save_checkpoint(output, model, args.network, args.network_kwargs, geometry,
                           config.as_dict(), {**data.summary(), 'args_data': args.data},
                           metrics)
    # held-out figures of the saved file, through the public solver path
    solver = NetworkSolver(load_checkpoint(path), name=str(path))
    for refine in (False, True):
        joints = solver.solve(held.poses, refine=refine, on_unreachable='nearest')
        metrics[f'held_out{"_refined" if refine else ""}'] = pose_accuracy(
            held.poses, joints, held.joints, geometry)
    metrics['held_out_data'] = args.held_out
    save_checkpoint(path, model, args.network, args.network_kwargs, geometry, config.as_dict(),
                    {**data.summary(), 'args_data': args.data}, metrics)
    print(f'wrote {path} (best epoch {result.best_epoch}, {result.seconds:.0f} s)')
    print_metrics('held-out', metrics['held_out'])
    print_metrics('held-out, refine=True', metrics['held_out_refined'])
    return 0
