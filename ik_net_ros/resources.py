"""Where the package's installed data lives (models/, config/, urdf/, launch/).

Looked up in order: the ``IK_NET_ROS_SHARE`` environment variable, the source checkout (a
development or editable install), the ament index (a colcon install on a ROS system), and
``<sys.prefix>/share/ik_net_ros`` (a pip install).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

__all__ = ['share_dir', 'model_path']

PACKAGE = 'ik_net_ros'


def _candidates():
    if os.environ.get('IK_NET_ROS_SHARE'):
        yield Path(os.environ['IK_NET_ROS_SHARE'])
    yield Path(__file__).resolve().parents[1]  # source checkout: <repo>/ik_net_ros/..
    try:
        from ament_index_python.packages import PackageNotFoundError, get_package_share_directory
        try:
            yield Path(get_package_share_directory(PACKAGE))
        except (PackageNotFoundError, LookupError, OSError):  # OSError: AMENT_PREFIX_PATH unset
            pass
    except ImportError:
        pass
    yield Path(sys.prefix) / 'share' / PACKAGE


def share_dir(sub: str) -> Path:
    """The first existing ``<share>/<sub>`` folder (e.g. 'models'); the last candidate if none."""
    last = None
    for base in _candidates():
        last = base / sub
        if last.is_dir():
            return last
    return last


def model_path(name: str) -> Path:
    """Path of a shipped model by name ('focused' -> .../models/focused.pt)."""
    for base in _candidates():
        path = base / 'models' / f'{name}.pt'
        if path.is_file():
            return path
    return share_dir('models') / f'{name}.pt'
