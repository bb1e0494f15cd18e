"""
The one-pose twin of :mod:`.roll_projection` in plain Python floats.

:func:`~ik_net_ros.kinematics.roll_projection.nearest_rotations` of one row, step for step (the
wrist's plane by Newton's method, then the nearest roll by Newton's method, the ties and the
idempotence as there): for one pose numpy's per-call overhead was most of its ~2 ms. Rotations
are row-major 3x3 tuples of rows. Tests hold it equal to the vectorised form (hypothesis).
"""

from __future__ import annotations

import math

from ik_net_ros.kinematics.chain import _quat_one
from ik_net_ros.kinematics.planar import PlanarChain
from ik_net_ros.kinematics.roll_projection import LATERAL_TOLERANCE, MAX_STEPS, ROLL_TOLERANCE
from ik_net_ros.kinematics.roll_wrist import ON_AXIS

__all__ = ['nearest_rotation_one', 'nearest_quat_one', 'quat_of']

Matrix = tuple[tuple[float, float, float], ...]


def quat_of(r: Matrix) -> tuple[float, float, float, float]:
    """Return the canonical quaternion of a rotation (rigid's ``matrix_to_quat``, one row)."""
    return _quat_one(*r[0], *r[1], *r[2])


def _angle(q1, q2) -> float:
    """Return :func:`~ik_net_ros.kinematics.rotations.quat_angle` of two quaternions, rad."""
    x1, y1, z1, w1 = q1
    x2, y2, z2, w2 = q2
    if x1 * x2 + y1 * y2 + z1 * z2 + w1 * w2 < 0:
        x2, y2, z2, w2 = -x2, -y2, -z2, -w2
    minus = math.sqrt((x1 - x2) ** 2 + (y1 - y2) ** 2 + (z1 - z2) ** 2 + (w1 - w2) ** 2)
    plus = math.sqrt((x1 + x2) ** 2 + (y1 + y2) ** 2 + (z1 + z2) ** 2 + (w1 + w2) ** 2)
    return 4.0 * math.atan2(minus, plus)


def _wrist(p, r: Matrix, c: PlanarChain) -> tuple[float, float, float]:
    """Return the wrist point ``p - R (tool, tool_y, tool_z)``, m."""
    tool, tool_y, tool_z = c.tool, c.tool_y, c.tool_z
    (a0, a1, a2), (b0, b1, b2), (c0, c1, c2) = r
    return (p[0] - a0 * tool - a1 * tool_y - a2 * tool_z,
            p[1] - b0 * tool - b1 * tool_y - b2 * tool_z,
            p[2] - c0 * tool - c1 * tool_y - c2 * tool_z)


def _direction(dx: float, dy: float, r: Matrix) -> tuple[float, float]:
    """Return :func:`~ik_net_ros.kinematics.roll_wrist.joint1_directions` of one row."""
    rho = math.hypot(dx, dy)
    if rho >= ON_AXIS:
        return dx / rho, dy / rho
    ux, uy, vx, vy = r[0][0], r[1][0], r[0][1], r[1][1]
    heading = math.hypot(ux, uy)
    if heading > 1e-9:
        return ux / heading, uy / heading
    alt = math.hypot(vx, vy) or 1.0
    return vy / alt, -vx / alt


def _into_plane(r: Matrix, c: float, s: float) -> Matrix:
    """Return :func:`~ik_net_ros.kinematics.roll_projection.into_plane` of one rotation."""
    u = (r[0][0], r[1][0], r[2][0])
    across = -s * u[0] + c * u[1]
    t = [u[0] + across * s, u[1] - across * c, u[2]]
    norm = math.sqrt(t[0] * t[0] + t[1] * t[1] + t[2] * t[2])
    if norm < 1e-12:
        t, norm = [c, s, 0.0], 1.0
    t = (t[0] / norm, t[1] / norm, t[2] / norm)
    vx, vy, vz = u[1] * t[2] - u[2] * t[1], u[2] * t[0] - u[0] * t[2], u[0] * t[1] - u[1] * t[0]
    inv = 1.0 / (1.0 + (u[0] * t[0] + u[1] * t[1] + u[2] * t[2]))
    # turn = I + K + K^2 / (1 + cos), K = [v]x, K^2 written out (the products numpy's k @ k sums)
    t00, t01, t02 = 1.0 + (-vz * vz - vy * vy) * inv, -vz + vy * vx * inv, vy + vz * vx * inv
    t10, t11, t12 = vz + vx * vy * inv, 1.0 + (-vz * vz - vx * vx) * inv, -vx + vz * vy * inv
    t20, t21, t22 = -vy + vx * vz * inv, vx + vy * vz * inv, 1.0 + (-vy * vy - vx * vx) * inv
    (a0, a1, a2), (b0, b1, b2), (c0, c1, c2) = r
    return ((t00 * a0 + t01 * b0 + t02 * c0, t00 * a1 + t01 * b1 + t02 * c1,
             t00 * a2 + t01 * b2 + t02 * c2),
            (t10 * a0 + t11 * b0 + t12 * c0, t10 * a1 + t11 * b1 + t12 * c1,
             t10 * a2 + t11 * b2 + t12 * c2),
            (t20 * a0 + t21 * b0 + t22 * c0, t20 * a1 + t21 * b1 + t22 * c1,
             t20 * a2 + t21 * b2 + t22 * c2))


def _lateral(p, r: Matrix, a: float, c: PlanarChain) -> tuple[float, float] | None:
    """
    Return :func:`~ik_net_ros.kinematics.roll_projection._lateral` of one row: f(a), f'(a).

    None where the x axis is normal to the plane (the vectorised form's special case).
    """
    return _lateral_at(_lateral_terms(p, r, c), a)


def _lateral_terms(p, r: Matrix, c: PlanarChain) -> tuple[float, ...]:
    """Return what :func:`_lateral_at` needs of a pose, the same at every azimuth."""
    (u0, r01, r02), (u1, r11, r12), _ = r
    tool, tool_y, tool_z = c.tool, c.tool_y, c.tool_z
    return (p[0] - c.joint1_x, p[1], u0 * tool + r01 * tool_y + r02 * tool_z,
            u1 * tool + r11 * tool_y + r12 * tool_z, u0, u1, tool)


def _lateral_at(terms: tuple[float, ...], a: float) -> tuple[float, float] | None:
    """Return :func:`_lateral` at azimuth ``a`` of a pose's :func:`_lateral_terms`."""
    px, py, t0, t1, u0, u1, tool = terms
    ca, sa = math.cos(a), math.sin(a)
    s, ds = -u0 * sa + u1 * ca, -(u0 * ca + u1 * sa)
    cos = math.sqrt(max(1.0 - s * s, 0.0))
    if cos < 1e-12:
        return None
    top = -t0 * sa + t1 * ca - s * tool
    f = -px * sa + py * ca - top / cos
    slope = -(px * ca + py * sa) - ((-(t0 * ca + t1 * sa) - ds * tool) * cos
                                    + top * s * ds / cos) / (cos * cos)
    return f, slope


def _project(p, r: Matrix, c: PlanarChain) -> Matrix | None:
    """
    Return :func:`~ik_net_ros.kinematics.roll_projection.project_rotations` of one row.

    None where the plane's iteration has not settled in MAX_STEPS or its slope changed sign
    (near joint1's axis the wrist's offset across the plane may have no root or several: the
    vectorised iteration then ends where its rounding leads it, and this one might elsewhere),
    or the x axis came normal to a plane.
    """
    w = _wrist(p, r, c)
    ca, sa = _direction(w[0] - c.joint1_x, w[1], r)
    if not (c.tool_y or c.tool_z):
        return _into_plane(r, ca, sa)
    a, sign, terms = math.atan2(sa, ca), 0.0, _lateral_terms(p, r, c)
    for _ in range(MAX_STEPS):
        found = _lateral_at(terms, a)
        if found is None:
            return None
        f, slope = found
        if abs(f) < LATERAL_TOLERANCE:
            break
        if slope * sign < 0.0:
            return None  # past an extremum of the offset: which root it finds is rounding's
        sign = slope
        step = min(max(-f / (slope if slope != 0.0 else 1e-300), -0.3), 0.3)
        if abs(step) < 1e-14:
            break
        a += step
    else:
        return None  # not settled in MAX_STEPS: where it stops is rounding's choice
    return _into_plane(r, math.cos(a), math.sin(a))


def _best_pitch(r: Matrix, rho: float, psi: float, q5: float, c: PlanarChain):
    """Return :func:`~ik_net_ros.kinematics.roll_projection._best_pitch` of one row."""
    c5, s5 = math.cos(q5), math.sin(q5)
    d = c.tool_y * c5 - c.tool_z * s5
    a = psi - math.asin(min(max(d / (rho if rho > 0.0 else 1.0), -1.0), 1.0))
    ca, sa = math.cos(a), math.sin(a)
    (r00, r01, r02), (r10, r11, r12), (r20, r21, r22) = r
    # A = R^T Rz(a): its columns 0, 1 (rows of R turned by a) and 2; C = Rx(q5) A
    c00, c02 = r00 * ca + r10 * sa, r20
    c11 = c5 * (-r01 * sa + r11 * ca) - s5 * (-r02 * sa + r12 * ca)
    c20 = s5 * (r01 * ca + r11 * sa) + c5 * (r02 * ca + r12 * sa)
    c22 = s5 * r21 + c5 * r22
    return c11 + math.hypot(c00 + c22, c20 - c02), a, math.atan2(c20 - c02, c00 + c22)


def _trace_slopes(r: Matrix, rho: float, psi: float, q5: float, c: PlanarChain):
    """Return :func:`~ik_net_ros.kinematics.roll_projection._trace_slopes` of one row."""
    c5, s5 = math.cos(q5), math.sin(q5)
    scale = rho if rho > 0.0 else 1.0
    x = (c.tool_y * c5 - c.tool_z * s5) / scale
    if abs(x) < 1.0:
        dx = (-c.tool_y * s5 - c.tool_z * c5) / scale
        root2 = 1.0 - x * x
        root = math.sqrt(root2)
        da, dda = -dx / root, (x * root2 - x * dx * dx) / (root2 * root)
    else:
        x, da, dda = (1.0 if x > 0.0 else -1.0), 0.0, 0.0
    a = psi - math.asin(x)
    ca, sa = math.cos(a), math.sin(a)
    (r00, r01, r02), (r10, r11, r12), (r20, r21, r22) = r
    u, v = -r01 * sa + r11 * ca, -r02 * sa + r12 * ca
    w, z = r01 * ca + r11 * sa, r02 * ca + r12 * sa
    da2 = da * da
    du, dw, dv, dz = -w * da, u * da, -z * da, v * da
    ddu, ddw = -u * da2 - w * dda, -w * da2 + u * dda
    ddv, ddz = -v * da2 - z * dda, -z * da2 + v * dda
    c11 = c5 * u - s5 * v
    d11 = -s5 * u + c5 * du - c5 * v - s5 * dv
    dd11 = -c5 * u - 2 * s5 * du + c5 * ddu + s5 * v - 2 * c5 * dv - s5 * ddv
    c00, c00a = r00 * ca + r10 * sa, -r00 * sa + r10 * ca
    c22, d22 = s5 * r21 + c5 * r22, c5 * r21 - s5 * r22
    big_x, dx_, ddx = c00 + c22, c00a * da + d22, -c00 * da2 + c00a * dda - c22
    big_y = s5 * w + c5 * z - r20
    dy_ = c5 * w + s5 * dw - s5 * z + c5 * dz
    ddy = -s5 * w + 2 * c5 * dw + s5 * ddw - c5 * z - 2 * s5 * dz + c5 * ddz
    h = math.hypot(big_x, big_y)
    if h > 0.0:
        dot = (big_x * dx_ + big_y * dy_) / h
        return (c11 + h, d11 + dot,
                dd11 + (dx_ * dx_ + dy_ * dy_ + big_x * ddx + big_y * ddy - dot * dot) / h)
    return c11, d11, dd11


def _euler(a: float, phi: float, q5: float) -> Matrix:
    """Return Rz(a) Ry(phi) Rx(q5)."""
    ca, sa, cp, sp = math.cos(a), math.sin(a), math.cos(phi), math.sin(phi)
    c5, s5 = math.cos(q5), math.sin(q5)
    # the columns (cp, 0, -sp), (sp s5, c5, cp s5), (sp c5, -s5, cp c5) turned by Rz(a), written
    # out (the same float operations as the loop over them was)
    y0, z0, z1 = sp * s5, sp * c5, -s5
    return ((ca * cp - sa * 0.0, ca * y0 - sa * c5, ca * z0 - sa * z1),
            (sa * cp + ca * 0.0, sa * y0 + ca * c5, sa * z0 + ca * z1),
            (-sp, cp * s5, cp * c5))


def _wrist_lateral(p, r: Matrix, c: PlanarChain) -> float:
    """Return the wrist's offset, m, across the plane of the rotation's x axis."""
    w = _wrist(p, r, c)
    ux, uy = r[0][0], r[1][0]
    heading = math.hypot(ux, uy) or 1.0
    return (-(w[0] - c.joint1_x) * uy + w[1] * ux) / heading


def nearest_rotation_one(p, r: Matrix, c: PlanarChain) -> Matrix | None:
    """
    Return the feasible rotation nearest ``r`` at position ``p`` (3 floats, m), row-major.

    :func:`~ik_net_ros.kinematics.roll_projection.nearest_rotations` of one row; None where
    either iteration has not settled in MAX_STEPS (take the vectorised form there: its answer
    is then path-dependent, and that path is the one the tests and the batches follow).
    """
    found = nearest_quat_one(p, r, c)
    return None if found is None else found[0]


def nearest_quat_one(p, r: Matrix, c: PlanarChain) -> tuple[Matrix, tuple] | None:
    """
    Return :func:`nearest_rotation_one` and its canonical quaternion (x, y, z, w), or None.

    The quaternion is the one the comparison with the request computed (not again).
    """
    first = _project(p, r, c)
    if first is None:
        return None
    first_quat = quat_of(first)
    if not (c.tool_y or c.tool_z):
        return first, first_quat
    requested = quat_of(r)
    first_turn = _angle(first_quat, requested)
    feasible = abs(_wrist_lateral(p, first, c)) < 1e-12
    if feasible and first_turn < 1e-12:
        return first, first_quat
    dx, dy = p[0] - c.joint1_x, p[1]
    rho, psi = math.hypot(dx, dy), math.atan2(dy, dx)
    b = math.atan2(first[1][0], first[0][0]) if math.hypot(first[0][0], first[1][0]) > 1e-9 \
        else psi
    cb, sb = math.cos(b), math.sin(b)
    q5 = math.atan2(sb * first[0][2] - cb * first[1][2], -sb * first[0][1] + cb * first[1][1])
    here = _trace_slopes(r, rho, psi, q5, c)
    there = _trace_slopes(r, rho, psi, q5 + math.pi, c)
    if there[0] > here[0]:
        q5, here = q5 + math.pi, there
    for _ in range(MAX_STEPS):
        _, slope, curve = here
        step = -slope / curve if curve < 0.0 else math.copysign(0.2, slope) if slope else 0.0
        step = min(max(step, -0.2), 0.2)
        q5 += step
        if abs(step) < ROLL_TOLERANCE:
            break
        here = _trace_slopes(r, rho, psi, q5, c)
    else:
        return None
    _, a, phi = _best_pitch(r, rho, psi, q5, c)
    best = _euler(a, phi, q5)
    best_quat = quat_of(best)
    if feasible and first_turn <= _angle(best_quat, requested) + 1e-12:
        return first, first_quat
    return best, best_quat
