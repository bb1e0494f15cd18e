"""
Pairing a tracker's measured poses with the joints at their instant, by stamp, free of ROS.

Each measurement shows the arm at its stamp minus ``latency``: the joints there are interpolated
linearly between the joint states just before and just after that instant, each within
``tolerance`` seconds of it (a pair of states farther apart, or a measurement with states on one
side only, is never paired: nothing is extrapolated, and no state far from the measurement is
taken). The joint velocity of the pair comes with each row, for a calibration that estimates the
time offset the latency parameter left.

Stamps say which states belong to which measurement; they never decide *when* a measurement is
written. That is the receive clock's job (the caller's monotonic ``now``): a measurement waits
``wait`` seconds after it arrived, then it is paired with the states that arrived within ``wait``
of it, or counted as unmatched. So no stamp can stall the pairing, and a recording never stops
being written:

- a stamp that is zero, negative, NaN or inf is refused (counted in ``refused['no stamp']``);
- a stamp more than ``jump`` seconds behind its stream's newest (a replayed bag, sim time
  restarting, an NTP step) is counted in ``jumps`` and needs no other rule: the epochs cannot
  mix, since a pair is near in stamp *and* in arrival; when the caller's own clock jumps back
  (sim time following ``/clock``), :meth:`new_epoch` decides the waiting measurements and
  forgets the old states at once;
- far-future stamps, out-of-order and newest-first bursts need no rule either: a measurement
  pairs with what is near it, whatever came before or after.

Every measurement taken is accounted for: ``measurements == paired + unmatched +
sum(refused.values())`` once :meth:`flush` has run (and, at any moment, plus :attr:`waiting`).
"""

from __future__ import annotations

import bisect
from collections import Counter, deque
import math

import numpy as np

__all__ = ['StampPairer', 'NO_STAMP', 'interpolate_joints']

NO_STAMP = 'no stamp'


def interpolate_joints(t: float, stamps: list[float], joints: list[np.ndarray],
                       tolerance: float) -> tuple[np.ndarray, np.ndarray] | None:
    """
    Return (joints (4,), velocities (4,) rad/s) at ``t`` from states sorted by stamp, or None.

    The states just before and just after ``t`` must each be within ``tolerance`` of it (a state
    exactly at ``t`` takes its own joints and the velocity of its neighbours within tolerance).
    """
    i = bisect.bisect_left(stamps, t)
    if i < len(stamps) and stamps[i] == t:
        lo, hi = max(i - 1, 0), min(i + 1, len(stamps) - 1)
        if hi == lo or stamps[hi] - stamps[lo] > 2 * tolerance:
            lo, hi = i, i
        span = stamps[hi] - stamps[lo]
        velocity = (joints[hi] - joints[lo]) / span if span > 0 else np.zeros(4)
        return np.array(joints[i], dtype=float), velocity
    if i == 0 or i == len(stamps) or t - stamps[i - 1] > tolerance or \
            stamps[i] - t > tolerance:
        return None
    s0, s1 = stamps[i - 1], stamps[i]
    velocity = (joints[i] - joints[i - 1]) / (s1 - s0)
    return joints[i - 1] + velocity * (t - s0), velocity


class StampPairer:
    """
    Pairs each ``(stamp, measured pose)`` with the joints interpolated at ``stamp - latency``.

    Parameters
    ----------
    tolerance
        s, the farthest a joint state on either side of the instant may be.
    wait
        s of the receive clock a measurement waits for its states (the joint states' latency
        beyond the tracker's must be less).
    jump
        s a stream's stamp may go back before it counts as a new epoch.
    history
        States kept at most (besides the ``2 * wait`` arrival window).
    latency
        s by which the tracker's stamps are late: the measurement shows the arm at its stamp
        minus this.

    Attributes
    ----------
    measurements, paired, unmatched
        Measurements taken, paired, decided without states around their instant.
    refused
        Counter of measurements refused by reason (:data:`NO_STAMP`).
    states_refused
        Joint states with no valid stamp.
    jumps
        Clock jumps back seen (new epochs).

    Raises
    ------
    ValueError
        On construction: a tolerance, wait or jump that is not a time > 0, or a latency that
        is not a finite time.

    """

    def __init__(self, tolerance: float = 0.02, wait: float = 0.5, jump: float = 1.0,
                 history: int = 4096, latency: float = 0.0):
        for name, value in (('tolerance', tolerance), ('wait', wait), ('jump', jump)):
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
                raise ValueError(f'{name} must be a time > 0 s, got {value!r}')
        if not (isinstance(latency, (int, float)) and math.isfinite(latency)):
            raise ValueError(f'latency must be a finite time in s, got {latency!r}')
        self.tolerance, self.wait, self.jump = float(tolerance), float(wait), float(jump)
        self.latency = float(latency)
        self.history = int(history)
        self.measurements = self.paired = self.unmatched = 0
        self.states_refused = self.jumps = 0
        self.refused: Counter[str] = Counter()
        self._waiting: deque[tuple[float, float, np.ndarray]] = deque()  # arrival, stamp, pose
        self._stamps: list[float] = []  # states sorted by stamp, with arrival and joints
        self._states: list[tuple[float, np.ndarray]] = []
        self._newest_state = self._newest_measurement = -math.inf

    def add_state(self, stamp: float, joints: np.ndarray, now: float) -> list[tuple]:
        """
        Take a joint state (4,) received at ``now`` (s, the caller's monotonic clock).

        Returns the ``(instant, joints, measured, velocities)`` rows now decided.
        """
        if not _valid(stamp):
            self.states_refused += 1
            return self.poll(now)
        self._newest_state = self._track(self._newest_state, stamp)
        i = bisect.bisect(self._stamps, stamp)
        self._stamps.insert(i, stamp)
        self._states.insert(i, (now, np.asarray(joints, dtype=float)))
        if len(self._stamps) > self.history:  # drop the earliest arrival
            oldest = min(range(len(self._states)), key=lambda j: self._states[j][0])
            del self._stamps[oldest], self._states[oldest]
        return self.poll(now)

    def add_measurement(self, stamp: float, pose: np.ndarray, now: float) -> list[tuple]:
        """Take a measured pose (7,) received at ``now``; returns the rows now decided."""
        self.measurements += 1
        if not _valid(stamp):
            self.refused[NO_STAMP] += 1
            return self.poll(now)
        self._newest_measurement = self._track(self._newest_measurement, stamp)
        self._waiting.append((now, stamp, pose))
        if len(self._waiting) > self.history:  # a caller that never polls: decide the oldest
            return self._decide(*self._waiting.popleft()) + self.poll(now)
        return self.poll(now)

    def poll(self, now: float) -> list[tuple]:
        """Decide the measurements that have waited ``wait`` seconds by ``now``."""
        rows = []
        while self._waiting and self._waiting[0][0] + self.wait <= now:
            rows += self._decide(*self._waiting.popleft())
        self._prune(now - 2 * self.wait)
        return rows

    def flush(self) -> list[tuple]:
        """Decide every waiting measurement with what has arrived (at shutdown)."""
        rows = []
        while self._waiting:
            rows += self._decide(*self._waiting.popleft())
        return rows

    def new_epoch(self) -> list[tuple]:
        """Start over after a clock jump back: decide waiting measurements, forget states."""
        self.jumps += 1
        rows = self.flush()
        self._stamps.clear()
        self._states.clear()
        self._newest_state = self._newest_measurement = -math.inf
        return rows

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    def _track(self, newest: float, stamp: float) -> float:
        """Return a stream's newest stamp after ``stamp``, counting a step back beyond ``jump``."""
        if stamp < newest - self.jump:
            self.jumps += 1
            return stamp
        return max(newest, stamp)

    def _decide(self, arrival: float, stamp: float, pose: np.ndarray) -> list[tuple]:
        t = stamp - self.latency
        lo = bisect.bisect_left(self._stamps, t - self.tolerance)
        hi = bisect.bisect_right(self._stamps, t + self.tolerance)
        near = [j for j in range(lo, hi) if abs(self._states[j][0] - arrival) <= self.wait]
        found = interpolate_joints(t, [self._stamps[j] for j in near],
                                   [self._states[j][1] for j in near], self.tolerance)
        if found is None:
            self.unmatched += 1
            return []
        self.paired += 1
        return [(t, found[0], pose, found[1])]

    def _prune(self, before: float) -> None:
        """States that arrived before ``before`` can pair with no measurement still to come."""
        if self._states and min(s[0] for s in self._states) < before:
            keep = [j for j, s in enumerate(self._states) if s[0] >= before]
            self._stamps = [self._stamps[j] for j in keep]
            self._states = [self._states[j] for j in keep]


def _valid(stamp) -> bool:
    return isinstance(stamp, (int, float)) and math.isfinite(stamp) and stamp > 0
