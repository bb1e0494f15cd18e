"""
The solver's whole pipeline on the OMY-F3M (6 joints, the UR layout), checked on its URDF chain.

Poses are the chain's own (:func:`chain_forward` of joints drawn inside the real limits), so
each is reachable by some branch; the rules are :mod:`ik_net_ros.solver.ur_pipeline`'s.
"""

import math

from hypothesis import given, settings
from hypothesis import strategies as st
from ik_net_ros.arm import ChainErrors, load_arm
from ik_net_ros.errors import UnreachableError
from ik_net_ros.kinematics.chain import chain_forward
from ik_net_ros.kinematics.closed_forms import closed_form_kind, PLANAR, ROLL_PLANAR, UR
from ik_net_ros.kinematics.collision import CollisionModel
from ik_net_ros.kinematics.limits import sample_joints, within_limits
from ik_net_ros.kinematics.nearest import SEAM, small_change
from ik_net_ros.kinematics.rotations import quat_angle
from ik_net_ros.kinematics.target_frames import TargetFrames
from ik_net_ros.kinematics.ur_branches import family_solution, home_branch
from ik_net_ros.kinematics.ur_closed_form import branch_of
from ik_net_ros.solver import load_solver
from ik_net_ros.solver.ik_request import (
    ArmNames,
    IkRequest,
    NO_IK_SOLUTION,
    solve_request,
    SUCCESS,
)
from ik_net_ros.solver.real_jump import REACH_TOLERANCE
import numpy as np
import pytest

ARM = load_arm('omy_f3m')
SETTINGS = settings(max_examples=15, deadline=None)
seeds = st.integers(0, 2 ** 32 - 1)


def _solver(collision: bool = True, arm=ARM):
    solver = load_solver('analytic', arm=arm)
    if collision:
        solver.collision = CollisionModel(solver.arm, 0.01, None)
    return solver


def _exact(answers, poses, arm=ARM, tolerance=1e-9) -> None:
    reached = chain_forward(arm, np.atleast_2d(answers))
    poses = np.atleast_2d(poses)
    assert np.linalg.norm(reached[:, :3] - poses[:, :3], axis=1).max() < tolerance
    assert quat_angle(reached[:, 3:], poses[:, 3:]).max() < 1e-8


def _clear_configs(count: int, rng) -> np.ndarray:
    """Joints inside the limits, clear of the table and the arm itself (the arm's real states)."""
    model = CollisionModel(ARM, 0.01, None)
    q = sample_joints(ARM, 40 * count + 40, rng)  # about a quarter is clear
    return q[model.check(q).clear][:count]


def test_the_closed_form_is_chosen_by_shape():
    """One place picks the closed form: the OM-X planar, the OMX-F roll planar, the OMY UR."""
    assert closed_form_kind(load_arm('open_manipulator_x')) == PLANAR
    assert closed_form_kind(load_arm('omx_f')) == ROLL_PLANAR
    assert closed_form_kind(ARM) == UR and closed_form_kind(load_arm('omy_3m')) == UR
    assert load_solver('analytic', arm='omy_f3m').kind == UR


@SETTINGS
@given(seed=seeds, count=st.sampled_from([1, 7, 300]))
def test_without_a_seed_the_home_family_answers_exactly(seed, count):
    """Every pose its family reaches is answered exactly in that family; the rest refused."""
    solver = _solver(collision=False)
    poses = chain_forward(ARM, sample_joints(ARM, count, seed))
    family = family_solution(ARM, poses)
    reached = poses[family.found]
    if len(reached):
        answers = solver.solve(reached)
        assert within_limits(ARM, answers).all()
        _exact(answers, reached)
        assert (branch_of(ARM, answers) == home_branch(ARM)).all()
    if not family.found.all():
        with pytest.raises(UnreachableError) as err:
            solver.solve(poses)
        assert (err.value.mask == ~family.found).all()


@SETTINGS
@given(seed=seeds)
def test_a_seeded_pose_of_the_seed_itself_is_the_seed(seed):
    """FK(q) seeded at q gives q back (the nearest branch, each joint's nearest turn)."""
    q = _clear_configs(20, np.random.default_rng(seed))
    solver = _solver()
    answers = solver.solve(chain_forward(ARM, q), seed=q)
    assert np.abs(answers - q).max() < 1e-6
    one = solver.solve(chain_forward(ARM, q[0]), seed=q[0])  # the single-pose fast path
    assert np.abs(one - q[0]).max() < 1e-6


@SETTINGS
@given(seed=seeds, step=st.floats(1e-4, 0.009), turn=st.floats(0.0, 0.05))
def test_a_small_target_change_never_jumps_nor_goes_the_long_way(seed, step, turn):
    """
    A target within the jump window of where the arm is: a small move or a refusal.

    Every answer is inside the limits, exact, clear of the table and the arm itself, moves no
    joint more than max_jump and none the long way round (over pi).
    """
    rng = np.random.default_rng(seed)
    q = _clear_configs(10, rng)
    solver = _solver()
    start = chain_forward(ARM, q)
    axis = rng.normal(size=(len(q), 3))
    targets = start.copy()
    targets[:, :3] += step * axis / np.linalg.norm(axis, axis=1, keepdims=True)
    rot = rng.normal(size=(len(q), 3))
    rot *= np.sin(turn / 2) / np.linalg.norm(rot, axis=1, keepdims=True)
    small = np.concatenate([rot, np.full((len(q), 1), math.cos(turn / 2))], axis=1)
    targets[:, 3:] = _quat_mul(start[:, 3:], small)
    for pose, seed_q in zip(targets, q):
        try:
            answer = solver.solve(pose, seed=seed_q)
        except UnreachableError:
            continue
        assert within_limits(ARM, answer[None]).all()
        assert solver.collision.clear_one(answer.tolist())
        assert np.abs(answer - seed_q).max() <= solver.max_jump
        _exact(answer, pose)


def _quat_mul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    ax, ay, az, aw = a.T
    bx, by, bz, bw = b.T
    return np.stack([aw * bx + ax * bw + ay * bz - az * by, aw * by - ax * bz + ay * bw + az * bx,
                     aw * bz + ax * by - ay * bx + az * bw, aw * bw - ax * bx - ay * by - az * bz],
                    axis=1)


@SETTINGS
@given(seed=seeds)
def test_a_seeded_path_moves_continuously(seed):
    """
    A path of small steps from a clear state: every answer a small move from the last.

    Within the jump window of where the arm is (10 mm and 5 deg of its whole rotation), no joint
    moves more than max_jump and none the long way round; every answer is clear and inside the
    limits.
    """
    rng = np.random.default_rng(seed)
    a = _clear_configs(1, rng)[0]
    b = np.clip(a + rng.uniform(-0.6, 0.6, ARM.dof), ARM.lower, ARM.upper)
    solver = _solver()
    path = chain_forward(ARM, a + np.linspace(0, 1, 40)[:, None] * (b - a))
    at = a
    for pose in path:
        try:
            answer = solver.solve(pose, seed=at, on_unreachable='nearest')
        except UnreachableError:
            break
        move = np.abs(answer - at)
        if small_change(pose[None], at[None], ARM)[0]:  # the jump window: 10 mm, 5 deg
            assert move.max() <= min(solver.max_jump, SEAM)
        assert solver.collision.clear_one(answer.tolist())
        assert within_limits(ARM, answer[None]).all()
        at = answer


@SETTINGS
@given(seed=seeds)
def test_a_seeded_answer_is_the_nearest_safe_branch(seed):
    """Seeded far from the answer: the nearest of every clear branch, each joint's nearest turn."""
    rng = np.random.default_rng(seed)
    q, seed_q = _clear_configs(2, rng)
    solver = _solver()
    pose = chain_forward(ARM, q)
    solver.max_jump = None
    try:
        answer = solver.solve(pose, seed=seed_q)
    except UnreachableError:
        return
    _exact(answer, pose)
    assert solver.collision.clear_one(answer.tolist())
    # q itself (some branch of the pose, clear) is no nearer than the answer, up to 2 pi turns
    turned = q + 2 * math.pi * np.round((seed_q - q) / (2 * math.pi))
    if within_limits(ARM, turned[None]).all() and np.abs(turned - seed_q).max() <= SEAM:
        assert np.linalg.norm(answer - seed_q) <= np.linalg.norm(turned - seed_q) + 1e-6


def test_an_unreachable_target_is_refused_or_the_arm_stays():
    """Out of reach: refused ('raise'); with a seed and 'nearest' the arm stays where it is."""
    solver = _solver()
    far = np.array([2.0, 0.0, 0.5, 0.0, 0.0, 0.0, 1.0])
    with pytest.raises(UnreachableError, match='out of reach'):
        solver.solve(far)
    with pytest.raises(UnreachableError):
        solver.solve(far, seed=ARM.home)
    assert np.array_equal(solver.solve(far, seed=ARM.home, on_unreachable='nearest'), ARM.home)
    under = chain_forward(ARM, ARM.home).copy()
    under[2] = -0.2  # under the table
    with pytest.raises(UnreachableError):
        solver.solve(under, seed=ARM.home)


@SETTINGS
@given(seed=seeds, tilt=st.floats(0.0, 0.007))
def test_a_leaning_omy_is_answered_in_its_own_geometry(seed, tilt):
    """A calibrated OMY whose axes lean: the closed form upright, refined on its own chain."""
    rng = np.random.default_rng(seed)
    zero = ChainErrors.zeros(ARM.dof)
    leaning = ARM.with_errors(ChainErrors(zero.offsets, zero.origin_deltas, tuple(
        tuple(v) for v in rng.uniform(-tilt, tilt, (ARM.dof, 2)))))
    solver = _solver(arm=leaning)
    q = _clear_configs(10, rng)
    poses = chain_forward(leaning, q)
    answered = 0
    for pose, seed_q in zip(poses, q):
        try:
            answer = solver.solve(pose, seed=seed_q)
        except UnreachableError:
            continue
        answered += 1
        assert within_limits(ARM, answer[None]).all()
        assert solver.collision.clear_one(answer.tolist())
        gap = np.linalg.norm(chain_forward(leaning, answer)[:3] - pose[:3])
        assert gap <= REACH_TOLERANCE
    assert answered >= 0.8 * len(q)


@SETTINGS
@given(seed=seeds)
def test_moveit_requests_of_the_omy(seed):
    """solve_ik's core with the OMY's names: an exact answer nearest the seed, or NO_IK."""
    solver = _solver()
    names = ArmNames.of(ARM)
    rng = np.random.default_rng(seed)
    q = _clear_configs(1, rng)[0]
    pose = chain_forward(ARM, q)
    near = np.clip(q + rng.uniform(-0.02, 0.02, ARM.dof), ARM.lower, ARM.upper)
    request = IkRequest(pose=pose.tolist(), frame='', seed=dict(zip(names.joints, near)))
    answer = solve_request(request, solver, TargetFrames(), names)
    assert answer.code in (SUCCESS, NO_IK_SOLUTION)
    if answer.code == SUCCESS:
        assert len(answer.joints) == ARM.dof
        _exact(np.array(answer.joints), pose)
        assert np.abs(np.subtract(answer.joints, near)).max() <= solver.max_jump + 1e-12
        assert solver.collision.clear_one(list(answer.joints))


def test_reach_and_evaluate_take_the_omy(capsys):
    """is_reachable dispatches by shape (it raised NotPlanarError), so `evaluate` runs."""
    from ik_net_ros.kinematics import is_reachable
    from ik_net_ros.tools import cli
    poses = chain_forward(ARM, sample_joints(ARM, 50, 3))
    assert is_reachable(poses, ARM).all() and is_reachable(poses[0], ARM) is True
    far = poses[0].copy()
    far[:3] = [2.0, 0.0, 0.5]
    assert is_reachable(far, ARM) is False
    assert cli.main(['evaluate', '--arm', 'omy_f3m', '--model', 'analytic',
                     '--data', 'synthetic:200:5']) == 0
    assert 'position_mm_median' in capsys.readouterr().out
