"""
The rules a value meets, one copy for node parameters, command-line flags and the training config.

A rule is a callable ``value -> bool`` that can also say what it needs (``need``); the nodes
declare a :class:`Range` to ROS tools as the parameter's range, the command line parses text
with it (:func:`argparse_type`), and :class:`~ik_net_ros.training.config.TrainConfig` checks its
fields with it.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
import math

__all__ = ['Range', 'OneOf', 'number_in', 'int_in', 'one_of', 'non_empty', 'period', 'is_number',
           'argparse_type', 'whole_number', 'MIN_PERIOD', 'MAX_PERIOD']


def is_number(value) -> bool:
    """Return whether ``value`` is a finite int or float (not a bool)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) \
        and math.isfinite(value)


@dataclass(frozen=True)
class Range:
    """
    The rule 'a number in [lo, hi]'.

    (lo, hi] with ``low_open``; whole numbers with ``integer``.
    """

    lo: float
    hi: float
    low_open: bool = False
    integer: bool = False
    why: str = ''  # said after the range, e.g. why the bound is where it is

    def __call__(self, value) -> bool:
        if self.integer:
            return isinstance(value, int) and not isinstance(value, bool) \
                and self.lo <= value <= self.hi
        return is_number(value) and (self.lo < value if self.low_open else self.lo <= value) \
            and value <= self.hi

    @property
    def need(self) -> str:
        """Return what a valid value is, in words (for error messages and descriptions)."""
        if self.integer:
            text = f'a whole number in {int(self.lo)}..{int(self.hi)}'
        else:
            text = f'a finite number in {"(" if self.low_open else "["}{self.lo:g}, {self.hi:g}]'
        return f'{text} ({self.why})' if self.why else text


def number_in(lo: float, hi: float, low_open: bool = False) -> Range:
    """
    Return the rule 'a finite number in [lo, hi]' ((lo, hi] with ``low_open``).

    Every rule bounds what the code downstream can take (a timer of 1e300 s or a duration of
    1e10 s crash the ROS client library).
    """
    return Range(lo, hi, low_open)


def int_in(lo: int, hi: int) -> Range:
    """Return the rule 'a whole number in [lo, hi]'."""
    return Range(lo, hi, integer=True)


@dataclass(frozen=True)
class OneOf:
    """The rule 'one of these values'."""

    choices: tuple

    def __call__(self, value) -> bool:
        return value in self.choices

    @property
    def need(self) -> str:
        """Return what a valid value is, in words."""
        return ' | '.join(map(str, self.choices))


def one_of(*choices) -> OneOf:
    """Return the rule 'one of ``choices``'."""
    return OneOf(choices)


def non_empty(value) -> bool:
    """Return whether ``value`` is a string with more than blanks."""
    return isinstance(value, str) and value.strip() != ''


MAX_PERIOD = 3600.0  # s: the longest period or duration a parameter takes
MIN_PERIOD = 1e-3  # s: the shortest timer period
period = number_in(MIN_PERIOD, MAX_PERIOD)


def whole_number(text: str) -> int:
    """
    Parse '12', '1e6' or '1_000_000' as a whole number.

    Raises
    ------
    ValueError
        Not a whole number.

    """
    try:
        return int(text)
    except ValueError:
        value = float(text)
        if not value.is_integer():
            raise ValueError(text) from None
        return int(value)


def argparse_type(rule: Range):
    """Return an argparse type: text parsed as a number and checked against ``rule``."""
    def parse(text: str):
        try:
            value = whole_number(text) if rule.integer else float(text)
        except (ValueError, OverflowError):
            kind = 'a whole number' if rule.integer else 'a number'
            raise argparse.ArgumentTypeError(f'{text!r} is not {kind}') from None
        if not rule(value):
            raise argparse.ArgumentTypeError(f'{text} refused: needs {rule.need}')
        return value
    return parse
