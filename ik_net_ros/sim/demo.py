"""
``ik_net_ros demo`` (``make demo``): the live IK loop on a simulated arm over real DDS.

Starts the ``driver`` (sim backend) and the ``ik`` node as their own processes, as
``ros2 launch`` would; this process sweeps targets through the workspace and watches the joint
commands and states. Prints targets sent and answered, tracking error (FK of each command
against its target) and latency (target published -> command received), and saves a plot.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
import signal
import subprocess
import sys
import time

from ik_net_ros.arm import ARM_NAMES, ArmError, load_arm
from ik_net_ros.kinematics.chain import chain_forward
from ik_net_ros.resources import share_dir
from ik_net_ros.tools.common import number_in
import numpy as np


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument('--model', default='focused',
                        help='original | improved | focused | analytic | checkpoint path')
    parser.add_argument('--arm', default='open_manipulator_x',
                        help=f"the arm: {', '.join(ARM_NAMES)} or the path of an arm YAML")
    parser.add_argument('--device', default='cpu', help='cpu | cuda | auto')
    parser.add_argument('--refine', action='store_true', help='refine after the network')
    parser.add_argument('--duration', type=number_in(0.0, 86400.0, low_open=True), default=10.0,
                        help='seconds of measurement')
    parser.add_argument('--rate', type=number_in(0.1, 1000.0), default=50.0,
                        help='targets per second')
    parser.add_argument('--speed', type=number_in(0.0, 100.0, low_open=True), default=3.0,
                        help='path speed factor')
    parser.add_argument('--output', default='demo_output', help='folder for the plot')
    parser.add_argument('--startup-timeout', type=number_in(1.0, 3600.0), default=60.0)


# the demo's own namespace: its targets reach only its ik node, and only its ik node's answers
# are counted, whatever else runs on the domain (another ik node once made it 196.6 % answered)
NAMESPACE = f'/ik_net_ros_demo_{os.getpid()}'


def _start_node(module: str, params: dict, remaps: dict | None = None,
                namespace: str = '/') -> subprocess.Popen:
    cmd = [sys.executable, '-m', module, '--ros-args', '-r', f'__ns:={namespace}',
           '--params-file', str(share_dir('config') / 'ik.yaml')]
    for key, value in params.items():
        cmd += ['-p', f'{key}:={value}']
    for name, target in (remaps or {}).items():
        cmd += ['-r', f'{name}:={target}']
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)


def _stop(procs) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
    for proc in procs:
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def run(args: argparse.Namespace) -> int:
    from ik_net_ros.sim.demo_nodes import DemoMonitor, RecordingSweep
    import rclpy
    from rclpy.executors import SingleThreadedExecutor

    try:
        arm = load_arm(args.arm)
    except ArmError as e:
        print(f'error: --arm {args.arm!r}: {e}', file=sys.stderr)
        return 2
    os.environ.setdefault('ROS_AUTOMATIC_DISCOVERY_RANGE', 'LOCALHOST')
    procs = [
        _start_node('ik_net_ros.nodes.driver_node', {'backend': 'sim', 'arm': args.arm},
                    namespace=NAMESPACE),
        _start_node('ik_net_ros.nodes.ik_node', {'model': args.model, 'device': args.device,
                                                 'refine': str(args.refine).lower(),
                                                 'arm': args.arm},
                    namespace=NAMESPACE),
    ]
    rclpy.init()
    sweep = RecordingSweep(namespace=NAMESPACE, parameter_overrides=[
        rclpy.parameter.Parameter('rate', value=float(args.rate)),
        rclpy.parameter.Parameter('speed', value=float(args.speed)),
        rclpy.parameter.Parameter('arm', value=args.arm)])
    monitor = DemoMonitor(arm.joint_names, namespace=NAMESPACE)
    executor = SingleThreadedExecutor()
    executor.add_node(sweep)
    executor.add_node(monitor)
    try:
        print(f'demo: model {args.model}, {args.rate:.0f} targets/s for {args.duration:.0f} s; '
              'starting driver and ik nodes...')
        deadline = time.monotonic() + args.startup_timeout
        monitor.record = True  # warm-up: wait until the loop answers
        while not monitor.commands or not monitor.states:
            executor.spin_once(timeout_sec=0.05)
            if time.monotonic() > deadline or any(p.poll() is not None for p in procs):
                raise RuntimeError('the driver or ik node did not come up:\n'
                                   + _drain(procs))
        monitor.commands.clear()
        monitor.states.clear()
        sweep.record = True
        end = time.monotonic() + args.duration
        while time.monotonic() < end:
            executor.spin_once(timeout_sec=0.01)
        sweep.record = False
        settle = time.monotonic() + 0.3  # let the last answers arrive
        while time.monotonic() < settle:
            executor.spin_once(timeout_sec=0.01)
        monitor.record = False
    finally:
        executor.shutdown()
        sweep.destroy_node()
        monitor.destroy_node()
        rclpy.try_shutdown()
        _stop(procs)
    return _report(args, arm, sweep.sent, monitor.commands, monitor.states)


def _drain(procs) -> str:
    _stop(procs)
    return '\n'.join(p.stdout.read() for p in procs if p.stdout)


def _report(args, arm, sent: dict, commands: list, states: list) -> int:
    matched = [(sent[stamp], received, joints) for stamp, received, joints in commands
               if stamp in sent]
    print(f'targets sent {len(sent)}, answered {len(matched)} '
          f'({100 * len(matched) / max(1, len(sent)):.1f} %)')
    if not matched:
        print('no target was answered')
        return 1
    latency_ms = np.array([1e3 * (received - t_sent) for (t_sent, _), received, _ in matched])
    targets = np.array([pose for (_, pose), _, _ in matched])
    commanded = chain_forward(arm, np.array([joints for _, _, joints in matched]))
    err_mm = 1e3 * np.linalg.norm(commanded[:, :3] - targets[:, :3], axis=1)
    print(f'tracking error (FK of command vs target): p50 {np.percentile(err_mm, 50):.2f} mm, '
          f'p99 {np.percentile(err_mm, 99):.2f} mm, max {err_mm.max():.2f} mm')
    print(f'latency target -> command: p50 {np.percentile(latency_ms, 50):.2f} ms, '
          f'p99 {np.percentile(latency_ms, 99):.2f} ms')
    achieved = chain_forward(arm, np.array([q for _, q in states])) if states else None
    path = _plot(args, targets, commanded, achieved, err_mm)
    print(f'plot: {path}')
    return 0


def _plot(args, targets, commanded, achieved, err_mm) -> Path:
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.8))
    for ax, (i, j, label) in zip(axes[:2], ((0, 1, 'top view: x-y'), (0, 2, 'side view: x-z'))):
        ax.plot(targets[:, i] * 1e3, targets[:, j] * 1e3, 'k-', lw=3, alpha=0.3, label='target')
        ax.plot(commanded[:, i] * 1e3, commanded[:, j] * 1e3, 'b.', ms=2,
                label='FK of ik command')
        if achieved is not None:
            ax.plot(achieved[:, i] * 1e3, achieved[:, j] * 1e3, 'r-', lw=1,
                    label='arm (joint_states)')
        ax.set_xlabel('xyz'[i] + ' (mm)')
        ax.set_ylabel('xyz'[j] + ' (mm)')
        ax.set_title(label)
        ax.axis('equal')
        ax.legend(fontsize=8)
    axes[2].hist(err_mm, bins=50)
    axes[2].set_xlabel('tracking error (mm)')
    axes[2].set_title(f'{args.model}: p50 {np.median(err_mm):.2f} mm')
    fig.suptitle(f'ik_net_ros demo: model {args.model}, simulated arm, real DDS')
    fig.tight_layout()
    path = out / f'demo-{Path(str(args.model)).stem}.png'
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
