"""
An arm found in collision may only get out, whatever goals it is sent and wherever they are cut.

Each path out of a collision may go ESCAPE_SLACK deeper than where it starts; cut at its deepest
point and sent on, a sequence of such paths used to ratchet the hand from 6.9 mm above the table
to under it. The backend holds the depth at which the arm was first found.
"""

from hypothesis import given
from hypothesis import strategies as st
from ik_net_ros.arm import default_arm
from ik_net_ros.errors import UnsafeGoalError
from ik_net_ros.hardware.sim import SimulatedArm
from ik_net_ros.kinematics.collision import ESCAPE_SLACK
import numpy as np
from propcheck import fixed_examples

OMX = default_arm()  # the OM-X, ROBOTIS's humble description

SETTINGS = fixed_examples(20)
# hands 7.3, 7.0 and 7.1 mm above the table, inside its 10 mm clearance (found by random search)
STARTS = ([2.47078181, 0.92146321, -1.10691504, 1.65269207], [0.4646, -0.1534, 0.9833, -0.1092],
          [-0.1408, 0.3447, -0.0458, 1.5752])
UNSEEN = 0.0011  # m a link can dip between two of the path check's points (2 mm of motion)
DT = 0.002  # s: short cycles, so a path is cut close to where the test means


def _depth(arm, joints) -> float:
    return float(arm.collision.check(joints).depth[0])


def _run_to(arm, start, goal, share: float) -> None:
    """Cycle the arm until it is ``share`` of the way from ``start`` to ``goal`` (or there)."""
    line = goal - start
    for _ in range(5000):
        arm.cycle(DT)
        done = float((arm.command - start) @ line / max(float(line @ line), 1e-300))
        if done >= share - 1e-9:
            return


def _hostile_goals(arm, here, rng, count=600):
    """
    Clear goals near ``here`` whose paths dip deepest, deepest first.

    The attacker's pick: paths that go deeper than ``here``, but not by more than the escape rule
    allows a path from ``here``.
    """
    goals = np.clip(here + rng.normal(0.0, 0.3, (count, 4)), OMX.lower, OMX.upper)
    goals = goals[arm.collision.check(goals).clear]
    paths = [arm.collision.path_points(here, g) for g in goals]
    starts = np.cumsum([0] + [len(p) for p in paths[:-1]])
    dips = np.maximum.reduceat(arm.collision.check(np.concatenate(paths)).depth, starts)
    allowed = dips <= _depth(arm, here) + ESCAPE_SLACK
    goals, dips = goals[allowed], dips[allowed]
    return goals[np.argsort(dips)[::-1]]


moves = st.lists(st.tuples(st.integers(0, 2**32 - 1),
                           st.one_of(st.just(None), st.floats(0.0, 1.0)), st.booleans()),
                 min_size=1, max_size=10)


@SETTINGS
@given(start=st.sampled_from(STARTS), sequence=moves)
def test_interrupted_escapes_never_go_deeper_than_where_the_arm_was_found(start, sequence):
    """
    Send hostile goals, each path cut at its deepest point (None) or at a random share of it.

    And maybe switch the torque off and on there (a new hold must not start a new allowance).
    """
    arm = SimulatedArm(home=start, max_velocity=1.0)
    first = _depth(arm, arm.command)
    assert first > 0  # the arm starts inside the clearance
    deepest = first
    for seed, cut, toggle in sequence:
        here = arm.command
        for goal in _hostile_goals(arm, here, np.random.default_rng(seed))[:20]:
            try:
                arm.set_goal(goal)
                break
            except UnsafeGoalError:
                continue
        else:
            continue
        if cut is None:  # the attacker's cut: where the path is deepest
            path = arm.collision.path_points(here, goal, 0.0005)
            depths = arm.collision.check(path).depth
            cut = int(np.argmax(depths)) / max(1, len(path) - 1)
        _run_to(arm, here, goal, cut)
        deepest = max(deepest, _depth(arm, arm.command))
        assert deepest <= first + ESCAPE_SLACK + UNSEEN, (
            f'{deepest * 1e3:.2f} mm deep, found at {first * 1e3:.2f} mm')
        if toggle:
            arm.set_torque(False)
            arm.cycle(DT)
            arm.set_torque(True)
