"""
The collision check of one configuration in plain floats: the live node's path.

:meth:`CollisionModel.check <ik_net_ros.kinematics.collision.CollisionModel.check>` in numpy
costs its per-call overhead many times over for one configuration; here are the same checks in
Python floats, cheapest first and stopping at the first that fails:

1. **Bounding spheres**: a capsule's segment lies within half its length of its midpoint, so
   two capsules whose midpoints are farther apart than their pair's reach (radii's sum less the
   allowance) plus both half-lengths are apart, and their segment distance is not computed. On
   the OMY's live path 97 % of the pairs end here; the rest take :func:`~.capsules.gap_one`.
2. **The table**, before the pairs: a capsule whose midpoint is higher over it than its
   half-length, its radius and the clearance is clear of it; else each end that can come down
   to it, its height alone.
3. The pairs are asked in the order they collide most often over the arm's joint space (a
   configuration in collision is found after fewer pairs).
4. The workspace box, where there is one.

The verdict is the numpy check's (tests hold the two equal over joint space, near-contact
configurations included): a pair is passed by its spheres only where they are apart by more
than MARGIN (a capsule over the table likewise), orders above the rounding of either
computation (~1e-16 m), and every other pair takes the same segment distance as before.
"""

from __future__ import annotations

from dataclasses import dataclass
import math

from ik_net_ros.kinematics.capsules import (
    capsule_ends,
    CapsuleFrames,
    end_of,
    gap_one,
    segment_distance,
)
from ik_net_ros.kinematics.limits import sample_joints
import numpy as np

__all__ = ['OnePoseCheck', 'one_pose_check', 'MARGIN']

MARGIN = 1e-9  # m by which bounding spheres must be apart to pass a pair unmeasured
_ORDER_SAMPLES = 256  # configurations of joint space that order the pairs (seeded: the same)


@dataclass(frozen=True)
class OnePoseCheck:
    """
    A collision model compiled for one configuration in floats (see the module).

    ``lows``: (capsule, lowest z, recipes of its ends that can come down to the table);
    ``spheres``: per
    capsule (frame, midpoint in it, half-length) where the capsule is rigid in one frame (-1:
    the base frame, a constant midpoint), else None (its ends are placed, the sphere taken from
    them); ``pairs``: (capsule, capsule, reach, squared sphere bound or None), in check order;
    ``box``: the workspace box's (moving capsule, radius) and bounds, or None.
    """

    frames: CapsuleFrames
    lows: tuple
    spheres: tuple
    pairs: tuple
    box: tuple | None

    def clear(self, q: list[float]) -> bool:
        """
        Return whether one configuration is clear: dof finite Python floats (rad; m prismatic).

        The caller checks the count and finiteness (:meth:`CollisionModel.clear_one
        <ik_net_ros.kinematics.collision.CollisionModel.clear_one>`).
        """
        positions, rotations = self.frames.walk_one(q)
        recipes = self.frames.recipes
        mids, halves, ends = [], [], {}
        for c, sphere in enumerate(self.spheres):
            if sphere is None:
                a = end_of(recipes[2 * c], positions, rotations)
                b = end_of(recipes[2 * c + 1], positions, rotations)
                ends[c] = (a, b)
                mids.append(((a[0] + b[0]) * 0.5, (a[1] + b[1]) * 0.5, (a[2] + b[2]) * 0.5))
                halves.append(0.5 * math.dist(a, b))
                continue
            frame, (x, y, z), half = sphere
            if frame < 0:
                mids.append((x, y, z))
            else:
                p, r = positions[frame], rotations[frame]
                mids.append((p[0] + r[0] * x + r[1] * y + r[2] * z,
                             p[1] + r[3] * x + r[4] * y + r[5] * z,
                             p[2] + r[6] * x + r[7] * y + r[8] * z))
            halves.append(half)
        for c, low, lowering in self.lows:
            if mids[c][2] - halves[c] > low + MARGIN:
                continue  # its sphere is over the table: so are its ends
            for kind, frame, point in lowering:
                if kind == 2:  # ends_one's arithmetic for the height, term for term
                    r = rotations[frame]
                    z = positions[frame][2] + (r[6] * point[0] + r[7] * point[1]
                                               + r[8] * point[2])
                else:
                    z = end_of((kind, frame, point), positions, rotations)[2]
                if z < low:
                    return False
        for a, b, reach, bound in self.pairs:
            ma, mb = mids[a], mids[b]
            dx, dy, dz = ma[0] - mb[0], ma[1] - mb[1], ma[2] - mb[2]
            if bound is None:
                bound = reach + halves[a] + halves[b] + MARGIN
                bound = bound * bound if bound > 0 else -1.0
            if dx * dx + dy * dy + dz * dz > bound:
                continue  # the spheres are apart: so are the capsules
            for c in (a, b):
                if c not in ends:
                    ends[c] = (end_of(recipes[2 * c], positions, rotations),
                               end_of(recipes[2 * c + 1], positions, rotations))
            if gap_one(*ends[a], *ends[b]) < reach:
                return False
        if self.box is not None:
            moving, bounds = self.box
            for c, radius in moving:
                a = end_of(recipes[2 * c], positions, rotations)
                b = end_of(recipes[2 * c + 1], positions, rotations)
                for k in range(3):
                    if (min(a[k], b[k]) - radius < bounds[2 * k]
                            or max(a[k], b[k]) + radius > bounds[2 * k + 1]):
                        return False
        return True


def one_pose_check(model, frames: CapsuleFrames) -> OnePoseCheck:
    """
    Compile ``model`` (a :class:`~ik_net_ros.kinematics.collision.CollisionModel`) of ``frames``.

    The pairs' order is measured on the arm as described (the sample is fixed: the same order
    every time).
    """
    floor = model.table_z + model.table_clearance
    recipes = frames.recipes
    lows = tuple((i, floor + model.radii[i], tuple(recipes[2 * i + k] for k in which))
                 for i, which in model.table_ends)
    spheres = tuple(_sphere(recipes[2 * c], recipes[2 * c + 1]) for c in range(len(frames.ends)))
    reach = model._pair_reach.tolist()
    pairs = []
    for k in _pair_order(model):
        a, b = model.pairs[k]
        bound = None
        if spheres[a] is not None and spheres[b] is not None:
            bound = reach[k] + spheres[a][2] + spheres[b][2] + MARGIN
            bound = bound * bound if bound > 0 else -1.0
        pairs.append((a, b, reach[k], bound))
    box = None
    if model.workspace is not None:
        box = (tuple((i, model.radii[i]) for i in model.moving), model.workspace)
    return OnePoseCheck(frames, lows, spheres, tuple(pairs), box)


def _sphere(a: tuple, b: tuple) -> tuple | None:
    """Return a capsule's (frame, midpoint, half-length) of its ends' recipes, or None."""
    (kind_a, frame_a, pa), (kind_b, frame_b, pb) = a, b
    if frame_a != frame_b or kind_a != kind_b or kind_a == 1:
        return None  # an end on a joint's origin moves with a calibration's lengths
    mid = tuple((x + y) * 0.5 for x, y in zip(pa, pb))
    return frame_a, mid, 0.5 * math.dist(pa, pb)


def _pair_order(model) -> list[int]:
    """Return the pairs' indices, those in collision most often over joint space first."""
    if not model.pairs:
        return []
    arm = model.arm.nominal()
    ends = capsule_ends(arm, sample_joints(arm, _ORDER_SAMPLES, 0))
    hits = [int(np.count_nonzero(segment_distance(ends[:, a, 0], ends[:, a, 1], ends[:, b, 0],
                                                  ends[:, b, 1]) < reach))
            for (a, b), reach in zip(model.pairs, model._pair_reach.tolist())]
    return sorted(range(len(hits)), key=lambda k: -hits[k])
