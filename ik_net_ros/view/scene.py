"""
What the view draws, as poses in the base frame: no browser and no ROS here.

The arm's links from its URDF (:func:`~ik_net_ros.resources.robot_description`: simple shapes,
boxes and cylinders, no meshes), the arm's collision capsules (``arm.capsules``, the shapes the
safety rules check) placed by the one chain, the table and the workspace box. Any arm: names,
joint count and links come from the :class:`~ik_net_ros.arm.Arm`. :mod:`ik_net_ros.view.page`
puts them on the page.
"""

from __future__ import annotations

from dataclasses import dataclass
import math
import xml.etree.ElementTree as ET

from ik_net_ros.arm import Arm, default_arm
from ik_net_ros.kinematics.capsules import capsule_ends
from ik_net_ros.kinematics.chain import chain_frames
from ik_net_ros.kinematics.closed_forms import closed_form_kind, NoClosedFormError, UR
from ik_net_ros.kinematics.collision import CollisionModel
from ik_net_ros.kinematics.rotations import quat_to_matrix
from ik_net_ros.kinematics.ur_closed_form import branch_of
from ik_net_ros.resources import robot_description
import numpy as np

__all__ = ['Visual', 'UrdfArm', 'Capsule', 'capsules', 'matrix_to_wxyz', 'table_box',
           'workspace_box', 'elbow']

TABLE_SIZE = 0.8  # m, the square of table drawn around the base
TABLE_THICKNESS = 0.004  # m, drawn below the table's surface


@dataclass(frozen=True)
class Visual:
    """
    One shape of a link: 'box' (size: x, y, z m) or 'cylinder' (size: radius, length m).

    ``origin`` is its 4x4 pose in the link frame; ``link`` the link it belongs to.
    """

    link: str
    shape: str
    size: tuple[float, ...]
    origin: np.ndarray


def _origin(element) -> np.ndarray:
    """Return the 4x4 transform of a URDF ``<origin xyz rpy>`` (identity when absent)."""
    xyz, rpy = np.zeros(3), np.zeros(3)
    if element is not None:
        xyz = np.array([float(v) for v in element.get('xyz', '0 0 0').split()])
        rpy = np.array([float(v) for v in element.get('rpy', '0 0 0').split()])
    roll, pitch, yaw = rpy
    cr, sr, cp, sp, cy, sy = (math.cos(roll), math.sin(roll), math.cos(pitch), math.sin(pitch),
                              math.cos(yaw), math.sin(yaw))
    t = np.eye(4)
    # URDF: fixed-axis roll about x, then pitch about y, then yaw about z
    t[:3, :3] = [[cy * cp, cy * sp * sr - sy * cr, cy * sp * cr + sy * sr],
                 [sy * cp, sy * sp * sr + cy * cr, sy * sp * cr - cy * sr],
                 [-sp, cp * sr, cp * cr]]
    t[:3, 3] = xyz
    return t


def _axis_motion(axis: np.ndarray, kind: str, value: float) -> np.ndarray:
    """Return the 4x4 motion of a joint of ``kind`` by ``value`` (rad or m) along ``axis``."""
    t = np.eye(4)
    if kind == 'prismatic':
        t[:3, 3] = axis * value
    elif kind in ('revolute', 'continuous'):
        x, y, z = axis
        c, s = math.cos(value), math.sin(value)
        k = np.array([[0, -z, y], [z, 0, -x], [-y, x, 0]])
        t[:3, :3] = np.eye(3) + s * k + (1 - c) * (k @ k)
    return t


class UrdfArm:
    """
    The arm of a URDF: its link shapes and where they are for given joint values.

    Parameters
    ----------
    text
        The URDF (default: the one the package publishes for ``arm``).
    arm
        The arm whose joints ``joints`` are, in its chain order (None: the default arm).

    Raises
    ------
    ValueError
        Not a URDF of a tree whose joints are revolute, prismatic or fixed.

    """

    def __init__(self, text: str | None = None, arm: Arm | None = None):
        arm = arm if arm is not None else default_arm()
        self.joint_names = arm.joint_names
        if text is None:
            text = robot_description(arm)
        try:
            root = ET.fromstring(text)
        except ET.ParseError as e:
            raise ValueError(f'not a URDF: {e}') from e
        if root.tag != 'robot':
            raise ValueError(f'not a URDF: the root is <{root.tag}>, not <robot>')
        self.visuals: list[Visual] = []
        for link in root.findall('link'):
            for visual in link.findall('visual'):
                geometry = visual.find('geometry')
                shape = None if geometry is None or not len(geometry) else geometry[0]
                if shape is None or shape.tag not in ('box', 'cylinder'):
                    continue  # meshes are not shipped: the capsules stand in for them
                size = tuple(float(v) for v in shape.get('size').split()) \
                    if shape.tag == 'box' else (float(shape.get('radius')),
                                                float(shape.get('length')))
                self.visuals.append(Visual(link.get('name'), shape.tag, size,
                                           _origin(visual.find('origin'))))
        # child link -> (parent link, origin, axis, kind, joint name)
        self.joints: dict[str, tuple] = {}
        for joint in root.findall('joint'):
            kind = joint.get('type')
            if kind not in ('revolute', 'continuous', 'prismatic', 'fixed'):
                raise ValueError(f'joint {joint.get("name")} of type {kind} is not drawn')
            axis = joint.find('axis')
            axis = np.array([float(v) for v in axis.get('xyz').split()]) \
                if axis is not None else np.array([1.0, 0.0, 0.0])
            self.joints[joint.find('child').get('link')] = (
                joint.find('parent').get('link'), _origin(joint.find('origin')), axis, kind,
                joint.get('name'))

    def link_poses(self, joints, gripper: float = 0.0) -> dict[str, np.ndarray]:
        """
        Return each link's 4x4 pose in the URDF's root frame.

        ``joints`` (dof,) rad are the arm's joints in chain order (any prefix of the names is
        ignored), ``gripper`` the fingers' prismatic joints in m.
        """
        values = dict(zip(self.joint_names, (float(v) for v in joints)))
        poses: dict[str, np.ndarray] = {}

        def pose(link: str) -> np.ndarray:
            if link not in poses:
                if link not in self.joints:
                    poses[link] = np.eye(4)  # the root
                else:
                    parent, origin, axis, kind, name = self.joints[link]
                    value = next((v for n, v in values.items() if name.endswith(n)),
                                 gripper if kind == 'prismatic' else 0.0)
                    poses[link] = pose(parent) @ origin @ _axis_motion(axis, kind, value)
            return poses[link]

        for link in self.joints:
            pose(link)
        return poses

    def visual_poses(self, joints, gripper: float = 0.0) -> list[np.ndarray]:
        """Return the 4x4 pose of each of :attr:`visuals`, in order, for ``joints`` (dof,) rad."""
        links = self.link_poses(joints, gripper)
        return [links.get(v.link, np.eye(4)) @ v.origin for v in self.visuals]


def matrix_to_wxyz(rot: np.ndarray) -> np.ndarray:
    """Return the unit quaternion (w, x, y, z) of a 3x3 rotation matrix."""
    m = np.asarray(rot, dtype=float)
    trace = m[0, 0] + m[1, 1] + m[2, 2]
    if trace > 0:
        s = 2.0 * math.sqrt(trace + 1.0)
        q = [0.25 * s, (m[2, 1] - m[1, 2]) / s, (m[0, 2] - m[2, 0]) / s, (m[1, 0] - m[0, 1]) / s]
    else:
        i = int(np.argmax(np.diag(m)))
        j, k = (i + 1) % 3, (i + 2) % 3
        s = 2.0 * math.sqrt(max(1.0 + m[i, i] - m[j, j] - m[k, k], 1e-12))
        q = [0.0] * 4
        q[0] = (m[k, j] - m[j, k]) / s
        q[1 + i] = 0.25 * s
        q[1 + j] = (m[j, i] + m[i, j]) / s
        q[1 + k] = (m[k, i] + m[i, k]) / s
    q = np.array(q)
    return q / np.linalg.norm(q)


def wxyz_to_xyzw(wxyz) -> np.ndarray:
    """Return a quaternion (w, x, y, z) as the package's (x, y, z, w)."""
    w, x, y, z = (float(v) for v in wxyz)
    return np.array([x, y, z, w])


def xyzw_to_matrix(xyzw) -> np.ndarray:
    """Return the 3x3 rotation of a quaternion (x, y, z, w)."""
    return quat_to_matrix(np.asarray(xyzw, dtype=float)[None])[0]


@dataclass(frozen=True)
class Capsule:
    """A segment ``start`` -> ``end`` (m, base frame) of ``radius`` m: one link of the model."""

    name: str
    start: np.ndarray
    end: np.ndarray
    radius: float

    @property
    def length(self) -> float:
        return float(np.linalg.norm(self.end - self.start))

    def cylinder_pose(self) -> tuple[np.ndarray, np.ndarray]:
        """
        Return (wxyz, centre) of a cylinder along the segment.

        Viser's cylinders lie along their z axis.
        """
        axis = self.end - self.start
        length = np.linalg.norm(axis)
        z = axis / length if length > 1e-9 else np.array([0.0, 0.0, 1.0])
        helper = np.array([1.0, 0.0, 0.0]) if abs(z[0]) < 0.9 else np.array([0.0, 1.0, 0.0])
        x = np.cross(helper, z)
        x /= np.linalg.norm(x)
        rot = np.column_stack([x, np.cross(z, x), z])
        return matrix_to_wxyz(rot), (self.start + self.end) / 2


def capsules(arm: Arm, joints) -> list[Capsule]:
    """
    Return the capsules of ``arm`` (its ``capsules``, in order) for ``joints`` (dof,) rad.

    Where the collision model has them (:func:`~ik_net_ros.kinematics.capsules.capsule_ends`:
    each fixed to its link, moved by the one chain, the arm's errors included).
    """
    ends = capsule_ends(arm, np.asarray(joints, dtype=float).reshape(1, -1))[0]
    return [Capsule(c.name, start, end, c.radius)
            for c, (start, end) in zip(arm.capsules, ends)]


def table_box(model: CollisionModel) -> tuple[np.ndarray, np.ndarray]:
    """Return (dimensions, centre) of the table drawn: its top is the model's table (m)."""
    return (np.array([TABLE_SIZE, TABLE_SIZE, TABLE_THICKNESS]),
            np.array([0.0, 0.0, model.table_z - TABLE_THICKNESS / 2]))


def workspace_box(model: CollisionModel) -> tuple[np.ndarray, np.ndarray] | None:
    """Return (dimensions, centre) of the model's workspace box (m), None without one."""
    if model.workspace is None:
        return None
    box = np.asarray(model.workspace, dtype=float).reshape(3, 2)
    return box[:, 1] - box[:, 0], box.mean(axis=1)


def elbow(arm: Arm, joints) -> str:
    """
    Return 'elbow up' or 'elbow down': where joint3 is from the line shoulder-wrist.

    Elbow up is the branch of the arm's zero pose (see :mod:`ik_net_ros.kinematics.inverse`);
    the pitch chain's joints 2-4 under the base yaw (the OM-X, the OMX-F). A UR-layout arm (the
    OMY): its branch index and bits (:func:`~ik_net_ros.kinematics.ur_closed_form.branch_of`).
    '' for an arm of fewer joints.
    """
    q = np.asarray(joints, dtype=float).reshape(1, -1)
    if arm.dof < 4:
        return ''
    try:
        kind = closed_form_kind(arm)
    except NoClosedFormError:
        kind = None
    if kind == UR:  # eight branches: the three bits of ur_closed_form's index
        b = int(branch_of(arm.upright(), q[0]))
        return (f"branch {b}: shoulder {'back' if b & 4 else 'front'}, elbow "
                f"{'-' if b & 2 else '+'}, wrist {'-' if b & 1 else '+'}")
    points = chain_frames(arm, q)[0][0]  # joint k's origin at k (joint1's child at 0)
    heading = np.array([math.cos(q[0, 0]), math.sin(q[0, 0])])
    r = (points[:, :2] - points[1, :2]) @ heading  # distance from the joint1 axis, signed
    z = points[:, 2]
    cross = (r[3] - r[1]) * (z[2] - z[1]) - (z[3] - z[1]) * (r[2] - r[1])
    return 'elbow up' if cross >= 0 else 'elbow down'
