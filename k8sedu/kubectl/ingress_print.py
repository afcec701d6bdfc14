"""``kubectl get ingress`` / ``get ingressclass`` cells and ``kubectl describe ingress`` / ``ingressclass``.

Mirrors k/k ``pkg/printers/internalversion/printers.go`` (``printIngress``,
``formatHosts``, ``formatPorts``, ``ingressLoadBalancerStatusStringer``,
``printIngressClass``) and kubectl ``pkg/describe/describe.go``
(``describeIngressV1``, ``describeBackendV1``, ``serviceBackendStringer``,
``formatEndpointSlices``, ``describeIngressClassV1``). Pure functions over
objects: ``PRINTERS`` is merged into ``printers.PRINTERS`` and ``DESCRIBERS``
into ``describe.DESCRIBERS``.

Two details worth knowing: ADDRESS is an *empty* cell while no controller has
written ``status.loadBalancer`` (the printer never writes ``<pending>``), and
HOSTS is ``*`` when no rule names a host.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping, Optional, Sequence

from k8sedu.kubectl.duration import age
from k8sedu.kubectl.columns import Options, Printer

if TYPE_CHECKING:  # pragma: no cover
    from k8sedu.protocols import Model

LOAD_BALANCER_WIDTH = 16
MAX_HOSTS = 3


# ---------------------------------------------------------------- kubectl get

def hosts_cell(rules: Sequence[Any]) -> str:
    """``formatHosts``: the first three hosts, then `` + N more...`` (N counts every further rule).

    Examples
    --------
    >>> from k8sedu.objects import IngressRule as R
    >>> hosts_cell([R("a.com"), R("b.com")]), hosts_cell([R()])
    ('a.com,b.com', '*')
    >>> hosts_cell([R("a"), R("b"), R("c"), R("d"), R()])
    'a,b,c + 2 more...'
    """
    listed: list[str] = []
    more = False
    for rule in rules:
        if len(listed) == MAX_HOSTS:
            more = True
        if not more and rule.host:
            listed.append(rule.host)
    if not listed:
        return "*"
    text = ",".join(listed)
    return f"{text} + {len(rules) - MAX_HOSTS} more..." if more else text


def address_cell(status: Any, wide: bool) -> str:
    """``ingressLoadBalancerStatusStringer``: IPs or hostnames, sorted and unique; cut to 16 without -o wide.

    Examples
    --------
    >>> from k8sedu.objects import IngressLoadBalancerStatus as S, IngressLoadBalancerIngress as I
    >>> address_cell(S(), wide=False)
    ''
    >>> address_cell(S((I(hostname="a1b2c3d4e5f6-123.us-east-1.elb.amazonaws.com"),)), wide=False)
    'a1b2c3d4e5f6-...'
    """
    found = sorted({i.ip or i.hostname for i in status.ingress if i.ip or i.hostname})
    text = ",".join(found)
    if not wide and len(text) > LOAD_BALANCER_WIDTH:
        text = text[:LOAD_BALANCER_WIDTH - 3] + "..."
    return text


def ports_cell(tls: Sequence[Any]) -> str:
    """``formatPorts``: ``80``, or ``80, 443`` when the Ingress has a TLS section."""
    return "80, 443" if tls else "80"


def ingress_row(ing: Any, opts: Options) -> list[str]:
    name = ing.spec.ingress_class_name
    return [ing.metadata.name, "<none>" if name is None else name, hosts_cell(ing.spec.rules),
            address_cell(ing.status.load_balancer, opts.wide), ports_cell(ing.spec.tls),
            age(ing.metadata.creation_timestamp, opts.now)]


def parameters_cell(params: Optional[Any]) -> str:
    if params is None:
        return "<none>"
    kind = f"{params.kind}.{params.api_group}" if params.api_group is not None else params.kind
    return f"{kind}/{params.name}"


def ingressclass_row(cls: Any, opts: Options) -> list[str]:
    return [cls.metadata.name, cls.spec.controller, parameters_cell(cls.spec.parameters),
            age(cls.metadata.creation_timestamp, opts.now)]


PRINTERS: Mapping[str, Printer] = {
    "Ingress": Printer(("NAME", "CLASS", "HOSTS", "ADDRESS", "PORTS", "AGE"), (), ingress_row),
    "IngressClass": Printer(("NAME", "CONTROLLER", "PARAMETERS", "AGE"), (), ingressclass_row),
}


# ---------------------------------------------------------------- kubectl describe

def service_backend_string(service: Any) -> str:
    """``serviceBackendStringer``: ``name:number`` or ``name:portname``."""
    return f"{service.name}:{service.port.number if service.port.number else service.port.name}"


def format_endpoint_slices(slices: Sequence[Any], port_name: str) -> str:
    """``formatEndpointSlices`` for one port name: ready endpoints as ``ip:port``, three, then `` + N more...``."""
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
            if len(listed) < 3:
                listed.append(text)
            count += 1
    return ",".join(listed) + (f" + {count - 3} more..." if count > 3 else "")


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
        slices = cluster.api.store.select("EndpointSlice", namespace, {"kubernetes.io/service-name": svc.metadata.name})
        return f"{text} ({format_endpoint_slices(slices, name)})"
    if backend.resource is not None:
        ref = backend.resource
        group = ref.api_group if ref.api_group is not None else "<none>"
        return f"APIGroup: {group}, Kind: {ref.kind}, Name: {ref.name}"
    return ""


def describe_ingress(cluster: "Model", ing: Any) -> list[str]:
    """The lines of ``describeIngressV1`` (tab-separated, for ``tabwrite``)."""
    from k8sedu.kubectl.describe import annotations_block, labels_block  # describe imports its describers lazily
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
    lines += ["Rules:", "  Host\tPath\tBackends", "  ----\t----\t--------"]
    described = [rule for rule in spec.rules if rule.http is not None]
    for rule in described:
        lines.append(f"  {rule.host or '*'}\t")
        lines += [f"    \t{p.path} \t{backend_string(cluster, ns, p.backend)}" for p in rule.http.paths]
    if not described:
        lines.append(f"  *\t*\t{default}")
    return lines + annotations_block(meta.annotations)


def describe_ingressclass(cluster: "Model", cls: Any) -> list[str]:
    """The lines of ``describeIngressClassV1``."""
    from k8sedu.kubectl.describe import annotations_block, labels_block
    lines = [f"Name:\t{cls.metadata.name}"] + labels_block("Labels", cls.metadata.labels)
    lines += annotations_block(cls.metadata.annotations) + [f"Controller:\t{cls.spec.controller}"]
    params = cls.spec.parameters
    if params is not None:
        lines.append("Parameters:")
        if params.api_group is not None:
            lines.append(f"  APIGroup:\t{params.api_group}")
        lines += [f"  Kind:\t{params.kind}", f"  Name:\t{params.name}"]
    return lines


DESCRIBERS = {"Ingress": describe_ingress, "IngressClass": describe_ingressclass}
