"""
The ik node's parameters, and the solver and target frames they make.

One table: default, description, rule (mirrored in config/ik.yaml and docs/ros-interface.md).
"""

from __future__ import annotations

from dataclasses import replace

from ik_net_ros.arm import Arm, default_arm
from ik_net_ros.errors import ConfigError
from ik_net_ros.kinematics.calibration_file import load_calibration, load_tracker_setup
from ik_net_ros.kinematics.planar import is_planar, planar_chain
from ik_net_ros.kinematics.rigid import compose, pose_from_xyz_rpy
from ik_net_ros.kinematics.target_frames import FrameError, TargetFrames
from ik_net_ros.nodes.arm_params import node_arm, speed_within
from ik_net_ros.nodes.params import (
    ARM,
    description_spec,
    EXECUTOR,
    MAX_PERIOD,
    non_empty,
    number_in,
    one_of,
    period,
    PERIOD_NEED,
    PREFIX,
    Spec,
    TABLE_CLEARANCE,
    WORKSPACE,
    workspace_box,
    xyz_rpy_within,
)
from ik_net_ros.robot_urdf import base_link_name
from ik_net_ros.solver import Solver
from ik_net_ros.solver.live import live_solver
from ik_net_ros.solver.trajectory_timing import MIN_VELOCITY
import numpy as np

__all__ = ['PARAMETERS', 'make_solver', 'make_frames', 'FRAME_PARAMS']

MAX_BASE_DISTANCE = 100.0  # m from world's origin: a hall of arms, not a typo
# the default arm's slowest joint (the OM-X: 4.8 rad/s); another arm is checked against its own
ARM_SPEED = float(min(default_arm().velocity))
PARAMETERS = {
    'arm': ARM,
    'model': Spec('focused', 'original | improved | focused | analytic | checkpoint path'),
    'device': Spec('cpu', 'cpu | cuda | cuda:N | auto (cuda when there is a GPU)'),
    'refine': Spec(False, 'add damped Gauss-Newton steps after the network '
                          '(sub-micrometre accuracy)'),
    'description': description_spec('the targets are given in'),
    'calibration': Spec('', 'calibration file of this arm (`ik_net_ros calibrate`): joint '
                            'offsets and link lengths the solver uses; empty: the nominal arm'),
    'frame_id': Spec('world', "frame an empty target frame_id means: the arm's base (link1; "
                              'world, one frame with it unless base_xyz_rpy places the arm in '
                              'it) or the tracker frame of the calibration (targets there are '
                              'moved into the base frame with it). Targets in other frames go '
                              'through tf2 where it is installed, else are refused',
                     non_empty, "world, link1 or the calibration's tracker frame"),
    'base_xyz_rpy': Spec([0.0] * 6, "the arm's base (<prefix>link1) in world: x, y, z (m), "
                                    'roll, pitch, yaw (deg), as the launch argument places it '
                                    '(the URDF says the same to TF); targets in world are moved '
                                    'into the base frame with it. Zeros: one frame',
                         xyz_rpy_within(MAX_BASE_DISTANCE),
                         f'6 numbers, within {MAX_BASE_DISTANCE:g} m, angles in [-360, 360] deg',
                         fixed=True),
    'publish_tracker_frame': Spec(True, "publish the calibration's tracker frame (child of "
                                        '<prefix>link1) on /tf_static where tf2_msgs is '
                                        'installed; false where another node places it (a '
                                        'frame has one parent in TF)', fixed=True),
    'accept_empty_frame': Spec(True, 'treat targets with an empty frame_id as in frame_id'),
    'solution': Spec('nearest', 'which solution a target gets: nearest (the safe solution '
                                'nearest where the arm is: no jumps, never the long way round) '
                                '| branch (the branch rule of the training labels, each target '
                                'on its own; still clear of collisions)',
                     one_of('nearest', 'branch'), 'nearest | branch'),
    'max_jump': Spec(0.5, 'rad a joint may move for a target within 10 mm and 5 deg of the '
                          "arm's tool pose (more is another elbow or side: refused)",
                     number_in(0.0, 7.0, low_open=True), 'an angle in (0, 7] rad'),
    'allow_long_moves': Spec(True, 'answer a far target whose only safe solution turns joint1 '
                                   'more than half a turn (a long, slow move timed at '
                                   'max_velocity); false: refuse it'),
    'table_clearance': TABLE_CLEARANCE,
    'workspace': WORKSPACE,
    'max_velocity': Spec(ARM_SPEED, 'rad/s the commanded moves are timed for in '
                                    'JointTrajectory points, from where the arm may be (its '
                                    'newest joint state and the commands since)',
                         speed_within(MIN_VELOCITY),
                         f"a speed in [{MIN_VELOCITY}, the arm's velocity limit] rad/s "
                         f'({ARM_SPEED:g} on the OpenMANIPULATOR-X)'),
    'publish_trajectory': Spec(False, 'also publish trajectory_msgs/JointTrajectory '
                                      '(ROBOTIS arm_controller); joint_states are then always '
                                      'heard, to time each point from where the arm is'),
    'trajectory_duration': Spec(0.0, 'least time_from_start of a JointTrajectory point, s; '
                                     'never less than the move needs at max_velocity. 0: the '
                                     'time since the previous target (streaming), at most 1 s',
                                number_in(0.0, MAX_PERIOD), f'a time in [0, {MAX_PERIOD:g}] s'),
    'reached_tolerance': Spec(0.01, 'rad every joint of joint_states must come within of a '
                                    "command for its target's fate to be reached (target_fate)",
                              number_in(0.0, 0.5, low_open=True), 'an angle in (0, 0.5] rad'),
    'stats_period': Spec(5.0, 'seconds between statistics logs', period, PERIOD_NEED,
                         fixed=True),
    'prefix': PREFIX,
    'executor': EXECUTOR,
}


FRAME_PARAMS = ('frame_id', 'accept_empty_frame', 'calibration')


def make_solver(params: dict, arm: Arm | None = None) -> Solver:
    """
    Return the solver of ``arm`` the ik node's parameters ask for (see ``live_solver``).

    ``arm``: the node's (None: the one its ``arm`` and ``description`` parameters select).

    Raises
    ------
    IkNetError
        A bad model, device (also one that does not exist, whatever the model) or calibration,
        or an arm the solver cannot take.

    """
    arm = arm if arm is not None else node_arm(params['arm'], params['description'])
    try:
        solver = live_solver(params['model'], params['device'], arm.description or None,
                             params['calibration'] or None, params['refine'],
                             params['table_clearance'], workspace_box(params['workspace']),
                             arm=arm)
    except ValueError as e:  # a layer below that does not take this arm yet (issue 33)
        raise ConfigError(f'arm {arm.name}: {e}') from e
    configure(solver, params)
    return solver


def configure(solver: Solver, params: dict) -> None:
    """
    Set the solver's rules for seeded targets from the node's parameters.

    Once per parameter change (and per new solver), not per target: the node's targets and its
    solve_ik service are solved with these values.
    """
    solver.max_jump = params['max_jump']
    solver.allow_long_moves = params['allow_long_moves']


def _joint1_height(arm: Arm) -> float:
    """Return joint1's height above the base frame (m): what differs between descriptions."""
    upright = arm.upright()
    if is_planar(upright):
        return planar_chain(upright).base_height  # (the OM-X's figure, its errors included)
    return arm.joints[0].origin.xyz[2] + arm.errors.origin_deltas[0][2]


def make_frames(params: dict, arm: Arm | None = None) -> TargetFrames:
    """
    Return the frames targets are taken in.

    Targets in the calibration's tracker frame land in the description's base frame; targets in
    world go through the base placement.

    Raises
    ------
    ConfigError
        frame_id names neither the base frame nor the calibration's tracker frame, or the
        calibration is of another arm.
    DatasetError
        An unreadable calibration file.

    """
    arm = arm if arm is not None else node_arm(params['arm'], params['description'])
    tracker = None
    if params['calibration']:
        tracker = load_tracker_setup(params['calibration'])
        # the tracker frame was calibrated in the calibration's base frame; targets come in the
        # description's, whose joint1 may sit at another height (jazzy: 17 mm lower)
        calibrated = load_calibration(params['calibration'])  # the calibrated Arm
        if calibrated.name != arm.name:
            raise ConfigError(f"parameter calibration = {params['calibration']!r} refused: a "
                              f'calibration of {calibrated.name}, the arm is {arm.name}')
        shift = _joint1_height(arm) - _joint1_height(calibrated)
        if shift:
            tracker = replace(tracker, frame=tuple(compose(
                (0.0, 0.0, shift, 0.0, 0.0, 0.0, 1.0), np.asarray(tracker.frame)).tolist()))
    placement = params.get('base_xyz_rpy', [0.0] * 6)
    base = tuple(pose_from_xyz_rpy(placement).tolist()) if any(placement) else None
    try:
        return TargetFrames(params['frame_id'], params['accept_empty_frame'],
                            params['prefix'], tracker, base, base_link_name(arm))
    except FrameError as e:
        raise ConfigError(f"parameter frame_id = {params['frame_id']!r} refused: {e}") \
            from e
