"""
End-to-end latency through ROS.

PoseStamped published -> JointState received, for the ik node and for a do-nothing responder (the
floor of rclpy on this machine), with the driver running, at fixed target rates.

Both responders run at the same time on their own topics and the targets alternate between
them, so slow changes in the machine's load (other processes, CPU clocks) hit both alike: the
difference of the two is the ik node's own cost, not the drift between two separate runs. Two
ways of alternating, both reported: blocks of BLOCK_S seconds (each responder settles into its
rhythm), and target by target (each answer comes after the same pause: a process woken every
20 ms finds its caches colder than one woken every 10 ms, and the ik node touches more memory
than the floor: its network's weights, the solver's code).
"""

from __future__ import annotations

import os
import threading
import time

from benchmarks.ros_breakdown import stream_poses
from ik_net_ros.kinematics.paths import sweep_pose
from ik_net_ros.nodes.runner import events_executor_class
from ik_net_ros.sim.demo import _start_node, _stop
import numpy as np

__all__ = ['ros_latency', 'node_start']

BLOCK_S = 0.5  # seconds of targets to one responder before switching to the other
RESPONDERS = ('floor', 'ik')
FLOOR_TOPICS = {'target_pose': 'floor/target_pose', 'joint_command': 'floor/joint_command'}


def _figures(sent: dict, received: list, order: list) -> dict:
    """
    Latency figures of one responder.

    ``sent`` stamp -> time, ``received`` [(stamp, time)], ``order`` its stamps in the order sent.
    """
    answered = {s: t for s, t in received if s in sent}
    latencies = np.array([1e3 * (answered[s] - sent[s]) for s in order if s in answered])
    half = len(latencies) // 2
    return {
        'sent': len(order), 'answered': len(latencies),
        'p50_ms': float(np.percentile(latencies, 50)),
        'p99_ms': float(np.percentile(latencies, 99)),
        'first_half_p50_ms': float(np.percentile(latencies[:half], 50)) if half else None,
        'second_half_p50_ms': float(np.percentile(latencies[half:], 50)) if half else None,
        'newest_answered': order[-1] in answered,
    }


def _thread_cpu_s(pid: int) -> dict[str, float] | None:
    """
    Return {thread name: CPU seconds} of process ``pid`` (/proc schedstat).

    Threads of one name are summed.

    The main thread (rclpy's executor and the callbacks) is 'main'; the others by their name
    (Fast DDS's receive and event threads: 'dds.shm.*', 'dds.udp.*', 'dds.ev.*', ...). None
    where that is not readable (not Linux, the process gone).
    """
    out: dict[str, float] = {}
    try:
        for tid in os.listdir(f'/proc/{pid}/task'):
            seconds = int(open(f'/proc/{pid}/task/{tid}/schedstat').read().split()[0]) / 1e9
            name = 'main' if tid == str(pid) else \
                open(f'/proc/{pid}/task/{tid}/comm').read().strip().rstrip('0123456789.')
            out[name] = out.get(name, 0.0) + seconds
    except (OSError, ValueError, IndexError):
        return None
    return out


def _per_target(before: dict | None, after: dict | None, targets: int) -> dict[str, float]:
    """Return {thread name: ms per target} between two :func:`_thread_cpu_s` readings."""
    if before is None or after is None or not targets:
        return {}
    return {name: 1e3 * (after[name] - before.get(name, 0.0)) / targets
            for name in sorted(after)}


def _run_rate(rate: float, duration: float, model: str, block: int | None = None,
              kind: str = 'steps') -> dict:
    """
    Measure {'floor': figures, 'ik': figures}.

    ``duration`` seconds of targets at ``rate`` Hz to each, alternating every ``block`` targets
    (default: every BLOCK_S); ``kind`` the stream
    (:func:`~benchmarks.ros_breakdown.stream_poses`: 'steps', 'far').
    """
    from geometry_msgs.msg import PoseStamped
    from ik_net_ros.nodes.conversions import array_to_pose
    import rclpy
    from rclpy.executors import SingleThreadedExecutor
    from sensor_msgs.msg import JointState

    procs = [_start_node('ik_net_ros.nodes.driver_node', {'backend': 'sim'}),
             _start_node('ik_net_ros.nodes.ik_node', {'model': model}),
             _start_node('ik_net_ros.nodes.echo_responder_node', {}, FLOOR_TOPICS)]
    context = rclpy.Context()
    rclpy.init(context=context)
    node = rclpy.create_node('bench_client', context=context)
    executor = SingleThreadedExecutor(context=context)
    executor.add_node(node)
    sent: dict[tuple[int, int], float] = {}
    received = {who: [] for who in RESPONDERS}
    pubs = {}
    for who, prefix in (('floor', 'floor/'), ('ik', '')):
        node.create_subscription(
            JointState, f'{prefix}joint_command',
            lambda msg, who=who: received[who].append(
                ((msg.header.stamp.sec, msg.header.stamp.nanosec), time.perf_counter())), 1000)
        pubs[who] = node.create_publisher(PoseStamped, f'{prefix}target_pose', 10)
    count = int(2 * rate * duration)
    poses = stream_poses(kind, count + 1, rate)
    block = block or max(1, int(rate * BLOCK_S))
    order = {who: [] for who in RESPONDERS}
    try:
        deadline = time.monotonic() + 60
        while not all(received.values()):  # probe until both responders answer
            for who, pub in pubs.items():
                if pub.get_subscription_count() and not received[who]:
                    pub.publish(array_to_pose(poses[0], 'world',
                                              node.get_clock().now().to_msg()))
            executor.spin_once(timeout_sec=0.05)
            if time.monotonic() > deadline:
                missing = [who for who in RESPONDERS if not received[who]]
                raise RuntimeError(f'{", ".join(missing)} did not answer within 60 s')
        time.sleep(1.0)  # let start-up settle
        executor.spin_once(timeout_sec=0.01)
        for answers in received.values():
            answers.clear()
        responders = {'ik': procs[1].pid, 'floor': procs[2].pid}
        threads_before = {who: _thread_cpu_s(pid) for who, pid in responders.items()}

        def publish_loop():
            period, start = 1.0 / rate, time.perf_counter()
            for i in range(count):
                while time.perf_counter() < start + i * period:
                    time.sleep(max(0.0, start + i * period - time.perf_counter() - 2e-4))
                who = RESPONDERS[(i // block) % 2]
                stamp = divmod(10 ** 12 + i * 1000, 10 ** 9)
                msg = array_to_pose(poses[i], 'world', node.get_clock().now().to_msg())
                msg.header.stamp.sec, msg.header.stamp.nanosec = stamp
                sent[stamp] = time.perf_counter()
                order[who].append(stamp)
                pubs[who].publish(msg)

        thread = threading.Thread(target=publish_loop)
        thread.start()
        while thread.is_alive():  # woken by answers only: no timeouts in step with the targets
            executor.spin_once(timeout_sec=0.2)
        end = time.monotonic() + 1.0
        while time.monotonic() < end:
            executor.spin_once(timeout_sec=0.01)
        threads_after = {who: _thread_cpu_s(pid) for who, pid in responders.items()}
    finally:
        executor.shutdown()
        node.destroy_node()
        context.try_shutdown()
        _stop(procs)
    # both responders start with executor auto: which one that is on this rclpy
    executor = 'EventsExecutor' if events_executor_class() else 'SingleThreadedExecutor'
    # each responder's process, all its threads, per target sent to it (callback, executor,
    # DDS), over the targets and the second after them
    threads = {who: _per_target(threads_before[who], threads_after[who], len(order[who]))
               for who in RESPONDERS}
    cpu = {who: sum(threads[who].values()) if threads[who] else None for who in RESPONDERS}
    return {who: {'rate_hz': rate, 'block': block, 'executor': executor,
                  'cpu_ms_per_target': cpu[who],
                  # where it went: the main thread (executor, callbacks) and DDS's threads
                  'cpu_ms_by_thread': threads[who],
                  **_figures(sent, received[who], order[who])} for who in RESPONDERS}


def ros_latency(model: str = 'focused', rates=(100.0, 1000.0), duration: float = 5.0,
                progress=None, repeats: int = 3, far: bool = True) -> dict:
    """
    {key: {'ik': figures, 'floor': figures}}.

    For each target rate (key '100', '1000') alternating in blocks of BLOCK_S, and at the first
    rate target by target (key '100/each'); at the first rate the same with targets far apart
    (``far``: keys '100/far', '100/far/each'); ``duration`` seconds of targets to each
    responder in each run. At the first rate every way runs ``repeats`` times, in turns, each
    with fresh processes (the gap varies more between runs than within one: how the processes
    share the cores): the run of median gap (the lower middle one of an even count) is kept,
    with every run's gap (``gaps_ms``).
    """
    out = {}
    runs = [(str(int(rate)), rate, None, 'steps') for rate in rates]
    if rates:
        runs.append((f'{int(rates[0])}/each', rates[0], 1, 'steps'))
        if far:
            runs += [(f'{int(rates[0])}/far', rates[0], None, 'far'),
                     (f'{int(rates[0])}/far/each', rates[0], 1, 'far')]
    first = [key for key, rate, _, _ in runs if rate == rates[0]] if rates else []
    tries: dict[str, list] = {key: [] for key, _, _, _ in runs}
    repeats = max(1, int(repeats))
    for turn in range(repeats):
        for key, rate, block, kind in runs:
            if turn and key not in first:
                continue
            tries[key].append(_run_rate(rate, duration, model, block, kind))
            if progress and (turn == repeats - 1 or key not in first):
                progress.update(2)
    for key, results in tries.items():
        gaps = [r['ik']['p50_ms'] - r['floor']['p50_ms'] for r in results]
        out[key] = {**results[int(np.argsort(gaps)[(len(gaps) - 1) // 2])], 'gaps_ms': gaps}
    return out


def _rss_mb(pid: int) -> float | None:
    try:
        for line in open(f'/proc/{pid}/status'):
            if line.startswith('VmRSS:'):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return None


def _watch_ready(proc, said_ready: list) -> None:
    """Note when the node logs that it is ready (its solver loaded and warmed up)."""
    for line in proc.stdout:
        if 'ik ready' in line and not said_ready:
            said_ready.append(time.perf_counter())


def node_start(models, starts: int = 3, progress=None) -> dict:
    """
    {model: {'ready_s', 'rss_mb'}} of the ik node, medians of ``starts`` starts each.

    Ready is the time from starting its process to its first joint command for a target (published
    every 10 ms from the start; DDS discovery included), when it logged 'ik ready' (solver loaded
    and warmed up), RSS its resident memory after 50 more answers. The sim driver runs beside it,
    as in use.
    """
    from geometry_msgs.msg import PoseStamped
    from ik_net_ros.nodes.conversions import array_to_pose
    import rclpy
    from rclpy.executors import SingleThreadedExecutor
    from sensor_msgs.msg import JointState

    driver = _start_node('ik_net_ros.nodes.driver_node', {'backend': 'sim'})
    context = rclpy.Context()
    rclpy.init(context=context)
    node = rclpy.create_node('bench_start_client', context=context)
    executor = SingleThreadedExecutor(context=context)
    executor.add_node(node)
    answers: list[float] = []
    node.create_subscription(JointState, 'joint_command',
                             lambda _: answers.append(time.perf_counter()), 100)
    pub = node.create_publisher(PoseStamped, 'target_pose', 10)
    pose = sweep_pose(np.zeros(1), speed=3.0)[0]
    out = {}
    try:
        for model in models:
            ready, logged, rss = [], [], []
            for _ in range(starts):
                answers.clear()
                start = time.perf_counter()
                proc = _start_node('ik_net_ros.nodes.ik_node', {'model': model})
                said_ready: list[float] = []
                reader = threading.Thread(target=_watch_ready, args=(proc, said_ready),
                                          daemon=True)
                reader.start()
                try:
                    while len(answers) < 51 and time.perf_counter() < start + 60:
                        pub.publish(array_to_pose(pose, 'world', node.get_clock().now().to_msg()))
                        executor.spin_once(timeout_sec=0.01)
                    if len(answers) < 51:
                        raise RuntimeError(f'ik node ({model}) did not answer within 60 s')
                    ready.append(answers[0] - start)
                    if said_ready:
                        logged.append(said_ready[0] - start)
                    rss.append(_rss_mb(proc.pid))
                finally:
                    _stop([proc])
                    # DDS forgets the stopped node (whose name and topics the next start
                    # reuses) before the next start, so discovery is measured afresh
                    time.sleep(2.0)
            out[model] = {'ready_s': float(np.median(ready)), 'ready_each_s': ready,
                          'logged_ready_s': float(np.median(logged)) if logged else None,
                          'rss_mb': float(np.median([r for r in rss if r is not None] or [0])),
                          'starts': starts}
            if progress:
                progress.update(1)
    finally:
        executor.shutdown()
        node.destroy_node()
        context.try_shutdown()
        _stop([driver])
    return out
