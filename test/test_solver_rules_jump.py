"""
Every rule holds on the answer a solver returns, after every substitution (issue 32, item 5).

A network's answer, a refinement, the tilt stage's answer may replace the exact candidate the
rules chose; each is taken only where it keeps the rules the candidate keeps (limits, clearance,
no joint1 the long way round, no move over ``max_jump`` for a target within the jump window),
else the candidate stands. Judged by the rule itself, with the shipped models, over sequences of
small target changes each seeded by the answer before, single poses and batches.
"""

import functools
import math

from hypothesis import given
from hypothesis import strategies as st
from ik_net_ros import load_solver, UnreachableError
from ik_net_ros.arm import default_arm
from ik_net_ros.kinematics import forward_kinematics, within_limits
from ik_net_ros.kinematics.collision import CollisionModel
from ik_net_ros.kinematics.nearest import JUMP_WINDOW, JUMP_WINDOW_ANGLE
from ik_net_ros.kinematics.rotations import quat_from_yaw_pitch, quat_mul
import numpy as np
from propcheck import fixed_examples
import pytest

OMX = default_arm()  # the OM-X, ROBOTIS's humble description

SETTINGS = fixed_examples(40)
NAMES = ('analytic', 'original', 'improved', 'focused')
MODEL = CollisionModel(table_clearance=0.01)
# where the arm starts: anywhere, or with the tool near joint1's axis (where a millimetre of
# target motion turns joint1 by tenths of a radian and a network's yaw is least certain)
JOINTS = st.tuples(st.floats(-3.1, 3.1), st.floats(-1.5, 1.5), st.floats(-1.5, 1.4),
                   st.floats(-1.7, 1.97))
NEAR_AXIS = st.tuples(st.floats(-3.1, 3.1), st.floats(-1.2, 0.2), st.floats(-0.5, 1.4),
                      st.floats(-1.7, 1.97))
# a step of the request: up to 6 mm and a degree, so a sequence leaves the jump window too
STEP = st.tuples(*[st.floats(-0.006, 0.006)] * 3, st.floats(-0.02, 0.02),
                 st.floats(-0.02, 0.02))


@functools.cache
def _solver(name: str, clear: bool):
    solver = load_solver(name)
    solver.collision = MODEL if clear else None
    return solver


def _stepped(pose: np.ndarray, step) -> np.ndarray:
    moved = pose.copy()
    moved[:3] += step[:3]
    spin = quat_from_yaw_pitch(np.array([step[3]]), np.array([step[4]]))
    moved[3:] = quat_mul(spin, pose[None, 3:])[0]
    return moved


def _small(requests, seeds, geometry):
    """Where each request is within the jump window of its seed's tool (position, x-axis tilt)."""
    at = forward_kinematics(seeds, geometry)

    def tilt(quat):
        qx, qy, qz, qw = (quat / np.linalg.norm(quat, axis=1, keepdims=True)).T
        return np.arcsin(np.clip(2 * (qx * qz - qy * qw), -1, 1))

    return (np.linalg.norm(at[:, :3] - requests[:, :3], axis=1) <= JUMP_WINDOW) & \
        (np.abs(tilt(at[:, 3:]) - tilt(requests[:, 3:])) <= JUMP_WINDOW_ANGLE)


def _assert_rules(solver, answers, seeds, requests):
    """Check the rules on what was returned: limits, clearance, seam and jump."""
    answers, seeds = np.atleast_2d(answers), np.atleast_2d(seeds)
    requests = np.atleast_2d(requests)
    assert within_limits(OMX, answers).all()
    if solver.collision is not None:
        assert solver.collision.check(answers).clear.all()
    move = np.abs(answers - seeds)
    small = _small(requests, seeds, solver.planar_arm)
    assert (move[small, 0] <= math.pi).all()  # never swung round for a small change
    worst = move[small].max(axis=1) if small.any() else np.zeros(0)
    assert (worst <= solver.max_jump + 1e-12).all(), (
        f'{solver.name}: a joint moved {worst.max():.3f} rad for a target within the jump '
        f'window (max_jump {solver.max_jump})')


@pytest.mark.parametrize('name', NAMES)
@SETTINGS
@given(start=JOINTS | NEAR_AXIS, steps=st.lists(STEP, min_size=1, max_size=12),
       max_jump=st.sampled_from([0.05, 0.1, 0.2, 0.5]), refine=st.booleans(),
       clear=st.booleans())
def test_small_target_steps_never_move_a_joint_more_than_max_jump(name, start, steps, max_jump,
                                                                  refine, clear):
    solver = _solver(name, clear)
    solver.max_jump = max_jump
    command = np.array(start)
    if clear and not MODEL.clear(command):
        return
    target = forward_kinematics(command)
    for step in steps:
        target = _stepped(target, step)
        try:
            following = solver.solve(target, seed=command, refine=refine)
        except UnreachableError as e:
            assert e.reasons and e.reasons[0]
            continue
        _assert_rules(solver, following, command, target)
        command = following


@pytest.mark.parametrize('name', NAMES)
@SETTINGS
@given(starts=st.lists(JOINTS | NEAR_AXIS, min_size=2, max_size=12),
       steps=st.lists(STEP, min_size=12, max_size=12),
       max_jump=st.sampled_from([0.05, 0.1, 0.2, 0.5]), refine=st.booleans())
def test_a_batch_with_seeds_keeps_the_rules_row_by_row(name, starts, steps, max_jump, refine):
    solver = _solver(name, True)
    solver.max_jump = max_jump
    seeds = np.array(starts)
    seeds = seeds[MODEL.check(seeds).clear]
    if len(seeds) == 0:
        return
    requests = np.array([_stepped(pose, step)
                         for pose, step in zip(forward_kinematics(seeds), steps)])
    try:
        answers = solver.solve(requests, seed=seeds, refine=refine)
    except UnreachableError as e:  # some row refused: the others, one by one
        keep = ~np.asarray(e.mask)
        if not keep.any():
            return
        answers = solver.solve(requests[keep], seed=seeds[keep], refine=refine)
        seeds, requests = seeds[keep], requests[keep]
    _assert_rules(solver, answers, seeds, requests)
