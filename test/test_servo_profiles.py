"""
Each arm's servo settings written by the driver, and the time-based profile kept within speed.

The driver against the emulator for the OMX-F (time-based, as ROBOTIS sets it) and the OM-X
(velocity-based); the emulator's time-based profile (Profile Velocity read as ms); and the
driver's move times, which keep every joint at most at max_velocity from where it is.
"""

from contextlib import contextmanager
import math
import time

from dxl_util import emulator_config, run_until
from hypothesis import given, HealthCheck, settings
from hypothesis import strategies as st
from ik_net_ros.arm import load_arm
from ik_net_ros.errors import HardwareError
from ik_net_ros.hardware.dynamixel import DynamixelArm
from ik_net_ros.hardware.dynamixel_config import DynamixelConfig
from ik_net_ros.hardware.emulated import arm_emulator
from ik_net_ros.hardware.emulator import EmulatedServo
from ik_net_ros.hardware.servo_profile import max_distance, move_time, PROFILE_MAX
from ik_net_ros.hardware.xm430 import ADDR, RAD_PER_TICK, VELOCITY_UNIT
import numpy as np
import pytest

SETTINGS = settings(max_examples=15, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])
FAST = settings(max_examples=200, deadline=None, derandomize=True, database=None)


def _register(servo, addr: int, size: int) -> int:
    return servo._get(addr, size, signed=size == 4)


@pytest.mark.parametrize('name, leftovers', [('omx_f', 'factory'), ('omx_f', 'jazzy'),
                                             ('open_manipulator_x', 'factory'),
                                             ('open_manipulator_x', 'jazzy')])
def test_every_setting_of_the_arm_is_written_and_reads_back(name, leftovers):
    arm_model = load_arm(name)
    emulator = arm_emulator(arm_model, leftovers=leftovers).start()
    arm = DynamixelArm(emulator_config(emulator), arm=arm_model, collision=None)
    try:
        arm.open()
        servos = list(zip(arm.ids, arm_model.servos)) + [(arm.gripper_id, arm_model.gripper)]
        for dxl_id, servo in servos:
            want, got = servo.settings, emulator.servos[dxl_id]
            mode = {'position': 3, 'extended': 4}.get(getattr(servo, 'mode', None), 5)
            assert got.table[ADDR.OPERATING_MODE] == mode
            assert got.table[ADDR.DRIVE_MODE] == want.drive_mode
            assert got.table[ADDR.RETURN_DELAY] == want.return_delay
            assert [_register(got, a, 2) for a in (ADDR.POSITION_P_GAIN, ADDR.POSITION_I_GAIN,
                                                   ADDR.POSITION_D_GAIN)] == list(want.gains)
            assert _register(got, ADDR.PROFILE_ACCELERATION, 4) == want.profile[1]
            profile = _register(got, ADDR.PROFILE_VELOCITY, 4)
            if want.time_based:  # ms: the shortest move (a goal lengthens its own)
                assert profile == want.profile[0]
            else:  # a cap, at most max_velocity (4.8 rad/s = 209 units) and the joint's
                assert profile == min(want.profile[0], int(4.8 / VELOCITY_UNIT))
            if want.current_limit is not None:
                assert _register(got, ADDR.CURRENT_LIMIT, 2) == want.current_limit
            if want.goal_current is not None:
                assert _register(got, ADDR.GOAL_CURRENT, 2) == want.goal_current
        assert arm.settings[arm.gripper_id].goal_current == (600 if name == 'omx_f' else 200)
    finally:
        arm.close()
        emulator.stop()


def test_the_drivers_parameters_override_the_arms_settings():
    arm_model = load_arm('omx_f')
    emulator = arm_emulator(arm_model).start()
    arm = DynamixelArm(emulator_config(emulator, position_p_gain=900, drive_mode=0,
                                       profile_velocity=100, gripper_current_limit=300),
                       arm=arm_model, collision=None, max_velocity=4.8)
    try:
        arm.open()
        for dxl_id in arm.ids:
            servo = emulator.servos[dxl_id]
            assert servo.table[ADDR.DRIVE_MODE] == 0
            assert _register(servo, ADDR.POSITION_P_GAIN, 2) == 900
            assert _register(servo, ADDR.POSITION_D_GAIN, 2) == 1000  # the arm's
            assert _register(servo, ADDR.PROFILE_VELOCITY, 4) == 100
        assert _register(emulator.servos[16], ADDR.GOAL_CURRENT, 2) == 300
    finally:
        arm.close()
        emulator.stop()


whole = st.integers(-1, 70000)


@SETTINGS
@given(name=st.sampled_from(['omx_f', 'open_manipulator_x']), drive=st.sampled_from([-1, 0, 4]),
       gains=st.tuples(whole, whole, whole), profile=st.tuples(whole, whole),
       current=st.integers(-1, 2000), delay=st.integers(-1, 300))
def test_a_setting_a_servo_would_refuse_is_a_clear_error_before_any_write(
        name, drive, gains, profile, current, delay):
    arm_model = load_arm(name)
    config = DynamixelConfig(port='/dev/null', drive_mode=drive, return_delay=delay,
                             position_p_gain=gains[0], position_i_gain=gains[1],
                             position_d_gain=gains[2], profile_velocity=profile[0],
                             profile_acceleration=profile[1], gripper_current_limit=current)
    time_based = (drive if drive >= 0 else arm_model.servos[0].settings.drive_mode) == 4
    grip_limit = 600 if name == 'omx_f' else 1193  # OMX-F: its YAML's; OM-X: the XM430's
    bad = (any(g > 16383 for g in gains) or any(p > 32767 for p in profile) or delay > 254
           or current > grip_limit
           or (not time_based and profile[0] > 1023))  # XM430's / XL430's largest limit
    try:
        arm = DynamixelArm(config, arm=arm_model, collision=None)
    except HardwareError as e:
        assert bad, e
        assert 'outside what a' in str(e) and 'servo' in str(e)
        return
    assert not bad
    assert not arm.connected  # nothing was opened nor written


@FAST
@given(distance=st.integers(0, 10000), duration=st.integers(1, 5000),
       ramp=st.integers(0, 5000))
def test_the_emulators_time_based_move_lasts_profile_velocity_ms(distance, duration, ramp):
    """Profile Velocity is the move's ms, Profile Acceleration its ramp (at most half of it)."""
    servo = EmulatedServo(1, position=0, model='XL430-W250-T', operating_mode=4)
    servo.table[ADDR.DRIVE_MODE] = 4
    servo._set(ADDR.PROFILE_VELOCITY, 4, duration)
    servo._set(ADDR.PROFILE_ACCELERATION, 4, ramp)
    servo.table[ADDR.TORQUE_ENABLE] = 1
    servo._set(ADDR.GOAL_POSITION, 4, distance)
    servo._plan()
    t0 = servo._move[2]
    seconds, ramp_s = duration / 1000, min(ramp, duration / 2) / 1000
    top = distance / (seconds - ramp_s)
    assert servo.top_speed == pytest.approx(top)
    times = np.linspace(0, seconds, 101)
    path = np.array([servo._along_move(t0 + t) for t in times])
    assert path[0, 0] == pytest.approx(0, abs=1e-6)
    assert path[-1, 0] == pytest.approx(distance)
    assert servo._along_move(t0 + seconds + 1e-6) == (distance, 0.0)  # there, at rest
    assert np.all(np.diff(path[:, 0]) >= -1e-9)  # never back
    assert np.all(np.abs(path[:, 1]) <= top * (1 + 1e-9))
    steps = np.diff(path[:, 0]) / np.diff(times)
    assert np.all(steps <= top * (1 + 1e-6))  # the positions too, not only the velocities
    assert servo._along_move(t0 + seconds / 2)[0] == pytest.approx(distance / 2)


@FAST
@given(distance=st.floats(0, 5e5), speed=st.floats(1, 5000), shortest=st.integers(0, 2000),
       ramp=st.integers(0, 40000))
def test_move_time_keeps_the_emulated_servo_within_the_speed(distance, speed, shortest, ramp):
    ms = move_time(distance, speed, shortest, ramp)
    assert max(1, shortest) <= ms <= PROFILE_MAX or ms == PROFILE_MAX
    if distance > max_distance(speed, ramp):
        assert ms == PROFILE_MAX  # the caller shortens the goal
        return
    servo = EmulatedServo(1, position=0, model='XL430-W250-T', operating_mode=4)
    servo.table[ADDR.DRIVE_MODE] = 4
    servo._set(ADDR.PROFILE_VELOCITY, 4, ms)
    servo._set(ADDR.PROFILE_ACCELERATION, 4, ramp)
    servo._set(ADDR.GOAL_POSITION, 4, int(math.floor(distance)))
    servo._plan()
    assert servo.top_speed <= speed * (1 + 1e-9)


def test_move_time_refuses_a_speed_that_is_no_speed():
    for speed in (0.0, -1.0, math.nan, math.inf):
        with pytest.raises(ValueError, match='speed > 0'):
            move_time(1.0, speed, 50, 25)


@contextmanager
def _omx_f(max_velocity: float, **settings):
    """Give (backend, emulator) of the OMX-F, open, at ``max_velocity`` rad/s; closed after."""
    arm_model = load_arm('omx_f')
    emulator = arm_emulator(arm_model).start()
    arm = DynamixelArm(emulator_config(emulator, **settings), arm=arm_model, collision=None,
                       max_velocity=max_velocity)
    try:
        arm.open()
        yield arm, emulator
    finally:
        arm.close()
        emulator.stop()


def _run(arm, seconds, dt):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        arm.cycle(dt)
        time.sleep(0.005)


@SETTINGS
@given(dt=st.sampled_from([0.01, 0.05, 0.2, 0.5]), speed=st.sampled_from([0.5, 1.5, 4.8]),
       target=st.lists(st.floats(-1, 1), min_size=5, max_size=5))
def test_a_time_based_profile_never_moves_a_joint_faster_than_max_velocity(dt, speed, target):
    """
    Late cycles (a command step of max_velocity x dt) on ROBOTIS's 50 ms profile.

    A fixed Profile Velocity of 50 ms would make each step in 50 ms: at dt 0.2, four times the
    limit. The emulated servo records the fastest profile it was given.
    """
    arm_model = load_arm('omx_f')
    goal = np.clip(np.array(target) + np.array(arm_model.home), arm_model.lower,
                   arm_model.upper)
    with _omx_f(speed, drive_mode=4, profile_velocity=50,
                profile_acceleration=25) as (arm, emulator):
        for servo in emulator.servos.values():
            servo.top_speed = 0.0
        arm.set_goal(goal)
        _run(arm, 0.6, dt)
        for dxl_id, limit in zip(arm.ids, arm_model.velocity):
            top = emulator.servos[dxl_id].top_speed * RAD_PER_TICK
            assert top <= min(speed, limit) * (1 + 1e-6), (dxl_id, top)


def test_a_time_based_arm_reaches_its_goal():
    """The move times from the distance slow the arm (a margin for its motion), never stall it."""
    arm_model = load_arm('omx_f')
    with _omx_f(2.0) as (arm, emulator):
        goal = np.array(arm_model.home) + np.array([0.3, 0.2, -0.2, 0.1, -0.3])
        arm.set_goal(goal)
        run_until(arm, lambda r: r.ok and np.allclose(r.positions, goal, atol=3 * RAD_PER_TICK))


def test_a_gripper_goal_on_a_time_based_servo_is_timed_too():
    with _omx_f(1.0) as (arm, emulator):
        gripper = emulator.servos[16]
        gripper.top_speed = 0.0
        arm.set_gripper(1.0)  # 1 rad open at 1 rad/s: a second, not 50 ms
        arm.cycle(0.01)
        assert _register(gripper, ADDR.PROFILE_VELOCITY, 4) >= 1000
        assert gripper.top_speed * RAD_PER_TICK <= 1.0 * (1 + 1e-6)


def test_a_slow_move_too_long_for_one_profile_is_sent_in_parts():
    with _omx_f(1.0) as (arm, emulator):
        arm.motion.max_velocity = 0.001  # rad/s: 32.767 s of the register cover 0.03 rad
        present = emulator.servos[11]._get(ADDR.PRESENT_POSITION, 4, signed=True)
        goal, ms = arm._timed_goal(11, present + 2000)
        assert ms <= PROFILE_MAX and 0 < goal - present <= 0.0328 / RAD_PER_TICK  # nearer
