"""
A gripper goal followed cycle by cycle until it is reached or the fingers stall.

As ROBOTIS's ``gripper_controller`` (ros2_control's GripperActionController) decides it for a
``control_msgs/GripperCommand`` action: the core of the driver's action server, free of ROS.

Positions are in the unit of the arm's gripper joint: m of ``gripper_left_joint`` on the OM-X (the
units below), rad of ``gripper_joint_1`` on the OMX-F. Reached: the joint closer than
``goal_tolerance`` m to the goal. Stalled: the finger has moved no faster than
``stall_velocity`` m/s for more than ``stall_timeout`` s without reaching it (an object between
the fingers); then the goal ends, succeeded when
``allow_stalling`` (grasping), else aborted. The defaults are the controller's; the driver's
``gripper_goal_tolerance``, ``gripper_stall_velocity``, ``gripper_stall_timeout`` and
``gripper_allow_stalling`` parameters set them.
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
        self._moved = 0.0  # s, when the finger last moved (set by the first reading)

    def update(self, position: float, now: float) -> GripperOutcome:
        """
        Return the outcome after a reading of the finger at ``position`` m at time ``now`` s.

        As GripperActionController's ``check_for_success``: reached when the error is below
        ``goal_tolerance``; else the finger last moved when its speed (here from the previous
        reading) exceeded ``stall_velocity``, the first reading counting as a movement (the
        controller starts its clock when it accepts the goal), and it has stalled once more
        than ``stall_timeout`` passed since.
        """
        reached = abs(position - self.goal) < self.goal_tolerance
        stalled = False
        if self._last is None:
            self._moved = now
        elif not reached and now > self._last[0]:
            speed = abs(position - self._last[1]) / (now - self._last[0])
            if speed > self.stall_velocity:
                self._moved = now
            else:
                stalled = now - self._moved > self.stall_timeout
        self._last = (now, position)
        return GripperOutcome(float(position), 0.0, stalled, reached)

    def succeeded(self, outcome: GripperOutcome) -> bool:
        """Tell if a finished goal succeeded: reached, or stalled where stalling is allowed."""
        return outcome.reached_goal or (outcome.stalled and self.allow_stalling)
