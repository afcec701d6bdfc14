"""CoreDNS 1.11.3 as kind's Kubernetes 1.32 runs it, and a pod's resolver: how a name becomes an IP.

The steps, so a notebook can show each one:

1. ``search_candidates(name, resolv)`` (``resolver``): the pod's stub
   resolver turns a name into the fully qualified names to try, from the
   ``search`` list and ``options ndots:5`` the kubelet wrote.
2. ``parse_query(qname, zone)`` (``parse``): CoreDNS's kubernetes plugin
   parses a query name into a ``RecordRequest``, like its ``parse.go``.
3. ``resolve(qname, store, qtype=...)`` (``kubernetes``): the plugin answers
   from the Services and EndpointSlices in the API, falling through to
   upstream (``forward``) for names outside the cluster; PTR answers come
   from ``reverse``.
4. ``query(store, qname, qtype, server=..., now=..., rng=..., caches=...)``
   (``server``): one CoreDNS pod runs the whole plugin chain:
   ``loadbalance`` -> ``cache`` -> ``kubernetes`` -> ``forward``.

``lookup`` runs 1 and 4 for every candidate until one has an address (glibc's
walk) and records every query with its outcome (NOERROR, NODATA, NXDOMAIN).

The Corefile the model follows is kind's (``corefile()``, the ``coredns``
ConfigMap in kube-system). ``plugin_notes()`` says which plugins the model
follows (kubernetes, forward, cache, loadbalance) and which it only shows
(errors, health, ready, prometheus, loop, reload). In short: the ``cache``
never holds cluster.local answers (kubeadm 1.32 disables it there), so
Services appear and disappear in DNS at once; upstream and PTR answers can
be up to 30 s stale in the CoreDNS pod that cached them (``query`` keeps
them in the ``Caches`` it is given); ``loadbalance`` shuffles the A records
of every answer.
"""

from k8sedu.coredns.corefile import PLUGINS, configmap, corefile, plugin_notes
from k8sedu.coredns.kubernetes import DNS_SCHEMA_VERSION, REVERSE_ZONES, ready_endpoints, resolve
from k8sedu.coredns.parse import RecordRequest, parse_query
from k8sedu.coredns.records import NODATA, NXDOMAIN, TTL, ZONE, Record, Response, fqdn, in_zone
from k8sedu.coredns.resolver import DnsAnswer, ResolvConf, lookup, resolv_conf_for, search_candidates
from k8sedu.coredns.reverse import address_from_reverse, ptr_records, reverse_name
from k8sedu.coredns.server import Cache, Caches, load_balance, query, round_robin_shuffle
from k8sedu.coredns.upstream import UPSTREAM, forward

__all__ = [
    "ZONE", "TTL", "UPSTREAM", "DNS_SCHEMA_VERSION", "REVERSE_ZONES", "PLUGINS",
    "Record", "Response", "NXDOMAIN", "NODATA", "fqdn", "in_zone",
    "RecordRequest", "parse_query", "resolve", "ready_endpoints", "forward",
    "reverse_name", "address_from_reverse", "ptr_records",
    "Cache", "Caches", "query", "load_balance", "round_robin_shuffle",
    "ResolvConf", "resolv_conf_for", "search_candidates", "DnsAnswer", "lookup",
    "corefile", "configmap", "plugin_notes",
]
