"""
MIGRATION BRIDGE (issue 33), deleted when the migration is done: ArmGeometry <-> Arm.

While the layers move from the OM-X's :class:`~ik_net_ros.kinematics.geometry.ArmGeometry` to
the one :class:`~ik_net_ros.arm.Arm` (its errors included), a migrated function accepts either
through :func:`as_arm`, and a migrated caller of a function not migrated yet passes
:func:`geometry_of`. Nothing may depend on this module once every layer takes an Arm.
"""

from __future__ import annotations

from ik_net_ros.arm import Arm, default_arm
from ik_net_ros.kinematics.chain_geometry import chain_errors_of_geometry
from ik_net_ros.kinematics.geometry import ArmGeometry
from ik_net_ros.kinematics.planar import planar_chain

__all__ = ['as_arm', 'geometry_of']


def as_arm(arm_or_geometry) -> Arm:
    """Return an Arm for an Arm (itself), an OM-X ArmGeometry (its arm + errors), or None."""
    if arm_or_geometry is None:
        return default_arm()
    if isinstance(arm_or_geometry, Arm):
        return arm_or_geometry
    if isinstance(arm_or_geometry, ArmGeometry):
        g = arm_or_geometry
        arm = default_arm('jazzy' if g.base_height == 0.0 else 'humble')
        return arm.with_errors(chain_errors_of_geometry(arm, g))
    raise TypeError(f'expected an Arm, got {type(arm_or_geometry).__name__}')


def geometry_of(arm) -> ArmGeometry:
    """Return the OM-X ArmGeometry of an OM-X Arm (an ArmGeometry is returned as it is)."""
    if isinstance(arm, ArmGeometry):
        return arm
    c = planar_chain(arm.upright())
    if c.roll:
        raise ValueError(f'{arm.name} has no ArmGeometry (5 joints)')
    tilts = tuple(v for t in arm.errors.tilts for v in t)
    return ArmGeometry(base_height=c.base_height, joint1_x=c.joint1_x,
                       shoulder_height=c.shoulder_height, upper_arm_x=c.upper_arm_x,
                       upper_arm_z=c.upper_arm_z, forearm=c.forearm, tool=c.tool,
                       joint_offsets=c.joint_offsets, axis_tilts=tilts)
