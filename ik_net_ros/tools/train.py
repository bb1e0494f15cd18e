"""``ik_net_ros train``: train a network on a dataset and write a checkpoint with its metrics."""

from __future__ import annotations

import argparse
from dataclasses import replace
import json
import logging
from pathlib import Path

from ik_net_ros.data import PoseJointSet, random_split, sequential_split
from ik_net_ros.data.tracker_rows import in_base_frame
from ik_net_ros.errors import ConfigError, DatasetError
from ik_net_ros.kinematics import forward_kinematics, is_reachable
from ik_net_ros.kinematics.calibration_file import load_calibration, load_tracker_setup
from ik_net_ros.kinematics.tracker_setup import BASE_FRAME
from ik_net_ros.networks import count_parameters, NETWORKS
from ik_net_ros.resources import model_path
from ik_net_ros.solver.network import NetworkSolver
from ik_net_ros.tools.common import (
    DATA_HELP,
    geometry_from_args,
    HELD_OUT_SEED,
    load_data,
    number_in,
    print_metrics,
    require_rows,
    writable_output,
)
from ik_net_ros.training.checkpoint import load_checkpoint, save_checkpoint
from ik_net_ros.training.config import LOSSES, MONITORS, SCHEDULES, TrainConfig
from ik_net_ros.training.loop import train
from ik_net_ros.training.measured import (
    correction_model,
    correction_set,
    DISAGREE,
    MAX_CORRECTION,
    measured_set,
)
from ik_net_ros.training.metrics import pose_accuracy
import numpy as np

log = logging.getLogger(__name__)
_D = TrainConfig()
# (flag, type, default, default with --target measured: fine-tuning on ~2,000 measured rows)
FINE_TUNING_DEFAULTS = (('--epochs', int, _D.epochs, 150),
                        ('--batch-size', int, _D.batch_size, 64),
                        ('--lr', float, _D.lr, 1e-4), ('--patience', int, _D.patience, 1000))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    d = TrainConfig()
    parser.add_argument('--network', choices=list(NETWORKS), default=d.network)
    parser.add_argument('--network-kwargs', default='{}', type=json.loads,
                        help='constructor arguments as JSON, e.g. \'{"width": 128}\'')
    parser.add_argument('--data', default='synthetic:1000000:0', help=DATA_HELP)
    parser.add_argument('--split', choices=('random', 'sequential'), default='random',
                        help='random for i.i.d. data; sequential (first part trains) for '
                             'recordings')
    parser.add_argument('--val-fraction', type=number_in(0.0, 0.9, low_open=True), default=None,
                        help='share of the data that validates, in (0, 0.9] (default 0.05; '
                             '0.2 with --target measured)')
    parser.add_argument('--held-out', default=f'synthetic:10000:{HELD_OUT_SEED}',
                        help='held-out set for the final metrics (' + DATA_HELP + ')')
    for flag, kind, fk, measured in FINE_TUNING_DEFAULTS:
        parser.add_argument(flag, type=kind, default=None,
                            help=f'default {fk}; {measured} with --target measured')
    parser.add_argument('--weight-decay', type=float, default=d.weight_decay)
    parser.add_argument('--schedule', choices=SCHEDULES, default=d.schedule)
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
    parser.add_argument('--target', choices=('fk', 'measured'), default='fk',
                        help='fk: poses are the forward kinematics of the joints (synthetic '
                             'data, recordings); measured: learn the real arm from the measured '
                             'poses of a recording (columns mx..mqw)')
    parser.add_argument('--init', help='start from this model (name or .pt): fine-tuning')
    parser.add_argument('--calibration',
                        help='with --target measured: learn only what this calibration leaves '
                             '(a correction added to its closed form)')
    parser.add_argument('--output', required=True, help='checkpoint path (.pt)')
    parser.add_argument('--no-progress', action='store_true', help='no progress bar')


def run(args: argparse.Namespace) -> int:
    geometry = geometry_from_args(args.base_height)
    fine = args.target == 'measured'  # a few thousand rows: small steps, small batches
    for flag, _, fk, measured in FINE_TUNING_DEFAULTS:
        name = flag[2:].replace('-', '_')
        if getattr(args, name) is None:
            setattr(args, name, measured if fine else fk)
    if args.val_fraction is None:
        args.val_fraction = 0.2 if fine else 0.05
    config = TrainConfig(
        network=args.network, network_kwargs=args.network_kwargs, epochs=args.epochs,
        batch_size=args.batch_size, lr=args.lr, weight_decay=args.weight_decay,
        schedule=args.schedule, patience=args.patience, loss=args.loss,
        task_weight=args.task_weight, seed=args.seed, device=args.device, threads=args.threads,
        normalize=not args.no_normalize, monitor=args.monitor)
    output = writable_output(args.output, 'checkpoint')
    if args.target == 'measured':
        return _run_measured(args, config, geometry, output)
    if args.calibration:
        raise ConfigError('--calibration goes with --target measured')
    data = require_rows(load_data(args.data, geometry), args.data, at_least=3)
    held = require_rows(load_data(args.held_out, geometry), args.held_out)  # before the work
    summary = {**data.summary(), 'args_data': args.data}
    data = PoseJointSet(data.poses, data.joints, data.meta)  # measured poses are not needed
    train_set, val_set = random_split(data, args.val_fraction, args.seed) \
        if args.split == 'random' else sequential_split(data, args.val_fraction)
    del data  # a random split copied the rows: the file's table can go (peak 2x, not 3x)
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
                           config.as_dict(), summary, metrics)
    # held-out figures of the saved file, through the public solver path
    solver = NetworkSolver(load_checkpoint(path), name=str(path))
    for refine in (False, True):
        joints = solver.solve(held.poses, refine=refine, on_unreachable='nearest')
        metrics[f'held_out{"_refined" if refine else ""}'] = pose_accuracy(
            held.poses, joints, held.joints, geometry)
    metrics['held_out_data'] = args.held_out
    save_checkpoint(path, model, args.network, args.network_kwargs, geometry, config.as_dict(),
                    summary, metrics)
    print(f'wrote {path} (best epoch {result.best_epoch}, {result.seconds:.0f} s)')
    print_metrics('held-out', metrics['held_out'])
    print_metrics('held-out, refine=True', metrics['held_out_refined'])
    return 0


def _run_measured(args: argparse.Namespace, config: TrainConfig, geometry, output) -> int:
    """
    Fine-tune on a recording's measured poses, optionally as a correction of a calibration.

    The held-out figure is the tool error against the validation rows' measured poses (to first
    order: the FK distance between the answer and the joints that reached the pose).
    """
    init = None
    if args.init:  # a shipped model's name, or a checkpoint's path
        init = load_checkpoint(Path(args.init) if Path(args.init).suffix in ('.pt', '.pth')
                               else model_path(args.init))
    if init is not None:
        config = replace(config, network=init.network,
                         network_kwargs=init.info.get('network_kwargs', {}))
    setup = BASE_FRAME
    if args.calibration:
        geometry = load_calibration(args.calibration)
        setup = load_tracker_setup(args.calibration)
    data = require_rows(load_data(args.data, geometry), args.data, at_least=3)
    data = measured_set(in_base_frame(data, setup))
    fit, check = random_split(data, args.val_fraction, args.seed) if args.split == 'random' \
        else sequential_split(data, args.val_fraction)
    train_set, val_set = fit, check
    if args.calibration:
        (train_set, dropped), (val_set, _) = (correction_set(fit, geometry),
                                              correction_set(check, geometry))
        print(f'{sum(dropped.values())} of {len(fit)} rows dropped: '
              + ', '.join(f'{n} {why}' for why, n in dropped.items()))
        if dropped[DISAGREE] > 0.5 * len(fit):
            raise DatasetError(
                f'{args.data}: {dropped[DISAGREE]} of {len(fit)} rows disagree with the '
                f'calibration {args.calibration} by over {MAX_CORRECTION} rad: that is a '
                'calibration problem (another tracker frame, marker or arm?), not something a '
                'correction should learn; calibrate again on this recording')
        if len(train_set) < 2 or len(val_set) < 1:
            raise DatasetError(f'{args.data}: too few rows left to learn a correction')
    start = None if init is None else (correction_model(init.model, train_set)
                                       if args.calibration else init.model)
    print(f'fine-tuning {config.network} on {len(train_set)} measured rows, validating on '
          f'{len(val_set)} ({args.data})')
    result = train(config, train_set, val_set, geometry, progress=not args.no_progress,
                   init=start)
    correction = 'analytic' if args.calibration else None
    metrics = {'best_epoch': result.best_epoch, 'epochs_run': len(result.history),
               'train_seconds': round(result.seconds, 1), 'target': 'measured',
               'parameters': count_parameters(result.model.network),
               'validation': {k: v for k, v in result.best.items() if k != 'epoch'}}
    summary = {**train_set.summary(), 'args_data': args.data, 'init': args.init,
               'calibration': args.calibration}
    path = save_checkpoint(output, result.model, config.network, config.network_kwargs,
                           geometry, config.as_dict(), summary, metrics, correction)
    solver = NetworkSolver(load_checkpoint(path), name=str(path))
    check = check.subset(is_reachable(check.poses, geometry))  # rows the arm model can reach
    joints = solver.solve(check.poses, on_unreachable='nearest')
    error = 1e3 * np.linalg.norm(forward_kinematics(joints, geometry)[:, :3]
                                 - forward_kinematics(check.joints, geometry)[:, :3], axis=1)
    metrics['held_out_measured'] = {'rows': len(check),
                                    'position_mm_median': float(np.median(error)),
                                    'position_mm_p95': float(np.percentile(error, 95))}
    save_checkpoint(path, result.model, config.network, config.network_kwargs, geometry,
                    config.as_dict(), summary, metrics, correction)
    print(f'wrote {path} (best epoch {result.best_epoch}, {result.seconds:.0f} s); against the '
          f'measured poses of {len(check)} validation rows: '
          f'{metrics["held_out_measured"]["position_mm_median"]:.3f} mm median, '
          f'{metrics["held_out_measured"]["position_mm_p95"]:.3f} mm p95')
    return 0
