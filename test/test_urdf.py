"""The package's URDF against the kinematics layer: the two can never drift apart."""

from pathlib import Path
import xml.etree.ElementTree as ET

from hypothesis import given, settings
from hypothesis import strategies as st
from ik_net_ros.arm import ARM_NAMES, ChainErrors, default_arm, load_arm
from ik_net_ros.kinematics import forward_kinematics, quat_to_matrix, sample_joints
from ik_net_ros.kinematics.chain import chain_forward
from ik_net_ros.kinematics.planar import planar_chain
from ik_net_ros.robot_urdf import arm_urdf, write_shipped
from ik_net_ros.view.scene import UrdfArm
import numpy as np
import pytest

OMX = default_arm()  # the OM-X, ROBOTIS's humble description

URDF = Path(__file__).resolve().parents[1] / 'urdf' / 'open_manipulator_x.urdf'


def _joints():
    root = ET.parse(URDF).getroot()
    assert root.tag == 'robot'
    return {j.get('name'): j for j in root.findall('joint')}


def _vec(element, attr):
    return np.array([float(v) for v in element.get(attr).split()])


def test_joint_origins_axes_and_limits_equal_the_kinematics_constants():
    joints = _joints()
    g = planar_chain(OMX)  # the closed form's numbers of the arm
    expected = {
        'joint1': ((g.joint1_x, 0, g.base_height), (0, 0, 1)),
        'joint2': ((0, 0, g.shoulder_height), (0, 1, 0)),
        'joint3': ((g.upper_arm_x, 0, g.upper_arm_z), (0, 1, 0)),
        'joint4': ((g.forearm, 0, 0), (0, 1, 0)),
    }
    for k, name in enumerate(OMX.joint_names):
        joint = joints[name]
        assert joint.get('type') == 'revolute'
        origin, axis = expected[name]
        np.testing.assert_allclose(_vec(joint.find('origin'), 'xyz'), origin, atol=1e-12)
        np.testing.assert_allclose(_vec(joint.find('origin'), 'rpy'), 0.0)
        np.testing.assert_allclose(_vec(joint.find('axis'), 'xyz'), axis)
        limit = joint.find('limit')
        assert abs(float(limit.get('lower')) - OMX.lower[k]) < 1e-12
        assert abs(float(limit.get('upper')) - OMX.upper[k]) < 1e-12
        assert float(limit.get('velocity')) == OMX.velocity[k]
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
    chain = ['world_fixed', *OMX.joint_names, 'end_effector_joint']
    for q in sample_joints(OMX, 50, rng):
        t = np.eye(4)
        angles = dict(zip(OMX.joint_names, q))
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


# --- issue 33: the URDF is written from the arm (ik_net_ros.robot_urdf), for any arm -----------

PLANAR = ('open_manipulator_x', 'omx_f')
small = st.floats(-0.02, 0.02)


def test_the_shipped_urdfs_are_the_generators_output(tmp_path):
    """urdf/*.urdf are written by robot_urdf from the arm descriptions: never edited by hand."""
    for path in write_shipped(tmp_path):
        shipped = URDF.parent / path.name
        assert shipped.read_text() == path.read_text(), \
            f'{shipped} is stale: python -m ik_net_ros.robot_urdf urdf/'


@pytest.mark.parametrize('name', ARM_NAMES)
def test_the_urdf_has_the_arms_real_limits_and_its_gripper_range(name):
    arm = load_arm(name)
    joints = {j.get('name'): j for j in ET.fromstring(arm_urdf(arm)).findall('joint')}
    for j in arm.joints:
        limit = joints[j.name].find('limit')
        assert (float(limit.get('lower')), float(limit.get('upper'))) == (j.lower, j.upper)
        assert float(limit.get('velocity')) == j.velocity
    if arm.gripper is not None:
        limit = joints[arm.gripper.joint].find('limit')
        assert (float(limit.get('lower')), float(limit.get('upper'))) == \
            (arm.gripper.lower, arm.gripper.upper)


@pytest.mark.parametrize('name', PLANAR)
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_the_urdf_of_a_calibrated_arm_moves_as_the_one_chain(name, data):
    """A calibration's errors are written into the joint origins: the URDF's FK is the chain's."""
    arm = load_arm(name)
    errors = ChainErrors(
        offsets=tuple(data.draw(small) for _ in range(arm.dof)),
        origin_deltas=tuple(tuple(data.draw(small) * 0.5 for _ in range(3))
                            for _ in range(arm.dof)),
        tilts=tuple((data.draw(small), data.draw(small)) for _ in range(arm.dof)),
        tool_delta=tuple(data.draw(small) * 0.5 for _ in range(3)))
    real = arm.with_errors(errors)
    q = [data.draw(st.floats(j.lower, j.upper)) for j in arm.joints]
    for which in (arm, real):
        tool = UrdfArm(arm_urdf(which), which).link_poses(q)[arm.tool_frame]
        pose = chain_forward(which, q)
        np.testing.assert_allclose(tool[:3, 3], pose[:3], atol=1e-12)
        np.testing.assert_allclose(tool[:3, :3], quat_to_matrix(pose[None, 3:])[0], atol=1e-12)


@pytest.mark.parametrize('name', PLANAR)
def test_prefix_and_placement_rename_and_move_the_arm_in_world(name):
    arm = load_arm(name)
    q = list(arm.home)
    placed = UrdfArm(arm_urdf(arm, 'arm1_', [0.5, -0.2, 0.1, 0.0, 0.0, 90.0]), arm)
    root = ET.fromstring(arm_urdf(arm, 'arm1_'))
    names = {e.get('name') for e in root if e.tag in ('link', 'joint')}
    assert 'world' in names and all(n == 'world' or n.startswith('arm1_') for n in names)
    tool = placed.link_poses(q)['arm1_' + arm.tool_frame]
    x, y, z = chain_forward(arm, q)[:3]
    np.testing.assert_allclose(tool[:3, 3], (0.5 - y, -0.2 + x, 0.1 + z), atol=1e-12)
    with pytest.raises(ValueError, match='prefix'):
        arm_urdf(arm, 'arm-1')
