"""
JointTrajectory timing from where the arm may be, without DDS (issue 32, items 1 and 8).

The arm is simulated as ROBOTIS's arm_controller moves it: from wherever it is, straight towards
the newest point, at any speed up to the limit; its readings arrive late and out of order.
"""

import math

from hypothesis import given, settings
from hypothesis import strategies as st
from ik_net_ros.arm import default_arm
from ik_net_ros.kinematics.collision import CollisionModel
from ik_net_ros.solver.trajectory_timing import (
    arm_reading,
    bounded_duration,
    FULL_TURN,
    MAX_DURATION,
    MoveTimer,
    path_refusal,
    READING_TOLERANCE,
)
import numpy as np
from omx_legacy import omx_leaning

OMX = default_arm()  # the OM-X, ROBOTIS's humble description

joints = st.tuples(*[st.floats(float(lo), float(hi)) for lo, hi in zip(OMX.lower, OMX.upper)])
# one step of the world: a command sent, the arm moving a fraction of the way to its goal, a
# reading measured now (delivered after `delay` more steps)
steps = st.lists(st.one_of(
    st.tuples(st.just('command'), joints),
    st.tuples(st.just('move'), st.floats(0.0, 1.0)),
    st.tuples(st.just('reading'), st.integers(0, 4))), min_size=1, max_size=40)


@settings(max_examples=300, deadline=None)
@given(start=joints, steps=steps, velocity=st.floats(0.01, 4.8), floor=st.floats(0.0, 1.0))
def test_no_point_asks_more_than_max_velocity_from_where_the_arm_is(
        start, steps, velocity, floor):
    """
    Every point's time is at least its largest joint move from the true arm at max_velocity.

    The arm's goal is the newest command; it moves any fraction of the way per step (a
    controller's own pace); readings of the true pose arrive up to 4 steps late.
    """
    timer, arm, goal = MoveTimer(), np.array(start), np.array(start)
    in_flight = []  # (deliver at step, measured at, reading)
    for t, (kind, value) in enumerate(steps):
        for item in [m for m in in_flight if m[0] <= t]:
            timer.on_state(item[1], item[2])
            in_flight.remove(item)
        if kind == 'command':
            target = np.array(value)
            seconds = timer.duration(target, velocity, floor)
            assert floor <= seconds <= MAX_DURATION
            assert np.abs(target - arm).max() <= seconds * velocity * (1 + 1e-9) + 1e-12
            timer.on_command(float(t), target)
            goal = target
        elif kind == 'move':
            arm = arm + value * (goal - arm)
        else:
            in_flight.append((t + value, float(t), arm.copy()))


def test_a_far_target_then_a_hair_beside_it_is_timed_for_the_arm_not_the_last_command():
    """Issue 32's case: 2.6 rad from the arm, then 4 mm beside 50 ms later: 0.055 s was given."""
    timer = MoveTimer()
    arm = np.array([-1.3, 0.0, 0.0, 0.0])
    timer.on_state(0.0, arm)
    far = np.array([1.3, 0.1, 0.0, 0.0])
    assert timer.duration(far, 4.8) >= 2.6 / 4.8
    timer.on_command(0.01, far)
    beside = far + [0.02, 0.0, 0.0, 0.0]
    timer.on_state(0.02, arm + [0.02, 0, 0, 0])  # the arm has barely left
    assert timer.duration(beside, 4.8, floor=0.05) >= 2.6 / 4.8


def test_before_any_reading_a_point_gets_a_full_turn():
    timer = MoveTimer()
    timer.on_command(0.0, [0.0] * 4)
    assert timer.duration([0.1, 0, 0, 0], 2.0) == FULL_TURN / 2.0


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.floats(), st.sampled_from([1e11, 1e300, -1e300, math.inf,
                                                        -math.inf, math.nan])),
                min_size=4, max_size=4))
def test_a_reading_is_either_refused_or_inside_the_limits(values):
    reading = arm_reading(values)
    inside = all(lo - READING_TOLERANCE <= v <= hi + READING_TOLERANCE
                 for v, lo, hi in zip(values, OMX.lower, OMX.upper))
    assert (reading is not None) == inside
    if reading is not None:
        assert np.all(reading >= OMX.lower) and np.all(reading <= OMX.upper)
        assert np.abs(reading - values).max() <= READING_TOLERANCE  # clamped, not invented


@settings(max_examples=200, deadline=None)
@given(st.floats(allow_nan=True, allow_infinity=True))
def test_a_duration_is_never_negative_nor_beyond_int32_seconds(seconds):
    bounded = bounded_duration(seconds)
    assert 0.0 <= bounded <= MAX_DURATION < 2 ** 31 - 1
    if 0.0 <= seconds <= MAX_DURATION:
        assert bounded == seconds


def test_an_absurd_reading_changes_nothing():
    timer = MoveTimer()
    timer.on_state(0.0, [0.1, 0.2, 0.3, 0.4])
    for bad in ([1e11, 0, 0, 0], [1e300, 0, 0, 0], [-math.inf, 0, 0, 0], [math.nan, 0, 0, 0]):
        assert not timer.on_state(1.0, bad)
    np.testing.assert_array_equal(timer.state[1], [0.1, 0.2, 0.3, 0.4])


# F9: the arm_controller's straight path from where the arm is -----------------------------

MODEL = CollisionModel()
LEANING = omx_leaning(tilts=(0.01, -0.02, 0.015, 0.01, -0.01, 0.02, 0.01, -0.015))
# checks at 2 mm of motion: the arm may enter a keep-out by about that much between samples
VERIFIER = CollisionModel(table_clearance=MODEL.table_clearance - 0.003,
                          radii=tuple(r - 0.003 for r in MODEL.radii))
# both clear of the capsules fitted to the meshes; the straight path between them dips under
# the table (found by drawing pairs, as the attacker's fuzz_path.py did for the thinner capsules)
ARM = np.array([0.9127, -0.3325, 0.5939, -0.6874])
FAR = np.array([2.3013, 0.2993, 0.0901, 1.8278])
# random clear pairs almost never have a blocked straight path (0 of 300): poses near these two
# mostly do (138 of 140 pairs within 0.1 rad)
near = st.builds(lambda end, noise: end + np.array(noise), st.sampled_from([ARM, FAR]),
                 st.tuples(*[st.floats(-0.1, 0.1)] * 4))
poses = st.one_of(joints, near)


@settings(max_examples=60, deadline=None)
@given(start=poses, world=st.lists(st.one_of(
    st.tuples(st.just('target'), poses), st.tuples(st.just('reading'), st.just(()))),
    max_size=12), read_first=st.booleans())
def test_every_point_sent_has_a_clear_straight_path_from_where_the_arm_is(
        start, world, read_first):
    """
    A point goes out only if its straight joint path from where the arm is is clear.

    The arm at rest (its reading, or the newest command it went to); the path checked densely
    with slimmer keep-outs.
    """
    arm = np.array(start)
    if not MODEL.check(arm).clear[0]:
        return  # the escape rule is check_path's own (test_collision)
    timer, last, now = MoveTimer(), None, 0.0
    if read_first:
        timer.on_state(now, arm)
    for kind, goal in world:
        now += 0.1
        if kind == 'reading':
            timer.on_state(now, arm)
            continue
        goal = np.array(goal)
        if not MODEL.check(goal).clear[0]:
            continue  # the solver never answers these
        why = path_refusal(MODEL, timer, goal, last)
        if why:
            assert why.startswith('path from ') and 'collision' in why
            assert timer.state is not None or 'no joint_states yet' in why
            continue
        if timer.state is not None or last is not None:
            assert VERIFIER.check_path(arm, goal, resolution=0.0005)[0], (arm, goal)
        timer.on_command(now, goal)
        arm, last = goal, goal  # the arm goes there before the next target


def test_a_far_move_under_the_table_is_refused_from_the_reading_and_from_the_last_command():
    assert MODEL.check(np.stack([ARM, FAR])).clear.all()
    timer = MoveTimer()
    timer.on_state(0.0, ARM)
    assert path_refusal(MODEL, timer, FAR).startswith('path from where the arm is to the ')
    assert path_refusal(MODEL, MoveTimer(), FAR, last_command=ARM).startswith(
        'path from the last command (no joint_states yet')
    assert path_refusal(MODEL, MoveTimer(), FAR) == ''  # nothing known to start from
    timer.on_state(1.0, FAR)
    timer.on_command(2.0, ARM)  # the reading is clear of FAR, the last command is not
    assert path_refusal(MODEL, timer, FAR).startswith('path from the last command to the ')
    timer.on_state(3.0, ARM + 0.001)
    assert path_refusal(MODEL, timer, ARM) == ''  # a small step


@settings(max_examples=150, deadline=None)
@given(reading=poses, steps=st.tuples(*[st.tuples(*[st.floats(-0.02, 0.02)] * 4)] * 2),
       leaning=st.booleans())
def test_short_paths_get_check_paths_answer(reading, steps, leaning):
    """Streaming steps (checked in plain floats) are refused exactly when check_path says so."""
    model = CollisionModel(LEANING) if leaning else MODEL
    reading = np.array(reading)
    command, goal = reading + steps[0], reading + steps[0] + steps[1]
    timer = MoveTimer()
    timer.on_state(0.0, reading)
    timer.on_command(1.0, command)
    clear = model.check_path(reading, goal)[0] and model.check_path(command, goal)[0]
    assert (path_refusal(model, timer, goal) == '') == clear
