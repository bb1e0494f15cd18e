"""
Pairing joint states with a tracker's measured tool poses by time stamp, free of ROS.

Under any clock.

Stamps say which measurement belongs to which state; they never decide *when* a state is
written. That is the receive clock's job (the caller's monotonic ``now``): a state waits
``wait`` seconds after it arrived, then it is paired with the measurement nearest its stamp
within ``tolerance`` among those that arrived within ``wait`` of it, or counted as unmatched.
So no stamp can stall the pairing or decide other states early, and a recording never stops
being written:

- a stamp that is zero, negative, NaN or inf is refused (counted in ``refused['no stamp']``);
- a stamp more than ``jump`` seconds behind its stream's newest (a replayed bag, sim time
  restarting, an NTP step) is counted in ``jumps`` and needs no other rule: the epochs cannot
  mix, since a pair is near in stamp *and* in arrival (an old epoch's measurement arrived before
  the jump, stamped far from the new states); when the caller's own clock jumps back (sim time
  following ``/clock``), :meth:`new_epoch` decides the waiting states and forgets the old
  measurements at once;
- far-future stamps, out-of-order and newest-first bursts need no rule either: a state pairs
  with what is near it, whatever came before or after.

Every state taken is accounted for: ``states == paired + unmatched + sum(refused.values())``
once :meth:`flush` has run (and, at any moment, plus :attr:`waiting`).
"""

from __future__ import annotations

import bisect
from collections import Counter, deque
import math

import numpy as np

__all__ = ['StampPairer', 'NO_STAMP']

NO_STAMP = 'no stamp'


class StampPairer:
    """
    Pairs ``(stamp, joints)`` with ``(stamp, measured pose)`` within ``tolerance`` seconds.

    Parameters
    ----------
    tolerance
        s, the largest stamp difference of a pair.
    wait
        s of the receive clock a state waits for its measurement (the tracker's latency
        beyond the joint state's must be less).
    jump
        s a stream's stamp may go back before it counts as a new epoch.
    history
        Measurements kept at most (besides the ``2 * wait`` arrival window).

    Attributes
    ----------
    states, paired, unmatched
        Joint states taken, paired, decided without a measurement.
    refused
        Counter of states refused by reason (:data:`NO_STAMP`).
    measurements_refused
        Measurements with no valid stamp.
    jumps
        Clock jumps back seen (new epochs).

    Raises
    ------
    ValueError
        On construction: a tolerance, wait or jump that is not a time > 0.

    """

    def __init__(self, tolerance: float = 0.02, wait: float = 0.5, jump: float = 1.0,
                 history: int = 4096):
        for name, value in (('tolerance', tolerance), ('wait', wait), ('jump', jump)):
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
                raise ValueError(f'{name} must be a time > 0 s, got {value!r}')
        self.tolerance, self.wait, self.jump = float(tolerance), float(wait), float(jump)
        self.history = int(history)
        self.states = self.paired = self.unmatched = 0
        self.measurements_refused = self.jumps = 0
        self.refused: Counter[str] = Counter()
        self._waiting: deque[tuple[float, float, np.ndarray]] = deque()  # arrival, stamp, joints
        self._stamps: list[float] = []  # measurements sorted by stamp, with arrival and pose
        self._measured: list[tuple[float, np.ndarray]] = []
        self._newest_state = self._newest_measurement = -math.inf

    def add_state(self, stamp: float, joints: np.ndarray, now: float) -> list[tuple]:
        """
        Take a joint state (4,) received at ``now`` (s, the caller's monotonic clock).

        Returns the ``(stamp, joints, measured)`` pairs now decided.
        """
        self.states += 1
        if not _valid(stamp):
            self.refused[NO_STAMP] += 1
            return self.poll(now)
        self._newest_state = self._track(self._newest_state, stamp)
        self._waiting.append((now, stamp, joints))
        if len(self._waiting) > self.history:  # a caller that never polls: decide the oldest
            return self._decide(*self._waiting.popleft()) + self.poll(now)
        return self.poll(now)

    def add_measurement(self, stamp: float, pose: np.ndarray, now: float) -> list[tuple]:
        """Take a measured pose (7,) received at ``now``; returns the pairs now decided."""
        if not _valid(stamp):
            self.measurements_refused += 1
            return self.poll(now)
        self._newest_measurement = self._track(self._newest_measurement, stamp)
        i = bisect.bisect(self._stamps, stamp)
        self._stamps.insert(i, stamp)
        self._measured.insert(i, (now, pose))
        if len(self._stamps) > self.history:  # drop the earliest arrival
            oldest = min(range(len(self._measured)), key=lambda j: self._measured[j][0])
            del self._stamps[oldest], self._measured[oldest]
        return self.poll(now)

    def poll(self, now: float) -> list[tuple]:
        """Decide the states that have waited ``wait`` seconds by ``now``."""
        pairs = []
        while self._waiting and self._waiting[0][0] + self.wait <= now:
            pairs += self._decide(*self._waiting.popleft())
        self._prune(now - 2 * self.wait)
        return pairs

    def flush(self) -> list[tuple]:
        """Decide every waiting state with what has arrived (at shutdown)."""
        pairs = []
        while self._waiting:
            pairs += self._decide(*self._waiting.popleft())
        return pairs

    def new_epoch(self) -> list[tuple]:
        """Start over after a clock jump back: decide waiting states, forget measurements."""
        self.jumps += 1
        pairs = self.flush()
        self._stamps.clear()
        self._measured.clear()
        self._newest_state = self._newest_measurement = -math.inf
        return pairs

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    def _track(self, newest: float, stamp: float) -> float:
        """Return a stream's newest stamp after ``stamp``, counting a step back beyond ``jump``."""
        if stamp < newest - self.jump:
            self.jumps += 1
            return stamp
        return max(newest, stamp)

    def _decide(self, arrival: float, stamp: float, joints: np.ndarray) -> list[tuple]:
        i = bisect.bisect(self._stamps, stamp)
        best, gap = None, self.tolerance
        for j in range(i - 1, -1, -1):  # outwards from the stamp, while within tolerance
            if stamp - self._stamps[j] > gap:
                break
            if abs(self._measured[j][0] - arrival) <= self.wait:
                best, gap = j, stamp - self._stamps[j]
        for j in range(i, len(self._stamps)):
            if self._stamps[j] - stamp > gap:
                break
            if abs(self._measured[j][0] - arrival) <= self.wait and \
                    self._stamps[j] - stamp < gap:
                best, gap = j, self._stamps[j] - stamp
        if best is None:
            self.unmatched += 1
            return []
        self.paired += 1
        return [(stamp, joints, self._measured[best][1])]

    def _prune(self, before: float) -> None:
        """Measurements that arrived before ``before`` can pair with no state still to come."""
        if self._measured and min(m[0] for m in self._measured) < before:
            keep = [j for j, m in enumerate(self._measured) if m[0] >= before]
            self._stamps = [self._stamps[j] for j in keep]
            self._measured = [self._measured[j] for j in keep]


def _valid(stamp) -> bool:
    return isinstance(stamp, (int, float)) and math.isfinite(stamp) and stamp > 0
