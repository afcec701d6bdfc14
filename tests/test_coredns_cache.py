"""CoreDNS's ``cache 30`` as kind 1.32 configures it, through the running cluster.

Source: kubeadm's Corefile since v1.32.0-beta.0 (CHANGELOG-1.32, PR #128359):
``cache 30 { disable success cluster.local; disable denial cluster.local }``.
So a Service name is never answered from the cache (a change shows at once),
while reverse (``in-addr.arpa``) answers are kept for up to 30 s: a PTR can be
stale after its Service goes (coredns v1.11.3 ``plugin/cache``, ``key``/``ttl``).
"""

from k8sedu import Cluster, coredns
from k8sedu.coredns.server import CACHE_CAPACITY, Cache
from tests.kubectl_results import out

TOOLS = """\
apiVersion: v1
kind: Pod
metadata: {name: tools}
spec:
  containers:
  - {name: tools, image: "registry.k8s.io/e2e-test-images/agnhost:2.53"}
"""


def _cluster():
    cluster = Cluster(seed=5)
    cluster.kubectl("create deployment web --image=nginx:1.27 --replicas=1 --port=80")
    cluster.kubectl("expose deployment web --port=80")
    cluster.apply(TOOLS)
    cluster.advance(30)
    return cluster


def test_a_cluster_ip_s_ptr_stays_cached_for_30_s_after_its_service_is_deleted():
    cluster = _cluster()
    ip = cluster.get("Service", "web").spec.cluster_ip
    assert out(cluster.core, f"exec tools -- dig -x {ip} +short") == "web.default.svc.cluster.local."
    cluster.kubectl("delete service web")
    cluster.advance(10)
    assert out(cluster.core, f"exec tools -- dig -x {ip} +short") == "web.default.svc.cluster.local."  # stale
    cluster.advance(25)
    assert out(cluster.core, f"exec tools -- dig -x {ip} +short") == ""


def test_a_service_name_is_never_served_from_the_cache():
    cluster = _cluster()
    first = cluster.resolve("web", from_pod="tools")
    assert first.rcode == "NOERROR"
    cluster.kubectl("delete service web")
    assert cluster.resolve("web", from_pod="tools").rcode == "NXDOMAIN"  # at once: cluster.local is not cached


def test_a_cache_holds_at_most_its_capacity():
    cache = Cache(disabled_zones=())
    answer = coredns.Response(rcode="NXDOMAIN")
    for i in range(CACHE_CAPACITY + 5):
        cache.put(f"host{i}.example.", "A", answer, now=0.0)
    assert len(cache.items) == CACHE_CAPACITY
    assert cache.get("host0.example.", "A", now=1.0) is None  # the oldest went first
    assert cache.get(f"host{CACHE_CAPACITY + 4}.example.", "A", now=1.0) is not None
