"""
``ik_net_ros calibration-demo``.

The whole procedure on a simulated imperfect arm, in one command: a hidden true arm, a recording
with a noisy tracker, parametric calibration, the learned correction (and a plain fine-tune for
comparison), and the tool errors before and after on a held-out recording, judged against the
measurements and against the simulator's truth. Each step is the ``ik_net_ros`` command a user runs
on a real arm; they are printed as run.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ik_net_ros.errors import ConfigError
from ik_net_ros.tools.common import count_in


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument('--output', default='calibration_demo', help='folder for every file')
    parser.add_argument('--seed', type=count_in(0, 2 ** 31), default=3,
                        help='which imperfect arm')
    parser.add_argument('--rows', type=count_in(100, 100_000), default=2000,
                        help='recorded rows (the issue allows 2,000)')


def run(args: argparse.Namespace) -> int:
    from ik_net_ros.tools.cli import main
    out = Path(args.output)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ConfigError(f'{out}: cannot make the folder ({e.strerror})') from e
    f = {name: str(out / name) for name in (
        'true_arm.yaml', 'recording.csv', 'held_out.csv', 'calibration.yaml', 'fine_tuned.pt',
        'calibrated_fine_tuned.pt', 'errors.png', 'results.json')}
    steps = [
        ['true-arm', '--output', f['true_arm.yaml'], '--seed', str(args.seed), '--record',
         f['recording.csv'], '--rows', str(args.rows)],
        ['true-arm', '--output', f['true_arm.yaml'], '--seed', str(args.seed), '--record',
         f['held_out.csv'], '--rows', '1000', '--record-seed', str(args.seed + 1000)],
        ['calibrate', '--data', f['recording.csv'], '--output', f['calibration.yaml']],
        ['train', '--target', 'measured', '--init', 'focused', '--data', f['recording.csv'],
         '--output', f['fine_tuned.pt'], '--no-progress'],
        ['train', '--target', 'measured', '--init', 'focused', '--calibration',
         f['calibration.yaml'], '--data', f['recording.csv'], '--output',
         f['calibrated_fine_tuned.pt'], '--no-progress'],
        ['evaluate', '--against', 'measured', '--data', f['held_out.csv'], '--calibration',
         f['calibration.yaml'], '--fine-tuned', f['fine_tuned.pt'],
         f['calibrated_fine_tuned.pt'], '--true-arm', f['true_arm.yaml'], '--plot',
         f['errors.png'], '--json', f['results.json']],
    ]
    for step in steps:
        print(f'\n$ ik_net_ros {" ".join(step)}', flush=True)
        code = main(step)
        if code:
            return code
    return 0
