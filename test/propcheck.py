"""The hypothesis settings the suite's property tests share (one copy, not one a file)."""

from hypothesis import HealthCheck, settings


def fixed_examples(max_examples: int, **more) -> settings:
    """
    Give settings drawing the same ``max_examples`` examples every run, health checks off.

    Derandomized, no example database, no deadline (a solve's time depends on the machine's
    load): a failure found once is found again, on any machine. ``more``: other settings (e.g.
    ``phases``).
    """
    return settings(max_examples=max_examples, deadline=None, derandomize=True, database=None,
                    suppress_health_check=list(HealthCheck), **more)
