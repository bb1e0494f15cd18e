"""
The arm behind one interface.

A backend takes goal positions and, once per control cycle, moves (or commands the servos) and
reports the joint state. The interface declares everything a node may call: goals, readings,
torque, speed, the gripper, and a latched health status; backends take a port or settings, never a
ROS node.

Every backend is a safety wall of its own, whatever sends it goals: a goal is clamped into the
joint limits, refused if it or the straight joint-space path to it from the present command is
in collision (the table, the arm's own base), and approached at most at ``max_velocity`` and
``max_acceleration`` (:class:`~ik_net_ros.hardware.motion.MotionLimiter`): the servos are sent
the interpolated setpoints, never the goal at once.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field

from ik_net_ros.arm import Arm, default_arm
from ik_net_ros.errors import HardwareError, InvalidJointsError, UnsafeGoalError
from ik_net_ros.hardware.gripper import clamp_gripper
from ik_net_ros.hardware.motion import check_speed, DEFAULT_ACCELERATION, MotionLimiter
from ik_net_ros.kinematics.collision import CollisionModel, ESCAPE_SLACK
from ik_net_ros.kinematics.limits import clamp_to_limits, within_limits
from ik_net_ros.kinematics.validation import as_joint_array
import numpy as np

__all__ = ['ArmBackend', 'JointReading', 'Health', 'backend_arm', 'default_collision',
           'joint_vector']


def backend_arm(arm: Arm | None, description: str = 'humble') -> Arm:
    """
    Return the arm a backend drives: ``arm``, or (None) the OM-X of ROBOTIS's ``description``.

    Raises
    ------
    HardwareError
        Unknown description, or not an arm.

    """
    if arm is not None:
        if not isinstance(arm, Arm):
            raise HardwareError(f'expected an Arm, got {type(arm).__name__}')
        return arm
    try:
        return default_arm(str(description))
    except ValueError as e:  # ArmError: unknown description, named with the known ones
        raise HardwareError(str(e)) from e


def default_collision(arm: Arm, clearance: float = 0.01, workspace=None) -> CollisionModel:
    """
    Return the arm's own collision model: the table ``clearance`` m under it, its own body.

    The arm with its errors (a calibrated or leaning arm's body where it really is).

    Raises
    ------
    ValueError
        A clearance or workspace the model refuses.

    """
    return CollisionModel(arm, clearance, workspace)


def joint_vector(arm: Arm, positions, name: str) -> np.ndarray:
    """
    Return ``positions`` as one finite (dof,) float64 vector of the arm's joints.

    Raises
    ------
    InvalidJointsError
        Not real numbers, not one per joint (or more than one row), or NaN/inf.

    """
    q, single = as_joint_array(positions, name, arm)
    if not single:
        raise InvalidJointsError(f'{name}: expected {arm.dof} values, got shape {q.shape}')
    return q[0]


@dataclass
class JointReading:
    """
    One cycle's joint state.

    positions, velocities: (dof,) rad and rad/s, the arm's joints in order; None when ``ok`` is
    False.
    ok: False when the state could not be read this cycle (never publish stale data as fresh).
    faults: human-readable fault descriptions seen this cycle (empty when healthy).
    gripper: the arm's gripper joint (m or rad: ``gripper_left_joint`` in m on the OM-X), None
    without a gripper (or unread this cycle).
    """

    positions: np.ndarray | None
    velocities: np.ndarray | None
    ok: bool = True
    faults: list[str] = field(default_factory=list)
    gripper: float | None = None


@dataclass
class Health:
    """The arm's latched health: ``faults`` stay until a healthy cycle clears them."""

    connected: bool
    faults: list[str]

    @property
    def ok(self) -> bool:
        return self.connected and not self.faults

    @property
    def message(self) -> str:
        return '; '.join(self.faults) or ('ok' if self.connected else 'not connected')


class ArmBackend(ABC):
    """
    An arm of any number of joints (and maybe a gripper).

    Subclasses implement :meth:`_step`; goals are always clamped into the arm's joint limits.

    Parameters
    ----------
    description
        'humble' or 'jazzy': without ``arm``, the OM-X of that ROBOTIS description.
    gripper
        Whether to drive the arm's gripper (if it has one).
    max_velocity
        rad/s, the fastest any joint is moved (None: the arm's fastest joint; never above it,
        and each joint at most its own ``arm.velocity``).
    max_acceleration
        Rad/s^2 along the path.
    collision
        What goals and paths must keep clear of; by default the arm's own model
        (the table under it with 10 mm of clearance, its own body). None turns the check
        off (tests of other things only).
    arm
        The arm (:class:`~ik_net_ros.arm.Arm`, its errors included).

    Raises
    ------
    HardwareError
        Unknown description, or a speed outside (0, limit].

    """

    torque_enabled: bool = True  # False: the arm is limp and may be moved by hand
    hardware_id: str = 'sim'  # the arm's name on /diagnostics: a port backend names its port

    def __init__(self, description: str = 'humble', gripper: bool = True,
                 max_velocity: float | None = None,
                 max_acceleration: float = DEFAULT_ACCELERATION,
                 collision: CollisionModel | None | str = 'default', arm: Arm | None = None):
        self.arm = backend_arm(arm, description)
        self.description = self.arm.description
        self.joint_names: tuple[str, ...] = self.arm.joint_names
        self.has_gripper = bool(gripper) and self.arm.gripper is not None
        self._goal: np.ndarray | None = None
        self.goal_clamped = False  # True if the newest goal had to be clamped into the limits
        self._faults: list[str] = []
        self.velocity_limit = float(np.max(self.arm.velocity))
        if max_velocity is None:
            max_velocity = self.velocity_limit
        self.motion = MotionLimiter(check_speed('max_velocity', max_velocity,
                                                self.velocity_limit),
                                    max_acceleration, self.arm.velocity)
        if isinstance(collision, str):
            collision = default_collision(self.arm)
        self.collision = collision
        # m: how deep in collision the arm was first found, held until it is clear again, so
        # that paths out of a collision (each allowed ESCAPE_SLACK deeper) never ratchet deeper
        self._escape_depth: float | None = None

    @property
    def goal(self) -> np.ndarray | None:
        """Give the newest goal in rad, (dof,) inside the limits; None before the first one."""
        return None if self._goal is None else self._goal.copy()

    @property
    def gripper_joint(self) -> str | None:
        """Give the URDF name of the gripper joint the readings report; None without one."""
        return self.arm.gripper.joint if self.has_gripper else None

    @property
    def gripper_range(self) -> tuple[float, float]:
        """Give the gripper joint's (lower, upper), m or rad (the OM-X: closed, open in m)."""
        if self.arm.gripper is None:
            raise HardwareError(f'{self.arm.name} has no gripper')
        return self.arm.gripper.lower, self.arm.gripper.upper

    @property
    def connected(self) -> bool:
        """Return True while the arm can be commanded (always, for a simulation)."""
        return True

    @property
    def command(self) -> np.ndarray | None:
        """
        Where the arm is being sent this cycle (dof,) rad.

        The interpolated setpoint on the way to the goal; None before the arm's position is known.
        """
        setpoint = self.motion.setpoint
        return None if setpoint is None else setpoint.copy()

    def set_goal(self, positions) -> np.ndarray:
        """
        Set the goal; returns the goal actually used (clamped into the joint limits).

        The arm is taken there along the straight joint-space line from the present command.

        Raises
        ------
        InvalidJointsError
            Not one finite number per joint.
        UnsafeGoalError
            The goal, or the path to it, is in collision (the old goal stays).
        HardwareError
            The arm's position is not known yet (not connected).

        """
        q = joint_vector(self.arm, positions, 'goal')
        clamped = not bool(within_limits(self.arm, q))
        goal = clamp_to_limits(self.arm, q)
        start = self.motion.setpoint
        if start is None:
            raise HardwareError("no goal taken: the arm's position is not known yet "
                                '(not connected)')
        if self.collision is not None:
            ok, why = self.collision.check_path(start, goal,
                                                escape_from=self._held_escape_depth(start))
            if not ok:
                raise UnsafeGoalError(goal, why)
        self.goal_clamped = clamped
        self._goal = goal
        return self._goal.copy()

    def _held_escape_depth(self, start: np.ndarray) -> float | None:
        """
        Return the depth (m) a path from ``start`` may escape from; None when ``start`` is clear.

        The depth at which the arm was first found in collision, held across goals (an
        interrupted escape starts its next path deeper than that: its own depth would let each
        path go deeper again) until the arm is clear; deeper only where a hand put it
        (:meth:`_found_at`).
        """
        report = self.collision.check(start)
        if report.clear[0]:
            self._escape_depth = None
        elif self._escape_depth is None:
            self._escape_depth = float(report.depth[0])
        return self._escape_depth

    def _found_at(self, positions) -> None:
        """
        Take the arm found at ``positions`` by something other than a command.

        Torque on, a reconnect, moved by hand: deeper in collision than any command could have
        taken it (the held depth and ESCAPE_SLACK), that is the depth it escapes from now.
        Otherwise the held depth stays (a torque off and on after an interrupted escape must not
        start a new allowance).
        """
        if self._escape_depth is not None and self.collision is not None:
            depth = float(self.collision.check(np.asarray(positions, float)).depth[0])
            if depth > self._escape_depth + ESCAPE_SLACK:
                self._escape_depth = depth

    def clear_goal(self) -> None:
        """Forget the goal (e.g. after torque off, so torque on holds the present pose)."""
        self._goal = None

    def hold(self, positions) -> None:
        """
        Hold the arm at ``positions`` (dof,) rad.

        No goal, the motion restarts from rest (torque on, a reconnect, or the arm moved by hand).
        """
        self._goal = None
        self._found_at(positions)
        self.motion.reset(positions)

    def set_gripper(self, metres: float) -> float:
        """
        Gripper goal: the gripper joint (m or rad), clamped into the arm's gripper range.

        The OM-X's ``gripper_left_joint`` is in m, the OMX-F's ``gripper_joint_1`` in rad.

        Sent within one cycle, and forgotten on torque off/on and reconnects (never replayed).
        Returns the position used.

        Raises
        ------
        HardwareError
            No gripper, or not a finite number.

        """
        if not self.has_gripper:
            raise HardwareError('this arm has no gripper configured')
        try:
            used, _ = clamp_gripper(metres, self.arm.gripper)
        except ValueError as e:
            raise HardwareError(str(e)) from e
        self._set_gripper_goal(used)
        return used

    def set_torque(self, enabled: bool) -> None:
        """
        Torque on (holding the present pose, never an old command) or off.

        The arm can be moved by hand.

        Raises
        ------
        HardwareError
            The backend has no torque to switch, or the servos refused.

        """
        raise HardwareError(f'{type(self).__name__} has no torque to switch')

    def set_max_velocity(self, rad_per_s: float) -> None:
        """
        Change the joint speed limit at run time (rad/s, up to the arm's fastest joint's).

        Raises
        ------
        HardwareError
            Not a speed in (0, the arm's fastest joint's], or the servos refused it.

        """
        self.motion.max_velocity = check_speed('max_velocity', rad_per_s, self.velocity_limit)

    def true_tool_pose(self) -> np.ndarray | None:
        """
        Return the tool's true pose (7,) where the backend knows it; None for a real arm.

        A simulated imperfect arm, for a simulated tracker.
        """
        return None

    def health(self) -> Health:
        """
        Report whether connected, and the faults of the last cycle that reported any.

        A healthy cycle clears them; a cycle that could not read keeps them.
        """
        return Health(self.connected, list(self._faults))

    def cycle(self, dt: float) -> JointReading:
        """Advance one control cycle of ``dt`` seconds towards the goal; return the state."""
        if self._goal is not None and self.motion.setpoint is not None:
            self.motion.step(self._goal, dt)
        reading = self._step(dt)
        if reading.ok and not self.torque_enabled:  # moved by hand: start from where it is
            self._found_at(reading.positions)
            self.motion.reset(reading.positions)
        if reading.faults:
            self._faults = list(reading.faults)
        elif reading.ok:
            self._faults = []
        return reading

    def open(self, torque: bool | None = None) -> None:  # noqa: A003 (the backend interface)
        """
        Connect and set up the arm, then set its torque as ``torque`` says.

        True: torque on, holding the present pose. False: limp, as a managed driver's configure
        leaves it. None: as it was (a reconnect keeps what the arm had).

        Raises
        ------
        HardwareError
            The arm cannot be reached or set up (left with torque off).

        """
        if torque is not None:
            self.set_torque(torque)

    def close(self) -> None:
        """
        Disconnect (torque as configured).

        Default: nothing to do.
        """

    @abstractmethod
    def _step(self, dt: float) -> JointReading:
        """One control cycle: move to (or command) :attr:`command`, then read."""

    @abstractmethod
    def _set_gripper_goal(self, metres: float) -> None:
        """Take a validated, clamped gripper goal (m)."""
