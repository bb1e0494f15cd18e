"""
Closed-form inverse kinematics of a planar arm (numpy, vectorised, exact): the OM-X and the OMX-F.

The arm's shape (:func:`~ik_net_ros.kinematics.planar.planar_chain`) chooses the closed form:
without a wrist roll (the OM-X) the one below; with one (the OMX-F) the wrist point's, every
branch of which :mod:`ik_net_ros.kinematics.roll_wrist` gives. Both share the elbow
(:func:`~ik_net_ros.kinematics.planar_ik.elbows`) and the limit checks.

Without a roll, a tool pose fixes joint1 and the tool pitch through its orientation: the tool's y
axis is (-sin q1, cos q1, 0) and its x axis (cos q1 cos phi, sin q1 cos phi, -sin phi). So
"reaching behind" is a property of the pose itself (a negative signed distance r from the joint1
axis), and the only choice left is the elbow: joints 2-3 act as one link of length L1 with an
offset angle, joint 3-4 is L2, and the wrist point (joint4) has two elbow solutions.

No-seed branch rule (the one network training labels follow; :func:`pick_branch`): **elbow up**
(gamma <= 0, the branch of the arm's zero pose, joint3 above the line shoulder-wrist) when it is
inside the joint limits, otherwise elbow down; on a roll arm the front branches (joint1 towards
the wrist) before the over-the-top ones. A branch inside the limits to rounding beats one that is
only within LIMIT_TOLERANCE of them (which is clamped, and accepted so that noisy inputs at a
limit still solve). About 4 % of OM-X poses drawn uniformly in the limits have both elbows in the
limits.
"""

from __future__ import annotations

from dataclasses import dataclass

from ik_net_ros.arm import arm_or_default
from ik_net_ros.kinematics.limits import clamp_to_limits
from ik_net_ros.kinematics.planar_ik import (
    bounds_of,
    branch_inside,
    elbows,
    IkSolutions,
    into_range,
    LIMIT_TOLERANCE,
    NOT_ARM_ORIENTATION,
    ORIENTATION_TOLERANCE,
    OUT_OF_REACH,
    OUTSIDE_LIMITS,
    planar_of,
    REACH_TOLERANCE,
    REACHABLE,
    REASONS,
    STRICT_TOLERANCE,
    wrap,
)
from ik_net_ros.kinematics.roll_wrist import roll_solutions
from ik_net_ros.kinematics.rotations import quat_to_matrix
from ik_net_ros.kinematics.validation import as_pose_array
import numpy as np

__all__ = [
    'REACHABLE', 'OUT_OF_REACH', 'OUTSIDE_LIMITS', 'NOT_ARM_ORIENTATION', 'REASONS',
    'LIMIT_TOLERANCE', 'STRICT_TOLERANCE', 'REACH_TOLERANCE', 'ORIENTATION_TOLERANCE',
    'IkSolutions', 'IkResult', 'ik_solutions', 'solve_yaw_pitch', 'inverse_kinematics',
    'yaw_pitch_of', 'pick_branch', 'closed_form', 'closed_form_one',
]

_wrap = wrap  # the name the tests and the single-pose twin's docstrings use


def yaw_pitch_of(rotation: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(q1, phi) of rotations (..., 3, 3) of the form Rz(q1) Ry(phi); phi wrapped to (-pi, pi]."""
    q1 = np.arctan2(-rotation[..., 0, 1], rotation[..., 1, 1])
    phi = np.arctan2(-rotation[..., 2, 0], rotation[..., 2, 2])
    return q1, phi


@dataclass
class IkResult:
    """
    One solution per pose by the branch rule.

    joints: (N, dof) rad, inside the limits; for unreachable poses, NaN.
    reachable: (N,) bool.
    reason: (N,) codes of :data:`REASONS`.
    """

    joints: np.ndarray
    reachable: np.ndarray
    reason: np.ndarray

    def reason_text(self, index: int) -> str:
        """Why pose ``index`` is (un)reachable, in words."""
        return REASONS[int(self.reason[index])]


def ik_solutions(poses, arm=None) -> IkSolutions:
    """
    All closed-form solutions (every branch) of poses, checked against the joint limits.

    Parameters
    ----------
    poses
        (7,) or (N, 7) [x, y, z, qx, qy, qz, qw], metres, base frame. The orientation must
        be one the arm can take (OM-X: no roll, yaw towards the position; a wrist roll arm:
        the tool x axis in the wrist's azimuth plane); see
        :func:`ik_net_ros.kinematics.projection.project_pose` for arbitrary targets.
    arm
        An :class:`~ik_net_ros.arm.Arm` of the planar shape (its errors' offsets and in-plane
        deltas included; tilts are dropped: solve ``arm.upright()``); None: ROBOTIS's humble
        OM-X.

    Returns
    -------
    :class:`IkSolutions`: (N, 2, 4) elbow up / down for the OM-X; (N, 4, 5) front and over
    the top for an arm with a wrist roll (:mod:`ik_net_ros.kinematics.roll_wrist`).

    Raises
    ------
    InvalidPoseError
        Wrong shape, NaN/inf or a zero quaternion.
    NotPlanarError
        ``arm`` has no planar closed form.

    """
    arm = arm_or_default(arm)
    c = planar_of(arm)
    p, _ = as_pose_array(poses)
    if c.roll:
        return roll_solutions(p, arm, c)
    rot = quat_to_matrix(p[:, 3:])
    q1, phi = yaw_pitch_of(rot)
    dx, y = p[:, 0] - c.joint1_x, p[:, 1]
    c1, s1 = np.cos(q1), np.sin(q1)
    off_plane = np.abs(-dx * s1 + y * c1)
    roll = np.abs(rot[:, 2, 1])  # z of the tool's y axis: zero without roll
    consistent = (off_plane <= ORIENTATION_TOLERANCE) & (roll <= ORIENTATION_TOLERANCE)
    sol = solve_yaw_pitch(dx, y, p[:, 2], q1, phi, arm, (c1, s1))
    sol.joints[~consistent] = np.nan
    sol.valid &= consistent[:, None]
    sol.strict &= consistent[:, None]
    sol.reason[~consistent] = NOT_ARM_ORIENTATION
    return sol


def solve_yaw_pitch(dx: np.ndarray, y: np.ndarray, z: np.ndarray, q1: np.ndarray,
                    phi: np.ndarray, arm=None,
                    cos_sin_q1: tuple[np.ndarray, np.ndarray] | None = None,
                    cos_sin_phi: tuple[np.ndarray, np.ndarray] | None = None,
                    closed_form: bool = True) -> IkSolutions:
    """
    Solve both elbows of an arm without a wrist roll for positions and a yaw and pitch.

    Positions (x - joint1_x, y, z), each (N,) m, a tool yaw ``q1`` and pitch ``phi`` (N,) rad (the
    position lies in the yaw's plane); their cosines and sines where the caller has them (the
    projection does: no sin or cos is then computed). The closed form proper, shared by
    :func:`ik_solutions` and the projection;
    :func:`~ik_net_ros.kinematics.projection_one_pose.project_and_solve_one` is its single-pose
    twin (the same float operations: tests hold the two to equality). ``arm``: an Arm (None: the
    OM-X); its upright planar chain is solved.

    ``closed_form=False``: reachability only (``valid`` and ``reason``; ``joints`` and
    ``strict`` None), about a third less work, for a network that makes its own joints.

    Raises
    ------
    ValueError
        ``arm`` has a wrist roll (its closed form: :func:`ik_solutions`).

    """
    arm = arm_or_default(arm)
    g = planar_of(arm)
    if g.roll:
        raise ValueError(f'{arm.name} has a wrist roll: solve it with ik_solutions')
    bounds = bounds_of(arm)
    c1, s1 = cos_sin_q1 if cos_sin_q1 is not None else (np.cos(q1), np.sin(q1))
    cp, sp = cos_sin_phi if cos_sin_phi is not None else (np.cos(phi), np.sin(phi))
    r = dx * c1 + y * s1  # signed: negative = reaching behind
    rw = r - g.tool * cp
    zw = z + g.tool * sp - g.shoulder_z
    # (2, 4, N): each joint of each branch a contiguous array, computed in place; the (N, 2, 4)
    # joints are a view of it (stacking them into an (N, 2, 4) array cost as much as the
    # arithmetic)
    q = np.empty((2, arm.dof, len(q1)))
    in_reach = elbows(rw, zw, g, q)
    valid = np.empty((len(q1), 2), bool)
    strict = np.empty((len(q1), 2), bool) if closed_form else None
    for k in range(2):
        q1k, q2, q3, q4 = q[k]
        if closed_form or g.has_offsets or not bounds.free[0]:
            q1k[...] = q1
        wrap(phi - q2 - q3, out=q4)
        if g.has_offsets:  # link angles -> the angles the servos are commanded
            for v, offset in zip(q[k], g.joint_offsets):
                wrap(v - offset, out=v)
        if bounds.turns:
            into_range(q[k], bounds)
        valid[:, k] = branch_inside(q[k], bounds, LIMIT_TOLERANCE) & in_reach
        if closed_form:
            strict[:, k] = branch_inside(q[k], bounds, STRICT_TOLERANCE) & in_reach
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
        joints[loose] = clamp_to_limits(arm, joints[loose])
    return IkSolutions(joints=joints, valid=valid, strict=strict, reason=reason)


def inverse_kinematics(poses, arm=None) -> IkResult:
    """
    Closed-form IK with the package's no-seed branch rule (see :func:`pick_branch`).

    Parameters
    ----------
    poses
        (7,) or (N, 7) reachable-orientation poses (see :func:`ik_solutions`).
    arm
        A planar :class:`~ik_net_ros.arm.Arm` (None: ROBOTIS's humble OM-X).

    Returns
    -------
    :class:`IkResult`; unreachable poses have NaN joints, ``reachable`` False and a reason.
    Nothing is raised for unreachable poses: the mask is the documented outcome.

    Raises
    ------
    InvalidPoseError
        Wrong shape, NaN/inf or a zero quaternion.
    NotPlanarError
        ``arm`` has no planar closed form.

    """
    return pick_branch(ik_solutions(poses, arm))


def pick_branch(sol: IkSolutions) -> IkResult:
    """
    Apply the no-seed branch rule to solutions from :func:`ik_solutions`.

    The first branch (in :class:`IkSolutions`' order: elbow up before down; on a roll arm front
    before over the top) strictly inside the limits, else the first within LIMIT_TOLERANCE (its
    joints clamped): a branch inside the limits to rounding beats one that needs clamping.
    """
    n, branches = sol.valid.shape
    if branches == 2:
        up_first = sol.strict[:, 0] | (sol.valid[:, 0] & ~sol.strict[:, 1])
        pick = np.where(up_first, 0, 1)
    else:
        pick = np.where(sol.strict.any(axis=1), np.argmax(sol.strict, axis=1),
                        np.argmax(sol.valid, axis=1))
    joints = sol.joints[np.arange(n), pick]
    reachable = sol.valid.any(axis=1)
    joints[~reachable] = np.nan
    return IkResult(joints=joints, reachable=reachable, reason=sol.reason)


def closed_form(solutions: IkSolutions) -> np.ndarray:
    """
    Joints (N, dof) by the branch rule.

    For unreachable targets (only with on_unreachable='nearest') no exact answer exists: the
    clamped-but-invalid first branch, or the zero pose if none exists.
    """
    joints = pick_branch(solutions).joints
    missing = np.isnan(joints).any(axis=1)
    if missing.any():
        fallback = solutions.joints[missing, 0]
        joints[missing] = np.where(np.isnan(fallback), 0.0, fallback)
    return joints


def closed_form_one(solution) -> np.ndarray:
    """:func:`closed_form` for one pose's solutions: (dof,)."""
    joints = solution.pick()
    if joints is None:  # unreachable, on_unreachable='nearest': as closed_form does
        first = solution.joints[0]
        joints = first if first is not None else (0.0,) * solution.dof
    return np.array(joints, dtype=float)
