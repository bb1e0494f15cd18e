"""
Where an arm's collision capsules are for joint values: their ends in the base frame.

Each capsule (:attr:`Arm.capsules <ik_net_ros.arm.Arm>`) is a segment fixed to one link plus a
radius. Its ends move with the link's frame along the one chain
(:func:`~ik_net_ros.kinematics.chain.chain_frames`, the arm's errors included: a calibrated or
leaning arm's capsules are where that arm's links are). An end that lies on a joint's origin
(the link's own, the next joint's, or the tool point for the last link) is that point as the
calibration moves it: a link a calibration lengthens lengthens its capsule, as the real bracket
does.

Two forms of the same rule: :func:`capsule_ends` (numpy, any number of configurations) and
:meth:`CapsuleFrames.ends_one` (plain floats, one configuration: the live node's fast path;
tests hold the two equal, and both equal to ``chain_frames``).
"""

from __future__ import annotations

from dataclasses import dataclass
import functools
import math

from ik_net_ros.arm import Arm
from ik_net_ros.kinematics.chain import _walk, compiled_chain  # see capsule_ends
import numpy as np

__all__ = ['CapsuleFrames', 'capsule_frames', 'capsule_ends', 'end_of', 'segment_distance',
           'gap_one', 'off_axis']

_ON_POINT = 1e-9  # m: an end this close to a joint's origin is that joint's origin
_FEW = 4  # configurations up to which the plain-float walk is the cheaper


@dataclass(frozen=True)
class _End:
    """
    One capsule end: ``frame`` the chain entry it is on (-1: the base frame), ``point`` (m).

    With ``anchored`` the end is the chain entry's own origin (``point`` unused); else it is
    ``point`` in that entry's frame (in the base frame for -1). ``along``: where the point lies
    on the entry's joint axis, its coordinate along it (m), else None (the cheap cases).
    """

    frame: int
    point: tuple[float, float, float]
    anchored: bool
    along: float | None = None


@dataclass(frozen=True)
class CapsuleFrames:
    """The capsules of one arm (its errors included) compiled for :func:`capsule_ends`."""

    arm: Arm
    ends: tuple[tuple[_End, _End], ...]

    @functools.cached_property
    def _one(self):
        """Return the chain's constants and the ends' recipes as plain floats (ends_one)."""
        joints, (_, tool_xyz) = compiled_chain(self.arm)
        consts = []
        for j in joints:
            rot = None if j.rot is None else tuple(j.rot.ravel().tolist())
            xyz = tuple(j.xyz.tolist()) if j.xyz.any() else None
            consts.append((rot, xyz, tuple(j.axis.tolist()), j.coordinate, j.offset, j.revolute))
        # per end: 0 a constant point, 1 a chain entry's origin, 2 a point in its frame
        recipes = tuple((0 if e.frame < 0 else 1 if e.anchored else 2, e.frame, e.point)
                        for pair in self.ends for e in pair)
        return tuple(consts), tuple(tool_xyz.tolist()), recipes

    def ends_one(self, q: list[float]) -> list[tuple]:
        """
        Return the capsules' ends (x, y, z) (m, base frame) of one configuration, flat.

        ``q``: dof Python floats (finite: the caller checks). Capsule c's ends are items 2c and
        2c + 1. The walk of :func:`~ik_net_ros.kinematics.chain.chain_frames` in plain floats,
        rotations as row-major 9-tuples (:meth:`walk_one`).
        """
        positions, rotations = self.walk_one(q)
        return [end_of(recipe, positions, rotations) for recipe in self._one[2]]

    @property
    def recipes(self) -> tuple:
        """Return each end's recipe for :func:`end_of`, flat (capsule c's: 2c and 2c + 1)."""
        return self._one[2]

    def walk_one(self, q: list[float]) -> tuple[list, list]:
        """
        Return the chain's frames of one configuration: positions, rotations (dof + 1 each).

        ``q``: dof Python floats (finite: the caller checks). Entry k is chain entry k's origin
        (m, base frame) and rotation (row-major 9-tuple), the last the tool's; :func:`end_of`
        places an end in them.
        """
        joints, tool_xyz, _ = self._one
        rot = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0)
        pos = (0.0, 0.0, 0.0)
        positions, rotations = [], []
        for (fixed, xyz, axis, coordinate, offset, revolute), value in zip(joints, q):
            if xyz is not None:  # _plus(pos, _apply(rot, xyz)) inline: a third of the walk
                x, y, z = xyz
                pos = (pos[0] + (rot[0] * x + rot[1] * y + rot[2] * z),
                       pos[1] + (rot[3] * x + rot[4] * y + rot[5] * z),
                       pos[2] + (rot[6] * x + rot[7] * y + rot[8] * z))
            if fixed is not None:
                rot = _matmul(rot, fixed)
            value += offset
            if not revolute:
                pos = _plus(pos, _scaled(_apply(rot, axis), value))
            elif coordinate >= 0:
                rot = _TURNS[coordinate](rot, math.cos(value), math.sin(value))
            else:
                rot = _matmul(rot, _rodrigues(axis, value))
            positions.append(pos)
            rotations.append(rot)
        positions.append(_plus(pos, _apply(rot, tool_xyz)))
        rotations.append(rot)
        return positions, rotations


def end_of(recipe: tuple, positions: list, rotations: list) -> tuple[float, float, float]:
    """
    Return one capsule end (m, base frame) from the frames of :meth:`CapsuleFrames.walk_one`.

    ``recipe``: (kind, frame, point) of :attr:`CapsuleFrames.recipes`: kind 0 a constant point,
    1 the frame's origin, 2 ``point`` in the frame.
    """
    kind, frame, point = recipe
    if kind == 0:
        return point
    if kind == 1:
        return positions[frame]
    return _plus(positions[frame], _apply(rotations[frame], point))


@functools.lru_cache(maxsize=32)
def capsule_frames(arm: Arm) -> CapsuleFrames:
    """
    Return the capsules of ``arm`` compiled: each end's chain entry and point.

    Raises
    ------
    ValueError
        A capsule on a link that is not on the arm's chain.

    """
    entry = {arm.base_frame: -1, arm.tool_frame: arm.dof}
    entry.update({j.child: k for k, j in enumerate(arm.joints)})
    nominal = [j.origin.xyz for j in arm.joints[1:]] + [arm.tool.xyz]
    ends = []
    for capsule in arm.capsules:
        if capsule.link not in entry:
            raise ValueError(f'{arm.name}: capsule {capsule.name!r} is on link '
                             f'{capsule.link!r}, not on the chain {sorted(entry)}')
        k = entry[capsule.link]
        pair = []
        for point in (capsule.a, capsule.b):
            if k >= 0 and _near(point, (0.0, 0.0, 0.0)):
                pair.append(_End(k, point, True))
            elif 0 <= k < arm.dof and _near(point, nominal[k]) and (
                    k + 1 == arm.dof or arm.joints[k + 1].type == 'revolute'):
                pair.append(_End(k + 1, point, True))  # the next joint's origin, as calibrated
            elif 0 <= k < arm.dof and off_axis(point, arm.joints[k].axis) <= _ON_POINT:
                pair.append(_End(k, point, False, float(np.dot(point, arm.joints[k].axis))))
            else:
                pair.append(_End(k, point, False))
        ends.append(tuple(pair))
    return CapsuleFrames(arm, tuple(ends))


def off_axis(point, axis) -> float:
    """Return the distance (m) of ``point`` from the line through the origin along ``axis``."""
    point, axis = np.asarray(point, dtype=float), np.asarray(axis, dtype=float)
    return float(np.linalg.norm(point - (point @ axis) * axis))


def _near(a, b) -> bool:
    return all(abs(x - y) <= _ON_POINT for x, y in zip(a, b))


def capsule_ends(arm: Arm, q: np.ndarray) -> np.ndarray:
    """
    Return the capsules' ends (M, C, 2, 3) (m, base frame) of joint values ``q`` (M, dof).

    C: ``len(arm.capsules)``, in their order; the arm's errors apply. ``q``: finite float64
    rows of the arm's dof (:func:`~ik_net_ros.kinematics.chain.joint_rows` checks them).
    """
    frames = capsule_frames(arm)
    if len(q) <= _FEW:  # numpy's overhead per call is most of the cost here: plain floats
        return np.array([frames.ends_one(row) for row in q.tolist()]).reshape(
            len(q), len(frames.ends), 2, 3)
    ends = [end for pair in frames.ends for end in pair]
    # the walk without every link's rotation (half the cost of chain_frames) where ends on a
    # joint's origin or axis, or in the tool's frame, are all there is; else one walk with them
    # (not a second walk: that was a third of the OMX-F's check)
    rotated = any(not e.anchored and e.along is None and 0 <= e.frame < arm.dof for e in ends)
    positions, rotations, axes = _walk(arm, q, None, every_rotation=rotated)
    tool_rotation = rotations[:, -1] if rotated else rotations
    out = np.empty((len(q), len(ends), 3))
    for k, end in enumerate(ends):
        if end.anchored:
            out[:, k] = positions[:, end.frame]
        elif end.frame < 0:
            out[:, k] = end.point
        elif end.along is not None:
            out[:, k] = positions[:, end.frame] + axes[:, end.frame] * end.along
        elif end.frame == arm.dof:
            out[:, k] = positions[:, end.frame] + tool_rotation @ end.point
        else:
            out[:, k] = positions[:, end.frame] + rotations[:, end.frame] @ end.point
    return out.reshape(len(q), len(frames.ends), 2, 3)


def segment_distance(p1: np.ndarray, q1: np.ndarray, p2: np.ndarray, q2: np.ndarray
                     ) -> np.ndarray:
    """
    Return the shortest distances (M,) between segments p1-q1 and p2-q2 (each (M, 3)).

    Ericson, Real-Time Collision Detection, 5.1.9, vectorised.
    """
    d1, d2, r = q1 - p1, q2 - p2, p1 - p2
    a, e, f, c, b = (np.einsum('ij,ij->i', u, v) for u, v in
                     ((d1, d1), (d2, d2), (d2, r), (d1, r), (d1, d2)))
    tiny = 1e-12
    denom = a * e - b * b
    with np.errstate(divide='ignore', invalid='ignore'):
        s = np.where(denom > tiny, np.clip((b * f - c * e) / denom, 0.0, 1.0), 0.0)
        s = np.where(a > tiny, s, 0.0)
        t = np.where(e > tiny, (b * s + f) / e, 0.0)
        # t outside [0, 1]: clamp it and recompute s for that end
        s = np.where(t < 0.0, np.where(a > tiny, np.clip(-c / a, 0.0, 1.0), 0.0), s)
        s = np.where(t > 1.0, np.where(a > tiny, np.clip((b - c) / a, 0.0, 1.0), 0.0), s)
    t = np.clip(t, 0.0, 1.0)
    gap = (p1 + d1 * s[:, None]) - (p2 + d2 * t[:, None])
    return np.sqrt(np.einsum('ij,ij->i', gap, gap))


def gap_one(p1, q1, p2, q2) -> float:
    """Return :func:`segment_distance` of one pair of segments given as 3-tuples of floats."""
    ax, ay, az = p1
    bx, by, bz = p2
    d1x, d1y, d1z = q1[0] - ax, q1[1] - ay, q1[2] - az
    d2x, d2y, d2z = q2[0] - bx, q2[1] - by, q2[2] - bz
    rx, ry, rz = ax - bx, ay - by, az - bz
    a = d1x * d1x + d1y * d1y + d1z * d1z
    e = d2x * d2x + d2y * d2y + d2z * d2z
    f = d2x * rx + d2y * ry + d2z * rz
    c = d1x * rx + d1y * ry + d1z * rz
    b = d1x * d2x + d1y * d2y + d1z * d2z
    tiny = 1e-12
    denom = a * e - b * b
    s = min(1.0, max(0.0, (b * f - c * e) / denom)) if denom > tiny and a > tiny else 0.0
    t = (b * s + f) / e if e > tiny else 0.0
    if t < 0.0:
        s = min(1.0, max(0.0, -c / a)) if a > tiny else 0.0
    elif t > 1.0:
        s = min(1.0, max(0.0, (b - c) / a)) if a > tiny else 0.0
    t = min(1.0, max(0.0, t))
    gx = rx + d1x * s - d2x * t
    gy = ry + d1y * s - d2y * t
    gz = rz + d1z * s - d2z * t
    return math.sqrt(gx * gx + gy * gy + gz * gz)


def _plus(a, b) -> tuple[float, float, float]:
    return (a[0] + b[0], a[1] + b[1], a[2] + b[2])


def _scaled(a, s: float) -> tuple[float, float, float]:
    return (a[0] * s, a[1] * s, a[2] * s)


def _apply(r, v) -> tuple[float, float, float]:
    """Return R v of a row-major 9-tuple R."""
    x, y, z = v
    return (r[0] * x + r[1] * y + r[2] * z, r[3] * x + r[4] * y + r[5] * z,
            r[6] * x + r[7] * y + r[8] * z)


def _matmul(a, b) -> tuple[float, ...]:
    """Return the product of two 3x3 matrices given as row-major 9-tuples."""
    return tuple(a[i] * b[j] + a[i + 1] * b[j + 3] + a[i + 2] * b[j + 6]
                 for i in (0, 3, 6) for j in (0, 1, 2))


def _turn_x(r, c: float, s: float) -> tuple[float, ...]:
    """Return R Rot(x, angle) of cos c, sin s: column 0 stays, 1 and 2 turn (chain's _turn)."""
    return (r[0], c * r[1] + s * r[2], c * r[2] - s * r[1],
            r[3], c * r[4] + s * r[5], c * r[5] - s * r[4],
            r[6], c * r[7] + s * r[8], c * r[8] - s * r[7])


def _turn_y(r, c: float, s: float) -> tuple[float, ...]:
    """Return R Rot(y, angle): column 1 stays, 2 and 0 turn."""
    return (c * r[0] - s * r[2], r[1], c * r[2] + s * r[0],
            c * r[3] - s * r[5], r[4], c * r[5] + s * r[3],
            c * r[6] - s * r[8], r[7], c * r[8] + s * r[6])


def _turn_z(r, c: float, s: float) -> tuple[float, ...]:
    """Return R Rot(z, angle): column 2 stays, 0 and 1 turn."""
    return (c * r[0] + s * r[1], c * r[1] - s * r[0], r[2],
            c * r[3] + s * r[4], c * r[4] - s * r[3], r[5],
            c * r[6] + s * r[7], c * r[7] - s * r[6], r[8])


_TURNS = (_turn_x, _turn_y, _turn_z)


def _rodrigues(axis, angle: float) -> tuple[float, ...]:
    """Return the rotation by ``angle`` about unit ``axis`` as a row-major 9-tuple."""
    x, y, z = axis
    c, s = math.cos(angle), math.sin(angle)
    t = 1.0 - c
    return (t * x * x + c, t * x * y - s * z, t * x * z + s * y,
            t * x * y + s * z, t * y * y + c, t * y * z - s * x,
            t * x * z - s * y, t * y * z + s * x, t * z * z + c)
