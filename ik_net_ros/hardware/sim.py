"""
A simulated arm: it follows the backend's interpolated command exactly.

The command is a straight joint-space line to the goal, speed- and acceleration-limited, that never
leaves the joint limits; the gripper moves to its goal at a finger speed (its horn no faster
than ``max_velocity``); with torque off it is limp where it stands. Deterministic, so tests and
the demo can rely on it.
"""

from __future__ import annotations

from ik_net_ros.arm import Arm
from ik_net_ros.hardware.base import ArmBackend, joint_vector, JointReading
from ik_net_ros.hardware.gripper import finger_speed
from ik_net_ros.kinematics.limits import clamp_to_limits
from ik_net_ros.kinematics.true_arm import TrueArm
import numpy as np

__all__ = ['SimulatedArm']

GRIPPER_SPEED = 0.05  # m/s of gripper_left_joint at most (its horn at 4.2 rad/s)
GRIPPER_HORN_SPEED = 4.2  # rad/s a gripper servo's horn turns at most (the same 0.05 m/s)


class SimulatedArm(ArmBackend):
    """
    Kinematic simulation: q follows the command, |dq/dt| <= ``max_velocity``.

    Parameters
    ----------
    home
        Start pose (dof,) rad, clamped into the limits (None: the arm's home).
    max_velocity
        rad/s per joint (None: the arm's fastest joint's; each joint at most its own).
    description
        'humble' or 'jazzy': without ``arm``, the OM-X of that description.
    gripper
        Simulate the gripper.
    true_arm
        The hidden real arm (offsets, link errors, sag) whose tool pose
        :meth:`true_tool_pose` reports; None: the nominal arm.
    arm
        The arm (see :class:`ArmBackend`).
    **limits
        Max_acceleration, collision (see :class:`ArmBackend`).

    """

    def __init__(self, home=None, max_velocity: float | None = None,
                 description: str = 'humble', gripper: bool = True,
                 true_arm: TrueArm | None = None, arm: Arm | None = None, **limits):
        super().__init__(description, gripper, max_velocity, arm=arm, **limits)
        self.true_arm = true_arm
        home = self.arm.home if home is None else home
        self.home = clamp_to_limits(self.arm, joint_vector(self.arm, home, 'home'))
        self.positions = self.home.copy()
        self.velocities = np.zeros(self.arm.dof)
        # the fingers start closed at 0 where that is in range (the OM-X), else at the lower end
        self.gripper = min(max(0.0, self.arm.gripper.lower), self.arm.gripper.upper) \
            if self.has_gripper else None
        self._gripper_goal: float | None = None
        self.hold(self.positions)

    @property
    def max_velocity(self) -> float:
        return self.motion.max_velocity

    @property
    def gripper_speed(self) -> float:
        """
        Give the gripper joint's speed (m/s or rad/s): its horn no faster than ``max_velocity``.

        As on the servos, whose gripper's Profile Velocity follows it.
        """
        top = GRIPPER_SPEED if self.arm.gripper.horn is not None else GRIPPER_HORN_SPEED
        return min(top, finger_speed(self.motion.max_velocity, self.arm.gripper))

    def true_tool_pose(self) -> np.ndarray | None:
        return None if self.true_arm is None else self.true_arm.tool_poses(self.positions)

    def _set_gripper_goal(self, metres: float) -> None:
        self._gripper_goal = metres

    def set_torque(self, enabled: bool) -> None:
        """
        Switch torque as the servos do: off, the arm is limp and stays where it is.

        No gravity here, and a command does not move it; on, it holds the present pose (never an
        old command).
        """
        if enabled:
            self.hold(self.positions)
        else:
            self.clear_goal()
            self._gripper_goal = None
        self.torque_enabled = bool(enabled)

    def _step(self, dt: float) -> JointReading:
        if not self.torque_enabled:  # limp: nothing drives the joints
            self.velocities = np.zeros(self.arm.dof)
            return JointReading(self.positions.copy(), self.velocities.copy(),
                                gripper=self.gripper)
        new = clamp_to_limits(self.arm, self.motion.setpoint)
        self.velocities = (new - self.positions) / dt if dt > 0 else np.zeros(self.arm.dof)
        self.positions = new
        if self._gripper_goal is not None and dt > 0:
            move = self.gripper_speed * dt
            self.gripper += max(-move, min(move, self._gripper_goal - self.gripper))
        return JointReading(self.positions.copy(), self.velocities.copy(), gripper=self.gripper)
