"""
The serial chain of a URDF, read with yourdfpy: base frame, actuated joints, tool transform.

xacro files are expanded with the ``xacro`` package (PyPI, no ROS needed). yourdfpy and xacro
are imported here only, when an arm is loaded: FK never needs them. A URDF's parsed tree may sit
beside it as ``<name>.urdf.json`` (the shipped arms' do, written by the generator), used only
while the sha256 of the URDF's bytes it records is the file's: importing yourdfpy costs ~1 s and
~90 MB resident (trimesh, scipy), which a node that loads a shipped arm then never pays.
"""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

from ik_net_ros.bounded_files import read_limited
from ik_net_ros.errors import ConfigError
import numpy as np

__all__ = ['ArmError', 'read_bytes', 'read_urdf', 'urdf_chain', 'write_sidecar', 'sidecar',
           'MAX_FILE_BYTES']

MAX_FILE_BYTES = 4_000_000  # an arm's URDF is ~20 kB; anything this big is not one
ACTUATED = {'revolute': 'revolute', 'continuous': 'revolute', 'prismatic': 'prismatic'}


class ArmError(ConfigError):
    """An arm's files are missing, unreadable or describe no usable arm (names file and what)."""


def read_bytes(path: Path) -> bytes:
    """
    Return the bytes of an arm file: a regular file of at most :data:`MAX_FILE_BYTES`.

    Raises
    ------
    ArmError
        Missing, unreadable, not a regular file, or too large.

    """
    return read_limited(path, MAX_FILE_BYTES, ArmError, 'arm description')


def _expand_xacro(path: Path) -> str:
    """Return the URDF text of a .xacro file, its $(find pkg) resolved by ament where present."""
    import xacro
    try:
        return xacro.process_file(str(path)).toxml()
    except Exception as e:  # noqa: BLE001 - xacro raises anything on a bad file (its own, XML...)
        raise ArmError(f'{path}: xacro cannot expand it: {type(e).__name__}: {e}') from None


def _records(urdf) -> dict:
    """Return a yourdfpy URDF's links and joints as plain data (what the sidecar stores)."""
    def floats(values):
        return None if values is None else np.asarray(values, dtype=float).tolist()
    joints = []
    for joint in urdf.robot.joints or []:
        limit = joint.limit
        joints.append({'name': joint.name, 'type': joint.type, 'parent': joint.parent,
                       'child': joint.child, 'origin': floats(joint.origin),
                       'axis': floats(joint.axis),
                       'limit': None if limit is None else [limit.lower, limit.upper,
                                                            limit.velocity]})
    return {'links': [link.name for link in urdf.robot.links or []], 'joints': joints}


def sidecar(path: Path) -> Path:
    """Return the path of a URDF's parsed tree (``arm.urdf`` -> ``arm.urdf.json``)."""
    return path.with_name(path.name + '.json')


def _cached_tree(path: Path, data: bytes) -> dict | None:
    """Return the sidecar's tree if it was made from exactly these URDF bytes, else None."""
    side = sidecar(path)
    if not side.is_file():
        return None
    try:
        cached = json.loads(read_bytes(side))
    except (ValueError, RecursionError):  # not JSON: the URDF itself is parsed
        return None
    if not isinstance(cached, dict) or cached.get('sha256') != hashlib.sha256(data).hexdigest():
        return None
    return cached.get('tree')


def write_sidecar(path: Path) -> Path:
    """Write the parsed tree of the URDF at ``path`` beside it, keyed by its bytes' sha256."""
    data = read_bytes(path)
    tree = {'sha256': hashlib.sha256(data).hexdigest(), 'tree': _records(_parse(path, data))}
    side = sidecar(path)
    side.write_text(json.dumps(tree, indent=1) + '\n')
    return side


def _parse(path: Path, data: bytes):
    import yourdfpy
    try:
        return yourdfpy.URDF.load(io.BytesIO(data), build_scene_graph=False,
                                  build_collision_scene_graph=False, load_meshes=False,
                                  load_collision_meshes=False)
    except Exception as e:  # noqa: BLE001 - lxml and yourdfpy raise anything on hostile bytes
        raise ArmError(f'{path}: not a URDF yourdfpy can read: {type(e).__name__}: '
                       f'{str(e)[:200]}') from None


def read_urdf(path: Path) -> dict:
    """
    Return the links and joints of a .urdf (or .urdf.xacro, expanded) as plain data.

    Parsed with yourdfpy, meshes not loaded; a .urdf with a current sidecar
    (:func:`write_sidecar`, the sha256 of its bytes matching) is read from it instead, so that
    the shipped arms load without importing yourdfpy (~1 s and ~90 MB).

    Raises
    ------
    ArmError
        Unreadable, not XML, not a URDF.

    """
    path = Path(path)
    if path.name.endswith('.xacro'):
        read_bytes(path)  # the size bound and a readable file first
        return _records(_parse(path, _expand_xacro(path).encode()))
    data = read_bytes(path)
    return _cached_tree(path, data) or _records(_parse(path, data))


def _origin(joint: dict) -> np.ndarray:
    origin = joint.get('origin')
    out = np.eye(4) if origin is None else np.array(origin, dtype=float)
    if out.shape != (4, 4) or not np.all(np.isfinite(out)):
        raise ValueError(f'joint {joint.get("name")!r}: origin is not a finite transform')
    return out


def urdf_chain(tree: dict, tool_frame: str, where: str):
    """
    Return the chain from the URDF's root link to ``tool_frame``.

    Returns
    -------
    (base_frame, joints, tool): base_frame the root link's name; joints a list of (name, type
    'revolute' | 'prismatic', axis (3,), origin (4, 4) from the previous joint's frame with the
    fixed joints in between folded in, URDF lower, upper, velocity (None where absent), child
    link) in chain order; tool the transform (4, 4) from the last joint's child to the tool.

    Raises
    ------
    ArmError
        No such tool frame, no single root, a loop, a joint type other than fixed, revolute,
        continuous or prismatic on the chain, no actuated joint, malformed data.

    """
    try:
        return _chain(tree, tool_frame, where)
    except ArmError:
        raise
    except (TypeError, ValueError, KeyError, AttributeError) as e:  # a hand-edited sidecar
        raise ArmError(f'{where}: {type(e).__name__}: {e}') from None


def _chain(tree: dict, tool_frame: str, where: str):
    of_child = {}
    for joint in tree['joints']:
        if joint['child'] in of_child:
            raise ArmError(f'{where}: link {joint["child"]!r} is the child of two joints')
        of_child[joint['child']] = joint
    links = set(tree['links'])
    if tool_frame not in links:
        raise ArmError(f'{where}: no link {tool_frame!r} (the tool frame) in the URDF')
    path, link, seen = [], tool_frame, set()
    while link in of_child:
        if link in seen:
            raise ArmError(f'{where}: the joints loop through link {link!r}')
        seen.add(link)
        path.append(of_child[link])
        link = of_child[link]['parent']
    base = link
    path.reverse()
    chain, pending = [], np.eye(4)
    for joint in path:
        kind = ACTUATED.get(joint['type'])
        if joint['type'] != 'fixed' and kind is None:
            raise ArmError(f'{where}: joint {joint["name"]!r} is of type {joint["type"]!r}; a '
                           'chain takes fixed, revolute, continuous and prismatic joints')
        pending = pending @ _origin(joint)
        if kind is None:
            continue
        axis = np.array([1.0, 0.0, 0.0] if joint.get('axis') is None else joint['axis'],
                        dtype=float)
        lower, upper, velocity = joint.get('limit') or (None, None, None)
        if joint['type'] == 'continuous':
            lower, upper = None, None
        chain.append((joint['name'], kind, axis, pending, lower, upper, velocity,
                      joint['child']))
        pending = np.eye(4)
    if not chain:
        raise ArmError(f'{where}: no actuated joint between {base!r} and {tool_frame!r}')
    return base, chain, pending
