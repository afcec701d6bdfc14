"""kind's Corefile (kube-system/coredns), and which of its plugins the model follows.

kind's node image runs ``kubeadm init``, which writes the ``coredns``
ConfigMap from its template (k/k ``cmd/kubeadm/app/phases/addons/dns/manifests.go``,
``CoreDNSConfigMap``). For Kubernetes 1.32 that template has the ``cache``
block with ``disable success`` / ``disable denial`` for the cluster domain
(CHANGELOG-1.32, v1.32.0-beta.0: "Kubeadm: added "disable success" and
"disable denial" as parameters of the "cache" plugin", PR #128359); kubeadm
1.31 and older wrote a plain ``cache 30``.

``PLUGINS`` says, plugin by plugin, what the model does with it; ``plugin_notes()``
prints that as a table a notebook can show. The model answers as this
Corefile says and does not re-read the ConfigMap: an edited Corefile shows in
``kubectl get cm coredns -o yaml`` but changes nothing (a real cluster's
``reload`` plugin would pick it up within about 30 s).
"""

from __future__ import annotations

from k8sedu.coredns.records import ZONE
from k8sedu.objects import ConfigMap, ObjectMeta, frozen


def corefile(zone: str = ZONE) -> str:
    """The Corefile kubeadm 1.32 writes for ``zone`` (byte for byte, as the ConfigMap's ``Corefile`` key).

    >>> print(corefile().splitlines()[6])
        kubernetes cluster.local in-addr.arpa ip6.arpa {
    """
    return (".:53 {\n"
            "    errors\n"
            "    health {\n"
            "       lameduck 5s\n"
            "    }\n"
            "    ready\n"
            f"    kubernetes {zone} in-addr.arpa ip6.arpa {{\n"
            "       pods insecure\n"
            "       fallthrough in-addr.arpa ip6.arpa\n"
            "       ttl 30\n"
            "    }\n"
            "    prometheus :9153\n"
            "    forward . /etc/resolv.conf {\n"
            "       max_concurrent 1000\n"
            "    }\n"
            "    cache 30 {\n"
            f"       disable success {zone}\n"
            f"       disable denial {zone}\n"
            "    }\n"
            "    loop\n"
            "    reload\n"
            "    loadbalance\n"
            "}\n")


# plugin -> (followed or shown, what the model does)
PLUGINS: tuple[tuple[str, str, str], ...] = (
    ("errors", "shown", "errors are logged by the real server; the model has no log"),
    ("health", "shown", ":8080/health answers 200 to the liveness probe (the image catalogue); no lameduck wait"),
    ("ready", "shown", ":8181/ready answers 200 to the readiness probe as soon as the pod runs"),
    ("kubernetes", "followed", "Services, endpoints, pods insecure, PTR for in-addr.arpa, fallthrough of reverse "
                               "names to forward, ttl 30 (k8sedu.coredns.kubernetes, as CoreDNS 1.11.3)"),
    ("prometheus", "shown", "no metrics are collected"),
    ("forward", "followed", "names outside the cluster go to the node's resolver: the model's UPSTREAM table "
                            "(example.com, www.example.com); max_concurrent is not modelled"),
    ("cache", "followed", "per CoreDNS pod, keyed by name and type, kept for min(TTL, 30 s); cluster.local answers "
                          "are never cached (disable success/denial), so upstream and PTR answers can be 30 s stale"),
    ("loop", "shown", "there is no forwarding loop to detect"),
    ("reload", "shown", "the model does not re-read the ConfigMap: editing the Corefile changes nothing"),
    ("loadbalance", "followed", "A/AAAA records of every answer in a random order from the cluster's seed"),
)


def plugin_notes() -> str:
    """A table of the Corefile's plugins and what the model does with each.

    >>> print(plugin_notes().splitlines()[0])
    PLUGIN       MODEL      WHAT IT MEANS HERE
    """
    lines = [f"{'PLUGIN':<12} {'MODEL':<10} WHAT IT MEANS HERE"]
    lines += [f"{name:<12} {how:<10} {what}" for name, how, what in PLUGINS]
    return "\n".join(lines)


def configmap(zone: str = ZONE) -> ConfigMap:
    """kube-system/coredns as kubeadm creates it: the Corefile under the key ``Corefile``, nothing else."""
    return ConfigMap(ObjectMeta(name="coredns", namespace="kube-system"), data=frozen({"Corefile": corefile(zone)}))
