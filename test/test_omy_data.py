"""
Synthetic data and training of a non-planar arm (issue 34): the OMY beside the planar arms.

The labels are the UR closed form's no-seed branch rule (the home pose's family): checked
against the arm's URDF chain (``chain_forward``) and the closed form's own branch bits.
"""

from hypothesis import given
from hypothesis import strategies as st
from ik_net_ros.arm import load_arm
from ik_net_ros.data import make_synthetic
from ik_net_ros.kinematics.chain import chain_forward
from ik_net_ros.kinematics.limits import within_limits
from ik_net_ros.kinematics.rotations import pose_error
from ik_net_ros.kinematics.ur_branches import family_solution, home_branch
from ik_net_ros.kinematics.ur_closed_form import branch_of
from ik_net_ros.kinematics.ur_layout import NotURLayoutError
from ik_net_ros.model import load_model
from ik_net_ros.tools import cli
import numpy as np
from propcheck import fixed_examples
import pytest

OMY = {name: load_arm(name) for name in ('omy_f3m', 'omy_3m')}
SETTINGS = fixed_examples(8)


@SETTINGS
@given(st.sampled_from(sorted(OMY)), st.integers(0, 2 ** 32 - 1), st.integers(1, 400))
def test_synthetic_omy_labels_are_one_family_exact_and_a_function_of_the_pose(name, seed,
                                                                              rows):
    """
    Every row: the label reaches its pose exactly, inside the limits, in the home family.

    And the label is a function of the pose: solving the label's own pose again gives the label
    (a pose drawn from any branch and turn is labelled as that one pose, never as the draw).
    """
    arm = OMY[name]
    data = make_synthetic(rows, seed=seed, arm=arm)
    assert data.joints.shape == (rows, 6) and data.meta['arm'] == name
    assert 'branch 0' in data.meta['labels'] and home_branch(arm) == 0
    assert within_limits(arm, data.joints).all()
    assert np.abs(pose_error(chain_forward(arm, data.joints), data.poses)).max() < 1e-9
    assert (branch_of(arm, data.joints) == home_branch(arm)).all()
    again = family_solution(arm, chain_forward(arm, data.joints))
    assert again.found.all()
    np.testing.assert_allclose(again.joints, data.joints, rtol=0, atol=1e-9)


def test_synthetic_omy_data_is_seeded_and_covers_the_family():
    arm = OMY['omy_f3m']
    one, two = make_synthetic(2000, seed=3, arm=arm), make_synthetic(2000, seed=3, arm=arm)
    np.testing.assert_array_equal(one.joints, two.joints)
    # joint1 over its whole turn about home, not one side of it
    assert one.joints[:, 0].min() < -3.0 and one.joints[:, 0].max() > 3.0


def test_an_omy_with_leaning_axes_has_no_exact_labels():
    arm = OMY['omy_f3m']
    errors = arm.errors
    for joint in range(1, 6):  # joint1's tilt leans the whole arm: its layout holds
        tilts = [[0.0, 0.0]] * 6
        tilts[joint] = [1e-3, 0.0]
        tilted = arm.with_errors(type(errors)(errors.offsets, errors.origin_deltas, tilts,
                                              errors.tool_delta))
        with pytest.raises(NotURLayoutError, match=f'joint{joint + 1} axis is not'):
            make_synthetic(10, seed=0, arm=tilted)


def test_cli_trains_an_omy_network_on_synthetic_data(tmp_path):
    """A smoke test: one epoch of a tiny network, 6 joints out, the model names its arm."""
    out = tmp_path / 'omy.pt'
    assert cli.main(['train', '--arm', 'omy_f3m', '--data', 'synthetic:600:0', '--held-out',
                     'synthetic:100:9', '--epochs', '1', '--batch-size', '128', '--threads', '1',
                     '--network-kwargs', '{"position": [8], "orientation": [8], "merge": [8]}',
                     '--no-progress', '--output', str(out)]) == 0
    model = load_model(out, arm=OMY['omy_f3m'])
    assert model.metrics['held_out']['count'] == 100
    assert model.arm.name == 'omy_f3m' and model.arm.dof == 6
