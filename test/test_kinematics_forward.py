"""Forward kinematics, the Jacobian and the torch twin against independent references."""

import math

from ik_net_ros.arm import default_arm
from ik_net_ros.errors import InvalidJointsError
from ik_net_ros.kinematics import forward_kinematics, jacobian, quat_to_matrix, sample_joints
from ik_net_ros.kinematics.torch_fk import forward_kinematics_torch
from ik_net_ros.solver.refine import pose_error
import numpy as np
import pytest
import torch

OMX = default_arm()  # the OM-X, ROBOTIS's humble description

# The URDF's joints, written out independently of the arm layer: (origin xyz, axis).
URDF_CHAIN = [((0.012, 0.0, 0.017), 'z'), ((0.0, 0.0, 0.0595), 'y'),
              ((0.024, 0.0, 0.128), 'y'), ((0.124, 0.0, 0.0), 'y')]
URDF_TOOL = (0.126, 0.0, 0.0)


def _transform(xyz, axis, angle):
    c, s = math.cos(angle), math.sin(angle)
    rot = {'z': [[c, -s, 0], [s, c, 0], [0, 0, 1]], 'y': [[c, 0, s], [0, 1, 0], [-s, 0, c]]}[axis]
    t = np.eye(4)
    t[:3, :3] = rot
    t[:3, 3] = xyz
    return t


def _chain_fk(q):
    t = np.eye(4)
    for (xyz, axis), angle in zip(URDF_CHAIN, q):
        t = t @ _transform(xyz, axis, angle)
    return t @ _transform(URDF_TOOL, 'z', 0.0)


def test_zero_pose_is_reference_point():
    pose = forward_kinematics([0.0, 0.0, 0.0, 0.0])
    np.testing.assert_allclose(pose[:3], [0.286, 0.0, 0.2045], atol=1e-12)
    np.testing.assert_allclose(pose[3:], [0.0, 0.0, 0.0, 1.0], atol=1e-12)


def test_matches_independent_transform_chain(rng):
    q = sample_joints(OMX, 500, rng)
    poses = forward_kinematics(q)
    for qi, pose in zip(q, poses):
        t = _chain_fk(qi)
        np.testing.assert_allclose(pose[:3], t[:3, 3], atol=1e-12)
        np.testing.assert_allclose(quat_to_matrix(pose[3:]), t[:3, :3], atol=1e-12)


def test_quaternion_is_unit_and_canonical(rng):
    poses = forward_kinematics(sample_joints(OMX, 2000, rng))
    np.testing.assert_allclose(np.linalg.norm(poses[:, 3:], axis=1), 1.0, atol=1e-12)
    assert np.all(poses[:, 6] >= 0.0)


def test_jazzy_geometry_is_17mm_lower(rng):
    q = sample_joints(OMX, 50, rng)
    diff = forward_kinematics(q, OMX) - forward_kinematics(q, default_arm('jazzy'))
    np.testing.assert_allclose(diff[:, 2], 0.017, atol=1e-12)
    np.testing.assert_allclose(np.delete(diff, 2, axis=1), 0.0, atol=1e-12)


def test_torch_twin_matches_numpy_and_has_gradients(rng):
    q = sample_joints(OMX, 1000, rng)
    qt = torch.tensor(q, dtype=torch.float64, requires_grad=True)
    poses = forward_kinematics_torch(qt)
    np.testing.assert_allclose(poses.detach().numpy(), forward_kinematics(q), atol=1e-12)
    poses[:, :3].sum().backward()
    assert qt.grad is not None and torch.isfinite(qt.grad).all() and qt.grad.abs().sum() > 0


def test_jacobian_matches_finite_differences(rng):
    q = sample_joints(OMX, 200, rng)
    jac = jacobian(q)
    eps = 1e-7
    for k in range(4):
        dq = np.zeros(4)
        dq[k] = eps
        numeric = (pose_error(forward_kinematics(q + dq), forward_kinematics(q - dq))) / (2 * eps)
        np.testing.assert_allclose(jac[:, :, k], numeric, atol=1e-6)


@pytest.mark.parametrize('bad', [np.zeros(3), np.zeros((2, 5)), [[0, 0, np.nan, 0]],
                                 [[np.inf, 0, 0, 0]], 'abc'])
def test_bad_joints_raise(bad):
    with pytest.raises(InvalidJointsError):
        forward_kinematics(bad)


@pytest.mark.parametrize('name', ['open_manipulator_x', 'omx_f'])
def test_fk_jacobian_and_torch_twin_of_any_arm_are_the_one_chain(name, rng):
    """forward_kinematics / jacobian / the torch twin of an Arm: the URDF chain, any dof."""
    from ik_net_ros.arm import load_arm
    from ik_net_ros.kinematics.chain import chain_forward, chain_jacobian
    from ik_net_ros.kinematics.limits import sample_joints as sample_arm
    arm = load_arm(name)
    q = sample_arm(arm, 300, rng)
    np.testing.assert_array_equal(forward_kinematics(q, arm), chain_forward(arm, q))
    np.testing.assert_array_equal(forward_kinematics(q[0], arm), chain_forward(arm, q[0]))
    jac = jacobian(q, arm)
    np.testing.assert_array_equal(jac, chain_jacobian(arm, q))
    eps = 1e-7
    for k in range(arm.dof):
        dq = np.zeros(arm.dof)
        dq[k] = eps
        numeric = pose_error(forward_kinematics(q + dq, arm),
                             forward_kinematics(q - dq, arm)) / (2 * eps)
        np.testing.assert_allclose(jac[:, :, k], numeric, atol=1e-6)
    qt = torch.tensor(q, dtype=torch.float64, requires_grad=True)
    poses = forward_kinematics_torch(qt, arm)
    np.testing.assert_allclose(poses.detach().numpy(), chain_forward(arm, q), atol=1e-12)
    poses[:, :3].sum().backward()
    assert torch.isfinite(qt.grad).all() and qt.grad.abs().sum() > 0
    with pytest.raises(InvalidJointsError, match=f'\\({arm.dof},\\)'):
        forward_kinematics(np.zeros(arm.dof + 1), arm)
