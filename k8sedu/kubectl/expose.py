"""``kubectl expose``: put a Service in front of a workload (kubectl ``pkg/cmd/expose/expose.go``).

``kubectl expose deployment web --port=80 --target-port=8080`` reads the
Deployment and copies what a Service needs from it:

- the **selector** is the Deployment's ``spec.selector.matchLabels`` (for a pod,
  its labels; for a Service, its selector), so the Service picks the same pods;
- the **labels** are the Deployment's own labels;
- without ``--port`` the **ports** are the pod template's container ports: one
  port stays unnamed, several are named ``port-1``, ``port-2``...;
- ``targetPort`` is the port itself unless ``--target-port`` says otherwise.

The Service then goes to the API server, which allocates a ClusterIP; the
EndpointSlice controller finds the pods.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Union

from k8sedu.apiserver.errors import StatusError
from k8sedu.errors import KubectlError, from_status
from k8sedu.kubectl import resources
from k8sedu.kubectl.command import PRINT_FORMATS, Command, dry_run, dry_run_flag, namespace_of, output_format, success
from k8sedu.kubectl.flags import Parsed, atoi, string, usage_error
from k8sedu.kubectl.streams import IOStreams
from k8sedu.objects import ObjectMeta, Service, ServicePort, ServiceSpec, frozen

if TYPE_CHECKING:  # pragma: no cover
    from k8sedu.protocols import Model

PATH = "kubectl expose"
EXPOSABLE = ("Pod", "Service", "Deployment", "ReplicaSet")


def selector_for(obj: Any) -> dict[str, str]:
    """The map-based selector of ``obj`` (polymorphichelpers ``MapBasedSelectorForObject``)."""
    if obj.kind == "Pod":
        if not obj.metadata.labels:
            raise usage_error("couldn't retrieve selectors via --selector flag or introspection: "
                              "the pod has no labels and cannot be exposed", PATH)
        return dict(obj.metadata.labels)
    if obj.kind == "Service":
        if not obj.spec.selector:
            raise usage_error("couldn't retrieve selectors via --selector flag or introspection: "
                              "the service has no pod selector set", PATH)
        return dict(obj.spec.selector)
    labels = obj.spec.selector.match_labels
    if not labels:
        raise usage_error("couldn't retrieve selectors via --selector flag or introspection: "
                          f"invalid {obj.kind.lower()}: no selectors, therefore cannot be exposed", PATH)
    return dict(labels)


def ports_for(obj: Any) -> list[tuple[int, str]]:
    """(port, protocol) pairs to expose (``PortsForObject`` / ``ProtocolsForObject``)."""
    if obj.kind == "Service":
        return [(p.port, p.protocol) for p in obj.spec.ports]
    spec = obj.spec if obj.kind == "Pod" else obj.spec.template.spec
    return [(p.container_port, p.protocol or "TCP") for c in spec.containers for p in c.ports]


def parse_labels(text: str) -> dict[str, str]:
    """``generate.ParseLabels``: ``k=v,k2=v2``."""
    labels = {}
    for pair in text.split(","):
        key, eq, value = pair.partition("=")
        if not eq or not key:
            raise KubectlError(f"error: invalid label spec: {pair}")
        labels[key] = value
    return labels


def _go_atoi(text: str) -> Union[int, str]:
    """A number if Go's ``strconv.Atoi`` reads one (an optional sign, then digits), else the text.

    >>> _go_atoi("-1"), _go_atoi("+80"), _go_atoi("http")
    (-1, 80, 'http')
    """
    digits = text[1:] if text[:1] in "+-" else text
    if digits.isascii() and digits.isdigit() and len(digits) <= 19:
        return int(text)
    return text


def build_service(obj: Any, p: Parsed, namespace: str) -> Service:
    """Generate the Service for ``obj`` from the flags (the ``service/v2`` generator)."""
    selector = parse_labels(p["selector"]) if p["selector"] else selector_for(obj)
    headless = p["cluster-ip"] == "None"
    protocols = {port: protocol for port, protocol in ports_for(obj)}  # ProtocolsForObject: by port number
    if p["port"]:
        port = atoi(p["port"])
        exposed = [(port, protocols.get(port, "TCP"))]
    else:
        exposed = ports_for(obj)
        if not exposed and not headless:
            raise usage_error("couldn't find port via --port flag or introspection", PATH)
    target: Union[int, str, None] = None
    if p["target-port"]:
        target = _go_atoi(p["target-port"])  # strconv.Atoi: "-1" and "+80" are numbers, the rest a port name
    ports = []
    for i, (port, protocol) in enumerate(exposed):
        name = f"port-{i + 1}" if len(exposed) > 1 else ""
        ports.append(ServicePort(port=port, target_port=target if target is not None else port, name=name,
                                 protocol=p["protocol"] or protocol))
    affinity = p["session-affinity"]
    if affinity and affinity not in ("None", "ClientIP"):
        raise KubectlError(f"error: unknown session affinity: {affinity}")
    labels = parse_labels(p["labels"]) if p["labels"] else dict(obj.metadata.labels)
    name = p["name"] or obj.metadata.name[:63]
    spec = ServiceSpec(ports=tuple(ports), selector=frozen(selector), type=p["type"] or "ClusterIP",
                       cluster_ip=p["cluster-ip"], session_affinity=affinity or "None")
    return Service(ObjectMeta(name=name, namespace=namespace, labels=frozen(labels)), spec)


def run_expose(cluster: "Model", p: Parsed, out: IOStreams) -> None:
    output_format(p, PRINT_FORMATS, ("", "name"))
    is_dry_run = dry_run(p)
    try:
        target = resources.build(p.args)
    except KubectlError as err:  # the builder's errors come with expose's usage hint
        raise usage_error(str(err).removeprefix("error: "), PATH) from None
    namespace = namespace_of(p)
    found, errors = resources.fetch(cluster.api, target, namespace)
    if errors:
        raise KubectlError("\n".join(errors))
    for res, _ in found:
        if res.kind not in EXPOSABLE:
            raise KubectlError(f"error: cannot expose a {res.kind}" + (f".{res.group}" if res.group else ""))
    services = [build_service(obj, p, namespace) for _, obj in found]  # everything checked before any write
    failed = []
    for svc in services:
        try:
            if not is_dry_run:
                cluster.api.create(svc)
        except StatusError as err:  # the server refused this one; the others still go (ContinueOnError)
            failed.append(str(from_status(err)))
            continue
        out.print(success("service", svc.metadata.name, "exposed", p, is_dry_run))
    if failed:
        out.error("\n".join(failed))


EXPOSE = Command(
    path=PATH,
    short="Take a replication controller, service, deployment or pod and expose it as a new Kubernetes service.",
    use="kubectl expose (-f FILENAME | TYPE NAME) [--port=port] [--protocol=TCP|UDP|SCTP] "
        "[--target-port=number-or-name] [--name=name] [--external-ip=external-ip-of-service] [--type=type] [options]",
    flags=(
        string("port"), string("target-port"), string("name"), string("type"), string("protocol"),
        string("selector"), string("labels", "l"), string("cluster-ip"), string("session-affinity"),
        string("output", "o"), dry_run_flag(),
        string("external-ip", modelled=False), string("load-balancer-ip", modelled=False),
        string("container-port", modelled=False), string("overrides", modelled=False),
        string("filename", "f", modelled=False), string("field-manager", modelled=False),
    ),
    run=run_expose,
)
