"""``kubectl describe`` for what routes traffic: Service, EndpointSlice, Endpoints, Ingress, IngressClass.

Mirrors kubectl ``pkg/describe/describe.go``: ``describeService``, ``describeEndpointSliceV1``, ``describeEndpoints``,
``describeIngressV1`` (with ``describeBackendV1`` and
``serviceBackendStringer``) and ``describeIngressClassV1``. A Service and an
Ingress backend both show the endpoints behind them the same way
(``formatEndpointSlices``): the ready addresses of the Service's
EndpointSlices for that port, three of them, then `` + N more...``. An Ingress
backend whose Service does not exist says so in the error kubectl got looking
it up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence

from k8sedu.kubectl.columns import address_cell, selector_string
from k8sedu.kubectl.describe_lines import annotations_block, labels_block, meta_block

if TYPE_CHECKING:  # pragma: no cover
    from k8sedu.protocols import Model

MAX_ENDPOINTS = 3


def format_endpoint_slices(slices: Sequence[Any], port_name: str) -> str:
    """``formatEndpointSlices`` for one port name: ready endpoints as ``ip:port``, three, then `` + N more...``.

    An endpoint whose readiness is unknown counts as ready; a slice without
    ports (a headless Service without ports) lists bare addresses.
    """
    if not slices:
        return "<none>"
    listed: list[str] = []
    count = 0
    for s in slices:
        pairs = [(e, e.addresses[0]) for e in s.endpoints] if not s.ports else \
            [(e, f"{e.addresses[0]}:{p.port}") for p in s.ports if p.name == port_name for e in s.endpoints]
        for endpoint, text in pairs:
            if endpoint.conditions.ready is False:
                continue
            if len(listed) < MAX_ENDPOINTS:
                listed.append(text)
            count += 1
    more = f" + {count - MAX_ENDPOINTS} more..." if count > MAX_ENDPOINTS else ""
    return ",".join(listed) + more


def _slices_of(cluster: "Model", namespace: str, service: str) -> list[Any]:
    return cluster.api.store.select("EndpointSlice", namespace, {"kubernetes.io/service-name": service})


# ---------------------------------------------------------------- Service

def _service_addresses(spec: Any, status: Any) -> list[str]:
    lines = []
    if spec.external_ips:
        lines.append(f"External IPs:\t{','.join(spec.external_ips)}")
    if spec.load_balancer_ip:
        lines.append(f"Desired LoadBalancer IP:\t{spec.load_balancer_ip}")
    if spec.external_name:
        lines.append(f"External Name:\t{spec.external_name}")
    if status.load_balancer.ingress:
        shown = [(i.ip or i.hostname) + (f" ({i.ip_mode})" if i.ip and i.ip_mode else "")
                 for i in status.load_balancer.ingress]
        lines.append(f"LoadBalancer Ingress:\t{', '.join(shown)}")
    return lines


def _service_ports(spec: Any, slices: Sequence[Any]) -> list[str]:
    lines = []
    for port in spec.ports:
        name = port.name or "<unset>"
        lines.append(f"Port:\t{name}\t{port.port}/{port.protocol}")
        lines.append(f"TargetPort:\t{port.target_port}/{port.protocol}")
        if port.node_port:
            lines.append(f"NodePort:\t{name}\t{port.node_port}/{port.protocol}")
        lines.append(f"Endpoints:\t{format_endpoint_slices(slices, port.name)}")
    return lines


def _service_policies(spec: Any) -> list[str]:
    lines = [f"Session Affinity:\t{spec.session_affinity}"]
    if spec.external_traffic_policy:
        lines.append(f"External Traffic Policy:\t{spec.external_traffic_policy}")
    if spec.internal_traffic_policy:
        lines.append(f"Internal Traffic Policy:\t{spec.internal_traffic_policy}")
    if spec.health_check_node_port:
        lines.append(f"HealthCheck NodePort:\t{spec.health_check_node_port}")
    if spec.load_balancer_source_ranges:
        lines.append(f"LoadBalancer Source Ranges:\t{','.join(spec.load_balancer_source_ranges)}")
    return lines


def describe_service(cluster: "Model", svc: Any) -> list[str]:
    """The lines of ``describeService``."""
    spec, meta = svc.spec, svc.metadata
    lines = [f"Name:\t{meta.name}", f"Namespace:\t{meta.namespace}"] + meta_block(svc)
    lines += [f"Selector:\t{selector_string(spec.selector) or '<none>'}", f"Type:\t{spec.type}"]  # FormatLabels
    if spec.ip_family_policy:
        lines.append(f"IP Family Policy:\t{spec.ip_family_policy}")
    lines.append(f"IP Families:\t{','.join(spec.ip_families) or '<none>'}")
    lines += [f"IP:\t{spec.cluster_ip}", f"IPs:\t{','.join(spec.cluster_ips) or '<none>'}"]
    lines += _service_addresses(spec, svc.status)
    lines += _service_ports(spec, _slices_of(cluster, meta.namespace, meta.name))
    return lines + _service_policies(spec)


# ---------------------------------------------------------------- Ingress and IngressClass

def service_backend_string(service: Any) -> str:
    """``serviceBackendStringer``: ``name:number`` or ``name:portname``."""
    return f"{service.name}:{service.port.number if service.port.number else service.port.name}"


def backend_string(cluster: "Model", namespace: str, backend: Any) -> str:
    """``describeBackendV1``: ``svc:port (ep1,ep2)``, or the error kubectl got looking the Service up."""
    if backend.service is not None:
        text = service_backend_string(backend.service)
        svc = cluster.api.try_get("Service", namespace, backend.service.name)
        if svc is None:
            return f'{text} (<error: services "{backend.service.name}" not found>)'
        port = backend.service.port
        name = next((p.name for p in svc.spec.ports if (port.number and p.port == port.number)
                     or (port.name and p.name == port.name)), "")
        return f"{text} ({format_endpoint_slices(_slices_of(cluster, namespace, svc.metadata.name), name)})"
    if backend.resource is not None:
        ref = backend.resource
        group = ref.api_group if ref.api_group is not None else "<none>"
        return f"APIGroup: {group}, Kind: {ref.kind}, Name: {ref.name}"
    return ""


def _rules(cluster: "Model", ing: Any, default: str) -> list[str]:
    lines = ["Rules:", "  Host\tPath\tBackends", "  ----\t----\t--------"]
    described = [rule for rule in ing.spec.rules if rule.http is not None]
    for rule in described:
        lines.append(f"  {rule.host or '*'}\t")
        lines += [f"    \t{p.path} \t{backend_string(cluster, ing.metadata.namespace, p.backend)}"
                  for p in rule.http.paths]
    if not described:
        lines.append(f"  *\t*\t{default}")
    return lines


def describe_ingress(cluster: "Model", ing: Any) -> list[str]:
    """The lines of ``describeIngressV1`` (tab-separated, for ``tabwrite``)."""
    meta, spec, ns = ing.metadata, ing.spec, ing.metadata.namespace
    default = "<default>" if spec.default_backend is None else backend_string(cluster, ns, spec.default_backend)
    lines = [f"Name:\t{meta.name}"] + labels_block("Labels", meta.labels)
    lines += [f"Namespace:\t{ns}", f"Address:\t{address_cell(ing.status.load_balancer, wide=True)}",
              f"Ingress Class:\t{'<none>' if spec.ingress_class_name is None else spec.ingress_class_name}",
              f"Default backend:\t{default}"]
    if spec.tls:
        lines.append("TLS:")
        lines += [f"  SNI routes {','.join(t.hosts)}" if not t.secret_name
                  else f"  {t.secret_name} terminates {','.join(t.hosts)}" for t in spec.tls]
    return lines + _rules(cluster, ing, default) + annotations_block(meta.annotations)


def describe_ingressclass(cluster: "Model", cls: Any) -> list[str]:
    """The lines of ``describeIngressClassV1``."""
    lines = [f"Name:\t{cls.metadata.name}"] + meta_block(cls) + [f"Controller:\t{cls.spec.controller}"]
    params = cls.spec.parameters
    if params is not None:
        lines.append("Parameters:")
        if params.api_group is not None:
            lines.append(f"  APIGroup:\t{params.api_group}")
        lines += [f"  Kind:\t{params.kind}", f"  Name:\t{params.name}"]
    return lines


def describe_endpointslice(cluster: "Model", eps: Any) -> list[str]:
    """The lines of ``describeEndpointSliceV1``: ports as a table, then each endpoint's address, readiness and
    where it runs (a field the controller left unset prints ``<unset>``)."""
    lines = [f"Name:\t{eps.metadata.name}", f"Namespace:\t{eps.metadata.namespace}"] + meta_block(eps)
    lines.append(f"AddressType:\t{eps.address_type}")
    if not eps.ports:
        lines.append("Ports: <unset>")
    else:
        lines += ["Ports:", "  Name\tPort\tProtocol", "  ----\t----\t--------"]
        lines += [f"  {p.name or '<unset>'}\t{p.port}\t{p.protocol}" for p in eps.ports]
    if not eps.endpoints:
        return lines + ["Endpoints: <none>"]
    lines.append("Endpoints:")
    for e in eps.endpoints:
        ready = "<unset>" if e.conditions.ready is None else str(e.conditions.ready).lower()
        lines += [f"  - Addresses:\t{', '.join(e.addresses) or '<none>'}", "    Conditions:", f"      Ready:\t{ready}",
                  f"    Hostname:\t{e.hostname or '<unset>'}"]
        if e.target_ref is not None:
            lines.append(f"    TargetRef:\t{e.target_ref.kind}/{e.target_ref.name}")
        lines += [f"    NodeName:\t{e.node_name or '<unset>'}", f"    Zone:\t{e.zone or '<unset>'}"]
    return lines


def describe_endpoints(cluster: "Model", ep: Any) -> list[str]:
    """The lines of ``describeEndpoints``: each subset's ready and not-ready addresses and its ports, then a blank
    line."""
    lines = [f"Name:\t{ep.metadata.name}", f"Namespace:\t{ep.metadata.namespace}"] + meta_block(ep) + ["Subsets:"]
    for subset in ep.subsets:
        lines += [f"  Addresses:\t{','.join(a.ip for a in subset.addresses) or '<none>'}",
                  f"  NotReadyAddresses:\t{','.join(a.ip for a in subset.not_ready_addresses) or '<none>'}"]
        if subset.ports:
            lines += ["  Ports:", "    Name\tPort\tProtocol", "    ----\t----\t--------"]
            lines += [f"    {p.name or '<unset>'}\t{p.port}\t{p.protocol}" for p in subset.ports]
        lines.append("")
    return lines
