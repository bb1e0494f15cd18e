"""
The one-configuration check in floats (bounding spheres, early exits) is the numpy check's twin.

Over joint space of every arm (nominal, calibrated, leaning; with and without a workspace box;
several clearances), and at near-contact configurations: the boundary between a clear and a
blocked configuration found by bisection along the joint-space segment joining them, to a
billionth of the segment, where a capsule pair, an end over the table or the box is about to
touch (where a bound that cut a corner would pass a pair the segment distance refuses).
"""

from hypothesis import given, HealthCheck, settings
from hypothesis import strategies as st
from ik_net_ros.arm import ChainErrors, load_arm
from ik_net_ros.kinematics.capsules import segment_distance
from ik_net_ros.kinematics.collision import CollisionModel
import numpy as np
import pytest

SETTINGS = settings(max_examples=60, deadline=None, derandomize=True, database=None,
                    suppress_health_check=list(HealthCheck))
ARMS = {name: load_arm(name) for name in ('omy_f3m', 'omy_3m', 'open_manipulator_x', 'omx_f')}
BOX = (-0.35, 0.5, -0.4, 0.4, -0.1, 0.6)
UNIT = st.lists(st.floats(0, 1), min_size=6, max_size=6)


def _arm(name, errors):
    """Return the arm, with ChainErrors drawn from ``errors`` (None: as described)."""
    arm = ARMS[name]
    if errors is None:
        return arm
    n, e = arm.dof, np.array(errors)
    return arm.with_errors(ChainErrors(e[:n] * 0.03, e[n:4 * n].reshape(n, 3) * 2e-3,
                                       e[4 * n:6 * n].reshape(n, 2) * 0.02, e[-3:] * 2e-3))


def _numpy_verdicts(model, q: np.ndarray) -> list[bool]:
    """Return the vectorised check's verdicts of rows ``q`` (padded: the numpy walk)."""
    rows = np.vstack([q] + [q[:1]] * 8)
    return model.check(rows).clear[:len(q)].tolist()


def _boundary(model, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Return the two configurations about the verdict change on the segment a-b (bisected)."""
    lo, hi = 0.0, 1.0
    clear_lo = _numpy_verdicts(model, a[None])[0]
    for _ in range(32):
        mid = 0.5 * (lo + hi)
        if _numpy_verdicts(model, (a + mid * (b - a))[None])[0] == clear_lo:
            lo = mid
        else:
            hi = mid
    return np.array([a + lo * (b - a), a + hi * (b - a)])


@pytest.mark.parametrize('name', sorted(ARMS))
@SETTINGS
@given(first=UNIT, second=UNIT, box=st.booleans(), clearance=st.sampled_from([0.0, 0.01, 0.05]),
       errors=st.none() | st.lists(st.floats(-1, 1), min_size=39, max_size=39))
def test_the_float_check_gives_the_numpy_verdict_near_contact_too(
        name, first, second, box, clearance, errors):
    arm = _arm(name, errors)
    model = CollisionModel(arm, clearance, BOX if box else None)
    span = arm.upper - arm.lower
    q = arm.lower + np.array([first, second])[:, :arm.dof] * span
    verdicts = _numpy_verdicts(model, q)
    if verdicts[0] != verdicts[1]:  # near contact: both sides of the boundary between them
        edge = _boundary(model, q[0], q[1])
        assert _numpy_verdicts(model, edge) == [verdicts[0], verdicts[1]]
        q = np.vstack([q, edge])
    assert [model.clear_one(row) for row in q.tolist()] == _numpy_verdicts(model, q)


@pytest.mark.parametrize('name', sorted(ARMS))
def test_every_pair_is_asked_once_the_most_colliding_first(name):
    model = CollisionModel(ARMS[name])
    pairs = [(a, b) for a, b, _, _ in model._one_check.pairs]
    assert sorted(pairs) == sorted(model.pairs)
    # over joint space the first pair asked is in collision at least as often as the last
    q = np.random.default_rng(5).uniform(model.arm.lower, model.arm.upper, (2000, model.arm.dof))
    ends = model.capsule_ends(q)
    reach = dict(zip(model.pairs, model._pair_reach))

    def hits(pair):
        a, b = pair
        gaps = segment_distance(ends[:, a, 0], ends[:, a, 1], ends[:, b, 0], ends[:, b, 1])
        return np.count_nonzero(gaps < reach[pair])
    assert hits(pairs[0]) >= hits(pairs[-1])
