"""
``ik_net_ros calibrate``: identify one real arm's joint offsets and link lengths.

From a recording with measured tool poses (collect's ``measured_pose_topic``); writes the
calibration file the ik node takes (``calibration:=my_arm.yaml``).
"""

from __future__ import annotations

import argparse

from ik_net_ros.data import sequential_split
from ik_net_ros.errors import ConfigError, DatasetError
from ik_net_ros.kinematics import DESCRIPTIONS, geometry_for
from ik_net_ros.kinematics.calibration import calibrate, save_calibration
from ik_net_ros.tools.common import load_data, number_in, require_rows, writable_output


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument('--data', required=True,
                        help='a recording with measured poses (columns mx..mqw), .csv or .npz')
    parser.add_argument('--output', required=True, help='calibration file to write (.yaml)')
    parser.add_argument('--description', choices=DESCRIPTIONS, default='humble',
                        help="ROBOTIS's description the recording's frame follows")
    parser.add_argument('--held-out', type=number_in(0.0, 0.5), default=0.2,
                        help='share of the recording (its end) kept for the held-out check')
    parser.add_argument('--force', action='store_true',
                        help='write the calibration even when it is implausible for an OM-X')


def run(args: argparse.Namespace) -> int:
    output = writable_output(args.output, 'calibration file')
    data = require_rows(load_data(args.data), args.data, at_least=30)
    if data.measured is None:
        raise DatasetError(f'{args.data}: no measured poses (columns mx..mqw): record with '
                           'collect -p measured_pose_topic:=...')
    fit, check = (sequential_split(data, args.held_out) if args.held_out > 0
                  else (data, data.subset(slice(0, 0))))
    nominal = geometry_for(args.description)
    result = calibrate(fit.joints, fit.measured, nominal,
                       (check.joints, check.measured) if len(check) else None)
    print(f'calibrated on {len(fit) - len(result.outliers)} rows of {args.data} '
          f'({len(check)} held out, {len(result.outliers)} left out as outliers: '
          f'{result.outlier_rule}); {result.rank} of 10 directions determined by the data')
    print(f'  {"parameter":<16} {"nominal":>10} {"calibrated":>11} {"+-1 sigma":>10}')
    for name, nominal_value, value, std, ok in result.table():
        unit = 'deg' if name.startswith('offset') else 'mm'
        sigma = f'{std:10.4f}' if ok else '  only in combination'
        print(f'  {name:<16} {nominal_value:10.4f} {value:11.4f} {sigma} {unit}')
    print(f'  residual RMS {1e3 * result.residual_rms:.3f} mm-equivalent (position, and '
          'orientation at 0.1 m/rad)')
    for title, figures in (('fit', result.fit), ('held-out', result.held_out)):
        for which, errors in figures.items():
            print(f'  {title:<8} {which:<10} position {errors["position_mm_median"]:.3f} mm '
                  f'median, {errors["position_mm_p95"]:.3f} p95; orientation '
                  f'{errors["orientation_deg_median"]:.3f} deg median')
    if result.problems:
        message = 'implausible for an OM-X: ' + '; '.join(result.problems)
        if not args.force:
            raise DatasetError(f'{args.data}: calibration not written, {message} (see the '
                               "README's calibration section; --force writes it anyway)")
        print(f'warning: {message}; written because of --force')
    try:
        save_calibration(result, output, {'description': args.description, 'data': args.data,
                                          'rows': len(fit), 'held_out_rows': len(check)})
    except OSError as e:
        raise ConfigError(f'calibration file {output}: cannot be written ({e.strerror})') from e
    print(f'wrote {output}: use it with `ros2 launch ik_net_ros ik.launch.py '
          f'calibration:={output}` or load_solver(..., calibration=...)')
    return 0
