"""``kubectl describe`` for where and what runs: Pod, Deployment, ReplicaSet, Node, Namespace.

Mirrors kubectl ``pkg/describe/describe.go`` (``describePod``,
``describeContainers``, ``DescribePodTemplate``, ``describeDeployment``,
``describeReplicaSet``, ``describeNode``, ``describeNamespace``). A pod's
containers are listed with their state; a Deployment and a ReplicaSet show
their pod template the same way, without a state; a Deployment names its new
ReplicaSet (the one whose name carries the current ``pod-template-hash``) and
its old ones; a Node lists the pods it runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence

from k8sedu.apiserver.names import pod_template_hash
from k8sedu.kubectl.columns import selector_string
from k8sedu.kubectl.describe_lines import annotations_block, controlled_by, labels_block, meta_block, rfc1123z
from k8sedu.kubectl.duration import age
from k8sedu.kubectl.printers import node_roles
from k8sedu.kubelet import prober
from k8sedu.manifests.encode import container_status
from k8sedu.manifests.workloads import served_daemonset
from k8sedu.objects import hash_text, selector_matches

if TYPE_CHECKING:  # pragma: no cover
    from k8sedu.protocols import Model


# ---------------------------------------------------------------- pods

def _ports(container: Any) -> tuple[str, str]:
    """``describeContainerPorts`` and ``describeContainerHostPorts``: ``port/protocol`` joined by ", "."""
    ports = ", ".join(f"{p.container_port}/{p.protocol}" for p in container.ports)
    hosts = ", ".join(f"{p.host_port}/{p.protocol}" for p in container.ports)
    return ports, hosts


def _container_lines(c: Any, status: Any, pod: Any, template: bool) -> list[str]:
    """``describeContainers`` for one container (pod: with its status; template: without)."""
    indent = "    "
    lines = [f"  {c.name}:"]
    if status is not None and status.state != "waiting":
        lines.append(f"{indent}Container ID:\t{container_status(status, pod)['containerID']}")
    lines.append(f"{indent}Image:\t{c.image}")
    if status is not None:
        lines.append(f"{indent}Image ID:\t")
    ports, hosts = _ports(c)
    lines.append(f"{indent}{'Ports' if ',' in ports else 'Port'}:\t{ports or '<none>'}")
    lines.append(f"{indent}{'Host Ports' if ',' in hosts else 'Host Port'}:\t{hosts or '<none>'}")
    for title, words in (("Command", getattr(c, "command", ())), ("Args", getattr(c, "args", ()))):
        if words:
            lines += [f"{indent}{title}:"] + [f"{indent}  {w}" for w in words]
    if status is not None:
        lines += _state_lines(status, pod)
    for title, probe in (("Liveness", getattr(c, "liveness_probe", None)), ("Readiness", c.readiness_probe)):
        if probe is not None:
            lines.append(f"{indent}{title}:\t{prober.describe(probe)}")
    lines.append(f"{indent}Environment:\t<none>")
    lines.append(f"{indent}Mounts:\t<none>")
    return lines


def _terminated_lines(title: str, reason: str, code: int, started: Any, finished: Any) -> list[str]:
    indent = "    "
    lines = [f"{indent}{title}:\tTerminated"] + ([f"{indent}  Reason:\t{reason}"] if reason else [])
    return lines + [f"{indent}  Exit Code:\t{code}", f"{indent}  Started:\t{rfc1123z(started or 0)}",
                    f"{indent}  Finished:\t{rfc1123z(finished or 0)}"]


def _state_lines(status: Any, pod: Any) -> list[str]:
    """``describeContainerState``: State, Last State (once it restarted), Ready, Restart Count."""
    indent = "    "
    started = getattr(status, "started_at", None)
    if status.state == "running":
        when = started if started is not None else pod.status.start_time
        lines = [f"{indent}State:\tRunning", f"{indent}  Started:\t{rfc1123z(when or 0)}"]
    elif status.state == "terminated":
        lines = _terminated_lines("State", status.reason or "Completed", getattr(status, "exit_code", 0), started,
                                  getattr(status, "finished_at", None))
    else:
        lines = [f"{indent}State:\tWaiting"] + ([f"{indent}  Reason:\t{status.reason}"] if status.reason else [])
    last = getattr(status, "last_state", None)
    if last is not None:
        lines += _terminated_lines("Last State", last.reason, last.exit_code, last.started_at, last.finished_at)
    return lines + [f"{indent}Ready:\t{'True' if status.ready else 'False'}",
                    f"{indent}Restart Count:\t{status.restart_count}"]


def _tolerations(pod_spec: Any) -> list[str]:
    """``printTolerationsMultiline``: the stored tolerations (a pod's include DefaultTolerationSeconds'), by key."""
    shown = []
    for t in sorted(pod_spec.tolerations, key=lambda t: t.key):
        text = t.key + (f"={t.value}" if t.value else "") + (f":{t.effect}" if t.effect else "")
        if not t.value:
            text += " op=Exists" if t.key or t.effect else "op=Exists"
        if t.toleration_seconds is not None:
            text += f" for {t.toleration_seconds}s"
        shown.append(text)
    if not shown:
        return ["Tolerations:\t<none>"]
    return [f"Tolerations:\t{shown[0]}"] + [f"\t{t}" for t in shown[1:]]


def _node_selectors(pod_spec: Any) -> str:
    """``Node-Selectors:`` (``labels.FormatLabels``): ``k=v,...`` or ``<none>``."""
    return ",".join(f"{k}={v}" for k, v in sorted(pod_spec.node_selector.items())) or "<none>"


def describe_pod(cluster: "Model", pod: Any) -> list[str]:
    """The lines of ``describePod``."""
    meta, spec, status = pod.metadata, pod.spec, pod.status
    lines = [f"Name:\t{meta.name}", f"Namespace:\t{meta.namespace}", "Priority:\t0", "Service Account:\tdefault"]
    lines.append(f"Node:\t{spec.node_name}/{status.host_ip}" if spec.node_name else "Node:\t<none>")
    if status.start_time is not None:
        lines.append(f"Start Time:\t{rfc1123z(status.start_time)}")
    lines += meta_block(pod)
    if meta.deletion_timestamp is not None and status.phase not in ("Failed", "Succeeded"):
        lines.append(f"Status:\tTerminating (lasts {age(meta.deletion_timestamp, cluster.now)})")
        lines.append(f"Termination Grace Period:\t{meta.deletion_grace_period_seconds}s")
    else:
        lines.append(f"Status:\t{status.phase}")
    lines.append(f"IP:\t{status.pod_ip}")
    ips = status.pod_ips or ((status.pod_ip,) if status.pod_ip else ())
    lines += ["IPs:"] + [f"  IP:\t{ip}" for ip in ips] if ips else ["IPs:\t<none>"]
    lines += controlled_by(pod) + ["Containers:"]
    by_name = {s.name: s for s in status.container_statuses}
    for c in spec.containers:
        lines += _container_lines(c, by_name.get(c.name), pod, template=False)
    if status.conditions:
        lines += ["Conditions:", "  Type\tStatus"] + [f"  {c.type} \t{c.status} " for c in status.conditions]
    lines += ["Volumes:\t<none>", "QoS Class:\tBestEffort", f"Node-Selectors:\t{_node_selectors(spec)}"]
    lines += _tolerations(spec)
    return lines


# ---------------------------------------------------------------- deployments and replicasets

def template_lines(template: Any) -> list[str]:
    """``DescribePodTemplate``: what ``rollout history --revision=N`` prints, tabs unaligned."""
    return _template_lines(template)


def _template_lines(template: Any) -> list[str]:
    lines = ["Pod Template:"] + [f"  {line}" for line in labels_block("Labels", template.metadata.labels)]
    if template.metadata.annotations:
        lines += [f"  {line}" for line in annotations_block(template.metadata.annotations)]
    lines.append("  Containers:")
    for c in template.spec.containers:  # describeContainerBasicInfo: only the name line gets the extra space
        first, *rest = _container_lines(c, None, None, template=True)
        lines += [f" {first}"] + rest
    lines += ["  Volumes:\t<none>", f"  Node-Selectors:\t{_node_selectors(template.spec)}"]
    lines += [f"  {line}" for line in _tolerations(template.spec)]
    return lines


def describe_deployment(cluster: "Model", dep: Any) -> list[str]:
    """The lines of ``describeDeployment``."""
    meta, spec, status = dep.metadata, dep.spec, dep.status
    lines = [f"Name:\t{meta.name}", f"Namespace:\t{meta.namespace}",
             f"CreationTimestamp:\t{rfc1123z(meta.creation_timestamp or 0)}"] + meta_block(dep)
    unavailable = max(0, spec.replicas - status.available_replicas) if status.replicas else 0
    lines += [f"Selector:\t{selector_string(spec.selector.match_labels)}",
              f"Replicas:\t{spec.replicas} desired | {status.updated_replicas} updated | {status.replicas} total | "
              f"{status.available_replicas} available | {unavailable} unavailable",
              "StrategyType:\tRollingUpdate", "MinReadySeconds:\t0",
              "RollingUpdateStrategy:\t25% max unavailable, 25% max surge"]
    lines += _template_lines(spec.template)
    owned = cluster.api.store.owned_by("ReplicaSet", meta.namespace, meta.uid)
    current = f"{meta.name}-{pod_template_hash(hash_text(spec.template))}"
    new = [rs for rs in owned if rs.metadata.name == current]
    old = [rs for rs in owned if rs.metadata.name != current and rs.spec.replicas]
    if status.conditions:  # the Deployment controller's, in the order it wrote them
        lines += ["Conditions:", "  Type\tStatus\tReason", "  ----\t------\t------"]
        lines += [f"  {c.type} \t{c.status}\t{c.reason}" for c in status.conditions]
    lines.append(f"OldReplicaSets:\t{_rs_list(old)}")
    lines.append(f"NewReplicaSet:\t{_rs_list(new)}")
    return lines


def _rs_list(sets: Sequence[Any]) -> str:
    if not sets:
        return "<none>"
    return ", ".join(f"{rs.metadata.name} ({rs.status.replicas}/{rs.spec.replicas} replicas created)" for rs in sets)


def describe_replicaset(cluster: "Model", rs: Any) -> list[str]:
    """The lines of ``describeReplicaSet``."""
    meta, spec, status = rs.metadata, rs.spec, rs.status
    lines = [f"Name:\t{meta.name}", f"Namespace:\t{meta.namespace}",
             f"Selector:\t{selector_string(spec.selector.match_labels)}"] + meta_block(rs) + controlled_by(rs)
    pods = [p for p in cluster.api.list("Pod", meta.namespace) if selector_matches(spec.selector.match_labels,
                                                                                  p.metadata.labels)]
    running = sum(1 for p in pods if p.status.phase == "Running")
    waiting = sum(1 for p in pods if p.status.phase == "Pending")
    lines += [f"Replicas:\t{status.replicas} current / {spec.replicas} desired",
              f"Pods Status:\t{running} Running / {waiting} Waiting / 0 Succeeded / 0 Failed"]
    lines += _template_lines(spec.template)
    return lines


def describe_daemonset(cluster: "Model", ds: Any) -> list[str]:
    """The lines of ``describeDaemonSet`` (the "Number of Nodes" lines carry no tab, so they are not aligned)."""
    ds = served_daemonset(ds)
    meta, spec, status = ds.metadata, ds.spec, ds.status
    node_selector = ",".join(f"{k}={v}" for k, v in sorted(spec.template.spec.node_selector.items())) or "<none>"
    lines = [f"Name:\t{meta.name}", f"Namespace:\t{meta.namespace}",
             f"Selector:\t{selector_string(spec.selector.match_labels)}", f"Node-Selector:\t{node_selector}"]
    lines += meta_block(ds)
    lines += [f"Desired Number of Nodes Scheduled: {status.desired_number_scheduled}",
              f"Current Number of Nodes Scheduled: {status.current_number_scheduled}",
              f"Number of Nodes Scheduled with Up-to-date Pods: {status.updated_number_scheduled}",
              f"Number of Nodes Scheduled with Available Pods: {status.number_available}",
              f"Number of Nodes Misscheduled: {status.number_misscheduled}"]
    pods = cluster.api.store.owned_by("Pod", meta.namespace, meta.uid)
    count = lambda phase: sum(1 for p in pods if p.status.phase == phase)
    lines.append(f"Pods Status:\t{count('Running')} Running / {count('Pending')} Waiting / "
                 f"{count('Succeeded')} Succeeded / {count('Failed')} Failed")
    lines += _template_lines(spec.template)
    return lines


# ---------------------------------------------------------------- nodes

def describe_node(cluster: "Model", node: Any) -> list[str]:
    """The lines of ``describeNode``."""
    meta, spec, status = node.metadata, node.spec, node.status
    lines = [f"Name:\t{meta.name}", f"Roles:\t{node_roles(node)}"] + meta_block(node)
    lines.append(f"CreationTimestamp:\t{rfc1123z(meta.creation_timestamp or 0)}")
    taints = [f"{t.key}" + (f"={t.value}" if t.value else "") + f":{t.effect}" for t in spec.taints]
    lines += [f"Taints:\t{taints[0]}"] + [f"\t{t}" for t in taints[1:]] if taints else ["Taints:\t<none>"]
    lines.append(f"Unschedulable:\t{'true' if spec.unschedulable else 'false'}")
    # describe.go describeNode: heartbeat and transition times in RFC 1123Z, then what the kubelet (or,
    # once it went silent, the node lifecycle controller) wrote as reason and message
    lines += ["Conditions:", "  Type\tStatus\tLastHeartbeatTime\tLastTransitionTime\tReason\tMessage",
              "  ----\t------\t-----------------\t------------------\t------\t-------"]
    for c in status.conditions:
        beat = rfc1123z(c.last_heartbeat_time or meta.creation_timestamp or 0)
        moved = rfc1123z(c.last_transition_time or meta.creation_timestamp or 0)
        lines.append(f"  {c.type} \t{c.status} \t{beat} \t{moved} \t{c.reason} \t{c.message}")
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


# ---------------------------------------------------------------- namespaces

def describe_namespace(cluster: "Model", ns: Any) -> list[str]:
    """The lines of ``describeNamespace``."""
    lines = [f"Name:\t{ns.metadata.name}"] + meta_block(ns)
    lines += [f"Status:\t{'Terminating' if ns.metadata.deletion_timestamp is not None else 'Active'}", "",
              "No resource quota.", "", "No LimitRange resource."]
    return lines
