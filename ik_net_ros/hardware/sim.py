"""A simulated arm: every joint moves towards its goal at most at the velocity limit and never
leaves the joint limits. Deterministic, so tests and the demo can rely on it."""

from __future__ import annotations

import numpy as np

from ik_net_ros.hardware.base import ArmBackend, JointReading
from ik_net_ros.kinematics import HOME_POSE, VELOCITY_LIMIT, as_joint_array, clamp_to_limits

__all__ = ['SimulatedArm']


class SimulatedArm(ArmBackend):
    """Kinematic simulation: q moves towards the goal with |dq/dt| <= ``max_velocity``.

    Args:
        home: start pose (4,) rad, clamped into the limits.
        max_velocity: rad/s per joint (default: the servos' 4.8 rad/s).
    """

    def __init__(self, home=HOME_POSE, max_velocity: float = VELOCITY_LIMIT):
        super().__init__()
        q, _ = as_joint_array(home, 'home')
        self.home = clamp_to_limits(q[0])
        self.max_velocity = float(max_velocity)
        self.positions = self.home.copy()
        self.velocities = np.zeros(4)

    def cycle(self, dt: float) -> JointReading:
        if self._goal is not None and dt > 0:
            step = np.clip(self._goal - self.positions, -self.max_velocity * dt,
                           self.max_velocity * dt)
            new = clamp_to_limits(self.positions + step)
            self.velocities = (new - self.positions) / dt
            self.positions = new
        else:
            self.velocities = np.zeros(4)
        return JointReading(self.positions.copy(), self.velocities.copy())
