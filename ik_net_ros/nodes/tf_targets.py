"""
Frames through tf2 for the ik node, where tf2 is installed; the tracker frame on ``/tf_static``.

Targets in the frames the package knows itself (the base, ``world`` with the base placement,
the calibration's tracker frame: :class:`~ik_net_ros.kinematics.target_frames.TargetFrames`)
never wait for TF. Any other frame is looked up in a tf2 Buffer fed by a TransformListener on
the node: at the target's stamp, else the newest transform (a target stamped a little after the
newest TF message, or a static frame); a frame tf2 does not know is refused ``wrong_frame``,
one it cannot transform (no path to the base, extrapolation) ``transform``, with tf2's text.
The lookup does not block: the buffer is fed by this node's own executor, so a wait in the
target callback would hold up the very messages it waits for (and the newest target behind it).

Where tf2_msgs is importable, the calibrated tracker frame (parent ``<prefix>link1``) goes out
on ``/tf_static`` (TFMessage, reliable, transient local, depth 1: as tf2's
StaticTransformBroadcaster sends), so the camera's or motion capture's frames join the arm's
TF tree. Without tf2_ros (a venv of PyPI wheels) only the frames the package knows are taken,
and every other one is refused saying so: nothing is solved in a frame it is not in.
"""

from __future__ import annotations

from ik_net_ros.kinematics.rigid import compose
from ik_net_ros.kinematics.target_frames import FrameError, TargetFrames
import numpy as np
from rclpy.qos import DurabilityPolicy, HistoryPolicy, QoSProfile, ReliabilityPolicy
from rclpy.time import Time

__all__ = ['TfTargets', 'TransformFailed', 'STATIC_QOS', 'lookup_pose', 'transform_message']

STATIC_QOS = QoSProfile(depth=1, durability=DurabilityPolicy.TRANSIENT_LOCAL,
                        history=HistoryPolicy.KEEP_LAST, reliability=ReliabilityPolicy.RELIABLE)


class TransformFailed(FrameError):
    """tf2 knows the frame but cannot take it to the base now (the message is tf2's)."""

    code = 'transform'


def lookup_pose(buffer, errors, base: str, frame: str, stamp: Time) -> list[float]:
    """
    Return the pose (7,) of ``frame`` in ``base`` from a tf2 ``buffer``, at ``stamp`` or newest.

    ``errors``: the tf2_ros module (its exception classes). A zero stamp asks for the newest.

    Raises
    ------
    FrameError
        tf2 does not know ``frame`` (code wrong_frame).
    TransformFailed
        It cannot transform it to ``base`` (not connected, extrapolation, bad argument, no
        ``base`` in TF yet: robot_state_publisher not running).

    """
    failures = (errors.LookupException, errors.ConnectivityException,
                errors.ExtrapolationException, errors.InvalidArgumentException)
    try:
        try:
            transform = buffer.lookup_transform(base, frame, stamp)
        except errors.ExtrapolationException:
            if stamp.nanoseconds == 0:
                raise
            transform = buffer.lookup_transform(base, frame, Time())  # the newest it has
    except errors.LookupException as e:
        if f'"{frame}"' in str(e):  # tf2 names the frame it does not know
            raise FrameError(f"target in frame '{frame}', unknown to tf2: {e}") from e
        raise TransformFailed(f"target in frame '{frame}': tf2 cannot transform it to "
                              f"'{base}': {e}") from e
    except failures as e:
        raise TransformFailed(f"target in frame '{frame}': tf2 cannot transform it to "
                              f"'{base}': {e}") from e
    t, q = transform.transform.translation, transform.transform.rotation
    return [t.x, t.y, t.z, q.x, q.y, q.z, q.w]


def transform_message(message_type, parent: str, child: str, pose, stamp):
    """Return a geometry_msgs TransformStamped ``message_type`` of ``child`` in ``parent``."""
    msg = message_type()
    msg.header.stamp, msg.header.frame_id, msg.child_frame_id = stamp, parent, child
    t, r = msg.transform.translation, msg.transform.rotation
    t.x, t.y, t.z = (float(v) for v in pose[:3])
    r.x, r.y, r.z, r.w = (float(v) for v in pose[3:])
    return msg


class TfTargets:
    """
    The ik node's frames: its own, then tf2's; and its static transforms on /tf_static.

    ``base_link``: the arm's base link in its URDF (link1 on the OM-X, link0 on the OMX-F),
    where tf2 lookups of other frames end (under the node's prefix).
    """

    def __init__(self, node, publish_static: bool, base_link: str = 'link1'):
        self.node = node
        self.base_link = base_link  # the arm's base link in its URDF (the OMX-F's: link0)
        self.tf2 = self.buffer = self.listener = None
        try:
            import tf2_ros
        except ImportError:  # said once, at start
            node.get_logger().info('tf2_ros is not installed: targets are taken in the base '
                                   "frames and the calibration's tracker frame only")
        else:
            self.tf2, self.buffer = tf2_ros, tf2_ros.Buffer(node=node)
            self.listener = tf2_ros.TransformListener(self.buffer, node)
        self.static_pub = self.tf_message = None
        if publish_static:
            try:
                from tf2_msgs.msg import TFMessage
            except ImportError:
                node.get_logger().info('tf2_msgs is not installed: the tracker frame is not '
                                       'published on /tf_static')
            else:
                self.tf_message = TFMessage
                self.static_pub = node.create_publisher(TFMessage, '/tf_static', STATIC_QOS)

    def to_base(self, frames: TargetFrames, header, pose: list[float]) -> list[float]:
        """
        Return ``pose`` given in ``header.frame_id`` in the arm's base frame.

        Raises
        ------
        FrameError
            A frame neither the package nor tf2 can take to the base (``code`` says which).

        """
        frame = header.frame_id
        if self.buffer is None or frames.known(frame):
            return frames.to_base(frame, pose)
        base = f'{frames.prefix}{self.base_link}'
        moved = lookup_pose(self.buffer, self.tf2, base, frame, Time.from_msg(header.stamp))
        with np.errstate(invalid='ignore', divide='ignore', over='ignore'):
            return compose(np.asarray(moved), np.asarray(pose)).tolist()

    def publish_static(self, frames: TargetFrames) -> list[tuple[str, str, list[float]]]:
        """Publish the frames' static transforms (where tf2_msgs is); return what was sent."""
        if self.static_pub is None:
            return []
        from geometry_msgs.msg import TransformStamped
        sent = frames.static_transforms()
        stamp = self.node.get_clock().now().to_msg()
        if sent:  # transient local: a late subscriber still gets the newest
            self.static_pub.publish(self.tf_message(transforms=[
                transform_message(TransformStamped, *t, stamp) for t in sent]))
        return sent
