"""
Closed-form inverse kinematics of the OpenMANIPULATOR-X (numpy, vectorised, exact).

A tool pose fixes joint1 and the tool pitch through its orientation: the tool's y axis is
(-sin q1, cos q1, 0) and its x axis (cos q1 cos phi, sin q1 cos phi, -sin phi). So "reaching
behind" is a property of the pose itself (a negative signed distance r from the joint1 axis),
and the only choice left is the elbow: joints 2-3 act as one link of length L1 with an offset
angle, joint 3-4 is L2, and the wrist point (joint4) has two elbow solutions.

Branch rule (the one network training labels follow): **elbow up** (gamma <= 0, the branch of
the arm's zero pose, joint3 above the line shoulder-wrist) when it is inside the joint limits,
otherwise elbow down. A branch inside the limits to rounding beats one that is only within
LIMIT_TOLERANCE of them (which is clamped, and accepted so that noisy inputs at a limit still
solve). About 4 % of poses drawn uniformly in the limits have both in the limits.
"""

from __future__ import annotations

from dataclasses import dataclass
import math

from ik_net_ros.kinematics.geometry import (
    ArmGeometry,
    clamp_to_limits,
    DEFAULT_GEOMETRY,
    JOINT_LOWER,
    JOINT_UPPER,
)
from ik_net_ros.kinematics.rotations import quat_to_matrix
from ik_net_ros.kinematics.validation import as_pose_array
import numpy as np

__all__ = [
    'REACHABLE', 'OUT_OF_REACH', 'OUTSIDE_LIMITS', 'NOT_ARM_ORIENTATION', 'REASONS',
    'LIMIT_TOLERANCE', 'IkSolutions', 'IkResult', 'ik_solutions', 'solve_yaw_pitch',
    'inverse_kinematics', 'yaw_pitch_of', 'pick_branch', 'closed_form', 'closed_form_one',
]

REACHABLE, OUT_OF_REACH, OUTSIDE_LIMITS, NOT_ARM_ORIENTATION = 0, 1, 2, 3
REASONS = {
    REACHABLE: 'reachable',
    OUT_OF_REACH: 'too far from (or too close to) the shoulder for any elbow angle',
    OUTSIDE_LIMITS: 'both elbow solutions leave the joint limits',
    NOT_ARM_ORIENTATION: 'orientation has roll or a yaw that does not point at the position '
                         '(project the pose first)',
}
LIMIT_TOLERANCE = 1e-3  # rad a solution may exceed a limit by (then clamped): noise in inputs
STRICT_TOLERANCE = 1e-9  # rad: rounding only
REACH_TOLERANCE = 1e-4  # |cos elbow| may exceed 1 by this (about 7 um): stretched arm
_TWO_PI = 2 * math.pi
ORIENTATION_TOLERANCE = 1e-5  # m of position off the yaw plane, and sin(roll), still accepted


# joint1 comes out of atan2 or _wrap in [-pi, pi] (to rounding, far below STRICT_TOLERANCE):
# inside its limits whenever they span the circle, as ROBOTIS's do; then it needs no check
_JOINT1_FREE = JOINT_LOWER[0] <= -math.pi and JOINT_UPPER[0] >= math.pi


def _branch_inside(q: list[np.ndarray], tolerance: float) -> np.ndarray:
    """
    Return (N,) True where joints q1..q4 (each (N,)) lie within the limits +- ``tolerance``.

    The comparisons of :func:`within_limits`; NaN is outside. On the four contiguous arrays: over
    an (N, 2, 4) array each comparison runs 4-element loops, 4x slower.
    """
    ok = None
    for i, v in enumerate(q):
        if i == 0 and _JOINT1_FREE:
            continue
        inside = v >= JOINT_LOWER[i] - tolerance
        inside &= v <= JOINT_UPPER[i] + tolerance
        ok = inside if ok is None else np.logical_and(ok, inside, out=ok)
    return ok


def _wrap(angle: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
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


def yaw_pitch_of(rotation: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(q1, phi) of rotations (..., 3, 3) of the form Rz(q1) Ry(phi); phi wrapped to (-pi, pi]."""
    q1 = np.arctan2(-rotation[..., 0, 1], rotation[..., 1, 1])
    phi = np.arctan2(-rotation[..., 2, 0], rotation[..., 2, 2])
    return q1, phi


@dataclass
class IkSolutions:
    """
    Both elbow solutions of N poses.

    joints: (N, 2, 4) rad, [:, 0] elbow up, [:, 1] elbow down (NaN where none exists).
    valid: (N, 2) True where that solution exists and is inside the limits, give or take
        LIMIT_TOLERANCE (such joints are clamped into the limits).
    strict: (N, 2) True where it is inside the limits to rounding (1e-9 rad).
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

        ``valid.any(axis=1)``, computed from ``reason``: 10x cheaper than a reduction along an axis
        of 2.
        """
        return self.reason == REACHABLE


@dataclass
class IkResult:
    """
    One solution per pose by the branch rule.

    joints: (N, 4) rad, inside the limits; for unreachable poses, NaN.
    reachable: (N,) bool.
    reason: (N,) codes of :data:`REASONS`.
    """

    joints: np.ndarray
    reachable: np.ndarray
    reason: np.ndarray

    def reason_text(self, index: int) -> str:
        """Why pose ``index`` is (un)reachable, in words."""
        return REASONS[int(self.reason[index])]


def ik_solutions(poses, geometry: ArmGeometry = DEFAULT_GEOMETRY) -> IkSolutions:
    """
    All closed-form solutions (both elbows) of poses, checked against the joint limits.

    Parameters
    ----------
    poses
        (7,) or (N, 7) [x, y, z, qx, qy, qz, qw], metres, base frame. The orientation must
        be one the arm can take (no roll, yaw towards the position); see
        :func:`ik_net_ros.kinematics.projection.project_pose` for arbitrary targets.
    geometry
        The arm's geometry (default: ROBOTIS's humble description).

    Raises
    ------
    InvalidPoseError
        Wrong shape, NaN/inf or a zero quaternion.

    """
    p, _ = as_pose_array(poses)
    rot = quat_to_matrix(p[:, 3:])
    q1, phi = yaw_pitch_of(rot)
    dx, y = p[:, 0] - geometry.joint1_x, p[:, 1]
    c1, s1 = np.cos(q1), np.sin(q1)
    off_plane = np.abs(-dx * s1 + y * c1)
    roll = np.abs(rot[:, 2, 1])  # z of the tool's y axis: zero without roll
    consistent = (off_plane <= ORIENTATION_TOLERANCE) & (roll <= ORIENTATION_TOLERANCE)
    sol = solve_yaw_pitch(dx, y, p[:, 2], q1, phi, geometry, (c1, s1))
    sol.joints[~consistent] = np.nan
    sol.valid &= consistent[:, None]
    sol.strict &= consistent[:, None]
    sol.reason[~consistent] = NOT_ARM_ORIENTATION
    return sol


def solve_yaw_pitch(dx: np.ndarray, y: np.ndarray, z: np.ndarray, q1: np.ndarray,
                    phi: np.ndarray, geometry: ArmGeometry = DEFAULT_GEOMETRY,
                    cos_sin_q1: tuple[np.ndarray, np.ndarray] | None = None,
                    cos_sin_phi: tuple[np.ndarray, np.ndarray] | None = None,
                    closed_form: bool = True) -> IkSolutions:
    """
    Solve both elbows for tool positions and a tool yaw and pitch that agree with them.

    Positions (x - joint1_x, y, z), each (N,) m, a tool yaw ``q1`` and pitch ``phi`` (N,) rad (the
    position lies in the yaw's plane); their cosines and sines where the caller has them (the
    projection does: no sin or cos is then computed). The closed form proper, shared by
    :func:`ik_solutions` and the projection;
    :func:`~ik_net_ros.kinematics.projection_one_pose.project_and_solve_one` is its single-pose
    twin (the same float operations: tests hold the two to equality).

    ``closed_form=False``: reachability only (``valid`` and ``reason``; ``joints`` and
    ``strict`` None), about a third less work, for a network that makes its own joints.
    """
    g = geometry
    c1, s1 = cos_sin_q1 if cos_sin_q1 is not None else (np.cos(q1), np.sin(q1))
    cp, sp = cos_sin_phi if cos_sin_phi is not None else (np.cos(phi), np.sin(phi))
    r = dx * c1 + y * s1  # signed: negative = reaching behind
    rw = r - g.tool * cp
    zw = z + g.tool * sp - g.shoulder_z
    l1, l2, theta0 = g.upper_arm, g.forearm, g.upper_arm_offset
    cos_elbow = (rw * rw + zw * zw - l1 * l1 - l2 * l2) / (2 * l1 * l2)
    in_reach = np.abs(cos_elbow) <= 1 + REACH_TOLERANCE
    ce = np.minimum(np.maximum(cos_elbow, -1.0), 1.0)
    acos = np.arccos(ce)
    base = np.arctan2(zw, rw)
    # sin(acos c) = sqrt((1 - c)(1 + c)), cos(acos c) = c; the elbow-down angles are the
    # elbow-up ones negated (atan2 is odd)
    beta = np.arctan2(l2 * np.sqrt((1.0 - ce) * (1.0 + ce)), l1 + l2 * ce)
    # (2, 4, N): each joint of each branch a contiguous array, computed in place; the (N, 2, 4)
    # joints are a view of it (stacking them into an (N, 2, 4) array cost as much as the
    # arithmetic)
    q = np.empty((2, 4, len(q1)))
    valid = np.empty((len(q1), 2), bool)
    strict = np.empty((len(q1), 2), bool) if closed_form else None
    for k, (gamma, a1) in enumerate(((-acos, base + beta), (acos, base - beta))):  # up first
        q1k, q2, q3, q4 = q[k]
        if closed_form or g.has_offsets or not _JOINT1_FREE:
            q1k[...] = q1
        _wrap(math.pi / 2 - theta0 - a1, out=q2)
        _wrap(-(a1 + gamma) - q2, out=q3)
        _wrap(phi - q2 - q3, out=q4)
        if g.has_offsets:  # link angles -> the angles the servos are commanded
            for v, offset in zip(q[k], g.joint_offsets):
                _wrap(v - offset, out=v)
        valid[:, k] = _branch_inside(q[k], LIMIT_TOLERANCE) & in_reach
        if closed_form:
            strict[:, k] = _branch_inside(q[k], STRICT_TOLERANCE) & in_reach
    reason = np.where(valid[:, 0] | valid[:, 1], REACHABLE, OUTSIDE_LIMITS)
    if not in_reach.all():
        reason[~in_reach] = OUT_OF_REACH
    if not closed_form:
        return IkSolutions(joints=None, valid=valid, strict=None, reason=reason)
    joints = q.transpose(2, 0, 1)  # (N, 2, 4)
    if not in_reach.all():
        joints[~in_reach] = np.nan
    loose = valid & ~strict
    if loose.any():
        joints[loose] = clamp_to_limits(joints[loose])
    return IkSolutions(joints=joints, valid=valid, strict=strict, reason=reason)


def inverse_kinematics(poses, geometry: ArmGeometry = DEFAULT_GEOMETRY) -> IkResult:
    """
    Closed-form IK with the package's branch rule (elbow up if in the limits, else down).

    Parameters
    ----------
    poses
        (7,) or (N, 7) reachable-orientation poses (see :func:`ik_solutions`).
    geometry
        The arm's geometry (default: ROBOTIS's humble description).

    Returns
    -------
    :class:`IkResult`; unreachable poses have NaN joints, ``reachable`` False and a reason.
    Nothing is raised for unreachable poses: the mask is the documented outcome.

    Raises
    ------
    InvalidPoseError
        Wrong shape, NaN/inf or a zero quaternion.

    """
    return pick_branch(ik_solutions(poses, geometry))


def pick_branch(sol: IkSolutions) -> IkResult:
    """Apply the branch rule to solutions from :func:`ik_solutions`."""
    # a branch strictly inside the limits beats one that needs clamping
    up_first = sol.strict[:, 0] | (sol.valid[:, 0] & ~sol.strict[:, 1])
    pick = np.where(up_first, 0, 1)
    joints = sol.joints[np.arange(len(pick)), pick]
    reachable = sol.valid.any(axis=1)
    joints[~reachable] = np.nan
    return IkResult(joints=joints, reachable=reachable, reason=sol.reason)


def closed_form(solutions: IkSolutions) -> np.ndarray:
    """
    Joints (N, 4) by the branch rule.

    For unreachable targets (only with on_unreachable='nearest') no exact answer exists: the
    clamped-but-invalid elbow-up solution, or the zero pose if none exists.
    """
    joints = pick_branch(solutions).joints
    missing = np.isnan(joints).any(axis=1)
    if missing.any():
        fallback = solutions.joints[missing, 0]
        joints[missing] = np.where(np.isnan(fallback), 0.0, fallback)
    return joints


def closed_form_one(solution) -> np.ndarray:
    """:func:`closed_form` for one pose's solutions: (4,)."""
    joints = solution.pick()
    if joints is None:  # unreachable, on_unreachable='nearest': as closed_form does
        joints = solution.joints[0] if solution.joints[0] is not None else (0.0,) * 4
    return np.array(joints, dtype=float)
