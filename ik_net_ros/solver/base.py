"""The one way to turn poses into joints: :class:`Solver` validates, projects, checks
reachability, runs a subclass's ``_solve``, clamps, and optionally refines."""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod

import numpy as np

from ik_net_ros.errors import ConfigError, UnreachableError
from ik_net_ros.kinematics import (DEFAULT_GEOMETRY, REASONS, ArmGeometry, IkSolutions,
                                   as_pose_array, clamp_to_limits, project_and_solve)
from ik_net_ros.solver.refine import refine_joints

__all__ = ['Solver', 'ON_UNREACHABLE']

log = logging.getLogger(__name__)
ON_UNREACHABLE = ('raise', 'nearest')


class Solver(ABC):
    """Inverse kinematics for the OpenMANIPULATOR-X.

    Attributes:
        name: what :func:`ik_net_ros.load_solver` was given ('analytic', 'focused', a path...).
        device: 'cpu' or 'cuda' (the analytic solver is always 'cpu').
        geometry: the arm geometry the solver is for (base height recorded in models).
    """

    name: str = 'solver'
    device: str = 'cpu'

    def __init__(self, geometry: ArmGeometry = DEFAULT_GEOMETRY):
        self.geometry = geometry

    def solve(self, poses, refine: bool = False, on_unreachable: str = 'raise') -> np.ndarray:
        """Joints for target poses.

        Args:
            poses: (7,) or (N, 7) [x, y, z, qx, qy, qz, qw]; metres, base frame. Quaternions are
                normalised; orientations the arm cannot take are projected (see
                :mod:`ik_net_ros.kinematics.reach`).
            refine: add damped Gauss-Newton steps with the analytic Jacobian.
            on_unreachable: 'raise' (default) or 'nearest': return the solver's best effort,
                clamped to the limits, for unreachable targets.

        Returns:
            (4,) or (N, 4) joint1..joint4 in rad, always inside the joint limits.

        Raises:
            InvalidPoseError: wrong shape, NaN/inf, zero quaternion.
            UnreachableError: some target is out of reach (``.mask`` tells which), unless
                on_unreachable='nearest'.
            ConfigError: bad ``on_unreachable``.
        """
        if on_unreachable not in ON_UNREACHABLE:
            raise ConfigError(f'on_unreachable must be one of {ON_UNREACHABLE}, '
                              f'got {on_unreachable!r}')
        p, single = as_pose_array(poses)
        targets, solutions = project_and_solve(p, self.geometry)
        reachable = solutions.valid.any(axis=1)
        if on_unreachable == 'raise' and not reachable.all():
            bad = np.flatnonzero(~reachable)
            reasons = [REASONS[int(solutions.reason[i])] for i in bad]
            raise UnreachableError(
                f'{bad.size} of {len(p)} target(s) unreachable; first, index {bad[0]} at '
                f'{np.round(p[bad[0], :3], 4).tolist()} m: {reasons[0]}',
                mask=~reachable, reasons=reasons)
        joints = clamp_to_limits(self._solve(targets, solutions))
        if refine:
            joints = refine_joints(targets, joints, self.geometry)
        return joints[0] if single else joints

    @abstractmethod
    def _solve(self, targets: np.ndarray, solutions: IkSolutions) -> np.ndarray:
        """Joints (N, 4) for projected targets (N, 7); ``solutions`` are their closed forms."""

    def __repr__(self) -> str:
        return f'{type(self).__name__}(name={self.name!r}, device={self.device!r})'
