"""The per-test timeout on a shared machine: an interface build is not timed, the rest is."""

from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
pytest_plugins = ['pytester']

# a build fixture (named as interface_build.py's) and another fixture, each longer than the
# timeout the inner run is given
TESTS = """
import time

import pytest


@pytest.fixture(scope='session')
def fake_msgs_env():
    time.sleep(4)
    return {}


@pytest.fixture
def slow_setup():
    time.sleep(4)


def test_taking_a_build(fake_msgs_env):
    assert fake_msgs_env == {}


def test_with_a_slow_fixture(slow_setup):
    pass
"""


@pytest.mark.slow  # an inner pytest process, its conftest importing torch
def test_a_build_fixture_is_not_charged_to_the_test_but_any_other_fixture_is(pytester):
    pytest.importorskip('pytest_timeout', reason='the per-test timeout is pytest-timeout')
    pytester.makeconftest((HERE / 'conftest.py').read_text())
    pytester.makepyfile(test_inner=TESTS)
    result = pytester.runpytest_subprocess('-o', 'timeout=1', '-p', 'no:cacheprovider')
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(['*ERROR*test_with_a_slow_fixture*Timeout*'])
