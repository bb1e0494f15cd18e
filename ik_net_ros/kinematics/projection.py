"""
Projection of arbitrary target poses onto the orientations a planar arm can take.

The arm's shape chooses the rule: an arm with a wrist roll (the OMX-F) is projected by
:mod:`ik_net_ros.kinematics.roll_projection`; one without (the OM-X) by the rule below.

A tool orientation of an arm without a roll is always Rz(q1) Ry(phi): no roll, and the yaw q1
is tied to the position's azimuth about the joint1 axis. A PoseStamped from a user or an RViz
marker is in general not of that form. The projection rule:

1. The position is kept exactly (a position error is what users notice).
2. The yaw is the position's azimuth psi about the joint1 axis (forward), or psi + pi
   (reaching behind, the tool over the base). On the axis itself the requested tool y axis
   gives the yaw.
3. The pitch keeps the requested tool x axis's angle to the horizontal plane: phi = asin(-u_z),
   or pi - asin(-u_z) where the x axis points away from the yaw direction (across it, to
   within 1e-12: towards). Both yaw candidates then give the same tool x axis (they differ
   by a roll of pi).
4. Between the two, the candidate whose tool y axis is nearer the requested y axis wins
   (ties, to within 1e-12, go forward); if only the other one is reachable, the other one is
   taken.

Already-reachable poses are returned unchanged (up to rounding), so projecting is idempotent.
"""

from __future__ import annotations

from typing import NamedTuple

from ik_net_ros.arm import arm_or_default
from ik_net_ros.kinematics.inverse import ik_solutions, IkSolutions, solve_yaw_pitch
from ik_net_ros.kinematics.planar import is_planar
from ik_net_ros.kinematics.planar_ik import OUTSIDE_LIMITS, planar_of, REACHABLE
from ik_net_ros.kinematics.roll_projection import project_roll
from ik_net_ros.kinematics.rotations import canonical_quat
from ik_net_ros.kinematics.validation import as_pose_array
import numpy as np

__all__ = ['project_pose', 'project_and_solve', 'project_both', 'is_reachable']

_ON_AXIS = 1e-9  # m from the joint1 axis below which the azimuth is undefined
# ties of the rule (a requested x axis across the yaw plane, both yaws alike) are decided by a
# margin over rounding: poses typed as round numbers (a quaternion (0, 0, 1, 1)) get one
# answer whether or not they were normalised before (which can move them by an ulp)
_TIE = 1e-12
HYSTERESIS = 0.1  # |cos| of the requested y axis to the forward one under which both sides do


def project_pose(poses, arm=None) -> np.ndarray:
    """
    Nearest pose the arm can take by the module's rule (same position, orientation projected).

    Shape (7,) or (N, 7) as given. ``arm``: a planar :class:`~ik_net_ros.arm.Arm` (None:
    ROBOTIS's humble OM-X).

    Raises
    ------
    InvalidPoseError
        Wrong shape, NaN/inf or a zero quaternion.

    """
    p, single = as_pose_array(poses)
    out, _ = project_and_solve(p, arm)
    return out[0] if single else out


def project_and_solve(p: np.ndarray, arm=None,
                      closed_form: bool = True) -> tuple[np.ndarray, IkSolutions]:
    """
    Project validated poses ``p`` (N, 7) and solve the projected poses in closed form.

    ``arm``: a planar :class:`~ik_net_ros.arm.Arm` (None: ROBOTIS's humble OM-X). An arm with a
    wrist roll: :func:`~ik_net_ros.kinematics.roll_projection.project_roll` (every branch,
    ``closed_form`` ignored).

    ``p`` comes from :func:`as_pose_array`; both are computed once for both uses
    (``closed_form=False``: their reachability only, see :func:`solve_yaw_pitch`).

    The preferred yaw candidate is solved for every pose, the other one only for the poses
    the first cannot reach (rarely any): about half the work of solving both. Yaw and pitch are
    carried as cosine and sine pairs (the yaw's from the position, the pitch's from the
    requested x axis), so no sin or cos is computed: only the joint angles themselves cost an
    atan2. The single-pose twin
    (:func:`ik_net_ros.kinematics.projection_one_pose.project_and_solve_one`) does the same float
    operations, so both agree exactly (tests).
    """
    arm = arm_or_default(arm)
    c = planar_of(arm)
    if c.roll:
        return project_roll(p, arm, c)
    d = _directions(p, c)
    quat, solutions = _candidate(d, d.prefer_back, slice(None), arm, closed_form)
    missed = np.flatnonzero(~solutions.reachable)
    if missed.size:  # the other yaw, where the preferred one cannot reach
        other_quat, other = _candidate(d, ~d.prefer_back[missed], missed, arm, closed_form)
        take = other.reachable
        rows = missed[take]
        quat[rows] = other_quat[take]
        solutions.valid[rows] = other.valid[take]
        solutions.reason[rows] = other.reason[take]
        if closed_form:
            solutions.joints[rows] = other.joints[take]
            solutions.strict[rows] = other.strict[take]
    return _poses(p, quat), solutions


def project_both(p: np.ndarray, arm=None
                 ) -> tuple[list[np.ndarray], list[IkSolutions], np.ndarray, np.ndarray]:
    """
    Both candidates of validated poses ``p`` (N, 7): forward (index 0) and the other one (1).

    Their projected poses (N, 7) and closed-form solutions (both elbows), which one the rule
    prefers (N,) (True: the other one) and where either will do (N,) (the OM-X: the requested
    tool y axis within HYSTERESIS of across both yaws). An arm with a wrist roll has one
    projected pose, reached by joint1 towards the wrist (index 0) or over the top (1): either
    will do. For callers that choose between the candidates themselves (the solution nearest
    a seed).
    """
    arm = arm_or_default(arm)
    c = planar_of(arm)
    if c.roll:
        poses, sol = project_roll(p, arm, c)
        halves = [IkSolutions(sol.joints[:, k:k + 2], sol.valid[:, k:k + 2],
                              sol.strict[:, k:k + 2], sol.reason.copy()) for k in (0, 2)]
        for half in halves:  # a side with no branch in the limits says so
            half.reason[(half.reason == REACHABLE) & ~half.valid.any(axis=1)] = OUTSIDE_LIMITS
        either = np.ones(len(p), bool)
        return [poses, poses], halves, np.zeros(len(p), bool), either
    d = _directions(p, c)
    poses, solutions = [], []
    for back in (False, True):
        quat, sol = _candidate(d, np.full(len(p), back), slice(None), arm, True)
        poses.append(_poses(p, quat))
        solutions.append(sol)
    return poses, solutions, d.prefer_back, np.abs(d.fwd_match) <= HYSTERESIS


class _Directions(NamedTuple):
    """The projection's per-pose quantities shared by both yaw candidates."""

    dx: np.ndarray
    y: np.ndarray
    z: np.ndarray
    c: np.ndarray  # the forward yaw's cosine and sine
    s: np.ndarray
    ahead: np.ndarray  # requested x axis along the forward yaw
    level: np.ndarray  # the pitch's cosine (unsigned) and sine
    rise: np.ndarray
    fwd_match: np.ndarray
    prefer_back: np.ndarray


def _directions(p: np.ndarray, c) -> _Directions:
    qx, qy, qz, qw = p[:, 3], p[:, 4], p[:, 5], p[:, 6]
    # requested tool x axis u (rotation column 0) and y axis v (column 1)
    ux, uy, uz = 1 - 2 * (qy * qy + qz * qz), 2 * (qx * qy + qz * qw), 2 * (qx * qz - qy * qw)
    vx, vy = 2 * (qx * qy - qz * qw), 1 - 2 * (qx * qx + qz * qz)
    dx, y, z = p[:, 0] - c.joint1_x, p[:, 1], p[:, 2]
    # the yaw's direction (c, s): the position's azimuth about the joint1 axis
    rho2 = dx * dx + y * y
    on_axis = rho2 < _ON_AXIS * _ON_AXIS
    if on_axis.any():  # no azimuth: the requested y axis's direction gives the yaw
        rho2[on_axis] = 1.0
        c, s = dx.copy(), y.copy()
        c[on_axis], s[on_axis] = _axis_yaw(vx[on_axis], vy[on_axis])
    else:
        c, s = dx, y
    rho = np.sqrt(rho2)
    c, s = c / rho, s / rho
    fwd_match = -s * vx + c * vy
    prefer_back = -fwd_match > fwd_match + _TIE  # the back candidate's match is -fwd_match
    # the pitch's direction: the requested x axis's angle to the horizontal plane
    return _Directions(dx, y, z, c, s, ux * c + uy * s, np.sqrt(ux * ux + uy * uy), -uz,
                       fwd_match, prefer_back)


def _candidate(d: _Directions, back: np.ndarray, rows, arm,
               closed_form: bool) -> tuple[np.ndarray, IkSolutions]:
    """Quaternions and solutions of one yaw candidate (``back``: reaching behind) of ``rows``."""
    sign = np.where(back, -1.0, 1.0)
    cy, sy = d.c[rows] * sign, d.s[rows] * sign + 0.0  # + 0.0: a yaw of pi, never -pi
    cp = np.where(d.ahead[rows] * sign >= -_TIE, d.level[rows], -d.level[rows])
    sp = d.rise[rows]
    quat = _quat_of_directions(cy, sy, cp, sp)
    return quat, solve_yaw_pitch(d.dx[rows], d.y[rows], d.z[rows], np.arctan2(sy, cy),
                                 np.arctan2(sp, cp), arm, (cy, sy), (cp, sp), closed_form)


def _poses(p: np.ndarray, quat: np.ndarray) -> np.ndarray:
    out = np.empty((len(p), 7))
    out[:, :3] = p[:, :3]
    out[:, 3:] = quat
    return out


def _axis_yaw(vx: np.ndarray, vy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """
    Return the yaw's direction on the joint1 axis.

    The requested y axis's horizontal direction (vy, -vx), unit; (1, 0) where that is vertical.
    """
    norm = np.sqrt(vx * vx + vy * vy)
    flat = norm == 0.0
    norm[flat] = 1.0
    return np.where(flat, 1.0, vy / norm), np.where(flat, 0.0, -vx / norm)


def _half_angle(c: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """
    Return (cos a/2, sin a/2) of the angle a with cosine c and sine s, times a positive factor.

    That is (1 + c, s), or where c < 0 (1 + c would cancel) (|s|, copysign(1 - c, s)).
    """
    back = c < 0.0
    return (np.where(back, np.abs(s), 1.0 + c),
            np.where(back, np.copysign(1.0 - c, s), s))


def _quat_of_directions(cy, sy, cp, sp) -> np.ndarray:
    """
    Canonical quaternions (N, 4) of Rz(yaw) Ry(pitch).

    Yaw and pitch given by their cosines and sines: (x, y, z, w) = (-sa sb, ca sb, sa cb, ca cb) of
    the half angles.
    """
    ca, sa = _half_angle(cy, sy)
    cb, sb = _half_angle(cp, sp)
    scale = 1.0 / np.sqrt((ca * ca + sa * sa) * (cb * cb + sb * sb))
    quat = np.empty((len(ca), 4))
    ca *= scale
    sa *= scale
    np.multiply(-sa, sb, out=quat[:, 0])
    np.multiply(ca, sb, out=quat[:, 1])
    np.multiply(sa, cb, out=quat[:, 2])
    np.multiply(ca, cb, out=quat[:, 3])  # >= 0: ca, cb >= 0
    if not quat[:, 3].all():  # w = 0: the first non-zero of (x, y, z) positive
        quat = canonical_quat(quat)
    return quat


def is_reachable(poses, arm=None, project: bool = True):
    """
    Return True where the arm can reach the pose inside its joint limits.

    Parameters
    ----------
    poses
        (7,) or (N, 7).
    project
        Judge the projected pose (see :func:`project_pose`); False judges the pose as
        given, so orientations with roll or a wrong yaw are unreachable.
    arm
        An :class:`~ik_net_ros.arm.Arm` with a closed form (None: ROBOTIS's humble OM-X); one
        that is not planar (the OMY) takes every orientation: ``project`` does not apply.

    Returns
    -------
    bool, or (N,) bool array.

    """
    p, single = as_pose_array(poses)
    arm = arm_or_default(arm)
    if not is_planar(arm.upright()):
        # the one place that dispatches by shape (it imports this module, hence here)
        from ik_net_ros.kinematics.closed_forms import reaches
        ok = reaches(p, arm)
        return bool(ok[0]) if single else ok
    sol = project_and_solve(p, arm)[1] if project else ik_solutions(p, arm)
    ok = sol.valid.any(axis=1)
    return bool(ok[0]) if single else ok
