"""
Large batches (issue 13.3).

ONNX Runtime runs any network the numpy twin runs, with the same answers; without onnxruntime the
twin takes over; chunks on several threads give the answers, errors and masks of one pass (speed
lives in `make bench`).
"""

import logging
import sys

from hypothesis import given, settings
from hypothesis import strategies as st
from ik_net_ros import InvalidPoseError, load_solver, UnreachableError
from ik_net_ros.arm import default_arm
from ik_net_ros.engines.numpy_engine import compile_numpy
from ik_net_ros.engines.onnx_engine import EngineUnavailable, OnnxForward
from ik_net_ros.errors import ConfigError
from ik_net_ros.kinematics import as_pose_array, forward_kinematics, sample_joints
from ik_net_ros.networks import build_network, IKModel, NETWORKS
from ik_net_ros.solver import base, parallel
from ik_net_ros.solver.network import ENGINES
import numpy as np
import pytest
import torch

OMX = default_arm()  # the OM-X, ROBOTIS's humble description


def _missing(*modules) -> list[str]:
    import importlib
    missing = []
    for module in modules:
        try:
            importlib.import_module(module)
        except ImportError:
            missing.append(module)
    return missing


# ONNX Runtime is optional (pip only): without it the numpy twin serves, tested here regardless
needs_onnx = pytest.mark.skipif(bool(_missing('onnx', 'onnxruntime')),
                                reason='onnx and onnxruntime are pip-only and not installed '
                                       '(pip install onnx onnxruntime): ONNX engine untested')


def _model(name: str, **kwargs) -> IKModel:
    torch.manual_seed(3)
    rng = np.random.default_rng(3)
    model = IKModel(build_network(name, **kwargs), rng.normal(size=7), rng.uniform(0.5, 2, 7),
                    rng.normal(size=4), rng.uniform(0.5, 2, 4))
    for module in model.modules():  # BatchNorm statistics that are not the identity
        if isinstance(module, torch.nn.BatchNorm1d):
            module.running_mean.uniform_(-1, 1)
            module.running_var.uniform_(0.5, 2)
    return model.eval()


def _poses(n: int, seed: int = 0) -> np.ndarray:
    return forward_kinematics(sample_joints(OMX, n, np.random.default_rng(seed)))


@pytest.mark.parametrize('name, kwargs', [('original', {})] + [
    (name, {'activation': act}) for name in ('improved', 'focused')
    for act in ('silu', 'relu', 'tanh', 'gelu')])
@needs_onnx
def test_onnx_engine_equals_torch(name, kwargs):
    assert set(NETWORKS) == {'original', 'improved', 'focused'}  # a new one: add it here
    model = _model(name, **kwargs)
    x = _poses(1000).astype(np.float32)
    with torch.no_grad():
        expected = model(torch.from_numpy(x)).numpy()
    twin = compile_numpy(model)
    out = OnnxForward(twin.folded)(x)
    assert out.shape == (1000, 4) and out.dtype == np.float32
    np.testing.assert_allclose(out, expected, atol=1e-4, rtol=1e-5)
    np.testing.assert_allclose(out, twin(x), atol=1e-4, rtol=1e-5)


@pytest.mark.parametrize('kwargs', [{'position': [128], 'orientation': [64, 64]},
                                    {'position': [32, 16], 'orientation': [8], 'merge': [16]}])
@needs_onnx
def test_onnx_engine_runs_any_focused_layout(kwargs):
    model = _model('focused', **kwargs)
    x = _poses(500).astype(np.float32)
    with torch.no_grad():
        expected = model(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(OnnxForward(compile_numpy(model).folded)(x), expected,
                               atol=1e-5, rtol=1e-5)


@needs_onnx
@pytest.mark.parametrize('name', ['original', 'improved', 'focused'])
def test_shipped_models_same_answers_on_either_engine(name):
    poses = _poses(3 * base.BATCH_CHUNK + 17, seed=1)  # several chunks, a ragged last one
    auto = load_solver(name)
    numpy_only = load_solver(name, engine='numpy')
    assert auto.batch_engine() is not auto.fast  # ONNX Runtime is installed here
    assert numpy_only.batch_engine() is numpy_only.fast
    np.testing.assert_allclose(auto.solve(poses), numpy_only.solve(poses), atol=1e-5)
    single = np.array([auto.solve(p) for p in poses[:50].tolist()])
    np.testing.assert_allclose(auto.solve(poses)[:50], single, atol=1e-5)


def test_without_onnxruntime_large_batches_run_on_the_numpy_twin(monkeypatch, caplog):
    monkeypatch.setitem(sys.modules, 'onnxruntime', None)  # import fails
    with pytest.raises(ConfigError, match='onnxruntime'):
        load_solver('focused', engine='onnxruntime')
    solver = load_solver('focused')
    poses = _poses(500)
    with caplog.at_level(logging.WARNING):
        joints = solver.solve(poses)
    assert solver.batch_engine() is solver.fast
    assert 'numpy twin' in caplog.text
    np.testing.assert_allclose(joints, load_solver('focused', engine='numpy').solve(poses),
                               atol=0)
    with pytest.raises(EngineUnavailable):
        OnnxForward(solver.fast.folded)


@pytest.mark.parametrize('engine', ['cuda', '', None, 3, 'ONNX'])
def test_unknown_engine_is_a_config_error(engine):
    with pytest.raises(ConfigError, match='engine'):
        load_solver('focused', engine=engine)
    assert 'auto' in ENGINES


@pytest.mark.parametrize('name', ['analytic', 'focused'])
def test_chunks_on_threads_give_one_pass_answers_and_errors(name, monkeypatch):
    solver = load_solver(name)
    poses = _poses(2 * base.BATCH_CHUNK + 100, seed=2)
    far = [0.9, 0.0, 0.1, 0.0, 0.0, 0.0, 1.0]
    bad_rows = [5, base.BATCH_CHUNK + 1, 2 * base.BATCH_CHUNK + 99]  # one in every chunk
    poses[bad_rows] = far
    with pytest.raises(UnreachableError) as err:
        solver.solve(poses)
    assert np.flatnonzero(err.value.mask).tolist() == bad_rows
    assert f'{len(bad_rows)} of {len(poses)}' in str(err.value) and 'index 5 ' in str(err.value)
    threaded = solver.solve(poses, on_unreachable='nearest')
    monkeypatch.setattr(type(solver), 'batch_chunk', None)  # one pass, one thread
    monkeypatch.setattr(type(solver), 'parallel', False)
    np.testing.assert_array_equal(threaded, solver.solve(poses, on_unreachable='nearest'))
    with pytest.raises(UnreachableError) as whole:
        solver.solve(poses)
    np.testing.assert_array_equal(whole.value.mask, err.value.mask)


def test_refined_large_batch_equals_refined_single_poses():
    solver = load_solver('focused')
    poses = _poses(base.BATCH_CHUNK + 10, seed=4)
    refined = solver.solve(poses, refine=True)
    for i in (0, base.BATCH_CHUNK + 3):
        np.testing.assert_allclose(refined[i], solver.solve(poses[i], refine=True), atol=1e-9)


def test_weights_file_solver_is_the_cpu_solver():
    assert load_solver('focused').fast is not None


@settings(max_examples=200, deadline=None, derandomize=True)
@given(rows=st.lists(st.lists(st.one_of(
    st.floats(-2.0, 2.0), st.sampled_from([np.nan, np.inf, -np.inf, 0.0, 1e-7, 2e3, 1e200])),
    min_size=7, max_size=7), min_size=1, max_size=base.SMALL_BATCH))
def test_small_batches_validate_as_the_batch_check_does(rows):
    """
    Rows of a small batch are validated one by one (the single-pose twin).

    Whatever is wrong with them, the error is the batch check's, word for word, and good rows give
    the answers of the single-pose path.
    """
    solver = load_solver('analytic')
    try:
        expected = as_pose_array(np.array(rows))[0]
    except InvalidPoseError as e:
        with pytest.raises(InvalidPoseError) as got:
            solver.solve(np.array(rows), on_unreachable='nearest')
        assert str(got.value) == str(e)
        return
    joints = solver.solve(np.array(rows), on_unreachable='nearest')
    assert joints.shape == expected[:, :4].shape
    for i, row in enumerate(rows):  # the same input (validating twice can move an ulp)
        np.testing.assert_array_equal(joints[i], solver.solve(row, on_unreachable='nearest'))


def test_pipeline_prepares_in_turns_and_answers_in_order(monkeypatch):
    """
    Every chunk prepared once, never two at a time, on the worker threads; finished there.

    Answers in the chunks' order; a chunk prepared to None is not finished; an error while
    preparing reaches the caller. threads=False: all in order on the calling thread.
    """
    import threading
    import time
    monkeypatch.setattr(parallel, 'worker_count', lambda: 2)
    caller, seen, busy = threading.current_thread().name, [], []

    def prepare(index, chunk):
        busy.append(index)
        assert len(busy) == 1, 'two chunks prepared at once'
        time.sleep(0.002)
        seen.append((threading.current_thread().name, index, chunk))
        busy.remove(index)
        return None if index == 3 else chunk * 10

    def finish(value):
        return value + 1, threading.current_thread().name

    out = parallel.pipeline(prepare, finish, [0, 1, 2, 3, 4, 5])
    assert sorted((i, c) for _, i, c in seen) == [(i, i) for i in range(6)]
    assert all(name.startswith('ik_net_ros_chunk') for name, _, _ in seen)
    assert [o if o is None else o[0] for o in out] == [1, 11, 21, None, 41, 51]
    assert all(o[1].startswith('ik_net_ros_chunk') for o in out if o is not None)
    seen.clear()
    assert parallel.pipeline(prepare, finish, [0, 1, 2], threads=False)[1] == (11, caller)
    assert [(name, i) for name, i, _ in seen] == [(caller, 0), (caller, 1), (caller, 2)]

    def broken(index, chunk):
        if chunk == 2:
            raise InvalidPoseError('chunk 2')
        return chunk

    with pytest.raises(InvalidPoseError, match='chunk 2'):
        parallel.pipeline(broken, finish, list(range(6)))


@pytest.mark.parametrize('workers', [1, 2, 3])
def test_chunks_come_in_multiples_of_the_workers(monkeypatch, workers):
    """
    No core idles through a whole chunk at the end.

    The chunk count is a multiple of the workers, each chunk at most batch_chunk and at least
    min_chunk poses.
    """
    monkeypatch.setattr(base, 'worker_count', lambda: workers)
    solver = load_solver('focused')
    assert solver.chunk_size(0) == 1  # no chunk to make: no division by zero
    for n in (base.SMALL_BATCH + 1, 5000, base.BATCH_CHUNK * 3 + 1, 100_000):
        size = solver.chunk_size(n)
        count = -(-n // size)
        assert size <= max(base.BATCH_CHUNK, solver.min_chunk) and (
            size >= solver.min_chunk or size >= n)
        assert count % workers == 0 or size == solver.min_chunk or count == 1


def test_validation_errors_of_later_chunks_are_the_batch_errors():
    """
    Chunks are validated as they are prepared.

    A bad pose in a later chunk still gets the whole batch's message (count and first index), NaN
    reported before a far coordinate as the one-pass check does.
    """
    solver = load_solver('focused')
    poses = _poses(3 * base.BATCH_CHUNK, seed=5)
    poses[base.BATCH_CHUNK + 7, 0] = 5e3  # far, in the second chunk
    poses[[2 * base.BATCH_CHUNK + 1, 2 * base.BATCH_CHUNK + 2], 4] = np.nan  # in the third
    with pytest.raises(InvalidPoseError) as err:
        solver.solve(poses)
    assert str(err.value) == ('poses: 2 pose(s) contain NaN or inf, first at index '
                              f'{2 * base.BATCH_CHUNK + 1}')
    poses[[2 * base.BATCH_CHUNK + 1, 2 * base.BATCH_CHUNK + 2], 4] = 0.0
    with pytest.raises(InvalidPoseError, match=f'first at index {base.BATCH_CHUNK + 7}$'):
        solver.solve(poses)
