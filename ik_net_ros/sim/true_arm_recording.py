"""
``ik_net_ros true-arm``: a simulated imperfect arm (joint offsets, link errors, gravity sag).

Written as a YAML file for the sim driver's ``true_arm``, and optionally a recording of it as
the collector with a tracker would make one, without ROS: still configurations seen by a
tracker in the base frame (the default), or, with ``--tracker-rate``, the arm babbling
stop-and-go seen by a camera or motion-capture tracker in its own frame, of a marker off the
tool, late, at its own rate, with swapped-marker outliers, paired as the collector pairs.
"""

from __future__ import annotations

import argparse
from dataclasses import replace
import math

from ik_net_ros.data import PoseJointSet, save_dataset
from ik_net_ros.errors import ConfigError
from ik_net_ros.kinematics.chain import chain_forward
from ik_net_ros.kinematics.rigid import pose_from_xyz_rpy
from ik_net_ros.kinematics.tracker_setup import (
    MAX_FRAME_DISTANCE,
    MAX_LATENCY,
    MAX_MARKER_DISTANCE,
    TrackerSetup,
)
from ik_net_ros.kinematics.true_arm import TrueArm
from ik_net_ros.sim.tracker import (
    babble_goal,
    described_arm,
    simulate_recording,
    SimulatedTracker,
)
from ik_net_ros.tools.common import (
    add_arm_argument,
    arm_from_args,
    count_in,
    number_in,
    writable_output,
    xyz_rpy,
)
import numpy as np


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument('--output', required=True, help='the true arm file to write (.yaml)')
    add_arm_argument(parser)
    parser.add_argument('--seed', type=count_in(0, 2 ** 32 - 1), default=0)
    parser.add_argument('--offsets-deg', type=number_in(0.0, 10.0), default=1.5)
    parser.add_argument('--links-mm', type=number_in(0.0, 10.0), default=1.5)
    parser.add_argument('--sag-deg', type=number_in(0.0, 5.0), default=0.5)
    parser.add_argument('--tilt-deg', type=number_in(0.0, 3.0), default=0.0,
                        help='lean each joint axis up to this (two tilts per joint; 0: none)')
    parser.add_argument('--record', help='also write a simulated recording (.csv or .npz)')
    parser.add_argument('--rows', type=count_in(30, 10_000_000), default=2000)
    parser.add_argument('--record-seed', type=count_in(0, 2 ** 32 - 1), default=None,
                        help='seed of the recording (default: --seed + 1); another seed gives '
                             'a held-out recording of the same arm')
    parser.add_argument('--position-noise', type=number_in(0.0, 0.1), default=3e-4,
                        help='tracker noise, m per axis')
    parser.add_argument('--orientation-noise', type=number_in(0.0, 0.5),
                        default=math.radians(0.2), help='tracker noise, rad per axis')
    parser.add_argument('--tracker-frame', type=xyz_rpy(MAX_FRAME_DISTANCE), default=[0.0] * 6,
                        help="the tracker frame's true pose in the base frame, "
                             'X,Y,Z,ROLL,PITCH,YAW (m, deg; default: the base frame)')
    parser.add_argument('--frame-id', default=None,
                        help="the frame the recording names (default: 'world' for the base "
                             "frame, else 'camera')")
    parser.add_argument('--marker', type=xyz_rpy(MAX_MARKER_DISTANCE), default=[0.0] * 6,
                        help="the marker's true pose on the tool (default: the tool centre)")
    parser.add_argument('--latency', type=number_in(0.0, MAX_LATENCY), default=0.0,
                        help='s the tracker stamps are late (needs --tracker-rate)')
    parser.add_argument('--tracker-rate', type=number_in(1.0, 1000.0), default=None,
                        help='Hz: record the arm babbling stop-and-go at this tracker rate '
                             '(default: still configurations)')
    parser.add_argument('--settle', type=number_in(0.0, 10.0), default=0.5,
                        help='s the babbling arm stays at each goal (with --tracker-rate)')
    parser.add_argument('--outliers', type=number_in(0.0, 0.5), default=0.0,
                        help='share of measurements of a swapped marker')
    parser.add_argument('--max-speed', type=number_in(0.0, 10.0), default=0.0,
                        help="rad/s: rows of a faster arm are not kept, as collect's "
                             'measured_max_speed (with --tracker-rate; 0: all are)')


def record(arm: TrueArm, rows: int, rng: np.random.Generator, position_noise: float,
           orientation_noise: float, tracker: SimulatedTracker | None = None) -> PoseJointSet:
    """Record ``arm`` at still babble goals: commanded joints, nominal FK and measured poses."""
    tracker = tracker or SimulatedTracker(position_noise=position_noise,
                                          orientation_noise=orientation_noise)
    nominal = described_arm(arm)
    joints = np.array([babble_goal(nominal, rng) for _ in range(rows)])
    measured = tracker.measure(arm.tool_poses(joints), rng)
    return PoseJointSet(chain_forward(nominal, joints), joints,
                        {'source': 'simulated true arm', 'measured_frame': tracker.frame_id,
                         'arm': nominal.name},
                        measured)


def run(args: argparse.Namespace) -> int:
    output = writable_output(args.output, 'true arm file')
    target = writable_output(args.record, 'recording') if args.record else None
    if args.record and args.latency and args.tracker_rate is None:
        raise ConfigError('--latency needs --tracker-rate (a still arm shows no latency)')
    base = not any(args.tracker_frame)
    setup = TrackerSetup(tuple(pose_from_xyz_rpy(args.tracker_frame)),
                         tuple(pose_from_xyz_rpy(args.marker)), args.latency,
                         args.frame_id or ('world' if base else 'camera'))
    arm = replace(TrueArm.random(args.seed, args.offsets_deg, args.links_mm, args.sag_deg,
                                 base=arm_from_args(args), tilt_deg=args.tilt_deg),
                  tracker=setup)
    try:
        arm.save(output)
    except OSError as e:
        raise ConfigError(f'true arm file {output}: cannot be written ({e.strerror})') from e
    print(f'wrote {output}: {arm.arm.name}, offsets '
          f'{np.degrees(arm.arm.errors.offsets).round(3).tolist()} deg, sag '
          f'{np.degrees(arm.sag).round(3).tolist()} deg')
    if target is None:
        return 0
    tracker = SimulatedTracker(setup, args.tracker_rate or 1000.0, args.position_noise,
                               args.orientation_noise, args.outliers, setup.frame_id)
    rng = np.random.default_rng(args.seed + 1 if args.record_seed is None else args.record_seed)
    if args.tracker_rate is None:
        data = record(arm, args.rows, rng, args.position_noise, args.orientation_noise, tracker)
    else:
        data = simulate_recording(arm, tracker, args.rows, rng, settle=args.settle,
                                  max_speed=args.max_speed)
    save_dataset(data, target)
    print(f'wrote {target}: {len(data)} rows with measured poses in frame '
          f"'{tracker.frame_id}'")
    return 0
