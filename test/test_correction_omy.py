"""
The learned correction of a Universal-Robots-layout arm, the OMY-F3M (issue 34 item 5).

Its labels are the commanded joints minus the calibrated arm's no-seed family solution (each
joint to the nearest turn; rows in another branch left out), and the solver adds it to the exact
answers on that family only where the corrected answer keeps every rule.
"""

from hypothesis import given, Phase
from hypothesis import strategies as st
from ik_net_ros import load_solver
from ik_net_ros.arm import load_arm
from ik_net_ros.data import PoseJointSet
from ik_net_ros.errors import UnreachableError
from ik_net_ros.kinematics.chain import chain_forward
from ik_net_ros.kinematics.collision import CollisionModel
from ik_net_ros.kinematics.limits import sample_joints, within_limits
from ik_net_ros.kinematics.true_arm import TrueArm
from ik_net_ros.kinematics.ur_branches import home_branch
from ik_net_ros.kinematics.ur_closed_form import branch_of
from ik_net_ros.model import ModelFile
from ik_net_ros.solver.network import NetworkSolver
from ik_net_ros.training.config import TrainConfig
from ik_net_ros.training.loop import new_model
from ik_net_ros.training.real_arm_data import (
    correction_model,
    correction_set,
    DISAGREE,
    MAX_CORRECTION,
    measured_set,
    OTHER_BRANCH,
)
import numpy as np
from propcheck import fixed_examples
import torch

OMY = load_arm('omy_f3m')
# no shrinking phase: a shrink re-solves for minutes
SETTINGS = fixed_examples(5, phases=[Phase.explicit, Phase.generate])
KWARGS = {'position': (8,), 'orientation': (8,), 'merge': (8,)}


def _correction(arm, seed: int, offset=None) -> NetworkSolver:
    """Return a correction of ``arm``'s closed form answering zero, or ``offset`` (6,) rad."""
    rng = np.random.default_rng(seed)
    joints = sample_joints(OMY, 200, rng)
    residuals = PoseJointSet(chain_forward(arm, joints), rng.normal(0, 1e-3, joints.shape),
                             {'arm': 'omy_f3m'})
    config = TrainConfig(network='focused', network_kwargs=KWARGS)
    torch.manual_seed(seed)
    model = correction_model(new_model(config, residuals, arm), residuals)
    if offset is not None:  # a constant answer: the output's scale times the last bias
        last = [m for m in model.network.modules() if isinstance(m, torch.nn.Linear)][-1]
        with torch.no_grad():
            last.bias.copy_(torch.as_tensor(np.asarray(offset) / model.joint_std.numpy()))
    return NetworkSolver(ModelFile.from_torch(model, 'focused', KWARGS, arm, 'analytic', {}))


@SETTINGS
@given(st.integers(0, 2 ** 16))
def test_the_labels_are_the_arms_error_on_the_family_and_other_branches_are_left_out(seed):
    """The calibrated arm's own poses: zero labels on the family, whatever turn each joint."""
    arm = TrueArm.random(seed, base=OMY, sag_deg=0.0).arm
    joints = sample_joints(OMY, 400, np.random.default_rng(seed))
    data = measured_set(PoseJointSet(chain_forward(arm, joints), joints, {},
                                     chain_forward(arm, joints)))
    labels, dropped = correction_set(data, arm)
    family = branch_of(arm, joints) == home_branch(arm)
    assert dropped[OTHER_BRANCH] == int((~family).sum()) and dropped[DISAGREE] == 0
    assert len(labels) == int(family.sum()) > 0
    assert np.abs(labels.joints).max() < 1e-6


@SETTINGS
@given(st.integers(0, 2 ** 16))
def test_a_new_omy_correction_answers_the_calibrated_closed_form(seed):
    """Before training a correction adds zero: the calibrated OMY's exact answers."""
    arm = TrueArm.random(seed, base=OMY, sag_deg=0.0).arm
    solver = _correction(arm, seed)
    rng = np.random.default_rng(seed + 1)
    targets = chain_forward(arm, sample_joints(OMY, 50, rng))
    exact = load_solver('analytic', arm=arm)
    np.testing.assert_allclose(solver.solve(targets, on_unreachable='nearest'),
                               exact.solve(targets, on_unreachable='nearest'), atol=1e-6)
    seed_joints = sample_joints(OMY, 50, rng)
    np.testing.assert_allclose(
        solver.solve(targets, seed=seed_joints, on_unreachable='nearest'),
        exact.solve(targets, seed=seed_joints, on_unreachable='nearest'), atol=1e-6)


@SETTINGS
@given(st.integers(0, 2 ** 16), st.floats(-0.04, 0.04), st.integers(0, 5))
def test_the_correction_is_added_on_the_family_only_where_every_rule_holds(seed, size, joint):
    """
    A correction of ``size`` rad on one joint: added to the family's answers, never elsewhere.

    Every answer sent is inside the limits, clear (table and the arm itself), and moves no joint
    more than max_jump from the seed for a target next to the seed's pose.
    """
    arm = TrueArm.random(seed, base=OMY, sag_deg=0.0).arm
    offset = np.zeros(6)
    offset[joint] = size
    solver = _correction(arm, seed, offset)
    exact = load_solver('analytic', arm=arm)
    for s in (solver, exact):
        s.collision = CollisionModel(arm.upright())
    rng = np.random.default_rng(seed + 2)
    seeds = sample_joints(OMY, 200, rng)
    seeds = seeds[exact.collision.check(seeds).clear][:40]  # where a real arm may stand
    targets = chain_forward(arm, seeds + rng.normal(0, 0.01, seeds.shape))
    family = exact.solve(targets[:1], on_unreachable='nearest')  # warm (and the no-seed rule)
    assert family.shape == (1, 6)
    for seed_joints in (seeds, None):
        if seed_joints is None:  # no seed: the poses the family answers clear
            try:
                base = exact.solve(targets, on_unreachable='raise')
            except UnreachableError as e:
                targets = targets[~e.mask]
        got = solver.solve(targets, seed=seed_joints, on_unreachable='nearest')
        base = exact.solve(targets, seed=seed_joints, on_unreachable='nearest')
        assert within_limits(arm, got).all()
        assert solver.collision.check(got).clear.all()
        if seed_joints is not None:
            assert (np.abs(got - seeds).max(axis=1)
                    <= np.maximum(solver.max_jump, np.abs(base - seeds).max(axis=1))
                    + 1e-9).all()
        moved = np.abs(got - base).max(axis=1) > 1e-9
        family = branch_of(arm, base) == home_branch(arm)
        assert not (moved & ~family).any()  # another branch's answer stays exact
        np.testing.assert_allclose((got - base)[moved], np.tile(offset, (moved.sum(), 1)),
                                   atol=1e-5)
        if abs(size) > 1e-3:  # somewhere it is added (a family answer, clear and inside)
            assert moved.any() or not family.any()


def test_a_correction_over_max_correction_is_never_added():
    """An output past what a correction learns (a broken model) leaves the exact answers."""
    arm = TrueArm.random(7, base=OMY, sag_deg=0.0).arm
    solver = _correction(arm, 7, np.full(6, 2 * MAX_CORRECTION))
    targets = chain_forward(arm, sample_joints(OMY, 40, np.random.default_rng(8)))
    np.testing.assert_allclose(solver.solve(targets, on_unreachable='nearest'),
                               load_solver('analytic', arm=arm).solve(
                                   targets, on_unreachable='nearest'), atol=1e-9)


def test_a_leaning_omy_correction_is_served_in_the_real_arm():
    """A calibration with tilts: answers of the correction still inside the limits, finite."""
    true = TrueArm.random(3, base=OMY, sag_deg=0.0, tilt_deg=0.3)
    arm = true.arm
    assert arm.has_tilts
    solver = _correction(arm, 3)
    targets = chain_forward(arm, sample_joints(OMY, 20, np.random.default_rng(4)))
    got = solver.solve(targets, on_unreachable='nearest')
    assert np.isfinite(got).all() and within_limits(arm, got).all()


def test_a_correction_of_a_model_with_circular_outputs_answers_zero_per_joint():
    """The OMY's focused model answers full-turn joints as (cos, sin); its correction does not."""
    arm = TrueArm.random(5, base=OMY, sag_deg=0.0).arm
    rng = np.random.default_rng(5)
    joints = sample_joints(OMY, 200, rng)
    residuals = PoseJointSet(chain_forward(arm, joints), rng.normal(0, 1e-3, joints.shape),
                             {'arm': 'omy_f3m'})
    config = TrainConfig(network='focused', network_kwargs=KWARGS, angles='circular')
    init = new_model(config, PoseJointSet(chain_forward(arm, joints), joints, {}), arm)
    assert init.circular.numel() > 0
    model = correction_model(init, residuals)
    assert model.circular.numel() == 0 and model.dof == 6
    with torch.no_grad():
        out = model(torch.as_tensor(residuals.poses[:20], dtype=torch.float32))
    assert out.shape == (20, 6) and float(out.abs().max()) == 0.0
