"""Shared by the tests that talk to the servo emulator through dynamixel-sdk."""

from ik_net_ros.hardware.dynamixel import DynamixelConfig
from ik_net_ros.hardware.emulated import EMULATOR_PACKET_TIMEOUT

IDS = (11, 12, 13, 14)


def emulator_config(emulator, **settings) -> DynamixelConfig:
    """
    Give the settings for the emulator's port.

    Replies waited for as long as the emulated backend does (its servos are a thread here: on a
    busy machine a reply can wait for the scheduler longer than the SDK's 34 ms).
    """
    return DynamixelConfig(port=str(emulator.port_path),
                           min_packet_timeout=EMULATOR_PACKET_TIMEOUT, **settings)
