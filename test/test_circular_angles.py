"""
Full-turn joints answered as (cos, sin) and decoded by atan2 (``--angles circular``).

The decode is the label rule's (the angle within half a turn of its window's centre), every
engine answers the same, a model file carries its circular joints and refuses ones that do
not fit its arm, and training with them runs end to end.
"""

import math

from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from ik_net_ros.arm import load_arm
from ik_net_ros.data import make_synthetic
from ik_net_ros.engines.folding import fold_plan
from ik_net_ros.engines.numpy_engine import NumpyForward
from ik_net_ros.errors import CheckpointError
from ik_net_ros.model import load_model, ModelFile, save_model
from ik_net_ros.networks import build_network, IKModel
from ik_net_ros.networks.angles import circular_joints, decode, encode, wrap
from ik_net_ros.solver.network import NetworkSolver
from ik_net_ros.tools import cli
from ik_net_ros.training.loop import joint_error
import numpy as np
import pytest
import torch

OMX_F = load_arm('omx_f')
OMY = load_arm('omy_f3m')
SMALL = {'position': (8,), 'orientation': (8,), 'merge': (16,)}
angles = st.floats(-4 * math.pi, 4 * math.pi, allow_nan=False)


def _circular_model(arm, seed=0) -> ModelFile:
    """Return a small untrained focused model of ``arm`` with circular joints from its data."""
    torch.manual_seed(seed)
    data = make_synthetic(400, seed=seed, arm=arm)
    idx, ref = circular_joints(data.joints)
    outputs = arm.dof + len(idx)
    net = build_network('focused', outputs=outputs, **SMALL)
    model = IKModel(net, data.poses.mean(0), data.poses.std(0), np.zeros(outputs),
                    np.ones(outputs), idx, ref).eval()
    return ModelFile.from_torch(model, 'focused', SMALL, arm)


def test_the_joints_with_a_seam_are_the_circular_ones():
    """OMX-F: joint1, the wrist pitch and roll (labels over a whole turn); OMY: its yaw joints."""
    idx, ref = circular_joints(make_synthetic(5000, seed=1, arm=OMX_F).joints)
    assert idx.tolist() == [0, 3, 4]
    np.testing.assert_allclose(ref, 0.0, atol=0.01)
    idx, ref = circular_joints(make_synthetic(5000, seed=1, arm=OMY).joints)
    assert idx.tolist() == [0, 1, 3, 5]  # the wrist pitch (joint5) stays in (0, pi) in a family
    np.testing.assert_allclose(ref, [0, 0, -math.pi / 2, 0], atol=0.01)


@settings(max_examples=200, deadline=None)
@given(q=angles, ref=st.floats(-math.pi, math.pi), scale=st.floats(0.01, 100))
def test_decode_is_the_angle_within_half_a_turn_of_the_reference(q, ref, scale):
    """Any (cos, sin) of any norm decodes to its angle, moved by whole turns into the window."""
    raw = np.array([[scale * math.cos(q), 0.5, scale * math.sin(q)]])
    out = decode(raw, np.array([0.0]), np.array([ref]))
    assert out.shape == (1, 2) and out[0, 1] == 0.5
    assert abs(out[0, 0] - ref) <= math.pi + 1e-9
    assert abs(math.remainder(out[0, 0] - q, 2 * math.pi)) < 1e-9
    assert abs(wrap(q, ref) - ref) <= math.pi + 1e-9


@settings(max_examples=50, deadline=None)
@given(q=arrays(np.float64, (5, 5), elements=st.floats(-math.pi + 1e-6, math.pi - 1e-6)))
def test_encode_then_decode_gives_labels_inside_the_window_back(q):
    idx = np.array([0, 3, 4])
    out = decode(encode(q, idx), idx, np.zeros(3))
    np.testing.assert_allclose(out, q, atol=1e-9)


def test_the_torch_decode_and_joint_error_are_the_numpy_rules():
    """IKModel.decode equals angles.decode; the joint loss takes a seam's step as tiny."""
    model = _circular_model(OMY).to_torch()
    raw = torch.randn(200, model.joint_mean.numel())
    np.testing.assert_allclose(model.decode(raw).numpy(),
                               decode(raw.numpy().astype(float), model.circular.numpy(),
                                      model.reference.numpy()), atol=1e-5)
    pred = torch.tensor([[math.pi - 0.01, 0.2]])
    label = torch.tensor([[-math.pi + 0.01, 0.2]])
    err = joint_error(pred, label, torch.tensor([0.0]))
    assert abs(err[0, 0].item() + 0.02) < 1e-5  # across the seam: 0.02 rad, not 2 pi - 0.02
    assert abs(joint_error(pred, label)[0, 0].item() - (2 * math.pi - 0.02)) < 1e-5


@pytest.mark.parametrize('arm', [OMX_F, OMY], ids=lambda a: a.name)
def test_every_engine_answers_the_same_joints(arm, tmp_path):
    """Torch, the numpy twin, ONNX Runtime: one decode, the same joints (1e-5 rad)."""
    model = save_model(_circular_model(arm), tmp_path / 'c.pt')
    poses = make_synthetic(300, seed=3, arm=arm).poses
    expected = model.to_torch()(torch.as_tensor(poses, dtype=torch.float32)).detach().numpy()
    assert expected.shape == (300, arm.dof)
    raw = NumpyForward(model.plan, model.arrays)(poses.astype(np.float32))
    assert raw.shape == (300, arm.dof + model.circular.size)
    cpu = NetworkSolver(load_model(model.path, torch_free=True), engine='numpy')
    np.testing.assert_allclose(cpu.predict(poses), expected, atol=1e-5)
    np.testing.assert_allclose(cpu.predict_one(poses[0].tolist()), expected[0], atol=1e-5)
    torch_solver = NetworkSolver(load_model(model.path), engine='torch')
    np.testing.assert_allclose(torch_solver.predict(poses), expected, atol=1e-5)
    onnx_engine = pytest.importorskip('ik_net_ros.engines.onnx_engine')
    try:
        onnx = onnx_engine.OnnxForward(fold_plan(model.plan, model.arrays))
    except onnx_engine.EngineUnavailable:
        pytest.skip('no onnxruntime')
    np.testing.assert_allclose(model.decode(onnx(poses.astype(np.float32)).astype(float)),
                               expected, atol=1e-5)


def test_a_model_file_keeps_its_circular_joints_and_refuses_bad_ones(tmp_path):
    model = _circular_model(OMX_F)
    path = save_model(model, tmp_path / 'c.pt').path
    for torch_free in (True, False):
        loaded = load_model(path, torch_free=torch_free)
        assert loaded.circular.tolist() == [0, 3, 4]
    for bad in ([0.0, 3.0, 7.0], [0.0, 3.5, 4.0]):
        arrays = {**model.arrays, 'circular': np.array(bad, np.float32)}
        with pytest.raises(CheckpointError, match='circular joints'):
            save_model(ModelFile(model.network, model.network_kwargs, model.arm, arrays,
                                 model.plan, None, {}), tmp_path / 'bad.pt')


def test_cli_trains_a_circular_model_of_the_omx_f(tmp_path, capsys):
    out = tmp_path / 'f.pt'
    assert cli.main(['train', '--arm', 'omx_f', '--data', 'synthetic:800:0', '--held-out',
                     'synthetic:200:5', '--epochs', '2', '--angles', 'circular',
                     '--network-kwargs', '{"position": [8], "orientation": [8], "merge": [16]}',
                     '--threads', '1', '--no-progress', '--output', str(out)]) == 0
    model = load_model(out)
    assert model.circular.tolist() == [0, 3, 4]
    assert model.metadata['train_config']['angles'] == 'circular'
    answers = NetworkSolver(model).solve(make_synthetic(50, seed=9, arm=OMX_F).poses,
                                         on_unreachable='nearest')
    assert answers.shape == (50, 5) and np.isfinite(answers).all()
