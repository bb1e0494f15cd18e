"""How much of the joint space a recording has visited: feedback for the person moving the arm."""

from __future__ import annotations

from ik_net_ros.arm import Arm, arm_or_default
import numpy as np

__all__ = ['JointCoverage']


class JointCoverage:
    """
    Counts visits in a grid of ``bins`` per joint over an arm's limits (bins^dof cells).

    ``arm``: the arm recorded (None: the OM-X).
    """

    def __init__(self, bins: int = 6, arm: Arm | None = None):
        self.bins = bins
        self.arm = arm_or_default(arm)
        self.counts = np.zeros((bins,) * self.arm.dof, dtype=np.int64)

    def _index(self, joints: np.ndarray) -> tuple[int, ...]:
        lower, upper = self.arm.lower, self.arm.upper
        frac = (np.asarray(joints) - lower) / (upper - lower)
        return tuple(np.clip((frac * self.bins).astype(int), 0, self.bins - 1))

    def add(self, joints: np.ndarray) -> None:
        """Count one configuration (dof,) in rad."""
        self.counts[self._index(joints)] += 1

    @property
    def share(self) -> float:
        """Share of grid cells visited at least once, 0..1."""
        return float(np.count_nonzero(self.counts)) / self.counts.size

    def emptiest(self, count: int = 2) -> list[str]:
        """Return the least visited ranges of single joints, e.g. 'joint2 in [0.50, 1.00] rad'."""
        edges = [np.linspace(lo, hi, self.bins + 1) for lo, hi in self.arm.limits]
        dof = self.arm.dof
        marginal = [(self.counts.sum(axis=tuple(a for a in range(dof) if a != j))[b], j, b)
                    for j in range(dof) for b in range(self.bins)]
        marginal.sort()
        return [f'{self.arm.joint_names[j]} in [{edges[j][b]:.2f}, {edges[j][b + 1]:.2f}] rad '
                f'({n} rows)' for n, j, b in marginal[:count]]
