"""
``ik_net_ros export``: write the torch-free weights file (``.npz``) beside a checkpoint.

For CPU inference without torch (``train`` writes it already; this is for older checkpoints).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ik_net_ros.resources import model_path
from ik_net_ros.training.checkpoint import export_weights, load_checkpoint


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument('model', nargs='+', help='shipped model names or checkpoint paths')


def run(args: argparse.Namespace) -> int:
    for name in args.model:
        path = Path(name) if Path(name).suffix in ('.pt', '.pth') else model_path(name)
        checkpoint = load_checkpoint(path, pair=False)  # the pair is what this rewrites
        written = export_weights(path, checkpoint.model, checkpoint.info)
        print(f'wrote {written} ({written.stat().st_size / 1e6:.2f} MB)')
    return 0
