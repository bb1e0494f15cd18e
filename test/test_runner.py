"""``run_node``: a stop by signal is a clean exit with the node's shutdown run, never a crash."""

import os
import signal

from ik_net_ros.errors import ConfigError
from ik_net_ros.nodes import runner
from ik_net_ros.nodes.params import declare_parameters, EXECUTOR
from ik_net_ros.nodes.runner import events_executor_class, make_executor, run_node
import pytest
import rclpy
from rclpy.node import Node

pytestmark = pytest.mark.ros


class _Probe(Node):
    """Sends itself a signal from a timer after a few ticks, like a user pressing Ctrl-C."""

    signum = signal.SIGINT
    ticks = 0
    shut_down = destroyed = False
    executor_choice = None  # None: the node declares no executor parameter
    spun_by = None

    def __init__(self):
        overrides = [] if self.executor_choice is None else [
            rclpy.parameter.Parameter('executor', value=self.executor_choice)]
        super().__init__('runner_probe', parameter_overrides=overrides)
        if self.executor_choice is not None:
            declare_parameters(self, {'executor': EXECUTOR})
        self.create_timer(0.01, self.on_tick)

    def on_tick(self):
        type(self).spun_by = type(self.executor).__name__
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
    _Probe.executor_choice, _Probe.spun_by = None, None
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


EVENTS = events_executor_class()
SPUN_BY = {'single': 'SingleThreadedExecutor', 'events': 'EventsExecutor',
           'auto': 'EventsExecutor' if EVENTS else 'SingleThreadedExecutor', None: None}


@pytest.mark.parametrize('choice', [None, 'auto', 'single', 'events'])
def test_the_executor_parameter_picks_what_spins_the_node(probe, choice):
    if choice == 'events' and EVENTS is None:
        pytest.skip('this rclpy has no EventsExecutor (Humble)')
    probe.executor_choice = choice
    run_node(probe, args=[])
    assert probe.ticks >= 5 and probe.shut_down and probe.destroyed
    assert probe.spun_by == SPUN_BY[choice or 'auto']


def test_events_on_an_rclpy_without_it_exits_2_after_the_nodes_shutdown(probe, monkeypatch):
    monkeypatch.setattr(runner, 'events_executor_class', lambda: None)  # as on Humble
    probe.executor_choice = 'events'
    with pytest.raises(SystemExit) as exit_info:
        run_node(probe, args=[])
    assert exit_info.value.code == 2 and probe.ticks == 0
    assert probe.shut_down and probe.destroyed and not rclpy.ok()


def test_make_executor_falls_back_and_refuses_by_name(monkeypatch):
    context = rclpy.Context()
    rclpy.init(context=context)
    try:
        assert type(make_executor('single', context)).__name__ == 'SingleThreadedExecutor'
        with pytest.raises(ConfigError, match="executor = 'fastest' refused"):
            make_executor('fastest', context)
        monkeypatch.setattr(runner, 'events_executor_class', lambda: None)
        assert type(make_executor('auto', context)).__name__ == 'SingleThreadedExecutor'
        with pytest.raises(ConfigError, match='no EventsExecutor'):
            make_executor('events', context)
    finally:
        context.try_shutdown()


def test_an_events_executor_that_cannot_start_falls_back_or_is_refused(monkeypatch):
    def broken(context=None):
        raise RuntimeError('no events here')

    context = rclpy.Context()
    rclpy.init(context=context)
    try:
        monkeypatch.setattr(runner, 'events_executor_class', lambda: broken)
        assert type(make_executor('auto', context)).__name__ == 'SingleThreadedExecutor'
        with pytest.raises(ConfigError, match='did not start') as refused:
            make_executor('events', context)
        assert isinstance(refused.value.__cause__, RuntimeError)
    finally:
        context.try_shutdown()
