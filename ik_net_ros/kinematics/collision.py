"""
The arm's collision model: its links as capsules, the table it stands on, its own base.

And an optional workspace box.

Links (radii cover the XM430 housings and brackets of ROBOTIS's meshes, whose boxes are in the
package's URDF): the **base** (link1's plate and the joint1 servo, link2) is a vertical capsule
on joint1's axis from the table to joint2; the **upper arm** (link3) joint2 -> joint3, the
**forearm** (link4) joint3 -> joint4 and the **hand** (link5, the gripper servo and fingers)
joint4 -> the tool point. A configuration is clear when

- every moving link (upper arm, forearm, hand) stays ``table_clearance`` above the table,
  which is the bottom of link1: z = base_height - 0.017 m in the base frame (0 with ROBOTIS's
  humble description, whose joint1 sits 17 mm above it; -0.017 with the jazzy one);
- the hand and the forearm keep clear of the base, and the hand of the upper arm (links next
  to each other touch at their joint and are not checked against each other);
- with a workspace box, every moving link lies inside it.

What it does not know: anything else in the room (boxes, people, a second arm). The workspace
box is the user's to set for those.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
import functools
import math

from ik_net_ros.kinematics.forward import lean_rotations, leaning_points
from ik_net_ros.kinematics.geometry import ArmGeometry, DEFAULT_GEOMETRY
from ik_net_ros.kinematics.validation import as_joint_array
import numpy as np

__all__ = ['CollisionModel', 'CollisionReport', 'PHYSICAL_BASE_HEIGHT', 'LINKS', 'MAX_CLEARANCE']

MAX_CLEARANCE = 0.05  # m: more would leave the arm little room (joint2 is 76.5 mm up)
ESCAPE_SLACK = 0.002  # m deeper than its start a path out of a collision may go on its way
PHYSICAL_BASE_HEIGHT = 0.017  # m from the bottom of link1 (the table) to joint1, on the real arm
LINKS = ('base', 'upper arm', 'forearm', 'hand')
_BASE, _UPPER, _FOREARM, _HAND = range(4)
# (link, other link) pairs that can touch; neighbours share a joint and are not checked
_PAIRS = ((_HAND, _BASE), (_FOREARM, _BASE), (_HAND, _UPPER))
_CLEAR, _TABLE, _SELF, _BOX = range(4)


@dataclass
class CollisionReport:
    """
    Collision checks of M configurations.

    clear: (M,) True where the configuration is clear.
    depth: (M,) m by which the worst check fails (0 where clear).
    kind: (M,) 0 clear, 1 under the table, 2 two links of the arm, 3 outside the workspace box.
    link, other: (M,) indices into :data:`LINKS` of the link that fails (and the one it hits).
    """

    clear: np.ndarray
    depth: np.ndarray
    kind: np.ndarray
    link: np.ndarray
    other: np.ndarray
    clearance: float = 0.0

    def reason(self, index: int) -> str:
        """Why configuration ``index`` is not clear, in words ('clear' when it is)."""
        kind, depth = int(self.kind[index]), float(self.depth[index]) * 1000
        link, other = LINKS[int(self.link[index])], LINKS[int(self.other[index])]
        if kind == _TABLE:
            above = self.clearance * 1000 - depth  # the link's lowest point over the table
            if above < 0:
                return f'collision: {link} {-above:.1f} mm under the table'
            return (f'collision: {link} {above:.1f} mm above the table (less than the '
                    f'{self.clearance * 1000:.1f} mm clearance)')
        if kind == _SELF:
            return f'collision: {link} {depth:.1f} mm into the {other}'
        if kind == _BOX:
            return f'collision: {link} {depth:.1f} mm outside the workspace box'
        return 'clear'


@dataclass(frozen=True)
class CollisionModel:
    """
    Capsules of the OpenMANIPULATOR-X, the table and an optional workspace box.

    Parameters
    ----------
    geometry
        The arm (joint angles are commanded angles; its joint offsets apply).
    table_clearance
        m every moving link keeps above the table (>= 0).
    workspace
        (x_min, x_max, y_min, y_max, z_min, z_max) m in the base frame, or None.
    radii
        Capsule radii of base, upper arm, forearm, hand, m.

    Raises
    ------
    ValueError
        A negative or non-finite clearance or radius, or a box with min >= max.

    """

    geometry: ArmGeometry = DEFAULT_GEOMETRY
    table_clearance: float = 0.01
    workspace: tuple[float, ...] | None = None
    radii: tuple[float, float, float, float] = (0.035, 0.02, 0.02, 0.025)

    def __post_init__(self):
        clearance = float(self.table_clearance)
        if not (math.isfinite(clearance) and 0.0 <= clearance <= MAX_CLEARANCE):
            raise ValueError(f'table_clearance must be in [0, {MAX_CLEARANCE}] m, got '
                             f'{self.table_clearance}')
        object.__setattr__(self, 'table_clearance', clearance)
        radii = tuple(float(r) for r in self.radii)
        if len(radii) != 4 or not all(math.isfinite(r) and 0.0 <= r <= 0.2 for r in radii):
            raise ValueError(f'radii must be 4 lengths in [0, 0.2] m, got {self.radii}')
        object.__setattr__(self, 'radii', radii)
        if self.workspace is not None:
            box = tuple(float(v) for v in self.workspace)
            if (len(box) != 6 or not all(math.isfinite(v) for v in box)
                    or not all(box[i] < box[i + 1] for i in (0, 2, 4))):
                raise ValueError('workspace must be 6 finite numbers x_min < x_max, y_min < '
                                 f'y_max, z_min < z_max (m), got {self.workspace}')
            object.__setattr__(self, 'workspace', box)

    @property
    def table_z(self) -> float:
        """Z of the table in the base frame, m."""
        return self.geometry.base_height - PHYSICAL_BASE_HEIGHT

    def link_points(self, joints: np.ndarray) -> np.ndarray:
        """
        (M, 5, 3) points of M configurations (M, 4).

        Base bottom, joint2, joint3, joint4, tool, in the base frame (m), of the arm the
        geometry describes: its joint offsets, link lengths and, where its axes lean
        (``axis_tilts``), along the leaning chain of
        :func:`~ik_net_ros.kinematics.forward.forward_kinematics`.
        """
        g = self.geometry
        q = joints + np.asarray(g.joint_offsets) if g.has_offsets else joints
        if g.has_tilts:
            points = np.empty((len(q), 5, 3))
            points[:, 0] = (g.joint1_x, 0.0, self.table_z)
            points[:, 1:] = leaning_points(q, g)
            return points
        q1, a2 = q[:, 0], q[:, 1]
        a23, a234 = a2 + q[:, 2], a2 + q[:, 2] + q[:, 3]
        r = np.zeros((len(q), 5))
        z = np.empty((len(q), 5))
        z[:, 0] = self.table_z
        z[:, 1] = g.shoulder_z
        r[:, 2] = g.upper_arm_x * np.cos(a2) + g.upper_arm_z * np.sin(a2)
        z[:, 2] = g.shoulder_z + g.upper_arm_z * np.cos(a2) - g.upper_arm_x * np.sin(a2)
        r[:, 3] = r[:, 2] + g.forearm * np.cos(a23)
        z[:, 3] = z[:, 2] - g.forearm * np.sin(a23)
        r[:, 4] = r[:, 3] + g.tool * np.cos(a234)
        z[:, 4] = z[:, 3] - g.tool * np.sin(a234)
        points = np.empty((len(q), 5, 3))
        points[..., 0] = g.joint1_x + r * np.cos(q1)[:, None]
        points[..., 1] = r * np.sin(q1)[:, None]
        points[..., 2] = z
        return points

    def check(self, joints) -> CollisionReport:
        """
        Check configurations (4,) or (M, 4) in rad.

        Raises
        ------
        InvalidJointsError
            Not finite joint vectors.

        """
        q, _ = as_joint_array(joints)
        return self._check(q)

    def _check(self, q: np.ndarray) -> CollisionReport:
        """:meth:`check` of validated joints (M, 4)."""
        pts = self.link_points(q)
        segments = [(pts[:, 0], pts[:, 1]), (pts[:, 1], pts[:, 2]), (pts[:, 2], pts[:, 3]),
                    (pts[:, 3], pts[:, 4])]
        m = len(q)
        depth = np.zeros(m)
        kind = np.zeros(m, dtype=np.int8)
        link = np.zeros(m, dtype=np.int8)
        other = np.zeros(m, dtype=np.int8)

        def worse(d: np.ndarray, k: int, a: int, b: int) -> None:
            hit = d > depth
            depth[hit], kind[hit], link[hit], other[hit] = d[hit], k, a, b

        floor = self.table_z + self.table_clearance
        for i in (_UPPER, _FOREARM, _HAND):
            start, end = segments[i]
            # the upper arm's root is joint2, on top of the base at a fixed height: only its
            # far end (joint3) can come down to the table
            low = end[:, 2] if i == _UPPER else np.minimum(start[:, 2], end[:, 2])
            worse(floor - (low - self.radii[i]), _TABLE, i, i)
        # every pair in one call: three calls on small arrays cost three times the overhead
        gaps = _segment_distance(*(np.concatenate([segments[pair[k]][j] for pair in _PAIRS])
                                   for k, j in ((0, 0), (0, 1), (1, 0), (1, 1))))
        for n, (a, b) in enumerate(_PAIRS):
            worse(self.radii[a] + self.radii[b] - gaps[n * m:(n + 1) * m], _SELF, a, b)
        if self.workspace is not None:
            box = np.asarray(self.workspace).reshape(3, 2)
            for i in (_UPPER, _FOREARM, _HAND):
                start, end = segments[i]
                low = np.minimum(start, end) - self.radii[i]
                high = np.maximum(start, end) + self.radii[i]
                out = np.maximum(box[:, 0] - low, high - box[:, 1]).max(axis=1)
                worse(out, _BOX, i, i)
        return CollisionReport(clear=depth <= 0.0, depth=depth, kind=kind, link=link,
                               other=other, clearance=self.table_clearance)

    def clear_one(self, joints: list[float]) -> bool:
        """
        :meth:`clear` of one configuration given as 4 Python floats (NaN is not clear).

        The same checks in plain floats, a tenth of the numpy call's cost, for the live node's
        single targets (tests hold the two equal).
        """
        g = self.geometry
        q = [a + b for a, b in zip(joints, g.joint_offsets)]
        if len(q) != 4 or not math.isfinite(q[0] + q[1] + q[2] + q[3]):
            return False
        # joint2, joint3, joint4, tool
        pts = _leaning_points_one(q, g) if g.has_tilts else _planar_points_one(q, g)
        z3, z4, z5 = pts[1][2], pts[2][2], pts[3][2]
        base_r, upper_r, forearm_r, hand_r = self.radii
        floor = self.table_z + self.table_clearance
        if (z3 - upper_r < floor or min(z3, z4) - forearm_r < floor
                or min(z4, z5) - hand_r < floor):
            return False
        base = ((g.joint1_x, 0.0, self.table_z), pts[0])
        upper, forearm, hand = (pts[0], pts[1]), (pts[1], pts[2]), (pts[2], pts[3])
        if (_gap_one(*hand, *base) < hand_r + base_r
                or _gap_one(*forearm, *base) < forearm_r + base_r
                or _gap_one(*hand, *upper) < hand_r + upper_r):
            return False
        if self.workspace is not None:
            box = self.workspace
            for (a, b), radius in ((upper, upper_r), (forearm, forearm_r), (hand, hand_r)):
                for k in range(3):
                    if (min(a[k], b[k]) - radius < box[2 * k]
                            or max(a[k], b[k]) + radius > box[2 * k + 1]):
                        return False
        return True

    def clear(self, joints) -> np.ndarray | bool:
        """Return True where configurations (4,) or (M, 4) are clear."""
        q, single = as_joint_array(joints)
        ok = self.check(q).clear
        return bool(ok[0]) if single else ok

    def inflated(self, margin: float) -> CollisionModel:
        """
        Return this model with every radius and the table clearance ``margin`` m larger.

        Goals chosen with room to spare; a negative margin gives a model that tolerates that much,
        as between two checks of a path.
        """
        return replace(self, table_clearance=min(MAX_CLEARANCE,
                                                 max(0.0, self.table_clearance + margin)),
                       radii=tuple(max(0.0, r + margin) for r in self.radii))

    def sweep_radii(self) -> np.ndarray:
        """
        (4,) m: how far any point of a moving link can be from each joint's axis.

        So a joint move of d rad moves no point by more than d times this.
        """
        g = self.geometry
        hand = g.tool + self.radii[_HAND]
        forearm = g.forearm + hand
        upper = g.upper_arm + forearm
        return np.array([abs(g.joint1_x) + upper, upper, forearm, hand])

    def path_points(self, start, goal, resolution: float = 0.002) -> np.ndarray:
        """
        Return (K, 4) configurations along the straight joint-space path ``start`` to ``goal``.

        Both ends included, close enough that no point of the arm moves more than ``resolution`` m
        between two of them.
        """
        start, goal = np.asarray(start, float), np.asarray(goal, float)
        sweep = float(np.abs(goal - start) @ self.sweep_radii())
        count = max(1, int(math.ceil(sweep / resolution)))
        t = np.linspace(0.0, 1.0, count + 1)[:, None]
        return start + t * (goal - start)

    def check_path(self, start, goal, resolution: float = 0.002,
                   escape_from: float | None = None) -> tuple[bool, str]:
        """
        Whether the straight joint-space path from ``start`` to ``goal`` is clear.

        Checked every ``resolution`` m of motion of any point of the arm (so a link can enter a
        keep-out region by at most about that much unseen). A path that starts in collision (the
        arm put there by hand) may only get out: until it is clear its depth never exceeds the
        start's by more than ESCAPE_SLACK, and it stays clear after. ``escape_from`` (m): the
        depth the arm was first found at, held by the caller across paths, that bound then counts
        from instead of the start's (else a path interrupted at its deepest point and sent on
        would ratchet the arm 2 mm deeper each time).

        Returns
        -------
        (ok, reason): reason says where the path first fails ('' when clear).

        Raises
        ------
        InvalidJointsError
            Not finite joint vectors.

        """
        as_joint_array(start, 'start')
        as_joint_array(goal, 'goal')
        path = self.path_points(start, goal, resolution)
        report = self.check(path)
        if report.clear.all():
            return True, ''
        if not report.clear[-1]:
            return False, f'the goal itself: {report.reason(len(path) - 1)}'
        clear_from = 0
        if not report.clear[0]:  # escaping: never deeper than the start (give or take)
            out = np.flatnonzero(report.clear)
            clear_from = int(out[0]) if out.size else len(path)
            held = report.depth[0] if escape_from is None else escape_from
            deeper = np.flatnonzero(report.depth[:clear_from] > held + ESCAPE_SLACK)
            if deeper.size:
                worst = int(deeper[0])
                share = worst / (len(path) - 1)
                return False, (f'the path goes deeper into collision at {share:.0%} of the '
                               f'move ({report.reason(worst)})')
        bad = np.flatnonzero(~report.clear[clear_from:])
        if bad.size == 0:
            return True, ''
        first = clear_from + int(bad[0])
        return False, f'the path hits at {first / (len(path) - 1):.0%} of the move: ' \
                      f'{report.reason(first)}'


def _planar_points_one(q: list[float], g: ArmGeometry) -> list[tuple[float, float, float]]:
    """Return joint2, joint3, joint4 and the tool (x, y, z) of link angles ``q`` (planar arm)."""
    a2 = q[1]
    a23 = a2 + q[2]
    a234 = a23 + q[3]
    r3 = g.upper_arm_x * math.cos(a2) + g.upper_arm_z * math.sin(a2)
    z3 = g.shoulder_z + g.upper_arm_z * math.cos(a2) - g.upper_arm_x * math.sin(a2)
    r4, z4 = r3 + g.forearm * math.cos(a23), z3 - g.forearm * math.sin(a23)
    r5, z5 = r4 + g.tool * math.cos(a234), z4 - g.tool * math.sin(a234)
    c, s = math.cos(q[0]), math.sin(q[0])
    x0 = g.joint1_x
    return [(x0 + r * c, r * s, z) for r, z in ((0.0, g.shoulder_z), (r3, z3), (r4, z4),
                                                (r5, z5))]


def _leaning_points_one(q: list[float], g: ArmGeometry) -> list[tuple[float, float, float]]:
    """
    :func:`_planar_points_one` of an arm whose joint axes lean, in plain floats.

    The chain of :func:`~ik_net_ros.kinematics.forward.forward_kinematics` (tests hold the two
    equal): rotations as 9-tuples, row-major.
    """
    leans = _leans_one(g.axis_tilts)
    c, s = math.cos(q[0]), math.sin(q[0])
    rot = _matmul_one(leans[0], (c, -s, 0.0, s, c, 0.0, 0.0, 0.0, 1.0))
    h = g.shoulder_height
    pos = (g.joint1_x + rot[2] * h, rot[5] * h, g.base_height + rot[8] * h)
    points = [pos]
    links = ((g.upper_arm_x, g.upper_arm_z), (g.forearm, 0.0), (g.tool, 0.0))
    for k, (lx, lz) in enumerate(links):
        c, s = math.cos(q[k + 1]), math.sin(q[k + 1])
        rot = _matmul_one(_matmul_one(rot, leans[k + 1]), (c, 0.0, s, 0.0, 1.0, 0.0, -s, 0.0, c))
        pos = (pos[0] + rot[0] * lx + rot[2] * lz, pos[1] + rot[3] * lx + rot[5] * lz,
               pos[2] + rot[6] * lx + rot[8] * lz)
        points.append(pos)
    return points


@functools.lru_cache(maxsize=16)
def _leans_one(tilts: tuple[float, ...]) -> tuple[tuple[float, ...], ...]:
    """:func:`~ik_net_ros.kinematics.forward.lean_rotations` as 9-tuples of floats."""
    return tuple(tuple(m.ravel().tolist()) for m in lean_rotations(tilts))


def _matmul_one(a: tuple[float, ...], b: tuple[float, ...]) -> tuple[float, ...]:
    """Return the product of two 3x3 matrices given as row-major 9-tuples."""
    return tuple(a[i] * b[j] + a[i + 1] * b[j + 3] + a[i + 2] * b[j + 6]
                 for i in (0, 3, 6) for j in (0, 1, 2))


def _segment_distance(p1: np.ndarray, q1: np.ndarray, p2: np.ndarray, q2: np.ndarray
                      ) -> np.ndarray:
    """
    (M,) shortest distances between segments p1-q1 and p2-q2 (each (M, 3)).

    Ericson, Real-Time Collision Detection, 5.1.9, vectorised.
    """
    d1, d2, r = q1 - p1, q2 - p2, p1 - p2
    a, e, f, c, b = (np.einsum('ij,ij->i', u, v) for u, v in
                     ((d1, d1), (d2, d2), (d2, r), (d1, r), (d1, d2)))
    tiny = 1e-12
    denom = a * e - b * b
    with np.errstate(divide='ignore', invalid='ignore'):
        s = np.where(denom > tiny, np.clip((b * f - c * e) / denom, 0.0, 1.0), 0.0)
        s = np.where(a > tiny, s, 0.0)
        t = np.where(e > tiny, (b * s + f) / e, 0.0)
        # t outside [0, 1]: clamp it and recompute s for that end
        s = np.where(t < 0.0, np.where(a > tiny, np.clip(-c / a, 0.0, 1.0), 0.0), s)
        s = np.where(t > 1.0, np.where(a > tiny, np.clip((b - c) / a, 0.0, 1.0), 0.0), s)
    t = np.clip(t, 0.0, 1.0)
    gap = (p1 + d1 * s[:, None]) - (p2 + d2 * t[:, None])
    return np.sqrt(np.einsum('ij,ij->i', gap, gap))


def _gap_one(p1, q1, p2, q2) -> float:
    """:func:`_segment_distance` of one pair of segments given as 3-tuples of floats."""
    d1 = [b - a for a, b in zip(p1, q1)]
    d2 = [b - a for a, b in zip(p2, q2)]
    r = [a - b for a, b in zip(p1, p2)]
    a = d1[0] * d1[0] + d1[1] * d1[1] + d1[2] * d1[2]
    e = d2[0] * d2[0] + d2[1] * d2[1] + d2[2] * d2[2]
    f = d2[0] * r[0] + d2[1] * r[1] + d2[2] * r[2]
    c = d1[0] * r[0] + d1[1] * r[1] + d1[2] * r[2]
    b = d1[0] * d2[0] + d1[1] * d2[1] + d1[2] * d2[2]
    tiny = 1e-12
    denom = a * e - b * b
    s = min(1.0, max(0.0, (b * f - c * e) / denom)) if denom > tiny and a > tiny else 0.0
    t = (b * s + f) / e if e > tiny else 0.0
    if t < 0.0:
        s = min(1.0, max(0.0, -c / a)) if a > tiny else 0.0
    elif t > 1.0:
        s = min(1.0, max(0.0, (b - c) / a)) if a > tiny else 0.0
    t = min(1.0, max(0.0, t))
    gap = [p1[k] + d1[k] * s - p2[k] - d2[k] * t for k in range(3)]
    return math.sqrt(gap[0] * gap[0] + gap[1] * gap[1] + gap[2] * gap[2])
