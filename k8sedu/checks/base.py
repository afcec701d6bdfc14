"""What every check shares: its two failures, "not answered yet", the pass line, and how a verdict is shown.

A check function verifies a learner's answer against the live model. Inside,
it raises ``NotAnswered`` while the answer is still the placeholder ``...``
and ``CheckFailed`` (the mistake, then ``Hint: ...``) when it is wrong, and
calls ``ok(...)`` with what it verified. ``@check`` turns that into what
each audience needs:

- **A learner's kernel** (the default): the check never raises. It shows a
  styled verdict: a green pass with what was verified, an orange failure
  with the mistake and the hint for it, or a grey "not answered yet"; no
  traceback, no library source. So "Run All" reaches every task.
- **Grading** (``K8SEDU_GRADING=1`` in the environment, set by the grader
  and by the project's own test runs before kernels start): a wrong answer
  raises ``CheckFailed`` and a blank raises ``NotAnswered``, both
  ``AssertionError`` subclasses, so pytest and nbval fail the cell.

Either way the verdict is shown once and the function returns None (so a
check on a cell's last line does not show it twice); ``last_verdict()``
returns it.
"""

from __future__ import annotations

import functools
import html
import os
from contextvars import ContextVar
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Callable, Optional, TypeVar

from k8sedu.errors import KubectlError

GRADING = "K8SEDU_GRADING"
_passed: ContextVar[Optional[list[str]]] = ContextVar("passed", default=None)
_last: list["Verdict"] = []
F = TypeVar("F", bound=Callable[..., Any])


class CheckFailed(AssertionError):
    """The answer is wrong: ``str(err)`` says what is wrong, then ``Hint: ...``."""

    def __init__(self, problem: str, hint: str):
        super().__init__(f"{problem}\nHint: {hint}")
        self.problem = problem
        self.hint = hint


class NotAnswered(AssertionError):
    """The answer is still the placeholder ``...``."""


CheckFailed.__module__ = NotAnswered.__module__ = "k8sedu.checks"  # where learners import them from


@dataclass(frozen=True)
class Verdict:
    """What a check concluded: ``status`` is ``passed``, ``failed`` or ``not answered``."""

    status: str
    message: str
    hint: str = ""

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        if self.passed:
            return "\n".join(f"✓ {line}" for line in self.message.split("\n"))
        mark = "✗" if self.status == "failed" else "…"
        return f"{mark} {self.message}" + (f"\nHint: {self.hint}" if self.hint else "")

    def _repr_pretty_(self, printer, cycle: bool) -> None:
        printer.text(str(self))

    def _repr_html_(self) -> str:
        colour, background = {"passed": ("#006B4F", "#E3F4EE"), "failed": ("#A63D00", "#FCEBDD"),
                              "not answered": ("#555555", "#EEEEEE")}[self.status]
        title = {"passed": "✓ Correct", "failed": "✗ Not yet", "not answered": "… Not answered yet"}[self.status]
        hint = f'<div style="margin-top:4px"><b>Hint:</b> {html.escape(self.hint)}</div>' if self.hint else ""
        body = html.escape(self.message).replace("\n", "<br>")
        return (f'<div style="border-left:4px solid {colour}; background:{background}; color:#111; '
                f'padding:6px 10px; margin:4px 0"><b style="color:{colour}">{title}</b>'
                f'<div style="margin-top:4px">{body}</div>{hint}</div>')


def grading() -> bool:
    """Whether checks raise (the grader, the test suite) instead of showing their verdict."""
    return os.environ.get(GRADING, "") not in ("", "0")


def check(function: F) -> F:
    """Make a raising check learner-friendly: show its verdict in a learner's kernel, raise under grading."""
    @functools.wraps(function)
    def run(*args: Any, **kwargs: Any) -> None:
        __tracebackhide__ = True
        passed: list[str] = []
        token = _passed.set(passed)
        try:
            function(*args, **kwargs)
            verdict = Verdict("passed", "\n".join(passed) or "correct")
        except NotAnswered as err:
            what = str(err).removeprefix("not answered yet: ")
            verdict = _unless_grading(err, Verdict("not answered", what[:1].upper() + what[1:]))
        except CheckFailed as err:
            verdict = _unless_grading(err, Verdict("failed", err.problem, err.hint))
        except KubectlError as err:  # the learner's cluster or command is not in a state the check can use
            failed = CheckFailed(f"The check could not run: {err}", "read the error above, fix what it names, "
                                 "and run the task's cells again from its setup cell")
            verdict = _unless_grading(failed, Verdict("failed", failed.problem, failed.hint))
        finally:
            _passed.reset(token)
        _last[:] = [verdict]
        show(verdict)
    return run  # type: ignore[return-value]


def last_verdict() -> Optional[Verdict]:
    """The verdict of the check that ran last (in this process), if any."""
    return _last[0] if _last else None


def _unless_grading(err: AssertionError, verdict: Verdict) -> Verdict:
    __tracebackhide__ = True
    if grading():
        raise err
    return verdict


def show(verdict: Verdict) -> None:
    """Display a verdict: styled in a notebook, one plain line (or three) elsewhere."""
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:  # pragma: no cover - IPython is always there with the course
        get_ipython = None
    if get_ipython is not None and getattr(get_ipython(), "kernel", None) is not None:
        display(verdict)  # a Jupyter kernel: the styled HTML, with str(verdict) as its plain text
    else:
        print(verdict)


def require(answer: Any, what: str) -> None:
    """Raise ``NotAnswered`` naming ``what`` is expected while ``answer`` is ``...``."""
    __tracebackhide__ = True  # IPython and pytest hide this frame: the learner sees their cell and the message
    if answer is Ellipsis:
        raise NotAnswered(f"not answered yet: replace ... with {what}")


def ok(message: str) -> None:
    """Say what was verified (collected by ``@check``; printed when a check runs undecorated)."""
    collected = _passed.get()
    if collected is None:
        print(f"✓ {message}")
    else:
        collected.append(message)


def command_line(command: Any, what: str, example: str = "") -> str:
    """The learner's kubectl command line (``require``d), as typed after "kubectl"; else ``CheckFailed``
    (shared by the checks that run a command the learner wrote)."""
    __tracebackhide__ = True
    require(command, what)
    if not isinstance(command, str) or not command.strip():
        raise CheckFailed(f"The command should be a kubectl command line in a string, not {command!r}.",
                          f'Write it in quotes, as you would type it after "kubectl"{example}.')
    return command


def run_command(cluster: Any, command: str, hint_for: Callable[[str], str]) -> str:
    """Run the learner's command on ``cluster`` and return what kubectl printed; if kubectl refuses it, fail
    with kubectl's own words and ``hint_for(them)``."""
    __tracebackhide__ = True
    try:
        return cluster.kubectl(command)
    except KubectlError as err:
        raise CheckFailed(f"kubectl refused the command:\n  {err}", hint_for(str(err))) from None


def dns_name(answer: Any) -> str:
    """The answer as a host name: a non-empty string with no scheme, path or port; else ``CheckFailed`` with a
    hint for that mistake (shared by the checks that ask for a DNS name)."""
    __tracebackhide__ = True
    if not isinstance(answer, str) or not answer.strip():
        raise CheckFailed(f"The answer should be a DNS name in a string, not {answer!r}.",
                          "Write it in quotes, like the names given to nslookup.")
    name = answer.strip()
    if "/" in name or ":" in name:
        raise CheckFailed(f"{name!r} is a URL or has a port; a DNS name has neither.",
                          "Give only the host name part, the one nslookup would resolve.")
    return name


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
