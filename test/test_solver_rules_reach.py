"""
Targets a safe arm can take are answered (issue 32, items 12 and 13).

Sent one after another, each seeded by the answer before, a clear reachable target far from the
arm is answered even where joint1 must turn more than half a turn to get there (a long move:
the driver times it and checks its path); a user may refuse long moves. Without a seed,
``on_unreachable='nearest'`` with a collision model answers the nearest reachable safe pose.
"""

import math

from hypothesis import given
from hypothesis import strategies as st
from ik_net_ros import load_solver, UnreachableError
from ik_net_ros.arm import default_arm
from ik_net_ros.kinematics import forward_kinematics, within_limits
from ik_net_ros.kinematics.collision import CollisionModel
from ik_net_ros.kinematics.nearest import JUMP_WINDOW
from ik_net_ros.kinematics.rotations import quat_angle
import numpy as np
from propcheck import fixed_examples
import pytest

OMX = default_arm()  # the OM-X, ROBOTIS's humble description

SETTINGS = fixed_examples(40)
MODEL = CollisionModel(table_clearance=0.01)
JOINTS = st.tuples(st.floats(-3.1, 3.1), st.floats(-1.5, 1.5), st.floats(-1.5, 1.4),
                   st.floats(-1.7, 1.97))


@pytest.fixture(scope='module', params=['analytic', 'focused'])
def solver(request):
    solver = load_solver(request.param)
    solver.collision = MODEL
    return solver


@SETTINGS
@given(path=st.lists(JOINTS, min_size=2, max_size=15))
def test_clear_reachable_targets_one_after_another_are_answered(solver, path):
    command = np.array([0.0, -1.0, 0.7, 0.3])
    for q in path:
        if not MODEL.clear(np.array(q)):
            continue
        target = forward_kinematics(np.array(q))
        if np.linalg.norm(forward_kinematics(command)[:3] - target[:3]) <= JUMP_WINDOW:
            continue  # a small change may need a jump: the jump rule's to refuse
        following = solver.solve(target, seed=command)
        assert within_limits(OMX, following) and MODEL.clear(following)
        reached = forward_kinematics(following)
        assert np.linalg.norm(reached[:3] - target[:3]) < (1e-6 if solver.exact else 0.01)
        if abs(following[0] - command[0]) > math.pi:  # a long move: refused when asked to
            solver.allow_long_moves = False
            try:
                short = solver.solve(target, seed=command)
            except UnreachableError as e:
                assert 'long way round' in e.reasons[0]
            else:  # a short move reaches another pose: the target reached from behind
                assert quat_angle(forward_kinematics(short)[None, 3:], target[None, 3:])[0] > \
                    math.radians(1)
            finally:
                solver.allow_long_moves = True
        command = following


POSES = st.tuples(st.floats(-0.6, 0.6), st.floats(-0.6, 0.6), st.floats(-0.3, 0.6),
                  *[st.floats(-1, 1)] * 4).filter(lambda p: np.linalg.norm(p[3:]) > 0.1)


@SETTINGS
@given(targets=st.lists(POSES, min_size=1, max_size=6))
def test_nearest_without_a_seed_answers_a_safe_pose(solver, targets):
    targets = np.array(targets)
    answers = solver.solve(targets, on_unreachable='nearest')
    assert within_limits(OMX, answers).all() and MODEL.check(answers).clear.all()
    single = solver.solve(targets[0], on_unreachable='nearest')
    assert within_limits(OMX, single) and MODEL.clear(single)
    # where the nearest reachable pose is clear, that pose is what is answered
    free = load_solver('analytic').solve(targets, on_unreachable='nearest')
    clear = MODEL.check(free).clear
    np.testing.assert_allclose(forward_kinematics(answers[clear])[:, :3],
                               forward_kinematics(free[clear])[:, :3],
                               atol=1e-6 if solver.exact else 0.01)
