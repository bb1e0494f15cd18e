"""
The Dynamixel backend on its own servo emulator.

Dynamixel-sdk talks to emulated servos of the arm's models on a pseudo-terminal, so the real
driver code runs with no arm attached.
"""

from __future__ import annotations

from dataclasses import replace

from ik_net_ros.arm import Arm
from ik_net_ros.hardware.base import backend_arm, joint_vector
from ik_net_ros.hardware.dynamixel import DynamixelArm, DynamixelConfig
from ik_net_ros.hardware.dynamixel_config import servo_ids
from ik_net_ros.hardware.emulator import ServoEmulator
from ik_net_ros.hardware.xm430 import rad_to_raw

__all__ = ['EmulatedArm', 'EMULATOR_PACKET_TIMEOUT', 'arm_emulator']

EMULATOR_PACKET_TIMEOUT = 300.0  # ms


def arm_emulator(arm: Arm, home=None, leftovers: str = 'factory', ids=(), gripper_id: int = -1,
                 modes: dict[int, int] | None = None, port_path=None) -> ServoEmulator:
    """
    Return (not started) an emulator of the arm's servos: their IDs, models, start pose.

    ``home``: the joints' start (rad; None: the arm's home); ``ids``, ``gripper_id``: as
    :class:`DynamixelConfig` says (the arm's unless set; gripper 0: none); ``modes``: Operating
    Mode per ID left by other software (default: the leftovers', Position at the factory).

    Raises
    ------
    InvalidJointsError
        A home that is not one value per joint.
    ValueError
        Unknown leftovers, IDs that are not the arm's (:func:`servo_ids`).

    """
    home = arm.home if home is None else home
    joint_ids, gripper = servo_ids(arm, ids, gripper_id)
    models = {i: s.model for i, s in zip(joint_ids, arm.servos)}
    if gripper:
        models[gripper] = arm.gripper.model
    positions = dict(zip(joint_ids, rad_to_raw(joint_vector(arm, home, 'home')).tolist()))
    return ServoEmulator(ids=list(models), port_path=port_path, positions=positions,
                         leftovers=leftovers, gripper_id=gripper, models=models, modes=modes)


class EmulatedArm(DynamixelArm):
    """
    A :class:`DynamixelArm` whose bus is a :class:`ServoEmulator` it owns.

    Started here, stopped by :meth:`close`.

    Parameters
    ----------
    config
        The servo settings (its port is replaced by the emulator's).
    home
        The servos' start pose, rad (None: the arm's home).
    leftovers
        'factory' or 'jazzy' (see :class:`ServoEmulator`).
    arm
        The arm (None: the OM-X of ``config.description``).
    **limits
        Max_velocity, max_acceleration, collision (see :class:`DynamixelArm`).

    """

    def __init__(self, config: DynamixelConfig, home=None, leftovers: str = 'factory',
                 arm: Arm | None = None, **limits):
        arm = backend_arm(arm, config.description)
        self.emulator = arm_emulator(arm, home, leftovers, config.ids, config.gripper_id).start()
        # its servos are a thread of this process: on a busy machine a reply can wait for the
        # scheduler longer than the SDK's 34 ms (a real servo answers in microseconds)
        timeout = max(config.min_packet_timeout, EMULATOR_PACKET_TIMEOUT)
        try:
            super().__init__(replace(config, port=str(self.emulator.port_path),
                                     min_packet_timeout=timeout), arm=arm, **limits)
        except BaseException:
            self.emulator.stop()
            raise

    def close(self) -> None:
        try:
            super().close()
        finally:
            self.emulator.stop()
