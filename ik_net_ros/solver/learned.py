"""
What every learned solver does around its network, whatever runs the network.

Torch or the torch-free numpy path, the same: targets for another base height are translated, a
correction model's output is added to its closed form, and for another arm than the training one (a
calibration) the answer is refined in that arm's geometry.
"""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import replace

from ik_net_ros.errors import CheckpointError
from ik_net_ros.kinematics import ArmGeometry, clamp_to_limits, IkSolutions
from ik_net_ros.kinematics.scalar import OneSolution
from ik_net_ros.solver.analytic import closed_form, closed_form_one
from ik_net_ros.solver.base import Solver
from ik_net_ros.solver.refine import refine_joints
import numpy as np

__all__ = ['LearnedSolver']


class LearnedSolver(Solver):
    """
    A network trained for geometry ``trained`` serving targets given in ``geometry``.

    Raises
    ------
    CheckpointError
        On construction: a correction model asked to serve another arm than its own.

    """

    def __init__(self, name: str, trained: ArmGeometry, geometry: ArmGeometry | None,
                 correction: str | None):
        geometry = geometry or trained
        super().__init__(geometry)
        self.name = name
        # another arm than the training one (a calibration): the network's answer is a first
        # guess that Gauss-Newton steps take to this arm's exact solution
        self.calibrated = replace(geometry, base_height=trained.base_height) != trained
        # a correction model: its output is added to the closed form of its own (calibrated)
        # arm, so it only carries what the parametric calibration leaves (sag...)
        self.correction = correction == 'analytic'
        self.uses_closed_form = self.correction  # a plain network makes its own joints
        if self.correction and self.calibrated:
            raise CheckpointError(
                f'{name}: a correction of the closed form for geometry {trained.as_dict()} '
                f'cannot serve geometry {geometry.as_dict()} (give it its own calibration)')
        # targets for another base height: the chain only moves along z, so the network
        # sees them translated into the frame it was trained in (one model serves both)
        self.z_shift = trained.base_height - geometry.base_height

    @abstractmethod
    def predict(self, targets: np.ndarray) -> np.ndarray:
        """Raw network output (N, 4) rad for poses (N, 7) in the training frame."""

    @abstractmethod
    def predict_one(self, target: list[float]) -> np.ndarray:
        """Raw network output (4,) for one pose given as 7 floats in the training frame."""

    def _solve(self, targets: np.ndarray, solutions: IkSolutions) -> np.ndarray:
        shifted = targets + np.array([0.0, 0.0, self.z_shift, 0.0, 0.0, 0.0, 0.0]) \
            if self.z_shift else targets
        joints = self.predict(shifted)
        if self.correction:
            joints = joints + closed_form(solutions)
        if self.calibrated:
            joints = refine_joints(targets, clamp_to_limits(joints), self.geometry)
        return joints

    def _solve_one(self, target: list[float], solution: OneSolution) -> np.ndarray:
        shifted = [target[0], target[1], target[2] + self.z_shift, *target[3:]] \
            if self.z_shift else target
        joints = self.predict_one(shifted)
        if self.correction:
            joints = joints + closed_form_one(solution)
        if self.calibrated:
            joints = refine_joints(np.array([target]), clamp_to_limits(
                np.asarray(joints, float))[None], self.geometry)[0]
        return joints
