"""The public solver API with the closed form, and the refinement step."""

import numpy as np
import pytest

from ik_net_ros import ConfigError, InvalidPoseError, UnreachableError, load_solver
from ik_net_ros.kinematics import (
    JOINT_LOWER,
    JOINT_UPPER,
    forward_kinematics,
    quat_angle,
    sample_joints,
    within_limits,
)
from ik_net_ros.solver.refine import refine_joints


def test_analytic_solves_batches_and_single_poses(rng):
    solver = load_solver('analytic')
    poses = forward_kinematics(sample_joints(1000, rng))
    joints = solver.solve(poses)
    assert joints.shape == (1000, 4) and within_limits(joints).all()
    np.testing.assert_allclose(forward_kinematics(joints)[:, :3], poses[:, :3], atol=1e-9)
    one = solver.solve(poses[0])
    assert one.shape == (4,)
    np.testing.assert_allclose(one, joints[0])


def test_unreachable_raises_with_mask_or_returns_limited_nearest(rng):
    solver = load_solver('analytic')
    poses = forward_kinematics(sample_joints(5, rng))
    poses[2, :3] = [0.9, 0.0, 0.1]
    with pytest.raises(UnreachableError) as info:
        solver.solve(poses)
    assert info.value.mask.tolist() == [False, False, True, False, False]
    assert 'index 2' in str(info.value)
    joints = solver.solve(poses, on_unreachable='nearest')
    assert within_limits(joints).all()
    np.testing.assert_allclose(forward_kinematics(joints[[0, 1, 3, 4]])[:, :3],
                               poses[[0, 1, 3, 4], :3], atol=1e-9)


def test_bad_input_and_bad_names():
    solver = load_solver('analytic')
    with pytest.raises(InvalidPoseError):
        solver.solve([[0.2, 0.0, 0.2, 0.0, 0.0, 0.0, 0.0]])
    with pytest.raises(ConfigError):
        solver.solve([0.2, 0.0, 0.2, 0.0, 0.0, 0.0, 1.0], on_unreachable='ignore')
    with pytest.raises(ConfigError, match='unknown solver'):
        load_solver('iknet9000')


def test_refine_converges_from_perturbed_joints_and_stays_in_limits(rng):
    q = sample_joints(5000, rng)
    poses = forward_kinematics(q)
    guess = np.clip(q + rng.normal(0.0, 0.02, q.shape), JOINT_LOWER, JOINT_UPPER)
    before = np.linalg.norm(forward_kinematics(guess)[:, :3] - poses[:, :3], axis=1)
    refined = refine_joints(poses, guess)
    after = np.linalg.norm(forward_kinematics(refined)[:, :3] - poses[:, :3], axis=1)
    assert np.median(before) > 1e-3
    assert np.quantile(after, 0.999) < 1e-7
    assert quat_angle(forward_kinematics(refined)[:, 3:], poses[:, 3:]).max() < 1e-3
    assert within_limits(refined).all()
