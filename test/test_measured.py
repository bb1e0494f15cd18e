"""
Measured tool poses beside the FK poses.

Pairing by stamp, the collector's measured columns, datasets with and without them.
"""

from geometry_msgs.msg import PoseStamped
from hypothesis import given, settings
from hypothesis import strategies as st
from ik_net_ros.data import load_dataset, make_synthetic, save_dataset
from ik_net_ros.data.dataset import MEASURED_COLUMNS, PoseJointSet
from ik_net_ros.data.pairing import StampPairer
from ik_net_ros.errors import DatasetError
from ik_net_ros.kinematics import forward_kinematics
from ik_net_ros.nodes.conversions import array_to_pose, joint_state
import numpy as np
import pytest
from rclpy.parameter import Parameter


@settings(max_examples=80, deadline=None, derandomize=True, database=None)
@given(states=st.lists(st.floats(1, 10), max_size=30),
       measurements=st.lists(st.floats(1, 10), max_size=30),
       tolerance=st.floats(0.001, 0.5), interleave=st.randoms(use_true_random=False))
def test_every_state_is_paired_with_its_nearest_measurement_or_counted(
        states, measurements, tolerance, interleave):
    pairer = StampPairer(tolerance, wait=100.0)  # latency unbounded here
    events = [('s', t) for t in states] + [('m', t) for t in measurements]
    interleave.shuffle(events)  # any order within and across the streams
    pairs = []
    for kind, t in events:
        if kind == 's':
            pairs += pairer.add_state(t, np.array([t, 0, 0, 0]), now=0.0)
        else:
            pairs += pairer.add_measurement(t, np.array([t, 0, 0, 0, 0, 0, 1.0]), now=0.0)
    pairs += pairer.flush()
    assert len(pairs) + pairer.unmatched == len(states) == pairer.states
    for stamp, joints, pose in pairs:
        assert joints[0] == stamp  # the state itself, not another
        gap = abs(pose[0] - stamp)
        assert gap <= tolerance
        assert all(abs(m - stamp) >= gap for m in measurements)  # the nearest one


def test_pairer_waits_on_the_receive_clock_then_decides():
    pairer = StampPairer(0.02, wait=0.5)
    assert pairer.add_measurement(0.995, np.ones(7), now=10.0) == []
    assert pairer.add_state(1.0, np.zeros(4), now=10.0) == []  # 1.003 may still come
    assert pairer.add_measurement(1.003, np.full(7, 2.0), now=10.1) == []
    assert pairer.add_measurement(1.05, np.full(7, 3.0), now=10.2) == []  # stamps decide nothing
    (stamp, _, pose), = pairer.poll(10.5)
    assert stamp == 1.0 and pose[0] == 2.0
    assert pairer.add_state(2.0, np.zeros(4), now=10.6) == [] and pairer.flush() == []
    assert pairer.unmatched == 1
    # a tracker later than the wait: the state is decided with what has arrived
    late = StampPairer(0.02, wait=0.5)
    late.add_state(3.01, np.zeros(4), now=20.0)
    assert late.poll(20.5) == [] and late.unmatched == 1
    late.add_measurement(3.0, np.ones(7), now=20.6)  # too late for the state: not paired
    assert late.flush() == []
    with pytest.raises(ValueError):
        StampPairer(0.0)
    with pytest.raises(ValueError):
        StampPairer(0.02, wait=float('nan'))


@pytest.mark.parametrize('suffix', ['.csv', '.npz'])
def test_files_with_and_without_measured_columns_load(tmp_path, suffix):
    data = make_synthetic(20, seed=3)
    plain = tmp_path / f'plain{suffix}'
    save_dataset(data, plain)
    assert load_dataset(plain).measured is None
    measured = PoseJointSet(data.poses, data.joints, {}, data.poses + 1e-4)
    path = tmp_path / f'measured{suffix}'
    save_dataset(measured, path)
    back = load_dataset(path)
    np.testing.assert_allclose(back.measured, measured.measured)
    np.testing.assert_allclose(back.subset(slice(5, 9)).measured, measured.measured[5:9])


def test_a_partial_set_of_measured_columns_is_refused(tmp_path):
    path = tmp_path / 'partial.csv'
    save_dataset(make_synthetic(3, seed=3), path)
    lines = path.read_text().splitlines()
    lines[0] += ',mx,my'
    lines[1:] = [line + ',1,2' for line in lines[1:]]
    path.write_text('\n'.join(lines) + '\n')
    with pytest.raises(DatasetError, match='not all of'):
        load_dataset(path)


@pytest.mark.ros
def test_collect_writes_measured_poses_paired_by_stamp(ros, tmp_path):
    from ik_net_ros.nodes.collect_node import CollectNode
    out = tmp_path / 'measured.csv'
    node = CollectNode(context=ros.context, parameter_overrides=[
        Parameter('output', value=str(out)), Parameter('max_rate', value=0.0),
        Parameter('measured_pose_topic', value='tracker/pose'),
        Parameter('measured_tolerance', value=0.01)])
    joints = make_synthetic(6, seed=5).joints
    clock = node.get_clock()
    for i, q in enumerate(joints):
        stamp = clock.now().to_msg()
        stamp.sec, stamp.nanosec = 100 + i, 0
        node.on_state(joint_state(q, stamp))
        if i != 2:  # no measurement for the third state
            measured = forward_kinematics(q) + np.array([1e-3, 0, 0, 0, 0, 0, 0])
            stamp.nanosec = 4_000_000  # 4 ms later: in tolerance
            node.on_measured(array_to_pose(measured, 'link1', stamp))
    bad = PoseStamped()
    bad.pose.orientation.w = 0.0  # a zero quaternion: skipped, counted
    node.on_measured(bad)
    node.shutdown()
    node.destroy_node()
    data = load_dataset(out)
    assert len(data) == 5 and node.pairer.unmatched == 1 and node.bad_measurements == 1
    keep = [0, 1, 3, 4, 5]
    np.testing.assert_allclose(data.joints, joints[keep])
    np.testing.assert_allclose(data.measured[:, 0] - data.poses[:, 0], 1e-3, atol=1e-12)
    assert out.read_text().splitlines()[0].endswith(','.join(MEASURED_COLUMNS))
