"""
A chain of emulated Dynamixel X servos speaking Protocol 2.0 on a pseudo-terminal.

Each servo is one model of :data:`~ik_net_ros.arm.servo_models.SERVO_MODELS` (XM430-W350-T,
XL430-W250-T, XL330-M288-T): its Model Number, table length, factory Velocity and Current Limit,
the registers it lacks and the Operating Modes it takes. The real backend talks to it through
dynamixel-sdk unchanged: ``port_path`` is a stable symlink to the pty slave (like a udev
/dev/serial/by-id link), which the SDK opens as a serial port. Servos move their present position
toward the goal under the profile velocity while torque is on, never faster than its Velocity
Limit register, and refuse what the model refuses (goals outside its position limits in Position
mode or outside +-256 turns in the multi-turn modes, a Profile Velocity above its Velocity Limit,
a Velocity or Current Limit above the model's, a Goal Current above Current Limit, an Operating
Mode the model lacks, EEPROM writes with torque on; a write to a register the model lacks is
refused with an access error, the emulator's choice). Present Position runs over many turns and
is brought back within one turn where the e-Manual says (a change to Position mode, torque on in
it, a reboot), so a servo left wound by other software can be emulated. Faults can be injected:
a servo that stops answering, corrupt status packets (CRC), short status packets (valid CRC),
status packets carrying an error, hardware error bits, and the port vanishing (unplug / replug).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
import select
import struct
import threading
import time
import tty

from ik_net_ros.arm.servo_models import (
    EXTENDED_RANGE,
    MULTI_TURN,
    POSITION,
    servo_model,
    TIME_BASED,
)
from ik_net_ros.hardware.protocol2 import (
    BROADCAST_ID,
    build_packet,
    Error,
    Instruction,
    parse_packet,
)
from ik_net_ros.hardware.xm430 import (
    ADDR,
    EEPROM_END,
    RAD_PER_TICK,
    READ_ONLY,
    VELOCITY_UNIT,
)

__all__ = ['EmulatedServo', 'ServoEmulator', 'LEFTOVERS']

# what ROBOTIS's software leaves on the servos after its bringup exits, per ID group: EEPROM
# (drive mode; jazzy: time-based on the arm, time-based + reverse on the gripper) and RAM
# (profiles in ms) that stays until a power cycle
LEFTOVERS = {
    'factory': {'arm': {'drive_mode': 0, 'return_delay': 250},
                'gripper': {'drive_mode': 0, 'return_delay': 250}},
    'jazzy': {'arm': {'drive_mode': 4, 'return_delay': 0, 'profile': (20, 10)},
              'gripper': {'drive_mode': 5, 'return_delay': 0, 'profile': (20, 10),
                          'operating_mode': 5}},
}

log = logging.getLogger(__name__)


def _overlaps(addr: int, length: int, register: int, size: int) -> bool:
    return addr < register + size and register < addr + length


def _covers(addr: int, length: int, register: int, size: int) -> bool:
    return addr <= register and register + size <= addr + length


class EmulatedServo:
    """
    One Dynamixel X servo of ``model``: a control table and a first-order motion model.

    ``position``: raw Present Position at start, over many turns for a servo left wound in a
    multi-turn ``operating_mode`` (brought within one turn in Position mode, as at power on).
    """

    def __init__(self, dxl_id: int, position: int = 2048, drive_mode: int = 0,
                 return_delay: int = 250, model: str = 'XM430-W350-T',
                 operating_mode: int = POSITION):
        self.model = servo_model(model)
        self.table = bytearray(self.model.table_size)
        self.silent = False
        self.corrupt = 0  # the next N status packets get a wrong CRC
        self.short = 0  # the next N status packets lose their last parameter byte (valid CRC)
        self.error_code = Error.NONE  # the next N status packets carry this error...
        self.errors = 0  # ...N of them
        self.torque_drops = 0  # times torque went from on to off (a reconnect must not)
        self.pending: tuple[int, bytes] | None = None  # REG_WRITE awaiting ACTION
        if operating_mode not in self.model.modes:
            raise ValueError(f'{self.model.name} has no operating mode {operating_mode}')
        if operating_mode not in MULTI_TURN:
            position %= 4096  # power on in Position mode: within one turn
        self._set(ADDR.MODEL_NUMBER, 2, self.model.number)
        self._set(ADDR.FIRMWARE, 1, 52)
        self._set(ADDR.ID, 1, dxl_id)
        self._set(ADDR.BAUD_RATE, 1, 3)  # 1 Mbps
        self._set(ADDR.RETURN_DELAY, 1, return_delay)  # factory: 250 = 500 us per reply
        self._set(ADDR.DRIVE_MODE, 1, drive_mode)
        self._set(ADDR.OPERATING_MODE, 1, operating_mode)
        if self.model.has_current:
            self._set(ADDR.CURRENT_LIMIT, 2, self.model.current_limit)
        self._set(ADDR.VELOCITY_LIMIT, 4, self.model.velocity_limit[0])
        self._set(ADDR.MAX_POSITION, 4, 4095)
        self._set(ADDR.MIN_POSITION, 4, 0)
        self._set(ADDR.STATUS_RETURN_LEVEL, 1, 2)
        self._set(ADDR.PRESENT_VOLTAGE, 2, self.model.voltage)
        self._set(ADDR.PRESENT_TEMPERATURE, 1, 35)
        self._set(ADDR.PRESENT_POSITION, 4, position)
        self._set(ADDR.GOAL_POSITION, 4, position)
        self._position = float(position)
        self._stamp = time.monotonic()
        # a time-based move under way: (start ticks, goal ticks, start time, T s, ta s)
        self._move: tuple[float, float, float, float, float] | None = None
        self.top_speed = 0.0  # ticks/s, the fastest any profile of it has gone (tests reset it)

    @property
    def dxl_id(self) -> int:
        return self.table[ADDR.ID]

    def _get(self, addr: int, size: int, signed: bool = False) -> int:
        return int.from_bytes(self.table[addr:addr + size], 'little', signed=signed)

    def _set(self, addr: int, size: int, value: int) -> None:
        self.table[addr:addr + size] = int(value).to_bytes(size, 'little', signed=value < 0)

    @property
    def torque(self) -> bool:
        return bool(self.table[ADDR.TORQUE_ENABLE])

    @property
    def hardware_error(self) -> int:
        return self.table[ADDR.HARDWARE_ERROR]

    def set_hardware_error(self, bits: int) -> None:
        """Raise hardware error bits (0 clears); like the real servo, an error drops torque."""
        self.table[ADDR.HARDWARE_ERROR] = bits & 0xFF
        if bits:
            self.table[ADDR.TORQUE_ENABLE] = 0

    def set_present_position(self, raw: int) -> None:
        """
        Move the horn by hand (torque off), e.g. a person guiding the arm.

        With torque on, a push: a time-based move under way starts again from there (the
        emulator's choice; a real servo's controller pulls it back along its profile).
        """
        self._position = float(raw)
        self._set(ADDR.PRESENT_POSITION, 4, int(raw))
        if self._move is not None and self.torque:
            self._plan()

    @property
    def operating_mode(self) -> int:
        return self.table[ADDR.OPERATING_MODE]

    def _within_one_turn(self) -> None:
        """Bring Present Position within one turn (0..4095), keeping the horn where it is."""
        self.set_present_position(int(round(self._position)) % 4096)

    def reboot(self) -> None:
        """Reboot: hardware error cleared, torque off, Present Position within one turn."""
        self.set_hardware_error(0)
        self.table[ADDR.TORQUE_ENABLE] = 0
        self._within_one_turn()

    def update(self) -> None:
        """
        Integrate motion up to now: toward the goal under the profile.

        Velocity-based: at Profile Velocity (0: at its Velocity Limit), never above that
        register. Time-based (Drive Mode bit 2): the trapezoid planned when the goal was written
        (:meth:`_plan`), whatever its top speed (no register caps it: a driver that asks for too
        short a move is seen going too fast).
        """
        now = time.monotonic()
        dt, self._stamp = now - self._stamp, now
        velocity_ticks = 0.0
        if self.torque and dt > 0 and self.table[ADDR.DRIVE_MODE] & TIME_BASED \
                and self._move is not None:
            before = self._position
            self._position, velocity_ticks = self._along_move(now)
            if self._position == before:
                velocity_ticks = 0.0
        elif self.torque and dt > 0:
            goal = self._get(ADDR.GOAL_POSITION, 4, signed=True)
            limit = self._get(ADDR.VELOCITY_LIMIT, 4)
            profile = self._get(ADDR.PROFILE_VELOCITY, 4)
            if self.table[ADDR.DRIVE_MODE] & TIME_BASED:
                profile = 0  # time-based with no move planned (Profile Velocity 0): flat out
            profile = min(profile, limit) if profile else limit
            speed = profile * VELOCITY_UNIT / RAD_PER_TICK  # ticks per second
            step = max(-speed * dt, min(speed * dt, goal - self._position))
            self._position += step
            velocity_ticks = step / dt
            if step:
                self.top_speed = max(self.top_speed, speed)
        self._set(ADDR.PRESENT_POSITION, 4, int(round(self._position)))
        self._set(ADDR.PRESENT_VELOCITY, 4, int(round(velocity_ticks * RAD_PER_TICK
                                                      / VELOCITY_UNIT)))
        self._set(ADDR.MOVING, 1, int(abs(velocity_ticks) > 1e-6))

    def _plan(self) -> None:
        """
        Start a time-based move to Goal Position from where the horn is, now.

        It lasts Profile Velocity ms, accelerating for Profile Acceleration ms but at most half
        of it (the e-Manual); Profile Velocity 0 is no profile (the Velocity Limit applies).
        """
        duration = self._get(ADDR.PROFILE_VELOCITY, 4) / 1000.0
        if not duration:
            self._move = None
            return
        ramp = min(self._get(ADDR.PROFILE_ACCELERATION, 4) / 1000.0, duration / 2)
        goal = float(self._get(ADDR.GOAL_POSITION, 4, signed=True))
        self._move = (self._position, goal, time.monotonic(), duration, ramp)
        self.top_speed = max(self.top_speed, abs(goal - self._position) / (duration - ramp))

    def _along_move(self, now: float) -> tuple[float, float]:
        """Return the position (ticks) and velocity (ticks/s) of the move under way at ``now``."""
        start, goal, t0, duration, ramp = self._move
        distance, t = goal - start, min(max(now - t0, 0.0), duration)
        top = distance / (duration - ramp)  # signed
        if t >= duration:
            return goal, 0.0
        if ramp and t < ramp:
            return start + 0.5 * top / ramp * t * t, top * t / ramp
        if ramp and t > duration - ramp:
            left = duration - t
            return goal - 0.5 * top / ramp * left * left, top * left / ramp
        return start + top * (0.5 * ramp + (t - ramp)), top

    def read(self, addr: int, size: int) -> tuple[int, bytes]:
        if addr + size > self.model.table_size or size == 0:
            return Error.DATA_RANGE, b''
        self.update()
        return Error.NONE, bytes(self.table[addr:addr + size])

    def write(self, addr: int, data: bytes) -> int:
        """Write ``data`` at ``addr``; returns an Error code (EEPROM locked while torque on)."""
        if addr + len(data) > self.model.table_size or not data:
            return Error.DATA_RANGE
        if any(a in READ_ONLY or a in self.model.absent for a in range(addr, addr + len(data))):
            return Error.ACCESS
        if addr < EEPROM_END and self.torque:
            return Error.ACCESS
        refused = self._refused(addr, data)
        if refused:
            return refused
        if addr <= ADDR.TORQUE_ENABLE < addr + len(data) and self.hardware_error \
                and data[ADDR.TORQUE_ENABLE - addr]:
            return Error.RESULT_FAIL  # no torque until the error is cleared (reboot)
        self.update()
        was_on = self.torque
        mode = self.operating_mode
        self.table[addr:addr + len(data)] = data
        if was_on and not self.torque:
            self.torque_drops += 1
        if self.operating_mode == POSITION and (
                mode != POSITION or (not was_on and self.torque)):
            self._within_one_turn()  # as the e-Manual says of Present Position
        if addr <= ADDR.TORQUE_ENABLE < addr + len(data) and self.torque:
            self._position = float(self._get(ADDR.PRESENT_POSITION, 4, signed=True))
        if not self.torque or _overlaps(addr, len(data), ADDR.DRIVE_MODE, 1):
            self._move = None
        elif _overlaps(addr, len(data), ADDR.GOAL_POSITION, 4) \
                and self.table[ADDR.DRIVE_MODE] & TIME_BASED:
            self._plan()  # a new goal: a new move from where the horn is
        return Error.NONE

    def _refused(self, addr: int, data: bytes) -> int:
        """Return the error of a value the model refuses (Error.NONE: none)."""
        def value(register: int, size: int, signed: bool = False) -> int | None:
            if not _covers(addr, len(data), register, size):
                return None
            return int.from_bytes(data[register - addr:register - addr + size], 'little',
                                  signed=signed)
        table = {}  # the registers as they would be after the write
        for register, size, signed in ((ADDR.OPERATING_MODE, 1, False),
                                       (ADDR.DRIVE_MODE, 1, False),
                                       (ADDR.CURRENT_LIMIT, 2, False),
                                       (ADDR.VELOCITY_LIMIT, 4, False),
                                       (ADDR.GOAL_CURRENT, 2, True),
                                       (ADDR.PROFILE_VELOCITY, 4, False),
                                       (ADDR.GOAL_POSITION, 4, True)):
            new = value(register, size, signed)
            if new is None and _overlaps(addr, len(data), register, size):
                return Error.DATA_LENGTH  # part of a register: the emulator's choice
            table[register] = new if new is not None else self._get(register, size, signed)
        mode = table[ADDR.OPERATING_MODE]
        if value(ADDR.OPERATING_MODE, 1) is not None and mode not in self.model.modes:
            return Error.DATA_RANGE
        if value(ADDR.CURRENT_LIMIT, 2) is not None \
                and table[ADDR.CURRENT_LIMIT] > self.model.current_limit:
            return Error.DATA_RANGE
        if value(ADDR.VELOCITY_LIMIT, 4) is not None \
                and table[ADDR.VELOCITY_LIMIT] > self.model.velocity_limit[1]:
            return Error.DATA_RANGE
        if value(ADDR.GOAL_CURRENT, 2, True) is not None \
                and abs(table[ADDR.GOAL_CURRENT]) > table[ADDR.CURRENT_LIMIT]:
            return Error.DATA_RANGE  # Goal Current is within +-Current Limit
        goal = value(ADDR.GOAL_POSITION, 4, True)
        if goal is not None:
            low, high = (EXTENDED_RANGE if mode in MULTI_TURN else
                         (self._get(ADDR.MIN_POSITION, 4), self._get(ADDR.MAX_POSITION, 4)))
            if not low <= goal <= high:
                return Error.DATA_RANGE  # outside Min/Max Position Limit (or +-256 turns)
        if value(ADDR.PROFILE_VELOCITY, 4) is not None \
                and not table[ADDR.DRIVE_MODE] & TIME_BASED \
                and table[ADDR.PROFILE_VELOCITY] > table[ADDR.VELOCITY_LIMIT]:
            return Error.DATA_RANGE  # above its Velocity Limit
        return Error.NONE

    @property
    def reply_delay(self) -> float:
        """Seconds the servo waits before a status packet (Return Delay Time, 2 us units)."""
        return self.table[ADDR.RETURN_DELAY] * 2e-6

    def status_error(self, code: int = Error.NONE) -> int:
        return code | (Error.ALERT if self.hardware_error else 0)


class ServoEmulator:
    """
    Emulated servos on a pty, answering in a background thread.

    Parameters
    ----------
    ids
        Servo IDs on the bus.
    port_path
        Where to put the stable symlink to the pty slave (default: a temp file).
    positions
        Initial raw positions per ID (default 2048 = 0 rad).
    leftovers
        The servos' state at start: 'factory' (drive mode 0, Return Delay Time 250)
        or 'jazzy' (what ROBOTIS's jazzy bringup leaves: drive modes 4/5, time-based
        profiles of 20/10 ms, Return Delay Time 0), so a driver's setup is tested against it.
    gripper_id
        The ID that gets the gripper's leftovers.
    models
        Servo model per ID (default: XM430-W350-T).
    modes
        Operating Mode per ID left by other software (default: Position, 3); a multi-turn one
        keeps a ``positions`` value beyond one turn (a servo found wound).

    Raises
    ------
    ValueError
        Unknown leftovers or servo model, or a mode the model lacks.

    """

    def __init__(self, ids=(11, 12, 13, 14), port_path: str | Path | None = None,
                 positions: dict[int, int] | None = None, leftovers: str = 'factory',
                 gripper_id: int = 15, models: dict[int, str] | None = None,
                 modes: dict[int, int] | None = None):
        positions, models, modes = positions or {}, models or {}, modes or {}
        if leftovers not in LEFTOVERS:
            raise ValueError(f'leftovers must be one of {list(LEFTOVERS)}, got {leftovers!r}')
        self.servos = {}
        for i in ids:
            setup = LEFTOVERS[leftovers]['gripper' if i == gripper_id else 'arm']
            mode = modes.get(i, setup.get('operating_mode', POSITION))
            servo = EmulatedServo(i, positions.get(i, 2048), setup['drive_mode'],
                                  setup['return_delay'], models.get(i, 'XM430-W350-T'), mode)
            if 'profile' in setup:
                servo._set(ADDR.PROFILE_VELOCITY, 4, setup['profile'][0])
                servo._set(ADDR.PROFILE_ACCELERATION, 4, setup['profile'][1])
            self.servos[i] = servo
        self._own_dir = None  # the temp folder made for the symlink, removed by stop()
        if port_path is None:
            import tempfile
            self._own_dir = Path(tempfile.mkdtemp(prefix='dxl-emu-'))
            port_path = self._own_dir / 'ttyDXL'
        self.port_path = Path(port_path)
        self._lock = threading.RLock()
        self._master = self._slave = None
        self._thread = None
        self._stop = threading.Event()
        self._delay = 0.0  # s before the reply being built (the largest Return Delay Time)

    def start(self) -> ServoEmulator:
        """Create the pty and the symlink; answer packets until :meth:`stop`."""
        self._open_pty()
        self._stop.clear()
        self._thread = threading.Thread(target=self._serve, name='dxl-emulator', daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=2)
        self._close_pty()
        if self._own_dir is not None:
            self.port_path.with_name(self.port_path.name + '.new').unlink(missing_ok=True)
            try:
                self._own_dir.rmdir()
            except OSError:  # something else was put there: leave it
                pass

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # fault injection -----------------------------------------------------------------------
    def unplug(self) -> None:
        """Make the port vanish: pty closed, symlink removed (like pulling the USB adapter)."""
        with self._lock:
            self._close_pty()

    def replug(self) -> None:
        """Bring the port back at the same path (a new pty behind the same symlink)."""
        with self._lock:
            self._open_pty()

    def set_silent(self, dxl_id: int, silent: bool = True) -> None:
        self.servos[dxl_id].silent = silent

    def corrupt_next(self, dxl_id: int, count: int = 1) -> None:
        self.servos[dxl_id].corrupt = count

    def short_next(self, dxl_id: int, count: int = 1) -> None:
        """
        Make the next ``count`` status packets of ``dxl_id`` with data lose their last byte.

        Their CRC stays valid: a firmware or framing fault the CRC cannot see.
        """
        self.servos[dxl_id].short = count

    def error_next(self, dxl_id: int, code: int, count: int = 1) -> None:
        """
        Make the next ``count`` status packets of ``dxl_id`` carry error ``code``, data included.

        :class:`~ik_net_ros.hardware.protocol2.Error`.
        """
        servo = self.servos[dxl_id]
        servo.error_code, servo.errors = code, count

    # pty -------------------------------------------------------------------------------------
    def _open_pty(self) -> None:
        if self._own_dir is not None:
            self._own_dir.mkdir(exist_ok=True)  # start() again after stop()
        master, slave = os.openpty()
        tty.setraw(slave)
        self._master, self._slave = master, slave
        tmp = self.port_path.with_name(self.port_path.name + '.new')
        tmp.unlink(missing_ok=True)
        os.symlink(os.ttyname(slave), tmp)
        os.replace(tmp, self.port_path)

    def _close_pty(self) -> None:
        self.port_path.unlink(missing_ok=True)
        for fd in (self._master, self._slave):
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self._master = self._slave = None

    def _serve(self) -> None:
        buffer = b''
        while not self._stop.is_set():
            with self._lock:
                master = self._master
            if master is None:
                time.sleep(0.005)
                buffer = b''
                continue
            try:
                ready, _, _ = select.select([master], [], [], 0.01)
                if not ready:
                    continue
                chunk = os.read(master, 4096)
            except (OSError, ValueError):
                time.sleep(0.005)
                continue
            buffer += chunk
            while True:
                packet, used, crc_ok = parse_packet(buffer)
                buffer = buffer[used:]
                if not crc_ok:
                    log.debug('emulator: instruction with bad CRC dropped')
                    continue
                if packet is None:
                    break
                self._delay = 0.0
                reply = self._handle(packet)
                if reply and self._delay:
                    time.sleep(self._delay)  # Return Delay Time, before the first status
                if reply:
                    try:
                        os.write(master, reply)
                    except OSError:
                        pass

    # instructions ----------------------------------------------------------------------------
    def _status(self, servo: EmulatedServo, error: int = Error.NONE, params: bytes = b''
                ) -> bytes:
        if servo.silent:
            return b''
        self._delay = max(self._delay, servo.reply_delay)
        if servo.short and params:
            servo.short -= 1
            params = params[:-1]
        if servo.errors:
            servo.errors -= 1
            error |= servo.error_code
        packet = build_packet(servo.dxl_id, Instruction.STATUS, params, servo.status_error(error))
        if servo.corrupt:
            servo.corrupt -= 1
            packet = packet[:-1] + bytes([packet[-1] ^ 0xFF])
        return packet

    def _targets(self, dxl_id: int) -> list[EmulatedServo]:
        if dxl_id == BROADCAST_ID:
            return [self.servos[i] for i in sorted(self.servos)]
        return [self.servos[dxl_id]] if dxl_id in self.servos else []

    def _handle(self, p) -> bytes:  # noqa: C901 - one branch per instruction
        inst, params = p.instruction, p.params
        with self._lock:
            if inst == Instruction.PING:
                return b''.join(self._status(s, params=struct.pack('<HB', s.model.number, 52))
                                for s in self._targets(p.dxl_id))
            if inst in (Instruction.READ, Instruction.WRITE, Instruction.REG_WRITE,
                        Instruction.ACTION, Instruction.REBOOT, Instruction.FACTORY_RESET,
                        Instruction.CLEAR):
                out = b''
                for servo in self._targets(p.dxl_id):
                    reply = self._single(servo, inst, params)
                    if p.dxl_id != BROADCAST_ID:
                        out += reply
                return out
            if inst == Instruction.SYNC_WRITE and len(params) >= 4:
                addr, size = struct.unpack_from('<HH', params)
                for i in range(4, len(params) - size, size + 1):
                    if params[i] in self.servos:
                        self.servos[params[i]].write(addr, params[i + 1:i + 1 + size])
                return b''
            if inst == Instruction.SYNC_READ and len(params) >= 4:
                addr, size = struct.unpack_from('<HH', params)
                return b''.join(self._read_status(self.servos[i], addr, size)
                                for i in params[4:] if i in self.servos)
            if inst == Instruction.BULK_READ:
                out = b''
                for i in range(0, len(params) - 4, 5):
                    dxl_id, addr, size = params[i], *struct.unpack_from('<HH', params, i + 1)
                    if dxl_id in self.servos:
                        out += self._read_status(self.servos[dxl_id], addr, size)
                return out
            if inst == Instruction.BULK_WRITE:
                i = 0
                while i + 5 <= len(params):
                    dxl_id, addr, size = params[i], *struct.unpack_from('<HH', params, i + 1)
                    if dxl_id in self.servos:
                        self.servos[dxl_id].write(addr, params[i + 5:i + 5 + size])
                    i += 5 + size
                return b''
        return b''.join(self._status(s, Error.INSTRUCTION) for s in self._targets(p.dxl_id)
                        if p.dxl_id != BROADCAST_ID)

    def _read_status(self, servo, addr, size) -> bytes:
        error, data = servo.read(addr, size)
        return self._status(servo, error, data)

    def _single(self, servo: EmulatedServo, inst: int, params: bytes) -> bytes:
        if inst == Instruction.READ:
            if len(params) != 4:
                return self._status(servo, Error.DATA_LENGTH)
            return self._read_status(servo, *struct.unpack('<HH', params))
        if inst in (Instruction.WRITE, Instruction.REG_WRITE):
            if len(params) < 3:
                return self._status(servo, Error.DATA_LENGTH)
            addr = struct.unpack_from('<H', params)[0]
            if inst == Instruction.REG_WRITE:
                servo.pending = (addr, params[2:])
                return self._status(servo)
            return self._status(servo, servo.write(addr, params[2:]))
        if inst == Instruction.ACTION:
            pending, servo.pending = servo.pending, None
            return self._status(servo, servo.write(*pending) if pending else Error.NONE)
        if inst == Instruction.REBOOT:
            servo.reboot()
            return self._status(servo)
        return self._status(servo)  # FACTORY_RESET, CLEAR: acknowledged
