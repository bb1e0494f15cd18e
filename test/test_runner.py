"""``run_node``: a stop by signal is a clean exit with the node's shutdown run, never a crash."""

import os
import signal

import pytest
import rclpy
from rclpy.node import Node

from ik_net_ros.errors import ConfigError
from ik_net_ros.nodes.runner import run_node

pytestmark = pytest.mark.ros


class _Probe(Node):
    """Sends itself a signal from a timer after a few ticks, like a user pressing Ctrl-C."""

    signum = signal.SIGINT
    ticks = 0
    shut_down = destroyed = False

    def __init__(self):
        super().__init__('runner_probe')
        self.create_timer(0.01, self.on_tick)

    def on_tick(self):
        type(self).ticks += 1
        if type(self).ticks == 5:
            os.kill(os.getpid(), self.signum)

    def shutdown(self):
        type(self).shut_down = rclpy.ok()  # the context is still up for the node's cleanup

    def destroy_node(self):
        type(self).destroyed = True
        super().destroy_node()


@pytest.fixture
def probe():
    _Probe.ticks, _Probe.shut_down, _Probe.destroyed = 0, False, False
    _Probe.signum = signal.SIGINT
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    yield _Probe
    rclpy.try_shutdown()
    assert {sig: signal.getsignal(sig) for sig in handlers} == handlers  # put back


@pytest.mark.parametrize('signum', [signal.SIGINT, signal.SIGTERM])
def test_signal_stops_cleanly_after_the_nodes_shutdown(probe, signum):
    probe.signum = signum
    run_node(probe, args=[])  # returns instead of raising KeyboardInterrupt or dying
    assert probe.ticks >= 5 and probe.shut_down and probe.destroyed and not rclpy.ok()


def test_a_node_that_cannot_start_exits_with_status_2(probe):
    class Broken(Node):
        def __init__(self):
            raise ConfigError('no such model')

    with pytest.raises(SystemExit) as exit_info:
        run_node(Broken, args=[])
    assert exit_info.value.code == 2 and not rclpy.ok()
