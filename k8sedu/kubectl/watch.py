"""``kubectl get -w``: the listing, then one line per change, as simulated time passes (get.go ``watch``).

kubectl prints the current objects (one aligned table), then opens a watch on
the API server and prints every ADDED, MODIFIED and DELETED event as one row,
aligned on its own: kubectl flushes its tabwriter after each event, so the
later rows do not line up with the header. A watch on one named object shows
only its later changes; ``--watch-only`` leaves the first listing out.

A real ``kubectl get -w`` runs until you press Ctrl-C, or until
``--request-timeout`` ends its request (then it exits quietly). The model
advances the simulated clock one second at a time while it watches, and
stops after ``--request-timeout`` or, without one, after ``WATCH_LIMIT_SECONDS``
of simulated time, saying so on stderr. Only one resource type can be watched,
as in kubectl; Events are not modelled as a watchable store, so ``get events
-w`` is refused honestly.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from k8sedu.errors import KubectlError
from k8sedu.kubectl import printers, resources
from k8sedu.kubectl.command import namespace_of
from k8sedu.kubectl.flags import Parsed
from k8sedu.kubectl.streams import IOStreams

if TYPE_CHECKING:  # pragma: no cover
    from k8sedu.protocols import Model

WATCH_LIMIT_SECONDS = 60
UNITS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}


def request_timeout(text: str) -> float:
    """``--request-timeout``: a bare number is seconds, otherwise a Go duration (``30s``, ``1m30s``); 0 is none.

    Examples
    --------
    >>> request_timeout("30"), request_timeout("1m30s"), request_timeout("0")
    (30.0, 90.0, 0.0)
    """
    if re.fullmatch(r"\d+", text):
        return float(text)
    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|h|m|s)", text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise KubectlError("error: Invalid timeout value. Timeout must be a single integer in seconds, or an "
                           "integer followed by a corresponding time unit (e.g. 1s | 2m | 3h)")
    return sum(float(n) * UNITS[u] for n, u in parts)


def _the_type(target: resources.Target) -> Any:
    kinds = list(dict.fromkeys(target.types if target.selector is not None else [r for r, _ in target.named]))
    if len(kinds) > 1:
        raise KubectlError("error: watch is only supported on individual resources and resource collections - "
                           "more than 1 resource was found")
    if kinds[0] is resources.EVENT:
        raise KubectlError('error: k8sedu does not model "kubectl get events --watch" yet; '
                           "use kubectl get events after cluster.advance(...)")
    return kinds[0]


def run_watch(cluster: "Model", p: Parsed, target: resources.Target, fmt: str, out: IOStreams) -> None:
    """Print the listing, then each change while the clock advances, until the timeout or the model's cap."""
    if fmt not in ("", "wide", "name"):
        raise KubectlError(f'error: k8sedu does not model "kubectl get --watch -o {fmt}" yet; '
                           "it watches with the default table, -o wide and -o name")
    res = _the_type(target)
    all_ns = p["all-namespaces"]
    scope = None if all_ns else (namespace_of(p) if res.namespaced else "")
    found, errors = resources.fetch(cluster.api, target, scope)
    if errors:
        raise KubectlError("\n".join(errors))
    names = {n for _, n in target.named}

    def lines(objs: list, headers: bool) -> list[str]:
        """The rows as kubectl prints them now (AGE counts from the moment of the event)."""
        if fmt == "name":
            return [f"{resources.kind_prefix(res)}/{o.metadata.name}" for o in objs]
        return printers.table(res.kind, objs, printers.Options(now=cluster.now, wide=fmt == "wide"),
                              namespace_column=all_ns and res.namespaced, show_labels=p["show-labels"],
                              headers=headers and not p["no-headers"])

    printed = [not p["watch-only"] and bool(found)]
    if printed[0]:
        out.print("\n".join(lines([o for _, o in found], headers=True)))

    def on_event(event: Any) -> None:
        obj = event.object
        if scope is not None and res.namespaced and obj.metadata.namespace != scope:
            return
        if names and obj.metadata.name not in names:
            return
        if target.selector is not None and not resources.selector_matches(target.selector, obj.metadata.labels):
            return
        out.print("\n".join(lines([obj], headers=not printed[0])))
        printed[0] = True

    _watch_for(cluster, res.kind, on_event, request_timeout(p["request-timeout"]), out)


def _watch_for(cluster: "Model", kind: str, handler: Any, timeout: float, out: IOStreams) -> None:
    """Advance the clock one second at a time, with ``handler`` watching ``kind``, for the timeout or the cap."""
    limit = timeout or WATCH_LIMIT_SECONDS
    cluster.api.store.watch(kind, handler)
    try:
        waited = 0.0
        while waited < limit:
            step = min(1.0, limit - waited)
            cluster.advance(step)
            waited += step
    finally:
        cluster.api.store.unwatch(kind, handler)
    if not timeout:
        out.warn(f"k8sedu: stopped watching after {WATCH_LIMIT_SECONDS}s of simulated time (a real kubectl get -w "
                 "runs until Ctrl-C); --request-timeout=<duration> chooses how long")
