"""
An experiment: Focused IKNet's orientation branch fed the quaternion or the rotation matrix.

``PYTHONPATH=<checkout> nice -n 19 python benchmarks/orientation_input.py --arm omx_f
[--rows 300000 --epochs 12]`` trains the same Focused network (the shipped widths, (cos, sin)
outputs for the full-turn joints, joint MSE, Adam 2e-3 on a cosine schedule, one torch thread)
twice on the same synthetic rows, once with the pose's quaternion and once with its rotation
matrix as the orientation branch's input, and prints each one's held-out tool error. Why: the
OMX-F's wrist roll is a quadratic function of the quaternion but nearly a linear one of the
matrix's last row (roll = atan2(R21, R22)); the question is how much of the OMX-F's gap to the
OM-X's accuracy that explains. The package's networks take the quaternion (the paper's input).
"""

from __future__ import annotations

import argparse
import time

from ik_net_ros.arm import load_arm
from ik_net_ros.data.synthetic import make_synthetic
from ik_net_ros.kinematics.chain import chain_forward
from ik_net_ros.networks.angles import circular_joints, decode, encode
from ik_net_ros.networks.focused import FocusedIKNet
from ik_net_ros.tools.common import HELD_OUT_SEED
import numpy as np
from scipy.spatial.transform import Rotation
import torch
from torch import nn


def _features(poses: np.ndarray, orientation: str) -> np.ndarray:
    """Return the network's inputs: position and quaternion (N, 7) or rotation matrix (N, 12)."""
    if orientation == 'quaternion':
        return poses
    matrix = Rotation.from_quat(poses[:, 3:]).as_matrix().reshape(len(poses), 9)
    return np.concatenate([poses[:, :3], matrix], axis=1)


def _train_and_score(arm, train, test, orientation: str, epochs: int, seed: int) -> tuple:
    """Return (median mm, p95 mm, seconds) of one training with ``orientation`` inputs."""
    torch.manual_seed(seed)
    circular, reference = circular_joints(train.joints)
    x, y = _features(train.poses, orientation), encode(train.joints, circular)
    x_mean, x_std = x.mean(0), x.std(0) + 1e-9  # a constant matrix entry: no division by 0
    y_mean, y_std = y.mean(0), y.std(0)
    xt = torch.tensor((x - x_mean) / x_std, dtype=torch.float32)
    yt = torch.tensor((y - y_mean) / y_std, dtype=torch.float32)
    net = FocusedIKNet(outputs=y.shape[1])
    # the orientation branch's first layer takes 9 inputs instead of 4
    net.orientation[0] = nn.Linear(x.shape[1] - 3, net.orientation[0].out_features)
    optimiser = torch.optim.Adam(net.parameters(), 2e-3)
    steps = epochs * (len(xt) // 1024)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimiser, steps, 2e-6)
    start = time.perf_counter()
    net.train()
    for _ in range(epochs):
        order = torch.randperm(len(xt))
        for i in range(0, len(xt) - 1023, 1024):
            batch = order[i:i + 1024]
            loss = ((net(xt[batch]) - yt[batch]) ** 2).mean()
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
    net.eval()
    with torch.no_grad():
        inputs = torch.tensor((_features(test.poses, orientation) - x_mean) / x_std,
                              dtype=torch.float32)
        raw = net(inputs).double().numpy() * y_std + y_mean
    joints = decode(raw, circular, reference)
    mm = 1e3 * np.linalg.norm(chain_forward(arm, joints)[:, :3] - test.poses[:, :3], axis=1)
    return float(np.median(mm)), float(np.percentile(mm, 95)), time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    """Print both trainings' held-out tool error (see the module's docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument('--arm', default='omx_f')
    parser.add_argument('--rows', type=int, default=300_000)
    parser.add_argument('--epochs', type=int, default=12)
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    arm = load_arm(args.arm)
    train = make_synthetic(args.rows, 5, arm)
    test = make_synthetic(10_000, HELD_OUT_SEED, arm)
    print(f'{arm.name}: Focused IKNet, {args.rows} rows, {args.epochs} epochs, held-out 10,000')
    print('| orientation input | median mm | p95 mm | train s |\n|---|---|---|---|')
    for orientation in ('quaternion', 'matrix'):
        median, p95, seconds = _train_and_score(arm, train, test, orientation, args.epochs,
                                                args.seed)
        print(f'| {orientation} | {median:.2f} | {p95:.2f} | {seconds:.0f} |', flush=True)
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
