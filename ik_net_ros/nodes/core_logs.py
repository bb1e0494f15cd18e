"""
The core's Python ``logging`` on the node's ROS logger.

Hardware EEPROM writes, reconnects and solver notes reach the console, ``/rosout`` and log files
as the node's own lines.

The core must not import rclpy, so it logs through Python's ``logging`` under ``ik_net_ros``;
each node calls :func:`bridge_core_logs` once, first thing after ``Node.__init__`` (so what its
constructor's hardware setup logs is bridged too). ROS and Python severities share their
numbers (DEBUG 10 ... FATAL 50), so the Python logger's level follows the ROS logger's.
"""

from __future__ import annotations

import logging

__all__ = ['bridge_core_logs', 'RosLogHandler', 'CORE_LOGGER']

CORE_LOGGER = 'ik_net_ros'


class RosLogHandler(logging.Handler):
    """Forwards Python log records to an rclpy logger at the same severity."""

    def __init__(self, ros_logger):
        super().__init__()
        self.ros_logger = ros_logger

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
            if record.exc_info:
                message += f' ({record.exc_info[1]!r})'
            severity = min(max(record.levelno // 10 * 10, 10), 50)
            self.ros_logger.log(f'[{record.name}] {message}', severity)
        except Exception:  # noqa: BLE001 - a log line must never break the caller
            self.handleError(record)


def bridge_core_logs(node) -> RosLogHandler:
    """
    Send the core's log records to ``node``'s logger from now on. Returns the handler.

    Replacing any earlier bridge: one node per process.
    """
    core = logging.getLogger(CORE_LOGGER)
    for handler in [h for h in core.handlers if isinstance(h, RosLogHandler)]:
        core.removeHandler(handler)
    handler = RosLogHandler(node.get_logger())
    core.addHandler(handler)
    core.setLevel(int(node.get_logger().get_effective_level()))
    return handler
