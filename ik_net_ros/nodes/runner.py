"""``main()`` of every node: init, build, spin until Ctrl-C/SIGTERM, clean up explicitly."""

from __future__ import annotations

import signal
import sys
import threading

import rclpy
import rclpy.executors
import rclpy.logging
from rclpy.signals import SignalHandlerOptions

from ik_net_ros.errors import IkNetError

__all__ = ['run_node']

_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
_POLL_S = 0.1  # longest wait between a signal and the start of the clean stop


class _StopRequest:
    """SIGINT/SIGTERM only set a flag; the spin loop sees it within ``_POLL_S``.

    rclpy's own handler shuts the context down from another thread, which can land inside a
    take or a wait set and raise mid-spin (seen with the Kilted wheels under load). Here the
    context is shut down on the main thread, after the node's ``shutdown()``. A second signal
    gets the default behaviour back (Ctrl-C twice interrupts a stuck shutdown).
    """

    def __init__(self):
        self.event = threading.Event()
        self._previous = {sig: signal.signal(sig, self._handle) for sig in _STOP_SIGNALS}

    def _handle(self, signum, frame) -> None:
        self.event.set()
        self.restore()

    def restore(self) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)


def _logger_name(node_class) -> str:
    """The node does not exist yet: name its module (ik_net_ros.nodes.driver_node -> driver),
    also when it runs as ``python -m`` (then ``__main__``, whose spec keeps the real name)."""
    module = sys.modules.get(node_class.__module__)
    spec = getattr(module, '__spec__', None)
    dotted = spec.name if spec is not None else node_class.__module__
    return dotted.rpartition('.')[2].removesuffix('_node')


def run_node(node_class, args=None) -> None:
    """Spin one node. A node that cannot start for a reason of the package (a missing model, a
    refused output file) logs why and exits with status 2 instead of a traceback; a node's
    ``shutdown()`` (hardware cleanup, file sync) runs before it is destroyed, on any stop."""
    rclpy.init(args=args, signal_handler_options=SignalHandlerOptions.NO)
    stop = _StopRequest()
    try:
        try:
            node = node_class()
        except IkNetError as e:
            rclpy.logging.get_logger(_logger_name(node_class)).fatal(str(e))
            raise SystemExit(2) from e
        executor = rclpy.executors.SingleThreadedExecutor()
        executor.add_node(node)
        try:
            while not stop.event.is_set() and rclpy.ok():
                executor.spin_once(timeout_sec=_POLL_S)
        except (KeyboardInterrupt, rclpy.executors.ExternalShutdownException):
            pass
        finally:
            if hasattr(node, 'shutdown'):
                node.shutdown()
            executor.remove_node(node)
            node.destroy_node()
            executor.shutdown()
    finally:
        stop.restore()
        rclpy.try_shutdown()
