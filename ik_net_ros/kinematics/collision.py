"""
The arm's collision model: its links as capsules, the table it stands on, its own base.

And an optional workspace box.

The capsules are the arm's (:attr:`Arm.capsules <ik_net_ros.arm.Arm>`, fitted to ROBOTIS's
meshes; each fixed to one link and moved by the one chain, the arm's errors included:
:mod:`ik_net_ros.kinematics.capsules`). A configuration is clear when

- every capsule marked ``table`` (the links that move off the base) stays ``table_clearance``
  above the table, at :attr:`Arm.table_z <ik_net_ros.arm.Arm>` in the base frame (the bottom of
  the base plate);
- every pair of :attr:`Arm.pairs <ik_net_ros.arm.Arm>` keeps apart (links next to each other
  touch at their joint and are not paired);
- with a workspace box, every ``table`` capsule lies inside it.

What it does not know: anything else in the room (boxes, people, a second arm). The workspace
box is the user's to set for those.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
import functools
import math

from ik_net_ros.arm import Arm, default_arm
from ik_net_ros.kinematics.capsules import (
    capsule_ends,
    capsule_frames,
    off_axis,
    segment_distance,
)
from ik_net_ros.kinematics.chain import chain_frames, compiled_chain, joint_rows
from ik_net_ros.kinematics.collision_one import one_pose_check, OnePoseCheck
from ik_net_ros.kinematics.limits import sample_joints
import numpy as np

__all__ = ['CollisionModel', 'CollisionReport', 'MAX_CLEARANCE']

MAX_CLEARANCE = 0.05  # m: more would leave the arm little room (the OM-X's joint2 is 76.5 mm up)
MAX_RADIUS = 0.2  # m: a capsule radius; more is no link of a desk arm
ESCAPE_SLACK = 0.002  # m deeper than its start a path out of a collision may go on its way
_FIXED_HEIGHT = 1e-9  # m: a capsule end whose height varies less over joint space is fixed
_CLEAR, _TABLE, _SELF, _BOX = range(4)


@dataclass
class CollisionReport:
    """
    Collision checks of M configurations.

    clear: (M,) True where the configuration is clear.
    depth: (M,) m by which the worst check fails (0 where clear).
    kind: (M,) 0 clear, 1 under the table, 2 two links of the arm, 3 outside the workspace box.
    link, other: (M,) indices into ``links`` (the capsules' names) of the link that fails (and
    the one it hits).
    links: the arm's capsules' names.
    clearance: m the table check kept.
    """

    clear: np.ndarray
    depth: np.ndarray
    kind: np.ndarray
    link: np.ndarray
    other: np.ndarray
    links: tuple[str, ...]
    clearance: float = 0.0

    def reason(self, index: int) -> str:
        """Why configuration ``index`` is not clear, in words ('clear' when it is)."""
        kind, depth = int(self.kind[index]), float(self.depth[index]) * 1000
        link, other = self.links[int(self.link[index])], self.links[int(self.other[index])]
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
    The arm's capsules, the table and an optional workspace box.

    Parameters
    ----------
    arm
        The arm (:class:`~ik_net_ros.arm.Arm`; joint values are commanded values, its errors
        apply: a calibration's offsets, lengths and leaning axes). None: the default arm, the
        OM-X.
    table_clearance
        m every moving link keeps above the table (>= 0).
    workspace
        (x_min, x_max, y_min, y_max, z_min, z_max) m in the base frame, or None.
    radii
        Radii of the arm's capsules in their order, m (None: the arm's).

    Raises
    ------
    ValueError
        A negative or non-finite clearance or radius, radii not one per capsule, an arm with
        no capsules or a capsule off its chain, or a box with min >= max.
    TypeError
        ``arm`` is not an Arm (nor None).

    """

    arm: Arm | None = None
    table_clearance: float = 0.01
    workspace: tuple[float, ...] | None = None
    radii: tuple[float, ...] | None = None

    def __post_init__(self):
        arm = default_arm() if self.arm is None else self.arm
        if not isinstance(arm, Arm):
            raise TypeError(f'CollisionModel needs an Arm, got {type(arm).__name__}')
        object.__setattr__(self, 'arm', arm)
        if not arm.capsules:
            raise ValueError(f'{arm.name} has no collision capsules')
        capsule_frames(arm)  # ValueError: a capsule off the chain
        clearance = float(self.table_clearance)
        if not (math.isfinite(clearance) and 0.0 <= clearance <= MAX_CLEARANCE):
            raise ValueError(f'table_clearance must be in [0, {MAX_CLEARANCE}] m, got '
                             f'{self.table_clearance}')
        object.__setattr__(self, 'table_clearance', clearance)
        count = len(arm.capsules)
        radii = tuple(c.radius for c in arm.capsules) if self.radii is None else \
            tuple(float(r) for r in self.radii)
        if len(radii) != count or not all(math.isfinite(r) and 0.0 <= r <= MAX_RADIUS
                                          for r in radii):
            raise ValueError(f'radii must be {count} lengths in [0, {MAX_RADIUS}] m (the '
                             f'capsules {list(self.links)}), got {self.radii}')
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
        return self.arm.table_z

    @functools.cached_property
    def links(self) -> tuple[str, ...]:
        """Return the capsules' names, in the arm's order (a report's link indices)."""
        return tuple(c.name for c in self.arm.capsules)

    @functools.cached_property
    def moving(self) -> tuple[int, ...]:
        """Return the indices of the capsules checked against the table and the box."""
        return tuple(k for k, c in enumerate(self.arm.capsules) if c.table)

    @functools.cached_property
    def table_ends(self) -> tuple[tuple[int, tuple[int, ...]], ...]:
        """
        Return (capsule, its ends that can come down to the table) of the moving capsules.

        An end whose height no joint changes (the upper arm's root on the shoulder joint, on
        top of the base at a fixed height) cannot: the base below it stands on the table. Found
        on the arm as described (its errors tilt such an end by a fraction of a millimetre).
        """
        z = capsule_ends(self.arm.nominal(), sample_joints(self.arm, 64, 0))[..., 2]
        varies = np.ptp(z, axis=0) > _FIXED_HEIGHT
        return tuple((i, tuple(int(k) for k in np.flatnonzero(varies[i])))
                     for i in self.moving if varies[i].any())

    @functools.cached_property
    def pairs(self) -> tuple[tuple[int, int], ...]:
        """
        Return the checked pairs as capsule indices (the arm's ``pairs``, in order).

        Raises
        ------
        ValueError
            A pair naming no capsule of the arm.

        """
        index = {name: k for k, name in enumerate(self.links)}
        try:
            return tuple((index[a], index[b]) for a, b in self.arm.pairs)
        except KeyError as e:
            raise ValueError(f'{self.arm.name}: pair names no capsule {e}; capsules '
                             f'{list(self.links)}') from None

    def capsule_ends(self, joints) -> np.ndarray:
        """
        Return each capsule's ends (M, C, 2, 3) (m, base frame) of configurations (M, dof).

        Raises
        ------
        InvalidJointsError
            Not (dof,) or (M, dof) finite joint values.

        """
        return capsule_ends(self.arm, joint_rows(self.arm, joints)[0])

    def link_points(self, joints: np.ndarray) -> np.ndarray:
        """
        Bridge (the OM-X's view): (M, dof + 1, 3) the base capsule's bottom, joints 2.., tool.

        The joints' origins and the tool point as the arm's errors place them (m, base frame);
        the capsules are fitted to the meshes and need not run from joint to joint.
        """
        q = joint_rows(self.arm, joints)[0]
        positions = chain_frames(self.arm, q)[0]
        return np.concatenate([capsule_ends(self.arm, q)[:, :1, 0], positions[:, 1:]], axis=1)

    def check(self, joints) -> CollisionReport:
        """
        Check configurations (dof,) or (M, dof) (rad; m for a prismatic joint).

        Raises
        ------
        InvalidJointsError
            Not finite joint vectors of the arm's dof.

        """
        q, _ = joint_rows(self.arm, joints)
        return self._check(q)

    def _check(self, q: np.ndarray) -> CollisionReport:
        """:meth:`check` of validated joints (M, dof)."""
        ends = capsule_ends(self.arm, q)
        m = len(q)
        # every check's depth a row of one array (row 0: clear), the worst taken once: the
        # first of equal depths, as the checks are listed (:attr:`_checks`)
        rows = [np.zeros(m)]
        floor = self.table_z + self.table_clearance
        for i, which in self.table_ends:
            rows.append(floor + self.radii[i] - ends[:, i, which, 2].min(axis=1))
        pairs = self.pairs
        if pairs:  # every pair in one call: a call per pair costs its overhead each time
            gaps = segment_distance(*(np.concatenate([ends[:, pair[k], j] for pair in pairs])
                                      for k, j in ((0, 0), (0, 1), (1, 0), (1, 1))))
            rows.extend(self._pair_reach[:, None] - gaps.reshape(len(pairs), m))
        if self.workspace is not None:
            box = np.asarray(self.workspace).reshape(3, 2)
            for i in self.moving:
                low = np.minimum(ends[:, i, 0], ends[:, i, 1]) - self.radii[i]
                high = np.maximum(ends[:, i, 0], ends[:, i, 1]) + self.radii[i]
                rows.append(np.maximum(box[:, 0] - low, high - box[:, 1]).max(axis=1))
        depths = np.stack(rows)
        worst = depths.argmax(axis=0)
        depth = depths[worst, np.arange(m)]
        kind, link, other = self._checks[:, worst]
        return CollisionReport(clear=depth <= 0.0, depth=depth, kind=kind, link=link,
                               other=other, clearance=self.table_clearance, links=self.links)

    @functools.cached_property
    def _one_check(self) -> OnePoseCheck:
        """Return :meth:`clear_one`'s compiled checks (:mod:`.collision_one`)."""
        return one_pose_check(self, capsule_frames(self.arm))

    @functools.cached_property
    def _pair_reach(self) -> np.ndarray:
        """
        Return (pairs,) m: each pair's radii's sum less its allowance (closer: a collision).

        The allowance (:attr:`Arm.pair_allowances <ik_net_ros.arm.Arm>`) is the description's,
        for pairs whose coarse capsules overlap at home while the meshes are apart.
        """
        return np.array([self.radii[a] + self.radii[b] - allowance for (a, b), allowance
                         in zip(self.pairs, self.arm.pair_allowances)])

    @functools.cached_property
    def _checks(self) -> np.ndarray:
        """Return (3, checks + 1) int8: kind, link, other of each row of :meth:`_check`."""
        checks = [(_CLEAR, 0, 0)] + [(_TABLE, i, i) for i, _ in self.table_ends] + \
            [(_SELF, a, b) for a, b in self.pairs]
        if self.workspace is not None:
            checks += [(_BOX, i, i) for i in self.moving]
        return np.array(checks, dtype=np.int8).T.copy()

    def clear_one(self, joints: list[float]) -> bool:
        """
        Return :meth:`clear` of one configuration given as dof Python floats (NaN: not clear).

        The same checks in plain floats, cheapest first with early exits, a fraction of the
        numpy call's cost, for the live node's single targets
        (:class:`~ik_net_ros.kinematics.collision_one.OnePoseCheck`; tests hold the two equal).
        """
        if len(joints) != self.arm.dof or not math.isfinite(sum(joints)):
            return False
        return self._one_check.clear(joints)

    def clear(self, joints) -> np.ndarray | bool:
        """Return True where configurations (dof,) or (M, dof) are clear."""
        q, single = joint_rows(self.arm, joints)
        ok = self._check(q).clear
        return bool(ok[0]) if single else ok

    def inflated(self, margin: float) -> CollisionModel:
        """
        Return this model with every radius and the table clearance ``margin`` m larger.

        Goals chosen with room to spare; a negative margin gives a model that tolerates that much,
        as between two checks of a path.
        """
        out = replace(self, table_clearance=min(MAX_CLEARANCE,
                                                max(0.0, self.table_clearance + margin)),
                      radii=tuple(max(0.0, r + margin) for r in self.radii))
        return out

    def sweep_radii(self) -> np.ndarray:
        """
        Return (dof,) m: how far any point of a capsule can be from each joint's axis.

        So a joint move of d rad moves no point by more than d times this (1 for a prismatic
        joint: m per m). A bound by the triangle inequality along the chain as the arm's errors
        make it: from joint k's axis, the next origin's distance off the axis, then each link's
        length, then the capsule's end and radius.
        """
        return _sweep_radii(self.arm, self.radii)

    def path_points(self, start, goal, resolution: float = 0.002) -> np.ndarray:
        """
        Return (K, dof) configurations on the straight joint-space path ``start`` to ``goal``.

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
        joint_rows(self.arm, start, 'start')
        joint_rows(self.arm, goal, 'goal')
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


@functools.lru_cache(maxsize=32)
def _sweep_radii(arm: Arm, radii: tuple[float, ...]) -> np.ndarray:
    """:meth:`CollisionModel.sweep_radii` of an arm and its capsules' radii (read-only)."""
    joints, (_, tool_xyz) = compiled_chain(arm)
    # origin of chain entry i + 1 in entry i's frame (entry dof: the tool), as calibrated, and
    # how far entry i + 1's own joint may slide it further (prismatic)
    steps = [j.xyz for j in joints[1:]] + [tool_xyz]
    slides = [0.0 if j.type == 'revolute' else max(abs(j.lower), abs(j.upper))
              for j in arm.joints[1:]] + [0.0]
    out = np.zeros(arm.dof)
    for k, joint in enumerate(joints):
        if not joint.revolute:
            out[k] = 1.0
            continue
        for pair, radius in zip(capsule_frames(arm).ends, radii):
            for end in pair:
                if end.frame < k:
                    continue  # on the base or before joint k: joint k does not move it
                point = np.zeros(3) if end.anchored else np.asarray(end.point)
                reach = float(np.linalg.norm(point))
                if end.frame == k:
                    reach = off_axis(point, joint.axis)
                else:
                    reach += off_axis(steps[k], joint.axis) + slides[k] + sum(
                        float(np.linalg.norm(steps[i])) + slides[i]
                        for i in range(k + 1, end.frame))
                out[k] = max(out[k], reach + radius)
    out.setflags(write=False)
    return out
