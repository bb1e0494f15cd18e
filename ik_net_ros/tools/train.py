"""
``ik_net_ros train``: train a network on a dataset and save the model with its metrics.

The trained model is measured in memory (held-out rows through the public solver) and saved once
(:func:`ik_net_ros.model.save_model`: its checkpoint and weights file).
"""

from __future__ import annotations

import argparse
import logging
import sys

from ik_net_ros.arm import Arm
from ik_net_ros.data import PoseJointSet, random_split, sequential_split
from ik_net_ros.data.tracker_rows import in_base_frame
from ik_net_ros.errors import CheckpointError, ConfigError, DatasetError
from ik_net_ros.evaluation.accuracy import pose_accuracy
from ik_net_ros.kinematics import is_reachable
from ik_net_ros.kinematics.calibration_file import load_calibration, load_tracker_setup
from ik_net_ros.kinematics.chain import chain_forward
from ik_net_ros.kinematics.tracker_setup import BASE_FRAME
from ik_net_ros.model import load_model, ModelFile, save_model
from ik_net_ros.model.model_file import shipped_models
from ik_net_ros.networks import count_parameters
from ik_net_ros.solver.network import NetworkSolver
from ik_net_ros.tools.common import (
    add_arm_argument,
    arm_from_args,
    DATA_HELP,
    HELD_OUT_SEED,
    load_data,
    number_in,
    print_metrics,
    require_rows,
    writable_output,
)
from ik_net_ros.training.config import TrainConfig
from ik_net_ros.training.loop import new_model, train, TrainResult
from ik_net_ros.training.real_arm_data import (
    correction_model,
    correction_set,
    DISAGREE,
    MAX_CORRECTION,
    measured_set,
    MIN_TRAIN_CONFIGURATIONS,
    MIN_VAL_CONFIGURATIONS,
    trusted_split,
)
from ik_net_ros.training.start_check import compare_with_start
import numpy as np
import torch

log = logging.getLogger(__name__)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument('--data', default='synthetic:1000000:0', help=DATA_HELP)
    parser.add_argument('--split', choices=('random', 'sequential'), default='random',
                        help='random for i.i.d. data; sequential (first part trains) for '
                             'recordings')
    parser.add_argument('--val-fraction', type=number_in(0.0, 0.9, low_open=True), default=None,
                        help='share of the data that validates, in (0, 0.9] (default 0.05; '
                             '0.2 with --target measured)')
    parser.add_argument('--held-out', default=f'synthetic:10000:{HELD_OUT_SEED}',
                        help='held-out set for the final metrics (' + DATA_HELP + ')')
    TrainConfig.add_arguments(parser)
    add_arm_argument(parser)
    parser.add_argument('--base-height', type=float, default=None,
                        help='joint1 height in m (default 0.017; 0.0 for the jazzy description)')
    parser.add_argument('--target', choices=('fk', 'measured'), default='fk',
                        help='fk: poses are the forward kinematics of the joints (synthetic '
                             'data, recordings); measured: learn the real arm from the measured '
                             'poses of a recording (columns mx..mqw)')
    parser.add_argument('--init', help='start from this model (name or .pt): fine-tuning, '
                                       'with the fine-tuning defaults')
    parser.add_argument('--calibration',
                        help='with --target measured: learn only what this calibration leaves '
                             '(a correction added to its closed form)')
    parser.add_argument('--output', required=True, help='checkpoint path (.pt)')
    parser.add_argument('--no-progress', action='store_true', help='no progress bar')


def run(args: argparse.Namespace) -> int:
    fine = args.target == 'measured'  # a few thousand rows: small steps, small batches
    config = TrainConfig.from_args(args, fine_tuning=fine or bool(args.init))
    if args.val_fraction is None:
        args.val_fraction = 0.2 if fine else 0.05
    output = writable_output(args.output, 'checkpoint')
    arm = arm_from_args(args)
    if fine:
        return _run_measured(args, config, arm, output)
    if args.calibration:
        raise ConfigError('--calibration goes with --target measured')
    init, config = _init(args, config, arm)
    data = require_rows(load_data(args.data, arm), args.data, at_least=3)
    held = require_rows(load_data(args.held_out, arm), args.held_out)  # before the work
    summary = {**data.summary(), 'args_data': args.data}
    data = PoseJointSet(data.poses, data.joints, data.meta)  # measured poses are not needed
    train_set, val_set = _split(data, args)
    del data  # a random split copied the rows: the file's table can go (peak 2x, not 3x)
    print(f'{"fine-tuning " + args.init if init else "training " + config.network} on '
          f'{len(train_set)} rows, validating on {len(val_set)} ({args.data})')
    result = train(config, train_set, val_set, arm, progress=not args.no_progress,
                   init=None if init is None else init.to_torch())
    model = _model(result, config, arm, {**summary, 'init': args.init}, None, history=True)
    metrics = dict(model.metrics)
    metrics['start_comparison'] = _compare(model, init, args, config, val_set, arm)
    metrics.update(_held_out(model, held, arm, str(output)))
    metrics['held_out_data'] = args.held_out
    save_model(model.with_metadata(metrics=metrics), output)
    print(f'wrote {output} (best epoch {result.best_epoch}, {result.seconds:.0f} s)')
    print_metrics('held-out', metrics['held_out'])
    if metrics.get('held_out_refined') is not None:
        print_metrics('held-out, refine=True', metrics['held_out_refined'])
    _warn(metrics['start_comparison'])
    return 0


def _held_out(model: ModelFile, held: PoseJointSet, arm: Arm, name: str) -> dict:
    """
    Return the held-out figures of ``model`` in memory: network alone, and refined.

    Through the public solver (what ``ik_net_ros evaluate [--refine]`` reports).
    """
    solver = NetworkSolver(model, name=name)  # held-out figures in memory
    out = {}
    for refine in (False, True):
        joints = solver.solve(held.poses, refine=refine, on_unreachable='nearest')
        out[f'held_out{"_refined" if refine else ""}'] = pose_accuracy(
            held.poses, joints, held.joints, arm)
    return out


def _init(args: argparse.Namespace, config: TrainConfig,
          arm: Arm) -> tuple[ModelFile | None, TrainConfig]:
    """Return the model ``--init`` names (None without it; of ``arm``) and its network's config."""
    if not args.init:
        return None, config
    init = load_model(args.init, arm=arm)
    return init, TrainConfig(**{**config.as_dict(), 'network': init.network,
                                'network_kwargs': init.network_kwargs})


def _compare(model: ModelFile, init: ModelFile | None, args, config: TrainConfig,
             rows: PoseJointSet, arm: Arm) -> dict | None:
    """
    Measure the new model against the one it started from or could have (the shipped one).

    None where there is neither (a network no model is shipped of).
    """
    if init is None and config.network not in shipped_models(arm):
        return None
    try:
        start = init if init is not None else load_model(config.network, arm=arm)
    except CheckpointError:
        return None  # no model of this arm is shipped yet (the first training of it)
    return compare_with_start(model, start, args.init or config.network, rows, arm,
                              started_from=init is not None)


def _warn(comparison: dict | None) -> None:
    """Say, last and loudly, that the model is far worse than its start (stderr)."""
    if comparison is None:
        return
    print(f'validation rows: {comparison["position_mm_median"]:.3f} mm median; '
          f'{comparison["start"]}: {comparison["start_position_mm_median"]:.3f} mm')
    if 'warning' in comparison:
        print(f'WARNING: {comparison["warning"]}', file=sys.stderr)


def _split(data: PoseJointSet, args: argparse.Namespace, by_configuration: bool = False):
    return random_split(data, args.val_fraction, args.seed, by_configuration) \
        if args.split == 'random' else sequential_split(data, args.val_fraction)


def _model(result: TrainResult, config: TrainConfig, arm: Arm, summary: dict,
           correction: str | None, history: bool = False, **metrics) -> ModelFile:
    """Return the trained model in memory with its training's metrics."""
    metrics = {'best_epoch': result.best_epoch, 'epochs_run': len(result.history),
               'train_seconds': round(result.seconds, 1), **metrics,
               'parameters': count_parameters(result.model.network),
               'validation': {k: v for k, v in result.best.items() if k != 'epoch'}}
    if history:
        metrics['history'] = [{k: round(v, 8) if isinstance(v, float) else v
                               for k, v in row.items()} for row in result.history]
    return ModelFile.from_torch(result.model, config.network, config.network_kwargs, arm,
                                correction, {'train_config': config.as_dict(), 'data': summary,
                                             'metrics': metrics})


def _run_measured(args: argparse.Namespace, config: TrainConfig, arm: Arm, output) -> int:
    """
    Fine-tune on a recording's measured poses, optionally as a correction of a calibration.

    The held-out figure is the tool error against the validation rows' measured poses (to first
    order: the FK distance between the answer and the joints that reached the pose).
    """
    init, config = _init(args, config, arm)  # a shipped model's name, or a checkpoint's path
    setup = BASE_FRAME
    fitted = arm  # the calibrated arm where there is a calibration
    if args.calibration:
        fitted = load_calibration(args.calibration)
        setup = load_tracker_setup(args.calibration)
    data = measured_set(in_base_frame(load_data(args.data, arm), setup))
    require_rows(data, args.data, at_least=MIN_TRAIN_CONFIGURATIONS + MIN_VAL_CONFIGURATIONS)
    fit, check = _split(data, args, by_configuration=True)
    fit, check, moved = trusted_split(fit, check, args.data)
    if moved:
        print(f'{moved} rows moved from validation to training: the joints of training rows')
    train_set, val_set = fit, check
    if args.calibration:
        (train_set, dropped), (val_set, _) = (correction_set(fit, fitted),
                                              correction_set(check, fitted))
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
    start = None if init is None else init.to_torch()
    if args.calibration:
        # a correction starts answering zero (the calibrated closed form): from the features of
        # the model given, or of a new network where none is (an arm with no shipped model)
        torch.manual_seed(config.seed)
        start = correction_model(start if start is not None
                                 else new_model(config, train_set, fitted), train_set)
    print(f'fine-tuning {config.network} on {len(train_set)} measured rows, validating on '
          f'{len(val_set)} ({args.data})')
    result = train(config, train_set, val_set, fitted, progress=not args.no_progress,
                   init=start)
    summary = {**train_set.summary(), 'args_data': args.data, 'init': args.init,
               'calibration': args.calibration}
    model = _model(result, config, fitted, summary,
                   'analytic' if args.calibration else None, target='measured')
    solver = NetworkSolver(model, name=str(output))  # measured in memory, saved once
    check = check.subset(is_reachable(check.poses, fitted))  # rows the arm model can reach
    joints = solver.solve(check.poses, on_unreachable='nearest')
    error = 1e3 * np.linalg.norm(chain_forward(fitted, joints)[:, :3]
                                 - chain_forward(fitted, check.joints)[:, :3], axis=1)
    held = {'rows': len(check), 'position_mm_median': float(np.median(error)),
            'position_mm_p95': float(np.percentile(error, 95))}
    comparison = _compare(model, init, args, config, check, fitted)
    save_model(model.with_metadata(metrics={**model.metrics, 'held_out_measured': held,
                                            'start_comparison': comparison}), output)
    print(f'wrote {output} (best epoch {result.best_epoch}, {result.seconds:.0f} s); against the '
          f'measured poses of {len(check)} validation rows: '
          f'{held["position_mm_median"]:.3f} mm median, {held["position_mm_p95"]:.3f} mm p95')
    _warn(comparison)
    return 0
