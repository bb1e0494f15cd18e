"""
How long a time-based profile must last so a servo never outruns a speed limit.

With Drive Mode bit 2 (time-based profile) an X-series servo reads Profile Velocity (112) as
the move's duration T and Profile Acceleration (108) as its accelerating time ta, both in ms, at
most T / 2 (the e-Manual: the servo keeps it there). The move is a trapezoid from where the horn
is to the goal: its top speed is ``d / (T - min(ta, T / 2))`` for a distance d, whatever d is. So
a fixed T (ROBOTIS's 50 ms on the OMX-F) makes any jump in 50 ms; :func:`move_time` gives the T
that keeps the top speed within a limit, from the distance the servo actually has to go.
"""

from __future__ import annotations

import math

__all__ = ['move_time', 'max_distance', 'PROFILE_MAX']

PROFILE_MAX = 32767  # ms, the largest Profile Velocity / Acceleration (e-Manual)


def move_time(distance: float, speed: float, shortest: int, acceleration: int) -> int:
    """
    Return the Profile Velocity (ms) of a time-based move of ``distance`` at most at ``speed``.

    Parameters
    ----------
    distance
        How far the horn must go (rad, or ticks: ``speed`` in the same unit per second).
    speed
        The top speed allowed, > 0.
    shortest
        The shortest move (ms) to write (the arm's Profile Velocity).
    acceleration
        The Profile Acceleration written with it (ms; the servo takes at most half the move).

    Returns
    -------
    int
        A duration in ``max(shortest, 1)`` .. :data:`PROFILE_MAX` ms (1: never 0, which is an
        instant move); a move that needs longer than :data:`PROFILE_MAX` gets it, and must be
        shortened by the caller (``distance`` at most ``max_distance``).

    Raises
    ------
    ValueError
        A speed that is not positive and finite, or a negative or non-finite distance.

    """
    if not (math.isfinite(speed) and speed > 0 and math.isfinite(distance) and distance >= 0):
        raise ValueError(f'a time-based move needs a distance >= 0 and a speed > 0, got '
                         f'{distance!r}, {speed!r}')
    cruise = 1000.0 * distance / speed  # ms at full speed
    ta = max(0, int(acceleration))
    # ta <= cruise: the servo accelerates for ta, top speed d / (T - ta) <= speed when
    # T >= cruise + ta. Shorter: it accelerates for half the move (a triangle), top speed
    # 2 d / T <= speed when T >= 2 cruise
    needed = cruise + ta if cruise >= ta else 2.0 * cruise
    return int(min(PROFILE_MAX, max(1, int(shortest), math.ceil(needed))))


def max_distance(speed: float, acceleration: int) -> float:
    """Return the longest distance a move of :data:`PROFILE_MAX` ms covers at most at ``speed``."""
    ta = min(max(0, int(acceleration)), PROFILE_MAX // 2)
    return speed * (PROFILE_MAX - ta) / 1000.0
