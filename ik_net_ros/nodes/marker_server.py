"""
A minimal server of ROS's interactive-marker protocol.

So RViz's InteractiveMarkers display shows and drags our marker without the interactive_markers
library (not installable from PyPI): ``<ns>/get_interactive_markers`` (service), ``<ns>/update``
(InteractiveMarkerUpdate, sequence numbered) and ``<ns>/feedback`` (InteractiveMarkerFeedback from
clients).
"""

from __future__ import annotations

from rclpy.node import Node
from visualization_msgs.msg import (
    InteractiveMarker,
    InteractiveMarkerFeedback,
    InteractiveMarkerPose,
    InteractiveMarkerUpdate,
)
from visualization_msgs.srv import GetInteractiveMarkers

__all__ = ['MarkerServer']


class MarkerServer:
    """Serves a set of interactive markers on ``node`` under ``namespace``."""

    def __init__(self, node: Node, namespace: str, on_feedback):
        self.node, self.seq = node, 0
        self.markers: dict[str, InteractiveMarker] = {}
        self.update_pub = node.create_publisher(InteractiveMarkerUpdate, f'{namespace}/update',
                                                100)
        self.service = node.create_service(GetInteractiveMarkers,
                                           f'{namespace}/get_interactive_markers',
                                           self._on_get)
        self.feedback_sub = node.create_subscription(
            InteractiveMarkerFeedback, f'{namespace}/feedback', on_feedback, 100)

    def _on_get(self, request, response):
        response.sequence_number = self.seq
        response.markers = list(self.markers.values())
        return response

    def insert(self, marker: InteractiveMarker) -> None:
        """Add or replace a marker and send it in full to the clients."""
        self.markers[marker.name] = marker
        self._publish(InteractiveMarkerUpdate(type=InteractiveMarkerUpdate.UPDATE,
                                              markers=[marker]))

    def set_pose(self, name: str, pose) -> None:
        """Move a marker (a pose-only update)."""
        marker = self.markers[name]
        marker.pose = pose
        self._publish(InteractiveMarkerUpdate(
            type=InteractiveMarkerUpdate.UPDATE,
            poses=[InteractiveMarkerPose(header=marker.header, pose=pose, name=name)]))

    def keep_alive(self) -> None:
        self.update_pub.publish(InteractiveMarkerUpdate(type=InteractiveMarkerUpdate.KEEP_ALIVE,
                                                        seq_num=self.seq))

    def _publish(self, update: InteractiveMarkerUpdate) -> None:
        self.seq += 1
        update.seq_num = self.seq
        self.update_pub.publish(update)
