"""``ik_net_ros dataset``: make synthetic datasets, convert, and import IKNet recordings."""

from __future__ import annotations

import argparse

from ik_net_ros.data import save_dataset
from ik_net_ros.tools.common import add_arm_argument, arm_from_args, DATA_HELP, load_data


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument('source', help=DATA_HELP)
    parser.add_argument('output', help='.csv or .npz file to write')
    add_arm_argument(parser)


def run(args: argparse.Namespace) -> int:
    arm = arm_from_args(args)
    data = load_data(args.source, arm)
    save_dataset(data, args.output, arm)
    print(f'wrote {len(data)} rows to {args.output}')
    return 0
