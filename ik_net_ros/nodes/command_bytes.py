"""
The ik node's joint command, serialised once, each target's stamp and positions written in place.

A JointState published as a message is converted to C and serialised per publish (rclpy's
``publish``: a C message allocated, each joint name copied, the CDR written, all freed): 64 of
the 214 us of CPU a cold publish took here (``benchmarks/ros_breakdown.py``'s setting, one
reader). The command's layout never changes (its names, its joint count, an empty frame_id and
no velocities or efforts), so its CDR bytes are made once by the middleware's own serialiser
and only the stamp and the positions are rewritten: ``publish`` of the bytes hands them to the
middleware as they are (rclpy's ``publish_raw``). Readers receive the same message.
"""

from __future__ import annotations

from collections.abc import Sequence
import struct

from builtin_interfaces.msg import Time
from rclpy.serialization import serialize_message
from sensor_msgs.msg import JointState

__all__ = ['CommandBytes']

# marks the template's stamp and positions are found by: values no other field holds
_SEC, _NANOSEC = 0x5A3C_1E2D, 0x3B2A_190F
_MARK = 0.123456789012345


class CommandBytes:
    """
    The serialised JointState of ``names`` (one position each), stamp and positions rewritable.

    Raises
    ------
    ValueError
        The serialiser's bytes hold the marks more than once or not at all (a layout this
        class cannot rewrite; the ik node then fails at start, never with a wrong command).

    """

    def __init__(self, names: Sequence[str]):
        self.names = list(names)
        marks = [_MARK * (i + 1) for i in range(len(self.names))]
        template = JointState(name=self.names, position=marks)
        template.header.stamp = Time(sec=_SEC, nanosec=_NANOSEC)
        raw = serialize_message(template)
        # the encapsulation header's second byte: 1 little-endian CDR, 0 big-endian
        order = '<' if raw[1] & 1 else '>'
        self._stamp = struct.Struct(f'{order}iI')
        self._positions = struct.Struct(f'{order}{len(marks)}d')
        self._stamp_at = _only(raw, self._stamp.pack(_SEC, _NANOSEC), 'stamp')
        self._positions_at = _only(raw, self._positions.pack(*marks), 'positions')
        self._buffer = bytearray(raw)

    def fill(self, sec: int, nanosec: int, positions: Sequence[float]) -> bytes:
        """
        Return the command's bytes stamped (``sec``, ``nanosec``) with ``positions`` (rad).

        Raises
        ------
        struct.error
            A stamp outside int32 / uint32, or not one float per joint.

        """
        self._stamp.pack_into(self._buffer, self._stamp_at, sec, nanosec)
        self._positions.pack_into(self._buffer, self._positions_at, *positions)
        return bytes(self._buffer)


def _only(raw: bytes, mark: bytes, what: str) -> int:
    """Return where ``mark`` is in ``raw``, found exactly once; ValueError otherwise."""
    at = raw.find(mark)
    if at < 0 or raw.find(mark, at + 1) >= 0:
        raise ValueError(f'the serialised JointState holds its {what} mark '
                         f'{"nowhere" if at < 0 else "twice"}: not rewritable in place')
    return at
