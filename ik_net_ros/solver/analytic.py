"""The closed form as a solver: exact, about a microsecond per pose batched."""

from __future__ import annotations

import numpy as np

from ik_net_ros.kinematics import IkSolutions, pick_branch
from ik_net_ros.kinematics.scalar import OneSolution
from ik_net_ros.solver.base import Solver

__all__ = ['AnalyticSolver', 'closed_form', 'closed_form_one']


def closed_form(solutions: IkSolutions) -> np.ndarray:
    """Joints (N, 4) by the branch rule; for unreachable targets (only with
    on_unreachable='nearest') no exact answer exists: the clamped-but-invalid elbow-up solution,
    or the zero pose if none exists."""
    joints = pick_branch(solutions).joints
    missing = np.isnan(joints).any(axis=1)
    if missing.any():
        fallback = solutions.joints[missing, 0]
        joints[missing] = np.where(np.isnan(fallback), 0.0, fallback)
    return joints


def closed_form_one(solution: OneSolution) -> np.ndarray:
    """:func:`closed_form` for one pose's solutions: (4,)."""
    joints = solution.pick()
    if joints is None:  # unreachable, on_unreachable='nearest': as closed_form does
        joints = solution.joints[0] if solution.joints[0] is not None else (0.0,) * 4
    return np.array(joints, dtype=float)


class AnalyticSolver(Solver):
    """Closed-form IK with the package's branch rule (elbow up when inside the limits)."""

    name = 'analytic'

    def _solve_one(self, target: list[float], solution: OneSolution) -> np.ndarray:
        return closed_form_one(solution)

    def _solve(self, targets: np.ndarray, solutions: IkSolutions) -> np.ndarray:
        return closed_form(solutions)
