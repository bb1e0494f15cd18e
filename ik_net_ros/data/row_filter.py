"""
Which joint states become dataset rows.

The collector's rule, free of ROS so it is tested without DDS.
"""

from __future__ import annotations

import math

from ik_net_ros.arm import Arm, arm_or_default
from ik_net_ros.kinematics.limits import within_limits
import numpy as np

__all__ = ['RowFilter', 'BAD', 'RATE', 'STILL']

BAD, RATE, STILL = 'bad', 'rate', 'still'
READING_TOLERANCE = 1e-3  # rad a reading may lie outside the limits (encoder noise at a stop)


class RowFilter:
    """
    Keeps a joint reading unless it is bad, too soon or too still.

    Bad: missing, NaN, outside the limits. Too soon: sooner than ``1 / max_rate`` s after the last
    kept one. Too still: moved less than ``min_joint_change`` rad in every joint since then. Counts
    what it skips, by reason. (With a tracker the collector uses :meth:`check_bad` alone: every
    measurement is a row, a still arm's the best.)

    Attributes
    ----------
    arm
        The arm read (its joints and limits; None given: the default arm, the OM-X).
    min_joint_change
        rad (>= 0).
    max_rate
        Rows per second at most; 0 keeps every reading.
    skipped
        {BAD, RATE, STILL: count}.

    """

    def __init__(self, min_joint_change: float = 0.001, max_rate: float = 100.0,
                 arm: Arm | None = None):
        self.arm = arm_or_default(arm)
        self.min_joint_change = float(min_joint_change)
        self.max_rate = float(max_rate)
        self.skipped = {BAD: 0, STILL: 0, RATE: 0}
        self._last_joints: np.ndarray | None = None
        self._last_time = -math.inf

    def check(self, joints: np.ndarray | None, now: float) -> str | None:
        """
        Return None to keep ``joints`` (dof,) read at ``now`` (s, monotonic), else why not.

        The reason is BAD, RATE or STILL; a kept reading becomes the reference of the next ones.
        """
        if self.check_bad(joints):
            return BAD
        if self.max_rate > 0 and now - self._last_time < 1.0 / self.max_rate:
            return self._skip(RATE)
        if self._last_joints is not None and np.all(
                np.abs(joints - self._last_joints) < self.min_joint_change):
            return self._skip(STILL)
        self._last_joints, self._last_time = joints.copy(), now
        return None

    def check_bad(self, joints: np.ndarray | None) -> str | None:
        """Return BAD (counted) for a missing, NaN or out-of-limit reading, else None."""
        if joints is None or joints.shape != (self.arm.dof,) or not np.all(np.isfinite(joints)) \
                or not within_limits(self.arm, joints, READING_TOLERANCE):
            return self._skip(BAD)
        return None

    def _skip(self, reason: str) -> str:
        self.skipped[reason] += 1
        return reason
