"""Pairing joint states with a tracker's measured tool poses by time stamp, free of ROS.

Both streams arrive in stamp order but with different rates and latencies, so a joint state is
decided only once no closer measurement can still come: when a measurement stamped at least
``tolerance`` later has arrived (or the state is older than ``max_wait``). It is then paired
with the nearest measurement within ``tolerance`` seconds, or counted as unmatched.
"""

from __future__ import annotations

import bisect
from collections import deque

import numpy as np

__all__ = ['StampPairer']


class StampPairer:
    """Pairs ``(stamp, joints)`` with ``(stamp, measured pose)`` within ``tolerance`` seconds.

    Attributes:
        unmatched: joint states decided without a measurement in tolerance (not written).
    """

    def __init__(self, tolerance: float = 0.02, max_wait: float = 1.0, history: int = 4096):
        if not (np.isfinite(tolerance) and tolerance > 0):
            raise ValueError(f'tolerance must be a time > 0 s, got {tolerance!r}')
        self.tolerance = float(tolerance)
        self.max_wait = max(float(max_wait), self.tolerance)
        self.unmatched = 0
        self._states: deque[tuple[float, np.ndarray]] = deque()
        self._times: list[float] = []  # measurement stamps, ascending
        self._poses: list[np.ndarray] = []
        self._history = history

    def add_measurement(self, stamp: float, pose: np.ndarray) -> list[tuple]:
        """Take a measured pose (7,); returns the (stamp, joints, measured) pairs it decided."""
        if self._times and stamp < self._times[-1]:  # out of order: keep the list sorted
            i = bisect.bisect(self._times, stamp)
            self._times.insert(i, stamp)
            self._poses.insert(i, pose)
        else:
            self._times.append(stamp)
            self._poses.append(pose)
        if len(self._times) > self._history:
            del self._times[:-self._history], self._poses[:-self._history]
        return self._decide(newest=stamp)

    def add_state(self, stamp: float, joints: np.ndarray) -> list[tuple]:
        """Take a joint state (4,); returns the (stamp, joints, measured) pairs now decided."""
        self._states.append((stamp, joints))
        return self._decide(newest=self._times[-1] if self._times else -np.inf,
                            now=stamp)

    def flush(self) -> list[tuple]:
        """Decide every waiting state with what has arrived (at shutdown)."""
        return self._decide(newest=np.inf)

    @property
    def waiting(self) -> int:
        return len(self._states)

    def _decide(self, newest: float, now: float = -np.inf) -> list[tuple]:
        pairs = []
        while self._states:
            stamp, joints = self._states[0]
            if newest < stamp + self.tolerance and now < stamp + self.max_wait:
                break  # a closer measurement may still come
            self._states.popleft()
            pose = self._nearest(stamp)
            if pose is None:
                self.unmatched += 1
            else:
                pairs.append((stamp, joints, pose))
        return pairs

    def _nearest(self, stamp: float) -> np.ndarray | None:
        i = bisect.bisect(self._times, stamp)
        best, gap = None, self.tolerance
        for j in (i - 1, i):
            if 0 <= j < len(self._times) and abs(self._times[j] - stamp) <= gap:
                best, gap = self._poses[j], abs(self._times[j] - stamp)
        return best
