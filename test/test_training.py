"""Training loop, checkpoints and the network solver, on small synthetic sets."""

from pathlib import Path

from ik_net_ros import CheckpointError, ConfigError, load_solver
from ik_net_ros.arm import default_arm
from ik_net_ros.data import make_synthetic, random_split
from ik_net_ros.evaluation.accuracy import pose_accuracy
from ik_net_ros.kinematics import within_limits
from ik_net_ros.model import load_model
from ik_net_ros.model.arm_record import arm_record
from ik_net_ros.model.checkpoint_file import weights_digest
from ik_net_ros.networks import build_network, IKModel
from ik_net_ros.solver.network import NetworkSolver
from ik_net_ros.training.config import TrainConfig
from ik_net_ros.training.loop import compute_loss, train
from model_util import load_checkpoint, save_checkpoint
import numpy as np
import pytest
import torch

OMX = default_arm()  # the OM-X, ROBOTIS's humble description


@pytest.fixture(scope='module')
def small_split():
    return random_split(make_synthetic(6000, seed=7), 0.2, seed=0)


@pytest.mark.parametrize('name, loss', [('original', 'joint'), ('improved', 'joint'),
                                        ('focused', 'joint+task')])
def test_a_few_epochs_lower_validation_loss(small_split, name, loss):
    train_set, val_set = small_split
    kwargs = {} if name == 'original' else (
        {'width': 64, 'blocks': 1} if name == 'improved' else
        {'position': (32,), 'orientation': (32,), 'merge': (64,)})
    config = TrainConfig(network=name, network_kwargs=kwargs, epochs=4, batch_size=256,
                         lr=3e-3, loss=loss, schedule='none')
    result = train(config, train_set, val_set, progress=False)
    losses = [row['loss'] for row in result.history]
    assert losses[-1] < losses[0]
    assert result.best['loss'] == min(losses)
    assert not result.model.training


def test_task_loss_is_zero_for_exact_joints_and_positive_otherwise():
    data = make_synthetic(64, seed=1)
    poses = torch.tensor(data.poses, dtype=torch.float64)
    joints = torch.tensor(data.joints, dtype=torch.float64)
    exact = compute_loss('task', joints, joints, poses, OMX)
    assert exact.item() < 1e-12
    assert compute_loss('task', joints + 0.01, joints, poses, OMX).item() > 1e-3


def test_early_stopping_stops(small_split):
    train_set, val_set = small_split
    config = TrainConfig(network='focused', network_kwargs={'position': (8,),
                         'orientation': (8,), 'merge': (8,)}, epochs=50, lr=1e-9, patience=2,
                         schedule='none', batch_size=512)
    result = train(config, train_set, val_set, progress=False)
    assert result.stopped_early and len(result.history) < 50


def _tiny_model():
    torch.manual_seed(0)
    net = build_network('focused', position=(8,), orientation=(8,), merge=(8,))
    return IKModel(net, np.zeros(7), np.ones(7), np.zeros(4), np.ones(4)).eval()


def test_checkpoint_round_trip(tmp_path):
    model = _tiny_model()
    kwargs = {'position': (8,), 'orientation': (8,), 'merge': (8,)}
    path = save_checkpoint(tmp_path / 'm.pt', model, 'focused', kwargs, OMX,
                           {'epochs': 1}, {'rows': 10}, {'val': 1.0})
    ckpt = load_checkpoint(path)
    x = torch.randn(3, 7)
    torch.testing.assert_close(ckpt.model(x), model(x))
    assert ckpt.info['metrics'] == {'val': 1.0} and ckpt.info['data'] == {'rows': 10}
    assert ckpt.arm == OMX and ckpt.network == 'focused'
    assert not list(tmp_path.glob('.*.tmp'))  # atomic save leaves no temp file


def test_checkpoint_errors(tmp_path):
    with pytest.raises(CheckpointError, match='no such checkpoint'):
        load_checkpoint(tmp_path / 'missing.pt')
    corrupt = tmp_path / 'corrupt.pt'
    corrupt.write_bytes(b'\x00garbage' * 10)
    with pytest.raises(CheckpointError, match='corrupt'):
        load_checkpoint(corrupt)
    foreign = tmp_path / 'foreign.pt'
    torch.save({'state_dict': {}}, foreign)
    with pytest.raises(CheckpointError, match='foreign'):
        load_checkpoint(foreign)
    good = save_checkpoint(tmp_path / 'g.pt', _tiny_model(), 'focused',
                           {'position': (8,), 'orientation': (8,), 'merge': (8,)},
                           OMX)
    truncated = tmp_path / 'truncated.pt'
    truncated.write_bytes(good.read_bytes()[:200])
    with pytest.raises(CheckpointError, match='corrupt'):
        load_checkpoint(truncated)
    mismatched = tmp_path / 'mismatch.pt'
    payload = torch.load(good, weights_only=True)
    payload['network_kwargs'] = {'position': (16,), 'orientation': (8,), 'merge': (8,)}
    torch.save(payload, mismatched)
    with pytest.raises(CheckpointError, match='damaged'):  # the checksum covers the settings
        load_checkpoint(mismatched)
    payload['weights_sha256'] = weights_digest(payload['network'], payload['network_kwargs'],
                                               payload['state_dict'], payload['arm'])
    torch.save(payload, mismatched)  # consistent, but the weights cannot fit the network
    with pytest.raises(CheckpointError, match='do not fit'):
        load_checkpoint(mismatched)
    with pytest.raises(CheckpointError):
        load_solver(str(corrupt))


@pytest.mark.parametrize('damage', ['truncate', 'flip', 'overwrite'])
def test_damaged_copies_of_a_shipped_model_are_refused(tmp_path, damage):
    # a flipped byte inside a weight still unpickles: only the stored checksum catches it
    source = Path(__file__).parents[1] / 'models' / 'focused.pt'
    original = source.read_bytes()
    reference, refused = load_checkpoint(source), 0
    rng = np.random.default_rng(7)
    for trial in range(40):
        data = bytearray(original)
        at = int(rng.integers(0, len(data)))
        if damage == 'truncate':
            data = data[:at]
        elif damage == 'flip':
            data[at] ^= 1 << int(rng.integers(0, 8))
        else:
            data[at:at + 64] = bytes(rng.integers(0, 256, 64).tolist())
        if bytes(data) == original:
            continue
        path = tmp_path / f'{damage}{trial}.pt'
        path.write_bytes(bytes(data))
        try:
            loaded = load_checkpoint(path)
        except CheckpointError:
            refused += 1
            continue
        # what still loads was hit where it does not matter (zip padding, a note): same model
        assert _digest(loaded) == _digest(reference)
    assert refused >= 20
    for tiny in (b'', b'abc', b'\x80\x02'):  # unpickler errors of every kind
        (tmp_path / 'tiny.pt').write_bytes(tiny)
        with pytest.raises(CheckpointError, match='corrupt'):
            load_checkpoint(tmp_path / 'tiny.pt')


def _digest(checkpoint):
    return weights_digest(checkpoint.network, checkpoint.info['network_kwargs'],
                          checkpoint.model.state_dict(), arm_record(checkpoint.arm))


def test_a_checkpoint_without_checksum_loads_with_a_warning(tmp_path, caplog):
    good = save_checkpoint(tmp_path / 'g.pt', _tiny_model(), 'focused',
                           {'position': (8,), 'orientation': (8,), 'merge': (8,)},
                           OMX)
    payload = torch.load(good, weights_only=True)
    del payload['weights_sha256']
    torch.save(payload, good)
    with pytest.raises(CheckpointError, match='different models'):  # not the .npz's model
        load_checkpoint(good)
    good.with_suffix('.npz').unlink()  # alone, as an older checkpoint was
    with caplog.at_level('WARNING'):
        load_checkpoint(good)
    assert 'no weights checksum' in caplog.text


def test_network_solver_from_checkpoint_clamps_and_refines(tmp_path, small_split):
    train_set, val_set = small_split
    config = TrainConfig(network='focused', network_kwargs={'position': (32,),
                         'orientation': (32,), 'merge': (64,)}, epochs=3, schedule='none')
    result = train(config, train_set, val_set, progress=False)
    path = save_checkpoint(tmp_path / 'f.pt', result.model, 'focused', config.network_kwargs,
                           OMX)
    assert path.with_suffix('.npz').is_file()  # the torch-free weights file beside it
    solver = load_solver(str(path))
    assert solver.device == 'cpu'
    torch_solver = NetworkSolver(load_model(path, torch_free=False), engine='torch')
    np.testing.assert_allclose(solver.solve(val_set.poses), torch_solver.solve(val_set.poses),
                               atol=1e-5)
    joints = solver.solve(val_set.poses)
    assert within_limits(OMX, joints).all()
    rough = pose_accuracy(val_set.poses, joints)
    fine = pose_accuracy(val_set.poses, solver.solve(val_set.poses, refine=True))
    assert fine['position_mm_median'] < rough['position_mm_median'] / 10


def test_cuda_requested_without_gpu_is_a_clear_error(tmp_path):
    if torch.cuda.is_available():
        pytest.skip('a GPU is present: covered by test_cuda_solver_matches_cpu')
    with pytest.raises(ConfigError, match='CUDA'):
        load_solver('focused', device='cuda')


@pytest.mark.skipif(not torch.cuda.is_available(), reason='no CUDA GPU')
def test_cuda_solver_matches_cpu(small_split):
    poses = small_split[1].poses
    cpu = load_solver('focused', device='cpu').solve(poses)
    gpu = load_solver('focused', device='cuda').solve(poses)
    np.testing.assert_allclose(gpu, cpu, atol=1e-4)


def test_pose_accuracy_figures():
    data = make_synthetic(100, seed=1)
    exact = pose_accuracy(data.poses, data.joints, data.joints)
    assert exact['position_mm_max'] < 1e-6 and exact['solved_share'] == 1.0
    assert exact['joint_mse'] == 0.0 and exact['inside_limits_share'] == 1.0
    off = pose_accuracy(data.poses, data.joints + 0.05, data.joints)
    assert off['position_mm_median'] > 5 and off['solved_share'] < 0.1
    assert abs(off['joint_mse'] - 0.0025) < 1e-9


def test_monitor_chooses_the_kept_epoch(small_split):
    train_set, val_set = small_split
    config = TrainConfig(network='focused', network_kwargs={'position': (16,),
                         'orientation': (16,), 'merge': (32,)}, epochs=3, schedule='none',
                         monitor='position_mm_median')
    result = train(config, train_set, val_set, progress=False)
    medians = [row['position_mm_median'] for row in result.history]
    assert result.best_epoch == 1 + int(np.argmin(medians))
    with pytest.raises(ValueError, match='monitor'):
        TrainConfig(monitor='accuracy')


def test_bad_network_arguments_are_a_clear_error(small_split):
    config = TrainConfig(network='focused', network_kwargs={'depth': 3}, epochs=1)
    with pytest.raises(ConfigError, match="cannot build network 'focused'"):
        train(config, *small_split, progress=False)


def test_a_model_far_worse_than_the_shipped_one_is_said_loudly(tmp_path, capsys):
    """
    Trained from scratch on a small recording: far worse than shipped focused, and it says so.

    At the end of the output, and in the model's metrics; started from shipped focused
    (``--init``, fine-tuning: once ignored without ``--target measured``), no warning.
    """
    from ik_net_ros.data import save_dataset
    from ik_net_ros.tools import cli
    data = make_synthetic(300, seed=9)
    save_dataset(data, tmp_path / 'rec.csv')
    common = ['--data', str(tmp_path / 'rec.csv'), '--split', 'sequential', '--epochs', '2',
              '--held-out', 'synthetic:200:2000001', '--no-progress']
    assert cli.main(['train', '--network', 'focused', '--output', str(tmp_path / 'new.pt'),
                     *common]) == 0
    out, err = capsys.readouterr()
    assert err.strip().splitlines()[-1].startswith('WARNING: this model is far worse than '
                                                   'focused')
    assert '--init focused' in err
    said = load_model(tmp_path / 'new.pt').metrics['start_comparison']
    assert said['position_mm_median'] > 2 * said['start_position_mm_median']
    assert 'far worse' in said['warning'] and said['rows'] > 0
    assert cli.main(['train', '--init', 'focused', '--output', str(tmp_path / 'tuned.pt'),
                     *common]) == 0
    out, err = capsys.readouterr()
    assert 'fine-tuning focused' in out and 'WARNING' not in err
    tuned = load_model(tmp_path / 'tuned.pt')
    assert tuned.metrics['start_comparison']['position_mm_median'] < 5.0
    assert tuned.metadata['data']['init'] == 'focused'


def test_the_start_is_measured_in_the_arm_of_the_validation_rows():
    """Rows of the jazzy description (joint1 at 0 m): the shipped model is shifted, not wrong."""
    from ik_net_ros.arm import default_arm
    from ik_net_ros.training.start_check import tool_errors_mm
    arm = default_arm('jazzy')
    rows = make_synthetic(300, seed=3, arm=arm)
    assert np.median(tool_errors_mm(load_model('focused'), rows, arm)) < 1.0
