"""``ik_net_ros info MODEL``: what a checkpoint carries (network, size, training, metrics)."""

from __future__ import annotations

import argparse
import json

from ik_net_ros.model import load_model
from ik_net_ros.model.arm_record import arm_record
from ik_net_ros.tools.common import add_arm_argument, model_arm


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument('model', help='original | improved | focused (of --arm) | checkpoint '
                                      'path')
    add_arm_argument(parser)
    parser.add_argument('--json', action='store_true', help='print the raw info as JSON')


def run(args: argparse.Namespace) -> int:
    model = load_model(args.model, torch_free=False, arm=model_arm(args))
    path = model.path
    info = {'network': model.network, 'network_kwargs': model.network_kwargs,
            'arm': arm_record(model.arm), 'correction': model.correction,
            **model.metadata}
    if args.json:
        print(json.dumps(info, indent=1, default=str))
        return 0
    cfg, metrics = info.get('train_config', {}), info.get('metrics', {})
    print(f'{path}  ({path.stat().st_size / 1024:.0f} KiB)')
    print(f'network      {info["network"]} {info["network_kwargs"] or "(shipped size)"}, '
          f'{_parameters(model):,} parameters')
    trained = model.arm
    described = f' ({trained.description})' if trained.description else ''
    print(f'arm          {trained.name}{described}'
          f', {trained.dof} joints ({", ".join(trained.joint_names)}), joint1 at '
          f'{trained.joints[0].origin.xyz[2] + trained.errors.origin_deltas[0][2]:g} m'
          f'{"" if trained.is_nominal else ", with errors (a calibration)"}; kinematics '
          f'digest {trained.digest[:12]}')
    print(f'data         {info.get("data", {}).get("args_data", "?")}, '
          f'{info.get("data", {}).get("rows", "?")} rows')
    print(f'training     {cfg.get("epochs")} epochs max, batch {cfg.get("batch_size")}, lr '
          f'{cfg.get("lr")} {cfg.get("schedule")}, loss {cfg.get("loss")}, seed '
          f'{cfg.get("seed")}; best epoch {metrics.get("best_epoch")} of '
          f'{metrics.get("epochs_run")}, {metrics.get("train_seconds")} s')
    for key in ('held_out', 'held_out_refined'):
        m = metrics.get(key)
        if not m:
            continue
        try:
            print(f'{key:<17} position mm p50 {m["position_mm_median"]:.3g} p95 '
                  f'{m["position_mm_p95"]:.3g} p99 {m["position_mm_p99"]:.3g} max '
                  f'{m["position_mm_max"]:.3g}; orientation deg p50 '
                  f'{m["orientation_deg_median"]:.3g} p99 {m["orientation_deg_p99"]:.3g}; '
                  f'solved {100 * m["solved_share"]:.2f} %; within 0.1 mm & 0.1 deg '
                  f'{100 * m["solved_0.1mm_0.1deg_share"]:.2f} %; joint MSE '
                  f'{m.get("joint_mse", float("nan")):.3g}')
        except (KeyError, TypeError, ValueError, AttributeError):  # notes a checksum not covers
            print(f'{key:<17} (not readable in this file)')
    print(f'created      {info.get("created")} with torch {info.get("torch_version")}')
    return 0


def _parameters(model) -> int:
    """Trainable parameters: every array but the normalisation and BatchNorm statistics."""
    statistics = ('pose_mean', 'pose_std', 'joint_mean', 'joint_std', 'running_mean',
                  'running_var')
    return sum(a.size for k, a in model.arrays.items() if not k.endswith(statistics))
