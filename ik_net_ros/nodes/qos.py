"""
Quality-of-service of the nodes' inputs, in one place.

Inputs where only the newest value matters (targets, the arm's joint states as a seed or a
marker's pose) and streams a sensor produces (a tracker's measured poses) subscribe best-effort:
a best-effort subscription takes both reliable and best-effort publishers (a camera or motion
capture driver publishes with sensor-data QoS), while a reliable one refuses best-effort
publishers ("incompatible QoS", no messages). Depth 1 where only the newest matters, so a burst
never queues up behind the newest value.
"""

from __future__ import annotations

from rclpy.qos import DurabilityPolicy, HistoryPolicy, QoSProfile, ReliabilityPolicy

__all__ = ['NEWEST', 'SENSOR_STREAM']

NEWEST = QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=1,
                    reliability=ReliabilityPolicy.BEST_EFFORT,
                    durability=DurabilityPolicy.VOLATILE)
SENSOR_STREAM = QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=100,
                           reliability=ReliabilityPolicy.BEST_EFFORT,
                           durability=DurabilityPolicy.VOLATILE)
