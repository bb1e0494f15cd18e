"""
The arm layer: shipped arms as ROBOTIS and the package describe them, and hostile arm files.

The OM-X's arm files must say exactly what the package's constants said before the arm became
one object (the old geometry.py's limits, collision.py's capsules, the gripper ranges); the
OMX-F's limits are its servos' ticks.
"""

import hashlib
import json
import math
from pathlib import Path
import subprocess
import sys

from hypothesis import given
from hypothesis import strategies as st
from ik_net_ros.arm import arm_descriptions, ARM_NAMES, ArmError, load_arm
from ik_net_ros.arm.generate_descriptions import main as generate_main
from ik_net_ros.arm.loading import DESCRIPTIONS_DIR
from ik_net_ros.arm.model import matrix_rpy, rpy_matrix
from ik_net_ros.arm.urdf_chain import _parse, _records, sidecar
from ik_net_ros.hardware.gripper import GRIPPER_RANGES
from ik_net_ros.kinematics.capsules import capsule_ends
from ik_net_ros.kinematics.chain import chain_frames
from ik_net_ros.kinematics.collision import CollisionModel
import numpy as np
from propcheck import fixed_examples
import pytest
import yaml

SETTINGS = fixed_examples(40)
OMX_DESCRIPTIONS = arm_descriptions('open_manipulator_x')
# the OM-X's numbers as the package's constants had them (kinematics/geometry.py, m, rad):
# joint1's height and the table's (17 mm under the humble description's joint1) per description
OMX_JOINT1_Z = {'humble': 0.017, 'jazzy': 0.0}
OMX_TABLE_Z = {'humble': 0.0, 'jazzy': -0.017}


def _ticks(tick: int) -> float:
    return (tick - 2048) * 2 * math.pi / 4096


@pytest.mark.parametrize('name', ARM_NAMES)
def test_shipped_arms_load_with_their_joints(name):
    arm = load_arm(name)
    dof = {'open_manipulator_x': 4, 'omx_f': 5, 'omy_3m': 6, 'omy_f3m': 6}[name]
    assert arm.dof == dof and arm.joint_names == tuple(f'joint{i + 1}' for i in range(dof))
    assert arm.base_frame == 'world' and arm.tool_frame == 'end_effector_link'
    assert np.all(arm.lower <= arm.home) and np.all(arm.home <= arm.upper)
    assert len(arm.servos) == dof and len(arm.capsules) >= 4 and arm.pairs
    header = (DESCRIPTIONS_DIR / Path(arm.source.split(' (')[0]).name).read_text()[:600]
    assert 'Apache License 2.0' in header and 'commit ' in header


@pytest.mark.parametrize('description', OMX_DESCRIPTIONS)
def test_omx_arm_equals_the_package_constants(description):
    """Limits, velocity, home, joint1 height, table, gripper, servos: as the package has them."""
    arm = load_arm('open_manipulator_x', description)
    assert arm.description == description
    assert np.array_equal(arm.lower, [-math.pi, -1.5, -1.5, -1.7])
    assert np.array_equal(arm.upper, [math.pi, 1.5, 1.4, 1.97])
    assert all(j.velocity == 4.8 for j in arm.joints)
    assert arm.home == (0.0, -1.0, 0.7, 0.3)
    assert arm.joints[0].origin.xyz == (0.012, 0.0, OMX_JOINT1_Z[description])
    assert arm.table_z == CollisionModel(arm).table_z == OMX_TABLE_Z[description]
    assert (arm.gripper.lower, arm.gripper.upper) == GRIPPER_RANGES[description]
    assert [s.id for s in arm.servos] + [arm.gripper.id] == [11, 12, 13, 14, 15]
    assert {s.model for s in arm.servos} == {'XM430-W350-T'}
    assert arm.gripper.joint == 'gripper_left_joint'


@pytest.mark.parametrize('description', OMX_DESCRIPTIONS)
@SETTINGS
@given(st.lists(st.floats(0, 1), min_size=4, max_size=4))
def test_omx_capsules_equal_the_collision_model(description, unit):
    """Each capsule's ends in the base frame are collision.py's segment; radii and pairs too."""
    arm = load_arm('open_manipulator_x', description)
    model = CollisionModel(arm)
    links = model.links
    q = arm.lower + np.array(unit) * (arm.upper - arm.lower)
    segments = model.capsule_ends(q[None])[0]  # fitted to the meshes: not joint to joint
    positions, rotations = chain_frames(arm, q)
    frame = {j.child: k for k, j in enumerate(arm.joints)}
    assert [c.name for c in arm.capsules] == list(links)
    np.testing.assert_allclose(model.link_points(q[None])[0, 1:], positions[0, 1:], atol=1e-12)
    for k, capsule in enumerate(arm.capsules):
        i = frame[capsule.link]
        ends = [positions[0, i] + rotations[0, i] @ np.array(p) for p in (capsule.a, capsule.b)]
        np.testing.assert_allclose(ends, segments[k], atol=1e-12)
        assert capsule.radius == model.radii[k] and capsule.table == (k != 0)
    assert {frozenset(p) for p in arm.pairs} == {frozenset((links[a], links[b]))
                                                 for a, b in model.pairs}


def test_omx_f_limits_are_its_servos_ticks():
    arm = load_arm('omx_f')
    expected = [(-math.pi, math.pi), (_ticks(830), _ticks(3129)), (_ticks(1024), _ticks(3140)),
                (_ticks(0), _ticks(4095)), (_ticks(0), _ticks(4095))]
    assert [(j.lower, j.upper) for j in arm.joints] == expected
    assert [s.model for s in arm.servos] == ['XL430-W250-T'] * 3 + ['XL330-M288-T'] * 2
    assert [s.id for s in arm.servos] + [arm.gripper.id] == [11, 12, 13, 14, 15, 16]
    assert arm.gripper.joint == 'gripper_joint_1' and arm.gripper.model == 'XL330-M288-T'


@pytest.mark.parametrize('name', ['omy_3m', 'omy_f3m'])
def test_omy_limits_are_the_spec_sheets(name):
    arm = load_arm(name)
    assert arm.joints[2].upper == -arm.joints[2].lower == pytest.approx(math.radians(150))
    assert all(j.upper == -j.lower == 2 * math.pi for k, j in enumerate(arm.joints) if k != 2)


def test_digest_names_the_kinematics_only():
    humble, jazzy = (load_arm('open_manipulator_x', d) for d in OMX_DESCRIPTIONS)
    assert humble.digest != jazzy.digest
    assert load_arm('open_manipulator_x').digest == humble.digest
    assert len({load_arm(n).digest for n in ARM_NAMES}) == len(ARM_NAMES)
    assert '-0.0' not in humble.kinematics_text()


def test_load_arm_errors_are_clear(tmp_path):
    with pytest.raises(ArmError, match='must be one of'):
        load_arm('omx_z')
    with pytest.raises(ArmError, match='description must be one of'):
        load_arm('open_manipulator_x', 'iron')
    with pytest.raises(ArmError, match='one description'):
        load_arm('omx_f', 'jazzy')
    with pytest.raises(ArmError, match='none.yaml: cannot read'):
        load_arm(tmp_path / 'none.yaml')


def _arm_files(tmp_path, name: str, data: dict) -> Path:
    """Copy a shipped arm's URDFs (and trees) to ``tmp_path`` beside ``data`` as its YAML."""
    for path in DESCRIPTIONS_DIR.glob(f'{name}*.urdf*'):
        (tmp_path / path.name).write_bytes(path.read_bytes())
    path = tmp_path / 'arm.yaml'
    path.write_text(yaml.safe_dump(data))
    return path


SHIPPED = {name: yaml.safe_load((DESCRIPTIONS_DIR / f'{name}.yaml').read_text())
           for name in ('omx_f', 'open_manipulator_x')}
KEYS = [(name, key) for name, data in SHIPPED.items() for key in sorted(data)]
KEYS += [('open_manipulator_x', f'descriptions.{d}.{key}') for d in ('humble', 'jazzy')
         for key in ('urdf', 'table_z', 'gripper', 'joints')]
VALUES = st.recursive(st.none() | st.booleans() | st.floats() | st.integers(-10**20, 10**20)
                      | st.text(max_size=8), lambda inner: st.lists(inner, max_size=4)
                      | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=12)


@SETTINGS
@given(st.sampled_from(KEYS), VALUES, st.sampled_from([None, 'humble', 'jazzy']))
def test_hostile_yaml_values_give_an_arm_error(tmp_path_factory, where, value, description):
    """Any value at any key: an Arm or an ArmError naming the file, never another exception."""
    tmp_path = tmp_path_factory.mktemp('arm')
    name, key = where
    data = json.loads(json.dumps(SHIPPED[name]))  # a deep copy
    *parents, last = key.split('.')
    node = data
    for parent in parents:
        node = node[parent]
    node[last] = value
    path = _arm_files(tmp_path, name, data)
    try:
        load_arm(path, description if name == 'open_manipulator_x' else None)
    except ArmError as e:
        assert str(tmp_path) in str(e)


@SETTINGS
@given(st.binary(max_size=400), st.integers(0, 4000), st.booleans())
def test_hostile_bytes_give_an_arm_error(tmp_path_factory, noise, cut, in_urdf):
    """Bytes spliced into the URDF or the YAML: an Arm or an ArmError, never a traceback."""
    tmp_path = tmp_path_factory.mktemp('arm')
    urdf = (DESCRIPTIONS_DIR / 'omx_f.urdf').read_bytes()
    text = (DESCRIPTIONS_DIR / 'omx_f.yaml').read_bytes()
    text = text.replace(b'urdf: omx_f.urdf', b'urdf: arm.urdf')
    if in_urdf:
        urdf = urdf[:cut] + noise + urdf[cut + len(noise):]
    else:
        text = text[:cut] + noise + text[cut + len(noise):]
    (tmp_path / 'arm.urdf').write_bytes(urdf)
    (tmp_path / 'arm.yaml').write_bytes(text)
    try:
        load_arm(tmp_path / 'arm.yaml')
    except ArmError as e:
        assert str(tmp_path) in str(e)


XACRO = """<?xml version="1.0"?>
<robot name="two" xmlns:xacro="http://www.ros.org/wiki/xacro">
  <xacro:property name="upper" value="0.2"/>
  <xacro:include filename="$(find two_description)/urdf/links.xacro"/>
  <link name="world"/><link name="a"/><link name="b"/><link name="tool"/>
  <joint name="j1" type="revolute"><parent link="world"/><child link="a"/>
    <origin xyz="0 0 0.1" rpy="0 0 0"/><axis xyz="0 0 1"/>
    <limit lower="-1" upper="1" velocity="2" effort="1"/></joint>
  <joint name="j2" type="prismatic"><parent link="a"/><child link="b"/>
    <origin xyz="${upper} 0 0" rpy="0 0 0.5"/><axis xyz="1 0 0"/>
    <limit lower="0" upper="0.1" velocity="0.5" effort="1"/></joint>
  <joint name="tip" type="fixed"><parent link="b"/><child link="tool"/>
    <origin xyz="0.05 0 0"/></joint>
</robot>
"""


def test_generator_and_xacro_arms(tmp_path):
    """generate_descriptions writes a loadable URDF with its provenance; a xacro arm loads."""
    checkout = tmp_path / 'checkout'
    urdf_dir = checkout / 'two_description' / 'urdf'
    urdf_dir.mkdir(parents=True)
    (urdf_dir / 'links.xacro').write_text('<robot xmlns:xacro="http://www.ros.org/wiki/xacro"/>')
    (urdf_dir / 'two.urdf.xacro').write_text(XACRO)
    source = checkout / 'open_manipulator_description/urdf/omx_f/omx_f.urdf.xacro'
    source.parent.mkdir(parents=True)
    source.write_text(XACRO.replace('$(find two_description)', str(urdf_dir.parent)))
    out = tmp_path / 'out'
    out.mkdir()
    assert generate_main([str(checkout), '--commit', 'abc123', '--out', str(out)]) == 0
    text = (out / 'omx_f.urdf').read_text()
    assert 'commit abc123' in text and 'Apache License 2.0' in text
    spec = {'name': 'two', 'tool_frame': 'tool', 'home': [0.0, 0.0],
            'joints': {'j1': {'lower': -0.5, 'upper': 0.5}, 'j2': {'lower': 0, 'upper': 0.1}}}
    (out / 'omx_f.yaml').write_text(yaml.safe_dump(spec))
    arm = load_arm(out / 'omx_f.urdf')
    (urdf_dir / 'two.yaml').write_text(yaml.safe_dump(spec))
    (urdf_dir / 'two.urdf.xacro').write_text(XACRO.replace('$(find two_description)/urdf/', ''))
    assert load_arm(urdf_dir / 'two.urdf.xacro').digest == arm.digest
    assert [j.type for j in arm.joints] == ['revolute', 'prismatic']
    assert arm.joints[1].velocity == 0.5 and arm.tool.xyz == (0.05, 0.0, 0.0)
    (urdf_dir / 'two.urdf.xacro').write_text(XACRO.replace('two_description', 'no_such_pkg'))
    with pytest.raises(ArmError, match='xacro cannot expand it'):
        load_arm(urdf_dir / 'two.urdf.xacro')


@pytest.mark.parametrize('path', sorted(DESCRIPTIONS_DIR.glob('*.urdf')), ids=lambda p: p.name)
def test_shipped_sidecars_are_current_and_equal_the_parse(path):
    """Each shipped URDF's parsed tree is of its bytes and is what yourdfpy reads from them."""
    side = json.loads(sidecar(path).read_text())
    data = path.read_bytes()
    assert side['sha256'] == hashlib.sha256(data).hexdigest()
    assert side['tree'] == _records(_parse(path, data))


def test_shipped_arms_load_without_yourdfpy():
    code = ('import sys; from ik_net_ros.arm import ARM_NAMES, load_arm; '
            '[load_arm(n) for n in ARM_NAMES]; load_arm("open_manipulator_x", "jazzy"); '
            'print(sorted({"yourdfpy", "trimesh", "xacro"} & set(sys.modules)))')
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                         check=True, timeout=120)
    assert out.stdout.strip() == '[]'


def test_a_stale_sidecar_is_not_used(tmp_path):
    """The URDF edited after its sidecar: the edit counts (the sidecar's sha256 no longer fits)."""
    for name in ('omx_f.urdf', 'omx_f.urdf.json', 'omx_f.yaml'):
        (tmp_path / name).write_bytes((DESCRIPTIONS_DIR / name).read_bytes())
    urdf = tmp_path / 'omx_f.urdf'
    urdf.write_text(urdf.read_text().replace('xyz="0.0287 0.0 0.0"', 'xyz="0.0300 0.0 0.0"'))
    assert load_arm(tmp_path / 'omx_f.yaml').joints[4].origin.xyz == (0.03, 0.0, 0.0)


JSON_VALUES = st.recursive(st.none() | st.booleans() | st.floats(allow_nan=False)
                           | st.integers(-10**6, 10**6) | st.text(max_size=8),
                           lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=8), inner, max_size=4),
                           max_leaves=12)


@SETTINGS
@given(st.sampled_from(['links', 'joints', 'joint', 'origin', 'axis', 'limit', 'type']),
       JSON_VALUES)
def test_hostile_sidecars_give_an_arm_error(tmp_path_factory, where, value):
    """A sidecar of the right sha256 but any content: an Arm or an ArmError, never a traceback."""
    tmp_path = tmp_path_factory.mktemp('arm')
    for name in ('omx_f.urdf', 'omx_f.yaml'):
        (tmp_path / name).write_bytes((DESCRIPTIONS_DIR / name).read_bytes())
    side = json.loads((DESCRIPTIONS_DIR / 'omx_f.urdf.json').read_text())
    tree = side['tree']
    if where in ('links', 'joints'):
        tree[where] = value
    elif where == 'joint':
        tree['joints'][3] = value
    else:
        tree['joints'][3][where] = value
    (tmp_path / 'omx_f.urdf.json').write_text(json.dumps(side))
    try:
        load_arm(tmp_path / 'omx_f.yaml')
    except ArmError as e:
        assert str(tmp_path) in str(e)


@SETTINGS
@given(st.floats(-math.pi, math.pi), st.floats(-math.pi / 2, math.pi / 2),
       st.floats(-math.pi, math.pi), st.integers(0, 14))
def test_rpy_round_trip_holds_at_gimbal_lock(roll, pitch, yaw, closeness):
    """Fixed joints fold into an origin's rpy: exact to rounding, within 1e-14 rad of +-pi/2."""
    if closeness:  # pitch 10^-closeness rad from +-pi/2
        pitch = math.copysign(math.pi / 2 - 10.0 ** -closeness, pitch)
    rot = rpy_matrix((roll, pitch, yaw))
    np.testing.assert_allclose(rpy_matrix(matrix_rpy(rot)), rot, rtol=0, atol=1e-15)


def _segment_distance(p, q, r, s):
    """Return the distance between segments p-q and r-s (Ericson's closest points)."""
    d1, d2, w = q - p, s - r, p - r
    a, e, f = d1 @ d1, d2 @ d2, d2 @ w
    if a <= 1e-18 and e <= 1e-18:
        return float(np.linalg.norm(w))
    if a <= 1e-18:
        t, u = 0.0, np.clip(f / e, 0, 1)
    else:
        c = d1 @ w
        if e <= 1e-18:
            t, u = np.clip(-c / a, 0, 1), 0.0
        else:
            b = d1 @ d2
            denom = a * e - b * b
            t = np.clip((b * f - c * e) / denom, 0, 1) if denom > 1e-18 else 0.0
            u = (b * t + f) / e
            if u < 0:
                t, u = np.clip(-c / a, 0, 1), 0.0
            elif u > 1:
                t, u = np.clip((b - c) / a, 0, 1), 1.0
    return float(np.linalg.norm(p + t * d1 - r - u * d2))


@pytest.mark.parametrize('name', ARM_NAMES)
def test_home_pose_is_clear_of_the_table_and_the_arm(name):
    """Each arm's home pose (ROBOTIS's rest pose) is clear with the arm's own capsules."""
    arm = load_arm(name)
    at_home = capsule_ends(arm, np.array([arm.home], dtype=float))[0]
    ends = {c.name: list(at_home[k]) for k, c in enumerate(arm.capsules)}
    radius = {c.name: c.radius for c in arm.capsules}
    for capsule in arm.capsules:
        if capsule.table:
            assert min(p[2] for p in ends[capsule.name]) - capsule.radius > arm.table_z, capsule
    # a pair may overlap by its allowance (coarse capsules over meshes apart at home: omx_f.yaml)
    for (a, b), allowance in zip(arm.pairs, arm.pair_allowances):
        assert _segment_distance(*ends[a], *ends[b]) > radius[a] + radius[b] - allowance, (a, b)


@pytest.mark.parametrize('allowance', [-0.001, 0.031, 'far', float('nan'), None])
def test_a_pair_allowance_out_of_range_is_an_arm_error(tmp_path, allowance):
    """A pair's third number (m its capsules may overlap) outside [0, 0.03]: refused."""
    data = yaml.safe_load((DESCRIPTIONS_DIR / 'omx_f.yaml').read_text())
    data['pairs'][0] = [*data['pairs'][0][:2], allowance]
    with pytest.raises(ArmError, match=r'pairs\[0\]'):
        load_arm(_arm_files(tmp_path, 'omx_f', data))
    data['pairs'][0] = [*data['pairs'][0][:2], 0.004]
    arm = load_arm(_arm_files(tmp_path, 'omx_f', data))
    assert arm.pair_allowances[0] == 0.004 and len(arm.pair_allowances) == len(arm.pairs)
