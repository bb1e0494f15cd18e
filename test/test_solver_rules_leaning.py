"""
Clearance in the geometry the arm really has (issue 32, item 3).

A calibration's joint axes lean (up to the 3 degrees a file may hold): the collision model
places the links along that leaning chain, and no answer a solver returns - the planar answer
the tilt stage declined to refine, the refined one, the seed kept with 'nearest' - puts the real
arm within the clearance. Judged independently of the collision model: each joint's position is
the tool of the same arm cut short there (forward kinematics with the links after it zeroed).
"""

import math

from hypothesis import given, settings
from hypothesis import strategies as st
from ik_net_ros import UnreachableError
from ik_net_ros.arm import default_arm
from ik_net_ros.kinematics import forward_kinematics, sample_joints
from ik_net_ros.kinematics.collision import CollisionModel
from ik_net_ros.solver import AnalyticSolver
import numpy as np
from omx_legacy import omx_values, omx_with
from propcheck import fixed_examples

OMX = default_arm()  # the OM-X, ROBOTIS's humble description

SETTINGS = fixed_examples(40)
TILTS = st.lists(st.floats(-math.radians(3), math.radians(3)), min_size=8, max_size=8)
OFFSETS = st.lists(st.floats(-0.03, 0.03), min_size=4, max_size=4)
JOINTS = st.tuples(st.floats(-3.1, 3.1), st.floats(-1.5, 1.5), st.floats(-1.5, 1.4),
                   st.floats(-1.7, 1.97))
CLEARANCE = 0.01


def _joint_points(q, g):
    """(M, 4, 3) joint2, joint3, joint4 and the tool of the OM-X of old geometry ``g``."""
    cut = [{**g, 'upper_arm_x': 0.0, 'upper_arm_z': 0.0, 'forearm': 0.0, 'tool': 0.0},
           {**g, 'forearm': 0.0, 'tool': 0.0}, {**g, 'tool': 0.0}, g]  # cut-short chains
    return np.stack([forward_kinematics(q, omx_with(**c))[..., :3] for c in cut], axis=-2)


def _table_gap(q, g, radii=(0.035, 0.02, 0.02, 0.025)):
    """(M,) m the lowest moving capsule keeps above the table (joint3, forearm, hand)."""
    pts = np.atleast_3d(_joint_points(np.atleast_2d(q), g))
    table = omx_with(**g).table_z
    low = np.stack([pts[:, 1, 2] - radii[1], pts[:, 1:3, 2].min(axis=1) - radii[2],
                    pts[:, 2:4, 2].min(axis=1) - radii[3]], axis=1)
    return low.min(axis=1) - table


@settings(SETTINGS, max_examples=25)
@given(tilts=TILTS, offsets=OFFSETS, q=st.lists(JOINTS, min_size=1, max_size=10))
def test_the_collision_model_places_the_links_where_the_leaning_arm_has_them(tilts, offsets, q):
    g = omx_values(joint_offsets=tuple(offsets), axis_tilts=tuple(tilts))
    model = CollisionModel(omx_with(**g), CLEARANCE)
    q = np.array(q)
    np.testing.assert_allclose(model.link_points(q)[:, 1:], _joint_points(q, g), atol=1e-9)
    # the table rule, judged on those points; the plain-float check is the batch check
    report = model.check(q)
    under = _table_gap(q, g) < CLEARANCE - 1e-9
    assert not (report.clear & under).any()
    assert [model.clear_one(row) for row in q.tolist()] == report.clear.tolist()


# leaning axes of 2 to 3 degrees (what calibrate writes for such an arm), either way
BIG_TILTS = st.lists(st.tuples(st.floats(math.radians(2), math.radians(3)), st.booleans()).map(
    lambda t: t[0] if t[1] else -t[0]), min_size=8, max_size=8)


@settings(SETTINGS, max_examples=20)
@given(tilts=BIG_TILTS, offsets=OFFSETS, seed=st.integers(0, 2 ** 16),
       mode=st.sampled_from(['raise', 'nearest']))
def test_no_answer_puts_the_leaning_arm_within_the_clearance(tilts, offsets, seed, mode):
    """
    Targets the leaning arm can take near the table, one after another, and as a batch.

    Each is the tool pose of a configuration of the real arm whose lowest link is 10 to 16 mm
    above the table: where a few millimetres of lean decide.
    """
    values = omx_values(joint_offsets=tuple(offsets), axis_tilts=tuple(tilts))
    arm = omx_with(**values)
    solver = AnalyticSolver(arm)
    # as the ik node builds it: from the solver's (planar) geometry
    solver.collision = CollisionModel(solver.planar_arm, CLEARANCE)
    q = sample_joints(OMX, 2000, np.random.default_rng(seed))
    gap = _table_gap(q, values)
    targets = forward_kinematics(q[(gap > CLEARANCE) & (gap < CLEARANCE + 0.006)][:15], arm)
    command = np.array([0.0, -1.0, 0.7, 0.3])  # home: clear for every such arm
    for target in targets:
        try:
            following = solver.solve(target, seed=command, on_unreachable=mode)
        except UnreachableError as e:
            assert e.reasons and e.reasons[0]
            continue
        gap = _table_gap(following, values)[0]
        assert gap >= CLEARANCE - 1e-9, f'the real arm {gap * 1000:.1f} mm above the table'
        command = following
    keep = np.ones(len(targets), bool)
    while True:  # each stage (planar, tilt, real arm) refuses the rows it finds, in turn
        try:
            answers = solver.solve(targets[keep], on_unreachable=mode) if keep.any() \
                else np.zeros((0, 4))
            break
        except UnreachableError as e:
            keep[np.flatnonzero(keep)[np.asarray(e.mask)]] = False
    gaps = _table_gap(answers, values)
    assert (gaps >= CLEARANCE - 1e-9).all(), f'the real arm {gaps.min() * 1000:.1f} mm above'
