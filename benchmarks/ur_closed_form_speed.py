"""
Speed of the UR-layout closed form (the OMY's eight branches) and its branch rule.

``PYTHONPATH=<checkout> python benchmarks/ur_closed_form_speed.py [--arm omy_f3m]`` prints, per
pose, the median of repeated runs of: ``ur_inverse`` of 1 pose (numpy) and of 100,000 poses,
``nearest_solution`` of 100,000 poses, and the single-pose twins ``ur_inverse_one`` and
``nearest_solution_one``. Both the wall-clock and the process CPU time are printed: on a
shared machine the CPU time is the figure that does not depend on the other processes' load.

``--accuracy N`` first sweeps N joint vectors drawn in the real limits, a fifth of them on or
near the wrist set and a fifth near the straight elbow, through the one chain and back: the
largest position and rotation error of every reachable branch, NaNs, the share of drawn joints
found among the branches, and how many branches the poses have.
"""

from __future__ import annotations

import argparse
import statistics
import time

from ik_net_ros.arm import load_arm
from ik_net_ros.kinematics.chain import chain_forward
from ik_net_ros.kinematics.ur_branches import nearest_solution
from ik_net_ros.kinematics.ur_closed_form import ur_inverse
from ik_net_ros.kinematics.ur_closed_form_one import nearest_solution_one, ur_inverse_one
import numpy as np


def _rotation_error(a, b) -> np.ndarray:
    """Return the angle (rad) between the rotations of unit quaternions a, b (..., 4)."""
    b = b * np.where(np.sum(a * b, axis=-1) < 0, -1.0, 1.0)[..., None]  # the same hemisphere
    return 2 * np.arctan2(np.linalg.norm(a - b, axis=-1), np.linalg.norm(a + b, axis=-1))


def accuracy(arm, n: int, seed: int = 11) -> None:
    """Print the sweep of ``--accuracy`` (see the module's docstring)."""
    rng = np.random.default_rng(seed)
    q = rng.uniform(arm.lower, arm.upper, (n, arm.dof))
    k = n // 5
    q[:k, 4] = (rng.choice([0.0, np.pi, -np.pi], k)
                + rng.choice([0.0, 1e-14, 1e-10, 1e-7], k) * rng.choice([-1.0, 1.0], k))
    q[k:2 * k, 2] = rng.choice([0.0, 1e-12, 1e-9, -1e-6], k)
    poses = chain_forward(arm, q)
    sol = ur_inverse(arm, poses, free=q)
    back = chain_forward(arm, sol.joints.reshape(-1, arm.dof)).reshape(n, 8, 7)
    ok = sol.reachable
    position = np.linalg.norm(back[..., :3] - poses[:, None, :3], axis=-1)[ok]
    rotation = _rotation_error(back[..., 3:], np.broadcast_to(poses[:, None, 3:],
                                                              back[..., 3:].shape))[ok]
    off = np.abs(np.angle(np.exp(1j * (sol.joints - q[:, None, :])))).max(-1)
    off[~ok] = np.inf
    print(f'{arm.name}: {n} poses, branches per pose {np.bincount(ok.sum(1), minlength=9)}')
    print(f'  every reachable branch: max {position.max():.2e} m, {rotation.max():.2e} rad; '
          f'NaN {bool(np.isnan(sol.joints).any())}')
    print(f'  drawn joints among the branches: {np.mean(off.min(1) < 1e-6):.4%} within 1e-6 '
          f'rad, {np.mean(off.min(1) < 0.05):.4%} within 0.05 rad (singular sets: the pose '
          'fixes them only to rounding / |sin|)')


def _per_call(call, number: int, repeat: int) -> tuple[float, float]:
    """Return the median wall and CPU seconds of one call over ``repeat`` runs of ``number``."""
    wall, cpu = [], []
    for _ in range(repeat):
        w, c = time.perf_counter(), time.process_time()
        for _ in range(number):
            call()
        wall.append((time.perf_counter() - w) / number)
        cpu.append((time.process_time() - c) / number)
    return statistics.median(wall), statistics.median(cpu)


def main(argv: list[str] | None = None) -> int:
    """Print the figures; returns the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument('--arm', default='omy_f3m', help='a UR-layout arm (omy_3m, omy_f3m)')
    parser.add_argument('--poses', type=int, default=100_000, help='poses of the batch figures')
    parser.add_argument('--accuracy', type=int, default=0, help='poses of the accuracy sweep')
    args = parser.parse_args(argv)
    arm = load_arm(args.arm)
    if args.accuracy:
        accuracy(arm, args.accuracy)
    joints = np.random.default_rng(0).uniform(arm.lower, arm.upper, (args.poses, arm.dof))
    poses = chain_forward(arm, joints)
    one, seed = poses[0].tolist(), joints[0].tolist()
    rows = [
        ('ur_inverse, 1 pose (numpy)', lambda: ur_inverse(arm, one), 100, 9, 1),
        ('ur_inverse_one, 1 pose', lambda: ur_inverse_one(arm, one), 300, 9, 1),
        ('nearest_solution_one, 1 pose', lambda: nearest_solution_one(arm, one, seed), 300, 9,
         1),
        (f'ur_inverse, {args.poses} poses', lambda: ur_inverse(arm, poses), 1, 7, args.poses),
        (f'nearest_solution, {args.poses} poses', lambda: nearest_solution(arm, poses, joints),
         1, 7, args.poses),
    ]
    print(f'{arm.name}: us per pose, median (wall / CPU)')
    for label, call, number, repeat, count in rows:
        call()  # warm: caches of the layout and its numbers
        wall, cpu = _per_call(call, number, repeat)
        print(f'  {label:40s} {wall / count * 1e6:9.2f} / {cpu / count * 1e6:9.2f}')
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
