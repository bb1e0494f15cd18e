"""
The URDF the package publishes (robot_state_publisher, RViz, the view): written from the arm.

Any arm: its shipped description (ROBOTIS's URDF, xacro expanded, in ``arm/descriptions/``) with
what the package knows better laid over it, through an XML tree, never text patching:

- each actuated joint's limits are the arm's real ones (its YAML), the gripper's its range;
- a calibration's errors (joint offsets, origin deltas, axis tilts, tool delta) move each
  joint's origin so the URDF's FK is the one chain's (:func:`~ik_net_ros.kinematics.chain.
  compiled_chain`): TF shows the arm the solver and the safety rules see;
- simple shapes to look at: a cylinder per collision capsule (ROBOTIS's meshes are not shipped),
  so RViz and the view draw the shapes the safety rules check;
- ``prefix`` in front of every link and joint but the root (as ROBOTIS's xacro takes it) and
  ``base_xyz_rpy`` placing the base in the root frame ``world`` (the joint out of the root).

``python -m ik_net_ros.robot_urdf urdf/`` writes each shipped arm's URDF there (the files
``urdf/`` ships, checked equal to this module's output by ``test/test_urdf.py``).
"""

from __future__ import annotations

import math
from pathlib import Path
import re
import sys
import xml.etree.ElementTree as ET

from ik_net_ros.arm import Arm, ARM_NAMES, load_arm
from ik_net_ros.arm.model import matrix_rpy, rpy_matrix
from ik_net_ros.kinematics.chain import compiled_chain
import numpy as np

__all__ = ['arm_urdf', 'urdf_path', 'base_link', 'base_link_name', 'finger_joints',
           'write_shipped']

MATERIAL = ('grey', '0.6 0.6 0.6 1.0')
HEADER = ("Written by ik_net_ros.robot_urdf from {source}: ROBOTIS's description (Apache-2.0) "
          'with the real joint limits{errors}; a cylinder per collision capsule instead of '
          'meshes. Regenerate: python -m ik_net_ros.robot_urdf urdf/')


def urdf_path(arm: Arm) -> Path:
    """Return the URDF file ``arm`` was read from (its ``source``: 'urdf (yaml)')."""
    return Path(arm.source.rsplit(' (', 1)[0])


def _num(value: float) -> str:
    """Return a number as URDF text: shortest round-trip, whole numbers without '.0'."""
    value = float(value) + 0.0  # no -0
    return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)


def _nums(values) -> str:
    return ' '.join(_num(v) for v in values)


def _transform(origin) -> np.ndarray:
    """Return the 4x4 transform of an ``<origin>`` element (identity when absent)."""
    out = np.eye(4)
    if origin is not None:
        out[:3, :3] = rpy_matrix([float(v) for v in origin.get('rpy', '0 0 0').split()])
        out[:3, 3] = [float(v) for v in origin.get('xyz', '0 0 0').split()]
    return out


def _set_origin(joint, transform: np.ndarray) -> None:
    origin = joint.find('origin')
    if origin is None:
        origin = ET.SubElement(joint, 'origin')
    origin.attrib.clear()
    origin.set('xyz', _nums(transform[:3, 3]))
    origin.set('rpy', _nums(matrix_rpy(transform[:3, :3])))


def _axis_motion(axis, value: float, revolute: bool) -> np.ndarray:
    out = np.eye(4)
    axis = np.asarray(axis, dtype=float)
    if revolute:
        k = np.array([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]])
        out[:3, :3] = np.eye(3) + math.sin(value) * k + (1 - math.cos(value)) * (k @ k)
    else:
        out[:3, 3] = axis * value
    return out


def _nominal(origin) -> np.ndarray:
    out = np.eye(4)
    out[:3, :3] = rpy_matrix(origin.rpy)
    out[:3, 3] = origin.xyz
    return out


def _apply_errors(arm: Arm, joints: dict, tool_joint) -> None:
    """Move each joint's origin by the arm's errors, as the one chain moves it."""
    chain, (tool_rot, tool_xyz) = compiled_chain(arm)
    for j, c in zip(arm.joints, chain):
        real = np.eye(4)
        real[:3, :3] = c.rot if c.rot is not None else np.eye(3)
        real[:3, 3] = c.xyz
        real = real @ _axis_motion(c.axis, c.offset, c.revolute)  # q + offset
        # the arm's origin folds the fixed joints before this one: keep them, change the rest
        element = joints[j.name]
        _set_origin(element, _transform(element.find('origin'))
                    @ np.linalg.inv(_nominal(j.origin)) @ real)
    if tool_joint is not None:
        real = np.eye(4)
        real[:3, :3], real[:3, 3] = tool_rot, tool_xyz
        _set_origin(tool_joint, _transform(tool_joint.find('origin'))
                    @ np.linalg.inv(_nominal(arm.tool)) @ real)


def _limits(joint, lower: float, upper: float, velocity: float | None) -> None:
    limit = joint.find('limit')
    if limit is None:
        limit = ET.SubElement(joint, 'limit', effort='1')
    limit.set('lower', _num(lower))
    limit.set('upper', _num(upper))
    if velocity is not None:
        limit.set('velocity', _num(velocity))


def _capsule_visuals(arm: Arm, links: dict) -> None:
    """Add a cylinder along each capsule (its link's frame) as the link's visual."""
    for c in arm.capsules:
        link = links.get(c.link)
        if link is None:
            continue
        a, b = np.asarray(c.a), np.asarray(c.b)
        axis = b - a
        length = float(np.linalg.norm(axis))
        z = axis / length if length > 1e-9 else np.array([0.0, 0.0, 1.0])
        helper = np.array([1.0, 0.0, 0.0]) if abs(z[0]) < 0.9 else np.array([0.0, 1.0, 0.0])
        x = np.cross(helper, z)
        x /= np.linalg.norm(x)
        pose = np.eye(4)
        pose[:3, :3] = np.column_stack([x, np.cross(z, x), z])  # a cylinder lies along z
        pose[:3, 3] = (a + b) / 2
        visual = ET.SubElement(link, 'visual', name=c.name.replace(' ', '_'))
        origin = ET.SubElement(visual, 'origin')
        origin.set('xyz', _nums(pose[:3, 3]))
        origin.set('rpy', _nums(matrix_rpy(pose[:3, :3])))
        geometry = ET.SubElement(visual, 'geometry')
        ET.SubElement(geometry, 'cylinder', radius=_num(c.radius),
                      length=_num(max(length, 1e-4)))
        ET.SubElement(visual, 'material', name=MATERIAL[0])


def base_link(root) -> tuple:
    """Return the joint out of the URDF's root link and that root's name (the base placement)."""
    children = {j.find('child').get('link') for j in root.findall('joint')}
    roots = [link.get('name') for link in root.findall('link')
             if link.get('name') not in children]
    if len(roots) != 1:
        raise ValueError(f'the URDF has {len(roots)} root links, not one')
    out = [j for j in root.findall('joint') if j.find('parent').get('link') == roots[0]]
    if len(out) != 1 or out[0].get('type') != 'fixed':
        raise ValueError(f"the URDF root {roots[0]} needs one fixed joint to the arm's base")
    return out[0], roots[0]


def base_link_name(arm: Arm) -> str:
    """
    Return the link ``arm``'s base placement moves (the OM-X's link1, the OMX-F's link0).

    Raises
    ------
    ValueError
        A URDF without one root joined to the arm by a fixed joint.

    """
    joint, _ = base_link(ET.fromstring(_text(arm)))
    return joint.find('child').get('link')


def finger_joints(arm: Arm) -> tuple[tuple[str, float], ...]:
    """
    Return the gripper's joints and how each follows the gripper joint: ((name, factor), ...).

    The gripper joint (factor 1) first, then each other finger: a movable joint of the URDF on
    the gripper joint's parent link that is not in the chain. A finger mirrors the gripper
    across its parent's x-z plane (ROBOTIS's grippers: the OM-X's right finger slides along -y
    with the same value, the OMX-F's ``gripper_joint_2`` turns the other way: its xacro's mimic
    multiplier -1): a prismatic axis is mirrored as a vector, a revolute one as a pseudo-vector,
    and the factor is the sign that maps the gripper's motion onto the finger's. () without a
    gripper.
    """
    if arm.gripper is None:
        return ()
    joints = {j.get('name'): j for j in ET.fromstring(_text(arm)).findall('joint')}
    grip = joints.get(arm.gripper.joint)
    if grip is None:
        return ((arm.gripper.joint, 1.0),)

    def axis(joint):
        element = joint.find('axis')
        return np.array([1.0, 0.0, 0.0]) if element is None else \
            np.array([float(v) for v in element.get('xyz').split()])
    mirrored = axis(grip) * (1.0, -1.0, 1.0)
    if grip.get('type') != 'prismatic':
        mirrored = -mirrored  # a rotation reflects as a pseudo-vector
    out = [(arm.gripper.joint, 1.0)]
    chain = set(arm.joint_names) | {arm.gripper.joint}
    for name, joint in joints.items():
        if name in chain or joint.get('type') != grip.get('type') or \
                joint.find('parent').get('link') != grip.find('parent').get('link'):
            continue
        factor = float(np.sign(mirrored @ axis(joint)))
        if factor:
            out.append((name, factor))
    return tuple(out)


def _text(arm: Arm) -> str:
    from ik_net_ros.arm.urdf_chain import _expand_xacro
    path = urdf_path(arm)
    return _expand_xacro(path) if path.suffix == '.xacro' else path.read_text()


def _place_base(root, base_xyz_rpy) -> None:
    from ik_net_ros.kinematics.tracker_setup import check_xyz_rpy
    x, y, z, *rpy = check_xyz_rpy(list(base_xyz_rpy), 'base_xyz_rpy', 100.0)
    if not any([x, y, z, *rpy]):
        return
    joint, _ = base_link(root)
    placed = np.eye(4)
    placed[:3, :3] = rpy_matrix([math.radians(a) for a in rpy])  # URDF rpy: Rz Ry Rx, as ours
    placed[:3, 3] = (x, y, z)
    _set_origin(joint, placed @ _transform(joint.find('origin')))


def _prefix(root, prefix: str, keep: str) -> None:
    """Put ``prefix`` before every link and joint name and reference, but the root ``keep``."""
    def named(name):
        return name if name == keep else prefix + name
    for element in root:
        if element.tag in ('link', 'joint'):
            element.set('name', named(element.get('name')))
    for element in root.iter():
        if element.tag in ('parent', 'child'):
            element.set('link', named(element.get('link')))
        elif element.tag == 'mimic':
            element.set('joint', named(element.get('joint')))


def arm_urdf(arm: Arm, prefix: str = '', base_xyz_rpy=None) -> str:
    """
    Return the URDF of ``arm`` for robot_state_publisher (see the module's docstring).

    Parameters
    ----------
    arm
        The arm, its errors included (a calibration): the URDF's FK is :func:`chain_forward`'s.
    prefix
        Letters, digits and _ before every link and joint name but the root's.
    base_xyz_rpy
        x, y, z (m), roll, pitch, yaw (deg) of the base in the root frame; None or zeros: as
        the description has it.

    Raises
    ------
    ValueError
        A prefix of other characters, a placement that is not 6 numbers within 100 m and 360
        deg, or a URDF without one root joined to the arm by a fixed joint.

    """
    if not re.fullmatch(r'[A-Za-z0-9_]*', str(prefix)):
        raise ValueError(f'prefix {prefix!r}: only letters, digits and _')
    path = urdf_path(arm)
    root = ET.fromstring(_text(arm))  # (its comments dropped: the header below says where from)
    joints = {j.get('name'): j for j in root.findall('joint')}
    links = {link.get('name'): link for link in root.findall('link')}
    for joint in joints.values():  # one number format, every origin written out
        origin = joint.find('origin')
        if origin is None:  # URDF's default: the identity
            origin = ET.SubElement(joint, 'origin')
        xyz, rpy = origin.get('xyz', '0 0 0').split(), origin.get('rpy', '0 0 0').split()
        origin.attrib.clear()
        origin.set('xyz', _nums(float(v) for v in xyz))
        origin.set('rpy', _nums(float(v) for v in rpy))
    for j in arm.joints:
        _limits(joints[j.name], j.lower, j.upper, j.velocity)
    gripper = arm.gripper
    if gripper is not None and gripper.joint in joints:
        _limits(joints[gripper.joint], gripper.lower, gripper.upper, None)
        for joint in joints.values():  # its mimics move alike: the same range
            mimic = joint.find('mimic')
            if mimic is not None and mimic.get('joint') == gripper.joint and \
                    float(mimic.get('multiplier', 1)) == 1 and float(mimic.get('offset', 0)) == 0:
                _limits(joint, gripper.lower, gripper.upper, None)
    tool = next((j for j in joints.values() if j.find('child').get('link') == arm.tool_frame
                 and j.get('type') == 'fixed'), None)
    if not arm.is_nominal:
        _apply_errors(arm, joints, tool)
    for link in links.values():
        for visual in link.findall('visual'):
            link.remove(visual)
    _capsule_visuals(arm, links)
    if not root.findall('material'):
        material = ET.Element('material', name=MATERIAL[0])
        ET.SubElement(material, 'color', rgba=MATERIAL[1])
        root.insert(0, material)
    if base_xyz_rpy is not None:
        _place_base(root, base_xyz_rpy)
    _, root_name = base_link(root)
    _prefix(root, prefix, root_name)
    errors = '' if arm.is_nominal else " and a calibration's errors"
    root.insert(0, ET.Comment(' ' + HEADER.format(source=f'{path.name}', errors=errors) + ' '))
    ET.indent(root, '  ')
    return '<?xml version="1.0"?>\n' + ET.tostring(root, encoding='unicode').replace(
        ' />', '/>') + '\n'


def write_shipped(folder: Path) -> list[Path]:
    """Write each shipped arm's URDF (every description of it) into ``folder``; return them."""
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for name in ARM_NAMES:
        arm = load_arm(name)
        path = folder / f'{name}.urdf'  # the default description under the arm's name
        path.write_text(arm_urdf(arm))
        out.append(path)
    return out


if __name__ == '__main__':
    for written in write_shipped(Path(sys.argv[1] if len(sys.argv) > 1 else 'urdf')):
        print(written)
