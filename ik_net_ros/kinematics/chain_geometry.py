"""
The OM-X's :class:`~ik_net_ros.kinematics.geometry.ArmGeometry` as the one chain's errors.

A bridge for issue 33's migration (deleted with ``kinematics/geometry.py``): calibrations and model files of today hold an
``ArmGeometry`` (lengths, joint offsets, axis tilts); on the chain the same arm is the OM-X's
:class:`~ik_net_ros.arm.Arm` plus :class:`~ik_net_ros.kinematics.chain.ChainErrors`, and the two
describe the same motion exactly (tests: equal to 1e-12 with offsets, link deltas and tilts):

- ``joint_offsets`` -> offsets; ``axis_tilts`` (joint1 about x then y, joints 2-4 about x then
  z) -> tilts, the chain's own tilt axes for a z and a y axis;
- joint1 at (``joint1_x``, 0, ``base_height``), joint2 ``shoulder_height`` above it, joint3 at
  (``upper_arm_x``, 0, ``upper_arm_z``), joint4 ``forearm`` and the tool ``tool`` along x -> the
  origin deltas and the tool delta from the arm's description. The arm's description fixes the
  nominal base height: a geometry of the other description differs by its joint1 delta.
"""

from __future__ import annotations

from dataclasses import asdict

from ik_net_ros.arm import Arm
from ik_net_ros.kinematics.chain import ChainErrors
from ik_net_ros.kinematics.geometry import ArmGeometry
from ik_net_ros.kinematics.legacy_geometry import legacy_errors

__all__ = ['chain_errors_of_geometry']


def chain_errors_of_geometry(arm: Arm, geometry: ArmGeometry) -> ChainErrors:
    """
    Return the errors that make ``arm`` (an OM-X) move as ``geometry`` says.

    :func:`~ik_net_ros.kinematics.legacy_geometry.legacy_errors` of its fields (the one copy).

    Raises
    ------
    ValueError
        ``arm`` is not an OM-X (4 joints, joint1 about z, joints 2-4 about y).

    """
    return legacy_errors(arm, asdict(geometry))
