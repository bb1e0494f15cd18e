"""Exceptions of ik_net_ros: every error the package raises derives from :class:`IkNetError`."""

from __future__ import annotations

__all__ = [
    'IkNetError',
    'InvalidPoseError',
    'InvalidJointsError',
    'UnreachableError',
    'UnsafeGoalError',
    'CheckpointError',
    'DatasetError',
    'HardwareError',
    'ConfigError',
    'TrainingError',
]


class IkNetError(Exception):
    """Base class of all ik_net_ros errors."""


class InvalidPoseError(IkNetError, ValueError):
    """A pose array has the wrong shape, non-finite values or a non-normalisable quaternion."""


class InvalidJointsError(IkNetError, ValueError):
    """A joint array has the wrong shape or non-finite values."""


class UnreachableError(IkNetError):
    """
    Some targets cannot be reached by the arm (or have no safe solution).

    Attributes
    ----------
    mask
        Boolean array (N,), True where the target is refused.
    reasons
        Human-readable reasons for the refused targets, in index order.
    first_position
        The first refused target's position (x, y, z) in m.
    refused
        True when targets were refused as unsafe rather than out of reach.

    """

    def __init__(self, mask, reasons, first_position, refused: bool = False):
        self.mask = mask
        self.reasons = list(reasons)
        self.first_position = [round(float(v), 4) for v in first_position]
        self.refused = refused
        first = next(i for i, bad in enumerate(mask) if bad)
        super().__init__(
            f'{len(self.reasons)} of {len(mask)} target(s) '
            f'{"refused" if refused else "unreachable"}; first, index {first} at '
            f'{self.first_position} m: {self.reasons[0]}')


class UnsafeGoalError(IkNetError):
    """
    A joint goal, or the path to it, would put the arm into collision.

    Attributes
    ----------
    goal
        The refused goal (4,) rad.
    reason
        Where and what it hits.

    """

    def __init__(self, goal, reason: str):
        self.goal = [float(v) for v in goal]
        self.reason = reason
        super().__init__(f'goal {[round(v, 3) for v in self.goal]} rad refused: {reason}')


class CheckpointError(IkNetError):
    """A model checkpoint is missing, corrupt, foreign or does not match this arm."""


class DatasetError(IkNetError):
    """A dataset file is missing or malformed."""


class HardwareError(IkNetError):
    """The arm (servo bus or simulator) failed or reported a fault."""


class ConfigError(IkNetError, ValueError):
    """A configuration value (name, device, parameter) is invalid."""


class TrainingError(IkNetError):
    """Training cannot produce a usable model: the loss diverged (NaN or inf) or no step ran."""
