"""``ik_net_ros evaluate``: accuracy of a model (or the closed form) on a dataset."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
import time

from ik_net_ros.arm import default_arm
from ik_net_ros.atomic import atomic_write
from ik_net_ros.data.tracker_rows import in_base_frame
from ik_net_ros.errors import ConfigError, DatasetError
from ik_net_ros.evaluation.accuracy import pose_accuracy
from ik_net_ros.evaluation.real_arm_errors import (
    answered_rows,
    errors_against_measured,
    plot_errors,
    usable_rows,
)
from ik_net_ros.kinematics import is_reachable
from ik_net_ros.kinematics.calibration_file import (
    load_calibration,
    load_tracker_setup,
    outside_region,
)
from ik_net_ros.kinematics.tracker_setup import BASE_FRAME
from ik_net_ros.kinematics.true_arm import TrueArm
from ik_net_ros.solver import load_solver
from ik_net_ros.tools.common import (
    add_arm_argument,
    arm_of_solver,
    DATA_HELP,
    HELD_OUT_SEED,
    load_data,
    model_arm,
    print_metrics,
    require_rows,
    solver_arm,
    writable_output,
)
import numpy as np
from tqdm import tqdm

EVALUATE_CHUNK = 1 << 17  # poses per solve: large enough that batching keeps its speed


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument('--model', default='focused',
                        help='analytic | original | improved | focused | checkpoint path')
    parser.add_argument('--data', default=f'synthetic:10000:{HELD_OUT_SEED}', help=DATA_HELP)
    parser.add_argument('--device', default='cpu', help='cpu | cuda | auto')
    parser.add_argument('--refine', action='store_true', help='add Gauss-Newton refinement')
    parser.add_argument('--json', help='also write the metrics to this JSON file')
    parser.add_argument('--against', choices=('fk', 'measured'), default='fk',
                        help='fk: the targets are the FK of the data (default); measured: the '
                             "real arm's measured poses of a recording, for the nominal and "
                             'calibrated closed forms and networks, and --fine-tuned models')
    parser.add_argument('--calibration', help="with --against measured: the arm's calibration")
    parser.add_argument('--fine-tuned', nargs='*', default=[],
                        help='with --against measured: fine-tuned models (train --target '
                             'measured), with or without a calibration')
    parser.add_argument('--true-arm', help='with --against measured in simulation: the true '
                                           'arm file, to judge by the truth as well')
    parser.add_argument('--plot', help='with --against measured: errors over the workspace '
                                       '(.png)')
    add_arm_argument(parser)


def run(args: argparse.Namespace) -> int:
    json_path = writable_output(args.json, 'metrics file') if args.json else None
    if args.against == 'measured':
        return _run_measured(args, json_path)
    solver = load_solver(args.model, device=args.device, **solver_arm(model_arm(args)))
    arm = arm_of_solver(solver)
    data = require_rows(load_data(args.data, arm), args.data)
    joints, reachable, seconds = _solve_in_chunks(solver, data.poses, args.refine)
    if not reachable.all():
        print(f'note: {int((~reachable).sum())} of {len(data)} poses are unreachable; '
              "they are scored with the solver's best effort")
    metrics = pose_accuracy(data.poses, joints, data.joints, arm)
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


def _solve_in_chunks(solver, poses: np.ndarray, refine: bool
                     ) -> tuple[np.ndarray, np.ndarray, float]:
    """
    (joints, reachable, seconds solving) for every pose, a chunk at a time.

    A solve's (and the reachability test's) temporaries are several times its input, so a recording
    of millions of rows stays in bounded memory.
    """
    dof = arm_of_solver(solver).dof
    joints, reachable, seconds = np.empty((len(poses), dof)), np.empty(len(poses), bool), 0.0
    with tqdm(total=len(poses), desc='solve', unit='pose', unit_scale=True,
              disable=len(poses) <= EVALUATE_CHUNK or None, leave=False) as bar:
        for i in range(0, len(poses), EVALUATE_CHUNK):
            chunk = poses[i:i + EVALUATE_CHUNK]
            reachable[i:i + len(chunk)] = is_reachable(chunk, arm_of_solver(solver))
            start = time.perf_counter()
            joints[i:i + len(chunk)] = solver.solve(chunk, refine=refine,
                                                    on_unreachable='nearest')
            seconds += time.perf_counter() - start
            bar.update(len(chunk))
    return joints, reachable, seconds


def _run_measured(args: argparse.Namespace, json_path) -> int:
    plot = writable_output(args.plot, 'plot') if args.plot else None
    named = model_arm(args)
    arm = named or default_arm()
    data = require_rows(load_data(args.data, arm), args.data)
    if data.measured is None:
        raise DatasetError(f'{args.data}: no measured poses (columns mx..mqw)')
    true_arm = None
    if args.true_arm:
        try:
            true_arm = TrueArm.load(args.true_arm)
        except DatasetError as e:
            raise ConfigError(f'true arm {args.true_arm}: {e}') from e
    calibrated = load_calibration(args.calibration, arm) if args.calibration else None
    setup = load_tracker_setup(args.calibration) if args.calibration else BASE_FRAME
    reference = calibrated if calibrated is not None else arm
    rows = require_rows(usable_rows(in_base_frame(data, setup), reference),
                        f'{args.data} (usable rows)')
    solvers = [('nominal closed form', load_solver('analytic', arm=arm))]
    if calibrated is not None:
        solvers.append(('calibrated closed form', load_solver(
            'analytic', calibration=args.calibration, arm=arm)))
    solvers.append((f'nominal {args.model}', load_solver(args.model, device=args.device,
                                                         **solver_arm(named))))
    for path in args.fine_tuned:
        solver = load_solver(path, device=args.device, **solver_arm(named))
        kind = 'calibrated + fine-tuned' if getattr(solver, 'correction', False) \
            else 'fine-tuned'
        solvers.append((f'{kind} ({Path(path).name})', solver))
    solvers, rows, notes = answered_rows(solvers, rows, true_arm, setup)
    for note in notes:
        print(f'  {note}')
    results = [errors_against_measured(label, solver, rows, reference, true_arm, setup)
               for label, solver in solvers]
    truth = ', truth' if true_arm is not None else ''
    print(f'## tool error (mm) on {len(rows)} of {len(data)} rows of {args.data}: against the '
          f'measured poses{truth}')
    outside = outside_region(args.calibration, rows.joints) if args.calibration else None
    if outside is not None and outside.any():
        print(f'  {int(outside.sum())} of {len(rows)} rows lie outside the joint ranges the '
              "calibration's recording covered: there it extrapolates")
    for res in results:
        s = res.summary()
        line = f'  {res.label:<52} measured {s["measured_mm_median"]:7.3f} median ' \
               f'{s["measured_mm_p95"]:7.3f} p95'
        if res.true_mm is not None:
            line += f'   truth {s["true_mm_median"]:7.3f} median {s["true_mm_p95"]:7.3f} p95'
        print(line)
    if plot is not None:
        plot_errors(results, rows, plot)
        print(f'wrote {plot}')
    if json_path is not None:
        text = json.dumps({'data': args.data, 'rows': len(rows),
                           'results': [r.summary() for r in results]}, indent=2)
        atomic_write(json_path, lambda f: f.write(text), 'w')
    return 0
