"""
How long a commanded move needs, timed from where the arm may be, not from the last command.

A JointTrajectory point is executed by a controller (ROBOTIS's ``arm_controller``) from where the
arm IS. While targets stream, the arm lags behind its commands: timing a point from the last
command asked 46 rad/s of a 4.8 rad/s arm. :class:`MoveTimer` keeps where the arm may be: its
freshest joint state, measured at some instant, and every command sent since (and the one it was
travelling to then). The arm is on straight joint-space segments between these, so each of its
joints lies in their per-joint range, and the move a point needs is at most the farthest end of
that range from the point, joint by joint, at the slower of the node's max_velocity and the
joint's own velocity limit (the arm's, :attr:`~ik_net_ros.arm.Arm.velocity`).

A joint reading that is not finite or lies beyond the limits by more than
:data:`READING_TOLERANCE` is refused (the arm cannot be there: a broken reading, not a pose to
move from); one within the tolerance is clamped into the limits (a servo holding at a limit reads
a few ticks past it). Durations are bounded to [0, :data:`MAX_DURATION`] s.

The controller also takes the straight joint-space path from where the arm is to the point, which
may pass under the table or through the base although both ends are clear (1 of 300 far moves of
the analytic solver took the hand 16.6 mm under the table). :func:`path_refusal` checks that path
from the freshest reading and from the newest command (the arm is at one of them, or between: a
path between is not checked, see docs/hardware.md) with the solver's collision model.
"""

from __future__ import annotations

from collections import deque
import math

from ik_net_ros.arm import Arm, arm_or_default
import numpy as np

__all__ = ['MoveTimer', 'arm_reading', 'bounded_duration', 'path_refusal', 'READING_TOLERANCE',
           'MIN_VELOCITY', 'MAX_DURATION', 'FULL_TURN', 'UNSTAMPED_AGE']

READING_TOLERANCE = 0.02  # rad a reading may lie past a limit and still be clamped (~23 ticks)
MIN_VELOCITY = 0.01  # rad/s: the slowest max_velocity the nodes accept
FULL_TURN = 2 * math.pi  # rad: a whole turn, the longest move a revolute joint can make
# s: a full turn at the slowest speed, plus a margin; far inside int32 seconds
MAX_DURATION = FULL_TURN / MIN_VELOCITY + 10.0
UNSTAMPED_AGE = 0.1  # s a reading without a usable stamp is taken to be old on arrival
MAX_COMMANDS = 256  # commands kept one by one; older ones merge into a per-joint box
# samples of a path checked one by one in plain floats (clear_one, ~12-25 us each) rather than
# by numpy's check_path (~350 us a call, whatever the length): a streaming step is 2-4 of them
SHORT_PATH = 8
RESOLUTION = 0.002  # m any point of the arm moves between two checked configurations


def arm_reading(joints, arm: Arm | None = None) -> np.ndarray | None:
    """
    Return a joint reading (dof,) rad of ``arm`` fit to move from or seed with, or None.

    None when it is not one value per joint, a value is not finite or lies beyond a limit by
    more than :data:`READING_TOLERANCE`; values within it are clamped into the limits. ``arm``:
    an :class:`~ik_net_ros.arm.Arm` (None: the OM-X).
    """
    arm = arm_or_default(arm)
    try:
        values = np.asarray(joints, dtype=float).reshape(arm.dof)
    except (TypeError, ValueError):
        return None
    if not np.all(np.isfinite(values)) or np.any(values < arm.lower - READING_TOLERANCE) \
            or np.any(values > arm.upper + READING_TOLERANCE):
        return None
    return np.clip(values, arm.lower, arm.upper)


def bounded_duration(seconds: float) -> float:
    """Return ``seconds`` inside [0, MAX_DURATION] (NaN: MAX_DURATION, the safe side)."""
    if not seconds <= MAX_DURATION:  # NaN included
        return MAX_DURATION
    return max(0.0, float(seconds))


class MoveTimer:
    """
    Where the arm may be (its freshest reading and the commands since), and what a move needs.

    Times are seconds of one clock (the node's ROS clock); readings carry the instant they were
    measured. ``arm``: an :class:`~ik_net_ros.arm.Arm` (None: the OM-X): its joint count, limits
    and per-joint velocity limits.
    """

    def __init__(self, arm: Arm | None = None):
        self.arm = arm_or_default(arm)
        self.state: tuple[float, np.ndarray] | None = None  # (measured at, joints)
        self.commands: deque[tuple[float, np.ndarray]] = deque()  # (sent at, joints)
        self._box: tuple[np.ndarray, np.ndarray] | None = None  # older commands, merged

    def on_state(self, measured_at: float, joints) -> bool:
        """
        Take a joint reading measured at ``measured_at`` s; return whether it was usable.

        A reading older than the one held is ignored (it arrived late) but counts as usable.
        """
        reading = arm_reading(joints, self.arm)
        if reading is None or not math.isfinite(measured_at):
            return False
        if self.state is not None and measured_at < self.state[0]:
            return True
        self.state = (measured_at, reading)
        # commands sent before the reading: only the newest of them can still be the arm's goal
        before = [c for c in self.commands if c[0] < measured_at]
        if before:
            self._box = None  # all older than the newest command before the reading
            while self.commands and self.commands[0][0] < measured_at:
                self.commands.popleft()
            self.commands.appendleft(before[-1])
        return True

    def on_command(self, sent_at: float, joints) -> None:
        """Record a command (dof,) rad sent at ``sent_at`` s: the arm may now head there."""
        self.commands.append((sent_at, np.asarray(joints, dtype=float)))
        if len(self.commands) > MAX_COMMANDS:
            _, old = self.commands.popleft()
            lo, hi = self._box if self._box is not None else (old, old)
            self._box = (np.minimum(lo, old), np.maximum(hi, old))

    def envelope(self) -> tuple[np.ndarray, np.ndarray] | None:
        """Return per-joint (low, high) rad of where the arm may be; None before any reading."""
        if self.state is None:
            return None
        points = [self.state[1]] + [c[1] for c in self.commands]
        if self._box is not None:
            points += list(self._box)
        stacked = np.stack(points)
        return stacked.min(axis=0), stacked.max(axis=0)

    def starts(self) -> list[tuple[str, np.ndarray]]:
        """Return where a move may start, named: the freshest reading, the newest command."""
        starts = [] if self.state is None else [('where the arm is', self.state[1])]
        if self.commands:
            starts.append(('the last command', self.commands[-1][1]))
        return starts

    def moves(self, joints) -> np.ndarray:
        """
        Return each joint's largest move (dof,), rad, from anywhere the arm may be to ``joints``.

        Before any reading: each joint's whole range (a full turn at most).
        """
        envelope = self.envelope()
        if envelope is None:
            return np.minimum(self.arm.upper - self.arm.lower, FULL_TURN)
        target = np.asarray(joints, dtype=float)
        lo, hi = envelope
        return np.maximum(np.abs(target - lo), np.abs(target - hi))

    def move(self, joints) -> float:
        """Return the largest joint move, rad, from anywhere the arm may be to ``joints``."""
        return float(self.moves(joints).max())

    def duration(self, joints, max_velocity: float, floor: float = 0.0) -> float:
        """
        Return the time_from_start (s) of a point at ``joints``: at least ``floor``.

        Never less than any joint's move from where the arm may be (before any reading: its
        whole range) at ``max_velocity`` rad/s or its own velocity limit, the slower; bounded
        to [0, MAX_DURATION].
        """
        speed = np.minimum(max_velocity, self.arm.velocity)
        seconds = float((self.moves(joints) / speed).max())
        # NaN (a NaN velocity or joint) stays NaN here: bounded_duration makes it the longest
        return bounded_duration(seconds if not seconds < floor else floor)


def path_refusal(collision, timer: MoveTimer, joints, last_command=None) -> str:
    """
    Return why the straight joint path to ``joints`` (dof,) rad is not clear, or '' when it is.

    Checked with ``collision`` (a :class:`~ik_net_ros.kinematics.collision.CollisionModel`,
    its ``check_path``) from each of ``timer.starts()``; ``last_command`` (dof,) rad, the node's
    newest command, stands in for the timer's when the timer has none (it was reset). Before
    any joint reading only the path from the last command is known, and the reason says so.
    Nothing to start from (no reading, no command): ''.
    """
    starts = timer.starts()
    if last_command is not None and not any(name == 'the last command' for name, _ in starts):
        starts.append(('the last command', np.asarray(last_command, dtype=float)))
    if _short_paths_clear(collision, starts, joints):  # a streaming step: ~50 us, not ~700
        return ''
    for k, (name, start) in enumerate(starts):
        if k and np.array_equal(start, starts[0][1]):
            continue  # the arm at rest at its last command: the same path
        ok, why = collision.check_path(start, joints, RESOLUTION)
        if not ok:
            unknown = '' if timer.state is not None else ' (no joint_states yet: where the ' \
                                                         'arm is is unknown)'
            return f'path from {name}{unknown} to the answer: {why}'
    return ''


def _short_paths_clear(collision, starts, goal) -> bool:
    """
    Whether short paths from ``starts`` to ``goal`` are clear, in plain floats.

    The configurations check_path samples (at :data:`RESOLUTION`) but the starts: a start the
    arm is at may lie in collision (put there by hand) and the path may still get out (its
    escape rule), so the start is none of this quick answer's business. False when one path
    has more than :data:`SHORT_PATH` samples or one is not clear: check_path decides then.
    """
    radii = collision.sweep_radii().tolist()
    goal = [float(v) for v in goal]
    samples = [goal]
    for _, start in starts:
        begin = start.tolist()
        step = [b - a for a, b in zip(begin, goal)]
        count = max(1, math.ceil(sum(abs(d) * r for d, r in zip(step, radii)) / RESOLUTION))
        if count > SHORT_PATH:
            return False
        samples += [[a + d * k / count for a, d in zip(begin, step)] for k in range(1, count)]
    return all(collision.clear_one(q) for q in samples)
