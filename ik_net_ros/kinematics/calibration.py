"""
Calibration: one real arm's joint offsets and link lengths, and where its tracker sees it from.

Identified from measured poses by least squares on the forward kinematics. Arm parameters: the
four joint offsets (rad) and the links ``joint1_x, shoulder_height, upper_arm_x, upper_arm_z,
forearm, tool`` (m); the base height stays the description's (only its sum with the shoulder
height acts). Tracker parameters (:class:`~ik_net_ros.kinematics.tracker_setup.TrackerSetup`):
the tracker frame's pose in the base frame (6), the marker's pose on the tool (6) and the
tracker's time offset (1, from the joint velocities recorded with each row), each fixed,
estimated with a prior (a marker known from CAD to 0.5 mm / 0.5 deg) or estimated freely.

Not every parameter can be told apart from every other: the upper arm's x/z split trades against
the joint2/joint3 offsets exactly, a marker's offset along the tool against the tool length, the
tracker frame's height against the shoulder height. The step is a Gauss-Newton step truncated
to the directions the data (and the priors) determine: parameters nothing can tell apart move
only together and are reported so; each parameter says what determined it (the data, its prior,
or only a combination).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
import math

from ik_net_ros.errors import DatasetError
from ik_net_ros.kinematics.forward import forward_kinematics
from ik_net_ros.kinematics.geometry import (
    ArmGeometry,
    geometry_from_dict,
    LINK_FIELDS,
    sample_joints,
    TILT_NAMES,
)
from ik_net_ros.kinematics.rigid import perturb, xyz_rpy_from_pose
from ik_net_ros.kinematics.rotations import pose_error, quat_angle
from ik_net_ros.kinematics.tracker_setup import BASE_FRAME, TrackerSetup
import numpy as np

__all__ = ['PARAMETERS', 'ARM_PARAMETERS', 'CalibrationResult', 'TrackerFit', 'calibrate',
           'pose_errors', 'ORIENTATION_WEIGHT', 'LINKS']

LINKS = LINK_FIELDS
ARM_PARAMETERS = ('offset1', 'offset2', 'offset3', 'offset4') + LINKS
FRAME_PARAMETERS = tuple(f'frame_{a}' for a in ('x', 'y', 'z', 'rx', 'ry', 'rz'))
MARKER_PARAMETERS = tuple(f'marker_{a}' for a in ('x', 'y', 'z', 'rx', 'ry', 'rz'))
PARAMETERS = ARM_PARAMETERS + FRAME_PARAMETERS + MARKER_PARAMETERS + ('latency',) + TILT_NAMES
_DEG, _MM, _MS = math.radians(1.0), 1e-3, 1e-3
_TILTS = slice(23, 23 + len(TILT_NAMES))
SCALE = np.array([_DEG] * 4 + [_MM] * 6 + ([_MM] * 3 + [_DEG] * 3) * 2 + [_MS] + [_DEG] * 8)
UNITS = ['deg'] * 4 + ['mm'] * 6 + (['mm'] * 3 + ['deg'] * 3) * 2 + ['ms'] + ['deg'] * 8
SHOW = np.array([math.degrees(1.0)] * 4 + [1e3] * 6 + ([1e3] * 3 + [math.degrees(1.0)] * 3) * 2
                + [1e3] + [math.degrees(1.0)] * 8)
# what a free tracker frame absorbs: joint1's zero, its position and its axis's tilt move the
# whole arm rigidly
BASE_RIGID = ('offset1', 'joint1_x', 'shoulder_height', 'tilt1_x', 'tilt1_y')
TILT_SIGMA = math.radians(1.0)  # prior of a joint axis's tilt: a bracket is not degrees off
ORIENTATION_WEIGHT = 0.1  # m per rad: 0.2 deg of tracker noise weighs like 0.35 mm
PRIOR_UNIT = 5e-4  # m-equivalent a one-sigma prior deviation weighs (about the tracker noise)
RANK_TOLERANCE = 1e-4
TRIM = 5.0  # rows with a residual over this many times the median are left out
TRIM_ROUNDS = 3
PLAUSIBLE_RMS = 5e-3  # m-equivalent: a tracker that sees the marker fits far better
MAX_OUTLIER_SHARE = 0.2
# joint configurations spread over the limits: what every parameter the model can tell apart
# needs (a few distinct poses already do, see ``undetermined``)
GENERIC_ROWS, GENERIC_SEED = 200, 12_345
CHUNK = 1 << 14  # rows per step of the sums: a chunk's Jacobian is about 18 MB


@dataclass(frozen=True)
class TrackerFit:
    """
    Which tracker parameters a calibration estimates.

    frame: estimate the tracker frame (False: it is ``setup.frame``, for a tracker that reports
    in the base frame). marker_sigma: (m, rad) prior of the marker pose given in the setup (a
    CAD or pivot calibration's uncertainty); None: the marker is fixed; inf: estimated freely.
    latency: estimate the time offset (needs joint velocities). tilts: estimate the joint axes'
    tilts (two per joint, a prior of TILT_SIGMA each): a fuller model of the arm.
    """

    frame: bool = False
    marker_sigma: tuple[float, float] | None = None
    latency: bool = False
    tilts: bool = False


@dataclass
class CalibrationResult:
    """
    What a calibration found, and how well it fits.

    geometry, setup: the calibrated arm and tracker. nominal: where the arm started. std: 1-sigma
    uncertainty per parameter (NaN where not determined). source: per parameter, 'data', 'prior',
    'combination' (determined only with others), 'fixed', or 'frame' (held nominal: a free
    tracker frame takes it, see BASE_RIGID). rank: directions determined.
    residual_rms: m-equivalent RMS of the fit. fit/held_out: pose errors before ('nominal') and
    after ('calibrated'), as the tracker sees them.
    """

    geometry: ArmGeometry
    nominal: ArmGeometry
    std: dict[str, float]
    source: dict[str, str]
    rank: int
    residual_rms: float
    setup: TrackerSetup = BASE_FRAME
    start_setup: TrackerSetup = BASE_FRAME
    fit: dict = field(default_factory=dict)
    held_out: dict = field(default_factory=dict)
    rows: int = 0  # rows given
    outliers: list[int] = field(default_factory=list)  # rows left out of the fit
    outlier_rule: str = ''
    problems: list[str] = field(default_factory=list)  # why it is implausible for an OM-X
    # the directions, and per parameter the source, that joints spread over the limits give
    # with the same model: what this recording should determine
    generic_rank: int = 0
    generic_source: dict[str, str] = field(default_factory=dict)

    @property
    def undetermined(self) -> dict[str, str]:
        """
        Return the parameters spread joints determine from the data that this recording does not.

        Name -> 'prior' (held only by its prior) or 'combination' (only with others). Empty when
        the recording determines what the model can tell apart; else, and when ``rank`` is under
        ``generic_rank``, the values of these parameters are the truncated step's and the noise's,
        not the arm's.
        """
        return {name: src for name, src in self.source.items()
                if self.generic_source.get(name) == 'data' and src != 'data'}

    @property
    def identifiable(self) -> dict[str, bool]:
        return {name: src in ('data', 'prior') for name, src in self.source.items()}

    def table(self) -> list[tuple[str, float, float, float, str, str]]:
        """Return (name, start, calibrated, std, unit, source) per parameter shown."""
        start = _vector(self.nominal, self.start_setup)
        now = _vector(self.geometry, self.setup)
        return [(name, float(start[i] * SHOW[i]), float(now[i] * SHOW[i]),
                 float(self.std[name] * SHOW[i]), UNITS[i], self.source[name])
                for i, name in enumerate(PARAMETERS)
                if i < len(ARM_PARAMETERS) or self.source[name] != 'fixed']

    def as_dict(self) -> dict:
        return {'geometry': self.geometry.as_dict(), 'tracker': self.setup.as_dict(),
                'parameters': {name: {'start': start, 'calibrated': value, 'std': std,
                                      'unit': unit, 'determined_by': source}
                               for name, start, value, std, unit, source in self.table()},
                'rank': self.rank, 'residual_rms_mm': 1e3 * self.residual_rms,
                'fit': self.fit, 'held_out': self.held_out, 'rows': self.rows,
                'outliers': len(self.outliers), 'outlier_rule': self.outlier_rule,
                'problems': list(self.problems), 'generic_rank': self.generic_rank}


def _vector(geometry: ArmGeometry, setup: TrackerSetup) -> np.ndarray:
    """Return the parameters as shown: frame and marker as x, y, z and roll, pitch, yaw (rad)."""
    out = np.zeros(len(PARAMETERS))
    out[:4] = geometry.joint_offsets
    out[4:10] = [getattr(geometry, n) for n in LINKS]
    for k, pose in enumerate((setup.frame, setup.marker)):
        xyz_rpy = xyz_rpy_from_pose(pose)
        out[10 + 6 * k:13 + 6 * k] = xyz_rpy[:3]
        out[13 + 6 * k:16 + 6 * k] = np.radians(xyz_rpy[3:])
    out[22] = setup.latency
    out[_TILTS] = geometry.axis_tilts
    return out


class _Model:
    """The measurement model at parameter offsets ``p`` from a start (geometry, setup)."""

    def __init__(self, nominal: ArmGeometry, start: TrackerSetup):
        self.nominal, self.start = nominal, start
        # the optimised vector: arm parameters, frame and marker positions, then rotation vectors
        # relative to the start (0 there), and the latency
        self.p0 = _vector(nominal, start)
        self.p0[13:16] = self.p0[19:22] = 0.0

    def at(self, p: np.ndarray) -> tuple[ArmGeometry, TrackerSetup]:
        geometry = replace(self.nominal, joint_offsets=tuple(p[:4].tolist()),
                           axis_tilts=tuple(p[_TILTS].tolist()),
                           **{name: float(v) for name, v in zip(LINKS, p[4:10])})
        frame = perturb(self.start.frame, np.concatenate([p[10:13] - self.p0[10:13],
                                                          p[13:16]]))
        marker = perturb(self.start.marker, np.concatenate([p[16:19] - self.p0[16:19],
                                                            p[19:22]]))
        return geometry, replace(self.start, frame=tuple(frame), marker=tuple(marker),
                                 latency=float(p[22]))

    def predict(self, p, joints, velocities) -> np.ndarray:
        geometry, setup = self.at(p)
        if velocities is not None and setup.latency:
            joints = joints - velocities * setup.latency  # the arm at the stamp minus latency
        return setup.measured_from_tool(forward_kinematics(joints, geometry))

    def residuals(self, p, joints, measured, velocities) -> np.ndarray:
        err = pose_error(measured, self.predict(p, joints, velocities))
        err[:, 3:] *= ORIENTATION_WEIGHT
        return err


def pose_errors(predicted: np.ndarray, measured: np.ndarray) -> dict:
    """Return median and p95 of the position (mm) and orientation (deg) errors."""
    mm = 1e3 * np.linalg.norm(predicted[:, :3] - measured[:, :3], axis=1)
    deg = np.degrees(quat_angle(predicted[:, 3:], measured[:, 3:]))
    return {'position_mm_median': float(np.median(mm)),
            'position_mm_p95': float(np.percentile(mm, 95)),
            'orientation_deg_median': float(np.median(deg)),
            'orientation_deg_p95': float(np.percentile(deg, 95))}


def calibrate(joints: np.ndarray, measured: np.ndarray, nominal: ArmGeometry,
              held_out: tuple | None = None, iterations: int = 30,
              trim: float | None = TRIM, rounds: int = TRIM_ROUNDS,
              setup: TrackerSetup = BASE_FRAME, estimate: TrackerFit = TrackerFit(),
              velocities: np.ndarray | None = None) -> CalibrationResult:
    """
    Identify the arm (and the tracker, as ``estimate`` says) from joints and measured poses.

    From commanded ``joints`` (N, 4), ``measured`` poses (N, 7) as the tracker reports them and,
    to estimate the time offset, the joint ``velocities`` (N, 4) rad/s at each row. ``setup``
    is the starting (or known) tracker setup. Robust: rows whose residual is over ``trim``
    times the median are left out and the fit repeated, up to ``rounds`` times (a swapped
    marker, a tracker glitch or a mis-paired row would otherwise pull every parameter; None:
    no trimming). ``held_out``: (joints, measured[, velocities]) checked after the fit. The
    result says which rows were left out and, in ``problems``, why the fit is implausible for
    an OM-X (a geometry outside :func:`~ik_net_ros.kinematics.geometry.geometry_from_dict`'s
    bounds, a residual RMS over PLAUSIBLE_RMS, more than MAX_OUTLIER_SHARE of the rows left out).

    Raises
    ------
    DatasetError
        Fewer rows than parameters, wrong shapes, non-finite values, or a latency to
        estimate without velocities.

    """
    joints, measured, velocities = _checked(joints, measured, velocities)
    if estimate.latency and velocities is None:
        raise DatasetError('estimating the time offset needs the joint velocities of each row '
                           '(columns vjoint1..vjoint4, recorded by collect)')
    model = _Model(nominal, setup)
    active, prior = _active(estimate)
    keep = np.ones(len(joints), bool)
    p, limit, result = model.p0.copy(), math.inf, None
    for _ in range(rounds + 1 if trim else 1):
        v = None if velocities is None else velocities[keep]
        p, result = _fit(model, p, active, prior, joints[keep], measured[keep], v, iterations)
        if not trim:
            break
        norms = np.linalg.norm(model.residuals(p, joints, measured, velocities), axis=1)
        limit = trim * float(np.median(norms[keep]))
        update = norms <= limit
        if update.sum() < 2 * _TILTS.start or np.array_equal(update, keep):
            break
        keep = update
    result.start_setup = setup
    generic = _generic(model, p, active, prior, velocities is not None)
    result.generic_rank, result.generic_source = generic.rank, generic.source
    result.rows = len(joints)
    result.outliers = np.flatnonzero(~keep).tolist()
    result.outlier_rule = (f'residual over {trim:g}x the median ({1e3 * limit:.2f} '
                           'mm-equivalent)' if trim else 'none')
    v = None if velocities is None else velocities[keep]
    result.fit = {'nominal': pose_errors(model.predict(model.p0, joints[keep], v), measured[keep]),
                  'calibrated': pose_errors(model.predict(p, joints[keep], v), measured[keep])}
    if held_out is not None and len(held_out[0]):
        hj, hm, hv = _checked(held_out[0], held_out[1],
                              held_out[2] if len(held_out) > 2 else None, at_least=1)
        result.held_out = {'nominal': pose_errors(model.predict(model.p0, hj, hv), hm),
                           'calibrated': pose_errors(model.predict(p, hj, hv), hm)}
    result.problems = _problems(result)
    return result


def _generic(model: _Model, p: np.ndarray, active, prior, velocities: bool
             ) -> CalibrationResult:
    """
    Return what joints spread over the limits determine with this model (its rank, sources).

    Evaluated at ``p`` on GENERIC_ROWS configurations uniform in the joint limits, measured
    exactly as the model predicts (the Jacobian, not the residual, decides what is determined),
    with random joint velocities where the latency is estimated.
    """
    rng = np.random.default_rng(GENERIC_SEED)
    joints = sample_joints(GENERIC_ROWS, rng)
    v = rng.normal(0.0, 0.5, joints.shape) if velocities else None
    _, result = _fit(model, p, active, prior, joints, model.predict(p, joints, v), v, 0)
    return result


def _active(estimate: TrackerFit) -> tuple[np.ndarray, np.ndarray]:
    """Return which parameters move and the prior weight (1/sigma, 0: none) of each."""
    active = np.zeros(len(PARAMETERS), bool)
    active[:10] = True
    prior = np.zeros(len(PARAMETERS))
    if estimate.frame:
        # a free tracker frame moves the whole arm: joint1's zero, joint1_x and the shoulder
        # height are then the same as a frame rotation about joint1 and a frame translation.
        # They stay nominal and the frame takes them: the base frame is where joint1's zero
        # and axis say, and targets seen by the tracker are reached exactly.
        active[[PARAMETERS.index(n) for n in BASE_RIGID]] = False
        active[10:16] = True
    if estimate.marker_sigma is not None:
        active[16:22] = True
        pos, ang = estimate.marker_sigma
        prior[16:19] = 0.0 if math.isinf(pos) else 1.0 / max(pos, 1e-9)
        prior[19:22] = 0.0 if math.isinf(ang) else 1.0 / max(ang, 1e-9)
    active[22] = estimate.latency
    if estimate.tilts:
        active[_TILTS] = True
        prior[_TILTS] = 1.0 / TILT_SIGMA
        # joint2's axis turned about z is joint1 turned: its zero (offset1) holds that
        active[PARAMETERS.index('tilt2_z')] = False
        if estimate.frame:
            active[[PARAMETERS.index(n) for n in BASE_RIGID if n in TILT_NAMES]] = False
    return active, prior


def _fit(model: _Model, p: np.ndarray, active, prior, joints, measured, velocities,
         iterations: int) -> tuple[np.ndarray, CalibrationResult]:
    """Gauss-Newton, rank-revealing, over the active parameters, with their priors."""
    idx = np.flatnonzero(active)
    scale = SCALE[idx]
    w = PRIOR_UNIT * prior[idx] * scale  # prior rows' Jacobian in scaled units
    for _ in range(iterations):
        jtj, jtr, _, _ = _normal_equations(model, p, idx, joints, measured, velocities)
        jtj = jtj + np.diag(w ** 2)
        jtr = jtr + w * (PRIOR_UNIT * prior[idx] * (p[idx] - model.p0[idx]))
        s, vt, keep = _directions(jtj)
        step = -(vt[keep].T @ ((vt[keep] @ jtr) / s[keep] ** 2)) * scale
        p = p.copy()
        p[idx] += step
        if np.max(np.abs(step / scale)) < 1e-6:
            break
    data_jtj, _, rr, size = _normal_equations(model, p, idx, joints, measured, velocities)
    s, vt, keep = _directions(data_jtj + np.diag(w ** 2))
    dof = max(1, size - int(keep.sum()))
    cov = (vt[keep].T / s[keep] ** 2) @ vt[keep] * (rr / dof)
    inside = np.sum(vt[keep] ** 2, axis=0)  # 1 where the parameter lies in determined directions
    _, dvt, dkeep = _directions(data_jtj)
    by_data = np.sum(dvt[dkeep] ** 2, axis=0) > 1 - 1e-3
    std = dict.fromkeys(PARAMETERS, float('nan'))
    source = {name: ('frame' if name in BASE_RIGID and active[PARAMETERS.index('frame_x')]
                     and (name not in TILT_NAMES or active[_TILTS].any()) else 'fixed')
              for name in PARAMETERS}
    for k, i in enumerate(idx):
        name = PARAMETERS[i]
        determined = inside[k] > 1 - 1e-3
        source[name] = ('data' if by_data[k] else 'prior' if w[k] > 0 and determined
                        else 'combination')
        if determined:
            std[name] = float(math.sqrt(max(cov[k, k], 0.0)) * scale[k])
    geometry, setup = model.at(p)
    return p, CalibrationResult(geometry, model.nominal, std, source, int(keep.sum()),
                                math.sqrt(rr / size), setup)


def _directions(jtj: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """J = U S V^T, so J^T J = V S^2 V^T: the SVD's directions without holding J."""
    s2, v = np.linalg.eigh(jtj)
    s2, vt = np.maximum(s2[::-1], 0.0), v[:, ::-1].T
    s = np.sqrt(s2)
    return s, vt, s > RANK_TOLERANCE * max(s[0], 1e-300)


def _normal_equations(model: _Model, p, idx, joints, measured, velocities):
    """
    Sum (J^T J, J^T r, r.r, residual count) a chunk of rows at a time.

    Memory stays bounded whatever the recording's length (J of 3 M rows would be 2 GB).
    """
    jtj, jtr = np.zeros((len(idx), len(idx))), np.zeros(len(idx))
    rr, size = 0.0, 0
    for i in range(0, len(joints), CHUNK):
        q, m = joints[i:i + CHUNK], measured[i:i + CHUNK]
        v = None if velocities is None else velocities[i:i + CHUNK]
        r = model.residuals(p, q, m, v).ravel()
        rr, size = rr + float(r @ r), size + r.size
        cols = []
        for k in idx:  # d residuals / d (parameter / SCALE), forward differences
            dp = p.copy()
            dp[k] += 1e-7 * SCALE[k]
            cols.append((model.residuals(dp, q, m, v).ravel() - r) / 1e-7)
        jac = np.stack(cols, axis=1)
        jtj += jac.T @ jac
        jtr += jac.T @ r
    return jtj, jtr, rr, size


def _problems(result: CalibrationResult) -> list[str]:
    problems = []
    try:
        geometry_from_dict(result.geometry.as_dict())
    except ValueError as e:
        problems.append(f'the calibrated geometry is not an OM-X ({e})')
    if result.residual_rms > PLAUSIBLE_RMS:
        problems.append(f'residual RMS {1e3 * result.residual_rms:.1f} mm-equivalent, over '
                        f'{1e3 * PLAUSIBLE_RMS:g}: the measurements are not explained by this '
                        'setup (a tracker frame, a marker offset or latency not estimated?)')
    if len(result.outliers) > MAX_OUTLIER_SHARE * result.rows:
        problems.append(f'{len(result.outliers)} of {result.rows} rows left out as outliers')
    return problems


def _checked(joints, measured, velocities, at_least: int = 2 * _TILTS.start):
    """Check the rows; DatasetError for too few rows, wrong shapes, NaN or inf."""
    joints, measured = np.asarray(joints, float), np.asarray(measured, float)
    if len(joints) < at_least or joints.shape != (len(measured), 4) \
            or measured.shape[1:] != (7,):
        raise DatasetError(f'calibration needs at least {at_least} rows of joints (N, 4) and '
                           f'measured poses (N, 7), got {joints.shape} and {measured.shape}')
    arrays = [joints, measured]
    if velocities is not None:
        velocities = np.asarray(velocities, float)
        if velocities.shape != joints.shape:
            raise DatasetError(f'joint velocities must be {joints.shape}, got {velocities.shape}')
        arrays.append(velocities)
    if not all(np.all(np.isfinite(a)) for a in arrays):
        raise DatasetError('calibration data contains NaN or inf')
    return joints, measured, velocities
