"""The package's URDF against the kinematics layer: the two can never drift apart."""

from pathlib import Path
import xml.etree.ElementTree as ET

from ik_net_ros.kinematics import (
    DEFAULT_GEOMETRY,
    forward_kinematics,
    JOINT_LOWER,
    JOINT_NAMES,
    JOINT_UPPER,
    quat_to_matrix,
    sample_joints,
    VELOCITY_LIMIT,
)
import numpy as np

URDF = Path(__file__).resolve().parents[1] / 'urdf' / 'open_manipulator_x.urdf'


def _joints():
    root = ET.parse(URDF).getroot()
    assert root.tag == 'robot'
    return {j.get('name'): j for j in root.findall('joint')}


def _vec(element, attr):
    return np.array([float(v) for v in element.get(attr).split()])


def test_joint_origins_axes_and_limits_equal_the_kinematics_constants():
    joints = _joints()
    g = DEFAULT_GEOMETRY
    expected = {
        'joint1': ((g.joint1_x, 0, g.base_height), (0, 0, 1)),
        'joint2': ((0, 0, g.shoulder_height), (0, 1, 0)),
        'joint3': ((g.upper_arm_x, 0, g.upper_arm_z), (0, 1, 0)),
        'joint4': ((g.forearm, 0, 0), (0, 1, 0)),
    }
    for k, name in enumerate(JOINT_NAMES):
        joint = joints[name]
        assert joint.get('type') == 'revolute'
        origin, axis = expected[name]
        np.testing.assert_allclose(_vec(joint.find('origin'), 'xyz'), origin, atol=1e-12)
        np.testing.assert_allclose(_vec(joint.find('origin'), 'rpy'), 0.0)
        np.testing.assert_allclose(_vec(joint.find('axis'), 'xyz'), axis)
        limit = joint.find('limit')
        assert abs(float(limit.get('lower')) - JOINT_LOWER[k]) < 1e-12
        assert abs(float(limit.get('upper')) - JOINT_UPPER[k]) < 1e-12
        assert float(limit.get('velocity')) == VELOCITY_LIMIT
    tool = joints['end_effector_joint']
    assert tool.get('type') == 'fixed'
    np.testing.assert_allclose(_vec(tool.find('origin'), 'xyz'), (g.tool, 0, 0))


def _rot(axis, angle):
    c, s = np.cos(angle), np.sin(angle)
    x, y, z = axis
    k = np.array([[0, -z, y], [z, 0, -x], [-y, x, 0]])
    return np.eye(3) + s * k + (1 - c) * k @ k


def test_urdf_chain_forward_kinematics_matches(rng):
    joints = _joints()
    chain = ['world_fixed', *JOINT_NAMES, 'end_effector_joint']
    for q in sample_joints(50, rng):
        t = np.eye(4)
        angles = dict(zip(JOINT_NAMES, q))
        for name in chain:
            joint = joints[name]
            step = np.eye(4)
            step[:3, 3] = _vec(joint.find('origin'), 'xyz')
            if name in angles:
                step[:3, :3] = _rot(_vec(joint.find('axis'), 'xyz'), angles[name])
            t = t @ step
        pose = forward_kinematics(q)
        np.testing.assert_allclose(t[:3, 3], pose[:3], atol=1e-12)
        np.testing.assert_allclose(t[:3, :3], quat_to_matrix(pose[3:]), atol=1e-12)
