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
      projected rotation is in the plane" by Newton's method (the offset and its slope in
      closed form, :func:`_lateral`; steps capped at 0.3 rad, to 1e-13 m) from the requested
      rotation's own wrist. Without a TCP
      offset this is the answer (the wrist does not depend on the roll).
   b. The nearest (:func:`nearest_rotations`): at each roll the plane and the best pitch are
      closed forms (:func:`_best_pitch`), so the angle is a function of the roll alone; its
      minimum by Newton's method on the roll (the trace's first and second derivatives
      analytic, :func:`_trace_slopes`; steps capped at 0.2 rad) from the start's roll (or that
      + pi, whichever is nearer), until the roll moves less than ROLL_TOLERANCE, 1e-9 rad (at
      most MAX_STEPS): Newton's quadratic convergence then leaves the roll within rounding of
      the minimum. The plane and the pitch are closed forms of the roll: the answer is
      feasible (its wrist in its plane) exactly whatever the roll.
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
    """
    Return f(a) (N,), m, the wrist's offset across the plane of azimuths ``a``, and f'(a).

    Closed forms: :func:`into_plane` turns about an axis normal to the plane's normal n, so it
    takes back n to (n - s u) / sqrt(1 - s^2), s = u . n, u the x axis; with T = R (tool,
    tool_y, tool_z) (u . T = tool) the offset is ``n . (p - joint1) - (n . T - s tool) /
    sqrt(1 - s^2)``, each dot product linear in (cos a, sin a). Where u is normal to the plane
    (sqrt(1 - s^2) below 1e-12, where :func:`into_plane` picks the plane's horizontal) the
    turned rotation's wrist gives f, the slope then 0.
    """
    ca, sa = np.cos(a), np.sin(a)
    u = rotation[:, :, 0]
    t = u * c.tool + rotation[:, :, 1] * c.tool_y + rotation[:, :, 2] * c.tool_z
    px = p[:, 0] - c.joint1_x
    along, slope_along = -px * sa + p[:, 1] * ca, -(px * ca + p[:, 1] * sa)
    offset, d_offset = -t[:, 0] * sa + t[:, 1] * ca, -(t[:, 0] * ca + t[:, 1] * sa)
    s, ds = -u[:, 0] * sa + u[:, 1] * ca, -(u[:, 0] * ca + u[:, 1] * sa)
    cos = np.sqrt(np.maximum(1.0 - s * s, 0.0))
    flat = cos < 1e-12
    cos = np.where(flat, 1.0, cos)
    top = offset - s * c.tool
    f = along - top / cos
    slope = slope_along - ((d_offset - ds * c.tool) * cos + top * s * ds / cos) / (cos * cos)
    if flat.any():
        w = wrist_points(p[flat, :3], into_plane(rotation[flat], ca[flat], sa[flat]), c)
        f[flat] = -(w[:, 0] - c.joint1_x) * sa[flat] + w[:, 1] * ca[flat]
        slope[flat] = 0.0
    return f, slope


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
    at = a.copy()  # the azimuth each row's projection is taken at
    for _ in range(MAX_STEPS):
        f, slope = _lateral(p[rows], rotation[rows], a[rows], c)
        at[rows] = a[rows]
        busy = np.abs(f) >= LATERAL_TOLERANCE
        if not busy.any():
            break
        rows, f, slope = rows[busy], f[busy], slope[busy]
        step = np.clip(-f / np.where(slope == 0.0, 1e-300, slope), -0.3, 0.3)
        a[rows] += step
        moving = np.abs(step) >= 1e-14
        if not moving.any():
            break
        rows = rows[moving]
    projected = into_plane(rotation, np.cos(at), np.sin(at))
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


def _trace_slopes(rotation, rho, psi, q5, c: PlanarChain):
    """
    Return the trace of :func:`_best_pitch` at rolls ``q5`` (N,) and its first two derivatives.

    Analytic, in the roll with the plane following it: d a / d q5 from a = psi - asin(d / rho)
    (0 where d / rho is clipped); C11 = c5 U - s5 V, C20 = s5 W + c5 Z with U, V, W, Z linear
    in (cos a, sin a) and dU/da = -W, dW/da = U, dV/da = -Z, dZ/da = V; the trace is
    C11 + hypot(X, Y), X = C00 + C22, Y = C20 - C02.
    """
    c5, s5 = np.cos(q5), np.sin(q5)
    scale = np.where(rho > 0.0, rho, 1.0)
    x = (c.tool_y * c5 - c.tool_z * s5) / scale
    dx = (-c.tool_y * s5 - c.tool_z * c5) / scale  # d x / d q5; d2 x / d q5^2 = -x
    inside = np.abs(x) < 1.0
    a = psi - np.arcsin(np.clip(x, -1.0, 1.0))
    x, dx = np.where(inside, x, 0.0), np.where(inside, dx, 0.0)  # clipped: a constant
    root2 = 1.0 - x * x
    root = np.sqrt(root2)
    da = -dx / root
    dda = (x * root2 - x * dx * dx) / (root2 * root)
    ca, sa = np.cos(a), np.sin(a)
    r = rotation
    u = -r[:, 0, 1] * sa + r[:, 1, 1] * ca
    v = -r[:, 0, 2] * sa + r[:, 1, 2] * ca
    w = r[:, 0, 1] * ca + r[:, 1, 1] * sa
    z = r[:, 0, 2] * ca + r[:, 1, 2] * sa
    du, dw, dv, dz = -w * da, u * da, -z * da, v * da
    ddu, ddw = -u * da * da - w * dda, -w * da * da + u * dda
    ddv, ddz = -v * da * da - z * dda, -z * da * da + v * dda
    c11 = c5 * u - s5 * v
    d11 = -s5 * u + c5 * du - c5 * v - s5 * dv
    dd11 = -c5 * u - 2 * s5 * du + c5 * ddu + s5 * v - 2 * c5 * dv - s5 * ddv
    c00 = r[:, 0, 0] * ca + r[:, 1, 0] * sa
    c00a = -r[:, 0, 0] * sa + r[:, 1, 0] * ca
    c22 = s5 * r[:, 2, 1] + c5 * r[:, 2, 2]
    d22 = c5 * r[:, 2, 1] - s5 * r[:, 2, 2]
    big_x = c00 + c22
    dx_ = c00a * da + d22
    ddx = -c00 * da * da + c00a * dda - c22
    big_y = s5 * w + c5 * z - r[:, 2, 0]
    dy_ = c5 * w + s5 * dw - s5 * z + c5 * dz
    ddy = -s5 * w + 2 * c5 * dw + s5 * ddw - c5 * z - 2 * s5 * dz + c5 * ddz
    h = np.hypot(big_x, big_y)
    safe = np.where(h > 0.0, h, 1.0)
    dot = (big_x * dx_ + big_y * dy_) / safe
    dh = np.where(h > 0.0, dot, 0.0)
    ddh = np.where(h > 0.0, (dx_ * dx_ + dy_ * dy_ + big_x * ddx + big_y * ddy - dot * dot)
                   / safe, 0.0)
    return c11 + h, d11 + dh, dd11 + ddh


def nearest_rotations(p: np.ndarray, rotation: np.ndarray, c: PlanarChain) -> np.ndarray:
    """
    Return the feasible rotations (N, 3, 3) nearest ``rotation`` at positions ``p``.

    Feasible: of the form Rz(a) Ry(phi) Rx(q5) with the wrist in the plane of a. The trace of
    R_req^T R (the geodesic angle's cosine, 2 cos + 1) is maximised over the roll by Newton's
    method (analytic derivatives, steps capped at 0.2 rad), the plane and the pitch following
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
    rows = np.arange(len(p))
    for _ in range(MAX_STEPS):
        r, x = rows, q5[rows]
        _, slope, curve = _trace_slopes(rotation[r], rho[r], psi[r], x, c)
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
