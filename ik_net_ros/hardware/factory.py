"""One place that turns settings into an arm backend: the driver node maps its parameters to
:class:`BackendSettings` and never needs to know which backend it got."""

from __future__ import annotations

from dataclasses import dataclass, field

from ik_net_ros.errors import HardwareError
from ik_net_ros.hardware.base import ArmBackend
from ik_net_ros.hardware.dynamixel import DynamixelConfig
from ik_net_ros.hardware.sim import SimulatedArm
from ik_net_ros.kinematics import HOME_POSE, VELOCITY_LIMIT
from ik_net_ros.kinematics.true_arm import TrueArm

__all__ = ['BACKENDS', 'BackendSettings', 'make_backend']

BACKENDS = ('sim', 'dynamixel', 'emulated')


@dataclass
class BackendSettings:
    """backend: 'sim', 'dynamixel' or 'emulated'. home, max_velocity: the simulated arm's start
    pose (also the emulated servos') and speed. dynamixel: the servo settings (the gripper, the
    description). emulator_leftovers: the emulated servos' state at start."""

    backend: str = 'sim'
    home: tuple[float, ...] = HOME_POSE
    max_velocity: float = VELOCITY_LIMIT
    dynamixel: DynamixelConfig = field(default_factory=DynamixelConfig)
    emulator_leftovers: str = 'factory'
    true_arm: TrueArm | None = None  # the simulated arm's hidden imperfections


def make_backend(settings: BackendSettings) -> ArmBackend:
    """The backend the settings name (not yet opened).

    Raises:
        HardwareError: unknown backend or invalid settings.
    """
    servo = settings.dynamixel
    if settings.backend == 'sim':
        return SimulatedArm(home=settings.home, max_velocity=settings.max_velocity,
                            description=servo.description, gripper=bool(servo.gripper_id),
                            true_arm=settings.true_arm)
    if settings.backend == 'dynamixel':
        from ik_net_ros.hardware.dynamixel import DynamixelArm
        return DynamixelArm(servo)
    if settings.backend == 'emulated':
        from ik_net_ros.hardware.emulated import EmulatedArm
        return EmulatedArm(servo, home=settings.home, leftovers=settings.emulator_leftovers)
    raise HardwareError(f'backend {settings.backend!r} is not available; expected one of '
                        f'{BACKENDS}')
