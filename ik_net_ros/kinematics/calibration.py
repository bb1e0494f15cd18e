"""
Parametric calibration: the joint zero offsets and link lengths of one real arm.

Identified from measured tool poses by least squares on the forward kinematics.

Parameters: the four joint offsets (rad) and the links ``joint1_x, shoulder_height,
upper_arm_x, upper_arm_z, forearm, tool`` (m); the base height stays the description's (only
its sum with the shoulder height acts). Not every parameter can be told apart from every other:
the upper arm's x/z split trades against the joint2/joint3 offsets exactly, and a recording that
never moves a joint cannot show its offset. The step is a Gauss-Newton step truncated to the
directions the data determines (singular values of the scaled Jacobian above ``RANK_TOLERANCE``
of the largest): parameters the data cannot tell apart move only together (the minimum-norm
change of their combination) and are reported as not identifiable alone.

A calibration file (YAML, written by ``ik_net_ros calibrate``) carries the calibrated geometry
and the fit's figures; :func:`load_calibration` reads its geometry back.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
import math
from pathlib import Path

from ik_net_ros.bounded_files import load_yaml
from ik_net_ros.errors import DatasetError
from ik_net_ros.kinematics.forward import forward_kinematics
from ik_net_ros.kinematics.geometry import ArmGeometry, geometry_from_dict, LINK_FIELDS
from ik_net_ros.kinematics.rotations import pose_error, quat_angle  # refinement's error too
import numpy as np

__all__ = ['PARAMETERS', 'CalibrationResult', 'calibrate', 'pose_residuals', 'pose_errors',
           'ORIENTATION_WEIGHT', 'load_calibration', 'save_calibration']

LINKS = LINK_FIELDS
PARAMETERS = ('offset1', 'offset2', 'offset3', 'offset4') + LINKS
SCALE = np.array([math.radians(1.0)] * 4 + [1e-3] * 6)  # what "a typical error" is, per param
ORIENTATION_WEIGHT = 0.1  # m per rad: 0.2 deg of tracker noise weighs like 0.35 mm
RANK_TOLERANCE = 1e-4
TRIM = 5.0  # rows with a residual over this many times the median are left out
TRIM_ROUNDS = 3
PLAUSIBLE_RMS = 5e-3  # m-equivalent: a tracker that sees the tool centre fits far better
MAX_OUTLIER_SHARE = 0.2
CHUNK = 1 << 15  # rows per step of the sums: a chunk's Jacobian is about 16 MB


def _with(geometry: ArmGeometry, p: np.ndarray) -> ArmGeometry:
    return replace(geometry, joint_offsets=tuple(p[:4].tolist()),
                   **{name: float(v) for name, v in zip(LINKS, p[4:])})


def _vector(geometry: ArmGeometry) -> np.ndarray:
    return np.array([*geometry.joint_offsets, *(getattr(geometry, n) for n in LINKS)])


def pose_residuals(joints: np.ndarray, measured: np.ndarray, geometry: ArmGeometry
                   ) -> np.ndarray:
    """
    Return the (N * 6,) residuals of measured poses against the forward kinematics.

    Position (m) and orientation (rad x ORIENTATION_WEIGHT) of ``measured`` against the forward
    kinematics of ``joints`` in ``geometry``.
    """
    err = pose_error(measured, forward_kinematics(joints, geometry))
    err[:, 3:] *= ORIENTATION_WEIGHT
    return err.ravel()


def pose_errors(joints: np.ndarray, measured: np.ndarray, geometry: ArmGeometry) -> dict:
    """Median and p95 of the position (mm) and orientation (deg) errors."""
    mm, deg = np.empty(len(joints)), np.empty(len(joints))
    for i in range(0, len(joints), CHUNK):
        reached = forward_kinematics(joints[i:i + CHUNK], geometry)
        mm[i:i + CHUNK] = 1e3 * np.linalg.norm(reached[:, :3] - measured[i:i + CHUNK, :3],
                                               axis=1)
        deg[i:i + CHUNK] = np.degrees(quat_angle(reached[:, 3:], measured[i:i + CHUNK, 3:]))
    return {'position_mm_median': float(np.median(mm)),
            'position_mm_p95': float(np.percentile(mm, 95)),
            'orientation_deg_median': float(np.median(deg)),
            'orientation_deg_p95': float(np.percentile(deg, 95))}


@dataclass
class CalibrationResult:
    """
    What a calibration found, and how well it fits.

    geometry: the calibrated arm. nominal: where it started. std: 1-sigma uncertainty per parameter
    (NaN where not identifiable). identifiable: per parameter. rank: directions the data
    determines. residual_rms: m-equivalent RMS of the fit. fit/held_out: pose errors before
    ('nominal_...') and after.
    """

    geometry: ArmGeometry
    nominal: ArmGeometry
    std: dict[str, float]
    identifiable: dict[str, bool]
    rank: int
    residual_rms: float
    fit: dict = field(default_factory=dict)
    held_out: dict = field(default_factory=dict)
    rows: int = 0  # rows given
    outliers: list[int] = field(default_factory=list)  # rows left out of the fit
    outlier_rule: str = ''
    problems: list[str] = field(default_factory=list)  # why it is implausible for an OM-X

    def table(self) -> list[tuple[str, float, float, float, bool]]:
        """
        (name, nominal, calibrated, std, identifiable) per parameter.

        Offsets in degrees and lengths in mm.
        """
        rows = []
        for i, name in enumerate(PARAMETERS):
            unit = math.degrees(1.0) if i < 4 else 1e3
            rows.append((name, float(_vector(self.nominal)[i] * unit),
                         float(_vector(self.geometry)[i] * unit), float(self.std[name] * unit),
                         self.identifiable[name]))
        return rows

    def as_dict(self) -> dict:
        return {'geometry': self.geometry.as_dict(),
                'parameters': {name: {'nominal': nominal, 'calibrated': value, 'std': std,
                                      'identifiable': ok}
                               for name, nominal, value, std, ok in self.table()},
                'units': {'offsets': 'deg', 'lengths': 'mm'},
                'rank': self.rank, 'residual_rms_mm': 1e3 * self.residual_rms,
                'fit': self.fit, 'held_out': self.held_out, 'rows': self.rows,
                'outliers': len(self.outliers), 'outlier_rule': self.outlier_rule,
                'problems': list(self.problems)}


def calibrate(joints: np.ndarray, measured: np.ndarray, nominal: ArmGeometry,
              held_out: tuple[np.ndarray, np.ndarray] | None = None,
              iterations: int = 30, trim: float | None = TRIM,
              rounds: int = TRIM_ROUNDS) -> CalibrationResult:
    """
    Identify offsets and link lengths from commanded joints and measured tool poses.

    From ``joints`` (N, 4) and ``measured`` tool poses (N, 7), robustly: rows whose residual is
    over ``trim`` times the median are left out and the fit repeated, up to ``rounds`` times (a
    swapped marker, a tracker glitch or a mis-paired row would otherwise pull every parameter;
    None: no trimming). The result says which rows were left out and, in ``problems``, why the fit
    is implausible for an OM-X (a geometry outside
    :func:`~ik_net_ros.kinematics.geometry.geometry_from_dict`'s bounds, a residual RMS over
    PLAUSIBLE_RMS, more than MAX_OUTLIER_SHARE of the rows left out).

    Raises
    ------
    DatasetError
        Fewer rows than parameters, or non-finite values.

    """
    joints, measured = _checked(joints, measured)
    keep = np.ones(len(joints), bool)
    result, limit = None, math.inf
    for _ in range(rounds + 1 if trim else 1):
        result = _fit(joints[keep], measured[keep], nominal, iterations)
        if not trim:
            break
        norms = _row_norms(joints, measured, result.geometry)
        limit = trim * float(np.median(norms[keep]))
        update = norms <= limit
        if update.sum() < 2 * len(PARAMETERS) or np.array_equal(update, keep):
            break
        keep = update
    result.rows = len(joints)
    result.outliers = np.flatnonzero(~keep).tolist()
    result.outlier_rule = (f'residual over {trim:g}x the median ({1e3 * limit:.2f} '
                           'mm-equivalent)' if trim else 'none')
    result.fit = {'nominal': pose_errors(joints[keep], measured[keep], nominal),
                  'calibrated': pose_errors(joints[keep], measured[keep], result.geometry)}
    if held_out is not None and len(held_out[0]):
        result.held_out = {'nominal': pose_errors(*held_out, nominal),
                           'calibrated': pose_errors(*held_out, result.geometry)}
    result.problems = _problems(result)
    return result


def _problems(result: CalibrationResult) -> list[str]:
    problems = []
    try:
        geometry_from_dict(result.geometry.as_dict())
    except ValueError as e:
        problems.append(f'the calibrated geometry is not an OM-X ({e})')
    if result.residual_rms > PLAUSIBLE_RMS:
        problems.append(f'residual RMS {1e3 * result.residual_rms:.1f} mm-equivalent, over '
                        f'{1e3 * PLAUSIBLE_RMS:g}: the measurements are not the tool centre '
                        'in the base frame (a tracker frame, a marker offset, latency?)')
    if len(result.outliers) > MAX_OUTLIER_SHARE * result.rows:
        problems.append(f'{len(result.outliers)} of {result.rows} rows left out as outliers')
    return problems


def _row_norms(joints, measured, geometry) -> np.ndarray:
    """(N,) residual norm of each row (m-equivalent), a chunk at a time."""
    out = np.empty(len(joints))
    for i in range(0, len(joints), CHUNK):
        r = pose_residuals(joints[i:i + CHUNK], measured[i:i + CHUNK], geometry)
        out[i:i + CHUNK] = np.linalg.norm(r.reshape(-1, 6), axis=1)
    return out


def _checked(joints, measured) -> tuple[np.ndarray, np.ndarray]:
    """Check the rows; DatasetError for fewer rows than parameters, wrong shapes, NaN or inf."""
    joints, measured = np.asarray(joints, float), np.asarray(measured, float)
    if len(joints) < 2 * len(PARAMETERS) or joints.shape != (len(measured), 4) \
            or measured.shape[1:] != (7,):
        raise DatasetError(f'calibration needs at least {2 * len(PARAMETERS)} rows of joints '
                           f'(N, 4) and measured poses (N, 7), got {joints.shape} and '
                           f'{measured.shape}')
    if not (np.all(np.isfinite(joints)) and np.all(np.isfinite(measured))):
        raise DatasetError('calibration data contains NaN or inf')
    return joints, measured


def _fit(joints: np.ndarray, measured: np.ndarray, nominal: ArmGeometry,
         iterations: int) -> CalibrationResult:
    """Least squares on all the rows given (Gauss-Newton, rank-revealing)."""
    p = _vector(nominal)
    basis = None
    for _ in range(iterations):
        jtj, jtr, _, _ = _normal_equations(joints, measured, nominal, p)
        # J = U S V^T, so J^T J = V S^2 V^T: the SVD's directions without holding J (M x P)
        s2, v = np.linalg.eigh(jtj)
        s2, vt = np.maximum(s2[::-1], 0.0), v[:, ::-1].T
        s = np.sqrt(s2)
        keep = s > RANK_TOLERANCE * s[0]
        step = -(vt[keep].T @ ((vt[keep] @ jtr) / s2[keep])) * SCALE
        p = p + step
        basis = (s, vt, keep)
        if np.max(np.abs(step / SCALE)) < 1e-6:
            break
    s, vt, keep = basis
    _, _, rr, size = _normal_equations(joints, measured, nominal, p, jacobian=False)
    dof = max(1, size - int(keep.sum()))
    sigma2 = rr / dof
    cov = (vt[keep].T / s[keep] ** 2) @ vt[keep] * sigma2  # scaled-parameter covariance
    # a parameter is identifiable when it (nearly) lies in the determined directions
    inside = np.sum(vt[keep] ** 2, axis=0)
    identifiable = {name: bool(inside[i] > 1 - 1e-3) for i, name in enumerate(PARAMETERS)}
    std = {name: (float(math.sqrt(max(cov[i, i], 0.0)) * SCALE[i]) if identifiable[name]
                  else float('nan')) for i, name in enumerate(PARAMETERS)}
    geometry = _with(nominal, p)
    return CalibrationResult(geometry, nominal, std, identifiable, int(keep.sum()),
                             math.sqrt(rr / size))


def _normal_equations(joints, measured, nominal, p, jacobian: bool = True
                      ) -> tuple[np.ndarray | None, np.ndarray | None, float, int]:
    """
    Sum (J^T J, J^T r, r.r, residual count) a chunk of rows at a time.

    Memory stays bounded whatever the recording's length (J of 3 M rows would be 1.4 GB).
    """
    jtj = jtr = None
    if jacobian:
        jtj, jtr = np.zeros((len(p), len(p))), np.zeros(len(p))
    rr, size = 0.0, 0
    for i in range(0, len(joints), CHUNK):
        q, m = joints[i:i + CHUNK], measured[i:i + CHUNK]
        r = pose_residuals(q, m, _with(nominal, p))
        rr, size = rr + float(r @ r), size + r.size
        if jacobian:
            jac = _jacobian(q, m, nominal, p, r)  # (rows * 6, P), scaled columns
            jtj += jac.T @ jac
            jtr += jac.T @ r
    return jtj, jtr, rr, size


def _jacobian(joints, measured, nominal, p, r, eps: float = 1e-7) -> np.ndarray:
    """D residuals / d (parameter / SCALE), by forward differences."""
    cols = []
    for i in range(len(p)):
        dp = p.copy()
        dp[i] += eps * SCALE[i]
        cols.append((pose_residuals(joints, measured, _with(nominal, dp)) - r) / eps)
    return np.stack(cols, axis=1)


def save_calibration(result: CalibrationResult, path, extra: dict | None = None) -> None:
    """
    Write the calibration YAML atomically.

    Raises
    ------
    OSError
        The file cannot be written.

    """
    from ik_net_ros.atomic import atomic_write
    import yaml
    text = yaml.safe_dump({'format': 'ik_net_ros.calibration', 'version': 1,
                           **(extra or {}), **result.as_dict()}, sort_keys=False)
    atomic_write(Path(path), lambda f: f.write(text), 'w')


def load_calibration(path) -> ArmGeometry:
    """
    Return the calibrated geometry of a calibration file.

    Raises
    ------
    DatasetError
        Missing, unreadable, oversized or malformed file (see
        :func:`ik_net_ros.bounded_files.load_yaml`), or a geometry that is not an OM-X
        (:func:`ik_net_ros.kinematics.geometry.geometry_from_dict`).

    """
    path = Path(path)
    data = load_yaml(path, DatasetError, 'calibration')
    if not isinstance(data, dict) or data.get('format') != 'ik_net_ros.calibration' \
            or not isinstance(data.get('geometry'), dict):
        raise DatasetError(f'{path}: not an ik_net_ros calibration (write one with '
                           '`ik_net_ros calibrate`)')
    try:
        return geometry_from_dict(data['geometry'])
    except ValueError as e:
        raise DatasetError(f'{path}: geometry is not an OM-X: {e}') from e
