"""
Hostile input to the core: any pose array, any bytes in a dataset file, damaged checkpoints.

A full disk and a second writer. Each answer is a valid result or a clear IkNetError.
"""

import copy
import errno
import io
import math

from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from ik_net_ros import load_solver
from ik_net_ros.arm import default_arm
from ik_net_ros.data import import_iknet_recording, load_dataset, make_synthetic
from ik_net_ros.data.recorder import CsvRecorder, record_columns
from ik_net_ros.errors import (
    CheckpointError,
    DatasetError,
    IkNetError,
    InvalidPoseError,
    TrainingError,
)
from ik_net_ros.kinematics import forward_kinematics
from ik_net_ros.model.checkpoint_file import weights_digest
from ik_net_ros.training import loop
from ik_net_ros.training.config import TrainConfig
from model_util import load_checkpoint, model_path, save_checkpoint
import numpy as np
from propcheck import fixed_examples
import pytest
import torch

OMX = default_arm()  # the OM-X, ROBOTIS's humble description

SETTINGS = fixed_examples(60)
ANY_FLOAT = st.floats(allow_nan=True, allow_infinity=True, width=64)
SOLVERS = {}


def _solver(name):
    if name not in SOLVERS:
        SOLVERS[name] = load_solver(name)
    return SOLVERS[name]


def _assert_valid_or_error(solver, poses, **kwargs):
    try:
        joints = solver.solve(poses, **kwargs)
    except IkNetError:
        return
    joints = np.asarray(joints)
    assert joints.dtype.kind == 'f' and np.all(np.isfinite(joints))
    assert np.all(joints >= OMX.lower) and np.all(joints <= OMX.upper)


@pytest.mark.parametrize('name', ['analytic', 'focused', 'improved', 'original'])
@pytest.mark.parametrize('nearest', [False, True])
def test_solve_any_seven_floats(name, nearest):
    solver = _solver(name)
    on_unreachable = 'nearest' if nearest else 'raise'

    @SETTINGS
    @given(pose=st.lists(ANY_FLOAT, min_size=7, max_size=7), refine=st.booleans())
    def check(pose, refine):
        _assert_valid_or_error(solver, pose, refine=refine, on_unreachable=on_unreachable)
        _assert_valid_or_error(solver, np.array([pose]), refine=refine,
                               on_unreachable=on_unreachable)

    check()


@pytest.mark.parametrize('name', ['analytic', 'focused'])
def test_solve_any_batch_shape_and_dtype(name):
    solver = _solver(name)

    @SETTINGS
    @given(arr=hnp.arrays(st.sampled_from([np.float64, np.float32, np.int64, np.complex128,
                                           np.bool_, np.float16]),
                          hnp.array_shapes(min_dims=0, max_dims=3, max_side=8)))
    def check(arr):
        _assert_valid_or_error(solver, arr, on_unreachable='nearest')

    check()


@pytest.mark.parametrize('name', ['analytic', 'focused'])
def test_quaternion_scale_never_changes_the_answer(name):
    solver = _solver(name)
    base = forward_kinematics(np.array([0.4, 0.3, -0.2, 0.5]))

    @SETTINGS
    @given(exponent=st.integers(-300, 307), mantissa=st.floats(1.0, 9.99))
    def check(exponent, mantissa):
        scaled = base.copy()
        scaled[3:] *= mantissa * 10.0 ** exponent
        if exponent < -6:  # the documented rule: norm < 1e-6 is no orientation (a zero one)
            for poses in (scaled, scaled[None]):
                with pytest.raises(InvalidPoseError, match='zero'):
                    solver.solve(poses)
            return
        np.testing.assert_allclose(solver.solve(scaled), solver.solve(base), atol=1e-6)
        np.testing.assert_allclose(solver.solve(scaled[None])[0], solver.solve(base), atol=1e-6)

    check()


@pytest.mark.parametrize('pose, match', [
    ([1e36, 0, 0.1, 0, 0, 0, 1], 'beyond'),
    ([10 ** 400, 0, 0, 0, 0, 0, 1], 'real number'),
    (np.ma.array([0.2, 0, 0.1, 0, 0, 0, 1], mask=[0, 1, 0, 0, 0, 0, 0]), 'masked'),
    (np.array([0.2, 0, 0.1, 0, 0, 0, 1], dtype=complex), 'real number'),
    (['0.2', 0, 0.1, 0, 0, 0, 1], 'real number'),
    ([True, 0, 0.1, 0, 0, 0, 1], 'real number'),
])
@pytest.mark.parametrize('name', ['focused', 'analytic'])
@pytest.mark.parametrize('batch', [False, True])
def test_dirty_poses_are_invalid_pose_errors(name, pose, match, batch):
    if batch:
        pose = np.ma.array([pose]) if isinstance(pose, np.ma.MaskedArray) else \
            np.array([pose], dtype=object if isinstance(pose, list) else None)
    for refine in (False, True):
        with pytest.raises(InvalidPoseError, match=match):
            _solver(name).solve(pose, refine=refine, on_unreachable='nearest')


def _stamped(payload, path):
    payload['weights_sha256'] = weights_digest(payload['network'], payload['network_kwargs'],
                                               payload['state_dict'], payload['geometry'])
    torch.save(payload, path)
    return path


@pytest.mark.parametrize('damage', ['zero_std', 'nan_weight', 'inf_weight', 'huge_weights',
                                    'nan_unstamped'])
def test_degenerate_checkpoints_are_refused(tmp_path, damage):
    payload = torch.load(model_path('focused'), weights_only=True)
    state = payload['state_dict']
    weight = next(k for k in state if k.endswith('weight'))
    if damage == 'zero_std':
        state['pose_std'][2] = 0.0
    elif damage in ('nan_weight', 'nan_unstamped'):
        state[weight][0, 0] = float('nan')
    elif damage == 'inf_weight':
        state[weight][0, 0] = float('inf')
    else:  # finite, but every answer overflows
        for key in state:
            if key.endswith('weight'):
                state[key] *= 1e30
    path = tmp_path / 'z.pt'
    if damage == 'nan_unstamped':
        payload.pop('weights_sha256')
        torch.save(payload, path)
    else:
        _stamped(payload, path)
    with pytest.raises(CheckpointError):
        load_checkpoint(path)
    with pytest.raises(CheckpointError):
        load_solver(str(path))


# dataset readers over arbitrary bytes ------------------------------------------------------

def _csv_bytes():
    good = io.StringIO()
    good.write(','.join(record_columns()) + '\n')
    for row in np.random.default_rng(0).normal(size=(4, 12)):
        good.write(','.join(f'{v:.17g}' for v in row) + '\n')
    return good.getvalue().encode()


@SETTINGS
@given(data=st.data())
def test_csv_reader_over_any_bytes(tmp_path_factory, data):
    good = _csv_bytes()
    kind = data.draw(st.sampled_from(['random', 'flip', 'cut', 'insert']))
    if kind == 'random':
        blob = data.draw(st.binary(max_size=400))
    elif kind == 'flip':
        i = data.draw(st.integers(0, len(good) - 1))
        blob = good[:i] + bytes([good[i] ^ data.draw(st.integers(1, 255))]) + good[i + 1:]
    elif kind == 'cut':
        blob = good[:data.draw(st.integers(0, len(good)))]
    else:
        i = data.draw(st.integers(0, len(good)))
        blob = good[:i] + data.draw(st.binary(min_size=1, max_size=20)) + good[i:]
    path = tmp_path_factory.mktemp('csv') / 'd.csv'
    path.write_bytes(blob)
    try:
        loaded = load_dataset(path)
    except DatasetError:
        return
    assert np.all(np.isfinite(loaded.poses)) and np.all(np.isfinite(loaded.joints))


@SETTINGS
@given(data=st.data())
def test_npz_reader_over_any_arrays_and_bytes(tmp_path_factory, data):
    path = tmp_path_factory.mktemp('npz') / 'd.npz'
    if data.draw(st.booleans()):
        dtypes = st.sampled_from(['<f8', '<f4', '<i8', '<U4', '<c16', '|b1', '<M8[s]'])
        arrays = {name: data.draw(hnp.arrays(dtypes, hnp.array_shapes(max_dims=3, max_side=8)))
                  for name in data.draw(st.lists(st.sampled_from(['poses', 'joints', 'seed']),
                                                 unique=True))}
        np.savez(path, **arrays)
        blob = path.read_bytes()
        if data.draw(st.booleans()):  # and damage it
            i = data.draw(st.integers(0, len(blob) - 1))
            blob = blob[:i] + bytes([blob[i] ^ 0x5A]) + blob[i + 1:]
        path.write_bytes(blob)
    else:
        path.write_bytes(data.draw(st.binary(max_size=300)))
    try:
        loaded = load_dataset(path)
    except DatasetError:
        return
    assert loaded.poses.shape[1] == 7 and np.all(np.isfinite(loaded.poses))


@SETTINGS
@given(pose_blob=st.binary(max_size=300), joint_blob=st.binary(max_size=300))
def test_iknet_import_over_any_bytes(tmp_path_factory, pose_blob, joint_blob):
    folder = tmp_path_factory.mktemp('iknet')
    (folder / 'p.csv').write_bytes(pose_blob)
    (folder / 'j.csv').write_bytes(joint_blob)
    try:
        data = import_iknet_recording(folder / 'p.csv', folder / 'j.csv')
    except DatasetError:
        return
    assert np.all(np.isfinite(data.poses))


def test_long_csv_lines_are_dataset_errors(tmp_path):
    path = tmp_path / 'long.csv'
    path.write_text(','.join(record_columns()) + '\n' + '1' * 200_000 + '\n')
    with pytest.raises(DatasetError, match='line 2'):
        load_dataset(path)
    (tmp_path / 'p.csv').write_text('1,2,,' + '3' * 200_000 + '\n')
    (tmp_path / 'j.csv').write_text('1,2,,joint1\n')
    with pytest.raises(DatasetError, match=r'p\.csv: line 1: not CSV'):
        import_iknet_recording(tmp_path / 'p.csv', tmp_path / 'j.csv')


# the recorder: full disk, a second writer, torn files ---------------------------------------

def test_a_full_disk_is_a_clear_error_and_the_count_matches_the_file(tmp_path, monkeypatch):
    path = tmp_path / 'rec.csv'
    recorder = CsvRecorder(path)
    budget = {'bytes': 2000}
    real_write = CsvRecorder._write_all.__globals__['os'].write

    def full_disk(fd, data):  # writes what fits, then ENOSPC, as a full file system does
        if budget['bytes'] <= 0:
            raise OSError(errno.ENOSPC, 'No space left on device')
        n = real_write(fd, bytes(data[:budget['bytes']]))
        budget['bytes'] -= n
        return n

    monkeypatch.setattr('ik_net_ros.data.recorder.os.write', full_disk)
    joints = make_synthetic(100, seed=3).joints
    failures = 0
    for q in joints:
        try:
            recorder.append(1.0, q, forward_kinematics(q))
        except DatasetError as e:
            failures += 1
            assert 'No space left' in str(e) and f'{recorder.rows} rows' in str(e)
    recorder.close()
    monkeypatch.undo()
    assert failures == 100 - recorder.rows > 0
    back = load_dataset(path)
    assert len(back) == recorder.rows
    np.testing.assert_array_equal(back.joints, joints[:recorder.rows])


def test_a_second_recorder_on_the_same_file_is_refused(tmp_path):
    path = tmp_path / 'rec.csv'
    first = CsvRecorder(path)
    with pytest.raises(DatasetError, match='another recorder'):
        CsvRecorder(path)
    q = np.zeros(4)
    first.append(1.0, q, forward_kinematics(q))
    first.close()
    second = CsvRecorder(path)  # free again once the first one closed
    assert second.existing_rows == 1
    second.close()


def test_a_header_without_its_newline_is_completed(tmp_path):
    path = tmp_path / 'rec.csv'
    path.write_text(','.join(record_columns()))  # header only, no final newline
    recorder = CsvRecorder(path)
    q = np.array([0.1, 0.2, 0.3, 0.4])
    recorder.append(1.0, q, forward_kinematics(q))
    recorder.close()
    back = load_dataset(path)
    assert len(back) == 1 and recorder.existing_rows == 0


def test_a_torn_row_that_still_parses_is_cut_before_appending(tmp_path):
    path = tmp_path / 'rec.csv'
    recorder = CsvRecorder(path)
    joints = make_synthetic(3, seed=4).joints
    for q in joints:
        recorder.append(1.0, q, forward_kinematics(q))
    recorder.close()
    text = path.read_text()
    path.write_text(text[:-5])  # the last field cut short: still a number
    recorder = CsvRecorder(path)
    assert recorder.existing_rows == 2
    recorder.append(2.0, joints[2], forward_kinematics(joints[2]))
    recorder.close()
    np.testing.assert_array_equal(load_dataset(path).joints, joints[[0, 1, 2]])


# training ------------------------------------------------------------------------------------

def test_a_diverging_run_stops_with_a_clear_error(monkeypatch):
    data = make_synthetic(64, seed=1)
    monkeypatch.setattr(loop, 'compute_loss',
                        lambda *a, **k: torch.tensor(math.nan, requires_grad=True))
    with pytest.raises(TrainingError, match='diverged in epoch 1'):
        loop.train(TrainConfig(epochs=3, batch_size=16), data.subset(slice(0, 48)),
                   data.subset(slice(48, None)), progress=False)


def test_checkpoint_written_by_training_round_trips(tmp_path):
    """The content checks accept what training writes (no false refusals)."""
    data = make_synthetic(64, seed=1)
    result = loop.train(TrainConfig(epochs=1, batch_size=16, network_kwargs={
        'position': [8], 'orientation': [8], 'merge': [8]}), data.subset(slice(0, 48)),
        data.subset(slice(48, None)), progress=False)
    path = save_checkpoint(tmp_path / 'm.pt', copy.deepcopy(result.model), 'focused',
                           {'position': [8], 'orientation': [8], 'merge': [8]},
                           load_solver('analytic').planar_arm)
    assert load_checkpoint(path).network == 'focused'
