"""
Every ``ik_net_ros`` subcommand over bad arguments and bad files.

Exit status 2, one line on stderr naming the problem, never a traceback, and nothing written.
"""

from ik_net_ros.data.recorder import record_columns
from ik_net_ros.model.checkpoint_file import weights_digest
from ik_net_ros.tools import cli
from model_util import model_path
import numpy as np
import pytest
import torch

TINY = ['--network-kwargs', '{"position":[4],"orientation":[4],"merge":[4]}', '--epochs', '1',
        '--no-progress', '--data', 'synthetic:64']


@pytest.fixture(scope='module')
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp('bad')
    (d / 'header_only.csv').write_text(','.join(record_columns()) + '\n')
    (d / 'long.csv').write_text(','.join(record_columns()) + '\n' + '1' * 200_000 + '\n')
    (d / 'binary.csv').write_bytes(b'\xff\xfe\x00garbage\n')
    np.savez(d / 'strings.npz', poses=np.array([['a'] * 7]), joints=np.array([['b'] * 4]))
    (d / 'latin1.csv').write_bytes('1,2,,caf\xe9\n'.encode('latin-1'))
    (d / 'poses.csv').write_text('1,2,,0.2,0,0.1,0,0,0,1,0,0,0\n')
    (d / 'nan_joints.csv').write_text('1,2,,joint1,joint2,joint3,joint4,gripper,'
                                      'nan,0,0,0,0,0,0,0,0,0,0,0,0,0,0\n')
    payload = torch.load(model_path('focused'), weights_only=True)
    payload['state_dict']['pose_std'][0] = 0.0
    payload['weights_sha256'] = weights_digest(payload['network'], payload['network_kwargs'],
                                               payload['state_dict'], payload['geometry'])
    torch.save(payload, d / 'zero_std.pt')
    (d / 'garbage.pt').write_bytes(b'not a checkpoint')
    # hostile files a user may be handed: deep YAML, a 400-digit number, a plan bomb
    from ik_net_ros.data import make_synthetic, save_dataset
    from ik_net_ros.data.dataset import PoseJointSet
    from model_util import load_weights, save_weights
    data = make_synthetic(200, seed=1)
    save_dataset(PoseJointSet(data.poses, data.joints, {}, data.poses), d / 'measured.csv')
    (d / 'deep.yaml').write_text('format: ik_net_ros.calibration\ngeometry: ' + '[' * 50_000
                                 + ']' * 50_000 + '\n')
    (d / 'huge.yaml').write_text('geometry: {tool: ' + '9' * 400 + '}\n')
    arrays, meta = load_weights(model_path('original').with_suffix('.npz'))
    meta = {k: v for k, v in meta.items() if k not in ('sha256', 'format', 'version')}
    meta['plan'] = {**meta['plan'], 'ops': meta['plan']['ops'][:1] * 20_000}
    save_weights(d / 'plan_bomb.npz', arrays, meta)
    return d


CASES = [
    # solve
    (['solve', '0.2', '0', '0.1', '0', '0', '0', '0'], 'zero'),
    (['solve', 'nan', '0', '0.1', '0', '0', '0', '1'], 'NaN'),
    (['solve', '1e36', '0', '0.1', '0', '0', '0', '1'], 'beyond'),
    (['solve', '0.2', '0', '0.1', '0', '0', '0', '1', '--model', 'nope'], 'unknown solver'),
    (['solve', '0.2', '0', '0.1', '0', '0', '0', '1', '--model', '{d}/zero_std.pt'],
     'std'),
    (['solve', '0.2', '0', '0.1', '0', '0', '0', '1', '--model', '{d}/garbage.pt'], 'corrupt'),
    (['solve', '0.2', '0', '0.1', '0', '0', '0', '1', '--device', 'tpu'], 'device'),
    (['solve', '0.2', '0'], 'arguments'),
    # dataset
    (['dataset', 'synthetic:-5', '{d}/o.csv'], 'synthetic'),
    (['dataset', 'synthetic:inf', '{d}/o.csv'], 'synthetic'),
    (['dataset', 'synthetic:10:-1', '{d}/o.csv'], 'seed'),
    (['dataset', 'synthetic:1e12', '{d}/o.csv'], 'rows'),
    (['dataset', 'synthetic:10', '/nonexistent/dir/o.csv'], 'cannot write'),
    (['dataset', 'synthetic:10', '{d}/o.txt'], 'format'),
    (['dataset', '{d}/long.csv', '{d}/o.csv'], 'line 2'),
    (['dataset', '{d}/binary.csv', '{d}/o.csv'], 'UTF-8'),
    (['dataset', '{d}/strings.npz', '{d}/o.csv'], 'real numbers'),
    (['dataset', 'iknet:{d}/latin1.csv,{d}/latin1.csv', '{d}/o.csv'], 'UTF-8'),
    (['dataset', 'iknet:{d}/poses.csv,{d}/nan_joints.csv', '{d}/o.csv'], 'line 1: NaN'),
    (['dataset', 'iknet:{d}/poses.csv', '{d}/o.csv'], 'iknet'),
    (['dataset', '{d}/missing.csv', '{d}/o.csv'], 'no such'),
    # train
    (['train', '--output', '{d}/m.pt', '--epochs', '0'], 'epochs'),
    (['train', '--output', '{d}/m.pt', '--batch-size', '0'], 'batch_size'),
    (['train', '--output', '{d}/m.pt', '--batch-size', '1'], 'BatchNorm'),
    (['train', '--output', '{d}/m.pt', '--lr', '-1'], 'lr'),
    (['train', '--output', '{d}/m.pt', '--lr', 'nan'], 'lr'),
    (['train', '--output', '{d}/m.pt', '--lr', '1e30'], 'lr'),
    (['train', '--output', '{d}/m.pt', '--weight-decay', 'nan'], 'weight_decay'),
    (['train', '--output', '{d}/m.pt', '--task-weight', 'nan'], 'task_weight'),
    (['train', '--output', '{d}/m.pt', '--patience', '0'], 'patience'),
    (['train', '--output', '{d}/m.pt', '--threads', '-1'], 'threads'),
    (['train', '--output', '{d}/m.pt', '--seed', '-1'], 'seed'),
    (['train', '--output', '{d}/m.pt', '--val-fraction', '2'], 'val-fraction'),
    (['train', '--output', '{d}/m.pt', '--network-kwargs', '{bad'], 'network-kwargs'),
    (['train', '--output', '{d}/m.pt', '--network-kwargs', '[1]'], 'network_kwargs'),
    (['train', '--output', '{d}/m.pt', '--network-kwargs', '{"depth": 3}', *TINY[2:]],
     'cannot build network'),
    (['train', '--output', '{d}/m.pt', *TINY, '--held-out', '{d}/header_only.csv'], '0 row'),
    (['train', '--output', '/nonexistent/dir/m.pt', *TINY], 'cannot be written'),
    (['train', '--output', '{d}/m.pt', *TINY[:-2], '--data', '{d}/header_only.csv'], 'row'),
    (['train', '--output', '{d}/m.pt', '--target', 'measured', '--data', 'synthetic:100'],
     'no measured poses'),
    (['train', '--output', '{d}/m.pt', '--target', 'measured', '--init', 'nope', '--data',
      'synthetic:100'], 'unknown model'),
    (['train', '--output', '{d}/m.pt', '--calibration', '{d}/missing.yaml', *TINY],
     '--target measured'),
    (['calibrate', '--data', 'synthetic:100', '--output', '{d}/c.yaml'], 'no measured poses'),
    (['calibrate', '--data', 'synthetic:10', '--output', '{d}/c.yaml'], 'row'),
    (['evaluate', '--against', 'measured', '--data', 'synthetic:100'], 'no measured poses'),
    (['evaluate', '--against', 'measured', '--data', 'synthetic:100', '--calibration',
      '{d}/header_only.csv'], 'no measured'),
    (['true-arm', '--output', '/nonexistent/dir/a.yaml'], 'cannot be written'),
    (['evaluate', '--against', 'measured', '--data', '{d}/measured.csv', '--calibration',
      '{d}/deep.yaml'], 'nested deeper'),
    (['evaluate', '--against', 'measured', '--data', '{d}/measured.csv', '--true-arm',
      '{d}/huge.yaml'], 'digits'),
    (['solve', '--model', '{d}/plan_bomb.npz', '0.2', '0', '0.2', '0', '0', '0', '1'],
     'more than 256'),
    (['export', '{d}/garbage.pt'], 'corrupt'),
    # evaluate
    (['evaluate', '--model', 'analytic', '--data', '{d}/header_only.csv'], '0 row'),
    (['evaluate', '--model', 'analytic', '--json', '/nonexistent/m.json'], 'cannot be written'),
    (['evaluate', '--model', 'analytic', '--data', '{d}/long.csv'], 'line 2'),
    (['evaluate', '--model', 'analytic', '--data', '{d}/strings.npz'], 'real numbers'),
    (['evaluate', '--model', '{d}/zero_std.pt'], 'std'),
    # info
    (['info', '{d}/missing.pt'], 'no such checkpoint'),
    (['info', '{d}/garbage.pt'], 'corrupt'),
    # demo
    (['demo', '--duration', '-1'], 'duration'),
    (['demo', '--rate', 'nan'], 'rate'),
    (['demo', '--speed', '1e308'], 'speed'),
    (['nope'], 'invalid choice'),
]


@pytest.mark.parametrize('argv, problem', CASES, ids=[' '.join(c[0][:2]) + f' #{i}'
                                                      for i, c in enumerate(CASES)])
def test_bad_input_is_one_line_and_exit_2(files, capsys, argv, problem):
    argv = [a.replace('{d}', str(files)) for a in argv]
    before = sorted(p.name for p in files.iterdir())
    try:
        code = cli.main(argv)
    except SystemExit as e:  # argparse
        code = e.code
    out, err = capsys.readouterr()
    lines = [line for line in err.splitlines() if line.strip() and 'WARNING' not in line]
    assert code == 2, (code, out, err)
    assert 'Traceback' not in out + err
    assert len(lines) == 1, err
    assert 'error' in lines[0] and problem in lines[0], lines[0]
    assert sorted(p.name for p in files.iterdir()) == before  # nothing written
