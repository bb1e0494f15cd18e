"""
Fit an arm's collision capsules to ROBOTIS's meshes; write the meshes' hulls for the tests.

Not part of the package (it reads ROBOTIS's open_manipulator git, which CI does not have).
Every link's mesh is taken into the frame of the link whose capsules stand for it (the rule of
:func:`capsule_fit.covering`), over the joints between the two: the fingers over the whole
gripper range (the capsules cover the open hand as well as the closed one: the collision model
does not know the gripper's state), a mesh below the first joint over that joint's turn. Those
points are split among the link's capsules (each point to the capsule it is deepest in) and each
part's convex hull vertices are written to ``test/data/<arm>_hull_vertices.npz`` (key
``<link>/<capsule name>``, (V, 3) m in the link's frame): a capsule is convex, so the hull's
vertices inside it put every mesh vertex of the part inside it.

    python benchmarks/capsule_hulls.py --arm omx_f --repo /path/to/open_manipulator/.git
    python benchmarks/capsule_hulls.py --arm open_manipulator_x --repo ... --fit 'hand=2'
    python benchmarks/capsule_hulls.py --arm omx_f --repo ... --fit link5=3:link6,link7 \
        --home-floor 0.0105 --margin 0.0031

``--fit link=k`` (repeatable) fits k capsules to that link's points (smallest total volume with
every point inside by ``--margin``) and prints them as YAML lines; without it the arm's own
capsules are measured and their hulls written.
"""

from __future__ import annotations

import argparse
import os

from capsule_fit import covering, link_frames, read_description
from ik_net_ros.arm import load_arm
from ik_net_ros.kinematics.limits import sample_joints
import numpy as np

EDGE = 0.005  # m: the longest triangle edge measured (a triangle inside one capsule: all of it)
MARGIN = 0.003  # m every mesh vertex keeps inside its capsules
# points of a mesh left out, by link: OMX-F link0's plate (<= 30 mm high, 120 x 150 mm) lies
# on the table: the table clearance keeps the links above it (see omx_f.yaml)
LEFT_OUT = {('omx_f', 'link0'): lambda p: p[:, 2] <= 0.030}
# a mesh taken at more than one place, z shifts (m) in its capsules' frame: the OM-X's link1 sits
# where ROBOTIS's jazzy description puts it (joint1 on its bottom) and where its humble one does
# (17 mm lower: the real arm's, see open_manipulator_x.yaml); the capsules cover both
PLACES = {('open_manipulator_x', 'link1'): (0.0, -0.017)}
# arms whose fingers are taken closed only (their capsules would hold the closed hand): none now,
# every arm's capsules cover its fingers over the gripper's whole range (the collision model does
# not know the gripper's state)
CLOSED_ONLY: set[str] = set()
DESCRIPTION = {'open_manipulator_x': 'jazzy'}  # the one in ROBOTIS's current branch
SAMPLES = 12  # configurations a mesh on another link than its capsules' is taken over


def body_points(repo: str, arm_name: str, samples: int = SAMPLES, edge: float = EDGE
                ) -> dict:
    """
    Return {capsule link: {mesh link: (vertices (V, 3) m, triangles (F, 3))}} in that frame.

    Each mesh is split to triangles of edges <= ``edge`` m first. A mesh on another link than
    its capsules' is taken over ``samples`` configurations (joints inside the limits, the
    gripper evenly over its range, both ends included): one copy of its triangles each.
    """
    import trimesh
    arm = load_arm(arm_name, DESCRIPTION.get(arm_name))
    joints, meshes = read_description(repo, arm_name, faces=True)
    q = sample_joints(arm, samples, 0)
    grip = np.zeros(samples) if not arm.gripper else np.full(samples, arm.gripper.lower) \
        if arm_name in CLOSED_ONLY else np.linspace(arm.gripper.lower, arm.gripper.upper, samples)
    out = {}
    for link, (vertices, faces) in meshes.items():
        vertices, faces = trimesh.remesh.subdivide_to_size(vertices, faces, edge)
        left_out = LEFT_OUT.get((arm_name, link))
        if left_out is not None:  # keep the triangles with no vertex left out
            faces = faces[~left_out(vertices)[faces].any(axis=1)]
        holder = arm.capsules[covering(arm, joints, link)[0]].link
        copies = []
        for row, g in zip(q, grip):
            values = dict(zip(arm.joint_names, row))
            if arm.gripper:
                values[arm.gripper.joint] = g
            frames = link_frames(joints, values)
            base = np.eye(4) if holder == arm.base_frame else frames[holder]
            rel = np.linalg.inv(base) @ (np.eye(4) if link not in joints else frames[link])
            copies.append(vertices @ rel[:3, :3].T + rel[:3, 3])
            if link == holder or (holder == arm.base_frame and link not in joints):
                break
        copies = [c + [0.0, 0.0, dz] for c in copies for dz in PLACES.get((arm_name, link), (0,))]
        out.setdefault(holder, {})[link] = (
            np.vstack(copies), np.vstack([faces + k * len(vertices) for k in range(len(copies))]))
    return out


def hull(points: np.ndarray) -> np.ndarray:
    """Return the vertices of the convex hull of ``points`` (V, 3)."""
    from scipy.spatial import ConvexHull
    return points[ConvexHull(points).vertices]


def distance(points: np.ndarray, a, b) -> np.ndarray:
    """Return the distances (V,) of ``points`` (V, 3) from the segment a-b."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    d = b - a
    t = np.clip((points - a) @ d / max(float(d @ d), 1e-18), 0.0, 1.0)
    return np.linalg.norm(points - (a + t[:, None] * d), axis=1)


def fit_one(points: np.ndarray, margin: float, start=None, floor=None):
    """
    Return (a, b, radius): the smallest-volume capsule holding ``points`` by ``margin``.

    ``floor``: (row, offset, height) keeps the capsule's bottom at ``row @ end + offset -
    radius >= height`` (the height of a point of the capsule's frame at one pose, m), or None.
    """
    from scipy.optimize import minimize
    points = hull(points) if len(points) > 4 else points
    if start is None:
        centre = points.mean(0)
        axis = np.linalg.svd(points - centre)[2][0]
        t = (points - centre) @ axis
        start = np.concatenate([centre + axis * np.quantile(t, 0.2),
                                centre + axis * np.quantile(t, 0.8)])

    def volume(x):
        r = distance(points, x[:3], x[3:]).max() + margin
        v = np.pi * r * r * (np.linalg.norm(x[3:] - x[:3]) + 4 * r / 3)
        if floor is not None:  # a penalty far above any volume change per m below the floor
            row, offset, height = floor
            v += max(0.0, height - (min(x[:3] @ row, x[3:] @ row) + offset - r))
        return v
    x = np.asarray(start, float)
    for _ in range(1 if floor is None else 2):  # a restart: the penalty's kink stalls the simplex
        x = minimize(volume, x, method='Nelder-Mead',
                     options={'xatol': 1e-5 if floor is None else 1e-6,
                              'fatol': 1e-9 if floor is None else 1e-11, 'maxiter': 8000}).x
    a, b = x[:3], x[3:]
    return a, b, float(distance(points, a, b).max() + margin)


def volume(caps) -> float:
    """Return the capsules' summed volume in m^3 (overlaps counted twice)."""
    return sum(np.pi * r * r * (np.linalg.norm(np.subtract(b, a)) + 4 * r / 3)
               for a, b, r in caps)


def fit(points: np.ndarray, triangles: np.ndarray, k: int, margin: float, rounds: int = 8,
        seeds: int = 4, floor=None):
    """
    Return k capsules [(a, b, r)], each triangle inside one: the smallest summed volume found.

    Lloyd rounds from k-means splits of the triangles' centres (``seeds`` of them): fit each
    part's capsule to its triangles' vertices, give each triangle to the capsule it is deepest
    in (its worst vertex), again. ``floor``: see :func:`fit_one`.
    """
    from scipy.cluster.vq import kmeans2
    points = np.round(points, 4)  # 0.1 mm: the fit's grain
    triangles = np.unique(np.sort(triangles, axis=1), axis=0)
    centres = points[triangles].mean(axis=1)
    best = None
    for seed in range(seeds):
        _, label = kmeans2(centres, k, seed=seed, minit='++')
        caps = None
        for _ in range(rounds):
            caps = [fit_one(np.unique(points[triangles[label == c]].reshape(-1, 3), axis=0),
                            margin, None if caps is None else np.concatenate(caps[c][:2]),
                            floor)
                    for c in range(k) if (label == c).sum() >= 2]
            depth = np.array([distance(points, a, b) - r for a, b, r in caps])
            label = depth[:, triangles].max(axis=2).argmin(0)
        # the radii that hold each capsule's triangles by the margin
        caps = [(a, b, float(distance(points[np.unique(triangles[label == c])], a, b).max()
                             + margin)) for c, (a, b, _) in enumerate(caps)]
        low = np.inf if floor is None else min(
            min(a @ floor[0], b @ floor[0]) + floor[1] - r for a, b, r in caps) - floor[2]
        if (best is None or volume(caps) < volume(best)) and low >= -1e-4:
            best = caps
    return best


def copy_hulls(points: np.ndarray, copies: int) -> tuple[np.ndarray, np.ndarray]:
    """
    Return the vertices of each copy's convex hull and one-vertex 'triangles' of them.

    ``points``: ``copies`` equal blocks (one mesh at several gripper openings, as
    :func:`body_points` stacks them). A finger swept over the gripper's range is copies of one
    plate: fitting their hulls' vertices, each on its own, instead of every small triangle is
    100x faster, and a capsule holding a hull's vertices holds what is inside it (the triangles
    across two capsules are measured after: ``main`` without ``--fit``).
    """
    hulls = np.vstack([hull(block) for block in np.split(points, copies)])
    return hulls, np.arange(len(hulls))[:, None]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--arm', default='omx_f',
                        choices=['omx_f', 'open_manipulator_x', 'omy_f3m'])
    parser.add_argument('--repo', required=True, help='bare git dir of ROBOTIS open_manipulator')
    parser.add_argument('--margin', type=float, default=MARGIN)
    parser.add_argument('--edge', type=float, default=EDGE)
    parser.add_argument('--fit', action='append', default=[],
                        help='capsule link=count[:mesh link,...] (default: all its meshes)')
    parser.add_argument('--home-floor', type=float, default=None,
                        help="m over the table each fitted capsule keeps at the arm's home "
                        "(the OMX-F's fingers: 0.0105), fitted to the hulls of the pieces")
    parser.add_argument('--out', default=None, help='npz (default test/data/<arm>_hull_...)')
    args = parser.parse_args(argv)
    arm = load_arm(args.arm, DESCRIPTION.get(args.arm))
    bodies = body_points(args.repo, args.arm, edge=args.edge)
    for spec in args.fit:
        link, k = spec.split('=')
        k, _, names = k.partition(':')
        points, triangles, count = [], [], 0
        for mesh, (v, f) in bodies[link].items():
            if names and mesh not in names.split(','):
                continue
            if args.home_floor is not None:  # a mesh on another link: SAMPLES copies
                v, f = copy_hulls(v, SAMPLES if mesh != link else 1)
            points.append(v)
            triangles.append(f + count)
            count += len(v)
        points, triangles, floor = np.vstack(points), np.vstack(triangles), None
        if args.home_floor is not None:
            joints, _ = read_description(args.repo, args.arm)
            home = link_frames(joints, dict(zip(arm.joint_names, arm.home)))
            place = np.eye(4) if link == arm.base_frame else home[link]
            floor = (place[2, :3], place[2, 3] - arm.table_z, args.home_floor)
        caps = fit(points, triangles, int(k), args.margin, floor=floor)
        print(f'{link}: {k} capsules, {volume(caps) * 1e6:.0f} cm^3')
        for a, b, r in caps:
            print(f'  - {{name: ?, link: {link}, a: {np.round(a, 4).tolist()}, '
                  f'b: {np.round(b, 4).tolist()}, radius: {np.ceil(r * 1000) / 1000}}}')
    if args.fit:
        return
    hulls, worst = {}, -np.inf
    for holder, parts in bodies.items():
        caps = [c for c in arm.capsules if c.link == holder]
        for mesh, (points, triangles) in parts.items():
            depth = np.array([distance(points, c.a, c.b) - c.radius for c in caps])
            depth = depth[:, triangles].max(axis=2)  # a triangle: its worst vertex
            label = depth.argmin(0)
            outside = float(depth.min(0).max())
            worst = max(worst, outside)
            print(f'{mesh:20s} on {holder:8s} {len(triangles):8d} triangles: worst '
                  f'{outside * 1000:+6.1f} mm outside {[c.name for c in caps]}')
            for k, c in enumerate(caps):
                if (label == k).any():
                    key = f'{holder}/{c.name}'
                    part = points[np.unique(triangles[label == k])]
                    hulls[key] = hull(np.vstack([hulls[key], part]) if key in hulls else part)
    out = args.out or os.path.join(os.path.dirname(__file__), '..', 'test', 'data',
                                   f'{args.arm}_hull_vertices.npz')
    np.savez_compressed(out, **{k: v.astype(np.float32) for k, v in hulls.items()})
    print(f'{sum(len(v) for v in hulls.values())} hull vertices in {len(hulls)} parts -> {out}; '
          f'every triangle inside one capsule by >= {-worst * 1000:.1f} mm'
          f'{"" if worst <= -args.margin else "  (LESS than the margin)"}')


if __name__ == '__main__':
    main()
