"""
The exact inverse kinematics of a Universal-Robots-layout arm (the OMY): all eight branches.

For an arm of :mod:`~ik_net_ros.kinematics.ur_layout` (read off the Arm, errors' offsets and
origin deltas included), vectorised over N poses. Each pose has up to eight solutions, indexed
``4 * shoulder + 2 * elbow + wrist`` (each bit 0 or 1):

- **shoulder**: 0 where the wrist centre is in front of joint1's axis (positive x in joint1's
  link frame, the layout's x), 1 behind it (the arm reaching over its base);
- **elbow**: 0 where sin(link angle 3 + the elbow's fixed angle) >= 0 (the angle between the
  upper arm and the forearm in the pitch plane), 1 where it is negative;
- **wrist**: 0 where sin(link angle 5 + beta) >= 0 (joint6's axis on one side of the pitch
  plane), 1 where negative.

:func:`branch_of` gives these bits of a joint vector, so a branch is a region of joint space.

Steps (every one a closed formula, no iteration): the wrist centre (where joint6's axis meets
joint5's) from the target; joint1 from its fixed offset along the pitch axis; joint5 from the
pitch-axis component of joint6's axis; joint6 from the pitch axis seen in the tool frame;
the pitch sum q2 + q3 + q4 from the orientation left; q2 and q3 from the planar two-link
problem of the wrist centre; q4 from the sum. Angles from atan2 of both components (never an
acos or asin of a number near +-1), so a pose near a singular set is solved to rounding.

**Singular sets** (the ``singular`` bits, set within NEAR_SINGULAR of the set):

- WRIST (joint6's axis parallel to the pitch axes: link angle 5 + beta = 0 or pi): joints 2,
  3, 4 and 6 turn about parallel axes, a one-parameter self-motion (the orientation fixes only
  a combination of the pitch sum q2 + q3 + q4 and q6; the wrist centre's reach bounds the
  pitch sum). Where |sin| < FREE the pitch sum keeps its ``free`` value (the seed's; the home
  pose's without one), moved to the nearest value the links reach, and joint6 takes the rest.
  Near the set (|sin| < NEAR_SINGULAR) joint6 is fixed by the orientation only to rounding /
  |sin|; the pitch sum is moved into reach the same way where that costs at most
  ORIENTATION_SLACK rad, so a reachable pose is not lost to that rounding. Where the
  shoulder set's rounding (joint1 to ~1e-8 rad) puts |sin| just above FREE, the pitch sum is
  the orientation's, exact but not the seed's: a point of the self-motion away from the seed
  (1 pose in 100,000 of the sweep in ``benchmarks/ur_closed_form_speed.py``).
- ELBOW (upper arm and forearm in one line, straight or folded): the two elbow branches
  coincide. Should the wrist centre sit on joint2's axis (possible only with upper arm and
  forearm of equal length), joint2 is free and keeps its ``free`` value.
- SHOULDER (the wrist centre on the boundary cylinder about joint1's axis whose radius is the
  centre's offset along the pitch axis: on joint1's axis when that offset is zero): the two
  shoulder branches coincide. Should the offset be zero and the centre on the axis, joint1 is
  free and keeps its ``free`` value.

No NaN and no inf for any finite pose: an unreachable branch (``reachable`` False: the centre
inside the cylinder, or farther from joint2's axis than the arm's two links reach) returns the
nearest clipped angles, finite and meaningless. Joint values are wrapped into [-pi, pi]; the
limits (J3 +-150 deg on the OMY) and turns beyond a full turn are the branch rules' business
(:mod:`ik_net_ros.kinematics.ur_branches`).
"""

from __future__ import annotations

from dataclasses import dataclass
import math

from ik_net_ros.arm import Arm
from ik_net_ros.kinematics.chain import joint_rows
from ik_net_ros.kinematics.rotations import quat_to_matrix
from ik_net_ros.kinematics.ur_layout import NotURLayoutError, ur_layout, URLayout
from ik_net_ros.kinematics.validation import as_pose_array
import numpy as np

__all__ = ['URSolutions', 'ur_inverse', 'branch_of', 'BRANCHES', 'WRIST', 'ELBOW', 'SHOULDER',
           'NEAR_SINGULAR', 'FREE', 'REACH_TOLERANCE', 'ORIENTATION_SLACK', 'NotURLayoutError']

BRANCHES = 8
WRIST, ELBOW, SHOULDER = 1, 2, 4  # bits of URSolutions.singular
NEAR_SINGULAR = 1e-5  # |sin| (rad) or m from a singular set flagged
FREE = 1e-12  # |sin| (or m) under which the free joint keeps its ``free`` value
REACH_TOLERANCE = 1e-9  # m a target may lie past the reach (rounding) and count as reachable
ORIENTATION_SLACK = 1e-12  # rad of orientation a near-wrist branch may give for its reach

_TURN = 2 * math.pi
# the eight branches as axes (N, shoulder, elbow, wrist) of 2 each: bit 0 -> +1, bit 1 -> -1;
# each step is computed over the axes it depends on only (joint1 over the shoulder's, ...)
_SHOULDER_SIGN = np.array([1.0, -1.0]).reshape(1, 2, 1, 1)
_ELBOW_SIGN = np.array([1.0, -1.0]).reshape(1, 1, 2, 1)
_WRIST_SIGN = np.array([1.0, -1.0]).reshape(1, 1, 1, 2)


@dataclass
class URSolutions:
    """
    The eight solutions of N poses.

    Attributes
    ----------
    joints
        (N, 8, 6) joint values (rad, in [-pi, pi]), branch ``4 shoulder + 2 elbow + wrist``.
    reachable
        (N, 8) whether the branch reaches the pose (its joints are then exact).
    singular
        (N, 8) uint8: WRIST | ELBOW | SHOULDER bits of the singular sets the branch is within
        NEAR_SINGULAR of.

    """

    joints: np.ndarray
    reachable: np.ndarray
    singular: np.ndarray


def _cross(a: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Return a x v for a constant (3,) and v (..., 3) (np.cross is 3x slower here)."""
    x, y, z = v[..., 0], v[..., 1], v[..., 2]
    return np.stack([a[1] * z - a[2] * y, a[2] * x - a[0] * z, a[0] * y - a[1] * x], -1)


def _rotate(axis: np.ndarray, c: np.ndarray, s: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Return v (..., 3) turned about a constant unit ``axis`` by the angle of (c, s) (...)."""
    c, s = c[..., None], s[..., None]
    v = np.broadcast_to(v, np.broadcast_shapes(c.shape[:-1] + (3,), np.shape(v)))
    return v * c + _cross(axis, v) * s + axis * (v @ axis)[..., None] * (1.0 - c)


def _yaw(c: np.ndarray, s: np.ndarray, v: np.ndarray, inverse: bool = False) -> np.ndarray:
    """Return v (..., 3) turned about z by the angle of (c, s) (or back by it)."""
    s = -s if inverse else s
    x, y = c * v[..., 0] - s * v[..., 1], s * v[..., 0] + c * v[..., 1]
    return np.stack([x, y, np.broadcast_to(v[..., 2], x.shape)], -1)


def _pitch(c: np.ndarray, s: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Return the x, z of v (3,) turned about y by the angle of (c, s) (...): (..., 2)."""
    return np.stack([c * v[0] + s * v[2], c * v[2] - s * v[0]], -1)


def _wrap(angle: np.ndarray) -> np.ndarray:
    """Return angles (rad) in [-pi, pi] (exact for angles already inside: minus 0 turns)."""
    return angle - _TURN * np.round(angle / _TURN)


def _free_links(arm: Arm, lay: URLayout, free, n: int) -> np.ndarray:
    """Return (N, 6) link angles the free joints keep: ``free`` (or home) plus offsets."""
    if free is None:
        values = np.broadcast_to(np.asarray(arm.home, dtype=float), (n, 6))
    else:
        values, _ = joint_rows(arm, free, 'free')
        if len(values) not in (1, n):
            raise ValueError(f'free: expected (6,) or ({n}, 6) joint values, got '
                             f'{np.shape(free)}')
        values = np.broadcast_to(values, (n, 6))
    return values + lay.offsets


def _into_reach(lay: URLayout, centre1: np.ndarray, theta: np.ndarray) -> np.ndarray:
    """
    Return pitch sums theta (M,) moved to the nearest at which the two links reach the centre.

    ``centre1`` (M, 3): the wrist centre in joint1's link frame. The centre of joint4's axis
    is the centre less the hand turned by theta: inside the links' reach for a band of theta.
    """
    ws = (centre1[:, 2] - lay.shoulder[2]) + 1j * (centre1[:, 0] - lay.shoulder[0])
    hand = complex(lay.hand[2], lay.hand[0])
    l2, l3 = (abs(complex(v[2], v[0])) for v in (lay.upper_arm, lay.forearm))
    # |w - exp(i theta) hand|^2 = a - b cos(theta - theta0)
    a = np.abs(ws) ** 2 + abs(hand) ** 2
    b = 2 * np.abs(ws) * abs(hand)
    theta0 = np.angle(ws) - np.angle(hand)
    safe_b = np.where(b > 0, b, 1.0)
    lo = np.arccos(np.clip((a - (l2 - l3) ** 2) / safe_b, -1.0, 1.0))
    hi = np.arccos(np.clip((a - (l2 + l3) ** 2) / safe_b, -1.0, 1.0))
    delta = _wrap(theta - theta0)
    sign = np.where(delta < 0, -1.0, 1.0)
    return np.where(b > 0, theta0 + sign * np.clip(np.abs(delta), lo, np.maximum(lo, hi)),
                    theta)


def _joint6_of(lay: URLayout, rot, c1, s1, c5, sn5, theta) -> np.ndarray:
    """
    Return joint6 (M,) that completes the orientation ``rot`` (M, 3, 3) given q1, q5, theta.

    R6 a5 = R5^T Ry(-theta) R1^T R Rt^T a5 (a5 is across a6): exact on the wrist set too,
    where joint6 and the pitch sum are not separately fixed by the orientation.
    """
    v = rot @ (lay.tool_rotation.T @ lay.axis5)
    v = _yaw(c1, s1, v, inverse=True)
    ct, st = np.cos(theta), np.sin(theta)
    v = np.stack([ct * v[:, 0] - st * v[:, 2], v[:, 1], st * v[:, 0] + ct * v[:, 2]], -1)
    v = _rotate(lay.axis5, c5, -sn5, v)
    return np.arctan2(np.cross(lay.axis5, v) @ lay.axis6, v @ lay.axis5)


def _near_wrist(lay, rot, centre1, c1, s1, c5, sn5, s5, free, theta, q6):
    """
    Settle the pitch sum and joint6 (N, 2, 1, 2, in place) of branches near the wrist set.

    There joints 2, 3, 4 and 6 turn about (nearly) parallel axes: a one-parameter self-motion
    (exactly on the set) or one whose joint6 the orientation fixes only to rounding / |s5|.
    On the set (|s5| < FREE) theta keeps the ``free`` joints' q2 + q3 + q4; near it theta is
    the orientation's. Either is moved to the nearest value that keeps the wrist centre within
    the links' reach (near the set only if that costs at most ORIENTATION_SLACK rad of
    orientation, |s5| times the move), and joint6 takes the rest of the orientation.
    """
    near = np.abs(s5) < NEAR_SINGULAR
    if not near.any():
        return
    rows = np.nonzero(near)[0]

    def at(values):
        return np.broadcast_to(values, near.shape + values.shape[near.ndim:])[near]
    on_set = np.abs(s5[near]) < FREE
    want = np.where(on_set, free[rows, 1:4] @ lay.signs[1:4], theta[near])
    moved = _into_reach(lay, at(centre1), want)
    take = on_set | (np.abs(s5[near] * _wrap(moved - want)) <= ORIENTATION_SLACK)
    new_q6 = _joint6_of(lay, rot[rows], at(c1), at(s1), c5[near], sn5[near], moved)
    theta[near] = np.where(take, moved, theta[near])
    q6[near] = np.where(take, new_q6, q6[near])


def ur_inverse(arm, poses, free=None) -> URSolutions:
    """
    Return the eight solutions of tool ``poses`` (N, 7) or (7,) [x y z qx qy qz qw].

    Poses in the arm's base frame (m), quaternions normalised. ``free``: joint values (6,) or
    (N, 6) the free joints of a singular pose keep (the seed; None: ``arm.home``). The arm is
    solved with its errors' offsets and origin deltas (not tilts: see the raise).

    Raises
    ------
    NotURLayoutError
        ``arm`` is not of the UR layout, or its axes lean (solve ``arm.upright()`` then).
    TypeError
        ``arm`` is not an Arm.
    InvalidPoseError
        Not finite real (N, 7) poses; a zero quaternion.

    """
    lay = ur_layout(arm)
    pose, single = as_pose_array(poses)
    n = len(pose)
    free = _free_links(arm, lay, free, n)
    target = quat_to_matrix(pose[:, 3:])  # (N, 3, 3)
    rot = np.einsum('ji,njk->nik', lay.rotation, target)  # the target in the layout frame
    pos = (pose[:, :3] - lay.origin) @ lay.rotation
    centre = pos + rot @ lay.centre_in_tool
    axis6 = rot @ lay.axis6_in_tool
    tool = rot @ lay.tool_rotation.T  # R Rt^T: the orientation left for the joints

    # joint1 (N, 2, 1, 1): the centre's y in joint1's link frame is the fixed offset d
    d = lay.offset
    r2 = centre[:, 0] ** 2 + centre[:, 1] ** 2
    r = np.sqrt(r2)
    reach1 = (r >= abs(d) - REACH_TOLERANCE).reshape(n, 1, 1, 1)
    rho = np.sqrt(np.maximum(r2 - d * d, 0.0)).reshape(n, 1, 1, 1) * _SHOULDER_SIGN  # its x
    phi = np.arctan2(centre[:, 1], centre[:, 0]).reshape(n, 1, 1, 1)
    q1 = np.where((r < FREE).reshape(n, 1, 1, 1), free[:, 0].reshape(n, 1, 1, 1),
                  phi - np.arctan2(d, rho))
    c1, s1 = np.cos(q1), np.sin(q1)

    # joint5 (N, 2, 1, 2): joint6's axis, in joint1's link frame, has y = cos(q5 + beta)
    v = _yaw(c1, s1, axis6[:, None, None, None, :], inverse=True)
    s5 = np.hypot(v[..., 0], v[..., 2]) * _WRIST_SIGN
    q5 = np.arctan2(s5, v[..., 1]) - lay.beta
    c5, sn5 = np.cos(q5), np.sin(q5)

    # joint6 turns the pitch axis seen from the tool (m = Rt R^T R1 y) into link5's (u)
    rows = tool[:, None, None, None, :, :]
    m = rows[..., 1, :] * c1[..., None] - rows[..., 0, :] * s1[..., None]
    u = _rotate(lay.axis5, c5, -sn5, np.array([0.0, 1.0, 0.0]))
    a6 = lay.axis6
    # both projected onto the plane across a6 first: near the wrist set they are short, and
    # m.u - (m.a6)(u.a6) would be the difference of two numbers near 1
    m = m - (m @ a6)[..., None] * a6
    u = u - (u @ a6)[..., None] * a6
    q6 = np.arctan2(-np.sum(m * _cross(a6, u), -1), np.sum(m * u, -1))  # a6.(m x u), m.u
    centre1 = _yaw(c1, s1, centre[:, None, None, None, :], inverse=True)  # joint1's link frame

    # the pitch sum: the rest of the orientation, M = R1^T R Rt^T R6^T R5^T, turns about y
    # M^T e_z = (-sin theta, 0, cos theta), M^T = R5 R6 Rt R^T R1 (R1 keeps e_z)
    g = _rotate(a6, np.cos(q6), np.sin(q6), rows[..., 2, :])
    g = _rotate(lay.axis5, c5, sn5, g)
    theta = np.arctan2(-g[..., 0], g[..., 2])
    _near_wrist(lay, rot, centre1, c1, s1, c5, sn5, s5, free, theta, q6)

    # joints 2, 3 (N, 2, 2, 2): the planar two-link problem of the centre, in (z, x)
    hand = _pitch(np.cos(theta), np.sin(theta), lay.hand)
    wx = centre1[..., 0] - lay.shoulder[0] - hand[..., 0]
    wz = centre1[..., 2] - lay.shoulder[2] - hand[..., 1]
    (ux, uz), (fx, fz) = lay.upper_arm[[0, 2]], lay.forearm[[0, 2]]
    l2, l3 = math.hypot(ux, uz), math.hypot(fx, fz)
    reach = np.hypot(wx, wz)
    reachable = reach1 & (reach <= l2 + l3 + REACH_TOLERANCE) \
        & (reach >= abs(l2 - l3) - REACH_TOLERANCE)
    # cos(gamma) = (|w|^2 - l2^2 - l3^2) / (2 l2 l3); 1 -+ cos as products: no cancellation
    one_minus = (l2 + l3 - reach) * (l2 + l3 + reach)
    one_plus = (reach - abs(l2 - l3)) * (reach + abs(l2 - l3))
    sin_gamma = np.sqrt(np.maximum(one_minus, 0.0) * np.maximum(one_plus, 0.0)) * _ELBOW_SIGN
    gamma = np.arctan2(sin_gamma, reach ** 2 - l2 * l2 - l3 * l3)
    phi3 = gamma - math.atan2(fx, fz) + math.atan2(ux, uz)
    c3, s3 = np.cos(phi3), np.sin(phi3)
    reached = np.arctan2(ux + s3 * fz + c3 * fx, uz + c3 * fz - s3 * fx)
    phi2 = np.where(reach < FREE, free[:, 1].reshape(n, 1, 1, 1) * lay.signs[1],
                    np.arctan2(wx, wz) - reached)

    shape = (n, 2, 2, 2)
    joints = np.empty(shape + (6,))
    for k, value in enumerate((q1, phi2 * lay.signs[1], phi3 * lay.signs[2],
                               (theta - phi2 - phi3) * lay.signs[3], q5, q6)):
        joints[..., k] = value
    joints = _wrap(joints - lay.offsets).reshape(n, BRANCHES, 6)
    singular = (np.where(np.abs(rho) < NEAR_SINGULAR, SHOULDER, 0)
                | np.where(np.abs(sin_gamma) < NEAR_SINGULAR * 2 * l2 * l3, ELBOW, 0)
                | np.where(np.abs(s5) < NEAR_SINGULAR, WRIST, 0)).astype(np.uint8)
    reachable = np.broadcast_to(reachable, shape).reshape(n, BRANCHES)
    singular = singular.reshape(n, BRANCHES)
    if single:
        return URSolutions(joints[0], reachable[0], singular[0])
    return URSolutions(joints, reachable, singular)


def branch_of(arm, joints) -> np.ndarray:
    """
    Return the branch index (N,) (or a scalar of one row) of joint values (N, 6) or (6,).

    ``4 shoulder + 2 elbow + wrist`` as in :func:`ur_inverse` (a sign exactly zero counts as
    bit 0).

    Raises
    ------
    NotURLayoutError
        ``arm`` is not of the UR layout.
    InvalidJointsError
        Not finite real (N, 6) joints.

    """
    lay = ur_layout(arm)
    q, single = joint_rows(arm, joints)
    link = q + lay.offsets
    phi2, phi3 = link[:, 1] * lay.signs[1], link[:, 2] * lay.signs[2]
    theta = phi2 + phi3 + link[:, 3] * lay.signs[3]
    upper = complex(lay.upper_arm[2], lay.upper_arm[0])
    fore = complex(lay.forearm[2], lay.forearm[0])
    hand = _pitch(np.cos(theta), np.sin(theta), lay.hand)
    centre_x = (lay.shoulder[0] + (np.exp(1j * phi2) * (upper + np.exp(1j * phi3) * fore)).imag
                + hand[:, 0])
    shoulder = centre_x < 0
    elbow = np.sin(phi3 + np.angle(fore) - np.angle(upper)) < 0
    wrist = np.sin(link[:, 4] + lay.beta) < 0
    out = 4 * shoulder + 2 * elbow + wrist.astype(int)
    return out[0] if single else out
