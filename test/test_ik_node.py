"""The ik node over real DDS: commands, rejections, parameter swaps, bursts."""

import math

from geometry_msgs.msg import PoseStamped
from ik_net_ros.arm import default_arm
from ik_net_ros.kinematics import forward_kinematics, sample_joints, within_limits
from ik_net_ros.nodes.conversions import array_to_pose
from ik_net_ros.nodes.ik_node import IkNode
import numpy as np
import pytest
from rcl_interfaces.msg import Parameter as ParameterMsg
from rcl_interfaces.msg import ParameterType, ParameterValue
from rcl_interfaces.srv import SetParameters
from rclpy.parameter import Parameter
from sensor_msgs.msg import JointState
from trajectory_msgs.msg import JointTrajectory

OMX = default_arm()  # the OM-X, ROBOTIS's humble description

pytestmark = pytest.mark.ros


class Probe:
    """Publishes targets and collects commands."""

    def __init__(self, ros):
        self.node = ros.node('probe')
        self.pub = self.node.create_publisher(PoseStamped, 'target_pose', 10)
        self.commands = []
        self.node.create_subscription(JointState, 'joint_command', self.commands.append, 1000)

    def send(self, pose, frame='world', stamp_ns=None):
        stamp = self.node.get_clock().now().to_msg()
        if stamp_ns is not None:
            stamp.sec, stamp.nanosec = divmod(stamp_ns, 1_000_000_000)
        self.pub.publish(array_to_pose(pose, frame, stamp))


def _start(ros, model='analytic', **params):
    overrides = [Parameter('model', value=model)] + [Parameter(k, value=v)
                                                     for k, v in params.items()]
    node = ros.add(IkNode(context=ros.context, parameter_overrides=overrides))
    probe = Probe(ros)
    assert ros.spin_until(lambda: probe.pub.get_subscription_count() > 0
                          and node.pub.get_subscription_count() > 0)
    return node, probe


def test_target_gets_a_command_that_reaches_it(ros):
    node, probe = _start(ros)
    pose = forward_kinematics([0.4, 0.2, -0.3, 0.5])
    probe.send(pose)
    assert ros.spin_until(lambda: probe.commands)
    cmd = probe.commands[-1]
    assert list(cmd.name) == ['joint1', 'joint2', 'joint3', 'joint4']
    reached = forward_kinematics(np.array(cmd.position))
    assert np.linalg.norm(reached[:3] - pose[:3]) < 1e-6
    assert within_limits(OMX, np.array(cmd.position))


def test_shipped_focused_model_command_is_close(ros):
    node, probe = _start(ros, model='focused')
    pose = forward_kinematics([0.4, 0.2, -0.3, 0.5])
    probe.send(pose)
    assert ros.spin_until(lambda: probe.commands)
    reached = forward_kinematics(np.array(probe.commands[-1].position))
    assert np.linalg.norm(reached[:3] - pose[:3]) < 0.02


@pytest.mark.parametrize('kind', ['frame', 'nan', 'inf', 'zero_quat', 'unreachable'])
def test_bad_targets_get_no_command(ros, kind):
    node, probe = _start(ros)
    pose = forward_kinematics([0.4, 0.2, -0.3, 0.5])
    frame = 'camera' if kind == 'frame' else 'world'
    if kind == 'nan':
        pose[1] = math.nan
    elif kind == 'inf':
        pose[5] = math.inf
    elif kind == 'zero_quat':
        pose[3:] = 0.0
    elif kind == 'unreachable':
        pose[:3] = [0.8, 0.0, 0.1]
    probe.send(pose, frame=frame)
    expected = {'frame': 'wrong_frame', 'nan': 'invalid', 'inf': 'invalid',
                'zero_quat': 'invalid', 'unreachable': 'unreachable'}[kind]
    # the refusal counted once the node has taken the target, however late (a busy machine)
    assert ros.spin_until(lambda: node.stats.rejected[expected] == 1)
    assert probe.commands == [] and node.stats.handled == 0


def test_non_unit_and_rolled_quaternions_are_normalised_and_projected(ros):
    node, probe = _start(ros)
    pose = forward_kinematics([0.4, 0.2, -0.3, 0.5])
    scaled = pose.copy()
    scaled[3:] *= 2.5
    rolled = pose.copy()
    rolled[3:] = [0.3, 0.1, 0.2, 0.9]  # not an orientation the arm can take
    for i, p in enumerate((scaled, rolled), start=1):  # one at a time: newest-wins queue
        probe.send(p)
        assert ros.spin_until(lambda i=i: len(probe.commands) == i)
    for cmd in probe.commands:
        reached = forward_kinematics(np.array(cmd.position))
        assert np.linalg.norm(reached[:3] - pose[:3]) < 1e-6  # position kept exactly


def test_empty_frame_is_accepted_only_if_configured(ros):
    node, probe = _start(ros, accept_empty_frame=False)
    probe.send(forward_kinematics([0.0, 0.0, 0.0, 0.0]), frame='')
    assert ros.spin_until(lambda: node.stats.rejected['wrong_frame'] == 1)
    assert probe.commands == []


def _set_parameter(ros, client_node, name, value):
    client = client_node.create_client(SetParameters, '/ik/set_parameters')
    assert ros.spin_until(client.service_is_ready)
    msg = ParameterMsg(name=name, value=ParameterValue(type=ParameterType.PARAMETER_STRING,
                                                       string_value=value))
    future = client.call_async(SetParameters.Request(parameters=[msg]))
    assert ros.spin_until(future.done)
    return future.result().results[0]


def test_parameter_change_swaps_the_model_and_bad_values_are_refused(ros):
    node, probe = _start(ros)
    assert node.solver.name == 'analytic'
    result = _set_parameter(ros, probe.node, 'model', 'original')
    assert result.successful and node.solver.name == 'original'
    result = _set_parameter(ros, probe.node, 'model', 'no_such_model')
    assert not result.successful and 'no_such_model' in result.reason
    assert node.solver.name == 'original' and node.get_parameter('model').value == 'original'
    result = _set_parameter(ros, probe.node, 'device', 'tpu')
    assert not result.successful and 'device' in result.reason
    probe.send(forward_kinematics([0.1, 0.1, 0.1, 0.1]))
    assert ros.spin_until(lambda: probe.commands)  # the kept solver still answers


def test_burst_of_1000_targets_ends_with_the_newest_answered(ros):
    node, probe = _start(ros)
    poses = forward_kinematics(sample_joints(OMX, 1000, np.random.default_rng(0)) * 0.5)
    base = 1_000_000_000_000
    for i, pose in enumerate(poses):
        probe.send(pose, stamp_ns=base + i * 1000)
    newest = divmod(base + 999 * 1000, 1_000_000_000)

    def answered_newest():
        return any((c.header.stamp.sec, c.header.stamp.nanosec) == newest
                   for c in probe.commands)
    assert ros.spin_until(answered_newest)
    count = len(probe.commands)
    ros.spin_for(0.5)
    assert len(probe.commands) == count  # nothing left queued behind the newest
    last = probe.commands[-1]
    assert (last.header.stamp.sec, last.header.stamp.nanosec) == newest
    np.testing.assert_allclose(forward_kinematics(np.array(last.position))[:3], poses[-1, :3],
                               atol=1e-6)


def test_optional_joint_trajectory_output(ros):
    node, probe = _start(ros, publish_trajectory=True, trajectory_duration=1.5)
    got = []
    probe.node.create_subscription(JointTrajectory, '/arm_controller/joint_trajectory',
                                   got.append, 10)
    ros.spin_until(lambda: node.traj_pub.get_subscription_count() > 0)
    probe.send(forward_kinematics([0.2, 0.1, 0.1, 0.1]))
    assert ros.spin_until(lambda: got)
    assert list(got[0].joint_names) == ['joint1', 'joint2', 'joint3', 'joint4']
    np.testing.assert_allclose(got[0].points[0].positions, [0.2, 0.1, 0.1, 0.1], atol=1e-9)
    assert got[0].points[0].time_from_start.sec == 1  # the floor: more than this move needs
    assert got[0].points[0].time_from_start.nanosec == 500_000_000


def test_ik_node_process_runs_blas_on_one_thread():
    """
    The node's main() holds numpy's BLAS to one thread before it spins.

    Its single-pose products would otherwise wake BLAS helper threads per layer. In a fresh
    process started with two BLAS threads, so this one's BLAS is untouched.
    """
    import os
    import subprocess
    import sys
    code = ('import ik_net_ros.nodes.ik_node as m\n'
            'from threadpoolctl import threadpool_info\n'
            'blas = lambda: [i["num_threads"] for i in threadpool_info() if i["user_api"] == '
            '"blas"]\n'
            'print("before", blas())\n'
            'm.run_node = lambda node_class, args: print("spin", blas())\n'
            'm.main()\n')
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                         timeout=120, env={**os.environ, 'OPENBLAS_NUM_THREADS': '2'})
    assert out.returncode == 0, out.stderr[-2000:]
    before, spin = out.stdout.splitlines()[-2:]
    if (os.cpu_count() or 1) > 1:  # OpenBLAS takes no more threads than cores
        assert before == 'before [2]', out.stdout
    assert spin == 'spin [1]', out.stdout


@pytest.mark.parametrize('executor', ['single', 'events'])
def test_ik_node_process_answers_and_takes_parameters_under_either_executor(ros, executor):
    """
    The node as `ros2 run` starts it (run_node).

    Targets, parameter services and a stop, spun by the executor its parameter names.
    """
    import signal
    import subprocess
    import sys

    from ik_net_ros.nodes.runner import events_executor_class
    if executor == 'events' and events_executor_class() is None:
        pytest.skip('this rclpy has no EventsExecutor (Humble)')
    proc = subprocess.Popen([sys.executable, '-m', 'ik_net_ros.nodes.ik_node', '--ros-args',
                             '-p', 'model:=analytic', '-p', f'executor:={executor}'],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        probe = Probe(ros)
        pose = forward_kinematics([0.4, 0.2, -0.3, 0.5])
        assert ros.spin_until(lambda: probe.pub.get_subscription_count() > 0)
        assert ros.spin_until(lambda: probe.send(pose) or probe.commands)
        reached = forward_kinematics(np.array(probe.commands[-1].position))
        assert np.linalg.norm(reached[:3] - pose[:3]) < 1e-6
        assert _set_parameter(ros, probe.node, 'model', 'original').successful
        refused = _set_parameter(ros, probe.node, 'model', 'no_such_model')
        assert not refused.successful and 'no_such_model' in refused.reason
        probe.commands.clear()
        assert ros.spin_until(lambda: probe.send(pose) or probe.commands)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            out, _ = proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()  # never leave a node running behind the test
            out, _ = proc.communicate()
    assert proc.returncode == 0 and 'Traceback' not in out, out
    assert 'solver swapped' in out, out


# safe motion over ROS ---------------------------------------------------------------------------

def test_targets_a_hair_apart_across_the_seam_are_commanded_a_hair_apart(ros):
    node, probe = _start(ros)
    behind = np.array([math.pi - 1e-5, -0.3, 0.2, 0.5])
    for joints in (behind, behind * [-1, 1, 1, 1], behind):
        probe.send(forward_kinematics(joints))
        count = len(probe.commands)
        assert ros.spin_until(lambda c=count: len(probe.commands) > c)
    commands = np.array([c.position for c in probe.commands])
    assert np.abs(np.diff(commands, axis=0)).max() < 1e-3  # not 6.28 rad of joint1
    # the branch rule, each target on its own: a whole revolution (what solution:=nearest is for)
    node.set_parameters([Parameter('solution', value='branch')])
    probe.send(forward_kinematics(behind * [-1, 1, 1, 1]))
    assert ros.spin_until(lambda: len(probe.commands) == 4)
    assert abs(probe.commands[-1].position[0] - commands[-1][0]) > 6


def test_targets_in_collision_are_refused_with_the_reason_on_target_status(ros):
    from std_msgs.msg import String
    node, probe = _start(ros)
    status = []
    probe.node.create_subscription(String, 'target_status', status.append, 10)
    assert ros.spin_until(lambda: node.status_pub.get_subscription_count() > 0)
    probe.send([0.2, 0.0, -0.10, 0.0, 0.7071068, 0.0, 0.7071068])  # tool under the table
    assert ros.spin_until(lambda: status)
    assert 'under the table' in status[-1].data and not probe.commands
    probe.send(forward_kinematics(OMX.home))
    assert ros.spin_until(lambda: probe.commands and status[-1].data == '')


def test_the_seed_is_where_the_arm_is_when_no_command_was_sent(ros):
    node, probe = _start(ros)
    states = probe.node.create_publisher(JointState, 'joint_states', 10)
    assert ros.spin_until(lambda: states.get_subscription_count() > 0)
    arm = np.array([-math.pi + 1e-5, -0.3, 0.2, 0.5])  # behind, on joint1's negative side
    states.publish(JointState(name=list(OMX.joint_names), position=arm.tolist()))
    assert ros.spin_until(lambda: node.arm_state is not None)
    probe.send(forward_kinematics(arm * [-1, 1, 1, 1]))  # the same place, across the seam
    assert ros.spin_until(lambda: probe.commands)
    assert abs(probe.commands[0].position[0] - arm[0]) < 1e-3


def test_trajectory_points_are_timed_for_the_move_at_max_velocity(ros):
    node, probe = _start(ros, publish_trajectory=True, trajectory_duration=0.01,
                         max_velocity=2.0)
    got = []
    probe.node.create_subscription(JointTrajectory, '/arm_controller/joint_trajectory',
                                   got.append, 10)
    assert ros.spin_until(lambda: node.traj_pub.get_subscription_count() > 0)
    first, second = np.array([0.2, 0.1, 0.1, 0.1]), np.array([1.7, 0.1, 0.1, 0.1])
    for count, joints in enumerate((first, second), start=1):
        probe.send(forward_kinematics(joints))
        assert ros.spin_until(lambda c=count: len(got) == c)
    seconds = [p.points[0].time_from_start.sec + 1e-9 * p.points[0].time_from_start.nanosec
               for p in got]
    assert seconds[1] >= 1.5 / 2.0 - 1e-6  # 1.5 rad of joint1 at 2 rad/s, not 0.01 s


def test_joint_states_are_heard_only_while_no_command_is_fresh(ros):
    node, probe = _start(ros)
    assert node.state_sub is not None  # no command yet: the arm's state is the seed
    home = forward_kinematics(OMX.home)
    probe.send(home)
    assert ros.spin_until(lambda: probe.commands)
    # commands stream (a target each spin): the node stops listening while they are fresh, on
    # its timer's next tick however late a busy machine runs it (one command's second of
    # freshness could pass before it)
    assert ros.spin_until(lambda: probe.send(home) or node.state_sub is None)
    assert ros.spin_until(lambda: node.state_sub is not None)  # stale again


def test_a_swap_to_a_hostile_calibration_or_model_is_refused_and_the_old_solver_runs(
        ros, tmp_path):
    """
    Deep YAML, a 400-digit number, zero links, a FIFO, a plan of 20,000 layers.

    Each swap is refused with the file's name and the running solver keeps answering.
    """
    import json
    import os

    from model_util import load_weights, model_path, save_weights
    import numpy as np
    deep, huge, zero = tmp_path / 'deep.yaml', tmp_path / 'huge.yaml', tmp_path / 'zero.yaml'
    deep.write_text('format: ik_net_ros.calibration\ngeometry: ' + '[' * 100_000 + ']' * 100_000)
    huge.write_text('format: ik_net_ros.calibration\ngeometry: {tool: ' + '9' * 400 + '}\n')
    zero.write_text('format: ik_net_ros.calibration\ngeometry: {forearm: 0, tool: 0}\n')
    fifo = tmp_path / 'fifo.yaml'
    os.mkfifo(fifo)
    arrays, meta = load_weights(model_path('original').with_suffix('.npz'))
    meta = json.loads(json.dumps({k: v for k, v in meta.items() if k != 'sha256'}))
    meta['plan']['ops'] = meta['plan']['ops'][:1] * 20_000
    plan_bomb = save_weights(tmp_path / 'bomb.npz', {k: np.array(v) for k, v in
                                                     arrays.items()}, meta)
    node, probe = _start(ros)
    for name, value in [('calibration', str(p)) for p in (deep, huge, zero, fifo)] + [
            ('model', str(plan_bomb))]:
        result = _set_parameter(ros, probe.node, name, value)
        assert not result.successful and value in result.reason, (value, result.reason)
        assert node.solver.name == 'analytic'
    probe.send(forward_kinematics([0.1, 0.1, 0.1, 0.1]))
    assert ros.spin_until(lambda: probe.commands)
