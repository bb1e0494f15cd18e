"""
The ik node's safety over real DDS (issue 32).

Trajectory timing from where the arm is, absurd joint states, target frames, the driver's
refusals and a target's fate, the device.
"""

import math
import time

from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue
from geometry_msgs.msg import PoseStamped
from hypothesis import given, HealthCheck, settings
from hypothesis import strategies as st
from ik_net_ros.arm import default_arm
from ik_net_ros.errors import ConfigError
from ik_net_ros.kinematics import forward_kinematics
from ik_net_ros.kinematics.rigid import compose, invert, pose_from_xyz_rpy
from ik_net_ros.nodes.ik_node import IkNode
from ik_net_ros.solver.trajectory_timing import MAX_DURATION
import numpy as np
import pytest
from rclpy.parameter import Parameter
from rclpy.qos import QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import JointState
from std_msgs.msg import String
from test_ik_node import _set_parameter, _start
from trajectory_msgs.msg import JointTrajectory

OMX = default_arm()  # the OM-X, ROBOTIS's humble description

pytestmark = pytest.mark.ros
VELOCITY = 4.8


def _seconds(traj) -> float:
    t = traj.points[0].time_from_start
    return t.sec + 1e-9 * t.nanosec


def _clear_joints(node, rng, count):
    """Joint vectors the arm can take clear of the table, joint1 away from its seam."""
    out = []
    while len(out) < count:
        j = rng.uniform(OMX.lower, OMX.upper) * [0.5, 0.8, 0.8, 0.8]
        if node.solver.collision.check(j).clear[0]:
            out.append(j)
    return out


# item 1: JointTrajectory points timed from where the arm is --------------------------------

@pytest.mark.parametrize('solution', ['nearest', 'branch'])
def test_every_trajectory_point_is_timed_from_where_the_arm_is(ros, solution):
    """
    A stub arm lags behind the points (ROBOTIS's controller at its own pace) and says so.

    Far targets and targets a hair beside the last one, 0.1 s apart (streaming: the last
    command stays fresh): no point asks more than max_velocity from where the stub arm is (it
    was 46 rad/s of a 4.8 rad/s arm; with solution:=branch the points were timed from a
    joint_states reading gone stale).
    """
    node, probe = _start(ros, publish_trajectory=True, trajectory_duration=0.01,
                         max_velocity=VELOCITY, solution=solution)
    got = []
    probe.node.create_subscription(JointTrajectory, 'arm_controller/joint_trajectory',
                                   got.append, 100)
    states = probe.node.create_publisher(JointState, 'joint_states', 10)
    assert ros.spin_until(lambda: node.traj_pub.get_subscription_count() > 0
                          and states.get_subscription_count() > 0)
    rng = np.random.default_rng(7)
    arm = np.array(OMX.home, dtype=float)
    point = arm
    far = iter(_clear_joints(node, rng, 40))
    for step in range(20):
        states.publish(JointState(name=list(OMX.joint_names), position=arm.tolist()))
        ros.spin_for(0.1)  # the reading is on its way; the arm stays between it and its goal
        joints = point + rng.uniform(-0.01, 0.01, 4) if step % 2 else next(far)
        count, refused = len(got), sum(node.stats.rejected.values())
        probe.send(forward_kinematics(joints))
        assert ros.spin_until(lambda c=count, r=refused: len(got) > c or
                              sum(node.stats.rejected.values()) > r)
        if len(got) == count:
            continue  # refused (the solver's business, not timing's)
        point = np.array(got[-1].points[0].positions)
        move = np.abs(point - arm).max()
        assert _seconds(got[-1]) >= move / VELOCITY - 1e-6, (step, move, _seconds(got[-1]))
        arm = arm + rng.choice([0.0, 0.05, 1.0]) * (point - arm)  # the arm's own pace
    assert len(got) >= 10


# item 8: absurd joint states never reach the timing or the seed ----------------------------

ABSURD = st.sampled_from([1e11, -1e11, 1e300, -1e300, math.inf, -math.inf, math.nan, 3.2, -3.2])


def test_no_joint_state_value_reaches_the_timing_or_the_seed(ros):
    """Any finite or non-finite joint values through the node's callback: no traceback."""
    node, probe = _start(ros, publish_trajectory=True, trajectory_duration=0.0)
    sent = []

    class Collect:
        publish = sent.append

    node.traj_pub = Collect()
    target = PoseStamped()
    target.header.frame_id = 'world'
    target.pose.position.x, target.pose.position.z = 0.2, 0.15
    target.pose.orientation.w = 1.0

    @settings(max_examples=60, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(st.lists(st.one_of(st.floats(), ABSURD), min_size=4, max_size=4))
    def check(values):
        node.on_joint_states(JointState(name=list(OMX.joint_names), position=values))
        node.last_command = None  # so the seed comes from joint_states
        seed = node._seed(time.perf_counter())
        assert seed is None or (np.all(np.asarray(seed) >= OMX.lower)
                                and np.all(np.asarray(seed) <= OMX.upper))
        count = len(sent)
        node.on_target(target)
        for traj in sent[count:]:
            assert 0.0 <= _seconds(traj) <= MAX_DURATION
            assert traj.points[0].time_from_start.sec >= 0

    check()
    assert sent


# item 2: targets in a frame the node does not transform ------------------------------------

MOCAP = [0.6, -0.2, 0.05, 3.0, -2.0, 120.0]  # the tracker frame in the base frame, m and deg


def _mocap_calibration(tmp_path):
    path = tmp_path / 'mocap.yaml'
    path.write_text('format: ik_net_ros.calibration\nversion: 2\ngeometry: {}\n'
                    f'tracker: {{frame_id: mocap, frame_xyz_rpy: {MOCAP}, '
                    'marker_xyz_rpy: [0, 0, 0, 0, 0, 0], latency_s: 0.0}\n')
    return str(path)


def test_a_frame_the_node_cannot_transform_is_refused_at_start(ros, tmp_path):
    for frame in ('mocap', 'camera'):
        with pytest.raises(ConfigError, match='frame_id'):
            IkNode(context=ros.context, parameter_overrides=[
                Parameter('model', value='analytic'), Parameter('frame_id', value=frame)])


def test_targets_in_the_calibrations_tracker_frame_reach_their_pose(ros, tmp_path):
    """frame_id:=mocap with a calibration made in mocap: the tool goes where the target says."""
    node, probe = _start(ros, frame_id='mocap', calibration=_mocap_calibration(tmp_path))
    status = []
    probe.node.create_subscription(String, 'target_status', status.append, 10)
    assert ros.spin_until(lambda: node.status_pub.get_subscription_count() > 0)
    tool = forward_kinematics([0.4, 0.2, -0.3, 0.5])
    in_mocap = compose(invert(pose_from_xyz_rpy(MOCAP)), tool)
    for i, frame in enumerate(('mocap', '', 'world'), start=1):
        probe.send(tool if frame == 'world' else in_mocap, frame=frame)
        assert ros.spin_until(lambda i=i: len(probe.commands) == i)
        reached = forward_kinematics(np.array(probe.commands[-1].position))
        assert np.linalg.norm(reached[:3] - tool[:3]) < 1e-6, frame
    probe.send(in_mocap, frame='camera')
    assert ros.spin_until(lambda: status and 'camera' in status[-1].data)
    assert status[-1].data.startswith('refused (wrong_frame)') and len(probe.commands) == 3
    refused = _set_parameter(ros, probe.node, 'frame_id', 'camera')
    assert not refused.successful and 'camera' in refused.reason and 'mocap' in refused.reason
    # the calibration that names the tracker frame cannot go while frame_id needs it
    refused = _set_parameter(ros, probe.node, 'calibration', '')
    assert not refused.successful and 'mocap' in refused.reason
    assert _set_parameter(ros, probe.node, 'frame_id', 'world').successful
    assert _set_parameter(ros, probe.node, 'calibration', '').successful
    count = len(status)
    probe.send(in_mocap, frame='mocap')  # no tracker frame any more
    assert ros.spin_until(lambda: len(status) > count)
    assert status[-1].data.startswith("refused (wrong_frame): target in frame 'mocap'")
    assert len(probe.commands) == 3


def test_a_tracker_frame_target_goes_to_the_same_place_whatever_the_description(ros, tmp_path):
    """The calibration's frame is in its own base frame; jazzy's world is 17 mm lower."""
    node, probe = _start(ros, frame_id='mocap', description='jazzy',
                         calibration=_mocap_calibration(tmp_path))
    tool = forward_kinematics([0.4, 0.2, -0.3, 0.5])  # in the calibration's (humble) frame
    probe.send(compose(invert(pose_from_xyz_rpy(MOCAP)), tool), frame='mocap')
    assert ros.spin_until(lambda: probe.commands)
    reached = forward_kinematics(np.array(probe.commands[-1].position))  # humble, physical
    assert np.linalg.norm(reached[:3] - tool[:3]) < 1e-6


# item 10: the driver's refusals and a target's fate ----------------------------------------

class StubDriver:
    """Answers every joint_command on joint_command_result; accepting ones move the arm there."""

    def __init__(self, ros, probe, accept: bool, move: bool = True):
        self.node = probe.node
        self.accept, self.move = accept, move
        self.results = self.node.create_publisher(
            DiagnosticArray, 'joint_command_result',
            QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE))
        self.states = self.node.create_publisher(JointState, 'joint_states', 10)
        self.fates, self.status = [], []
        self.node.create_subscription(DiagnosticArray, 'target_fate', self.fates.append, 100)
        self.node.create_subscription(String, 'target_status', self.status.append, 100)
        self.node.create_subscription(JointState, 'joint_command', self.on_command, 100)

    def on_command(self, cmd):
        word = 'accepted' if self.accept else 'refused'
        status = DiagnosticStatus(level=b'\x00' if self.accept else b'\x02',
                                  message='' if self.accept else 'its path goes through the table',
                                  values=[KeyValue(key='result', value=word)])
        result = DiagnosticArray(status=[status])
        result.header.stamp = cmd.header.stamp
        self.results.publish(result)
        if self.accept and self.move:
            self.states.publish(JointState(name=list(OMX.joint_names),
                                           position=list(cmd.position)))

    def fates_of(self, stamp):
        return [{kv.key: kv.value for kv in f.status[0].values}['fate']
                for f in self.fates if (f.header.stamp.sec, f.header.stamp.nanosec) == stamp]


def _send_stamped(probe, pose, i):
    stamp = (1_000_000 + i, 0)
    probe.send(pose, stamp_ns=stamp[0] * 1_000_000_000)
    return stamp


def test_a_driver_that_refuses_every_command_is_never_reported_as_taking_one(ros):
    node, probe = _start(ros)
    driver = StubDriver(ros, probe, accept=False)
    arm = np.array([0.3, -0.2, 0.1, 0.4])
    assert ros.spin_until(lambda: driver.states.get_subscription_count() > 0
                          and driver.results.get_subscription_count() > 0
                          and probe.node.count_publishers('target_fate') > 0
                          and node.feedback.listening)
    probe.node.create_timer(0.05, lambda: driver.states.publish(
        JointState(name=list(OMX.joint_names), position=arm.tolist())))  # where the arm stays
    assert ros.spin_until(lambda: node.arm_state is not None)
    rng = np.random.default_rng(3)
    for i, joints in enumerate(_clear_joints(node, rng, 4)):
        stamp = _send_stamped(probe, forward_kinematics(joints), i)
        assert ros.spin_until(lambda s=stamp: 'refused' in driver.fates_of(s)), i
        assert driver.fates_of(stamp)[-1] == 'refused'
        refused = driver.fates[-1].status[0]
        assert refused.level == b'\x02' and refused.name == node.get_fully_qualified_name()
        assert {kv.key: kv.value for kv in refused.values}['reason'] == 'driver'
        assert ros.spin_until(lambda: driver.status and
                              driver.status[-1].data.startswith('refused (driver)'))
        # the arm never went there: the seed is where joint_states say it is
        assert node.state_sub is not None
        assert ros.spin_until(lambda: node._seed(time.perf_counter()) is not None and
                              np.allclose(node._seed(time.perf_counter()), arm))
        assert driver.fates_of(stamp) == ['taken', 'refused']


def test_a_driver_that_accepts_gets_taken_then_reached(ros):
    node, probe = _start(ros, reached_tolerance=0.01)
    driver = StubDriver(ros, probe, accept=True)
    assert ros.spin_until(lambda: driver.results.get_subscription_count() > 0
                          and node.feedback.listening)
    rng = np.random.default_rng(4)
    for i, joints in enumerate(_clear_joints(node, rng, 3)):
        stamp = _send_stamped(probe, forward_kinematics(joints), i)
        assert ros.spin_until(lambda s=stamp: driver.fates_of(s) == ['taken', 'reached']), \
            driver.fates_of(stamp)
        assert driver.fates[-1].header.frame_id == 'world'
    ros.spin_for(0.3)
    assert all(driver.fates_of(s) == ['taken', 'reached'] for s in
               [(1_000_000 + i, 0) for i in range(3)])  # reached once per target


def test_a_target_superseded_before_it_is_reached_is_aborted_and_each_has_one_final_fate(ros):
    """Issue 35 item 4: the driver accepts, the arm has not got there when the next comes."""
    node, probe = _start(ros, reached_tolerance=0.01)
    driver = StubDriver(ros, probe, accept=True, move=False)
    assert ros.spin_until(lambda: driver.results.get_subscription_count() > 0
                          and node.feedback.listening and node.feedback.driver_answers)
    stamps = []
    for i, joints in enumerate(_clear_joints(node, np.random.default_rng(5), 3)):
        stamps.append(_send_stamped(probe, forward_kinematics(joints), i))
        assert ros.spin_until(lambda s=stamps[-1]: driver.fates_of(s) == ['taken']), i
    assert ros.spin_until(lambda: all(driver.fates_of(s) == ['taken', 'aborted']
                                      for s in stamps[:-1])), \
        [driver.fates_of(s) for s in stamps]
    aborted = [f.status[0] for f in driver.fates
               if {kv.key: kv.value for kv in f.status[0].values}['fate'] == 'aborted']
    assert all(a.level == b'\x01' and {kv.key: kv.value for kv in a.values}['reason'] ==
               'superseded' for a in aborted)
    ros.spin_for(0.3)
    assert driver.fates_of(stamps[-1]) == ['taken']  # the newest is still on its way


class HoldingDriver(StubDriver):
    """Answers only once two commands came: refuses the first, accepts (and goes to) the second."""

    def __init__(self, ros, probe, arm):
        super().__init__(ros, probe, accept=True, move=False)
        self.held, self.arm = [], list(arm)
        self.node.create_timer(0.05, lambda: self.states.publish(
            JointState(name=list(OMX.joint_names), position=self.arm)))  # where the arm is

    def on_command(self, cmd):
        self.held.append(cmd)
        if len(self.held) == 2:
            for accept, held in zip((False, True), self.held):
                self.accept = accept
                super().on_command(held)
            self.arm = list(cmd.position)


def test_targets_that_share_a_stamp_get_their_own_fates(ros):
    """
    F8: a stream republishing one stamp; the driver refuses the first command, accepts the second.

    The first target is refused, the second taken and reached, none aborted; the commands carry
    different stamps (the driver's answers name them); the seed is the second command.
    """
    node, probe = _start(ros, reached_tolerance=0.01)
    first, second, arm = _clear_joints(node, np.random.default_rng(8), 3)
    driver = HoldingDriver(ros, probe, arm)
    assert ros.spin_until(lambda: driver.results.get_subscription_count() > 0
                          and node.feedback.listening and node.feedback.driver_answers)
    stamp = _send_stamped(probe, forward_kinematics(first), 0)
    assert ros.spin_until(lambda: len(probe.commands) == 1)
    _send_stamped(probe, forward_kinematics(second), 0)
    assert ros.spin_until(lambda: driver.fates_of(stamp).count('reached') == 1), \
        driver.fates_of(stamp)
    ros.spin_for(0.3)
    fates = driver.fates_of(stamp)
    assert sorted(fates) == ['reached', 'refused', 'taken', 'taken'], fates
    assert fates.index('refused') < fates.index('reached')
    sent = [(c.header.stamp.sec, c.header.stamp.nanosec) for c in probe.commands]
    assert sent[0] == stamp and sent[1] != stamp
    assert not node.feedback.fates.newest_refused
    assert np.allclose(node._seed(time.perf_counter()), probe.commands[1].position)


def test_a_trajectory_whose_straight_path_dips_under_the_table_is_refused(ros):
    """
    F9: the arm stands at ARM; the answer for a far target is clear, its straight path is not.

    ROBOTIS's arm_controller would take the hand under the table on the way: no trajectory
    point, no joint command, the target refused (collision) and why. A near target still goes.
    """
    # drawn as the attacker's fuzz_path.py drew them, clear of the capsules fitted to the meshes
    arm = np.array([0.9127, -0.3325, 0.5939, -0.6874])
    far = np.array([2.3013, 0.2993, 0.0901, 1.8278])
    node, probe = _start(ros, publish_trajectory=True)
    driver = StubDriver(ros, probe, accept=True, move=False)
    got = []
    probe.node.create_subscription(JointTrajectory, 'arm_controller/joint_trajectory',
                                   got.append, 10)
    assert ros.spin_until(lambda: node.traj_pub.get_subscription_count() > 0
                          and driver.states.get_subscription_count() > 0
                          and node.feedback.listening)
    probe.node.create_timer(0.05, lambda: driver.states.publish(
        JointState(name=list(OMX.joint_names), position=arm.tolist())))
    assert ros.spin_until(lambda: node.arm_state is not None)
    answer = node.solver.solve(forward_kinematics(far), seed=arm)
    assert not node.solver.collision.check_path(arm, answer)[0]  # the premise
    stamp = _send_stamped(probe, forward_kinematics(far), 0)
    assert ros.spin_until(lambda: 'refused' in driver.fates_of(stamp))
    refused = [f.status[0] for f in driver.fates][-1]
    assert {kv.key: kv.value for kv in refused.values}['reason'] == 'collision'
    assert refused.message.startswith('path from where the arm is'), refused.message
    assert ros.spin_until(lambda: driver.status and driver.status[-1].data.startswith(
        'refused (collision): path from where the arm is'))
    ros.spin_for(0.3)
    assert got == [] and probe.commands == [] and driver.fates_of(stamp) == ['refused']
    near = arm + [0.02, -0.02, 0.02, 0.0]
    _send_stamped(probe, forward_kinematics(near), 1)
    assert ros.spin_until(lambda: got and probe.commands)
    assert np.allclose(got[-1].points[0].positions, probe.commands[-1].position)


# item 11: a device that does not exist, whatever the model ---------------------------------

def test_a_device_that_does_not_exist_is_refused_and_model_swaps_still_work(ros):
    import torch
    if torch.cuda.is_available():
        pytest.skip('this machine has a GPU: cuda:99 is tested without one')
    with pytest.raises(ConfigError, match='cuda:99'):
        IkNode(context=ros.context, parameter_overrides=[
            Parameter('model', value='analytic'), Parameter('device', value='cuda:99')])
    node, probe = _start(ros)
    for device in ('cuda:99', 'cuda'):
        refused = _set_parameter(ros, probe.node, 'device', device)
        assert not refused.successful and device in refused.reason
        assert node.get_parameter('device').value == 'cpu' and node.params['device'] == 'cpu'
    assert _set_parameter(ros, probe.node, 'model', 'original').successful
    assert node.solver.name == 'original'
    probe.send(forward_kinematics([0.1, 0.1, 0.1, 0.1]))
    assert ros.spin_until(lambda: probe.commands)


def test_long_moves_are_the_solvers_to_allow_as_the_parameter_says(ros):
    node, probe = _start(ros, allow_long_moves=False)
    probe.send(forward_kinematics([0.1, 0.1, 0.1, 0.1]))
    assert ros.spin_until(lambda: probe.commands)
    assert node.solver.allow_long_moves is False
    node.set_parameters([Parameter('allow_long_moves', value=True)])
    probe.send(forward_kinematics([0.2, 0.1, 0.1, 0.1]))
    assert ros.spin_until(lambda: len(probe.commands) == 2)
    assert node.solver.allow_long_moves is True
