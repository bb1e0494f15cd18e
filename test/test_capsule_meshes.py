"""
The collision capsules hold ROBOTIS's meshes, and a clear verdict keeps every pair apart.

``test/data/<arm>_hull_vertices.npz`` holds, per capsule (key ``<link>/<capsule name>``), the
convex hull vertices (m, that link's frame) of the mesh triangles it covers: every link's mesh of
ROBOTIS's description, split to small triangles, the fingers over the gripper's whole range
(the OMY-F3M's hand, the RH-P12-RN-A, read from its own xacro and placed on the flange by the
robot's)
(benchmarks/capsule_hulls.py makes them from ROBOTIS's open_manipulator git, which CI has not). A
capsule is convex: its part's hull vertices inside it put all of the part inside it.
"""

from pathlib import Path

from hypothesis import example, given, HealthCheck, settings
from hypothesis import strategies as st
from ik_net_ros.arm import load_arm
from ik_net_ros.kinematics.capsules import capsule_ends, segment_distance
from ik_net_ros.kinematics.chain import chain_frames
from ik_net_ros.kinematics.collision import CollisionModel
import numpy as np
import pytest

SETTINGS = settings(max_examples=40, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow])
DATA = Path(__file__).parent / 'data'
# m every mesh point keeps inside its capsule: the OM-X's fit is to the triangles; the OMX-F's
# to the vertices (3 mm), its triangles across two capsules keep 2.1 mm (capsule_hulls.py
# --edge 0.002)
MARGIN = {'open_manipulator_x': 0.003, 'omx_f': 0.002, 'omy_f3m': 0.003}
ARMS = {name: load_arm(name) for name in ('open_manipulator_x', 'omx_f', 'omy_f3m')}
UNIT = st.lists(st.floats(0.0, 1.0), min_size=6, max_size=6)


def _hulls(name: str) -> dict:
    with np.load(DATA / f'{name}_hull_vertices.npz') as data:
        return {key: data[key].astype(float) for key in data.files}


def _distance(points, a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    d = b - a
    t = np.clip((points - a) @ d / max(float(d @ d), 1e-18), 0.0, 1.0)
    return np.linalg.norm(points - (a + t[:, None] * d), axis=1)


def _joints(arm, unit):
    return arm.lower + np.array(unit[:arm.dof]) * (arm.upper - arm.lower)


@pytest.mark.parametrize('name', ARMS)
def test_every_capsule_holds_its_part_of_the_meshes_by_the_margin(name):
    arm = ARMS[name]
    capsules = {f'{c.link}/{c.name}': c for c in arm.capsules}
    hulls = _hulls(name)
    assert set(hulls) <= set(capsules), f'hulls of capsules {name} has not'
    # every link that carries a mesh has its hull (the shipped file covers the whole arm)
    assert {key.split('/')[0] for key in hulls} == {c.link for c in arm.capsules}
    for key, points in hulls.items():
        c = capsules[key]
        worst = _distance(points, c.a, c.b).max() + MARGIN[name]
        assert worst <= c.radius + 1e-6, f'{key}: {(worst - c.radius) * 1000:.1f} mm outside'


@pytest.mark.parametrize('name', ARMS)
@settings(SETTINGS)
@given(unit=UNIT)
def test_the_meshes_move_inside_their_capsules(name, unit):
    """In the base frame, for any joints: each part's hull inside its capsule as placed."""
    arm = ARMS[name]
    q = _joints(arm, unit)
    ends = capsule_ends(arm, q[None])[0]
    positions, rotations = chain_frames(arm, q)
    frame = {j.child: k for k, j in enumerate(arm.joints)}
    hulls = _hulls(name)
    for k, c in enumerate(arm.capsules):
        points = hulls.get(f'{c.link}/{c.name}')
        if points is None:
            continue
        if c.link in frame:
            i = frame[c.link]
            points = points @ rotations[0, i].T + positions[0, i]
        assert _distance(points, *ends[k]).max() + MARGIN[name] <= c.radius + 1e-6


# pairs checked with an allowance of twice the margin or more (omx_f.yaml says why and by how
# much): a contact up to (allowance - 2 margins) deep goes unseen there. This list may shrink only
# (the OMX-F's closed-fingers capsule, paired coarsely with the base plate and the base, is now
# two capsules over the fingers' whole range, each paired with the base: 'finger tips' / 'base
# plate' left the list)
COARSE = {'omx_f': {('upper arm', 'base plate'), ('finger left', 'base plate'),
                    ('forearm', 'base'), ('gripper', 'base'), ('finger left', 'base'),
                    ('finger right', 'base')}}


@pytest.mark.parametrize('name', ARMS)
@settings(SETTINGS)
@given(unit=UNIT)
@example(unit=[0.5] * 6)
def test_a_clear_configuration_keeps_the_meshes_of_every_pair_apart(name, unit):
    """
    Where the model says clear, no pair's meshes meet (but the known coarse pairs').

    A pair's capsules may overlap by its allowance; each mesh is inside its capsule by the
    margin, so an allowance under twice the margin still keeps the meshes apart.
    """
    arm = ARMS[name]
    coarse = {pair for pair, a in zip(arm.pairs, arm.pair_allowances) if a >= 2 * MARGIN[name]}
    assert coarse <= COARSE.get(name, set())
    model = CollisionModel(arm, table_clearance=0.0)
    for q in (_joints(arm, unit), np.array(arm.home)):
        if not model.clear(q):
            continue
        ends = capsule_ends(arm, q[None])[0]
        for (a, b), pair in zip(model.pairs, arm.pairs):
            if pair in coarse:
                continue
            gap = segment_distance(*(ends[k, e][None] for k in (a, b) for e in (0, 1)))[0]
            reach = arm.capsules[a].radius + arm.capsules[b].radius - 2 * MARGIN[name]
            assert gap > reach, pair


@pytest.mark.parametrize('name', ARMS)
def test_the_fingers_are_covered_open_as_well_as_closed(name):
    """The hand's capsules hold the fingers' meshes over the gripper's whole range."""
    arm = ARMS[name]
    hand = arm.capsules[-1].link
    points = np.vstack([p for key, p in _hulls(name).items() if key.startswith(f'{hand}/')])
    # sideways from the hand's axis (the OM-X's and OMX-F's hand frame's y, the OMY's link6's x),
    # m: where the open fingers reach, the OM-X's sliding out (56.5 mm), the OMX-F's swung 1 rad
    # about their hinges (58.8 / 62.1 mm; closed, 17.6 / 20.9), the RH-P12-RN-A's (75 mm)
    axis, reach = {'open_manipulator_x': (1, 0.056), 'omx_f': (1, 0.058),
                   'omy_f3m': (0, 0.074)}[name]
    assert np.abs(points[:, axis]).max() >= reach


@pytest.mark.parametrize('name', ARMS)
@settings(SETTINGS)
@given(unit=UNIT)
@example(unit=[0.5] * 6)
def test_a_clear_configuration_keeps_every_moving_mesh_above_the_table(name, unit):
    """Clear: each table capsule's part of the meshes is >= clearance + margin over the table."""
    arm = ARMS[name]
    model = CollisionModel(arm)
    frame = {j.child: k for k, j in enumerate(arm.joints)}
    hulls = _hulls(name)
    for q in (_joints(arm, unit), np.array(arm.home)):
        if not model.clear(q):
            continue
        positions, rotations = chain_frames(arm, q)
        for c in arm.capsules:
            points = hulls.get(f'{c.link}/{c.name}')
            if not c.table or points is None or c.link not in frame:
                continue
            i = frame[c.link]
            z = (points @ rotations[0, i].T + positions[0, i])[:, 2]
            assert z.min() >= arm.table_z + model.table_clearance + MARGIN[name] - 1e-9, c.name
