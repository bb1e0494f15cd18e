"""``ik_net_ros dataset``: make synthetic datasets, convert, and import IKNet recordings."""

from __future__ import annotations

import argparse

from ik_net_ros.data import save_dataset
from ik_net_ros.tools.common import DATA_HELP, load_data


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument('source', help=DATA_HELP)
    parser.add_argument('output', help='.csv or .npz file to write')


def run(args: argparse.Namespace) -> int:
    data = load_data(args.source)
    save_dataset(data, args.output)
    print(f'wrote {len(data)} rows to {args.output}')
    return 0
