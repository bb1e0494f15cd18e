"""
The closed form of a planar arm with a wrist roll (the OMX-F) against its URDF chain.

Joints drawn in the real limits -> chain_forward -> IK -> chain_forward is exact, the drawn joints
are among the branches, every branch reaches the pose, and the no-seed branch rule is a function
of the pose (the labels of training data).
"""

from dataclasses import replace
import math

from hypothesis import given
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
from propcheck import fixed_examples
import pytest

ARM = load_arm('omx_f')
SETTINGS = fixed_examples(150)
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


# --- the projection of any pose (kinematics/roll_projection.py) ---

def _euler(a, phi, q5):
    from ik_net_ros.kinematics.roll_projection import _euler as euler
    return euler(np.atleast_1d(a), np.atleast_1d(phi), np.atleast_1d(q5))


def test_projection_leaves_reachable_poses_alone_and_answers_all_of_them(rng):
    from ik_net_ros.kinematics.projection import project_and_solve, project_pose
    poses = chain_forward(ARM, sample_joints(ARM, 3000, rng))
    projected, sol = project_and_solve(poses, ARM)
    assert np.abs(projected - poses).max() < 1e-12
    assert sol.reachable.all()
    np.testing.assert_allclose(project_pose(poses[0], ARM), poses[0], atol=1e-12)


@fixed_examples(25)
@given(q=JOINTS, quat=st.lists(st.floats(-1, 1), min_size=4, max_size=4).filter(
    lambda v: np.linalg.norm(v) > 0.1))
def test_projection_is_the_nearest_feasible_rotation_and_exact(q, quat):
    """Any orientation at a reachable position: the answer beats a 0.5 deg grid of the rest."""
    from ik_net_ros.kinematics.planar import planar_chain
    from ik_net_ros.kinematics.projection import project_and_solve
    from ik_net_ros.kinematics.rigid import matrix_to_quat
    target = chain_forward(ARM, np.array(q))
    target[3:] = np.array(quat) / np.linalg.norm(quat)
    projected, sol = project_and_solve(target[None], ARM)
    np.testing.assert_array_equal(projected[0, :3], target[:3])
    c = planar_chain(ARM)
    dx, dy = target[0] - c.joint1_x, target[1]
    rho, psi = math.hypot(dx, dy), math.atan2(dy, dx)
    rolls, pitches = np.meshgrid(np.linspace(-np.pi, np.pi, 721), np.linspace(-np.pi, np.pi, 721))
    rolls, pitches = rolls.ravel(), pitches.ravel()
    d = c.tool_y * np.cos(rolls) - c.tool_z * np.sin(rolls)
    feasible = np.abs(d) <= rho
    if not feasible.any():  # the TCP nearer joint1's axis than its offset: no plane fits
        return
    planes = psi - np.arcsin(d[feasible] / rho)
    grid = matrix_to_quat(_euler(planes, pitches[feasible], rolls[feasible]))
    best = quat_angle(grid, np.broadcast_to(target[3:], grid.shape)).min()
    assert quat_angle(projected[:, 3:], target[None, 3:])[0] <= best + 1e-9
    result = inverse_kinematics(projected, ARM)  # the projected pose is one the arm takes
    if result.reachable[0] and sol.strict[0].any():
        position, angle = _pose_error(ARM, sol.joints[0, np.argmax(sol.strict[0])],
                                      projected[0])
        assert position < 1e-9 and angle < 1e-9


def test_an_old_omx_file_arm_goes_through_the_projection_as_the_omx():
    """The nominal OM-X an old file describes (the legacy reader's) projects as the OM-X."""
    from ik_net_ros.arm import default_arm
    from ik_net_ros.kinematics.legacy_geometry import legacy_arm
    from ik_net_ros.kinematics.projection import project_and_solve
    from omx_legacy import OMX_GEOMETRY
    poses = chain_forward(default_arm(), sample_joints(default_arm(), 200, 3))
    a, sa = project_and_solve(poses, default_arm())
    b, sb = project_and_solve(poses, legacy_arm(OMX_GEOMETRY))
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(sa.joints, sb.joints)
    with pytest.raises(TypeError, match='expected an Arm'):  # no geometry mapping in its place
        project_and_solve(poses, OMX_GEOMETRY)


# --- branches near a seed (kinematics/nearest.py) ---

def test_nearest_branch_follows_the_seed_and_keeps_every_rule(rng):
    from ik_net_ros.kinematics.nearest import nearest_solutions
    q = sample_joints(ARM, 400, rng)
    poses = chain_forward(ARM, q)
    seeded = nearest_solutions(poses, q, ARM)
    assert seeded.ok.all()
    np.testing.assert_allclose(seeded.joints, q, atol=1e-7)  # the drawn branch, whichever it is
    assert within_limits(ARM, seeded.joints).all()
    # seeded from the over-the-top branch of the same pose: that branch comes back
    sol = ik_solutions(poses, ARM)
    over = sol.strict[:, 2] & ~np.all(np.abs(sol.joints[:, 2] - q) < 1e-6, axis=1)
    again = nearest_solutions(poses[over], sol.joints[over, 2], ARM)
    assert again.ok.all()
    np.testing.assert_allclose(again.joints, sol.joints[over, 2], atol=1e-7)


def test_joint5_seam_a_small_change_never_swings_the_wrist_round():
    """Roll near +-pi: a target a hair across the seam is clamped or refused, never 2 pi away."""
    from ik_net_ros.kinematics.nearest import nearest_solutions
    seed = np.array([0.3, -0.2, 0.4, 0.5, -math.pi + 0.0005])
    target = chain_forward(ARM, np.array([0.3, -0.2, 0.4, 0.5, -math.pi - 0.0005]))
    result = nearest_solutions(target[None], seed[None], ARM)
    if result.ok[0]:
        assert np.abs(result.joints[0] - seed).max() < 0.01
    else:
        assert 'jump' in result.reasons[0]
    # the long way round: joint1 across its seam for a small target change is refused
    seed = np.array([math.pi - 0.0005, -0.2, 0.4, 0.5, 0.1])
    target = chain_forward(ARM, np.array([-math.pi + 0.0005, -0.2, 0.4, 0.5, 0.1]))
    result = nearest_solutions(target[None], seed[None], ARM)
    assert result.ok[0] and abs(result.joints[0, 0] - seed[0]) < 0.01


def test_the_single_pose_twin_is_the_vectorised_projection(rng):
    from ik_net_ros.kinematics.inverse import closed_form, closed_form_one
    from ik_net_ros.kinematics.projection import project_and_solve
    from ik_net_ros.kinematics.projection_one_pose import project_and_solve_one
    poses = chain_forward(ARM, sample_joints(ARM, 60, rng))
    poses[::2, 3:] = rng.normal(size=(30, 4))
    poses[:, 3:] /= np.linalg.norm(poses[:, 3:], axis=1, keepdims=True)
    projected, sol = project_and_solve(poses, ARM)
    many = closed_form(sol)
    for i, pose in enumerate(poses):  # odd rows: poses the arm takes, the plain-float path
        target, one = project_and_solve_one(pose.tolist(), ARM)
        np.testing.assert_allclose(target, projected[i], atol=1e-15)
        assert one.valid == sol.valid[i].tolist() and one.reason == sol.reason[i]
        assert one.strict == sol.strict[i].tolist()
        np.testing.assert_allclose(closed_form_one(one), many[i], atol=1e-12)


def test_closest_reachable_of_a_target_out_of_reach_is_no_farther_than_any_sampled_pose(rng):
    from ik_net_ros.kinematics.closest_reachable import closest_reachable
    cloud = chain_forward(ARM, sample_joints(ARM, 50000, rng))[:, :3]
    targets = np.array([[0.6, 0.1, 0.2, 0.0, 0.0, 0.0, 1.0],  # beyond the stretch
                        [-0.4, -0.3, 0.3, 0.0, 0.7071067811865476, 0.0, 0.7071067811865476],
                        [0.05, 0.0, -0.2, 0.0, 0.0, 0.0, 1.0]])  # under the table's side
    found = closest_reachable(targets, ARM)
    for target, pose in zip(targets, found):
        gap = np.linalg.norm(pose[:3] - target[:3])
        assert gap <= np.linalg.norm(cloud - target[:3], axis=1).min() + 1e-4
        assert inverse_kinematics(pose, ARM).reachable.all()  # a pose the arm takes


def test_paths_of_the_omx_f_keep_its_limits_and_ask_for_its_own_sweep_box(rng):
    from ik_net_ros.kinematics.paths import babble_joints, sweep_pose
    goals = np.array([babble_joints(rng, arm=ARM) for _ in range(200)])
    assert goals.shape == (200, 5)
    assert within_limits(ARM, goals + 0.05).all() and within_limits(ARM, goals - 0.05).all()
    with pytest.raises(ValueError, match='sweep box'):
        sweep_pose(1.0, arm=ARM)
    box = (np.array([0.0, -0.3, 0.2, 0.6, 0.0]), np.array([1.0, 0.3, 0.3, 0.4, 1.0]))
    poses = sweep_pose(np.linspace(0, 60, 601), arm=ARM, box=box)
    assert inverse_kinematics(poses, ARM).reachable.all()


def test_a_small_change_needing_another_branch_is_refused_as_a_jump():
    """joint2 pushed 0.02 rad past its limit: the near answers leave it, the others jump."""
    from ik_net_ros.kinematics.nearest import nearest_solutions
    upper = ARM.upper[1]
    seed = np.array([0.3, upper - 0.001, 1.036, -2.0, 0.1])
    target = chain_forward(ARM, np.array([0.3, upper + 0.02, 1.036, -2.0, 0.1]))
    assert np.linalg.norm(target[:3] - chain_forward(ARM, seed)[:3]) < 0.01  # a small change
    result = nearest_solutions(target[None], seed[None], ARM)
    assert not result.ok[0] and 'jump' in result.reasons[0]
    assert np.isnan(result.joints[0]).all()
    free = nearest_solutions(target[None], seed[None], ARM, max_jump=None)
    assert free.ok[0] and within_limits(ARM, free.joints).all()  # another branch, far away
