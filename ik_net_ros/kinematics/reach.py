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
from ik_net_ros.kinematics.inverse import IkSolutions, ik_solutions
from ik_net_ros.kinematics.rotations import quat_from_yaw_pitch, quat_to_matrix
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
    closed-form solutions of the projected poses, computed once for both uses."""
    rot = quat_to_matrix(p[:, 3:])
    u, v = rot[:, :, 0], rot[:, :, 1]  # requested tool x and y axes
    dx, dy = p[:, 0] - geometry.joint1_x, p[:, 1]
    on_axis = np.hypot(dx, dy) < _ON_AXIS
    psi = np.where(on_axis, np.arctan2(-v[:, 0], v[:, 1]), np.arctan2(dy, dx))

    candidates = []
    for yaw in (psi, np.where(psi > 0, psi - math.pi, psi + math.pi)):
        elevation = np.arcsin(np.clip(-u[:, 2], -1.0, 1.0))
        ahead = u[:, 0] * np.cos(yaw) + u[:, 1] * np.sin(yaw) >= 0.0
        pitch = np.where(ahead, elevation, math.pi - elevation)
        quat = quat_from_yaw_pitch(yaw, pitch)
        y_match = -np.sin(yaw) * v[:, 0] + np.cos(yaw) * v[:, 1]
        pose = np.concatenate([p[:, :3], quat], axis=1)
        candidates.append((pose, y_match, ik_solutions(pose, geometry)))
    (fwd, fwd_match, fwd_sol), (back, back_match, back_sol) = candidates
    fwd_ok, back_ok = fwd_sol.valid.any(axis=1), back_sol.valid.any(axis=1)
    prefer_back = back_match > fwd_match + 1e-12
    take_back = np.where(fwd_ok == back_ok, prefer_back, back_ok)
    pick = take_back[:, None]
    solutions = IkSolutions(
        joints=np.where(pick[:, :, None], back_sol.joints, fwd_sol.joints),
        valid=np.where(pick, back_sol.valid, fwd_sol.valid),
        strict=np.where(pick, back_sol.strict, fwd_sol.strict),
        reason=np.where(take_back, back_sol.reason, fwd_sol.reason))
    return np.where(pick, back, fwd), solutions


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
