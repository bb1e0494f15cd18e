"""
The solver's whole pipeline on the OMX-F (5 joints), checked against its URDF chain.

Poses are the chain's own (:func:`chain_forward` of joints drawn inside the real limits): every
one is reachable, so every one is answered, exactly. The OM-X's figures are its own tests'.
"""

from hypothesis import example, given, HealthCheck, settings
from hypothesis import strategies as st
from ik_net_ros.arm import ChainErrors, load_arm
from ik_net_ros.errors import UnreachableError
from ik_net_ros.kinematics.chain import chain_forward
from ik_net_ros.kinematics.collision import CollisionModel
from ik_net_ros.kinematics.limits import sample_joints, within_limits
from ik_net_ros.kinematics.rotations import quat_angle
from ik_net_ros.kinematics.target_frames import TargetFrames
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

ARM = load_arm('omx_f')
SETTINGS = settings(max_examples=20, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])
seeds = st.integers(0, 2 ** 32 - 1)


@pytest.fixture(scope='module')
def analytic():
    return load_solver('analytic', arm='omx_f')


def _exact(answers, poses, arm=ARM) -> None:
    reached = chain_forward(arm, answers)
    assert np.linalg.norm(reached[:, :3] - poses[:, :3], axis=1).max() < 1e-9
    assert quat_angle(reached[:, 3:], poses[:, 3:]).max() < 1e-8


@SETTINGS
@given(seed=seeds, count=st.sampled_from([1, 7, 200]))
def test_the_closed_form_answers_every_reachable_pose_exactly(analytic, seed, count):
    """100 % answered, < 1e-9 m from the chain's pose, inside the real limits: every path."""
    poses = chain_forward(ARM, sample_joints(ARM, count, seed))
    answers = analytic.solve(poses)  # 1: the single-pose rows path, 7 small, 200 batched
    assert answers.shape == (count, ARM.dof) and within_limits(ARM, answers).all()
    _exact(answers, poses)
    one = analytic.solve(poses[0])  # one pose as a flat vector: the single-pose fast path
    assert one.shape == (ARM.dof,)
    _exact(one[None], poses[:1])


@SETTINGS
@given(seed=seeds)
@example(seed=642352)  # the rule's branch blocked: a clamped one 0.57 mm off was taken
def test_answers_are_clear_of_the_table_and_the_body(analytic, seed):
    """With the OMX-F's own collision model: every answer clear and exact, or refused."""
    solver = load_solver('analytic', arm='omx_f')
    solver.collision = CollisionModel(ARM, 0.01)
    q = sample_joints(ARM, 40, seed)
    q = q[solver.collision.check(q).clear]  # targets the arm can reach clear
    if not len(q):
        return
    poses = chain_forward(ARM, q)
    answers = solver.solve(poses, on_unreachable='raise')
    assert within_limits(ARM, answers).all() and solver.collision.check(answers).clear.all()
    _exact(answers, poses)


@SETTINGS
@given(seed=seeds, step=st.floats(-0.01, 0.01))
def test_a_small_target_change_never_jumps(seed, step):
    """Seeded by where the arm is: the answer within max_jump of it, exact, clear."""
    solver = load_solver('analytic', arm='omx_f')
    solver.collision = CollisionModel(ARM, 0.01)
    rng = np.random.default_rng(seed)
    q = sample_joints(ARM, 10, rng)
    q = q[solver.collision.check(q).clear]
    moved = np.clip(q + step * rng.uniform(-1.0, 1.0, q.shape), ARM.lower, ARM.upper)
    for start, goal in zip(q, moved):
        pose = chain_forward(ARM, goal)
        try:
            answer = solver.solve(pose, seed=start)
        except UnreachableError:
            continue  # the target itself not clear (its own solutions), refused: allowed
        assert np.abs(answer - start).max() <= solver.max_jump + 1e-12
        assert solver.collision.clear_one(answer.tolist())
        _exact(answer[None], pose[None])
    if len(q):  # the batch path: seeds (N, 5); a refused row stays at its seed ('nearest')
        answers = solver.solve(chain_forward(ARM, moved), seed=q, on_unreachable='nearest')
        assert answers.shape == q.shape and within_limits(ARM, answers).all()
        assert np.abs(answers - q).max() <= solver.max_jump + 1e-12
        assert solver.collision.check(answers).clear.all()


@SETTINGS
@given(seed=seeds, tilt=st.floats(0.0, 0.007))
def test_a_leaning_omx_f_is_answered_in_its_own_geometry(seed, tilt):
    """
    Poses of the leaning arm: its own tool reaches them (1 mm at worst, most to 1 um).

    A pose the upright (planar) pipeline finds out of reach near the workspace's edge may be
    refused (UnreachableError): never answered with a miss over REACH_TOLERANCE.
    """
    rng = np.random.default_rng(seed)
    zero = ChainErrors.zeros(ARM.dof)
    leaning = ARM.with_errors(ChainErrors(zero.offsets, zero.origin_deltas, tuple(
        tuple(v) for v in rng.uniform(-tilt, tilt, (ARM.dof, 2)))))
    solver = load_solver('analytic', arm=leaning)
    assert solver.arm == leaning and solver.planar_arm == leaning.upright()
    q = sample_joints(ARM, 30, rng)
    poses = chain_forward(leaning, q)
    answers, gaps = [], []
    for pose in poses:
        try:
            answer = solver.solve(pose)
        except UnreachableError:
            continue
        answers.append(answer)
        gaps.append(np.linalg.norm(chain_forward(leaning, answer)[:3] - pose[:3]))
    assert len(answers) >= 0.9 * len(poses)
    assert within_limits(ARM, np.array(answers)).all()
    gaps = np.array(gaps)
    assert gaps.max() <= REACH_TOLERANCE
    assert np.mean(gaps < 1e-6) >= 0.9


@SETTINGS
@given(seed=seeds)
def test_moveit_requests_of_the_omx_f(seed):
    """solve_ik's core with the OMX-F's names: an exact answer nearest the seed, or NO_IK."""
    solver = load_solver('analytic', arm='omx_f')
    solver.collision = CollisionModel(ARM, 0.01)
    names = ArmNames.of(ARM)
    rng = np.random.default_rng(seed)
    q = sample_joints(ARM, 1, rng)[0]
    if not solver.collision.clear_one(q.tolist()):
        return
    pose = chain_forward(ARM, q)
    near = np.clip(q + rng.uniform(-0.02, 0.02, ARM.dof), ARM.lower, ARM.upper)
    request = IkRequest(pose=pose.tolist(), frame='', seed=dict(zip(names.joints, near)))
    answer = solve_request(request, solver, TargetFrames(), names)
    assert answer.code in (SUCCESS, NO_IK_SOLUTION)
    if answer.code == SUCCESS:
        assert len(answer.joints) == ARM.dof
        _exact(np.array([answer.joints]), pose[None])
        assert np.abs(np.subtract(answer.joints, near)).max() <= solver.max_jump + 1e-12
