"""Recordings of a few poses repeated: calibrate and train refuse them, they write nothing."""

import math
from pathlib import Path
import re
import tempfile

from hypothesis import given, HealthCheck, settings
from hypothesis import strategies as st
from ik_net_ros.arm import default_arm
from ik_net_ros.data import PoseJointSet, random_split, save_dataset, sequential_split
from ik_net_ros.data.dataset import configuration_keys
from ik_net_ros.errors import DatasetError
from ik_net_ros.kinematics import forward_kinematics, sample_joints
from ik_net_ros.kinematics.true_arm import TrueArm
from ik_net_ros.sim.tracker import SimulatedTracker
from ik_net_ros.sim.true_arm_recording import record
from ik_net_ros.tools import cli
from ik_net_ros.training.real_arm_data import trusted_split
import numpy as np
import pytest

OMX = default_arm()  # the OM-X, ROBOTIS's humble description

ARM = TrueArm(TrueArm.random(seed=2).arm, (0.0, 0.0))
TRACKER = SimulatedTracker(position_noise=3e-4, orientation_noise=math.radians(0.2))


def _repeated(poses: int, rows: int, seed: int, folder: Path, in_turn: bool = False) -> Path:
    """
    Write a recording of ``poses`` distinct still poses, each measured again and again.

    In a random order, or ``in_turn`` (each pose's rows together, as a still arm records them).
    """
    rng = np.random.default_rng(seed)
    distinct = record(ARM, poses, rng, 0.0, 0.0)
    order = np.arange(rows) % poses
    data = distinct.subset(np.sort(order) if in_turn else rng.permutation(order))
    data.measured[:] = TRACKER.measure(ARM.tool_poses(data.joints), rng)  # noise of each row
    path = folder / 'rec.csv'
    save_dataset(data, path)
    return path


def _refused(argv: list[str], output: Path, capsys) -> str:
    """Run a command that must refuse: exit 2, one line on stderr, ``output`` not written."""
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert not output.exists() and len(err.strip().splitlines()) == 1, err
    return err


def test_identical_rows_are_refused_whatever_the_flags(tmp_path, capsys):
    """300 copies of one row: the held-out check cannot run, and the arm is not determined."""
    data = _repeated(1, 300, 0, tmp_path)
    out = tmp_path / 'cal.yaml'
    err = _refused(['calibrate', '--data', str(data), '--output', str(out)], out, capsys)
    assert 'held-out check cannot run' in err and '1 distinct joint configuration' in err
    err = _refused(['calibrate', '--data', str(data), '--output', str(out), '--force'], out,
                   capsys)
    assert 'held-out check cannot run' in err  # --force overrides implausible, not unchecked
    for flags in (['--held-out', '0'], ['--held-out', '0', '--force']):
        err = _refused(['calibrate', '--data', str(data), '--output', str(out), *flags], out,
                       capsys)
        assert 'does not determine the arm' in err
        assert 'only in combination: offset1' in err and 'held only by its prior' in err
    pt = tmp_path / 'm.pt'
    err = _refused(['train', '--target', 'measured', '--init', 'focused', '--data', str(data),
                    '--output', str(pt), '--epochs', '1', '--no-progress'], pt, capsys)
    assert 'too few distinct joint configurations' in err and '1 to train on and 0' in err


@settings(max_examples=8, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # capsys read each time
@given(poses=st.integers(1, 3), rows=st.integers(60, 400), seed=st.integers(0, 2 ** 16))
def test_a_few_poses_repeated_are_no_calibration(poses, rows, seed, capsys):
    """Up to three distinct poses, however often measured, determine no arm: nothing written."""
    with tempfile.TemporaryDirectory() as folder:
        data = _repeated(poses, rows, seed, Path(folder))
        out = Path(folder) / 'cal.yaml'
        _refused(['calibrate', '--data', str(data), '--output', str(out)], out, capsys)
        _refused(['calibrate', '--data', str(data), '--output', str(out), '--force'], out,
                 capsys)


@settings(max_examples=6, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # capsys read each time
@given(poses=st.integers(1, 99), copies=st.integers(2, 6), seed=st.integers(0, 2 ** 16),
       split=st.sampled_from(['random', 'sequential']))
def test_fine_tuning_needs_distinct_rows_and_a_validation_it_can_trust(poses, copies, seed,
                                                                       split, capsys):
    """Under 100 distinct training poses, however many rows: refused before any training."""
    with tempfile.TemporaryDirectory() as folder:
        data = _repeated(poses, poses * copies, seed, Path(folder))
        pt = Path(folder) / 'm.pt'
        err = _refused(['train', '--target', 'measured', '--init', 'focused', '--data',
                        str(data), '--output', str(pt), '--epochs', '1', '--no-progress',
                        '--split', split], pt, capsys)
        assert 'too few distinct joint configurations' in err or 'need at least 130' in err


@pytest.mark.parametrize('split', ['random', 'sequential'])
def test_a_recording_of_poses_measured_again_trains(tmp_path, capsys, split):
    """Enough distinct poses measured three times each: trained, validated on unseen poses."""
    # 603 rows: the sequential split's boundary falls inside one pose's copies
    data = _repeated(200, 603, 7, tmp_path, in_turn=split == 'sequential')
    pt = tmp_path / 'm.pt'
    assert cli.main(['train', '--target', 'measured', '--init', 'focused', '--data', str(data),
                     '--output', str(pt), '--epochs', '1', '--no-progress', '--split',
                     split]) == 0
    out = capsys.readouterr().out
    assert ('moved from validation to training' in out) == (split == 'sequential')
    assert re.search(r'measured poses of 1[0-9][0-9] validation rows', out)  # about 20 %


@settings(max_examples=40, deadline=None, derandomize=True, database=None)
@given(counts=st.lists(st.integers(1, 5), min_size=140, max_size=300),
       fraction=st.floats(0.1, 0.5), seed=st.integers(0, 2 ** 16), by_turn=st.booleans())
def test_splits_of_repeated_rows_never_validate_a_training_configuration(counts, fraction,
                                                                         seed, by_turn):
    """Whatever the copies and the split: every row kept once, no configuration on both sides."""
    rng = np.random.default_rng(seed)
    joints = np.repeat(sample_joints(OMX, len(counts), rng), counts, axis=0)
    if not by_turn:
        joints = joints[rng.permutation(len(joints))]
    data = PoseJointSet(forward_kinematics(joints), joints, {})
    fit, check = (random_split(data, fraction, seed, by_configuration=True) if by_turn
                  else sequential_split(data, fraction))
    try:
        fit, check, _ = trusted_split(fit, check, 'rec')
    except DatasetError as e:
        assert 'too few distinct' in str(e)
        return
    assert len(fit) + len(check) == len(data)
    assert not np.isin(configuration_keys(np.concatenate([fit.joints, check.joints]))[len(fit):],
                       configuration_keys(np.concatenate([fit.joints, check.joints]))[:len(fit)]
                       ).any()
    rows = np.concatenate([fit.joints, check.joints])
    np.testing.assert_array_equal(np.unique(rows, axis=0), np.unique(joints, axis=0))
