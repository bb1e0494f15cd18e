"""
What a live solver did: targets handled and rejected (by reason), solve-time percentiles.

The ik node's periodic log line, free of ROS so it is tested without DDS.
"""

from __future__ import annotations

from collections import Counter, deque

import numpy as np

__all__ = ['SolveStats']


class SolveStats:
    """Counts handled and rejected targets; keeps the last ``window`` solve times (s)."""

    def __init__(self, window: int = 2000):
        self.handled = 0
        self.rejected: Counter[str] = Counter()
        self.latencies: deque[float] = deque(maxlen=window)
        self._reported = (0, 0)

    def solved(self, seconds: float) -> None:
        """One target answered in ``seconds`` of solve time."""
        self.handled += 1
        self.latencies.append(seconds)

    def reject(self, kind: str) -> None:
        """One target refused, for reason ``kind`` ('invalid', 'unreachable', ...)."""
        self.rejected[kind] += 1

    def report(self) -> str | None:
        """
        'targets handled 10, rejected unreachable 2, inference p50 20 us, p99 41 us'.

        Or None when nothing happened since the last report.
        """
        counts = (self.handled, sum(self.rejected.values()))
        if counts == self._reported:
            return None
        self._reported = counts
        lat = np.array(self.latencies) * 1e6
        timing = (f', inference p50 {np.percentile(lat, 50):.0f} us, p99 '
                  f'{np.percentile(lat, 99):.0f} us' if lat.size else '')
        rejected = ', '.join(f'{k} {v}' for k, v in sorted(self.rejected.items())) or 'none'
        return f'targets handled {self.handled}, rejected {rejected}{timing}'
