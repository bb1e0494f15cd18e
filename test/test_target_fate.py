"""A target's fate matched to the driver's answers and the arm's joints, without DDS (item 10)."""

from hypothesis import given, settings
from hypothesis import strategies as st
from ik_net_ros.solver.target_fate import ABORTED, REACHED, REFUSED, TAKEN, TargetFates
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
    closed = set()  # keys whose command has its final fate
    newest = None
    for kind, a, b in events:
        if kind == 'taken':
            fate, superseded = fates.taken(a, f'target {a}', [b] * 4, answered=True)
            closed.update(int(f.target.split()[1]) for f in superseded)
            closed.discard(a)
            assert fate.fate == 'taken' and fate.target == f'target {a}'
            commands[a], newest = b, a
            accepted.discard(a)
            refused.discard(a)
            assert not fates.newest_refused
        elif kind == 'answer':
            known = a in commands and a not in refused and a not in closed
            found = fates.driver_answer(a, b, 'no')
            closed.update(int(f.target.split()[1]) for f in found)
            fate = [f for f in found if f.fate == REFUSED]
            fate = fate[0] if fate else None
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
            fate = fate[0] if fate else None
            if fate is not None:
                closed.add(int(fate.target.split()[1]))
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
    assert fates.driver_answer((1, 0), False, 'path through the table')[0].message == \
        'path through the table'
    assert fates.newest_refused and fates.arm_at(np.zeros(4), False) == []
    fates.taken((2, 0), 'b', np.zeros(4))
    assert not fates.newest_refused
    assert fates.arm_at(np.zeros(4), True) == []  # the driver has not accepted it yet
    assert fates.driver_answer((2, 0), True) == []
    assert fates.arm_at(np.full(4, 0.005), True)[0].fate == REACHED
    assert fates.arm_at(np.zeros(4), True) == []  # once


# issue 35 item 4: exactly one final fate per taken target ----------------------------------

sequences = st.lists(st.one_of(
    st.tuples(st.just('taken'), st.integers(0, 8), st.floats(-1.0, 1.0)),
    st.tuples(st.just('answer'), st.integers(0, 8), st.booleans()),
    st.tuples(st.just('arm'), st.floats(-1.0, 1.0), st.floats(0.0, 0.03))), max_size=50)


@settings(max_examples=300, deadline=None)
@given(sequences, st.booleans(), st.integers(2, 6))
def test_every_taken_target_gets_exactly_one_final_fate(events, answered, keep):
    """
    Whatever the order of targets, driver answers and arm readings, no target has two.

    And none is left without one: once the driver answered every open command and a last
    target superseded them, every target but that last one has its final fate. Aborted only
    when a newer target was taken; refused only by the driver's refusal of it.
    """
    fates = TargetFates(TOLERANCE, keep=keep)
    finals: dict[int, list[str]] = {}  # target number: its final fates
    open_keys: dict[int, int] = {}  # stamp key: target number of the open command
    taken = 0

    def record(found, cause):
        for fate in found:
            assert fate.fate in (REFUSED, REACHED, ABORTED)
            number = fate.target
            finals.setdefault(number, []).append(fate.fate)
            assert len(finals[number]) == 1, (number, finals[number])
            assert fate.fate != ABORTED or cause == 'taken' or fate.code == 'superseded'
            assert fate.fate != REFUSED or cause == 'refused'

    for kind, a, b in events:
        if kind == 'taken':
            fate, superseded = fates.taken(a, taken, [b] * 4, answered)
            assert fate.fate == TAKEN and fate.target == taken
            record(superseded, 'taken')
            open_keys[a] = taken
            taken += 1
        elif kind == 'answer':
            record(fates.driver_answer(a, b, 'no'), 'accepted' if b else 'refused')
        else:
            record(fates.arm_at([a + b] * 4, answered), 'arm')
    for key in list(open_keys):
        record(fates.driver_answer(key, True), 'accepted')
    _, last = fates.taken('last', taken, [0.0] * 4, answered)
    record(last, 'taken')
    assert sorted(finals) == list(range(taken))


def test_a_superseded_target_is_aborted_once_the_driver_accepted_it_or_refused_if_not():
    fates = TargetFates(TOLERANCE)
    fates.taken((1, 0), 'a', np.zeros(4), answered=True)
    assert fates.taken((2, 0), 'b', np.ones(4), answered=True)[1] == []  # no answer yet
    assert [(f.target, f.fate, f.code) for f in fates.driver_answer((1, 0), True)] == \
        [('a', ABORTED, 'superseded')]
    fates.driver_answer((2, 0), True)
    _, superseded = fates.taken((3, 0), 'c', np.zeros(4), answered=True)
    assert [(f.target, f.fate) for f in superseded] == [('b', ABORTED)]  # accepted: at once
    fates.taken((4, 0), 'd', np.zeros(4), answered=True)
    assert [(f.target, f.fate) for f in fates.driver_answer((3, 0), False)] == \
        [('c', REFUSED)]  # the driver's refusal, not aborted
    assert fates.arm_at(np.zeros(4), True) == []  # d not accepted yet; c never reachable


# F8: targets that reuse one stamp ----------------------------------------------------------

STAMPS = st.sampled_from([(0, 0), (5, 0), (5, 1), (6, 0)])  # (0, 0): no stamp
CLOCK = st.integers(5 * 10**9 - 2, 5 * 10**9 + 2)  # the node's clock, ns: near the stamps
streams = st.lists(st.one_of(
    st.tuples(st.just('target'), STAMPS, CLOCK),
    st.tuples(st.just('answer'), st.booleans(), st.just(0)),
    st.tuples(st.just('arm'), st.integers(0, 40), st.just(0))), max_size=40)


@settings(max_examples=300, deadline=None)
@given(streams)
def test_targets_sharing_a_stamp_get_their_own_fates(events):
    """
    A stream of targets with repeated (or no) stamps, a driver answering in order, an arm.

    Each command goes out under ``command_key``; the driver answers each under its command's
    key. Every taken target gets exactly one final fate and the right one: refused iff the
    driver refused its command, reached only for an accepted command the arm was at, and
    ``newest_refused`` only while the driver refused the newest command.
    """
    fates = TargetFates(TOLERANCE)
    keys, joints, verdicts, finals = [], [], {}, {}
    unanswered, arm_at = [], {}  # commands in the driver's queue; target: joints the arm was

    def record(found):
        for fate in found:
            finals.setdefault(fate.target, []).append(fate)
            assert len(finals[fate.target]) == 1, (fate.target, finals[fate.target])

    for kind, a, b in events:
        if kind == 'target':
            key = fates.command_key(a, lambda b=b: b)
            assert key != (0, 0) and all(keys[n] != key for n in range(len(keys))
                                         if n not in finals)  # no open command has it
            number = len(keys)
            keys.append(key)
            joints.append([0.05 * number] * 4)
            fate, superseded = fates.taken(key, number, joints[-1], answered=True)
            assert fate.fate == TAKEN
            record(superseded)
            unanswered.append(number)
        elif kind == 'answer' and unanswered:
            number = unanswered.pop(0)  # the driver answers in order, under the command's key
            verdicts[number] = a
            record(fates.driver_answer(keys[number], a, 'no'))
            assert fates.newest_refused == (verdicts.get(len(keys) - 1) is False)
        elif kind == 'arm' and keys:
            number = a % len(keys)
            arm_at.setdefault(number, False)
            found = fates.arm_at(joints[number], True)
            if found:
                arm_at[found[0].target] = True
            record(found)
    while unanswered:  # the driver answers the rest (accepted), a last target supersedes all
        record(fates.driver_answer(keys[unanswered.pop(0)], True))
    record(fates.taken(fates.command_key((9, 0), lambda: 0), 'last', [0.0] * 4, True)[1])
    assert sorted(finals) == list(range(len(keys)))
    for number, (fate,) in finals.items():
        assert (fate.fate == REFUSED) == (verdicts.get(number) is False), (number, fate)
        assert fate.fate != REACHED or (verdicts.get(number) is True and arm_at[number])
        assert fate.fate != ABORTED or verdicts.get(number, True) is True


def test_command_keys_are_the_targets_own_unless_taken_then_strictly_increasing():
    fates = TargetFates(TOLERANCE)
    assert fates.command_key((100, 0), lambda: 0) == (100, 0)
    fates.taken((100, 0), 'a', np.zeros(4), answered=True)
    made = [fates.command_key((100, 0), lambda: 7)]
    fates.taken(made[-1], 'b', np.ones(4), answered=True)
    made.append(fates.command_key((100, 0), lambda: 7))  # a clock that stands still
    assert made == [(0, 7), (0, 8)]
    assert fates.command_key((0, 0), lambda: 2 * 10**9) == (2, 0)  # no stamp: the clock's
