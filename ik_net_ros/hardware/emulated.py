"""
The Dynamixel backend on its own servo emulator.

Dynamixel-sdk talks to emulated XM430s on a pseudo-terminal, so the real driver code runs with no
arm attached.
"""

from __future__ import annotations

from dataclasses import replace

from ik_net_ros.hardware.dynamixel import DynamixelArm, DynamixelConfig
from ik_net_ros.hardware.emulator import ServoEmulator
from ik_net_ros.hardware.xm430 import rad_to_raw
from ik_net_ros.kinematics import HOME_POSE

__all__ = ['EmulatedArm', 'EMULATOR_PACKET_TIMEOUT']

EMULATOR_PACKET_TIMEOUT = 300.0  # ms


class EmulatedArm(DynamixelArm):
    """
    A :class:`DynamixelArm` whose bus is a :class:`ServoEmulator` it owns.

    Started here, stopped by :meth:`close`.

    Parameters
    ----------
    config
        The servo settings (its port is replaced by the emulator's).
    home
        The servos' start pose, rad.
    leftovers
        'factory' or 'jazzy' (see :class:`ServoEmulator`).
    **limits
        Max_velocity, max_acceleration, collision (see :class:`DynamixelArm`).

    """

    def __init__(self, config: DynamixelConfig, home=HOME_POSE, leftovers: str = 'factory',
                 **limits):
        ids = list(config.ids) + ([config.gripper_id] if config.gripper_id else [])
        positions = dict(zip(config.ids, rad_to_raw(home).tolist()))
        self.emulator = ServoEmulator(ids=ids, positions=positions, leftovers=leftovers,
                                      gripper_id=config.gripper_id).start()
        # its servos are a thread of this process: on a busy machine a reply can wait for the
        # scheduler longer than the SDK's 34 ms (a real servo answers in microseconds)
        timeout = max(config.min_packet_timeout, EMULATOR_PACKET_TIMEOUT)
        super().__init__(replace(config, port=str(self.emulator.port_path),
                                 min_packet_timeout=timeout), **limits)

    def close(self) -> None:
        try:
            super().close()
        finally:
            self.emulator.stop()
