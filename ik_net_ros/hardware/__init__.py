"""
Layer 9: the arm behind one interface.

Simulated arm; Dynamixel bus via dynamixel-sdk; the same on a servo emulator.
"""

from ik_net_ros.arm.servo_models import servo_model, SERVO_MODELS
from ik_net_ros.hardware.base import ArmBackend, Health, JointReading
from ik_net_ros.hardware.factory import (
    backend_arm_of,
    BACKENDS,
    BackendSettings,
    make_backend,
)
from ik_net_ros.hardware.gripper import GRIPPER_JOINTS
from ik_net_ros.hardware.sim import SimulatedArm

__all__ = ['ArmBackend', 'JointReading', 'Health', 'SimulatedArm', 'BACKENDS',
           'BackendSettings', 'make_backend', 'GRIPPER_JOINTS', 'backend_arm_of',
           'SERVO_MODELS', 'servo_model']
