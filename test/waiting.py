"""
The one deadline of the tests that wait for something to happen: a reply, a message, a move.

A wait polls its condition and returns as soon as it holds, so the deadline only bounds a wait
that fails. CI machines are shared: the servo emulator's thread, a DDS reader or a node's timer
can wait seconds for a core, and a deadline of a few seconds failed there (a test run beside two
busy loops). Rules about time itself (a move's duration, max_velocity, a stale command) are
checked on the values recorded, never on how long a wait took.
"""

import time

WAIT = 60.0  # s: generous, and several waits of a failing test still end before pytest-timeout


def poll_until(condition, step, timeout=WAIT):
    """
    Call ``step()`` until ``condition()`` holds or ``timeout`` s pass; return the condition.

    ``condition`` is asked first (nothing to wait for when it already holds) and once more at
    the deadline.
    """
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return True
        step()
    return condition()
