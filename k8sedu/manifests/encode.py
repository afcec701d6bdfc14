"""Objects to manifests: what ``kubectl get -o yaml`` shows, with the API's own field names.

The model's objects use snake_case (``spec.cluster_ip``); the API serves
camelCase (``spec.clusterIP``). Each ``_<kind>`` function below writes one
kind's fields in the order of the Go struct (``k8s.io/api``), leaving out empty
optional fields as ``omitempty`` does, and adds what a real API server fills in
when it stores an object and the model does not keep (a Deployment's
``strategy`` and ``revisionHistoryLimit``, a container's ``imagePullPolicy`` and
``terminationMessagePath``, ``dnsPolicy``, ``schedulerName``...). The result is a
manifest that validates against the Kubernetes schema and that a real cluster
accepts.

``served=False`` gives what kubectl itself generates before sending
(``kubectl create ... --dry-run=client -o yaml``): no server-side fields, no
defaults, ``creationTimestamp: null``.
"""

from __future__ import annotations

import datetime
import hashlib
from typing import Any, Callable, Mapping, Optional

from k8sedu.clock import EPOCH


def timestamp(seconds: Optional[float]) -> Optional[str]:
    """An RFC 3339 time (``2026-01-05T09:00:00Z``) for simulated ``seconds``; None stays None."""
    if seconds is None:
        return None
    moment = EPOCH + datetime.timedelta(seconds=int(seconds))
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _put(out: dict, key: str, value: Any) -> None:
    """Set ``key`` unless ``value`` is empty (Go's ``omitempty``)."""
    if value is None or value == "" or value == 0 and not isinstance(value, bool) or value is False:
        return
    if isinstance(value, (list, tuple, dict)) and not value:
        return
    out[key] = value


def _map(labels: Mapping[str, str]) -> dict[str, str]:
    return {k: labels[k] for k in labels}


# ---------------------------------------------------------------- metadata

# The registries that set metadata.generation (the others leave it out).
GENERATION_KINDS = ("Deployment", "ReplicaSet", "EndpointSlice", "Ingress", "IngressClass")


def metadata(meta: Any, served: bool = True, kind: str = "") -> dict:
    out: dict[str, Any] = {}
    _put(out, "name", meta.name)
    _put(out, "generateName", meta.generate_name)
    _put(out, "namespace", meta.namespace)
    if served:
        _put(out, "uid", meta.uid)
        _put(out, "resourceVersion", meta.resource_version)
        if kind in GENERATION_KINDS:
            _put(out, "generation", meta.generation)
    out["creationTimestamp"] = timestamp(meta.creation_timestamp) if served else None
    _put(out, "deletionTimestamp", timestamp(meta.deletion_timestamp))
    _put(out, "deletionGracePeriodSeconds", meta.deletion_grace_period_seconds)
    _put(out, "labels", _map(meta.labels))
    _put(out, "annotations", _map(meta.annotations))
    _put(out, "ownerReferences", [{"apiVersion": r.api_version, "kind": r.kind, "name": r.name, "uid": r.uid,
                                   "controller": r.controller, "blockOwnerDeletion": True}
                                  for r in meta.owner_references])
    return out


def _template_metadata(meta: Any) -> dict:
    out: dict[str, Any] = {"creationTimestamp": None}
    _put(out, "labels", _map(meta.labels))
    _put(out, "annotations", _map(meta.annotations))
    return out


# ---------------------------------------------------------------- pods

def pull_policy(image: str) -> str:
    """The API server's default ``imagePullPolicy``: Always for ``:latest`` or no tag, else IfNotPresent."""
    name = image.rsplit("/", 1)[-1]
    if "@" in name:
        return "IfNotPresent"
    tag = name.partition(":")[2]
    return "Always" if tag in ("", "latest") else "IfNotPresent"


def container(c: Any, served: bool) -> dict:
    out: dict[str, Any] = {"name": c.name, "image": c.image}
    ports = []
    for p in c.ports:
        port: dict[str, Any] = {}
        _put(port, "name", p.name)
        port["containerPort"] = p.container_port
        if served or p.protocol != "TCP":
            _put(port, "protocol", p.protocol or "TCP")
        ports.append(port)
    _put(out, "ports", ports)
    out["resources"] = {}
    if c.readiness_probe is not None:
        out["readinessProbe"] = probe(c.readiness_probe, served)
    if served:
        out["terminationMessagePath"] = "/dev/termination-log"
        out["terminationMessagePolicy"] = "File"
        out["imagePullPolicy"] = pull_policy(c.image)
    return out


def probe(p: Any, served: bool) -> dict:
    out: dict[str, Any] = {}
    if p.http_get is not None:
        action: dict[str, Any] = {"path": p.http_get.path, "port": p.http_get.port}
        if served:
            action["scheme"] = "HTTP"
        out["httpGet"] = action
    _put(out, "initialDelaySeconds", p.initial_delay_seconds)
    if served:
        out.update({"timeoutSeconds": 1, "periodSeconds": p.period_seconds, "successThreshold": 1,
                    "failureThreshold": 3})
    elif p.period_seconds != 10:
        out["periodSeconds"] = p.period_seconds
    return out


def _toleration(t: Any) -> dict:
    out: dict[str, Any] = {"key": t.key}
    if t.value:
        out.update({"operator": "Equal", "value": t.value})
    else:
        out["operator"] = "Exists"
    _put(out, "effect", t.effect)
    return out


def pod_spec(spec: Any, served: bool, is_pod: bool = False) -> dict:
    out: dict[str, Any] = {"containers": [container(c, served) for c in spec.containers]}
    if served:
        out["restartPolicy"] = "Always"
        out["terminationGracePeriodSeconds"] = spec.termination_grace_period_seconds
        out["dnsPolicy"] = spec.dns_policy or "ClusterFirst"
        if is_pod:
            out["serviceAccountName"] = "default"
            out["serviceAccount"] = "default"
    elif spec.termination_grace_period_seconds != 30:
        out["terminationGracePeriodSeconds"] = spec.termination_grace_period_seconds
    if not served and spec.dns_policy != "ClusterFirst":
        out["dnsPolicy"] = spec.dns_policy
    _put(out, "nodeName", spec.node_name)
    if served:
        out["securityContext"] = {}
    _put(out, "hostname", spec.hostname)
    _put(out, "subdomain", spec.subdomain)
    if served:
        out["schedulerName"] = "default-scheduler"
    _put(out, "tolerations", [_toleration(t) for t in spec.tolerations])
    if served and is_pod:
        out["priority"] = 0
        out["enableServiceLinks"] = True
        out["preemptionPolicy"] = "PreemptLowerPriority"
    return out


def _container_status(s: Any, pod: Any) -> dict:
    out: dict[str, Any] = {"name": s.name}
    if s.state == "running":
        state = {"running": {"startedAt": timestamp(pod.status.start_time)}}
    elif s.state == "terminated":
        state = {"terminated": {"exitCode": 0, "reason": s.reason or "Completed",
                                "startedAt": timestamp(pod.status.start_time),
                                "finishedAt": timestamp(pod.status.start_time)}}
    else:
        state = {"waiting": {"reason": s.reason}} if s.reason else {"waiting": {}}
    out["state"] = state
    out["lastState"] = {}
    out["ready"] = s.ready
    out["restartCount"] = s.restart_count
    out["image"] = s.image if ":" in s.image.rsplit("/", 1)[-1] else f"docker.io/library/{s.image}:latest"
    out["imageID"] = ""
    if s.state != "waiting":
        digest = hashlib.sha256(f"{pod.metadata.uid}/{s.name}".encode()).hexdigest()
        out["containerID"] = f"containerd://{digest}"
    out["started"] = s.started
    return out


def pod(p: Any, served: bool = True) -> dict:
    out = {"apiVersion": "v1", "kind": "Pod", "metadata": metadata(p.metadata, served, p.kind),
           "spec": pod_spec(p.spec, served, is_pod=True)}
    status: dict[str, Any] = {}
    s = p.status
    if served:
        status["phase"] = s.phase
        _put(status, "conditions", [{"type": c.type, "status": c.status, "lastProbeTime": None,
                                     "lastTransitionTime": timestamp(s.start_time or p.metadata.creation_timestamp)}
                                    for c in s.conditions])
        _put(status, "hostIP", s.host_ip)
        _put(status, "hostIPs", [{"ip": s.host_ip}] if s.host_ip else [])
        _put(status, "podIP", s.pod_ip)
        _put(status, "podIPs", [{"ip": ip} for ip in (s.pod_ips or ((s.pod_ip,) if s.pod_ip else ()))])
        _put(status, "startTime", timestamp(s.start_time))
        _put(status, "containerStatuses", [_container_status(c, p) for c in s.container_statuses])
        status["qosClass"] = "BestEffort"
    out["status"] = status
    return out


# ---------------------------------------------------------------- workloads

def _selector(sel: Any) -> dict:
    return {"matchLabels": _map(sel.match_labels)}


def deployment(d: Any, served: bool = True) -> dict:
    spec: dict[str, Any] = {"replicas": d.spec.replicas, "selector": _selector(d.spec.selector),
                            "template": {"metadata": _template_metadata(d.spec.template.metadata),
                                         "spec": pod_spec(d.spec.template.spec, served)}}
    if served:
        spec["strategy"] = {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}}
        spec["revisionHistoryLimit"] = 10
        spec["progressDeadlineSeconds"] = 600
    else:
        spec["strategy"] = {}
    status: dict[str, Any] = {}
    for key, value in (("observedGeneration", d.status.observed_generation), ("replicas", d.status.replicas),
                       ("updatedReplicas", d.status.updated_replicas), ("readyReplicas", d.status.ready_replicas),
                       ("availableReplicas", d.status.available_replicas)):
        _put(status, key, value)
    if served and d.spec.replicas != d.status.available_replicas:
        _put(status, "unavailableReplicas", max(0, d.spec.replicas - d.status.available_replicas))
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": metadata(d.metadata, served, d.kind), "spec": spec,
            "status": status}


def replicaset(rs: Any, served: bool = True) -> dict:
    spec = {"replicas": rs.spec.replicas, "selector": _selector(rs.spec.selector),
            "template": {"metadata": _template_metadata(rs.spec.template.metadata),
                         "spec": pod_spec(rs.spec.template.spec, served)}}
    status: dict[str, Any] = {"replicas": rs.status.replicas}
    for key, value in (("fullyLabeledReplicas", rs.status.fully_labeled_replicas),
                       ("readyReplicas", rs.status.ready_replicas),
                       ("availableReplicas", rs.status.available_replicas),
                       ("observedGeneration", rs.status.observed_generation)):
        _put(status, key, value)
    return {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": metadata(rs.metadata, served, rs.kind), "spec": spec,
            "status": status}


# ---------------------------------------------------------------- services and endpoints

def service_port(p: Any, served: bool) -> dict:
    out: dict[str, Any] = {}
    _put(out, "name", p.name)
    _put(out, "protocol", p.protocol)
    out["port"] = p.port
    if p.target_port not in (0, "") or served:
        out["targetPort"] = p.target_port if p.target_port not in (0, "") else p.port
    _put(out, "nodePort", p.node_port)
    return out


def service(s: Any, served: bool = True) -> dict:
    spec: dict[str, Any] = {}
    sp = s.spec
    _put(spec, "ports", [service_port(p, served) for p in sp.ports])
    _put(spec, "selector", _map(sp.selector))
    _put(spec, "clusterIP", sp.cluster_ip)
    _put(spec, "clusterIPs", list(sp.cluster_ips))
    _put(spec, "type", sp.type)
    _put(spec, "externalIPs", list(sp.external_ips))
    if served or sp.session_affinity != "None":
        _put(spec, "sessionAffinity", sp.session_affinity)
    _put(spec, "loadBalancerIP", sp.load_balancer_ip)
    _put(spec, "loadBalancerSourceRanges", list(sp.load_balancer_source_ranges))
    _put(spec, "externalName", sp.external_name)
    _put(spec, "externalTrafficPolicy", sp.external_traffic_policy)
    _put(spec, "healthCheckNodePort", sp.health_check_node_port)
    _put(spec, "publishNotReadyAddresses", sp.publish_not_ready_addresses)
    if sp.session_affinity_config is not None and sp.session_affinity_config.client_ip is not None:
        spec["sessionAffinityConfig"] = {"clientIP": {
            "timeoutSeconds": sp.session_affinity_config.client_ip.timeout_seconds}}
    _put(spec, "ipFamilies", list(sp.ip_families))
    _put(spec, "ipFamilyPolicy", sp.ip_family_policy)
    if sp.allocate_load_balancer_node_ports is not None:
        spec["allocateLoadBalancerNodePorts"] = sp.allocate_load_balancer_node_ports
    _put(spec, "loadBalancerClass", sp.load_balancer_class)
    if served or sp.internal_traffic_policy != "Cluster":
        _put(spec, "internalTrafficPolicy", sp.internal_traffic_policy)
    ingress = []
    for i in s.status.load_balancer.ingress:
        entry: dict[str, Any] = {}
        _put(entry, "ip", i.ip)
        _put(entry, "hostname", i.hostname)
        _put(entry, "ipMode", i.ip_mode)
        ingress.append(entry)
    lb: dict[str, Any] = {}
    _put(lb, "ingress", ingress)
    return {"apiVersion": "v1", "kind": "Service", "metadata": metadata(s.metadata, served, s.kind), "spec": spec,
            "status": {"loadBalancer": lb}}


def _target_ref(ref: Any) -> Optional[dict]:
    if ref is None:
        return None
    out: dict[str, Any] = {"kind": ref.kind}
    _put(out, "namespace", ref.namespace)
    out["name"] = ref.name
    _put(out, "uid", ref.uid)
    return out


def _address(a: Any) -> dict:
    out: dict[str, Any] = {"ip": a.ip}
    _put(out, "hostname", a.hostname)
    _put(out, "nodeName", a.node_name)
    _put(out, "targetRef", _target_ref(a.target_ref))
    return out


def _endpoint_port(p: Any) -> dict:
    out: dict[str, Any] = {}
    _put(out, "name", p.name)
    out["port"] = p.port
    out["protocol"] = p.protocol
    return out


def endpoints(e: Any, served: bool = True) -> dict:
    subsets = []
    for s in e.subsets:
        subset: dict[str, Any] = {}
        _put(subset, "addresses", [_address(a) for a in s.addresses])
        _put(subset, "notReadyAddresses", [_address(a) for a in s.not_ready_addresses])
        _put(subset, "ports", [_endpoint_port(p) for p in s.ports])
        subsets.append(subset)
    out = {"apiVersion": "v1", "kind": "Endpoints", "metadata": metadata(e.metadata, served, e.kind)}
    _put(out, "subsets", subsets)
    return out


def endpointslice(s: Any, served: bool = True) -> dict:
    eps = []
    for e in s.endpoints:
        ep: dict[str, Any] = {"addresses": list(e.addresses)}
        conditions: dict[str, Any] = {}
        for key, value in (("ready", e.conditions.ready), ("serving", e.conditions.serving),
                           ("terminating", e.conditions.terminating)):
            if value is not None:
                conditions[key] = value
        ep["conditions"] = conditions
        _put(ep, "hostname", e.hostname)
        _put(ep, "targetRef", _target_ref(e.target_ref))
        _put(ep, "nodeName", e.node_name)
        _put(ep, "zone", e.zone)
        eps.append(ep)
    ports = [{"name": p.name, "protocol": p.protocol, "port": p.port} for p in s.ports]
    return {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice", "metadata": metadata(s.metadata, served, s.kind),
            "addressType": s.address_type, "endpoints": eps or None, "ports": ports or None}


# ---------------------------------------------------------------- nodes and namespaces

def namespace(n: Any, served: bool = True) -> dict:
    out = {"apiVersion": "v1", "kind": "Namespace", "metadata": metadata(n.metadata, served, n.kind), "spec": {},
           "status": {}}
    if served:
        out["spec"] = {"finalizers": ["kubernetes"]}
        out["status"] = {"phase": "Terminating" if n.metadata.deletion_timestamp is not None else "Active"}
    return out


def _node_ids(node: Any) -> dict[str, str]:
    digest = hashlib.sha256(node.metadata.uid.encode() or node.metadata.name.encode()).hexdigest()
    uuid = f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}"
    return {"machineID": digest[32:64], "systemUUID": uuid, "bootID": uuid[::-1].replace("-", "")[:8] + uuid[8:]}


def node(n: Any, served: bool = True) -> dict:
    spec: dict[str, Any] = {}
    _put(spec, "podCIDR", n.spec.pod_cidr)
    _put(spec, "podCIDRs", list(n.spec.pod_cidrs))
    _put(spec, "providerID", f"kind://docker/kind/{n.metadata.name}" if served else "")
    _put(spec, "taints", [{k: v for k, v in (("key", t.key), ("value", t.value), ("effect", t.effect)) if v}
                          for t in n.spec.taints])
    _put(spec, "unschedulable", n.spec.unschedulable)
    info = n.status.node_info
    ids = _node_ids(n)
    node_info = {"machineID": ids["machineID"], "systemUUID": ids["systemUUID"], "bootID": ids["bootID"],
                 "kernelVersion": info.kernel_version, "osImage": info.os_image,
                 "containerRuntimeVersion": info.container_runtime_version, "kubeletVersion": info.kubelet_version,
                 "kubeProxyVersion": info.kubelet_version, "operatingSystem": "linux", "architecture": "amd64"}
    status: dict[str, Any] = {}
    _put(status, "conditions", [{"type": c.type, "status": c.status} for c in n.status.conditions])
    _put(status, "addresses", [{"type": a.type, "address": a.address} for a in n.status.addresses])
    status["nodeInfo"] = node_info
    return {"apiVersion": "v1", "kind": "Node", "metadata": metadata(n.metadata, served, n.kind), "spec": spec,
            "status": status}


ENCODERS: dict[str, Callable[..., dict]] = {
    "Namespace": namespace, "Node": node, "Pod": pod, "Service": service, "Endpoints": endpoints,
    "EndpointSlice": endpointslice, "Deployment": deployment, "ReplicaSet": replicaset,
}


def encode(obj: Any, served: bool = True) -> dict:
    """Return ``obj`` as a manifest dict, in Go struct field order.

    Examples
    --------
    >>> from k8sedu.objects import Namespace, ObjectMeta
    >>> encode(Namespace(ObjectMeta(name="shop")), served=False)
    {'apiVersion': 'v1', 'kind': 'Namespace', 'metadata': {'name': 'shop', 'creationTimestamp': None}, 'spec': {}, 'status': {}}
    """
    encoder = ENCODERS.get(obj.kind)
    if encoder is None:
        raise KeyError(f"k8sedu cannot write a {obj.kind} as a manifest yet")
    return encoder(obj, served)


# Ingress and IngressClass (networking.k8s.io/v1) have their own module, which builds on ``metadata`` above.
from k8sedu.manifests import ingress  # noqa: E402

ENCODERS.update(ingress.ENCODERS)
