"""The arm behind one interface: a backend takes goal positions and, once per control cycle,
moves (or commands the servos) and reports the joint state. Backends take a port or settings,
never a ROS node."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field

import numpy as np

from ik_net_ros.errors import InvalidJointsError
from ik_net_ros.kinematics import JOINT_NAMES, as_joint_array, clamp_to_limits, within_limits

__all__ = ['ArmBackend', 'JointReading']


@dataclass
class JointReading:
    """One cycle's joint state.

    positions, velocities: (4,) rad and rad/s, joint1..joint4; None when ``ok`` is False.
    ok: False when the state could not be read this cycle (never publish stale data as fresh).
    faults: human-readable fault descriptions seen this cycle (empty when healthy).
    """

    positions: np.ndarray | None
    velocities: np.ndarray | None
    ok: bool = True
    faults: list[str] = field(default_factory=list)


class ArmBackend(ABC):
    """A 4-joint arm. Subclasses implement :meth:`cycle`; goals are always clamped."""

    joint_names: tuple[str, ...] = JOINT_NAMES

    def __init__(self):
        self._goal: np.ndarray | None = None
        self.goal_clamped = False  # True if the newest goal had to be clamped into the limits

    @property
    def goal(self) -> np.ndarray | None:
        """The newest goal (4,) in rad, inside the limits; None before the first command."""
        return None if self._goal is None else self._goal.copy()

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

    def open(self) -> None:
        """Connect (ports, torque on). Default: nothing to do."""

    @abstractmethod
    def cycle(self, dt: float) -> JointReading:
        """Advance one control cycle of ``dt`` seconds towards the goal; return the state."""

    def close(self) -> None:
        """Disconnect. Default: nothing to do."""
