"""
The OM-X's :class:`~ik_net_ros.kinematics.geometry.ArmGeometry` as the one chain's errors.

A bridge for issue 33's migration: calibrations and model files of today hold an
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

from ik_net_ros.arm import Arm
from ik_net_ros.kinematics.chain import ChainErrors
from ik_net_ros.kinematics.geometry import ArmGeometry
import numpy as np

__all__ = ['chain_errors_of_geometry']


def chain_errors_of_geometry(arm: Arm, geometry: ArmGeometry) -> ChainErrors:
    """
    Return the errors that make ``arm`` (an OM-X) move as ``geometry`` says.

    Raises
    ------
    ValueError
        ``arm`` is not an OM-X (4 joints, joint1 about z, joints 2-4 about y).

    """
    axes = [tuple(j.axis) for j in arm.joints]
    if axes != [(0.0, 0.0, 1.0)] + [(0.0, 1.0, 0.0)] * 3:
        raise ValueError(f'an ArmGeometry describes an OM-X; {arm.name} has axes {axes}')
    g = geometry
    origins = [(g.joint1_x, 0.0, g.base_height), (0.0, 0.0, g.shoulder_height),
               (g.upper_arm_x, 0.0, g.upper_arm_z), (g.forearm, 0.0, 0.0)]
    deltas = np.array(origins) - np.array([j.origin.xyz for j in arm.joints])
    tilts = np.reshape(g.axis_tilts, (4, 2))
    tool = np.array([g.tool, 0.0, 0.0]) - np.array(arm.tool.xyz)
    return ChainErrors(g.joint_offsets, deltas, tilts, tool)
