"""
Every node parameter over any value of its type (and of other types).

The node starts and works, or refuses the value with the parameter's name and rule; never a
traceback, never a crash later in a callback. Run-time changes likewise. Seeded and bounded, so it
stays fast.
"""

import math

from geometry_msgs.msg import PoseStamped
from hypothesis import given
from hypothesis import strategies as st
from ik_net_ros.errors import IkNetError
from ik_net_ros.kinematics import forward_kinematics
from ik_net_ros.nodes import (
    collect_node,
    driver_node,
    ik_node,
    target_marker_node,
    target_sweep_node,
    tracker_node,
)
from ik_net_ros.nodes.conversions import array_to_pose, joint_state
import numpy as np
from propcheck import fixed_examples
import pytest
import rclpy
from rclpy.parameter import Parameter
from sensor_msgs.msg import JointState

pytestmark = pytest.mark.ros
SETTINGS = fixed_examples(25)

FLOATS = st.one_of(st.floats(allow_nan=True, allow_infinity=True),
                   st.sampled_from([0.0, -0.0, 1e-300, 5e-324, 1e300, 1e12, 1e10, -1.0, 0.5]))
INTS = st.one_of(st.integers(-2 ** 63, 2 ** 63 - 1), st.sampled_from([0, -1, 1, 2 ** 31]))
TEXT = st.text(st.characters(exclude_categories=('Cs',), exclude_characters='\x00'),
               max_size=40)


def _values(default):
    """Values of the default's type, and some of other types."""
    if isinstance(default, bool):
        same = st.booleans()
    elif isinstance(default, float):
        same = st.one_of(FLOATS, INTS)
    elif isinstance(default, int):
        same = INTS
    elif isinstance(default, str):
        same = TEXT
    elif isinstance(default, list) and default and isinstance(default[0], float):
        same = st.lists(FLOATS, max_size=6)
    elif isinstance(default, list) and default and isinstance(default[0], int):
        same = st.lists(INTS, max_size=6)
    else:
        same = st.lists(TEXT, max_size=6)
    return st.one_of(same, FLOATS, TEXT, st.booleans())


def _pose_msg(frame='world'):
    return array_to_pose(forward_kinematics(np.array([0.3, 0.2, 0.1, 0.4])), frame,
                         rclpy.clock.Clock().now().to_msg())


def _state_msg():
    return joint_state([0.3, 0.2, 0.1, 0.4], rclpy.clock.Clock().now().to_msg())


def _exercise_ik(node):
    node.on_target(_pose_msg())
    node.on_target(PoseStamped())  # zero quaternion: rejected
    node.on_stats()


def _exercise_collect(node):
    node.on_state(_state_msg())
    node.on_state(JointState())
    node.on_babble()
    node.on_report()
    node.on_flush()


def _exercise_driver(node):
    node.on_command(_state_msg())
    node.on_cycle()
    node.on_diagnostics()


def _exercise_marker(node):
    node.on_joint_states(_state_msg())
    node.on_timer()


def _exercise_sweep(node):
    node.on_timer()


def _exercise_tracker(node):
    node.last = -math.inf
    node.on_truth(_pose_msg())


NODES = {
    'ik': (ik_node.IkNode, ik_node.PARAMETERS, {'model': 'analytic', 'publish_trajectory': True},
           _exercise_ik),
    'collect': (collect_node.CollectNode, collect_node.PARAMETERS, {}, _exercise_collect),
    'driver': (driver_node.DriverNode, driver_node.PARAMETERS, {'backend': 'sim'},
               _exercise_driver),
    'target_marker': (target_marker_node.TargetMarkerNode, target_marker_node.PARAMETERS, {},
                      _exercise_marker),
    'target_sweep': (target_sweep_node.TargetSweepNode, target_sweep_node.PARAMETERS, {},
                     _exercise_sweep),
    'tracker': (tracker_node.TrackerNode, tracker_node.PARAMETERS, {}, _exercise_tracker),
}
CASES = [(node, name) for node, (_, specs, _, _) in NODES.items() for name in specs
         if name not in ('backend', 'port')]  # a real serial port is not the point here


@pytest.fixture(scope='module')
def context():
    ctx = rclpy.Context()
    rclpy.init(context=ctx)
    yield ctx
    ctx.try_shutdown()


@pytest.mark.parametrize('node_name, param', CASES)
def test_any_start_value_is_taken_or_refused_by_name(context, tmp_path_factory, node_name,
                                                     param):
    cls, specs, base, exercise = NODES[node_name]

    @SETTINGS
    @given(value=_values(specs[param].default))
    def check(value):
        overrides = dict(base)
        if node_name == 'collect':
            overrides['output'] = str(tmp_path_factory.mktemp('rec') / 'rows.csv')
        overrides[param] = value
        try:
            node = cls(context=context, parameter_overrides=[
                Parameter(k, value=v) for k, v in overrides.items()])
        except IkNetError as e:
            assert param in str(e), str(e)
            return
        try:
            exercise(node)
            if hasattr(node, 'shutdown'):
                node.shutdown()
        finally:
            node.destroy_node()

    check()


@pytest.mark.parametrize('node_name, param', [c for c in CASES
                                              if not NODES[c[0]][1][c[1]].fixed])
def test_any_run_time_change_is_taken_or_refused_with_the_reason(context, tmp_path, node_name,
                                                                 param):
    cls, specs, base, exercise = NODES[node_name]
    overrides = dict(base)
    if node_name == 'collect':
        overrides['output'] = str(tmp_path / 'rows.csv')
    node = cls(context=context, parameter_overrides=[
        Parameter(k, value=v) for k, v in overrides.items()])

    @SETTINGS
    @given(value=_values(specs[param].default))
    def check(value):
        result = node.set_parameters([Parameter(param, value=value)])[0]
        if result.successful:
            got = node.get_parameter(param).value
            assert got == value or (isinstance(value, float) and math.isnan(value))
            exercise(node)
        else:
            assert result.reason, f'{param} = {value!r} refused without a reason'

    try:
        check()
    finally:
        if hasattr(node, 'shutdown'):
            node.shutdown()
        node.destroy_node()
