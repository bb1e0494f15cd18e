"""Protocol 2.0 packets against the e-manual's worked examples, and the emulator with the SDK."""

import struct
import time

from dxl_util import emulator_port
from dynamixel_sdk import (
    COMM_SUCCESS,
    GroupBulkRead,
    GroupSyncRead,
    GroupSyncWrite,
    PacketHandler,
)
from ik_net_ros.hardware.emulator import ServoEmulator
from ik_net_ros.hardware.protocol2 import (
    build_packet,
    crc16,
    Error,
    Instruction,
    parse_packet,
    stuff,
    unstuff,
)
from ik_net_ros.hardware.xm430 import ADDR, rad_to_raw, raw_to_rad
import numpy as np
import pytest
from waiting import WAIT


def test_worked_examples_of_the_reference():
    # e-manual: ping ID 1 and read 4 bytes at 132 from ID 1
    assert build_packet(1, Instruction.PING).hex(' ') == 'ff ff fd 00 01 03 00 01 19 4e'
    read = build_packet(1, Instruction.READ, bytes([0x84, 0x00, 0x04, 0x00]))
    assert read.hex(' ') == 'ff ff fd 00 01 07 00 02 84 00 04 00 1d 15'
    assert crc16(read[:-2]) == 0x151D


def test_stuffing_round_trip_and_length():
    body = bytes([0x03, 0x74, 0x00, 0xFF, 0xFF, 0xFD, 0x01])
    stuffed = stuff(body)
    assert stuffed == bytes([0x03, 0x74, 0x00, 0xFF, 0xFF, 0xFD, 0xFD, 0x01])
    assert unstuff(stuffed) == body
    packet = build_packet(1, Instruction.WRITE, body[1:])
    assert packet[5] | packet[6] << 8 == len(stuffed) + 2  # LEN counts the stuffed bytes
    parsed, used, ok = parse_packet(b'\x00\x13' + packet)
    assert ok and used == len(packet) + 2 and parsed.params == body[1:]


def test_status_packets_and_bad_crc():
    status = build_packet(3, Instruction.STATUS, b'\x01\x02', error=Error.ALERT | Error.ACCESS)
    parsed, _, ok = parse_packet(status)
    assert ok and parsed.error == 0x87 and parsed.params == b'\x01\x02' and parsed.dxl_id == 3
    corrupt = status[:-1] + bytes([status[-1] ^ 1])
    assert parse_packet(corrupt) == (None, len(corrupt), False)
    assert parse_packet(status[:6]) == (None, 0, True)  # incomplete: wait


def test_units():
    assert rad_to_raw(0.0) == 2048 and abs(raw_to_rad(3072) - np.pi / 2) < 1e-12
    np.testing.assert_allclose(raw_to_rad(rad_to_raw([-1.5, 0.3, 1.4])), [-1.5, 0.3, 1.4],
                               atol=0.0008)


@pytest.fixture
def bus():
    emulator = ServoEmulator(ids=(11, 12, 13, 14)).start()
    port = emulator_port(emulator)
    assert port.openPort() and port.setBaudRate(1_000_000)
    yield emulator, port, PacketHandler(2.0)
    port.closePort()
    emulator.stop()


def test_sdk_ping_read_write(bus):
    emulator, port, ph = bus
    for dxl_id in (11, 12, 13, 14):
        assert ph.ping(port, dxl_id) == (1020, COMM_SUCCESS, 0)
    assert ph.ping(port, 20)[1] != COMM_SUCCESS  # nobody there: a comm error, no exception
    assert ph.read4ByteTxRx(port, 12, ADDR.PRESENT_POSITION) == (2048, COMM_SUCCESS, 0)
    assert ph.write1ByteTxRx(port, 12, ADDR.LED, 1) == (COMM_SUCCESS, 0)
    assert emulator.servos[12].table[ADDR.LED] == 1
    assert ph.write1ByteTxRx(port, 12, ADDR.TORQUE_ENABLE, 1) == (COMM_SUCCESS, 0)
    # EEPROM is locked while torque is on; out-of-range goals are refused
    assert ph.write1ByteTxRx(port, 12, ADDR.OPERATING_MODE, 5) == (COMM_SUCCESS, Error.ACCESS)
    # a goal outside Min/Max Position Limit: Data Range Error, as the XM430 answers
    for raw in (5000, 4096, -1):
        assert ph.write4ByteTxRx(port, 12, ADDR.GOAL_POSITION, raw & 0xFFFFFFFF) == (
            COMM_SUCCESS, Error.DATA_RANGE)
    # read-only addresses refuse writes (model number, present position, hardware error)
    for addr in (ADDR.MODEL_NUMBER, ADDR.PRESENT_POSITION, ADDR.HARDWARE_ERROR):
        assert ph.write1ByteTxRx(port, 12, addr, 1)[1] == Error.ACCESS
    assert ph.write4ByteTxRx(port, 12, ADDR.GOAL_POSITION, 2100) == (COMM_SUCCESS, 0)
    deadline = time.monotonic() + WAIT
    while ph.read4ByteTxRx(port, 12, ADDR.PRESENT_POSITION)[0] != 2100:
        assert time.monotonic() < deadline


def test_sdk_sync_write_sync_read_and_bulk_read(bus):
    emulator, port, ph = bus
    ids = (11, 12, 13, 14)
    torque = GroupSyncWrite(port, ph, ADDR.TORQUE_ENABLE, 1)
    goals = GroupSyncWrite(port, ph, ADDR.GOAL_POSITION, 4)
    for i, dxl_id in enumerate(ids):
        torque.addParam(dxl_id, [1])
        goals.addParam(dxl_id, list(struct.pack('<i', 1500 + 300 * i)))
    assert torque.txPacket() == COMM_SUCCESS and goals.txPacket() == COMM_SUCCESS
    reader = GroupSyncRead(port, ph, ADDR.PRESENT_POSITION, 4)
    for dxl_id in ids:
        reader.addParam(dxl_id)
    deadline = time.monotonic() + WAIT
    while True:
        assert reader.txRxPacket() == COMM_SUCCESS
        got = [reader.getData(i, ADDR.PRESENT_POSITION, 4) for i in ids]
        if got == [1500, 1800, 2100, 2400]:
            break
        assert time.monotonic() < deadline, got
    bulk = GroupBulkRead(port, ph)
    assert bulk.addParam(11, ADDR.GOAL_POSITION, 4) and bulk.addParam(14, ADDR.ID, 1)
    assert bulk.txRxPacket() == COMM_SUCCESS
    assert bulk.getData(11, ADDR.GOAL_POSITION, 4) == 1500
    assert bulk.getData(14, ADDR.ID, 1) == 14


def test_emulator_faults_seen_by_the_sdk(bus):
    emulator, port, ph = bus
    emulator.set_silent(13)
    assert ph.read4ByteTxRx(port, 13, ADDR.PRESENT_POSITION)[1] != COMM_SUCCESS
    emulator.set_silent(13, False)
    emulator.corrupt_next(13)
    assert ph.read4ByteTxRx(port, 13, ADDR.PRESENT_POSITION)[1] != COMM_SUCCESS
    assert ph.read4ByteTxRx(port, 13, ADDR.PRESENT_POSITION)[1] == COMM_SUCCESS
    emulator.servos[13].set_hardware_error(1 << 2)
    value, result, error = ph.read1ByteTxRx(port, 13, ADDR.HARDWARE_ERROR)
    assert result == COMM_SUCCESS and value == 4 and error & Error.ALERT
    assert ph.reboot(port, 13)[0] == COMM_SUCCESS
    assert ph.read1ByteTxRx(port, 13, ADDR.HARDWARE_ERROR)[:2] == (0, COMM_SUCCESS)


def test_emulator_cleans_up_its_port_folder_and_can_restart():
    emulator = ServoEmulator(ids=(11,)).start()
    folder = emulator.port_path.parent
    assert emulator.port_path.is_symlink()
    emulator.stop()
    assert not folder.exists()  # no dxl-emu-* folders left behind in /tmp
    emulator.start()
    port = emulator_port(emulator)
    try:
        assert port.openPort() and PacketHandler(2.0).ping(port, 11)[1] == COMM_SUCCESS
    finally:
        port.closePort()
        emulator.stop()
    assert not folder.exists()


def test_emulator_honours_return_delay_time(monkeypatch):
    """Factory Return Delay Time 250 (500 us before each reply) until someone writes 0."""
    waits = []
    monkeypatch.setattr('ik_net_ros.hardware.emulator.time.sleep', waits.append)
    with ServoEmulator(ids=(11,)) as emulator:
        port = emulator_port(emulator)
        assert port.openPort() and port.setBaudRate(1_000_000)
        ph = PacketHandler(2.0)
        assert ph.read1ByteTxRx(port, 11, ADDR.RETURN_DELAY) == (250, COMM_SUCCESS, 0)
        assert pytest.approx(5e-4) in waits
        assert ph.write1ByteTxRx(port, 11, ADDR.RETURN_DELAY, 0) == (COMM_SUCCESS, 0)
        waits.clear()
        assert ph.read1ByteTxRx(port, 11, ADDR.RETURN_DELAY) == (0, COMM_SUCCESS, 0)
        assert not [w for w in waits if w >= 1e-4]
        port.closePort()


def test_emulator_time_based_profile_and_jazzy_leftovers():
    with ServoEmulator(ids=(11, 15), leftovers='jazzy') as emulator:
        arm, gripper = emulator.servos[11], emulator.servos[15]
        assert (arm.table[ADDR.DRIVE_MODE], gripper.table[ADDR.DRIVE_MODE]) == (4, 5)
        assert arm._get(ADDR.PROFILE_VELOCITY, 4) == 20  # ms, time-based
        assert gripper.table[ADDR.OPERATING_MODE] == 5
        assert arm.table[ADDR.RETURN_DELAY] == 0
