"""
The tilt stage by corrections of the planar closed form (issue 36, item 2).

One pose in plain floats and a batch vectorised take the same steps: each answer the stage
takes puts the leaning arm's tool where the planar answer's tool is (position and pitch, to the
stage's tolerance, or no farther than the planar answer), inside the limits, no joint moved more
than TILT_STEP; one pose and the same pose in a batch agree.
"""

import math

from hypothesis import given, settings
from hypothesis import strategies as st
from ik_net_ros.arm import ChainErrors, default_arm, load_arm
from ik_net_ros.kinematics import forward_kinematics, sample_joints
from ik_net_ros.kinematics.chain import chain_forward
from ik_net_ros.kinematics.forward import leaning_reach
from ik_net_ros.kinematics.true_arm import error_coordinates, TrueArm
from ik_net_ros.solver.leaning_chain import movable_rows, pose_miss, refine_on_chain
from ik_net_ros.solver.real_jump import _miss
from ik_net_ros.solver.refine import (
    gauss_newton_for_tilts,
    TILT_DAMPING,
    TILT_STEP,
    TILT_TOLERANCE,
)
from ik_net_ros.solver.tilt_stage import (
    _spd_solve,
    correction_misses,
    reach_miss_one,
    refine_for_tilts,
)
import numpy as np
from propcheck import fixed_examples
import pytest

OMX = default_arm()  # the OM-X, ROBOTIS's humble description

SETTINGS = fixed_examples(25)
TILTS = st.lists(st.floats(-math.radians(3), math.radians(3)), min_size=8, max_size=8)
OFFSETS = st.lists(st.floats(-0.03, 0.03), min_size=4, max_size=4)


@SETTINGS
@given(tilts=TILTS, offsets=OFFSETS, seed=st.integers(0, 2 ** 16))
def test_one_pose_and_a_batch_reach_the_planar_tool_alike(tilts, offsets, seed):
    arm = OMX.with_errors(ChainErrors(offsets, np.zeros((4, 3)), np.reshape(tilts, (4, 2))))
    q0 = sample_joints(OMX, 40, np.random.default_rng(seed))
    target = leaning_reach(q0, arm.upright())[0]
    before = np.linalg.norm(target - leaning_reach(q0, arm)[0], axis=1)
    q, ok = refine_for_tilts(q0, arm)
    miss = np.linalg.norm(target - leaning_reach(q, arm)[0], axis=1)
    assert np.all((q >= OMX.lower) & (q <= OMX.upper))
    assert np.all(np.abs(q - q0)[ok] <= TILT_STEP)
    assert np.all(miss[ok] <= before[ok] + 1e-15)
    np.testing.assert_array_equal(q[~ok], q0[~ok])  # declined: the planar answer stands
    for k in range(len(q0)):
        q1, ok1 = refine_for_tilts(q0[k], arm)
        miss1 = np.linalg.norm(target[k] - leaning_reach(q1, arm)[0], axis=1)[0]
        assert ok1[0] == ok[k]
        if ok[k] and max(miss[k], miss1) > TILT_TOLERANCE:  # not converged: no worse than planar
            assert miss1 <= before[k] + 1e-15
        elif ok[k]:
            assert miss1 < TILT_TOLERANCE


LENGTHS = error_coordinates(OMX)  # the lengths a real OM-X gets wrong (it stays planar)
ERRORS = st.tuples(st.lists(st.floats(-0.03, 0.03), min_size=4, max_size=4),
                   st.lists(st.floats(-0.002, 0.002), min_size=len(LENGTHS),
                            max_size=len(LENGTHS)),
                   st.lists(st.floats(-math.radians(1.5), math.radians(1.5)), min_size=8,
                            max_size=8))


def _calibrated(errors):
    offsets, lengths, tilts = errors
    deltas = np.zeros((5, 3))  # joint origins, then the tool's
    for (origin, coordinate), value in zip(LENGTHS, lengths):
        deltas[origin, coordinate] = value
    return OMX.with_errors(ChainErrors(offsets, deltas[:4], np.reshape(tilts, (4, 2)),
                                       deltas[4]))


@SETTINGS
@given(errors=ERRORS, seed=st.integers(0, 2 ** 16))
def test_the_fast_steps_end_where_gauss_newton_does(errors, seed):
    """
    Corrections then Newton steps reach Gauss-Newton's answer (the stage before, issue 36).

    Over random calibrations (offsets, origin deltas, tilts up to 1.5 deg) and planar answers:
    where the stage takes its answer and Gauss-Newton from the planar answer converges too (and
    would be taken), both are one configuration (the same branch, 1e-6 rad).
    """
    arm = _calibrated(errors)
    q0 = sample_joints(OMX, 30, np.random.default_rng(seed))
    target = leaning_reach(q0, arm.upright())[0]
    q, ok = refine_for_tilts(q0, arm)
    old = gauss_newton_for_tilts(q0, target, arm, iterations=30)
    miss = np.linalg.norm(target - leaning_reach(q, arm)[0], axis=1)
    old_miss = np.linalg.norm(target - leaning_reach(old, arm)[0], axis=1)
    # Gauss-Newton's answer as the stage took it (no joint moved more than TILT_STEP), where
    # the answer is one configuration (near a singularity, e.g. the tool over joint1's axis,
    # a family of them reaches the target: either may end anywhere along it)
    unique = np.linalg.svd(leaning_reach(q, arm)[1])[1][:, -1] >= 0.02
    both = ok & unique & (old_miss < TILT_TOLERANCE) & (miss < TILT_TOLERANCE) \
        & np.all(np.abs(old - q0) <= TILT_STEP, axis=1)
    assert np.all(np.abs(q - old)[both] < 1e-6)


@fixed_examples(10)
@given(seed=st.integers(0, 2 ** 16))
def test_one_degree_tilts_rarely_need_gauss_newton(seed):
    """
    The corrections and Newton steps alone bring nearly every planar answer within tolerance.

    A calibration of the demo's kind (axes leaning up to 1 deg): of the planar answers whose
    corrected targets stay in the planar arm's reach, at most 10 % are left to Gauss-Newton
    (the corrections alone, five of them, left a third).
    """
    arm = TrueArm.random(seed % 64, tilt_deg=1.0).arm
    q0 = sample_joints(OMX, 400, np.random.default_rng(seed))
    misses = correction_misses(q0, arm)
    in_reach = np.isfinite(misses)
    assert in_reach.mean() > 0.9
    assert np.mean(misses[in_reach] >= TILT_TOLERANCE) <= 0.1


@SETTINGS
@given(errors=ERRORS, seed=st.integers(0, 2 ** 16))
def test_one_pose_reach_miss_is_the_batch_rule(errors, seed):
    """real_jump's reach miss of one answer in plain floats equals the vectorised rule's."""
    arm = _calibrated(errors)
    rng = np.random.default_rng(seed)
    q = sample_joints(OMX, 10, rng)
    poses = forward_kinematics(q + rng.normal(0, 0.02, q.shape), arm)
    rows = _miss(q, poses, arm)
    for k in range(len(q)):
        assert reach_miss_one(q[k].tolist(), poses[k].tolist(), arm) == \
            pytest.approx(rows[k], abs=1e-15)
        np.testing.assert_allclose(_miss(q[k:k + 1], poses[k:k + 1], arm), rows[k:k + 1],
                                   atol=1e-15)


@settings(max_examples=50, deadline=None, derandomize=True, database=None)
@given(values=st.lists(st.floats(-1.0, 1.0), min_size=20, max_size=20))
def test_the_written_out_cholesky_solves_damped_normal_equations(values):
    jac = np.reshape(values[:16], (4, 4))
    a = jac.T @ jac + TILT_DAMPING * np.eye(4)
    b = np.array(values[16:])
    x = _spd_solve(tuple(map(tuple, a.tolist())), tuple(b.tolist()))
    np.testing.assert_allclose(a @ np.array(x), b, atol=1e-9 * (1 + np.abs(x).max()))


OMX_F = load_arm('omx_f')


@fixed_examples(8)
@given(seed=st.integers(0, 2 ** 16), tilt=st.floats(0.2, 1.5))
def test_the_omx_f_one_pose_chain_steps_are_the_batch_steps(seed, tilt):
    """
    One answer refined on the chain in plain floats is the batch's (the OMX-F: no corrections).

    Same acceptance, and where taken the same configuration (1e-6 rad) meeting what the
    upright arm's answer fixes to TILT_TOLERANCE.
    """
    arm = TrueArm.random(seed % 64, base=OMX_F, tilt_deg=tilt).arm
    q0 = sample_joints(OMX_F, 12, np.random.default_rng(seed))
    q, ok = refine_on_chain(q0, arm)
    targets = chain_forward(arm.upright(), q0)
    for k in range(len(q0)):
        q1, ok1 = refine_on_chain(q0[k], arm)
        assert ok1[0] == ok[k]
        if ok[k]:
            np.testing.assert_allclose(q1[0], q[k], atol=1e-6)
            rows = movable_rows(arm.upright(), q0[k:k + 1])
            assert pose_miss(q1, targets[k:k + 1], arm, rows)[0] <= \
                max(TILT_TOLERANCE, pose_miss(q[k:k + 1], targets[k:k + 1], arm, rows)[0]) + 1e-12
        else:
            np.testing.assert_array_equal(q1[0], q0[k])
