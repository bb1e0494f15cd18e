"""
The OM-X as the files of before issue 33 described it: an old ``geometry`` mapping and its arm.

Tests of old files write :data:`OMX_GEOMETRY` (what ROBOTIS's humble OM-X's calibration and
model files held); tests whose cases are old geometries build their arm with :func:`omx_with`
(``arm.with_errors(legacy_errors(...))``, the one conversion of those mappings,
:mod:`ik_net_ros.kinematics.legacy_geometry`), so the numbers are the ones they always were.
"""

from ik_net_ros.arm import Arm, default_arm
from ik_net_ros.kinematics.legacy_geometry import legacy_errors, legacy_values

# ROBOTIS's humble OM-X under the old file's names (m, rad)
OMX_GEOMETRY = {'base_height': 0.017, 'joint1_x': 0.012, 'shoulder_height': 0.0595,
                'upper_arm_x': 0.024, 'upper_arm_z': 0.128, 'forearm': 0.124, 'tool': 0.126,
                'joint_offsets': [0.0, 0.0, 0.0, 0.0]}


def omx_values(**fields) -> dict:
    """Return the old geometry mapping of the humble OM-X with ``fields`` changed (unchecked)."""
    values = legacy_values({})
    values.update(fields)
    return values


def omx_with(**fields) -> Arm:
    """
    Return the OM-X whose old geometry mapping is the nominal one with ``fields`` changed.

    Unchecked (a test may go beyond what a file may hold); ``base_height`` 0: ROBOTIS's jazzy
    description, as an old file's.
    """
    values = omx_values(**fields)
    arm = default_arm('jazzy' if values['base_height'] == 0.0 else 'humble')
    return arm.with_errors(legacy_errors(arm, values))


def omx_leaning(offsets=(0.0,) * 4, tilts=(0.0,) * 8, arm: Arm | None = None) -> Arm:
    """
    Return the OM-X (``arm``, default the humble one) with joint offsets and axis tilts.

    ``offsets`` (4,) rad, ``tilts`` (8,) rad, two per joint: an old file's ``joint_offsets`` and
    ``axis_tilts``, which on the one chain are exactly its errors' offsets and tilts.
    """
    from ik_net_ros.arm import ChainErrors
    import numpy as np
    arm = default_arm() if arm is None else arm
    return arm.with_errors(ChainErrors(offsets, np.zeros((4, 3)), np.reshape(tilts, (4, 2))))
