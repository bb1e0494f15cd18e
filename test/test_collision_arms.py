"""
The collision model of any arm: its verdict is a brute-force check of the arm's own capsules.

The capsules are taken straight from the arm (``arm.capsules``) and moved by ``chain_frames``
(each end = link origin + link rotation @ point; an end on the next joint's origin is that
origin as calibrated: a longer link, a longer capsule); distances of segments by sampling both
segments densely; both arms, calibrated and leaning arms included; the one-pose fast path is the
batch check. And the true arm of any arm moves as the chain with its errors.
"""

import math

from hypothesis import given, HealthCheck, settings
from hypothesis import strategies as st
from ik_net_ros.arm import ChainErrors, load_arm
from ik_net_ros.kinematics.capsules import segment_distance
from ik_net_ros.kinematics.chain import chain_forward, chain_frames
from ik_net_ros.kinematics.collision import CollisionModel
from ik_net_ros.kinematics.limits import sample_joints
from ik_net_ros.kinematics.true_arm import TrueArm
import numpy as np
import pytest

SETTINGS = settings(max_examples=60, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow])
ARMS = {name: load_arm(name) for name in ('open_manipulator_x', 'omx_f')}
_T = np.linspace(0.0, 1.0, 201)


def _errors(arm, draw):
    """Return ChainErrors of a real arm: offsets (rad), deltas (m), tilts (rad) from ``draw``."""
    dof = arm.dof
    return ChainErrors(np.array(draw[:dof]) * 0.03,
                       np.reshape(draw[dof:4 * dof], (dof, 3)) * 2e-3,
                       np.reshape(draw[4 * dof:6 * dof], (dof, 2)) * 0.02,
                       np.array(draw[-3:]) * 2e-3)


def _brute(arm, q, clearance, radii):
    """Return (clear, the worst gap in m) of one configuration by the capsules' definition."""
    positions, rotations = chain_frames(arm, q)
    frame = {arm.base_frame: None, **{j.child: k for k, j in enumerate(arm.joints)},
             arm.tool_frame: arm.dof}
    # an end on the next joint's origin (or the tool point) is that point as calibrated
    following = [j.origin.xyz for j in arm.joints[1:]] + [arm.tool.xyz]

    def end(k, p):
        if k is None:
            return np.array(p, dtype=float)
        if k < arm.dof and np.allclose(p, following[k], rtol=0, atol=1e-12):
            return positions[0, k + 1]
        return positions[0, k] + rotations[0, k] @ np.array(p)
    ends = {c.name: [end(frame[c.link], p) for p in (c.a, c.b)] for c in arm.capsules}
    radius = dict(zip((c.name for c in arm.capsules), radii))
    # the table: the capsules that move (their ends that a joint can lower: not one on the
    # shoulder joint's fixed height, checked by the same rule on the arm as described)
    nominal = chain_frames(arm.nominal(), np.random.default_rng(0).uniform(
        arm.lower, arm.upper, (64, arm.dof)))
    worst = math.inf
    for c in arm.capsules:
        if not c.table:
            continue
        k = frame[c.link]
        heights = [nominal[0][:, k, 2] + (nominal[1][:, k] @ np.array(p))[:, 2]
                   for p in (c.a, c.b)]
        low = min(e[2] for e, h in zip(ends[c.name], heights) if np.ptp(h) > 1e-9)
        worst = min(worst, low - radius[c.name] - (arm.table_z + clearance))
    for (a, b), allowance in zip(arm.pairs, arm.pair_allowances):
        pa = ends[a][0] + _T[:, None] * (ends[a][1] - ends[a][0])
        pb = ends[b][0] + _T[:, None] * (ends[b][1] - ends[b][0])
        gap = np.min(np.linalg.norm(pa[:, None] - pb[None], axis=2))
        worst = min(worst, gap - radius[a] - radius[b] + allowance)
    return worst >= 0.0, worst


@pytest.mark.parametrize('name', sorted(ARMS))
@SETTINGS
@given(unit=st.lists(st.floats(0, 1), min_size=6, max_size=6),
       draw=st.lists(st.floats(-1, 1), min_size=33, max_size=33),
       calibrated=st.booleans(), clearance=st.sampled_from([0.0, 0.01, 0.03]))
def test_the_verdict_is_a_brute_force_check_of_the_arms_capsules(
        name, unit, draw, calibrated, clearance):
    arm = ARMS[name]
    if calibrated:
        arm = arm.with_errors(_errors(arm, draw[:6 * arm.dof] + draw[-3:]))
    q = arm.lower + np.array(unit[:arm.dof]) * (arm.upper - arm.lower)
    model = CollisionModel(arm, clearance)
    clear, worst = _brute(arm, q, clearance, model.radii)
    # sampled segments find a gap a hair wider than the true one: only a pose within that
    # hair of touching may differ
    if abs(worst) > 2e-4:
        assert model.clear(q) == clear, model.check(q).reason(0)
        assert model.clear_one(q.tolist()) == clear
    report = model.check(q)
    assert report.depth[0] == pytest.approx(max(0.0, -worst), abs=2e-4)


@pytest.mark.parametrize('name', sorted(ARMS))
@SETTINGS
@given(unit=st.lists(st.lists(st.floats(0, 1), min_size=6, max_size=6), min_size=1, max_size=8),
       draw=st.lists(st.floats(-1, 1), min_size=33, max_size=33))
def test_the_one_pose_path_and_any_batch_give_the_same_capsules_and_verdicts(name, unit, draw):
    arm = ARMS[name].with_errors(_errors(ARMS[name], draw[:6 * ARMS[name].dof] + draw[-3:]))
    q = arm.lower + np.array(unit)[:, :arm.dof] * (arm.upper - arm.lower)
    model = CollisionModel(arm, 0.01, (-0.3, 0.4, -0.35, 0.35, -0.1, 0.45))
    big = np.vstack([q] * 3)  # more rows than the plain-float walk takes: the numpy walk
    np.testing.assert_allclose(model.capsule_ends(big)[:len(q)], model.capsule_ends(q),
                               atol=1e-12)
    assert model.check(big).clear[:len(q)].tolist() == model.check(q).clear.tolist() \
        == [model.clear_one(row.tolist()) for row in q]


@pytest.mark.parametrize('name', sorted(ARMS))
def test_home_is_clear_and_capsules_sweep_bounds_hold(name):
    arm = ARMS[name]
    model = CollisionModel(arm)
    assert model.clear_one(list(arm.home))
    rng = np.random.default_rng(1)
    q = rng.uniform(arm.lower, arm.upper, (200, arm.dof))
    step = rng.normal(0, 1e-3, q.shape)
    moved = np.abs(model.capsule_ends(q + step) - model.capsule_ends(q)).max(axis=(1, 2))
    bound = np.abs(step) @ model.sweep_radii()
    assert np.all(np.linalg.norm(moved, axis=-1) <= bound * 1.01 + 1e-12)


def test_an_arm_with_a_capsule_off_its_chain_or_no_capsules_is_refused():
    from dataclasses import replace
    arm = ARMS['omx_f']
    with pytest.raises(ValueError, match='not on the chain'):
        CollisionModel(replace(arm, capsules=(replace(arm.capsules[0], link='link9'),)))
    with pytest.raises(ValueError, match='no collision capsules'):
        CollisionModel(replace(arm, capsules=()))
    with pytest.raises(ValueError, match='radii must be'):
        CollisionModel(arm, radii=(0.01, 0.02))


@pytest.mark.parametrize('name', sorted(ARMS))
@settings(max_examples=20, deadline=None, derandomize=True, database=None)
@given(seed=st.integers(0, 2**31), tilt=st.sampled_from([0.0, 1.0]))
def test_a_true_arm_without_sag_moves_as_the_chain_with_its_errors(name, seed, tilt):
    true = TrueArm.random(seed, sag_deg=0.0, base=ARMS[name], tilt_deg=tilt)
    assert true.arm.name == name and not any(true.sag)
    q = np.random.default_rng(seed).uniform(true.arm.lower, true.arm.upper, (50, true.arm.dof))
    np.testing.assert_allclose(true.tool_poses(q), chain_forward(true.arm, q), atol=1e-12)
    assert TrueArm.from_dict(true.as_dict()) == true


@pytest.mark.parametrize('name', sorted(ARMS))
def test_a_true_arm_sags_its_tool_down_as_it_reaches_out(name):
    arm = ARMS[name]
    sagging = TrueArm(arm, (math.radians(0.5), math.radians(0.5)))
    reach_out = np.zeros(arm.dof)  # straight out along x (and up a bit for the OM-X)
    q = np.array([reach_out, arm.home])
    drop = chain_forward(arm, q)[:, 2] - sagging.tool_poses(q)[:, 2]
    assert drop[0] > 1e-4  # reaching out: the tool comes down
    assert abs(drop[1]) < drop[0]  # folded at home: far less


@pytest.mark.parametrize('name', sorted(ARMS))
def test_every_pair_of_non_neighbours_that_can_meet_is_checked(name):
    """Capsules two or more joints apart that meet anywhere in joint space are a listed pair."""
    arm = ARMS[name]
    chain = {arm.base_frame: -1, **{j.child: k for k, j in enumerate(arm.joints)},
             arm.tool_frame: arm.dof - 1}
    listed = {frozenset(p) for p in arm.pairs}
    ends = CollisionModel(arm).capsule_ends(sample_joints(arm, 20000, 5))
    for i, a in enumerate(arm.capsules):
        for k, b in enumerate(arm.capsules[:i]):
            if abs(chain[a.link] - chain[b.link]) <= 1 or frozenset((a.name, b.name)) in listed:
                continue
            gap = segment_distance(ends[:, i, 0], ends[:, i, 1], ends[:, k, 0], ends[:, k, 1])
            assert gap.min() > a.radius + b.radius, (a.name, b.name, gap.min())


@pytest.mark.parametrize('name', sorted(ARMS))
@SETTINGS
@given(unit=st.lists(st.floats(0, 1), min_size=6, max_size=6))
def test_no_pose_called_clear_has_a_pair_overlapping_past_its_allowance(name, unit):
    """A clear pose: every listed pair's capsules apart, or overlapping by <= its allowance."""
    arm = ARMS[name]
    q = arm.lower + np.array(unit[:arm.dof]) * (arm.upper - arm.lower)
    model = CollisionModel(arm)
    if not model.clear_one(q.tolist()):
        return
    ends = model.capsule_ends(q)[0]
    index = {c.name: k for k, c in enumerate(arm.capsules)}
    for (a, b), allowance in zip(arm.pairs, arm.pair_allowances):
        i, k = index[a], index[b]
        gap = segment_distance(*(ends[j, n][None] for j, n in ((i, 0), (i, 1), (k, 0), (k, 1))))
        assert gap[0] >= model.radii[i] + model.radii[k] - allowance - 1e-12, (a, b)
    assert max(arm.pair_allowances) <= 0.021
