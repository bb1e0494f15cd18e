"""
Closed-form IK of a planar arm with a wrist roll (the OMX-F): every branch, exact, vectorised.

The arm (:class:`~ik_net_ros.kinematics.planar.PlanarChain` with ``roll``): joint1 turns about
the base's z axis, joints 2-4 pitch about parallel y axes, joint5 rolls about the tool's x axis,
and the tool centre point sits at (tool, tool_y, tool_z) in the rolled frame. Its tool rotation
is ``R = Rz(q1) Ry(phi) Rx(q5)`` with the pitch phi = q2 + q3 + q4 (link angles), so the
reachable poses are a position plus a pitch and a roll: the tool x axis lies in the vertical
plane through joint1's axis and the wrist.

The solution of a pose (p, R):

1. The wrist point (joint4, on the roll axis): ``w = p - R (tool, tool_y, tool_z)`` -- the TCP's
   offsets undone along the target rotation itself, whatever the branch.
2. joint1: the wrist's azimuth about joint1's axis (front), or that + pi (over the top: the arm
   reaches back over the base, the pitch mirrored to pi - phi and the roll turned by pi: the
   same R). On the axis itself (no azimuth) the tool x axis's heading gives it, and where that
   is vertical too, the tool y axis's (the roll then 0).
3. The pitch and roll from ``Rz(-q1) R = Ry(phi) Rx(q5)``; the pose is one the arm can take
   when that matrix's (1, 0) entry (the tool x axis across the arm's plane) is zero, to
   ORIENTATION_TOLERANCE; else NOT_ARM_ORIENTATION (project the pose first).
4. Joints 2-3: the two elbows reaching the wrist point (:func:`~ik_net_ros.kinematics.planar_ik
   .elbows`); joint4 = phi - q2 - q3.

Branches, in the order of the **no-seed branch rule** (the rule that makes the pose -> joints map
a function; network training labels follow it): front elbow up, front elbow down, over-the-top
elbow up, over-the-top elbow down. The first strictly inside the limits (to 1e-9 rad) is taken,
else the first within LIMIT_TOLERANCE (clamped). Each angle is wrapped to (-pi, pi], then joints
whose limits reach past that (joint4/joint5 of the OMX-F, [-pi, pi - 0.0015]) take the turn
inside them (pi -> -pi).
"""

from __future__ import annotations

from ik_net_ros.kinematics.limits import clamp_to_limits
from ik_net_ros.kinematics.planar import PlanarChain
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
    REACHABLE,
    STRICT_TOLERANCE,
    wrap,
)
from ik_net_ros.kinematics.rotations import quat_to_matrix
import numpy as np

__all__ = ['roll_solutions', 'wrist_points', 'joint1_directions', 'BRANCHES', 'ON_AXIS']

BRANCHES = ('front elbow up', 'front elbow down', 'over the top elbow up',
            'over the top elbow down')
ON_AXIS = 1e-9  # m from joint1's axis below which the wrist has no azimuth


def wrist_points(position: np.ndarray, rotation: np.ndarray, c: PlanarChain) -> np.ndarray:
    """Return wrist points (N, 3) ``p - R (tool, tool_y, tool_z)`` of tool poses, m."""
    w = position - rotation[:, :, 0] * c.tool
    if c.tool_y:
        w = w - rotation[:, :, 1] * c.tool_y
    if c.tool_z:
        w = w - rotation[:, :, 2] * c.tool_z
    return w


def joint1_directions(dx: np.ndarray, dy: np.ndarray, rotation: np.ndarray
                      ) -> tuple[np.ndarray, np.ndarray]:
    """
    Return (cos, sin) (N,) of joint1 (front) for wrist offsets (dx, dy) from joint1's axis.

    The wrist's azimuth; on the axis (closer than ON_AXIS) the tool x axis's heading, and where
    that is vertical too the heading the tool y axis gives with no roll.
    """
    rho = np.hypot(dx, dy)
    on_axis = rho < ON_AXIS
    if not on_axis.any():
        return dx / rho, dy / rho
    c, s = dx.copy(), dy.copy()
    rho[on_axis] = 1.0
    rows = np.flatnonzero(on_axis)
    ux, uy = rotation[rows, 0, 0], rotation[rows, 1, 0]
    vx, vy = rotation[rows, 0, 1], rotation[rows, 1, 1]
    heading = np.hypot(ux, uy)
    level = heading > 1e-9
    alt = np.hypot(vx, vy)
    alt[alt == 0.0] = 1.0
    c[rows] = np.where(level, ux / np.where(level, heading, 1.0), vy / alt)
    s[rows] = np.where(level, uy / np.where(level, heading, 1.0), -vx / alt)
    return c / rho, s / rho


def roll_solutions(p: np.ndarray, arm, c: PlanarChain) -> IkSolutions:
    """
    Every closed-form branch (N, 4, dof) of validated poses ``p`` (N, 7), checked against limits.

    ``arm`` (an :class:`~ik_net_ros.arm.Arm`) gives the limits, ``c`` its upright planar chain
    (``c.roll``). The branches and the rule: the module's docstring.
    """
    n = len(p)
    rot = quat_to_matrix(p[:, 3:])
    w = wrist_points(p[:, :3], rot, c)
    dx, dy = w[:, 0] - c.joint1_x, w[:, 1]
    c1, s1 = joint1_directions(dx, dy, rot)
    # Rz(-q1) R of the front branch: rows 0 and 1 turned by -q1, row 2 unchanged
    m00 = c1 * rot[:, 0, 0] + s1 * rot[:, 1, 0]
    across = -s1 * rot[:, 0, 0] + c1 * rot[:, 1, 0]  # (1, 0): zero for a pose the arm takes
    m11 = -s1 * rot[:, 0, 1] + c1 * rot[:, 1, 1]
    m12 = -s1 * rot[:, 0, 2] + c1 * rot[:, 1, 2]
    consistent = np.abs(across) <= ORIENTATION_TOLERANCE
    bounds = bounds_of(arm)
    q = np.empty((4, arm.dof, n))
    valid = np.empty((n, 4), bool)
    strict = np.empty((n, 4), bool)
    in_reach = None
    zw = w[:, 2] - c.shoulder_z
    for side, sign in enumerate((1.0, -1.0)):  # front, over the top
        # over the top: q1 + pi turns the plane's rows by pi: m00, m11, m12 change sign
        rw = (dx * c1 + dy * s1) * sign  # the wrist's signed distance along the arm's plane
        pair = q[2 * side:2 * side + 2]
        reach = elbows(rw, zw, c, pair)
        in_reach = reach if in_reach is None else in_reach
        q1 = np.arctan2(s1 * sign, c1 * sign)
        phi = np.arctan2(-rot[:, 2, 0], m00 * sign)
        q5 = np.arctan2(-m12 * sign, m11 * sign)
        for k in range(2):
            branch = pair[k]
            branch[0] = q1
            wrap(phi - branch[1] - branch[2], out=branch[3])
            branch[4] = q5
            if c.has_offsets:  # link angles -> the angles the servos are commanded
                for v, offset in zip(branch, c.joint_offsets):
                    wrap(v - offset, out=v)
            into_range(branch, bounds)
            ok = consistent & reach
            valid[:, 2 * side + k] = branch_inside(branch, bounds, LIMIT_TOLERANCE) & ok
            strict[:, 2 * side + k] = branch_inside(branch, bounds, STRICT_TOLERANCE) & ok
    reason = np.where(valid.any(axis=1), REACHABLE, OUTSIDE_LIMITS)
    reason[~in_reach] = OUT_OF_REACH
    reason[~consistent] = NOT_ARM_ORIENTATION
    joints = q.transpose(2, 0, 1)  # (N, 4, dof)
    joints[~(in_reach & consistent)] = np.nan
    loose = valid & ~strict
    if loose.any():
        joints[loose] = clamp_to_limits(arm, joints[loose])
    return IkSolutions(joints=joints, valid=valid, strict=strict, reason=reason)
