"""
Targets a leaning arm reaches and its upright arm does not (issue 36, item 2: batches).

``solve(..., on_unreachable='nearest')`` without a seed or a collision model answers them in the
leaning arm itself (:mod:`ik_net_ros.solver.beyond_upright`), vectorised: the answer is inside
the limits, puts the leaning tool on the target (what the arm's answer fixes) to the tilt
stage's tolerance where the pipeline before sent the upright arm's nearest reachable pose,
millimetres off; every other row is the pipeline's answer as before; one pose and the same
pose in a batch agree.
"""

from hypothesis import given, HealthCheck, Phase, settings
from hypothesis import strategies as st
from ik_net_ros.arm import load_arm
from ik_net_ros.kinematics import forward_kinematics, project_and_solve, sample_joints
from ik_net_ros.kinematics.true_arm import TrueArm
from ik_net_ros.solver import AnalyticSolver
from ik_net_ros.solver.beyond_upright import FOUND, reach_beyond_upright
from ik_net_ros.solver.real_jump import _miss
import numpy as np
import pytest

SETTINGS = settings(max_examples=6, deadline=None, derandomize=True, database=None,
                    suppress_health_check=list(HealthCheck),
                    phases=[Phase.explicit, Phase.generate])  # a shrink re-solves for minutes
ARMS = {name: load_arm(name) for name in ('open_manipulator_x', 'omx_f')}
EXACT = FOUND  # m: where a row counts as reached (1e-6; the reach rule allows 1e-3)


def _case(name: str, seed: int, tilt: float, count: int):
    """Return a leaning arm, poses it reaches (N, 7), and which of them its upright arm does."""
    base = ARMS[name]
    arm = TrueArm.random(seed % 64, base=base, tilt_deg=tilt).arm
    poses = forward_kinematics(sample_joints(base, count, np.random.default_rng(seed)), arm)
    return arm, poses, project_and_solve(poses, arm.upright())[1].reachable


@pytest.mark.parametrize('name', ARMS)
@SETTINGS
@given(seed=st.integers(0, 2 ** 16), tilt=st.floats(0.5, 1.5))
def test_targets_beyond_the_upright_arm_are_reached_exactly(name, seed, tilt):
    """
    A target only the leaning arm reaches gets an exact answer, nearer than the old one.

    The old pipeline's answer (the upright arm's nearest reachable pose, refined for the tilts)
    per row for comparison: the new answer misses by no more than it, and by EXACT where the
    new path found the target (the most of them); the other rows are the old answers.
    """
    arm, poses, upright = _case(name, seed, tilt, 400)
    solver = AnalyticSolver(arm)
    new = solver.solve(poses, on_unreachable='nearest')
    old = solver._solve_checked(poses, False, 'nearest', None)  # the pipeline before
    # the poses are normalised once more on the way: rounding
    np.testing.assert_allclose(new[upright], old[upright], atol=1e-12)
    assert np.all((new >= arm.lower) & (new <= arm.upper))
    beyond = np.flatnonzero(~upright)
    if not beyond.size:
        return
    miss_new, miss_old = _miss(new[beyond], poses[beyond], arm), _miss(old[beyond], poses[beyond],
                                                                       arm)
    _, found = reach_beyond_upright(poses[beyond], arm)
    assert np.all(miss_new[found] <= EXACT)
    assert np.all(miss_new <= miss_old + EXACT)
    np.testing.assert_allclose(new[beyond[~found]], old[beyond[~found]], atol=1e-12)
    assert found.mean() >= 0.8  # the few a start does not find go to the nearest pose


@pytest.mark.parametrize('name', ARMS)
@SETTINGS
@given(seed=st.integers(0, 2 ** 16), tilt=st.floats(0.5, 1.5))
def test_one_pose_beyond_the_upright_arm_is_the_batch_row(name, seed, tilt):
    """A target only the leaning arm reaches gets the same answer alone as in a batch."""
    arm, poses, upright = _case(name, seed, tilt, 300)
    beyond = poses[~upright][:4]
    solver = AnalyticSolver(arm)
    batch = solver.solve(np.concatenate([poses[upright][:3], beyond]), on_unreachable='nearest')
    for k, pose in enumerate(beyond):
        # a batch's rows step until all are done: a row may take one more step than alone
        np.testing.assert_allclose(solver.solve(pose, on_unreachable='nearest'), batch[3 + k],
                                   atol=1e-6)
