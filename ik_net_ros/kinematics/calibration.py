"""
Calibration: one real arm's errors on the one chain, and where its tracker sees it from.

Identified from measured poses by least squares on the arm's chain
(:func:`~ik_net_ros.kinematics.chain.chain_forward`); the result is the arm plus its errors
(``result.arm``: :meth:`Arm.with_errors <ik_net_ros.arm.Arm.with_errors>`), for any arm. Arm
parameters (:mod:`~ik_net_ros.kinematics.calibration_parameters` decides which, from the chain's
structure): every joint's offset (rad), the origins' non-zero components that move the tool
differently (m: on the OM-X ``joint1_x, shoulder_height, upper_arm_x, upper_arm_z, forearm,
tool``, its base height staying the description's as only its sum with the shoulder height
acts; the OMX-F adds ``tool_y``) and, estimated on request with a prior, the joint axes' tilts.
Tracker parameters (:class:`~ik_net_ros.kinematics.tracker_setup.TrackerSetup`): the tracker
frame's pose in the base frame (6), the marker's pose on the tool (6) and the tracker's time
offset (1, from the joint velocities recorded with each row), each fixed, estimated with a prior
(a marker known from CAD to 0.5 mm / 0.5 deg) or estimated freely.

Not every parameter can be told apart from every other: the upper arm's x/z split trades against
the joint2/joint3 offsets exactly, a marker's offset along the tool against the tool's length
(on an arm with a wrist roll its offset across the roll axis too), the tracker frame's height
against the shoulder height. The step is a Gauss-Newton step truncated to the directions the
data (and the priors) determine: parameters nothing can tell apart move only together and are
reported so; each parameter says what determined it (the data, its prior, or only a
combination).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
import functools
import math

from ik_net_ros.arm import Arm, arm_or_default

# what a calibrated arm's errors may be (the one copy, re-exported)
from ik_net_ros.arm.errors import LENGTH_TOLERANCE, OFFSET_TOLERANCE, TILT_TOLERANCE
from ik_net_ros.errors import DatasetError
from ik_net_ros.kinematics.calibration_parameters import arm_parameters, ArmParameters
from ik_net_ros.kinematics.chain import chain_forward
from ik_net_ros.kinematics.limits import sample_joints
from ik_net_ros.kinematics.rigid import perturb, xyz_rpy_from_pose
from ik_net_ros.kinematics.rotations import pose_error, quat_angle
from ik_net_ros.kinematics.tracker_setup import BASE_FRAME, TrackerSetup
import numpy as np

__all__ = ['CalibrationResult', 'TrackerFit', 'calibrate', 'pose_errors', 'ORIENTATION_WEIGHT',
           'Layout', 'layout_of', 'implausible_errors', 'OFFSET_TOLERANCE', 'LENGTH_TOLERANCE',
           'TILT_TOLERANCE']

_DEG, _MM, _MS = math.radians(1.0), 1e-3, 1e-3
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
_FRAME_AXES = ('x', 'y', 'z', 'rx', 'ry', 'rz')


@dataclass(frozen=True)
class Layout:
    """
    The calibration's parameter vector of one arm (see :mod:`calibration_parameters`).

    The arm's offsets and lengths, the tracker frame's position and rotation (6), the marker's
    (6), the latency (1), then every joint's two tilts. ``scale``: the unit each is stepped and
    judged in (1 deg, 1 mm, 1 ms); ``show``/``units``: how tables print it.
    """

    arm: ArmParameters
    names: tuple[str, ...]
    scale: np.ndarray
    show: np.ndarray
    units: tuple[str, ...]

    @property
    def n_arm(self) -> int:
        return len(self.arm.arm_names)

    @property
    def frame(self) -> slice:
        return slice(self.n_arm, self.n_arm + 6)

    @property
    def marker(self) -> slice:
        return slice(self.n_arm + 6, self.n_arm + 12)

    @property
    def latency(self) -> int:
        return self.n_arm + 12

    @property
    def tilts(self) -> slice:
        return slice(self.n_arm + 13, len(self.names))

    def index(self, name: str) -> int:
        return self.names.index(name)


@functools.lru_cache(maxsize=16)
def layout_of(arm: Arm) -> Layout:
    """Return the calibration's parameter vector of ``arm`` (its description decides)."""
    params = arm_parameters(arm)
    n_off, n_len, n_tilt = len(params.offsets), len(params.lengths), len(params.tilts)
    names = (params.offsets + params.lengths + tuple(f'frame_{a}' for a in _FRAME_AXES)
             + tuple(f'marker_{a}' for a in _FRAME_AXES) + ('latency',) + params.tilts)
    kinds = ['deg'] * n_off + ['mm'] * n_len + (['mm'] * 3 + ['deg'] * 3) * 2 + ['ms'] \
        + ['deg'] * n_tilt
    scale = {'deg': _DEG, 'mm': _MM, 'ms': _MS}
    show = {'deg': math.degrees(1.0), 'mm': 1e3, 'ms': 1e3}
    return Layout(params, names, np.array([scale[k] for k in kinds]),
                  np.array([show[k] for k in kinds]), tuple(kinds))


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

    arm, setup: the calibrated arm (its description plus the errors found) and tracker.
    nominal: the arm it started from. std: 1-sigma uncertainty per parameter (NaN where not
    determined). source: per parameter, 'data', 'prior', 'combination' (determined only with
    others), 'fixed', or 'frame' (held nominal: a free tracker frame takes it, see
    :attr:`ArmParameters.rigid`). rank: directions determined. residual_rms: m-equivalent RMS
    of the fit. fit/held_out: pose errors before ('nominal') and after ('calibrated'), as the
    tracker sees them.
    """

    arm: Arm
    nominal: Arm
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
    problems: list[str] = field(default_factory=list)  # why it is implausible for this arm
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
        layout = layout_of(self.nominal)
        start = _vector(layout, self.nominal, self.start_setup)
        now = _vector(layout, self.arm, self.setup)
        return [(name, float(start[i] * layout.show[i]), float(now[i] * layout.show[i]),
                 float(self.std[name] * layout.show[i]), layout.units[i], self.source[name])
                for i, name in enumerate(layout.names)
                if i < layout.n_arm or self.source[name] != 'fixed']

    def as_dict(self) -> dict:
        """Return the calibration file's mapping (:mod:`calibration_file` reads it)."""
        from ik_net_ros.kinematics.calibration_file import errors_as_dict
        return {'arm': self.arm.name, 'description': self.arm.description,
                'digest': self.arm.digest, 'errors': errors_as_dict(self.arm.errors),
                'tracker': self.setup.as_dict(),
                'parameters': {name: {'start': start, 'calibrated': value, 'std': std,
                                      'unit': unit, 'determined_by': source}
                               for name, start, value, std, unit, source in self.table()},
                'rank': self.rank, 'residual_rms_mm': 1e3 * self.residual_rms,
                'fit': self.fit, 'held_out': self.held_out, 'rows': self.rows,
                'outliers': len(self.outliers), 'outlier_rule': self.outlier_rule,
                'problems': list(self.problems), 'generic_rank': self.generic_rank}


def _vector(layout: Layout, arm: Arm, setup: TrackerSetup) -> np.ndarray:
    """Return the parameters as shown: frame and marker as x, y, z and roll, pitch, yaw (rad)."""
    out = np.zeros(len(layout.names))
    out[:layout.n_arm], out[layout.tilts] = layout.arm.values(arm.errors)
    for k, pose in enumerate((setup.frame, setup.marker)):
        xyz_rpy = xyz_rpy_from_pose(pose)
        at = layout.n_arm + 6 * k
        out[at:at + 3] = xyz_rpy[:3]
        out[at + 3:at + 6] = np.radians(xyz_rpy[3:])
    out[layout.latency] = setup.latency
    return out


class _Model:
    """The measurement model at parameter offsets ``p`` from a start (arm, setup)."""

    def __init__(self, nominal: Arm, start: TrackerSetup):
        self.nominal, self.start = nominal, start
        self.layout = layout = layout_of(nominal)
        # the optimised vector: arm parameters, frame and marker positions, then rotation vectors
        # relative to the start (0 there), and the latency
        self.p0 = _vector(layout, nominal, start)
        self.p0[layout.frame.start + 3:layout.frame.stop] = 0.0
        self.p0[layout.marker.start + 3:layout.marker.stop] = 0.0

    def errors(self, p: np.ndarray):
        layout = self.layout
        return layout.arm.errors(self.nominal.errors, p[:layout.n_arm], p[layout.tilts])

    def setup_at(self, p: np.ndarray) -> TrackerSetup:
        f, m = self.layout.frame, self.layout.marker
        frame = perturb(self.start.frame, np.concatenate([p[f.start:f.start + 3]
                                                          - self.p0[f.start:f.start + 3],
                                                          p[f.start + 3:f.stop]]))
        marker = perturb(self.start.marker, np.concatenate([p[m.start:m.start + 3]
                                                            - self.p0[m.start:m.start + 3],
                                                            p[m.start + 3:m.stop]]))
        return replace(self.start, frame=tuple(frame), marker=tuple(marker),
                       latency=float(p[self.layout.latency]))

    def at(self, p: np.ndarray) -> tuple[Arm, TrackerSetup]:
        return self.nominal.with_errors(self.errors(p)), self.setup_at(p)

    def predict(self, p, joints, velocities) -> np.ndarray:
        setup = self.setup_at(p)
        if velocities is not None and setup.latency:
            joints = joints - velocities * setup.latency  # the arm at the stamp minus latency
        return setup.measured_from_tool(chain_forward(self.nominal, joints, self.errors(p)))

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


def calibrate(joints: np.ndarray, measured: np.ndarray, arm: Arm | None = None,
              held_out: tuple | None = None, iterations: int = 30,
              trim: float | None = TRIM, rounds: int = TRIM_ROUNDS,
              setup: TrackerSetup = BASE_FRAME, estimate: TrackerFit = TrackerFit(),
              velocities: np.ndarray | None = None) -> CalibrationResult:
    """
    Identify the arm (and the tracker, as ``estimate`` says) from joints and measured poses.

    ``arm``: the arm to calibrate, as described (or with the errors to start from; None: the
    default arm). From commanded ``joints``
    (N, dof), ``measured`` poses (N, 7) as the tracker reports them and, to estimate the time
    offset, the joint ``velocities`` (N, dof) rad/s at each row. ``setup``
    is the starting (or known) tracker setup. Robust: rows whose residual is over ``trim``
    times the median are left out and the fit repeated, up to ``rounds`` times (a swapped
    marker, a tracker glitch or a mis-paired row would otherwise pull every parameter; None:
    no trimming). ``held_out``: (joints, measured[, velocities]) checked after the fit. The
    result (``result.arm``: the arm with the errors found) says which rows were left out and, in
    ``problems``, why the fit is implausible for this arm (errors beyond
    :func:`implausible_errors`' bounds, a residual RMS over PLAUSIBLE_RMS, more than
    MAX_OUTLIER_SHARE of the rows left out).

    Raises
    ------
    DatasetError
        Fewer rows than parameters, wrong shapes, non-finite values, or a latency to
        estimate without velocities.

    """
    arm = arm_or_default(arm)
    joints, measured, velocities = _checked(arm, joints, measured, velocities)
    if estimate.latency and velocities is None:
        raise DatasetError('estimating the time offset needs the joint velocities of each row '
                           f'(columns v{arm.joint_names[0]}..v{arm.joint_names[-1]}, recorded '
                           'by collect)')
    model = _Model(arm, setup)
    active, prior = _active(model.layout, estimate)
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
        if update.sum() < _least_rows(model.layout) or np.array_equal(update, keep):
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
        hj, hm, hv = _checked(arm, held_out[0], held_out[1],
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
    joints = sample_joints(model.nominal, GENERIC_ROWS, rng)
    v = rng.normal(0.0, 0.5, joints.shape) if velocities else None
    _, result = _fit(model, p, active, prior, joints, model.predict(p, joints, v), v, 0)
    return result


def _active(layout: Layout, estimate: TrackerFit) -> tuple[np.ndarray, np.ndarray]:
    """Return which parameters move and the prior weight (1/sigma, 0: none) of each."""
    names, params = layout.names, layout.arm
    active = np.zeros(len(names), bool)
    active[:layout.n_arm] = True
    prior = np.zeros(len(names))
    rigid = [layout.index(n) for n in params.rigid]
    if estimate.frame:
        # a free tracker frame moves the whole arm: joint1's zero, its position and its axis's
        # tilt are then the same as a frame rotation and translation. They stay nominal and
        # the frame takes them: the base frame is where joint1's zero and axis say, and targets
        # seen by the tracker are reached exactly.
        active[[i for i in rigid if i < layout.n_arm]] = False
        active[layout.frame] = True
    if estimate.marker_sigma is not None:
        active[layout.marker] = True
        pos, ang = estimate.marker_sigma
        m = layout.marker.start
        prior[m:m + 3] = 0.0 if math.isinf(pos) else 1.0 / max(pos, 1e-9)
        prior[m + 3:m + 6] = 0.0 if math.isinf(ang) else 1.0 / max(ang, 1e-9)
    active[layout.latency] = estimate.latency
    if estimate.tilts:
        active[layout.tilts] = True
        prior[layout.tilts] = 1.0 / TILT_SIGMA
        # a tilt that turns the tool as an offset before it does (joint2's about z under a
        # base yaw: offset1) is that offset: never fitted
        active[[layout.index(n) for n in params.fixed_tilts]] = False
        if estimate.frame:
            active[[i for i in rigid if i >= layout.tilts.start]] = False
    return active, prior


def _fit(model: _Model, p: np.ndarray, active, prior, joints, measured, velocities,
         iterations: int) -> tuple[np.ndarray, CalibrationResult]:
    """Gauss-Newton, rank-revealing, over the active parameters, with their priors."""
    layout = model.layout
    idx = np.flatnonzero(active)
    scale = layout.scale[idx]
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
    names, tilts = layout.names, set(layout.arm.tilts)
    std = dict.fromkeys(names, float('nan'))
    frame_free = active[layout.frame.start]
    tilts_free = active[layout.tilts].any()
    source = {name: ('frame' if name in layout.arm.rigid and frame_free
                     and (name not in tilts or tilts_free) else 'fixed')
              for name in names}
    for k, i in enumerate(idx):
        name = names[i]
        determined = inside[k] > 1 - 1e-3
        source[name] = ('data' if by_data[k] else 'prior' if w[k] > 0 and determined
                        else 'combination')
        if determined:
            std[name] = float(math.sqrt(max(cov[k, k], 0.0)) * scale[k])
    arm, setup = model.at(p)
    return p, CalibrationResult(arm, model.nominal, std, source, int(keep.sum()),
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
        for k in idx:  # d residuals / d (parameter / scale), forward differences
            dp = p.copy()
            dp[k] += 1e-7 * model.layout.scale[k]
            cols.append((model.residuals(dp, q, m, v).ravel() - r) / 1e-7)
        jac = np.stack(cols, axis=1)
        jtj += jac.T @ jac
        jtr += jac.T @ r
    return jtj, jtr, rr, size


def implausible_errors(arm: Arm) -> str | None:
    """
    Say why ``arm``'s errors are not those of a real arm of its description (None: they are).

    Offsets within OFFSET_TOLERANCE, every origin and tool component within LENGTH_TOLERANCE,
    tilts within TILT_TOLERANCE: beyond, the fit took another arm, a tracker frame or a marker
    offset for this one.
    """
    e = arm.errors
    for what, values, bound, unit, show in (
            ('joint offset', e.offsets, OFFSET_TOLERANCE, 'rad', 1.0),
            ('origin delta', np.ravel(e.origin_deltas), LENGTH_TOLERANCE, 'mm', 1e3),
            ('tool delta', e.tool_delta, LENGTH_TOLERANCE, 'mm', 1e3),
            ('axis tilt', np.ravel(e.tilts), TILT_TOLERANCE, 'deg', math.degrees(1.0))):
        worst = float(np.max(np.abs(values)))
        if worst > bound:
            return (f'no {arm.name}: a {what} of {show * worst:.4g} {unit}, over '
                    f'{show * bound:.4g}')
    return None


def _problems(result: CalibrationResult) -> list[str]:
    problems = []
    why = implausible_errors(result.arm)
    if why:
        problems.append(f'the calibrated arm is {why}')
    if result.residual_rms > PLAUSIBLE_RMS:
        problems.append(f'residual RMS {1e3 * result.residual_rms:.1f} mm-equivalent, over '
                        f'{1e3 * PLAUSIBLE_RMS:g}: the measurements are not explained by this '
                        'setup (a tracker frame, a marker offset or latency not estimated?)')
    if len(result.outliers) > MAX_OUTLIER_SHARE * result.rows:
        problems.append(f'{len(result.outliers)} of {result.rows} rows left out as outliers')
    return problems


def _least_rows(layout: Layout) -> int:
    """Return the rows a fit needs: twice the parameters before the tilts."""
    return 2 * layout.tilts.start


def _checked(arm: Arm, joints, measured, velocities, at_least: int | None = None):
    """Check the rows; DatasetError for too few rows, wrong shapes, NaN or inf."""
    at_least = _least_rows(layout_of(arm)) if at_least is None else at_least
    joints, measured = np.asarray(joints, float), np.asarray(measured, float)
    if len(joints) < at_least or joints.shape != (len(measured), arm.dof) \
            or measured.shape[1:] != (7,):
        raise DatasetError(f'calibration needs at least {at_least} rows of joints (N, {arm.dof}) '
                           f'and measured poses (N, 7), got {joints.shape} and {measured.shape}')
    arrays = [joints, measured]
    if velocities is not None:
        velocities = np.asarray(velocities, float)
        if velocities.shape != joints.shape:
            raise DatasetError(f'joint velocities must be {joints.shape}, got {velocities.shape}')
        arrays.append(velocities)
    if not all(np.all(np.isfinite(a)) for a in arrays):
        raise DatasetError('calibration data contains NaN or inf')
    return joints, measured, velocities
