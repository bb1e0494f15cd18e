"""
How well an arm's collision capsules cover ROBOTIS's meshes of it (not part of the package).

Reads ROBOTIS's arm xacro and STL meshes from a bare git clone of open_manipulator (``git show``,
no work tree), moves every link's mesh (its visual origin and scale applied) with the arm's
joints and the gripper, and measures each vertex against the capsules that stand for its link:
the capsules on the link itself, else on its child (a base plate: the base; the OMX-F's
wrist-pitch bracket: the hand, around its roll axis), else on its nearest ancestor that has some
(the gripper's fingers: the hand; the OMY-F3M's flange, hand and fingers, read from the hand's
own xacro and placed by the robot's: its link6). Prints per mesh the worst vertex outside its
capsules (mm; negative: all inside with that margin) over ROBOTIS's home pose and random
configurations inside the limits and the gripper's range, then the share of joint space the
collision model finds clear.

    python benchmarks/capsule_fit.py --arm omx_f --repo /path/to/open_manipulator/.git
    python benchmarks/capsule_fit.py --arm open_manipulator_x --description jazzy --repo ...

The OM-X's meshes of ROBOTIS's current branch are its jazzy description's (joint1 at the bottom
of link1): measure it with ``--description jazzy``.
"""

from __future__ import annotations

import argparse
import io
import math
import re
import subprocess
import xml.etree.ElementTree as ET

from ik_net_ros.arm import load_arm
from ik_net_ros.arm.model import rpy_matrix
from ik_net_ros.kinematics.capsules import capsule_ends
from ik_net_ros.kinematics.collision import CollisionModel
from ik_net_ros.kinematics.limits import sample_joints
import numpy as np

XACROS = {'omx_f': 'open_manipulator_description/urdf/omx_f/omx_f_arm.urdf.xacro',
          'open_manipulator_x': 'open_manipulator_description/urdf/open_manipulator_x/'
                                'open_manipulator_x_arm.urdf.xacro',
          'omy_f3m': 'open_manipulator_description/urdf/omy_f3m/omy_f3m_arm.urdf.xacro'}
# an arm's other parts in their own xacros, and the robot's file that joins them (its joints
# outside any macro): the OMY-F3M's hand, the RH-P12-RN-A, fixed on the flange
PARTS = {'omy_f3m': ['open_manipulator_description/urdf/omy_f3m/rh_p12_rn_a.urdf.xacro']}
ROBOT = {'omy_f3m': 'open_manipulator_description/urdf/omy_f3m/omy_f3m.urdf.xacro'}
XACRO = '{http://www.ros.org/wiki/xacro}'


def _git_show(repo: str, path: str) -> bytes:
    return subprocess.run(['git', '--git-dir', repo, 'show', f'HEAD:{path}'], check=True,
                          capture_output=True).stdout


def _expand(text: str, meshes: str) -> str:
    """Return the macro's text with ``${...}`` evaluated (prefix '', pi, the mesh folder)."""
    names = {'prefix': '', 'pi': math.pi, 'meshes_file_direction': meshes}

    def value(match):
        return str(eval(match.group(1), {'__builtins__': {}}, names))  # noqa: S307 (ROBOTIS's)
    return re.sub(r'\$\{([^}]*)\}', value, text)


def _origin(element) -> np.ndarray:
    out = np.eye(4)
    node = element.find('origin')
    if node is not None:
        out[:3, :3] = rpy_matrix([float(v) for v in node.get('rpy', '0 0 0').split()])
        out[:3, 3] = [float(v) for v in node.get('xyz', '0 0 0').split()]
    return out


def _turn(axis, kind: str, value: float) -> np.ndarray:
    out = np.eye(4)
    axis = np.asarray(axis, dtype=float)
    if kind == 'prismatic':
        out[:3, 3] = axis * value
    elif kind != 'fixed':
        k = np.array([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]])
        out[:3, :3] = np.eye(3) + math.sin(value) * k + (1 - math.cos(value)) * k @ k
    return out


def read_description(repo: str, arm_name: str, faces: bool = False):
    """
    Return (joints, meshes): joint records by child link, (vertices (V, 3) m) by link.

    With ``faces`` each mesh is (vertices (V, 3) m, faces (F, 3) vertex indices).
    """
    joints, meshes = {}, {}
    for path in [XACROS[arm_name], *PARTS.get(arm_name, [])]:
        root = ET.fromstring(_expand(_git_show(repo, path).decode(), 'MESHES'))
        macro = root.find(f'{XACRO}macro')
        joints.update(_joints(macro))
        meshes.update(_meshes(repo, macro, _mesh_folder(macro, path), faces))
    if arm_name in ROBOT:  # the joints between the parts
        text = _git_show(repo, ROBOT[arm_name]).decode().replace('$(arg prefix)', '')
        joints.update({child: j for child, j in _joints(ET.fromstring(text)).items()
                       if j['parent'] != 'world'})  # the world is the base frame here
    return joints, meshes


def _mesh_folder(macro, path: str) -> str:
    """Return the folder of a macro's meshes in the repository (its property, else the arm's)."""
    for node in macro.findall(f'{XACRO}property'):
        if node.get('name') == 'meshes_file_direction':
            return node.get('value').replace('package://', '').rstrip('/')
    return path.split('/urdf/')[0] + '/meshes/' + path.split('/')[-2]


def _joints(element) -> dict:
    """Return the joint records by child link of an element's ``joint`` children."""
    joints = {}
    for j in element.findall('joint'):
        axis = j.find('axis')
        mimic = j.find('mimic')
        xyz = [float(v) for v in axis.get('xyz').split()] if axis is not None else [0, 0, 1]
        joints[j.find('child').get('link')] = {
            'name': j.get('name'), 'type': j.get('type'), 'parent': j.find('parent').get('link'),
            'origin': _origin(j), 'axis': xyz if any(xyz) else [0, 0, 1],
            'mimic': None if mimic is None else (mimic.get('joint'),
                                                 float(mimic.get('multiplier', 1)),
                                                 float(mimic.get('offset', 0)))}
    return joints


def _meshes(repo: str, macro, folder: str, faces: bool) -> dict:
    """Return each link's visual mesh (vertices in the link's frame, m; and faces)."""
    import trimesh  # only here: the package does not depend on it
    meshes = {}
    for link in macro.findall('link'):
        visual = link.find('visual')
        if visual is None or visual.find('geometry/mesh') is None:
            continue
        mesh = visual.find('geometry/mesh')
        scale = [float(v) for v in mesh.get('scale', '1 1 1').split()]
        name = mesh.get('filename').split('/')[-1]
        try:
            blob = _git_show(repo, f'{folder}/{name}')
        except subprocess.CalledProcessError:  # a mesh the clone lacks (a partial mirror)
            print(f'  {name}: not in the clone, skipped')
            continue
        data = trimesh.load(io.BytesIO(blob), file_type='stl')
        vertices = np.asarray(data.vertices) * scale
        t = _origin(visual)
        vertices = vertices @ t[:3, :3].T + t[:3, 3]
        meshes[link.get('name')] = (vertices, np.asarray(data.faces)) if faces else vertices
    return meshes


def link_frames(joints: dict, values: dict) -> dict:
    """Return every link's transform (4, 4) from the root for joint ``values`` by name."""
    frames = {}

    def frame(link):
        if link not in frames:
            j = joints.get(link)
            if j is None:
                frames[link] = np.eye(4)  # the root (fixed to world at the identity)
            else:
                value = values.get(j['name'], 0.0)
                if j['mimic'] is not None:
                    name, multiplier, offset = j['mimic']
                    value = values.get(name, 0.0) * multiplier + offset
                turn = _turn(j['axis'], j['type'], value)
                frames[link] = frame(j['parent']) @ j['origin'] @ turn
        return frames[link]
    for link in joints:
        frame(link)
    return frames


def covering(arm, joints: dict, link: str) -> list[int]:
    """Return the indices of the capsules standing for ``link`` (see the module's docstring)."""
    def on(name):
        names = {name} | ({arm.base_frame} if name not in joints else set())
        return [k for k, c in enumerate(arm.capsules) if c.link in names]
    children = [child for child, j in joints.items() if j['parent'] == link]
    ancestors, up = [], link
    while up in joints:  # a mesh on a link without capsules of its own nor its children's
        up = joints[up]['parent']
        ancestors.append(up)
    for candidate in [link, *children, *ancestors]:
        if on(candidate):
            return on(candidate)
    return []


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--arm', default='omx_f', choices=sorted(XACROS))
    parser.add_argument('--description', default=None)
    parser.add_argument('--repo', required=True, help='bare git dir of ROBOTIS open_manipulator')
    parser.add_argument('--samples', type=int, default=300)
    parser.add_argument('--fit', action='store_true',
                        help="print each mesh's smallest capsule (link frame) and stop")
    args = parser.parse_args(argv)
    arm = load_arm(args.arm, args.description)
    joints, meshes = read_description(args.repo, args.arm)
    if args.fit:
        for link, vertices in meshes.items():
            a, b, radius = fit_capsule(vertices)
            print(f'  - {{link: {link}, a: {np.round(a, 4).tolist()}, b: '
                  f'{np.round(b, 4).tolist()}, radius: {math.ceil(radius * 1000) / 1000}}}')
        return
    rng = np.random.default_rng(0)
    q = np.vstack([np.array(arm.home)[None], sample_joints(arm, args.samples, rng)])
    grip = [arm.gripper.lower, arm.gripper.upper] if arm.gripper else [0.0]
    grip = grip + list(rng.uniform(grip[0], grip[-1], len(q) - len(grip)))
    ends = capsule_ends(arm, q)
    radii = np.array([c.radius for c in arm.capsules])
    worst = {}
    chain_error = 0.0
    for n, row in enumerate(q):
        values = dict(zip(arm.joint_names, row))
        if arm.gripper:
            values[arm.gripper.joint] = grip[n % len(grip)]
        frames = link_frames(joints, values)
        # the xacro's chain is the package's (its URDF is generated from it)
        for k, j in enumerate(arm.joints):
            chain_error = max(chain_error, float(np.abs(
                frames[j.child][:3, 3] - _package_point(arm, row, k)).max()))
        for link, vertices in meshes.items():
            caps = covering(arm, joints, link)
            world = vertices @ frames[link][:3, :3].T + frames[link][:3, 3]
            outside = np.min([_distance(world, *ends[n, c]) - radii[c] for c in caps], axis=0)
            k = int(np.argmax(outside))
            if outside[k] > worst.get(link, (-np.inf,))[0]:
                worst[link] = (float(outside[k]), [arm.capsules[c].name for c in caps], n)
    print(f'{arm.name} ({arm.description or "-"}): {len(q)} configurations (home first), '
          f'xacro chain vs package chain {chain_error * 1000:.2g} mm')
    for link, (out, caps, n) in worst.items():
        print(f'  {link:20s} {len(meshes[link]):6d} vertices  worst {out * 1000:+6.1f} mm '
              f'outside {caps} (configuration {n})')
    model = CollisionModel(arm)
    print(f'  home clear: {model.clear_one(list(arm.home))}; clear share of joint space '
          f'(100,000 uniform in the limits): '
          f'{model.check(sample_joints(arm, 100000, 1)).clear.mean():.3f}')


def fit_capsule(vertices: np.ndarray, steps: int = 40) -> tuple[np.ndarray, np.ndarray, float]:
    """
    Return the capsule (a, b, radius) of least volume found that holds every vertex (V, 3).

    Its axis through the centroid along the mesh's principal axis or one of the frame's axes;
    its ends trimmed in from the mesh's extent along the axis in ``steps`` steps (each trim
    trades length for radius); radius the farthest vertex from the segment. m.
    """
    centre = vertices.mean(axis=0)
    spread = vertices - centre
    principal = np.linalg.svd(spread[:: max(1, len(spread) // 5000)], full_matrices=False)[2][0]
    best = None
    for axis in [principal, *np.eye(3)]:
        t = spread @ axis
        lo, hi = float(t.min()), float(t.max())
        for k in range(steps):
            trim = (hi - lo) / 2 * k / steps
            a, b = centre + (lo + trim) * axis, centre + (hi - trim) * axis
            radius = float(_distance(vertices, a, b).max())
            length = float(np.linalg.norm(b - a))
            volume = math.pi * radius ** 2 * length + 4 / 3 * math.pi * radius ** 3
            if best is None or volume < best[0]:
                best = (volume, a, b, radius)
    return best[1], best[2], best[3]


def _package_point(arm, row, k) -> np.ndarray:
    from ik_net_ros.kinematics.chain import chain_frames
    return chain_frames(arm, row)[0][0, k]


def _distance(points: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Return the distances (V,) of points (V, 3) from segment a-b."""
    d = b - a
    t = np.clip((points - a) @ d / max(float(d @ d), 1e-18), 0.0, 1.0)
    return np.linalg.norm(points - (a + t[:, None] * d), axis=1)


if __name__ == '__main__':
    main()
