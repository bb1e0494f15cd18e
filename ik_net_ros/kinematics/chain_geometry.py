"""
The OM-X's :class:`~ik_net_ros.kinematics.geometry.ArmGeometry` as the one chain's errors.

A bridge for issue 33's migration, deleted with ``kinematics/geometry.py``: the conversion itself
is :func:`~ik_net_ros.kinematics.legacy_geometry.legacy_errors` (the reader of the old files).
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
