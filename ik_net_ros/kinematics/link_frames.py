"""
The pose of each link of an arm's chain, as its description names them.

The first link is the one joint1 hangs from (the OM-X's ``link1``, the OMX-F's ``link0``: the
base, at the base frame's origin); then each joint's child link, turned by the joint at its
origin; last the tool frame (``end_effector_link``). The frames are the one chain's
(:func:`~ik_net_ros.kinematics.chain.chain_frames`: offsets, origin deltas and leaning axes
included), so the tool frame is exactly
:func:`~ik_net_ros.kinematics.forward.forward_kinematics`'s tool pose (tested).
"""

from __future__ import annotations

import functools
from pathlib import Path

from ik_net_ros.arm import Arm, arm_or_default, default_arm
from ik_net_ros.arm.urdf_chain import read_urdf
from ik_net_ros.kinematics.chain import chain_frames
from ik_net_ros.kinematics.rigid import matrix_to_quat

__all__ = ['LINK_NAMES', 'link_names', 'link_poses']


@functools.lru_cache(maxsize=16)
def link_names(arm: Arm) -> tuple[str, ...]:
    """
    Return the names of the chain's links: joint1's parent, each joint's child, the tool frame.

    joint1's parent is read from the arm's URDF (the file it was loaded from); an arm made in
    memory, without one, names its base frame instead.
    """
    base = arm.base_frame
    urdf = Path(arm.source.split(' (')[0]) if arm.source else None
    if urdf is not None and urdf.is_file():
        parent = {j['child']: j['parent'] for j in read_urdf(urdf)['joints']}
        base = parent.get(arm.joints[0].child, base)
    return (base, *(j.child for j in arm.joints), arm.tool_frame)


LINK_NAMES = link_names(default_arm())  # the OM-X's (humble and jazzy name them alike)


def link_poses(joints, arm=None) -> dict[str, list[float]]:
    """
    Return each link's pose [x, y, z, qx, qy, qz, qw] (m, base frame) for one configuration.

    Parameters
    ----------
    joints
        (dof,) joint1..jointN in rad (limits are not checked here; of (N, dof) the first).
    arm
        The arm (None: ROBOTIS's humble OM-X), its errors (offsets, leaning axes) included.

    Raises
    ------
    InvalidJointsError
        Wrong shape or NaN/inf.

    """
    arm = arm_or_default(arm)
    positions, rotations = chain_frames(arm, joints)
    quats = matrix_to_quat(rotations[0])  # canonical: qw >= 0
    frames = [[0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0]]  # joint1's parent: the base
    frames += [[*map(float, p), *map(float, q)] for p, q in zip(positions[0], quats)]
    return dict(zip(link_names(arm), frames))
