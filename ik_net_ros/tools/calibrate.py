"""
``ik_net_ros calibrate``: identify one real arm's errors (offsets, lengths, tilts) and tracker.

From a recording with measured poses (collect's ``measured_pose_topic``): in the base frame of
the tool centre point, or in a camera's or motion-capture system's own frame of a marker on the
tool (the frame's pose is estimated, started from a closed-form robot-world/hand-eye solution;
the marker's from its CAD pose and uncertainty; the time offset from the recorded joint
velocities). Checks the fit on joint-space blocks it never saw, then fits all rows and writes
the calibration file the ik node and training take (``calibration:=my_arm.yaml``).
"""

from __future__ import annotations

import argparse
from dataclasses import replace
import math

from ik_net_ros.arm import ARM_NAMES, ArmError, DEFAULT_ARM, load_arm
from ik_net_ros.data import block_split
from ik_net_ros.data.coverage import JointCoverage
from ik_net_ros.data.dataset import configuration_keys
from ik_net_ros.errors import ConfigError, DatasetError
from ik_net_ros.kinematics.calibration import calibrate, TrackerFit
from ik_net_ros.kinematics.calibration_file import save_calibration
from ik_net_ros.kinematics.chain import chain_forward
from ik_net_ros.kinematics.rigid import IDENTITY, pose_from_xyz_rpy
from ik_net_ros.kinematics.tracker_setup import (
    frame_given_marker,
    hand_eye_closed_form,
    is_base_frame_name,
    MAX_FRAME_DISTANCE,
    MAX_LATENCY,
    MAX_MARKER_DISTANCE,
    TrackerSetup,
)
from ik_net_ros.tools.common import (
    load_data,
    number_in,
    require_rows,
    writable_output,
    xyz_rpy,
)
import numpy as np

# the held-out position error (median) with tilts must be under this share of the one without
# them for 'auto' to keep the tilts: a fuller model only where the data asks for it
TILTS_GAIN = 0.9


def _sigma(text: str) -> tuple[float, float] | None:
    """Parse the marker prior: 'MM,DEG', 'fixed' or 'free'."""
    if text in ('fixed', 'free'):
        return None if text == 'fixed' else (math.inf, math.inf)
    try:
        mm, deg = (float(v) for v in text.split(','))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: expected MM,DEG, 'fixed' or 'free'") from None
    if not (0 < mm <= 100 and 0 < deg <= 90):
        raise argparse.ArgumentTypeError(f'{text!r}: sigmas in (0, 100] mm and (0, 90] deg')
    return 1e-3 * mm, math.radians(deg)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument('--data', required=True,
                        help='a recording with measured poses (columns mx..mqw), .csv or .npz')
    parser.add_argument('--output', required=True, help='calibration file to write (.yaml)')
    parser.add_argument('--arm', choices=ARM_NAMES, default=DEFAULT_ARM,
                        help='which ROBOTIS arm the recording is of')
    parser.add_argument('--description', default=None,
                        help="ROBOTIS's description the arm's base frame follows (the OM-X: "
                             "humble or jazzy; default: the arm's default)")
    parser.add_argument('--tracker-frame', default='auto',
                        help="'base' (the measurements are in the arm's base frame), "
                             "'estimate' (a camera or mocap frame, started from a closed-form "
                             "hand-eye solution), X,Y,Z,ROLL,PITCH,YAW (m, deg: the frame's pose "
                             "in the base frame as a start, estimated) or 'auto' (base when the "
                             "recording's frame is world/link1, else estimate)")
    parser.add_argument('--marker', type=xyz_rpy(MAX_MARKER_DISTANCE), default=[0.0] * 6,
                        help="the marker's pose on the tool (end_effector_link), "
                             'X,Y,Z,ROLL,PITCH,YAW in m and deg, from CAD or a pivot '
                             'calibration (default: the tool centre)')
    parser.add_argument('--marker-sigma', type=_sigma, default=(5e-4, math.radians(0.5)),
                        help="the marker pose's 1-sigma uncertainty MM,DEG (default 0.5,0.5), "
                             "'fixed' or 'free' (estimated from the data alone)")
    parser.add_argument('--latency', type=number_in(-MAX_LATENCY, MAX_LATENCY), default=0.0,
                        help='s the tracker stamps are late beyond what collect paired with; '
                             'a start, estimated where the recording has joint velocities')
    parser.add_argument('--fixed-latency', action='store_true',
                        help='do not estimate the time offset')
    parser.add_argument('--held-out', type=number_in(0.0, 0.5), default=0.2,
                        help='share of the rows, in whole joint-space blocks, kept out of a '
                             'first fit to check it where it never saw the arm (0: no check)')
    parser.add_argument('--tilts', choices=('auto', 'yes', 'no'), default='auto',
                        help="estimate the joint axes' tilts (two per joint, a prior of 1 deg "
                             'each): yes, no, or auto (where the blocks held out fit better '
                             f'with them, by over {100 * (1 - TILTS_GAIN):.0f} %%)')
    parser.add_argument('--force', action='store_true',
                        help='write the calibration even when it is implausible for the arm')


def _setup(args, data, arm) -> tuple[TrackerSetup, TrackerFit, str]:
    """Return the start setup, what to estimate, and how the frame was started."""
    frame_id = data.meta.get('measured_frame', '')
    mode = args.tracker_frame
    if mode == 'auto':
        mode = 'base' if is_base_frame_name(frame_id) else 'estimate'
    marker = tuple(pose_from_xyz_rpy(args.marker))
    velocities = data.velocities is not None and not args.fixed_latency
    estimate = TrackerFit(frame=mode != 'base', marker_sigma=args.marker_sigma,
                          latency=velocities)
    if mode == 'base':
        return TrackerSetup(IDENTITY, marker, args.latency, frame_id), estimate, 'base frame'
    if mode != 'estimate':
        try:
            frame = tuple(pose_from_xyz_rpy(xyz_rpy(MAX_FRAME_DISTANCE)(mode)))
        except argparse.ArgumentTypeError as e:
            raise ConfigError(f'--tracker-frame: {e}') from None
        return TrackerSetup(frame, marker, args.latency, frame_id), estimate, 'given'
    tool = chain_forward(arm, data.joints)
    try:
        if args.marker_sigma is None or math.isfinite(args.marker_sigma[0]):
            frame = frame_given_marker(data.measured, tool, marker)
            how = 'closed form (marker given)'
        else:
            frame, marker = hand_eye_closed_form(data.measured, tool)
            how = 'closed-form robot-world/hand-eye (Shah 2013)'
    except ValueError as e:
        raise DatasetError(f'{args.data}: no start for the tracker frame: {e}') from e
    return TrackerSetup(tuple(frame), tuple(marker), args.latency, frame_id), estimate, how


def _report(result, title: str) -> None:
    for which, errors in result.items():
        print(f'  {title:<9} {which:<10} position {errors["position_mm_median"]:.3f} mm '
              f'median, {errors["position_mm_p95"]:.3f} p95; orientation '
              f'{errors["orientation_deg_median"]:.3f} deg median')


def _spread(data) -> str:
    """Say how many rows and distinct joint configurations a recording has."""
    distinct = len(np.unique(configuration_keys(data.joints)))
    return f'{len(data)} rows, {distinct} distinct joint configuration(s)'


def _require_determined(result, data, spec: str) -> None:
    """
    Refuse a calibration whose parameters the recording does not determine.

    Compared with what joints spread over the limits determine with the same model
    (:attr:`~ik_net_ros.kinematics.calibration.CalibrationResult.undetermined`): a parameter
    held only by its prior, or only in combination, where spread joints determine it, has the
    value of the truncated step and the noise, not the arm's. Not ``--force``'s to override:
    no knowledge of the user makes such a value the arm's (``--force`` is for errors the data
    determines but that are beyond a real arm's of the description).

    Raises
    ------
    DatasetError
        Fewer directions than spread joints determine, or such a parameter.

    """
    missing = result.undetermined
    if result.rank >= result.generic_rank and not missing:
        return
    said = '; '.join(f'{what}: {", ".join(n for n, src in missing.items() if src == key)}'
                     for key, what in (('prior', 'held only by its prior'),
                                       ('combination', 'only in combination'))
                     if key in missing.values())
    raise DatasetError(
        f'{spec}: calibration not written, the recording does not determine the arm: '
        f'{result.rank} of the {result.generic_rank} directions joints spread over the limits '
        f'determine ({_spread(data)}){"; " + said if said else ""}; record poses spread over '
        'the joint space')


def run(args: argparse.Namespace) -> int:
    output = writable_output(args.output, 'calibration file')
    try:
        nominal = load_arm(args.arm, args.description)
    except ArmError as e:
        raise ConfigError(f'--arm/--description: {e}') from e
    data = require_rows(load_data(args.data, nominal), args.data, at_least=60)
    if data.measured is None:
        raise DatasetError(f'{args.data}: no measured poses (columns mx..mqw): record with '
                           'collect -p measured_pose_topic:=...')
    if data.joints.shape[1] != nominal.dof:
        raise DatasetError(f'{args.data}: joints of {data.joints.shape[1]} joints, {nominal.name} '
                           f'has {nominal.dof} {list(nominal.joint_names)} (--arm)')
    setup, estimate, how = _setup(args, data, nominal)
    velocities = data.velocities if estimate.latency else None
    held_out, blocks = {}, []
    estimate = replace(estimate, tilts=args.tilts == 'yes')
    if args.held_out > 0:
        fit, check, blocks = block_split(data, args.held_out, arm=nominal)
        if len(fit) >= 60 and len(check):
            def first(how):
                return calibrate(fit.joints, fit.measured, nominal, (
                    check.joints, check.measured, check.velocities if velocities is not None
                    else None), setup=setup, estimate=how,
                    velocities=fit.velocities if velocities is not None else None).held_out
            held_out = first(estimate)
            if args.tilts == 'auto':
                tilted = first(replace(estimate, tilts=True))
                without = held_out['calibrated']['position_mm_median']
                better = tilted['calibrated']['position_mm_median']
                estimate = replace(estimate, tilts=better < TILTS_GAIN * without)
                print(f'joint-axis tilts {"estimated" if estimate.tilts else "not estimated"}: '
                      f'held-out position median {better:.3f} mm with them, {without:.3f} '
                      'without')
                held_out = tilted if estimate.tilts else held_out
        if not held_out:  # not --force's: without it nothing says the fit beats nominal
            raise DatasetError(
                f'{args.data}: calibration not written, the held-out check cannot run: '
                f'{len(check)} rows in joint-space blocks to hold out and {len(fit)} to fit '
                f'(needs at least 1 and 60): {_spread(data)}; record poses spread over the '
                'joint space (--held-out 0 skips the check)')
    else:
        print('no held-out check (--held-out 0): nothing says the calibration beats nominal '
              'where the recording did not go')
    if args.tilts == 'auto' and not held_out:
        print('joint-axis tilts not estimated: --tilts auto decides on the held-out blocks '
              '(--held-out > 0); --tilts yes fits them anyway')
    result = calibrate(data.joints, data.measured, nominal, setup=setup, estimate=estimate,
                       velocities=velocities)
    result.held_out = held_out
    _require_determined(result, data, args.data)
    coverage = JointCoverage(arm=nominal)
    for q in data.joints:
        coverage.add(q)
    print(f'calibrated on {len(data) - len(result.outliers)} rows of {args.data} '
          f'({len(result.outliers)} left out as outliers: {result.outlier_rule}); '
          f'{result.rank} directions determined; tracker frame '
          f"'{setup.frame_id or '?'}': {how}")
    print(f'  {"parameter":<16} {"start":>10} {"calibrated":>11} {"+-1 sigma":>10}')
    for name, start, value, std, unit, source in result.table():
        sigma = f'{std:10.4f}' if math.isfinite(std) else ' ' * 10
        note = {'data': '', 'prior': '  (its prior)', 'fixed': '  (fixed)',
                'combination': '  (only in combination)',
                'frame': '  (held: the tracker frame takes it)'}[source]
        print(f'  {name:<16} {start:10.4f} {value:11.4f} {sigma} {unit}{note}')
    print(f'  residual RMS {1e3 * result.residual_rms:.3f} mm-equivalent (position, and '
          'orientation at 0.1 m/rad)')
    _report(result.fit, 'fit')
    if held_out:
        _report(held_out, 'held-out')
        print(f'  held out ({100 * args.held_out:.0f} %, whole joint-space blocks the first fit '
              f'never saw): {"; ".join(blocks[:3])}{" ..." if len(blocks) > 3 else ""}')
    print(f'  coverage: {100 * coverage.share:.1f} % of joint-space cells; least visited: '
          f'{"; ".join(coverage.emptiest())} (the calibration extrapolates there)')
    if held_out and (held_out['calibrated']['position_mm_median']
                     > held_out['nominal']['position_mm_median']):
        result.problems.append(
            'worse than the nominal arm on the held-out blocks ('
            f"{held_out['calibrated']['position_mm_median']:.3f} vs "
            f"{held_out['nominal']['position_mm_median']:.3f} mm median)")
    if result.problems:
        message = f'implausible for {nominal.name}: ' + '; '.join(result.problems)
        if not any(args.marker):
            message += ('; is the marker off the tool centre? Give its pose with --marker (an '
                        'offset along the tool goes into the tool length otherwise)')
        if not args.force:
            raise DatasetError(f'{args.data}: calibration not written, {message} (see the '
                               'calibration docs, docs/calibration.md; --force writes it anyway)')
        print(f'warning: {message}; written because of --force')
    region = {'joint_min': (np.floor(data.joints.min(axis=0) * 1e4) / 1e4).tolist(),
              'joint_max': (np.ceil(data.joints.max(axis=0) * 1e4) / 1e4).tolist(),
              'coverage': round(coverage.share, 4)}
    try:
        save_calibration(result, output, {'data': args.data,
                                          'region': region, 'held_out_blocks': blocks})
    except OSError as e:
        raise ConfigError(f'calibration file {output}: cannot be written ({e.strerror})') from e
    print(f'wrote {output}: use it with `ros2 launch ik_net_ros ik.launch.py '
          f'calibration:={output}` or load_solver(..., calibration=...)')
    return 0
