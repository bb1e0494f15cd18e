"""The Dynamixel backend against the servo emulator, through the real dynamixel-sdk."""

import time

import numpy as np
import pytest

from ik_net_ros.errors import HardwareError
from ik_net_ros.hardware.dynamixel import DynamixelArm, DynamixelConfig
from ik_net_ros.hardware.emulator import ServoEmulator
from ik_net_ros.hardware.xm430 import ADDR, rad_to_raw
from ik_net_ros.kinematics import JOINT_UPPER

IDS = (11, 12, 13, 14)


@pytest.fixture
def rig():
    emulator = ServoEmulator(ids=IDS + (15,)).start()
    arm = DynamixelArm(DynamixelConfig(port=str(emulator.port_path), gripper_id=15,
                                       reconnect_period=0.2))
    arm.open()
    yield emulator, arm
    arm.close()
    emulator.stop()


def _goal_raw(emulator):
    return [emulator.servos[i]._get(ADDR.GOAL_POSITION, 4, signed=True) for i in IDS]


def _run_until(arm, condition, timeout=3.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        reading = arm.cycle(0.01)
        if condition(reading):
            return reading
        time.sleep(0.005)
    raise AssertionError('condition not met')


def test_open_configures_and_holds(rig):
    emulator, arm = rig
    for dxl_id in IDS:
        servo = emulator.servos[dxl_id]
        assert servo.torque and servo.table[ADDR.OPERATING_MODE] == 3
    assert emulator.servos[15].table[ADDR.OPERATING_MODE] == 5  # gripper: current-based
    assert _goal_raw(emulator) == [2048] * 4


def test_goal_reaches_registers_in_raw_units_and_state_follows(rig):
    emulator, arm = rig
    goal = np.array([0.5, -0.3, 0.4, 1.0])
    arm.set_goal(goal)
    reading = _run_until(arm, lambda r: r.ok and np.allclose(r.positions, goal, atol=2e-3))
    assert _goal_raw(emulator) == rad_to_raw(goal).tolist()
    assert reading.velocities.shape == (4,)


def test_limits_are_enforced(rig):
    emulator, arm = rig
    arm.set_goal([0.0, 2.5, 0.0, 3.0])
    arm.cycle(0.01)
    assert _goal_raw(emulator) == rad_to_raw([0.0, JOINT_UPPER[1], 0.0, JOINT_UPPER[3]]).tolist()


def test_torque_off_then_on_holds_present_pose_not_old_command(rig):
    emulator, arm = rig
    arm.set_goal([0.3, 0.0, 0.0, 0.0])
    _run_until(arm, lambda r: r.ok and abs(r.positions[0] - 0.3) < 2e-3)
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
    assert _goal_raw(emulator)[0] == int(rad_to_raw(-0.4))


def test_gripper_command(rig):
    emulator, arm = rig
    arm.set_gripper(0.4)
    arm.set_goal([0.0, 0.0, 0.0, 0.0])
    arm.cycle(0.01)
    assert emulator.servos[15]._get(ADDR.GOAL_POSITION, 4) == int(rad_to_raw(0.4))
    _run_until(arm, lambda r: arm.gripper_position is not None
               and abs(arm.gripper_position - 0.4) < 2e-3)


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
    _run_until(arm, lambda r: r.ok)
    assert arm.connected and all(emulator.servos[i].torque for i in IDS)


def test_port_gone_gives_hardware_errors_never_raw_os_errors(rig):
    # once the kernel hangs up the pty, pyserial raises termios.error / SerialException; the
    # torque service and close() must see a HardwareError, and the node must live on
    emulator, arm = rig
    emulator.unplug()
    deadline = time.monotonic() + 5
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
            DynamixelArm(DynamixelConfig(port=str(emulator.port_path))).open()
    with pytest.raises(HardwareError, match='4 servo IDs'):
        DynamixelArm(DynamixelConfig(ids=(1, 2)))


def test_close_releases_torque_unless_configured():
    with ServoEmulator(ids=IDS) as emulator:
        arm = DynamixelArm(DynamixelConfig(port=str(emulator.port_path)))
        arm.open()
        arm.close()
        assert not any(emulator.servos[i].torque for i in IDS)
        arm = DynamixelArm(DynamixelConfig(port=str(emulator.port_path), torque_on_exit=True))
        arm.open()
        arm.close()
        assert all(emulator.servos[i].torque for i in IDS)
