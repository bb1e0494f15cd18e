"""
The ik node's word on each target: ``target_status`` for people, ``target_fate`` for programs.

``target_fate`` (diagnostic_msgs/DiagnosticArray, one per target, published only while someone
subscribes): the header is the target's (its own stamp and frame_id); ``status[0]`` is named
after the ik node, level 0 (OK) for taken and reached, 1 (WARN) for aborted, 2 (ERROR) for
refused, the reason in ``message``, and ``values`` ``fate`` (taken | refused | reached |
aborted) and ``reason`` (refused: unreachable | invalid | wrong_frame | transform | collision |
limits | driver; aborted: superseded | no_answer; else ''). The driver answers each command on
``joint_command_result`` (same type, the command's stamp, ``result`` accepted | refused). Every
taken target gets exactly one final fate (:mod:`ik_net_ros.solver.target_fate`): refused when
the driver refuses it; reached when ``joint_states`` come within ``reached_tolerance`` of it
while it is the newest command (one the driver accepted, where a driver answers); aborted when
a newer target supersedes it first.

The driver's answers wake the node only when they matter: a refusal always (the refused command
is no seed), an acceptance only while someone listens to ``target_fate`` (acceptances decide
only fates: aborted once accepted, reached only if accepted). The node subscribes to
``joint_command_result`` with a content filter that drops plain acceptances in DDS (before they
wake the process: a second wake-up per target cost the node about as much CPU as the first),
and, while ``target_fate`` has a subscriber, a second time without the filter. Where the
middleware filters no content the filtered subscription takes every answer: slower, as right.
"""

from __future__ import annotations

from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue
from ik_net_ros.solver.target_fate import ABORTED, Fate, REFUSED, TargetFates
from rclpy.qos import QoSProfile, ReliabilityPolicy
from rclpy.subscription_content_filter_options import ContentFilterOptions
from std_msgs.msg import String

__all__ = ['TargetFeedback', 'RESULTS_QOS', 'command_result', 'NOT_ACCEPTED']

RESULTS_QOS = QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE)
# DDS-SQL: every answer but a plain acceptance (level OK, first value result=accepted), so
# whatever command_result reads as a refusal passes (level 2, 'refused', no values, ...)
NOT_ACCEPTED = ("NOT (status[0].level = 0 AND status[0].values[0].key = 'result' AND "
                "status[0].values[0].value = 'accepted')")
OK, WARN, ERROR = b'\x00', b'\x01', b'\x02'
LEVELS = {REFUSED: ERROR, ABORTED: WARN}


def _level(value) -> int:
    return value[0] if isinstance(value, (bytes, bytearray)) and value else int(value)


def command_result(msg: DiagnosticArray) -> tuple[tuple[int, int], bool, str] | None:
    """
    Return (stamp key, accepted, reason) of a driver's answer, or None if it is none.

    ``result`` in the values decides; without it, the level (0: accepted).
    """
    if not msg.status:
        return None
    status = msg.status[0]
    values = {kv.key: kv.value for kv in status.values}
    try:
        accepted = values['result'] == 'accepted' if 'result' in values else \
            _level(status.level) == 0
    except (TypeError, ValueError):
        return None
    return (msg.header.stamp.sec, msg.header.stamp.nanosec), accepted, status.message


class TargetFeedback:
    """Publishes statuses and fates of the node's targets; hears the driver's answers."""

    def __init__(self, node, tolerance: float, on_refused=None):
        self.node = node
        self.fates = TargetFates(tolerance)
        self.on_refused = on_refused  # called when the driver refused the newest command
        self.name = node.get_fully_qualified_name()
        self.status_pub = node.create_publisher(String, 'target_status', 10)
        self.fate_pub = node.create_publisher(DiagnosticArray, 'target_fate', 10)
        # refusals always: the safety of the seed needs them; acceptances only for listeners
        self.result_sub = node.create_subscription(
            DiagnosticArray, 'joint_command_result', self.on_result, RESULTS_QOS,
            content_filter_options=ContentFilterOptions(NOT_ACCEPTED, []))
        self.accepted_sub = None  # every answer, while target_fate has a subscriber
        self._heard = False  # the newest command was sent while its acceptance could come
        self.arm = None  # the newest joint_states reading (None: not kept up to date)
        self.hear_acceptances(self.listening)

    @property
    def listening(self) -> bool:
        """Whether anyone subscribes to target_fate (else no fate message is built)."""
        return self.fate_pub.get_subscription_count() > 0

    def taken(self, key, header, joints) -> None:
        """Report the target of ``header`` taken: its command went out under the stamp ``key``."""
        listening = self.listening
        if listening is (self.accepted_sub is None):
            self.hear_acceptances(listening)
        # the command it supersedes waits for its acceptance only if one could come
        fate, finals = self.fates.taken(key, header, joints, self._heard)
        self._heard = self.driver_answers
        self._status('')
        if listening:
            for final in finals:  # the targets it superseded, before its own
                self._publish(final)
            self._publish(fate)

    def hear_acceptances(self, wanted: bool) -> None:
        """Subscribe to the driver's acceptances (``wanted``) or drop them in DDS again."""
        if wanted and self.accepted_sub is None:
            self.accepted_sub = self.node.create_subscription(
                DiagnosticArray, 'joint_command_result', self.on_result, RESULTS_QOS)
        elif not wanted and self.accepted_sub is not None:
            self.node.destroy_subscription(self.accepted_sub)
            self.accepted_sub = None

    @property
    def driver_answers(self) -> bool:
        """Whether a driver's acceptances reach this node (on joint_command_result)."""
        return self.accepted_sub is not None and self.accepted_sub.get_publisher_count() > 0

    def refused(self, header, code: str, message: str) -> None:
        """Report the target of ``header`` refused here: ``code`` short, ``message`` why."""
        if self.status_pub.get_subscription_count() > 0:  # formatted only for a reader
            self.status_pub.publish(String(data=f'refused ({code}): {message}'))
        if self.listening:
            self._publish(Fate(header, REFUSED, code, message))

    def on_result(self, msg: DiagnosticArray) -> None:
        answer = command_result(msg)
        if answer is None:
            return
        fates = self.fates.driver_answer(*answer)
        for fate in fates:
            self._driver_fate(fate)
        if answer[1] and self.arm is not None:
            # the arm may have got there before the acceptance came (each on its own topic,
            # in whatever order the executor takes them): 'reached' from its newest reading
            self.on_arm(self.arm)
        if self.fates.newest_refused and self.on_refused is not None and \
                any(f.fate == REFUSED for f in fates):
            self.on_refused()

    def _driver_fate(self, fate: Fate) -> None:
        if fate.fate != REFUSED:  # aborted: superseded, now that the driver accepted it
            if self.listening:
                self._publish(fate)
            return
        self._status(f'refused (driver): {fate.message}')
        self.node.get_logger().warning(f'command refused by the driver: {fate.message}',
                                       throttle_duration_sec=2.0)
        if self.listening:
            self._publish(fate)

    def on_arm(self, joints) -> None:
        """Take the arm's joints (dof,) rad: say 'reached' once for the newest command."""
        self.arm = joints
        if not self.fates.waiting:
            return
        for fate in self.fates.arm_at(joints, self._heard):
            if self.listening:
                self._publish(fate)

    def _status(self, text: str) -> None:
        """Publish ``text`` on target_status where anyone subscribes (else no message)."""
        if self.status_pub.get_subscription_count() > 0:
            self.status_pub.publish(String(data=text))

    def _publish(self, fate: Fate) -> None:
        status = DiagnosticStatus(
            level=LEVELS.get(fate.fate, OK), name=self.name,
            message=fate.message or fate.fate,
            values=[KeyValue(key='fate', value=fate.fate), KeyValue(key='reason',
                                                                    value=fate.code)])
        self.fate_pub.publish(DiagnosticArray(header=fate.target, status=[status]))
