"""Run a hostile test case in a child process, under a memory limit and an alarm.

A case that would hang or eat the machine's memory must fail the test, not
hang CI or take down a shared Binder machine: ``run_limited`` forks (the
``fork`` start method, so the child inherits already-imported modules and
the function need not be picklable), caps the child's address space with
``RLIMIT_AS`` and arms ``signal.alarm``. The child's return value (or its
exception, re-raised here) comes back through a pipe. No timing assertions:
the alarm is only a safety net against a hang.
"""

from __future__ import annotations

import multiprocessing
import pickle
import resource
import signal
import traceback
from typing import Any, Callable


class HostileCaseFailed(AssertionError):
    """The child hung, ran out of memory, died, or raised."""


def _child(conn, fn: Callable, args: tuple, kwargs: dict, seconds: int, memory_mb: int) -> None:
    limit = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    signal.alarm(seconds)
    try:
        result = fn(*args, **kwargs)
        try:
            conn.send(("ok", result))
        except (pickle.PicklingError, TypeError, AttributeError):
            conn.send(("ok", repr(result)))
    except MemoryError:
        conn.send(("memory", f"exceeded {memory_mb} MB"))
    except BaseException as err:  # noqa: BLE001 - everything goes back to the parent
        text = f"{type(err).__name__}: {err}\n{traceback.format_exc()}"
        try:
            conn.send(("raised", text, err))
        except Exception:  # noqa: BLE001 - an exception that cannot be pickled still comes back, as text
            conn.send(("raised", text))
    finally:
        conn.close()


def run_limited(fn: Callable, *args: Any, seconds: int = 20, memory_mb: int = 1500, **kwargs: Any) -> Any:
    """Return ``fn(*args, **kwargs)`` run in a forked child with at most ``memory_mb`` and ``seconds``.

    An exception in the child is re-raised here as itself when it can be
    pickled (so ``pytest.raises(KubectlError)`` works around a call), as
    ``HostileCaseFailed`` otherwise; a hang (alarm) or memory exhaustion is
    ``HostileCaseFailed`` naming the limit.

    >>> run_limited(sum, [1, 2, 3])
    6
    """
    ctx = multiprocessing.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(child, fn, args, kwargs, seconds, memory_mb))
    proc.start()
    child.close()
    try:
        message = parent.recv() if parent.poll(seconds + 10) else None
    except EOFError:
        message = None
    proc.join(5)
    if proc.is_alive():
        proc.kill()
        proc.join()
    if message is None:
        if proc.exitcode == -signal.SIGALRM:
            raise HostileCaseFailed(f"{getattr(fn, '__name__', fn)} did not finish within {seconds} s")
        raise HostileCaseFailed(f"{getattr(fn, '__name__', fn)} died (exit code {proc.exitcode}; "
                                f"memory limit {memory_mb} MB, time limit {seconds} s)")
    status, payload, *rest = message
    if status == "ok":
        return payload
    if status == "memory":
        raise HostileCaseFailed(f"{getattr(fn, '__name__', fn)} {payload}")
    if rest and isinstance(rest[0], Exception):
        raise rest[0]
    raise HostileCaseFailed(payload)
