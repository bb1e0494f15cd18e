"""Shared by the tests that talk to the servo emulator through dynamixel-sdk."""

import time

from ik_net_ros.hardware.dynamixel import _Port, DynamixelConfig
from ik_net_ros.hardware.emulated import EMULATOR_PACKET_TIMEOUT
from ik_net_ros.hardware.xm430 import ADDR
from waiting import WAIT

IDS = (11, 12, 13, 14)


def emulator_config(emulator, **settings) -> DynamixelConfig:
    """
    Give the settings for the emulator's port.

    Replies waited for as long as the emulated backend does (its servos are a thread here: on a
    busy machine a reply can wait for the scheduler longer than the SDK's 34 ms).
    """
    return DynamixelConfig(port=str(emulator.port_path),
                           min_packet_timeout=EMULATOR_PACKET_TIMEOUT, **settings)


def emulator_port(emulator) -> _Port:
    """
    Give dynamixel-sdk's port to ``emulator`` (not open), waiting for replies as the backend does.

    The SDK's own packet timeout (about 34 ms at 1 Mbps) suits a real servo; the emulator's
    servos are a thread of the test's process, which a busy machine can hold off longer (a ping
    timed out beside two busy loops). The backend's own port class: the one copy of that rule.
    """
    return _Port(str(emulator.port_path), EMULATOR_PACKET_TIMEOUT)


def run_until(arm, condition, timeout=WAIT):
    """
    Cycle ``arm`` (10 ms reads) until ``condition(reading)`` holds; return that reading.

    Raises
    ------
    AssertionError
        ``timeout`` s passed first (:data:`waiting.WAIT`: the emulator's thread may wait for a
        core on a busy machine).

    """
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        reading = arm.cycle(0.01)
        if condition(reading):
            return reading
        time.sleep(0.005)
    raise AssertionError('condition not met')


def goal_raw(emulator, ids=IDS):
    """Return the servos' goal position registers (raw ticks), in the order of ``ids``."""
    return [emulator.servos[i]._get(ADDR.GOAL_POSITION, 4, signed=True) for i in ids]


def present_raw(emulator, ids=IDS):
    """Return the servos' present position registers (raw ticks), in the order of ``ids``."""
    return [emulator.servos[i]._get(ADDR.PRESENT_POSITION, 4, signed=True) for i in ids]
