"""
JointTrajectory timing from where the arm may be, without DDS (issue 32, items 1 and 8).

The arm is simulated as ROBOTIS's arm_controller moves it: from wherever it is, straight towards
the newest point, at any speed up to the limit; its readings arrive late and out of order.
"""

import math

from hypothesis import given, settings
from hypothesis import strategies as st
from ik_net_ros.kinematics import JOINT_LOWER, JOINT_UPPER
from ik_net_ros.solver.trajectory_timing import (
    arm_reading,
    bounded_duration,
    FULL_TURN,
    MAX_DURATION,
    MoveTimer,
    READING_TOLERANCE,
)
import numpy as np

joints = st.tuples(*[st.floats(float(lo), float(hi)) for lo, hi in zip(JOINT_LOWER, JOINT_UPPER)])
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
                 for v, lo, hi in zip(values, JOINT_LOWER, JOINT_UPPER))
    assert (reading is not None) == inside
    if reading is not None:
        assert np.all(reading >= JOINT_LOWER) and np.all(reading <= JOINT_UPPER)
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
