"""
Layer 0, the arm as one object: joints, limits, tool frame, capsules and servos of a ROBOTIS arm.

Issue 33's foundation: every layer above takes an :class:`Arm` (None: :func:`default_arm`, the
OM-X) and walks it on :mod:`ik_net_ros.kinematics.chain`; no layer holds an arm's numbers of its
own.

An arm is a URDF (ROBOTIS's, xacro expanded, shipped in ``descriptions/``) plus a YAML of what
the URDF lacks or gets wrong (the real joint limits, the home pose, collision capsules, servos,
the tool frame): ``load_arm('omx_f')``. This layer imports nothing of ik_net_ros but the core
modules :mod:`ik_net_ros.errors` and :mod:`ik_net_ros.bounded_files` (the one reader of files a
user names); yourdfpy and xacro are imported only while an arm is loaded.
"""

from ik_net_ros.arm.errors import ChainErrors
from ik_net_ros.arm.loading import (
    arm_descriptions,
    ARM_NAMES,
    arm_or_default,
    DEFAULT_ARM,
    default_arm,
    load_arm,
)
from ik_net_ros.arm.model import Arm, Capsule, Gripper, Joint, Origin, Servo
from ik_net_ros.arm.urdf_chain import ArmError

__all__ = ['Arm', 'arm_descriptions', 'arm_or_default', 'ArmError', 'ARM_NAMES', 'Capsule',
           'ChainErrors', 'DEFAULT_ARM', 'default_arm', 'Gripper', 'Joint', 'load_arm', 'Origin',
           'Servo']
