"""
What became of each target: taken, refused (by the solver's checks or by the driver), reached.

The ik node commands a target with the target's stamp; the driver answers each command on
``joint_command_result`` with that stamp, accepted or refused. :class:`TargetFates` matches the
answers to the targets by stamp, says which target the arm reached (its joints within a
tolerance of the newest command, once per target) and whether the newest command was refused
(then the arm never went there, and it is no seed).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ['Fate', 'TargetFates', 'TAKEN', 'REFUSED', 'REACHED', 'KEEP']

TAKEN, REFUSED, REACHED = 'taken', 'refused', 'reached'
KEEP = 100  # commands remembered for the driver's answers (answers come within milliseconds)


@dataclass(frozen=True)
class Fate:
    """
    A target's fate: ``fate`` taken | refused | reached, ``code`` a short reason.

    ``code`` is '' for taken and reached, else unreachable, invalid, wrong_frame, collision,
    limits or driver; ``message`` says why for people; ``target`` is the caller's handle of the
    target (the ik node: its header).
    """

    target: Any
    fate: str
    code: str = ''
    message: str = ''


@dataclass
class _Command:
    target: Any
    joints: Any  # (4,) rad as given: converted only when compared (the live path pays less)
    accepted: bool = False


class TargetFates:
    """Pending commands by stamp key; the driver's answers and the arm's joints give fates."""

    def __init__(self, tolerance: float = 0.01, keep: int = KEEP):
        self.tolerance = tolerance  # rad every joint must come within for 'reached'
        self.keep = keep
        self._commands: OrderedDict[Any, _Command] = OrderedDict()
        self._newest: Any = None  # key of the newest command still eligible to be reached
        self.newest_refused = False  # the newest command was refused by the driver

    def taken(self, key, target, joints) -> Fate:
        """Record a command sent for ``target`` under ``key`` (its stamp); return 'taken'."""
        self._commands.pop(key, None)
        self._commands[key] = _Command(target, joints)
        while len(self._commands) > self.keep:
            self._commands.popitem(last=False)
        self._newest = key
        self.newest_refused = False
        return Fate(target, TAKEN)

    def driver_answer(self, key, accepted: bool, reason: str = '') -> Fate | None:
        """
        Take the driver's answer to the command of ``key``; return the 'refused' fate, if so.

        An answer to no known command (another node's, or forgotten) gives None.
        """
        command = self._commands.get(key)
        if command is None:
            return None
        if accepted:
            command.accepted = True
            return None
        del self._commands[key]
        if key == self._newest:
            self._newest = None
            self.newest_refused = True
        return Fate(command.target, REFUSED, 'driver', reason or 'refused by the driver')

    def arm_at(self, joints, need_acceptance: bool) -> Fate | None:
        """
        Return 'reached' for the newest command when the arm's ``joints`` are within tolerance.

        Once per target. ``need_acceptance``: a driver answers commands, so only one it accepted
        can be reached (an arm already standing at a refused command did not take it).
        """
        key = self._newest
        if key is None:
            return None
        command = self._commands[key]
        if need_acceptance and not command.accepted:
            return None
        gap = np.abs(np.asarray(joints, dtype=float) - np.asarray(command.joints, dtype=float))
        if not np.all(gap <= self.tolerance):  # NaN: not reached
            return None
        self._newest = None
        return Fate(command.target, REACHED)

    @property
    def waiting(self) -> bool:
        """Whether the newest command may still be reached (joint states are needed)."""
        return self._newest is not None
