"""
Networks, model files, data and training of any arm: the OMX-F (5 joints) beside the OM-X.

Every figure is checked against the arm's URDF chain (``chain_forward``), never numbers derived
by hand (issue 33).
"""

from dataclasses import replace
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from ik_net_ros.arm import default_arm, load_arm
from ik_net_ros.data import (
    load_dataset,
    make_synthetic,
    PoseJointSet,
    random_split,
    save_dataset,
)
from ik_net_ros.engines.folding import fold_plan
from ik_net_ros.engines.numpy_engine import NumpyForward
from ik_net_ros.errors import CheckpointError, DatasetError
from ik_net_ros.evaluation.accuracy import pose_accuracy
from ik_net_ros.kinematics.chain import chain_forward
from ik_net_ros.kinematics.limits import within_limits
from ik_net_ros.model import load_model, ModelFile, save_model
from ik_net_ros.networks import build_network, IKModel, NETWORK_NAMES
from ik_net_ros.tools import cli
from ik_net_ros.training.config import TrainConfig
from ik_net_ros.training.loop import compute_loss, train
import numpy as np
import pytest
import torch

OMX_F = load_arm('omx_f')
SMALL = {'original': {'hidden': (16, 16)}, 'improved': {'width': 16, 'blocks': 1},
         'focused': {'position': (8,), 'orientation': (8,), 'merge': (16,)}}


def _model(arm, network='focused', seed=0):
    torch.manual_seed(seed)
    data = make_synthetic(64, seed=seed, arm=arm)
    net = build_network(network, outputs=arm.dof, **SMALL[network])
    stats = (data.poses.mean(0), data.poses.std(0), data.joints.mean(0), data.joints.std(0))
    return ModelFile.from_torch(IKModel(net, *stats).eval(), network, SMALL[network], arm)


@pytest.mark.parametrize('network', NETWORK_NAMES)
def test_every_network_answers_one_joint_per_joint_of_its_arm(network):
    for arm in (default_arm(), OMX_F):
        net = build_network(network, outputs=arm.dof, **SMALL[network]).eval()
        assert net(torch.zeros(3, 7)).shape == (3, arm.dof)
    shipped = build_network(network)  # the shipped size is the OM-X's, unchanged
    assert shipped(torch.zeros(2, 7)).shape == (2, 4)


@pytest.mark.parametrize('network', NETWORK_NAMES)
def test_torch_free_engines_equal_torch_for_five_joints(network):
    model = _model(OMX_F, network)
    poses = make_synthetic(50, seed=3, arm=OMX_F).poses
    expected = model.to_torch()(torch.as_tensor(poses, dtype=torch.float32)).detach().numpy()
    answers = NumpyForward(model.plan, model.arrays)(poses.astype(np.float32))
    assert answers.shape == (50, 5)
    np.testing.assert_allclose(answers, expected, atol=2e-5)
    assert fold_plan(model.plan, model.arrays).outputs == 5
    onnx_engine = pytest.importorskip('ik_net_ros.engines.onnx_engine')
    try:
        onnx = onnx_engine.OnnxForward(fold_plan(model.plan, model.arrays))
    except onnx_engine.EngineUnavailable:
        pytest.skip('no onnxruntime')
    big = np.repeat(poses.astype(np.float32), 3, axis=0)
    np.testing.assert_allclose(onnx(big), np.repeat(expected, 3, axis=0), atol=2e-5)


def test_a_model_file_records_its_arm_and_refuses_another_by_name(tmp_path):
    path = save_model(_model(OMX_F), tmp_path / 'f.pt').path
    for torch_free in (True, False):
        model = load_model(path, torch_free=torch_free)
        assert model.arm == OMX_F and model.dof == 5
        assert load_model(path, torch_free=torch_free, arm=OMX_F).arm.digest == OMX_F.digest
        with pytest.raises(CheckpointError, match='trained for the omx_f.*not the '
                                                  'open_manipulator_x'):
            load_model(path, torch_free=torch_free, arm=default_arm())
    om_x = save_model(_model(default_arm()), tmp_path / 'x.pt').path
    with pytest.raises(CheckpointError, match='open_manipulator_x.*not the omx_f'):
        load_model(om_x, arm=OMX_F)


def test_a_calibrated_arm_travels_with_its_model(tmp_path):
    """The errors of the arm a model was trained for (a calibration) are in its record."""
    errors = OMX_F.errors.from_vector(np.linspace(-1e-3, 1e-3, 6 * 5 + 3))
    calibrated = OMX_F.with_errors(errors)
    path = save_model(replace(_model(OMX_F), arm=calibrated), tmp_path / 'c.pt').path
    assert load_model(path).arm == calibrated
    assert load_model(path, torch_free=False).arm == calibrated


@pytest.mark.parametrize('name', NETWORK_NAMES)
def test_shipped_om_x_models_record_no_arm_and_load_as_the_om_x(name):
    model = load_model(name)
    assert model.arm == default_arm() and model.dof == 4
    with pytest.raises(CheckpointError, match='open_manipulator_x.*not the omx_f'):
        load_model(model.path, arm=OMX_F)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2 ** 32 - 1))
def test_synthetic_omx_f_labels_reach_their_poses_inside_the_limits(seed):
    data = make_synthetic(300, seed=seed, arm=OMX_F)
    assert data.joints.shape == (300, 5) and data.meta['arm'] == 'omx_f'
    assert within_limits(OMX_F, data.joints).all()
    reached = chain_forward(OMX_F, data.joints)  # the URDF's chain
    np.testing.assert_allclose(reached[:, :3], data.poses[:, :3], atol=1e-9)
    np.testing.assert_allclose(np.abs(np.sum(reached[:, 3:] * data.poses[:, 3:], axis=1)), 1.0,
                               atol=1e-9)
    accuracy = pose_accuracy(data.poses, data.joints, data.joints, OMX_F)
    assert accuracy['position_mm_max'] < 1e-6 and accuracy['inside_limits_share'] == 1.0


@pytest.mark.parametrize('suffix', ['.csv', '.npz'])
def test_data_files_carry_the_arms_joint_columns(tmp_path, suffix):
    data = make_synthetic(20, seed=1, arm=OMX_F)
    path = tmp_path / f'f{suffix}'
    save_dataset(data, path)
    if suffix == '.csv':
        assert path.read_text().splitlines()[0].startswith(
            'joint1,joint2,joint3,joint4,joint5,x,y,z')
    back = load_dataset(path, OMX_F)
    np.testing.assert_allclose(back.joints, data.joints, rtol=0, atol=1e-15)
    np.testing.assert_allclose(back.poses, data.poses, rtol=0, atol=1e-15)
    with pytest.raises(DatasetError, match='omx_f|joint5'):
        load_dataset(path)  # the OM-X's reader: refused, naming the other arm or its joint
    with pytest.raises(DatasetError, match='omx_f'):
        save_dataset(data, tmp_path / f'x{suffix}', default_arm())


def test_om_x_files_without_an_arm_load_as_before(tmp_path):
    """An NPZ written before arms had names (no ``arm`` entry) is the OM-X's."""
    data = make_synthetic(10, seed=2)
    path = tmp_path / 'old.npz'
    np.savez(path, poses=data.poses, joints=data.joints)
    back = load_dataset(path)
    assert back.dof == 4 and 'arm' not in back.meta
    with pytest.raises(DatasetError, match='4 joint columns, the omx_f has 5'):
        load_dataset(path, OMX_F)


def test_the_task_loss_runs_the_arms_chain():
    data = make_synthetic(200, seed=4, arm=OMX_F)
    poses, joints = (torch.as_tensor(a, dtype=torch.float64) for a in (data.poses, data.joints))
    assert compute_loss('task', joints, joints, poses, OMX_F).item() < 1e-12
    assert compute_loss('task', joints + 0.05, joints, poses, OMX_F).item() > 1e-3


def test_training_an_omx_f_network(tmp_path):
    train_set, val_set = random_split(make_synthetic(3000, seed=5, arm=OMX_F), 0.2, seed=0)
    config = TrainConfig(network='focused', network_kwargs=SMALL['focused'], epochs=3,
                         batch_size=256, lr=3e-3, loss='joint+task', task_weight=0.01)
    result = train(config, train_set, val_set, OMX_F, progress=False)
    losses = [row['loss'] for row in result.history]
    assert losses[-1] < losses[0]
    assert result.model(torch.zeros(2, 7)).shape == (2, 5)
    with pytest.raises(DatasetError, match='omx_f'):
        train(config, train_set, val_set, default_arm(), progress=False)


def test_a_time_budget_stops_training_after_the_first_epoch():
    train_set, val_set = random_split(make_synthetic(600, seed=6), 0.2, seed=0)
    config = TrainConfig(network='focused', network_kwargs=SMALL['focused'], epochs=50,
                         batch_size=128, minutes=1e-9)
    assert len(train(config, train_set, val_set, progress=False).history) == 1


def test_cli_train_info_export_dataset_take_the_arm(tmp_path, capsys):
    out = tmp_path / 'f.pt'
    assert cli.main(['train', '--arm', 'omx_f', '--data', 'synthetic:600:0', '--held-out',
                     'synthetic:100:9', '--epochs', '1', '--batch-size', '128',
                     '--network-kwargs', '{"position": [8], "orientation": [8], "merge": [8]}',
                     '--no-progress', '--output', str(out)]) == 0
    model = load_model(out, arm=OMX_F)
    assert model.metrics['held_out']['count'] == 100
    assert cli.main(['info', str(out), '--arm', 'omx_f']) == 0
    assert 'omx_f, 5 joints' in capsys.readouterr().out
    assert cli.main(['info', str(out), '--arm', 'open_manipulator_x']) == 2
    assert 'trained for the omx_f' in capsys.readouterr().err
    assert cli.main(['export', str(out), '--arm', 'omx_f']) == 0
    csv = tmp_path / 'd.csv'
    assert cli.main(['dataset', 'synthetic:5:1', str(csv), '--arm', 'omx_f']) == 0
    assert Path(csv).read_text().startswith('joint1,joint2,joint3,joint4,joint5,')
    assert cli.main(['dataset', str(csv), str(tmp_path / 'x.npz')]) == 2
    assert 'joint5' in capsys.readouterr().err
    assert cli.main(['info', 'focused', '--arm', 'no_such_arm']) == 2
    assert 'no_such_arm' in capsys.readouterr().err


def test_a_data_set_of_any_dof_is_a_pose_joint_set():
    five = PoseJointSet(np.zeros((3, 7)), np.zeros((3, 5)))
    assert five.dof == 5
    with pytest.raises(DatasetError, match='joints must be'):
        PoseJointSet(np.zeros((3, 7)), np.zeros((2, 5)))
