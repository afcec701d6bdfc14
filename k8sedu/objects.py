"""API objects: the plain data the Kubernetes API server stores.

Every object is a frozen dataclass whose fields carry the real API field names
(in snake_case: ``spec.clusterIP`` is ``spec.cluster_ip``), with the same
``metadata`` / ``spec`` / ``status`` split. Nothing here has behaviour beyond
small read-only helpers: controllers change objects with
``dataclasses.replace``, never by assigning fields, so an object read from the
store can be shared safely. Collections are tuples, and label maps are
read-only mappings (see ``frozen``).
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Iterator, Mapping, Optional, Union


class FrozenDict(Mapping):
    """A read-only, hashable mapping with sorted keys: labels, selectors, annotations."""

    __slots__ = ("_data", "_hash")

    def __init__(self, data: Optional[Mapping[str, str]] = None):
        self._data = {k: data[k] for k in sorted(data)} if data else {}
        self._hash = hash(tuple(self._data.items()))

    def __getitem__(self, key: str) -> str:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Mapping) and dict(self._data) == dict(other)

    def __repr__(self) -> str:
        return repr(self._data)


Labels = Mapping[str, str]

EMPTY: Labels = FrozenDict()


def frozen(mapping: Optional[Mapping[str, str]] = None) -> Labels:
    """Return a read-only copy of ``mapping`` with its keys sorted.

    Examples
    --------
    >>> frozen({"b": "2", "a": "1"})
    {'a': '1', 'b': '2'}
    """
    if isinstance(mapping, FrozenDict):
        return mapping
    return FrozenDict(mapping) if mapping else EMPTY


# ---------------------------------------------------------------- metadata

@dataclass(frozen=True)
class OwnerReference:
    """metadata.ownerReferences[]: who created this object and will clean it up."""

    api_version: str
    kind: str
    name: str
    uid: str
    controller: bool = True


@dataclass(frozen=True)
class ObjectMeta:
    """metadata: identity, labels and lifecycle timestamps (simulated seconds)."""

    name: str = ""
    namespace: str = ""
    generate_name: str = ""
    uid: str = ""
    resource_version: str = ""
    generation: int = 0
    creation_timestamp: Optional[float] = None
    deletion_timestamp: Optional[float] = None
    deletion_grace_period_seconds: Optional[int] = None
    labels: Labels = EMPTY
    annotations: Labels = EMPTY
    owner_references: tuple[OwnerReference, ...] = ()


@dataclass(frozen=True)
class LabelSelector:
    """A map-based label selector (``matchLabels``)."""

    match_labels: Labels = EMPTY

    def matches(self, labels: Labels) -> bool:
        """Return True if every ``key=value`` of the selector is in ``labels``."""
        return selector_matches(self.match_labels, labels)


def selector_matches(selector: Labels, labels: Labels) -> bool:
    """Return True if ``labels`` carry every pair of a non-empty ``selector``.

    An empty selector selects nothing here, as a Service without a selector
    gets no endpoints from the controllers.

    Examples
    --------
    >>> selector_matches({"app": "web"}, {"app": "web", "tier": "fe"})
    True
    >>> selector_matches({}, {"app": "web"})
    False
    """
    if not selector:
        return False
    return all(labels.get(k) == v for k, v in selector.items())


# ---------------------------------------------------------------- namespaces and nodes

@dataclass(frozen=True)
class Namespace:
    """A Namespace (v1)."""

    metadata: ObjectMeta
    api_version: str = "v1"
    kind: str = "Namespace"


@dataclass(frozen=True)
class Taint:
    """A node's taint, and (in ``PodSpec.tolerations``) a pod's toleration of one.

    As a toleration, an empty ``key`` is ``operator: Exists`` with no key: it
    tolerates every taint (DaemonSets such as kube-proxy and kindnet carry one);
    an empty ``effect`` matches every effect. ``toleration_seconds`` (NoExecute
    only): how long the pod stays on a node after the taint appears; None is forever.
    """

    key: str
    effect: str
    value: str = ""
    toleration_seconds: Optional[int] = None


@dataclass(frozen=True)
class NodeSpec:
    pod_cidr: str = ""
    pod_cidrs: tuple[str, ...] = ()
    taints: tuple[Taint, ...] = ()
    unschedulable: bool = False


@dataclass(frozen=True)
class NodeAddress:
    type: str  # "InternalIP", "ExternalIP" or "Hostname"
    address: str


@dataclass(frozen=True)
class NodeCondition:
    """status.conditions[]: what the kubelet reports (the node lifecycle controller overwrites it with
    ``Unknown`` when the kubelet goes silent). Times are simulated seconds."""

    type: str
    status: str
    reason: str = ""
    message: str = ""
    last_heartbeat_time: Optional[float] = None
    last_transition_time: Optional[float] = None


@dataclass(frozen=True)
class NodeSystemInfo:
    kubelet_version: str = "v1.32.2"
    os_image: str = "Debian GNU/Linux 12 (bookworm)"
    kernel_version: str = "6.8.0-1017-gcp"
    container_runtime_version: str = "containerd://2.0.2"


@dataclass(frozen=True)
class NodeStatus:
    addresses: tuple[NodeAddress, ...] = ()
    conditions: tuple[NodeCondition, ...] = ()
    node_info: NodeSystemInfo = NodeSystemInfo()


@dataclass(frozen=True)
class Node:
    """A Node (v1): a machine that runs a kubelet and a kube-proxy."""

    metadata: ObjectMeta
    spec: NodeSpec = NodeSpec()
    status: NodeStatus = NodeStatus()
    api_version: str = "v1"
    kind: str = "Node"

    def address(self, kind: str = "InternalIP") -> str:
        """Return the node's first address of type ``kind``, or ''."""
        return next((a.address for a in self.status.addresses if a.type == kind), "")

    @property
    def ready(self) -> bool:
        return any(c.type == "Ready" and c.status == "True" for c in self.status.conditions)


# ---------------------------------------------------------------- pods

@dataclass(frozen=True)
class ContainerPort:
    container_port: int
    name: str = ""
    protocol: str = "TCP"
    host_port: int = 0  # hostPort: the CNI portmap plugin forwards this port of the node to the pod


@dataclass(frozen=True)
class HTTPGetAction:
    port: Union[int, str]
    path: str = "/"


def hash_text(obj: Any) -> str:
    """The text of ``obj`` that the model hashes for ``pod-template-hash``: set fields only.

    A dataclass is written with the fields that differ from their defaults, so
    a field the model adds later (a probe, a command) does not rename the
    ReplicaSets of templates that leave it unset, much as the API's JSON leaves
    out empty fields.

    Examples
    --------
    >>> hash_text(Container("web", "nginx:1.27"))
    "Container(name='web', image='nginx:1.27')"
    """
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        shown = [f"{f.name}={hash_text(getattr(obj, f.name))}" for f in dataclasses.fields(obj)
                 if getattr(obj, f.name) != f.default]
        return f"{type(obj).__name__}({', '.join(shown)})"
    if isinstance(obj, tuple):
        return "(" + ", ".join(hash_text(item) for item in obj) + ")"
    if isinstance(obj, Mapping):
        return "{" + ", ".join(f"{k!r}: {hash_text(v)}" for k, v in sorted(obj.items())) + "}"
    return repr(obj)


@dataclass(frozen=True)
class TCPSocketAction:
    port: Union[int, str]


@dataclass(frozen=True)
class Probe:
    """A probe the kubelet runs against a container (core/v1 ``Probe``, with the API defaults).

    Readiness: the pod is Ready once ``success_threshold`` probes in a row pass, and
    not Ready after ``failure_threshold`` failures in a row. Liveness: the container
    is restarted after ``failure_threshold`` failures in a row.
    """

    http_get: Optional[HTTPGetAction] = None
    initial_delay_seconds: int = 0
    period_seconds: int = 10
    tcp_socket: Optional[TCPSocketAction] = None
    timeout_seconds: int = 1
    success_threshold: int = 1
    failure_threshold: int = 3


@dataclass(frozen=True)
class Container:
    name: str
    image: str
    ports: tuple[ContainerPort, ...] = ()
    readiness_probe: Optional[Probe] = None
    liveness_probe: Optional[Probe] = None
    command: tuple[str, ...] = ()  # replaces the image's ENTRYPOINT
    args: tuple[str, ...] = ()  # replaces the image's CMD


@dataclass(frozen=True)
class PodSpec:
    containers: tuple[Container, ...] = ()
    node_name: str = ""
    hostname: str = ""
    subdomain: str = ""
    dns_policy: str = "ClusterFirst"
    termination_grace_period_seconds: int = 30
    tolerations: tuple[Taint, ...] = ()
    host_network: bool = False  # the pod uses the node's network namespace: its IP is the node's
    node_selector: Labels = EMPTY
    affinity: Optional["Affinity"] = None
    restart_policy: str = "Always"  # Always | OnFailure | Never: what the kubelet does when a container exits


@dataclass(frozen=True)
class NodeSelectorRequirement:
    key: str  # for matchFields: "metadata.name"
    operator: str  # "In"
    values: tuple[str, ...] = ()


@dataclass(frozen=True)
class Affinity:
    """spec.affinity, in the one form the model uses: the node affinity the DaemonSet controller writes,
    ``nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchFields``."""

    node_match_fields: tuple[NodeSelectorRequirement, ...] = ()


@dataclass(frozen=True)
class PodCondition:
    """status.conditions[]: the kubelet's PodReadyToStartContainers, Initialized, Ready and ContainersReady, the
    scheduler's PodScheduled. ``last_transition_time`` moves only when ``status`` changes (``UpdatePodCondition``)."""

    type: str
    status: str  # "True" / "False"
    last_transition_time: Optional[float] = None
    reason: str = ""
    message: str = ""


@dataclass(frozen=True)
class ContainerStatus:
    name: str
    image: str
    ready: bool = False
    started: bool = False
    restart_count: int = 0
    state: str = "waiting"  # waiting | running | terminated
    reason: str = "ContainerCreating"
    message: str = ""  # the waiting state's message (back-off, pull error)
    started_at: Optional[float] = None  # running or terminated: when the container started
    finished_at: Optional[float] = None  # terminated: when it ended
    exit_code: int = 0  # terminated: its exit code
    last_state: Optional["ContainerStateTerminated"] = None  # the previous run, once it restarted


@dataclass(frozen=True)
class ContainerStateTerminated:
    """How a container's previous run ended (``lastState.terminated``)."""

    exit_code: int
    reason: str
    started_at: float
    finished_at: float


@dataclass(frozen=True)
class PodStatus:
    phase: str = "Pending"
    conditions: tuple[PodCondition, ...] = ()
    host_ip: str = ""
    pod_ip: str = ""
    pod_ips: tuple[str, ...] = ()
    start_time: Optional[float] = None
    container_statuses: tuple[ContainerStatus, ...] = ()


@dataclass(frozen=True)
class Pod:
    """A Pod (v1): one or more containers sharing an IP on one node."""

    metadata: ObjectMeta
    spec: PodSpec = PodSpec()
    status: PodStatus = PodStatus()
    api_version: str = "v1"
    kind: str = "Pod"

    @functools.cached_property  # a Pod never changes: its readiness is computed once
    def ready(self) -> bool:
        """True when the pod's Ready condition is True."""
        return any(c.type == "Ready" and c.status == "True" for c in self.status.conditions)

    @property
    def terminating(self) -> bool:
        return self.metadata.deletion_timestamp is not None


@dataclass(frozen=True)
class PodTemplateSpec:
    metadata: ObjectMeta = ObjectMeta()
    spec: PodSpec = PodSpec()


# ---------------------------------------------------------------- workloads

@dataclass(frozen=True)
class DeploymentSpec:
    selector: LabelSelector
    template: PodTemplateSpec
    replicas: int = 1


@dataclass(frozen=True)
class DeploymentCondition:
    """One of a Deployment's conditions (``Available``, ``Progressing``), with the controller's reason."""

    type: str
    status: str  # "True" / "False" / "Unknown"
    reason: str = ""
    message: str = ""
    last_update_time: float = 0.0
    last_transition_time: float = 0.0


@dataclass(frozen=True)
class DeploymentStatus:
    observed_generation: int = 0
    replicas: int = 0
    updated_replicas: int = 0
    ready_replicas: int = 0
    available_replicas: int = 0
    conditions: tuple[DeploymentCondition, ...] = ()


@dataclass(frozen=True)
class Deployment:
    """A Deployment (apps/v1): keeps one ReplicaSet per pod template."""

    metadata: ObjectMeta
    spec: DeploymentSpec
    status: DeploymentStatus = DeploymentStatus()
    api_version: str = "apps/v1"
    kind: str = "Deployment"


@dataclass(frozen=True)
class ReplicaSetSpec:
    selector: LabelSelector
    template: PodTemplateSpec
    replicas: int = 1


@dataclass(frozen=True)
class ReplicaSetStatus:
    observed_generation: int = 0
    replicas: int = 0
    fully_labeled_replicas: int = 0
    ready_replicas: int = 0
    available_replicas: int = 0


@dataclass(frozen=True)
class ReplicaSet:
    """A ReplicaSet (apps/v1): keeps ``replicas`` pods of one template alive."""

    metadata: ObjectMeta
    spec: ReplicaSetSpec
    status: ReplicaSetStatus = ReplicaSetStatus()
    api_version: str = "apps/v1"
    kind: str = "ReplicaSet"


@dataclass(frozen=True)
class DaemonSetSpec:
    selector: LabelSelector
    template: PodTemplateSpec


@dataclass(frozen=True)
class DaemonSetStatus:
    """The DaemonSet controller's counts (``kubectl get ds`` columns)."""

    current_number_scheduled: int = 0
    number_misscheduled: int = 0
    desired_number_scheduled: int = 0
    number_ready: int = 0
    observed_generation: int = 0
    updated_number_scheduled: int = 0
    number_available: int = 0


@dataclass(frozen=True)
class DaemonSet:
    """A DaemonSet (apps/v1): one pod of its template on every node that fits."""

    metadata: ObjectMeta
    spec: DaemonSetSpec
    status: DaemonSetStatus = DaemonSetStatus()
    api_version: str = "apps/v1"
    kind: str = "DaemonSet"


# ---------------------------------------------------------------- services

@dataclass(frozen=True)
class ServicePort:
    port: int
    target_port: Union[int, str] = 0
    name: str = ""
    protocol: str = "TCP"
    node_port: int = 0


@dataclass(frozen=True)
class ClientIPConfig:
    timeout_seconds: int = 10800


@dataclass(frozen=True)
class SessionAffinityConfig:
    client_ip: Optional[ClientIPConfig] = None


@dataclass(frozen=True)
class ServiceSpec:
    ports: tuple[ServicePort, ...] = ()
    selector: Labels = EMPTY
    type: str = "ClusterIP"
    cluster_ip: str = ""
    cluster_ips: tuple[str, ...] = ()
    session_affinity: str = "None"
    session_affinity_config: Optional[SessionAffinityConfig] = None
    external_name: str = ""
    external_ips: tuple[str, ...] = ()
    external_traffic_policy: str = ""
    internal_traffic_policy: str = "Cluster"
    health_check_node_port: int = 0
    load_balancer_ip: str = ""
    load_balancer_source_ranges: tuple[str, ...] = ()
    load_balancer_class: str = ""
    allocate_load_balancer_node_ports: Optional[bool] = None
    ip_families: tuple[str, ...] = ()
    ip_family_policy: str = ""
    publish_not_ready_addresses: bool = False


@dataclass(frozen=True)
class LoadBalancerIngress:
    ip: str = ""
    hostname: str = ""
    ip_mode: str = ""  # "VIP" for IP entries (LoadBalancerIPMode, beta in 1.30)


@dataclass(frozen=True)
class LoadBalancerStatus:
    ingress: tuple[LoadBalancerIngress, ...] = ()


@dataclass(frozen=True)
class ServiceStatus:
    load_balancer: LoadBalancerStatus = LoadBalancerStatus()


@dataclass(frozen=True)
class Service:
    """A Service (v1): a stable virtual IP and DNS name in front of pods."""

    metadata: ObjectMeta
    spec: ServiceSpec = ServiceSpec()
    status: ServiceStatus = ServiceStatus()
    api_version: str = "v1"
    kind: str = "Service"

    @property
    def headless(self) -> bool:
        return self.spec.cluster_ip == "None"


# ---------------------------------------------------------------- endpoints

@dataclass(frozen=True)
class ObjectReference:
    kind: str
    name: str
    namespace: str = ""
    uid: str = ""


@dataclass(frozen=True)
class EndpointConditions:
    """discovery.k8s.io/v1 endpoint conditions. None means "unknown"."""

    ready: Optional[bool] = None
    serving: Optional[bool] = None
    terminating: Optional[bool] = None


@dataclass(frozen=True)
class Endpoint:
    addresses: tuple[str, ...]
    conditions: EndpointConditions = EndpointConditions()
    hostname: str = ""
    target_ref: Optional[ObjectReference] = None
    node_name: str = ""
    zone: str = ""


@dataclass(frozen=True)
class EndpointPort:
    port: int
    name: str = ""
    protocol: str = "TCP"


@dataclass(frozen=True)
class EndpointSlice:
    """An EndpointSlice (discovery.k8s.io/v1): a slice of a Service's backends."""

    metadata: ObjectMeta
    address_type: str = "IPv4"
    endpoints: tuple[Endpoint, ...] = ()
    ports: tuple[EndpointPort, ...] = ()
    api_version: str = "discovery.k8s.io/v1"
    kind: str = "EndpointSlice"


@dataclass(frozen=True)
class EndpointAddress:
    ip: str
    hostname: str = ""
    node_name: str = ""
    target_ref: Optional[ObjectReference] = None


@dataclass(frozen=True)
class EndpointSubset:
    addresses: tuple[EndpointAddress, ...] = ()
    not_ready_addresses: tuple[EndpointAddress, ...] = ()
    ports: tuple[EndpointPort, ...] = ()


@dataclass(frozen=True)
class Endpoints:
    """The legacy Endpoints (v1) object, named like its Service."""

    metadata: ObjectMeta
    subsets: tuple[EndpointSubset, ...] = ()
    api_version: str = "v1"
    kind: str = "Endpoints"


# ---------------------------------------------------------------- ingress (networking.k8s.io/v1)

PATH_TYPES = ("Exact", "Prefix", "ImplementationSpecific")
IS_DEFAULT_CLASS_ANNOTATION = "ingressclass.kubernetes.io/is-default-class"
INGRESS_CLASS_ANNOTATION = "kubernetes.io/ingress.class"  # deprecated, still honoured by ingress-nginx


@dataclass(frozen=True)
class ServiceBackendPort:
    """spec.rules[].http.paths[].backend.service.port: a port ``number`` or a port ``name``."""

    name: str = ""
    number: int = 0

    def __str__(self) -> str:
        return str(self.number) if self.number else self.name


@dataclass(frozen=True)
class IngressServiceBackend:
    """A Service (in the Ingress's namespace) and one of its ports."""

    name: str
    port: ServiceBackendPort = ServiceBackendPort()


@dataclass(frozen=True)
class TypedLocalObjectReference:
    """A non-Service backend (``backend.resource``), e.g. a storage bucket CRD."""

    kind: str
    name: str
    api_group: Optional[str] = None


@dataclass(frozen=True)
class IngressBackend:
    """Where matching requests go: a ``service`` (the usual case) or a ``resource``."""

    service: Optional[IngressServiceBackend] = None
    resource: Optional[TypedLocalObjectReference] = None


@dataclass(frozen=True)
class HTTPIngressPath:
    """One path of a rule. ``path_type`` is required (``Exact``, ``Prefix``, ``ImplementationSpecific``);
    None means the manifest left it out, which validation rejects."""

    path: str = ""
    path_type: Optional[str] = None
    backend: IngressBackend = IngressBackend()


@dataclass(frozen=True)
class HTTPIngressRuleValue:
    paths: tuple[HTTPIngressPath, ...] = ()


@dataclass(frozen=True)
class IngressRule:
    """A rule: requests for ``host`` (empty: any host; ``*.foo.com``: one label) go by ``http.paths``."""

    host: str = ""
    http: Optional[HTTPIngressRuleValue] = None


@dataclass(frozen=True)
class IngressTLS:
    hosts: tuple[str, ...] = ()
    secret_name: str = ""


@dataclass(frozen=True)
class IngressSpec:
    """What the Ingress asks for. ``ingress_class_name`` None means "no class" (the admission
    controller may fill in the default class)."""

    ingress_class_name: Optional[str] = None
    default_backend: Optional[IngressBackend] = None
    tls: tuple[IngressTLS, ...] = ()
    rules: tuple[IngressRule, ...] = ()


@dataclass(frozen=True)
class IngressLoadBalancerIngress:
    ip: str = ""
    hostname: str = ""


@dataclass(frozen=True)
class IngressLoadBalancerStatus:
    ingress: tuple[IngressLoadBalancerIngress, ...] = ()


@dataclass(frozen=True)
class IngressStatus:
    """Written by the ingress controller, never by the user: the address it serves the Ingress on."""

    load_balancer: IngressLoadBalancerStatus = IngressLoadBalancerStatus()


@dataclass(frozen=True)
class Ingress:
    """An Ingress (networking.k8s.io/v1): HTTP routing rules, and nothing more.

    It is configuration stored in etcd. Only an ingress controller (such as
    ingress-nginx) that claims its class turns it into routing, and writes the
    address it serves it on into ``status.loadBalancer`` (ADDRESS).
    """

    metadata: ObjectMeta
    spec: IngressSpec = IngressSpec()
    status: IngressStatus = IngressStatus()
    api_version: str = "networking.k8s.io/v1"
    kind: str = "Ingress"


@dataclass(frozen=True)
class IngressClassParametersReference:
    kind: str
    name: str
    api_group: Optional[str] = None
    scope: Optional[str] = None
    namespace: Optional[str] = None


@dataclass(frozen=True)
class IngressClassSpec:
    """``controller`` names the controller that implements the class (``k8s.io/ingress-nginx``)."""

    controller: str = ""
    parameters: Optional[IngressClassParametersReference] = None


@dataclass(frozen=True)
class IngressClass:
    """An IngressClass (networking.k8s.io/v1, cluster-scoped): a class name -> its controller.

    The annotation ``ingressclass.kubernetes.io/is-default-class: "true"`` makes
    it the class that new class-less Ingresses get.
    """

    metadata: ObjectMeta
    spec: IngressClassSpec = IngressClassSpec()
    api_version: str = "networking.k8s.io/v1"
    kind: str = "IngressClass"

    @property
    def is_default(self) -> bool:
        return self.metadata.annotations.get(IS_DEFAULT_CLASS_ANNOTATION) == "true"


# ---------------------------------------------------------------- configuration

@dataclass(frozen=True)
class ConfigMap:
    """A ConfigMap (v1): configuration as key/value pairs, such as CoreDNS's ``Corefile`` in kube-system.

    ``data`` holds UTF-8 text; ``binary_data`` holds bytes, kept here as the
    base64 text a manifest carries. ``immutable: true`` forbids any later
    change of the data (and of the flag itself).
    """

    metadata: ObjectMeta
    data: Labels = EMPTY
    binary_data: Labels = EMPTY
    immutable: Optional[bool] = None
    api_version: str = "v1"
    kind: str = "ConfigMap"


# ---------------------------------------------------------------- resource names

@dataclass(frozen=True)
class Resource:
    """How the API names a kind: plural resource, group and short names."""

    kind: str
    plural: str
    group: str = ""
    namespaced: bool = True
    short_names: tuple[str, ...] = field(default=())

    @property
    def qualified(self) -> str:
        """``deployments.apps``: the name kubectl uses in messages."""
        return f"{self.plural}.{self.group}" if self.group else self.plural


RESOURCES: tuple[Resource, ...] = (
    Resource("Namespace", "namespaces", namespaced=False, short_names=("ns",)),
    Resource("Node", "nodes", namespaced=False, short_names=("no",)),
    Resource("Pod", "pods", short_names=("po",)),
    Resource("Service", "services", short_names=("svc",)),
    Resource("Endpoints", "endpoints", short_names=("ep",)),
    Resource("EndpointSlice", "endpointslices", group="discovery.k8s.io"),
    Resource("Deployment", "deployments", group="apps", short_names=("deploy",)),
    Resource("ReplicaSet", "replicasets", group="apps", short_names=("rs",)),
    Resource("DaemonSet", "daemonsets", group="apps", short_names=("ds",)),
    Resource("Ingress", "ingresses", group="networking.k8s.io", short_names=("ing",)),
    Resource("IngressClass", "ingressclasses", group="networking.k8s.io", namespaced=False),
    Resource("ConfigMap", "configmaps", short_names=("cm",)),
)

RESOURCE_BY_KIND: Mapping[str, Resource] = MappingProxyType({r.kind: r for r in RESOURCES})
