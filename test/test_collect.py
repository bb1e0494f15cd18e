"""Data collection: the recorder, coverage, and the collect node over DDS (signals included)."""

import os
from pathlib import Path
import signal
import subprocess
import sys
import time

from ik_net_ros.arm import default_arm
from ik_net_ros.data import read_csv
from ik_net_ros.data.coverage import JointCoverage
from ik_net_ros.data.recorder import CsvRecorder
from ik_net_ros.errors import DatasetError
from ik_net_ros.kinematics import forward_kinematics, sample_joints
from ik_net_ros.nodes.collect_node import CollectNode
from ik_net_ros.nodes.conversions import joint_state
from ik_net_ros.nodes.driver_node import DriverNode
import numpy as np
import pytest
from rclpy.parameter import Parameter
from sensor_msgs.msg import JointState
from waiting import WAIT

OMX = default_arm()  # the OM-X, ROBOTIS's humble description

ROOT = Path(__file__).resolve().parents[1]


def test_recorder_appends_checks_header_and_cuts_torn_lines(tmp_path):
    path = tmp_path / 'rec.csv'
    q = sample_joints(OMX, 5, np.random.default_rng(1))
    rec = CsvRecorder(path)
    for i in range(3):
        rec.append(float(i), q[i], forward_kinematics(q[i]))
    rec.close()
    with open(path, 'a') as f:
        f.write('3.0,0.1,0.2')  # a crash mid-row
    rec = CsvRecorder(path)
    assert rec.existing_rows == 3
    rec.append(4.0, q[4], forward_kinematics(q[4]))
    rec.close()
    data = read_csv(path)
    np.testing.assert_allclose(data.joints, q[[0, 1, 2, 4]])
    bad = tmp_path / 'other.csv'
    bad.write_text('a,b,c\n1,2,3\n')
    with pytest.raises(DatasetError, match='header'):
        CsvRecorder(bad)


def test_coverage_rises_and_names_empty_regions():
    cov = JointCoverage(bins=4)
    assert cov.share == 0.0
    for q in sample_joints(OMX, 200, np.random.default_rng(0)):
        cov.add(q)
    first = cov.share
    for q in sample_joints(OMX, 2000, np.random.default_rng(1)):
        cov.add(q)
    assert 0 < first < cov.share <= 1
    assert len(cov.emptiest(3)) == 3 and 'joint' in cov.emptiest(1)[0]


@pytest.mark.ros
def test_collect_node_records_fk_rows_and_skips_bad_messages(ros, tmp_path):
    out = tmp_path / 'rec.csv'
    node = ros.add(CollectNode(context=ros.context, parameter_overrides=[
        Parameter('output', value=str(out)), Parameter('max_rate', value=0.0)]))
    probe = ros.node('probe')
    pub = probe.create_publisher(JointState, 'joint_states', 100)
    assert ros.spin_until(lambda: pub.get_subscription_count() > 0)
    q = sample_joints(OMX, 20, np.random.default_rng(3))
    for qi in q:
        msg = joint_state(qi, probe.get_clock().now().to_msg())
        msg.name = ['gripper'] + list(msg.name)  # other joints ignored; matched by name
        msg.position = [0.01] + list(msg.position)
        pub.publish(msg)
        ros.spin_for(0.005)
    pub.publish(JointState(name=['joint1'], position=[0.0]))
    pub.publish(joint_state([0.0, np.nan, 0.0, 0.0], probe.get_clock().now().to_msg()))
    pub.publish(joint_state([0.0, 3.0, 0.0, 0.0], probe.get_clock().now().to_msg()))
    assert ros.spin_until(lambda: node.recorder.rows == 20 and node.filter.skipped['bad'] == 3)
    node.shutdown()
    data = read_csv(out)
    np.testing.assert_allclose(data.joints, q)
    np.testing.assert_allclose(data.poses, forward_kinematics(data.joints), atol=1e-12)


@pytest.mark.ros
def test_restarted_node_appends_to_the_same_file(ros, tmp_path):
    out = tmp_path / 'rec.csv'
    probe = ros.node('probe')
    pub = probe.create_publisher(JointState, 'joint_states', 100)
    q = sample_joints(OMX, 10, np.random.default_rng(4))
    for run in range(2):
        node = ros.add(CollectNode(context=ros.context, parameter_overrides=[
            Parameter('output', value=str(out)), Parameter('max_rate', value=0.0)]))
        assert ros.spin_until(lambda: pub.get_subscription_count() > 0)
        for qi in q[5 * run:5 * run + 5]:
            pub.publish(joint_state(qi, probe.get_clock().now().to_msg()))
            ros.spin_for(0.005)
        assert ros.spin_until(lambda node=node: node.recorder.rows == 5)
        assert node.recorder.existing_rows == 5 * run
        node.shutdown()
        ros.executor.remove_node(node)
        ros.nodes.remove(node)
        node.destroy_node()
    np.testing.assert_allclose(read_csv(out).joints, q)


@pytest.mark.ros
def test_babbling_sim_arm_raises_coverage(ros, tmp_path):
    ros.add(DriverNode(context=ros.context))
    node = ros.add(CollectNode(context=ros.context, parameter_overrides=[
        Parameter('output', value=str(tmp_path / 'b.csv')), Parameter('babble', value=True),
        Parameter('babble_period', value=0.3)]))
    assert ros.spin_until(lambda: node.recorder.rows > 20)
    first = node.coverage.share
    assert ros.spin_until(lambda: node.coverage.share > first)  # babbling goes on
    node.shutdown()


def _publisher_script(count_file):
    """Return a separate process publishing a known joint sequence at 200 Hz until killed."""
    return f"""
import os, time, rclpy, numpy as np
from ik_net_ros.nodes.conversions import joint_state
rclpy.init()
node = rclpy.create_node('feeder')
pub = node.create_publisher(__import__('sensor_msgs.msg', fromlist=['JointState']).JointState,
                            'joint_states', 100)
while pub.get_subscription_count() == 0:
    time.sleep(0.01)
time.sleep(0.5)
i = 0
while True:
    q = [0.001 * i, 0.0, 0.0, 0.0]
    pub.publish(joint_state(q, node.get_clock().now().to_msg()))
    i += 1
    with open({str(count_file)!r} + '.tmp', 'w') as f:
        f.write(str(i))
    os.replace({str(count_file)!r} + '.tmp', {str(count_file)!r})  # never seen half-written
    time.sleep(0.005)
"""


def _count(count_file):
    """States the feeder has published so far (0 before it starts)."""
    try:
        text = count_file.read_text().strip()
    except FileNotFoundError:
        return 0
    return int(text) if text.isdigit() else 0


@pytest.mark.ros
@pytest.mark.parametrize('sig', [signal.SIGINT, signal.SIGTERM])
def test_signal_mid_run_leaves_a_complete_file(tmp_path, sig):
    out = tmp_path / 'rec.csv'
    count_file = tmp_path / 'count'
    env = dict(os.environ)
    collect = subprocess.Popen([sys.executable, '-m', 'ik_net_ros.nodes.collect_node',
                                '--ros-args', '-p', f'output:={out}', '-p', 'max_rate:=0.0',
                                '-p', 'min_joint_change:=0.0'],
                               env=env, cwd=ROOT, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    feeder = subprocess.Popen([sys.executable, '-c', _publisher_script(count_file)], env=env,
                              cwd=ROOT)
    try:
        deadline = time.monotonic() + WAIT
        while _count(count_file) <= 300:
            assert time.monotonic() < deadline, 'feeder did not start'
            time.sleep(0.05)
        collect.send_signal(sig)
        log, _ = collect.communicate(timeout=15)
    finally:
        feeder.kill()
        feeder.wait()
    assert collect.returncode in (0, -sig), log
    data = read_csv(out)  # complete and readable
    written = int(log.split(' rows written')[0].split()[-1])
    assert len(data) == written > 200
    # every state received up to the stop, in order, none missing: joint1 = 0.001 * i
    steps = np.round(data.joints[:, 0] / 0.001)
    np.testing.assert_array_equal(np.diff(steps), 1)
    assert out.read_text().endswith('\n')


@pytest.mark.ros
def test_mismatched_header_is_refused_and_left_untouched(tmp_path):
    bad = tmp_path / 'bad.csv'
    bad.write_text('x,y\n1,2\n')
    proc = subprocess.run([sys.executable, '-m', 'ik_net_ros.nodes.collect_node', '--ros-args',
                           '-p', f'output:={bad}'], cwd=ROOT, capture_output=True, text=True,
                          timeout=30)
    assert proc.returncode == 2 and 'header' in proc.stdout + proc.stderr
    assert bad.read_text() == 'x,y\n1,2\n'  # untouched


def test_a_short_recording_trains_a_model(tmp_path):
    rec = CsvRecorder(tmp_path / 'rec.csv')
    q = sample_joints(OMX, 3000, np.random.default_rng(5))
    for i, qi in enumerate(q):
        rec.append(float(i), qi, forward_kinematics(qi))
    rec.close()
    out = tmp_path / 'model.pt'
    proc = subprocess.run(
        [sys.executable, '-m', 'ik_net_ros.tools.cli', 'train', '--network', 'focused',
         '--network-kwargs', '{"position": [16], "orientation": [16], "merge": [32]}',
         '--data', str(tmp_path / 'rec.csv'), '--split', 'sequential', '--epochs', '2',
         '--held-out', 'synthetic:500:99', '--output', str(out), '--no-progress'],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert out.is_file() and 'held-out' in proc.stdout


def test_stop_and_go_babble_waits_at_each_goal_for_the_settle_time():
    from ik_net_ros.data.babble_schedule import BabbleSchedule
    schedule = BabbleSchedule(settle=0.5)
    assert schedule.due(0.0)
    schedule.sent(np.array([0.3, 0.0, 0.0, 0.0]))
    schedule.observe(np.array([0.1, 0.0, 0.0, 0.0]), 0.1)  # on its way
    assert not schedule.due(0.2)
    schedule.observe(np.array([0.3, 0.0, 0.0, 0.0]), 0.4)  # arrived
    assert not schedule.due(0.8)
    schedule.observe(np.array([0.3005, 0.0, 0.0, 0.0]), 0.9)  # still there, within 2 mrad
    assert schedule.due(0.95)
    assert BabbleSchedule(settle=0.0).due(0.0)  # no pause: every period


def test_with_a_tracker_only_bad_states_are_skipped():
    from ik_net_ros.data.row_filter import BAD, RowFilter, STILL
    q = np.array([0.1, 0.2, 0.3, 0.4])
    plain = RowFilter(0.001, 100.0)
    kept = [plain.check(q, 0.02 * i) is None for i in range(10)]
    assert kept == [True] + [False] * 9 and plain.skipped[STILL] == 9
    tracked = RowFilter(0.001, 100.0)  # the collector with a tracker: every good state pairs
    assert all(tracked.check_bad(q) is None for _ in range(10)) and tracked.skipped[STILL] == 0
    assert tracked.check_bad(np.array([np.nan, 0, 0, 0])) == BAD and tracked.skipped[BAD] == 1


def test_the_collector_babbles_stop_and_go_over_ros(ros, tmp_path):
    """
    babble_settle: a new goal goes out only once the arm has stood at the last one that long.

    A babble period of 50 ms would otherwise send 20 goals a second. The collector starts before
    the driver: its first goal is lost, and goes out again until the arm is there (a lost goal
    used to stop the babble for good).
    """
    from ik_net_ros.nodes.collect_node import CollectNode
    from sensor_msgs.msg import JointState
    collect = ros.add(CollectNode(context=ros.context, parameter_overrides=[
        Parameter('output', value=str(tmp_path / 'r.csv')), Parameter('babble', value=True),
        Parameter('babble_period', value=0.05), Parameter('babble_settle', value=0.5)]))
    probe = ros.node('probe')
    sent, states = [], []
    probe.create_subscription(JointState, 'joint_command', sent.append, 1000)
    probe.create_subscription(JointState, 'joint_states', states.append, 1000)
    ros.spin_for(0.5)  # goals go out to nobody
    ros.add(DriverNode(context=ros.context, parameter_overrides=[
        Parameter('backend', value='sim')]))
    try:
        ros.spin_for(4.0)
        goals = []
        for msg in sent:
            if not goals or not np.allclose(goals[-1].position, msg.position):
                goals.append(msg)
        assert 2 <= len(goals) <= 8, len(goals)
        for goal in goals[:-1]:  # the arm reached each goal before the next one went out
            assert any(np.allclose(s.position[:4], goal.position, atol=2e-3) for s in states)
    finally:
        collect.shutdown()
