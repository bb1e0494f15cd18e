"""
Refinement reaches every reachable pose of an arm with a closed form, from any guess.

Levenberg-Marquardt from a guess far from every solution can settle in a local minimum; where
the arm has a closed form (planar shape, not leaning) such a row takes the closed form's
solution nearest the guess (:func:`~ik_net_ros.solver.refine.closed_form_near`): refine is
exact on every reachable pose, one row (plain floats) or many.
"""

from hypothesis import given
from hypothesis import strategies as st
from ik_net_ros.arm import load_arm
from ik_net_ros.kinematics.chain import chain_forward, ChainErrors
from ik_net_ros.kinematics.rotations import pose_error
from ik_net_ros.solver.refine import refine_joints
import numpy as np
from propcheck import fixed_examples
import pytest

SETTINGS = fixed_examples(30)
UNIT = st.lists(st.floats(0.02, 0.98), min_size=5, max_size=5)


def _arm(name: str, offsets: bool, seed: int):
    arm = load_arm(name)
    if offsets:  # a calibration without tilts: the closed form is still exact for it
        rng = np.random.default_rng(seed)
        arm = arm.with_errors(ChainErrors(
            rng.normal(0, 0.02, arm.dof), np.zeros((arm.dof, 3)), np.zeros((arm.dof, 2)),
            np.zeros(3)))
    return arm


@pytest.mark.parametrize('name', ['open_manipulator_x', 'omx_f'])
@SETTINGS
@given(unit=UNIT, guess=UNIT, offsets=st.booleans(), seed=st.integers(0, 1000),
       rows=st.sampled_from([1, 3]))
def test_refine_reaches_the_pose_from_any_guess(name, unit, guess, offsets, seed, rows):
    arm = _arm(name, offsets, seed)
    span = arm.upper - arm.lower
    q = arm.lower + np.array(unit[:arm.dof]) * span
    target = np.repeat(chain_forward(arm, q[None]), rows, axis=0)
    # a guess anywhere in the limits: often on another branch, far from every solution
    start = np.repeat((arm.lower + np.array(guess[:arm.dof]) * span)[None], rows, axis=0)
    found = refine_joints(target, start, arm)
    err = pose_error(target, chain_forward(arm, found))
    assert np.all(np.linalg.norm(err[:, :3], axis=1) < 1e-7)  # m
    assert np.all(np.linalg.norm(err[:, 3:], axis=1) < 1e-6)  # rad
    assert np.all(found >= arm.lower) and np.all(found <= arm.upper)
