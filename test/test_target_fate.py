"""A target's fate matched to the driver's answers and the arm's joints, without DDS (item 10)."""

from hypothesis import given, settings
from hypothesis import strategies as st
from ik_net_ros.solver.target_fate import REACHED, REFUSED, TargetFates
import numpy as np

TOLERANCE = 0.01
events = st.lists(st.one_of(
    st.tuples(st.just('taken'), st.integers(0, 5), st.floats(-1.0, 1.0)),
    st.tuples(st.just('answer'), st.integers(0, 6), st.booleans()),
    st.tuples(st.just('arm'), st.floats(-1.0, 1.0), st.floats(0.0, 0.03))), max_size=40)


@settings(max_examples=300, deadline=None)
@given(events, st.booleans())
def test_fates_follow_the_driver_and_the_arm(events, need_acceptance):
    """
    Refused only by a refusal of a known command; reached once, near the newest command only.

    The newest command is no seed once refused, until another is taken; with a driver that
    answers, only an accepted command is reached.
    """
    fates = TargetFates(TOLERANCE)
    commands, accepted, refused, reached = {}, set(), set(), []
    newest = None
    for kind, a, b in events:
        if kind == 'taken':
            fate = fates.taken(a, f'target {a}', [b] * 4)
            assert fate.fate == 'taken' and fate.target == f'target {a}'
            commands[a], newest = b, a
            accepted.discard(a)
            refused.discard(a)
            assert not fates.newest_refused
        elif kind == 'answer':
            fate = fates.driver_answer(a, b, 'no')
            known = a in commands and a not in refused
            if b or not known:
                assert fate is None
                if b and known:
                    accepted.add(a)
            else:
                assert fate.fate == REFUSED and fate.code == 'driver' and \
                    fate.target == f'target {a}'
                refused.add(a)
                if a == newest:
                    assert fates.newest_refused
        else:
            fate = fates.arm_at([a + b] * 4, need_acceptance)
            if fate is not None:
                key = int(fate.target.split()[1])
                assert fate.fate == REACHED and key == newest and key not in refused
                assert abs(a + b - commands[key]) <= TOLERANCE
                assert not need_acceptance or key in accepted
                assert (key, len([k for k, _ in reached if k == key])) not in reached
                reached.append((key, 0))
                assert not fates.waiting  # once per target
    # each take is reached at most once
    assert len(reached) <= sum(1 for e in events if e[0] == 'taken')


def test_a_refused_newest_command_is_no_seed_and_is_never_reached():
    fates = TargetFates(TOLERANCE)
    fates.taken((1, 0), 'a', np.zeros(4))
    assert fates.driver_answer((1, 0), False, 'path through the table').message == \
        'path through the table'
    assert fates.newest_refused and fates.arm_at(np.zeros(4), False) is None
    fates.taken((2, 0), 'b', np.zeros(4))
    assert not fates.newest_refused
    assert fates.arm_at(np.zeros(4), True) is None  # the driver has not accepted it yet
    assert fates.driver_answer((2, 0), True) is None
    assert fates.arm_at(np.full(4, 0.005), True).fate == REACHED
    assert fates.arm_at(np.zeros(4), True) is None  # once
