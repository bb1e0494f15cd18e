"""
A real arm's deviations from its description: one block of errors per joint of the one chain.

A calibration is "the arm plus its errors" (:meth:`~ik_net_ros.arm.Arm.with_errors`) for every
arm: joint offsets (servo horns' zero errors), origin deltas (link lengths a real bracket gets
wrong) and axis tilts (a bent bracket). :mod:`ik_net_ros.kinematics.chain` says how each acts.
"""

from __future__ import annotations

from dataclasses import dataclass
import math

import numpy as np

__all__ = ['ChainErrors', 'OFFSET_TOLERANCE', 'LENGTH_TOLERANCE', 'TILT_TOLERANCE']

# the one copy of what a real arm's errors may be (a calibration's, an old file's): within these
# it is a real arm of its description (a servo horn a few teeth off, a bracket a millimetre off),
# not another arm or a tracker frame or a marker taken for the arm
OFFSET_TOLERANCE = 0.5  # rad, each joint offset
LENGTH_TOLERANCE = 0.02  # m, each origin component (an old OM-X file: each link length)
TILT_TOLERANCE = math.radians(3.0)  # rad: a bracket a few tenths of a degree off, not more


@dataclass(frozen=True)
class ChainErrors:
    """
    A real arm's deviations from its description, one block per joint (hashable: tuples).

    Attributes
    ----------
    offsets
        (dof,) added to each commanded joint value to give the link's (rad; m if prismatic).
    origin_deltas
        (dof, 3) m added to each joint origin's xyz, in its parent's frame.
    tilts
        (dof, 2) rad: the joint axis's tilt (see the module's docstring).
    tool_delta
        (3,) m added to the tool origin's xyz, in the last joint's frame.

    """

    offsets: tuple[float, ...]
    origin_deltas: tuple[tuple[float, float, float], ...]
    tilts: tuple[tuple[float, float], ...]
    tool_delta: tuple[float, float, float] = (0.0, 0.0, 0.0)

    def __post_init__(self):
        dof = len(self.offsets)
        for name, shape in (('offsets', (dof,)), ('origin_deltas', (dof, 3)),
                            ('tilts', (dof, 2)), ('tool_delta', (3,))):
            arr = np.asarray(getattr(self, name), dtype=float)
            if arr.shape != shape or not np.all(np.isfinite(arr)):
                raise ValueError(f'ChainErrors.{name} must be finite numbers of shape {shape}, '
                                 f'got shape {arr.shape}')
            object.__setattr__(self, name, tuple(map(tuple, arr.tolist())) if arr.ndim == 2
                               else tuple(arr.tolist()))

    @classmethod
    def zeros(cls, dof: int) -> ChainErrors:
        """Return no errors for an arm of ``dof`` joints."""
        return cls((0.0,) * dof, ((0.0,) * 3,) * dof, ((0.0,) * 2,) * dof)

    def as_vector(self) -> np.ndarray:
        """Return the errors as one vector (6 dof + 3,): per joint offset, delta xyz, tilts."""
        per_joint = np.column_stack([self.offsets, self.origin_deltas, self.tilts])
        return np.concatenate([per_joint.ravel(), self.tool_delta])

    @classmethod
    def from_vector(cls, vector) -> ChainErrors:
        """Return the errors of :meth:`as_vector`'s layout."""
        vector = np.asarray(vector, dtype=float)
        dof, rest = divmod(len(vector) - 3, 6)
        if rest or dof < 1:
            raise ValueError(f'a ChainErrors vector has 6 dof + 3 values, got {len(vector)}')
        blocks = vector[:-3].reshape(dof, 6)
        return cls(blocks[:, 0], blocks[:, 1:4], blocks[:, 4:6], vector[-3:])

    @property
    def has_tilts(self) -> bool:
        """Return whether any joint axis leans (a planar arm is then no longer planar)."""
        return any(any(t) for t in self.tilts)

    @property
    def has_offsets(self) -> bool:
        """Return whether any joint has a non-zero offset."""
        return any(self.offsets)

    @property
    def is_zero(self) -> bool:
        """Return whether these are no errors at all (the arm as described)."""
        return not (self.has_offsets or self.has_tilts or any(self.tool_delta)
                    or any(any(d) for d in self.origin_deltas))

    def upright(self) -> ChainErrors:
        """Return these errors with every axis tilt zero (what a closed form solves)."""
        if not self.has_tilts:
            return self
        return ChainErrors(self.offsets, self.origin_deltas, ((0.0, 0.0),) * len(self.offsets),
                           self.tool_delta)
