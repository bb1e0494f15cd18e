"""Message <-> numpy conversions and small helpers shared by the nodes."""

from __future__ import annotations

from builtin_interfaces.msg import Time
from geometry_msgs.msg import PoseStamped
from ik_net_ros.arm import default_arm
import numpy as np
from sensor_msgs.msg import JointState
from trajectory_msgs.msg import JointTrajectory, JointTrajectoryPoint

__all__ = ['pose_to_array', 'pose_to_list', 'array_to_pose', 'joint_state', 'joints_by_name',
           'stamp_to_seconds', 'trajectory']


def pose_to_array(msg: PoseStamped) -> np.ndarray:
    """(7,) [x, y, z, qx, qy, qz, qw] of a PoseStamped (no validation here)."""
    p, q = msg.pose.position, msg.pose.orientation
    return np.array([p.x, p.y, p.z, q.x, q.y, q.z, q.w], dtype=float)


def pose_to_list(msg: PoseStamped) -> list[float]:
    """
    [x, y, z, qx, qy, qz, qw] of a PoseStamped as Python floats (no validation here).

    The solver's single-pose path takes a list without a conversion.
    """
    p, q = msg.pose.position, msg.pose.orientation
    return [p.x, p.y, p.z, q.x, q.y, q.z, q.w]


def array_to_pose(pose, frame_id: str, stamp: Time) -> PoseStamped:
    """Return a PoseStamped from (7,) [x, y, z, qx, qy, qz, qw]."""
    msg = PoseStamped()
    msg.header.frame_id = frame_id
    msg.header.stamp = stamp
    p, q = msg.pose.position, msg.pose.orientation
    p.x, p.y, p.z, q.x, q.y, q.z, q.w = (float(v) for v in pose)
    return msg


def joint_state(positions, stamp: Time, velocities=None, names=None) -> JointState:
    """Return a JointState of the joints ``names`` (rad, rad/s; None: the default arm's)."""
    msg = JointState()
    msg.header.stamp = stamp
    msg.name = list(names if names is not None else default_arm().joint_names)
    msg.position = [float(v) for v in positions]
    if velocities is not None:
        msg.velocity = [float(v) for v in velocities]
    return msg


def joints_by_name(msg: JointState, names=None) -> np.ndarray | None:
    """
    Positions (len(names),) of ``names`` matched by name (other joints ignored).

    ``names``: the arm's joints (None: the default arm's).

    None if one is missing, a name appears twice (which value would be meant?) or the message's
    arrays do not line up.
    """
    if len(msg.position) != len(msg.name) or len(set(msg.name)) != len(msg.name):
        return None
    if names is None:
        names = default_arm().joint_names
    index = {name: i for i, name in enumerate(msg.name)}
    if not all(n in index for n in names):
        return None
    return np.array([msg.position[index[n]] for n in names], dtype=float)


def stamp_to_seconds(stamp: Time) -> float:
    return stamp.sec + stamp.nanosec * 1e-9


def trajectory(names, joints, seconds: float) -> JointTrajectory:
    """
    Return a JointTrajectory of one point at ``joints`` (rad), ``seconds`` from its start.

    ``seconds`` must be bounded (int32 seconds: see solver.trajectory_timing.bounded_duration).
    """
    point = JointTrajectoryPoint()
    point.positions = [float(v) for v in joints]
    whole = int(seconds)
    point.time_from_start.sec = whole
    point.time_from_start.nanosec = min(999_999_999, int((seconds - whole) * 1e9))
    return JointTrajectory(joint_names=list(names), points=[point])
