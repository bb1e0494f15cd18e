"""
The planar arm, a named special case of the one chain: a pitch chain under a base yaw.

ROBOTIS's small arms have this shape: joint1 turns about the base's z axis; joints 2-4 pitch
about parallel y axes, so the arm between joint2 and the wrist lies in one vertical plane through
joint1's axis; the OMX-F adds joint5, a roll about the tool's x axis. Its closed form, the
projection of a pose onto what it can reach and the branch rules (``kinematics/inverse.py`` and
its neighbours) work on :class:`PlanarChain`, the numbers of that shape read off an
:class:`~ik_net_ros.arm.Arm` (its description plus its errors' offsets and in-plane origin
deltas). :func:`planar_chain` decides by the arm's shape; an arm of another shape (the OMY) has
none, and an arm whose axes lean (a calibration's tilts) is solved in :meth:`Arm.upright
<ik_net_ros.arm.Arm.upright>` first and corrected in its own geometry (``solver/tilt_stage.py``).
Lengths in metres, angles in radians.
"""

from __future__ import annotations

from dataclasses import dataclass
import functools
import math

from ik_net_ros.arm import Arm

__all__ = ['PlanarChain', 'NotPlanarError', 'planar_chain', 'is_planar']

_Z, _Y, _X = (0.0, 0.0, 1.0), (0.0, 1.0, 0.0), (1.0, 0.0, 0.0)


class NotPlanarError(ValueError):
    """An arm that is not a pitch chain under a base yaw (with or without a wrist roll)."""

    def __init__(self, arm: Arm, why: str):
        super().__init__(f'{arm.name} is not a planar pitch chain under a base yaw: {why}')


@dataclass(frozen=True)
class PlanarChain:
    """
    The numbers of a planar arm (every joint's frame unrotated at q = 0).

    Attributes
    ----------
    base_height
        Z of joint1 in the base frame, m.
    joint1_x
        X of joint1 in the base frame, m.
    shoulder_height
        Z of joint2 above joint1, m.
    upper_arm_x, upper_arm_z
        Joint3 in the joint2 frame, m.
    forearm
        X of joint4 (the wrist pitch) in the joint3 frame, m.
    tool
        X of the tool centre point from joint4's axis, m (through the roll joint if any).
    tool_y, tool_z
        The tool centre point off the roll axis, m, in the last link's frame (turned by the
        roll): zero on an arm without a roll.
    roll
        Whether joint5 rolls about the tool's x axis (the OMX-F) or there is no joint5 (OM-X).
    joint_offsets
        rad added to each commanded joint value to give the link's (a calibration's).

    """

    base_height: float
    joint1_x: float
    shoulder_height: float
    upper_arm_x: float
    upper_arm_z: float
    forearm: float
    tool: float
    tool_y: float = 0.0
    tool_z: float = 0.0
    roll: bool = False
    joint_offsets: tuple[float, ...] = (0.0, 0.0, 0.0, 0.0)

    @property
    def dof(self) -> int:
        """Return the number of joints (4, or 5 with the roll)."""
        return 5 if self.roll else 4

    @property
    def has_offsets(self) -> bool:
        """Return whether any joint has a non-zero offset."""
        return any(self.joint_offsets)

    @property
    def shoulder_z(self) -> float:
        """Z of joint2 in the base frame, m."""
        return self.base_height + self.shoulder_height

    @property
    def upper_arm(self) -> float:
        """Length joint2 -> joint3, m (joints 2-3 act as one link with an offset angle)."""
        return math.hypot(self.upper_arm_x, self.upper_arm_z)

    @property
    def upper_arm_offset(self) -> float:
        """Angle of the joint2 -> joint3 link from the joint2 z axis, rad."""
        return math.atan2(self.upper_arm_x, self.upper_arm_z)


def _origins(arm: Arm):
    """Return each joint's origin xyz with the errors' deltas, and the tool's."""
    deltas = arm.errors.origin_deltas
    xyz = [tuple(o + d for o, d in zip(j.origin.xyz, delta))
           for j, delta in zip(arm.joints, deltas)]
    tool = tuple(o + d for o, d in zip(arm.tool.xyz, arm.errors.tool_delta))
    return xyz, tool


def _shape_problem(arm: Arm) -> str | None:
    """Return why ``arm`` is not of the planar shape, or None if it is."""
    if arm.dof not in (4, 5):
        return f'{arm.dof} joints (4, or 5 with a wrist roll)'
    axes = (_Z, _Y, _Y, _Y, _X)[:arm.dof]
    for j, axis in zip(arm.joints, axes):
        if j.type != 'revolute' or j.axis != axis:
            return f'{j.name} is a {j.type} joint about {j.axis}, this shape needs a revolute ' \
                   f'one about {axis}'
        if any(j.origin.rpy):
            return f'{j.name} origin is rotated (rpy {j.origin.rpy})'
    if any(arm.tool.rpy):
        return f'the tool frame is rotated (rpy {arm.tool.rpy})'
    if arm.has_tilts:
        return 'its axes lean (solve arm.upright(), then correct)'
    xyz, tool = _origins(arm)
    if any(p[1] for p in xyz):
        return "a joint origin off the arm's plane (y != 0)"
    if xyz[1][0]:
        return "joint2 off joint1's axis (x != 0)"
    if any(p[2] for p in xyz[3:]) or (arm.dof == 4 and (tool[1] or tool[2])):
        return "the wrist or tool off the forearm's axis"
    return None


@functools.lru_cache(maxsize=64)
def planar_chain(arm: Arm) -> PlanarChain:
    """
    Return the planar chain of ``arm`` (its errors' offsets and origin deltas included).

    Raises
    ------
    NotPlanarError
        ``arm`` is of another shape, or leans (then take ``arm.upright()``).

    """
    problem = _shape_problem(arm)
    if problem:
        raise NotPlanarError(arm, problem)
    xyz, tool = _origins(arm)
    roll = arm.dof == 5
    return PlanarChain(
        base_height=xyz[0][2], joint1_x=xyz[0][0], shoulder_height=xyz[1][2],
        upper_arm_x=xyz[2][0], upper_arm_z=xyz[2][2], forearm=xyz[3][0],
        tool=xyz[4][0] + tool[0] if roll else tool[0], tool_y=tool[1], tool_z=tool[2],
        roll=roll, joint_offsets=tuple(arm.errors.offsets))


def is_planar(arm: Arm) -> bool:
    """Return whether ``arm.upright()`` is a planar pitch chain under a base yaw."""
    return _shape_problem(arm.upright()) is None
