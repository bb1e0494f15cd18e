"""
The learned correction of any arm with a planar closed form (issue 34 item 5): the OMX-F too.

A correction starts answering zero (the calibrated closed form) from a new network where the arm
has no shipped model; its whole-workspace check samples the true arm's own joints.
"""

import json

from hypothesis import given
from hypothesis import strategies as st
from ik_net_ros import load_solver
from ik_net_ros.arm import load_arm
from ik_net_ros.data import PoseJointSet
from ik_net_ros.evaluation.real_arm_errors import workspace_truth
from ik_net_ros.kinematics.chain import chain_forward
from ik_net_ros.kinematics.limits import sample_joints
from ik_net_ros.kinematics.true_arm import TrueArm
from ik_net_ros.model import load_model, ModelFile
from ik_net_ros.solver.network import NetworkSolver
from ik_net_ros.tools import cli
from ik_net_ros.training.config import TrainConfig
from ik_net_ros.training.loop import new_model
from ik_net_ros.training.real_arm_data import correction_model
import numpy as np
from propcheck import fixed_examples

OMX_F = load_arm('omx_f')
TINY = '{"position": [8], "orientation": [8], "merge": [8]}'


def test_the_whole_workspace_check_samples_the_true_arms_joints():
    """An OMX-F's truth over its 5 joints' limits: finite, the calibrated arm's within rounding."""
    true = TrueArm.random(1, base=OMX_F, sag_deg=0.0)
    exact = workspace_truth(load_solver('analytic', arm=true.arm), true, count=300)
    nominal = workspace_truth(load_solver('analytic', arm=OMX_F), true, count=300)
    assert exact['targets'] == 300 and exact['true_mm_median'] < 1e-3
    assert nominal['true_mm_median'] > 1.0


@fixed_examples(5)
@given(st.integers(0, 2 ** 16))
def test_a_new_correction_answers_the_calibrated_closed_form(seed):
    """Before training, a correction of a new network adds zero: the calibrated closed form."""
    true = TrueArm.random(seed, base=OMX_F, sag_deg=0.0)
    rng = np.random.default_rng(seed)
    joints = sample_joints(OMX_F, 200, rng)
    residuals = PoseJointSet(chain_forward(true.arm, joints), rng.normal(0, 1e-3, joints.shape),
                             {'arm': 'omx_f'})
    config = TrainConfig(network='focused', network_kwargs={'position': (8,),
                                                            'orientation': (8,), 'merge': (8,)})
    model = correction_model(new_model(config, residuals, true.arm), residuals)
    solver = NetworkSolver(ModelFile.from_torch(model, 'focused', config.network_kwargs,
                                                true.arm, 'analytic', {}))
    targets = chain_forward(true.arm, sample_joints(OMX_F, 50, rng))
    np.testing.assert_allclose(solver.solve(targets, on_unreachable='nearest'),
                               load_solver('analytic', arm=true.arm).solve(
                                   targets, on_unreachable='nearest'), atol=1e-6)


def test_train_target_measured_learns_an_omx_f_correction_end_to_end(tmp_path, capsys):
    """
    ``true-arm``, ``calibrate``, ``train --target measured --arm omx_f``, ``evaluate``.

    No OMX-F model is shipped: the correction starts from a new network answering zero; the
    model is a correction of the calibrated OMX-F, answers 5 joints, and evaluate judges it.
    """
    f = {name: str(tmp_path / name) for name in ('arm.yaml', 'rec.csv', 'held.csv', 'cal.yaml',
                                                 'c.pt', 'r.json')}
    arm = ['--arm', 'omx_f']
    for rec, seed in (('rec.csv', '5'), ('held.csv', '6')):
        assert cli.main(['true-arm', *arm, '--output', f['arm.yaml'], '--seed', '4', '--record',
                         f[rec], '--record-seed', seed, '--rows', '500']) == 0
    assert cli.main(['calibrate', *arm, '--data', f['rec.csv'], '--output', f['cal.yaml']]) == 0
    assert cli.main(['train', *arm, '--target', 'measured', '--calibration', f['cal.yaml'],
                     '--data', f['rec.csv'], '--epochs', '2', '--network-kwargs', TINY,
                     '--threads', '1', '--no-progress', '--output', f['c.pt']]) == 0
    model = load_model(f['c.pt'], arm=OMX_F)
    assert model.correction == 'analytic' and model.arm.name == 'omx_f'
    assert model.arm.errors != OMX_F.errors  # the calibrated arm travels with it
    assert model.metrics['held_out_measured']['position_mm_median'] < 3.0
    solver = load_solver(f['c.pt'])
    assert solver.solve(chain_forward(model.arm, OMX_F.home)).shape == (5,)
    assert cli.main(['evaluate', *arm, '--against', 'measured', '--data', f['held.csv'],
                     '--calibration', f['cal.yaml'], '--fine-tuned', f['c.pt'], '--true-arm',
                     f['arm.yaml'], '--json', f['r.json']]) == 0
    results = {r['solver'].split(' (')[0]: r
               for r in json.loads(open(f['r.json']).read())['results']}
    assert results['calibrated + fine-tuned']['true_mm_median'] < 3.0
