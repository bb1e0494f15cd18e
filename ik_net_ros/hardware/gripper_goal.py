"""
A gripper goal followed cycle by cycle until it is reached or the fingers stall.

As ROBOTIS's ``gripper_controller`` (ros2_control's GripperActionController) decides it for a
``control_msgs/GripperCommand`` action: the core of the driver's action server, free of ROS.

Reached: ``gripper_left_joint`` within ``goal_tolerance`` m of the goal. Stalled: the finger has
moved slower than ``stall_velocity`` m/s for ``stall_timeout`` s without reaching it (an object
between the fingers); then the goal ends, succeeded when ``allow_stalling`` (grasping), else
aborted. The defaults are the controller's.
"""

from __future__ import annotations

from dataclasses import dataclass
import math

__all__ = ['GripperGoal', 'GripperOutcome', 'GOAL_TOLERANCE', 'STALL_TIMEOUT',
           'STALL_VELOCITY']

GOAL_TOLERANCE = 0.01  # m
STALL_TIMEOUT = 1.0  # s
STALL_VELOCITY = 0.001  # m/s


@dataclass(frozen=True)
class GripperOutcome:
    """What the action reports: feedback on every cycle, the result at the end."""

    position: float  # m, gripper_left_joint
    effort: float  # the servo reports none the driver reads: 0.0
    stalled: bool
    reached_goal: bool

    @property
    def done(self) -> bool:
        return self.stalled or self.reached_goal


class GripperGoal:
    """
    One goal: feed it the finger position each cycle (:meth:`update`).

    Parameters
    ----------
    goal
        m, the position sent to the gripper (already clamped into its range).
    max_effort
        The goal's max_effort (recorded; the servo's current limit is the driver's
        ``gripper_current_limit``).

    Raises
    ------
    ValueError
        On construction: a non-finite goal or effort, or a tolerance/timeout/velocity <= 0.

    """

    def __init__(self, goal: float, max_effort: float = 0.0,
                 goal_tolerance: float = GOAL_TOLERANCE, stall_timeout: float = STALL_TIMEOUT,
                 stall_velocity: float = STALL_VELOCITY, allow_stalling: bool = False):
        if not (math.isfinite(goal) and math.isfinite(max_effort)):
            raise ValueError(f'gripper goal {goal!r} m, max_effort {max_effort!r}: not finite')
        for name, value in (('goal_tolerance', goal_tolerance), ('stall_timeout', stall_timeout),
                            ('stall_velocity', stall_velocity)):
            if not (math.isfinite(value) and value > 0):
                raise ValueError(f'{name} must be > 0, got {value!r}')
        self.goal, self.max_effort = float(goal), float(max_effort)
        self.goal_tolerance, self.stall_timeout = goal_tolerance, stall_timeout
        self.stall_velocity, self.allow_stalling = stall_velocity, allow_stalling
        self._last: tuple[float, float] | None = None  # (time, position)
        self._slow_since: float | None = None

    def update(self, position: float, now: float) -> GripperOutcome:
        """Return the outcome after a reading of the finger at ``position`` m at time ``now`` s."""
        reached = abs(position - self.goal) <= self.goal_tolerance
        stalled = False
        if not reached and self._last is not None and now > self._last[0]:
            speed = abs(position - self._last[1]) / (now - self._last[0])
            if speed < self.stall_velocity:
                self._slow_since = self._last[0] if self._slow_since is None else \
                    self._slow_since
                stalled = now - self._slow_since >= self.stall_timeout
            else:
                self._slow_since = None
        self._last = (now, position)
        return GripperOutcome(float(position), 0.0, stalled, reached)

    def succeeded(self, outcome: GripperOutcome) -> bool:
        """Tell if a finished goal succeeded: reached, or stalled where stalling is allowed."""
        return outcome.reached_goal or (outcome.stalled and self.allow_stalling)
