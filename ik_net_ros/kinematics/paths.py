"""Smooth target paths through the workspace, for the demo and for data collection without
hardware. Paths are made in joint space and mapped through forward kinematics, so every target
is reachable by construction."""

from __future__ import annotations

import numpy as np

from ik_net_ros.kinematics.forward import forward_kinematics
from ik_net_ros.kinematics.geometry import DEFAULT_GEOMETRY, JOINT_LOWER, JOINT_UPPER, ArmGeometry

__all__ = ['sweep_pose', 'babble_joints']

# A Lissajous figure in joint space, away from the limits: the tool sweeps left-right, in-out,
# up-down with the pitch changing.
_CENTER = np.array([0.0, 0.0, 0.05, 0.4])
_AMPLITUDE = np.array([1.2, 0.35, 0.4, 0.5])
_FREQUENCY = np.array([0.11, 0.17, 0.23, 0.13])  # Hz: a full figure takes about a minute


def sweep_pose(t: float | np.ndarray, speed: float = 1.0,
               geometry: ArmGeometry = DEFAULT_GEOMETRY) -> np.ndarray:
    """Target pose(s) (7,) or (N, 7) at time(s) ``t`` in seconds; ``speed`` scales time."""
    t = np.asarray(t, dtype=float)
    q = _CENTER + _AMPLITUDE * np.sin(2 * np.pi * _FREQUENCY * (speed * t[..., None]))
    return forward_kinematics(q, geometry)


def babble_joints(rng: np.random.Generator, margin: float = 0.05) -> np.ndarray:
    """A random joint configuration (4,) inside the limits, ``margin`` rad away from them."""
    return rng.uniform(JOINT_LOWER + margin, JOINT_UPPER - margin)
