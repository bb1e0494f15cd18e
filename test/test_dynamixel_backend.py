"""The Dynamixel backend against the servo emulator, through the real dynamixel-sdk."""

import time

from dxl_util import emulator_config, goal_raw, IDS, run_until
from ik_net_ros.arm import default_arm
from ik_net_ros.errors import HardwareError
from ik_net_ros.hardware.dynamixel import DynamixelArm, DynamixelConfig
from ik_net_ros.hardware.emulator import ServoEmulator
from ik_net_ros.hardware.gripper import metres_to_horn
from ik_net_ros.hardware.xm430 import ADDR, rad_to_raw
import numpy as np
import pytest
from waiting import WAIT

OMX = default_arm()  # the OM-X, ROBOTIS's humble description


@pytest.fixture
def rig():
    emulator = ServoEmulator(ids=IDS + (15,)).start()
    arm = DynamixelArm(emulator_config(emulator, gripper_id=15,
                                       reconnect_period=0.2))
    arm.open()
    yield emulator, arm
    arm.close()
    emulator.stop()


def test_open_configures_and_holds(rig):
    emulator, arm = rig
    for dxl_id in IDS:
        servo = emulator.servos[dxl_id]
        assert servo.torque and servo.table[ADDR.OPERATING_MODE] == 3
    assert emulator.servos[15].table[ADDR.OPERATING_MODE] == 5  # gripper: current-based
    assert goal_raw(emulator) == [2048] * 4


def test_goal_reaches_registers_in_raw_units_and_state_follows(rig):
    emulator, arm = rig
    goal = np.array([0.5, -0.3, 0.4, 1.0])
    arm.set_goal(goal)
    reading = run_until(arm, lambda r: r.ok and np.allclose(r.positions, goal, atol=2e-3))
    assert goal_raw(emulator) == rad_to_raw(goal).tolist()
    assert reading.velocities.shape == (4,)


def test_limits_are_enforced(rig):
    emulator, arm = rig
    arm.collision = None  # the clamp alone (this goal is under the table: tested elsewhere)
    goal = [0.0, OMX.upper[1], 0.0, OMX.upper[3]]
    arm.set_goal([0.0, 2.5, 0.0, 3.0])
    run_until(arm, lambda r: goal_raw(emulator) == rad_to_raw(goal).tolist())


def test_torque_off_then_on_holds_present_pose_not_old_command(rig):
    emulator, arm = rig
    arm.set_goal([0.3, 0.0, 0.0, 0.0])
    run_until(arm, lambda r: r.ok and abs(r.positions[0] - 0.3) < 2e-3)
    arm.set_torque(False)
    assert not any(emulator.servos[i].torque for i in IDS)
    emulator.servos[11].set_present_position(int(rad_to_raw(-0.4)))  # moved by hand
    arm.set_goal([0.9, 0.0, 0.0, 0.0])  # a command while torque is off is not applied
    arm.cycle(0.01)
    arm.set_torque(True)
    assert all(emulator.servos[i].torque for i in IDS)
    for _ in range(10):
        reading = arm.cycle(0.01)
    assert abs(reading.positions[0] + 0.4) < 2e-3
    assert goal_raw(emulator)[0] == int(rad_to_raw(-0.4))


def test_gripper_command_in_metres_alone_within_one_cycle(rig):
    emulator, arm = rig
    assert arm.set_gripper(0.015) == 0.015  # gripper_left_joint, m
    arm.cycle(0.01)  # no joint goal: the gripper goes on its own
    assert emulator.servos[15]._get(ADDR.GOAL_POSITION, 4) == int(
        rad_to_raw(metres_to_horn(0.015)))
    run_until(arm, lambda r: r.gripper is not None and abs(r.gripper - 0.015) < 5e-5)


@pytest.mark.parametrize('command, expected', [(100.0, 0.019), (1e10, 0.019), (-5.0, -0.010),
                                               (-1e308, -0.010)])
def test_gripper_commands_are_clamped_into_robotis_range(rig, command, expected):
    emulator, arm = rig
    assert arm.set_gripper(command) == expected
    arm.cycle(0.01)
    raw = emulator.servos[15]._get(ADDR.GOAL_POSITION, 4, signed=True)
    assert raw == int(rad_to_raw(metres_to_horn(expected)))
    for bad in (float('nan'), float('inf'), 'open', None):
        with pytest.raises(HardwareError):
            arm.set_gripper(bad)


def test_gripper_command_is_never_replayed_after_torque_or_reconnect(rig):
    emulator, arm = rig
    arm.set_gripper(0.019)
    arm.set_torque(False)
    arm.set_torque(True)  # holds the present pose: the pending command is gone
    before = emulator.servos[15]._get(ADDR.GOAL_POSITION, 4)
    for _ in range(5):
        arm.cycle(0.01)
    assert emulator.servos[15]._get(ADDR.GOAL_POSITION, 4) == before
    arm.set_gripper(0.019)
    emulator.unplug()
    run_until(arm, lambda r: not r.ok)
    emulator.replug()
    run_until(arm, lambda r: r.ok)
    for _ in range(5):
        arm.cycle(0.01)
    assert emulator.servos[15]._get(ADDR.GOAL_POSITION, 4) == before


def test_silent_servo_is_reported_not_published_and_recovers(rig):
    emulator, arm = rig
    emulator.set_silent(13)
    reading = arm.cycle(0.01)
    assert not reading.ok and reading.positions is None
    assert any('servo 13 not answering' in f for f in reading.faults)
    assert not any('servo 14' in f for f in reading.faults)
    emulator.set_silent(13, False)
    assert arm.cycle(0.01).ok


def test_corrupt_packet_and_hardware_error_are_reported(rig):
    emulator, arm = rig
    emulator.corrupt_next(12)
    reading = arm.cycle(0.01)
    assert reading.ok and any('servo 12: corrupt' in f for f in reading.faults)
    emulator.servos[14].set_hardware_error(1 << 5)
    reading = arm.cycle(0.01)
    assert any('servo 14: hardware error: overload' in f for f in reading.faults)


def test_port_gone_then_back_reconnects(rig):
    emulator, arm = rig
    emulator.unplug()
    reading = arm.cycle(0.01)
    assert not reading.ok and 'port lost' in reading.faults[0] and not arm.connected
    emulator.replug()
    run_until(arm, lambda r: r.ok)
    assert arm.connected and all(emulator.servos[i].torque for i in IDS)


def test_port_gone_gives_hardware_errors_never_raw_os_errors(rig):
    # once the kernel hangs up the pty, pyserial raises termios.error / SerialException; the
    # torque service and close() must see a HardwareError, and the node must live on
    emulator, arm = rig
    emulator.unplug()
    deadline = time.monotonic() + WAIT
    while arm.connected:
        assert time.monotonic() < deadline
        with pytest.raises(HardwareError):
            arm.set_torque(False)
    with pytest.raises(HardwareError, match='not connected'):
        arm.set_torque(True)
    assert not arm.cycle(0.01).ok
    arm.close()


def test_open_errors_are_clear():
    with pytest.raises(HardwareError, match='cannot open'):
        DynamixelArm(DynamixelConfig(port='/dev/does-not-exist')).open()
    with ServoEmulator(ids=(11, 12, 13)) as emulator:
        with pytest.raises(HardwareError, match='servo 14'):
            DynamixelArm(emulator_config(emulator, gripper_id=0)).open()
    with pytest.raises(HardwareError, match='4 distinct servo IDs'):
        DynamixelArm(DynamixelConfig(ids=(1, 2)))


def test_close_releases_torque_unless_configured():
    with ServoEmulator(ids=IDS) as emulator:
        arm = DynamixelArm(emulator_config(emulator, gripper_id=0))
        arm.open()
        arm.close()
        assert not any(emulator.servos[i].torque for i in IDS)
        arm = DynamixelArm(emulator_config(emulator, gripper_id=0,
                                           torque_on_exit=True))
        arm.open()
        arm.close()
        assert all(emulator.servos[i].torque for i in IDS)


# servo setup as ROBOTIS writes it, against what ROBOTIS's software leaves behind -------------

@pytest.mark.parametrize('leftovers', ['factory', 'jazzy'])
def test_setup_writes_what_the_package_means(leftovers):
    with ServoEmulator(ids=IDS + (15,), leftovers=leftovers) as emulator:
        before = {i: emulator.servos[i].table[ADDR.DRIVE_MODE] for i in IDS + (15,)}
        if leftovers == 'jazzy':
            assert before == {11: 4, 12: 4, 13: 4, 14: 4, 15: 5}
        arm = DynamixelArm(emulator_config(emulator))
        arm.open()
        for i in IDS + (15,):
            servo = emulator.servos[i]
            assert servo.table[ADDR.DRIVE_MODE] == 0  # velocity-based, normal direction
            assert servo.table[ADDR.RETURN_DELAY] == 0
            assert servo.table[ADDR.OPERATING_MODE] == (5 if i == 15 else 3)
            assert [servo._get(a, 2) for a in (ADDR.POSITION_P_GAIN, ADDR.POSITION_I_GAIN,
                                               ADDR.POSITION_D_GAIN)] == [800, 100, 100]
            assert servo._get(ADDR.PROFILE_VELOCITY, 4) == 200
            assert servo._get(ADDR.PROFILE_ACCELERATION, 4) == 50
        assert emulator.servos[15]._get(ADDR.GOAL_CURRENT, 2) == 200
        arm.close()


def test_eeprom_is_written_only_where_it_differs_and_read_back(monkeypatch):
    with ServoEmulator(ids=IDS + (15,), leftovers='jazzy') as emulator:
        writes = []
        for servo in emulator.servos.values():
            original = servo.write

            def spy(addr, data, servo=servo, original=original):
                if addr < 64 and addr != ADDR.TORQUE_ENABLE:
                    writes.append((servo.dxl_id, addr, servo.torque))
                return original(addr, data)
            servo.write = spy
        DynamixelArm(emulator_config(emulator)).open()
        assert sorted({a for _, a, _ in writes}) == [ADDR.DRIVE_MODE]  # the rest already fit
        assert not any(torque for _, _, torque in writes)  # EEPROM only with torque off
        writes.clear()
        arm = DynamixelArm(emulator_config(emulator))
        arm.open()  # a second start: everything fits, EEPROM untouched
        assert writes == []
        arm.close()


def test_joint1_at_plus_pi_stays_inside_the_servo_position_limits(rig):
    """
    +pi is raw 4096, one past Max Position Limit 4095.

    A real XM430 refuses it with a Data Range Error (in a sync write: silently) and joint1 would
    stay while joints 2-4 move.
    """
    emulator, arm = rig
    arm.set_goal([np.pi, 0.2, 0.1, 0.3])
    reading = run_until(arm, lambda r: r.ok and abs(r.positions[0] - np.pi) < 3e-3)
    assert emulator.servos[11]._get(ADDR.GOAL_POSITION, 4) == 4095
    assert not reading.faults


def test_goals_follow_each_servo_own_position_limits():
    with ServoEmulator(ids=IDS, positions=dict.fromkeys(IDS, 2048)) as emulator:
        emulator.servos[12]._set(ADDR.MAX_POSITION, 4, 2300)  # a user's tighter limit
        arm = DynamixelArm(emulator_config(emulator, gripper_id=0))
        arm.open()
        assert arm.limits[12] == (0, 2300)
        arm.set_goal([0.0, 0.6, -0.5, 0.0])  # raw 2439 for joint2
        run_until(arm, lambda r: r.ok and emulator.servos[12]._get(
            ADDR.GOAL_POSITION, 4) == 2300)
        arm.close()


def test_a_refused_goal_is_reported_never_silent(rig):
    emulator, arm = rig
    arm.set_goal([0.2, 0.2, 0.1, 0.3])
    run_until(arm, lambda r: r.ok and emulator.servos[11]._get(ADDR.GOAL_POSITION, 4)
              == int(rad_to_raw(0.2)))
    # the limit changes behind the driver's back (another tool): the next goal is refused
    emulator.servos[11].table[ADDR.TORQUE_ENABLE] = 0
    emulator.servos[11]._set(ADDR.MAX_POSITION, 4, 2100)
    emulator.servos[11].table[ADDR.TORQUE_ENABLE] = 1
    arm.set_goal([0.5, 0.2, 0.1, 0.3])
    reading = run_until(arm, lambda r: any('servo 11: refused goal' in f for f in r.faults))
    assert 'limits' in reading.faults[0]
    assert not arm.health().ok and 'servo 11' in arm.health().message


def test_bugs_in_our_code_are_not_taken_for_a_lost_port(rig, monkeypatch):
    """
    The SDK error net catches port errors only.

    A TypeError of our own must surface, not become 'port lost; reconnecting' forever.
    """
    emulator, arm = rig

    def broken():
        raise TypeError('a bug')
    monkeypatch.setattr(arm, '_read_state', broken)
    with pytest.raises(TypeError, match='a bug'):
        arm.cycle(0.01)
    assert arm.connected


def test_close_after_a_port_that_never_opened_is_quiet():
    arm = DynamixelArm(DynamixelConfig(port='/dev/does-not-exist', gripper_id=0))
    with pytest.raises(HardwareError, match='cannot open'):
        arm.open()
    arm.close()  # no AttributeError from the SDK's closePort on a port with no serial object
    assert not arm.connected


def test_the_port_is_named_as_opened_and_a_symlink_with_its_device(tmp_path):
    """Issue 35 item 6: /diagnostics' hardware_id; /dev/serial/by-id/... names its ttyUSB."""
    device = tmp_path / 'ttyUSB7'
    device.write_text('')
    link = tmp_path / 'usb-ROBOTIS_OpenRB-150-if00'
    link.symlink_to(device)
    assert DynamixelArm(DynamixelConfig(port=str(device))).hardware_id == str(device)
    assert DynamixelArm(DynamixelConfig(port=str(link))).hardware_id == f'{link} ({device})'
