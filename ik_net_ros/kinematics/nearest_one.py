"""
The nearest-seed rule of :mod:`ik_net_ros.kinematics.nearest` for one pose, in plain floats.

A far target (a pick-and-place program's next pose, not the next step of a stream) has no
solution within a step of the seed: the live node took the vectorised rule for it, about 1 ms
of numpy calls on one row. Here the rule's candidates of one pose are listed nearest the seed
first, in plain floats (tens of microseconds), where that is the whole rule: the caller keeps
the first one clear of its collision model and applies the jump rule (:func:`small_change_one`).
Where the rule weighs more than this (a planar arm's target within HYSTERESIS of its side tie,
a candidate the long way round or on a +-pi seam, an unreachable target), None: the vectorised
rule decides, and says why it refuses. Tests hold the two to the same answer.
"""

from __future__ import annotations

import math

from ik_net_ros.arm import arm_or_default
from ik_net_ros.kinematics.chain import chain_forward_one
from ik_net_ros.kinematics.limits import clamp_one
from ik_net_ros.kinematics.nearest import (
    JUMP_WINDOW,
    JUMP_WINDOW_ANGLE,
    SEAM,
    SNAP_ANGLE,
    SNAP_POSITION,
)
from ik_net_ros.kinematics.planar_ik import bounds_of
from ik_net_ros.kinematics.projection_one_pose import OneSolution, preferred_side_one

__all__ = ['seeded_candidates_one', 'small_change_one']

_TWO_PI = 2 * math.pi
_ON_SEAM = 1e-9  # rad from +-pi within which a seam joint's sign is left to the vectorised rule


def seeded_candidates_one(pose: list[float], seed: list[float], arm
                          ) -> tuple[list[float], OneSolution, list[list[float]]] | None:
    """
    Return the projected pose and the rule's candidates for ``pose``, nearest ``seed`` first.

    Parameters
    ----------
    pose
        [x, y, z, qx, qy, qz, qw] validated (:func:`~ik_net_ros.kinematics.validation.
        validate_pose`), m, base frame.
    seed
        dof floats inside the limits (clamped), rad.
    arm
        The planar :class:`~ik_net_ros.arm.Arm` the pipeline solves in.

    Returns
    -------
    (projected pose, its closed form, candidates) as
    :func:`~ik_net_ros.kinematics.nearest.nearest_solutions` weighs them before its collision
    check (exact solutions inside the limits and those
    brought to the seed's side of a seam or clamped that still reach the pose), in its order
    (distance to the seed, ties by its slot order); None where the rule weighs more than these
    (see the module) or none is there.

    """
    arm = arm_or_default(arm)
    side = preferred_side_one(pose, arm)
    if side is None:
        return None
    target, solution, _ = side
    bounds = bounds_of(arm)
    seams = [i for i in range(arm.dof) if bounds.free[i] or i in bounds.turns]
    scored = []
    for branch, (raw, valid) in enumerate(zip(solution.joints, solution.valid)):
        if raw is None or not math.isfinite(sum(raw)):
            continue
        slot = 4 * (branch // 2) + branch % 2  # nearest_solutions' slots: per side exact, snapped
        raw = list(raw)
        if any(abs(abs(raw[i]) - math.pi) < _ON_SEAM for i in seams):
            return None  # +pi or -pi: the two closed forms may write the one yaw either way
        if valid:
            scored.append((_distance(raw, seed), slot, raw))
        snapped = list(raw)
        for i in seams:  # to the seed's side of the +-pi seam
            snapped[i] += _TWO_PI * round((seed[i] - raw[i]) / _TWO_PI)
        snapped = clamp_one(arm, snapped)
        if snapped != raw and _reaches(arm, snapped, target):
            scored.append((_distance(snapped, seed), slot + 2, snapped))
    if not scored or any(abs(q[0] - seed[0]) > SEAM for _, _, q in scored):
        return None  # out of reach, or the long way round: the vectorised rule's to word
    scored.sort(key=lambda entry: entry[:2])
    return target, solution, [q for _, _, q in scored]


def _distance(q: list[float], seed: list[float]) -> float:
    return math.sqrt(sum((a - b) * (a - b) for a, b in zip(q, seed)))


def _reaches(arm, q: list[float], target: list[float]) -> bool:
    """Whether joints ``q`` put the tool within SNAP_POSITION m and SNAP_ANGLE rad of target."""
    got = chain_forward_one(arm, q)
    if math.dist(got[:3], target[:3]) > SNAP_POSITION:
        return False
    a, b = got[3:], target[3:]
    sign = -1.0 if sum(x * y for x, y in zip(a, b)) < 0 else 1.0
    apart = math.sqrt(sum((x - sign * y) ** 2 for x, y in zip(a, b)))
    together = math.sqrt(sum((x + sign * y) ** 2 for x, y in zip(a, b)))
    return 4.0 * math.atan2(apart, together) <= SNAP_ANGLE  # rotations.quat_angle's form


def small_change_one(pose: list[float], seed: list[float], arm) -> bool:
    """
    Return :func:`~ik_net_ros.kinematics.nearest.small_change` of one pose, in plain floats.

    Whether ``pose`` (7 floats, unit quaternion) is within JUMP_WINDOW m of the tool of
    ``seed`` (dof floats, rad) in ``arm`` and the tilt of its tool x axis within
    JUMP_WINDOW_ANGLE rad of the seed's.
    """
    at = chain_forward_one(arm_or_default(arm), seed)
    if math.dist(at[:3], pose[:3]) > JUMP_WINDOW:
        return False
    return abs(_tilt(at[3:]) - _tilt(pose[3:])) <= JUMP_WINDOW_ANGLE


def _tilt(quat: list[float]) -> float:
    """Angle of the tool x axis above the horizontal plane, rad (nearest._tilt for one)."""
    qx, qy, qz, qw = quat
    return math.asin(min(1.0, max(-1.0, 2 * (qx * qz - qy * qw))))
