"""
Joint limits of any arm: the checks, clamps and samples every layer uses (one copy of each rule).

``arm`` is an :class:`~ik_net_ros.arm.Arm`; its real limits (its YAML's, not the URDF's +-2 pi)
apply to the commanded joint values (rad, or m for a prismatic joint). NaN is outside every limit
and stays NaN through a clamp.
"""

from __future__ import annotations

from ik_net_ros.arm import Arm
import numpy as np

__all__ = ['within_limits', 'within_limits_one', 'clamp_one', 'clamp_to_limits',
           'sample_joints']


def within_limits(arm: Arm, joints, tolerance: float = 0.0) -> np.ndarray:
    """Return True where every joint of a row of ``joints`` (..., dof) is inside the limits."""
    joints = np.asarray(joints)
    return np.all((joints >= arm.lower - tolerance) & (joints <= arm.upper + tolerance), axis=-1)


def within_limits_one(arm: Arm, joints: list[float]) -> bool:
    """
    :func:`within_limits` of one joint vector given as dof Python floats (NaN is outside).

    A tenth of the numpy call's cost, for the checks of one answer (the MoveIt services').
    """
    for value, (lower, upper) in zip(joints, arm.limits):
        if not lower <= value <= upper:
            return False
    return len(joints) == arm.dof


def clamp_one(arm: Arm, joints: list[float]) -> list[float]:
    """
    :func:`clamp_to_limits` of one joint vector given as dof Python floats (NaN stays NaN).

    The single-pose path's clamp, a third of the two numpy calls' cost.
    """
    return [lower if v < lower else upper if v > upper else v
            for v, (lower, upper) in zip(joints, arm.limits)]


def clamp_to_limits(arm: Arm, joints) -> np.ndarray:
    """Return joints (..., dof) clipped into the joint limits (a new array; NaN stays NaN)."""
    joints = np.asarray(joints)
    if joints.ndim != 2 or len(joints) < 256:
        return np.clip(joints, arm.lower, arm.upper)
    # many rows: joint by joint (over rows of 4, np.clip runs 4-element loops: 4x slower)
    # in float64 first: float32 joints against a Python float compare in float32, where the
    # limit -1.7 is -1.70000005 (outside the limit)
    out = np.array(joints, np.result_type(joints, arm.lower))
    for i, (lower, upper) in enumerate(arm.limits):
        column = out[:, i]
        np.minimum(np.maximum(column, lower, out=column), upper, out=column)
    return out


def sample_joints(arm: Arm, n: int, rng=None) -> np.ndarray:
    """
    Draw (n, dof) joints uniformly inside the joint limits (rad or m).

    ``rng``: a numpy Generator or a seed.
    """
    return np.random.default_rng(rng).uniform(arm.lower, arm.upper, size=(n, arm.dof))
