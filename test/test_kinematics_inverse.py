"""Closed-form IK: exact round trips, the branch rule, and unreachable/bad inputs."""

from hypothesis import given, settings
from hypothesis import strategies as st
from ik_net_ros.arm import default_arm
from ik_net_ros.errors import InvalidPoseError
from ik_net_ros.kinematics import (
    clamp_one,
    clamp_to_limits,
    forward_kinematics,
    ik_solutions,
    inverse_kinematics,
    quat_angle,
    sample_joints,
    within_limits,
    within_limits_one,
)
from ik_net_ros.kinematics.inverse import NOT_ARM_ORIENTATION, OUT_OF_REACH, REACHABLE
import numpy as np
import pytest

OMX = default_arm()  # the OM-X, ROBOTIS's humble description


def test_round_trip_10000_configurations(rng):
    q = sample_joints(OMX, 10000, rng)
    poses = forward_kinematics(q)
    result = inverse_kinematics(poses)
    assert result.reachable.all()
    assert within_limits(OMX, result.joints).all()
    back = forward_kinematics(result.joints)
    assert np.abs(back[:, :3] - poses[:, :3]).max() < 1e-9
    assert quat_angle(back[:, 3:], poses[:, 3:]).max() < 1e-7


def test_every_valid_solution_reaches_the_pose(rng):
    poses = forward_kinematics(sample_joints(OMX, 3000, rng))
    sol = ik_solutions(poses)
    both = sol.valid.all(axis=1)
    assert 0.02 < both.mean() < 0.15  # a few percent have two elbows inside the limits
    for k in range(2):
        ok = sol.strict[:, k]
        back = forward_kinematics(sol.joints[ok, k])
        assert np.abs(back[:, :3] - poses[ok, :3]).max() < 1e-9
        # solutions just past a limit (within LIMIT_TOLERANCE) are clamped: close, not exact
        near = sol.valid[:, k] & ~ok
        back = forward_kinematics(sol.joints[near, k])
        assert np.abs(back[:, :3] - poses[near, :3]).max(initial=0.0) < 1e-3
        assert within_limits(OMX, sol.joints[sol.valid[:, k], k]).all()


def test_branch_rule_prefers_elbow_up(rng):
    poses = forward_kinematics(sample_joints(OMX, 3000, rng))
    sol = ik_solutions(poses)
    both = sol.valid.all(axis=1) & sol.strict.all(axis=1)
    picked = inverse_kinematics(poses[both]).joints
    np.testing.assert_allclose(picked, sol.joints[both, 0])
    # elbow up: the elbow angle gamma <= 0, i.e. joint3 lies above the shoulder-wrist line
    assert not np.allclose(sol.joints[both, 0], sol.joints[both, 1])


def test_labels_are_single_valued(rng):
    """Two joint samples with the same pose get the same label."""
    q = sample_joints(OMX, 3000, rng)
    poses = forward_kinematics(q)
    sol = ik_solutions(poses)
    both = np.flatnonzero(sol.valid.all(axis=1) & sol.strict.all(axis=1))
    other = forward_kinematics(sol.joints[both, 1])
    np.testing.assert_allclose(inverse_kinematics(other).joints,
                               inverse_kinematics(poses[both]).joints, atol=1e-9)


def test_reaching_behind_is_solved():
    q = np.array([0.3, -1.2, -0.5, 0.6])  # leaning back over the base
    pose = forward_kinematics(q)
    result = inverse_kinematics(pose)
    assert result.reachable[0]
    np.testing.assert_allclose(forward_kinematics(result.joints[0])[:3], pose[:3], atol=1e-12)


def test_unreachable_is_a_distinct_explained_outcome():
    far = np.array([[1.0, 0.0, 0.2, 0.0, 0.0, 0.0, 1.0]])
    result = inverse_kinematics(far)
    assert not result.reachable[0]
    assert np.isnan(result.joints[0]).all()
    assert result.reason[0] == OUT_OF_REACH
    assert 'far' in result.reason_text(0)


def test_orientation_with_roll_is_not_taken_as_is():
    rolled = np.array([0.2, 0.0, 0.2, np.sin(0.25), 0.0, 0.0, np.cos(0.25)])  # roll 0.5 rad
    result = inverse_kinematics(rolled)
    assert result.reason[0] == NOT_ARM_ORIENTATION and not result.reachable[0]


def test_non_unit_quaternion_is_normalised(rng):
    pose = forward_kinematics(sample_joints(OMX, 1, rng))[0]
    scaled = pose.copy()
    scaled[3:] *= -3.7  # other sign, other norm: same rotation
    a, b = inverse_kinematics(pose), inverse_kinematics(scaled)
    assert b.reason[0] == REACHABLE
    np.testing.assert_allclose(a.joints, b.joints, atol=1e-12)


@pytest.mark.parametrize('bad, match', [
    ([0.2, 0, 0.2, 0, 0, 0, 0], 'zero'),
    ([0.2, np.nan, 0.2, 0, 0, 0, 1], 'NaN'),
    ([0.2, 0, np.inf, 0, 0, 0, 1], 'NaN or inf'),
    ([0.2, 0, 0.2, 0, 0, 1], 'shape'),
    (np.zeros((3, 2, 7)), 'shape'),
    ('not a pose', 'real numbers'),
])
def test_bad_poses_raise_clear_errors(bad, match):
    with pytest.raises(InvalidPoseError, match=match):
        inverse_kinematics(bad)


def test_limits_are_the_reference_values():
    np.testing.assert_allclose(OMX.lower, [-np.pi, -1.5, -1.5, -1.7])
    np.testing.assert_allclose(OMX.upper, [np.pi, 1.5, 1.4, 1.97])


def test_round_trip_with_joint_offsets_and_link_errors():
    """
    A calibrated arm: horn zero offsets and link lengths off by a millimetre.

    The closed form (vectorised and plain-float) inverts the forward kinematics exactly, in
    commanded angles.
    """
    from ik_net_ros.arm import ChainErrors
    from ik_net_ros.kinematics.projection import project_and_solve
    from ik_net_ros.kinematics.projection_one_pose import project_and_solve_one
    from ik_net_ros.kinematics.torch_fk import forward_kinematics_torch
    from omx_legacy import omx_with
    import torch
    g = omx_with(upper_arm_z=0.1291, forearm=0.1232, tool=0.1268,
                 joint_offsets=(0.02, -0.015, 0.01, -0.02))
    q = sample_joints(OMX, 3000, np.random.default_rng(5))
    q = q[np.all((q > OMX.lower + 0.05) & (q < OMX.upper - 0.05), axis=1)]
    poses = forward_kinematics(q, g)
    assert np.median(np.linalg.norm(poses[:, :3] - forward_kinematics(q)[:, :3], axis=1)) > 2e-3
    result = inverse_kinematics(poses, g)
    assert result.reachable.all()
    np.testing.assert_allclose(forward_kinematics(result.joints, g), poses, atol=1e-9)
    _, solutions = project_and_solve(poses, g)
    for i in range(0, len(poses), 97):
        _, one = project_and_solve_one(poses[i].tolist(), g)
        np.testing.assert_allclose(one.pick(), result.joints[i], atol=1e-9)
    torch_poses = forward_kinematics_torch(torch.as_tensor(q), g).numpy()
    np.testing.assert_allclose(torch_poses, poses, atol=1e-12)
    # a model file's arm record: lists from JSON come back as tuples, the same arm
    again = g.nominal().with_errors(ChainErrors.from_vector(g.errors.as_vector().tolist()))
    assert again == g and hash(again) == hash(g)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(joints=st.lists(st.one_of(st.floats(-4.0, 4.0), st.floats(allow_nan=True),
                                 st.sampled_from([float(v) for v in OMX.lower] +
                                                 [float(v) for v in OMX.upper] +
                                                 [np.nan, np.inf, -np.inf])),
                       min_size=4, max_size=4))
def test_single_joint_vector_limit_check_is_the_array_check(joints):
    """
    The live node's last check of a command, in Python floats.

    It says what within_limits says, limits themselves inside, NaN outside.
    """
    assert within_limits_one(OMX, joints) == bool(within_limits(OMX, np.array(joints)))


@settings(max_examples=300, deadline=None, derandomize=True)
@given(joints=st.lists(st.one_of(st.floats(-4.0, 4.0), st.floats(allow_nan=True),
                                 st.floats(-4.0, 4.0, width=32),
                                 st.sampled_from([float(v) for v in OMX.lower] +
                                                 [float(v) for v in OMX.upper] +
                                                 [np.nan, np.inf, -np.inf, -0.0])),
                       min_size=4, max_size=4))
def test_single_joint_vector_clamp_is_the_array_clamp(joints):
    """The single-pose path's clamp (Python floats) gives clamp_to_limits's values, NaN kept."""
    np.testing.assert_array_equal(clamp_one(OMX, joints), clamp_to_limits(OMX, np.array(joints)))


@settings(max_examples=500, deadline=None, derandomize=True)
@given(angle=st.one_of(st.floats(-30.0, 30.0), st.sampled_from(
    [np.pi, -np.pi, 3 * np.pi, -3 * np.pi, 2 * np.pi, 0.0, -0.0, np.nextafter(np.pi, 4.0)])))
def test_wrap_is_the_same_angle_in_minus_pi_to_pi(angle):
    """
    The closed form's cheap wrap (ceil, not a floating remainder), batch and single pose.

    The same angle (cos and sin agree), in (-pi, pi] give or take rounding, pi stays pi.
    """
    from ik_net_ros.kinematics.inverse import _wrap
    from ik_net_ros.kinematics.projection_one_pose import _wrap as wrap_one
    wrapped = float(_wrap(np.array([angle]))[0])
    assert wrapped == wrap_one(angle)
    assert -np.pi - 1e-15 < wrapped <= np.pi + 1e-15
    assert abs(np.cos(wrapped) - np.cos(angle)) < 1e-14 and abs(
        np.sin(wrapped) - np.sin(angle)) < 1e-14
    if angle == np.pi:
        assert wrapped == np.pi


@settings(max_examples=100, deadline=None, derandomize=True)
@given(rows=st.lists(st.lists(st.one_of(st.floats(-4.0, 4.0), st.floats(allow_nan=True),
                                        st.sampled_from([-0.0, 1e308, -np.inf])),
                              min_size=4, max_size=4), min_size=1, max_size=8),
       repeats=st.integers(1, 80), as_float32=st.booleans())
def test_clamping_many_rows_is_np_clip(rows, repeats, as_float32):
    """
    Large batches are clamped joint by joint (the fast way).

    The answer is np.clip's for any values and sizes, NaN staying NaN, always float64 and inside
    the limits.
    """
    with np.errstate(over='ignore'):  # 1e308 as float32 is inf: one more value to clamp
        joints = np.tile(np.array(rows, np.float32 if as_float32 else np.float64), (repeats, 1))
    clamped = clamp_to_limits(OMX, joints)
    expected = np.clip(joints, OMX.lower, OMX.upper)
    assert clamped.dtype == expected.dtype == np.float64
    np.testing.assert_array_equal(clamped, expected)
    finite = ~np.isnan(clamped)
    assert np.all(((clamped >= OMX.lower) & (clamped <= OMX.upper))[finite])
