"""
A target's fate (taken, refused and why, reached) and what the page shows of the arm.

One vocabulary for both modes: the in-process session fills it from the solver's and the
simulated arm's refusals; the ROS mode from the ik node's ``target_status`` (``''`` taken,
``'refused (kind): why'``) and ``target_fate`` (a DiagnosticArray whose status carries
``fate`` and ``reason`` values) topics.
"""

from __future__ import annotations

from dataclasses import dataclass, field
import re

import numpy as np

__all__ = ['Fate', 'ViewState', 'FATES', 'from_status', 'from_diagnostic', 'NO_TARGET']

FATES = ('taken', 'refused', 'reached')
_REFUSED = re.compile(r'refused \((?P<code>[^)]*)\):\s*(?P<why>.*)', re.S)


@dataclass(frozen=True)
class Fate:
    """
    What happened to a target.

    ``fate``: '' (no target yet), 'taken', 'refused' or 'reached'; ``code``: the refusal's
    kind (e.g. 'unreachable', 'collision', 'driver'); ``reason``: why, in words.
    """

    fate: str = ''
    reason: str = ''
    code: str = ''

    def words(self) -> str:
        """Return the fate as the page says it."""
        if not self.fate:
            return 'no target yet: drag the gizmo'
        if self.fate == 'refused':
            code = f' ({self.code})' if self.code else ''
            return f'refused{code}: {self.reason}' if self.reason else f'refused{code}'
        return f'{self.fate}: {self.reason}' if self.reason else self.fate


NO_TARGET = Fate()


def from_status(text: str) -> Fate:
    """
    Return the fate a ``target_status`` message says.

    '' is taken; 'refused (kind): why' is refused; anything else is shown as it came.
    """
    text = str(text).strip()
    if not text:
        return Fate('taken')
    match = _REFUSED.fullmatch(text)
    if match:
        return Fate('refused', match['why'].strip(), match['code'].strip())
    return Fate('refused' if text.startswith('refused') else 'taken', text)


def from_diagnostic(message: str, values: dict[str, str]) -> Fate:
    """
    Return the fate of a ``target_fate`` status: its ``fate`` and ``reason`` values.

    ``message`` (the status's message) is the reason in words. A fate the view does not know is
    shown as it came, never dropped.
    """
    fate = str(values.get('fate', '')).strip()
    code = str(values.get('reason', '')).strip()
    if fate not in FATES:
        return Fate('refused' if fate.startswith('refus') else 'taken',
                    f'{fate}: {message}'.strip(': '), code)
    return Fate(fate, str(message).strip(), code)


@dataclass
class ViewState:
    """
    What the page draws and says, at one moment.

    present, commanded: (4,) rad (None until known); fate of the newest target; target: its
    pose (7,) [x y z qx qy qz qw]; solve_ms: the solver's time for it; error_mm: the commanded
    tool's distance from the target; model: the solver's name; version counts updates.
    """

    present: np.ndarray | None = None
    commanded: np.ndarray | None = None
    fate: Fate = field(default_factory=Fate)
    target: np.ndarray | None = None
    solve_ms: float | None = None
    error_mm: float | None = None
    model: str = ''
    version: int = 0
