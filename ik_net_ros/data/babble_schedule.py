"""
When the collector's babble sends its next goal: stop-and-go, free of ROS.

With a tracker the best rows are taken with the arm still (no latency, no motion blur): with a
``settle`` time, the next goal waits until the arm has reached the present one and stayed there
``settle`` seconds; with 0 a goal goes out every babble period, reached or not.
"""

from __future__ import annotations

import numpy as np

__all__ = ['BabbleSchedule', 'ARRIVED']

ARRIVED = 2e-3  # rad in every joint: the arm is at its goal


class BabbleSchedule:
    """Args: settle: s the arm stays at a reached goal before the next one (0: no pause)."""

    def __init__(self, settle: float = 0.0):
        self.settle = float(settle)
        self.goal: np.ndarray | None = None
        self._still_since: float | None = None

    def observe(self, joints: np.ndarray | None, now: float) -> None:
        """Take a joint reading (4,) at ``now`` (s, monotonic)."""
        if self.goal is None or joints is None:
            return
        if np.all(np.abs(np.asarray(joints) - self.goal) <= ARRIVED):
            if self._still_since is None:
                self._still_since = now
        else:
            self._still_since = None

    def due(self, now: float) -> bool:
        """Whether the next goal may go out at ``now``."""
        if self.settle <= 0 or self.goal is None:
            return True
        return self._still_since is not None and now - self._still_since >= self.settle

    def sent(self, goal: np.ndarray) -> None:
        self.goal = np.asarray(goal, float).copy()
        self._still_since = None
