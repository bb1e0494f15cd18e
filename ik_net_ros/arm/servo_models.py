"""
The control tables of the Dynamixel X servos ROBOTIS builds its arms with (Protocol 2.0).

From ROBOTIS's e-Manual tables (emanual.robotis.com/docs/en/dxl/x/<model>/). The three share
the X-series addresses of :data:`~ik_net_ros.hardware.xm430.ADDR` and their units of position
(4096 ticks a turn, 2048 = 0 rad) and velocity (0.229 rpm); they differ in:

- Model Number: XM430-W350-T 1020, XL430-W250-T 1060, XL330-M288-T 1200.
- Current: the XM430 measures it in ~2.69 mA units (Current Limit 38 up to 1193), the XL330 in
  1 mA (up to 1750); the XL430 has no current sensor: no Current Limit (38), no Goal Current
  (102), Present Load (0.1 %) at 126, and so no current-based modes.
- Velocity Limit (44): factory value and range (XM430 200 of 0..1023, XL430 265 of 0..1023,
  XL330 445 of 0..2047).
- Operating Modes (11): XM430 and XL330 0, 1, 3, 4, 5, 16; XL430 1, 3, 4, 16.
- The table's length (the XL330's ends at Indirect Data 20, address 227) and its baud rates.

Position (3) holds Min..Max Position Limit (48/52) within one turn; extended (4) and
current-based position (5) take -1,048,575..1,048,575 ticks (+-256 turns) and report Present
Position (132) over many turns, which is reset to within one turn on power on, a reboot, a change
to Position mode or torque on in it.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ['ServoModel', 'SERVO_MODELS', 'servo_model', 'model_name', 'CURRENT', 'VELOCITY',
           'POSITION', 'EXTENDED', 'CURRENT_POSITION', 'PWM', 'MODE_NAMES', 'MULTI_TURN',
           'EXTENDED_RANGE', 'MODE_OF', 'ServoSettings', 'check_settings', 'TIME_BASED',
           'GAIN_RANGE', 'PROFILE_RANGE', 'RETURN_DELAY_RANGE', 'DRIVE_MODES']

CURRENT, VELOCITY, POSITION, EXTENDED, CURRENT_POSITION, PWM = 0, 1, 3, 4, 5, 16
MODE_NAMES = {CURRENT: 'current', VELOCITY: 'velocity', POSITION: 'position',
              EXTENDED: 'extended position', CURRENT_POSITION: 'current-based position',
              PWM: 'PWM'}
MULTI_TURN = frozenset({EXTENDED, CURRENT_POSITION})  # goals over many turns
EXTENDED_RANGE = (-1_048_575, 1_048_575)  # ticks a multi-turn goal may take (+-256 turns)
MODE_OF = {'position': POSITION, 'extended': EXTENDED}  # an arm's Servo.mode -> register 11
TIME_BASED = 0x04  # Drive Mode bit 2: Profile Velocity / Acceleration are durations (ms)
# Drive Mode values a driver of this package writes: bit 0 (reverse) would turn every joint the
# other way from its URDF axis, bit 3 (torque on by a goal write) would power a servo the
# driver keeps limp; so 0 (velocity-based profile) or 4 (time-based) only
DRIVE_MODES = (0, TIME_BASED)
GAIN_RANGE = (0, 16383)  # Position D/I/P Gain (80/82/84), every X model
PROFILE_RANGE = (0, 32767)  # Profile Acceleration / Velocity (108/112), every X model
RETURN_DELAY_RANGE = (0, 254)  # Return Delay Time (9), 2 us units


@dataclass(frozen=True)
class ServoModel:
    """
    What differs between X-series models.

    Attributes
    ----------
    name
        ROBOTIS's name ('XL430-W250-T').
    number
        Its Model Number (address 0).
    modes
        The Operating Modes it accepts.
    current_unit
        mA per unit of Current Limit / Goal Current / Present Current; 0: no current registers.
    current_limit
        Current Limit (38) at the factory and at most, units; 0 without.
    velocity_limit
        Velocity Limit (44): (factory value, largest accepted), units of 0.229 rpm.
    table_size
        Bytes of the control table (the last address + 1).
    baud_rates
        Baud Rate (8) codes it accepts (0 = 9600 ... 7 = 4.5 Mbps).
    voltage
        Its nominal input voltage, units of 0.1 V (what an emulated one reports).

    """

    name: str
    number: int
    modes: frozenset
    current_unit: float
    current_limit: int
    velocity_limit: tuple[int, int]
    table_size: int
    baud_rates: tuple[int, ...]
    voltage: int

    @property
    def has_current(self) -> bool:
        """Tell whether it has Current Limit (38), Goal Current (102) and Present Current."""
        return self.current_unit > 0

    @property
    def absent(self) -> frozenset:
        """Return the addresses this model lacks among those of the X series' table."""
        return frozenset() if self.has_current else frozenset({38, 39, 102, 103})


SERVO_MODELS = {m.name: m for m in (
    ServoModel('XM430-W350-T', 1020, frozenset({0, 1, 3, 4, 5, 16}), 2.69, 1193, (200, 1023),
               662, tuple(range(8)), 120),
    ServoModel('XL430-W250-T', 1060, frozenset({1, 3, 4, 16}), 0.0, 0, (265, 1023), 662,
               tuple(range(8)), 111),
    ServoModel('XL330-M288-T', 1200, frozenset({0, 1, 3, 4, 5, 16}), 1.0, 1750, (445, 2047),
               228, tuple(range(7)), 50),
)}


def servo_model(name: str) -> ServoModel:
    """
    Return the control table of servo model ``name``.

    Raises
    ------
    ValueError
        A model the package has no table of.

    """
    try:
        return SERVO_MODELS[name]
    except (KeyError, TypeError):
        raise ValueError(f'servo model {name!r} unknown; known: {", ".join(SERVO_MODELS)}'
                         ) from None


def model_name(number: int) -> str:
    """Return the name of Model Number ``number`` ('model 1234' for one not in the table)."""
    for model in SERVO_MODELS.values():
        if model.number == number:
            return model.name
    return f'model {number}'


@dataclass(frozen=True)
class ServoSettings:
    """
    What a driver writes to one servo, in its control table's units.

    Attributes
    ----------
    drive_mode
        Drive Mode (10, EEPROM): 0 velocity-based profile, 4 time-based (:data:`TIME_BASED`).
    return_delay
        Return Delay Time (9, EEPROM), units of 2 us.
    gains
        Position P, I, D Gain (84, 82, 80).
    profile
        Profile Velocity (112) and Acceleration (108): units of 0.229 rpm and 214.577 rev/min^2
        with a velocity-based profile (the velocity a cap: the driver writes at most its
        ``max_velocity``), ms with a time-based one (the shortest move: the driver lengthens
        it so no joint outruns ``max_velocity``).
    current_limit
        Current Limit (38, EEPROM) in the model's current unit; None: left as found.
    goal_current
        Goal Current (102) in that unit (the gripper's grip, current-based position mode);
        None: not written.

    """

    drive_mode: int = 0
    return_delay: int = 0
    gains: tuple[int, int, int] = (800, 100, 100)
    profile: tuple[int, int] = (200, 50)
    current_limit: int | None = None
    goal_current: int | None = None

    @property
    def time_based(self) -> bool:
        """Tell whether the profile is time-based (Profile Velocity / Acceleration in ms)."""
        return bool(self.drive_mode & TIME_BASED)


def _within(value, bounds: tuple[int, int], what: str, model: ServoModel,
            why: str = '') -> None:
    low, high = bounds
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f'{what} {value!r} is outside what a {model.name} takes ({low}..{high}'
                         f'{why})')


def check_settings(settings: ServoSettings, model: str, mode: int = POSITION) -> None:
    """
    Check ``settings`` against the control table of servo ``model`` run in Operating ``mode``.

    Raises
    ------
    ValueError
        An unknown model; a value outside its register's range (e-Manual), named with the range;
        a Drive Mode other than :data:`DRIVE_MODES`; an operating mode the model lacks; a current
        setting on a model without current registers; a Goal Current above the Current Limit;
        a velocity-based Profile Velocity above the model's largest Velocity Limit.

    """
    table = servo_model(model)
    if mode not in table.modes:
        raise ValueError(f'a {table.name} has no {MODE_NAMES.get(mode, mode)} mode ({mode})')
    if isinstance(settings.drive_mode, bool) or not isinstance(settings.drive_mode, int) \
            or settings.drive_mode not in DRIVE_MODES:
        raise ValueError(f'Drive Mode {settings.drive_mode!r} is not one of {DRIVE_MODES} (0 '
                         'velocity-based profile, 4 time-based)')
    _within(settings.return_delay, RETURN_DELAY_RANGE, 'Return Delay Time', table)
    if not (isinstance(settings.gains, tuple) and len(settings.gains) == 3
            and isinstance(settings.profile, tuple) and len(settings.profile) == 2):
        raise ValueError(f'gains are P, I, D and profile is velocity, acceleration; got '
                         f'{settings.gains!r}, {settings.profile!r}')
    for name, value in zip(('Position P Gain', 'Position I Gain', 'Position D Gain'),
                           settings.gains):
        _within(value, GAIN_RANGE, name, table)
    velocity, acceleration = settings.profile
    _within(velocity, PROFILE_RANGE, 'Profile Velocity', table)
    _within(acceleration, PROFILE_RANGE, 'Profile Acceleration', table)
    if not settings.time_based:  # a profile above its Velocity Limit register is refused
        _within(velocity, (0, table.velocity_limit[1]), 'Profile Velocity', table,
                ' with a velocity-based profile: at most its largest Velocity Limit')
    current = (settings.current_limit, settings.goal_current)
    if current != (None, None) and not table.has_current:
        raise ValueError(f'a {table.name} has no Current Limit or Goal Current (no current '
                         'sensor)')
    limit = table.current_limit
    if settings.current_limit is not None:
        _within(settings.current_limit, (0, limit), 'Current Limit', table)
        limit = settings.current_limit
    if settings.goal_current is not None:
        _within(settings.goal_current, (0, limit), 'Goal Current', table,
                ': at most its Current Limit')
