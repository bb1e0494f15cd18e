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
    finally:
        if hasattr(node, 'shutdown'):
            node.shutdown()
        node.destroy_node()
        rclpy.try_shutdown()
