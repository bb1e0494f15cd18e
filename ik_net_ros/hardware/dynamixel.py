"""The arm on a Dynamixel bus (XM430-W350, Protocol 2.0) through dynamixel-sdk.

Each :meth:`DynamixelArm.cycle`: one sync write of the goal positions (when the goal changed),
one sync read of present velocity and position; faults (a silent servo, corrupt packets, a
hardware error, the port vanishing) are reported in the reading, never as stale fresh data, and
the port is reopened when it comes back.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

try:
    from termios import error as _TermiosError  # tcflush on a vanished pty/USB adapter
except ImportError:  # not POSIX
    class _TermiosError(Exception):
        pass

import numpy as np
import serial
from dynamixel_sdk import (
    COMM_RX_CORRUPT,
    COMM_SUCCESS,
    GroupSyncRead,
    GroupSyncWrite,
    PacketHandler,
    PortHandler,
)

from ik_net_ros.errors import HardwareError
from ik_net_ros.hardware.base import ArmBackend, JointReading
from ik_net_ros.hardware.xm430 import (
    ADDR,
    MODEL_NUMBER,
    VELOCITY_UNIT,
    describe_hardware_error,
    rad_to_raw,
    raw_to_rad,
)
from ik_net_ros.kinematics import clamp_to_limits

__all__ = ['DynamixelArm', 'DynamixelConfig']

log = logging.getLogger(__name__)
POSITION_MODE, CURRENT_POSITION_MODE = 3, 5
_PORT_ERRORS = (OSError, serial.SerialException, _TermiosError, TypeError, AttributeError)


@dataclass
class DynamixelConfig:
    """Settings of the bus and the servos.

    port: serial device (e.g. /dev/ttyUSB0). baud_rate: bits/s. ids: joint1..joint4 servo IDs.
    profile_velocity, profile_acceleration: raw XM430 units (0 = unlimited).
    gripper_id: 0 for none, else the gripper servo (current-based position mode).
    gripper_current_limit: raw units (~2.69 mA each) for the gripper's goal current.
    torque_on_exit: keep holding the pose after close() (True) or release it (False).
    reconnect_period: seconds between attempts to reopen a vanished port.
    """

    port: str = '/dev/ttyUSB0'
    baud_rate: int = 1_000_000
    ids: tuple[int, ...] = (11, 12, 13, 14)
    profile_velocity: int = 0
    profile_acceleration: int = 0
    gripper_id: int = 0
    gripper_current_limit: int = 300
    torque_on_exit: bool = False
    reconnect_period: float = 1.0


class DynamixelArm(ArmBackend):
    """Four XM430 servos as an :class:`ArmBackend`."""

    def __init__(self, config: DynamixelConfig):
        super().__init__()
        if len(config.ids) != 4:
            raise HardwareError(f'need 4 servo IDs (joint1..joint4), got {list(config.ids)}')
        self.config = config
        self.connected = False
        self.torque_enabled = True
        self.gripper_position: float | None = None
        self._gripper_goal: float | None = None
        self._sent_goal: np.ndarray | None = None
        self._last_attempt = 0.0
        self.port = PortHandler(config.port)
        self.packet = PacketHandler(2.0)

    # connection ------------------------------------------------------------------------------
    def open(self) -> None:
        """Open the port, check every servo, configure them with torque off, then enable torque
        holding the present pose.

        Raises:
            HardwareError: port cannot be opened, a servo does not answer or is not an XM430.
        """
        self._last_attempt = time.monotonic()
        # a fresh handler: one that died mid-transaction stays flagged 'in use'
        self.port = PortHandler(self.config.port)
        try:
            if not (self.port.openPort() and self.port.setBaudRate(self.config.baud_rate)):
                raise HardwareError(f'{self.config.port}: cannot open at '
                                    f'{self.config.baud_rate} baud')
        except _PORT_ERRORS as e:
            raise HardwareError(f'{self.config.port}: cannot open ({e})') from e
        try:
            self._configure()
        except _PORT_ERRORS as e:
            self._close_port()
            raise HardwareError(f'{self.config.port}: lost while configuring ({e})') from e
        except HardwareError:
            self._close_port()
            raise
        self.connected = True

    def _all_ids(self) -> list[int]:
        return list(self.config.ids) + ([self.config.gripper_id] if self.config.gripper_id
                                        else [])

    def _check(self, dxl_id: int, what: str, result: int, error: int) -> None:
        if result != COMM_SUCCESS:
            raise HardwareError(f'servo {dxl_id} {what}: {self.packet.getTxRxResult(result)}')
        if error & 0x7F:
            raise HardwareError(f'servo {dxl_id} {what}: '
                                f'{self.packet.getRxPacketError(error)}')

    def _configure(self) -> None:
        p, port = self.packet, self.port
        for dxl_id in self._all_ids():
            model, result, error = p.ping(port, dxl_id)
            self._check(dxl_id, f'ping on {self.config.port}', result, error)
            if model != MODEL_NUMBER:
                raise HardwareError(f'servo {dxl_id}: model number {model}, expected '
                                    f'{MODEL_NUMBER} (XM430-W350)')
            self._check(dxl_id, 'torque off', *p.write1ByteTxRx(port, dxl_id,
                                                                  ADDR.TORQUE_ENABLE, 0))
            mode = CURRENT_POSITION_MODE if dxl_id == self.config.gripper_id else POSITION_MODE
            self._check(dxl_id, 'operating mode', *p.write1ByteTxRx(port, dxl_id,
                                                                      ADDR.OPERATING_MODE, mode))
            self._check(dxl_id, 'profile acceleration', *p.write4ByteTxRx(
                port, dxl_id, ADDR.PROFILE_ACCELERATION, self.config.profile_acceleration))
            self._check(dxl_id, 'profile velocity', *p.write4ByteTxRx(
                port, dxl_id, ADDR.PROFILE_VELOCITY, self.config.profile_velocity))
            if dxl_id == self.config.gripper_id:
                self._check(dxl_id, 'goal current', *p.write2ByteTxRx(
                    port, dxl_id, ADDR.GOAL_CURRENT, self.config.gripper_current_limit))
        self.sync_write = GroupSyncWrite(port, p, ADDR.GOAL_POSITION, 4)
        self.sync_read = GroupSyncRead(port, p, ADDR.PRESENT_VELOCITY, 8)  # velocity + position
        for dxl_id in self._all_ids():
            self.sync_read.addParam(dxl_id)
        if self.torque_enabled:
            self._torque_on_holding()

    def _present_raw(self, dxl_id: int) -> int:
        value, result, error = self.packet.read4ByteTxRx(self.port, dxl_id,
                                                         ADDR.PRESENT_POSITION)
        self._check(dxl_id, 'read position', result, error)
        return int(np.int32(np.uint32(value)))

    def _torque_on_holding(self) -> None:
        """Goal := present position, then torque on: the arm holds where it is."""
        for dxl_id in self._all_ids():
            present = self._present_raw(dxl_id)
            self._check(dxl_id, 'hold goal', *self.packet.write4ByteTxRx(
                self.port, dxl_id, ADDR.GOAL_POSITION, present & 0xFFFFFFFF))
            self._check(dxl_id, 'torque on', *self.packet.write1ByteTxRx(
                self.port, dxl_id, ADDR.TORQUE_ENABLE, 1))
        self.clear_goal()  # an old command must never be replayed
        self._sent_goal = None

    def _close_port(self) -> None:
        try:
            self.port.closePort()
        except _PORT_ERRORS:
            pass
        self.connected = False

    def close(self) -> None:
        """Torque as configured (``torque_on_exit``), then close the port."""
        if self.connected and not self.config.torque_on_exit:
            try:
                self.set_torque(False)
            except (HardwareError, *_PORT_ERRORS) as e:
                log.warning('could not release torque on close: %s', e)
        self._close_port()

    # commands --------------------------------------------------------------------------------
    def set_torque(self, enabled: bool) -> None:
        """Torque on (holding the present pose, never an old command) or off (arm moves freely,
        e.g. to be guided by hand for data collection).

        Raises:
            HardwareError: not connected, the port vanished, or a servo refused.
        """
        if not self.connected:
            raise HardwareError(f'{self.config.port}: not connected')
        try:
            if enabled:
                self._torque_on_holding()
            else:
                for dxl_id in self._all_ids():
                    self._check(dxl_id, 'torque off', *self.packet.write1ByteTxRx(
                        self.port, dxl_id, ADDR.TORQUE_ENABLE, 0))
                self.clear_goal()
        except _PORT_ERRORS as e:
            self._close_port()  # the cycle reconnects
            raise HardwareError(f'{self.config.port}: port lost ({e})') from e
        self.torque_enabled = enabled

    def set_gripper(self, position_rad: float) -> None:
        """Gripper servo goal, rad of the servo horn (needs ``gripper_id``)."""
        if not self.config.gripper_id:
            raise HardwareError('no gripper configured (gripper_id is 0)')
        if not np.isfinite(position_rad):
            raise HardwareError('gripper goal must be finite')
        self._gripper_goal = float(position_rad)

    # cycle -----------------------------------------------------------------------------------
    def cycle(self, dt: float) -> JointReading:
        if not self.connected:
            return self._try_reconnect()
        try:
            self._write_goals()
            return self._read_state()
        except _PORT_ERRORS as e:
            self._close_port()
            return JointReading(None, None, ok=False, faults=[
                f'{self.config.port}: port lost ({e}); reconnecting every '
                f'{self.config.reconnect_period:.1f} s'])

    def _try_reconnect(self) -> JointReading:
        now = time.monotonic()
        if now - self._last_attempt < self.config.reconnect_period:
            return JointReading(None, None, ok=False, faults=[])
        try:
            self.open()
        except HardwareError as e:
            return JointReading(None, None, ok=False, faults=[f'reconnect failed: {e}'])
        log.info('%s: reconnected', self.config.port)
        return JointReading(None, None, ok=False, faults=[])

    def _write_goals(self) -> None:
        if not self.torque_enabled:
            return
        goal = self.goal
        if goal is not None and (self._sent_goal is None
                                 or not np.array_equal(goal, self._sent_goal)):
            raw = rad_to_raw(clamp_to_limits(goal))
            self.sync_write.clearParam()
            for dxl_id, value in zip(self.config.ids, raw):
                self.sync_write.addParam(dxl_id, int(value).to_bytes(4, 'little', signed=True))
            if self._gripper_goal is not None:
                self.sync_write.addParam(self.config.gripper_id, int(
                    rad_to_raw(self._gripper_goal)).to_bytes(4, 'little', signed=True))
            self.sync_write.txPacket()
            self._sent_goal = goal

    def _read_state(self) -> JointReading:
        # sync read: one instruction, then each servo's status in turn. A silent servo makes the
        # SDK drop the statuses behind it, so servos still missing are asked one by one; that
        # names exactly the silent ones. Hardware errors are looked up once the bus is quiet.
        self.port.clearPort()
        result = self.sync_read.txPacket()
        if result != COMM_SUCCESS:
            raise OSError(self.packet.getTxRxResult(result))
        replies, faults = {}, []
        for dxl_id in self._all_ids():
            data, result, error = self.packet.readRx(self.port, dxl_id, 8)
            if result == COMM_SUCCESS:
                replies[dxl_id] = (data, error)
                continue
            if result == COMM_RX_CORRUPT:
                faults.append(f'servo {dxl_id}: corrupt status packet '
                              f'({self.packet.getTxRxResult(result)}); read again')
            break
        for dxl_id in self._all_ids():
            if dxl_id in replies:
                continue
            data, result, error = self.packet.readTxRx(self.port, dxl_id,
                                                       ADDR.PRESENT_VELOCITY, 8)
            if result == COMM_SUCCESS:
                replies[dxl_id] = (data, error)
            else:
                faults.append(f'servo {dxl_id} not answering: '
                              f'{self.packet.getTxRxResult(result)}')
        velocities, positions = {}, {}
        for dxl_id, (data, error) in replies.items():
            if error & 0x80:
                faults.append(self._hardware_fault(dxl_id))
            raw = np.frombuffer(bytes(data[:8]), dtype='<i4')
            velocities[dxl_id], positions[dxl_id] = raw[0] * VELOCITY_UNIT, raw_to_rad(raw[1])
        if self.config.gripper_id in positions:
            self.gripper_position = float(positions[self.config.gripper_id])
        if not all(i in positions for i in self.config.ids):
            return JointReading(None, None, ok=False, faults=faults)
        return JointReading(np.array([positions[i] for i in self.config.ids]),
                            np.array([velocities[i] for i in self.config.ids]), ok=True,
                            faults=faults)

    def _hardware_fault(self, dxl_id: int) -> str:
        bits, result, _ = self.packet.read1ByteTxRx(self.port, dxl_id, ADDR.HARDWARE_ERROR)
        if result != COMM_SUCCESS:
            return f'servo {dxl_id}: hardware alert (status unreadable)'
        return (f'servo {dxl_id}: hardware error: {describe_hardware_error(bits)} (torque is '
                'off until the servo is rebooted)')
