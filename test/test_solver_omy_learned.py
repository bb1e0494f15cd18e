"""
A learned solver of the OMY-F3M (the shipped models/omy_f3m/*.pt) through the UR pipeline.

The network answers the home branch family (what it was trained on); the rules are
:func:`ik_net_ros.solver.ur_pipeline._learned`'s: the network alone without a seed or collision
model, else its answer only where it lies on the safe closed-form choice's branch, is clear and
keeps the seeded rules; ``refine`` makes it exact.
"""

from hypothesis import given, settings
from hypothesis import strategies as st
from ik_net_ros.arm import load_arm
from ik_net_ros.kinematics.chain import chain_forward
from ik_net_ros.kinematics.collision import CollisionModel
from ik_net_ros.kinematics.limits import clamp_to_limits, sample_joints, within_limits
from ik_net_ros.kinematics.nearest import BRANCH_MATCH
from ik_net_ros.kinematics.rotations import quat_angle
from ik_net_ros.kinematics.ur_branches import family_solution
from ik_net_ros.solver import load_solver
import numpy as np
import pytest

ARM = load_arm('omy_f3m')
SETTINGS = settings(max_examples=10, deadline=None)
seeds = st.integers(0, 2 ** 32 - 1)


@pytest.fixture(scope='module')
def focused():
    """Return the shipped focused model of the OMY-F3M."""
    return load_solver('focused', arm='omy_f3m')


def _family_poses(count: int, rng) -> np.ndarray:
    """Return poses the home family reaches inside the limits (what the network learned)."""
    poses = chain_forward(ARM, sample_joints(ARM, 3 * count + 10, rng))
    return poses[family_solution(ARM, poses).found][:count]


def _clear_path(rng, steps: int = 12) -> np.ndarray:
    """Return joints (steps, 6) of a short clear wander: the seeded live case."""
    model = CollisionModel(ARM, 0.01, None)
    for _ in range(200):
        start = sample_joints(ARM, 1, rng)[0]
        direction = rng.normal(size=ARM.dof)
        path = clamp_to_limits(ARM, start + np.linspace(0, 0.02, steps)[:, None]
                               * direction / np.linalg.norm(direction))
        if model.check(path).clear.all():
            return path
    raise AssertionError('no clear path drawn')


def test_the_shipped_model_is_the_omys(focused):
    """The model loads for the OMY by name, and answers six joints per pose."""
    assert focused.arm.digest == ARM.digest
    assert focused.solve(chain_forward(ARM, ARM.home)).shape == (ARM.dof,)


@SETTINGS
@given(seed=seeds)
def test_without_a_seed_the_network_alone_answers_its_family(focused, seed):
    """No seed, no collision model: the network's own answer, clamped (the figure's source)."""
    poses = _family_poses(64, np.random.default_rng(seed))
    answers = focused.solve(poses)
    assert within_limits(ARM, answers).all()
    own = clamp_to_limits(ARM, focused._solve(poses, None))
    np.testing.assert_array_equal(answers, own)
    exact = family_solution(ARM, poses).joints
    # the network's answers are of the home family: near its exact solution, not another's
    assert np.median(np.abs(answers - exact).max(axis=1)) < BRANCH_MATCH


@SETTINGS
@given(seed=seeds)
def test_refine_makes_the_network_exact(focused, seed):
    """Refined on the chain, every answer reaches its pose (the closed form backs a stuck row)."""
    poses = _family_poses(64, np.random.default_rng(seed))
    answers = focused.solve(poses, refine=True)
    reached = chain_forward(ARM, answers)
    assert np.linalg.norm(reached[:, :3] - poses[:, :3], axis=1).max() < 1e-7
    assert quat_angle(reached[:, 3:], poses[:, 3:]).max() < 1e-6
    assert within_limits(ARM, answers).all()


@SETTINGS
@given(seed=seeds)
def test_a_seeded_learned_answer_keeps_every_rule_of_the_closed_forms(focused, seed):
    """
    Check a seeded learned answer keeps every rule, with a collision model.

    Each answer is the analytic solver's safe choice or the network's on its branch (within
    BRANCH_MATCH), clear, inside the limits, and no jump from the seed.
    """
    rng = np.random.default_rng(seed)
    path = _clear_path(rng)
    poses = chain_forward(ARM, path)
    model = CollisionModel(ARM, 0.01, None)
    learned = load_solver('focused', arm='omy_f3m')
    learned.collision = model
    exact = load_solver('analytic', arm=ARM)
    exact.collision = model
    q = path[0]
    for pose in poses[1:]:
        mine = learned.solve(pose, seed=q, on_unreachable='nearest')
        safe = exact.solve(pose, seed=q, on_unreachable='nearest')
        assert within_limits(ARM, mine[None]).all()
        assert model.check(mine[None]).clear.all()
        assert np.abs(mine - safe).max() <= BRANCH_MATCH
        assert np.abs(mine - q).max() <= learned.max_jump
        q = mine


def test_the_network_is_used_where_it_may_be(focused):
    """Seeded batches use the network's answer on the chosen branch, not always the closed form."""
    poses = _family_poses(200, np.random.default_rng(7))
    exact = family_solution(ARM, poses).joints
    learned = focused.solve(poses, seed=exact)
    analytic = load_solver('analytic', arm=ARM).solve(poses, seed=exact)
    used = np.any(learned != analytic, axis=1)
    assert used.mean() > 0.5
    assert np.abs(learned - analytic).max() <= BRANCH_MATCH
