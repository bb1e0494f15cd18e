"""
Where the ik node's time per target goes: its callback taken apart, small steps and far targets.

The node runs in this process (its solver, frames, feedback and publishers as launched, the sim
driver in its own process subscribing to the commands) and ``on_target`` is called once per
target at the stream's rate, each part timed inside it: the frame transform, ``solve()`` (the
collision check of the answer included: the one check, timed apart too), the command's publish,
the target's bookkeeping (``feedback.taken``), and the rest of the callback. What the process
spends outside its callback per target (the wake-up, the executor, DDS) is its CPU per target
in :mod:`benchmarks.ros_latency` minus the callback: :func:`outside_callback`.

Streams: ``steps`` (the sweep of small steps the latency runs send), ``far`` (targets far apart,
as a pick-and-place program sends them: :func:`far_poses`) and ``far/vectorised`` (the same with
the solver's one-pose path off: the vectorised rule the node took for them before).

Between targets the node is spun as in use, so every other message that reaches it (the
driver's answers on ``joint_command_result``, ``joint_states``) runs its callback: counted per
target (``wakeups_per_target``: callbacks beyond ``on_target``, each a wake-up of the process)
and timed (``answers_us``, their mean time per target: most targets bring none or one).
``python benchmarks/ros_breakdown.py`` prints it.
"""

from __future__ import annotations

import time

from ik_net_ros.kinematics.chain import chain_forward
from ik_net_ros.kinematics.collision import CollisionModel
from ik_net_ros.kinematics.paths import sweep_pose
from ik_net_ros.sim.demo import _start_node, _stop
from ik_net_ros.solver.parallel import hold_blas_to_one_thread
import numpy as np

__all__ = ['far_poses', 'stream_poses', 'callback_breakdown', 'outside_callback', 'PARTS',
           'main']

PARTS = ('frames', 'solve', 'check', 'publish', 'feedback', 'rest')
DRAIN_S = 1.0  # s the node is spun after a stream: the answers of a busy driver still come
FAR_MOVE = 0.5  # rad: consecutive far targets differ by at least this in some joint


def far_poses(count: int, arm=None, seed: int = 36) -> np.ndarray:
    """
    Return ``count`` (count, 7) targets far apart, each clear and reachable, in the base frame.

    Configurations drawn inside the middle 60 % of each joint's range, kept where clear of the
    arm's collision model and at least FAR_MOVE rad from the previous one in some joint (and
    joint1 within half a turn of it: a pick-and-place program's next pose, not a long move).
    """
    from ik_net_ros.arm import default_arm
    arm = arm or default_arm()
    model = CollisionModel(arm)
    rng = np.random.default_rng(seed)
    lower, upper = np.asarray(arm.lower), np.asarray(arm.upper)
    kept: list[np.ndarray] = []
    while len(kept) < count:
        q = lower + (upper - lower) * rng.uniform(0.2, 0.8, arm.dof)
        if not model.clear_one(q.tolist()):
            continue
        if kept and (np.abs(q - kept[-1]).max() < FAR_MOVE or abs(q[0] - kept[-1][0]) > 2.5):
            continue
        kept.append(q)
    return chain_forward(arm, np.array(kept))


def stream_poses(kind: str, count: int, rate: float) -> np.ndarray:
    """Return ``count`` targets of stream ``kind`` ('steps': the sweep at ``rate`` Hz, 'far')."""
    if kind.startswith('far'):
        cycle = far_poses(16)
        return cycle[np.arange(count) % len(cycle)]
    return sweep_pose(np.arange(count) / rate, speed=3.0)


class _Timed:
    """Wraps a callable, adding each call's wall time to ``spent[-1]`` (s)."""

    def __init__(self, function, spent: list):
        self.function, self.spent = function, spent

    def __call__(self, *args, **kwargs):
        start = time.perf_counter()
        try:
            return self.function(*args, **kwargs)
        finally:
            self.spent[-1] += time.perf_counter() - start


def _counting(callback, spent: list, counts: list, topic: str):
    """Wrap a subscription's callback: its wall time to ``spent[-1]``, its topic to counts."""
    def counted(msg):
        counts[-1].append(topic)
        start = time.perf_counter()
        try:
            return callback(msg)
        finally:
            spent[-1] += time.perf_counter() - start
    counted.counted = True
    return counted


def callback_breakdown(model: str = 'focused', streams=('steps', 'far', 'far/vectorised'),
                       count: int = 300,
                       rate: float = 100.0) -> dict:
    """
    Return {stream: {part: p50 us, 'callback_us', 'plain_float_share'}} of the ik node's callback.

    ``count`` targets per stream at ``rate`` Hz (the node idles between targets as it does in
    use: its caches cool alike), the first 20 left out (warm-up). ``plain_float_share``: the
    share of targets the solver answered on its one-pose path (the rest: the vectorised rule).
    """
    from geometry_msgs.msg import PoseStamped
    from ik_net_ros.nodes.conversions import array_to_pose
    from ik_net_ros.nodes.ik_node import IkNode
    import rclpy
    from rclpy.executors import SingleThreadedExecutor
    from rclpy.parameter import Parameter

    # as the node's own process does (ik_node.main): BLAS helper threads, woken per layer,
    # would wait for a busy core (this process keeps the limit afterwards)
    hold_blas_to_one_thread()
    driver = _start_node('ik_net_ros.nodes.driver_node', {'backend': 'sim'})
    context = rclpy.Context()
    rclpy.init(context=context)
    node = IkNode(context=context, parameter_overrides=[Parameter('model', value=model)])
    executor = SingleThreadedExecutor(context=context)
    executor.add_node(node)
    out = {}
    try:
        deadline = time.monotonic() + 60
        while node.pub.get_subscription_count() < 1 and time.monotonic() < deadline:
            time.sleep(0.05)  # the driver subscribes: the publish pays for its reader
        while node.feedback.result_sub.get_publisher_count() < 1 and \
                time.monotonic() < deadline:
            executor.spin_once(timeout_sec=0.05)  # and its answers reach the node
        for kind in streams:
            out[kind] = _stream(node, executor, kind, count, rate, PoseStamped, array_to_pose)
    finally:
        executor.shutdown()
        node.destroy_node()
        context.try_shutdown()
        _stop([driver])
    return out


def _stream(node, executor, kind: str, count: int, rate: float, message,
            array_to_pose) -> dict:
    spent = {part: [] for part in PARTS + ('callback', 'answers')}
    topics: list[list[str]] = []  # per target: the topics of the other callbacks it brought
    parts = {'frames': (node.tf, 'to_base'), 'solve': (node.solver, 'solve'),
             'publish': (node.pub, 'publish'), 'feedback': (node.feedback, 'taken')}
    originals = {part: getattr(owner, name) for part, (owner, name) in parts.items()}
    collision = node.solver.collision
    kind_of = type(node.solver)
    own_seeded = '_seeded_one' in vars(kind_of)
    seeded_one = kind_of._seeded_one
    plain = []

    def seeded(self, *args):
        # 'far/vectorised': the one-pose path off, the vectorised rule for every target (the
        # node's far path before issue 36), measured beside it
        answer = None if kind.endswith('/vectorised') else seeded_one(self, *args)
        plain.append(answer is not None)
        return answer

    try:
        for part, (owner, name) in parts.items():
            setattr(owner, name, _Timed(originals[part], spent[part]))
        # a frozen dataclass: its instance's attribute set through object
        object.__setattr__(collision, 'clear_one', _Timed(collision.clear_one, spent['check']))
        kind_of._seeded_one = seeded
        poses = stream_poses(kind, count, rate)
        node.last_command = None  # each stream starts from where the arm is
        period, start = 1.0 / rate, time.perf_counter()
        for i, pose in enumerate(poses):
            for sub in node.subscriptions:  # those made meanwhile too (joint_states, ...)
                if not getattr(sub.callback, 'counted', False):
                    sub.callback = _counting(sub.callback, spent['answers'], topics,
                                             sub.topic_name)
            # the messages the last target brought (driver's answers, states) taken meanwhile
            while time.perf_counter() < start + i * period:
                executor.spin_once(
                    timeout_sec=max(0.0, start + i * period - time.perf_counter() - 2e-4))
            msg = array_to_pose(pose, 'world', node.get_clock().now().to_msg())
            msg.header.stamp.sec, msg.header.stamp.nanosec = divmod(10 ** 12 + i * 1000, 10 ** 9)
            for values in spent.values():
                values.append(0.0)
            topics.append([])
            began = time.perf_counter()
            node.on_target(msg)
            spent['callback'][-1] = time.perf_counter() - began
        topics.append([])  # answers that come after the stream (a busy driver): counted too
        spent['answers'].append(0.0)
        end = time.perf_counter() + DRAIN_S
        while time.perf_counter() < end:
            executor.spin_once(timeout_sec=max(0.0, end - time.perf_counter()))
    finally:
        for part, (owner, name) in parts.items():
            setattr(owner, name, originals[part])
        object.__delattr__(collision, 'clear_one')
        if own_seeded:
            kind_of._seeded_one = seeded_one
        else:
            del kind_of._seeded_one
    keep = slice(20, count)
    # the answers per target: all the stream brought, late ones included, over its targets
    late = sum(spent['answers'][count:])
    answers = [float(np.sum(spent['answers'][keep]) + late) * 1e6 / max(1, count - 20)]
    kept = topics[keep] + topics[count:]
    spent['answers'] = spent['answers'][:count]
    table = {part: np.asarray(values[keep]) * 1e6 for part, values in spent.items()}
    # the check runs inside solve(): taken out of it, so the parts add up to the callback
    table['solve'] = table['solve'] - table['check']
    table['rest'] = table['callback'] - sum(table[p] for p in PARTS if p != 'rest')
    result = {f'{part}_us': float(np.median(values)) for part, values in table.items()}
    result['plain_float_share'] = float(np.mean(plain[20:])) if plain[20:] else None
    result['targets'] = len(poses)
    result['answers_us'] = answers[0]  # mean per target (most targets bring none)
    targets = max(1, count - 20)
    result['wakeups_per_target'] = sum(map(len, kept)) / targets
    result['wakeups_by_topic'] = {topic: sum(t.count(topic) for t in kept) / targets
                                  for topic in sorted({t for each in kept for t in each})}
    return result


def outside_callback(cpu_ms_per_target: float | None, callback_us: float) -> float | None:
    """Return ms per target the process spends outside its callback (wake-up, executor, DDS)."""
    if cpu_ms_per_target is None:
        return None
    return cpu_ms_per_target - callback_us / 1e3


def main() -> None:
    """Print the focused model's breakdown (``python benchmarks/ros_breakdown.py``)."""
    import json
    import os
    os.environ.setdefault('ROS_AUTOMATIC_DISCOVERY_RANGE', 'LOCALHOST')
    for kind, parts in callback_breakdown().items():
        print(kind, json.dumps({k: round(v, 1) if isinstance(v, float) else v
                                for k, v in parts.items()}))


if __name__ == '__main__':
    main()
