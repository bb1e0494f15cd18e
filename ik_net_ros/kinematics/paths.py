"""
Smooth target paths through the workspace, for the demo and for data collection without hardware.

Paths are made in joint space and mapped through forward kinematics, so every target is reachable
by construction.
"""

from __future__ import annotations

from ik_net_ros.kinematics.collision import CollisionModel
from ik_net_ros.kinematics.forward import forward_kinematics
from ik_net_ros.kinematics.geometry import (
    ArmGeometry,
    DEFAULT_GEOMETRY,
    HOME_POSE,
    JOINT_LOWER,
    JOINT_UPPER,
)
import numpy as np

__all__ = ['sweep_pose', 'sweep_box', 'babble_joints']


# A Lissajous figure in joint space, away from the limits: the tool sweeps left-right, in-out,
# up-down with the pitch changing. Its frequencies share no period, so over time it fills the
# box center +- amplitude, every configuration of which keeps 30 mm above the table and clear
# of the base (tested): the tool stays between 133 and 442 mm high.
_CENTER = np.array([0.0, -0.4, -0.3, 0.0])
_AMPLITUDE = np.array([1.2, 0.35, 0.4, 0.5])
BABBLE_ROOM = 0.015  # m babble goals keep beyond the collision model, so none sits on its edge
_FREQUENCY = np.array([0.11, 0.17, 0.23, 0.13])  # Hz: a full figure takes about a minute


def sweep_box() -> tuple[np.ndarray, np.ndarray]:
    """(lower, upper) joints (4,) rad of the box the sweep fills."""
    return _CENTER - _AMPLITUDE, _CENTER + _AMPLITUDE


def sweep_pose(t: float | np.ndarray, speed: float = 1.0,
               geometry: ArmGeometry = DEFAULT_GEOMETRY) -> np.ndarray:
    """Target pose(s) (7,) or (N, 7) at time(s) ``t`` in seconds; ``speed`` scales time."""
    t = np.asarray(t, dtype=float)
    q = _CENTER + _AMPLITUDE * np.sin(2 * np.pi * _FREQUENCY * (speed * t[..., None]))
    return forward_kinematics(q, geometry)


def babble_joints(rng: np.random.Generator, margin: float = 0.05,
                  collision: CollisionModel | None = None, start=None) -> np.ndarray:
    """
    Return a random joint configuration (4,) inside the limits, ``margin`` rad away from them.

    Drawn again until it is clear of
    ``collision`` with BABBLE_ROOM m to spare and the straight joint-space path from ``start`` to
    it (the path the driver takes) is clear; if none is found, the way home (ROBOTIS's home pose),
    where that path is clear.

    Raises
    ------
    RuntimeError
        No clear goal in 1,000 draws and no clear way home (a workspace box
        that leaves no room).

    """
    roomy = None if collision is None else collision.inflated(BABBLE_ROOM)
    for _ in range(1000):
        goal = rng.uniform(JOINT_LOWER + margin, JOINT_UPPER - margin)
        if collision is None:
            return goal
        if roomy.clear(goal) and (start is None or collision.check_path(start, goal)[0]):
            return goal
    home = np.array(HOME_POSE)
    if start is not None and collision.check_path(start, home)[0]:
        return home
    raise RuntimeError('no clear babble goal in 1,000 draws: the collision model leaves no room')
