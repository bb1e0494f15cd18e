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

__all__ = ['share_dir', 'robot_description']

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


def robot_description(description: str = 'humble', prefix: str = '',
                      base_xyz_rpy=None) -> str:
    """
    Return the arm's URDF for robot_state_publisher, as ROBOTIS's ``description`` has it.

    The shipped (humble) file, or for 'jazzy' joint1 at z = 0 and the gripper's jazzy range; every
    link and joint but ``world`` named with ``prefix`` in front (as ROBOTIS's xacro does);
    ``base_xyz_rpy`` (x, y, z m, roll, pitch, yaw deg; None or zeros: one frame) places link1 in
    ``world`` (the ``world_fixed`` joint: TF's ``world -> <prefix>link1``).

    Raises
    ------
    ValueError
        Unknown description, a prefix that is not letters, digits and _, a placement that is
        not 6 numbers within 100 m and 360 deg, or the shipped URDF is not where it belongs.

    """
    import re
    if not re.fullmatch(r'[A-Za-z0-9_]*', str(prefix)):
        raise ValueError(f'prefix {prefix!r}: only letters, digits and _')
    from ik_net_ros.hardware.gripper import GRIPPER_RANGES
    from ik_net_ros.kinematics.geometry import geometry_for

    geometry = geometry_for(description)
    text = (share_dir('urdf') / 'open_manipulator_x.urdf').read_text()
    if base_xyz_rpy is not None:
        text = _place_base(text, base_xyz_rpy)
    joint1 = '<origin xyz="0.012 0 0.017" rpy="0 0 0"/>'
    gripper = '<limit lower="-0.010" upper="0.019"'
    if text.count(joint1) != 1 or text.count(gripper) != 2:
        raise ValueError('the shipped URDF does not have the expected joint1 and gripper lines')
    low, high = GRIPPER_RANGES[description]
    text = (text.replace(joint1, f'<origin xyz="{geometry.joint1_x:g} 0 '
                                 f'{geometry.base_height:g}" rpy="0 0 0"/>')
            .replace(gripper, f'<limit lower="{low:.3f}" upper="{high:.3f}"'))
    # names of links and joints, and the references to them (parent, child, mimic); the robot,
    # materials and the world frame keep theirs
    return re.sub(r'(<(?:link|joint) name="|<(?:parent|child) link="|<mimic joint=")'
                  r'(?!world")', lambda m: m.group(1) + prefix, text)


def _place_base(text: str, base_xyz_rpy) -> str:
    """Return the URDF ``text`` with the world_fixed joint at ``base_xyz_rpy`` (m, deg)."""
    import math

    from ik_net_ros.kinematics.tracker_setup import check_xyz_rpy
    x, y, z, *rpy = check_xyz_rpy(list(base_xyz_rpy), 'base_xyz_rpy', 100.0)
    joint = '<child link="link1"/>\n    <origin xyz="0 0 0" rpy="0 0 0"/>'
    if text.count(joint) != 1:
        raise ValueError('the shipped URDF does not have the expected world_fixed joint')
    if not any([x, y, z, *rpy]):
        return text
    # URDF's rpy is fixed-axis roll, pitch, yaw as the package's (Rz Ry Rx), in radians
    roll, pitch, yaw = (math.radians(a) for a in rpy)
    return text.replace(joint, f'<child link="link1"/>\n    <origin xyz="{x!r} {y!r} {z!r}" '
                               f'rpy="{roll!r} {pitch!r} {yaw!r}"/>')


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
