"""
Where a tracker sees the arm from: its frame, the marker on the tool, its time offset.

A camera or motion-capture system reports the pose of a *marker* in *its own frame*, stamped
some time after the instant it shows. With ``frame`` the tracker frame's pose in the arm's base
frame, ``marker`` the marker's pose in the tool frame (the tool centre point, ROBOTIS's
``end_effector_link``) and ``tool`` the tool's pose in the base frame::

    measured = inverse(frame) * tool * marker

and the measurement shows the arm at its stamp minus ``latency``. Measurements already in the
base frame of the tool centre point, in sync, are :data:`BASE_FRAME` (every transform the
identity, no latency).

The closed-form start of a calibration is the robot-world/hand-eye problem A X = Z B (Shah,
"Solving the robot-world/hand-eye calibration problem using the Kronecker product", J. Mech.
Robotics 2013): :func:`hand_eye_closed_form`.
"""

from __future__ import annotations

from dataclasses import dataclass
import math

from ik_net_ros.bounded_files import check_number
from ik_net_ros.kinematics.rigid import (
    compose,
    IDENTITY,
    invert,
    matrix_to_quat,
    pose_from_xyz_rpy,
    xyz_rpy_from_pose,
)
from ik_net_ros.kinematics.rotations import quat_to_matrix
import numpy as np

__all__ = ['TrackerSetup', 'BASE_FRAME', 'hand_eye_closed_form', 'frame_given_marker',
           'MAX_FRAME_DISTANCE', 'MAX_MARKER_DISTANCE', 'MAX_LATENCY', 'BASE_FRAME_NAMES',
           'is_base_frame_name', 'check_xyz_rpy']

MAX_FRAME_DISTANCE = 20.0  # m: a tracker frame farther from the arm than a large room is a typo
MAX_MARKER_DISTANCE = 0.3  # m: a marker on the OM-X's gripper, not on another object
MAX_LATENCY = 1.0  # s
BASE_FRAME_NAMES = ('world', 'link1')  # ROBOTIS's base frames, one frame in both descriptions


def is_base_frame_name(name: str, prefix: str | None = None) -> bool:
    """
    Tell whether a frame name is the arm's base frame.

    '' (a recording that names none), 'world', or '<prefix>link1' (ROBOTIS's xacro prefix; any
    prefix where ``prefix`` is None, as for a recording that does not say which arm).
    """
    if name in ('', BASE_FRAME_NAMES[0]) or name == f'{prefix or ""}{BASE_FRAME_NAMES[1]}':
        return True
    return prefix is None and isinstance(name, str) and name.endswith(BASE_FRAME_NAMES[1])


def check_xyz_rpy(values, name: str, distance: float) -> list[float]:
    """
    Return a pose given as x, y, z (m) and roll, pitch, yaw (deg) as 6 floats, checked.

    Raises
    ------
    ValueError
        Not 6 finite numbers, the position farther than ``distance`` m from the origin, an
        angle beyond 360 deg.

    """
    if not isinstance(values, (list, tuple, np.ndarray)) or len(values) != 6:
        raise ValueError(f'{name} must be 6 numbers: x, y, z (m), roll, pitch, yaw (deg)')
    xyz = [check_number(v, f'{name}[{i}]', -distance, distance) for i, v in enumerate(values[:3])]
    rpy = [check_number(v, f'{name}[{i + 3}]', -360.0, 360.0) for i, v in enumerate(values[3:])]
    if math.dist(xyz, (0.0, 0.0, 0.0)) > distance:
        raise ValueError(f'{name}: {math.dist(xyz, (0, 0, 0)):.3f} m away, over {distance} m')
    return xyz + rpy


@dataclass(frozen=True)
class TrackerSetup:
    """
    A tracker's frame, marker and time offset (see the module).

    frame: the tracker frame's pose (7,) in the base frame. marker: the marker's pose (7,) in the
    tool frame. latency: s by which the measurement stamps are late. frame_id: the tracker
    frame's name, as its messages carry it ('' where unknown).
    """

    frame: tuple = IDENTITY
    marker: tuple = IDENTITY
    latency: float = 0.0
    frame_id: str = ''

    def measured_from_tool(self, tool) -> np.ndarray:
        """Return what the tracker reports (N, 7) for tool poses (N, 7) in the base frame."""
        return compose(invert(np.asarray(self.frame)), compose(tool, np.asarray(self.marker)))

    def tool_from_measured(self, measured) -> np.ndarray:
        """Return the tool poses (N, 7) in the base frame that measurements (N, 7) show."""
        return compose(compose(np.asarray(self.frame), measured),
                       invert(np.asarray(self.marker)))

    @property
    def is_base_frame(self) -> bool:
        return (np.allclose(self.frame, IDENTITY, atol=0) and
                np.allclose(self.marker, IDENTITY, atol=0) and self.latency == 0.0)

    def as_dict(self) -> dict:
        """Return the file form: positions in m, fixed-axis roll/pitch/yaw in deg."""
        return {'frame_id': self.frame_id,
                'frame_xyz_rpy': [round(v, 9) for v in xyz_rpy_from_pose(self.frame)],
                'marker_xyz_rpy': [round(v, 9) for v in xyz_rpy_from_pose(self.marker)],
                'latency_s': float(self.latency)}

    @classmethod
    def from_dict(cls, data) -> TrackerSetup:
        """
        Read the file form of :meth:`as_dict`.

        Raises
        ------
        ValueError
            Not a mapping, a list that is not 6 numbers, a frame farther than
            MAX_FRAME_DISTANCE, a marker farther than MAX_MARKER_DISTANCE from the tool centre,
            a latency beyond MAX_LATENCY.

        """
        if not isinstance(data, dict):
            raise ValueError('tracker must be a mapping (frame_xyz_rpy, marker_xyz_rpy, '
                             'latency_s, frame_id)')
        frame = _pose(data.get('frame_xyz_rpy', [0.0] * 6), 'frame_xyz_rpy', MAX_FRAME_DISTANCE)
        marker = _pose(data.get('marker_xyz_rpy', [0.0] * 6), 'marker_xyz_rpy',
                       MAX_MARKER_DISTANCE)
        latency = check_number(data.get('latency_s', 0.0), 'latency_s', -MAX_LATENCY,
                               MAX_LATENCY)
        frame_id = data.get('frame_id', '')
        if not isinstance(frame_id, str) or len(frame_id) > 256:
            raise ValueError('frame_id must be a frame name')
        return cls(tuple(frame), tuple(marker), float(latency), frame_id)


BASE_FRAME = TrackerSetup()


def _pose(values, name: str, distance: float) -> np.ndarray:
    return pose_from_xyz_rpy(check_xyz_rpy(values, name, distance))


def hand_eye_closed_form(measured: np.ndarray, tool: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """
    Solve ``measured_i = inverse(frame) * tool_i * marker`` for frame and marker in closed form.

    Shah's Kronecker-product solution of A Y = Z B (A = measured, B = tool, Z = inverse(frame),
    Y = inverse(marker)): the rotations from the null vector of the stacked linear system, each
    projected onto SO(3), then the translations by linear least squares. Needs rotations of the
    tool about at least two axes (the OM-X's yaw and pitch give them).

    Returns the frame and marker poses (7,).

    Raises
    ------
    ValueError
        Fewer than 3 rows, or motions that leave the rotations undetermined.

    """
    a, b = np.asarray(measured, float).reshape(-1, 7), np.asarray(tool, float).reshape(-1, 7)
    if len(a) < 3 or len(a) != len(b):
        raise ValueError('hand-eye needs at least 3 pairs of poses')
    ra, rb = quat_to_matrix(a[:, 3:]), quat_to_matrix(b[:, 3:])
    eye = np.eye(3)
    # R_A R_Y = R_Z R_B, column-major vec: (I kron R_A) vec(R_Y) - (R_B^T kron I) vec(R_Z) = 0
    k = np.concatenate([np.concatenate([np.kron(eye, ra[i]), -np.kron(rb[i].T, eye)], 1)
                        for i in range(len(a))])
    _, s, vt = np.linalg.svd(k)
    if s[-2] < 1e-6 * s[0]:
        raise ValueError('the tool rotated about fewer than two axes: rotations undetermined')
    ry, rz = (_nearest_rotation(vt[-1][i:i + 9].reshape(3, 3, order='F')) for i in (0, 9))
    # R_A t_Y + t_A = R_Z t_B + t_Z  ->  [R_A, -I] [t_Y; t_Z] = R_Z t_B - t_A
    lhs = np.concatenate([np.concatenate([ra[i], -eye], 1) for i in range(len(a))])
    rhs = np.concatenate([rz @ b[i, :3] - a[i, :3] for i in range(len(a))])
    t = np.linalg.lstsq(lhs, rhs, rcond=None)[0]
    z = np.concatenate([t[3:], matrix_to_quat(rz)[0]])
    y = np.concatenate([t[:3], matrix_to_quat(ry)[0]])
    return invert(z), invert(y)


def frame_given_marker(measured: np.ndarray, tool: np.ndarray, marker) -> np.ndarray:
    """
    Return the tracker frame (7,) that best explains measurements with a known ``marker``.

    Each row gives frame = tool * marker * inverse(measured); the rotations are averaged by
    projecting their sum onto SO(3), the positions by their median (an outlier row moves
    neither far).
    """
    each = compose(compose(tool, np.asarray(marker)), invert(measured))
    rot = _nearest_rotation(quat_to_matrix(each[:, 3:]).sum(axis=0))
    return np.concatenate([np.median(each[:, :3], axis=0), matrix_to_quat(rot)[0]])


def _nearest_rotation(m: np.ndarray) -> np.ndarray:
    """Return the rotation nearest ``m`` (3, 3) up to scale and sign (SVD projection)."""
    u, _, vt = np.linalg.svd(m)
    r = u @ vt
    if np.linalg.det(r) < 0:  # the null vector's sign is arbitrary: -R then
        r = -r if np.linalg.det(-r) > 0 else u @ np.diag([1.0, 1.0, -1.0]) @ vt
    return r
