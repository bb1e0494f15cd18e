"""
The Universal-Robots layout, a named special case of the one chain, read off an Arm.

Six revolute joints: a base yaw (joint1), three pitch joints about parallel axes (joints 2-4,
perpendicular to joint1's), a wrist yaw (joint5, perpendicular to the pitch axes) and a wrist
pitch (joint6, perpendicular to joint5 and meeting its axis). The OMY has it (and UR's own arms,
whose DH parameters d1, a2, a3, d4, d5, d6 are the lengths below). Its closed form
(:mod:`ik_net_ros.kinematics.ur_closed_form`) needs only these facts, so the numbers are read
from the arm's joints as they stand at zero (origins, axes, the errors' offsets and origin
deltas): no arm's numbers are typed in, and origin offsets in any direction the layout allows
(a shoulder offset along the pitch axes, the forearm off the upper arm's line) are taken.

Frames: the *layout frame* has its origin on joint1's axis (at joint1's origin), z along that
axis, y along joint2's axis (the pitch axis at joint1 = 0), x = y cross z. Every vector below is
in it, at all link angles zero (link angle = commanded joint value + the errors' offset).
Lengths in metres, angles in radians.
"""

from __future__ import annotations

from dataclasses import dataclass
import functools
import math

from ik_net_ros.arm import Arm
from ik_net_ros.kinematics.chain import chain_frames
import numpy as np

__all__ = ['URLayout', 'NotURLayoutError', 'ur_layout', 'is_ur_layout', 'check_arm',
           'LAYOUT_TOLERANCE']

LAYOUT_TOLERANCE = 1e-9  # rad between axes, m between axis lines: parallel, perpendicular, meet


class NotURLayoutError(ValueError):
    """An arm that is not of the Universal-Robots layout (see :mod:`ur_layout`)."""

    def __init__(self, arm: Arm, why: str):
        super().__init__(f'{arm.name} is not of the Universal-Robots layout (base yaw, three '
                         f'parallel pitch axes, wrist yaw, wrist pitch): {why}')


@dataclass(frozen=True)
class URLayout:
    """
    The numbers of a UR-layout arm in its layout frame, at all link angles zero.

    Attributes
    ----------
    rotation
        (3, 3) columns: the layout frame's x, y, z axes in the arm's base frame.
    origin
        (3,) the layout frame's origin (on joint1's axis) in the base frame, m.
    signs
        (6,) +-1: link angle k turns about ``signs[k]`` times the layout axis of joint k (joint1
        about +z, joints 2-4 about +-y; joints 5 and 6 about ``axis5`` and ``axis6``).
    shoulder, elbow, wrist
        (3,) joint2, joint3, joint4 origins (points on their axes), m.
    centre
        (3,) the wrist centre: where joint6's axis meets joint5's, m. Its y (``offset``) is the
        same at every pose: the pitch joints and joint5 never move it along the pitch axis.
    axis5, axis6
        (3,) unit axes of joint5 (perpendicular to y) and joint6 (perpendicular to axis5).
    beta
        rad: axis6 = cos(beta) y + sin(beta) (axis5 x y); the wrist is singular (joint6's axis
        parallel to the pitch axes) where link angle 5 + beta is 0 or pi.
    tool_position, tool_rotation
        The tool frame at zero: (3,) m and (3, 3).
    centre_in_tool
        (3,) the wrist centre in the tool frame, m (fixed: joint6 turns about a line through it).
    axis6_in_tool
        (3,) joint6's axis in the tool frame.
    offsets
        (6,) rad: the errors' offsets (link angle = joint value + offset).

    """

    rotation: np.ndarray
    origin: np.ndarray
    signs: np.ndarray
    shoulder: np.ndarray
    elbow: np.ndarray
    wrist: np.ndarray
    centre: np.ndarray
    axis5: np.ndarray
    axis6: np.ndarray
    beta: float
    tool_position: np.ndarray
    tool_rotation: np.ndarray
    centre_in_tool: np.ndarray
    axis6_in_tool: np.ndarray
    offsets: np.ndarray

    @property
    def offset(self) -> float:
        """Return the wrist centre's y (m): its offset from joint1's axis along the pitch axis."""
        return float(self.centre[1])

    @property
    def upper_arm(self) -> np.ndarray:
        """Return (3,) joint2's axis to joint3's, m (only x and z count: y runs along the axes)."""
        return self.elbow - self.shoulder

    @property
    def forearm(self) -> np.ndarray:
        """Return (3,) joint3's axis to joint4's, m."""
        return self.wrist - self.elbow

    @property
    def hand(self) -> np.ndarray:
        """Return (3,) joint4's axis to the wrist centre, m."""
        return self.centre - self.wrist

    def dh(self) -> dict[str, float]:
        """
        Return the UR DH lengths (m) of this layout where the arm is upright like a UR.

        d1: joint2's axis above the base frame's origin along joint1's axis; a2, a3: the upper
        arm and forearm in the pitch plane; d4: the wrist centre's offset along the pitch axis;
        d5: the wrist centre from joint4's axis in the pitch plane; d6: the tool from the wrist
        centre. For reports and checks; the closed form uses the vectors.
        """
        return {'d1': float(self.shoulder[2] + self.origin @ self.rotation[:, 2]),
                'a2': float(np.hypot(*self.upper_arm[[0, 2]])),
                'a3': float(np.hypot(*self.forearm[[0, 2]])),
                'd4': self.offset,
                'd5': float(np.hypot(*self.hand[[0, 2]])),
                'd6': float(np.linalg.norm(self.centre_in_tool))}


def _unit(v) -> np.ndarray:
    return np.asarray(v, dtype=float) / np.linalg.norm(v)


def _lines_meet(p, a, q, b) -> tuple[float, np.ndarray]:
    """Return the distance between lines p + s a and q + t b (not parallel) and their midpoint."""
    n = np.cross(a, b)
    nn = float(n @ n)
    d = q - p
    s = float(np.cross(d, b) @ n) / nn
    t = float(np.cross(d, a) @ n) / nn
    x, y = p + s * a, q + t * b
    return float(np.linalg.norm(x - y)), 0.5 * (x + y)


def _read(arm: Arm) -> URLayout | str:
    """Return the layout of ``arm``, or why it has none."""
    if arm.dof != 6:
        return f'{arm.dof} joints, the layout has 6'
    for j in arm.joints:
        if j.type != 'revolute':
            return f'{j.name} is a {j.type} joint'
    offsets = np.array(arm.errors.offsets)
    positions, rotations = chain_frames(arm, -offsets)  # every link angle zero
    positions, rotations = positions[0], rotations[0]
    axes = [rotations[k] @ np.array(j.axis) for k, j in enumerate(arm.joints)]
    names = arm.joint_names
    a1, p = axes[0], axes[1]
    tol = LAYOUT_TOLERANCE
    if abs(a1 @ p) > tol:
        return f'{names[1]} axis is not perpendicular to {names[0]} axis'
    for k in (2, 3):
        if np.linalg.norm(np.cross(axes[k], p)) > tol:
            return f'{names[k]} axis is not parallel to {names[1]} axis'
    if abs(axes[4] @ p) > tol:
        return f'{names[4]} axis is not perpendicular to the pitch axes'
    if abs(axes[5] @ axes[4]) > tol:
        return f'{names[5]} axis is not perpendicular to {names[4]} axis'
    gap, centre = _lines_meet(positions[4], axes[4], positions[5], axes[5])
    if gap > tol:
        return f'{names[5]} axis misses {names[4]} axis by {gap:.3g} m'
    rotation = np.column_stack([np.cross(p, a1), p, a1])
    origin = positions[0]

    def local(point):
        return rotation.T @ (point - origin)
    axis5, axis6 = _unit(rotation.T @ axes[4]), _unit(rotation.T @ axes[5])
    y = np.array([0.0, 1.0, 0.0])
    w = np.cross(axis5, y)
    tool_rotation = rotation.T @ rotations[-1]
    tool_position = local(positions[-1])
    centre = local(centre)
    layout = URLayout(
        rotation=rotation, origin=origin,
        signs=np.array([1.0, 1.0, np.sign(axes[2] @ p), np.sign(axes[3] @ p), 1.0, 1.0]),
        shoulder=local(positions[1]), elbow=local(positions[2]), wrist=local(positions[3]),
        centre=centre, axis5=axis5, axis6=axis6,
        beta=math.atan2(float(axis6 @ w), float(axis6 @ y)),
        tool_position=tool_position, tool_rotation=tool_rotation,
        centre_in_tool=tool_rotation.T @ (centre - tool_position),
        axis6_in_tool=tool_rotation.T @ axis6, offsets=offsets)
    for value in vars(layout).values():  # cached and shared: nobody may change it
        if isinstance(value, np.ndarray):
            value.setflags(write=False)
    return layout


def check_arm(arm) -> Arm:
    """
    Return ``arm`` if it is an :class:`~ik_net_ros.arm.Arm`.

    Raises
    ------
    TypeError
        Anything else.

    """
    if not isinstance(arm, Arm):
        raise TypeError(f'expected an Arm (ik_net_ros.arm.load_arm), got {type(arm).__name__}')
    return arm


@functools.lru_cache(maxsize=64)
def _layout(arm: Arm) -> URLayout | str:
    return _read(arm)


def ur_layout(arm: Arm) -> URLayout:
    """
    Return the UR layout of ``arm`` (its errors' offsets and origin deltas included).

    Raises
    ------
    NotURLayoutError
        ``arm`` is of another shape, or its axes lean off it (a calibration's tilts: take
        ``arm.upright()`` and correct in the arm's own geometry).
    TypeError
        ``arm`` is not an Arm.

    """
    layout = _layout(check_arm(arm))
    if isinstance(layout, str):
        raise NotURLayoutError(arm, layout)
    return layout


def is_ur_layout(arm: Arm) -> bool:
    """Return whether ``arm`` is of the UR layout (see :func:`ur_layout`)."""
    return not isinstance(_layout(check_arm(arm)), str)
