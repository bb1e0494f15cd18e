"""
``ik_net_ros calibration-demo``.

The whole procedure on a simulated imperfect arm, in one command: a hidden true arm watched by a
camera (its frame 0.5 m from the base and turned about 33 deg, a marker 35 mm off the tool centre
whose CAD pose is 0.5 mm / 0.5 deg off, 30 Hz, stamps 30 ms late, 2 % swapped-marker outliers), a
stop-and-go recording, calibration of the arm with the camera's frame, the marker and the time
offset, the learned correction (and a plain fine-tune for comparison), and the tool errors before
and after on a held-out recording, judged against the measurements and against the simulator's
truth. Each step is the ``ik_net_ros`` command a user runs on a real arm; they are printed as run.
``--base-frame`` runs the same with a tracker that reports the tool centre in the base frame.
``--arm omx_f`` runs it on another arm: the learned correction starts from the arm's shipped
focused model where there is one, else from a new network (no plain fine-tune to compare then).
The OMY's (``--arm omy_f3m``) is a correction of its no-seed branch family's closed form: the
recorded rows in another branch are left out of its training, and the solver adds it to the
answers on that family (another branch's stay exact).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ik_net_ros.arm import ARM_NAMES, DEFAULT_ARM
from ik_net_ros.errors import ConfigError
from ik_net_ros.kinematics.tracker_setup import TrackerSetup
from ik_net_ros.tools.common import count_in, number_in


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument('--output', default='calibration_demo', help='folder for every file')
    parser.add_argument('--arm', choices=ARM_NAMES, default=DEFAULT_ARM,
                        help='which ROBOTIS arm is simulated and calibrated')
    parser.add_argument('--sag-deg', type=number_in(0.0, 5.0), default=0.5,
                        help="the true arm's gravity sag at full reach (what the learned "
                             'correction is for)')
    parser.add_argument('--seed', type=count_in(0, 2 ** 31), default=3,
                        help='which imperfect arm')
    parser.add_argument('--rows', type=count_in(100, 100_000), default=2000,
                        help='recorded rows')
    parser.add_argument('--base-frame', action='store_true',
                        help='a tracker of the tool centre in the base frame, still rows')
    parser.add_argument('--tilt-deg', type=number_in(0.0, 3.0), default=0.0,
                        help="lean the arm's joint axes up to this (two tilts per joint); "
                             'calibrate estimates them where the data asks for it')


CAMERA = ['--tracker-frame', '0.3,-0.35,0.2,10,-20,25', '--marker', '0.03,0.015,0.01,0,0,0',
          '--latency', '0.03', '--tracker-rate', '30', '--outliers', '0.02', '--settle', '0.3',
          '--max-speed', '0.3']  # stop-and-go, rows of a slow or still arm: as collect records
CAD_MARKER = ['--marker', '0.0304,0.0146,0.0103,0.4,-0.4,0.3']  # 0.5 mm / 0.5 deg off


def run(args: argparse.Namespace) -> int:
    from ik_net_ros.tools.cli import main
    out = Path(args.output)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ConfigError(f'{out}: cannot make the folder ({e.strerror})') from e
    f = {name: str(out / name) for name in (
        'true_arm.yaml', 'recording.csv', 'held_out.csv', 'calibration.yaml', 'fine_tuned.pt',
        'calibrated_fine_tuned.pt', 'errors.png', 'results.json')}
    camera, marker = ([], []) if args.base_frame else (CAMERA, CAD_MARKER)
    arm = ['--arm', args.arm]
    correct = _corrects(args.arm)
    # the correction starts from the arm's focused model where one is shipped, else from a new
    # network; a plain fine-tune without a model to start from is no comparison: left out
    init = ['--init', 'focused'] if correct and _has_focused(args.arm) else []
    plain = args.base_frame and bool(init)
    sag = ['--sag-deg', str(args.sag_deg)]
    steps = [
        ['true-arm', *arm, '--output', f['true_arm.yaml'], '--seed', str(args.seed), '--record',
         f['recording.csv'], '--rows', str(args.rows), '--tilt-deg', str(args.tilt_deg), *sag,
         *camera],
        ['true-arm', *arm, '--output', f['true_arm.yaml'], '--seed', str(args.seed), '--record',
         f['held_out.csv'], '--rows', '1000', '--record-seed', str(args.seed + 1000),
         '--tilt-deg', str(args.tilt_deg), *sag, *camera],
        ['calibrate', *arm, '--data', f['recording.csv'], '--output', f['calibration.yaml'],
         *marker],
        # a plain fine-tune needs measurements of the tool centre in the base frame
        *([['train', *arm, '--target', 'measured', *init, '--data', f['recording.csv'],
            '--output', f['fine_tuned.pt'], '--no-progress']] if plain else []),
        *([['train', *arm, '--target', 'measured', *init, '--calibration',
            f['calibration.yaml'], '--data', f['recording.csv'], '--output',
            f['calibrated_fine_tuned.pt'], '--no-progress'],
           ['evaluate', *arm, '--against', 'measured', '--data', f['held_out.csv'],
            '--calibration', f['calibration.yaml'], '--fine-tuned',
            *([f['fine_tuned.pt']] if plain else []), f['calibrated_fine_tuned.pt'],
            '--true-arm', f['true_arm.yaml'], '--plot', f['errors.png'], '--json',
            f['results.json']]] if correct else []),
    ]
    for step in steps:
        print(f'\n$ ik_net_ros {" ".join(step)}', flush=True)
        code = main(step)
        if code:
            return code
    if correct:
        _whole_workspace(f)
    else:
        print(f"\nno learned correction of an arm of the {args.arm}'s shape (it adds to a "
              'closed form, which it has not): the learned correction is left out')
    _calibration_alone(f)
    return 0


def _corrects(name: str) -> bool:
    """Return whether the arm has a learned correction: one of its shape's closed form."""
    from ik_net_ros.arm import load_arm
    from ik_net_ros.kinematics.closed_forms import closed_form_kind, NoClosedFormError
    try:
        closed_form_kind(load_arm(name))
    except NoClosedFormError:
        return False
    return True


def _has_focused(name: str) -> bool:
    """Return whether the arm has a shipped focused model (the learned correction starts there)."""
    from ik_net_ros.arm import load_arm
    from ik_net_ros.errors import CheckpointError
    from ik_net_ros.model import load_model
    try:
        load_model('focused', arm=load_arm(name))
    except CheckpointError:
        return False
    return True


def _calibration_alone(f: dict) -> None:
    """Print where the calibration puts the tool against the truth, over the whole workspace."""
    from ik_net_ros.evaluation.real_arm_errors import calibration_truth
    from ik_net_ros.kinematics.calibration_file import load_calibration, load_tracker_setup
    from ik_net_ros.kinematics.true_arm import TrueArm
    true, calibrated = TrueArm.load(f['true_arm.yaml']), load_calibration(f['calibration.yaml'])
    nominal = calibration_truth(calibrated.nominal(), TrackerSetup(true.tracker.frame), true)
    truth = calibration_truth(calibrated, load_tracker_setup(f['calibration.yaml']), true)
    print(f'\n## {calibrated.name}: the tool where the calibration says the tracker sees it, '
          'against the truth (mm), 10,000 configurations uniform in the joint limits')
    for label, t in (('nominal arm (true tracker frame)', nominal), ('calibrated', truth)):
        print(f'  {label:<52} truth {t["true_mm_median"]:7.3f} median '
              f'{t["true_mm_p95"]:7.3f} p95')


def _whole_workspace(f: dict) -> None:
    """Print the truth over the whole workspace: targets uniform in the joint limits."""
    from ik_net_ros import load_solver
    from ik_net_ros.evaluation.real_arm_errors import workspace_truth
    from ik_net_ros.kinematics.calibration_file import load_tracker_setup
    from ik_net_ros.kinematics.true_arm import TrueArm
    arm, setup = TrueArm.load(f['true_arm.yaml']), load_tracker_setup(f['calibration.yaml'])
    described = arm.arm.nominal()  # the calibration is of this arm: its solvers serve it
    print('\n## true tool error (mm) over the whole workspace: 10,000 targets uniform in the '
          'joint limits, as the tracker sees them')
    for label, solver in (('calibrated closed form',
                           load_solver('analytic', calibration=f['calibration.yaml'],
                                       arm=described)),
                          ('calibrated + fine-tuned',
                           load_solver(f['calibrated_fine_tuned.pt']))):
        truth = workspace_truth(solver, arm, setup)
        refused = f' ({truth["refused"]} out of its reach left out)' if truth['refused'] else ''
        print(f'  {label:<52} truth {truth["true_mm_median"]:7.3f} median '
              f'{truth["true_mm_p95"]:7.3f} p95{refused}')
