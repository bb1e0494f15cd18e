"""
The FollowJointTrajectory decisions, free of ROS.

Joints by name, interpolation by what the points carry, the whole path's safety check before
anything moves (limits, speed from where the arm is, collision) and the tolerances' verdicts.
"""

from hypothesis import given
from hypothesis import strategies as st
from ik_net_ros.arm import default_arm
from ik_net_ros.hardware.trajectory_goal import (
    check_motion,
    GOAL_TOLERANCE_VIOLATED,
    INVALID_GOAL,
    INVALID_JOINTS,
    joint_order,
    OLD_HEADER_TIMESTAMP,
    PATH_TOLERANCE_VIOLATED,
    STAMP_SLACK,
    start_delay,
    SUCCESSFUL,
    Tolerances,
    tolerances,
    Trajectory,
    trajectory_from_points,
    TrajectoryRefused,
    TrajectoryRun,
)
from ik_net_ros.kinematics.collision import CollisionModel
import numpy as np
from propcheck import fixed_examples
import pytest

OMX = default_arm()  # the OM-X, ROBOTIS's humble description

SETTINGS = fixed_examples(80)
J = len(OMX.joint_names)
MODEL = CollisionModel()


@st.composite
def trajectories(draw, carry=None, inside=1.0):
    """Points (N, J) inside ``inside`` of the limits' span, times, what they carry."""
    n = draw(st.integers(1, 6))
    unit = np.array(draw(st.lists(st.floats(0.0, 1.0), min_size=n * J, max_size=n * J)))
    margin = (1 - inside) / 2
    positions = OMX.lower + (margin + inside * unit.reshape(n, J)) * (OMX.upper - OMX.lower)
    gaps = np.array(draw(st.lists(st.floats(0.05, 2.0), min_size=n, max_size=n)))
    times = np.cumsum(gaps)
    carry = draw(st.sampled_from(['positions', 'velocities', 'accelerations'])) \
        if carry is None else carry
    velocities = accelerations = None
    if carry != 'positions':
        velocities = np.array(draw(st.lists(st.floats(-1.0, 1.0), min_size=n * J,
                                            max_size=n * J))).reshape(n, J)
        velocities[-1] = 0.0  # at rest at the end, as JTC requires
    if carry == 'accelerations':
        accelerations = np.array(draw(st.lists(st.floats(-3.0, 3.0), min_size=n * J,
                                               max_size=n * J))).reshape(n, J)
    return times, positions, velocities, accelerations


@SETTINGS
@given(trajectories())
def test_the_interpolation_passes_through_every_point_with_what_it_carries(goal):
    times, positions, velocities, accelerations = goal
    start = np.array(OMX.home)
    trajectory = Trajectory(start, times, positions, velocities, accelerations)
    p, v, a = trajectory.sample(times[:-1])  # each point but the last, where the arm stops
    assert np.allclose(p, positions[:-1], atol=1e-9)
    if velocities is not None:
        assert np.allclose(v, velocities[:-1], atol=1e-9)
    if accelerations is not None:
        assert np.allclose(a, accelerations[:-1], atol=1e-7)
    # just before each point too (the segment ending there), and at rest before and after
    p, v, a = trajectory.sample(times - 1e-9)
    assert np.allclose(p, positions, atol=1e-6)
    p, v, _ = trajectory.sample([-1.0, 0.0, times[-1], times[-1] + 5.0])
    assert np.allclose(p[:2], start) and np.allclose(p[2:], positions[-1])
    assert np.allclose(v[[0, 2, 3]], 0.0)


@SETTINGS
@given(trajectories(carry='positions'), st.floats(0.0, 1.0))
def test_linear_interpolation_stays_between_its_points_so_inside_the_limits(goal, share):
    times, positions, _, _ = goal
    start = np.array(OMX.home)
    trajectory = Trajectory(start, times, positions)
    knots = np.concatenate([[0.0], times])
    rows = np.concatenate([start[None], positions])
    t = knots[:-1] + share * np.diff(knots)
    p, v, _ = trajectory.sample(t)
    low, high = np.minimum(rows[:-1], rows[1:]), np.maximum(rows[:-1], rows[1:])
    assert np.all((p >= low - 1e-12) & (p <= high + 1e-12))
    assert np.all((p >= OMX.lower) & (p <= OMX.upper))
    assert np.allclose(v, np.diff(rows, axis=0) / np.diff(knots)[:, None])


@SETTINGS
@given(trajectories(carry='positions', inside=0.6), st.floats(0.5, 4.8))
def test_a_goal_over_the_speed_limit_anywhere_is_refused_whole(goal, max_velocity):
    """From where the arm is to the first point, and between points: the fastest joint rules."""
    times, positions, _, _ = goal
    start = np.array(OMX.home)
    rows = np.concatenate([start[None], positions])
    speed = np.max(np.abs(np.diff(rows, axis=0)) / np.diff(np.r_[0.0, times])[:, None])
    if abs(speed - max_velocity) < 1e-3 * max_velocity:
        return  # the rounding's edge
    try:
        check_motion(Trajectory(start, times, positions), start, max_velocity, 0.01, None,
                     OMX.joint_names)
        refused = False
    except TrajectoryRefused as e:
        assert e.code == INVALID_GOAL and 'max_velocity' in str(e)
        refused = True
    assert refused == (speed > max_velocity)


@SETTINGS
@given(trajectories(), st.integers(0, 5), st.integers(0, J - 1), st.booleans())
def test_a_point_outside_the_limits_refuses_the_goal(goal, which, joint, above):
    times, positions, velocities, accelerations = goal
    positions = positions.copy()
    k = which % len(positions)
    positions[k, joint] = OMX.upper[joint] + 0.01 if above else OMX.lower[joint] - 0.01
    with pytest.raises(TrajectoryRefused, match='outside its limits') as e:
        check_motion(Trajectory(OMX.home, times, positions, velocities, accelerations),
                     OMX.home, 1000.0, 0.01, None, OMX.joint_names)
    assert e.value.code == INVALID_GOAL


@SETTINGS
@given(st.integers(0, J - 1), st.booleans(), st.floats(1e-6, 0.01), st.floats(0.0, 1.0))
def test_an_arm_found_outside_a_limit_may_only_come_in(joint, above, beyond, share):
    start = np.array(OMX.home)
    start[joint] = OMX.upper[joint] + beyond if above else OMX.lower[joint] - beyond
    inward = start.copy()
    inward[joint] = start[joint] + (-1 if above else 1) * share * 0.2
    check_motion(Trajectory(start, [0.0, 1.0], [start, inward]), start, 4.8, 0.01, None,
                 OMX.joint_names)
    outward = start.copy()
    outward[joint] = start[joint] + (1 if above else -1) * (1e-4 + share * 0.1)
    with pytest.raises(TrajectoryRefused, match='outside its limits'):
        check_motion(Trajectory(start, [1.0], [outward]), start, 4.8, 0.01, None, OMX.joint_names)


def test_a_point_in_collision_or_a_path_through_the_table_refuses_the_goal():
    home = np.array(OMX.home)
    in_table = np.array([0.0, 1.2, 0.3, 0.3])
    clear = np.array([0.3, -0.5, 0.3, 0.5])
    assert not MODEL.check(in_table).clear[0] and MODEL.check(clear).clear[0]
    for points in ([clear, in_table, clear], [in_table]):
        with pytest.raises(TrajectoryRefused, match='collision') as e:
            check_motion(Trajectory(home, [2.0, 4.0, 6.0][:len(points)], points), home, 4.8,
                         0.01, MODEL, OMX.joint_names)
        assert e.value.code == INVALID_GOAL
    check_motion(Trajectory(home, [2.0], [clear]), home, 4.8, 0.01, MODEL,
                 OMX.joint_names)


def test_a_first_point_at_time_zero_must_be_where_the_arm_is_and_the_last_at_rest():
    """
    At time 0 (as MoveIt sends the present state) a jump of more than one cycle is refused.

    A last point still moving is refused (JTC's allow_nonzero_velocity_at_trajectory_end).
    """
    home = np.array(OMX.home)
    near = home + 0.01
    check_motion(Trajectory(home, [0.0, 1.0], [near, home + 0.2]), home, 4.8, 0.01, None,
                 OMX.joint_names)
    with pytest.raises(TrajectoryRefused, match='from where the arm is'):
        check_motion(Trajectory(home, [0.0, 1.0], [home + 0.2, home + 0.3]), home, 4.8, 0.01,
                     None, OMX.joint_names)
    moving = np.zeros((2, J))
    moving[-1, -1] = 0.01
    with pytest.raises(TrajectoryRefused, match=f'last point: {OMX.joint_names[-1]}'):
        check_motion(Trajectory(home, [1.0, 2.0], [home + 0.1, home + 0.2], moving), home,
                     4.8, 0.01, None, OMX.joint_names)
    for times in ([1.0, 1.0], [-0.5, 1.0], [2.0, 1.0], []):
        with pytest.raises(TrajectoryRefused) as e:
            Trajectory(home, times, [home] * len(times))
        assert e.value.code == INVALID_GOAL


@SETTINGS
@given(st.permutations(OMX.joint_names), st.sampled_from(['ok', 'missing', 'unknown', 'twice']))
def test_joints_are_taken_by_name_in_any_order_all_of_them_once(names, change):
    names = list(names)
    if change == 'ok':
        column = joint_order(names, OMX.joint_names)
        assert [names[c] for c in column] == list(OMX.joint_names)
        return
    names = {'missing': names[1:], 'unknown': names + ['joint9'],
             'twice': names + names[:1]}[change]
    with pytest.raises(TrajectoryRefused, match=change if change != 'twice' else 'twice') as e:
        joint_order(names, OMX.joint_names)
    assert e.value.code == INVALID_JOINTS


def test_tolerances_merge_as_jtc_does():
    """> 0 replaces the default, 0 keeps it, -1 erases it; anything else is refused."""
    defaults = Tolerances(np.full((2, J), 0.1), np.full((2, J), 0.02), 1.0)
    a, b = OMX.joint_names[0], OMX.joint_names[-1]
    tol = tolerances(OMX.joint_names, [(a, 0.5, 0.0, 0.0), (b, -1.0, -1.0, 0.0)],
                     [(b, 0.0, 0.3, 0)],
                     0.0, defaults)
    assert tol.path[0, 0] == 0.5 and tol.path[1, 0] == 0.1
    assert tol.path[0, -1] == 0.0 and tol.path[1, -1] == 0.0
    assert tol.goal[0, -1] == 0.02 and tol.goal[1, -1] == 0.3 and tol.goal_time == 1.0
    assert tolerances(OMX.joint_names, [], [], 2.5, defaults).goal_time == 2.5
    for path, goal_time, code in (([(a, -0.5, 0, 0)], 0.0, INVALID_GOAL),
                                  ([(a, float('nan'), 0, 0)], 0.0, INVALID_GOAL),
                                  ([('joint9', 0.1, 0, 0)], 0.0, INVALID_JOINTS),
                                  ([], -1.0, INVALID_GOAL)):
        with pytest.raises(TrajectoryRefused) as e:
            tolerances(OMX.joint_names, path, [], goal_time, defaults)
        assert e.value.code == code


def test_a_run_ends_by_its_tolerances():
    home = np.array(OMX.home)
    goal = home + 0.3
    trajectory = Trajectory(home, [1.0], [goal])
    path = np.zeros((2, J))
    path[0] = 0.05
    tol = Tolerances(path, np.array([np.full(J, 0.01), np.zeros(J)]), 0.5)
    run = TrajectoryRun(trajectory, tol, OMX.joint_names)
    zero = np.zeros(J)
    step = run.update(0.5, home + 0.15, zero)  # on the path
    assert step.code is None and np.allclose(step.desired[0], home + 0.15) and step.index == 0
    step = run.update(0.5, home + 0.05, zero)  # 0.1 behind
    assert step.code == PATH_TOLERANCE_VIOLATED and OMX.joint_names[0] in step.message
    assert step.message.startswith('Aborted due to path tolerance violation')
    assert run.update(1.2, goal - 0.02, zero).code is None  # late, within goal_time: waits
    assert run.update(1.2, goal - 0.005, zero).code == SUCCESSFUL
    step = run.update(1.6, goal - 0.02, zero)
    assert step.code == GOAL_TOLERANCE_VIOLATED
    assert step.message.startswith('Aborted due to goal_time_tolerance exceeding by 0.100 s')


@SETTINGS
@given(trajectories(), st.permutations(range(J)), st.sampled_from(
    ['ok', 'positions', 'velocities', 'accelerations', 'effort']))
def test_points_are_taken_in_the_goals_joint_order_with_sizes_checked(goal, order, damage):
    """A goal's points in any joint order make the arm-order trajectory; bad sizes refuse it."""
    times, positions, velocities, accelerations = goal
    order = list(order)
    names = [OMX.joint_names[i] for i in order]

    def row(a, k):
        return [] if a is None else a[k][order].tolist()

    points = [[t, row(positions, k), row(velocities, k), row(accelerations, k), []]
              for k, t in enumerate(times)]
    if damage == 'ok':
        made = trajectory_from_points(names, OMX.joint_names, OMX.home, points)
        direct = Trajectory(OMX.home, times, positions, velocities, accelerations)
        t = np.linspace(-0.5, times[-1] + 0.5, 37)
        for a, b in zip(made.sample(t), direct.sample(t)):
            assert np.array_equal(a, b)
        return
    field = ['positions', 'velocities', 'accelerations', 'effort'].index(damage) + 1
    points[-1][field] = [0.0] * (J + 1)
    with pytest.raises(TrajectoryRefused, match=damage) as e:
        trajectory_from_points(names, OMX.joint_names, OMX.home, points)
    assert e.value.code == INVALID_GOAL


@SETTINGS
@given(st.one_of(st.none(), st.floats(-100.0, 100.0)))
def test_a_goal_starts_at_its_stamp_never_mid_way(late):
    """Stamp 0: now; future: waits for it; just past: now; older: OLD_HEADER_TIMESTAMP."""
    if late is not None and late > STAMP_SLACK:
        with pytest.raises(TrajectoryRefused) as e:
            start_delay(late)
        assert e.value.code == OLD_HEADER_TIMESTAMP
        return
    delay = start_delay(late)
    assert delay == (0.0 if late is None else max(0.0, -late))


EXTREMES = st.sampled_from([1e308, -1e308, np.inf, -np.inf, np.nan, 5e-324, -5e-324, 0.0, -0.0,
                            1e9, -1e9, 1e-300, 1e200, -1e200])
HOSTILE = st.one_of(EXTREMES, EXTREMES, st.floats(-4.0, 4.0), st.floats())


@st.composite
def hostile_goals(draw):
    """Draw a goal of any numbers: huge, NaN, inf, unordered times, wrong sizes, no points."""
    names = draw(st.one_of(st.permutations(OMX.joint_names),
                           st.lists(st.sampled_from([*OMX.joint_names, 'elbow']), max_size=5)))
    width = st.one_of(st.just(len(names)), st.integers(0, 5))
    points = []
    for _ in range(draw(st.integers(0, 4))):
        time = draw(st.one_of(st.floats(-1.0, 10.0), HOSTILE))
        row = [draw(st.lists(HOSTILE, min_size=n, max_size=n)) for n in
               (draw(width), *(draw(st.sampled_from([0, draw(width)])) for _ in range(2)))]
        points.append((time, *row, [] if draw(st.booleans()) else [0.0]))
    return names, points


@st.composite
def injected_goals(draw):
    """Draw a sane goal (cubic or quintic) with one number replaced by a hostile one."""
    names = list(draw(st.permutations(OMX.joint_names)))
    n = draw(st.integers(1, 4))
    times = np.cumsum(draw(st.lists(st.floats(0.05, 2.0), min_size=n, max_size=n)))
    home = np.array(OMX.home)
    carry = draw(st.integers(1, 3))  # positions, + velocities, + accelerations
    table = np.zeros((n, 1 + 3 * J))
    table[:, 0] = times
    table[:, 1:1 + J] = home + draw(st.floats(-0.3, 0.3))
    for _ in range(draw(st.integers(1, 3))):
        table[draw(st.integers(0, n - 1)), draw(st.integers(0, carry * J))] = draw(HOSTILE)
    return names, [(t, list(row[:J]), list(row[J:2 * J]) if carry > 1 else [],
                    list(row[2 * J:]) if carry > 2 else [], []) for t, *row in table]


@SETTINGS
@given(st.one_of(hostile_goals(), injected_goals()),
       st.lists(st.floats(-4.0, 4.0), min_size=J, max_size=J))
def test_a_hostile_goal_gets_a_verdict_never_an_error(goal, start):
    names, points = goal
    start = np.array(start)
    try:
        trajectory = trajectory_from_points(names, OMX.joint_names, start, points)
        check_motion(trajectory, start, 4.8, 0.01, MODEL, OMX.joint_names)
    except TrajectoryRefused as e:
        assert e.code in (INVALID_GOAL, INVALID_JOINTS) and str(e)
        return
    # accepted: every number was a sane one
    assert all(0 <= p[0] <= 120.0 for p in points)  # MAX_DURATION
    assert all(np.all(np.isfinite(p[k])) for p in points for k in (1, 2, 3))


@SETTINGS
@given(st.lists(st.floats(1e-3, 1e6), min_size=1, max_size=6), st.floats(1e-3, 0.02))
def test_the_path_check_samples_a_bounded_count_whatever_the_times(gaps, step):
    times = np.cumsum(gaps)
    home = np.array(OMX.home)
    trajectory = Trajectory(home, times, np.repeat(home[None], len(times), 0))
    samples = trajectory.dense_times(step)
    assert len(samples) <= 200 * (len(times) + 1) + len(times) + 1
    assert set(times.tolist()) <= set(samples.tolist()) and samples[0] == 0.0
    assert np.all(np.diff(samples) > 0) and samples[-1] == times[-1]
    # every gap is sampled every step, or SEGMENT_SAMPLES times if that is wider
    wide = np.diff(np.concatenate([[0.0], times]))
    assert np.max(np.diff(samples)) <= max(step, np.max(wide) / 200) * (1 + 1e-9)


@SETTINGS
@given(st.floats(1.0, 1e12), st.floats(1.0, 600.0))
def test_a_goal_longer_than_max_duration_is_refused_before_any_sampling(duration, longest):
    home = np.array(OMX.home)
    goal = Trajectory(home, [duration], [home + 0.1])
    if duration <= longest:
        check_motion(goal, home, 4.8, 0.01, None, OMX.joint_names, longest)
        return
    with pytest.raises(TrajectoryRefused, match='trajectory_max_duration') as refused:
        check_motion(goal, home, 4.8, 0.01, None, OMX.joint_names, longest)
    assert refused.value.code == INVALID_GOAL
