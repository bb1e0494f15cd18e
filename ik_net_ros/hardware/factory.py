"""
One place that turns settings into an arm backend.

The driver node maps its parameters to :class:`BackendSettings` and never needs to know which
backend it got.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ik_net_ros.arm import Arm, load_arm
from ik_net_ros.errors import HardwareError
from ik_net_ros.hardware.base import ArmBackend, backend_arm, default_collision
from ik_net_ros.hardware.dynamixel import DynamixelConfig
from ik_net_ros.hardware.motion import DEFAULT_ACCELERATION
from ik_net_ros.hardware.sim import SimulatedArm
from ik_net_ros.kinematics.calibration_file import load_calibration
from ik_net_ros.kinematics.true_arm import TrueArm

__all__ = ['BACKENDS', 'BackendSettings', 'make_backend', 'backend_arm_of']

BACKENDS = ('sim', 'dynamixel', 'emulated')


def backend_arm_of(name: str = 'open_manipulator_x', description: str | None = None,
                   calibration: str = '') -> Arm:
    """
    Return the arm a backend drives and its collision walls check: calibrated, or as described.

    ``name``: a shipped arm or an arm YAML (:func:`~ik_net_ros.arm.load_arm`); ``description``:
    ROBOTIS's description of it (None: its default); ``calibration``: a file of
    ``ik_net_ros calibrate`` for that arm ('' for the arm as described). Its errors are the arm's;
    the base frame stays the description's (the frame targets and the table are given in).

    Raises
    ------
    ConfigError
        Unknown arm or description (ArmError).
    DatasetError
        A calibration file that is missing, unreadable or of another arm.

    """
    arm = load_arm(name, description)
    return load_calibration(calibration, arm) if calibration else arm


@dataclass
class BackendSettings:
    """
    What the driver's parameters say about its backend.

    backend: 'sim', 'dynamixel' or 'emulated'. home: the simulated arm's start pose (also the
    emulated servos'; None: the arm's home). max_velocity (rad/s; None: the arm's fastest
    joint's), max_acceleration (rad/s^2): every backend's motion limits. table_clearance (m),
    workspace (6 floats, m, or None): what goals and paths keep clear of (see
    :class:`~ik_net_ros.kinematics.collision.CollisionModel`). dynamixel: the servo settings
    (the gripper, the description). emulator_leftovers: the emulated servos' state at start.
    arm: the arm driven, its errors included (:func:`backend_arm_of`; None: the OM-X of the
    description).
    """

    backend: str = 'sim'
    home: tuple[float, ...] | None = None
    max_velocity: float | None = None
    max_acceleration: float = DEFAULT_ACCELERATION
    table_clearance: float = 0.01
    workspace: tuple[float, ...] | None = None
    dynamixel: DynamixelConfig = field(default_factory=DynamixelConfig)
    emulator_leftovers: str = 'factory'
    true_arm: TrueArm | None = None  # the simulated arm's hidden imperfections
    arm: Arm | None = None


def make_backend(settings: BackendSettings) -> ArmBackend:
    """
    Return the backend the settings name (not yet opened).

    Raises
    ------
    HardwareError
        Unknown backend or invalid settings.

    """
    servo = settings.dynamixel
    try:
        arm = backend_arm(settings.arm, servo.description)
        collision = default_collision(arm, settings.table_clearance, settings.workspace)
    except (TypeError, ValueError) as e:
        raise HardwareError(str(e)) from e
    limits = {'max_velocity': settings.max_velocity,
              'max_acceleration': settings.max_acceleration, 'collision': collision, 'arm': arm}
    if settings.backend == 'sim':
        return SimulatedArm(home=settings.home, description=servo.description,
                            gripper=bool(servo.gripper_id), true_arm=settings.true_arm,
                            **limits)
    if settings.backend == 'dynamixel':
        from ik_net_ros.hardware.dynamixel import DynamixelArm
        return DynamixelArm(servo, **limits)
    if settings.backend == 'emulated':
        from ik_net_ros.hardware.emulated import EmulatedArm
        return EmulatedArm(servo, home=settings.home, leftovers=settings.emulator_leftovers,
                           **limits)
    raise HardwareError(f'backend {settings.backend!r} is not available; expected one of '
                        f'{BACKENDS}')
