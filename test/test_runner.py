"""``run_node``: a stop by signal is a clean exit with the node's shutdown run, never a crash."""

import pytest
import rclpy
from rclpy.node import Node

from ik_net_ros.nodes.runner import run_node

pytestmark = pytest.mark.ros


class _Probe(Node):
    shut_down = destroyed = False

    def __init__(self):
        super().__init__('runner_probe')

    def shutdown(self):
        type(self).shut_down = True

    def destroy_node(self):
        type(self).destroyed = True
        super().destroy_node()


@pytest.fixture
def probe():
    _Probe.shut_down = _Probe.destroyed = False
    yield _Probe
    rclpy.try_shutdown()


def test_context_shut_down_mid_spin_is_a_clean_stop(monkeypatch, probe):
    # what rclpy's SIGTERM handler does when it lands between spin()'s ok() and its wait set
    def spin(node):
        rclpy.shutdown()
        raise RuntimeError('failed to initialize wait set: the given context is not valid')

    monkeypatch.setattr(rclpy, 'spin', spin)
    run_node(probe, args=[])
    assert probe.shut_down and probe.destroyed


def test_a_real_error_while_running_is_raised_after_cleanup(monkeypatch, probe):
    def spin(node):
        raise RuntimeError('a bug in a callback')

    monkeypatch.setattr(rclpy, 'spin', spin)
    with pytest.raises(RuntimeError, match='a bug'):
        run_node(probe, args=[])
    assert probe.shut_down and probe.destroyed and not rclpy.ok()
