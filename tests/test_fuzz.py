"""Fuzzing: whatever a learner types, the answer is kubectl's, never a traceback, a hang or a blow-up.

Issue 10's contract, checked on random and hostile input. Hypothesis feeds

- kubectl lines built from kubectl's own command tree (every command path,
  every flag of every command, long and short) and values: the course's
  words, big and odd numbers (``2147483647``, ``1e309``, ``nan``, Unicode
  digits), URLs with ports (``:99999``, ``:abc``, ``:80:80``), Unicode, empty
  strings, file paths (``/dev/zero``), long words (up to 10,000 characters),
  plus plain noise;
- manifests: valid ones with fields added, dropped or given values of the
  wrong type, and hostile YAML spliced into them (aliases and alias bombs,
  tags such as ``!!binary``/``!!set``/``!!python/object``, deep nesting,
  nulls, huge numbers), as text through ``apply -f -``; and Python
  dictionaries with tuples, sets, bytes, NaN and deep nesting through
  ``cluster.apply``.

Each example runs in a forked child (``tests/hostile.run_limited``: 1500 MB of
address space, a 20 s alarm) on its own copy of a small lab cluster built
once in the parent, so a hang or a memory blow-up fails the example instead
of stalling CI, and no example sees another's changes. In every example:

- ``kubectl.run`` returns a ``Result`` (no exception escapes) and, when it
  fails, says so in kubectl's words (``error: ...``, ``Error from server
  (Reason): ...``, ``The Service "x" is invalid: ...``, a program's own
  error inside ``kubectl exec``), with no Python traceback;
- the controllers are left settled (no key waits in any work queue);
- a refused command (exit code not 0 and nothing on stdout) leaves the
  cluster byte for byte as it was, by ``tests/cluster_state.cluster_state``:
  export, every stored object with its resourceVersion, the allocators, the
  random source's state, the clock and its timers, the event log's length,
  the nodes and every node's ``iptables-save``. A command that did part of
  its work (an ``apply`` that applied some objects before failing on
  others) prints what it did on stdout, and is only held to the rest;
- afterwards ``advance(5)``, ``get all -A``, the state function itself
  (``export``, ``iptables-save``) and a request from a pod still work.

Hypothesis runs derandomized with no example database, so CI sees the same
examples every run. Volume (``max_examples``): 700 kubectl lines, 350
hostile lines, 400 mutated manifests, 250 hostile YAML texts, 150 Python
manifests, plus the hand-made cases of issue 10 below.
"""

from __future__ import annotations

import copy
import math
import re
import traceback
from typing import Any, Optional

import pytest
import yaml
from hypothesis import HealthCheck, assume, event, given, settings, strategies as st

from cluster_state import assert_settled, cluster_state, explain_difference
from hostile import run_limited
from k8sedu import Cluster, KubectlError
from k8sedu.kubectl import ROOT, Result, run
from k8sedu.manifests import ApplyError

# ---------------------------------------------------------------- the lab, and one example in a child

_LAB: dict[str, Cluster] = {}


def lab() -> Cluster:
    """A small lab (built once, in the parent): a Deployment behind a NodePort Service, and a client pod.

    Every example runs in a forked child, on the child's copy-on-write copy,
    so each one starts from this same, fresh cluster.
    """
    if "lab" not in _LAB:
        c = Cluster(nodes=2, seed=11)
        c.kubectl("create deployment web --image=nginx:1.27 --replicas=2 --port=80")
        c.kubectl("expose deployment web --port=80 --type=NodePort")
        c.kubectl("run client --image=nginx:1.27")
        c.advance(10)
        _LAB["lab"] = c
    return _LAB["lab"]


# What a failing kubectl says, line by line: its own errors, the API server's, a program's inside exec.
KUBECTL_SAYS = re.compile(
    r'(error: |Error from server( \([A-Za-z]+\))?: |Error: |The [A-Za-z]+ "[^"\n]*" is invalid: |The request is invalid: |Warning: '
    r'|unknown (shorthand )?flag|You must specify|Server:|;;|curl: |wget: |cat: |nslookup: |sh: '
    r'|command terminated with exit code )')
GROUP_HELP = ("Create a service using a specified subcommand.", "Manage the rollout of one or many resources.",
              "Configure application resources.")


def _said_like_kubectl(result: Result) -> bool:
    said = result.stderr or result.stdout  # a command group alone prints its help, on stdout for rollout
    return said.startswith(GROUP_HELP) or any(KUBECTL_SAYS.match(line) for line in result.stderr.splitlines())


def _afterwards(c: Cluster) -> None:
    """The cluster still works: time passes, ``get all -A`` answers, the state renders, a request is traced."""
    c.advance(5)
    listing = run(c.core, "get all -A")
    assert (listing.exit_code, listing.stderr) == (0, ""), listing
    cluster_state(c)  # export and every node's iptables-save still render
    if "client" in c.pod_names():
        try:
            c.request("http://web/", from_pod="client")
        except KubectlError:  # the pod is not running (the command deleted or broke it): a refusal, not a crash
            pass


def exercise_line(line: str, stdin: Optional[str] = None) -> str:
    """Run one kubectl line on the lab (in the child); check the contract; return the outcome's name."""
    c = lab()
    before = cluster_state(c)
    try:
        result = run(c.core, line, stdin=stdin)
    except BaseException:  # noqa: BLE001 - the point: nothing may escape
        raise AssertionError(f"kubectl.run raised on {line[:300]!r}:\n{traceback.format_exc()}") from None
    assert isinstance(result, Result) and isinstance(result.stdout, str) and isinstance(result.stderr, str)
    assert isinstance(result.exit_code, int), result
    assert "Traceback (most recent call last)" not in result.stdout + result.stderr, result
    assert_settled(c)
    outcome = "succeeded"
    if result.exit_code != 0:
        assert _said_like_kubectl(result), (line[:300], result)
        outcome = "did part of its work"
        if "command terminated with exit code" in result.stderr:
            outcome = "ran a program that failed"  # kubectl exec ran it: its DNS query and connection happened
        elif not result.stdout:
            outcome = "refused"
            after = cluster_state(c)
            assert after == before, f"refused {line[:300]!r} changed the cluster:\n{explain_difference(before, after)}"
    _afterwards(c)
    return outcome


def exercise_manifest(doc: Any) -> str:
    """``cluster.apply(doc)`` through the Python API (in the child): a str, or a KubectlError that changed nothing."""
    c = lab()
    before = cluster_state(c)
    outcome = "applied"
    try:
        assert isinstance(c.apply(doc), str)
    except KubectlError as err:
        assert any(KUBECTL_SAYS.match(line) for line in str(err).splitlines()), str(err)
        outcome = "applied in part"
        if not (isinstance(err, ApplyError) and err.applied):
            outcome = "refused"
            after = cluster_state(c)
            assert after == before, f"refused manifest changed the cluster:\n{explain_difference(before, after)}"
    except BaseException:  # noqa: BLE001
        raise AssertionError(f"cluster.apply raised on {doc!r:.300}:\n{traceback.format_exc()}") from None
    assert_settled(c)
    _afterwards(c)
    return outcome


MANY_PODS = 1000  # a valid replica count above this is a load test (minutes of pods), not a fuzz case
_REPLICAS = re.compile(r"(?:--replicas|-r)(?:=| +)\+?([0-9]+)\b")


def _asks_for_many_pods(line: str) -> bool:
    """Whether ``line`` asks for more than ``MANY_PODS`` pods, and no more than the model admits."""
    return any(MANY_PODS < int(n) <= 150_000 for n in _REPLICAS.findall(line))


def check_line(line: str, stdin: Optional[str] = None) -> None:
    assume(not _asks_for_many_pods(line))
    lab()  # built in the parent: the child inherits it
    event(run_limited(exercise_line, line, stdin, seconds=20, memory_mb=1500))


def check_manifest(doc: Any) -> None:
    lab()
    event(run_limited(exercise_manifest, doc, seconds=20, memory_mb=1500))


def fuzz(examples: int):
    """Hypothesis settings: reproducible in CI (derandomized, no database), no deadline (the alarm guards)."""
    return settings(max_examples=examples, deadline=None, database=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much])


# ---------------------------------------------------------------- kubectl lines

def _commands(cmd=ROOT):
    yield cmd
    for sub in cmd.subcommands:
        yield from _commands(sub)


COMMANDS = list(_commands())
PATHS = sorted({c.path.removeprefix("kubectl").strip() for c in COMMANDS} - {""})
FLAGS = sorted({f"--{f.name}" for c in COMMANDS for f in c.flags} | {f"-{f.short}" for c in COMMANDS
                                                                       for f in c.flags if f.short}
               | {"-n", "--namespace", "-h", "--help", "-A", "--foo", "-x", "-it", "--", "---", "-"})
WORDS = ["pods", "po", "pod", "svc", "services", "deploy", "deployment", "deployments.apps", "rs", "ep", "endpoints",
         "endpointslices", "no", "nodes", "ns", "events", "all", "ingress", "ing", "ingressclass", "cm", "ds",
         "web", "client", "kube-dns", "kubernetes", "default", "kube-system", "deployment/web", "svc/web",
         "pod/client", "deploy/web", "node/kind-worker", "kind-worker", "kind-control-plane", "restart", "status",
         "undo", "history", "nslookup", "dig", "curl", "wget", "cat", "sh", "-c", "sleep", "+short", "-qO-",
         "/etc/resolv.conf", "/etc/hosts", "app=web", "app-", "app!=web", "tier=fe", "a=b=c", "svc.spec.type",
         "pod.spec.containers", "{}", "'{\"spec\":{\"replicas\":2}}'", "'{\"spec\":{\"type\":\"NodePort\"}}'",
         "'{bad'", "-type=SRV", "_http._tcp.web", "web:80", "80:8080", "web,client", "nginx", "nginx:1.27",
         "busybox:1.36", "Never", "Always", "OnFailure", "yaml", "json", "wide", "name", "jsonpath={.items[*]}",
         "NodePort", "ClusterIP", "LoadBalancer", "ExternalName", "Bogus", "client", "server", "true", "false",
         "foo.com/bar=web:80,tls=cert", "/=web:80", "*.example.com/*=web:80", "Bad_Name", "'", '"', "\\", ";",
         "|", "&&", "$(id)", "`id`", "%s%n", "{{.}}"]
NUMBERS = ["0", "1", "2", "3", "-1", "-0", "80", "443", "65535", "65536", "99999", "30080", "29999", "32768",
           "111", "2147483647", "2147483648", "-2147483648", "4294967296", "9223372036854775807",
           "18446744073709551616", "1" + "0" * 40, "1e12", "1e309", "-1e309", "nan", "NaN", "inf", "-inf",
           "0x10", "0o7", "1_000", "1.5", "٣", "８０", "²", "+5", " 5", "5 ", "00080"]
URLS = ["http://web/", "http://web:80/", "http://web:99999/", "http://web:abc/", "http://web:-1/", "http://web:0/",
        "http://web:80:80/", "http://web:65536/", "http://web:８０/", "http://web:٨٠/", "http://[::1]:80/",
        "http://[::1/", "http://10.96.0.1:443/", "https://kubernetes.default.svc:443/", "http://", "http://:80",
        "web:", ":80", "//web", "http://user:pass@web:80/", "http://ünïcode.example/", "ftp://web/",
        "http://web/" + "a" * 3000, "http://web.default.svc.cluster.local.:80/", "http://172.18.0.2:30080/",
        "http://999.1.1.1/", "http://web:80/%zz", "tcp://web:80"]
UNICODE = ["ünïcode", "ｗｅｂ", "名前", "🙂", "\u202eweb", "web\u200b", "\u00a0", "\u0130", "ß", "\ufeffweb", "\\x00",
           "é" * 70]
EMPTY = ["''", '""', "' '", "=", "--=", "-n=", "--replicas=", "--port="]
PATHS_F = ["-", "/dev/zero", "/dev/null", "/etc", "/etc/hostname", "/nonexistent.yaml", "http://localhost:1/x.yaml",
           "https://example.com/web.yaml", "''", "web.yaml", "*.yaml"]
LONG = st.builds(lambda ch, n: ch * n, st.sampled_from(["a", "9", "-", "é", "web.", "a=b,"]),
                 st.sampled_from([63, 64, 253, 254, 256, 4096, 10_000]))
NOISE = st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\x00"), max_size=8)

VALUE = st.one_of(st.sampled_from(WORDS), st.sampled_from(NUMBERS), st.sampled_from(URLS), st.sampled_from(UNICODE),
                  st.sampled_from(EMPTY), st.sampled_from(PATHS_F), NOISE)
TOKEN = st.one_of(
    st.sampled_from(WORDS), st.sampled_from(FLAGS), st.sampled_from(NUMBERS), NOISE,
    st.builds(lambda f, v: f"{f}={v}", st.sampled_from(FLAGS), VALUE),
    st.builds(lambda f, v: f"{f} {v}", st.sampled_from(FLAGS), VALUE),
)
HOSTILE_TOKEN = st.one_of(
    st.sampled_from(NUMBERS), st.sampled_from(URLS), st.sampled_from(UNICODE), st.sampled_from(EMPTY), LONG,
    st.builds(lambda f, v: f"{f}={v}", st.sampled_from(FLAGS), st.one_of(st.sampled_from(NUMBERS), LONG,
                                                                         st.sampled_from(UNICODE + EMPTY + PATHS_F))),
    st.builds(lambda f, v: f"{f} {v}", st.sampled_from(["-f", "--filename"]), st.sampled_from(PATHS_F)),
)

LINE = st.one_of(
    st.builds(lambda path, rest: " ".join([path] + rest), st.sampled_from(PATHS), st.lists(TOKEN, max_size=7)),
    st.builds(lambda rest: " ".join(rest), st.lists(TOKEN, max_size=6)),
    st.text(max_size=40),
)
# The verbs that write or reach into the cluster, with hostile values where kubectl expects numbers, URLs, names.
HOSTILE_LINE = st.one_of(
    st.builds(lambda path, rest: " ".join([path] + rest), st.sampled_from(PATHS),
              st.lists(st.one_of(TOKEN, HOSTILE_TOKEN), max_size=6)),
    st.builds("scale deployment web --replicas={}".format, st.sampled_from(NUMBERS)),
    st.builds("create deployment fz --image=nginx --replicas={} --port={}".format, st.sampled_from(NUMBERS),
              st.sampled_from(NUMBERS)),
    st.builds("create service nodeport fz --tcp={}:{} --node-port={}".format, st.sampled_from(NUMBERS),
              st.sampled_from(NUMBERS), st.sampled_from(NUMBERS)),
    st.builds("expose deployment web --name=fz --port={} --target-port={}".format, st.sampled_from(NUMBERS),
              st.sampled_from(NUMBERS + WORDS[:10])),
    st.builds("exec client -- {} {}".format, st.sampled_from(["curl", "curl -s", "wget -qO-", "nslookup", "dig"]),
              st.sampled_from(URLS + UNICODE)),
    st.builds("get {} {}".format, st.sampled_from(EMPTY + UNICODE + ["pods", "svc"]), LONG),
    st.builds("{} {}".format, LONG, st.sampled_from(WORDS)),
)


@fuzz(700)
@given(LINE)
def test_random_kubectl_lines(line):
    check_line(line)


@fuzz(350)
@given(HOSTILE_LINE)
def test_hostile_kubectl_lines(line):
    check_line(line)


# ---------------------------------------------------------------- manifests

BASE = [
    {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "fz", "labels": {"app": "fz"}},
     "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "fz"}},
              "template": {"metadata": {"labels": {"app": "fz"}},
                           "spec": {"containers": [{"name": "c", "image": "nginx", "ports": [{"containerPort": 80}],
                                                    "readinessProbe": {"httpGet": {"path": "/", "port": 80},
                                                                       "initialDelaySeconds": 1}}]}}}},
    {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "fz"},
     "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "fz"}},
              "template": {"metadata": {"labels": {"app": "fz"}},
                           "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}},
    {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "fz"},
     "spec": {"type": "NodePort", "selector": {"app": "fz"},
              "ports": [{"name": "http", "port": 80, "targetPort": "http", "nodePort": 30090}]}},
    {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "fz"}},
    {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "fz", "labels": {"app": "fz"}},
     "spec": {"containers": [{"name": "c", "image": "nginx", "ports": [{"name": "http", "containerPort": 80}]}]}},
    {"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "fz-manual"},
     "subsets": [{"addresses": [{"ip": "10.244.1.50"}], "ports": [{"port": 80}]}]},
    {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice", "metadata": {"name": "fz-manual-1",
                                                                                 "labels": {"kubernetes.io/service-name": "fz-manual"}},
     "addressType": "IPv4", "endpoints": [{"addresses": ["10.244.1.50"]}], "ports": [{"port": 80}]},
    {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "fz"}, "data": {"key": "value"}},
    {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "fz"},
     "spec": {"ingressClassName": "nginx", "defaultBackend": {"service": {"name": "fz", "port": {"name": "http"}}},
              "tls": [{"hosts": ["fz.example.com"], "secretName": "fz-tls"}],
              "rules": [{"host": "fz.example.com", "http": {"paths": [
                  {"path": "/", "pathType": "Prefix", "backend": {"service": {"name": "fz", "port": {"number": 80}}}}]}}]}},
    {"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass", "metadata": {"name": "fz"},
     "spec": {"controller": "example.com/fz", "parameters": {"kind": "P", "name": "p", "apiGroup": "example.com"}}},
]
JUNK = st.one_of(st.none(), st.booleans(),
                 st.sampled_from([-1, 0, 2, 80, 65536, 99999, 2 ** 31, 2 ** 63, 10 ** 30, -(2 ** 31) - 1]),
                 st.sampled_from([0.5, 2.0, -0.0, 1e30, math.inf, -math.inf, math.nan]),
                 st.text(max_size=12), st.sampled_from(["", "None", "null", "~", "Bad_Name", "a" * 64, "-1", "80"]),
                 st.lists(st.sampled_from([0, 80, None, "x"]), max_size=2),
                 st.dictionaries(st.sampled_from(["", "a", "app", "a/b", "-x", "k" * 64]),
                                 st.sampled_from([None, 1, "", "v", "-bad-", "x" * 64]), max_size=2))
KEYS = st.sampled_from(["apiVersion", "kind", "metadata", "name", "namespace", "labels", "annotations", "spec",
                        "replicas", "type", "ports", "port", "nodePort", "targetPort", "selector", "clusterIP",
                        "externalName", "containers", "image", "typo", "status", "sessionAffinity", "protocol",
                        "rules", "host", "http", "paths", "path", "pathType", "backend", "service", "number",
                        "ingressClassName", "defaultBackend", "tls", "secretName", "controller", "parameters",
                        "initialDelaySeconds", "containerPort", "hostPort", "addresses", "ip", "subsets", "items"])


def _paths(doc, prefix=()):
    """Every path into ``doc``, down to 12 levels (junk may be deep or even contain itself)."""
    yield prefix
    if len(prefix) >= 12:
        return
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            yield from _paths(v, prefix + (i,))


@st.composite
def mutated(draw, junk=JUNK):
    """One of the base manifests with up to three fields set to junk, dropped, or added."""
    doc = copy.deepcopy(draw(st.sampled_from(BASE)))
    for _ in range(draw(st.integers(0, 3))):
        paths = [p for p in _paths(doc) if p]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = doc
        for step in path[:-1]:
            parent = parent[step]
        action = draw(st.sampled_from(["set", "drop", "add"]))
        if action == "drop":
            del parent[path[-1]]
        elif action == "set":
            parent[path[-1]] = _tame(path[-1], draw(junk))
        elif isinstance(parent, dict):
            key = draw(KEYS)
            parent[key] = _tame(key, draw(junk))
    return doc


def _tame(key, value):
    """A valid but large replica count is a load test, not a fuzz case: make it one the model must refuse."""
    if key == "replicas" and type(value) is int and MANY_PODS < value <= 150_000:
        return 2 ** 31
    return value


MANIFEST = st.one_of(
    mutated().map(lambda d: yaml.safe_dump(d)),
    st.lists(mutated(), min_size=1, max_size=3).map(lambda ds: yaml.safe_dump_all(ds)),
    st.text(max_size=60),
    st.sampled_from(["---\n", "a: [\n", "- 1\n", "kind: List\napiVersion: v1\nitems: 3\n", "\t\n", "{}\n", "", "\n",
                     "kind: List\napiVersion: v1\nitems: [null, 1, []]\n"]),
)

# Hostile YAML, each fitting where one value goes (flow style).
BOMB = ("[&a [x,x,x,x,x,x,x,x,x], &b [*a,*a,*a,*a,*a,*a,*a,*a,*a], &c [*b,*b,*b,*b,*b,*b,*b,*b,*b], "
        "&d [*c,*c,*c,*c,*c,*c,*c,*c,*c], &e [*d,*d,*d,*d,*d,*d,*d,*d,*d], &f [*e,*e,*e,*e,*e,*e,*e,*e,*e], "
        "&g [*f,*f,*f,*f,*f,*f,*f,*f,*f], &h [*g,*g,*g,*g,*g,*g,*g,*g,*g], &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]]")
HOSTILE_VALUES = [
    BOMB, "&r [*r]", "&r {a: *r}", "*undefined", "[&s fz, *s, *s]", "!!binary aGVsbG8=", "!!set {a, b}",
    "!!timestamp 2001-12-14t21:59:43.10-05:00", "!!omap [a: 1, b: 2]", "!!pairs [a: 1]", "!!float .nan", ".inf",
    "-.inf", ".nan", "!!int 99999999999999999999", "99999999999999999999", "1e400", "-1e400", "0x7fffffffffffffff",
    "0o777", "!!python/object/apply:os.system ['echo pwned']", "!!python/name:os.system", "!foo bar",
    "!!str 80", "!!null ''", "~", "null", "[]", "{}", "''", "'\\0'", "\"\\0\"", "\"\\u202e\"", "\"\\uffff\"",
    "{a: 1, a: 2}", "{<<: {a: 1}}", "[" * 1000 + "]" * 1000, "{a: " * 600 + "1" + "}" * 600,
    "[" * 30 + "]" * 30, "?", "- a", "@bad", "%YAML", "'" + "x" * 5000 + "'", "yes", "no", "on", "0777",
    "2001-12-14", "12:30:00", "1_000", "+12", "0b101",
]
PLACEHOLDER = "fuzz-placeholder-value"


@st.composite
def hostile_yaml(draw):
    """A base manifest with one value replaced by hostile YAML text (aliases, tags, nesting, huge numbers)."""
    doc = copy.deepcopy(draw(st.sampled_from(BASE)))
    paths = [p for p in _paths(doc) if p]
    path = draw(st.sampled_from(paths))
    parent = doc
    for step in path[:-1]:
        parent = parent[step]
    parent[path[-1]] = PLACEHOLDER
    text = yaml.safe_dump(doc, default_flow_style=True, width=10 ** 9)
    return text.replace(PLACEHOLDER, draw(st.sampled_from(HOSTILE_VALUES)))


HOSTILE_MANIFEST = st.one_of(
    hostile_yaml(),
    st.sampled_from(HOSTILE_VALUES).map(lambda v: f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: fz}}\n"
                                                  f"data: {{key: {v}}}\n"),
    st.sampled_from(HOSTILE_VALUES).map(lambda v: v + "\n"),
    st.builds(lambda a, b: a + "---\n" + b, hostile_yaml(), mutated().map(yaml.safe_dump)),
)


@fuzz(400)
@given(MANIFEST)
def test_random_manifests(text):
    check_line("apply -f -", stdin=text)


@fuzz(250)
@given(HOSTILE_MANIFEST)
def test_hostile_manifests(text):
    check_line("apply -f -", stdin=text)


def _recursive_list():
    loop: list = []
    loop.append(loop)
    return loop


def _deep(levels: int):
    value: Any = "x"
    for _ in range(levels):
        value = {"a": value}
    return value


PY_JUNK = st.one_of(JUNK, st.sampled_from([("a", "b"), (), frozenset({"a"}), b"bytes", bytearray(b"x"), 1j,
                                           10 ** 400, -(10 ** 400)]),
                    st.builds(_recursive_list), st.builds(_deep, st.sampled_from([50, 200])))


@fuzz(150)
@given(st.one_of(mutated(PY_JUNK), st.lists(mutated(PY_JUNK), max_size=3), st.sampled_from([None, 3, "", b"", ()])))
def test_random_manifests_through_the_python_api(doc):
    check_manifest(doc)


# ---------------------------------------------------------------- the cases issue 10 observed, by hand

def _pod(containers: str) -> str:
    return f"apiVersion: v1\nkind: Pod\nmetadata:\n  name: fz\nspec:\n{containers}"


def _rs(spec: str) -> str:
    return f"apiVersion: apps/v1\nkind: ReplicaSet\nmetadata:\n  name: fz\nspec:\n{spec}"


TEMPLATE = "  template:\n    metadata:\n      labels: {app: fz}\n    spec:\n      containers: [{name: c, image: nginx}]\n"

# (what the issue saw, the line, its stdin)
ISSUE_CASES = [
    ("scale to 2**31-1 never returned", "scale deployment web --replicas=2147483647", None),
    ("the alias bomb ran 213 s and 5.8 GB", "apply -f -",
     f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: fz}}\ndata: {{key: {BOMB}}}\n"),
    ("apply -f /dev/zero read until memory ran out", "apply -f /dev/zero", None),
    ("a 1 MB command line took 30 s", "get pods " + "a" * 1_000_000, None),
    ("a 1 MB unknown command took 30 s", "a" * 1_000_000, None),
    ("a Pod without containers broke every advance", "apply -f -", _pod("  containers: []\n")),
    ("a Pod with no containers key broke every advance", "apply -f -", _pod("  restartPolicy: Always\n")),
    ("a ReplicaSet without containers broke every advance", "apply -f -",
     _rs("  selector: {matchLabels: {app: fz}}\n  template:\n    metadata:\n      labels: {app: fz}\n"
         "    spec:\n      containers: []\n")),
    ("a negative initialDelaySeconds broke every advance", "apply -f -",
     _pod("  containers:\n  - name: c\n    image: nginx\n    readinessProbe:\n      httpGet: {path: /, port: 80}\n"
          "      initialDelaySeconds: -5\n")),
    ("Endpoints with an invalid IP broke get ep and requests", "apply -f -",
     "apiVersion: v1\nkind: Endpoints\nmetadata: {name: web}\nsubsets:\n- addresses: [{ip: 999.1.1.1}]\n"
     "  ports: [{port: 80}]\n"),
    ("an EndpointSlice with an invalid IP broke get and requests", "apply -f -",
     "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata:\n  name: web-x\n  labels:\n"
     "    kubernetes.io/service-name: web\naddressType: IPv4\nendpoints: [{addresses: [not-an-ip]}]\n"
     "ports: [{port: 80}]\n"),
    ("curl to port 99999 raised ValueError", "exec client -- curl -s http://web:99999/", None),
    ("curl to port abc raised ValueError", "exec client -- curl -s http://web:abc/", None),
    ("wget to port -1 raised ValueError", "exec client -- wget -qO- http://web:-1/", None),
    ("curl to port 80:80 raised ValueError", "exec client -- curl http://web:80:80/", None),
    ("a recursive alias raised RecursionError", "apply -f -",
     "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: fz}\ndata: &r {key: *r}\n"),
    ("1,000-deep nesting raised RecursionError", "apply -f -",
     "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: fz}\ndata: " + "[" * 1000 + "]" * 1000 + "\n"),
    ("1,000-deep nesting as the whole document raised RecursionError", "apply -f -", "[" * 1000 + "]" * 1000 + "\n"),
    ("!!binary raised", "apply -f -", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: fz}\ndata: !!binary aGk=\n"),
    ("!!set raised", "apply -f -", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: fz}\ndata: !!set {a, b}\n"),
    ("!!timestamp raised", "apply -f -",
     "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: fz\n  labels: {a: !!timestamp 2001-12-14}\n"),
    ("an empty resource type raised IndexError", "get '' web", None),
    ("a refused expose drew from the seed", "expose deployment web --port=80", None),
    ("delete svc web web left the controllers unsettled", "delete svc web web", None),
    ("labels {a: null} were stored as the string None", "apply -f -",
     "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: fz\n  labels: {a: null}\n"),
    ("an invalid label key was stored", "label deployment web 'a b/c=d'", None),
    ("an invalid named targetPort was stored", "expose deployment web --name=fz --port=80 --target-port=Bad_Name",
     None),
    ("an empty image was stored", "apply -f -", _pod("  containers: [{name: c, image: ''}]\n")),
    ("duplicate container names were stored", "apply -f -",
     _pod("  containers: [{name: c, image: nginx}, {name: c, image: nginx}]\n")),
    ("containerPort 99999 was stored", "apply -f -",
     _pod("  containers: [{name: c, image: nginx, ports: [{containerPort: 99999}]}]\n")),
    ("a ReplicaSet with replicas -1 was stored", "apply -f -",
     _rs("  replicas: -1\n  selector: {matchLabels: {app: fz}}\n" + TEMPLATE)),
    ("a selector not matching the template was stored", "apply -f -",
     _rs("  selector: {matchLabels: {app: other}}\n" + TEMPLATE)),
    ("a negative --target-port was stored", "expose deployment web --name=fz --port=80 --target-port=-1", None),
    ("a negative --node-port was stored", "create service nodeport fz --tcp=80:80 --node-port=-1", None),
]


@pytest.mark.parametrize("what, line, stdin", ISSUE_CASES, ids=[c[0] for c in ISSUE_CASES])
def test_the_cases_issue_10_observed(what, line, stdin):
    """Each case the issue saw break the contract (hang, blow-up, escape, a refusal that changed state).

    Source: issue 10's "Observed" list; checked by the same contract as the fuzz examples.
    """
    lab()
    run_limited(exercise_line, line, stdin, seconds=20, memory_mb=1500)


def test_a_tuple_in_a_python_manifest():
    """Issue 10: a tuple in a Python manifest raised StopIteration; now an answer or a KubectlError."""
    lab()
    doc = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "fz"},
           "spec": {"containers": ({"name": "c", "image": "nginx"},)}}
    run_limited(exercise_manifest, doc, seconds=20, memory_mb=1500)


def test_a_deeply_nested_python_manifest():
    """A 900-level dict under ``data`` (beyond what Hypothesis can print, so by hand): an answer, not a RecursionError.

    Derived from code: ``k8sedu.manifests.apply`` on Python values; issue 10 saw deep nesting raise RecursionError.
    """
    lab()
    doc = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "fz"}, "data": _deep(900)}
    run_limited(exercise_manifest, doc, seconds=20, memory_mb=1500)
