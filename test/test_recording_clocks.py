"""
Recording under any clock: zero, negative, NaN, far-future.

Backwards and out-of-order stamps in joint states and measurements. Pairing never stalls, every
state is accounted for, rows reach the file within a second, and the tracker keeps publishing after
its input's time jumps.
"""

import math
import time

from hypothesis import given
from hypothesis import strategies as st
from ik_net_ros.data import load_dataset
from ik_net_ros.data.pairing import StampPairer
from ik_net_ros.kinematics import forward_kinematics
from ik_net_ros.nodes.conversions import array_to_pose, joint_state
import numpy as np
from propcheck import fixed_examples
from rclpy.parameter import Parameter

WAIT = 0.5
SETTINGS = fixed_examples(150)
BAD_STAMPS = st.sampled_from([0.0, -1.0, math.nan, math.inf, -math.inf, 1e12, 5e9, 1e-9])
# a stamp: near the stream's clock, jumped back or ahead, or plainly bad
STAMPS = st.one_of(st.floats(-2.0, 2.0).map(lambda d: ('near', d)),
                   st.floats(-1e4, 1e4).map(lambda d: ('jump', d)),
                   BAD_STAMPS.map(lambda v: ('bad', v)))
EVENTS = st.lists(st.tuples(st.sampled_from(['state', 'measurement', 'poll']), STAMPS,
                            st.floats(0.0, 0.3)), max_size=120)


def _stamp(kind, value, clock):
    return clock + value if kind in ('near', 'jump') else value


@SETTINGS
@given(EVENTS, st.floats(1e-4, 0.1))
def test_any_stamp_sequence_is_accounted_for_and_never_stalls(events, tolerance):
    """
    Rows written + measurements unmatched + measurements refused = measurements received.

    And no measurement waits longer than the wait on the receive clock, whatever the stamps.
    """
    pairer, now, clock, written = StampPairer(tolerance, WAIT), 0.0, 1000.0, []
    for kind, (stamp_kind, value), dt in events:
        now += dt
        clock += dt
        if stamp_kind == 'jump':
            clock += value  # the stream's clock itself moves
        stamp = _stamp(stamp_kind, value, clock)
        if kind == 'state':
            written += pairer.add_state(stamp, np.array([stamp, now, 0.0, 0.0]), now)
        elif kind == 'measurement':
            written += pairer.add_measurement(stamp, np.array([stamp, now, 0, 0, 0, 0, 1.0]),
                                              now)
        else:
            written += pairer.poll(now)
        assert all(arrival > now - WAIT for arrival, _, _ in pairer._waiting), 'a stall'
        assert pairer.measurements == (len(written) + pairer.unmatched + pairer.waiting
                                       + sum(pairer.refused.values()))
    written += pairer.flush()
    assert pairer.waiting == 0
    assert len(written) + pairer.unmatched + sum(pairer.refused.values()) == pairer.measurements
    assert pairer.measurements == sum(1 for k, _, _ in events if k == 'measurement')
    for instant, joints, measured, _ in written:
        assert instant == measured[0] and math.isfinite(joints[0])
        # between states within the tolerance, which arrived near the measurement
        assert abs(joints[0] - instant) <= tolerance * (1 + 1e-9) + 1e-9
        assert abs(measured[1] - joints[1]) <= WAIT + 1e-9


def _realistic(disturb, n=2000, rate=100.0, latency=0.03, seed=0):
    """
    100 Hz states and a 100 Hz tracker whose measurements arrive 30 ms late.

    ``disturb(i, stamp, instant)`` returns the (state stamp, measurement stamp) of step i from
    the state's stamp and the tracker's instant, half a period later. Returns the share paired.
    """
    rng = np.random.default_rng(seed)
    pairer, written = StampPairer(0.02, WAIT), []
    pending = []  # measurements in flight: (arrival, stamp, pose)
    for i in range(n):
        now = i / rate + rng.uniform(0, 0.002)
        state_stamp, measured_stamp = disturb(i, 100.0 + i / rate, 100.0 + (i + 0.5) / rate)
        pending.append((now + latency, measured_stamp, np.full(7, measured_stamp)))
        for arrival, stamp, pose in [p for p in pending if p[0] <= now]:
            written += pairer.add_measurement(stamp, pose, arrival)
        pending = [p for p in pending if p[0] > now]
        written += pairer.add_state(state_stamp, np.full(4, state_stamp), now)
    for arrival, stamp, pose in pending:  # the tracker's last measurements land
        written += pairer.add_measurement(stamp, pose, arrival)
    written += pairer.flush()
    assert len(written) + pairer.unmatched + sum(pairer.refused.values()) == n
    for instant, joints, _, _ in written:  # joints are their stamps: interpolation is exact
        assert abs(joints[0] - instant) < 1e-6
    return len(written) / n, pairer


def test_one_bad_stamp_costs_one_row_not_the_recording():
    share, pairer = _realistic(lambda i, t, m: (t, 0.0 if i == 50 else m))  # a zero measurement
    assert share >= 0.998 and pairer.refused['no stamp'] == 1
    share, _ = _realistic(lambda i, t, m: (t, m + 1e6 if i == 50 else m))  # a future one
    assert share >= 0.998
    share, pairer = _realistic(lambda i, t, m: (t + 1e6 if i == 50 else t, m))  # a future state
    assert share >= 0.998  # its neighbours still bracket the measurements beside it
    share, pairer = _realistic(lambda i, t, m: (0.0 if i == 50 else t, m))  # a zero state stamp
    assert share >= 0.998 and pairer.states_refused == 1


def test_a_clock_that_jumps_back_keeps_pairing_both_epochs():
    def replay(i, t, m):  # both streams restart at 100 s after 1,000 steps (a replayed bag)
        return (t - 10.0, m - 10.0) if i >= 1000 else (t, m)
    share, pairer = _realistic(replay)
    assert share >= 0.995 and pairer.jumps >= 2


def test_newest_first_tracker_bursts_are_all_paired():
    rng = np.random.default_rng(1)
    pairer, written, now = StampPairer(0.02, WAIT), [], 0.0
    for burst in range(100):
        stamps = [100.0 + (burst * 10 + k) / 100.0 for k in range(10)]
        for stamp in stamps:
            now += 0.01
            written += pairer.add_state(stamp, np.full(4, stamp), now)
        for stamp in reversed(stamps):  # the tracker delivers its buffer newest-first
            written += pairer.add_measurement(stamp + 0.003, np.full(7, stamp + 0.003),
                                              now + rng.uniform(0, .05))
    written += pairer.flush()
    # every measurement but the very last (no state after it) is paired, at its own instant
    assert len(written) == 999 and all(abs(j[0] - m[0]) < 1e-9 for _, j, m, _ in written)


def test_collector_writes_within_a_second_through_bad_and_jumping_stamps(ros, tmp_path):
    """
    The node, fed live: a zero-stamped state.

    A far-future measurement and a clock jump back in both streams; every counted row is in the
    file within a second of its measurement, and the counts add up to the measurements received.
    """
    from ik_net_ros.nodes.collect_node import CollectNode
    out = tmp_path / 'rec.csv'
    node = CollectNode(context=ros.context, parameter_overrides=[
        Parameter('output', value=str(out)), Parameter('max_rate', value=0.0),
        Parameter('min_joint_change', value=0.0),
        Parameter('measured_pose_topic', value='tracker/pose'),
        Parameter('measured_tolerance', value=0.02), Parameter('measured_max_speed', value=0.0)])
    ros.executor.add_node(node)
    sent = 0
    try:
        for i in range(60):
            base = 100.0 + i * 0.01 if i < 30 else 50.0 + i * 0.01  # jumps back 50 s at 30
            q = np.array([0.01 * i, 0.1, 0.1, 0.1])
            stamp = node.get_clock().now().to_msg()
            stamp.sec, stamp.nanosec = int(base), int(round((base % 1) * 1e9))
            state_stamp = stamp
            if i == 10:
                state_stamp = type(stamp)()  # zero: refused, counted
            node.on_state(joint_state(q, state_stamp))
            sent += 1
            measured_stamp = type(stamp)(sec=stamp.sec + (10 ** 6 if i == 20 else 0),
                                         nanosec=stamp.nanosec + 5_000_000)  # between states
            node.on_measured(array_to_pose(forward_kinematics(q), 'world', measured_stamp))
            ros.spin_for(0.01)
        deadline = time.monotonic() + 1.0 + WAIT  # the wait, then a second at most
        # the future-stamped measurement, the one before the jump and the last (no state after
        # their instants); the zero-stamped state only widens its neighbours' interval
        expected = sent - 3
        while time.monotonic() < deadline and (not out.exists() or
                                               len(load_dataset(out)) < expected):
            ros.spin_for(0.05)
        assert len(load_dataset(out)) == expected == node.recorder.rows  # on disk, not waiting
        p = node.pairer
        assert p.states_refused == 1 and p.jumps >= 1
        assert node.recorder.rows + p.unmatched + sum(p.refused.values()) + p.waiting == sent
    finally:
        ros.executor.remove_node(node)
        node.shutdown()
        node.destroy_node()


def test_the_tracker_keeps_publishing_after_its_input_jumps_back(ros):
    from builtin_interfaces.msg import Time
    from geometry_msgs.msg import PoseStamped
    from ik_net_ros.nodes.tracker_node import TrackerNode
    node = TrackerNode(context=ros.context, parameter_overrides=[
        Parameter('rate', value=10.0)])
    published = []
    node.pub.publish = published.append
    try:
        truth = forward_kinematics([0.1, 0.2, 0.3, 0.4])
        for t in [100.0, 100.2, 100.4, 5.0, 5.2, 5.4, 1e9, 6.0, 6.2]:
            msg = array_to_pose(truth, 'world', Time())
            msg.header.stamp.sec, msg.header.stamp.nanosec = int(t), int((t % 1) * 1e9)
            node.on_truth(msg)
        stamps = [m.header.stamp.sec + m.header.stamp.nanosec * 1e-9 for m in published]
        assert len(stamps) == 9, stamps  # 5 Hz of input under a 10 Hz cap: every one
        assert isinstance(published[0], PoseStamped)
    finally:
        node.destroy_node()


def test_with_sim_time_a_clock_jump_back_starts_a_new_pairing_epoch(ros, tmp_path):
    """
    use_sim_time: /clock going back (sim restarting, a bag looping).

    It is seen by the collector's clock, and the waiting states are
    decided and the old measurements forgotten.
    """
    from ik_net_ros.nodes.collect_node import CollectNode
    from rosgraph_msgs.msg import Clock
    node = ros.add(CollectNode(context=ros.context, parameter_overrides=[
        Parameter('output', value=str(tmp_path / 'r.csv')),
        Parameter('measured_pose_topic', value='tracker/pose'),
        Parameter('use_sim_time', value=True)]))
    probe = ros.node('clock_probe')
    clock = probe.create_publisher(Clock, '/clock', 10)
    try:
        assert ros.spin_until(lambda: clock.get_subscription_count() > 0)
        for seconds in (100, 101, 102):
            clock.publish(Clock(clock=type(Clock().clock)(sec=seconds)))
            ros.spin_for(0.05)
        assert ros.spin_until(lambda: node.get_clock().now().nanoseconds >= 102e9)
        assert node.pairer.jumps == 0
        clock.publish(Clock(clock=type(Clock().clock)(sec=5)))  # back by 97 s
        assert ros.spin_until(lambda: node.pairer.jumps == 1)
    finally:
        node.shutdown()
