"""
The node parameter ``arm`` and the rules whose answer depends on the arm it names.

Every node that moves, draws or names the arm declares ``arm`` (a shipped name or the path of an
arm's YAML, :func:`ik_net_ros.arm.load_arm`). Rules such as "a joint vector inside the limits"
need the arm: they are :class:`ArmRule` objects, checked once the node's arm is loaded (at start
and on every change), so one parameter table serves every arm.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ik_net_ros.arm import Arm, ARM_NAMES, ArmError, default_arm
from ik_net_ros.errors import ConfigError
from ik_net_ros.kinematics.limits import within_limits_one
from ik_net_ros.resources import named_arm
from ik_net_ros.rules import is_number, non_empty

__all__ = ['ArmRule', 'arm_name_ok', 'ARM_NEED', 'node_arm', 'joint_vector', 'joint_names_rule',
           'speed_within', 'arm_home', 'arm_joint_names']

ARM_NEED = f"one of {', '.join(ARM_NAMES)} or the path of an arm's .yaml"


@dataclass(frozen=True)
class ArmRule:
    """A parameter rule ``ok(value, arm) -> bool`` that needs the node's arm to answer."""

    ok: Callable[[Any, Arm], bool]

    def __call__(self, value, arm: Arm | None = None) -> bool:
        """Return whether ``value`` meets the rule for ``arm`` (None: the default arm)."""
        try:
            return bool(self.ok(value, arm if arm is not None else default_arm()))
        except (TypeError, ValueError):
            return False


def arm_name_ok(value) -> bool:
    """Return whether ``value`` names a shipped arm or looks like the path of an arm file."""
    return isinstance(value, str) and (value in ARM_NAMES or (
        non_empty(value) and Path(value).suffix in ('.yaml', '.yml')))


def node_arm(name: str, description: str = '') -> Arm:
    """
    Return the arm a node's ``arm`` and ``description`` parameters select.

    ``description`` chooses among an arm's several ROBOTIS descriptions (the OM-X's humble and
    jazzy); an arm with one description has nothing to choose and ignores it.

    Raises
    ------
    ConfigError
        An unknown name, or an arm file that is missing or malformed (the reason in one line).

    """
    try:
        arm = named_arm(name, description)
    except (ArmError, OSError, ValueError) as e:
        raise ConfigError(f'parameter arm = {name!r} refused: {e}') from e
    return arm


def arm_home(value, arm: Arm) -> tuple[float, ...]:
    """Return a joint-vector parameter's value, the arm's home pose where it is empty."""
    return tuple(float(v) for v in value) if value else tuple(arm.home)


def arm_joint_names(value, arm: Arm) -> tuple[str, ...]:
    """Return a joint-names parameter's value, the arm's joint names where it is empty."""
    return tuple(value) if value else arm.joint_names


def _joints_inside(value, arm: Arm) -> bool:
    if not value:  # None (an empty list in a YAML file) or []: the arm's home
        return True
    return len(value) == arm.dof and all(is_number(v) for v in value) \
        and within_limits_one(arm, [float(v) for v in value])


def _names_fit(value, arm: Arm) -> bool:
    if not value:
        return True
    return len(value) == arm.dof and all(non_empty(v) for v in value) \
        and len(set(value)) == arm.dof


# one joint value per joint of the arm, inside its real limits; empty: the arm's home pose
joint_vector = ArmRule(_joints_inside)
# one distinct name per joint of the arm; empty: the arm's own joint names
joint_names_rule = ArmRule(_names_fit)


def speed_within(low: float, low_open: bool = False) -> ArmRule:
    """Return the rule 'a speed (rad/s) from ``low`` up to the arm's slowest joint's limit'."""
    def ok(value, arm: Arm) -> bool:
        return is_number(value) and (value > low if low_open else value >= low) \
            and value <= float(min(arm.velocity))
    return ArmRule(ok)
