"""
The ik node's command bytes are the JointState a message publish sends (issue 36 item 1).

The node publishes its command serialised once with the stamp and positions rewritten in
place (:mod:`ik_net_ros.nodes.command_bytes`): for any names, stamp and positions those bytes
are the middleware's serialisation of the message (read back as that message), so every
reader gets the same command.
"""

import math
import struct

from hypothesis import given, settings
from hypothesis import strategies as st
from ik_net_ros.nodes.command_bytes import CommandBytes
import pytest
from rclpy.serialization import deserialize_message, serialize_message
from sensor_msgs.msg import JointState

# a ROS string ends at its first NUL (the names come from the arm and a prefix of letters,
# digits and _): names without one
NAMES = st.lists(st.text(st.characters(blacklist_characters='\x00', blacklist_categories=('Cs',)),
                         min_size=1, max_size=24), min_size=1, max_size=8)
SEC = st.integers(-2 ** 31, 2 ** 31 - 1)
NANOSEC = st.integers(0, 2 ** 32 - 1)


@settings(max_examples=150, deadline=None)
@given(NAMES, st.data())
def test_filled_bytes_are_the_messages_serialisation(names, data):
    """Any names, stamps and positions: the message a message publish sends."""
    command = CommandBytes(names)
    for _ in range(3):  # rewritten in place: each fill is the message of its own values
        sec, nanosec = data.draw(SEC), data.draw(NANOSEC)
        positions = data.draw(st.lists(st.floats(allow_nan=False), min_size=len(names),
                                       max_size=len(names)))
        message = JointState(name=list(names), position=positions)
        message.header.stamp.sec, message.header.stamp.nanosec = sec, nanosec
        raw = command.fill(sec, nanosec, positions)
        # the same length as the message's serialisation (whose last padding bytes are
        # whatever its buffer held), read back as the same message
        assert len(raw) == len(serialize_message(message))
        back = deserialize_message(raw, JointState)
        assert back == message
        assert list(back.name) == list(names) and list(back.position) == positions
        assert (back.header.stamp.sec, back.header.stamp.nanosec) == (sec, nanosec)
        assert back.header.frame_id == '' and not back.velocity and not back.effort


@settings(max_examples=30, deadline=None)
@given(st.floats(allow_nan=True))
def test_nan_positions_go_out_as_nan(value):
    """A NaN is written as a NaN (never commanded by the node: its solver's answers are finite)."""
    back = deserialize_message(CommandBytes(['a', 'b']).fill(1, 2, [value, 0.0]), JointState)
    assert math.isnan(back.position[0]) if math.isnan(value) else back.position[0] == value


@settings(max_examples=60, deadline=None)
@given(st.one_of(
    st.tuples(st.one_of(st.integers(max_value=-2 ** 31 - 1), st.integers(min_value=2 ** 31)),
              NANOSEC, st.just(1)),
    st.tuples(SEC, st.one_of(st.integers(max_value=-1), st.integers(min_value=2 ** 32)),
              st.just(1)),
    st.tuples(SEC, NANOSEC, st.integers(0, 8).filter(lambda n: n != 1))))
def test_a_stamp_or_joint_count_the_layout_cannot_hold_is_refused(bad):
    """A stamp outside int32 / uint32 or another joint count: an error, never wrong bytes."""
    sec, nanosec, count = bad
    with pytest.raises(struct.error):
        CommandBytes(['joint1']).fill(sec, nanosec, [0.5] * count)
