"""``main()`` of every node: init, build, spin until Ctrl-C/SIGTERM, clean up explicitly."""

from __future__ import annotations

import rclpy
import rclpy.executors
import rclpy.logging

from ik_net_ros.errors import IkNetError

__all__ = ['run_node']


def run_node(node_class, args=None) -> None:
    """Spin one node. A node that cannot start for a reason of the package (a missing model, a
    refused output file) logs why and exits with status 2 instead of a traceback; a node's
    ``shutdown()`` (hardware cleanup, file sync) runs before it is destroyed."""
    rclpy.init(args=args)
    try:
        node = node_class()
    except IkNetError as e:
        rclpy.logging.get_logger(getattr(node_class, 'NAME', node_class.__name__)).fatal(str(e))
        rclpy.try_shutdown()
        raise SystemExit(2) from e
    try:
        rclpy.spin(node)
    except (KeyboardInterrupt, rclpy.executors.ExternalShutdownException):
        pass
    except Exception:
        # rclpy's SIGINT/SIGTERM handler shuts the context down from another thread; if that
        # lands between spin()'s ok() check and its wait set, rcl raises instead of returning.
        # That is a normal stop, not a crash: clean up as for Ctrl-C. Anything else re-raises.
        if rclpy.ok():
            raise
    finally:
        if hasattr(node, 'shutdown'):
            node.shutdown()
        node.destroy_node()
        rclpy.try_shutdown()
