"""
The path every backend moves the arm along.

A straight line in joint space from where the command stands to the goal, at most ``max_velocity``
in every joint (and each joint at most its own limit, the arm's ``velocity``) and
``max_acceleration`` along the line (a trapezoidal speed profile that brakes to
stop at the goal).

Because the path is that straight segment, checking the segment for collisions checks the
motion itself (:meth:`~ik_net_ros.kinematics.collision.CollisionModel.check_path`). A new goal
mid-motion starts a new segment from the present setpoint; speed along the old direction is
kept as far as it points along the new one.
"""

from __future__ import annotations

import math

from ik_net_ros.errors import HardwareError
import numpy as np

__all__ = ['MotionLimiter', 'DEFAULT_ACCELERATION', 'check_speed']

# rad/s^2: ROBOTIS's humble profile acceleration, 50 x 214.577 rev/min^2
DEFAULT_ACCELERATION = 18.7
_ARRIVED = 1e-9  # rad


def check_speed(name: str, value: float, upper: float) -> float:
    """
    ``value`` as a float in (0, upper].

    Raises
    ------
    HardwareError
        Not a finite number in (0, upper].

    """
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise HardwareError(f'{name} must be a number, got {value!r}') from None
    if not (math.isfinite(value) and 0.0 < value <= upper):
        raise HardwareError(f'{name} must be in (0, {upper:g}], got {value!r}')
    return value


class MotionLimiter:
    """
    Setpoints along the straight joint-space line to a goal, speed- and acceleration-limited.

    Parameters
    ----------
    max_velocity
        rad/s, the fastest any joint may move.
    max_acceleration
        Rad/s^2, the fastest the leading joint's speed may change.
    joint_velocity
        (J,) rad/s, each joint's own limit (the arm's ``velocity``); None: ``max_velocity`` for
        all.

    """

    def __init__(self, max_velocity: float, max_acceleration: float = DEFAULT_ACCELERATION,
                 joint_velocity=None):
        self.max_velocity = check_speed('max_velocity', max_velocity, 1e3)
        self.max_acceleration = check_speed('max_acceleration', max_acceleration, 1e4)
        self.joint_velocity = None if joint_velocity is None else \
            np.array(joint_velocity, dtype=float)
        self.setpoint: np.ndarray | None = None
        self.velocity = np.zeros(0)  # rad/s of the last step
        self._speed = 0.0  # rad/s of the leading joint along the line
        self._direction: np.ndarray | None = None

    def reset(self, position) -> None:
        """
        Stand still at ``position`` (J,) rad.

        Where the arm is (after torque on, a reconnect, or while it is moved by hand).
        """
        self.setpoint = np.array(position, dtype=float)
        self.velocity = np.zeros(len(self.setpoint))
        self._speed = 0.0
        self._direction = None

    def step(self, goal: np.ndarray, dt: float) -> np.ndarray:
        """
        Return the next setpoint (J,) after ``dt`` seconds towards ``goal``.

        Raises
        ------
        HardwareError
            No setpoint yet (:meth:`reset` first).

        """
        if self.setpoint is None:
            raise HardwareError("the motion has no start: reset() it to the arm's position")
        offset = np.asarray(goal, float) - self.setpoint
        remaining = float(np.abs(offset).max())
        if remaining <= _ARRIVED or dt <= 0:
            self.velocity = np.zeros(len(self.setpoint))
            self._speed = 0.0
            if remaining <= _ARRIVED:
                self.setpoint = np.array(goal, dtype=float)
            return self.setpoint.copy()
        direction = offset / remaining  # the leading joint's component is +-1
        if self._direction is not None:  # speed along the old line that points along the new
            along = float(direction @ self._direction) / float(direction @ direction)
            self._speed *= min(1.0, max(0.0, along))
        self._direction = direction
        a = self.max_acceleration
        # accelerate, cruise, or brake so as to stop at the goal (v^2 = 2 a d)
        speed = min(self._cap(direction), self._speed + a * dt, math.sqrt(2.0 * a * remaining))
        travel = min(remaining, 0.5 * (self._speed + speed) * dt)
        if travel >= remaining - _ARRIVED:
            self.setpoint = np.array(goal, dtype=float)
            speed = 0.0
        else:
            self.setpoint = self.setpoint + direction * travel
        self.velocity = direction * (travel / dt)
        self._speed = speed
        return self.setpoint.copy()

    def _cap(self, direction: np.ndarray) -> float:
        """Return the leading joint's top speed on a line: no joint over its own limit."""
        if self.joint_velocity is None:
            return self.max_velocity
        share = np.abs(direction)  # of the leading joint's speed, each joint's
        with np.errstate(divide='ignore', over='ignore'):  # a joint that barely moves: inf
            own = np.where(share > 0, self.joint_velocity / share, np.inf)
        return min(self.max_velocity, float(own.min()))
