"""
Where the package's installed data lives (models/, config/, urdf/, launch/).

Looked up in order: the ``IK_NET_ROS_SHARE`` environment variable, the source checkout (a
development or editable install), the ament index (a colcon install on a ROS system), and
``<sys.prefix>/share/ik_net_ros`` (a pip install).
"""

from __future__ import annotations

import os
from pathlib import Path
import sys

__all__ = ['share_dir', 'robot_description', 'named_arm']

PACKAGE = 'ik_net_ros'


def _candidates():
    if os.environ.get('IK_NET_ROS_SHARE'):
        yield Path(os.environ['IK_NET_ROS_SHARE'])
    yield Path(__file__).resolve().parents[1]  # source checkout: <repo>/ik_net_ros/..
    try:
        from ament_index_python.packages import get_package_share_directory, PackageNotFoundError
        try:
            yield Path(get_package_share_directory(PACKAGE))
        except (PackageNotFoundError, LookupError, OSError):  # OSError: AMENT_PREFIX_PATH unset
            pass
    except ImportError:
        pass
    yield Path(sys.prefix) / 'share' / PACKAGE


def share_dir(sub: str) -> Path:
    """Return the first existing ``<share>/<sub>`` folder (e.g. 'models') or the last one tried."""
    last = None
    for base in _candidates():
        last = base / sub
        if last.is_dir():
            return last
    return last


def named_arm(name, description: str | None = ''):
    """
    Return the arm a user names: a shipped arm or an arm YAML, in ``description`` where it has two.

    ``description`` chooses among an arm's ROBOTIS descriptions (the OM-X's humble and jazzy);
    an arm with one description has nothing to choose and ignores it ('' or None: the arm's
    default). The one rule the nodes' ``arm`` parameter, the launch file and the view follow.

    Raises
    ------
    ArmError
        An unknown name or description, or an arm file that is missing or malformed.

    """
    from ik_net_ros.arm import load_arm
    arm = load_arm(name)
    if arm.description and description and description != arm.description:
        arm = load_arm(name, description)
    return arm


def robot_description(arm=None, prefix: str = '', base_xyz_rpy=None) -> str:
    """
    Return the URDF of ``arm`` for robot_state_publisher (:func:`ik_net_ros.robot_urdf.arm_urdf`).

    ``arm``: an :class:`~ik_net_ros.arm.Arm` (a calibration's errors included), a shipped arm's
    name or an arm YAML, one of the default arm's descriptions (the OM-X's 'humble' / 'jazzy'),
    or None (the default arm). Every link and joint but ``world`` named with ``prefix`` in
    front (as ROBOTIS's xacro does); ``base_xyz_rpy`` (x, y, z m, roll, pitch, yaw deg; None
    or zeros: one frame) places the arm's base in ``world`` (TF's ``world -> <prefix>link1``
    on the OM-X).

    Raises
    ------
    ValueError
        Unknown arm or description, a prefix that is not letters, digits and _, a placement
        that is not 6 numbers within 100 m and 360 deg (ArmError, a ValueError: an arm file
        that does not load).

    """
    from ik_net_ros.arm import Arm, arm_descriptions, default_arm, load_arm
    from ik_net_ros.robot_urdf import arm_urdf
    if arm is None or isinstance(arm, str) and arm in arm_descriptions():
        arm = default_arm(arm)  # a description of the default arm named alone (launch files')
    elif not isinstance(arm, Arm):
        arm = load_arm(arm)
    return arm_urdf(arm, prefix, base_xyz_rpy)


def parse_xyz_rpy(text: str, name: str = 'base_xyz_rpy') -> list[float]:
    """
    Return six numbers of a launch argument: '[x, y, z, roll, pitch, yaw]' or 'x,y,z,r,p,y'.

    Metres and degrees, checked (within 100 m, angles in [-360, 360] deg).

    Raises
    ------
    ValueError
        Not six numbers, or beyond those bounds (the message names ``name``).

    """
    from ik_net_ros.kinematics.tracker_setup import check_xyz_rpy
    try:
        values = [float(p) for p in str(text).strip().strip('[]').replace(',', ' ').split()]
    except ValueError:
        raise ValueError(f'{name}:={text!r}: needs 6 numbers x, y, z (m), roll, pitch, yaw '
                         '(deg), e.g. [0.5, 0.0, 0.0, 0.0, 0.0, 90.0]') from None
    return [float(v) for v in check_xyz_rpy(values, name, 100.0)]
