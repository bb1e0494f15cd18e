"""Helpers shared by the command-line tools."""

from __future__ import annotations

import json

from ik_net_ros.data import PoseJointSet, import_iknet_recording, load_dataset, make_synthetic
from ik_net_ros.errors import DatasetError
from ik_net_ros.kinematics import DEFAULT_GEOMETRY, ArmGeometry

__all__ = ['DATA_HELP', 'load_data', 'print_metrics', 'geometry_from_args']

DATA_HELP = ('dataset: a .csv/.npz file, synthetic:ROWS[:SEED] (uniform in the joint limits), '
             'or iknet:POSE_CSV,JOINT_STATES_CSV (an original-IKNet recording)')
HELD_OUT_SEED = 2_000_001  # synthetic seed of held-out sets; training never uses it


def load_data(spec: str, geometry: ArmGeometry = DEFAULT_GEOMETRY) -> PoseJointSet:
    """A dataset from a spec string (see DATA_HELP)."""
    if spec.startswith('synthetic:'):
        parts = spec.split(':')[1:]
        try:
            rows = int(float(parts[0]))
            seed = int(parts[1]) if len(parts) > 1 else 0
        except (ValueError, IndexError) as e:
            raise DatasetError(f'bad synthetic spec {spec!r}: expected synthetic:ROWS[:SEED]'
                               ) from e
        return make_synthetic(rows, seed=seed, geometry=geometry)
    if spec.startswith('iknet:'):
        files = spec[len('iknet:'):].split(',')
        if len(files) != 2:
            raise DatasetError(f'bad iknet spec {spec!r}: expected iknet:POSE_CSV,JOINTS_CSV')
        return import_iknet_recording(*files)
    return load_dataset(spec)


def geometry_from_args(base_height: float | None) -> ArmGeometry:
    return DEFAULT_GEOMETRY if base_height is None else ArmGeometry(base_height=base_height)


def print_metrics(title: str, metrics: dict) -> None:
    """A small aligned table of metrics on stdout."""
    print(f'## {title}')
    for key, value in metrics.items():
        text = f'{value:.6g}' if isinstance(value, float) else json.dumps(value)
        print(f'  {key:<28} {text}')
