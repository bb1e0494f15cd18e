"""
What became of each target: taken, then exactly one final fate: refused, reached or aborted.

The ik node commands a target with the target's stamp; the driver answers each command on
``joint_command_result`` with that stamp, accepted or refused. :class:`TargetFates` matches the
answers to the targets by stamp and gives every taken target one final fate:

- refused: the driver refused its command (the arm never went there, and it is no seed);
- reached: the arm's joints came within a tolerance of its command while it was the newest;
- aborted: a newer target superseded it before it was reached (code ``superseded``), once the
  driver accepted it (a refusal that comes later still says refused); or the driver never
  answered it while ``keep`` newer commands went out (code ``no_answer``).

The newest command stays open until it is reached or refused, or a newer one supersedes it.

The match by stamp must be unambiguous: a target stream may republish one fixed stamp, and two
open commands under one stamp would get each other's answers (a refusal of the first reported
for the second, the second never reached). :meth:`TargetFates.command_key` gives each command a
stamp no open command has: the target's own when free, else the node's clock, strictly
increasing (the target's fate keeps the target's own header). Matching answers in order per
stamp was the other way; it breaks as soon as one answer is lost or the driver restarts (every
later answer then goes to the wrong command), a unique stamp never does.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ik_net_ros.arm import Arm, arm_or_default
import numpy as np

__all__ = ['Fate', 'TargetFates', 'TAKEN', 'REFUSED', 'REACHED', 'ABORTED', 'KEEP']

TAKEN, REFUSED, REACHED, ABORTED = 'taken', 'refused', 'reached', 'aborted'
KEEP = 100  # commands remembered for the driver's answers (answers come within milliseconds)


@dataclass(frozen=True)
class Fate:
    """
    A target's fate: ``fate`` taken | refused | reached | aborted, ``code`` a short reason.

    ``code`` is '' for taken and reached; for refused unreachable, invalid, wrong_frame,
    transform, collision, limits or driver; for aborted superseded or no_answer. ``message``
    says why for people; ``target`` is the caller's handle of the target (the ik node: its
    header).
    """

    target: Any
    fate: str
    code: str = ''
    message: str = ''


@dataclass
class _Command:
    target: Any
    joints: Any  # (dof,) rad as given: converted only when compared (the live path pays less)
    accepted: bool = False
    superseded: bool = False  # a newer command went out: aborted once the driver accepts it


class TargetFates:
    """
    Open commands by stamp key; the driver's answers and the arm's joints give final fates.

    Every method returns the final fates it decided (a list, possibly empty), each target's
    once: the property tests check that every taken target gets exactly one. ``arm``: the
    :class:`~ik_net_ros.arm.Arm` commanded (None: the OM-X); a reading of another joint count
    never reaches a command.
    """

    def __init__(self, tolerance: float = 0.01, keep: int = KEEP, arm: Arm | None = None):
        self.tolerance = tolerance  # rad every joint must come within for 'reached'
        self.keep = keep
        self.dof = arm_or_default(arm).dof
        self._commands: OrderedDict[Any, _Command] = OrderedDict()  # open: no final fate yet
        self._newest: Any = None  # key of the newest command still eligible to be reached
        self.newest_refused = False  # the newest command was refused by the driver
        self._fresh = (0, 0)  # the last stamp key command_key made up, (sec, nanosec)

    def command_key(self, key: tuple[int, int], now_ns: Callable[[], int]) -> tuple[int, int]:
        """
        Return the stamp key (sec, nanosec) a new command for a target stamped ``key`` carries.

        ``key`` itself when it is set and no open command has it; else (no stamp (0, 0), or one
        an open command has) ``now_ns()`` (the node's clock, ns, only read then), made strictly
        later than every key made up before and than every open one it would equal.
        """
        if key != (0, 0) and key not in self._commands:
            return key
        fresh = max(int(now_ns()), self._fresh[0] * 1_000_000_000 + self._fresh[1] + 1)
        while True:
            made = divmod(fresh, 1_000_000_000)
            if made not in self._commands:
                self._fresh = made
                return made
            fresh += 1

    def taken(self, key, target, joints, answered: bool = False) -> tuple[Fate, list[Fate]]:
        """
        Record a command sent for ``target`` under ``key`` (its stamp).

        Return its 'taken' fate and the final fates of the commands it supersedes: the newest
        one still open is aborted now if the driver accepted it or no driver answers
        (``answered`` False), else when the driver's answer comes; a command of the same key
        is aborted at once (the driver's answer could not tell them apart: callers give each
        command a key of its own, :meth:`command_key`).
        """
        finals = []
        previous = self._commands.pop(key, None)
        if previous is not None:
            finals.append(Fate(previous.target, ABORTED, 'superseded',
                               'a newer target with the same stamp superseded it'))
        if self._newest is not None and self._newest in self._commands:
            newest = self._commands[self._newest]
            newest.superseded = True
            if newest.accepted or not answered:
                del self._commands[self._newest]
                finals.append(_superseded(newest.target))
        self._commands[key] = _Command(target, joints)
        while len(self._commands) > self.keep:  # a driver that never answered these
            _, old = self._commands.popitem(last=False)
            finals.append(Fate(old.target, ABORTED, 'no_answer',
                               'superseded, and the driver never answered its command'))
        self._newest = key
        self.newest_refused = False
        return Fate(target, TAKEN), finals

    def driver_answer(self, key, accepted: bool, reason: str = '') -> list[Fate]:
        """
        Take the driver's answer to the command of ``key``; return the final fates it decides.

        Refused: the command's 'refused'. Accepted: 'aborted' if it was superseded meanwhile.
        An answer to no open command (another node's, or already final) gives none.
        """
        command = self._commands.get(key)
        if command is None:
            return []
        if accepted:
            command.accepted = True
            if not command.superseded:
                return []
            del self._commands[key]
            return [_superseded(command.target)]
        del self._commands[key]
        if key == self._newest:
            self._newest = None
            self.newest_refused = True
        return [Fate(command.target, REFUSED, 'driver', reason or 'refused by the driver')]

    def arm_at(self, joints, need_acceptance: bool) -> list[Fate]:
        """
        Return 'reached' for the newest command when the arm's ``joints`` are within tolerance.

        ``need_acceptance``: a driver answers commands, so only one it accepted can be reached
        (an arm already standing at a refused command did not take it).
        """
        key = self._newest
        if key is None or key not in self._commands:
            return []
        command = self._commands[key]
        if need_acceptance and not command.accepted:
            return []
        now = np.asarray(joints, dtype=float)
        goal = np.asarray(command.joints, dtype=float)
        if now.shape != (self.dof,) or goal.shape != (self.dof,):
            return []  # not this arm's reading (or command): it says nothing of the arm
        if not np.all(np.abs(now - goal) <= self.tolerance):  # NaN: not reached
            return []
        self._newest = None
        del self._commands[key]
        return [Fate(command.target, REACHED)]

    @property
    def waiting(self) -> bool:
        """Whether the newest command may still be reached (joint states are needed)."""
        return self._newest is not None and self._newest in self._commands


def _superseded(target) -> Fate:
    return Fate(target, ABORTED, 'superseded', 'a newer target superseded it before it was '
                                               'reached')
