"""
The solver's layer on any arm: the OM-X and the OMX-F (5 joints) side by side.

Every figure is checked against the arm's URDF chain (:func:`chain_forward`), never against
numbers derived by hand. The OMX-F's pipeline (projection, nearest) is the kinematics layer's;
here: refinement, the tilt stage of a leaning arm, the seed's real reach, timing, target fates,
MoveIt's names and FK, and a model file refused for another arm.
"""

from dataclasses import replace
import math

from hypothesis import given, HealthCheck, settings
from hypothesis import strategies as st
from ik_net_ros.arm import ChainErrors, default_arm, load_arm
from ik_net_ros.errors import CheckpointError
from ik_net_ros.kinematics.chain import chain_forward, chain_jacobian
from ik_net_ros.kinematics.limits import within_limits
from ik_net_ros.kinematics.rotations import quat_angle
from ik_net_ros.model import load_model
from ik_net_ros.solver import load_solver
from ik_net_ros.solver.ik_request import ArmNames, fk_frame, forward_request, SUCCESS
from ik_net_ros.solver.leaning_chain import movable_rows, pose_miss, refine_on_chain
from ik_net_ros.solver.live import live_solver
from ik_net_ros.solver.network import NetworkSolver
from ik_net_ros.solver.real_jump import reach_from_seed
from ik_net_ros.solver.refine import refine_joints, TILT_STEP
from ik_net_ros.solver.target_fate import REACHED, TargetFates
from ik_net_ros.solver.tilt_stage import refine_for_tilts
from ik_net_ros.solver.trajectory_timing import arm_reading, FULL_TURN, MoveTimer
import numpy as np
import pytest

OMX_F = load_arm('omx_f')
ARMS = {'open_manipulator_x': default_arm(), 'omx_f': OMX_F}
SETTINGS = settings(max_examples=25, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])
seeds = st.integers(0, 2 ** 32 - 1)


def _leaning(arm, tilt: float, rng) -> object:
    """Return ``arm`` with every axis leaning by up to ``tilt`` rad (and small offsets)."""
    tilts = tuple(tuple(v) for v in rng.uniform(-tilt, tilt, (arm.dof, 2)))
    offsets = tuple(rng.uniform(-0.01, 0.01, arm.dof))
    zero = ChainErrors.zeros(arm.dof)
    return arm.with_errors(replace(zero, tilts=tilts, offsets=offsets))


def _inner(arm, n: int, rng) -> np.ndarray:
    """Draw joints (n, dof) inside the limits, 0.3 rad clear of each (no step is clamped)."""
    margin = np.minimum(0.3, 0.25 * (arm.upper - arm.lower))
    return rng.uniform(arm.lower + margin, arm.upper - margin, (n, arm.dof))


@pytest.mark.parametrize('name', ARMS)
@SETTINGS
@given(seed=seeds)
def test_refine_reaches_poses_of_the_chain_from_a_nearby_guess(name, seed):
    """Levenberg-Marquardt on the one chain: < 1e-9 m and 1e-8 rad from 0.05 rad off."""
    arm = ARMS[name]
    rng = np.random.default_rng(seed)
    q = _inner(arm, 16, rng)
    poses = chain_forward(arm, q)
    got = refine_joints(poses, q + rng.uniform(-0.05, 0.05, q.shape), arm)
    assert got.shape == (16, arm.dof) and within_limits(arm, got).all()
    reached = chain_forward(arm, got)
    assert np.linalg.norm(reached[:, :3] - poses[:, :3], axis=1).max() < 1e-9
    assert quat_angle(reached[:, 3:], poses[:, 3:]).max() < 1e-8


@pytest.mark.parametrize('name', ARMS)
@SETTINGS
@given(seed=seeds, tilt=st.floats(0.0, 0.01))
def test_tilt_stage_puts_the_leaning_arms_tool_where_the_upright_arms_is(name, seed, tilt):
    """
    The tilt stage of a leaning arm, any dof: inside the limits, never farther than before.

    Every joint inside the limits, no move over TILT_STEP, no answer's tool farther from the
    upright arm's than before, or the planar answer as it was (the solver's reach check then
    decides). On the chain (the OMX-F), every answer
    whose tool position the joints hold well (the position Jacobian's smallest singular value
    over 0.02 m/rad: not folded back onto joint1's axis nor straight) has its tool where the
    upright arm's is (1e-8 m). (The OM-X's corrections keep their own rule: test_tilt_stage.)

    The orientation the arm can choose (pitch; the OMX-F's roll too) matched as well: the miss
    along what the upright arm's answer fixes (:func:`pose_miss`).
    """
    arm = ARMS[name]
    rng = np.random.default_rng(seed)
    leaning = _leaning(arm, tilt, rng)
    q0 = _inner(arm, 12, rng)
    want = chain_forward(leaning.upright(), q0)
    got, ok = refine_for_tilts(q0, leaning)
    assert got.shape == q0.shape and within_limits(arm, got).all()
    assert np.all(np.abs(got - q0) <= TILT_STEP + 1e-12)
    gap = np.linalg.norm(chain_forward(leaning, got)[:, :3] - want[:, :3], axis=1)
    before = np.linalg.norm(chain_forward(leaning, q0)[:, :3] - want[:, :3], axis=1)
    assert np.all(gap[ok] <= before[ok] + 1e-6)  # never worse (position; the pitch is in too)
    rows = movable_rows(leaning.upright(), q0)  # what the upright answer fixes
    if arm.dof == 5:  # the generic stage's own measure: converged or no worse
        well = np.linalg.svd(chain_jacobian(arm, q0)[:, :3])[1][:, -1] > 0.02
        assert np.all((ok & (gap < 1e-8))[well])
        miss = pose_miss(got, want, leaning, rows)
        assert np.all(miss[ok] <= pose_miss(q0, want, leaning, rows)[ok])
        assert np.all((miss < 1e-8)[well])
    assert np.array_equal(got[~ok], q0[~ok])  # where it did not work: the planar answer


@SETTINGS
@given(seed=seeds)
def test_the_omx_f_tilt_stage_fixes_pitch_and_roll_not_only_the_position(seed):
    """
    With a wrist roll: position exact, and of the rotation only the yaw-like rest is left.

    Where the tool is no steeper than 60 degrees (near vertical, yaw and roll become one turn)
    and the joints hold its position well (not folded back near joint1's axis, where joint1
    turns far to hold it), the rotation error left is of the tilts' order (within twice their
    sum: joint1's turn that holds the position turns the tool too), never another branch.
    """
    rng = np.random.default_rng(seed)
    leaning = _leaning(OMX_F, 0.008, rng)
    q0 = _inner(OMX_F, 8, rng)
    q0[:, 2] = np.clip(q0[:, 2], -1.0, 1.0)  # away from the straight arm's singularity
    want = chain_forward(leaning.upright(), q0)
    got, ok = refine_on_chain(q0, leaning)
    reached = chain_forward(leaning, got[ok])
    assert ok.mean() >= 0.75
    assert np.linalg.norm(reached[:, :3] - want[ok, :3], axis=1).max() < 1e-9
    # the yaw the planar arm cannot choose stays off by up to the tilts; the rest is matched
    pitch = np.abs(q0[ok, 1:4].sum(axis=1) + np.sum(leaning.errors.offsets[1:4]))
    level = np.abs(np.sin(pitch)) < math.sin(math.radians(60.0))
    level &= np.linalg.svd(chain_jacobian(OMX_F, q0[ok])[:, :3])[1][:, -1] > 0.05
    turn = quat_angle(reached[:, 3:], want[ok, 3:])
    assert np.all(turn[level] <= 2 * OMX_F.dof * 0.008 * math.sqrt(2))
    rows = movable_rows(leaning.upright(), q0[ok])
    before = pose_miss(q0[ok], want[ok], leaning, rows)
    assert np.all(pose_miss(got[ok], want[ok], leaning, rows) <= np.minimum(before, 1e-8))


@pytest.mark.parametrize('name', ARMS)
@SETTINGS
@given(seed=seeds)
def test_reach_from_the_seed_in_the_leaning_arm(name, seed):
    """A seed near the answer is refined onto the leaning arm's target: < 1e-6 m of miss."""
    arm = ARMS[name]
    rng = np.random.default_rng(seed)
    leaning = _leaning(arm, 0.005, rng)
    q = _inner(arm, 8, rng)
    targets = chain_forward(leaning, q)
    got, miss = reach_from_seed(q + rng.uniform(-0.02, 0.02, q.shape), targets, leaning)
    assert got.shape == q.shape and within_limits(arm, got).all()
    assert np.all(miss < 1e-6)
    assert np.linalg.norm(chain_forward(leaning, got)[:, :3] - targets[:, :3], axis=1).max() \
        < 1e-6


@SETTINGS
@given(seed=seeds, down=st.sampled_from([-1.0, 1.0]))
def test_reach_from_the_seed_with_the_wrist_straight_down_stays_at_the_seed(seed, down):
    """
    A leaning OM-X whose tool points straight down (or up) is reached by the answer at the seed.

    There the x axis's height is flat in the pitch: refined on it, the steps wandered 0.2-0.4 rad
    along the arm's pitch to a 6.5e-6 m local minimum (seed 86616). The pitch as an angle: the
    answer is the target's own joints (the one solution near the seed), exact.
    """
    arm = default_arm()
    rng = np.random.default_rng(seed)
    leaning = _leaning(arm, 0.005, rng)
    q = _inner(arm, 8, rng)
    # joint4 puts the link pitch at +-90 degrees (the offsets are the links' zero)
    q[:, 3] = down * math.pi / 2 - q[:, 1] - q[:, 2] - np.sum(leaning.errors.offsets[1:4])
    q = q[within_limits(arm, q)]
    if not len(q):
        return
    targets = chain_forward(leaning, q)
    got, miss = reach_from_seed(q + rng.uniform(-0.02, 0.02, q.shape), targets, leaning)
    assert np.all(miss < 1e-6)
    assert np.abs(got - q).max() < 1e-5
    reached = chain_forward(leaning, got)
    assert np.linalg.norm(reached[:, :3] - targets[:, :3], axis=1).max() < 1e-6
    assert quat_angle(reached[:, 3:], targets[:, 3:]).max() < 1e-5


@pytest.mark.parametrize('name', ARMS)
def test_readings_and_timing_follow_the_arms_joints_and_velocities(name):
    """arm.dof values in the limits; each joint timed at its own limit or max_velocity."""
    arm = ARMS[name]
    home = np.array(arm.home)
    assert np.array_equal(arm_reading(home, arm), home)
    assert arm_reading(home[:-1], arm) is None  # another joint count: no reading
    assert arm_reading(np.append(home, 0.0), arm) is None
    past = home.copy()
    past[1] = arm.upper[1] + 0.05
    assert arm_reading(past, arm) is None
    # a slow last joint (the data of another servo): the move of that joint sets the time
    slow = replace(arm, joints=(*arm.joints[:-1], replace(arm.joints[-1], velocity=1.0)))
    timer = MoveTimer(slow)
    assert timer.on_state(0.0, home)
    goal = home.copy()
    goal[-1] += 0.5
    assert timer.duration(goal, 4.8) == pytest.approx(0.5 / 1.0)
    goal[0] += 1.2  # joint1: 1.2 rad at 4.8 rad/s = 0.25 s < 0.5 s
    assert timer.duration(goal, 4.8) == pytest.approx(0.5)
    assert timer.duration(goal, 2.0) == pytest.approx(0.6)  # the node's slower limit
    # before any reading: each joint's whole range at its speed
    assert MoveTimer(arm).duration(home, 4.8) == pytest.approx(
        max(min(hi - lo, FULL_TURN) for lo, hi in arm.limits) / 4.8)


@pytest.mark.parametrize('name', ARMS)
def test_target_fates_need_the_arms_joint_count(name):
    """A reading of the arm's dof reaches the command; one of another count says nothing."""
    arm = ARMS[name]
    fates = TargetFates(0.01, arm=arm)
    fates.taken((1, 0), 'target', list(arm.home))
    assert fates.arm_at(list(arm.home)[:-1], need_acceptance=False) == []
    assert fates.arm_at(list(arm.home) + [0.0], need_acceptance=False) == []
    assert [f.fate for f in fates.arm_at(list(arm.home), need_acceptance=False)] == [REACHED]


@pytest.mark.parametrize('name', ARMS)
@SETTINGS
@given(seed=seeds)
def test_moveit_names_and_fk_of_the_arm(name, seed):
    """Joint names from the arm; solve_fk's tool pose is the chain's (errors included)."""
    arm = _leaning(ARMS[name], 0.01, np.random.default_rng(seed))
    names = ArmNames.of(arm, 'arm1_')
    assert names.joints == tuple(f'arm1_{n}' for n in arm.joint_names)
    assert names.tool == f'arm1_{arm.tool_frame}'
    q = _inner(arm, 1, np.random.default_rng(seed))[0]
    state = dict(zip(names.joints, q.tolist()))
    code, poses, _ = forward_request(state, [names.tool], '', arm, names)
    assert code == SUCCESS and fk_frame('', names) == f'arm1_{names.base_link}'
    want = chain_forward(arm, q)
    assert np.abs(np.subtract(poses[0][:3], want[:3])).max() < 1e-12
    assert quat_angle(np.array([poses[0][3:]]), want[None, 3:])[0] < 1e-9
    state.pop(names.joints[-1])  # a joint missing: no answer
    assert forward_request(state, [names.tool], '', arm, names)[0] != SUCCESS


def test_a_model_file_of_another_arm_is_refused_by_name():
    """The OM-X's focused model for the OMX-F: CheckpointError naming both arms."""
    model = load_model('focused')
    with pytest.raises(CheckpointError, match='omx_f') as e:
        NetworkSolver(model, arm=OMX_F)
    assert 'open_manipulator_x' in str(e.value)
    with pytest.raises(CheckpointError, match='omx_f'):
        load_solver(model.path, arm='omx_f')


@pytest.mark.parametrize('name', ARMS)
def test_load_solver_takes_the_arm_by_name_or_object(name):
    """load_solver('analytic', arm=name) and arm=Arm give the same arm; solver.planar_arm."""
    by_name = load_solver('analytic', arm=name)
    assert by_name.arm == ARMS[name] and by_name.planar_arm == ARMS[name]
    leaning = _leaning(ARMS[name], 0.01, np.random.default_rng(0))
    by_object = load_solver('analytic', arm=leaning)
    assert by_object.arm == leaning and by_object.leaning
    assert by_object.planar_arm == leaning.upright() and not by_object.planar_arm.has_tilts


@pytest.mark.parametrize('name', ARMS)
def test_the_live_solver_of_the_arm(name):
    """live_solver(arm=...): the arm's collision model; a clear pose seeded by itself stays."""
    arm = ARMS[name]
    solver = live_solver('analytic', arm=name)
    assert solver.arm == arm and solver.collision.arm == arm
    q = np.clip(np.array([0.3, -0.5, 0.4, 0.6, 0.2][:arm.dof]), arm.lower, arm.upper)
    assert solver.collision.clear_one(q.tolist())
    pose = chain_forward(arm, q)
    np.testing.assert_allclose(solver.solve(pose, seed=q), q, atol=1e-9)
    np.testing.assert_allclose(solver.solve(pose[None], seed=q[None]), q[None], atol=1e-9)
