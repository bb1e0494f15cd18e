"""
The arm on a Dynamixel bus (X-series servos, Protocol 2.0) through dynamixel-sdk.

The servos are the arm's (:attr:`~ik_net_ros.arm.Arm.servos`, its gripper's): their IDs, models
(each one's Model Number is checked on connect, a mismatch refused by name) and modes. A joint
whose servo runs in extended-position mode (Operating Mode 4, multi-turn, as ROBOTIS runs the
OMX-F's joint1) may be found wound by other software (Present Position beyond one turn): its
turn count is taken as found, never rewritten (no reboot, no Homing Offset), and the joint is read
and commanded relative to the turn nearest the middle of its real limits, so the arm is read where
it is and never sent the long way round; every command stays inside the arm's real limits. The
gripper's current-based position mode is multi-turn too: a wound gripper is run within its turn.

Each :meth:`DynamixelArm.cycle`: one sync write of the interpolated command (when it changed),
one sync read of present velocity and position; faults (a silent servo, corrupt, short or
error-carrying replies, positions out of range, a hardware error, the port vanishing) are
reported in the reading, never as stale fresh data, and the port is reopened when it comes back.
The servos' Profile Velocity is set from ``max_velocity`` (never above their own Velocity Limit
register) as a second speed limit behind the interpolation.
"""

from __future__ import annotations

import logging
import os
import time

try:
    from termios import error as _TermiosError  # tcflush on a vanished pty/USB adapter
except ImportError:  # not POSIX
    class _TermiosError(Exception):
        pass

from dynamixel_sdk import (
    COMM_RX_CORRUPT,
    COMM_SUCCESS,
    GroupSyncRead,
    GroupSyncWrite,
    PacketHandler,
    PortHandler,
)
from dynamixel_sdk.protocol2_packet_handler import (
    INST_READ,
    PKT_ERROR,
    PKT_ID,
    PKT_INSTRUCTION,
    PKT_LENGTH_L,
    PKT_PARAMETER0,
)
from ik_net_ros.arm import Arm
from ik_net_ros.arm.servo_models import (
    check_settings,
    CURRENT_POSITION,
    EXTENDED,
    EXTENDED_RANGE,
    MODE_OF,
    model_name,
    MULTI_TURN,
    POSITION,
    servo_model,
    ServoModel,
    ServoSettings,
)
from ik_net_ros.errors import HardwareError
from ik_net_ros.hardware.base import ArmBackend, JointReading
from ik_net_ros.hardware.dynamixel_config import DynamixelConfig, servo_ids, servo_settings
from ik_net_ros.hardware.gripper import horn_to_joint, joint_to_horn
from ik_net_ros.hardware.motion import DEFAULT_ACCELERATION
from ik_net_ros.hardware.servo_profile import max_distance, move_time
from ik_net_ros.hardware.xm430 import (
    ADDR,
    describe_hardware_error,
    RAD_PER_TICK,
    rad_to_raw,
    raw_to_rad,
    VELOCITY_UNIT,
)
from ik_net_ros.kinematics.limits import clamp_to_limits
import numpy as np
import serial

__all__ = ['DynamixelArm', 'DynamixelConfig']


class _Port(PortHandler):
    """dynamixel-sdk's port, waiting at least ``min_timeout`` ms for a reply."""

    def __init__(self, port_name: str, min_timeout: float = 0.0):
        super().__init__(port_name)
        self.min_timeout = float(min_timeout)

    def setPacketTimeout(self, packet_length):  # noqa: N802 - the SDK's name
        super().setPacketTimeout(packet_length)
        self.packet_timeout = max(self.packet_timeout, self.min_timeout)

    def setPacketTimeoutMillis(self, msec):  # noqa: N802 - the SDK's name
        super().setPacketTimeoutMillis(max(msec, self.min_timeout))


log = logging.getLogger(__name__)
POSITION_MODE, CURRENT_POSITION_MODE = POSITION, CURRENT_POSITION
ONE_TURN = 4096  # ticks
# errors of the port itself (a vanished pty or USB adapter); errors of our own code are not
# caught here, so a bug is a bug and not a "port lost"
_PORT_ERRORS = (OSError, serial.SerialException, _TermiosError)
# a status packet: header(4) id len(2) inst err, parameters from here, CRC(2) at the end
_FIRST_PARAM = PKT_PARAMETER0 + 1


def _parameters(rx: list[int]) -> list[int]:
    """
    Return the parameters of a received status packet, as many as its length field says.

    The SDK unstuffs in place and corrects that field, leaving stale bytes at the end.
    """
    length = rx[PKT_LENGTH_L] | rx[PKT_LENGTH_L + 1] << 8  # instruction, error, params, CRC
    return list(rx[_FIRST_PARAM:_FIRST_PARAM + max(0, length - 4)])


# one sync read covers Goal Position (116) .. Present Position (132, 4 bytes)
_TIMED_LENGTH = ADDR.GOAL_POSITION + 4 - ADDR.PROFILE_ACCELERATION  # 108 .. 119
_READ_START, _READ_LENGTH = ADDR.GOAL_POSITION, ADDR.PRESENT_POSITION + 4 - ADDR.GOAL_POSITION


class DynamixelArm(ArmBackend):
    """
    The arm's servos (and its gripper's) as an :class:`ArmBackend`.

    Parameters
    ----------
    config
        Bus and servo settings (IDs: the arm's unless given).
    max_velocity, max_acceleration, collision, arm
        See :class:`ArmBackend` (without ``arm``: the OM-X of ``config.description``).

    Raises
    ------
    HardwareError
        IDs that are not one per joint or not distinct, an arm that names no servos, a servo
        model without a control table here, or a mode its model lacks.

    """

    def __init__(self, config: DynamixelConfig, max_velocity: float | None = None,
                 max_acceleration: float = DEFAULT_ACCELERATION, collision='default',
                 arm: Arm | None = None):
        super().__init__(config.description, gripper=bool(config.gripper_id),
                         max_velocity=max_velocity, max_acceleration=max_acceleration,
                         collision=collision, arm=arm)
        self.config = config
        self.ids, self.gripper_id = self._bus_ids(config)
        self.models, self.modes, self.settings = self._servo_setup()
        self._connected = False
        self.torque_enabled = True
        self.limits: dict[int, tuple[int, int]] = {}  # id -> (min, max) raw, read at start
        self.velocity_limits: dict[int, int] = {}  # id -> Velocity Limit register, raw
        self.turns: dict[int, int] = {}  # id -> whole turns a multi-turn servo was found wound
        self._gripper_goal: int | None = None  # raw, waiting for the next cycle
        self._sent: dict[int, int] = {}  # id -> raw goal last written
        # id -> (Present Position ticks, when it was read): where a time-based move starts
        self._present: dict[int, tuple[int, float]] = {}
        self._sent_goal: np.ndarray | None = None
        self._last_attempt = 0.0
        self.port = _Port(config.port, config.min_packet_timeout)
        self.packet = PacketHandler(2.0)

    def _bus_ids(self, config: DynamixelConfig) -> tuple[tuple[int, ...], int]:
        """Return the joints' servo IDs and the gripper's (0: none), the arm's unless set."""
        try:
            return servo_ids(self.arm, config.ids, config.gripper_id)
        except ValueError as e:
            raise HardwareError(str(e)) from e

    def _servo_setup(self) -> tuple[dict[int, ServoModel], dict[int, int],
                                    dict[int, ServoSettings]]:
        """
        Return each ID's control table, the Operating Mode it is run in and what it is set to.

        The settings are the arm's (its YAML's, ROBOTIS's) with the config's laid over, each
        checked against the servo's control table: a value it would refuse is an error here,
        before the port is opened, never a write the servo rejects.
        """
        models, modes, settings = {}, {}, {}
        try:
            for dxl_id, servo in zip(self.ids, self.arm.servos):
                models[dxl_id], modes[dxl_id] = servo_model(servo.model), MODE_OF[servo.mode]
                settings[dxl_id] = servo_settings(servo.settings, self.config)
            if self.gripper_id:
                models[self.gripper_id] = servo_model(self.arm.gripper.model)
                modes[self.gripper_id] = CURRENT_POSITION_MODE
                settings[self.gripper_id] = servo_settings(self.arm.gripper.settings,
                                                           self.config, gripper=True)
        except ValueError as e:
            raise HardwareError(f'{self.arm.name}: {e}') from e
        for dxl_id, mode in modes.items():
            try:
                check_settings(settings[dxl_id], models[dxl_id].name, mode)
            except ValueError as e:
                raise HardwareError(f'servo {dxl_id} ({self._what(dxl_id)}): {e}') from None
        return models, modes, settings

    @property
    def connected(self) -> bool:
        return self._connected

    @property
    def hardware_id(self) -> str:
        """
        Name the port this backend opens (the emulator's pty for the emulated servos).

        A symlink (``/dev/serial/by-id/...``) is named with the device it leads to.
        """
        port = str(self.config.port)
        real = os.path.realpath(port)
        return port if real == port else f'{port} ({real})'

    # connection ------------------------------------------------------------------------------
    def open(self, torque: bool | None = None) -> None:  # noqa: A003 (the backend interface)
        """
        Open the port, check every servo, configure them with torque off.

        Then enable torque holding the present pose (``torque`` True), leave it off (False) or as
        it was (None: a reconnect).

        Raises
        ------
        HardwareError
            Port cannot be opened, a servo does not answer or is not the model the arm names.

        """
        if torque is not None:
            self.torque_enabled = bool(torque)
        self._last_attempt = time.monotonic()
        # a fresh handler: one that died mid-transaction stays flagged 'in use'
        self.port = _Port(self.config.port, self.config.min_packet_timeout)
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
            self._release_all()  # never half set up and half powered
            self._close_port()
            raise
        self._connected = True

    def _release_all(self) -> None:
        """
        Torque off on every servo that answers (best effort).

        After a setup that failed part-way, every servo is in one known state, limp.
        """
        for dxl_id in self._all_ids():
            try:
                result, error = self.packet.write1ByteTxRx(self.port, dxl_id,
                                                           ADDR.TORQUE_ENABLE, 0)
            except _PORT_ERRORS:
                return
            if result != COMM_SUCCESS:
                log.warning('servo %d: torque off after a failed setup not confirmed (%s)',
                            dxl_id, self.packet.getTxRxResult(result))

    def _all_ids(self) -> list[int]:
        return list(self.ids) + ([self.gripper_id] if self.gripper_id else [])

    def _what(self, dxl_id: int) -> str:
        """Name what servo ``dxl_id`` drives ('joint1', 'the gripper')."""
        if dxl_id == self.gripper_id:
            return 'the gripper'
        return self.arm.joint_names[self.ids.index(dxl_id)]

    def _check(self, dxl_id: int, what: str, result: int, error: int) -> None:
        if result != COMM_SUCCESS:
            raise HardwareError(f'servo {dxl_id} {what}: {self.packet.getTxRxResult(result)}')
        if error & 0x7F:
            raise HardwareError(f'servo {dxl_id} {what}: '
                                f'{self.packet.getRxPacketError(error)}')

    def _configure(self) -> None:
        """
        Every servo: ping and model check (its Model Number the model the arm names).

        EEPROM (return delay, drive mode, operating mode) written only where it differs, with
        torque off, and read back (servos already set up keep their torque: a reconnect does not
        drop the arm); position and velocity limits read, and the turns a multi-turn servo is
        wound by; RAM (gains, profiles, the gripper's current) written; then torque on, holding
        where the arm is.
        """
        p, port, c = self.packet, self.port, self.config
        self.limits, self.velocity_limits, self.turns = {}, {}, {}
        for dxl_id in self._all_ids():
            model, result, error = p.ping(port, dxl_id)
            self._check(dxl_id, f'ping on {c.port}', result, error)
            expected = self.models[dxl_id]
            if model != expected.number:
                raise HardwareError(f'servo {dxl_id} ({self._what(dxl_id)}): model number '
                                    f'{model} ({model_name(model)}), expected '
                                    f'{expected.number} ({expected.name})')
            st = self.settings[dxl_id]
            eeprom = [(ADDR.RETURN_DELAY, 1, st.return_delay, 'return delay time'),
                      (ADDR.DRIVE_MODE, 1, st.drive_mode, 'drive mode'),
                      (ADDR.OPERATING_MODE, 1, self.modes[dxl_id], 'operating mode')]
            if st.current_limit is not None:  # before Goal Current, which it bounds
                eeprom.append((ADDR.CURRENT_LIMIT, 2, st.current_limit, 'current limit'))
            differs = [e for e in eeprom if self._read(dxl_id, e[0], e[1], e[3]) != e[2]]
            if differs or not self.torque_enabled:
                self._check(dxl_id, 'torque off', *p.write1ByteTxRx(port, dxl_id,
                                                                    ADDR.TORQUE_ENABLE, 0))
            for addr, size, value, what in differs:
                self._write_eeprom(dxl_id, addr, size, value, what)
            low = self._read(dxl_id, ADDR.MIN_POSITION, 4, 'min position limit')
            high = self._read(dxl_id, ADDR.MAX_POSITION, 4, 'max position limit')
            if self.modes[dxl_id] in MULTI_TURN:
                self.turns[dxl_id] = self._turns_found(dxl_id)
            if self.modes[dxl_id] == EXTENDED:  # no position limit: the arm's limits bound it
                low, high = (end - ONE_TURN * self.turns[dxl_id] for end in EXTENDED_RANGE)
            elif not 0 <= low < high <= 4095:
                raise HardwareError(f'servo {dxl_id}: position limits {low}..{high} make no '
                                    'range (set Min/Max Position Limit, addresses 52/48)')
            self.limits[dxl_id] = (low, high)  # within the servo's own turn (turns taken off)
            self.velocity_limits[dxl_id] = self._read(dxl_id, ADDR.VELOCITY_LIMIT, 4,
                                                      'velocity limit')
            ram = [(ADDR.POSITION_P_GAIN, 2, st.gains[0], 'position P gain'),
                   (ADDR.POSITION_I_GAIN, 2, st.gains[1], 'position I gain'),
                   (ADDR.POSITION_D_GAIN, 2, st.gains[2], 'position D gain'),
                   (ADDR.PROFILE_ACCELERATION, 4, st.profile[1], 'profile acceleration'),
                   (ADDR.PROFILE_VELOCITY, 4, self._profile_velocity(dxl_id),
                    'profile velocity')]
            if st.goal_current is not None:  # the gripper's grip, in its servo's current unit
                ram.append((ADDR.GOAL_CURRENT, 2, st.goal_current, 'goal current'))
            for addr, size, value, what in ram:
                write = p.write2ByteTxRx if size == 2 else p.write4ByteTxRx
                self._check(dxl_id, what, *write(port, dxl_id, addr, value))
        self.sync_write = GroupSyncWrite(port, p, ADDR.GOAL_POSITION, 4)
        # time-based servos: Profile Acceleration, Profile Velocity (the move's ms) and Goal
        # Position in one sync write, so each goal carries the duration of its own distance
        self.sync_write_timed = GroupSyncWrite(port, p, ADDR.PROFILE_ACCELERATION,
                                               _TIMED_LENGTH)
        self.sync_read = GroupSyncRead(port, p, _READ_START, _READ_LENGTH)
        for dxl_id in self._all_ids():
            self.sync_read.addParam(dxl_id)
        if self.torque_enabled:
            self._torque_on_holding()
        else:
            self.hold(self._present_rad())

    def _profile_velocity(self, dxl_id: int) -> int:
        """
        Return the Profile Velocity to write (raw).

        With a velocity-based profile the smallest of the configured cap, max_velocity, the
        joint's own velocity limit (the arm's) and the servo's Velocity Limit register (a larger
        value is refused by the servo); with a time-based one the shortest move (ms), which each
        goal lengthens from its distance (:meth:`_timed_goal`).
        """
        st = self.settings[dxl_id]
        if st.time_based:
            return max(1, st.profile[0])  # 0 would be an instant move
        limit = self.velocity_limits.get(dxl_id, 0) or 1
        wanted = max(1, int(self._speed(dxl_id) / VELOCITY_UNIT))
        if st.profile[0]:
            wanted = min(wanted, st.profile[0])
        if wanted > limit:
            log.warning('servo %d: Velocity Limit register %d (%.2f rad/s) caps the profile '
                        'velocity %d', dxl_id, limit, limit * VELOCITY_UNIT, wanted)
        return min(wanted, limit)

    def _speed(self, dxl_id: int) -> float:
        """Return the fastest servo ``dxl_id`` may turn, rad/s: max_velocity, its joint's own."""
        fastest = self.motion.max_velocity
        if dxl_id in self.ids:
            fastest = min(fastest, float(self.arm.velocity[self.ids.index(dxl_id)]))
        return fastest

    def _timed_goal(self, dxl_id: int, goal: int) -> tuple[int, int]:
        """
        Return a time-based servo's Goal Position and its move's duration (ms), from where it is.

        The distance is from its last Present Position read, widened by how far it may have
        gone since at its speed limit and by a tick of rounding: a move never outruns the
        limit, whatever the cycle's timing or a lag behind the command (a fixed duration would
        make any jump in that time). A goal too far for the longest move the register holds is
        brought nearer along the way (the next cycles go on).
        """
        st, speed = self.settings[dxl_id], self._speed(dxl_id) / RAD_PER_TICK  # ticks/s
        present, when = self._present.get(dxl_id, (self._sent.get(dxl_id, goal),
                                                   time.monotonic()))
        slack = speed * max(0.0, time.monotonic() - when) + 1.0
        reach = max_distance(speed, st.profile[1]) - slack
        if abs(goal - present) > reach:
            goal = present + int(np.sign(goal - present) * max(0.0, np.floor(reach)))
        return goal, move_time(abs(goal - present) + slack, speed, st.profile[0], st.profile[1])

    def _write_eeprom(self, dxl_id: int, addr: int, size: int, value: int, what: str) -> None:
        """
        Write an EEPROM register where it differs and read it back to confirm.

        Torque is off here; EEPROM wears, so a register that already holds the value is not
        written.
        """
        present = self._read(dxl_id, addr, size, what)
        log.info('servo %d: %s %d -> %d (EEPROM)', dxl_id, what, present, value)
        write = self.packet.write1ByteTxRx if size == 1 else self.packet.write2ByteTxRx
        self._check(dxl_id, what, *write(self.port, dxl_id, addr, value))
        confirmed = self._read(dxl_id, addr, size, f'back {what}')
        if confirmed != value:
            raise HardwareError(f'servo {dxl_id}: {what} reads {confirmed} after writing '
                                f'{value}')

    def _read(self, dxl_id: int, addr: int, size: int, what: str) -> int:
        """
        One register of ``size`` bytes (signed for 4).

        A reply of another length is a fault of the servo.
        """
        data, result, error = self._read_block(dxl_id, addr, size)
        self._check(dxl_id, f'read {what}', result, error)
        if len(data) != size:
            raise HardwareError(f'servo {dxl_id}: read {what}: {len(data)} bytes in the reply, '
                                f'expected {size}')
        return int.from_bytes(bytes(data), 'little', signed=size == 4)

    def _read_block(self, dxl_id: int, addr: int, size: int) -> tuple[list[int], int, int]:
        """
        READ of ``size`` bytes at ``addr``: (the reply's own parameters, result, error).

        The SDK's readTxRx slices ``size`` bytes whatever the reply holds, so a short reply (valid
        CRC) would hand over its CRC as data; here the reply says how long it is.
        """
        tx = [0] * 14
        tx[PKT_ID], tx[PKT_LENGTH_L], tx[PKT_INSTRUCTION] = dxl_id, 7, INST_READ
        tx[PKT_PARAMETER0:PKT_PARAMETER0 + 4] = [addr & 0xFF, addr >> 8, size & 0xFF, size >> 8]
        rx, result, _ = self.packet.txRxPacket(self.port, tx)
        if result != COMM_SUCCESS:
            return [], result, 0
        return _parameters(rx), result, rx[PKT_ERROR]

    def _status_of(self, dxl_id: int) -> tuple[list[int], int, int]:
        """
        Return the next status packet of ``dxl_id`` after a sync read: parameters, result, error.

        As the SDK's readRx, without slicing past a short reply.
        """
        while True:
            rx, result = self.packet.rxPacket(self.port, False)
            if result != COMM_SUCCESS or rx[PKT_ID] == dxl_id:
                break
        if result != COMM_SUCCESS:
            return [], result, 0
        return _parameters(rx), result, rx[PKT_ERROR]

    def _position_range(self, dxl_id: int) -> tuple[int, int]:
        """Return the Present Position (ticks) a servo may report: one turn, or +-256 turns."""
        return EXTENDED_RANGE if self.modes.get(dxl_id) in MULTI_TURN else (0, 4095)

    def _servo_goal(self, dxl_id: int, raw: int) -> int:
        """
        Return the Goal Position (ticks) of ``raw`` ticks within the servo's own turn.

        Kept inside its position limits (a goal outside is refused), then its turns added back.
        """
        low, high = self.limits.get(dxl_id, (0, 4095))
        return min(high, max(low, int(raw))) + ONE_TURN * self.turns.get(dxl_id, 0)

    def _present_raw(self, dxl_id: int) -> int:
        raw = self._read(dxl_id, ADDR.PRESENT_POSITION, 4, 'position')
        low, high = self._position_range(dxl_id)
        if not low <= raw <= high:
            raise HardwareError(f'servo {dxl_id}: present position {raw} outside {low}..{high}')
        return raw

    def _turns_found(self, dxl_id: int) -> int:
        """
        Return the whole turns a multi-turn servo stands from the arm's range.

        Its Present Position taken as it is (never reset): for a joint, the turn that puts it
        nearest the middle of its real limits; for the gripper (current-based position), the
        turn it stands in (0 within 0..4095, as at power on). Readings subtract it and commands
        add it, so a wound servo is read where it is and moved the short way.
        """
        raw = self._present_raw(dxl_id)
        if dxl_id in self.ids:
            joint = self.arm.joints[self.ids.index(dxl_id)]
            name, middle = joint.name, 0.5 * (joint.lower + joint.upper)
            turns = round((float(raw_to_rad(raw)) - middle) / (2 * np.pi))
        else:
            name, turns = 'the gripper', raw // ONE_TURN
        if turns:
            log.warning('servo %d (%s): found wound %+d turn(s) (Present Position %d); read and '
                        'commanded from that turn, never unwound', dxl_id, name, turns, raw)
        return int(turns)

    def _to_rad(self, dxl_id: int, raw: int) -> float:
        """Return the joint angle (rad) of a servo's position (ticks), its turns taken off."""
        return float(raw_to_rad(raw - ONE_TURN * self.turns.get(dxl_id, 0)))

    def _present_rad(self) -> np.ndarray:
        return np.array([self._to_rad(i, self._present_raw(i)) for i in self.ids])

    def _torque_on_holding(self) -> None:
        """
        Set the goal to the present position, then torque on: the arm holds where it is.

        The goal is clamped into the servo's position limits (a goal outside is refused).

        If any servo fails, every servo is turned off again: never half powered.
        """
        held = {}
        try:
            for dxl_id in self._all_ids():
                turn = ONE_TURN * self.turns.get(dxl_id, 0)
                found = self._present_raw(dxl_id)
                self._present[dxl_id] = (found, time.monotonic())
                present = self._servo_goal(dxl_id, found - turn)
                self._check(dxl_id, 'hold goal', *self.packet.write4ByteTxRx(
                    self.port, dxl_id, ADDR.GOAL_POSITION, present))
                self._check(dxl_id, 'torque on', *self.packet.write1ByteTxRx(
                    self.port, dxl_id, ADDR.TORQUE_ENABLE, 1))
                held[dxl_id] = present
        except HardwareError:
            self._release_all()
            raise
        self.hold(np.array([self._to_rad(i, held[i]) for i in self.ids]))
        self._gripper_goal = None
        self._sent_goal = None
        self._sent = dict(held)

    def _close_port(self) -> None:
        # a port that never opened (absent, or a reopen that failed) has no serial object:
        # the SDK's closePort would raise AttributeError on it
        if getattr(self.port, 'ser', None) is not None:
            try:
                self.port.closePort()
            except _PORT_ERRORS:
                pass
        self._connected = False

    def close(self) -> None:
        """Torque as configured (``torque_on_exit``), then close the port."""
        if self.connected and not self.config.torque_on_exit:
            try:
                self.set_torque(False)
            except (HardwareError, *_PORT_ERRORS) as e:
                log.warning('could not release torque on close: %s', e)
        self._close_port()

    # commands --------------------------------------------------------------------------------
    def set_max_velocity(self, rad_per_s: float) -> None:
        """
        Set the interpolation's speed limit.

        And every servo's Profile Velocity with it, the gripper's too (never above their
        Velocity Limit register): a slower arm closes its fingers no faster than it moves.

        Raises
        ------
        HardwareError
            Not a speed in (0, the arm's fastest joint's], or a servo refused the profile.

        """
        super().set_max_velocity(rad_per_s)
        if not self.connected:
            return
        try:
            for dxl_id in self._all_ids():
                self._check(dxl_id, 'profile velocity', *self.packet.write4ByteTxRx(
                    self.port, dxl_id, ADDR.PROFILE_VELOCITY, self._profile_velocity(dxl_id)))
        except _PORT_ERRORS as e:
            self._close_port()
            raise HardwareError(f'{self.config.port}: port lost ({e})') from e

    def set_torque(self, enabled: bool) -> None:
        """
        Torque on (holding the present pose, never an old command) or off.

        Arm moves freely, e.g. to be guided by hand for data collection.

        Raises
        ------
        HardwareError
            Not connected, the port vanished, or a servo refused.

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
                self._gripper_goal = None
        except _PORT_ERRORS as e:
            self._close_port()  # the cycle reconnects
            raise HardwareError(f'{self.config.port}: port lost ({e})') from e
        except HardwareError:
            if enabled:  # _torque_on_holding turned every servo off again
                self.torque_enabled = False
            raise
        self.torque_enabled = enabled

    def _set_gripper_goal(self, value: float) -> None:
        raw = int(rad_to_raw(joint_to_horn(value, self.arm.gripper)))
        self._gripper_goal = self._servo_goal(self.gripper_id, raw)

    # cycle -----------------------------------------------------------------------------------
    def _step(self, dt: float) -> JointReading:
        if not self.connected:
            return self._try_reconnect()
        try:
            faults = self._write_goals()
            reading = self._read_state()
            reading.faults[:0] = faults
            return reading
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

    def _write_goals(self) -> list[str]:
        """
        Write the newest goal in one sync write, the gripper's in one write with status.

        The goal is kept inside each servo's position limits (a goal outside is refused by the
        servo, silently in a sync write). Returns faults (a refused gripper goal).
        """
        if not self.torque_enabled:
            return []
        faults = []
        goal = self.command  # the interpolated setpoint, never the goal at once
        if goal is not None and (self._sent_goal is None
                                 or not np.array_equal(goal, self._sent_goal)):
            raw = rad_to_raw(clamp_to_limits(self.arm, goal))
            self.sync_write.clearParam()
            self.sync_write_timed.clearParam()
            plain = timed = shortened = False
            for dxl_id, value in zip(self.ids, raw):
                value = self._servo_goal(dxl_id, value)  # joint1 at +pi is 4096: one past 4095
                if self.settings[dxl_id].time_based:
                    wanted = value
                    value, ms = self._timed_goal(dxl_id, value)
                    shortened |= value != wanted
                    self.sync_write_timed.addParam(dxl_id, self._timed_bytes(dxl_id, ms, value))
                    timed = True
                else:
                    self.sync_write.addParam(dxl_id, value.to_bytes(4, 'little', signed=True))
                    plain = True
                self._sent[dxl_id] = value
            if plain:
                self.sync_write.txPacket()
            if timed:
                self.sync_write_timed.txPacket()
            # a goal brought nearer (too far for one move) is written again next cycle
            self._sent_goal = None if shortened else goal
        if self._gripper_goal is not None:
            raw, self._gripper_goal = self._gripper_goal, None  # sent once, never replayed
            if self.settings[self.gripper_id].time_based:
                value, ms = self._timed_goal(self.gripper_id, raw)
                if value != raw:  # too far for one move: the rest next cycle
                    self._gripper_goal = raw
                result, error = self.packet.writeTxRx(
                    self.port, self.gripper_id, ADDR.PROFILE_ACCELERATION, _TIMED_LENGTH,
                    list(self._timed_bytes(self.gripper_id, ms, value)))
                raw = value
            else:
                result, error = self.packet.write4ByteTxRx(self.port, self.gripper_id,
                                                           ADDR.GOAL_POSITION, raw)
            if result != COMM_SUCCESS or error & 0x7F:
                why = (self.packet.getTxRxResult(result) if result != COMM_SUCCESS
                       else self.packet.getRxPacketError(error))
                faults.append(f'servo {self.gripper_id}: gripper goal {raw} refused '
                              f'({why})')
            else:
                self._sent[self.gripper_id] = raw
        return faults

    def _timed_bytes(self, dxl_id: int, ms: int, goal: int) -> bytes:
        """Return Profile Acceleration, Profile Velocity (ms) and Goal Position as written."""
        return (self.settings[dxl_id].profile[1].to_bytes(4, 'little')
                + int(ms).to_bytes(4, 'little') + int(goal).to_bytes(4, 'little', signed=True))

    def _read_state(self) -> JointReading:
        # sync read: one instruction, then each servo's status in turn. A silent servo makes the
        # SDK drop the statuses behind it, so servos still missing are asked one by one; that
        # names exactly the silent ones. Hardware errors are looked up once the bus is quiet.
        self.port.clearPort()
        read_at = time.monotonic()  # the replies are younger: the distance is not shortened
        result = self.sync_read.txPacket()
        if result != COMM_SUCCESS:
            raise OSError(self.packet.getTxRxResult(result))
        replies, faults = {}, []
        for dxl_id in self._all_ids():
            data, result, error = self._status_of(dxl_id)
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
            data, result, error = self._read_block(dxl_id, _READ_START, _READ_LENGTH)
            if result == COMM_SUCCESS:
                replies[dxl_id] = (data, error)
            else:
                faults.append(f'servo {dxl_id} not answering: '
                              f'{self.packet.getTxRxResult(result)}')
        velocities, positions = {}, {}
        for dxl_id, (data, error) in replies.items():
            if error & 0x80:
                faults.append(self._hardware_fault(dxl_id))
            if error & 0x7F:  # the servo says its reply is not good: nothing of it is used
                faults.append(f'servo {dxl_id}: status error '
                              f'({self.packet.getRxPacketError(error)}); reading dropped')
                continue
            if len(data) != _READ_LENGTH:
                faults.append(f'servo {dxl_id}: short status packet ({len(data)} of '
                              f'{_READ_LENGTH} bytes); reading dropped')
                continue
            block = bytes(data)
            goal = int.from_bytes(block[0:4], 'little', signed=True)
            at = ADDR.PRESENT_VELOCITY - _READ_START
            velocity = int.from_bytes(block[at:at + 4], 'little', signed=True)
            position = int.from_bytes(block[at + 4:at + 8], 'little', signed=True)
            low, high = self._position_range(dxl_id)
            if not low <= position <= high:
                faults.append(f'servo {dxl_id}: present position {position} outside '
                              f'{low}..{high}; reading dropped')
                continue
            velocities[dxl_id] = velocity * VELOCITY_UNIT
            positions[dxl_id] = self._to_rad(dxl_id, position)
            self._present[dxl_id] = (position, read_at)
            sent = self._sent.get(dxl_id)
            if self.torque_enabled and sent is not None and goal != sent:
                low, high = self.limits.get(dxl_id, (0, 4095))
                faults.append(f'servo {dxl_id}: refused goal {sent} (holds {goal}; its position '
                              f'limits are {low}..{high})')
        gripper = positions.get(self.gripper_id) if self.gripper_id else None
        gripper = None if gripper is None else horn_to_joint(float(gripper), self.arm.gripper)
        if not all(i in positions for i in self.ids):
            return JointReading(None, None, ok=False, faults=faults)
        return JointReading(np.array([positions[i] for i in self.ids]),
                            np.array([velocities[i] for i in self.ids]), ok=True,
                            faults=faults, gripper=gripper)

    def _hardware_fault(self, dxl_id: int) -> str:
        data, result, _ = self._read_block(dxl_id, ADDR.HARDWARE_ERROR, 1)
        bits = data[0] if data else 0
        if result != COMM_SUCCESS or len(data) != 1:
            return f'servo {dxl_id}: hardware alert (status unreadable)'
        return (f'servo {dxl_id}: hardware error: {describe_hardware_error(bits)} (torque is '
                'off until the servo is rebooted)')
