"""
When the collector's babble sends its next goal, and which: stop-and-go, free of ROS.

With a tracker the best rows are taken with the arm still (no latency, no motion blur): with a
``settle`` time, the next goal waits until the arm has reached the present one and stayed there
``settle`` seconds; with 0 a goal goes out every babble period, reached or not.

Each goal is drawn from where the arm IS (its newest joint state), its path checked from there
as the driver checks it; a goal the driver refuses, or that the arm has not reached within
``timeout`` seconds, is given up for another (it used to be sent again forever, and the babble
stood still without a word).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = ['BabbleSchedule', 'ARRIVED']

ARRIVED = 2e-3  # rad in every joint: the arm is at its goal


class BabbleSchedule:
    """
    The babble's goals over time.

    Parameters
    ----------
    settle
        S the arm stays at a reached goal before the next one (0: no pause, a goal each time).
    timeout
        S a goal may take to be reached (stop-and-go) before another is chosen.

    """

    def __init__(self, settle: float = 0.0, timeout: float = 30.0):
        self.settle = float(settle)
        self.timeout = float(timeout)
        self.goal: np.ndarray | None = None
        self.present: np.ndarray | None = None  # the newest joint reading (dof,) rad
        self.given_up = 0  # goals refused or not reached in time
        self._still_since: float | None = None
        self._sent_at: float | None = None
        self._refused: str | None = None

    def observe(self, joints: np.ndarray | None, now: float) -> None:
        """Take a joint reading (dof,) at ``now`` (s, monotonic); a bad one (None, NaN) skipped."""
        if joints is None or not np.all(np.isfinite(joints)):
            return
        self.present = np.array(joints, dtype=float)
        if self.goal is None:
            return
        if np.all(np.abs(self.present - self.goal) <= ARRIVED):
            if self._still_since is None:
                self._still_since = now
        else:
            self._still_since = None

    def refused(self, reason: str) -> None:
        """Take the driver's refusal of the present goal (``reason`` in words)."""
        if self.goal is not None:
            self._refused = reason or 'refused'

    def due(self, now: float) -> bool:
        """Whether the next goal may go out at ``now``."""
        if self.settle <= 0 or self.goal is None or self.given_up_why(now):
            return True
        return self._still_since is not None and now - self._still_since >= self.settle

    def given_up_why(self, now: float) -> str:
        """Why the present goal is given up for another at ``now`` ('' while it stands)."""
        if self.goal is None:
            return ''
        if self._refused is not None:
            return f'the driver refused it: {self._refused}'
        if (self.settle > 0 and self._still_since is None and self._sent_at is not None
                and now - self._sent_at > self.timeout):
            return f'not reached within {self.timeout:g} s'
        return ''

    def next_goal(self, now: float, draw: Callable[[np.ndarray], np.ndarray]
                  ) -> tuple[np.ndarray | None, bool, str]:
        """
        Return (goal to send, whether it is a new one, why the last was given up or '').

        ``draw(start)`` gives a goal whose path from ``start`` (the present pose) is clear. The
        goal not yet due goes out again (a lost one, sent before the driver subscribed, must not
        stop a babble that waits for the arm there). None while no joint state has come: the
        path from where the arm is cannot be checked.

        Raises
        ------
        RuntimeError
            ``draw`` found no clear goal.

        """
        if self.present is None:
            return None, False, ''
        if not self.due(now):
            return self.goal.copy(), False, ''
        why = self.given_up_why(now)
        if why:
            self.given_up += 1
        self.sent(draw(self.present.copy()), now)
        return self.goal.copy(), True, why

    def sent(self, goal: np.ndarray, now: float | None = None) -> None:
        """Take ``goal`` (dof,) rad as the present goal, sent at ``now`` (s, monotonic)."""
        self.goal = np.asarray(goal, float).copy()
        self._still_since = None
        self._sent_at = now
        self._refused = None
