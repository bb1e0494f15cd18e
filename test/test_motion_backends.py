"""
Every backend is a safety wall.

Goals and paths in collision refused, speed and acceleration limited on every path to the servos,
and readings that are real or not published.
"""

import time

from dxl_util import emulator_config, IDS, run_until
from hypothesis import given
from hypothesis import strategies as st
from ik_net_ros.arm import default_arm
from ik_net_ros.errors import HardwareError, UnsafeGoalError
from ik_net_ros.hardware.dynamixel import DynamixelArm, DynamixelConfig
from ik_net_ros.hardware.emulated import EmulatedArm
from ik_net_ros.hardware.emulator import ServoEmulator
from ik_net_ros.hardware.gripper import finger_speed
from ik_net_ros.hardware.motion import MotionLimiter
from ik_net_ros.hardware.protocol2 import Error
from ik_net_ros.hardware.sim import GRIPPER_SPEED, SimulatedArm
from ik_net_ros.hardware.xm430 import ADDR, RAD_PER_TICK, VELOCITY_UNIT
from ik_net_ros.kinematics import within_limits
from ik_net_ros.kinematics.collision import CollisionModel
import numpy as np
from propcheck import fixed_examples
import pytest

OMX = default_arm()  # the OM-X, ROBOTIS's humble description

SETTINGS = fixed_examples(60)


goals = st.tuples(*[st.floats(float(lo), float(hi)) for lo, hi in zip(OMX.lower, OMX.upper)])


@SETTINGS
@given(sequence=st.lists(st.tuples(goals, st.integers(1, 60)), min_size=1, max_size=6),
       velocity=st.floats(0.3, 4.8), acceleration=st.floats(0.5, 50.0))
def test_interpolated_motion_never_exceeds_the_speed_limit(sequence, velocity, acceleration):
    dt = 0.01
    motion = MotionLimiter(velocity, acceleration)
    motion.reset(OMX.home)
    previous = motion.setpoint.copy()
    for goal, cycles in sequence:
        start, line = motion.setpoint.copy(), np.array(goal) - motion.setpoint
        points = np.array([motion.step(goal, dt) for _ in range(cycles)])
        steps = np.abs(np.diff(np.vstack([previous, points]), axis=0))
        assert np.all(steps <= velocity * dt + 1e-12)
        # on the straight line from where the goal was given to the goal
        along = (points - start) @ line / max(line @ line, 1e-300)
        np.testing.assert_allclose(points, start + along[:, None] * line, atol=1e-9)
        speed = steps.max(axis=1) / dt  # the leading joint's; it only speeds up so fast
        assert np.all(np.diff(speed) <= acceleration * dt + 1e-9)
        previous = points[-1]
    goal = np.array(sequence[-1][0])
    cycles = int(np.abs(goal - motion.setpoint).max() / (velocity * dt)
                 + velocity / (acceleration * dt)) + 10
    for _ in range(cycles):
        motion.step(goal, dt)
    np.testing.assert_allclose(motion.setpoint, goal, atol=1e-12)


@SETTINGS
@given(sequence=st.lists(goals, min_size=1, max_size=8))
def test_sim_arm_never_enters_a_collision_whatever_goals_it_is_sent(sequence):
    model = CollisionModel()
    arm = SimulatedArm()
    tolerant = model.inflated(-0.0021)  # paths are checked every 2 mm of motion
    for goal in sequence:
        before = arm.goal
        try:
            arm.set_goal(goal)
        except UnsafeGoalError as e:
            assert 'collision' in str(e)
            if before is None:
                assert arm.goal is None
            else:  # the old goal stays
                np.testing.assert_array_equal(arm.goal, before)
        for _ in range(40):
            positions = arm.cycle(0.01).positions
            assert within_limits(OMX, positions)
            assert tolerant.clear(positions)


def test_a_goal_under_the_table_is_refused_by_the_backend_and_the_arm_stays():
    arm = SimulatedArm()
    under = np.array([0.0, 1.2, 0.3, 0.3])
    with pytest.raises(UnsafeGoalError, match='under the table'):
        arm.set_goal(under)
    for _ in range(100):
        np.testing.assert_allclose(arm.cycle(0.01).positions, OMX.home)
    # a path between two clear poses through the table is refused too
    arm = SimulatedArm(home=[2.16, 0.44, 0.06, -0.08])
    with pytest.raises(UnsafeGoalError, match='path hits'):
        arm.set_goal([0.07, -0.12, 0.45, 1.65])


def test_sim_speed_follows_max_velocity_at_run_time():
    arm = SimulatedArm(home=[0, 0, 0, 0])
    arm.set_max_velocity(0.1)
    arm.set_goal([1.0, 0.0, 0.0, 0.0])
    positions = [arm.cycle(0.01).positions[0] for _ in range(100)]
    assert np.all(np.diff(positions) <= 0.1 * 0.01 + 1e-12) and positions[-1] > 0.08
    with pytest.raises(HardwareError, match='max_velocity'):
        arm.set_max_velocity(10.0)
    with pytest.raises(HardwareError, match='max_velocity'):
        arm.set_max_velocity(float('nan'))


# the Dynamixel path, through dynamixel-sdk and the servo emulator ----------------------------

def test_emulated_arm_moves_no_faster_than_max_velocity():
    arm = EmulatedArm(DynamixelConfig(gripper_id=0), home=[0, 0, 0, 0], max_velocity=0.1)
    try:
        arm.open()
        servo = arm.emulator.servos[11]
        assert servo._get(ADDR.PROFILE_VELOCITY, 4) == int(0.1 / VELOCITY_UNIT)
        arm.set_goal([1.0, 0.0, 0.0, 0.0])
        start, t0 = servo._position, time.monotonic()
        # until it has moved (however late a busy machine runs the servo's thread); the bound
        # is on the time it has had
        run_until(arm, lambda r: r.ok and r.positions[0] > 0.03)
        servo.update()
        moved = (servo._position - start) * RAD_PER_TICK
        assert 0.02 < moved <= 0.1 * (time.monotonic() - t0) + 0.01
        arm.set_max_velocity(2.0)  # at run time: the servos' profile follows
        assert servo._get(ADDR.PROFILE_VELOCITY, 4) == int(2.0 / VELOCITY_UNIT)
    finally:
        arm.close()


def test_profile_velocity_never_above_the_servos_velocity_limit():
    with ServoEmulator(ids=IDS) as emulator:
        for i in IDS:
            emulator.servos[i]._set(ADDR.VELOCITY_LIMIT, 4, 50)  # 1.2 rad/s
        arm = DynamixelArm(emulator_config(emulator, gripper_id=0))
        arm.open()  # a profile above the limit would be refused by the servo: setup fails
        assert all(emulator.servos[i]._get(ADDR.PROFILE_VELOCITY, 4) == 50 for i in IDS)
        arm.close()


@pytest.fixture
def rig():
    emulator = ServoEmulator(ids=IDS).start()
    arm = DynamixelArm(emulator_config(emulator, gripper_id=0,
                                       reconnect_period=0.05))
    arm.open()
    yield emulator, arm
    arm.close()
    emulator.stop()


@pytest.mark.parametrize('fault', ['short', 'error', 'range'])
def test_bad_replies_are_faults_and_never_published(rig, fault):
    emulator, arm = rig
    assert arm.cycle(0.01).ok
    if fault == 'short':  # valid CRC, one byte short: the position would read -pi
        emulator.short_next(11)
        words = 'short status packet'
    elif fault == 'error':
        emulator.error_next(12, Error.DATA_RANGE)
        words = 'status error'
    else:
        arm.set_torque(False)
        emulator.servos[13].set_present_position(5000)
        words = 'outside 0..4095'
    reading = arm.cycle(0.01)
    assert not reading.ok and reading.positions is None
    assert any(words in f for f in reading.faults), reading.faults
    if fault != 'range':
        assert arm.cycle(0.01).ok  # one bad reply: the next reading is good again


def test_torque_on_holds_inside_each_servos_position_limits(rig):
    emulator, arm = rig
    arm.set_torque(False)
    servo = emulator.servos[12]
    servo._set(ADDR.MAX_POSITION, 4, 3000)
    arm.close()
    arm.open()  # limits read again; torque stays off as asked
    servo.set_present_position(3300)  # pushed by hand past its limit
    arm.set_torque(True)  # the hold goal is clamped into the limits: every servo powered
    assert all(emulator.servos[i].torque for i in IDS)
    assert servo._get(ADDR.GOAL_POSITION, 4) == 3000


def test_torque_on_failing_for_one_servo_leaves_all_of_them_off(rig):
    emulator, arm = rig
    arm.set_torque(False)
    emulator.servos[13].set_hardware_error(1 << 5)  # overload: refuses torque until rebooted
    with pytest.raises(HardwareError, match='servo 13'):
        arm.set_torque(True)
    assert not any(emulator.servos[i].torque for i in IDS)
    assert not arm.torque_enabled


def test_a_reconnect_to_servos_already_set_up_keeps_their_torque(rig):
    emulator, arm = rig
    drops = [emulator.servos[i].torque_drops for i in IDS]
    emulator.unplug()
    assert not arm.cycle(0.01).ok
    emulator.replug()
    run_until(arm, lambda r: r.ok and arm.connected)  # the next reconnect_period, or later
    assert [emulator.servos[i].torque_drops for i in IDS] == drops
    assert all(emulator.servos[i].torque for i in IDS)


def test_a_failed_reconnect_leaves_every_servo_off(rig):
    emulator, arm = rig
    emulator.unplug()
    arm.cycle(0.01)
    emulator.servos[14].set_hardware_error(1 << 2)  # overheated while the port was gone
    emulator.replug()
    run_until(arm, lambda r: any('servo 14' in f for f in r.faults))  # the reconnect's answer
    assert not arm.connected
    assert not any(emulator.servos[i].torque for i in IDS)


def test_goals_are_refused_until_the_arm_position_is_known():
    arm = DynamixelArm(DynamixelConfig(port='/dev/does-not-exist', gripper_id=0))
    with pytest.raises(HardwareError, match='not known'):
        arm.set_goal([0.0, 0.0, 0.0, 0.0])


# the gripper follows a run-time max_velocity on every backend ---------------------------------

@SETTINGS
@given(velocity=st.floats(0.05, 4.8))
def test_sim_gripper_follows_max_velocity_at_run_time(velocity):
    arm = SimulatedArm()
    arm.set_max_velocity(velocity)
    expected = min(GRIPPER_SPEED, finger_speed(velocity))
    assert arm.gripper_speed == pytest.approx(expected)
    arm.set_gripper(0.019)
    before = arm.cycle(0.01).gripper
    after = arm.cycle(0.01).gripper
    assert after - before == pytest.approx(expected * 0.01)


def test_servo_gripper_profile_velocity_follows_max_velocity_at_run_time():
    with ServoEmulator(ids=IDS + (15,)) as emulator:
        arm = DynamixelArm(emulator_config(emulator, gripper_id=15))
        arm.open()
        try:
            for velocity in (0.5, 2.0, 0.1):
                arm.set_max_velocity(velocity)
                raw = [emulator.servos[i]._get(ADDR.PROFILE_VELOCITY, 4) for i in IDS + (15,)]
                assert raw == [int(velocity / VELOCITY_UNIT)] * 5
        finally:
            arm.close()
