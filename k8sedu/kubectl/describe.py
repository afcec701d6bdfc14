"""``kubectl describe``: one object in detail, with its events (kubectl ``pkg/describe/describe.go``).

Each ``describe_<kind>`` writes the lines ``describe.go`` writes, as
``Label:\\tvalue`` text, and ``tabwrite`` aligns it the way kubectl's
tabwriter does (minwidth 0, padding 2): each run of consecutive labelled lines
is aligned on its own, which is why ``IP:`` under ``IPs:`` lines up with
``Controlled By:`` in a pod's description. Timestamps are RFC 1123 in UTC, as
on a machine whose clock runs in UTC.

``kubectl describe TYPE NAME`` also describes every object whose name *starts
with* NAME when no object has exactly that name (``describe pods web`` shows
all the ``web-...`` pods).
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

from k8sedu.errors import KubectlError
from k8sedu.kubectl import events, ingress_print, resources
from k8sedu.kubectl.command import Command, namespace_of
from k8sedu.kubectl.duration import age
from k8sedu.kubectl.flags import Parsed, boolean, string
from k8sedu.kubectl.printers import node_roles, selector_string
from k8sedu.kubectl.table import tabwrite
from k8sedu.manifests.encode import EPOCH
from k8sedu.objects import RESOURCE_BY_KIND, selector_matches

if TYPE_CHECKING:  # pragma: no cover
    from k8sedu.protocols import Model

SKIP_ANNOTATIONS = ("kubectl.kubernetes.io/last-applied-configuration",)
MAX_ANNOTATION_LEN = 140
DEFAULT_TOLERATIONS = ("node.kubernetes.io/not-ready:NoExecute op=Exists for 300s",
                       "node.kubernetes.io/unreachable:NoExecute op=Exists for 300s")


def rfc1123z(seconds: float) -> str:
    """Go's ``time.RFC1123Z`` in UTC: ``Mon, 05 Jan 2026 09:05:00 +0000``."""
    return (EPOCH + datetime.timedelta(seconds=int(seconds))).strftime("%a, %d %b %Y %H:%M:%S +0000")


def labels_block(title: str, labels: Mapping[str, str]) -> list[str]:
    """``printLabelsMultiline``: one ``k=v`` per line, sorted, or ``<none>``."""
    if not labels:
        return [f"{title}:\t<none>"]
    keys = sorted(labels)
    return [f"{title}:\t{keys[0]}={labels[keys[0]]}"] + [f"\t{k}={labels[k]}" for k in keys[1:]]


def annotations_block(annotations: Mapping[str, str]) -> list[str]:
    """``printAnnotationsMultiline``: ``k: v``, long or multi-line values on their own lines."""
    keys = sorted(k for k in annotations if k not in SKIP_ANNOTATIONS)
    if not keys:
        return ["Annotations:\t<none>"]
    lines = []
    for i, key in enumerate(keys):
        head = "Annotations:\t" if i == 0 else "\t"
        value = annotations[key].removesuffix("\n")
        if len(value) + len(key) + 2 > MAX_ANNOTATION_LEN or "\n" in value:
            lines.append(f"{head}{key}:")
            lines += [f"\t  {s[:MAX_ANNOTATION_LEN - 2 - 3] + '...' if len(s) > MAX_ANNOTATION_LEN - 2 else s}"
                      for s in value.split("\n")]
        else:
            lines.append(f"{head}{key}: {value}")
    return lines


def _events(cluster: "Model", obj: Any) -> list[str]:
    return events.describe_section(events.about(cluster.events, cluster.now, obj), cluster.now).rstrip("\n") \
        .split("\n")


def _finish(lines: list[str]) -> str:
    return tabwrite("\n".join(lines) + "\n").rstrip("\n")


# ---------------------------------------------------------------- services

def _endpoints_for(slices: Sequence[Any], port: Any) -> str:
    """``formatEndpointSlices``: ready (or unknown) endpoints as ip:port, three then `` + N more...``."""
    if not slices:
        return "<none>"
    listed: list[str] = []
    count = 0
    for s in slices:
        if not s.ports:
            pairs = [(e, e.addresses[0]) for e in s.endpoints]
        else:
            pairs = [(e, f"{e.addresses[0]}:{p.port}") for p in s.ports if p.name == port.name for e in s.endpoints]
        for endpoint, text in pairs:
            if endpoint.conditions.ready is not False:
                if len(listed) < 3:
                    listed.append(text)
                count += 1
    return ",".join(listed) + (f" + {count - 3} more..." if count > 3 else "")


def describe_service(cluster: "Model", svc: Any) -> list[str]:
    spec = svc.spec
    lines = [f"Name:\t{svc.metadata.name}", f"Namespace:\t{svc.metadata.namespace}"]
    lines += labels_block("Labels", svc.metadata.labels) + annotations_block(svc.metadata.annotations)
    lines += [f"Selector:\t{selector_string(spec.selector)}", f"Type:\t{spec.type}"]
    if spec.ip_family_policy:
        lines.append(f"IP Family Policy:\t{spec.ip_family_policy}")
    lines.append(f"IP Families:\t{','.join(spec.ip_families) or '<none>'}")
    lines += [f"IP:\t{spec.cluster_ip}", f"IPs:\t{','.join(spec.cluster_ips) or '<none>'}"]
    if spec.external_ips:
        lines.append(f"External IPs:\t{','.join(spec.external_ips)}")
    if spec.load_balancer_ip:
        lines.append(f"Desired LoadBalancer IP:\t{spec.load_balancer_ip}")
    if spec.external_name:
        lines.append(f"External Name:\t{spec.external_name}")
    ingress = svc.status.load_balancer.ingress
    if ingress:
        shown = [(i.ip or i.hostname) + (f" ({i.ip_mode})" if i.ip and i.ip_mode else "") for i in ingress]
        lines.append(f"LoadBalancer Ingress:\t{', '.join(shown)}")
    slices = cluster.api.store.select("EndpointSlice", svc.metadata.namespace,
                                      {"kubernetes.io/service-name": svc.metadata.name})
    for port in spec.ports:
        name = port.name or "<unset>"
        lines.append(f"Port:\t{name}\t{port.port}/{port.protocol}")
        lines.append(f"TargetPort:\t{port.target_port}/{port.protocol}")
        if port.node_port:
            lines.append(f"NodePort:\t{name}\t{port.node_port}/{port.protocol}")
        lines.append(f"Endpoints:\t{_endpoints_for(slices, port)}")
    lines.append(f"Session Affinity:\t{spec.session_affinity}")
    if spec.external_traffic_policy:
        lines.append(f"External Traffic Policy:\t{spec.external_traffic_policy}")
    if spec.internal_traffic_policy:
        lines.append(f"Internal Traffic Policy:\t{spec.internal_traffic_policy}")
    if spec.health_check_node_port:
        lines.append(f"HealthCheck NodePort:\t{spec.health_check_node_port}")
    if spec.load_balancer_source_ranges:
        lines.append(f"LoadBalancer Source Ranges:\t{','.join(spec.load_balancer_source_ranges)}")
    return lines


# ---------------------------------------------------------------- pods

def _ports(container: Any) -> tuple[str, str]:
    ports = ",".join(f"{p.container_port}/{p.protocol}" for p in container.ports)
    hosts = ",".join(f"0/{p.protocol}" for p in container.ports)
    return ports, hosts


def _container_lines(c: Any, status: Any, pod: Any, template: bool) -> list[str]:
    """``describeContainers`` for one container (pod: with its status; template: without)."""
    indent = "    "
    lines = [f"  {c.name}:"]
    if status is not None and status.state != "waiting":
        from k8sedu.manifests.encode import _container_status
        lines.append(f"{indent}Container ID:\t{_container_status(status, pod)['containerID']}")
    lines.append(f"{indent}Image:\t{c.image}")
    if status is not None:
        lines.append(f"{indent}Image ID:\t")
    ports, hosts = _ports(c)
    lines.append(f"{indent}{'Ports' if ',' in ports else 'Port'}:\t{ports or '<none>'}")
    lines.append(f"{indent}{'Host Ports' if ',' in hosts else 'Host Port'}:\t{hosts or '<none>'}")
    if status is not None:
        lines += _state_lines(status, pod)
    if c.readiness_probe is not None and c.readiness_probe.http_get is not None:
        p = c.readiness_probe
        lines.append(f"{indent}Readiness:\thttp-get http://:{p.http_get.port}{p.http_get.path} "
                     f"delay={p.initial_delay_seconds}s timeout=1s period={p.period_seconds}s #success=1 #failure=3")
    lines.append(f"{indent}Environment:\t<none>")
    lines.append(f"{indent}Mounts:\t<none>")
    return lines


def _state_lines(status: Any, pod: Any) -> list[str]:
    indent = "    "
    if status.state == "running":
        lines = [f"{indent}State:\tRunning", f"{indent}  Started:\t{rfc1123z(pod.status.start_time or 0)}"]
    elif status.state == "terminated":
        lines = [f"{indent}State:\tTerminated", f"{indent}  Reason:\t{status.reason or 'Completed'}",
                 f"{indent}  Exit Code:\t0"]
    else:
        lines = [f"{indent}State:\tWaiting"] + ([f"{indent}  Reason:\t{status.reason}"] if status.reason else [])
    return lines + [f"{indent}Ready:\t{'True' if status.ready else 'False'}",
                    f"{indent}Restart Count:\t{status.restart_count}"]


def _tolerations(pod_spec: Any, is_pod: bool) -> list[str]:
    shown = []
    for t in sorted(pod_spec.tolerations, key=lambda t: t.key):
        text = t.key + (f"={t.value}" if t.value else "") + (f":{t.effect}" if t.effect else "")
        if not t.value:
            text += " op=Exists" if t.key or t.effect else "op=Exists"
        shown.append(text)
    if is_pod:
        shown += list(DEFAULT_TOLERATIONS)
    if not shown:
        return ["Tolerations:\t<none>"]
    return [f"Tolerations:\t{shown[0]}"] + [f"\t{t}" for t in shown[1:]]


def describe_pod(cluster: "Model", pod: Any) -> list[str]:
    meta, spec, status = pod.metadata, pod.spec, pod.status
    lines = [f"Name:\t{meta.name}", f"Namespace:\t{meta.namespace}", "Priority:\t0", "Service Account:\tdefault"]
    lines.append(f"Node:\t{spec.node_name}/{status.host_ip}" if spec.node_name else "Node:\t<none>")
    if status.start_time is not None:
        lines.append(f"Start Time:\t{rfc1123z(status.start_time)}")
    lines += labels_block("Labels", meta.labels) + annotations_block(meta.annotations)
    if meta.deletion_timestamp is not None and status.phase not in ("Failed", "Succeeded"):
        lines.append(f"Status:\tTerminating (lasts {age(meta.deletion_timestamp, cluster.now)})")
        lines.append(f"Termination Grace Period:\t{meta.deletion_grace_period_seconds}s")
    else:
        lines.append(f"Status:\t{status.phase}")
    lines.append(f"IP:\t{status.pod_ip}")
    ips = status.pod_ips or ((status.pod_ip,) if status.pod_ip else ())
    lines += ["IPs:"] + [f"  IP:\t{ip}" for ip in ips] if ips else ["IPs:\t<none>"]
    owner = next((r for r in meta.owner_references if r.controller), None)
    if owner is not None:
        lines.append(f"Controlled By:\t{owner.kind}/{owner.name}")
    lines.append("Containers:")
    by_name = {s.name: s for s in status.container_statuses}
    for c in spec.containers:
        lines += _container_lines(c, by_name.get(c.name), pod, template=False)
    if status.conditions:
        lines += ["Conditions:", "  Type\tStatus"] + [f"  {c.type} \t{c.status} " for c in status.conditions]
    lines += ["Volumes:\t<none>", "QoS Class:\tBestEffort", "Node-Selectors:\t<none>"]
    lines += _tolerations(spec, is_pod=True)
    return lines


# ---------------------------------------------------------------- deployments

def _template_lines(template: Any) -> list[str]:
    lines = ["Pod Template:"] + [f"  {line}" for line in labels_block("Labels", template.metadata.labels)]
    if template.metadata.annotations:
        lines += [f"  {line}" for line in annotations_block(template.metadata.annotations)]
    lines.append("  Containers:")
    for c in template.spec.containers:  # describeContainerBasicInfo: only the name line gets the extra space
        first, *rest = _container_lines(c, None, None, template=True)
        lines += [f" {first}"] + rest
    lines += ["  Volumes:\t<none>", "  Node-Selectors:\t<none>"]
    lines += [f"  {line}" for line in _tolerations(template.spec, is_pod=False)]
    return lines


def describe_deployment(cluster: "Model", dep: Any) -> list[str]:
    meta, spec, status = dep.metadata, dep.spec, dep.status
    lines = [f"Name:\t{meta.name}", f"Namespace:\t{meta.namespace}",
             f"CreationTimestamp:\t{rfc1123z(meta.creation_timestamp or 0)}"]
    lines += labels_block("Labels", meta.labels) + annotations_block(meta.annotations)
    unavailable = max(0, spec.replicas - status.available_replicas) if status.replicas else 0
    lines += [f"Selector:\t{selector_string(spec.selector.match_labels)}",
              f"Replicas:\t{spec.replicas} desired | {status.updated_replicas} updated | {status.replicas} total | "
              f"{status.available_replicas} available | {unavailable} unavailable",
              "StrategyType:\tRollingUpdate", "MinReadySeconds:\t0",
              "RollingUpdateStrategy:\t25% max unavailable, 25% max surge"]
    lines += _template_lines(spec.template)
    owned = cluster.api.store.owned_by("ReplicaSet", meta.namespace, meta.uid)
    from k8sedu.apiserver.names import pod_template_hash
    current = f"{meta.name}-{pod_template_hash(repr(spec.template))}"
    new = [rs for rs in owned if rs.metadata.name == current]
    old = [rs for rs in owned if rs.metadata.name != current and rs.spec.replicas]
    lines += ["Conditions:", "  Type\tStatus\tReason", "  ----\t------\t------"]
    available = status.available_replicas >= spec.replicas
    lines.append(f"  Available \t{'True' if available else 'False'} \t"
                 f"{'MinimumReplicasAvailable' if available else 'MinimumReplicasUnavailable'}")
    done = bool(new) and status.updated_replicas == spec.replicas and status.available_replicas == spec.replicas
    lines.append(f"  Progressing \tTrue \t{'NewReplicaSetAvailable' if done else 'ReplicaSetUpdated'}")
    lines.append(f"OldReplicaSets:\t{_rs_list(old)}")
    lines.append(f"NewReplicaSet:\t{_rs_list(new)}")
    return lines


def _rs_list(sets: Sequence[Any]) -> str:
    if not sets:
        return "<none>"
    return ", ".join(f"{rs.metadata.name} ({rs.status.replicas}/{rs.spec.replicas} replicas created)" for rs in sets)


# ---------------------------------------------------------------- nodes

def describe_node(cluster: "Model", node: Any) -> list[str]:
    meta, spec, status = node.metadata, node.spec, node.status
    lines = [f"Name:\t{meta.name}", f"Roles:\t{node_roles(node)}"]
    lines += labels_block("Labels", meta.labels) + annotations_block(meta.annotations)
    lines.append(f"CreationTimestamp:\t{rfc1123z(meta.creation_timestamp or 0)}")
    taints = [f"{t.key}" + (f"={t.value}" if t.value else "") + f":{t.effect}" for t in spec.taints]
    lines += [f"Taints:\t{taints[0]}"] + [f"\t{t}" for t in taints[1:]] if taints else ["Taints:\t<none>"]
    lines.append(f"Unschedulable:\t{'true' if spec.unschedulable else 'false'}")
    lines += ["Conditions:", "  Type\tStatus\tReason\tMessage", "  ----\t------\t------\t-------"]
    for c in status.conditions:
        reason, message = (("KubeletReady", "kubelet is posting ready status") if c.status == "True"
                           else ("NodeStatusUnknown", "Kubelet stopped posting node status."))
        lines.append(f"  {c.type} \t{c.status} \t{reason} \t{message}")
    lines.append("Addresses:")
    lines += [f"  {a.type}:\t{a.address}" for a in status.addresses]
    info = status.node_info
    lines += ["System Info:", f"  Kernel Version:\t{info.kernel_version}", f"  OS Image:\t{info.os_image}",
              "  Operating System:\tlinux", "  Architecture:\tamd64",
              f"  Container Runtime Version:\t{info.container_runtime_version}",
              f"  Kubelet Version:\t{info.kubelet_version}", f"  Kube-Proxy Version:\t{info.kubelet_version}"]
    if spec.pod_cidr:
        lines.append(f"PodCIDR:\t{spec.pod_cidr}")
        lines.append(f"PodCIDRs:\t{','.join(spec.pod_cidrs or (spec.pod_cidr,))}")
    lines.append(f"ProviderID:\tkind://docker/kind/{meta.name}")
    pods = [p for p in cluster.api.list("Pod") if p.spec.node_name == meta.name
            and p.status.phase not in ("Succeeded", "Failed")]
    lines.append(f"Non-terminated Pods:\t({len(pods)} in total)")
    lines += ["  Namespace\tName\tAge", "  ---------\t----\t---"]
    lines += [f"  {p.metadata.namespace}\t{p.metadata.name}\t{age(p.metadata.creation_timestamp, cluster.now)}"
              for p in pods]
    return lines


# ---------------------------------------------------------------- namespaces and the rest

def describe_namespace(cluster: "Model", ns: Any) -> list[str]:
    lines = [f"Name:\t{ns.metadata.name}"] + labels_block("Labels", ns.metadata.labels)
    lines += annotations_block(ns.metadata.annotations)
    lines += [f"Status:\t{'Terminating' if ns.metadata.deletion_timestamp is not None else 'Active'}", "",
              "No resource quota.", "", "No LimitRange resource."]
    return lines


def describe_replicaset(cluster: "Model", rs: Any) -> list[str]:
    meta, spec, status = rs.metadata, rs.spec, rs.status
    lines = [f"Name:\t{meta.name}", f"Namespace:\t{meta.namespace}",
             f"Selector:\t{selector_string(spec.selector.match_labels)}"]
    lines += labels_block("Labels", meta.labels) + annotations_block(meta.annotations)
    owner = next((r for r in meta.owner_references if r.controller), None)
    if owner is not None:
        lines.append(f"Controlled By:\t{owner.kind}/{owner.name}")
    pods = [p for p in cluster.api.list("Pod", meta.namespace) if selector_matches(spec.selector.match_labels,
                                                                                  p.metadata.labels)]
    running = sum(1 for p in pods if p.status.phase == "Running")
    waiting = sum(1 for p in pods if p.status.phase == "Pending")
    lines += [f"Replicas:\t{status.replicas} current / {spec.replicas} desired",
              f"Pods Status:\t{running} Running / {waiting} Waiting / 0 Succeeded / 0 Failed"]
    lines += _template_lines(spec.template)
    return lines


def describe(cluster: "Model", obj: Any, show_events: bool = True) -> str:
    """Return what ``kubectl describe`` prints for ``obj``."""
    lines = DESCRIBERS[obj.kind](cluster, obj)
    if show_events and obj.kind != "Namespace":
        lines = lines + _events(cluster, obj)
    return _finish(lines)


DESCRIBERS: dict[str, Callable[["Model", Any], list[str]]] = {
    "Service": describe_service, "Pod": describe_pod, "Deployment": describe_deployment, "Node": describe_node,
    "Namespace": describe_namespace, "ReplicaSet": describe_replicaset,
    **ingress_print.DESCRIBERS,
}


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


def run_describe(cluster: "Model", p: Parsed) -> str:
    if not p.args:
        raise KubectlError(resources.MISSING_RESOURCE)
    all_ns = p["all-namespaces"]
    cluster.settle()
    namespace = namespace_of(p)
    args = list(p.args)
    if len(args) == 1 and "/" not in args[0] or p["selector"]:
        target = resources.build(args, p["selector"], allow_empty_selector=True, all_namespaces=all_ns)
    else:
        target = resources.build(args, all_namespaces=all_ns)
    if target.selector is not None:
        found, errors = resources.fetch(cluster.api, target, None if all_ns else namespace)
    else:
        found, errors = _named(cluster, target, namespace, prefix="/" not in args[-1])
    for res, _ in found:
        if res.kind not in DESCRIBERS:
            raise KubectlError(f'error: k8sedu does not model "kubectl describe {res.plural}" yet; '
                               f"it describes: {', '.join(sorted(RESOURCE_BY_KIND[k].plural for k in DESCRIBERS))}")
    if not found and not errors:
        return f"No resources found in {namespace} namespace." if not all_ns else "No resources found"
    text = "\n\n\n".join(describe(cluster, obj, p["show-events"]) for _, obj in found)
    if errors:
        raise KubectlError("\n".join(([text] if text else []) + errors))
    return text


DESCRIBE = Command(
    path="kubectl describe",
    short="Show details of a specific resource or group of resources.",
    use="kubectl describe (-f FILENAME | TYPE [NAME_PREFIX | -l label] | TYPE/NAME) [options]",
    flags=(string("selector", "l"), boolean("all-namespaces", "A"), boolean("show-events", default=True),
           string("filename", "f", modelled=False), string("chunk-size", modelled=False)),
    run=run_describe,
)
