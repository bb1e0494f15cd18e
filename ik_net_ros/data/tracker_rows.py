"""
A recording's measured rows in the arm's base frame, at the instant they show.

Calibration finds where the tracker sees the arm from (:class:`TrackerSetup`); training a
correction and evaluating against measured poses need the tool centre point's pose in the base
frame, and the joints at the instant each measurement shows (its stamp minus the latency the
calibration found beyond what the collector paired with).
"""

from __future__ import annotations

from ik_net_ros.data.dataset import PoseJointSet
from ik_net_ros.errors import DatasetError
from ik_net_ros.kinematics.tracker_setup import is_base_frame_name, TrackerSetup

__all__ = ['in_base_frame']


def in_base_frame(data: PoseJointSet, setup: TrackerSetup) -> PoseJointSet:
    """
    Return ``data`` with measured poses as base-frame tool poses and joints at their instant.

    The velocities are used for the latency, then dropped.

    Raises
    ------
    DatasetError
        No measured poses; measured poses in a frame that is not the base frame while
        ``setup`` is the base frame (calibrate with the tracker frame first); a latency to apply
        without joint velocities.

    """
    if data.measured is None:
        raise DatasetError(f'{data.meta.get("source", "the data")}: no measured poses (columns '
                           'mx..mqw); record with collect -p measured_pose_topic:=...')
    frame = data.meta.get('measured_frame', '')
    if setup.is_base_frame and not is_base_frame_name(frame):
        raise DatasetError(f"{data.meta.get('source', 'the data')}: measured poses in frame "
                           f"'{frame}', not the base frame: calibrate first (ik_net_ros "
                           'calibrate estimates that frame) and pass the calibration')
    joints = data.joints
    if setup.latency:
        if data.velocities is None:
            raise DatasetError(f'{data.meta.get("source", "the data")}: the calibration has a '
                               f'latency of {1e3 * setup.latency:.1f} ms but the rows have no '
                               'joint velocities (vjoint1..vjoint4) to apply it with')
        joints = joints - data.velocities * setup.latency
    measured = setup.tool_from_measured(data.measured) if not setup.is_base_frame \
        else data.measured
    return PoseJointSet(data.poses, joints, {**data.meta, 'measured_frame': 'base'}, measured)
