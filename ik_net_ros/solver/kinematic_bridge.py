"""
MIGRATION BRIDGE (issue 33), deleted with ``kinematics/arm_bridge.py``: what kinematics takes.

The solver holds an :class:`~ik_net_ros.arm.Arm`. Until every kinematics function it calls
(projection, closed form, nearest, closest_reachable, small_change, forward.leaning_reach) takes
one, each call passes ``kinematic(arm)``: the arm itself where the kinematics layer takes Arms,
else the OM-X ArmGeometry of it. At the end of the migration every ``kinematic(x)`` becomes ``x``
and this module goes.
"""

from __future__ import annotations

import functools

from ik_net_ros.arm import Arm
from ik_net_ros.kinematics.arm_bridge import geometry_of

__all__ = ['kinematic', 'TAKES_ARM']

# whether the kinematics layer's solver-side functions take an Arm (wip/kinematics merged)
TAKES_ARM = False


@functools.lru_cache(maxsize=64)
def kinematic(arm: Arm):
    """
    Return what the kinematics layer takes for ``arm`` (bridge: its ArmGeometry until migrated).

    Raises
    ------
    ValueError
        An arm with no OM-X ArmGeometry (another joint count) while the layer is not migrated.

    """
    return arm if TAKES_ARM else geometry_of(arm)  # bridge
