"""Helpers shared by the command-line tools."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
import tempfile

from ik_net_ros import rules
from ik_net_ros.arm import Arm, ARM_NAMES, ArmError, ChainErrors, DEFAULT_ARM, load_arm
from ik_net_ros.data import import_iknet_recording, load_dataset, make_synthetic, PoseJointSet
from ik_net_ros.errors import ConfigError, DatasetError
from ik_net_ros.kinematics.tracker_setup import check_xyz_rpy
from ik_net_ros.rules import argparse_type, whole_number

__all__ = ['DATA_HELP', 'load_data', 'print_metrics', 'writable_output', 'require_rows',
           'number_in', 'count_in', 'add_arm_argument', 'arm_from_args', 'with_base_height',
           'model_arm', 'solver_arm', 'arm_of_solver']

DATA_HELP = ('dataset: a .csv/.npz file, synthetic:ROWS[:SEED] (uniform in the joint limits), '
             'or iknet:POSE_CSV,JOINT_STATES_CSV (an original-IKNet recording)')
HELD_OUT_SEED = 2_000_001  # synthetic seed of held-out sets; training never uses it
MAX_SYNTHETIC_ROWS = 50_000_000  # about 5 GB of float64 poses and joints


def load_data(spec: str, arm: Arm | None = None) -> PoseJointSet:
    """
    Return a dataset of ``arm`` (None: the OM-X) from a spec string (see DATA_HELP).

    Raises
    ------
    DatasetError
        A bad spec, an unreadable file, or data of another arm.

    """
    if spec.startswith('synthetic:'):
        rows, seed = _synthetic_spec(spec)
        return make_synthetic(rows, seed=seed, arm=arm)
    if spec.startswith('iknet:'):
        files = spec[len('iknet:'):].split(',')
        if len(files) != 2:
            raise DatasetError(f'bad iknet spec {spec!r}: expected iknet:POSE_CSV,JOINTS_CSV')
        return import_iknet_recording(*files, arm=arm)
    return load_dataset(spec, arm)


def add_arm_argument(parser: argparse.ArgumentParser) -> None:
    """Add ``--arm``: the arm a command works for (default the OM-X)."""
    parser.add_argument('--arm', default=None,
                        help=f'the arm: {", ".join(ARM_NAMES)} or an arm YAML path (default '
                             f'{DEFAULT_ARM})')


def arm_from_args(args: argparse.Namespace) -> Arm:
    """
    Return the arm ``--arm`` names (joint1 at ``--base-height`` where a command has it).

    Raises
    ------
    ConfigError
        An arm that cannot be loaded.

    """
    try:
        arm = load_arm(args.arm or DEFAULT_ARM)
    except (ArmError, ValueError, OSError) as e:
        raise ConfigError(f'--arm {args.arm}: {e}') from e
    base_height = getattr(args, 'base_height', None)
    return arm if base_height is None else with_base_height(arm, base_height)


def solver_arm(arm: Arm | None) -> dict:
    """Return ``load_solver``'s arm argument for ``arm`` (None: the solver's default, the OM-X)."""
    return {} if arm is None else {'arm': arm}


def arm_of_solver(solver) -> Arm:
    """Return the arm a solver serves (its errors included)."""
    return solver.arm


def model_arm(args: argparse.Namespace) -> Arm | None:
    """
    Return the arm a model named on the command line must be of: ``--arm``'s, None without it.

    None: a shipped name is the OM-X's, a path is taken whatever arm it records.

    Raises
    ------
    ConfigError
        An arm that cannot be loaded.

    """
    return arm_from_args(args) if args.arm else None


def with_base_height(arm: Arm, base_height: float) -> Arm:
    """
    Return ``arm`` with joint1 at ``base_height`` m above the base frame (an origin delta).

    The OM-X's two descriptions differ only there (humble 0.017 m, jazzy 0.0).
    """
    deltas = [list(d) for d in arm.errors.origin_deltas]
    deltas[0][2] = base_height - arm.joints[0].origin.xyz[2]
    e = arm.errors
    return arm.with_errors(ChainErrors(e.offsets, deltas, e.tilts, e.tool_delta))


def number_in(lo: float, hi: float, low_open: bool = False):
    """Return an argparse type: a finite float in [lo, hi] ((lo, hi] with ``low_open``)."""
    return argparse_type(rules.number_in(lo, hi, low_open))


def xyz_rpy(distance: float):
    """Return an argparse type: a pose 'x,y,z,roll,pitch,yaw' (m, deg) within ``distance`` m."""
    def parse(text: str) -> list[float]:
        try:
            return check_xyz_rpy([float(v) for v in text.split(',')], 'pose', distance)
        except ValueError as e:
            raise argparse.ArgumentTypeError(f'{text!r}: expected x,y,z,roll,pitch,yaw ({e})') \
                from None
    return parse


def count_in(lo: int, hi: int):
    """Return an argparse type: a whole number in [lo, hi]."""
    return argparse_type(rules.int_in(lo, hi))


def _synthetic_spec(spec: str) -> tuple[int, int]:
    """
    (rows, seed) of ``synthetic:ROWS[:SEED]``.

    Raises
    ------
    DatasetError
        Not two whole numbers, rows outside 1..MAX_SYNTHETIC_ROWS or a negative
        seed.

    """
    parts = spec.split(':')[1:]
    try:
        if not 1 <= len(parts) <= 2:
            raise ValueError('one or two numbers')
        rows = whole_number(parts[0])
        seed = whole_number(parts[1]) if len(parts) > 1 else 0
        if not 1 <= rows <= MAX_SYNTHETIC_ROWS:
            raise ValueError(f'rows must be in 1..{MAX_SYNTHETIC_ROWS:,}')
        if not 0 <= seed < 2 ** 63:
            raise ValueError('the seed must be in 0..2**63-1')
    except ValueError as e:
        raise DatasetError(f'bad synthetic spec {spec!r}: expected synthetic:ROWS[:SEED] ({e})'
                           ) from e
    return rows, seed


def writable_output(path: str | Path, what: str = 'output') -> Path:
    """
    ``path`` if a file can be written there.

    Checked before the work, so a long run does not end on a typo in the output path.

    Raises
    ------
    ConfigError
        The folder does not exist or cannot be written to, or ``path`` is a folder.

    """
    path = Path(path)
    try:
        if path.is_dir():
            raise IsADirectoryError(21, 'is a folder', str(path))
        if not path.parent.is_dir():
            raise FileNotFoundError(2, f'no folder {path.parent}', str(path.parent))
        with tempfile.NamedTemporaryFile(dir=path.parent, prefix=f'.{path.name}.'):
            pass
    except OSError as e:
        raise ConfigError(f'{what} {path}: cannot be written ({e.strerror or e})') from e
    return path


def require_rows(data: PoseJointSet, spec: str, at_least: int = 1) -> PoseJointSet:
    """
    Return ``data`` if it has ``at_least`` rows.

    Raises
    ------
    DatasetError
        Fewer rows (a header-only file, say).

    """
    if len(data) < at_least:
        raise DatasetError(f'{spec}: {len(data)} row(s), need at least {at_least}')
    return data


def print_metrics(title: str, metrics: dict) -> None:
    """Print a small aligned table of metrics on stdout."""
    print(f'## {title}')
    for key, value in metrics.items():
        text = f'{value:.6g}' if isinstance(value, float) else json.dumps(value)
        print(f'  {key:<28} {text}')
