"""
A FollowJointTrajectory goal's decisions, free of ROS.

As ros2_controllers' JointTrajectoryController (JTC) takes them: joints by name in any order (all
of the arm's, once each), points of consistent sizes, the header's start time, path and goal
tolerances (0: the default, -1: unchecked) and ``goal_time_tolerance``. The interpolation and the
whole path's safety check are :mod:`~ik_net_ros.hardware.trajectory_path`'s (re-exported here:
one import for the goal). Stricter than JTC where the arm's safety asks it; a goal that fails
anywhere is refused whole (:class:`TrajectoryRefused`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ik_net_ros.hardware.trajectory_path import (
    check_motion,
    GOAL_TOLERANCE_VIOLATED,
    INVALID_GOAL,
    INVALID_JOINTS,
    MAX_POINTS,
    OLD_HEADER_TIMESTAMP,
    PATH_TOLERANCE_VIOLATED,
    SUCCESSFUL,
    Trajectory,
    TrajectoryRefused,
)
import numpy as np

__all__ = ['SUCCESSFUL', 'INVALID_GOAL', 'INVALID_JOINTS', 'OLD_HEADER_TIMESTAMP',
           'PATH_TOLERANCE_VIOLATED', 'GOAL_TOLERANCE_VIOLATED', 'TrajectoryRefused',
           'Trajectory', 'Tolerances', 'TrajectoryRun', 'Step', 'joint_order', 'tolerances',
           'check_motion', 'trajectory_from_points', 'start_delay', 'STAMP_SLACK', 'MAX_POINTS']

STAMP_SLACK = 0.5  # s a header stamp may lie in the past (transport, clocks): started now


def joint_order(names: Sequence[str], joint_names: Sequence[str]) -> np.ndarray:
    """
    Return, for each of the arm's joints, its column in a goal naming ``names``.

    Raises
    ------
    TrajectoryRefused
        INVALID_JOINTS: a joint missing, unknown or named twice (JTC without partial goals).

    """
    names = list(names)
    unknown = sorted(set(names) - set(joint_names))
    missing = [n for n in joint_names if n not in names]
    twice = sorted({n for n in names if names.count(n) > 1})
    if unknown or missing or twice:
        parts = [f'{label} {", ".join(v)}' for label, v in
                 (('unknown', unknown), ('missing', missing), ('named twice', twice)) if v]
        raise TrajectoryRefused(INVALID_JOINTS, f'the goal must name each of '
                                f'{", ".join(joint_names)} once: {"; ".join(parts)}')
    return np.array([names.index(n) for n in joint_names])


def trajectory_from_points(names: Sequence[str], joint_names: Sequence[str], start,
                           points: Sequence[tuple[float, Sequence[float], Sequence[float],
                                                  Sequence[float], Sequence[float]]]
                           ) -> Trajectory:
    """
    Make a goal's trajectory in the arm's joint order, from where the arm is (``start``, rad).

    ``names``: the goal's joint names; ``points``: (time_from_start s, positions, velocities,
    accelerations, effort) each, in the goal's order. Velocities and accelerations are used
    where every point carries them (else linear, cubic).

    Raises
    ------
    TrajectoryRefused
        INVALID_JOINTS (names), INVALID_GOAL: no points or more than MAX_POINTS, sizes that are
        not one per joint (or empty velocities, accelerations), effort (a position-controlled
        arm), times.

    """
    column = joint_order(names, joint_names)
    if len(points) > MAX_POINTS:  # the path check's cost grows with them
        raise TrajectoryRefused(INVALID_GOAL, f'{len(points)} points: at most {MAX_POINTS} '
                                'are accepted')
    width = len(names)
    for i, (_, positions, velocities, accelerations, effort) in enumerate(points):
        if len(effort):
            raise TrajectoryRefused(INVALID_GOAL, f'point {i}: trajectories with effort are not '
                                    'supported (a position-controlled arm)')
        if len(positions) != width or len(velocities) not in (0, width) or \
                len(accelerations) not in (0, width):
            raise TrajectoryRefused(INVALID_GOAL, f'point {i}: {len(positions)} positions, '
                                    f'{len(velocities)} velocities, {len(accelerations)} '
                                    f'accelerations for {width} joints')

    def table(k: int) -> np.ndarray | None:  # (N, J) in the arm's order; None: not every point
        rows = [p[k] for p in points]
        if not rows or any(len(r) == 0 for r in rows):
            return None
        return np.array(rows, dtype=float)[:, column]

    positions = table(1)
    return Trajectory(start, [p[0] for p in points],
                      np.zeros((0, len(joint_names))) if positions is None else positions,
                      table(2), table(3))


def start_delay(late: float | None) -> float:
    """
    Give the time (s) to wait before a goal starts, ``late`` s after its header stamp.

    None (stamp 0): now. A future stamp waits for it; one up to STAMP_SLACK s past starts now.

    Raises
    ------
    TrajectoryRefused
        OLD_HEADER_TIMESTAMP: older than that (JTC would start the arm mid-way through it).

    """
    if late is None or late <= 0:
        return 0.0 if late is None else -late
    if late > STAMP_SLACK:
        raise TrajectoryRefused(OLD_HEADER_TIMESTAMP, f'header.stamp is {late:.3f} s old: the '
                                'trajectory would start mid-way, away from where the arm is')
    return 0.0


@dataclass(frozen=True)
class Tolerances:
    """
    A goal's tolerances; 0 means unchecked.

    path, goal: (2, J) position (rad) and velocity (rad/s) per joint of the arm. goal_time: s
    after the trajectory's end the arm may take to be within ``goal`` (0: waits for ever).
    """

    path: np.ndarray
    goal: np.ndarray
    goal_time: float


def tolerances(joint_names: Sequence[str], path: Sequence[tuple[str, float, float, float]],
               goal: Sequence[tuple[str, float, float, float]], goal_time: float,
               defaults: Tolerances) -> Tolerances:
    """
    Merge a goal's ``JointTolerance`` lists (name, position, velocity, acceleration) on defaults.

    As JTC: a value > 0 replaces the default, 0 keeps it, -1 erases it (unchecked).
    Acceleration tolerances are accepted and not checked (the arm's acceleration is not
    measured). ``goal_time`` (s) 0 keeps the default.

    Raises
    ------
    TrajectoryRefused
        INVALID_JOINTS: a tolerance for a joint the arm has not; INVALID_GOAL: a value neither
        >= 0 nor -1, or not finite.

    """
    def merged(entries, base, label):
        out = np.array(base, dtype=float)
        for name, *values in entries:
            if name not in joint_names:
                raise TrajectoryRefused(INVALID_JOINTS, f'{label} tolerance for {name!r}, not '
                                        f'one of {", ".join(joint_names)}')
            j = list(joint_names).index(name)
            for k, v in enumerate(values[:2]):
                if not np.isfinite(v) or (v < 0 and v != -1.0):
                    raise TrajectoryRefused(INVALID_GOAL, f'{label} tolerance of {name} '
                                            f'{v!r}: must be >= 0, or -1 (unchecked)')
                if v:
                    out[k, j] = 0.0 if v == -1.0 else v
        return out

    if not np.isfinite(goal_time) or goal_time < 0:
        raise TrajectoryRefused(INVALID_GOAL, f'goal_time_tolerance {goal_time!r} s: must be '
                                '>= 0')
    return Tolerances(merged(path, defaults.path, 'path'), merged(goal, defaults.goal, 'goal'),
                      float(goal_time) or defaults.goal_time)


@dataclass
class Step:
    """One cycle of a running goal: what the arm should do and whether the goal ended."""

    desired: tuple[np.ndarray, np.ndarray, np.ndarray]  # positions, velocities, accelerations
    error: tuple[np.ndarray, np.ndarray]  # desired - actual: positions, velocities
    index: int  # the point the arm heads for (the goal's numbering)
    code: int | None = None  # None while running, else the result's error_code
    message: str = ''


class TrajectoryRun:
    """
    A goal being followed: desired states, tolerance checks and its end.

    ``update(t, positions, velocities)`` with ``t`` s since the goal's start and the arm's
    reading. Before the last point's time: the path tolerance (PATH_TOLERANCE_VIOLATED).
    From then: SUCCESSFUL once within the goal tolerance, GOAL_TOLERANCE_VIOLATED when
    ``goal_time`` s have passed without (never, if goal_time is 0).
    """

    def __init__(self, trajectory: Trajectory, tolerance: Tolerances, names: Sequence[str]):
        self.trajectory, self.tolerance, self.names = trajectory, tolerance, list(names)
        self.last = len(trajectory.times) - 1 - trajectory.prepended  # the goal's last point

    def update(self, t: float, positions, velocities) -> Step:
        """Give the cycle at ``t`` s with the arm at ``positions`` (rad), ``velocities``."""
        traj = self.trajectory
        pos, vel, acc = (x[0] for x in traj.sample([t]))
        actual = (np.asarray(positions, float), np.asarray(velocities, float))
        error = (pos - actual[0], vel - actual[1])
        index = int(np.clip(traj.segment([t])[0] + 1 - traj.prepended, 0, self.last))
        step = Step((pos, vel, acc), error, index)
        if t < traj.duration:
            why = self._violation(self.tolerance.path, error)
            if why:
                step.code = PATH_TOLERANCE_VIOLATED
                step.message = f'Aborted due to path tolerance violation: {why}'
            return step
        why = self._violation(self.tolerance.goal, error)
        if not why:
            step.code, step.message = SUCCESSFUL, 'Goal successfully reached!'  # JTC's words
        elif self.tolerance.goal_time and t - traj.duration > self.tolerance.goal_time:
            step.code = GOAL_TOLERANCE_VIOLATED
            step.message = (f'Aborted due to goal_time_tolerance exceeding by '
                            f'{t - traj.duration - self.tolerance.goal_time:.3f} seconds: {why}')
        return step

    def _violation(self, tolerance: np.ndarray, error) -> str:
        for k, (what, unit) in enumerate((('position', 'rad'), ('velocity', 'rad/s'))):
            bad = (tolerance[k] > 0) & (np.abs(error[k]) > tolerance[k])
            if np.any(bad):
                j = int(np.flatnonzero(bad)[0])
                return (f'{self.names[j]} {what} off by {abs(error[k][j]):.4f} {unit} '
                        f'(tolerance {tolerance[k][j]:g})')
        return ''
