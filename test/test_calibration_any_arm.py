"""
Calibration of any arm as the one chain's errors (issue 33): the OMX-F against its URDF chain.

The truth is the arm's own chain (``chain_forward``) with errors drawn in the fitted set; the
OM-X keeps the parameters (and so the figures) of before; files name their arm.
"""

import math

from hypothesis import given
from hypothesis import strategies as st
from ik_net_ros.arm import default_arm, load_arm
from ik_net_ros.errors import DatasetError
from ik_net_ros.kinematics.calibration import calibrate, layout_of, TrackerFit
from ik_net_ros.kinematics.calibration_file import (
    errors_as_dict,
    load_calibration,
    save_calibration,
)
from ik_net_ros.kinematics.chain import chain_forward
from ik_net_ros.kinematics.legacy_geometry import legacy_errors, legacy_values
from ik_net_ros.kinematics.limits import sample_joints
from ik_net_ros.kinematics.planar import planar_chain
from ik_net_ros.kinematics.rigid import pose_from_xyz_rpy
from ik_net_ros.kinematics.tracker_setup import frame_given_marker, TrackerSetup
from ik_net_ros.kinematics.true_arm import measure
from ik_net_ros.sim.tracker import SimulatedTracker
import numpy as np
from propcheck import fixed_examples
import pytest
import yaml

SETTINGS = fixed_examples(4)
OMX_F = load_arm('omx_f')


def test_the_om_x_fits_the_parameters_of_before():
    """The structure decides the OM-X's set of before: 4 offsets, the 6 links, 7 of 8 tilts."""
    params = layout_of(default_arm()).arm
    assert params.offsets == ('offset1', 'offset2', 'offset3', 'offset4')
    assert params.lengths == ('joint1_x', 'shoulder_height', 'upper_arm_x', 'upper_arm_z',
                              'forearm', 'tool')
    assert params.fixed_tilts == {'tilt2_z'}
    assert params.rigid == {'offset1', 'joint1_x', 'shoulder_height', 'tilt1_x', 'tilt1_y'}
    assert layout_of(default_arm('jazzy')).names == layout_of(default_arm()).names


def test_the_omx_f_fits_its_roll_and_tool_offset_and_stays_planar():
    params = layout_of(OMX_F).arm
    assert params.offsets[-1] == 'offset5' and 'tool_y' in params.lengths
    # joint5's origin lies on its own roll axis: the tool's x takes it (one of them only)
    assert 'joint5_x' not in params.lengths and 'tool' in params.lengths
    assert params.fixed_tilts == {'tilt2_z'} and {'tilt5_y', 'tilt5_z'} <= set(params.tilts)
    values, tilts = params.values(OMX_F.errors)
    moved = OMX_F.with_errors(params.errors(OMX_F.errors, values + 1e-3, tilts))
    assert planar_chain(moved).tool_y == pytest.approx(-0.0016 + 1e-3)  # the closed form holds


def _imperfect(arm, seed, tilt_deg=0.3):
    """Return ``arm`` with errors drawn in the fitted set: 1.5 deg, 1.5 mm, ``tilt_deg``."""
    rng = np.random.default_rng(seed)
    params = layout_of(arm).arm
    values, tilts = params.values(arm.errors)
    values = values + np.concatenate([np.radians(rng.uniform(-1.5, 1.5, len(params.offsets))),
                                      rng.uniform(-1.5e-3, 1.5e-3, len(params.lengths))])
    tilts = np.radians(rng.uniform(-tilt_deg, tilt_deg, len(tilts)))
    tilts[[params.tilts.index(n) for n in params.fixed_tilts]] = 0.0
    return arm.with_errors(params.errors(arm.errors, values, tilts))


@SETTINGS
@given(st.integers(0, 2 ** 16))
def test_an_imperfect_omx_f_is_calibrated_against_its_urdf_chain(seed):
    """
    800 measured poses (0.3 mm, 0.2 deg noise) of an OMX-F with errors; tilts estimated.

    The calibrated arm reaches the true one within 0.1 mm median over the joint limits (nominal:
    several mm), the errors it found are those of an OMX-F and the rank is what spread joints give.
    """
    true = _imperfect(OMX_F, seed)
    rng = np.random.default_rng(seed + 1)
    joints = sample_joints(OMX_F, 800, rng)
    result = calibrate(joints, measure(chain_forward(true, joints), rng), OMX_F,
                       estimate=TrackerFit(tilts=True))
    check = sample_joints(OMX_F, 3000, rng)
    truth = chain_forward(true, check)[:, :3]
    after = 1e3 * np.linalg.norm(chain_forward(result.arm, check)[:, :3] - truth, axis=1)
    before = 1e3 * np.linalg.norm(chain_forward(OMX_F, check)[:, :3] - truth, axis=1)
    assert np.median(after) < 0.1 and np.median(before) > 2.0
    assert result.arm.name == 'omx_f' and not result.problems
    assert result.rank == result.generic_rank and not result.undetermined
    assert result.source['offset5'] == 'data' and result.source['tool_y'] == 'data'


def test_an_omx_f_calibration_file_round_trips_and_names_its_arm(tmp_path):
    true = _imperfect(OMX_F, 7, tilt_deg=0.0)
    rng = np.random.default_rng(8)
    joints = sample_joints(OMX_F, 400, rng)
    result = calibrate(joints, measure(chain_forward(true, joints), rng), OMX_F)
    path = tmp_path / 'omx_f.yaml'
    save_calibration(result, path)
    data = yaml.safe_load(path.read_text())
    assert data['arm'] == 'omx_f' and data['digest'] == OMX_F.digest and data['version'] == 3
    assert load_calibration(path) == result.arm == load_calibration(path, OMX_F)
    with pytest.raises(DatasetError, match="a calibration of 'omx_f', not of open_manipulator_x"):
        load_calibration(path, default_arm())
    data['digest'] = '0' * 64
    (tmp_path / 'changed.yaml').write_text(yaml.safe_dump(data))
    with pytest.raises(DatasetError, match='digest'):
        load_calibration(tmp_path / 'changed.yaml')


@pytest.mark.parametrize('description, base_height', [('humble', 0.017), ('jazzy', 0.0)])
def test_an_om_x_file_of_before_loads_as_the_om_x_with_the_same_motion(tmp_path, description,
                                                                       base_height):
    """A version 2 file (an old geometry mapping) is the OM-X with the errors it describes."""
    from test_chain import old_omx_fk
    geometry = {'base_height': base_height, 'joint1_x': 0.0131, 'shoulder_height': 0.0601,
                'upper_arm_x': 0.0232, 'upper_arm_z': 0.1287, 'forearm': 0.1236, 'tool': 0.1267,
                'joint_offsets': [0.01, -0.02, 0.015, -0.01],
                'axis_tilts': [0.002, -0.001, 0.001, 0.0, -0.002, 0.001, 0.0, 0.001]}
    path = tmp_path / 'old.yaml'
    path.write_text(yaml.safe_dump({'format': 'ik_net_ros.calibration', 'version': 2,
                                    'description': description, 'geometry': geometry}))
    arm = load_calibration(path)
    assert arm.name == 'open_manipulator_x' and arm.description == description
    values = legacy_values(geometry)
    assert arm.errors == legacy_errors(arm.nominal(), values)
    joints = sample_joints(arm, 500, 3)
    np.testing.assert_allclose(chain_forward(arm, joints)[:, :3],
                               [old_omx_fk(q, values)[0] for q in joints], atol=1e-12)
    with pytest.raises(DatasetError, match='an OM-X calibration'):
        load_calibration(path, OMX_F)


_VALUES = st.one_of(st.none(), st.booleans(), st.integers(-10 ** 30, 10 ** 30),
                    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=5),
                    st.lists(st.floats(-1.0, 1.0), max_size=6),
                    st.lists(st.lists(st.floats(-0.1, 0.1), max_size=4), max_size=6),
                    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2))


@fixed_examples(150)
@given(st.sampled_from(['offsets', 'origin_deltas', 'tilts', 'tool_delta', 'other', 'arm',
                        'description', 'digest', 'errors']), _VALUES)
def test_every_bad_value_in_a_calibration_file_is_a_clear_error(tmp_path_factory, field, value):
    """Any value in any field of a version 3 file: the calibrated arm, or a DatasetError."""
    data = {'format': 'ik_net_ros.calibration', 'version': 3, 'arm': 'omx_f',
            'description': '', 'digest': OMX_F.digest,
            'errors': errors_as_dict(_imperfect(OMX_F, 1).errors)}
    if field in ('arm', 'description', 'digest', 'errors'):
        data[field] = value
    else:
        data['errors'][field] = value
    path = tmp_path_factory.mktemp('hostile') / 'cal.yaml'
    path.write_text(yaml.safe_dump(data))
    try:
        arm = load_calibration(path)
    except DatasetError as e:
        assert str(path) in str(e)
        return
    assert arm.name == 'omx_f'
    assert max(map(abs, arm.errors.offsets)) <= 0.5
    assert np.abs(arm.errors.tilts).max() <= math.radians(3.0)


def test_an_omx_f_seen_by_a_camera_is_calibrated_with_the_camera():
    """
    The simulated camera of the calibration demo watching an imperfect OMX-F, still rows.

    Its frame 0.5 m off and turned (estimated from the closed-form start), a marker 35 mm off the
    tool (its pose known), 2 % swapped-marker outliers, 0.3 mm / 0.2 deg noise. The calibrated
    arm and frame put the tool where the camera truly sees it within 0.1 mm median (nominal:
    several mm) over the joint limits; the outliers are left out.
    """
    true = _imperfect(OMX_F, 3)
    setup = TrackerSetup(tuple(pose_from_xyz_rpy([0.3, -0.35, 0.2, 10, -20, 25])),
                         tuple(pose_from_xyz_rpy([0.03, 0.015, 0.01, 0, 0, 0])))
    rng = np.random.default_rng(3)
    joints = rng.uniform(OMX_F.lower + 0.05, OMX_F.upper - 0.05, (800, OMX_F.dof))
    measured = SimulatedTracker(setup, outliers=0.02).measure(chain_forward(true, joints), rng)
    frame = frame_given_marker(measured, chain_forward(OMX_F, joints), setup.marker)
    result = calibrate(joints, measured, OMX_F, setup=TrackerSetup(tuple(frame), setup.marker),
                       estimate=TrackerFit(frame=True, marker_sigma=(5e-4, math.radians(0.5)),
                                           tilts=True))
    check = sample_joints(OMX_F, 3000, rng)
    truth = TrackerSetup(setup.frame).measured_from_tool(chain_forward(true, check))[:, :3]
    seen = TrackerSetup(result.setup.frame).measured_from_tool(chain_forward(result.arm, check))
    start = TrackerSetup(tuple(frame)).measured_from_tool(chain_forward(OMX_F, check))
    after = 1e3 * np.linalg.norm(seen[:, :3] - truth, axis=1)
    assert np.median(after) < 0.1
    assert np.median(1e3 * np.linalg.norm(start[:, :3] - truth, axis=1)) > 2.0
    assert not result.problems and not result.undetermined and 8 <= len(result.outliers) <= 40
    assert result.source['offset1'] == 'frame' and result.source['tool_y'] != 'fixed'


@pytest.mark.slow
@pytest.mark.timeout(1200)  # a demo: minutes on a busy 2-core machine
def test_the_calibration_demo_runs_on_the_omx_f(tmp_path, capsys):
    """
    ``calibration-demo --arm omx_f``: the true arm, recording and calibration of the OMX-F.

    No sag, a tracker of the tool centre in the base frame: the calibrated arm within 0.3 mm
    median of the truth over the joint limits (nominal: several mm); the learned correction runs
    (from the shipped OMX-F focused model) and is judged over the whole workspace.
    """
    import re

    from ik_net_ros.tools import cli
    assert cli.main(['calibration-demo', '--arm', 'omx_f', '--output', str(tmp_path),
                     '--sag-deg', '0', '--base-frame', '--rows', '600']) == 0
    out = capsys.readouterr().out
    assert 'calibrate --arm omx_f' in out and 'learned correction is left out' not in out
    assert re.search(r'train --arm omx_f --target measured (--init focused )?--calibration', out)
    assert 'calibrated + fine-tuned' in out and 'over the whole workspace' in out
    nominal, calibrated = (float(v) for v in re.findall(r'truth\s+([\d.]+) median', out)[-2:])
    assert calibrated < 0.3 and nominal > 2.0
    assert load_calibration(tmp_path / 'calibration.yaml').name == 'omx_f'
