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
           'EXTENDED_RANGE', 'MODE_OF']

CURRENT, VELOCITY, POSITION, EXTENDED, CURRENT_POSITION, PWM = 0, 1, 3, 4, 5, 16
MODE_NAMES = {CURRENT: 'current', VELOCITY: 'velocity', POSITION: 'position',
              EXTENDED: 'extended position', CURRENT_POSITION: 'current-based position',
              PWM: 'PWM'}
MULTI_TURN = frozenset({EXTENDED, CURRENT_POSITION})  # goals over many turns
EXTENDED_RANGE = (-1_048_575, 1_048_575)  # ticks a multi-turn goal may take (+-256 turns)
MODE_OF = {'position': POSITION, 'extended': EXTENDED}  # an arm's Servo.mode -> register 11


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
