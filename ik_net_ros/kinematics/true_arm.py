"""
A real arm is not the nominal one.

Its servo horns sit a little off zero, its links differ by a millimetre, and the XM430s sag under
gravity. :class:`TrueArm` is such an arm, for simulations (the sim backend's hidden truth, the
tracker, calibration tests and demos).

Sag: the gravity torque on joints 2 and 3 grows with the horizontal reach of what they carry, so
each deflects by ``sag[j] * h_j / L_j`` rad (h_j: the horizontal distance from joint j to the tool
along the arm's plane, signed; L_j: the length it can reach at most), tool pointing further down
(positive pitch) the further the arm reaches out.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
import math

from ik_net_ros.bounded_files import check_number, load_yaml
from ik_net_ros.errors import DatasetError
from ik_net_ros.kinematics.forward import forward_kinematics
from ik_net_ros.kinematics.geometry import (
    ArmGeometry,
    DEFAULT_GEOMETRY,
    geometry_from_dict,
    LINK_FIELDS,
)
from ik_net_ros.kinematics.rotations import canonical_quat
from ik_net_ros.kinematics.tracker_setup import BASE_FRAME, TrackerSetup
from ik_net_ros.kinematics.validation import as_joint_array
import numpy as np
import yaml

__all__ = ['TrueArm', 'LINK_FIELDS', 'measure', 'MAX_SAG']

MAX_SAG = 0.1  # rad: an XM430 arm sags a few tenths of a degree


@dataclass(frozen=True)
class TrueArm:
    """
    A simulated imperfect arm: its true geometry and a gravity sag.

    geometry: link lengths and joint zero offsets of this arm. sag: rad of joints 2 and 3 at the
    longest horizontal reach. tracker: the true setup of the tracker watching it (a simulation's
    camera frame, marker and latency; the base frame by default).
    """

    geometry: ArmGeometry = DEFAULT_GEOMETRY
    sag: tuple[float, float] = field(default=(0.0, 0.0))
    tracker: TrackerSetup = BASE_FRAME

    def link_angles(self, joints) -> np.ndarray:
        """Return the links' angles (N, 4) for commanded joints (N, 4): offsets, then sag."""
        q, _ = as_joint_array(joints)
        g = self.geometry
        q = q + np.asarray(g.joint_offsets)
        if any(self.sag):
            a23, a234 = q[:, 1] + q[:, 2], q[:, 1] + q[:, 2] + q[:, 3]
            tip3 = g.forearm * np.cos(a23) + g.tool * np.cos(a234)  # joint3 -> tool, horizontal
            tip2 = g.upper_arm_x * np.cos(q[:, 1]) + g.upper_arm_z * np.sin(q[:, 1]) + tip3
            q[:, 1] += self.sag[0] * tip2 / (g.upper_arm + g.forearm + g.tool)
            q[:, 2] += self.sag[1] * tip3 / (g.forearm + g.tool)
        return q

    def tool_poses(self, joints) -> np.ndarray:
        """Return the true tool poses (N, 7) or (7,) of commanded joints."""
        q, single = as_joint_array(joints)
        poses = forward_kinematics(self.link_angles(q), replace(self.geometry,
                                                                joint_offsets=(0.0,) * 4))
        return poses[0] if single else poses

    @classmethod
    def random(cls, seed: int = 0, offsets_deg: float = 1.5, links_mm: float = 1.5,
               sag_deg: float = 0.5, base: ArmGeometry = DEFAULT_GEOMETRY,
               tilt_deg: float = 0.0) -> TrueArm:
        """
        Return an arm with errors drawn uniformly up to the given sizes.

        The demo's imperfect arm: 1.5 deg offsets, 1.5 mm links, 0.5 deg sag; ``tilt_deg``
        leans each joint axis (two tilts per joint, drawn as the other errors; 0: none, and the
        other errors are drawn as without it).
        """
        rng = np.random.default_rng(seed)

        def draw(size, n=None):  # 60-100 % of the size, either sign: errors that matter
            return rng.choice([-1.0, 1.0], n) * rng.uniform(0.6 * size, size, n)
        links = {name: getattr(base, name) + 1e-3 * draw(links_mm) for name in LINK_FIELDS}
        offsets = tuple(np.radians(draw(offsets_deg, 4)).tolist())
        sag = tuple(np.radians(rng.uniform(0.5 * sag_deg, sag_deg, 2)).tolist())
        tilts = tuple(np.radians(draw(tilt_deg, 8)).tolist()) if tilt_deg else (0.0,) * 8
        return cls(replace(base, joint_offsets=offsets, axis_tilts=tilts, **links), tuple(sag))

    def as_dict(self) -> dict:
        return {'geometry': self.geometry.as_dict(), 'sag': list(self.sag),
                'tracker': self.tracker.as_dict()}

    @classmethod
    def from_dict(cls, data: dict) -> TrueArm:
        """Build a true arm from a mapping; ValueError if malformed or not an OM-X geometry."""
        if not isinstance(data, dict) or not isinstance(data.get('geometry', {}), dict):
            raise ValueError('a true arm is a mapping with geometry and sag')
        geometry = geometry_from_dict(data.get('geometry', {}))
        sag = data.get('sag', [0.0, 0.0])
        if not isinstance(sag, (list, tuple)) or len(sag) != 2:
            raise ValueError('sag must be a list of 2 angles')
        tracker = TrackerSetup.from_dict(data['tracker']) if 'tracker' in data else BASE_FRAME
        return cls(geometry, tuple(check_number(v, f'sag[{i}]', -MAX_SAG, MAX_SAG)
                                   for i, v in enumerate(sag)), tracker)

    def save(self, path) -> None:
        with open(path, 'w') as f:
            yaml.safe_dump(self.as_dict(), f, sort_keys=False)

    @classmethod
    def load(cls, path) -> TrueArm:
        """
        Load a true arm file.

        Raises
        ------
        DatasetError
            A missing, unreadable, oversized or malformed file (see
            :func:`ik_net_ros.bounded_files.load_yaml`) or values that are not an OM-X.

        """
        data = load_yaml(path, DatasetError, 'true arm')
        try:
            return cls.from_dict(data)
        except ValueError as e:
            raise DatasetError(f'{path}: not a true arm: {e}') from e


def measure(poses: np.ndarray, rng: np.random.Generator, position_sigma: float = 3e-4,
            orientation_sigma: float = math.radians(0.2)) -> np.ndarray:
    """
    Return what a tracker reports for true poses (N, 7).

    Gaussian position noise (m, per axis) and a random small rotation (rad, per axis of its
    rotation vector); quaternions stay canonical.
    """
    poses = np.array(poses, dtype=float, ndmin=2)
    position_sigma, orientation_sigma = abs(position_sigma), abs(orientation_sigma)  # -0.0 too
    out = poses.copy()
    out[:, :3] += rng.normal(0.0, position_sigma, (len(poses), 3))
    rotvec = rng.normal(0.0, orientation_sigma, (len(poses), 3))
    angle = np.linalg.norm(rotvec, axis=1, keepdims=True)
    axis = np.divide(rotvec, angle, out=np.zeros_like(rotvec), where=angle > 0)
    dq = np.concatenate([axis * np.sin(angle / 2), np.cos(angle / 2)], axis=1)
    x1, y1, z1, w1 = dq.T
    x2, y2, z2, w2 = poses[:, 3:].T
    quat = np.stack([w1 * x2 + x1 * w2 + y1 * z2 - z1 * y2, w1 * y2 - x1 * z2 + y1 * w2 + z1 * x2,
                     w1 * z2 + x1 * y2 - y1 * x2 + z1 * w2, w1 * w2 - x1 * x2 - y1 * y2 - z1 * z2],
                    -1)
    out[:, 3:] = canonical_quat(quat / np.linalg.norm(quat, axis=1, keepdims=True))
    return out
