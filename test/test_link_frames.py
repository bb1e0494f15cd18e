"""Each link of the arm's chain, as ROBOTIS's description places it (link_frames)."""

import math
from pathlib import Path
import xml.etree.ElementTree as ET

from hypothesis import given, settings
from hypothesis import strategies as st
from ik_net_ros.arm import ChainErrors, default_arm
from ik_net_ros.kinematics import forward_kinematics
from ik_net_ros.kinematics.link_frames import LINK_NAMES, link_poses
from ik_net_ros.kinematics.planar import planar_chain
from ik_net_ros.kinematics.rotations import quat_angle
import numpy as np
import pytest

OMX = default_arm()  # the OM-X, ROBOTIS's humble description

URDF = Path(__file__).resolve().parents[1] / 'urdf' / 'open_manipulator_x.urdf'
joints = st.tuples(*[st.floats(lo, hi) for lo, hi in zip(OMX.lower, OMX.upper)])
small = st.floats(-0.03, 0.03)
geometries = st.one_of(
    st.sampled_from([OMX, default_arm('jazzy')]),
    st.builds(lambda tilts, offsets: OMX.with_errors(ChainErrors(
        offsets, np.zeros((4, 3)), np.reshape(tilts, (4, 2)))),
              st.lists(small, min_size=8, max_size=8), st.lists(small, min_size=4, max_size=4)))


@settings(max_examples=150, deadline=None)
@given(q=joints, geometry=geometries)
def test_the_chain_ends_at_the_tool_pose_and_keeps_its_link_lengths(q, geometry):
    """end_effector_link is forward_kinematics' tool; each link is its length from the last."""
    poses = link_poses(list(q), geometry)
    assert list(poses) == list(LINK_NAMES)
    np.testing.assert_allclose(poses['end_effector_link'], forward_kinematics(list(q), geometry),
                               atol=1e-12)
    origin = {name: np.array(pose[:3]) for name, pose in poses.items()}
    g = planar_chain(geometry.upright())  # its lengths (tilts turn, never stretch, a link)
    lengths = {('link1', 'link2'): math.hypot(g.joint1_x, g.base_height),
               ('link2', 'link3'): g.shoulder_height,
               ('link3', 'link4'): math.hypot(g.upper_arm_x, g.upper_arm_z),
               ('link4', 'link5'): g.forearm, ('link5', 'end_effector_link'): g.tool}
    for (a, b), length in lengths.items():
        assert abs(np.linalg.norm(origin[b] - origin[a]) - length) <= 1e-12
    for pose in poses.values():
        assert abs(np.linalg.norm(pose[3:]) - 1.0) <= 1e-12 and pose[6] >= 0.0


def test_at_zero_the_links_sit_where_the_urdf_puts_them():
    """The shipped description's joint origins, added up along the chain."""
    root = ET.parse(URDF).getroot()
    parent_of = {j.find('child').get('link'): (j.find('parent').get('link'),
                                               [float(v) for v in
                                                j.find('origin').get('xyz').split()])
                 for j in root.iter('joint')}
    poses = link_poses([0.0] * len(OMX.joint_names), OMX)
    for name in LINK_NAMES:
        xyz, link = np.zeros(3), name
        while link in parent_of and link != 'link1':
            link, step = parent_of[link]
            xyz += step
        np.testing.assert_allclose(poses[name][:3], xyz, atol=1e-12)
        np.testing.assert_allclose(poses[name][3:], [0.0, 0.0, 0.0, 1.0], atol=1e-12)


@pytest.mark.parametrize('name', ['open_manipulator_x', 'omx_f'])
def test_every_link_is_where_yourdfpy_puts_it(name):
    """Each link of the chain of any arm, against the URDF library's own FK."""
    from ik_net_ros.arm import load_arm
    from ik_net_ros.kinematics.chain import chain_forward
    from ik_net_ros.kinematics.limits import sample_joints
    from ik_net_ros.kinematics.link_frames import link_names
    from ik_net_ros.kinematics.rigid import matrix_to_quat
    import yourdfpy
    arm = load_arm(name)
    urdf = yourdfpy.URDF.load(arm.source.split(' (')[0], load_meshes=False,
                              build_collision_scene_graph=False, load_collision_meshes=False)
    for q in sample_joints(arm, 5, np.random.default_rng(4)):
        urdf.update_cfg(dict(zip(arm.joint_names, q)))
        poses = link_poses(q, arm)
        assert tuple(poses) == link_names(arm) and len(poses) == arm.dof + 2
        for link, pose in poses.items():
            t = urdf.get_transform(link, arm.base_frame)
            np.testing.assert_allclose(pose[:3], t[:3, 3], atol=1e-12)
            assert quat_angle(np.array(pose[3:]), matrix_to_quat(t[:3, :3])[0]) < 1e-9
        np.testing.assert_allclose(poses['end_effector_link'], chain_forward(arm, q), atol=1e-12)
