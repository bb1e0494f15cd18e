"""Layer 6: the arm behind one interface (simulated arm; Dynamixel bus via dynamixel-sdk)."""

from ik_net_ros.hardware.base import ArmBackend, JointReading
from ik_net_ros.hardware.sim import SimulatedArm

__all__ = ['ArmBackend', 'JointReading', 'SimulatedArm']
