"""
MIGRATION BRIDGE (issue 33), deleted with ``kinematics/arm_bridge.py``.

The solver passes its :class:`~ik_net_ros.arm.Arm` to every kinematics function but
:func:`~ik_net_ros.kinematics.closest_reachable.closest_reachable`, which still takes the OM-X's
ArmGeometry: :func:`closest` calls it with one, and says plainly where an arm has none.
"""

from __future__ import annotations

from ik_net_ros.arm import Arm
from ik_net_ros.errors import UnreachableError
from ik_net_ros.kinematics.arm_bridge import geometry_of
from ik_net_ros.kinematics.closest_reachable import closest_reachable
import numpy as np

__all__ = ['closest']


def closest(poses, arm: Arm) -> np.ndarray:
    """
    Return :func:`~ik_net_ros.kinematics.closest_reachable.closest_reachable` of ``arm``.

    Raises
    ------
    UnreachableError
        An arm it does not take yet (not the OM-X's shape): no nearest reachable pose is known.

    """
    try:
        geometry = geometry_of(arm)  # bridge
    except ValueError as e:
        p = np.asarray(poses, float).reshape(-1, 7)
        raise UnreachableError(np.ones(len(p), bool), [f'no nearest reachable pose: {e}'] * len(p),
                               p[0, :3]) from e
    return closest_reachable(poses, geometry)
