"""Services as manifests (core/v1 ``Service``).

Writing follows ``ServiceSpec``'s Go field order. The API server's
allocations and defaults show when served: ``clusterIP``/``clusterIPs``, a
port's ``nodePort``, ``targetPort`` equal to ``port`` when left out,
``sessionAffinity: None``, ``internalTrafficPolicy: Cluster``,
``ipFamilies``; ``status.loadBalancer`` holds what a load balancer
controller wrote. kubectl's own manifest (``served=False``) leaves out the
defaults it did not choose. Reading keeps every field the model's Service
has, so the API server can validate and default it as a real one does
(``apiserver.services``).

Examples
--------
>>> doc = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
...        "spec": {"type": "NodePort", "selector": {"app": "web"}, "ports": [{"port": 80, "nodePort": 30080}]}}
>>> web = decode_service(doc, "default")
>>> web.spec.type, web.spec.ports[0].node_port
('NodePort', 30080)
>>> encode_service(web, served=False)["spec"]
{'ports': [{'port': 80, 'nodePort': 30080}], 'selector': {'app': 'web'}, 'type': 'NodePort'}
"""

from __future__ import annotations

from typing import Any, Optional

from k8sedu.manifests.meta import decode_metadata, envelope, integer, items, labels, port_value, put, string_map
from k8sedu.objects import ClientIPConfig, Service, ServicePort, ServiceSpec, ServiceStatus, SessionAffinityConfig


# ---------------------------------------------------------------- writing

def _port(p: ServicePort, served: bool) -> dict:
    out: dict[str, Any] = {}
    put(out, "name", p.name)
    put(out, "protocol", p.protocol)
    out["port"] = p.port
    if p.target_port not in (0, "") or served:
        out["targetPort"] = p.target_port if p.target_port not in (0, "") else p.port
    put(out, "nodePort", p.node_port)
    return out


def _spec(sp: ServiceSpec, served: bool) -> dict:
    spec: dict[str, Any] = {}
    put(spec, "ports", [_port(p, served) for p in sp.ports])
    put(spec, "selector", string_map(sp.selector))
    put(spec, "clusterIP", sp.cluster_ip)
    put(spec, "clusterIPs", list(sp.cluster_ips))
    put(spec, "type", sp.type)
    put(spec, "externalIPs", list(sp.external_ips))
    if served or sp.session_affinity != "None":
        put(spec, "sessionAffinity", sp.session_affinity)
    put(spec, "loadBalancerIP", sp.load_balancer_ip)
    put(spec, "loadBalancerSourceRanges", list(sp.load_balancer_source_ranges))
    put(spec, "externalName", sp.external_name)
    put(spec, "externalTrafficPolicy", sp.external_traffic_policy)
    put(spec, "healthCheckNodePort", sp.health_check_node_port)
    put(spec, "publishNotReadyAddresses", sp.publish_not_ready_addresses)
    if sp.session_affinity_config is not None and sp.session_affinity_config.client_ip is not None:
        spec["sessionAffinityConfig"] = {"clientIP": {
            "timeoutSeconds": sp.session_affinity_config.client_ip.timeout_seconds}}
    put(spec, "ipFamilies", list(sp.ip_families))
    put(spec, "ipFamilyPolicy", sp.ip_family_policy)
    if sp.allocate_load_balancer_node_ports is not None:
        spec["allocateLoadBalancerNodePorts"] = sp.allocate_load_balancer_node_ports
    put(spec, "loadBalancerClass", sp.load_balancer_class)
    if served or sp.internal_traffic_policy != "Cluster":
        put(spec, "internalTrafficPolicy", sp.internal_traffic_policy)
    return spec


def _status(status: ServiceStatus) -> dict:
    ingress = []
    for i in status.load_balancer.ingress:
        entry: dict[str, Any] = {}
        put(entry, "ip", i.ip)
        put(entry, "hostname", i.hostname)
        put(entry, "ipMode", i.ip_mode)
        ingress.append(entry)
    lb: dict[str, Any] = {}
    put(lb, "ingress", ingress)
    return {"loadBalancer": lb}


def encode_service(s: Service, served: bool = True) -> dict:
    """Return ``s`` as ``kubectl get service -o yaml`` shows it (``served``) or as kubectl generates it."""
    return {**envelope(s, served), "spec": _spec(s.spec, served), "status": _status(s.status)}


# ---------------------------------------------------------------- reading

def _read_port(p: dict) -> ServicePort:
    return ServicePort(port=integer(p.get("port")), target_port=port_value(p.get("targetPort")),
                       name=p.get("name") or "", protocol=p.get("protocol") or "", node_port=integer(p.get("nodePort")))


def _read_affinity_config(s: dict) -> Optional[SessionAffinityConfig]:
    client_ip = (s.get("sessionAffinityConfig") or {}).get("clientIP")
    if client_ip is None:
        return None
    return SessionAffinityConfig(ClientIPConfig(integer(client_ip.get("timeoutSeconds"), 10800)))


def decode_service_spec(s: Optional[dict]) -> ServiceSpec:
    """Return the ServiceSpec a manifest's ``spec`` declares (empty fields left for the API server to default)."""
    s = s or {}
    cluster_ip = s.get("clusterIP") or ""
    cluster_ips = tuple(s.get("clusterIPs") or ((cluster_ip,) if cluster_ip else ()))
    return ServiceSpec(
        ports=tuple(_read_port(p) for p in items(s.get("ports"))), selector=labels(s.get("selector")),
        type=s.get("type") or "", cluster_ip=cluster_ip or (cluster_ips[0] if cluster_ips else ""),
        cluster_ips=cluster_ips, session_affinity=s.get("sessionAffinity") or "",
        session_affinity_config=_read_affinity_config(s), external_name=s.get("externalName") or "",
        external_ips=tuple(s.get("externalIPs") or ()), external_traffic_policy=s.get("externalTrafficPolicy") or "",
        internal_traffic_policy=s.get("internalTrafficPolicy") or "",
        health_check_node_port=integer(s.get("healthCheckNodePort")), load_balancer_ip=s.get("loadBalancerIP") or "",
        load_balancer_source_ranges=tuple(s.get("loadBalancerSourceRanges") or ()),
        load_balancer_class=s.get("loadBalancerClass") or "",
        allocate_load_balancer_node_ports=s.get("allocateLoadBalancerNodePorts"),
        ip_families=tuple(s.get("ipFamilies") or ()), ip_family_policy=s.get("ipFamilyPolicy") or "",
        publish_not_ready_addresses=bool(s.get("publishNotReadyAddresses")))


def decode_service(doc: dict, namespace: str) -> Service:
    """Return the Service ``doc`` declares (``namespace`` fills a missing one)."""
    return Service(decode_metadata(doc.get("metadata"), namespace), decode_service_spec(doc.get("spec")))
