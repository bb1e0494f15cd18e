"""The OMX-F's servos (XL430-W250-T, XL330-M288-T) end to end: emulator, backend, its limits."""

from dataclasses import replace
import math

from dxl_util import emulator_config, goal_raw, present_raw, run_until
from hypothesis import given, HealthCheck, settings
from hypothesis import strategies as st
from ik_net_ros.arm import load_arm
from ik_net_ros.errors import HardwareError
from ik_net_ros.hardware.dynamixel import DynamixelArm
from ik_net_ros.hardware.dynamixel_config import DynamixelConfig
from ik_net_ros.hardware.emulated import arm_emulator, EmulatedArm
from ik_net_ros.hardware.xm430 import ADDR, rad_to_raw, VELOCITY_UNIT
from ik_net_ros.kinematics.chain import chain_forward
import numpy as np
import pytest

ARM = load_arm('omx_f')
JOINT_IDS = (11, 12, 13, 14, 15)
GRIPPER = 16
TICK = 2 * math.pi / 4096
SETTINGS = settings(max_examples=15, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


def _backend(emulator, **settings):
    # collision=None: the collision layer takes the OMX-F once its migration is merged; the
    # limits and the servos are what is tested here
    return DynamixelArm(emulator_config(emulator, reconnect_period=0.2, **settings), arm=ARM,
                        collision=None)


@pytest.fixture
def rig():
    emulator = arm_emulator(ARM).start()
    arm = _backend(emulator)
    arm.open()
    yield emulator, arm
    arm.close()
    emulator.stop()


def test_open_checks_models_and_sets_each_servo_as_robotis_does(rig):
    emulator, arm = rig
    assert arm.ids == JOINT_IDS and arm.gripper_id == GRIPPER
    assert arm.joint_names == ('joint1', 'joint2', 'joint3', 'joint4', 'joint5')
    numbers = {i: emulator.servos[i]._get(ADDR.MODEL_NUMBER, 2) for i in emulator.servos}
    assert numbers == {11: 1060, 12: 1060, 13: 1060, 14: 1200, 15: 1200, 16: 1200}
    modes = {i: emulator.servos[i].table[ADDR.OPERATING_MODE] for i in emulator.servos}
    assert modes == {11: 4, 12: 3, 13: 3, 14: 3, 15: 3, 16: 5}  # the xacro's
    assert all(s.torque for s in emulator.servos.values())
    # holds where it stands
    assert goal_raw(emulator, JOINT_IDS) == rad_to_raw(ARM.home).tolist()
    # Goal Current in the XL330's unit (1 mA), written only to the gripper: ROBOTIS's 600
    assert emulator.servos[GRIPPER]._get(ADDR.GOAL_CURRENT, 2) == 600
    assert all(emulator.servos[i]._get(ADDR.GOAL_CURRENT, 2) == 0 for i in JOINT_IDS)


@pytest.mark.parametrize('dxl_id, wrong', [(14, 'XL430-W250-T'), (11, 'XM430-W350-T'),
                                           (GRIPPER, 'XL430-W250-T')])
def test_a_servo_of_another_model_is_refused_by_name(dxl_id, wrong):
    emulator = arm_emulator(ARM)
    emulator.servos[dxl_id] = type(emulator.servos[dxl_id])(dxl_id, model=wrong)
    emulator.start()
    try:
        arm = _backend(emulator)
        with pytest.raises(HardwareError) as e:
            arm.open()
        expected = 'XL430-W250-T' if dxl_id in (11, 12, 13) else 'XL330-M288-T'
        what = 'the gripper' if dxl_id == GRIPPER else f'joint{dxl_id - 10}'
        assert f'servo {dxl_id} ({what})' in str(e.value)
        assert wrong in str(e.value) and expected in str(e.value)
        assert not any(s.torque for s in emulator.servos.values())  # never half powered
    finally:
        emulator.stop()


def test_a_gripper_servo_without_current_control_is_refused_before_connecting():
    arm = replace(ARM, gripper=replace(ARM.gripper, model='XL430-W250-T'))
    with pytest.raises(HardwareError, match='XL430-W250-T has no current-based position'):
        DynamixelArm(DynamixelConfig(port='/dev/null'), arm=arm, collision=None)


def test_ids_are_the_arms_unless_set_and_must_be_one_per_joint():
    with pytest.raises(HardwareError, match='need 5 distinct servo IDs'):
        DynamixelArm(DynamixelConfig(ids=(11, 12, 13, 14)), arm=ARM, collision=None)
    arm = DynamixelArm(DynamixelConfig(ids=(1, 2, 3, 4, 5), gripper_id=0), arm=ARM,
                       collision=None)
    assert arm.ids == (1, 2, 3, 4, 5) and arm.gripper_id == 0 and not arm.has_gripper


lower, upper = ARM.lower, ARM.upper
inside = st.tuples(*[st.floats(lo, hi) for lo, hi in zip(lower, upper)])
anywhere = st.tuples(*[st.floats(lo - 3, hi + 3) for lo, hi in zip(lower, upper)])


@SETTINGS
@given(goal=anywhere)
def test_every_command_is_inside_the_real_limits_and_reached(rig, goal):
    emulator, arm = rig
    used = arm.set_goal(goal)
    assert np.all(used >= lower) and np.all(used <= upper)
    assert np.array_equal(used, np.clip(goal, lower, upper))
    arm.set_max_velocity(4.8)
    raw = rad_to_raw(used).tolist()
    reading = run_until(arm, lambda r: r.ok and goal_raw(emulator, JOINT_IDS) == raw
                        and np.allclose(r.positions, used, atol=2 * TICK))
    # what the servos did is where the URDF chain puts the tool: within the ticks' rounding
    tool = chain_forward(ARM, reading.positions)[:3]
    assert np.linalg.norm(tool - chain_forward(ARM, used)[:3]) < 2e-3


def test_servo_accepts_every_goal_of_the_arm_limits():
    """The arm's limits sit inside what each servo takes (its Min/Max, ROBOTIS's xacro)."""
    robotis = {12: (830, 3129), 13: (1024, 3140), 14: (0, 4095), 15: (0, 4095)}
    for dxl_id, (low, high) in robotis.items():
        j = JOINT_IDS.index(dxl_id)
        raw = rad_to_raw([ARM.lower[j], ARM.upper[j]])
        assert low <= raw[0] and raw[1] <= high, (dxl_id, raw)


@SETTINGS
@given(turns=st.integers(-3, 3), offset=st.integers(-2047, 2047),
       goal=st.floats(float(lower[0]), float(upper[0])))
def test_a_wound_joint1_is_read_as_it_is_and_never_commanded_the_long_way(turns, offset, goal):
    """
    Take joint1 (extended mode) wound by whole turns, as ROBOTIS's software may leave it.

    The backend reads it where it is (the turn taken off), holds it there, and moves it from
    that turn: the servo's goal is never more than the move itself away from where it stands.
    """
    wound = 2048 + offset + 4096 * turns
    emulator = arm_emulator(ARM, modes={11: 4})
    emulator.servos[11].set_present_position(wound)
    emulator.start()
    arm = _backend(emulator)
    try:
        arm.open()
        assert arm.turns[11] == turns
        assert emulator.servos[11]._get(ADDR.PRESENT_POSITION, 4, signed=True) == wound
        assert goal_raw(emulator, [11]) == [wound]  # held as found: no move
        reading = arm.cycle(0.01)
        assert abs(reading.positions[0] - offset * TICK) < 1e-9
        arm.set_max_velocity(4.8)
        arm.set_goal([goal, *ARM.home[1:]])
        expected = [int(rad_to_raw(goal)) + 4096 * turns]  # from its own turn: the short way
        run_until(arm, lambda r: r.ok and abs(r.positions[0] - goal) < 2 * TICK
                  and goal_raw(emulator, [11]) == expected)
        assert abs(present_raw(emulator, [11])[0] - wound) <= abs(goal - offset * TICK) / TICK + 2
    finally:
        arm.close()
        emulator.stop()


def test_torque_off_and_on_and_a_reconnect_hold_a_wound_joint1_where_it_is():
    wound = 2048 + 4096 * 2 - 700  # two turns round, at -700 ticks
    emulator = arm_emulator(ARM, modes={11: 4})
    emulator.servos[11].set_present_position(wound)
    emulator.start()
    arm = _backend(emulator)
    try:
        arm.open()
        arm.set_torque(False)
        assert not any(s.torque for s in emulator.servos.values())
        emulator.servos[11].set_present_position(wound + 500)  # turned by hand
        reading = run_until(arm, lambda r: r.ok and abs(r.positions[0] + 200 * TICK) < 1e-9)
        arm.set_torque(True)  # holds where it is: the servo's goal is its position, wound
        assert goal_raw(emulator, [11]) == [wound + 500] == present_raw(emulator, [11])
        emulator.unplug()
        run_until(arm, lambda r: not r.ok)
        emulator.replug()
        reading = run_until(arm, lambda r: r.ok)
        assert arm.turns[11] == 2 and abs(reading.positions[0] + 200 * TICK) < 1e-9
        assert goal_raw(emulator, [11]) == [wound + 500]
    finally:
        arm.close()
        emulator.stop()


def test_a_servo_in_position_mode_comes_back_within_one_turn():
    """E-Manual: Present Position is reset within one turn on a change to Position mode."""
    emulator = arm_emulator(ARM, modes={12: 4})
    emulator.servos[12].set_present_position(2048 + 4096 + 100)
    emulator.start()
    arm = _backend(emulator)
    try:
        arm.open()  # joint2 is run in Position mode: set so, its position is within one turn
        assert present_raw(emulator, [12]) == [2148]
        assert abs(arm.cycle(0.01).positions[1] - 100 * TICK) < 1e-9
    finally:
        arm.close()
        emulator.stop()


def test_gripper_in_current_based_position_mode_in_radians(rig):
    emulator, arm = rig
    assert arm.gripper_joint == 'gripper_joint_1' and arm.gripper_range == (0.0, 1.0)
    assert arm.set_gripper(0.6) == 0.6
    arm.cycle(0.01)
    assert emulator.servos[GRIPPER]._get(ADDR.GOAL_POSITION, 4) == int(rad_to_raw(0.6))
    run_until(arm, lambda r: r.gripper is not None and abs(r.gripper - 0.6) < 2 * TICK)
    assert arm.set_gripper(5.0) == 1.0 and arm.set_gripper(-1.0) == 0.0


def test_a_wound_gripper_is_held_where_it_is_and_moved_within_its_turn():
    """Current-based position mode is multi-turn too: a gripper left wound stays in its turn."""
    wound = 2 * 4096 + int(rad_to_raw(0.3))
    emulator = arm_emulator(ARM, modes={GRIPPER: 5})
    emulator.servos[GRIPPER].set_present_position(wound)
    emulator.start()
    arm = _backend(emulator)
    try:
        arm.open()
        assert arm.turns[GRIPPER] == 2
        assert goal_raw(emulator, [GRIPPER]) == [wound]  # held: no move
        reading = arm.cycle(0.01)
        assert abs(reading.gripper - 0.3) < TICK
        arm.set_gripper(0.8)
        arm.cycle(0.01)
        assert goal_raw(emulator, [GRIPPER]) == [2 * 4096 + int(rad_to_raw(0.8))]
        run_until(arm, lambda r: r.gripper is not None and abs(r.gripper - 0.8) < 2 * TICK)
    finally:
        arm.close()
        emulator.stop()


def test_a_servo_that_stops_answering_is_reported_and_recovers(rig):
    emulator, arm = rig
    emulator.set_silent(14)
    reading = arm.cycle(0.01)
    assert not reading.ok and reading.positions is None
    assert any('servo 14 not answering' in f for f in reading.faults)
    assert not any('servo 15' in f for f in reading.faults)
    emulator.set_silent(14, False)
    assert arm.cycle(0.01).ok


def test_each_servo_profile_velocity_is_at_most_its_joints_own_limit():
    slow = replace(ARM, joints=tuple(replace(j, velocity=0.5) if j.name == 'joint2' else j
                                     for j in ARM.joints))
    emulator = arm_emulator(slow).start()
    # velocity-based here (the OMX-F's own profile is time-based: test_servo_profiles.py)
    arm = DynamixelArm(emulator_config(emulator, drive_mode=0, profile_velocity=0), arm=slow,
                       collision=None, max_velocity=2.0)
    try:
        arm.open()
        profile = {i: emulator.servos[i]._get(ADDR.PROFILE_VELOCITY, 4) for i in emulator.servos}
        assert profile[12] == int(0.5 / VELOCITY_UNIT)
        assert all(profile[i] == int(2.0 / VELOCITY_UNIT) for i in (11, 13, 14, 15, GRIPPER))
    finally:
        arm.close()
        emulator.stop()


def test_emulated_arm_of_the_omx_f_opens_at_its_home():
    arm = EmulatedArm(DynamixelConfig(), arm=ARM, collision=None)
    try:
        arm.open()
        reading = arm.cycle(0.01)
        assert reading.ok and np.allclose(reading.positions, ARM.home, atol=TICK)
        assert reading.velocities.shape == (5,)
    finally:
        arm.close()
