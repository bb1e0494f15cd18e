"""
The ik node's per-target work (issue 36, item 1): nothing set or sent per target that need not be.

The solver's rules for seeded targets are set when the parameters change, not per target; a
target's status goes out only where anyone subscribes to target_status. Without DDS: the node's
parameter helpers and its feedback publisher over stand-ins.
"""

from hypothesis import given
from hypothesis import strategies as st
from propcheck import fixed_examples
import pytest

pytest.importorskip('rclpy')

from ik_net_ros.nodes.ik_feedback import TargetFeedback  # noqa: E402, I100
from ik_net_ros.nodes.ik_params import configure, make_solver, PARAMETERS  # noqa: E402

SETTINGS = fixed_examples(15)


def _params(**changes) -> dict:
    params = {name: spec.default for name, spec in PARAMETERS.items()}
    params.update(model='analytic', **changes)
    return params


@SETTINGS
@given(jumps=st.lists(st.floats(0.05, 3.0), min_size=1, max_size=4),
       long_moves=st.lists(st.booleans(), min_size=1, max_size=4))
def test_the_solver_takes_its_rules_from_the_parameters_not_from_a_target(jumps, long_moves):
    """A new solver, and each change after it, carries max_jump and allow_long_moves."""
    solver = make_solver(_params(max_jump=jumps[0], allow_long_moves=long_moves[0]))
    assert (solver.max_jump, solver.allow_long_moves) == (jumps[0], long_moves[0])
    for jump, long in zip(jumps, long_moves):
        configure(solver, _params(max_jump=jump, allow_long_moves=long))
        assert (solver.max_jump, solver.allow_long_moves) == (jump, long)


class _Publisher:
    """A publisher: counts its subscribers, keeps what is published."""

    def __init__(self, subscribers: int):
        self.subscribers, self.sent = subscribers, []

    def get_subscription_count(self) -> int:
        return self.subscribers

    def get_publisher_count(self) -> int:
        return 0

    def publish(self, msg) -> None:
        self.sent.append(msg)


class _Node:
    """What TargetFeedback uses of a node: its name, publishers and a subscription."""

    def __init__(self, subscribers: int):
        self.subscribers = subscribers
        self.publishers = {}

    def get_fully_qualified_name(self) -> str:
        return '/ik'

    def create_publisher(self, _type, topic, _qos):
        self.publishers[topic] = _Publisher(self.subscribers)
        return self.publishers[topic]

    def create_subscription(self, *_args, **_options):  # content_filter_options=...
        return _Publisher(0)


class _Header:
    class stamp:  # noqa: N801 (a message's field)
        sec, nanosec = 1, 0

    frame_id = 'base'


@SETTINGS
@given(subscribers=st.integers(0, 3), targets=st.lists(st.booleans(), min_size=1, max_size=20))
def test_a_target_status_goes_out_only_to_a_subscriber(subscribers, targets):
    """Taken or refused, each target sends a status only where target_status has a subscriber."""
    node = _Node(subscribers)
    feedback = TargetFeedback(node, 0.01)
    for k, taken in enumerate(targets):
        if taken:
            feedback.taken((k, 0), _Header, [0.0, 0.0, 0.0, 0.0])
        else:
            feedback.refused(_Header, 'unreachable', 'out of reach')
    sent = node.publishers['target_status'].sent
    assert len(sent) == (len(targets) if subscribers else 0)
