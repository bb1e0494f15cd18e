"""
The one-row refinement (plain floats) against the vectorised one, on the one chain.

:func:`~ik_net_ros.solver.refine.refine_joints` of one row goes through plain floats, of many
through numpy: the same steps, so the same answers to rounding, on the OM-X and the OMX-F, with
and without a calibration's errors.
"""

from hypothesis import given
from hypothesis import strategies as st
from ik_net_ros.arm import load_arm
from ik_net_ros.kinematics.chain import chain_forward, ChainErrors
from ik_net_ros.solver.refine import refine_joints
import numpy as np
from propcheck import fixed_examples
import pytest

SETTINGS = fixed_examples(25)


@pytest.mark.parametrize('name', ['open_manipulator_x', 'omx_f'])
@SETTINGS
@given(unit=st.lists(st.floats(0.05, 0.95), min_size=5, max_size=5),
       nudge=st.lists(st.floats(-0.05, 0.05), min_size=5, max_size=5),
       errors=st.booleans(), seed=st.integers(0, 1000))
def test_one_row_refines_as_the_batch(name, unit, nudge, errors, seed):
    arm = load_arm(name)
    if errors:
        rng = np.random.default_rng(seed)
        arm = arm.with_errors(ChainErrors(
            rng.normal(0, 0.02, arm.dof), rng.normal(0, 0.002, (arm.dof, 3)),
            np.zeros((arm.dof, 2)), rng.normal(0, 0.002, 3)))
    q = arm.lower + np.array(unit[:arm.dof]) * (arm.upper - arm.lower)
    target = chain_forward(arm, q[None])
    guess = q[None] + np.array(nudge[:arm.dof])
    one = refine_joints(target, guess, arm)
    # the batch path: the row twice (a batch of one would take the float path)
    batch = refine_joints(np.repeat(target, 2, axis=0), np.repeat(guess, 2, axis=0), arm)
    assert one.shape == (1, arm.dof)
    np.testing.assert_allclose(one[0], batch[0], rtol=0, atol=1e-9)
    assert np.all(one >= arm.lower) and np.all(one <= arm.upper)
