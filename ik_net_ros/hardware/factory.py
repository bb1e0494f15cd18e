"""
One place that turns settings into an arm backend.

The driver node maps its parameters to :class:`BackendSettings` and never needs to know which
backend it got.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from ik_net_ros.errors import HardwareError
from ik_net_ros.hardware.base import ArmBackend
from ik_net_ros.hardware.dynamixel import DynamixelConfig
from ik_net_ros.hardware.motion import DEFAULT_ACCELERATION
from ik_net_ros.hardware.sim import SimulatedArm
from ik_net_ros.kinematics import geometry_for, HOME_POSE, VELOCITY_LIMIT
from ik_net_ros.kinematics.arm_bridge import geometry_of
from ik_net_ros.kinematics.calibration_file import load_calibration
from ik_net_ros.kinematics.collision import CollisionModel
from ik_net_ros.kinematics.geometry import ArmGeometry
from ik_net_ros.kinematics.true_arm import TrueArm

__all__ = ['BACKENDS', 'BackendSettings', 'make_backend', 'arm_geometry']

BACKENDS = ('sim', 'dynamixel', 'emulated')


def arm_geometry(description: str, calibration: str = '') -> ArmGeometry:
    """
    Return the geometry the arm's collision walls check: calibrated, or ROBOTIS's nominal one.

    ``calibration``: a file of ``ik_net_ros calibrate`` ('' for the nominal arm). Its joint
    offsets, link lengths and axis tilts are the arm's; the base height stays the description's
    (the frame targets and the table are given in), as the ik node's solver takes it.

    Raises
    ------
    DatasetError
        A calibration file that is missing, unreadable or not an OM-X calibration.
    ValueError
        Unknown description.

    """
    nominal = geometry_for(description)
    if not calibration:
        return nominal
    return replace(geometry_of(load_calibration(calibration)),  # bridge
                   base_height=nominal.base_height)


@dataclass
class BackendSettings:
    """
    What the driver's parameters say about its backend.

    backend: 'sim', 'dynamixel' or 'emulated'. home: the simulated arm's start pose (also the
    emulated servos'). max_velocity (rad/s), max_acceleration (rad/s^2): every backend's motion
    limits. table_clearance (m), workspace (6 floats, m, or None): what goals and paths keep clear
    of (see :class:`~ik_net_ros.kinematics.collision.CollisionModel`). dynamixel: the servo
    settings (the gripper, the description). emulator_leftovers: the emulated servos' state at
    start. geometry: the arm the collision model checks (:func:`arm_geometry`; None: the
    description's nominal arm).
    """

    backend: str = 'sim'
    home: tuple[float, ...] = HOME_POSE
    max_velocity: float = VELOCITY_LIMIT
    max_acceleration: float = DEFAULT_ACCELERATION
    table_clearance: float = 0.01
    workspace: tuple[float, ...] | None = None
    dynamixel: DynamixelConfig = field(default_factory=DynamixelConfig)
    emulator_leftovers: str = 'factory'
    true_arm: TrueArm | None = None  # the simulated arm's hidden imperfections
    geometry: ArmGeometry | None = None


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
        geometry = settings.geometry or geometry_for(servo.description)
        collision = CollisionModel(geometry, settings.table_clearance, settings.workspace)
    except ValueError as e:
        raise HardwareError(str(e)) from e
    limits = {'max_velocity': settings.max_velocity,
              'max_acceleration': settings.max_acceleration, 'collision': collision}
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
