"""
ROBOTIS's two arm descriptions (humble: joint1 at z = 0.017 m; jazzy: 0.0) chosen at run time.

One model serves both, every node follows the choice, world and link1 are one frame.
"""

import xml.etree.ElementTree as ET

from ik_net_ros import load_solver
from ik_net_ros.arm import default_arm
from ik_net_ros.data import load_dataset
from ik_net_ros.errors import ConfigError
from ik_net_ros.kinematics import forward_kinematics, planar_chain, sample_joints
from ik_net_ros.model import load_model
from ik_net_ros.resources import robot_description
from ik_net_ros.solver.network import NetworkSolver
import numpy as np
from omx_legacy import omx_with
import pytest
from rclpy.parameter import Parameter

OMX = default_arm()  # the OM-X, ROBOTIS's humble description

JOINTS = sample_joints(OMX, 500, 7)


def _tool_error_mm(solver, poses, geometry):
    joints = solver.solve(poses, on_unreachable='nearest')
    return 1e3 * np.linalg.norm(forward_kinematics(joints, geometry)[:, :3] - poses[:, :3], axis=1)


@pytest.mark.parametrize('name', ['analytic', 'focused'])
def test_one_model_serves_both_descriptions(name):
    jazzy = load_solver(name, description='jazzy')
    assert planar_chain(jazzy.planar_arm).base_height == 0.0
    targets = forward_kinematics(JOINTS, default_arm('jazzy'))
    humble_error = np.median(_tool_error_mm(load_solver(name), targets, default_arm('jazzy')))
    jazzy_error = np.median(_tool_error_mm(jazzy, targets, default_arm('jazzy')))
    assert abs(humble_error - 17.0) < 0.5  # the silent miss of the issue, for the record
    assert jazzy_error < 0.5
    single = np.array([jazzy.solve(p, on_unreachable='nearest') for p in targets[:50]])
    np.testing.assert_allclose(single, jazzy.solve(targets[:50], on_unreachable='nearest'),
                               atol=1e-5)


def test_another_arm_than_the_training_one_is_reached_by_refining():
    """
    Only the base height is a translation.

    Any other difference (a calibrated arm) makes the network's answer a first guess that is
    refined in that arm's geometry.
    """
    model = load_model('focused')
    other = omx_with(base_height=0.0, forearm=0.1252, joint_offsets=(0.01, -0.02, 0.0, 0.01))
    solver = NetworkSolver(model, arm=other)
    assert solver.calibrated and solver.z_shift == 0.017
    assert not NetworkSolver(model, arm=default_arm('jazzy')).calibrated
    targets = forward_kinematics(JOINTS[:200], other)
    assert np.median(_tool_error_mm(solver, targets, other)) < 1e-3
    one = solver.solve(targets[3], on_unreachable='nearest')
    assert np.linalg.norm(forward_kinematics(one, other)[:3] - targets[3, :3]) < 1e-5
    with pytest.raises(ConfigError, match='description'):
        load_solver('focused', description='iron')


def test_robot_description_follows_the_choice():
    humble, jazzy = robot_description('humble'), robot_description('jazzy')
    assert '<origin xyz="0.012 0 0.017" rpy="0 0 0"/>' in humble
    assert '<origin xyz="0.012 0 0" rpy="0 0 0"/>' in jazzy
    assert 'name="gripper_left_joint" type="prismatic"' in jazzy
    # both fingers take the description's range (ik_net_ros.robot_urdf writes numbers
    # shortest: 0.02, not 0.020; ROBOTIS's description has no mimic, the driver publishes both)
    for text, limits in ((jazzy, (-0.011, 0.020)), (humble, (-0.010, 0.019))):
        joints = {j.get('name'): j for j in ET.fromstring(text).findall('joint')}
        for finger in ('gripper_left_joint', 'gripper_right_joint'):
            limit = joints[finger].find('limit')
            assert (float(limit.get('lower')), float(limit.get('upper'))) == limits


@pytest.mark.ros
@pytest.mark.parametrize('frame', ['world', 'link1'])
def test_ik_node_with_jazzy_description_reaches_jazzy_targets(ros, frame):
    from ik_net_ros.nodes.ik_node import IkNode
    from test_ik_node import Probe
    node = ros.add(IkNode(context=ros.context, parameter_overrides=[
        Parameter('model', value='focused'), Parameter('description', value='jazzy')]))
    probe = Probe(ros)
    assert ros.spin_until(lambda: probe.pub.get_subscription_count() > 0)
    target = forward_kinematics(np.array([0.4, 0.2, -0.3, 0.5]), default_arm('jazzy'))
    probe.send(target, frame=frame)
    assert ros.spin_until(lambda: probe.commands)
    reached = forward_kinematics(np.array(probe.commands[-1].position), default_arm('jazzy'))
    assert np.linalg.norm(reached[:3] - target[:3]) < 2e-3
    assert node.stats.handled == 1


@pytest.mark.ros
def test_collect_and_sweep_use_the_description(ros, tmp_path, monkeypatch):
    from ik_net_ros.nodes.collect_node import CollectNode
    from ik_net_ros.nodes.conversions import joint_state
    from ik_net_ros.nodes.target_sweep_node import TargetSweepNode
    out = tmp_path / 'jazzy.csv'
    collect = CollectNode(context=ros.context, parameter_overrides=[
        Parameter('output', value=str(out)), Parameter('description', value='jazzy')])
    q = np.array([0.3, 0.2, 0.1, 0.4])
    collect.on_state(joint_state(q, collect.get_clock().now().to_msg()))
    collect.shutdown()
    collect.destroy_node()
    row = load_dataset(out)
    np.testing.assert_allclose(row.poses[0], forward_kinematics(q, default_arm('jazzy')))
    monkeypatch.setattr('ik_net_ros.nodes.target_sweep_node.time.monotonic', lambda: 12.5)
    sweeps = {}
    for description in ('humble', 'jazzy'):
        node = TargetSweepNode(context=ros.context, parameter_overrides=[
            Parameter('description', value=description)])
        sent = []
        node.publish_target = lambda msg, pose, sent=sent: sent.append(pose)
        node.on_timer()
        sweeps[description] = sent[0]
        node.destroy_node()
    np.testing.assert_allclose(sweeps['humble'] - sweeps['jazzy'],
                               [0, 0, planar_chain(OMX).base_height, 0, 0, 0, 0], atol=1e-12)
