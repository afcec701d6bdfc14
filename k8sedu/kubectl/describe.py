"""``kubectl describe``: one object in detail, with its events (kubectl ``pkg/describe/describe.go``).

``DESCRIBERS`` has one row per kind: the function that writes the lines
``describe.go`` writes for it, as ``Label:\\tvalue`` text (``describe_workloads``
for Pod, Deployment, ReplicaSet, Node and Namespace; ``describe_network`` for
Service, EndpointSlice, Endpoints, Ingress and IngressClass), and whether an ``Events:`` section
follows. ``tabwrite`` then aligns the text the way kubectl's tabwriter does
(minwidth 0, padding 2): each run of consecutive labelled lines is aligned on
its own, which is why ``IP:`` under ``IPs:`` lines up with ``Controlled By:``
in a pod's description.

``kubectl describe TYPE NAME`` also describes every object whose name *starts
with* NAME when no object has exactly that name (``describe pods web`` shows
all the ``web-...`` pods). A name that matches nothing is reported on stderr
after the descriptions that were found.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Callable, Mapping

from k8sedu.errors import KubectlError
from k8sedu.kubectl import events, resources
from k8sedu.kubectl.command import Command, namespace_of
from k8sedu.kubectl.describe_configmap import describe_configmap
from k8sedu.kubectl.describe_network import (describe_endpoints, describe_endpointslice, describe_ingress,
                                             describe_ingressclass, describe_service)
from k8sedu.kubectl.describe_workloads import (describe_deployment, describe_namespace, describe_node, describe_pod,
                                               describe_replicaset)
from k8sedu.kubectl.describe_workloads import describe_daemonset
from k8sedu.kubectl.flags import Parsed, boolean, string
from k8sedu.kubectl.streams import IOStreams
from k8sedu.kubectl.table import tabwrite
from k8sedu.objects import RESOURCE_BY_KIND

if TYPE_CHECKING:  # pragma: no cover
    from k8sedu.protocols import Model


@dataclass(frozen=True)
class Describer:
    """How ``kubectl describe`` writes one kind: its lines, and whether its events follow."""

    lines: Callable[["Model", Any], list[str]]
    events: bool = True


DESCRIBERS: Mapping[str, Describer] = MappingProxyType({
    "Pod": Describer(describe_pod),
    "Deployment": Describer(describe_deployment),
    "ReplicaSet": Describer(describe_replicaset),
    "DaemonSet": Describer(describe_daemonset),
    "Service": Describer(describe_service),
    "EndpointSlice": Describer(describe_endpointslice),
    "Endpoints": Describer(describe_endpoints),
    "Ingress": Describer(describe_ingress),
    "IngressClass": Describer(describe_ingressclass),
    "ConfigMap": Describer(describe_configmap),
    "Node": Describer(describe_node),
    "Namespace": Describer(describe_namespace, events=False),
})


def events_section(cluster: "Model", obj: Any) -> list[str]:
    """The ``Events:`` lines about ``obj`` (tab-separated)."""
    return events.describe_section(events.about(cluster.events, cluster.now, obj), cluster.now).rstrip("\n") \
        .split("\n")


def describe(cluster: "Model", obj: Any, show_events: bool = True) -> str:
    """Return what ``kubectl describe`` prints for ``obj``."""
    describer = DESCRIBERS[obj.kind]
    lines = describer.lines(cluster, obj)
    if show_events and describer.events:
        lines = lines + events_section(cluster, obj)
    return tabwrite("\n".join(lines) + "\n").rstrip("\n")


def _by_prefix(cluster: "Model", res: Any, name: str, namespace: str) -> list[Any]:
    scope = namespace if res.namespaced else ""
    return [o for o in cluster.api.list(res.kind, scope) if o.metadata.name.startswith(name)]


def _named(cluster: "Model", target: resources.Target, namespace: str, prefix: bool) -> tuple[list, list]:
    """Exact names first; ``TYPE NAME`` falls back to every object whose name starts with NAME."""
    found, errors = [], []
    for res, name in target.named:
        scope = namespace if res.namespaced else ""
        obj = cluster.api.try_get(res.kind, scope, name)
        matches = [obj] if obj is not None else (_by_prefix(cluster, res, name, namespace) if prefix else [])
        found += [(res, o) for o in matches]
        if not matches:
            errors.append(f'Error from server (NotFound): {res.qualified} "{name}" not found')
    return found, errors


def _find(cluster: "Model", p: Parsed) -> tuple[list, list]:
    """The objects to describe: by selector (a bare type, or ``-l``), else by name or name prefix."""
    all_ns = p["all-namespaces"]
    args = list(p.args)
    if len(args) == 1 and "/" not in args[0] or p["selector"]:
        target = resources.build(args, p["selector"], allow_empty_selector=True, all_namespaces=all_ns)
    else:
        target = resources.build(args, all_namespaces=all_ns)
    if target.selector is not None:
        return resources.fetch(cluster.api, target, None if all_ns else namespace_of(p))
    return _named(cluster, target, namespace_of(p), prefix="/" not in args[-1])


def run_describe(cluster: "Model", p: Parsed, out: IOStreams) -> None:
    if not p.args:
        raise KubectlError(resources.MISSING_RESOURCE)
    found, errors = _find(cluster, p)
    for res, _ in found:
        if res.kind not in DESCRIBERS:
            raise KubectlError(f'error: k8sedu does not model "kubectl describe {res.plural}" yet; '
                               f"it describes: {', '.join(sorted(RESOURCE_BY_KIND[k].plural for k in DESCRIBERS))}")
    if not found and not errors:
        all_ns = p["all-namespaces"]
        out.print(f"No resources found in {namespace_of(p)} namespace." if not all_ns else "No resources found")
        return
    out.print("\n\n\n".join(describe(cluster, obj, p["show-events"]) for _, obj in found))
    if errors:
        out.error("\n".join(errors))


DESCRIBE = Command(
    path="kubectl describe",
    short="Show details of a specific resource or group of resources.",
    use="kubectl describe (-f FILENAME | TYPE [NAME_PREFIX | -l label] | TYPE/NAME) [options]",
    flags=(string("selector", "l"), boolean("all-namespaces", "A"), boolean("show-events", default=True),
           string("filename", "f", modelled=False), string("chunk-size", modelled=False)),
    run=run_describe,
)
