"""The tables of ``kubectl get``: which columns each resource has, and what goes in each cell.

In a real cluster the API server builds these tables (server-side printing,
k/k ``pkg/printers/internalversion/printers.go``) and kubectl only lays them
out. ``PRINTERS`` has one row per kind, Ingress and IngressClass included,
and each ``_<kind>_row`` below is the matching ``print<Kind>`` function: the
same columns, the same rules for a cell (``<none>``, ``<pending>``,
``<unset>``, `` + N more...``), the same ``-o wide`` extras. ``table`` then
adds what kubectl adds (``NAMESPACE`` with ``-A``, ``kind/`` before names when
several kinds are listed, ``LABELS`` with ``--show-labels``) and aligns the
cells with ``tabulate``.
"""

from __future__ import annotations

import ipaddress
from types import MappingProxyType
from typing import Any, Mapping, Optional, Sequence

from k8sedu.kubectl import events
from k8sedu.kubectl.columns import (NONE, Options, Printer, address_cell, format_labels, load_balancer_cell, more,
                                    selector_string)
from k8sedu.kubectl.duration import age
from k8sedu.kubectl.table import tabulate


# ---------------------------------------------------------------- pods

def pod_status(pod: Any) -> str:
    """The STATUS cell: the phase, overridden by a container's reason, or Terminating."""
    reason = pod.status.phase
    has_running = False
    for c in reversed(pod.status.container_statuses):
        if c.state == "waiting" and c.reason:
            reason = c.reason
        elif c.state == "terminated":
            reason = c.reason or f"ExitCode:{getattr(c, 'exit_code', 0)}"
        elif c.ready and c.state == "running":
            has_running = True
    if reason == "Completed" and has_running:
        reason = "Running" if pod.ready else "NotReady"
    if pod.metadata.deletion_timestamp is not None and pod.status.phase not in ("Succeeded", "Failed"):
        reason = "Terminating"
    return reason


def restarts_cell(pod: Any, now: float) -> str:
    """The RESTARTS cell: the count, and since kubectl 1.22 how long ago the last restart was (``2 (5s ago)``)."""
    statuses = pod.status.container_statuses
    restarts = sum(c.restart_count for c in statuses)
    finished = [c.last_state.finished_at for c in statuses if getattr(c, "last_state", None) is not None]
    if restarts and finished:
        return f"{restarts} ({age(max(finished), now)} ago)"
    return str(restarts)


def _pod_row(pod: Any, opts: Options) -> list[str]:
    statuses = pod.status.container_statuses
    ready = sum(1 for c in statuses if c.ready and c.state == "running")
    row = [pod.metadata.name, f"{ready}/{len(pod.spec.containers)}", pod_status(pod), restarts_cell(pod, opts.now),
           age(pod.metadata.creation_timestamp, opts.now)]
    if opts.wide:
        row += [pod.status.pod_ip or NONE, pod.spec.node_name or NONE, NONE, NONE]
    return row


# ---------------------------------------------------------------- workloads

def _containers_and_images(template: Any) -> list[str]:
    containers = template.spec.containers
    return [",".join(c.name for c in containers), ",".join(c.image for c in containers)]


def _deployment_row(dep: Any, opts: Options) -> list[str]:
    s = dep.status
    row = [dep.metadata.name, f"{s.ready_replicas}/{dep.spec.replicas}", str(s.updated_replicas),
           str(s.available_replicas), age(dep.metadata.creation_timestamp, opts.now)]
    if opts.wide:
        row += _containers_and_images(dep.spec.template) + [selector_string(dep.spec.selector.match_labels)]
    return row


def _replicaset_row(rs: Any, opts: Options) -> list[str]:
    row = [rs.metadata.name, str(rs.spec.replicas), str(rs.status.replicas), str(rs.status.ready_replicas),
           age(rs.metadata.creation_timestamp, opts.now)]
    if opts.wide:
        row += _containers_and_images(rs.spec.template) + [selector_string(rs.spec.selector.match_labels)]
    return row


def _daemonset_row(ds: Any, opts: Options) -> list[str]:
    """printers.go ``printDaemonSet``: NODE SELECTOR is the template's nodeSelector as ``k=v,...``."""
    s = ds.status
    row = [ds.metadata.name, str(s.desired_number_scheduled), str(s.current_number_scheduled), str(s.number_ready),
           str(s.updated_number_scheduled), str(s.number_available),
           format_labels(ds.spec.template.spec.node_selector), age(ds.metadata.creation_timestamp, opts.now)]
    if opts.wide:
        row += _containers_and_images(ds.spec.template) + [selector_string(ds.spec.selector.match_labels)]
    return row


# ---------------------------------------------------------------- services and endpoints

def external_ip(svc: Any, wide: bool) -> str:
    """The EXTERNAL-IP cell (printers.go ``getServiceExternalIP``): ``spec.externalIPs`` joined by ``,``,
    after a LoadBalancer's ingress IPs."""
    kind, extra = svc.spec.type, list(svc.spec.external_ips)
    if kind in ("ClusterIP", "NodePort"):
        return ",".join(extra) or NONE
    if kind == "ExternalName":
        return svc.spec.external_name
    if kind == "LoadBalancer":
        lb_ips = load_balancer_cell(svc.status.load_balancer.ingress, wide)
        return ",".join(([lb_ips] if lb_ips else []) + extra) or "<pending>"
    return "<unknown>"


def port_string(ports: Sequence[Any]) -> str:
    """``80/TCP``, ``80:30080/TCP`` with a node port, comma separated."""
    cells = [f"{p.port}:{p.node_port}/{p.protocol}" if p.node_port else f"{p.port}/{p.protocol}" for p in ports]
    return ",".join(cells)


def _service_row(svc: Any, opts: Options) -> list[str]:
    row = [svc.metadata.name, svc.spec.type, svc.spec.cluster_ips[0] if svc.spec.cluster_ips else NONE,
           external_ip(svc, opts.wide), port_string(svc.spec.ports) or NONE,
           age(svc.metadata.creation_timestamp, opts.now)]
    if opts.wide:
        row.append(format_labels(svc.spec.selector))
    return row


def _host_port(ip: str, port: int) -> str:
    """Go's ``net.JoinHostPort``: IPv6 addresses get brackets."""
    return f"[{ip}]:{port}" if ipaddress.ip_address(ip).version == 6 else f"{ip}:{port}"


def endpoints_cell(ep: Any) -> str:
    """The ENDPOINTS cell: ready addresses only, port by port (printers.go ``formatEndpoints``).

    ``<none>`` when there are no subsets; empty when the subsets hold only not-ready addresses.
    """
    if not ep.subsets:
        return NONE
    listed: list[str] = []
    count = 0
    for subset in ep.subsets:
        if not subset.ports:  # a headless service without ports: bare IPs
            count += len(subset.addresses)
            listed += [a.ip for a in subset.addresses]
            continue
        for port in subset.ports:
            count += len(subset.addresses)
            listed += [_host_port(a.ip, port.port) for a in subset.addresses]
    return more(listed, count)


def _endpoints_row(ep: Any, opts: Options) -> list[str]:
    return [ep.metadata.name, endpoints_cell(ep), age(ep.metadata.creation_timestamp, opts.now)]


def _unset_if_empty(text: str) -> str:
    return text or "<unset>"


def _endpointslice_row(s: Any, opts: Options) -> list[str]:
    ports = [str(p.port) if p.port else (p.name or "*") for p in s.ports]
    addresses = [a for e in s.endpoints for a in e.addresses]  # regardless of readiness
    return [s.metadata.name, s.address_type, _unset_if_empty(more(ports, len(ports))),
            _unset_if_empty(more(addresses, len(addresses))), age(s.metadata.creation_timestamp, opts.now)]


# ---------------------------------------------------------------- nodes and namespaces

ROLE_PREFIX = "node-role.kubernetes.io/"


def node_roles(node: Any) -> str:
    """ROLES: from ``node-role.kubernetes.io/<role>`` and ``kubernetes.io/role`` labels."""
    roles = set()
    for key, value in node.metadata.labels.items():
        if key.startswith(ROLE_PREFIX) and key[len(ROLE_PREFIX):]:
            roles.add(key[len(ROLE_PREFIX):])
        elif key == "kubernetes.io/role" and value:
            roles.add(value)
    return ",".join(sorted(roles)) or NONE


def node_status(node: Any) -> str:
    ready = next((c for c in node.status.conditions if c.type == "Ready"), None)
    status = ["Unknown" if ready is None else ("Ready" if ready.status == "True" else "NotReady")]
    if node.spec.unschedulable:
        status.append("SchedulingDisabled")
    return ",".join(status)


def _node_row(node: Any, opts: Options) -> list[str]:
    info = node.status.node_info
    row = [node.metadata.name, node_status(node), node_roles(node), age(node.metadata.creation_timestamp, opts.now),
           info.kubelet_version]
    if opts.wide:
        row += [node.address("InternalIP") or NONE, node.address("ExternalIP") or NONE,
                info.os_image or "<unknown>", info.kernel_version or "<unknown>",
                info.container_runtime_version or "<unknown>"]
    return row


def _namespace_row(ns: Any, opts: Options) -> list[str]:
    status = "Terminating" if ns.metadata.deletion_timestamp is not None else "Active"
    return [ns.metadata.name, status, age(ns.metadata.creation_timestamp, opts.now)]


# ---------------------------------------------------------------- ingresses

MAX_HOSTS = 3


def hosts_cell(rules: Sequence[Any]) -> str:
    """``formatHosts``: the first three hosts, then `` + N more...`` (N counts every further rule); ``*`` if none.

    Examples
    --------
    >>> from k8sedu.objects import IngressRule as R
    >>> hosts_cell([R("a.com"), R("b.com")]), hosts_cell([R()])
    ('a.com,b.com', '*')
    >>> hosts_cell([R("a"), R("b"), R("c"), R("d"), R()])
    'a,b,c + 2 more...'
    """
    listed: list[str] = []
    cut = False
    for rule in rules:
        if len(listed) == MAX_HOSTS:
            cut = True
        if not cut and rule.host:
            listed.append(rule.host)
    if not listed:
        return "*"
    text = ",".join(listed)
    return f"{text} + {len(rules) - MAX_HOSTS} more..." if cut else text


def _ingress_row(ing: Any, opts: Options) -> list[str]:
    """``printIngress``: ADDRESS stays empty (never ``<pending>``) until a controller writes one."""
    name = ing.spec.ingress_class_name
    return [ing.metadata.name, NONE if name is None else name, hosts_cell(ing.spec.rules),
            address_cell(ing.status.load_balancer, opts.wide), "80, 443" if ing.spec.tls else "80",
            age(ing.metadata.creation_timestamp, opts.now)]


def parameters_cell(params: Optional[Any]) -> str:
    """``printIngressClass``'s PARAMETERS: ``Kind.group/name``, or ``<none>``."""
    if params is None:
        return NONE
    kind = f"{params.kind}.{params.api_group}" if params.api_group is not None else params.kind
    return f"{kind}/{params.name}"


def _ingressclass_row(cls: Any, opts: Options) -> list[str]:
    return [cls.metadata.name, cls.spec.controller, parameters_cell(cls.spec.parameters),
            age(cls.metadata.creation_timestamp, opts.now)]


def _configmap_row(cm: Any, opts: Options) -> list[str]:
    """``printConfigMap``: DATA counts the keys of data and binaryData together."""
    return [cm.metadata.name, str(len(cm.data) + len(cm.binary_data)), age(cm.metadata.creation_timestamp, opts.now)]


# ---------------------------------------------------------------- the table: one printer per kind

def _event_row(view: Any, opts: Options) -> list[str]:
    return events.row(view, opts.now, opts.wide)


PRINTERS: Mapping[str, Printer] = MappingProxyType({
    "Pod": Printer(("NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE", "NOMINATED NODE", "READINESS GATES"),
                   _pod_row, wide_only=("IP", "NODE", "NOMINATED NODE", "READINESS GATES")),
    "Deployment": Printer(("NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE", "CONTAINERS", "IMAGES", "SELECTOR"),
                          _deployment_row, wide_only=("CONTAINERS", "IMAGES", "SELECTOR")),
    "ReplicaSet": Printer(("NAME", "DESIRED", "CURRENT", "READY", "AGE", "CONTAINERS", "IMAGES", "SELECTOR"),
                          _replicaset_row, wide_only=("CONTAINERS", "IMAGES", "SELECTOR")),
    "DaemonSet": Printer(("NAME", "DESIRED", "CURRENT", "READY", "UP-TO-DATE", "AVAILABLE", "NODE SELECTOR", "AGE",
                          "CONTAINERS", "IMAGES", "SELECTOR"), _daemonset_row,
                         wide_only=("CONTAINERS", "IMAGES", "SELECTOR")),
    "Service": Printer(("NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE", "SELECTOR"), _service_row,
                       wide_only=("SELECTOR",)),
    "Endpoints": Printer(("NAME", "ENDPOINTS", "AGE"), _endpoints_row),
    "EndpointSlice": Printer(("NAME", "ADDRESSTYPE", "PORTS", "ENDPOINTS", "AGE"), _endpointslice_row),
    "Ingress": Printer(("NAME", "CLASS", "HOSTS", "ADDRESS", "PORTS", "AGE"), _ingress_row),
    "IngressClass": Printer(("NAME", "CONTROLLER", "PARAMETERS", "AGE"), _ingressclass_row),
    "ConfigMap": Printer(("NAME", "DATA", "AGE"), _configmap_row),
    "Node": Printer(("NAME", "STATUS", "ROLES", "AGE", "VERSION", "INTERNAL-IP", "EXTERNAL-IP", "OS-IMAGE",
                     "KERNEL-VERSION", "CONTAINER-RUNTIME"), _node_row,
                    wide_only=("INTERNAL-IP", "EXTERNAL-IP", "OS-IMAGE", "KERNEL-VERSION", "CONTAINER-RUNTIME")),
    "Namespace": Printer(("NAME", "STATUS", "AGE"), _namespace_row),
    "Event": Printer(("LAST SEEN", "TYPE", "REASON", "OBJECT", "SUBOBJECT", "SOURCE", "MESSAGE", "FIRST SEEN", "COUNT",
                      "NAME"), _event_row, wide_only=("SUBOBJECT", "SOURCE", "FIRST SEEN", "COUNT", "NAME")),
})


def table(kind: str, objs: Sequence[Any], opts: Options, *, namespace_column: bool = False,
          kind_prefix: str = "", show_labels: bool = False, headers: bool = True) -> list[str]:
    """Return the aligned lines ``kubectl get`` prints for ``objs`` of one ``kind``.

    ``kind_prefix`` (``pod``, ``deployment.apps``) is put before each name, as
    kubectl does when one command lists several kinds.
    """
    printer = PRINTERS[kind]
    header = printer.header(opts)
    rows = []
    for obj in objs:
        row = printer.row(obj, opts)
        if kind_prefix:
            row[0] = f"{kind_prefix}/{row[0]}"
        if namespace_column:
            row.insert(0, obj.metadata.namespace)
        if show_labels:
            row.append(format_labels(obj.metadata.labels))
        rows.append(row)
    if namespace_column:
        header.insert(0, "NAMESPACE")
    if show_labels:
        header.append("LABELS")
    if not rows:
        return []  # kubectl prints no header for an empty table
    return tabulate(([header] if headers else []) + rows)
