"""The trained models shipped in models/: they load, carry their card, and solve fresh poses."""

from ik_net_ros import load_solver
from ik_net_ros.arm import default_arm
from ik_net_ros.data import make_synthetic
from ik_net_ros.evaluation.accuracy import pose_accuracy
from ik_net_ros.kinematics import within_limits
from ik_net_ros.model import load_model
import numpy as np
import pytest

OMX = default_arm()  # the OM-X, ROBOTIS's humble description

NAMES = ('original', 'improved', 'focused')
LOOSE_MEDIAN_MM = {'original': 40.0, 'improved': 20.0, 'focused': 5.0}


@pytest.fixture(scope='module')
def fresh():
    # a seed no training or held-out set uses
    return make_synthetic(3000, seed=987_654)


@pytest.mark.parametrize('name', NAMES)
def test_shipped_model_carries_its_card(name):
    model = load_model(name, torch_free=False)
    assert model.network == name and model.arm == OMX
    info = model.metadata
    assert info['train_config']['network'] == name
    assert info['data']['rows'] > 100_000
    assert 'held_out' in info['metrics'] and 'validation' in info['metrics']


@pytest.mark.parametrize('name', NAMES)
def test_shipped_model_solves_fresh_poses_and_refine_tightens(name, fresh):
    solver = load_solver(name)
    joints = solver.solve(fresh.poses)
    assert within_limits(OMX, joints).all()
    rough = pose_accuracy(fresh.poses, joints)
    assert rough['position_mm_median'] < LOOSE_MEDIAN_MM[name]
    refined = solver.solve(fresh.poses, refine=True)
    assert within_limits(OMX, refined).all()
    fine = pose_accuracy(fresh.poses, refined)
    assert fine['position_mm_median'] < 1e-3
    assert fine['position_mm_p99'] < rough['position_mm_p99'] / 100
    np.testing.assert_array_less(fine['position_mm_median'], rough['position_mm_median'])
