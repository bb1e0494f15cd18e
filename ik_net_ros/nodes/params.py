"""
Node parameters declared from one table: default, description, and the rule a value meets.

A value is checked when the node starts (a bad one raises :class:`ConfigError`, so the node exits
with status 2 and says which parameter and why, instead of a traceback) and on every change
(refused with the reason; the old value stays). Float parameters also take integers
(``-p rate:=50``), which plain rclpy refuses at start with an exception.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
import re
from typing import Any

from ik_net_ros.arm import Arm, arm_descriptions
from ik_net_ros.errors import ConfigError
from ik_net_ros.kinematics.collision import MAX_CLEARANCE
from ik_net_ros.kinematics.tracker_setup import BASE_FRAME_NAMES, check_xyz_rpy
from ik_net_ros.nodes.arm_params import (
    arm_name_ok,
    ARM_NEED,
    ArmRule,
    joint_names_rule,
    joint_vector,
    node_arm,
)
from ik_net_ros.rules import (
    int_in,
    is_number,
    MAX_PERIOD,
    MIN_PERIOD,
    non_empty,
    number_in,
    one_of,
    period,
    Range,
)
import numpy as np
from rcl_interfaces.msg import (
    FloatingPointRange,
    IntegerRange,
    ParameterDescriptor,
    SetParametersResult,
)
from rclpy.exceptions import (
    InvalidParameterValueException,
    InvalidTopicNameException,
    ParameterException,
)
from rclpy.node import Node
from rclpy.validate_topic_name import validate_topic_name

__all__ = ['Spec', 'Range', 'declare_parameters', 'check_changes', 'positive', 'non_negative',
           'topic_name', 'number_in', 'period', 'PERIOD_NEED', 'MAX_PERIOD', 'one_of',
           'non_empty', 'int_in', 'joint_vector', 'joint_names_rule', 'description_spec',
           'ARM', 'ArmRule',
           'BASE_FRAMES', 'frame_accepted', 'EXECUTORS', 'EXECUTOR', 'TABLE_CLEARANCE',
           'WORKSPACE', 'workspace_box', 'PREFIX', 'prefixed', 'xyz_rpy_within']


@dataclass(frozen=True)
class Spec:
    """
    One parameter: ``need`` says what a valid value is (shown in errors and descriptions).

    ``fixed`` ones are read once at start: declared ``read_only``, so changing them at run time is
    refused (by rclpy, before any callback).
    """

    default: Any
    description: str
    check: Callable[[Any], bool] | None = None
    need: str = ''
    fixed: bool = False


def positive(value) -> bool:
    return is_number(value) and value > 0


def non_negative(value) -> bool:
    return is_number(value) and value >= 0


def range_descriptor(rule: Range) -> dict:
    """Return a Range as ROS declares it: ``floating_point_range`` or ``integer_range``."""
    if rule.integer:
        return {'integer_range': [IntegerRange(from_value=int(rule.lo), to_value=int(rule.hi),
                                               step=1)]}
    return {'floating_point_range': [FloatingPointRange(
        from_value=float(rule.lo), to_value=float(rule.hi), step=0.0)]}


PERIOD_NEED = f'a time in [{MIN_PERIOD:g}, {MAX_PERIOD:g}] s'


def topic_name(value) -> bool:
    """Return a valid ROS topic name or namespace, e.g. 'target_marker' but not '0/x' or 'a b'."""
    if not non_empty(value):
        return False
    try:
        validate_topic_name(f'{value}/x')
    except (InvalidTopicNameException, ValueError, TypeError):
        return False
    return True


def _problem(name: str, value, spec: Spec, arm: Arm | None = None) -> str | None:
    if spec.check is None:
        return None
    if isinstance(spec.check, ArmRule):
        if arm is None or spec.check(value, arm):  # (no arm yet: checked once it is loaded)
            return None
    elif spec.check(value):
        return None
    shown = list(value) if isinstance(value, (tuple, np.ndarray)) else value
    return f'parameter {name} = {shown!r} refused: needs {spec.need}'


def _takes_numbers(default, check=None) -> bool:
    if isinstance(check, ArmRule) and isinstance(default, list) and not default:
        return True  # an empty default ('the arm's'): a list of numbers or of names may replace it
    if isinstance(default, (list, tuple)):
        return len(default) > 0 and all(isinstance(v, float) for v in default)
    return isinstance(default, float)


def declare_parameters(node: Node, specs: dict[str, Spec]) -> Arm | None:
    """
    Declare every parameter of ``specs`` on ``node`` and check the values it starts with.

    Returns the arm the ``arm`` and ``description`` parameters select (None where ``specs`` has
    no ``arm``); the rules that need it (:class:`ArmRule`) are checked against it.

    Raises
    ------
    ConfigError
        A value of the wrong type, one that breaks its rule, or an arm that does not load.

    """
    overrides = getattr(node, '_parameter_overrides', {})
    for name, spec in specs.items():
        given = overrides.get(name)
        if given is not None and given.value is None and spec.default == []:
            # an empty list in a YAML parameter file has no type (NOT_SET): it says the
            # default, [] (the arm's own ids, names or home), not "no value"
            del overrides[name]
        text = f'{spec.description} (needs {spec.need})' if spec.need else spec.description
        if spec.fixed:
            text += '; read at start'
        # integers for floats only where a rule will still catch a value of the wrong kind
        descriptor = ParameterDescriptor(
            description=text, additional_constraints=spec.need, read_only=spec.fixed,
            dynamic_typing=_takes_numbers(spec.default, spec.check) and spec.check is not None,
            **(range_descriptor(spec.check) if isinstance(spec.check, Range) else {}))
        try:
            value = node.declare_parameter(name, spec.default, descriptor).value
        except InvalidParameterValueException as e:  # outside the descriptor's range
            given = getattr(node, '_parameter_overrides', {}).get(name)
            shown = given.value if given is not None else spec.default
            raise ConfigError(f'parameter {name} = {shown!r} refused: needs {spec.need}') from e
        except ParameterException as e:
            raise ConfigError(f'parameter {name}: {e}') from e
        problem = _problem(name, value, spec)
        if problem:
            raise ConfigError(problem)
    if 'arm' not in specs:
        return None
    description = node.get_parameter('description').value if 'description' in specs else ''
    arm = node_arm(node.get_parameter('arm').value, description)
    for name, spec in specs.items():
        problem = _problem(name, node.get_parameter(name).value, spec, arm)
        if problem:
            raise ConfigError(f'{problem} (arm {arm.name})')
    return arm


def check_changes(params, specs: dict[str, Spec], arm: Arm | None = None) -> SetParametersResult:
    """
    Return the verdict on a run-time change of ``params`` (a list of rclpy Parameters).

    ``arm``: the node's arm, for the rules that need it (:class:`ArmRule`).
    """
    for p in params:
        spec = specs.get(p.name)
        if spec is None:
            continue  # not ours (use_sim_time, ...)
        problem = _problem(p.name, p.value, spec, arm)  # (fixed: read_only, refused by rclpy)
        if problem:
            return SetParametersResult(successful=False, reason=problem)
    return SetParametersResult(successful=True)


def description_spec(what: str) -> Spec:
    """Return the ``description`` parameter of every node that uses the arm's geometry."""
    return Spec('humble', f"ROBOTIS's arm description {what}: humble (joint1 at z = 0.017 m, "
                          "the physical value) or jazzy (0.0, ROBOTIS's current release); "
                          'the OpenMANIPULATOR-X has both, an arm with one description '
                          'ignores it',
                one_of(*arm_descriptions()), ' | '.join(arm_descriptions()), fixed=True)


# every node that moves, draws or names the arm declares it alike
ARM = Spec('open_manipulator_x', 'the arm: a shipped one (open_manipulator_x, omx_f, ...) or the '
                                 "path of an arm's YAML (its URDF beside it); its joint names, "
                                 'joint count, limits, frames and collision model follow',
           arm_name_ok, ARM_NEED, fixed=True)


EXECUTORS = ('auto', 'events', 'single')
# every node that runs through nodes.runner.run_node declares it
EXECUTOR = Spec('auto', "rclpy executor spinning the node: events (rclpy's EventsExecutor, in "
                        'C++: about 0.19 ms less CPU per message than single here; rclpy of '
                        'Jazzy and later), single (SingleThreadedExecutor), auto (events where '
                        'this rclpy has it, else single)',
                one_of(*EXECUTORS), ' | '.join(EXECUTORS), fixed=True)


def _box(value) -> bool:
    return isinstance(value, (list, tuple, np.ndarray)) and len(value) == 6 \
        and all(is_number(v) and abs(v) <= 100 for v in value) \
        and all(value[i] < value[i + 1] for i in (0, 2, 4))


# the collision model's settings, declared alike by the ik node and the driver (both walls)
TABLE_CLEARANCE = Spec(0.01, 'm every moving link of the arm keeps above the table (the bottom '
                             'of link1)', number_in(0.0, MAX_CLEARANCE),
                       f'a distance in [0, {MAX_CLEARANCE}] m', fixed=True)
WORKSPACE = Spec([-1.0, 1.0, -1.0, 1.0, -1.0, 1.0],
                 'box every moving link of the arm must stay inside, [x_min, x_max, y_min, '
                 'y_max, z_min, z_max] m in the base frame; the default is wider than the '
                 "arm's reach (no limit): set it for obstacles the package does not know",
                 _box, '6 numbers, each min < max, within 100 m', fixed=True)


def workspace_box(value) -> tuple[float, ...] | None:
    """
    Return the workspace parameter as a collision model's box.

    None: wider than the arm's reach, so nothing to check.
    """
    box = tuple(float(v) for v in value)
    return None if box == tuple(WORKSPACE.default) else box


BASE_FRAMES = BASE_FRAME_NAMES  # identical in both of ROBOTIS's descriptions


def _prefix_ok(value) -> bool:
    return isinstance(value, str) and re.fullmatch(r'[A-Za-z0-9_]*', value) is not None


# ROBOTIS's xacro takes a prefix for two arms in one TF tree: <prefix>joint1, <prefix>link1;
# 'world' stays 'world'. Every node that names joints or frames declares it alike.
PREFIX = Spec('', "prefix of joint and frame names, as ROBOTIS's description takes it (e.g. "
                  "'arm1_': arm1_joint1 ... arm1_gripper_left_joint, frame arm1_link1; world "
                  "stays world); '' none", _prefix_ok, "'' or letters, digits and _",
              fixed=True)


def prefixed(names, prefix: str) -> list[str]:
    """``names`` with ``prefix`` in front of each."""
    return [f'{prefix}{name}' for name in names]


def frame_accepted(frame: str, expected: str, accept_empty: bool = True,
                   prefix: str = '') -> bool:
    """
    Whether a message in ``frame`` is in the ``expected`` frame.

    'world' and '<prefix>link1' (ROBOTIS's base link; its teleop publishes there) are one frame.
    """
    if frame == expected or (frame == '' and accept_empty):
        return True
    base = ('world', f'{prefix}link1')
    return frame in base and (expected in base or expected in BASE_FRAMES)


def xyz_rpy_within(distance: float) -> Callable[[Any], bool]:
    """Return the rule of a pose x, y, z (m), roll, pitch, yaw (deg), within ``distance`` m."""
    def ok(value) -> bool:
        try:
            return all(isinstance(v, float) for v in value) and bool(
                check_xyz_rpy(value, 'pose', distance))
        except (TypeError, ValueError):
            return False
    return ok
