"""
The closed form of a planar arm with a wrist roll (the OMX-F) against its URDF chain.

Joints drawn in the real limits -> chain_forward -> IK -> chain_forward is exact, the drawn joints
are among the branches, every branch reaches the pose, and the no-seed branch rule is a function
of the pose (the labels of training data).
"""

from dataclasses import replace
import math

from hypothesis import given, HealthCheck, settings
from hypothesis import strategies as st
from ik_net_ros.arm import ChainErrors, load_arm
from ik_net_ros.kinematics.chain import chain_forward
from ik_net_ros.kinematics.inverse import (
    ik_solutions,
    inverse_kinematics,
    NOT_ARM_ORIENTATION,
    OUT_OF_REACH,
    REACHABLE,
)
from ik_net_ros.kinematics.limits import sample_joints, within_limits
from ik_net_ros.kinematics.rotations import quat_angle
import numpy as np
import pytest

ARM = load_arm('omx_f')
SETTINGS = settings(max_examples=150, deadline=None, derandomize=True, database=None,
                    suppress_health_check=list(HealthCheck))
JOINTS = st.tuples(*(st.floats(lo, hi) for lo, hi in ARM.limits))


def _close_to_some_branch(solutions, q, index=0):
    """Return the largest joint difference (rad) of ``q`` to its nearest branch."""
    diff = np.abs(solutions.joints[index] - np.asarray(q)[None, :])
    return float(np.nanmin(np.nanmax(diff, axis=1)))


def _pose_error(arm, joints, poses):
    back = chain_forward(arm, joints)
    return (np.abs(back[..., :3] - poses[..., :3]).max(),
            quat_angle(np.atleast_2d(back[..., 3:]), np.atleast_2d(poses[..., 3:])).max())


@SETTINGS
@given(q=JOINTS)
def test_round_trip_of_joints_drawn_in_the_limits_is_exact(q):
    pose = chain_forward(ARM, np.array(q))
    result = inverse_kinematics(pose, ARM)
    assert result.reachable.all()
    assert within_limits(ARM, result.joints).all()
    position, angle = _pose_error(ARM, result.joints[0], pose)
    assert position < 1e-9 and angle < 1e-9
    sol = ik_solutions(pose, ARM)
    assert sol.joints.shape == (1, 4, 5)
    # the drawn joints are one of the branches (1e-7 rad: a stretched elbow's acos loses
    # half the digits; the pose above is exact to 1e-9 regardless)
    assert _close_to_some_branch(sol, q) < 1e-7
    for k in np.flatnonzero(sol.strict[0]):  # every branch inside the limits is exact
        position, angle = _pose_error(ARM, sol.joints[0, k], pose)
        assert position < 1e-9 and angle < 1e-9


def test_every_reachable_pose_is_answered_and_every_branch_reaches_it(rng):
    q = sample_joints(ARM, 20000, rng)
    poses = chain_forward(ARM, q)
    sol = ik_solutions(poses, ARM)
    assert (sol.reason == REACHABLE).all()  # 100 % of reachable poses answered
    assert (np.abs(np.nanmax(np.abs(sol.joints - q[:, None]), axis=2)).min(axis=1)
            < 1e-7).all()
    for k in range(4):
        ok = sol.strict[:, k]
        assert ok.any()  # each of the four branches occurs inside the limits
        position, angle = _pose_error(ARM, sol.joints[ok, k], poses[ok])
        assert position < 1e-9 and angle < 1e-9
        assert within_limits(ARM, sol.joints[sol.valid[:, k], k]).all()


def test_over_the_top_is_the_front_turned_by_pi_with_pitch_mirrored_and_roll_turned():
    q = np.array([0.3, -0.2, 0.4, 0.5, 0.7])
    sol = ik_solutions(chain_forward(ARM, q), ARM)
    front, over = sol.joints[0, 0], sol.joints[0, 2]
    np.testing.assert_allclose(front, q, atol=1e-12)
    assert math.isclose(over[0], q[0] - math.pi, abs_tol=1e-12)
    pitch = over[1] + over[2] + over[3]
    assert math.isclose(math.remainder(pitch - (math.pi - q[1:4].sum()), 2 * math.pi), 0.0,
                        abs_tol=1e-12)
    assert math.isclose(math.remainder(over[4] - (q[4] + math.pi), 2 * math.pi), 0.0,
                        abs_tol=1e-12)


@pytest.mark.parametrize('joint', [3, 4])
def test_a_joint_at_minus_pi_comes_back_at_minus_pi_inside_its_limits(joint):
    q = np.array([0.2, -0.3, 0.5, 0.4, 0.1])
    q[joint] = -math.pi  # pi wraps to +pi, outside [-pi, pi - 0.0015]: the other turn is in
    sol = ik_solutions(chain_forward(ARM, q), ARM)
    assert sol.strict[0, 0]
    np.testing.assert_allclose(sol.joints[0, 0], q, atol=1e-9)


def test_no_seed_branch_rule_is_a_function_of_the_pose(rng):
    """The label of a pose: front before over the top, elbow up before down, strict first."""
    q = sample_joints(ARM, 3000, rng)
    poses = chain_forward(ARM, q)
    sol = ik_solutions(poses, ARM)
    picked = inverse_kinematics(poses, ARM).joints
    first_strict = np.argmax(sol.strict, axis=1)
    np.testing.assert_array_equal(picked, sol.joints[np.arange(len(q)), first_strict])
    # the same pose, given again with its quaternion negated: the same label
    flipped = poses.copy()
    flipped[:, 3:] *= -1
    np.testing.assert_allclose(inverse_kinematics(flipped, ARM).joints, picked, atol=1e-12)


def test_pose_the_arm_cannot_take_and_out_of_reach_are_explained():
    pose = chain_forward(ARM, np.array([0.3, -0.2, 0.4, 0.5, 0.7]))
    yawed = pose.copy()
    yawed[3:] = [0.0, 0.0, math.sin(0.2), math.cos(0.2)]  # tool x axis 0.2 rad off the plane
    far = chain_forward(ARM, np.array([0.3, -0.2, 0.4, 0.5, 0.7]))
    heading = np.array([math.cos(0.3), math.sin(0.3), 0.0])
    far[:3] += 0.4 * heading  # the wrist 40 cm further along the arm's plane: beyond reach
    result = inverse_kinematics(np.stack([yawed, far]), ARM)
    assert not result.reachable.any()
    assert result.reason.tolist() == [NOT_ARM_ORIENTATION, OUT_OF_REACH]
    assert np.isnan(result.joints).all()


def test_a_calibrated_arm_is_inverted_in_commanded_angles(rng):
    errors = replace(ARM.errors, offsets=(0.02, -0.015, 0.01, -0.02, 0.03),
                     origin_deltas=((0.0, 0.0, 0.001),) + ARM.errors.origin_deltas[1:3]
                     + ((0.0011, 0.0, 0.0),) + ARM.errors.origin_deltas[4:],
                     tool_delta=(0.001, 0.0005, -0.0004))
    arm = ARM.with_errors(ChainErrors(**{**errors.__dict__}))
    q = sample_joints(arm, 3000, rng)
    q = q[within_limits(arm, q + 0.05) & within_limits(arm, q - 0.05)]
    poses = chain_forward(arm, q)
    assert np.median(np.linalg.norm(poses[:, :3] - chain_forward(ARM, q)[:, :3], axis=1)) > 1e-3
    result = inverse_kinematics(poses, arm)
    assert result.reachable.all()
    position, angle = _pose_error(arm, result.joints, poses)
    assert position < 1e-9 and angle < 1e-9
