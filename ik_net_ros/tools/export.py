"""
``ik_net_ros export``: write a model's two files again from its checkpoint.

For CPU inference without torch the weights file (``.npz``) must sit beside the checkpoint
(``train`` writes both); this writes the pair again for an older checkpoint, or one whose
weights file was lost or damaged.
"""

from __future__ import annotations

import argparse

from ik_net_ros.model import load_model, save_model
from ik_net_ros.model.weights_file import weights_path
from ik_net_ros.tools.common import add_arm_argument, model_arm


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument('model', nargs='+', help='shipped model names (of --arm) or checkpoint '
                                                 'paths')
    add_arm_argument(parser)


def run(args: argparse.Namespace) -> int:
    arm = model_arm(args)
    for name in args.model:
        # the checkpoint is the source; the pair is what this rewrites
        model = load_model(name, torch_free=False, pair=False, arm=arm)
        written = weights_path(save_model(model, model.path).path)
        print(f'wrote {written} ({written.stat().st_size / 1e6:.2f} MB)')
    return 0
