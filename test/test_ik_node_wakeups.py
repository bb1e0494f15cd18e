"""
The driver's answers wake the ik node only when they matter (issue 36 item 1), over real DDS.

A refusal always reaches it (the refused command is no seed); an acceptance only while someone
listens to ``target_fate`` (it decides only fates): a second message per target nobody asked
for is a second wake-up of the process.
"""

from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue
from hypothesis import given, settings
from hypothesis import strategies as st
from ik_net_ros.kinematics import forward_kinematics
from ik_net_ros.nodes.ik_feedback import command_result, RESULTS_QOS
from ik_net_ros.nodes.ik_node import IkNode
import pytest
from rclpy.parameter import Parameter
from sensor_msgs.msg import JointState

pytestmark = pytest.mark.ros

POSE = forward_kinematics([0.4, 0.2, -0.3, 0.5])
# every shape of answer a driver may give: command_result reads the last three as refusals
ANSWERS = ('accepted', 'refused', 'refused, level OK', 'refused, no values')
MARKER_SEC = 7  # the stamp seconds of the marker answers, which name no command


def _answer(kind: str, stamp: tuple[int, int]) -> DiagnosticArray:
    level = b'\x00' if kind in ('accepted', 'refused, level OK') else b'\x02'
    values = [] if kind == 'refused, no values' else \
        [KeyValue(key='result', value=kind.split(',')[0])]
    msg = DiagnosticArray(status=[DiagnosticStatus(
        level=level, message='' if kind == 'accepted' else 'no', values=values)])
    msg.header.stamp.sec, msg.header.stamp.nanosec = stamp
    return msg


class Driver:
    """Answers each joint_command as told (``self.next``), then a marker refusal of no command."""

    def __init__(self, node):
        self.node, self.next, self.markers = node, 'accepted', 0
        self.results = node.create_publisher(DiagnosticArray, 'joint_command_result',
                                             RESULTS_QOS)
        self.commands = []
        node.create_subscription(JointState, 'joint_command', self.on_command, 100)

    def on_command(self, cmd) -> None:
        self.commands.append(cmd)
        self.results.publish(_answer(self.next, (cmd.header.stamp.sec,
                                                 cmd.header.stamp.nanosec)))
        # DDS keeps one writer's order: once the marker is taken, the answer was (or never will)
        self.markers += 1
        self.results.publish(_answer('refused', (MARKER_SEC, self.markers)))


class Taken:
    """Every joint_command_result message the ik node's callbacks take: (stamp, accepted)."""

    def __init__(self, node):
        self.node, self.seen = node, []

    def wrap(self) -> int:
        """Wrap the callbacks of the node's joint_command_result subscriptions; return them."""
        subs = [s for s in self.node.subscriptions if s.topic_name == '/joint_command_result']
        for sub in subs:
            if not getattr(sub.callback, 'taken', False):
                sub.callback = self._counting(sub.callback)
        return len(subs)

    def _counting(self, callback):
        def counted(msg):
            answer = command_result(msg)
            self.seen.append(None if answer is None else answer[:2])
            return callback(msg)
        counted.taken = True
        return counted

    def markers(self, number: int) -> int:
        return sum(1 for s in self.seen if s == ((MARKER_SEC, number), False))


@pytest.fixture(scope='module')
def setup():
    from rosutil import RosHarness
    ros = RosHarness()
    node = ros.add(IkNode(context=ros.context, parameter_overrides=[
        Parameter('model', value='analytic')]))
    probe = ros.node('probe')
    driver = Driver(probe)
    from geometry_msgs.msg import PoseStamped
    targets = probe.create_publisher(PoseStamped, 'target_pose', 10)
    assert ros.spin_until(lambda: targets.get_subscription_count() > 0
                          and driver.results.get_subscription_count() > 0
                          and node.pub.get_subscription_count() > 0)
    # one counter for the module: a callback wrapped once stays wrapped across examples
    yield ros, node, probe, driver, targets, {'listener': None, 'sent': 0, 'taken': Taken(node)}
    ros.close()


@settings(max_examples=4, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.sampled_from(ANSWERS)), min_size=2, max_size=5))
def test_acceptances_wake_the_node_only_while_target_fate_has_a_listener(setup, steps):
    """
    Refusals of every shape are taken with or without a listener; acceptances only with one.

    Before issue 36 the node took every acceptance, a second message per target: the count of
    acceptances taken without a listener was one per target.
    """
    from ik_net_ros.nodes.conversions import array_to_pose
    ros, node, probe, driver, targets, state = setup
    taken = state['taken']
    for listen, kind in steps:
        if listen and state['listener'] is None:
            state['listener'] = probe.create_subscription(
                DiagnosticArray, 'target_fate', lambda _: None, 10)
        elif not listen and state['listener'] is not None:
            probe.destroy_subscription(state['listener'])
            state['listener'] = None
        # the node follows its listeners (at its next target or its 0.5 s timer), and the
        # driver's writer has matched (or dropped) the node's reader of every answer
        assert ros.spin_until(lambda listen=listen: node.feedback.listening is listen and (
            getattr(node.feedback, 'accepted_sub', None) is not None) is listen and
            driver.results.get_subscription_count() == 1 + listen)
        readers = taken.wrap()
        assert readers == 1 + listen
        driver.next = kind
        state['sent'] += 1
        stamp = (1_000_000 + state['sent'], 0)
        msg = array_to_pose(POSE, 'world', probe.get_clock().now().to_msg())
        msg.header.stamp.sec, msg.header.stamp.nanosec = stamp
        before = len(taken.seen)
        targets.publish(msg)
        marker = driver.markers + 1
        assert ros.spin_until(lambda m=marker, r=readers: taken.markers(m) == r), (kind, listen)
        mine = [s for s in taken.seen[before:] if s is not None and s[0] == stamp]
        accepted = [s for s in mine if s[1]]
        refused = [s for s in mine if not s[1]]
        if kind == 'accepted':
            assert len(accepted) == listen and not refused, (listen, mine)
        else:  # the safety of the seed: every refusal reaches the node, on every reader
            assert len(refused) == readers and not accepted, (kind, mine)
            assert node.feedback.fates.newest_refused


@settings(max_examples=5, deadline=None)
@given(count=st.integers(2, 40), frame=st.sampled_from(['nowhere', 'camera', 'link9']))
def test_a_stream_of_rejected_targets_formats_no_warning_per_target(setup, count, frame):
    """
    A target refused per message (here: in a frame the node does not know) costs no log line.

    The warning is throttled before it is formatted: at most one per WARN_PERIOD (it was one
    formatted line per target, dropped by the logger's throttle after the work was done).
    """
    import time

    from ik_net_ros.nodes.conversions import array_to_pose
    from ik_net_ros.nodes.ik_node import WARN_PERIOD
    ros, node, probe, driver, targets, state = setup
    lines = []

    class Logger:

        def warning(self, text, **_throttle):
            lines.append(text)

    original = node.get_logger
    node.get_logger = Logger
    start = node.warned_at = time.monotonic()  # a warning was just given
    try:
        for _ in range(count):
            node.on_target(array_to_pose(POSE, frame, probe.get_clock().now().to_msg()))
    finally:
        node.get_logger = original
    assert len(lines) <= int((time.monotonic() - start) / WARN_PERIOD), lines
