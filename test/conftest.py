"""
Shared fixtures.

ROS tests run in their own DDS domain on localhost only.
"""

import os
import random

import numpy as np
import pytest

# One DDS domain per test session, away from the default 0 and from other parallel runs.
os.environ.setdefault('ROS_DOMAIN_ID', str(random.Random(os.getpid()).randint(120, 220)))
os.environ['ROS_AUTOMATIC_DISCOVERY_RANGE'] = 'LOCALHOST'


def pytest_addoption(parser, pluginmanager):
    # pytest.ini's per-test ``timeout`` is pytest-timeout's: where that plugin is missing (a
    # rosdep-installed machine without python3-pytest-timeout) the suite runs without one,
    # instead of stopping at an unknown option
    if not pluginmanager.hasplugin('timeout'):
        parser.addini('timeout', 'per-test timeout, s (needs pytest-timeout: ignored here)')


def pytest_collection_modifyitems(config, items):
    # a test that takes a *_msgs_env fixture may be the one that generates the ROS interface
    # packages (interface_build.py): minutes of colcon on a fresh clone, more on a busy machine,
    # bounded by the build's own deadline; the per-test timeout then times the test, not the
    # build it happened to pay for (a build under load failed its test at 300 s in setup)
    if not config.pluginmanager.hasplugin('timeout'):
        return
    for item in items:
        if any(name.endswith('_msgs_env') for name in getattr(item, 'fixturenames', ())):
            item.add_marker(pytest.mark.timeout(func_only=True))


def pytest_configure(config):
    # the tests' tensors are small: one torch thread is as fast, and on a loaded 2-core machine
    # OpenMP workers waiting for a busy core made one training test 10x slower
    try:
        import torch
    except ImportError:  # the tests that need it say so
        return
    torch.set_num_threads(1)


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


@pytest.fixture
def ros():
    """Give a private rclpy context with an executor; nodes destroyed, context shut down after."""
    from rosutil import RosHarness
    harness = RosHarness()
    yield harness
    harness.close()
