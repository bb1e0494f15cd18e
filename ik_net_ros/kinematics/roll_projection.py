"""
Projection of any pose onto what a planar arm with a wrist roll (the OMX-F) can take.

Such an arm takes a position plus a pitch and a roll: its tool x axis (the approach axis) lies in
the vertical plane of joint1 through the wrist point ``w = p - R (tool, tool_y, tool_z)``. The
feasible rotations at a position p are Rz(a) Ry(phi) Rx(q5) with the wrist in the plane of a:
``rho sin(psi - a) = tool_y cos q5 - tool_z sin q5`` (rho, psi: p's distance and azimuth about
joint1's axis), so the plane follows the roll through the TCP's offset. The rule:

1. The position is kept exactly.
2. The orientation is the feasible one nearest the requested (the smallest rotation angle):
   a. A start (:func:`project_rotations`): the requested rotation turned by the smallest
      rotation taking its x axis u into the plane through the wrist (about u x u'; nothing
      with its x axis in that plane is nearer), the plane's azimuth solving "the wrist of the
      projected rotation is in the plane" by Newton's method (central differences, steps
      capped at 0.3 rad, to 1e-13 m) from the requested rotation's own wrist. Without a TCP
      offset this is the answer (the wrist does not depend on the roll).
   b. The nearest (:func:`nearest_rotations`): at each roll the plane and the best pitch are
      closed forms (:func:`_best_pitch`), so the angle is a function of the roll alone; its
      minimum by Newton's method on the roll (central differences; steps capped at 0.2 rad)
      from the start's roll (or that + pi, whichever is nearer), until the roll moves less
      than ROLL_TOLERANCE, 1e-9 rad (at most MAX_STEPS): the angle, flat at its minimum, is
      then within about 1e-18 rad of it (finite differences of the trace cannot place the roll
      much closer than 1e-10 rad). The plane and the pitch are closed forms of the roll: the
      answer is feasible (its wrist in its plane) exactly whatever the roll.
   c. Where the TCP is within about |tool_y| of joint1's axis the plane is ill-conditioned in
      the roll; the start is kept when it is feasible and no farther (ties to 1e-12 rad).
3. A pose the arm can take is its own answer (to 1e-13): projecting is idempotent.
4. On joint1's axis (the wrist within 1e-9 m of it) the plane is the requested x axis's
   heading (the y axis's if it is vertical), as the closed form's joint1 is.

Tests hold the answer against a 0.5 degree grid of every feasible rotation (never farther).
"""

from __future__ import annotations

from ik_net_ros.kinematics.planar import PlanarChain
from ik_net_ros.kinematics.planar_ik import IkSolutions
from ik_net_ros.kinematics.rigid import matrix_to_quat
from ik_net_ros.kinematics.roll_wrist import joint1_directions, roll_solutions, wrist_points
from ik_net_ros.kinematics.rotations import quat_angle, quat_to_matrix
import numpy as np

__all__ = ['project_roll', 'project_rotations', 'nearest_rotations', 'into_plane',
           'LATERAL_TOLERANCE', 'ROLL_TOLERANCE', 'MAX_STEPS']

LATERAL_TOLERANCE = 1e-13  # m the wrist may be off the plane when the iteration stops
MAX_STEPS = 60
ROLL_TOLERANCE = 1e-9  # rad the roll may still move when the nearest rotation's search stops


def into_plane(rotation: np.ndarray, c: np.ndarray, s: np.ndarray) -> np.ndarray:
    """
    Return rotations (N, 3, 3) turned so their x axis lies in the vertical plane (c, s, 0).

    The smallest such turn (about u x u', u the x axis, u' its projection on the plane):
    ``Q = I + [v]x + [v]x^2 / (1 + cos)``, v = u x u'/|u'|, stable for every u not normal to the
    plane (where u' is taken along the plane's horizontal (c, s, 0)).
    """
    u = rotation[:, :, 0]
    normal = np.stack([-s, c, np.zeros_like(c)], axis=1)
    across = np.einsum('ij,ij->i', u, normal)
    target = u - across[:, None] * normal
    norm = np.linalg.norm(target, axis=1)
    flat = norm < 1e-12
    if flat.any():
        target[flat] = np.stack([c[flat], s[flat], np.zeros(int(flat.sum()))], axis=1)
        norm[flat] = 1.0
    target /= norm[:, None]
    v = np.cross(u, target)
    cos = np.einsum('ij,ij->i', u, target)
    k = np.zeros((len(u), 3, 3))
    k[:, 0, 1], k[:, 0, 2], k[:, 1, 2] = -v[:, 2], v[:, 1], -v[:, 0]
    k[:, 1, 0], k[:, 2, 0], k[:, 2, 1] = v[:, 2], -v[:, 1], v[:, 0]
    turn = np.eye(3) + k + (k @ k) / (1.0 + cos)[:, None, None]
    return turn @ rotation


def _plane(p: np.ndarray, rotation: np.ndarray, c: PlanarChain):
    """Return (cos, sin) (N,) of the azimuth of the wrist of poses (p, rotation)."""
    w = wrist_points(p[:, :3], rotation, c)
    return joint1_directions(w[:, 0] - c.joint1_x, w[:, 1], rotation)


def _lateral(p: np.ndarray, rotation: np.ndarray, a: np.ndarray, c: PlanarChain):
    """Return f(a) (N,), m, and the rotations projected onto the planes of azimuths ``a``."""
    ca, sa = np.cos(a), np.sin(a)
    projected = into_plane(rotation, ca, sa)
    w = wrist_points(p[:, :3], projected, c)
    return -(w[:, 0] - c.joint1_x) * sa + w[:, 1] * ca, projected


def project_rotations(p: np.ndarray, rotation: np.ndarray, c: PlanarChain) -> np.ndarray:
    """
    Return the projected rotations (N, 3, 3) of positions ``p`` (N, >=3) and rotations (N, 3, 3).

    The module's rule (the plane's Newton iteration included).
    """
    ca, sa = _plane(p, rotation, c)
    projected = into_plane(rotation, ca, sa)
    if not (c.tool_y or c.tool_z):
        return projected  # the wrist does not depend on the roll: the first plane is the one
    a = np.arctan2(sa, ca)
    rows = np.arange(len(p))
    h = 1e-6
    for _ in range(MAX_STEPS):
        f, found = _lateral(p[rows], rotation[rows], a[rows], c)
        projected[rows] = found
        busy = np.abs(f) >= LATERAL_TOLERANCE
        if not busy.any():
            break
        rows, f = rows[busy], f[busy]
        slope = (_lateral(p[rows], rotation[rows], a[rows] + h, c)[0]
                 - _lateral(p[rows], rotation[rows], a[rows] - h, c)[0]) / (2 * h)
        step = np.clip(-f / np.where(slope == 0.0, 1e-300, slope), -0.3, 0.3)
        a[rows] += step
        moving = np.abs(step) >= 1e-14
        if not moving.any():
            break
        rows = rows[moving]
    return projected


def _best_pitch(rotation, rho, psi, q5, c: PlanarChain):
    """
    Return (trace, a, phi) of the feasible rotations nearest ``rotation`` at rolls ``q5`` (N,).

    At a roll q5 the plane is a = psi - asin(d / rho), d = tool_y cos q5 - tool_z sin q5 (the
    wrist in the plane; d / rho clipped where the TCP is nearer joint1's axis than its offset);
    the pitch maximising tr(R_req^T Rz(a) Ry(phi) Rx(q5)) is atan2(C20 - C02, C00 + C22) with
    C = Rx(q5) R_req^T Rz(a), and the maximum is C11 + hypot(C00 + C22, C20 - C02).
    """
    d = c.tool_y * np.cos(q5) - c.tool_z * np.sin(q5)
    a = psi - np.arcsin(np.clip(d / np.where(rho > 0.0, rho, 1.0), -1.0, 1.0))
    ca, sa, c5, s5 = np.cos(a), np.sin(a), np.cos(q5), np.sin(q5)
    # A = R_req^T Rz(a): row i of A is column i of R_req turned by Rz(a)
    rt = np.swapaxes(rotation, 1, 2)
    a0 = rt[:, :, 0] * ca[:, None] + rt[:, :, 1] * sa[:, None]  # column 0 of A
    a1 = -rt[:, :, 0] * sa[:, None] + rt[:, :, 1] * ca[:, None]  # column 1 of A
    a2 = rt[:, :, 2]  # column 2 of A
    # C = Rx(q5) A: rows 0 of A kept, rows 1, 2 turned

    def entry(i, col):
        if i == 0:
            return col[:, 0]
        if i == 1:
            return c5 * col[:, 1] - s5 * col[:, 2]
        return s5 * col[:, 1] + c5 * col[:, 2]
    c00, c02 = entry(0, a0), entry(0, a2)
    c11 = entry(1, a1)
    c20, c22 = entry(2, a0), entry(2, a2)
    return c11 + np.hypot(c00 + c22, c20 - c02), a, np.arctan2(c20 - c02, c00 + c22)


def nearest_rotations(p: np.ndarray, rotation: np.ndarray, c: PlanarChain) -> np.ndarray:
    """
    Return the feasible rotations (N, 3, 3) nearest ``rotation`` at positions ``p``.

    Feasible: of the form Rz(a) Ry(phi) Rx(q5) with the wrist in the plane of a. The trace of
    R_req^T R (the geodesic angle's cosine, 2 cos + 1) is maximised over the roll by Newton's
    method (central differences, steps capped at 0.2 rad), the plane and the pitch following
    the roll in closed form (:func:`_best_pitch`), from the roll of the projection onto the
    requested wrist's plane (:func:`project_rotations`) and that roll + pi, until the roll moves
    less than ROLL_TOLERANCE.
    """
    first = project_rotations(p, rotation, c)
    if not (c.tool_y or c.tool_z):
        return first
    requested = matrix_to_quat(rotation)
    first_turn = quat_angle(matrix_to_quat(first), requested)
    feasible = np.abs(_wrist_lateral(p, first, c)) < 1e-12
    if np.all(feasible & (first_turn < 1e-12)):  # poses the arm takes: themselves
        return first
    dx, dy = p[:, 0] - c.joint1_x, p[:, 1]
    rho, psi = np.hypot(dx, dy), np.arctan2(dy, dx)
    # the roll of the first projection: row 1 of Rz(-b) R is (0, cos q5, -sin q5), b its plane
    b = np.arctan2(first[:, 1, 0], first[:, 0, 0])
    b = np.where(np.hypot(first[:, 0, 0], first[:, 1, 0]) > 1e-9, b, psi)
    cb, sb = np.cos(b), np.sin(b)
    q5 = np.arctan2(sb * first[:, 0, 2] - cb * first[:, 1, 2],
                    -sb * first[:, 0, 1] + cb * first[:, 1, 1])
    other = q5 + np.pi
    q5 = np.where(_best_pitch(rotation, rho, psi, other, c)[0]
                  > _best_pitch(rotation, rho, psi, q5, c)[0], other, q5)
    h = 1e-4
    rows = np.arange(len(p))
    for _ in range(MAX_STEPS):
        r, x = rows, q5[rows]
        g0 = _best_pitch(rotation[r], rho[r], psi[r], x, c)[0]
        up = _best_pitch(rotation[r], rho[r], psi[r], x + h, c)[0]
        down = _best_pitch(rotation[r], rho[r], psi[r], x - h, c)[0]
        slope, curve = (up - down) / (2 * h), (up - 2 * g0 + down) / (h * h)
        step = np.where(curve < 0.0, -slope / np.where(curve < 0.0, curve, -1.0),
                        np.sign(slope) * 0.2)
        step = np.clip(step, -0.2, 0.2)
        q5[r] = x + step
        moving = np.abs(step) >= ROLL_TOLERANCE
        if not moving.any():
            break
        rows = rows[moving]
    _, a, phi = _best_pitch(rotation, rho, psi, q5, c)
    best = _euler(a, phi, q5)
    # near joint1's axis (rho about |tool_y|) the roll's plane is ill-conditioned: the first
    # projection, where its wrist is in its plane, is kept when it is nearer
    nearer = first_turn <= quat_angle(matrix_to_quat(best), requested) + 1e-12  # ties: first
    nearer &= feasible
    best[nearer] = first[nearer]
    return best


def _wrist_lateral(p: np.ndarray, rotation: np.ndarray, c: PlanarChain) -> np.ndarray:
    """Return the wrist's offset (N,), m, across the plane of the rotations' x axes."""
    w = wrist_points(p[:, :3], rotation, c)
    u = rotation[:, :, 0]
    heading = np.hypot(u[:, 0], u[:, 1])
    heading = np.where(heading > 0.0, heading, 1.0)
    return (-(w[:, 0] - c.joint1_x) * u[:, 1] + w[:, 1] * u[:, 0]) / heading


def _euler(a, phi, q5) -> np.ndarray:
    """Return Rz(a) Ry(phi) Rx(q5) (N, 3, 3)."""
    ca, sa, cp, sp, c5, s5 = (np.cos(a), np.sin(a), np.cos(phi), np.sin(phi), np.cos(q5),
                              np.sin(q5))
    out = np.empty((len(a), 3, 3))
    out[:, :, 0] = np.stack([ca * cp, sa * cp, -sp], axis=1)
    y = np.stack([sp * s5, c5, cp * s5], axis=1)  # Ry Rx columns 1, 2 before Rz
    z = np.stack([sp * c5, -s5, cp * c5], axis=1)
    for k, col in ((1, y), (2, z)):
        out[:, 0, k] = ca * col[:, 0] - sa * col[:, 1]
        out[:, 1, k] = sa * col[:, 0] + ca * col[:, 1]
        out[:, 2, k] = col[:, 2]
    return out


def project_roll(p: np.ndarray, arm, c: PlanarChain) -> tuple[np.ndarray, IkSolutions]:
    """
    Project validated poses ``p`` (N, 7) by the module's rule; their closed-form solutions.

    Returns the projected poses (N, 7) and :class:`IkSolutions` (N, 4, dof): every branch
    (:func:`~ik_net_ros.kinematics.roll_wrist.roll_solutions`).
    """
    poses = np.empty((len(p), 7))
    poses[:, :3] = p[:, :3]
    poses[:, 3:] = matrix_to_quat(nearest_rotations(p, quat_to_matrix(p[:, 3:]), c))
    return poses, roll_solutions(poses, arm, c)
