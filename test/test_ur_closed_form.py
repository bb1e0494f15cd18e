"""
The UR-layout closed form (the OMY) against the one chain: exact on every branch, all eight.

Joints drawn inside the real limits -> ``chain_forward`` (held equal to yourdfpy's FK in
test_chain.py) -> ``ur_inverse``: every reachable branch reproduces the pose to 1e-9 m / rad, the
drawn joints are among the branches, branches are what ``branch_of`` says; near-singular poses
give no NaN; the seeded answer is the nearest safe one (brute force over turns); both OMY-3M and
OMY-F3M (different tools), calibrated ones (offsets, origin deltas), and other shapes refused.
"""

from dataclasses import replace
import itertools
import math

from hypothesis import assume, given, HealthCheck, settings
from hypothesis import strategies as st
from ik_net_ros.arm import ChainErrors, load_arm
from ik_net_ros.errors import InvalidJointsError, InvalidPoseError
from ik_net_ros.kinematics.chain import chain_forward, chain_frames
from ik_net_ros.kinematics.limits import within_limits
from ik_net_ros.kinematics.rotations import quat_to_matrix
from ik_net_ros.kinematics.ur_branches import (
    family_solution,
    home_branch,
    nearest_solution,
    representatives,
)
from ik_net_ros.kinematics.ur_closed_form import (
    branch_of,
    ELBOW,
    SHOULDER,
    ur_inverse,
    WRIST,
)
from ik_net_ros.kinematics.ur_closed_form_one import (
    every_branch_one,
    nearest_solution_one,
    ur_inverse_one,
)
from ik_net_ros.kinematics.ur_layout import is_ur_layout, NotURLayoutError, ur_layout
import numpy as np
import pytest

SETTINGS = settings(max_examples=25, deadline=None, derandomize=True, database=None,
                    suppress_health_check=list(HealthCheck))
ARMS = {name: load_arm(name) for name in ('omy_3m', 'omy_f3m')}
UNIT = st.lists(st.floats(0, 1), min_size=6, max_size=6)
TOL_M, TOL_RAD = 1e-9, 1e-9


def _joints(arm, unit):
    return arm.lower + np.array(unit) * (arm.upper - arm.lower)


def _rotation_error(a, b):
    """Return the angle (rad) between rotations of quaternions a, b (..., 4), via matrices."""
    ra, rb = quat_to_matrix(a), quat_to_matrix(b)
    rel = np.einsum('...ji,...jk->...ik', ra, rb)
    skew = np.stack([rel[..., 2, 1] - rel[..., 1, 2], rel[..., 0, 2] - rel[..., 2, 0],
                     rel[..., 1, 0] - rel[..., 0, 1]], -1)
    cos = 0.5 * (np.trace(rel, axis1=-2, axis2=-1) - 1)
    return np.arctan2(0.5 * np.linalg.norm(skew, axis=-1), cos)


def _pose_errors(arm, joints, pose):
    """Return position (m) and rotation (rad) errors of FK(joints (..., 6)) from pose (7,)."""
    back = chain_forward(arm, joints.reshape(-1, 6)).reshape(joints.shape[:-1] + (7,))
    target = np.broadcast_to(pose, back.shape)
    return (np.linalg.norm(back[..., :3] - target[..., :3], axis=-1),
            _rotation_error(back[..., 3:], target[..., 3:]))


def _wrapped(a):
    return np.abs(np.angle(np.exp(1j * np.asarray(a))))


def _assert_recovered(arm, solutions, q):
    """Assert the drawn joints q are a reachable branch's, mod 2 pi, and filed under it."""
    close = _wrapped(solutions.joints - q).max(axis=1)
    close[~solutions.reachable] = np.inf
    b = int(np.argmin(close))
    if solutions.singular[b]:
        # near a singular set the branch label of q is rounding's, and the pose fixes the
        # joints only to rounding / |sin| (their pose exactly: _assert_exact)
        assert close[b] < 0.05
    else:
        assert close[b] < 1e-6 and b == branch_of(arm, q)


def _assert_exact(arm, solutions, pose):
    assert np.all(np.isfinite(solutions.joints))
    ok = solutions.reachable
    dist, angle = _pose_errors(arm, solutions.joints, pose)
    assert np.all(dist[ok] < TOL_M), dist[ok].max()
    assert np.all(angle[ok] < TOL_RAD), angle[ok].max()


@pytest.mark.parametrize('name', sorted(ARMS))
def test_layout_read_from_the_urdf(name):
    """The UR lengths come out of the joints as ROBOTIS's sheet gives them (no typed numbers)."""
    arm = ARMS[name]
    dh = ur_layout(arm).dh()
    tool = 0.103 if name == 'omy_3m' else 0.244
    want = {'d1': 0.1715, 'a2': 0.247, 'a3': 0.2195, 'd4': -0.113, 'd5': 0.1155, 'd6': tool}
    assert dh == pytest.approx(want, abs=1e-12)
    assert is_ur_layout(arm)


@pytest.mark.parametrize('name', ['open_manipulator_x', 'omx_f'])
def test_other_shapes_refused(name):
    arm = load_arm(name)
    assert not is_ur_layout(arm)
    with pytest.raises(NotURLayoutError, match='the layout has 6'):
        ur_inverse(arm, chain_forward(arm, np.zeros(arm.dof)))


def test_broken_layouts_refused():
    """A leaning axis, joint6 missing joint5's axis, a joint5 along the pitch axis: refused."""
    arm = ARMS['omy_3m']
    tilts = np.zeros((6, 2))
    tilts[2, 0] = 1e-3
    leaning = arm.with_errors(ChainErrors((0.0,) * 6, ((0.0,) * 3,) * 6, tilts))
    with pytest.raises(NotURLayoutError, match='not parallel'):
        ur_layout(leaning)
    assert is_ur_layout(leaning.upright())
    deltas = np.zeros((6, 3))
    deltas[5, 0] = 0.01
    missing = arm.with_errors(ChainErrors((0.0,) * 6, deltas, ((0.0,) * 2,) * 6))
    with pytest.raises(NotURLayoutError, match='misses'):
        ur_layout(missing)
    joints = list(arm.joints)
    joints[4] = replace(joints[4], axis=(0.0, 1.0, 0.0))
    with pytest.raises(NotURLayoutError, match='perpendicular to the pitch'):
        ur_layout(replace(arm, joints=tuple(joints)))


@pytest.mark.parametrize('name', sorted(ARMS))
@SETTINGS
@given(unit=UNIT)
def test_every_branch_exact_and_the_drawn_joints_among_them(name, unit):
    arm = ARMS[name]
    q = _joints(arm, unit)
    pose = chain_forward(arm, q)
    solutions = ur_inverse(arm, pose, free=q)
    _assert_exact(arm, solutions, pose)
    _assert_recovered(arm, solutions, q)
    # each reachable solution is of the branch it is filed under
    ok = solutions.reachable & (solutions.singular == 0)
    assert np.all(branch_of(arm, solutions.joints[ok]) == np.flatnonzero(ok))


@pytest.mark.parametrize('name', sorted(ARMS))
@SETTINGS
@given(unit=UNIT)
def test_branches_agree_from_each_of_them(name, unit):
    """Solving any branch's pose again gives the same set: no solution is missed or invented."""
    arm = ARMS[name]
    q = _joints(arm, unit)
    pose = chain_forward(arm, q)
    first = ur_inverse(arm, pose)
    assume(not first.singular.any())
    for b in np.flatnonzero(first.reachable):
        again = ur_inverse(arm, chain_forward(arm, first.joints[b]))
        assert np.array_equal(again.reachable, first.reachable)
        assert np.all(_wrapped(again.joints[first.reachable] - first.joints[first.reachable])
                      < 1e-6)


@pytest.mark.parametrize('name', sorted(ARMS))
def test_all_eight_where_they_exist(name):
    """Joints drawn in every branch are found in it; where all eight exist, eight distinct."""
    arm = ARMS[name]
    q = np.random.default_rng(7).uniform(arm.lower, arm.upper, (4000, 6))
    poses = chain_forward(arm, q)
    solutions = ur_inverse(arm, poses, free=q)
    drawn = branch_of(arm, q)
    assert sorted(set(drawn)) == list(range(8))  # every branch drawn
    rows = np.arange(len(q))
    assert solutions.reachable[rows, drawn].all()  # and found where it exists
    close = _wrapped(solutions.joints[rows, drawn] - q).max(axis=1)
    assert np.all(close[solutions.singular[rows, drawn] == 0] < 1e-6)
    eight = solutions.reachable.all(axis=1) & (solutions.singular == 0).all(axis=1)
    assert eight.sum() > 100
    for pose, sol in zip(poses[eight], solutions.joints[eight]):
        dist, angle = _pose_errors(arm, sol, pose)
        assert dist.max() < TOL_M and angle.max() < TOL_RAD
        assert sorted(branch_of(arm, sol)) == list(range(8))
        for i, j in itertools.combinations(range(8), 2):
            assert _wrapped(sol[i] - sol[j]).max() > 1e-6


@pytest.mark.parametrize('name', sorted(ARMS))
@SETTINGS
@given(unit=UNIT, tiny=st.sampled_from([0.0, 1e-15, -1e-13, 1e-11, 1e-9, -1e-7, 1e-5]),
       which=st.sampled_from(['wrist0', 'wrist_pi', 'elbow', 'elbow_folded', 'both']))
def test_near_singular_poses_no_nan(name, unit, tiny, which):
    arm = ARMS[name]
    q = _joints(arm, unit)
    if which == 'wrist0':
        q[4] = tiny
    elif which == 'wrist_pi':
        q[4] = math.pi + tiny
    elif which == 'elbow':
        q[2] = tiny
    elif which == 'elbow_folded':
        q[2] = arm.upper[2] - abs(tiny)  # as folded as the limit allows
    else:  # near the wrist set with the elbow nearly straight: rounding must not lose reach
        q[2], q[4] = 8e-4, math.pi + tiny
    pose = chain_forward(arm, q)
    for free in (None, q):
        solutions = ur_inverse(arm, pose, free=free)
        _assert_exact(arm, solutions, pose)
        if free is not None:
            _assert_recovered(arm, solutions, q)
    # flagged on the drawn branch's shoulder (the wrist) or the drawn branch and its elbow twin
    b = int(branch_of(arm, q))
    singular = ur_inverse(arm, pose).singular
    if which.startswith('wrist') and abs(tiny) < 1e-6:
        assert np.all(singular[[b & 4, (b & 4) + 1, (b & 4) + 2, (b & 4) + 3]] & WRIST)
    if which == 'elbow' and abs(tiny) < 1e-6 and not singular[b] & WRIST:  # (else moves)
        assert singular[b] & ELBOW and singular[b ^ 2] & ELBOW


def test_wrist_singular_pitch_sum_keeps_the_seeds():
    """On the wrist set the self-motion is fixed by the seed's q2 + q3 + q4; joint6 follows."""
    arm = ARMS['omy_f3m']
    q = np.array([0.3, -0.4, 1.2, 0.5, 0.0, 1.1])
    pose = chain_forward(arm, q)
    for delta in (-0.3, 0.0, 0.2):
        seed = q + np.array([0.0, 0.0, 0.0, delta, 0.0, 0.0])
        sol = ur_inverse(arm, pose, free=seed)
        _assert_exact(arm, sol, pose)
        on_set = sol.reachable & (sol.singular & WRIST).astype(bool)
        assert on_set.sum() >= 2
        sums = sol.joints[on_set, 1:4].sum(axis=1)
        assert np.all(_wrapped(sums - seed[1:4].sum()) < 1e-9)
        if delta == 0.0:
            _assert_recovered(arm, sol, q)
            assert np.abs(sol.joints[branch_of(arm, q)] - q).max() < 1e-9


def _centre_x(arm, q):
    """Return the wrist centre's x in joint1's link frame (m): zero on the shoulder set."""
    positions, rotations = chain_frames(arm, q)
    return float((positions[0, 5] - positions[0, 0]) @ rotations[0, 0][:, 0])


@pytest.mark.parametrize('name', sorted(ARMS))
@SETTINGS
@given(unit=UNIT)
def test_shoulder_singular_no_nan(name, unit):
    """The wrist centre on the shoulder set (bisection on joint2): exact, flagged, finite."""
    arm = ARMS[name]
    q = _joints(arm, unit)
    lo, hi = -1.2, 1.2
    q[1] = lo
    f_lo = _centre_x(arm, q)
    q[1] = hi
    assume(f_lo * _centre_x(arm, q) < 0)
    for _ in range(80):
        q[1] = 0.5 * (lo + hi)
        if _centre_x(arm, q) * f_lo > 0:
            lo = q[1]
        else:
            hi = q[1]
    pose = chain_forward(arm, q)
    solutions = ur_inverse(arm, pose)
    _assert_exact(arm, solutions, pose)
    assert np.all(solutions.singular[solutions.reachable] & SHOULDER)


@pytest.mark.parametrize('scale', [0.0, 1.0, 5.0, 1e3])
def test_unreachable_poses_finite_and_flagged(scale):
    arm = ARMS['omy_3m']
    rng = np.random.default_rng(3)
    pose = np.column_stack([rng.uniform(-1, 1, (50, 3)) * scale, rng.normal(size=(50, 4))])
    solutions = ur_inverse(arm, pose)
    assert np.all(np.isfinite(solutions.joints))
    if scale >= 5.0:
        assert not solutions.reachable.any()
    # on the base's axis (inside the shoulder cylinder): nothing reachable
    assert not ur_inverse(arm, [0, 0, 0.4, 0, 0, 0, 1]).reachable.any()


@pytest.mark.parametrize('name', sorted(ARMS))
@SETTINGS
@given(unit=UNIT, offsets=st.lists(st.floats(-0.05, 0.05), min_size=6, max_size=6),
       deltas=st.lists(st.floats(-0.01, 0.01), min_size=21, max_size=21))
def test_calibrated_arm_exact(name, unit, offsets, deltas):
    """Offsets and origin deltas that keep the layout (joint6 on joint5's axis) are solved."""
    arm = ARMS[name]
    d = np.reshape(deltas[:18], (6, 3)).copy()
    d[5, 0] = 0.0  # joint6's axis moved off joint5's would leave the layout
    real = arm.with_errors(ChainErrors(offsets, d, ((0.0,) * 2,) * 6, deltas[18:]))
    q = _joints(arm, unit)
    pose = chain_forward(real, q)
    solutions = ur_inverse(real, pose, free=q)
    _assert_exact(real, solutions, pose)
    _assert_recovered(real, solutions, q)


def _brute_nearest(arm, solutions, seed):
    """Return the smallest distance from seed to any reachable branch over turns in limits."""
    best = np.inf
    for b in np.flatnonzero(solutions.reachable):
        total = 0.0
        for k in range(6):
            values = [solutions.joints[b, k] + 2 * math.pi * t for t in range(-3, 4)]
            values = [v for v in values if arm.lower[k] <= v <= arm.upper[k]]
            if not values:
                total = np.inf
                break
            total += min((v - seed[k]) ** 2 for v in values)
        best = min(best, math.sqrt(total))
    return best


@pytest.mark.parametrize('name', sorted(ARMS))
@SETTINGS
@given(unit=UNIT, seed_unit=UNIT)
def test_seeded_answer_is_the_nearest(name, unit, seed_unit):
    arm = ARMS[name]
    q, seed = _joints(arm, unit), _joints(arm, seed_unit)
    pose = chain_forward(arm, q)
    choice = nearest_solution(arm, pose, seed)
    assert choice.found
    assert within_limits(arm, choice.joints)
    dist, angle = _pose_errors(arm, choice.joints, pose)
    assert dist < TOL_M and angle < TOL_RAD
    solutions = ur_inverse(arm, pose, free=seed)
    assert np.linalg.norm(choice.joints - seed) <= _brute_nearest(arm, solutions, seed) + 1e-12


@pytest.mark.parametrize('name', sorted(ARMS))
@SETTINGS
@given(unit=UNIT, noise=st.lists(st.floats(-1e-3, 1e-3), min_size=6, max_size=6))
def test_seed_beside_the_answer_returns_it(name, unit, noise):
    """A seed a hair from the drawn joints gets them back (not another turn nor branch)."""
    arm = ARMS[name]
    q = _joints(arm, unit)
    pose = chain_forward(arm, q)
    solutions = ur_inverse(arm, pose, free=q)
    b = branch_of(arm, q)
    others = np.delete(solutions.joints, b, axis=0)[np.delete(solutions.reachable, b)]
    assume(not solutions.singular[b])
    assume(len(others) == 0 or _wrapped(others - q).max(axis=1).min() > 0.05)
    choice = nearest_solution(arm, pose, q + np.array(noise))
    assert choice.branch == b
    assert np.abs(choice.joints - q).max() < 1e-6


def test_seeded_path_across_the_seams_never_swings_round():
    """joint1 and joint6 turning past +-pi (the wrap of the raw solutions) step by step."""
    arm = ARMS['omy_f3m']
    t = np.linspace(0.0, 1.0, 201)
    path = np.column_stack([3.0 + 0.4 * t, -0.3 + 0.2 * t, 1.0 + 0.0 * t, 0.4 - 0.2 * t,
                            1.2 + 0.0 * t, -2.9 - 0.6 * t])
    poses = chain_forward(arm, path)
    seed = path[0]
    for pose, want in zip(poses, path):
        choice = nearest_solution(arm, pose, seed)
        assert choice.found
        assert np.abs(choice.joints - seed).max() < 0.02  # one step, no long way round
        assert np.abs(choice.joints - want).max() < 1e-9
        seed = choice.joints


def test_accept_refusal_takes_the_next_nearest():
    arm = ARMS['omy_3m']
    q = np.array([0.2, -0.3, 1.1, 0.3, 1.0, 0.4])
    pose = chain_forward(arm, q)
    first = nearest_solution(arm, pose, q)

    def not_q(joints):
        return np.any(np.abs(joints - q) > 1e-6, axis=1)
    refused = nearest_solution(arm, pose, q, accept=not_q)
    assert first.branch == branch_of(arm, q) and refused.found
    assert refused.branch != first.branch or np.abs(refused.joints - q).max() > 1e-6
    none = nearest_solution(arm, pose, q, accept=lambda j: np.zeros(len(j), bool))
    assert not none.found and none.branch == -1
    assert np.array_equal(none.joints, q)  # the seed, never a command


@pytest.mark.parametrize('name', sorted(ARMS))
@SETTINGS
@given(unit=UNIT)
def test_family_is_one_branch_and_a_function(name, unit):
    """Unseeded: the home pose's family; a joint vector of it near home is its own answer."""
    arm = ARMS[name]
    home = np.array(arm.home)
    q = home + (np.array(unit) - 0.5) * 2 * np.array([2.5, 1.0, 1.0, 2.5, 1.2, 2.5])
    q = np.clip(q, arm.lower, arm.upper)
    pose = chain_forward(arm, q)
    choice = family_solution(arm, pose)
    if branch_of(arm, q) == home_branch(arm):
        ref = ur_inverse(arm, pose)
        assume(not ref.singular[home_branch(arm)])
        assert choice.found and np.abs(choice.joints - q).max() < 1e-6
    if choice.found:
        assert choice.branch == home_branch(arm)
        dist, angle = _pose_errors(arm, choice.joints, pose)
        assert dist < TOL_M and angle < TOL_RAD
        assert np.all(np.abs(choice.joints - home) <= math.pi + 1e-12)
        assert within_limits(arm, choice.joints)


def test_family_index_and_bad_branch():
    arm = ARMS['omy_f3m']
    assert home_branch(arm) == branch_of(arm, arm.home)
    pose = chain_forward(arm, arm.home)
    assert np.abs(family_solution(arm, pose).joints - arm.home).max() < 1e-12
    with pytest.raises(ValueError, match='branch must be 0-7'):
        family_solution(arm, pose, branch=8)


def test_representatives_inside_limits():
    arm = ARMS['omy_3m']
    values, found = representatives(arm, [[3.0, 0, 2.9, 0, 0, 0]], [[-3.0, 0, 0, 0, 0, 6.0]])
    assert found[0] is np.False_  # J3 2.9 rad has no turn inside +-150 deg
    values, found = representatives(arm, [[3.0, 0, 2.0, 0, 0.5, -0.5]],
                                    [[-3.0, 0, 0, 0, 6.5, 6.0]])
    assert found[0]  # joint5 0.5 + 2 pi would be past the +2 pi limit: 0.5 is nearest inside
    assert values[0] == pytest.approx([3.0 - 2 * math.pi, 0, 2.0, 0, 0.5, -0.5 + 2 * math.pi])
    values, found = representatives(arm, [[0, 0, 0, 0, 0, -1e-15]], [[0, 0, 0, 0, 0, -6.3]])
    assert found[0] and values[0, 5] == arm.lower[5]  # a rounding past the limit: clamped


def test_bad_input_is_a_clear_error():
    arm = ARMS['omy_3m']
    for not_an_arm in (None, 'omy_3m', {'joints': 6}):
        with pytest.raises(TypeError, match='expected an Arm'):
            ur_inverse(not_an_arm, [0.3, 0, 0.3, 0, 0, 0, 1])
        with pytest.raises(TypeError, match='expected an Arm'):
            representatives(not_an_arm, np.zeros(6), np.zeros(6))
    with pytest.raises(InvalidPoseError):
        ur_inverse(arm, [0.3, 0, 0.3, 0, 0, 0, float('nan')])
    with pytest.raises(InvalidPoseError):
        ur_inverse(arm, [0.3, 0, 0.3, 0, 0, 0])
    with pytest.raises(InvalidPoseError):
        nearest_solution(arm, 'pose', np.zeros(6))
    with pytest.raises(InvalidJointsError):
        nearest_solution(arm, [0.3, 0, 0.3, 0, 0, 0, 1], np.zeros(4))
    with pytest.raises(ValueError, match='free'):
        ur_inverse(arm, np.tile([0.3, 0, 0.3, 0, 0, 0, 1.0], (3, 1)), free=np.zeros((2, 6)))


@pytest.mark.parametrize('name', sorted(ARMS))
def test_near_wrist_rounding_never_loses_a_reachable_pose(name):
    """Wrist 1e-10 from its set, elbow nearly straight: the drawn pose stays reachable."""
    arm = ARMS[name]
    rng = np.random.default_rng(5)
    q = rng.uniform(arm.lower, arm.upper, (2000, 6))
    q[:, 2] = rng.choice([8e-4, -3e-4, 1e-4], len(q))
    q[:, 4] = rng.choice([0.0, math.pi], len(q)) + rng.choice([1e-10, -1e-10, 1e-9], len(q))
    # a draw that lost its reach to rounding before
    q[0] = [-3.6979089862588745, 2.0811926279476687, 0.0008242289873257036, -1.770789371485666,
            -3.141592653489793, 5.869972522539882]
    poses = chain_forward(arm, q)
    solutions = ur_inverse(arm, poses, free=q)
    close = _wrapped(solutions.joints - q[:, None, :]).max(axis=-1)
    close[~solutions.reachable] = np.inf
    assert np.all(close.min(axis=1) < 0.05)
    dist, angle = _pose_errors(arm, solutions.joints, poses[:, None, :])
    assert dist[solutions.reachable].max() < TOL_M
    assert angle[solutions.reachable].max() < TOL_RAD


def _twin_draws(arm, seed):
    """Joints (600, 6) in the limits, a third of them on or near the wrist or elbow sets."""
    rng = np.random.default_rng(seed)
    q = rng.uniform(arm.lower, arm.upper, (600, 6))
    q[:100, 4] = rng.choice([0.0, math.pi], 100) + rng.choice([0.0, 1e-13, 1e-10, 1e-7], 100)
    q[100:200, 2] = rng.choice([0.0, 1e-12, 1e-8], 100)
    return q, q + rng.normal(0.0, 0.3, q.shape)


@pytest.mark.parametrize('name', sorted(ARMS))
def test_one_pose_twin_equals_the_arrays(name):
    """ur_inverse_one: the same branches, reachability and (away from singular sets) joints."""
    arm = ARMS[name]
    q, seeds = _twin_draws(arm, 3)
    poses = chain_forward(arm, q)
    arrays = ur_inverse(arm, poses, free=seeds)
    for i in range(len(q)):
        one = ur_inverse_one(arm, poses[i].tolist(), free=seeds[i].tolist())
        assert one.reachable == arrays.reachable[i].tolist()
        assert one.singular == arrays.singular[i].tolist()
        joints = np.array(one.joints)
        ok = arrays.reachable[i]
        plain = ok & (arrays.singular[i] == 0)
        assert np.all(_wrapped(joints[plain] - arrays.joints[i][plain]) < 1e-9)
        dist, angle = _pose_errors(arm, joints[ok], poses[i])
        assert np.all(dist < TOL_M) and np.all(angle < TOL_RAD)


@pytest.mark.parametrize('name', sorted(ARMS))
def test_one_pose_nearest_equals_the_arrays(name):
    """nearest_solution_one picks what nearest_solution picks (twins at a singular set tie)."""
    arm = ARMS[name]
    q, seeds = _twin_draws(arm, 4)
    poses = chain_forward(arm, q)
    arrays = nearest_solution(arm, poses, seeds)
    for i in range(len(q)):
        joints, branch, singular = nearest_solution_one(arm, poses[i].tolist(),
                                                        seeds[i].tolist())
        assert (joints is not None) == arrays.found[i]
        if joints is None:
            continue
        assert within_limits(arm, joints)
        if not arrays.singular[i] and not singular:
            assert branch == arrays.branch[i]
            assert np.abs(np.array(joints) - arrays.joints[i]).max() < 1e-9
        else:  # the twin branches are equally near, to rounding / |sin|
            assert np.linalg.norm(np.array(joints) - seeds[i]) == pytest.approx(
                np.linalg.norm(arrays.joints[i] - seeds[i]), abs=1e-4)


def test_one_pose_accept_and_bad_input():
    arm = ARMS['omy_f3m']
    q = [0.2, -0.3, 1.1, 0.3, 1.0, 0.4]
    pose = chain_forward(arm, q).tolist()
    joints, branch, _ = nearest_solution_one(arm, pose, q)
    assert branch == branch_of(arm, q) and np.abs(np.array(joints) - q).max() < 1e-9
    refused = nearest_solution_one(arm, pose, q, accept=lambda j: abs(j[0] - q[0]) > 1e-6)
    assert refused[1] != branch
    assert nearest_solution_one(arm, pose, q, accept=lambda j: False) == (None, -1, 0)
    with pytest.raises(InvalidPoseError):
        ur_inverse_one(arm, pose[:6])
    with pytest.raises(InvalidPoseError):
        ur_inverse_one(arm, [*pose[:6], float('nan')])
    with pytest.raises(InvalidJointsError):
        nearest_solution_one(arm, pose, q[:5])
    with pytest.raises(TypeError, match='expected an Arm'):
        ur_inverse_one(None, pose)


@SETTINGS
@given(unit=UNIT, flips=st.lists(st.booleans(), min_size=5, max_size=5),
       base_rpy=st.lists(st.floats(-0.5, 0.5), min_size=3, max_size=3),
       pitch_rpy=st.lists(st.floats(-1.0, 1.0), min_size=2, max_size=2),
       wrist_axis=st.sampled_from([(0.0, 1.0, 0.0), (1.0, 0.0, 0.0), (-0.6, 0.8, 0.0)]),
       shoulder_x=st.floats(-0.05, 0.05))
def test_other_arms_of_the_layout(unit, flips, base_rpy, pitch_rpy, wrist_axis, shoulder_x):
    """
    Arms of the layout that are not the OMY: read by shape, solved exactly.

    Axes of joints 2-6 reversed, the base mounted tilted (joint1's origin rotated), the pitch
    joints' origins turned about the pitch axis, joint6 at another angle about joint5 and a
    shoulder offset in the pitch plane: no number of the OMY's needed.
    """
    arm = ARMS['omy_f3m']
    joints = list(arm.joints)
    for k, flip in enumerate(flips, start=1):
        if flip:
            joints[k] = replace(joints[k], axis=tuple(-a for a in joints[k].axis))
    joints[0] = replace(joints[0], origin=replace(joints[0].origin, rpy=tuple(base_rpy)))
    for k, angle in zip((2, 3), pitch_rpy):
        joints[k] = replace(joints[k], origin=replace(joints[k].origin, rpy=(0.0, angle, 0.0)))
    joints[5] = replace(joints[5], axis=wrist_axis)
    xyz = joints[1].origin.xyz
    joints[1] = replace(joints[1], origin=replace(joints[1].origin,
                                                  xyz=(shoulder_x, xyz[1], xyz[2])))
    other = replace(arm, name='other', joints=tuple(joints))
    assert is_ur_layout(other)
    q = _joints(other, unit)
    pose = chain_forward(other, q)
    solutions = ur_inverse(other, pose, free=q)
    _assert_exact(other, solutions, pose)
    _assert_recovered(other, solutions, q)
    one = ur_inverse_one(other, pose.tolist(), free=q.tolist())
    assert one.reachable == solutions.reachable.tolist()
    plain = solutions.reachable & (solutions.singular == 0)
    assert np.all(_wrapped(np.array(one.joints)[plain] - solutions.joints[plain]) < 1e-9)


def _on_shoulder_set(arm, poses: np.ndarray, eps: np.ndarray) -> np.ndarray:
    """Return ``poses`` moved (orientation kept): wrist centre ``eps`` m off the shoulder set."""
    lay = ur_layout(arm)
    out = poses.copy()
    for pose, e in zip(out, eps):
        tool = quat_to_matrix(pose[3:])
        centre = lay.rotation.T @ (pose[:3] - lay.origin + tool @ lay.centre_in_tool)
        radius = math.hypot(centre[0], centre[1])
        if radius > 1e-9:
            moved = centre.copy()
            moved[:2] *= (abs(lay.offset) + e) / radius
            pose[:3] += lay.rotation @ (moved - centre)
    return out


@SETTINGS
@given(name=st.sampled_from(sorted(ARMS)), seed=st.integers(0, 2 ** 32 - 1),
       spread=st.sampled_from([0.003, 0.05, 0.5, math.pi]), refuse=st.booleans())
def test_the_seeds_side_first_is_the_full_rule(name, seed, spread, refuse):
    """
    nearest_solution_one (the seed's two branches first) is the eight-branch rule, bit for bit.

    Over poses of drawn joints, some on or near the wrist, elbow and shoulder singular sets,
    joints near the +-2 pi limits, seeds near the answer or about half a turn off in some joints
    (the seam where a joint's nearest turn flips), with and without a refusing ``accept``.
    """
    arm = ARMS[name]
    rng = np.random.default_rng(seed)
    q, _ = _twin_draws(arm, seed)
    q = q[rng.permutation(len(q))[:60]]
    near_limit = 2 * math.pi - rng.uniform(0, 1e-3, (10, 2))
    q[:10, [0, 5]] = rng.choice([-1.0, 1.0], (10, 2)) * near_limit
    seeds = q + rng.normal(0.0, spread, q.shape)
    seeds[10:20, rng.integers(0, 6)] += rng.choice([-1.0, 1.0]) * math.pi + rng.normal(0, 1e-9)
    seeds = np.clip(seeds, arm.lower, arm.upper)
    poses = chain_forward(arm, q)
    poses[20:40] = _on_shoulder_set(arm, poses[20:40], rng.choice([0.0, 1e-13, 1e-9, 1e-6], 20))
    accept = (lambda j: (j[0] * 7.3) % 1.0 > 0.3) if refuse else None
    for pose, s in zip(poses.tolist(), seeds.tolist()):
        assert nearest_solution_one(arm, pose, s, accept) == every_branch_one(arm, pose, s, accept)
