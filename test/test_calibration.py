"""Parametric calibration from measured tool poses (issue 14.3), judged by the simulated truth."""

import math
import re

from ik_net_ros import load_solver
from ik_net_ros.arm import default_arm
from ik_net_ros.errors import DatasetError
from ik_net_ros.kinematics import forward_kinematics, sample_joints
from ik_net_ros.kinematics.calibration import calibrate, layout_of
from ik_net_ros.kinematics.calibration_file import load_calibration, save_calibration
from ik_net_ros.kinematics.collision import CollisionModel
from ik_net_ros.kinematics.planar import planar_chain
from ik_net_ros.kinematics.true_arm import TrueArm
from ik_net_ros.sim.true_arm_recording import record
from ik_net_ros.tools import cli
import numpy as np
import pytest
from rclpy.parameter import Parameter
import yaml

OMX = default_arm()  # the OM-X, ROBOTIS's humble description

TEST_JOINTS = sample_joints(OMX, 3000, 77)
LINKS = layout_of(default_arm()).arm.lengths


def _recording(arm, rows=2000, seed=1):
    return record(arm, rows, np.random.default_rng(seed), 3e-4, math.radians(0.2))


def _true_error_mm(arm, calibrated):
    """Tool error against the truth of the closed form in arm ``calibrated`` on test targets."""
    targets = arm.tool_poses(TEST_JOINTS)
    joints = load_solver('analytic', arm=calibrated).solve(targets, on_unreachable='nearest')
    return 1e3 * np.linalg.norm(arm.tool_poses(joints)[:, :3] - targets[:, :3], axis=1)


def test_identification_recovers_offsets_and_lengths_within_noise():
    arm = TrueArm(TrueArm.random(seed=4).arm, (0.0, 0.0))  # geometric errors only
    data = _recording(arm)
    result = calibrate(data.joints, data.measured, OMX)
    # the closed form's numbers of each (the old geometry's fields)
    truth, found = planar_chain(arm.arm.upright()), planar_chain(result.arm.upright())
    for i, name in enumerate(('offset1', 'offset2', 'offset3', 'offset4')):
        if result.identifiable[name]:
            error = abs(found.joint_offsets[i] - truth.joint_offsets[i])
            assert error < 5 * result.std[name] + 1e-5, name
    for name in LINKS:
        if result.identifiable[name]:
            error = abs(getattr(found, name) - getattr(truth, name))
            assert error < 5 * result.std[name] + 1e-6, name
    # the upper arm's x/z split trades against the joint2/3 offsets: told, not guessed
    assert not result.identifiable['upper_arm_x'] and not result.identifiable['offset2']
    assert result.identifiable['offset1'] and result.identifiable['forearm']
    assert result.rank == 9


def test_pure_geometric_errors_are_calibrated_to_the_noise_floor():
    arm = TrueArm(TrueArm.random(seed=3).arm, (0.0, 0.0))
    data = _recording(arm)
    result = calibrate(data.joints, data.measured, OMX)
    nominal, calibrated = _true_error_mm(arm, OMX), _true_error_mm(
        arm, result.arm)
    assert np.median(nominal) >= 5.0  # the problem is real
    assert np.median(calibrated) < 0.1 and np.percentile(calibrated, 95) < 0.2
    fit = result.fit['calibrated']['position_mm_median']
    assert 0.3 < fit < 0.8  # what is left against the measurements is the tracker's noise


def test_sag_is_beyond_the_parametric_step():
    arm = TrueArm.random(seed=6)
    data = _recording(arm)
    result = calibrate(data.joints, data.measured, OMX)
    calibrated = _true_error_mm(arm, result.arm)
    assert np.median(calibrated) > 0.5  # configuration-dependent: needs the learned step


def test_calibration_files_round_trip_and_drive_the_solvers(tmp_path):
    arm = TrueArm(TrueArm.random(seed=8).arm, (0.0, 0.0))
    data = _recording(arm, 600)
    result = calibrate(data.joints, data.measured, OMX)
    save_calibration(result, tmp_path / 'arm.yaml', {'description': 'humble'})
    assert load_calibration(tmp_path / 'arm.yaml') == result.arm
    targets = arm.tool_poses(TEST_JOINTS[:300])
    for name in ('analytic', 'focused'):
        solver = load_solver(name, calibration=tmp_path / 'arm.yaml')
        joints = solver.solve(targets, on_unreachable='nearest')
        error = 1e3 * np.linalg.norm(arm.tool_poses(joints)[:, :3] - targets[:, :3], axis=1)
        assert np.median(error) < 0.3, name
    bad = yaml.safe_load((tmp_path / 'arm.yaml').read_text())
    bad['errors']['origin_deltas'][3][0] = float('nan')
    (tmp_path / 'bad.yaml').write_text(yaml.safe_dump(bad))
    for path, match in ((tmp_path / 'bad.yaml', 'origin_deltas must be a finite number'),
                        (tmp_path / 'none.yaml', 'no such'), (tmp_path, 'not a regular file')):
        with pytest.raises(DatasetError, match=match):
            load_calibration(path)


def test_calibrate_command(tmp_path, capsys):
    assert cli.main(['true-arm', '--output', str(tmp_path / 'arm.yaml'), '--seed', '2',
                     '--sag-deg', '0', '--record', str(tmp_path / 'rec.csv'),
                     '--rows', '500']) == 0
    assert cli.main(['calibrate', '--data', str(tmp_path / 'rec.csv'), '--output',
                     str(tmp_path / 'cal.yaml')]) == 0
    out = capsys.readouterr().out
    assert re.search(r'held-out\s+calibrated', out) and 'only in combination' in out
    assert 'whole joint-space blocks' in out and 'coverage' in out
    arm = TrueArm.load(tmp_path / 'arm.yaml')
    assert np.median(_true_error_mm(arm, load_calibration(tmp_path / 'cal.yaml'))) < 0.1
    assert cli.main(['calibrate', '--data', 'synthetic:100', '--output',
                     str(tmp_path / 'x.yaml')]) == 2  # no measured poses: a clear refusal
    assert 'no measured poses' in capsys.readouterr().err


@pytest.mark.ros
def test_ik_node_with_a_calibration_reaches_the_true_arm(ros, tmp_path):
    from ik_net_ros.nodes.ik_node import IkNode
    from test_ik_node import Probe
    arm = TrueArm(TrueArm.random(seed=9).arm, (0.0, 0.0))
    data = _recording(arm, 600)
    save_calibration(calibrate(data.joints, data.measured, OMX),
                     tmp_path / 'arm.yaml')
    ros.add(IkNode(context=ros.context, parameter_overrides=[
        Parameter('model', value='focused'),
        Parameter('calibration', value=str(tmp_path / 'arm.yaml'))]))
    probe = Probe(ros)
    assert ros.spin_until(lambda: probe.pub.get_subscription_count() > 0)
    target = arm.tool_poses(np.array([0.4, 0.2, -0.3, 0.5]))
    probe.send(target)
    assert ros.spin_until(lambda: probe.commands)
    reached = arm.tool_poses(np.array(probe.commands[-1].position))
    assert np.linalg.norm(reached[:3] - target[:3]) < 3e-4
    nominal = forward_kinematics(np.array(probe.commands[-1].position))
    assert np.linalg.norm(nominal[:3] - target[:3]) > 1e-3  # it did not solve the nominal arm


@pytest.mark.slow
@pytest.mark.timeout(1200)  # ~65 s alone on 2 cores; past 300 s on a machine at load 10+
def test_calibration_demo_meets_the_goal_on_the_simulated_arm(tmp_path, capsys):
    """
    The whole procedure in one command, judged by the simulator's truth on a held-out recording.

    A camera 0.5 m away and turned 33 deg, a marker 35 mm off the tool known from CAD to
    0.5 mm / 0.5 deg, 30 Hz and 30 ms late, 2 % swapped markers, 2,000 stop-and-go rows of a slow
    or still arm (issue 23's setup). Nominal >= 5 mm; the calibrated closed form within 1.2 mm
    median; calibrated + learned correction within 0.6 mm median and 1.5 mm p95 and better than
    the calibration alone (which sag defeats), every step through the public commands.
    """
    import json
    assert cli.main(['calibration-demo', '--output', str(tmp_path)]) == 0
    results = {r['solver'].split(' (')[0]: r for r in
               json.loads((tmp_path / 'results.json').read_text())['results']}
    assert results['nominal closed form']['true_mm_median'] >= 5.0
    calibrated = results['calibrated closed form']['true_mm_median']
    corrected = results['calibrated + fine-tuned']
    assert calibrated < 1.2 and corrected['true_mm_median'] < min(0.6, 0.75 * calibrated)
    assert corrected['true_mm_p95'] < 1.5
    assert (tmp_path / 'errors.png').stat().st_size > 10_000
    out = capsys.readouterr().out
    assert 'truth' in out and 'over the whole workspace' in out


@pytest.mark.ros
def test_ik_node_with_the_corrected_model_tracks_the_true_arm(ros, tmp_path):
    """
    The learned correction is a normal model file.

    Model:= it, and the live node reaches the true (sagging) arm better than the parametric
    calibration alone.
    """
    from ik_net_ros.nodes.ik_node import IkNode
    from test_ik_node import Probe
    arm = TrueArm.random(seed=3)
    data = _recording(arm, 1200)
    data_path = tmp_path / 'rec.csv'
    from ik_net_ros.data import save_dataset
    save_dataset(data, data_path)
    save_calibration(calibrate(data.joints, data.measured, OMX),
                     tmp_path / 'cal.yaml')
    assert cli.main(['train', '--target', 'measured', '--init', 'focused', '--calibration',
                     str(tmp_path / 'cal.yaml'), '--data', str(data_path), '--output',
                     str(tmp_path / 'corr.pt'), '--no-progress', '--epochs', '60']) == 0
    # each target on its own (the branch rule, as offline), all of them clear of the table
    ros.add(IkNode(context=ros.context, parameter_overrides=[
        Parameter('model', value=str(tmp_path / 'corr.pt')),
        Parameter('solution', value='branch')]))
    probe = Probe(ros)
    assert ros.spin_until(lambda: probe.pub.get_subscription_count() > 0)
    joints = np.random.default_rng(5).uniform([-2.5, -0.8, -0.8, -0.8], [2.5, 0.8, 0.8, 0.8],
                                              (80, 4))
    joints = joints[CollisionModel().inflated(0.01).check(joints).clear][:40]
    targets = arm.tool_poses(joints)
    for i, target in enumerate(targets):
        probe.send(target)
        assert ros.spin_until(lambda i=i: len(probe.commands) > i)
    commands = np.array([c.position for c in probe.commands])
    live = 1e3 * np.linalg.norm(arm.tool_poses(commands)[:, :3] - targets[:, :3], axis=1)
    calibrated = _true_error_mm_at(arm, load_calibration(tmp_path / 'cal.yaml'), targets)
    assert np.median(live) < np.median(calibrated)
    # over ROS exactly as offline: the same model file, the same answers
    offline = load_solver(str(tmp_path / 'corr.pt')).solve(targets)
    np.testing.assert_allclose(commands, offline, atol=1e-5)


def _true_error_mm_at(arm, calibrated, targets):
    joints = load_solver('analytic', arm=calibrated).solve(targets, on_unreachable='nearest')
    return 1e3 * np.linalg.norm(arm.tool_poses(joints)[:, :3] - targets[:, :3], axis=1)


def test_swapped_marker_outliers_are_left_out_and_counted():
    """
    2 % of rows carry another configuration's measurement (a swapped marker, a tracker glitch).

    The fit leaves out those rows, no good one, and lands where the clean data does; without
    trimming they pull the calibration millimetres off.
    """
    arm = TrueArm(TrueArm.random(seed=3).arm, (0.0, 0.0))
    data = _recording(arm)
    rng = np.random.default_rng(9)
    bad = rng.choice(len(data), 40, replace=False)
    measured = data.measured.copy()
    measured[bad] = data.measured[rng.permutation(bad)]
    far = np.linalg.norm(measured[bad, :3] - data.measured[bad, :3], axis=1) > 5e-3
    robust = calibrate(data.joints, measured, OMX)
    plain = calibrate(data.joints, measured, OMX, trim=None)
    clean = calibrate(data.joints, data.measured, OMX)
    assert set(robust.outliers) <= set(bad.tolist())  # no good row left out
    assert set(bad[far].tolist()) <= set(robust.outliers)  # every one that matters
    assert 'median' in robust.outlier_rule and not robust.problems
    robust_mm, clean_mm = _true_error_mm(arm, robust.arm), _true_error_mm(arm, clean.arm)
    plain_mm = _true_error_mm(arm, plain.arm)
    assert np.median(robust_mm) <= np.median(clean_mm) + 0.05
    assert np.median(plain_mm) > np.median(robust_mm) + 0.5


def test_a_recording_in_a_camera_frame_is_refused_not_written(tmp_path, capsys):
    """
    Measurements in the camera's own frame (0.5 m away, turned 30 deg) fit no OM-X.

    Calibrate says why and exits 2 without writing, unless --force.
    """
    from ik_net_ros.data import save_dataset
    from ik_net_ros.data.dataset import PoseJointSet
    from ik_net_ros.kinematics.rotations import quat_mul as quat_multiply
    arm = TrueArm.random(seed=3)
    data = _recording(arm, rows=600)
    turn = math.radians(30.0)
    c, s = math.cos(turn), math.sin(turn)
    camera = data.measured.copy()
    camera[:, :3] = data.measured[:, :3] @ np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]]).T \
        + [0.5, 0.1, -0.2]
    camera[:, 3:] = quat_multiply(np.array([0, 0, math.sin(turn / 2), math.cos(turn / 2)]),
                                  data.measured[:, 3:])
    path = tmp_path / 'camera.csv'
    save_dataset(PoseJointSet(data.poses, data.joints, {}, camera), path)
    out = tmp_path / 'cal.yaml'
    assert cli.main(['calibrate', '--data', str(path), '--output', str(out)]) == 2
    assert not out.exists() and 'is no open_manipulator_x' in capsys.readouterr().err
    assert cli.main(['calibrate', '--data', str(path), '--output', str(out), '--force']) == 0
    assert out.exists() and 'warning: implausible' in capsys.readouterr().out
    # told that the tracker has a frame of its own, calibrate finds it and fits well
    assert cli.main(['calibrate', '--data', str(path), '--output', str(out),
                     '--tracker-frame', 'estimate']) == 0
    assert 'implausible' not in capsys.readouterr().out
