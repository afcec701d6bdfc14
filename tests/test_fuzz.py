"""Fuzzing: whatever a learner types, the answer is kubectl's, never a Python traceback.

Hypothesis feeds random and malformed command lines (built from kubectl's own
words, flags and values, and plain noise) and random manifests (valid ones
with fields added, dropped or given values of the wrong type, and YAML
noise). For every input:

- ``kubectl.run`` returns a ``Result``; when it fails, its stderr reads like
  kubectl's (``error: ...``, ``Error from server ...``, ``The Service "x" is
  invalid ...``, a tool's own error inside ``kubectl exec``);
- no exception escapes;
- a refused command changes nothing: when a command fails without printing
  anything on stdout, the store's resourceVersion and the simulated clock are
  what they were (a command that did part of its work, like an ``apply`` that
  applied some objects before failing on others, prints what it did);
- through the Python API (``cluster.apply``), a failure is a ``KubectlError``.
"""

from __future__ import annotations

import copy

import yaml
from hypothesis import HealthCheck, given, settings, strategies as st

from k8sedu import Cluster, KubectlError
from k8sedu.kubectl import Result, run
from k8sedu.manifests import ApplyError

PREFIXES = ("error:", "Error from server", "Error: ", "The ", "unknown", "You must specify", "Server:", ";;", "curl:",
            "wget:", "cat:", "command terminated", "Warning:")
GROUP_HELP = ("Create a service using a specified subcommand.", "Manage the rollout of one or many resources.")

VERBS = ["get", "describe", "create", "apply", "delete", "expose", "scale", "label", "patch", "rollout", "exec",
         "explain", "version", "cluster-info", "help", "logs", "gett", "", "kubectl"]
WORDS = ["pods", "po", "svc", "services", "deploy", "deployment", "rs", "ep", "endpointslices", "no", "nodes", "ns",
         "events", "all", "ingress", "foo", "web", "web-1", "kube-dns", "kubernetes", "default", "deployment/web",
         "svc/web", "pod/x", "service", "clusterip", "nodeport", "loadbalancer", "externalname", "namespace",
         "restart", "status", "undo", "--", "nslookup", "dig", "+short", "curl", "-s", "wget", "-qO-", "cat",
         "/etc/resolv.conf", "http://web/", "app=web", "app-", "tier=fe", "svc.spec.type", "pod.spec", "-", "'",
         '"', "{}", "a=b=c", "/", ",", "web,db", "-type=SRV", "_http._tcp.web", "ing", "ingressclass",
         "ingress/web", "ingresses.networking.k8s.io", "/etc/nginx/nginx.conf"]
FLAGS = ["-n", "-A", "-l", "-o", "--output", "--image", "--replicas", "--port", "--target-port", "--type", "--tcp",
         "--node-port", "--external-name", "--clusterip", "-f", "-p", "--overwrite", "--dry-run", "--all", "-h",
         "--help", "--selector", "--show-labels", "--no-headers", "--wait", "--grace-period", "--force", "--now",
         "--client", "--name", "--recursive", "--watch", "--foo", "-x", "-it", "--ignore-not-found", "--rule",
         "--class", "--default-backend", "--annotation"]
VALUES = ["kube-system", "default", "nope", "wide", "yaml", "json", "name", "jsonpath", "nginx", "nginx:1.27", "3",
          "-1", "0", "two", "80", "80:8080", "http", "NodePort", "ClusterIP", "LoadBalancer", "Bogus", "--node-port=30080", "--node-port=29999",
          "client", "server", "example.com", "Bad_Name", "None", "'{\"spec\":{\"type\":\"NodePort\"}}'",
          "'{\"spec\":{\"replicas\":2}}'", "'{bad'", "app=web", "app in (web,db)", "=", "true", "false", "-",
          "foo.com/bar=svc1:8080,tls=my-cert", "/=web:80", "a.com/*=web:http,tls", "a.com/b=c=s:80", "a.com/x,y=s:1",
          "*.example.com/*=web:80", "web:80", "web", "nginx.ingress.kubernetes.io/ssl-redirect=false", "Bad_Class"]

TOKEN = st.one_of(st.sampled_from(WORDS), st.sampled_from(FLAGS), st.sampled_from(VALUES),
                  st.builds(lambda f, v: f"{f}={v}", st.sampled_from(FLAGS), st.sampled_from(VALUES)),
                  st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\x00"), max_size=6))
COMMAND = st.one_of(
    st.builds(lambda verb, rest: " ".join([verb] + rest), st.sampled_from(VERBS), st.lists(TOKEN, max_size=7)),
    st.builds(lambda rest: " ".join(["create", "ingress"] + rest), st.lists(TOKEN, max_size=6)),
    st.text(max_size=40),
)

_clusters: dict[str, Cluster] = {}


def cluster() -> Cluster:
    """One cluster per test run, with a Deployment and a Service to act on (state accumulates, as in a lab)."""
    if "c" not in _clusters:
        c = Cluster(seed=11)
        c.kubectl("create deployment web --image=nginx:1.27 --replicas=2 --port=80")
        c.kubectl("expose deployment web --port=80")
        c.advance(10)
        _clusters["c"] = c
    return _clusters["c"]


def check(c: Cluster, command: str, stdin=None) -> None:
    version, now = c.api.store.resource_version, c.now
    result = run(c.core, command, stdin=stdin)
    assert isinstance(result, Result) and isinstance(result.stdout, str)
    if result.exit_code == 0:
        return
    said = result.stderr or result.stdout  # a command group alone prints its help, on stdout for rollout
    assert said.startswith(GROUP_HELP) or any(line.startswith(PREFIXES) for line in result.stderr.splitlines()), \
        (command, result)
    if not result.stdout:
        assert (c.api.store.resource_version, c.now) == (version, now), (command, result)


FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(COMMAND)
def test_random_command_lines(command):
    check(cluster(), command)


# Numbers stay small: "scale --replicas=30080" is a fine kubectl command, but it asks the model for 30080 pods.

# ---------------------------------------------------------------- manifests

BASE = [
    {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "fz", "labels": {"app": "fz"}},
     "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "fz"}},
              "template": {"metadata": {"labels": {"app": "fz"}},
                           "spec": {"containers": [{"name": "c", "image": "nginx", "ports": [{"containerPort": 80}]}]}}}},
    {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "fz"},
     "spec": {"type": "NodePort", "selector": {"app": "fz"}, "ports": [{"port": 80, "targetPort": 80}]}},
    {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "fz"}},
    {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "fz"},
     "spec": {"containers": [{"name": "c", "image": "nginx"}]}},
    {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "fz"},
     "spec": {"ingressClassName": "nginx", "defaultBackend": {"service": {"name": "fz", "port": {"name": "http"}}},
              "tls": [{"hosts": ["fz.example.com"], "secretName": "fz-tls"}],
              "rules": [{"host": "fz.example.com", "http": {"paths": [
                  {"path": "/", "pathType": "Prefix", "backend": {"service": {"name": "fz", "port": {"number": 80}}}}]}}]}},
    {"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass", "metadata": {"name": "fz"},
     "spec": {"controller": "example.com/fz", "parameters": {"kind": "P", "name": "p", "apiGroup": "example.com"}}},
]
JUNK = st.one_of(st.none(), st.booleans(), st.sampled_from([-1, 0, 2, 80, 2 ** 40]),
                 st.sampled_from([0.5, 2.0, 1e30]),
                 st.text(max_size=12), st.lists(st.sampled_from([0, 80]), max_size=2), st.dictionaries(st.text(max_size=5),
                                                                                            st.just(1), max_size=2))
KEYS = st.sampled_from(["apiVersion", "kind", "metadata", "name", "namespace", "labels", "spec", "replicas", "type",
                        "ports", "port", "nodePort", "targetPort", "selector", "clusterIP", "externalName",
                        "containers", "image", "typo", "status", "sessionAffinity", "protocol", "rules", "host",
                        "http", "paths", "path", "pathType", "backend", "service", "number", "ingressClassName",
                        "defaultBackend", "tls", "secretName", "controller", "parameters"])


def _paths(doc, prefix=()):
    yield prefix
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            yield from _paths(v, prefix + (i,))


@st.composite
def mutated(draw):
    doc = copy.deepcopy(draw(st.sampled_from(BASE)))
    for _ in range(draw(st.integers(0, 3))):
        paths = [p for p in _paths(doc) if p]
        path = draw(st.sampled_from(paths))
        parent = doc
        for step in path[:-1]:
            parent = parent[step]
        action = draw(st.sampled_from(["set", "drop", "add"]))
        if action == "drop":
            del parent[path[-1]]
        elif action == "set":
            parent[path[-1]] = draw(JUNK)
        elif isinstance(parent, dict):
            parent[draw(KEYS)] = draw(JUNK)
    return doc


MANIFEST = st.one_of(
    mutated().map(lambda d: yaml.safe_dump(d)),
    st.lists(mutated(), min_size=1, max_size=3).map(lambda ds: yaml.safe_dump_all(ds)),
    st.text(max_size=60),
    st.sampled_from(["---\n", "a: [\n", "- 1\n", "kind: List\napiVersion: v1\nitems: 3\n", "\t\n", "{}\n"]),
)


@FUZZ
@given(MANIFEST)
def test_random_manifests(text):
    check(cluster(), "apply -f -", stdin=text)


@settings(max_examples=100, deadline=None)
@given(mutated())
def test_random_manifests_through_the_python_api(doc):
    c = cluster()
    version = c.api.store.resource_version
    try:
        assert isinstance(c.apply(doc), str)
    except ApplyError as err:
        assert any(line.startswith(PREFIXES) for line in str(err).splitlines())
        if not err.applied:
            assert c.api.store.resource_version == version
    except KubectlError as err:
        assert any(line.startswith(PREFIXES) for line in str(err).splitlines())
        assert c.api.store.resource_version == version
