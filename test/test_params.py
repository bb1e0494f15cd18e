"""Node parameters: one table per node, checked at start and on change, matching config/*.yaml."""

from pathlib import Path
import subprocess
import sys

from hypothesis import given, settings
from hypothesis import strategies as st
from ik_net_ros.errors import ConfigError
from ik_net_ros.nodes import (
    collect_node,
    driver_node,
    ik_node,
    target_marker_node,
    target_sweep_node,
    tracker_node,
)
from ik_net_ros.nodes.params import check_changes, declare_parameters, positive, Spec
import pytest
import rclpy
from rclpy.parameter import Parameter
import yaml

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.ros
SPECS = {'rate': Spec(10.0, 'Hz', positive, 'a rate > 0 Hz', fixed=True),
         'speed': Spec(1.0, 'factor', positive, 'a factor > 0'),
         'home': Spec([0.0, 0.0], 'two numbers', lambda v: len(v) == 2, 'two numbers'),
         'gain': Spec(1.0, 'no rule: ROS typing stays strict')}


def _node(ros, **overrides):
    node = ros.add(rclpy.create_node(
        'params_probe', context=ros.context,
        parameter_overrides=[Parameter(k, value=v) for k, v in overrides.items()]))
    declare_parameters(node, SPECS)
    return node


def test_integers_are_taken_for_float_parameters(ros):
    node = _node(ros, rate=50, home=[1, 2])
    assert node.get_parameter('rate').value == 50 and node.get_parameter('home').value == [1, 2]
    with pytest.raises(ConfigError, match='gain'):  # without a rule, nothing else gets through
        _node(ros, gain='high')


@pytest.mark.parametrize('value', [0.0, -1.0, float('nan'), 'fast'])
def test_a_bad_start_value_names_the_parameter_and_the_rule(ros, value):
    with pytest.raises(ConfigError, match=r'rate .* needs a rate > 0 Hz'):
        _node(ros, rate=value)


def test_changes_follow_the_rules(ros):
    node = _node(ros)
    node.add_on_set_parameters_callback(lambda params: check_changes(params, SPECS))
    assert node.set_parameters([Parameter('speed', value=3)])[0].successful
    refused = node.set_parameters([Parameter('speed', value=-2.0)])[0]
    assert not refused.successful and 'needs a factor > 0' in refused.reason
    fixed = node.set_parameters([Parameter('rate', value=20.0)])[0]
    assert not fixed.successful and 'read-only' in fixed.reason
    assert node.get_parameter('speed').value == 3 and node.get_parameter('rate').value == 10.0


def _yaml_sections():
    sections = {}
    for path in (ROOT / 'config').glob('*.yaml'):
        for name, body in yaml.safe_load(path.read_text()).items():
            sections[name.removeprefix('/**/')] = body['ros__parameters']
    return sections


@pytest.mark.parametrize('name, table', [
    ('ik', ik_node.PARAMETERS), ('driver', driver_node.PARAMETERS),
    ('collect', collect_node.PARAMETERS), ('target_marker', target_marker_node.PARAMETERS),
    ('target_sweep', target_sweep_node.PARAMETERS), ('tracker', tracker_node.PARAMETERS)])
def test_config_files_hold_every_tunable_with_the_declared_default(name, table):
    section = _yaml_sections()[name]
    assert set(section) == set(table), f'config/*.yaml [{name}] and the node disagree'
    for key, value in section.items():
        assert value == pytest.approx(table[key].default), key
        assert table[key].check is None or table[key].check(value), key


@pytest.mark.parametrize('module, args, message', [
    ('driver_node', ['-p', 'rate:=0.0'], 'rate = 0.0 refused'),
    ('driver_node', ['-p', 'ids:=[11, 12, 13, 13]'], 'ids'),
    ('driver_node', ['-p', 'home:=[9.0, 0.0, 0.0, 0.0]'], 'inside the limits'),
    ('target_sweep_node', ['-p', 'rate:=0'], 'rate = 0 refused'),
    ('target_marker_node', ['-p', 'scale:=-1.0'], 'scale'),
    ('collect_node', ['-p', 'output:=/tmp/never.csv', '-p', 'max_rate:=-5.0'], 'max_rate'),
    ('ik_node', ['-p', 'trajectory_duration:=-1.0'], 'trajectory_duration'),
])
def test_a_node_started_with_a_bad_value_exits_2_with_the_reason(module, args, message):
    proc = subprocess.run([sys.executable, '-m', f'ik_net_ros.nodes.{module}', '--ros-args',
                           *args], cwd=ROOT, capture_output=True, text=True, timeout=60)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 2 and message in out and 'Traceback' not in out, out
    assert f"[{module.removesuffix('_node')}]: parameter" in out, out  # logged under its name


def test_ranges_and_start_only_parameters_are_in_the_descriptors(ros):
    """
    What `ros2 param describe` and rqt show.

    The numeric rules as ranges, start-only parameters read_only, the rule text as additional
    constraints.
    """
    from ik_net_ros.nodes.params import Range
    node = ros.add(collect_node.CollectNode(context=ros.context, parameter_overrides=[
        Parameter('output', value='/tmp/ik_net_ros_descriptor_probe.csv')]))
    try:
        ranged = 0
        for name, spec in collect_node.PARAMETERS.items():
            descriptor = node.describe_parameter(name)
            assert descriptor.read_only == spec.fixed, name
            assert descriptor.additional_constraints == spec.need, name
            if isinstance(spec.check, Range):
                ranged += 1
                (bounds,) = descriptor.integer_range if spec.check.integer \
                    else descriptor.floating_point_range
                assert (bounds.from_value, bounds.to_value) == (spec.check.lo, spec.check.hi)
        assert ranged >= 5
        result = node.set_parameters([Parameter('min_joint_change', value=11.0)])[0]
        assert not result.successful and 'out of range' in result.reason
    finally:
        node.shutdown()


def test_the_documented_parameters_are_the_declared_ones(tmp_path):
    """docs/ros-interface.md's tables are generated from the tables the nodes declare."""
    from ik_net_ros.nodes import interface_docs
    doc = ROOT / 'docs' / 'ros-interface.md'
    assert interface_docs.main(['--check', str(doc)]) == 0, 'run `make docs`'
    stale = tmp_path / 'stale.md'
    stale.write_text(doc.read_text().replace('| `max_jump` | `0.5`', '| `max_jump` | `0.7`'))
    assert interface_docs.main(['--check', str(stale)]) == 1


# --- issue 33: the parameter arm, and the rules that follow the arm it names -----------------

@pytest.mark.parametrize('module, args, message', [
    ('ik_node', ['-p', 'arm:=omx_z'], 'arm = '),
    ('driver_node', ['-p', 'arm:=/nowhere/arm.yaml'], '/nowhere/arm.yaml'),
    ('driver_node', ['-p', 'arm:=omx_f', '-p', 'home:=[0.0, -1.0, 0.7, 0.3]'],
     'inside the limits ([]: its home) (arm omx_f)'),
    ('target_marker_node', ['-p', 'arm:=omx_f', '-p', 'home:=[0.0, 0.0, 0.0, 0.0, 4.0]'],
     'home'),
    ('collect_node', ['-p', 'output:=/tmp/never.csv', '-p', 'arm:=omx_f', '-p',
                      'joint_names:=[a, b, c, d]'], 'joint_names'),
])
def test_an_arm_that_does_not_load_or_a_value_that_does_not_fit_it_exits_2(
        module, args, message):
    proc = subprocess.run([sys.executable, '-m', f'ik_net_ros.nodes.{module}', '--ros-args',
                           *args], cwd=ROOT, capture_output=True, text=True, timeout=60)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 2 and message in out and 'Traceback' not in out, out


def _in_limits(arm, values) -> bool:
    return all(j.lower <= v <= j.upper for j, v in zip(arm.joints, values))


@pytest.mark.parametrize('name', ['open_manipulator_x', 'omx_f'])
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_joint_rules_take_one_value_per_joint_of_the_arm_inside_its_limits(name, data):
    from ik_net_ros.arm import load_arm
    from ik_net_ros.nodes.arm_params import arm_home, joint_names_rule, joint_vector
    arm = load_arm(name)
    values = data.draw(st.lists(st.floats(-4.0, 4.0), min_size=0, max_size=7))
    expected = values == [] or (len(values) == arm.dof and _in_limits(arm, values))
    assert joint_vector(values, arm) == expected
    assert arm_home(values, arm) == (tuple(values) if values else arm.home)
    names = data.draw(st.lists(st.sampled_from(['a', 'b', 'c', 'd', 'e', 'f', '']),
                               max_size=6))
    assert joint_names_rule(names, arm) == (names == [] or (
        len(names) == arm.dof and '' not in names and len(set(names)) == arm.dof))


def test_a_node_of_another_arm_takes_that_arms_rules_at_start_and_on_change(ros):
    """The marker of the OMX-F: its home has five joints; four are refused at run time too."""
    from ik_net_ros.nodes.target_marker_node import PARAMETERS as MARKER
    node = ros.add(rclpy.create_node('arm_rules', context=ros.context, parameter_overrides=[
        Parameter('arm', value='omx_f'), Parameter('home', value=[0.0, 0.0, 0.0, 0.0, 0.5])]))
    arm = declare_parameters(node, MARKER)  # (the harness destroys the node)
    assert arm.name == 'omx_f' and arm.dof == 5
    assert check_changes([Parameter('home', value=[0.1, 0.0, 0.0, 0.0, 0.0])], MARKER,
                         arm).successful
    refused = check_changes([Parameter('home', value=[0.1, 0.0, 0.0, 0.0])], MARKER, arm)
    assert not refused.successful and 'home' in refused.reason


def test_the_config_files_empty_lists_mean_the_arms_own():
    """config/ik.yaml's home: [] and ids: [] (no type in a YAML file) are the arm's, any arm."""
    from ik_net_ros.arm import load_arm
    from ik_net_ros.nodes.driver_node import DriverNode
    from ik_net_ros.nodes.target_marker_node import TargetMarkerNode
    context = rclpy.Context()
    rclpy.init(context=context, args=['--ros-args', '--params-file',
                                      str(ROOT / 'config' / 'ik.yaml')])
    nodes = []
    try:
        for name in ('open_manipulator_x', 'omx_f'):
            arm = load_arm(name)
            driver = DriverNode(context=context, parameter_overrides=[
                Parameter('arm', value=name), Parameter('autostart', value=False)])
            nodes.append(driver)
            assert driver.settings.home == arm.home
            assert list(driver.get_parameter('ids').value) == []
            marker = TargetMarkerNode(context=context, parameter_overrides=[
                Parameter('arm', value=name)])
            nodes.append(marker)
            assert marker._home() == arm.home
    finally:
        for node in nodes:
            node.destroy_node()
        context.try_shutdown()
