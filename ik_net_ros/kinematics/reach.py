"""Projection of arbitrary target poses onto the orientations a 4-DOF arm can take.

A tool orientation of this arm is always Rz(q1) Ry(phi): no roll, and the yaw q1 is tied to the
position's azimuth about the joint1 axis. A PoseStamped from a user or an RViz marker is in
general not of that form. The projection rule:

1. The position is kept exactly (a position error is what users notice).
2. The yaw is the position's azimuth psi about the joint1 axis (forward), or psi + pi
   (reaching behind, the tool over the base). On the axis itself the requested tool y axis
   gives the yaw.
3. The pitch keeps the requested tool x axis's angle to the horizontal plane: phi = asin(-u_z),
   or pi - asin(-u_z) where the x axis points away from the yaw direction. Both yaw candidates
   then give the same tool x axis (they differ by a roll of pi).
4. Between the two, the candidate whose tool y axis is nearer the requested y axis wins
   (ties go forward); if only the other one is reachable, the other one is taken.

Already-reachable poses are returned unchanged (up to rounding), so projecting is idempotent.
"""

from __future__ import annotations

import math

import numpy as np

from ik_net_ros.kinematics.geometry import DEFAULT_GEOMETRY, ArmGeometry
from ik_net_ros.kinematics.inverse import IkSolutions, ik_solutions, solve_yaw_pitch
from ik_net_ros.kinematics.rotations import quat_from_yaw_pitch
from ik_net_ros.kinematics.validation import as_pose_array

__all__ = ['project_pose', 'project_and_solve', 'is_reachable']

_ON_AXIS = 1e-9  # m from the joint1 axis below which the azimuth is undefined


def project_pose(poses, geometry: ArmGeometry = DEFAULT_GEOMETRY) -> np.ndarray:
    """Nearest pose the arm can take by the module's rule (same position, orientation
    projected). Shape (7,) or (N, 7) as given.

    Raises:
        InvalidPoseError: wrong shape, NaN/inf or a zero quaternion.
    """
    p, single = as_pose_array(poses)
    out, _ = project_and_solve(p, geometry)
    return out[0] if single else out


def project_and_solve(p: np.ndarray, geometry: ArmGeometry = DEFAULT_GEOMETRY
                      ) -> tuple[np.ndarray, IkSolutions]:
    """Projected poses (N, 7) of validated poses ``p`` (see :func:`as_pose_array`) and the
    closed-form solutions of the projected poses, computed once for both uses.

    The preferred yaw candidate is solved for every pose, the other one only for the poses
    the first cannot reach (rarely any): about half the work of solving both. Yaw and pitch
    are read back from the projected quaternion, as the single-pose twin
    (:func:`ik_net_ros.kinematics.scalar.project_and_solve_one`) does, so both agree exactly.
    """
    qx, qy, qz, qw = p[:, 3], p[:, 4], p[:, 5], p[:, 6]
    # requested tool x axis u (rotation column 0) and y axis v (column 1)
    ux, uy, uz = 1 - 2 * (qy * qy + qz * qz), 2 * (qx * qy + qz * qw), 2 * (qx * qz - qy * qw)
    vx, vy = 2 * (qx * qy - qz * qw), 1 - 2 * (qx * qx + qz * qz)
    dx, y, z = p[:, 0] - geometry.joint1_x, p[:, 1], p[:, 2]
    psi = np.arctan2(y, dx)
    on_axis = np.hypot(dx, y) < _ON_AXIS
    if on_axis.any():
        psi[on_axis] = np.arctan2(-vx[on_axis], vy[on_axis])
    elevation = np.arcsin(np.clip(-uz, -1.0, 1.0))
    c, s = np.cos(psi), np.sin(psi)
    fwd_match = -s * vx + c * vy
    prefer_back = -fwd_match > fwd_match + 1e-12  # the back candidate's match is -fwd_match
    ahead = ux * c + uy * s  # the back yaw's is this negated (exactly)
    back_yaw = np.where(psi > 0, psi - math.pi, psi + math.pi)

    def candidate(back: np.ndarray, rows) -> tuple[np.ndarray, IkSolutions]:
        yaw = np.where(back, back_yaw[rows], psi[rows])
        facing = np.where(back, -ahead[rows], ahead[rows]) >= 0.0
        pitch = np.where(facing, elevation[rows], math.pi - elevation[rows])
        quat = quat_from_yaw_pitch(yaw, pitch)
        x_, y_, z_, w_ = quat.T
        q1 = np.arctan2(-2 * (x_ * y_ - z_ * w_), 1 - 2 * (x_ * x_ + z_ * z_))
        phi = np.arctan2(-2 * (x_ * z_ - y_ * w_), 1 - 2 * (x_ * x_ + y_ * y_))
        return quat, solve_yaw_pitch(dx[rows], y[rows], z[rows], q1, phi, geometry)

    quat, solutions = candidate(prefer_back, slice(None))
    missed = np.flatnonzero(~solutions.valid.any(axis=1))
    if missed.size:  # the other yaw, where the preferred one cannot reach
        other_quat, other = candidate(~prefer_back[missed], missed)
        take = other.valid.any(axis=1)
        rows = missed[take]
        quat[rows] = other_quat[take]
        solutions.joints[rows] = other.joints[take]
        solutions.valid[rows] = other.valid[take]
        solutions.strict[rows] = other.strict[take]
        solutions.reason[rows] = other.reason[take]
    return np.concatenate([p[:, :3], quat], axis=1), solutions


def is_reachable(poses, geometry: ArmGeometry = DEFAULT_GEOMETRY, project: bool = True):
    """True where the arm can reach the pose inside its joint limits.

    Args:
        poses: (7,) or (N, 7).
        project: judge the projected pose (see :func:`project_pose`); False judges the pose as
            given, so orientations with roll or a wrong yaw are unreachable.

    Returns:
        bool, or (N,) bool array.
    """
    p, single = as_pose_array(poses)
    sol = project_and_solve(p, geometry)[1] if project else ik_solutions(p, geometry)
    ok = sol.valid.any(axis=1)
    return bool(ok[0]) if single else ok
