"""
Measured tool poses beside the FK poses.

Pairing by stamp, the collector's measured columns, datasets with and without them.
"""

from geometry_msgs.msg import PoseStamped
from hypothesis import given, settings
from hypothesis import strategies as st
from ik_net_ros.data import load_dataset, make_synthetic, save_dataset
from ik_net_ros.data.dataset import MEASURED_COLUMNS, PoseJointSet, velocity_columns
from ik_net_ros.data.pairing import StampPairer
from ik_net_ros.errors import DatasetError
from ik_net_ros.kinematics import forward_kinematics
from ik_net_ros.nodes.conversions import array_to_pose, joint_state
import numpy as np
import pytest
from rclpy.parameter import Parameter


@settings(max_examples=80, deadline=None, derandomize=True, database=None)
@given(states=st.lists(st.floats(1, 10), max_size=30, unique=True),
       measurements=st.lists(st.floats(1, 10), max_size=30),
       tolerance=st.floats(0.001, 0.5), latency=st.floats(-0.2, 0.2),
       interleave=st.randoms(use_true_random=False))
def test_every_measurement_is_interpolated_between_its_neighbouring_states_or_counted(
        states, measurements, tolerance, latency, interleave):
    pairer = StampPairer(tolerance, wait=100.0, latency=latency)  # arrival decides nothing here
    events = [('s', t) for t in states] + [('m', t) for t in measurements]
    interleave.shuffle(events)  # any order within and across the streams
    rows = []
    for kind, t in events:  # joint1 = 2 * stamp + 1: a line, so interpolation is exact
        if kind == 's':
            rows += pairer.add_state(t, np.array([2 * t + 1, 0, 0, 0]), now=0.0)
        else:
            rows += pairer.add_measurement(t, np.array([t, 0, 0, 0, 0, 0, 1.0]), now=0.0)
    rows += pairer.flush()
    assert len(rows) + pairer.unmatched == len(measurements) == pairer.measurements
    ordered = sorted(states)
    for instant, joints, pose, velocity in rows:
        assert instant == pytest.approx(pose[0] - latency)  # the stamp minus the latency
        before = [t for t in ordered if t <= instant]
        after = [t for t in ordered if t >= instant]
        # never extrapolated, never from a state farther than the tolerance
        assert before and after
        assert instant - before[-1] <= tolerance and after[0] - instant <= tolerance
        assert joints[0] == pytest.approx(2 * instant + 1, abs=1e-9)
        assert velocity[0] == pytest.approx(2.0, rel=1e-6) or before[-1] == after[0]
    for m in measurements:  # and an unpaired one had no states close on both sides
        t = m - latency
        if not any(r[2][0] == m for r in rows):
            lo = [s for s in ordered if s <= t]
            hi = [s for s in ordered if s >= t]
            assert not lo or not hi or t - lo[-1] > tolerance or hi[0] - t > tolerance


def test_pairer_waits_on_the_receive_clock_then_decides():
    pairer = StampPairer(0.02, wait=0.5)
    assert pairer.add_state(0.99, np.zeros(4), now=10.0) == []
    assert pairer.add_measurement(1.0, np.full(7, 2.0), now=10.0) == []  # 1.01 may still come
    assert pairer.add_state(1.01, np.full(4, 1.0), now=10.1) == []
    assert pairer.add_state(1.05, np.full(4, 9.0), now=10.2) == []  # stamps decide nothing
    (instant, joints, pose, velocity), = pairer.poll(10.5)
    assert instant == 1.0 and pose[0] == 2.0
    np.testing.assert_allclose(joints, 0.5)  # halfway between 0.99 and 1.01
    np.testing.assert_allclose(velocity, 50.0)
    assert pairer.add_measurement(2.0, np.zeros(7), now=10.6) == [] and pairer.flush() == []
    assert pairer.unmatched == 1
    # joint states later than the wait: the measurement is decided with what has arrived
    late = StampPairer(0.02, wait=0.5)
    late.add_state(2.99, np.zeros(4), now=20.0)
    late.add_measurement(3.0, np.ones(7), now=20.0)
    assert late.poll(20.5) == [] and late.unmatched == 1
    late.add_state(3.01, np.zeros(4), now=20.6)  # too late for the measurement: not paired
    assert late.flush() == []


def test_states_far_apart_are_never_paired_nor_extrapolated():
    pairer = StampPairer(0.02, wait=0.5)
    pairer.add_state(1.00, np.zeros(4), now=0.0)
    pairer.add_state(1.05, np.ones(4), now=0.0)  # a 50 ms gap (a dropped state)
    pairer.add_measurement(1.025, np.ones(7), now=0.0)  # 25 ms from either: too far
    pairer.add_measurement(1.06, np.ones(7), now=0.0)  # after the newest state: no extrapolation
    assert pairer.flush() == [] and pairer.unmatched == 2

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
def test_collect_writes_measurements_with_the_joints_at_their_instant(ros, tmp_path):
    from ik_net_ros.nodes.collect_node import CollectNode
    out = tmp_path / 'measured.csv'
    node = CollectNode(context=ros.context, parameter_overrides=[
        Parameter('output', value=str(out)), Parameter('max_rate', value=0.0),
        Parameter('measured_pose_topic', value='tracker/pose'),
        Parameter('measured_tolerance', value=0.02), Parameter('measured_latency', value=0.01),
        Parameter('measured_max_speed', value=0.0)])
    joints = make_synthetic(7, seed=5).joints
    clock = node.get_clock()

    def stamp_at(t):
        stamp = clock.now().to_msg()
        stamp.sec, stamp.nanosec = int(t), int(round((t % 1) * 1e9))
        return stamp
    for i, q in enumerate(joints):  # states 10 ms apart, except a 60 ms hole after the 4th
        node.on_state(joint_state(q, stamp_at(100 + 0.01 * i + (0.05 if i >= 4 else 0.0))))
    camera = np.array([0.3, 0.1, 0.2, 0.0, 0.0, 0.0, 1.0])
    for k, t in enumerate((100.0125, 100.0275, 100.06, 100.2)):
        # stamped 10 ms late: shows the arm at 100.0025 and 100.0175 (between states), 100.05
        # (in the hole: 20 ms from the nearest state, 40 from the other) and after the last
        node.on_measured(array_to_pose(camera + [k, 0, 0, 0, 0, 0, 0], 'camera', stamp_at(t)))
    node.on_measured(array_to_pose(camera, 'link1', stamp_at(100.013)))  # another frame
    bad = PoseStamped()
    bad.pose.orientation.w = 0.0  # a zero quaternion: skipped, counted
    node.on_measured(bad)
    node.shutdown()
    node.destroy_node()
    data = load_dataset(out)
    assert len(data) == 2 and node.pairer.unmatched == 2 and node.bad_measurements == 2
    np.testing.assert_allclose(data.joints[0], 0.75 * joints[0] + 0.25 * joints[1], atol=1e-9)
    np.testing.assert_allclose(data.joints[1], 0.25 * joints[1] + 0.75 * joints[2], atol=1e-9)
    np.testing.assert_allclose(data.velocities[0], (joints[1] - joints[0]) / 0.01, rtol=1e-6)
    np.testing.assert_allclose(data.measured[:, 0], [0.3, 1.3])  # as published, in its frame
    assert data.meta['measured_frame'] == 'camera'
    header = out.read_text().splitlines()[0]
    assert header.endswith(','.join(MEASURED_COLUMNS + velocity_columns()))


@pytest.mark.ros
def test_measurements_of_a_fast_arm_are_counted_not_written(ros, tmp_path):
    """measured_max_speed (0.3 rad/s by default): a tracker sees a moving arm late and blurred."""
    from ik_net_ros.nodes.collect_node import CollectNode
    out = tmp_path / 'slow.csv'
    node = CollectNode(context=ros.context, parameter_overrides=[
        Parameter('output', value=str(out)), Parameter('measured_pose_topic', value='t/pose')])
    stamp = node.get_clock().now().to_msg()
    q = np.array([0.1, 0.2, 0.3, 0.4])
    states = [(100, 0, 0.0), (100, 10_000_000, 0.01), (101, 0, 0.0), (101, 10_000_000, 0.002)]
    for sec, nanosec, step in states:
        stamp.sec, stamp.nanosec = sec, nanosec
        node.on_state(joint_state(q + [step, 0, 0, 0], stamp))  # 1 rad/s, then 0.2 rad/s
    for sec in (100, 101):
        stamp.sec, stamp.nanosec = sec, 5_000_000
        node.on_measured(array_to_pose(forward_kinematics(q), 'world', stamp))
    node.shutdown()
    node.destroy_node()
    data = load_dataset(out)
    assert len(data) == 1 and node.too_fast == 1
    np.testing.assert_allclose(data.velocities[0], [0.2, 0, 0, 0], atol=1e-6)


@pytest.mark.ros
def test_an_appended_recording_keeps_its_tracker_frame(ros, tmp_path):
    """A second session on the same file may not mix another frame into its measurements."""
    from ik_net_ros.nodes.collect_node import CollectNode
    out = tmp_path / 'appended.csv'
    q = np.array([0.1, 0.2, 0.3, 0.4])

    def session(frame):
        node = CollectNode(context=ros.context, parameter_overrides=[
            Parameter('output', value=str(out)), Parameter('measured_pose_topic', value='t/p')])
        stamp = node.get_clock().now().to_msg()
        for nanosec in (0, 10_000_000):
            stamp.sec, stamp.nanosec = 100, nanosec
            node.on_state(joint_state(q, stamp))
        stamp.nanosec = 5_000_000
        node.on_measured(array_to_pose(forward_kinematics(q), frame, stamp))
        node.shutdown()
        node.destroy_node()
        return node.bad_measurements
    assert session('camera') == 0
    assert session('world') == 1  # refused: the file's measurements are in 'camera'
    assert session('camera') == 0
    data = load_dataset(out)
    assert len(data) == 2 and data.meta['measured_frame'] == 'camera'
