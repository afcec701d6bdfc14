"""What every check shares: its two failures, "not answered yet", and the pass line.

A check raises ``NotAnswered`` while the answer is still the placeholder
``...`` and ``CheckFailed`` (the mistake, then ``Hint: ...``) when it is
wrong; both are ``AssertionError`` subclasses so pytest and nbval count them
as failures. On success it prints one line starting with "✓".
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any, Optional


class CheckFailed(AssertionError):
    """The answer is wrong: ``str(err)`` says what is wrong, then ``Hint: ...``."""

    def __init__(self, problem: str, hint: str):
        super().__init__(f"{problem}\nHint: {hint}")
        self.problem = problem
        self.hint = hint


class NotAnswered(AssertionError):
    """The answer is still the placeholder ``...``."""


CheckFailed.__module__ = NotAnswered.__module__ = "k8sedu.checks"  # where learners import them from


def require(answer: Any, what: str) -> None:
    """Raise ``NotAnswered`` naming ``what`` is expected while ``answer`` is ``...``."""
    __tracebackhide__ = True  # IPython and pytest hide this frame: the learner sees their cell and the message
    if answer is Ellipsis:
        raise NotAnswered(f"not answered yet: replace ... with {what}")


def ok(message: str) -> None:
    """Say what was verified."""
    print(f"✓ {message}")


def number(answer: Any) -> Optional[float]:
    """``answer`` as a float if it is a number or a string such as ``"1/3"``, else None (booleans are not numbers).

    >>> number("1/3") == 1 / 3, number(True), number("three")
    (True, None, None)
    """
    if isinstance(answer, bool):
        return None
    if isinstance(answer, (int, float, Fraction)):
        return float(answer)
    if isinstance(answer, str):
        try:
            return float(Fraction(answer.strip()))
        except (ValueError, ZeroDivisionError):
            return None
    return None
