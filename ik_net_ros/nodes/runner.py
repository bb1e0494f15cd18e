"""``main()`` of every node: init, build, spin until Ctrl-C/SIGTERM, clean up explicitly."""

from __future__ import annotations

import signal
import sys
import threading

from ik_net_ros.errors import ConfigError, IkNetError
import rclpy
import rclpy.executors
import rclpy.logging
from rclpy.signals import SignalHandlerOptions

__all__ = ['run_node', 'make_executor', 'events_executor_class']

_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
_POLL_S = 0.1  # longest wait between a signal and the start of the clean stop


class _StopRequest:
    """
    SIGINT/SIGTERM only set a flag; the spin loop sees it within ``_POLL_S``.

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
    """
    Name the logger: the node does not exist yet.

    Name its module (ik_net_ros.nodes.driver_node -> driver), also when it runs as ``python -m``
    (then ``__main__``, whose spec keeps the real name).
    """
    module = sys.modules.get(node_class.__module__)
    spec = getattr(module, '__spec__', None)
    dotted = spec.name if spec is not None else node_class.__module__
    return dotted.rpartition('.')[2].removesuffix('_node')


def events_executor_class():
    """Find rclpy's EventsExecutor (rclpy of Jazzy 7.1.4 and later); None where it has none."""
    try:
        from rclpy.experimental import EventsExecutor
    except ImportError:  # Humble, early Jazzy
        return None
    return EventsExecutor


def make_executor(choice: str, context=None):
    """
    Return the executor ``choice`` names.

    'events' (rclpy's EventsExecutor: its wait and dispatch are C++; a node woken by one message
    spends about 0.19 ms less CPU on it than under the SingleThreadedExecutor, whose Python
    rebuilds a wait set and a task per message), 'single', or 'auto' (events where this rclpy has
    it and it starts, else single, said in the log).

    Raises
    ------
    ConfigError
        An unknown choice, or 'events' on an rclpy without it or where it does
        not start.

    """
    if choice not in ('auto', 'events', 'single'):
        raise ConfigError(f'parameter executor = {choice!r} refused: needs auto | events | '
                          'single')
    events = events_executor_class() if choice != 'single' else None
    if choice == 'events' and events is None:
        raise ConfigError("parameter executor = 'events' refused: this rclpy has no "
                          'EventsExecutor (it came with Jazzy); use auto or single')
    if events is not None:
        try:
            return events(context=context)
        except Exception as e:  # an rclpy whose experimental executor cannot start here
            if choice == 'events':
                raise ConfigError(f"parameter executor = 'events' refused: rclpy's "
                                  f'EventsExecutor did not start ({e}); use auto or single'
                                  ) from e
            rclpy.logging.get_logger('ik_net_ros.runner').warning(
                f"rclpy's EventsExecutor did not start ({e}): spinning with the "
                'SingleThreadedExecutor')
    return rclpy.executors.SingleThreadedExecutor(context=context)


def _spin(node, stop: _StopRequest) -> None:
    """
    Spin ``node`` with the executor its ``executor`` parameter names (auto if none) until a stop.

    Its ``shutdown()`` runs and it is destroyed on any way out.
    """
    executor = None
    try:
        choice = node.get_parameter('executor').value if node.has_parameter('executor') \
            else 'auto'
        executor = make_executor(choice)
        executor.add_node(node)
        while not stop.event.is_set() and rclpy.ok():
            executor.spin_once(timeout_sec=_POLL_S)
    except (KeyboardInterrupt, rclpy.executors.ExternalShutdownException):
        pass
    finally:
        if hasattr(node, 'shutdown'):
            node.shutdown()
        if executor is not None:
            executor.remove_node(node)
        node.destroy_node()
        if executor is not None:
            executor.shutdown()


def run_node(node_class, args=None) -> None:
    """
    Spin one node.

    A node that cannot start for a reason of the package (a missing model, a refused output file,
    an executor this rclpy lacks) logs why and exits with status 2 instead of a traceback; a node's
    ``shutdown()`` (hardware cleanup, file sync) runs before it is destroyed, on any stop.
    """
    rclpy.init(args=args, signal_handler_options=SignalHandlerOptions.NO)
    stop = _StopRequest()
    logger = rclpy.logging.get_logger(_logger_name(node_class))
    try:
        try:
            _spin(node_class(), stop)
        except IkNetError as e:
            logger.fatal(str(e))
            raise SystemExit(2) from e
    finally:
        stop.restore()
        rclpy.try_shutdown()
