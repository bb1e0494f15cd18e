"""The browser tests' skip rule; the browser itself is :mod:`benchmarks.browser`'s."""

from benchmarks.browser import Browser, camera_of, project, system_chromium, wait_for
import pytest

__all__ = ['Browser', 'camera_of', 'chromium_path', 'project', 'wait_for']


def chromium_path() -> str:
    """Return the system Chromium, or skip the test saying why none is used."""
    pytest.importorskip('playwright.sync_api', reason='playwright is not installed (pip install '
                                                      'playwright; no browser download needed)')
    path = system_chromium()
    if path is None:
        pytest.skip('no system Chromium (Debian: apt-get install chromium); the browser tests '
                    'drive it headless through Playwright')
    return path
