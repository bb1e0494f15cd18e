"""End-to-end latency through ROS: PoseStamped published -> JointState received, for the ik
node and for a do-nothing responder (the floor of rclpy on this machine), with the driver
running, at fixed target rates."""

from __future__ import annotations

import threading
import time

import numpy as np

from ik_net_ros.kinematics.paths import sweep_pose
from ik_net_ros.tools.demo import _start_node, _stop

__all__ = ['ros_latency']


def _run_rate(rate: float, duration: float, responder: str, model: str) -> dict:
    import rclpy
    from geometry_msgs.msg import PoseStamped
    from rclpy.executors import SingleThreadedExecutor
    from sensor_msgs.msg import JointState

    from ik_net_ros.nodes.conversions import array_to_pose

    procs = [_start_node('ik_net_ros.nodes.driver_node', {'backend': 'sim'})]
    if responder == 'ik':
        procs.append(_start_node('ik_net_ros.nodes.ik_node', {'model': model}))
    else:
        procs.append(_start_node('ik_net_ros.nodes.echo_responder_node', {}))
    context = rclpy.Context()
    rclpy.init(context=context)
    node = rclpy.create_node('bench_client', context=context)
    executor = SingleThreadedExecutor(context=context)
    executor.add_node(node)
    sent: dict[tuple[int, int], float] = {}
    received: list[tuple[tuple[int, int], float]] = []

    def on_command(msg: JointState) -> None:
        received.append(((msg.header.stamp.sec, msg.header.stamp.nanosec), time.perf_counter()))

    node.create_subscription(JointState, 'joint_command', on_command, 1000)
    pub = node.create_publisher(PoseStamped, 'target_pose', 10)
    poses = sweep_pose(np.arange(int(rate * duration) + 1) / rate, speed=3.0)
    try:
        deadline = time.monotonic() + 60
        while pub.get_subscription_count() == 0 or not received:
            if pub.get_subscription_count():  # probe until the responder answers
                pub.publish(array_to_pose(poses[0], 'world', node.get_clock().now().to_msg()))
            executor.spin_once(timeout_sec=0.05)
            if time.monotonic() > deadline:
                raise RuntimeError(f'{responder} did not answer within 60 s')
        time.sleep(1.0)  # let start-up settle
        executor.spin_once(timeout_sec=0.01)
        received.clear()
        stop = threading.Event()

        def publish_loop():
            period, start = 1.0 / rate, time.perf_counter()
            for i, pose in enumerate(poses):
                while time.perf_counter() < start + i * period:
                    time.sleep(max(0.0, start + i * period - time.perf_counter() - 2e-4))
                stamp = divmod(10 ** 12 + i * 1000, 10 ** 9)
                msg = array_to_pose(pose, 'world', node.get_clock().now().to_msg())
                msg.header.stamp.sec, msg.header.stamp.nanosec = stamp
                sent[stamp] = time.perf_counter()
                pub.publish(msg)
                if stop.is_set():
                    break

        thread = threading.Thread(target=publish_loop)
        thread.start()
        while thread.is_alive():
            executor.spin_once(timeout_sec=0.01)
        end = time.monotonic() + 1.0
        while time.monotonic() < end:
            executor.spin_once(timeout_sec=0.01)
    finally:
        executor.shutdown()
        node.destroy_node()
        context.try_shutdown()
        _stop(procs)
    latencies = np.array([1e3 * (t - sent[s]) for s, t in received if s in sent])
    newest = max(sent)
    half = len(latencies) // 2
    return {
        'rate_hz': rate, 'sent': len(sent), 'answered': len(latencies),
        'p50_ms': float(np.percentile(latencies, 50)),
        'p99_ms': float(np.percentile(latencies, 99)),
        'first_half_p50_ms': float(np.percentile(latencies[:half], 50)) if half else None,
        'second_half_p50_ms': float(np.percentile(latencies[half:], 50)) if half else None,
        'newest_answered': any(s == newest for s, _ in received),
    }


def ros_latency(model: str = 'focused', rates=(100.0, 1000.0), duration: float = 5.0,
                progress=None) -> dict:
    """{rate: {'ik': figures, 'floor': figures}} for each target rate."""
    out = {}
    for rate in rates:
        out[str(int(rate))] = {}
        for responder in ('floor', 'ik'):
            out[str(int(rate))][responder] = _run_rate(rate, duration, responder, model)
            if progress:
                progress.update(1)
    return out
