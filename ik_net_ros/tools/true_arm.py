"""
``ik_net_ros true-arm``: a simulated imperfect arm (joint offsets, link errors, gravity sag).

Written as a YAML file for the sim driver's ``true_arm``, and
optionally a recording of it as the collector with a tracker would make one (joints and noisy
measured tool poses), without ROS.
"""

from __future__ import annotations

import argparse
import math

from ik_net_ros.data import PoseJointSet, save_dataset
from ik_net_ros.errors import ConfigError
from ik_net_ros.kinematics import forward_kinematics
from ik_net_ros.kinematics.paths import babble_joints
from ik_net_ros.kinematics.true_arm import measure, TrueArm
from ik_net_ros.tools.common import count_in, number_in, writable_output
import numpy as np


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument('--output', required=True, help='the true arm file to write (.yaml)')
    parser.add_argument('--seed', type=count_in(0, 2 ** 32 - 1), default=0)
    parser.add_argument('--offsets-deg', type=number_in(0.0, 10.0), default=1.5)
    parser.add_argument('--links-mm', type=number_in(0.0, 10.0), default=1.5)
    parser.add_argument('--sag-deg', type=number_in(0.0, 5.0), default=0.5)
    parser.add_argument('--record', help='also write a simulated recording (.csv or .npz)')
    parser.add_argument('--rows', type=count_in(30, 10_000_000), default=2000)
    parser.add_argument('--record-seed', type=count_in(0, 2 ** 32 - 1), default=None,
                        help='seed of the recording (default: --seed + 1); another seed gives '
                             'a held-out recording of the same arm')
    parser.add_argument('--position-noise', type=number_in(0.0, 0.1), default=3e-4,
                        help='tracker noise, m per axis')
    parser.add_argument('--orientation-noise', type=number_in(0.0, 0.5),
                        default=math.radians(0.2), help='tracker noise, rad per axis')


def record(arm: TrueArm, rows: int, rng: np.random.Generator, position_noise: float,
           orientation_noise: float) -> PoseJointSet:
    """Record ``arm`` babbling: commanded joints, nominal FK poses, measured poses."""
    joints = np.array([babble_joints(rng) for _ in range(rows)])
    measured = measure(arm.tool_poses(joints), rng, position_noise, orientation_noise)
    return PoseJointSet(forward_kinematics(joints), joints, {'source': 'simulated true arm'},
                        measured)


def run(args: argparse.Namespace) -> int:
    output = writable_output(args.output, 'true arm file')
    target = writable_output(args.record, 'recording') if args.record else None
    arm = TrueArm.random(args.seed, args.offsets_deg, args.links_mm, args.sag_deg)
    try:
        arm.save(output)
    except OSError as e:
        raise ConfigError(f'true arm file {output}: cannot be written ({e.strerror})') from e
    print(f'wrote {output}: offsets {np.degrees(arm.geometry.joint_offsets).round(3).tolist()} '
          f'deg, sag {np.degrees(arm.sag).round(3).tolist()} deg')
    if target is not None:
        seed = args.seed + 1 if args.record_seed is None else args.record_seed
        data = record(arm, args.rows, np.random.default_rng(seed),
                      args.position_noise, args.orientation_noise)
        save_dataset(data, target)
        print(f'wrote {target}: {len(data)} rows with measured poses')
    return 0
