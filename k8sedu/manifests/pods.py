"""Pods as manifests (core/v1 ``Pod``, and the ``PodSpec`` that Deployment and ReplicaSet templates hold).

Writing, the API server adds what it defaults when it stores a pod and the
model does not keep: a container's ``imagePullPolicy`` (``Always`` for
``:latest`` or no tag) and ``terminationMessagePath``, a probe's
``timeoutSeconds``/``successThreshold``/``failureThreshold``, the pod's
``restartPolicy``, ``dnsPolicy``, ``schedulerName``, ``serviceAccountName``,
``priority``... and the kubelet's status (phase, conditions, IPs, one status
per container with a ``containerd://`` ID). kubectl's own manifests
(``served=False``) carry none of that. Reading keeps what the model's
networking uses (containers, ports with their ``hostPort``, the probes, node
name, hostname/subdomain, DNS policy, grace period, tolerations) and drops the
rest. A served pod's tolerations are the stored ones, DefaultTolerationSeconds'
two included (``apiserver.admission``).

Examples
--------
>>> doc = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web"},
...        "spec": {"containers": [{"name": "nginx", "image": "nginx:1.27", "ports": [{"containerPort": 80}]}]}}
>>> pod = decode_pod(doc, "default")
>>> pod.spec.containers[0].ports[0].container_port, pod.metadata.namespace
(80, 'default')
>>> encode_pod(pod, served=False)["spec"]["containers"]
[{'name': 'nginx', 'image': 'nginx:1.27', 'ports': [{'containerPort': 80}], 'resources': {}}]
"""

from __future__ import annotations

import hashlib
from typing import Any, Optional

from k8sedu.manifests.meta import decode_metadata, envelope, integer, items, port_value, put, timestamp
from k8sedu.objects import Affinity, NodeSelectorRequirement, frozen
from k8sedu.objects import Container, ContainerPort, ContainerStatus, HTTPGetAction, Pod, PodSpec, Probe, Taint
from k8sedu.objects import TCPSocketAction


# ---------------------------------------------------------------- writing

def pull_policy(image: str) -> str:
    """Return the API server's default ``imagePullPolicy``: Always for ``:latest`` or no tag, else IfNotPresent.

    >>> pull_policy("nginx"), pull_policy("nginx:1.27"), pull_policy("nginx@sha256:ab")
    ('Always', 'IfNotPresent', 'IfNotPresent')
    """
    name = image.rsplit("/", 1)[-1]
    if "@" in name:
        return "IfNotPresent"
    tag = name.partition(":")[2]
    return "Always" if tag in ("", "latest") else "IfNotPresent"


def _container(c: Container, served: bool) -> dict:
    out: dict[str, Any] = {"name": c.name, "image": c.image}
    put(out, "command", list(c.command))
    put(out, "args", list(c.args))
    ports = []
    for p in c.ports:
        port: dict[str, Any] = {}
        put(port, "name", p.name)
        put(port, "hostPort", p.host_port)  # Go struct order: name, hostPort, containerPort, protocol
        port["containerPort"] = p.container_port
        if served or p.protocol != "TCP":
            put(port, "protocol", p.protocol or "TCP")
        ports.append(port)
    put(out, "ports", ports)
    out["resources"] = {}
    if c.liveness_probe is not None:
        out["livenessProbe"] = _probe(c.liveness_probe, served)
    if c.readiness_probe is not None:
        out["readinessProbe"] = _probe(c.readiness_probe, served)
    if served:
        out["terminationMessagePath"] = "/dev/termination-log"
        out["terminationMessagePolicy"] = "File"
        out["imagePullPolicy"] = pull_policy(c.image)
    return out


def _probe(p: Probe, served: bool) -> dict:
    out: dict[str, Any] = {}
    if p.http_get is not None:
        action: dict[str, Any] = {"path": p.http_get.path, "port": p.http_get.port}
        if served:
            action["scheme"] = "HTTP"
        out["httpGet"] = action
    if p.tcp_socket is not None:
        out["tcpSocket"] = {"port": p.tcp_socket.port}
    put(out, "initialDelaySeconds", p.initial_delay_seconds)
    if served:
        out.update({"timeoutSeconds": p.timeout_seconds, "periodSeconds": p.period_seconds,
                    "successThreshold": p.success_threshold, "failureThreshold": p.failure_threshold})
    elif p.period_seconds != 10:
        out["periodSeconds"] = p.period_seconds
    return out


def _toleration(t: Taint) -> dict:
    out: dict[str, Any] = {}
    put(out, "key", t.key)  # no key: "operator: Exists" alone tolerates every taint
    if t.value:
        out.update({"operator": "Equal", "value": t.value})
    else:
        out["operator"] = "Exists"
    put(out, "effect", t.effect)
    if t.toleration_seconds is not None:
        out["tolerationSeconds"] = t.toleration_seconds
    return out


def _affinity(a) -> dict:
    """The node affinity the DaemonSet controller pins a daemon pod with (``matchFields`` on ``metadata.name``)."""
    fields = [{"key": r.key, "operator": r.operator, "values": list(r.values)} for r in a.node_match_fields]
    return {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
        "nodeSelectorTerms": [{"matchFields": fields}]}}}


def encode_pod_spec(spec: PodSpec, served: bool, is_pod: bool = False) -> dict:
    """Return ``spec`` in Go struct order; ``is_pod`` adds the fields the API defaults on a Pod, not a template."""
    out: dict[str, Any] = {"containers": [_container(c, served) for c in spec.containers]}
    if served:
        out["restartPolicy"] = spec.restart_policy or "Always"
        out["terminationGracePeriodSeconds"] = spec.termination_grace_period_seconds
        out["dnsPolicy"] = spec.dns_policy or "ClusterFirst"
        if is_pod:
            out["serviceAccountName"] = "default"
            out["serviceAccount"] = "default"
    elif spec.termination_grace_period_seconds != 30:
        out["terminationGracePeriodSeconds"] = spec.termination_grace_period_seconds
    if not served and spec.dns_policy != "ClusterFirst":
        out["dnsPolicy"] = spec.dns_policy
    put(out, "nodeName", spec.node_name)
    if served:
        out["securityContext"] = {}
    put(out, "hostname", spec.hostname)
    put(out, "subdomain", spec.subdomain)
    if served:
        out["schedulerName"] = "default-scheduler"
    put(out, "tolerations", [_toleration(t) for t in spec.tolerations])
    put(out, "hostNetwork", spec.host_network)
    put(out, "nodeSelector", dict(spec.node_selector))
    if spec.affinity is not None:
        out["affinity"] = _affinity(spec.affinity)
    if served and is_pod:
        out["priority"] = 0
        out["enableServiceLinks"] = True
        out["preemptionPolicy"] = "PreemptLowerPriority"
    return out


def _terminated(code: int, reason: str, started: Optional[float], finished: Optional[float]) -> dict:
    """core/v1 ``ContainerStateTerminated``, in Go field order."""
    return {"terminated": {"exitCode": code, "reason": reason, "startedAt": timestamp(started),
                           "finishedAt": timestamp(finished)}}


def _container_state(s: ContainerStatus, pod: Pod) -> dict:
    started = s.started_at if s.started_at is not None else pod.status.start_time
    if s.state == "running":
        return {"running": {"startedAt": timestamp(started)}}
    if s.state == "terminated":
        return _terminated(s.exit_code, s.reason or "Completed", started,
                           s.finished_at if s.finished_at is not None else started)
    waiting: dict[str, Any] = {}
    put(waiting, "reason", s.reason)
    put(waiting, "message", s.message)
    return {"waiting": waiting}


def _last_state(s: ContainerStatus) -> dict:
    last = s.last_state
    return {} if last is None else _terminated(last.exit_code, last.reason, last.started_at, last.finished_at)


def container_status(s: ContainerStatus, pod: Pod) -> dict:
    """Return one ``status.containerStatuses`` entry as the kubelet reports it (``kubectl describe`` reads it too)."""
    out: dict[str, Any] = {"name": s.name, "state": _container_state(s, pod), "lastState": _last_state(s),
                           "ready": s.ready, "restartCount": s.restart_count}
    out["image"] = s.image if ":" in s.image.rsplit("/", 1)[-1] else f"docker.io/library/{s.image}:latest"
    out["imageID"] = ""
    if s.state != "waiting":
        digest = hashlib.sha256(f"{pod.metadata.uid}/{s.name}".encode()).hexdigest()
        out["containerID"] = f"containerd://{digest}"
    out["started"] = s.started
    return out


def _condition(c, fallback: float) -> dict:
    out = {"type": c.type, "status": c.status, "lastProbeTime": None,
           "lastTransitionTime": timestamp(c.last_transition_time if c.last_transition_time is not None else fallback)}
    put(out, "reason", c.reason)
    put(out, "message", c.message)
    return out


def _pod_status(p: Pod) -> dict:
    status: dict[str, Any] = {}
    s = p.status
    status["phase"] = s.phase
    put(status, "conditions", [_condition(c, s.start_time or p.metadata.creation_timestamp) for c in s.conditions])
    put(status, "hostIP", s.host_ip)
    put(status, "hostIPs", [{"ip": s.host_ip}] if s.host_ip else [])
    put(status, "podIP", s.pod_ip)
    put(status, "podIPs", [{"ip": ip} for ip in (s.pod_ips or ((s.pod_ip,) if s.pod_ip else ()))])
    put(status, "startTime", timestamp(s.start_time))
    put(status, "containerStatuses", [container_status(c, p) for c in s.container_statuses])
    status["qosClass"] = "BestEffort"
    return status


def encode_pod(p: Pod, served: bool = True) -> dict:
    """Return ``p`` as ``kubectl get pod -o yaml`` shows it (``served``) or as kubectl generates it."""
    return {**envelope(p, served), "spec": encode_pod_spec(p.spec, served, is_pod=True),
            "status": _pod_status(p) if served else {}}


# ---------------------------------------------------------------- reading

def _read_probe(p: Optional[dict]) -> Optional[Probe]:
    if not p or not (p.get("httpGet") or p.get("tcpSocket")):
        return None
    get, tcp = p.get("httpGet"), p.get("tcpSocket")
    return Probe(HTTPGetAction(port_value(get.get("port")), get.get("path") or "/") if get else None,
                 integer(p.get("initialDelaySeconds")), integer(p.get("periodSeconds"), 10),
                 tcp_socket=TCPSocketAction(port_value(tcp.get("port"))) if tcp else None,
                 timeout_seconds=integer(p.get("timeoutSeconds"), 1),
                 success_threshold=integer(p.get("successThreshold"), 1),
                 failure_threshold=integer(p.get("failureThreshold"), 3))


def _read_container(c: dict) -> Container:
    ports = tuple(ContainerPort(integer(p.get("containerPort")), p.get("name") or "", p.get("protocol") or "TCP",
                                host_port=integer(p.get("hostPort")))
                  for p in items(c.get("ports")))
    return Container(c.get("name") or "", c.get("image") or "", ports, _read_probe(c.get("readinessProbe")),
                     liveness_probe=_read_probe(c.get("livenessProbe")),
                     command=tuple(str(w) for w in items(c.get("command"))),
                     args=tuple(str(w) for w in items(c.get("args"))))


def _read_affinity(a: Optional[dict]) -> Optional[Affinity]:
    """Read back the one affinity the model has: node ``matchFields`` (what pins a daemon pod to its node)."""
    required = ((a or {}).get("nodeAffinity") or {}).get("requiredDuringSchedulingIgnoredDuringExecution") or {}
    fields = tuple(NodeSelectorRequirement(f.get("key") or "", f.get("operator") or "", tuple(f.get("values") or ()))
                   for term in items(required.get("nodeSelectorTerms")) for f in items(term.get("matchFields")))
    return Affinity(fields) if fields else None


def _read_toleration(t: dict) -> Taint:
    seconds = t.get("tolerationSeconds")
    return Taint(t.get("key") or "", t.get("effect") or "", t.get("value") or "",
                 int(seconds) if isinstance(seconds, int) else None)


def decode_pod_spec(s: Optional[dict]) -> PodSpec:
    """Return the PodSpec a manifest's ``spec`` (or a template's) declares."""
    s = s or {}
    return PodSpec(containers=tuple(_read_container(c) for c in items(s.get("containers"))),
                   node_name=s.get("nodeName") or "", hostname=s.get("hostname") or "",
                   subdomain=s.get("subdomain") or "", dns_policy=s.get("dnsPolicy") or "ClusterFirst",
                   termination_grace_period_seconds=integer(s.get("terminationGracePeriodSeconds"), 30),
                   tolerations=tuple(_read_toleration(t) for t in items(s.get("tolerations"))),
                   host_network=bool(s.get("hostNetwork")), affinity=_read_affinity(s.get("affinity")),
                   node_selector=frozen({str(k): str(v) for k, v in (s.get("nodeSelector") or {}).items()}),
                   restart_policy=s.get("restartPolicy") or "Always")


def decode_pod(doc: dict, namespace: str) -> Pod:
    """Return the Pod ``doc`` declares (``namespace`` fills a missing one)."""
    return Pod(decode_metadata(doc.get("metadata"), namespace), decode_pod_spec(doc.get("spec")))
