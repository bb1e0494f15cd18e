"""The arm behind one interface: a backend takes goal positions and, once per control cycle,
moves (or commands the servos) and reports the joint state. The interface declares everything a
node may call: goals, readings, torque, the gripper, and a latched health status; backends take
a port or settings, never a ROS node."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field

import numpy as np

from ik_net_ros.errors import HardwareError, InvalidJointsError
from ik_net_ros.hardware.gripper import GRIPPER_RANGES, clamp_gripper
from ik_net_ros.kinematics import JOINT_NAMES, as_joint_array, clamp_to_limits, within_limits

__all__ = ['ArmBackend', 'JointReading', 'Health', 'DESCRIPTIONS']

DESCRIPTIONS = tuple(GRIPPER_RANGES)  # 'humble', 'jazzy': ROBOTIS's arm descriptions


@dataclass
class JointReading:
    """One cycle's joint state.

    positions, velocities: (4,) rad and rad/s, joint1..joint4; None when ``ok`` is False.
    ok: False when the state could not be read this cycle (never publish stale data as fresh).
    faults: human-readable fault descriptions seen this cycle (empty when healthy).
    gripper: ``gripper_left_joint`` in m, None without a gripper (or unread this cycle).
    """

    positions: np.ndarray | None
    velocities: np.ndarray | None
    ok: bool = True
    faults: list[str] = field(default_factory=list)
    gripper: float | None = None


@dataclass
class Health:
    """The arm's latched health: ``faults`` stay until a healthy cycle clears them."""

    connected: bool
    faults: list[str]

    @property
    def ok(self) -> bool:
        return self.connected and not self.faults

    @property
    def message(self) -> str:
        return '; '.join(self.faults) or ('ok' if self.connected else 'not connected')


class ArmBackend(ABC):
    """A 4-joint arm (and maybe a gripper). Subclasses implement :meth:`_step`; goals are
    always clamped into the joint limits.

    Args:
        description: 'humble' or 'jazzy', ROBOTIS's description whose gripper range applies.
        gripper: whether the arm has a gripper.
    """

    joint_names: tuple[str, ...] = JOINT_NAMES

    def __init__(self, description: str = 'humble', gripper: bool = True):
        if description not in DESCRIPTIONS:
            raise HardwareError(f'description must be one of {DESCRIPTIONS}, got '
                                f'{description!r}')
        self.description = description
        self.has_gripper = bool(gripper)
        self._goal: np.ndarray | None = None
        self.goal_clamped = False  # True if the newest goal had to be clamped into the limits
        self._faults: list[str] = []

    @property
    def goal(self) -> np.ndarray | None:
        """The newest goal (4,) in rad, inside the limits; None before the first command."""
        return None if self._goal is None else self._goal.copy()

    @property
    def gripper_range(self) -> tuple[float, float]:
        """(closed, open) of ``gripper_left_joint`` in m."""
        return GRIPPER_RANGES[self.description]

    @property
    def connected(self) -> bool:
        """True while the arm can be commanded (always, for a simulation)."""
        return True

    def set_goal(self, positions) -> np.ndarray:
        """Set the goal; returns the goal actually used (clamped into the joint limits).

        Raises:
            InvalidJointsError: not 4 finite numbers.
        """
        q, single = as_joint_array(positions, 'goal')
        if not single:
            raise InvalidJointsError(f'goal: expected 4 values, got shape {q.shape}')
        self.goal_clamped = not bool(within_limits(q[0]))
        self._goal = clamp_to_limits(q[0])
        return self._goal.copy()

    def clear_goal(self) -> None:
        """Forget the goal (e.g. after torque off, so torque on holds the present pose)."""
        self._goal = None

    def set_gripper(self, metres: float) -> float:
        """Gripper goal: ``gripper_left_joint`` in m, clamped into the range; sent within one
        cycle, and forgotten on torque off/on and reconnects (never replayed). Returns the
        position used.

        Raises:
            HardwareError: no gripper, or not a finite number.
        """
        if not self.has_gripper:
            raise HardwareError('this arm has no gripper configured')
        try:
            used, _ = clamp_gripper(metres, self.description)
        except ValueError as e:
            raise HardwareError(str(e)) from e
        self._set_gripper_goal(used)
        return used

    def set_torque(self, enabled: bool) -> None:
        """Torque on (holding the present pose, never an old command) or off (the arm can be
        moved by hand).

        Raises:
            HardwareError: the backend has no torque to switch, or the servos refused.
        """
        raise HardwareError(f'{type(self).__name__} has no torque to switch')

    def set_max_velocity(self, rad_per_s: float) -> None:
        """Change the joint speed limit at run time.

        Raises:
            HardwareError: this backend's speed is not set this way (servos: their profile).
        """
        raise HardwareError(f'{type(self).__name__} takes its speed from the servo profile '
                            '(profile_velocity), not max_velocity')

    def true_tool_pose(self) -> np.ndarray | None:
        """The tool's true pose (7,) where the backend knows it (a simulated imperfect arm, for
        a simulated tracker); None for a real arm."""
        return None

    def health(self) -> Health:
        """Connected, and the faults of the last cycle that reported any (a healthy cycle
        clears them; a cycle that could not read keeps them)."""
        return Health(self.connected, list(self._faults))

    def cycle(self, dt: float) -> JointReading:
        """Advance one control cycle of ``dt`` seconds towards the goal; return the state."""
        reading = self._step(dt)
        if reading.faults:
            self._faults = list(reading.faults)
        elif reading.ok:
            self._faults = []
        return reading

    def open(self) -> None:
        """Connect (ports, torque on). Default: nothing to do."""

    def close(self) -> None:
        """Disconnect (torque as configured). Default: nothing to do."""

    @abstractmethod
    def _step(self, dt: float) -> JointReading:
        """One control cycle: move or command, then read."""

    @abstractmethod
    def _set_gripper_goal(self, metres: float) -> None:
        """Take a validated, clamped gripper goal (m)."""
