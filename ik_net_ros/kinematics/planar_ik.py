"""
The pieces every planar closed form shares: outcome codes, tolerances, limits, the elbow.

A planar arm (:func:`~ik_net_ros.kinematics.planar.planar_chain`) reaches its wrist point
(joint4) with joints 2-3: one link of length ``upper_arm`` at an offset angle, then the forearm.
:func:`elbows` solves that two-link problem for both elbows; the OM-X's closed form
(:mod:`ik_net_ros.kinematics.inverse`) and the roll arm's (:mod:`ik_net_ros.kinematics
.roll_wrist`) differ only in how they find the wrist point, joint1 and the wrist angles.
Lengths m, angles rad.
"""

from __future__ import annotations

from dataclasses import dataclass
import functools
import math

from ik_net_ros.arm import Arm
from ik_net_ros.kinematics.planar import planar_chain, PlanarChain
import numpy as np

__all__ = [
    'REACHABLE', 'OUT_OF_REACH', 'OUTSIDE_LIMITS', 'NOT_ARM_ORIENTATION', 'REASONS',
    'LIMIT_TOLERANCE', 'STRICT_TOLERANCE', 'REACH_TOLERANCE', 'ORIENTATION_TOLERANCE',
    'IkSolutions', 'Bounds', 'bounds_of', 'wrap', 'elbows', 'branch_inside', 'into_range',
    'planar_of',
]

REACHABLE, OUT_OF_REACH, OUTSIDE_LIMITS, NOT_ARM_ORIENTATION = 0, 1, 2, 3
REASONS = {
    REACHABLE: 'reachable',
    OUT_OF_REACH: 'too far from (or too close to) the shoulder for any elbow angle',
    OUTSIDE_LIMITS: 'every elbow solution leaves the joint limits',
    NOT_ARM_ORIENTATION: 'orientation has roll or a yaw that does not point at the position '
                         '(project the pose first)',
}
LIMIT_TOLERANCE = 1e-3  # rad a solution may exceed a limit by (then clamped): noise in inputs
STRICT_TOLERANCE = 1e-9  # rad: rounding only
REACH_TOLERANCE = 1e-4  # |cos elbow| may exceed 1 by this (about 7 um): stretched arm
ORIENTATION_TOLERANCE = 1e-5  # m of position off the yaw plane, and sin(roll), still accepted
_TWO_PI = 2 * math.pi


@dataclass
class IkSolutions:
    """
    Every closed-form solution (branch) of N poses.

    joints: (N, B, dof) rad, the branches in the branch rule's order of preference (NaN where
        none exists). B = 2 on an arm without a wrist roll ([:, 0] elbow up, [:, 1] elbow
        down); B = 4 with one (front up, front down, over-the-top up, over-the-top down: see
        :mod:`ik_net_ros.kinematics.roll_wrist`).
    valid: (N, B) True where that solution exists and is inside the limits, give or take
        LIMIT_TOLERANCE (such joints are clamped into the limits).
    strict: (N, B) True where it is inside the limits to rounding (1e-9 rad).
    reason: (N,) REACHABLE, OUT_OF_REACH, OUTSIDE_LIMITS or NOT_ARM_ORIENTATION.

    Where only reachability was asked for (``closed_form=False``), ``joints`` and ``strict``
    are None.
    """

    joints: np.ndarray | None
    valid: np.ndarray
    strict: np.ndarray | None
    reason: np.ndarray

    @property
    def reachable(self) -> np.ndarray:
        """
        Return (N,) True where some solution is valid.

        ``valid.any(axis=1)``, computed from ``reason``: 10x cheaper than a reduction along an
        axis of 2.
        """
        return self.reason == REACHABLE


@dataclass(frozen=True)
class Bounds:
    """
    An arm's joint limits as the closed forms check them.

    lower, upper: per joint (floats); free: per joint, True where any angle in (-pi, pi] is
    inside (joint1 of ROBOTIS's arms: no check needed); turns: the joints whose limits reach
    past (-pi, pi] (joint4/joint5 of the OMX-F: [-pi, pi - 0.0015]), where an angle's
    representative inside the limits may be the wrapped one -+ 2 pi.
    """

    lower: tuple[float, ...]
    upper: tuple[float, ...]
    free: tuple[bool, ...]
    turns: tuple[int, ...]


@functools.lru_cache(maxsize=64)
def bounds_of(arm: Arm) -> Bounds:
    """Return the closed forms' view of ``arm``'s limits."""
    lower, upper = zip(*arm.limits)
    free = tuple(lo <= -math.pi and hi >= math.pi for lo, hi in arm.limits)
    turns = tuple(i for i, (lo, hi) in enumerate(arm.limits) if not free[i] and (
        lo - LIMIT_TOLERANCE <= -math.pi or hi + LIMIT_TOLERANCE > math.pi))
    return Bounds(tuple(lower), tuple(upper), free, turns)


_PLANAR: dict[int, tuple] = {}  # id(arm) -> (arm, its upright planar chain)


def planar_of(arm: Arm) -> PlanarChain:
    """
    Return ``planar_chain(arm.upright())``, made once per arm object.

    The single-pose path calls this per pose: an lru_cache on a new upright arm costs 0.6 us.

    Raises
    ------
    NotPlanarError
        ``arm`` is of another shape.

    """
    entry = _PLANAR.get(id(arm))
    if entry is None:  # the entry holds arm, so no other object can take its id meanwhile
        if len(_PLANAR) > 64:
            _PLANAR.clear()
        entry = _PLANAR[id(arm)] = (arm, planar_chain(arm.upright()))
    return entry[1]


def wrap(angle: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """
    Wrap angles to (-pi, pi] (to rounding): ``a - 2 pi ceil(a / (2 pi) - 1/2)``.

    Four cheap operations where ``%`` (a floating remainder) cost as much as all the closed
    form's other arithmetic; the single-pose twin computes the same float operations.
    """
    turns = angle / _TWO_PI
    turns -= 0.5
    np.ceil(turns, out=turns)
    turns *= _TWO_PI
    return np.subtract(angle, turns, out=out)


def elbows(rw: np.ndarray, zw: np.ndarray, c: PlanarChain, out: np.ndarray) -> np.ndarray:
    """
    Solve joints 2-3 (link angles) of both elbows for wrist points; return (N,) in reach.

    ``rw``, ``zw``: the wrist point (joint4) in the arm's plane, m: signed distance from
    joint1's axis and height above joint2. ``out`` (2, dof, N): the elbow-up branch's joint2
    and joint3 go to ``out[0, 1:3]``, elbow down's to ``out[1, 1:3]`` (wrapped to (-pi, pi]).
    Elbow up (gamma <= 0) is the branch of the zero pose: joint3 above the line shoulder-wrist.
    Out of reach (by more than REACH_TOLERANCE in the elbow's cosine): the stretched or folded
    arm's angles, flagged False.
    """
    l1, l2, theta0 = c.upper_arm, c.forearm, c.upper_arm_offset
    cos_elbow = (rw * rw + zw * zw - l1 * l1 - l2 * l2) / (2 * l1 * l2)
    in_reach = np.abs(cos_elbow) <= 1 + REACH_TOLERANCE
    ce = np.minimum(np.maximum(cos_elbow, -1.0), 1.0)
    acos = np.arccos(ce)
    base = np.arctan2(zw, rw)
    # sin(acos c) = sqrt((1 - c)(1 + c)), cos(acos c) = c; the elbow-down angles are the
    # elbow-up ones negated (atan2 is odd)
    beta = np.arctan2(l2 * np.sqrt((1.0 - ce) * (1.0 + ce)), l1 + l2 * ce)
    for k, (gamma, a1) in enumerate(((-acos, base + beta), (acos, base - beta))):  # up first
        q2, q3 = out[k, 1], out[k, 2]
        wrap(math.pi / 2 - theta0 - a1, out=q2)
        wrap(-(a1 + gamma) - q2, out=q3)
    return in_reach


def into_range(q: np.ndarray, bounds: Bounds) -> None:
    """
    Move wrapped joints (dof, N) of ``bounds.turns`` by -+ 2 pi where that is nearer the limits.

    In place. An angle of (-pi, pi] outside the limits may be inside as its other turn (pi ->
    -pi on a joint of [-pi, pi - 0.0015]); the representative less far outside is kept.
    """
    for i in bounds.turns:
        v, lo, hi = q[i], bounds.lower[i], bounds.upper[i]
        other = np.where(v > hi, v - _TWO_PI, np.where(v < lo, v + _TWO_PI, v))
        outside = np.maximum(np.maximum(lo - v, v - hi), 0.0)
        other_outside = np.maximum(np.maximum(lo - other, other - hi), 0.0)
        np.copyto(v, other, where=other_outside < outside)


def branch_inside(q, bounds: Bounds, tolerance: float) -> np.ndarray:
    """
    Return (N,) True where joints ``q`` (dof arrays of (N,)) lie within the limits +- tolerance.

    The comparisons of :func:`~ik_net_ros.kinematics.limits.within_limits`; NaN is outside. On
    the contiguous per-joint arrays: over an (N, B, dof) array each comparison runs dof-element
    loops, 4x slower. Free joints (any wrapped angle inside) are not checked.
    """
    ok = None
    for v, lo, hi, free in zip(q, bounds.lower, bounds.upper, bounds.free):
        if free:
            continue
        inside = v >= lo - tolerance
        inside &= v <= hi + tolerance
        ok = inside if ok is None else np.logical_and(ok, inside, out=ok)
    return ok
