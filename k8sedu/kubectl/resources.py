"""Naming what to act on: resource types, ``type/name`` arguments and label selectors.

Mirrors two pieces of kubectl's machinery:

- the **REST mapper**, which turns what a learner types (``po``, ``pods``,
  ``Pod``, ``deploy``, ``deployments.apps``) into one API resource, and
  answers ``the server doesn't have a resource type "foo"`` otherwise;
- cli-runtime's **resource builder** (``pkg/resource/builder.go``), which
  reads the arguments of ``get``, ``delete``, ``scale`` and ``expose``:
  ``TYPE``, ``TYPE NAME...``, ``TYPE/NAME...`` or ``TYPE1,TYPE2``, with
  ``-l`` selectors and ``--all``, and rejects the mixtures it rejects, in its
  words.

It also parses label selectors (``app=web``, ``tier!=db``, ``env in (a,b)``,
``app``, ``!app``), the subset of apimachinery's ``labels.Parse`` the course
uses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Optional, Sequence

from k8sedu.errors import KubectlError
from k8sedu.objects import RESOURCE_BY_KIND, RESOURCES, Resource

# `kubectl get all`: the "all" category, in discovery order, cut to the kinds the model has.
# Ingresses are not in it (nor are EndpointSlices, IngressClasses, Nodes): `get all` never lists them.
ALL_CATEGORY = ("Pod", "Service", "DaemonSet", "Deployment", "ReplicaSet")

# Real resource types the model does not have yet: saying "unknown" would be a lie.
NOT_MODELLED = {
    "secrets": "secrets", "secret": "secrets",
    "statefulsets": "statefulsets", "statefulset": "statefulsets", "sts": "statefulsets",
    "daemonsets": "daemonsets", "daemonset": "daemonsets", "ds": "daemonsets",
    "jobs": "jobs", "job": "jobs", "cronjobs": "cronjobs", "cronjob": "cronjobs", "cj": "cronjobs",
    "networkpolicies": "networkpolicies", "networkpolicy": "networkpolicies", "netpol": "networkpolicies",
    "serviceaccounts": "serviceaccounts", "serviceaccount": "serviceaccounts", "sa": "serviceaccounts",
    "persistentvolumeclaims": "persistentvolumeclaims", "pvc": "persistentvolumeclaims",
    "persistentvolumes": "persistentvolumes", "pv": "persistentvolumes",
    "replicationcontrollers": "replicationcontrollers", "rc": "replicationcontrollers",
    "horizontalpodautoscalers": "horizontalpodautoscalers", "hpa": "horizontalpodautoscalers",
    "gateways": "gateways", "httproutes": "httproutes",
}


# Events are served by the API like any kind; the model keeps them in ``cluster.events`` (see ``events``).
EVENT = Resource("Event", "events", short_names=("ev",))
KUBECTL_RESOURCES = RESOURCES + (EVENT,)


def singular(res: Resource) -> str:
    return res.kind.lower()


def kind_prefix(res: Resource) -> str:
    """How kubectl names the type in messages and ``-o name``: ``pod``, ``deployment.apps``."""
    return f"{singular(res)}.{res.group}" if res.group else singular(res)


def lookup(word: str) -> Resource:
    """Return the resource a learner means by ``word``, as kubectl's REST mapper does.

    Plural, singular, short name or Kind, in any case, optionally followed by
    ``.group`` or ``.version.group``.

    Examples
    --------
    >>> [lookup(w).kind for w in ("po", "pods", "Pod", "svc", "deploy", "deployments.apps", "ep", "no")]
    ['Pod', 'Pod', 'Pod', 'Service', 'Deployment', 'Deployment', 'Endpoints', 'Node']
    >>> [lookup(w).kind for w in ("ing", "ingress", "ingresses.networking.k8s.io", "ingressclass")]
    ['Ingress', 'Ingress', 'Ingress', 'IngressClass']
    >>> lookup("foo")
    Traceback (most recent call last):
    ...
    k8sedu.errors.KubectlError: error: the server doesn't have a resource type "foo"
    """
    typed = word.partition(".")[0]
    name, _, group = word.lower().partition(".")
    for res in KUBECTL_RESOURCES:
        names = (res.plural, singular(res), *res.short_names)
        if name in names and (not group or group in (res.group, f"v1.{res.group}".rstrip("."))):
            return res
    if name in NOT_MODELLED and not group:
        raise KubectlError(f'error: k8sedu does not model {NOT_MODELLED[name]} yet '
                           f'(a real cluster has them; this course does not need them so far)')
    raise KubectlError(f'error: the server doesn\'t have a resource type "{typed}"')


def split_types(word: str) -> list[Resource]:
    """``po,svc`` -> [Pod, Service]; ``all`` expands to its category; duplicates drop out."""
    found: list[Resource] = []
    for part in word.split(","):
        if not part:
            continue
        group = [RESOURCE_BY_KIND[k] for k in ALL_CATEGORY] if part.lower() == "all" else [lookup(part)]
        found += [r for r in group if r not in found]
    return found


# ---------------------------------------------------------------- label selectors

@dataclass(frozen=True)
class Requirement:
    """One term of a label selector: ``key op values``."""

    key: str
    op: str  # "=", "!=", "in", "notin", "exists", "!"
    values: tuple[str, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        value = labels.get(self.key)
        if self.op in ("=", "in"):
            return value in self.values
        if self.op in ("!=", "notin"):
            return value not in self.values
        if self.op == "exists":
            return value is not None
        return value is None


_SET_TERM = re.compile(r"^\s*(\S+?)\s+(in|notin)\s+\(([^()]*)\)\s*$")
_KEY = re.compile(r"^[A-Za-z0-9]([-A-Za-z0-9_./]*[A-Za-z0-9])?$")
_VALUE = re.compile(r"^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$")


def parse_selector(text: str) -> tuple[Requirement, ...]:
    """Parse a ``-l`` selector into requirements (all must hold).

    Examples
    --------
    >>> for r in parse_selector("app=web,tier!=db,env in (dev, qa),track,!canary"):
    ...     print(r.key, r.op, r.values)
    app = ('web',)
    tier != ('db',)
    env in ('dev', 'qa')
    track exists ()
    canary ! ()
    """
    terms, depth, start = [], 0, 0
    for i, c in enumerate(text):  # split on commas outside parentheses
        depth += {"(": 1, ")": -1}.get(c, 0)
        if c == "," and depth == 0:
            terms.append(text[start:i])
            start = i + 1
    terms.append(text[start:])
    return tuple(_requirement(term.strip(), text) for term in terms if term.strip())


def _requirement(term: str, whole: str) -> Requirement:
    found = _SET_TERM.match(term)
    if found:
        key, op, values = found.group(1), found.group(2), tuple(v.strip() for v in found.group(3).split(","))
    elif "!=" in term:
        key, value = term.split("!=", 1)
        op, values = "!=", (value.strip(),)
    elif "=" in term:
        key, value = term.replace("==", "=", 1).split("=", 1)
        op, values = "=", (value.strip(),)
    elif term.startswith("!"):
        key, op, values = term[1:], "!", ()
    else:
        key, op, values = term, "exists", ()
    key = key.strip()
    if not _KEY.match(key) or not all(_VALUE.match(v) for v in values):
        raise KubectlError(f'error: unable to parse requirement: the selector "{whole}" is not valid '
                           f'(k8sedu accepts key=value, key!=value, key in (a,b), key notin (a,b), key and !key)')
    return Requirement(key, op, values)


def selector_matches(requirements: Sequence[Requirement], labels: Mapping[str, str]) -> bool:
    return all(r.matches(labels) for r in requirements)


# ---------------------------------------------------------------- the resource builder

@dataclass(frozen=True)
class Target:
    """What a command acts on: whole types (filtered by a selector) or named objects."""

    types: tuple[Resource, ...] = ()
    selector: Optional[tuple[Requirement, ...]] = None  # set: list the types, filtered
    named: tuple[tuple[Resource, str], ...] = ()


MISSING_RESOURCE = ("error: You must provide one or more resources by argument or filename.\n"
                    "Example resource specifications include:\n"
                    "   '-f rsrc.yaml'\n"
                    "   '--filename=rsrc.json'\n"
                    "   '<resource> <name>'\n"
                    "   '<resource>'")


def build(args: Sequence[str], selector: str = "", select_all: bool = False,
          allow_empty_selector: bool = False, all_namespaces: bool = False) -> Target:
    """Read ``TYPE [NAME...]`` / ``TYPE/NAME...`` arguments as cli-runtime's builder does.

    ``allow_empty_selector`` is ``ResourceTypeOrNameArgs(true, ...)``: a bare
    type means "all of them" (``get``), not an error (``delete``).

    Examples
    --------
    >>> t = build(["deploy/web", "svc/web"])
    >>> [(r.kind, n) for r, n in t.named]
    [('Deployment', 'web'), ('Service', 'web')]
    >>> build(["pods"])
    Traceback (most recent call last):
    ...
    k8sedu.errors.KubectlError: error: resource(s) were provided, but no name was specified
    """
    args = list(args)
    if len(args) >= 2 and "," in args[0]:  # normalizeMultipleResourcesArgs: a,b x -> a/x b/x
        args = [f"{t}/{n}" for t in args[0].split(",") if t for n in args[1:]]
    slashed = sum("/" in a for a in args)
    if slashed and slashed != len(args):
        raise KubectlError("error: there is no need to specify a resource type as a separate argument when "
                           "passing arguments in resource/name form (e.g. 'kubectl get resource/<resource_name>' "
                           "instead of 'kubectl get resource resource/<resource_name>'")
    if slashed:
        return _by_type_and_name(args, selector, select_all, all_namespaces)
    types = split_types(args[0]) if args else []
    names = args[1:]
    if select_all or selector or (len(args) == 1 and allow_empty_selector):
        if names:
            raise KubectlError("error: name cannot be provided when a selector is specified")
        if not types:
            raise KubectlError("error: at least one resource must be specified to use a selector")
        return Target(types=tuple(types), selector=parse_selector(selector))
    if names:
        if not types:  # an empty type (``get '' web``): the REST mapper finds no resource ""
            raise KubectlError(f'error: the server doesn\'t have a resource type "{args[0]}"')
        if len(types) > 1:
            raise KubectlError("error: you must specify only one resource")
        _no_names_across_namespaces(types, all_namespaces)
        return Target(named=tuple((types[0], n) for n in names))
    if types:
        raise KubectlError("error: resource(s) were provided, but no name was specified")
    raise KubectlError(MISSING_RESOURCE)


def _by_type_and_name(args: list[str], selector: str, select_all: bool, all_namespaces: bool) -> Target:
    named = []
    for arg in args:
        parts = arg.split("/")
        if len(parts) != 2:
            raise KubectlError("error: arguments in resource/name form may not have more than one slash")
        if not parts[0] or not parts[1] or "," in parts[0]:
            raise KubectlError("error: arguments in resource/name form must have a single resource and name")
        named.append((parts[0], parts[1]))
    if selector or select_all:
        raise KubectlError("error: selectors and the all flag cannot be used when passing resource/name arguments")
    resolved = tuple((lookup(t), n) for t, n in named)
    _no_names_across_namespaces([r for r, _ in resolved], all_namespaces)
    return Target(named=resolved)


def _no_names_across_namespaces(types: Sequence[Resource], all_namespaces: bool) -> None:
    if all_namespaces and any(r.namespaced for r in types):
        raise KubectlError("error: a resource cannot be retrieved by name across all namespaces")


def fetch(api: Any, target: Target, namespace: Optional[str],
          events: Optional[Callable[[Optional[str]], list]] = None) -> tuple[list[tuple[Resource, Any]], list[str]]:
    """Read what ``target`` names: ``(resource, object)`` pairs in order, and NotFound messages.

    ``namespace`` None means every namespace (``-A``). Like kubectl's
    ``ContinueOnError``, a missing name does not stop the others. ``events``
    lists the Event objects of a namespace (None: all), for ``get events``.
    """
    found: list[tuple[Resource, Any]] = []
    errors: list[str] = []
    if target.selector is not None:
        for res in target.types:
            scope = namespace if res.namespaced else ""
            objs = _list(api, res, scope, events)
            found += [(res, o) for o in objs if selector_matches(target.selector, _labels(o))]
        return found, errors
    for res, name in target.named:
        if res is EVENT:
            obj = next((e for e in _list(api, res, namespace, events) if e.name == name), None)
        else:
            obj = api.try_get(res.kind, namespace if res.namespaced else "", name)
        if obj is None:
            errors.append(f'Error from server (NotFound): {res.qualified} "{name}" not found')
        else:
            found.append((res, obj))
    return found, errors


def _list(api: Any, res: Resource, scope: Optional[str], events: Optional[Callable]) -> list:
    if res is EVENT:
        return events(scope) if events is not None else []
    return api.list(res.kind, scope)


def _labels(obj: Any) -> Mapping[str, str]:
    return obj.metadata.labels if hasattr(obj, "metadata") else {}
