"""
The one chain against yourdfpy, finite differences, its torch twin and the OM-X's own FK.

Equal to yourdfpy's FK on every shipped arm and on random chains, its Jacobian to finite
differences, its torch twin to numpy, and on the OM-X to the FK of the files of before issue 33
(planar, calibrated and leaning, both descriptions, written out here) through the one reader of
those files (``legacy_errors``).
"""

import math

from hypothesis import given, settings
from hypothesis import strategies as st
from ik_net_ros.arm import arm_descriptions, ARM_NAMES, load_arm
from ik_net_ros.errors import InvalidJointsError
from ik_net_ros.kinematics import forward_kinematics, jacobian
from ik_net_ros.kinematics.chain import (
    chain_forward,
    chain_frames,
    chain_jacobian,
    chain_pose_jacobian_one,
    ChainErrors,
)
from ik_net_ros.kinematics.chain_torch import chain_forward_torch, chain_positions_torch
from ik_net_ros.kinematics.legacy_geometry import (
    legacy_errors,
    legacy_values,
    LINK_FIELDS,
    OFFSET_TOLERANCE,
    TILT_TOLERANCE,
)
from ik_net_ros.kinematics.rotations import quat_to_matrix
import numpy as np
from propcheck import fixed_examples
import pytest
import torch
import yaml
import yourdfpy

SETTINGS = fixed_examples(30)
UNIT = st.lists(st.floats(0, 1), min_size=6, max_size=6)
ERRORS = st.lists(st.floats(-0.03, 0.03), min_size=6 * 6 + 3, max_size=6 * 6 + 3)


def _joints(arm, unit, margin=0.2):
    """Joint values from unit numbers, reaching a little past the limits (FK takes any)."""
    span = arm.upper - arm.lower
    return arm.lower - margin + np.array(unit[:arm.dof]) * (span + 2 * margin)


def _errors(arm, values):
    blocks = np.array(values[:6 * arm.dof]).reshape(arm.dof, 6)
    return ChainErrors(blocks[:, 0], blocks[:, 1:4], blocks[:, 4:6], values[-3:])


def _urdf(arm):
    return yourdfpy.URDF.load(arm.source.split(' (')[0], load_meshes=False,
                              build_scene_graph=True)


def _same_as_yourdfpy(arm, urdf, q):
    urdf.update_cfg(dict(zip(arm.joint_names, q)))
    positions, rotations = chain_frames(arm, q)
    frames = [j.child for j in arm.joints] + [arm.tool_frame]
    for k, link in enumerate(frames):
        transform = urdf.get_transform(link, arm.base_frame)
        np.testing.assert_allclose(positions[0, k], transform[:3, 3], rtol=0, atol=1e-12)
        np.testing.assert_allclose(rotations[0, k], transform[:3, :3], rtol=0, atol=1e-12)


@pytest.mark.parametrize('name', ARM_NAMES)
@SETTINGS
@given(unit=UNIT)
def test_chain_equals_yourdfpy_on_every_shipped_arm(name, unit):
    arm = load_arm(name)
    q = np.clip(_joints(arm, unit), arm.lower, arm.upper)  # yourdfpy clips to its URDF limits
    _same_as_yourdfpy(arm, _urdf(arm), q)


def _random_urdf(draw_values, kinds):
    """Return a URDF of random joint types, origins (xyz, rpy) and (non-coordinate) axes."""
    lines = ['<robot name="r"><link name="world"/>']
    for i, kind in enumerate(kinds):
        v = draw_values[9 * i:9 * i + 9]
        axis = np.array([v[6], v[7], v[8] + 1.5])
        axis = (axis / np.linalg.norm(axis)).tolist()  # unit, as URDF says (yourdfpy trusts it)
        lines.append(f'<link name="l{i}"/><joint name="j{i}" type="{kind}">'
                     f'<parent link="{"world" if i == 0 else f"l{i - 1}"}"/>'
                     f'<child link="l{i}"/><origin xyz="{v[0]} {v[1]} {v[2]}" '
                     f'rpy="{3 * v[3]} {1.5 * v[4]} {3 * v[5]}"/>'
                     f'<axis xyz="{axis[0]!r} {axis[1]!r} {axis[2]!r}"/>'
                     '<limit lower="-3" upper="3" velocity="1" effort="1"/></joint>')
    lines.append(f'<link name="tool"/><joint name="t" type="fixed">'
                 f'<parent link="l{len(kinds) - 1}"/><child link="tool"/>'
                 '<origin xyz="0.1 0.02 -0.03" rpy="0.3 -0.2 1.0"/></joint></robot>')
    return ''.join(lines)


KINDS = st.lists(st.sampled_from(['revolute', 'prismatic', 'continuous', 'fixed']), min_size=1,
                 max_size=6).map(lambda kinds: kinds if set(kinds) - {'fixed'}
                                 else kinds + ['revolute'])


@settings(SETTINGS, max_examples=15)
@given(KINDS, st.lists(st.floats(-1, 1), min_size=63, max_size=63), UNIT)
def test_chain_equals_yourdfpy_on_random_chains(tmp_path_factory, kinds, values, unit):
    """Any serial chain: rpy origins, oblique axes, prismatic, continuous and fixed joints."""
    tmp = tmp_path_factory.mktemp('chain')
    (tmp / 'r.urdf').write_text(_random_urdf(values, kinds))
    moving = [f'j{i}' for i, kind in enumerate(kinds) if kind != 'fixed']
    spec = {'name': 'r', 'tool_frame': 'tool', 'home': [0.0] * len(moving),
            'joints': {name: {'lower': -3, 'upper': 3} for name in moving}}
    (tmp / 'r.yaml').write_text(yaml.safe_dump(spec))
    arm = load_arm(tmp / 'r.urdf')
    q = -3 + 6 * np.array(unit[:arm.dof])
    urdf = yourdfpy.URDF.load(str(tmp / 'r.urdf'), load_meshes=False)
    _same_as_yourdfpy(arm, urdf, q)
    _jacobian_is_the_derivative(arm, q, None)


def _jacobian_is_the_derivative(arm, q, errors, step=1e-6):
    jac = chain_jacobian(arm, q, errors)
    for k in range(arm.dof):
        dq = np.zeros(arm.dof)
        dq[k] = step
        (p1, r1), (p0, r0) = (chain_frames(arm, q + s * dq, errors) for s in (1, -1))
        linear = (p1[0, -1] - p0[0, -1]) / (2 * step)
        spin = (r1[0, -1] - r0[0, -1]) @ ((r1[0, -1] + r0[0, -1]) / 2).T / (2 * step)
        angular = np.array([spin[2, 1], spin[0, 2], spin[1, 0]])
        np.testing.assert_allclose(jac[:3, k], linear, rtol=0, atol=1e-8)
        np.testing.assert_allclose(jac[3:, k], angular, rtol=0, atol=1e-8)


@pytest.mark.parametrize('name', ARM_NAMES)
@SETTINGS
@given(unit=UNIT, values=ERRORS, with_errors=st.booleans())
def test_jacobian_is_the_derivative(name, unit, values, with_errors):
    arm = load_arm(name)
    _jacobian_is_the_derivative(arm, _joints(arm, unit),
                                _errors(arm, values) if with_errors else None)


@pytest.mark.parametrize('name', ARM_NAMES)
@SETTINGS
@given(units=st.lists(UNIT, min_size=1, max_size=8), values=ERRORS)
def test_torch_twin_equals_numpy(name, units, values):
    arm = load_arm(name)
    q = np.array([_joints(arm, u) for u in units])
    errors = _errors(arm, values)
    t = torch.tensor(q, dtype=torch.float64, requires_grad=True)
    pose = chain_forward_torch(arm, t, errors)
    np.testing.assert_allclose(pose.detach().numpy(), chain_forward(arm, q, errors), atol=1e-12)
    np.testing.assert_allclose(chain_positions_torch(arm, t, errors).detach().numpy(),
                               chain_frames(arm, q, errors)[0], atol=1e-12)
    pose.sum().backward()
    assert torch.isfinite(t.grad).all()


GEOMETRY_ERRORS = st.lists(st.floats(-1, 1), min_size=6 + 4 + 8, max_size=6 + 4 + 8)


def _turn(axis: str, angle: float) -> np.ndarray:
    c, s = math.cos(angle), math.sin(angle)
    i, j = {'x': (1, 2), 'y': (2, 0), 'z': (0, 1)}[axis]
    out = np.eye(3)
    out[i, i], out[i, j], out[j, i], out[j, j] = c, -s, s, c
    return out


def old_omx_fk(q: np.ndarray, v: dict) -> tuple[np.ndarray, np.ndarray]:
    """
    Return the tool position (3,) and rotation (3, 3) of an old file's OM-X ``v`` at ``q`` (4,).

    Its definition written out: joint1 at (joint1_x, 0, base_height) about z, leaning about x
    then y; joints 2-4 (shoulder_height up, then (upper_arm_x, 0, upper_arm_z), then forearm
    along x) about y, each leaning about its x then z axis; the tool ``tool`` along x.
    """
    origins = [(v['joint1_x'], 0.0, v['base_height']), (0.0, 0.0, v['shoulder_height']),
               (v['upper_arm_x'], 0.0, v['upper_arm_z']), (v['forearm'], 0.0, 0.0)]
    axes, leans = 'zyyy', ('xy', 'xz', 'xz', 'xz')
    t = v['axis_tilts']
    rotation, position = np.eye(3), np.zeros(3)
    for k in range(4):
        position = position + rotation @ np.array(origins[k])
        rotation = (rotation @ _turn(leans[k][0], t[2 * k]) @ _turn(leans[k][1], t[2 * k + 1])
                    @ _turn(axes[k], q[k] + v['joint_offsets'][k]))
    return position + rotation @ np.array([v['tool'], 0.0, 0.0]), rotation


@pytest.mark.parametrize('description', arm_descriptions('open_manipulator_x'))
@SETTINGS
@given(units=st.lists(UNIT, min_size=1, max_size=8), values=GEOMETRY_ERRORS,
       kind=st.sampled_from(['nominal', 'offsets and links', 'leaning']))
def test_omx_chain_equals_the_old_files_fk(description, units, values, kind):
    """The planar, calibrated and leaning OM-X of an old file, to 1e-12, FK and Jacobian."""
    arm = load_arm('open_manipulator_x', description)
    v = legacy_values({'base_height': 0.017 if description == 'humble' else 0.0})
    if kind != 'nominal':
        v.update({f: v[f] + 0.02 * x for f, x in zip(LINK_FIELDS, values)})
        v['joint_offsets'] = tuple(OFFSET_TOLERANCE * np.array(values[6:10]))
    if kind == 'leaning':
        v['axis_tilts'] = tuple(TILT_TOLERANCE * np.array(values[10:]))
    q = np.array([_joints(arm, u) for u in units])
    errors = legacy_errors(arm, v)
    poses = chain_forward(arm, q, errors)
    for k in range(len(q)):
        position, rotation = old_omx_fk(q[k], v)
        np.testing.assert_allclose(poses[k, :3], position, rtol=0, atol=1e-12)
        np.testing.assert_allclose(quat_to_matrix(poses[k, 3:]), rotation, rtol=0, atol=1e-12)
    calibrated = arm.with_errors(errors)
    np.testing.assert_allclose(forward_kinematics(q, calibrated), poses, rtol=0, atol=1e-12)
    np.testing.assert_allclose(chain_jacobian(arm, q, errors), jacobian(q, calibrated), rtol=0,
                               atol=1e-12)


def test_check_values():
    """robotis-arms.md's OMX-F and openmanipulator-x.md's OM-X tool at q = 0."""
    np.testing.assert_allclose(chain_forward(load_arm('omx_f'), np.zeros(5)),
                               [0.31288, -0.0016, 0.21065, 0, 0, 0, 1], atol=1e-15)
    assert np.allclose(chain_forward(load_arm('omx_f'), np.zeros(5))[:3],
                       [0.3129, -0.0016, 0.2107], atol=5e-5)
    np.testing.assert_allclose(chain_forward(load_arm('open_manipulator_x'), np.zeros(4)),
                               [0.286, 0, 0.2045, 0, 0, 0, 1], atol=1e-15)


@SETTINGS
@given(ERRORS)
def test_chain_errors_vector_round_trip(values):
    arm = load_arm('omy_3m')
    errors = _errors(arm, values)
    assert ChainErrors.from_vector(errors.as_vector()) == errors
    assert ChainErrors.zeros(6).as_vector().shape == (39,)


def test_bad_input_is_a_clear_error():
    arm = load_arm('omx_f')
    with pytest.raises(InvalidJointsError, match=r'\(5,\) or \(N, 5\)'):
        chain_forward(arm, np.zeros(4))
    with pytest.raises(InvalidJointsError, match='NaN'):
        chain_jacobian(arm, [0, 0, math.nan, 0, 0])
    with pytest.raises(ValueError, match='shape'):
        ChainErrors((0.0,) * 5, [[0, 0, 0]] * 4, [[0, 0]] * 5)
    with pytest.raises(ValueError, match='6 joints for an arm of 5'):
        chain_forward(arm, np.zeros(5), ChainErrors.zeros(6))
    with pytest.raises(ValueError, match=r'\(N, 5\)'):
        chain_forward_torch(arm, torch.zeros(3, 4, dtype=torch.float64))


@pytest.mark.parametrize('name', ARM_NAMES)
def test_one_row_in_plain_floats_is_the_vectorised_chain(name):
    """chain_forward / chain_jacobian of one row (plain floats) equal each row of a batch."""
    arm = load_arm(name)
    rng = np.random.default_rng(8)
    q = rng.uniform(arm.lower, arm.upper, size=(200, arm.dof))
    errors = ChainErrors(rng.normal(0, 0.02, arm.dof), rng.normal(0, 0.002, (arm.dof, 3)),
                         rng.normal(0, 0.02, (arm.dof, 2)), rng.normal(0, 0.002, 3))
    for model in (arm, arm.with_errors(errors)):
        rows = np.array([chain_forward(model, row) for row in q])
        np.testing.assert_allclose(rows, chain_forward(model, q), rtol=0, atol=1e-15)
        rows = np.array([chain_jacobian(model, row) for row in q])
        np.testing.assert_allclose(rows, chain_jacobian(model, q), rtol=0, atol=1e-15)


@pytest.mark.parametrize('name', ARM_NAMES)
@SETTINGS
@given(unit=UNIT, values=ERRORS, with_errors=st.booleans())
def test_pose_and_jacobian_of_one_walk(name, unit, values, with_errors):
    """chain_pose_jacobian_one is chain_forward and chain_jacobian of the row, from one walk."""
    arm = load_arm(name)
    arm = arm.with_errors(_errors(arm, values)) if with_errors else arm
    q = _joints(arm, unit)
    pose, jac = chain_pose_jacobian_one(arm, q.tolist())
    np.testing.assert_allclose(pose, chain_forward(arm, q[None])[0], rtol=0, atol=1e-15)
    np.testing.assert_allclose(jac, chain_jacobian(arm, q[None])[0], rtol=0, atol=1e-15)
