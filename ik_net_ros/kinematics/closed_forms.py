"""
Which closed form solves an arm: the one place that decides it by the arm's shape.

Three shapes have one (each read off the :class:`~ik_net_ros.arm.Arm` with its axes upright; a
calibration's tilts are the solver's tilt stage's business):

- ``PLANAR``: a planar pitch chain under a base yaw (the OM-X):
  :mod:`~ik_net_ros.kinematics.inverse`, projection by :mod:`~ik_net_ros.kinematics.projection`;
- ``ROLL_PLANAR``: the same with a roll about the tool axis (the OMX-F):
  :mod:`~ik_net_ros.kinematics.roll_wrist`, projection by
  :mod:`~ik_net_ros.kinematics.roll_projection`;
- ``UR``: the Universal-Robots layout (the OMY): :mod:`~ik_net_ros.kinematics.ur_closed_form`,
  every orientation is the arm's own (no projection), branches by
  :mod:`~ik_net_ros.kinematics.ur_branches`.

Callers ask :func:`closed_form_kind` and never test an arm's name or joint count.
"""

from __future__ import annotations

import functools

from ik_net_ros.arm import Arm
from ik_net_ros.kinematics.planar import is_planar, planar_chain
from ik_net_ros.kinematics.planar_ik import REACHABLE
from ik_net_ros.kinematics.projection import project_and_solve
from ik_net_ros.kinematics.ur_branches import representatives
from ik_net_ros.kinematics.ur_closed_form import ur_inverse
from ik_net_ros.kinematics.ur_layout import is_ur_layout
import numpy as np

__all__ = ['PLANAR', 'ROLL_PLANAR', 'UR', 'KINDS', 'NoClosedFormError', 'closed_form_kind',
           'is_planar_kind', 'reaches']

PLANAR, ROLL_PLANAR, UR = 'planar', 'roll planar', 'ur'
KINDS = (PLANAR, ROLL_PLANAR, UR)


class NoClosedFormError(ValueError):
    """An arm of none of the shapes with a closed form (see :mod:`closed_forms`)."""

    def __init__(self, arm: Arm):
        super().__init__(f'{arm.name} has no closed form: it is neither a planar pitch chain '
                         f'under a base yaw (with or without a wrist roll) nor of the '
                         f'Universal-Robots layout (base yaw, three parallel pitch axes, wrist '
                         f'yaw, wrist pitch)')


@functools.lru_cache(maxsize=64)
def closed_form_kind(arm: Arm) -> str:
    """
    Return which closed form solves ``arm`` (its axes upright): one of :data:`KINDS`.

    Raises
    ------
    NoClosedFormError
        ``arm`` has none of the three shapes.
    TypeError
        ``arm`` is not an Arm.

    """
    if not isinstance(arm, Arm):
        raise TypeError(f'expected an Arm, got {type(arm).__name__}')
    upright = arm.upright()
    if is_planar(upright):
        return ROLL_PLANAR if planar_chain(upright).roll else PLANAR
    if is_ur_layout(upright):
        return UR
    raise NoClosedFormError(arm)


def is_planar_kind(arm: Arm) -> bool:
    """Return whether ``arm``'s closed form is one of the planar ones (projection applies)."""
    return closed_form_kind(arm) in (PLANAR, ROLL_PLANAR)


def reaches(p: np.ndarray, arm: Arm) -> np.ndarray:
    """
    Return (N,) True where ``arm`` (its axes upright) reaches validated poses ``p`` (N, 7).

    Inside the joint limits, by some branch; a planar arm reaches the pose's projection. Safety
    (collision) is not judged here.

    Raises
    ------
    NoClosedFormError
        ``arm`` has none of the shapes.

    """
    upright = arm.upright()
    if closed_form_kind(arm) != UR:
        return project_and_solve(p, upright)[1].reason == REACHABLE
    sol = ur_inverse(upright, p)
    found = representatives(upright, sol.joints, np.asarray(upright.home, dtype=float))[1]
    return (sol.reachable & found).any(axis=1)
