"""
launch/ik.launch.py, run against a stand-in of the launch API (launch is not on PyPI).

The stand-in records what the launch file asks for: which nodes start with which parameters,
what it logs, evaluating conditions and opaque functions as the launch service does. What
``ros2 launch`` itself does with them is checked by hand on a ROS install (docs/hardware.md).
"""

import importlib.util
from pathlib import Path
import sys
import types

import pytest

ROOT = Path(__file__).resolve().parents[1]


class Sub:
    """LaunchConfiguration: the argument's value in the context."""

    def __init__(self, name):
        self.name = name

    def perform(self, context):
        return context[self.name]


class Action:
    """Any action: its arguments, recorded."""

    def __init__(self, *args, **kwargs):
        self.args, self.kwargs = args, kwargs


class ParameterValue:
    """A value (a substitution) and its type."""

    def __init__(self, value, value_type=None):
        self.value, self.value_type = value, value_type


class IfCondition:
    """True where the expression says 'true' or '1'."""

    def __init__(self, expression):
        self.expression = expression

    def evaluate(self, context):
        return _resolve(self.expression, context).lower() in ('true', '1')


class PackageNotFoundError(KeyError):
    pass


def _resolve(value, context):
    if isinstance(value, Sub):
        return value.perform(context)
    if isinstance(value, ParameterValue):
        return _resolve(value.value, context)
    if isinstance(value, dict):
        return {k: _resolve(v, context) for k, v in value.items()}
    if isinstance(value, list) and any(isinstance(v, Sub) for v in value):
        return ''.join(str(_resolve(v, context)) for v in value)
    if isinstance(value, list):
        return [_resolve(v, context) for v in value]
    return value


def _stand_in(monkeypatch, installed):
    modules = {name: types.ModuleType(name) for name in (
        'launch', 'launch.actions', 'launch.conditions', 'launch.substitutions', 'launch_ros',
        'launch_ros.actions', 'launch_ros.parameter_descriptions')}
    modules['launch'].LaunchDescription = lambda entities: list(entities)
    actions = modules['launch.actions']
    actions.DeclareLaunchArgument = type('DeclareLaunchArgument', (Action,), {})
    actions.LogInfo = type('LogInfo', (Action,), {})
    actions.OpaqueFunction = type('OpaqueFunction', (Action,), {})
    modules['launch.conditions'].IfCondition = IfCondition
    modules['launch.substitutions'].LaunchConfiguration = Sub
    modules['launch_ros.actions'].Node = type('Node', (Action,), {})
    modules['launch_ros.parameter_descriptions'].ParameterValue = ParameterValue
    for name, module in modules.items():
        monkeypatch.setitem(sys.modules, name, module)
    import ament_index_python.packages as index

    def share(package):
        if package not in installed:
            raise PackageNotFoundError(package)
        return str(ROOT) if package == 'ik_net_ros' else f'/opt/ros/share/{package}'
    monkeypatch.setattr(index, 'get_package_share_directory', share)
    monkeypatch.setattr(index, 'PackageNotFoundError', PackageNotFoundError)
    return modules


def launch(monkeypatch, installed, **arguments):
    """Return (nodes by name: kwargs with resolved parameters, logged lines)."""
    modules = _stand_in(monkeypatch, installed)
    spec = importlib.util.spec_from_file_location('ik_launch', ROOT / 'launch' / 'ik.launch.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    entities = module.generate_launch_description()
    context = {}
    for e in entities:
        if isinstance(e, modules['launch.actions'].DeclareLaunchArgument):
            context[e.args[0]] = e.kwargs['default_value']
    unknown = set(arguments) - set(context)
    assert not unknown, f'undeclared launch arguments {unknown}'
    context.update(arguments)
    nodes, logged = {}, []
    while entities:
        e = entities.pop(0)
        if isinstance(e, modules['launch.actions'].OpaqueFunction):
            entities = list(e.kwargs['function'](context)) + entities
        elif isinstance(e, modules['launch.actions'].LogInfo):
            logged.append(e.kwargs['msg'])
        elif isinstance(e, modules['launch_ros.actions'].Node):
            condition = e.kwargs.get('condition')
            if condition is None or condition.evaluate(context):
                params = {}
                for p in e.kwargs.get('parameters', []):
                    if isinstance(p, dict):
                        params.update(_resolve(p, context))
                nodes[e.kwargs['name']] = dict(e.kwargs, parameters=params)
    return nodes, logged


EVERYTHING = {'ik_net_ros', 'robot_state_publisher', 'rviz2'}


def test_rviz_without_rviz2_says_so_and_starts_the_rest(monkeypatch):
    """Issue 35 item 6: the launch died on the missing rviz2 and left the nodes as orphans."""
    nodes, logged = launch(monkeypatch, EVERYTHING - {'rviz2'}, rviz='true')
    assert set(nodes) == {'driver', 'ik', 'robot_state_publisher', 'target_marker'}
    assert any('rviz2 is not installed' in line for line in logged), logged
    nodes, logged = launch(monkeypatch, EVERYTHING, rviz='true')
    assert 'rviz2' in nodes and not any('rviz2' in line for line in logged)
    nodes, _ = launch(monkeypatch, EVERYTHING, rviz='false')
    assert set(nodes) == {'driver', 'ik', 'robot_state_publisher'}


def test_the_base_placement_reaches_the_urdf_the_ik_node_and_the_marker(monkeypatch):
    """base_xyz_rpy: one value for TF (world_fixed) and the ik node's targets in world."""
    from ik_net_ros.resources import robot_description
    placement = [1.5, -0.4, 0.75, 0.0, 0.0, 90.0]
    for text in ('[1.5, -0.4, 0.75, 0, 0, 90]', '1.5,-0.4,0.75,0,0,90'):
        nodes, _ = launch(monkeypatch, EVERYTHING, base_xyz_rpy=text, prefix='arm1_',
                          rviz='true')
        assert nodes['ik']['parameters']['base_xyz_rpy'] == placement
        assert nodes['robot_state_publisher']['parameters']['robot_description'] == \
            robot_description('humble', 'arm1_', placement)
        assert nodes['target_marker']['parameters']['frame_id'] == 'arm1_link1'
    nodes, _ = launch(monkeypatch, EVERYTHING, rviz='true')  # no placement: as before
    assert nodes['ik']['parameters']['base_xyz_rpy'] == [0.0] * 6
    assert 'frame_id' not in nodes['target_marker']['parameters']
    with pytest.raises(ValueError, match='base_xyz_rpy'):
        launch(monkeypatch, EVERYTHING, base_xyz_rpy='[1, 2, 3]')


@pytest.mark.parametrize('arm', ['open_manipulator_x', 'omx_f', 'omy_f3m'])
def test_the_arm_argument_reaches_every_node_and_the_urdf(monkeypatch, arm):
    """arm:= (issue 33): one word selects the arm of the driver, the ik node, marker and TF."""
    import xml.etree.ElementTree as ET

    from ik_net_ros.arm import load_arm
    from ik_net_ros.resources import robot_description
    nodes, _ = launch(monkeypatch, EVERYTHING, arm=arm, rviz='true',
                      base_xyz_rpy='[0.5, 0, 0, 0, 0, 0]')
    for name in ('driver', 'ik', 'target_marker'):
        assert nodes[name]['parameters']['arm'] == arm, name
    text = nodes['robot_state_publisher']['parameters']['robot_description']
    assert text == robot_description(load_arm(arm), '', [0.5, 0.0, 0.0, 0.0, 0.0, 0.0])
    joints = {j.get('name') for j in ET.fromstring(text).findall('joint')}
    assert set(load_arm(arm).joint_names) <= joints
    base = 'link1' if arm == 'open_manipulator_x' else 'link0'  # the URDF's, not a rule
    assert nodes['target_marker']['parameters']['frame_id'] == base


def test_the_default_arm_is_the_om_x_and_a_bad_arm_stops_the_launch(monkeypatch):
    from ik_net_ros.errors import ConfigError
    from ik_net_ros.resources import robot_description
    nodes, _ = launch(monkeypatch, EVERYTHING)
    assert nodes['ik']['parameters']['arm'] == 'open_manipulator_x'
    assert nodes['robot_state_publisher']['parameters']['robot_description'] == \
        robot_description('humble')
    with pytest.raises(ConfigError, match='arm'):
        launch(monkeypatch, EVERYTHING, arm='omx_z')


def test_an_arm_without_learned_models_runs_the_closed_form_and_says_so(monkeypatch):
    """Issue 34: arm:=omy_3m (no models shipped) runs analytic; a learned name stops it."""
    from ik_net_ros.errors import ConfigError
    nodes, logged = launch(monkeypatch, EVERYTHING, arm='omy_3m')
    assert nodes['ik']['parameters']['model'] == 'analytic'
    assert any('no learned model' in line and 'analytic' in line for line in logged), logged
    with pytest.raises(ConfigError, match='model:=analytic'):
        launch(monkeypatch, EVERYTHING, arm='omy_3m', model='focused')
    nodes, logged = launch(monkeypatch, EVERYTHING, arm='omy_f3m')  # its focused model
    assert nodes['ik']['parameters']['model'] == 'focused'
    assert not any('no learned model' in line for line in logged), logged
    nodes, logged = launch(monkeypatch, EVERYTHING)  # the OM-X: its focused model, no line
    assert nodes['ik']['parameters']['model'] == 'focused'
    assert not any('learned' in line for line in logged)
    nodes, _ = launch(monkeypatch, EVERYTHING, arm='omx_f', model='improved')
    assert nodes['ik']['parameters']['model'] == 'improved'
