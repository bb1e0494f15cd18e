"""
The one reader of the OM-X's files of before issue 33: a ``geometry`` mapping -> the OM-X Arm.

Calibrations (versions 1 and 2), model files without an arm record and true-arm files written
before the arm became one object hold the OM-X's old ``ArmGeometry`` as a mapping: lengths
(``base_height``, ``joint1_x``, ``shoulder_height``, ``upper_arm_x``, ``upper_arm_z``,
``forearm``, ``tool``, m), ``joint_offsets`` (4, rad) and ``axis_tilts`` (8, rad: joint1 about
x then y, joints 2-4 about x then z). On the one chain the same arm is the OM-X plus
:class:`~ik_net_ros.kinematics.chain.ChainErrors` and the two describe the same motion exactly:
``joint_offsets`` -> offsets, ``axis_tilts`` -> tilts (the chain's own tilt axes for a z and a
y axis), the joint origins (joint1 at (``joint1_x``, 0, ``base_height``), joint2
``shoulder_height`` above it, joint3 at (``upper_arm_x``, 0, ``upper_arm_z``), joint4 ``forearm``
and the tool ``tool`` along x) -> origin deltas and the tool delta from the arm's description.
A file with ``base_height`` 0 is of ROBOTIS's jazzy description (joint1 17 mm lower).

Every loader of those files calls :func:`legacy_arm` (its bounds: :func:`legacy_values`).
"""

from __future__ import annotations

from ik_net_ros.arm import Arm, ChainErrors, default_arm
from ik_net_ros.arm.errors import LENGTH_TOLERANCE as LINK_TOLERANCE  # every calibration's bound
from ik_net_ros.arm.errors import OFFSET_TOLERANCE, TILT_TOLERANCE
import numpy as np

__all__ = ['legacy_arm', 'legacy_errors', 'legacy_values', 'LINK_FIELDS', 'TILT_NAMES',
           'LINK_TOLERANCE', 'OFFSET_TOLERANCE', 'TILT_TOLERANCE', 'BASE_HEIGHT_RANGE']

# the lengths a real arm gets wrong (base_height and shoulder_height only ever act as a sum, so
# calibration kept the description's base height and fitted the shoulder height)
LINK_FIELDS = ('joint1_x', 'shoulder_height', 'upper_arm_x', 'upper_arm_z', 'forearm', 'tool')
# the two tilts of each joint's axis, in a file's order
TILT_NAMES = ('tilt1_x', 'tilt1_y', 'tilt2_x', 'tilt2_z', 'tilt3_x', 'tilt3_z', 'tilt4_x',
              'tilt4_z')
_FIELDS = ('base_height',) + LINK_FIELDS + ('joint_offsets', 'axis_tilts')
_OMX_AXES = [(0.0, 0.0, 1.0)] + [(0.0, 1.0, 0.0)] * 3  # joint1 about z, joints 2-4 about y

# what a file may claim an OM-X to be: each link within LINK_TOLERANCE of the nominal arm (real
# ones differ by 1-2 mm; a fit that lands further off took the tracker's frame or a marker for
# the arm), each servo horn within OFFSET_TOLERANCE of zero, joint1 within 0.1 m of the base
# frame's origin
BASE_HEIGHT_RANGE = (-0.1, 0.1)  # m


def _nominal() -> dict[str, float]:
    """Return the humble OM-X's lengths under the file's names (m)."""
    origins = [j.origin.xyz for j in default_arm().joints]
    return {'base_height': origins[0][2], 'joint1_x': origins[0][0],
            'shoulder_height': origins[1][2], 'upper_arm_x': origins[2][0],
            'upper_arm_z': origins[2][2], 'forearm': origins[3][0],
            'tool': default_arm().tool.xyz[0]}


def legacy_values(data) -> dict:
    """
    Return a file's OM-X ``geometry`` mapping checked, every field filled in.

    The known fields only, each a finite number: links within :data:`LINK_TOLERANCE` of the
    nominal arm (so positive), offsets within :data:`OFFSET_TOLERANCE`, tilts within
    :data:`TILT_TOLERANCE`, base height in :data:`BASE_HEIGHT_RANGE` (m, rad). Missing fields
    are the humble OM-X's (offsets and tilts zero). Offsets and tilts come back as tuples.

    Raises
    ------
    ValueError
        Anything else, naming the field and the bound.

    """
    from ik_net_ros.bounded_files import check_number
    if not isinstance(data, dict):
        raise ValueError(f'a geometry is a mapping of lengths, got {type(data).__name__}')
    unknown = set(data) - set(_FIELDS)
    if unknown:
        raise ValueError(f'unknown geometry field(s) {sorted(map(str, unknown))[:5]}')
    nominal = _nominal()
    values = {'base_height': check_number(data.get('base_height', nominal['base_height']),
                                          'base_height', *BASE_HEIGHT_RANGE)}
    for name in LINK_FIELDS:
        values[name] = check_number(data.get(name, nominal[name]), name,
                                    nominal[name] - LINK_TOLERANCE,
                                    nominal[name] + LINK_TOLERANCE)
    offsets = data.get('joint_offsets', [0.0] * 4)
    if not isinstance(offsets, (list, tuple)) or len(offsets) != 4:
        raise ValueError('joint_offsets must be a list of 4 angles')
    values['joint_offsets'] = tuple(
        check_number(v, f'joint_offsets[{i}]', -OFFSET_TOLERANCE, OFFSET_TOLERANCE)
        for i, v in enumerate(offsets))
    tilts = data.get('axis_tilts', [0.0] * len(TILT_NAMES))
    if not isinstance(tilts, (list, tuple)) or len(tilts) != len(TILT_NAMES):
        raise ValueError(f'axis_tilts must be a list of {len(TILT_NAMES)} angles')
    values['axis_tilts'] = tuple(
        check_number(v, f'axis_tilts[{i}]', -TILT_TOLERANCE, TILT_TOLERANCE)
        for i, v in enumerate(tilts))
    return values


def legacy_errors(arm: Arm, values) -> ChainErrors:
    """
    Return the errors that make ``arm`` (an OM-X) move as the old geometry ``values`` says.

    ``values``: a mapping with every field of :func:`legacy_values` (m, rad); not checked here.

    Raises
    ------
    ValueError
        ``arm`` is not an OM-X (4 joints, joint1 about z, joints 2-4 about y).

    """
    axes = [tuple(j.axis) for j in arm.joints]
    if axes != _OMX_AXES:
        raise ValueError(f'an ArmGeometry describes an OM-X; {arm.name} has axes {axes}')
    v = values
    origins = [(v['joint1_x'], 0.0, v['base_height']), (0.0, 0.0, v['shoulder_height']),
               (v['upper_arm_x'], 0.0, v['upper_arm_z']), (v['forearm'], 0.0, 0.0)]
    deltas = np.array(origins) - np.array([j.origin.xyz for j in arm.joints])
    tilts = np.reshape(v['axis_tilts'], (4, 2))
    tool = np.array([v['tool'], 0.0, 0.0]) - np.array(arm.tool.xyz)
    return ChainErrors(v['joint_offsets'], deltas, tilts, tool)


def legacy_arm(data, arm: Arm | None = None) -> Arm:
    """
    Return the OM-X with the errors an old file's ``geometry`` mapping describes.

    ``arm``: the OM-X to put them on (None: ROBOTIS's humble OM-X, its jazzy one where the
    file's ``base_height`` is 0); its own errors are replaced.

    Raises
    ------
    ValueError
        A mapping :func:`legacy_values` refuses, or ``arm`` not an OM-X.

    """
    values = legacy_values(data)
    if arm is None:
        arm = default_arm('jazzy' if values['base_height'] == 0.0 else 'humble')
    arm = arm.nominal()
    return arm.with_errors(legacy_errors(arm, values))
