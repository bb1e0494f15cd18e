"""
A FollowJointTrajectory goal's path, free of ROS: interpolation and its safety check.

Points interpolated by what they carry, as ros2_controllers' JointTrajectoryController does
(positions only: linear; with velocities: cubic Hermite; with accelerations too: quintic), from
where the arm is. Before anything moves, every number of the goal is bounded (positions near the
joint limits, velocities and accelerations the arm can follow, a duration up to ``max_duration``)
and the whole path is checked against the joint limits, ``max_velocity`` and collision at a
number of samples bounded whatever the goal's numbers; a goal that fails anywhere is refused
whole (:class:`TrajectoryRefused`, with the action's error code). Every comparison refuses NaN.
"""

from __future__ import annotations

from collections.abc import Sequence

from ik_net_ros.arm import Arm, default_arm
from ik_net_ros.kinematics.collision import CollisionModel
import numpy as np

__all__ = ['SUCCESSFUL', 'INVALID_GOAL', 'INVALID_JOINTS', 'OLD_HEADER_TIMESTAMP',
           'PATH_TOLERANCE_VIOLATED', 'GOAL_TOLERANCE_VIOLATED', 'TrajectoryRefused',
           'Trajectory', 'check_motion', 'check_numbers', 'MAX_DURATION',
           'MAX_POINTS']

# control_msgs/action/FollowJointTrajectory Result.error_code
SUCCESSFUL, INVALID_GOAL, INVALID_JOINTS, OLD_HEADER_TIMESTAMP = 0, -1, -2, -3
PATH_TOLERANCE_VIOLATED, GOAL_TOLERANCE_VIOLATED = -4, -5
SPEED_SLACK = 1e-6  # relative: a path planned at exactly max_velocity passes after rounding
STOPPED = float(np.finfo(np.float32).eps)  # rad/s: JTC's "zero" velocity at the last point
MAX_DURATION = 120.0  # s: the longest trajectory, default (parameter trajectory_max_duration)
POSITION_SLACK = 0.1  # rad a point may lie outside a limit before the path check says by how much
MAX_POINTS = 5000  # points a goal may have: with SEGMENT_SAMPLES, what bounds the check's cost
PATH_RESOLUTION = 0.002  # m any point of the arm moves between two collision checks
SEGMENT_SAMPLES = 200  # samples at most between two points: the check's cost, whatever the times


class TrajectoryRefused(ValueError):
    """A goal refused whole before anything moved: ``code`` (Result.error_code) and why."""

    def __init__(self, code: int, message: str):
        super().__init__(message)
        self.code = code


class Trajectory:
    """
    Joint positions over time from where the arm is, through a goal's points.

    Parameters
    ----------
    start
        (J,) rad where the arm is when the goal starts (at rest: velocity and acceleration 0).
    times
        (N,) s, each point's ``time_from_start``, strictly increasing, the first >= 0.
    positions
        (N, J) rad, the arm's joint order.
    velocities, accelerations
        (N, J) rad/s, rad/s^2, or None where the points carry none.

    A point at time 0 replaces the start (the caller checked that it is where the arm is).
    Before 0 the arm is at the start, after the last point at the last point.

    Raises
    ------
    TrajectoryRefused
        INVALID_GOAL: no points, times not strictly increasing or negative, values not finite.

    """

    def __init__(self, start, times, positions, velocities=None, accelerations=None):
        times = np.asarray(times, dtype=float)
        positions = np.asarray(positions, dtype=float)
        if len(times) == 0:
            raise TrajectoryRefused(INVALID_GOAL, 'the trajectory has no points')
        if not np.all(np.isfinite(times)) or times[0] < 0 or np.any(np.diff(times) <= 0):
            got = ', '.join(f'{x:.4g}' for x in times[:20])
            raise TrajectoryRefused(INVALID_GOAL, 'time_from_start must be >= 0 and strictly '
                                    f'increasing, got {got}')
        n, j = positions.shape
        rows = [positions, velocities, accelerations]
        for k, label in enumerate(('positions', 'velocities', 'accelerations')):
            if rows[k] is not None and not np.all(np.isfinite(rows[k])):
                raise TrajectoryRefused(INVALID_GOAL, f'{label} must be finite numbers')
        start = np.asarray(start, dtype=float).reshape(1, j)
        self.has_velocity = velocities is not None
        self.has_acceleration = accelerations is not None and self.has_velocity
        zeros = np.zeros((n, j))
        vel = zeros if velocities is None else np.asarray(velocities, dtype=float)
        acc = zeros if accelerations is None else np.asarray(accelerations, dtype=float)
        self.prepended = bool(times[0] > 0)  # the start is a point of its own
        if not self.prepended:  # the first point is where the arm is
            self.times, self.q, self.v, self.a = times, positions, vel, acc
        else:
            self.times = np.concatenate([[0.0], times])
            self.q = np.concatenate([start, positions])
            self.v = np.concatenate([np.zeros((1, j)), vel])
            self.a = np.concatenate([np.zeros((1, j)), acc])

    @property
    def duration(self) -> float:
        """Give the last point's time, s."""
        return float(self.times[-1])

    def segment(self, t) -> np.ndarray:
        """Return the index of the point each time of ``t`` (T,) s follows (-1 before 0)."""
        return np.searchsorted(self.times, np.asarray(t, dtype=float), side='right') - 1

    def sample(self, t) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """
        Give positions, velocities and accelerations (T, J) at times ``t`` (T,) s.

        Between points by what they carry: linear (positions only), cubic Hermite (with
        velocities), quintic (with accelerations); held at the ends.
        """
        t = np.atleast_1d(np.asarray(t, dtype=float))
        i = np.clip(self.segment(t), 0, len(self.times) - 2) if len(self.times) > 1 else \
            np.zeros(len(t), dtype=int)
        if len(self.times) == 1:
            return (np.repeat(self.q, len(t), 0), np.zeros((len(t), self.q.shape[1])),
                    np.zeros((len(t), self.q.shape[1])))
        h = (self.times[i + 1] - self.times[i])[:, None]
        s = np.clip((t[:, None] - self.times[i][:, None]) / h, 0.0, 1.0)
        q0, q1 = self.q[i], self.q[i + 1]
        v0, v1 = self.v[i] * h, self.v[i + 1] * h  # per unit of s
        a0, a1 = self.a[i] * h * h, self.a[i + 1] * h * h
        if self.has_acceleration:
            # quintic: c0..c5 in s matching q, q', q'' at both ends
            c3 = 10 * (q1 - q0) - 6 * v0 - 4 * v1 - 1.5 * a0 + 0.5 * a1
            c4 = -15 * (q1 - q0) + 8 * v0 + 7 * v1 + 1.5 * a0 - a1
            c5 = 6 * (q1 - q0) - 3 * v0 - 3 * v1 - 0.5 * a0 + 0.5 * a1
            c = [q0, v0, 0.5 * a0, c3, c4, c5]
        elif self.has_velocity:
            c2 = 3 * (q1 - q0) - 2 * v0 - v1
            c3 = -2 * (q1 - q0) + v0 + v1
            c = [q0, v0, c2, c3]
        else:
            c = [q0, q1 - q0]
        pos = sum(ck * s ** k for k, ck in enumerate(c))
        vel = sum(k * ck * s ** (k - 1) for k, ck in enumerate(c) if k) / h
        acc = sum(k * (k - 1) * ck * s ** (k - 2) for k, ck in enumerate(c) if k > 1) / (h * h)
        acc = acc if isinstance(acc, np.ndarray) else np.zeros_like(pos)
        outside = (t < 0) | (t >= self.times[-1])  # held: at rest at the start or the end
        pos = np.where(((t < 0)[:, None]), self.q[0], pos)
        pos = np.where(((t >= self.times[-1])[:, None]), self.q[-1], pos)
        vel[outside] = 0.0
        acc[outside] = 0.0
        return pos, vel, acc

    def dense_times(self, step: float) -> np.ndarray:
        """
        Give every point's time and times between, 0..duration.

        ``step`` s apart, but at most SEGMENT_SAMPLES per segment (a long segment's samples are
        spread wider): the count is bounded by the number of points, never by their times.
        """
        times = self.times if self.times[0] == 0 else np.concatenate([[0.0], self.times])
        h = np.diff(times)
        count = np.clip(np.ceil(h / step), 1, SEGMENT_SAMPLES).astype(int)
        segment = np.repeat(np.arange(len(h)), count)
        offset = np.arange(len(segment)) - np.repeat(np.cumsum(count) - count, count)
        grid = times[segment] + h[segment] * offset / count[segment]
        return np.unique(np.concatenate([grid, times]))


def _limits(arm: Arm | None, max_velocity: float, collision: CollisionModel | None = None
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """
    Return the arm's (lower, upper, velocity) per joint; velocity at most ``max_velocity``.

    The arm: ``arm``, else the collision model's (the backend's own), else the OM-X.
    """
    if arm is None:
        arm = getattr(collision, 'arm', None)
    arm = default_arm() if arm is None else arm
    return arm.lower, arm.upper, np.minimum(max_velocity, arm.velocity)


def check_numbers(trajectory: Trajectory, start, max_velocity: float, step: float,
                  max_duration: float, names: Sequence[str], arm: Arm | None = None,
                  collision: CollisionModel | None = None) -> None:
    """
    Bound every number of a goal before anything is interpolated from it.

    The duration at most ``max_duration`` s; each point's positions inside the joint limits (or
    ``start``, rad, where the arm is) widened by POSITION_SLACK rad; its velocities at most
    ``max_velocity`` rad/s (and each joint's own limit); its accelerations at most what reaches
    that speed in one driver cycle of ``step`` s. ``arm``: whose joint limits (None: the
    ``collision`` model's arm, else the OM-X's). Each comparison is written so that NaN fails
    it.

    Raises
    ------
    TrajectoryRefused
        INVALID_GOAL, saying which point and joint, and the bound.

    """
    start = np.asarray(start, dtype=float)
    if not np.all(np.isfinite(start)):
        raise TrajectoryRefused(INVALID_GOAL, 'where the arm is is not known (a reading '
                                'that is not a number)')
    if not trajectory.duration <= max_duration:
        raise TrajectoryRefused(INVALID_GOAL, f'the trajectory lasts {trajectory.duration:g} s, '
                                f'longer than trajectory_max_duration {max_duration:g} s')
    lower, upper, velocity = _limits(arm, max_velocity, collision)
    if start.shape != lower.shape:
        raise TrajectoryRefused(INVALID_GOAL, f'where the arm is: {start.size} joints, the arm '
                                f'has {lower.size}')
    low = np.minimum(lower, start) - POSITION_SLACK
    high = np.maximum(upper, start) + POSITION_SLACK
    fast = velocity * (1 + SPEED_SLACK)
    for values, bad, what in (
            (trajectory.q, lambda x: ~((x >= low) & (x <= high)),
             f'outside its limits (by more than {POSITION_SLACK} rad)'),
            (trajectory.v, lambda x: ~(np.abs(x) <= fast),
             f'over max_velocity {max_velocity:g} rad/s'),
            (trajectory.a, lambda x: ~(np.abs(x) <= fast / step),
             f'over {max_velocity / step:g} rad/s^2 (max_velocity in one {step:g} s cycle)')):
        found = np.argwhere(bad(values))
        if len(found):
            k, j = (int(x) for x in found[0])
            point = k - trajectory.prepended
            label = 'where the arm is' if point < 0 else f'point {point}'
            raise TrajectoryRefused(INVALID_GOAL, f'{label}: {names[j]} at {values[k, j]:g} '
                                    f'is {what}')


def check_motion(trajectory: Trajectory, start, max_velocity: float, step: float,
                 collision: CollisionModel | None, names: Sequence[str],
                 max_duration: float = MAX_DURATION, arm: Arm | None = None) -> None:
    """
    Check the whole interpolated path before anything moves.

    First every number (:func:`check_numbers`, ``max_duration`` s the longest). The last point
    at rest (velocity 0, as JTC requires by default). From ``start`` (J,) rad, where the arm is,
    sampled every ``step`` s (at most SEGMENT_SAMPLES between two points) and at every point:
    each sample inside the joint limits (or no farther outside than ``start``), no joint faster
    than ``max_velocity`` rad/s nor its own limit (the points' velocities, the interpolation's,
    and the straight moves between samples), and the straight joint-space moves between samples
    clear of ``collision`` (its ``check_path`` rule: a start in collision may only get out;
    None: no collision model). ``arm``: whose joint limits (None: the collision model's arm,
    the backend's own; without one the OM-X's). Every comparison refuses NaN.

    Raises
    ------
    TrajectoryRefused
        INVALID_GOAL, saying which point (or time) and joint fails and by how much.

    """
    start = np.asarray(start, dtype=float)
    check_numbers(trajectory, start, max_velocity, step, max_duration, names, arm, collision)
    lower, upper, velocity = _limits(arm, max_velocity, collision)
    moving = np.flatnonzero(~(np.abs(trajectory.v[-1]) <= STOPPED))
    if moving.size:  # JTC's allow_nonzero_velocity_at_trajectory_end: false
        j = int(moving[0])
        raise TrajectoryRefused(INVALID_GOAL, f'the last point: {names[j]} at '
                                f'{trajectory.v[-1][j]:g} rad/s, not 0 (the arm stops there)')
    limit = velocity * (1 + SPEED_SLACK)
    t = trajectory.dense_times(step)
    with np.errstate(all='ignore'):  # a hair-thin segment's inf or NaN is refused below
        pos, vel, _ = trajectory.sample(t)
    pos = np.concatenate([start[None], pos])  # the move from where the arm is, first
    t = np.concatenate([[0.0], t])
    # an arm found a hair outside a limit (a servo's noise, moved by hand) may only come in
    low, high = np.minimum(lower, start), np.maximum(upper, start)
    outside = np.argwhere(~((pos >= low) & (pos <= high)))
    if len(outside):
        k, j = (int(x) for x in outside[0])
        raise TrajectoryRefused(INVALID_GOAL, f'{names[j]} at {pos[k, j]:.4f} rad at t = '
                                f'{t[k]:.3f} s, outside its limits [{lower[j]:.4f}, '
                                f'{upper[j]:.4f}]')
    moves = np.abs(np.diff(pos, axis=0))
    dt = np.diff(t)
    over = ~(moves <= limit[None, :] * np.maximum(dt, step)[:, None])  # one driver cycle
    for bad, what in ((over, 'the move'), (~(np.abs(vel) <= limit), 'the interpolated velocity')):
        if np.any(bad):
            k, j = (int(x[0]) for x in np.nonzero(bad))
            where = 'from where the arm is' if bad is over and k == 0 else \
                f'at t = {t[k + 1]:.3f} s'
            raise TrajectoryRefused(INVALID_GOAL, f'{what} of {names[j]} {where} is over '
                                    f'{_speed_name(velocity[j], max_velocity)}')
    if collision is None:
        return
    steps = np.diff(pos, axis=0)
    moves = np.flatnonzero(np.any(steps != 0, axis=1))
    if not moves.size:
        return
    # collision.path_points' rule for every move at once (a Python loop over 20,000 moves of a
    # long goal took 1.8 s): no point of the arm moves more than PATH_RESOLUTION m between two
    count = np.maximum(1, np.ceil(np.abs(steps[moves]) @ collision.sweep_radii()
                                  / PATH_RESOLUTION)).astype(int) + 1
    move = np.repeat(moves, count)
    share = (np.arange(len(move)) - np.repeat(np.cumsum(count) - count, count)) / \
        np.repeat(count - 1, count)
    clear = collision.check(pos[move] + share[:, None] * steps[move]).clear
    for k in np.unique(move[~clear]):  # why (a start in collision may only get out)
        ok, why = collision.check_path(pos[k], pos[k + 1], PATH_RESOLUTION)
        if not ok:
            raise TrajectoryRefused(INVALID_GOAL, f'in collision at t = {t[k + 1]:.3f} s: '
                                    f'{why}')


def _speed_name(limit: float, max_velocity: float) -> str:
    """Name the speed a joint broke: max_velocity, or its own lower limit (rad/s)."""
    if limit >= max_velocity:
        return f'max_velocity {max_velocity:g} rad/s'
    return f'its velocity limit {limit:g} rad/s'
