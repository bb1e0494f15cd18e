"""The public solver API with the closed form, and the refinement step."""

from ik_net_ros import ConfigError, InvalidPoseError, load_solver, UnreachableError
from ik_net_ros.arm import default_arm
from ik_net_ros.kinematics import forward_kinematics, quat_angle, sample_joints, within_limits
from ik_net_ros.solver.refine import refine_joints
import numpy as np
import pytest

OMX = default_arm()  # the OM-X, ROBOTIS's humble description


def test_analytic_solves_batches_and_single_poses(rng):
    solver = load_solver('analytic')
    poses = forward_kinematics(sample_joints(OMX, 1000, rng))
    joints = solver.solve(poses)
    assert joints.shape == (1000, 4) and within_limits(OMX, joints).all()
    np.testing.assert_allclose(forward_kinematics(joints)[:, :3], poses[:, :3], atol=1e-9)
    one = solver.solve(poses[0])
    assert one.shape == (4,)
    np.testing.assert_allclose(one, joints[0])


def test_unreachable_raises_with_mask_or_returns_limited_nearest(rng):
    solver = load_solver('analytic')
    poses = forward_kinematics(sample_joints(OMX, 5, rng))
    poses[2, :3] = [0.9, 0.0, 0.1]
    with pytest.raises(UnreachableError) as info:
        solver.solve(poses)
    assert info.value.mask.tolist() == [False, False, True, False, False]
    assert 'index 2' in str(info.value)
    joints = solver.solve(poses, on_unreachable='nearest')
    assert within_limits(OMX, joints).all()
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
    q = sample_joints(OMX, 5000, rng)
    poses = forward_kinematics(q)
    guess = np.clip(q + rng.normal(0.0, 0.02, q.shape), OMX.lower, OMX.upper)
    before = np.linalg.norm(forward_kinematics(guess)[:, :3] - poses[:, :3], axis=1)
    refined = refine_joints(poses, guess)
    after = np.linalg.norm(forward_kinematics(refined)[:, :3] - poses[:, :3], axis=1)
    assert np.median(before) > 1e-3
    assert np.quantile(after, 0.999) < 1e-7
    assert quat_angle(forward_kinematics(refined)[:, 3:], poses[:, 3:]).max() < 1e-3
    assert within_limits(OMX, refined).all()


@pytest.mark.parametrize('name', ['analytic', 'focused'])
def test_small_batches_take_the_single_pose_path_with_the_same_answers(name):
    """
    (N, 7) with N <= 64 runs pose by pose.

    Cheaper than the vectorised pipeline's fixed cost there: same joints, same unreachable mask
    and message form as the batch path.
    """
    from ik_net_ros import load_solver, UnreachableError
    from ik_net_ros.kinematics import forward_kinematics, sample_joints
    from ik_net_ros.solver.base import SMALL_BATCH
    solver = load_solver(name)
    poses = forward_kinematics(sample_joints(OMX, SMALL_BATCH + 100, 11))
    np.testing.assert_allclose(solver.solve(poses[:SMALL_BATCH]),
                               solver.solve(poses)[:SMALL_BATCH], atol=1e-5)
    far = poses[:5].copy()
    far[[1, 3], 0] = 2.0  # out of reach
    with pytest.raises(UnreachableError) as small:
        solver.solve(far)
    with pytest.raises(UnreachableError) as large:
        solver.solve(np.concatenate([far, poses[5:SMALL_BATCH + 10]]))
    assert small.value.mask.tolist() == [False, True, False, True, False]
    assert large.value.mask[:5].tolist() == small.value.mask.tolist()
    assert str(small.value).startswith('2 of 5 target(s) unreachable; first, index 1')
    nearest = solver.solve(far, on_unreachable='nearest')
    assert nearest.shape == (5, 4) and np.all(np.isfinite(nearest))
