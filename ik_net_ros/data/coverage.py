"""How much of the joint space a recording has visited: feedback for the person moving the arm."""

from __future__ import annotations

from ik_net_ros.kinematics import JOINT_LOWER, JOINT_NAMES, JOINT_UPPER
import numpy as np

__all__ = ['JointCoverage']


class JointCoverage:
    """Counts visits in a grid of ``bins`` per joint over the joint limits (bins^4 cells)."""

    def __init__(self, bins: int = 6):
        self.bins = bins
        self.counts = np.zeros((bins,) * 4, dtype=np.int64)

    def _index(self, joints: np.ndarray) -> tuple[int, ...]:
        frac = (np.asarray(joints) - JOINT_LOWER) / (JOINT_UPPER - JOINT_LOWER)
        return tuple(np.clip((frac * self.bins).astype(int), 0, self.bins - 1))

    def add(self, joints: np.ndarray) -> None:
        """Count one configuration (4,) in rad."""
        self.counts[self._index(joints)] += 1

    @property
    def share(self) -> float:
        """Share of grid cells visited at least once, 0..1."""
        return float(np.count_nonzero(self.counts)) / self.counts.size

    def emptiest(self, count: int = 2) -> list[str]:
        """Return the least visited ranges of single joints, e.g. 'joint2 in [0.50, 1.00] rad'."""
        edges = [np.linspace(lo, hi, self.bins + 1) for lo, hi in zip(JOINT_LOWER, JOINT_UPPER)]
        marginal = [(self.counts.sum(axis=tuple(a for a in range(4) if a != j))[b], j, b)
                    for j in range(4) for b in range(self.bins)]
        marginal.sort()
        return [f'{JOINT_NAMES[j]} in [{edges[j][b]:.2f}, {edges[j][b + 1]:.2f}] rad '
                f'({n} rows)' for n, j, b in marginal[:count]]
