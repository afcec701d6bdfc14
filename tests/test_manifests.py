"""Specification of ``k8sedu.manifests``: YAML in, YAML out, and ``kubectl apply``.

1. Output is formatted as kubectl formats it (go-yaml's quoting, sorted keys, Go's JSON);
2. every manifest the model writes (``get -o yaml``, ``export``, ``create --dry-run=client -o yaml``)
   validates against the real Kubernetes 1.32 schema (kubernetes-validate, offline);
3. every manifest in the course's notebooks validates too;
4. ``apply`` creates, configures or leaves unchanged, with a three-way merge that keeps
   what the cluster allocated and drops what the learner removed;
5. the API server's strict decoding rejects unknown fields and wrong types in its words;
6. ``export`` writes the learner's objects without the cluster's choices;
7. one encoder and one decoder per kind the API serves, and decoding what was encoded gives the object back.
"""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pytest

import yaml
from kubectl_results import out
from shared_manifests import COURSE_INGRESS

from k8sedu import Cluster, KubectlError
from k8sedu.manifests import LAST_APPLIED, ApplyError, encode, export, to_json, to_yaml
from k8sedu.manifests import decode, openapi
from k8sedu.manifests.decode import DECODERS
from k8sedu.manifests.encode import ENCODERS
from k8sedu.manifests.meta import api_version
from k8sedu.objects import RESOURCE_BY_KIND, ObjectMeta, Taint

kubernetes_validate = pytest.importorskip("kubernetes_validate")
K8S_VERSION = "1.32.0"
ROOT = Path(__file__).resolve().parent.parent

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: nginx
        image: nginx:1.27
        imagePullPolicy: IfNotPresent
        ports:
        - containerPort: 80
"""
SERVICE = """\
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  type: NodePort
  selector: {app: web}
  ports:
  - port: 80
    targetPort: 80
    nodePort: 30080
"""


def validate(doc: dict) -> None:
    kubernetes_validate.validate(doc, K8S_VERSION, strict=True)


@pytest.fixture
def cluster():
    return Cluster(seed=7)


@pytest.fixture
def busy(cluster):
    """Every kind of object the model has, in several states."""
    out(cluster.core, "create deployment web --image=nginx:1.27 --replicas=2 --port=80")
    out(cluster.core, "expose deployment web --port=80 --type=LoadBalancer")
    out(cluster.core, "create service externalname ext --external-name=example.com")
    out(cluster.core, "create deployment db --image=postgres:16 --port=5432")
    out(cluster.core, "expose deploy db --cluster-ip=None")
    cluster.apply(DEPLOYMENT.replace("name: web", "name: api") + "---\n" + SERVICE.replace("name: web", "name: api"))
    cluster.advance(3)
    out(cluster.core, "create namespace shop")
    out(cluster.core, f"delete pod {cluster.pod_names({'app': 'web'})[0]} --wait=false")
    return cluster


# ================================================================ 1. formatting

@pytest.mark.parametrize("value, text", [
    ("80", '"80"\n'), ("true", '"true"\n'), ("", '""\n'), ("2026-01-05T09:00:00Z", '"2026-01-05T09:00:00Z"\n'),
    ("None", "None\n"), ("25%", "25%\n"), ("*", "'*'\n"), ("a\nb\n", "|\n  a\n  b\n"), ("80-8080", "80-8080\n"),
    (None, "null\n"), ({}, "{}\n"), (80, "80\n"),
])
def test_yaml_quotes_like_go_yaml(value, text):
    assert to_yaml({"k": value}) == f"k: {text}"


def test_json_is_go_s_marshal_indent():
    assert to_json({"b": [1, {}], "a": "<x>"}) == '{\n    "b": [\n        1,\n        {}\n    ],\n    "a": "\\u003cx\\u003e"\n}\n'


# ================================================================ 2. what the model writes is valid Kubernetes

def test_every_object_as_get_prints_it_validates(busy):
    checked = 0
    for kind in ("Namespace", "Node", "Pod", "Service", "Endpoints", "EndpointSlice", "Deployment", "ReplicaSet"):
        for obj in busy.api.list(kind):
            validate(encode(obj))
            checked += 1
    assert checked > 30
    for doc in yaml.safe_load_all(out(busy.core, "get all -A -o yaml")):
        for item in doc["items"]:
            validate(item)


INGRESS = COURSE_INGRESS
INGRESS_CLASS = """\
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata:
  name: haproxy
  annotations:
    ingressclass.kubernetes.io/is-default-class: "true"
spec:
  controller: haproxy.org/ingress-controller
  parameters:
    apiGroup: k8s.example.com
    kind: IngressParameters
    name: external-lb
"""


@pytest.mark.parametrize("cloud", [None, "gcp"])
def test_ingresses_and_ingress_classes_as_get_prints_them_validate(cloud):
    cluster = Cluster(seed=7, cloud=cloud)
    cluster.install("ingress-nginx")
    assert cluster.apply(INGRESS + "---\n" + INGRESS_CLASS) == (
        "ingress.networking.k8s.io/gateway-ingress created\ningressclass.networking.k8s.io/haproxy created")
    out(cluster.core, "create ingress simple --rule=foo.com/bar=svc1:8080,tls=my-cert --default-backend=web:http")
    cluster.advance(120)
    for kind in ("Ingress", "IngressClass"):
        for obj in cluster.api.list(kind):
            validate(encode(obj))
    listed = yaml.safe_load(out(cluster.core, "get ing,ingressclass -A -o yaml"))["items"]
    assert [(d["kind"], d["metadata"]["name"]) for d in listed] == [
        ("Ingress", "gateway-ingress"), ("Ingress", "simple"), ("IngressClass", "haproxy"), ("IngressClass", "nginx")]
    for doc in listed:
        validate(doc)
    address = listed[0]["status"]["loadBalancer"]
    assert address == ({"ingress": [{"ip": "198.51.100.1"}]} if cloud else {})
    for doc in yaml.safe_load_all(export(cluster.core)):
        if doc:
            validate(doc)


def test_ingress_manifests_apply_unchanged_and_round_trip(cluster):
    cluster.apply(INGRESS + "---\n" + INGRESS_CLASS)
    assert cluster.apply(INGRESS + "---\n" + INGRESS_CLASS) == (
        "ingress.networking.k8s.io/gateway-ingress unchanged\ningressclass.networking.k8s.io/haproxy unchanged")
    served = out(cluster.core, "get ingressclass haproxy -o yaml")
    fresh = Cluster(seed=8)
    assert fresh.apply(served) == "ingressclass.networking.k8s.io/haproxy created"
    assert yaml.safe_load(out(fresh.core, "get ingressclass haproxy -o yaml"))["spec"] == yaml.safe_load(INGRESS_CLASS)["spec"]
    assert out(cluster.core, "get ingressclass haproxy").splitlines()[1].split()[:3] == \
        ["haproxy", "haproxy.org/ingress-controller", "IngressParameters.k8s.example.com/external-lb"]


def test_get_o_yaml_of_an_applied_object_validates_and_records_the_manifest(busy):
    doc = yaml.safe_load(out(busy.core, "get svc api -o yaml"))
    validate(doc)
    recorded = json.loads(doc["metadata"]["annotations"][LAST_APPLIED])
    assert recorded["metadata"] == {"annotations": {}, "name": "api", "namespace": "default"}


def test_export_validates_and_leaves_out_what_the_cluster_chose(busy):
    docs = [d for d in yaml.safe_load_all(export(busy.core)) if d]
    for doc in docs:
        validate(doc)
    names = [(d["kind"], d["metadata"]["name"]) for d in docs]
    assert names == [("Namespace", "shop"), ("Deployment", "api"), ("Deployment", "db"), ("Deployment", "web"),
                     ("Service", "api"), ("Service", "db"), ("Service", "ext"), ("Service", "web")]
    services = {d["metadata"]["name"]: d["spec"] for d in docs if d["kind"] == "Service"}
    assert "clusterIP" not in services["web"] and "nodePort" not in services["web"]["ports"][0]
    assert services["api"]["ports"][0]["nodePort"] == 30080  # the learner asked for it
    assert services["db"]["clusterIP"] == "None"  # headless stays headless
    assert all("status" not in d and "uid" not in d["metadata"] for d in docs)


def test_export_writes_a_file_that_applies_to_a_fresh_cluster(busy, tmp_path):
    path = tmp_path / "objects.yaml"
    export(busy.core, str(path))
    fresh = Cluster(seed=3)
    printed = out(fresh.core, f"apply -f {path}")
    assert printed.splitlines()[0] == "namespace/shop created" and len(printed.splitlines()) == 8


@pytest.mark.parametrize("command", [
    "create ingress simple --rule=foo.com/bar=svc1:8080,tls=my-cert",
    "create ingress gateway-ingress --class=nginx --default-backend=web:http --rule=api.example.com/x*=web:8000 "
    "--annotation nginx.ingress.kubernetes.io/ssl-redirect=false",
    "create deployment web --image=nginx:1.27 --replicas=2 --port=80",
    "create deployment web --image=registry.k8s.io/e2e-test-images/agnhost:2.39 --image=busybox",
    "create namespace shop",
    "create service clusterip web --tcp=80:8080",
    "create service clusterip web --clusterip=None",
    "create service nodeport web --tcp=80 --node-port=30080",
    "create service loadbalancer web --tcp=80,443",
    "create service externalname web --external-name=example.com",
])
def test_generated_manifests_validate(cluster, command):
    for fmt in ("yaml", "json"):
        validate(yaml.safe_load(out(cluster.core, f"{command} --dry-run=client -o {fmt}")))


# ================================================================ 3. the course's own manifests

def course_manifests() -> list[tuple[str, str]]:
    """YAML from every ``%%kubectl apply`` cell and ``.apply(\"\"\"...\"\"\")`` string in the course's notebooks."""
    found = []
    for folder in ("notebooks", "solutions", "exercises"):
        for path in sorted((ROOT / folder).glob("*.ipynb")):
            for i, cell in enumerate(json.loads(path.read_text())["cells"]):
                if cell["cell_type"] != "code":
                    continue
                source = "".join(cell["source"])
                where = f"{folder}/{path.name} cell {i}"
                first, _, rest = source.partition("\n")
                if first.startswith("%%kubectl") and first.split()[1:2] in (["apply"], ["delete"]):
                    found.append((where, rest))
                found += [(where, m.group(2).removeprefix("\\\n"))  # \"\"\"\\ starts the text on the next line
                          for m in re.finditer(r'\.apply\(\s*(?:f?r?)("""|\'\'\')(.*?)\1', source, re.S)]
    return found


def test_the_start_here_notebook_has_manifests():
    assert any("00_start_here" in where for where, _ in course_manifests())


@pytest.mark.parametrize("where, text", course_manifests())
def test_every_course_manifest_validates_against_kubernetes(where, text):
    for doc in yaml.safe_load_all(text):
        if doc is None:
            continue
        if "typo" in json.dumps(doc.get("metadata", {})):  # a deliberate mistake, shown to the learner
            with pytest.raises(kubernetes_validate.ValidationError):
                validate(doc)
            continue
        validate(doc)


# ================================================================ 4. apply

def test_apply_creates_then_reports_unchanged_then_configured(cluster):
    assert cluster.apply(DEPLOYMENT + "---\n" + SERVICE) == "deployment.apps/web created\nservice/web created"
    assert cluster.apply(DEPLOYMENT + "---\n" + SERVICE) == "deployment.apps/web unchanged\nservice/web unchanged"
    assert cluster.apply(DEPLOYMENT.replace("replicas: 2", "replicas: 3")) == "deployment.apps/web configured"
    assert cluster.get("Deployment", "web").spec.replicas == 3


def test_apply_takes_dicts_lists_and_kind_list(cluster):
    doc = yaml.safe_load(SERVICE)
    assert cluster.apply(doc) == "service/web created"
    assert cluster.apply([doc]) == "service/web unchanged"
    assert cluster.apply({"apiVersion": "v1", "kind": "List", "items": [doc]}) == "service/web unchanged"


def test_the_three_way_merge_keeps_allocations_and_drops_removed_fields(cluster):
    cluster.apply(SERVICE.replace("    nodePort: 30080\n", ""))
    allocated = cluster.get("Service", "web")
    assert allocated.spec.ports[0].node_port and allocated.spec.cluster_ip
    cluster.apply(SERVICE.replace("    nodePort: 30080\n", "").replace("  - port: 80\n", "  - port: 80\n    name: http\n"))
    again = cluster.get("Service", "web")
    assert (again.spec.cluster_ip, again.spec.ports[0].node_port, again.spec.ports[0].name) == \
        (allocated.spec.cluster_ip, allocated.spec.ports[0].node_port, "http")
    labelled = SERVICE.replace("  name: web\n", "  name: web\n  labels: {tier: fe}\n")
    cluster.apply(labelled)
    assert dict(cluster.get("Service", "web").metadata.labels) == {"tier": "fe"}
    cluster.apply(SERVICE)  # the label was in the last applied manifest and is gone from this one: removed
    assert dict(cluster.get("Service", "web").metadata.labels) == {}


def test_switching_type_by_apply_releases_the_node_port(cluster):
    cluster.apply(SERVICE)
    assert cluster.apply(SERVICE.replace("type: NodePort", "type: ClusterIP").replace("    nodePort: 30080\n", "")) \
        == "service/web configured"
    assert cluster.get("Service", "web").spec.ports[0].node_port == 0


def test_apply_over_an_imperative_object_warns_and_patches_the_annotation(cluster):
    out(cluster.core, "create deployment web --image=nginx:1.27 --replicas=2 --port=80")
    printed = cluster.apply(DEPLOYMENT.replace("replicas: 2", "replicas: 4"))
    assert printed.splitlines() == [
        "Warning: resource deployments/web is missing the kubectl.kubernetes.io/last-applied-configuration "
        "annotation which is required by kubectl apply. kubectl apply should only be used on resources created "
        "declaratively by either kubectl create --save-config or kubectl apply. The missing annotation will be "
        "patched automatically.", "deployment.apps/web configured"]
    assert LAST_APPLIED in cluster.get("Deployment", "web").metadata.annotations


def test_apply_in_a_missing_namespace_and_namespaces_first(cluster):
    ns = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n"
    scoped = SERVICE.replace("  name: web\n", "  name: web\n  namespace: shop\n")
    with pytest.raises(ApplyError) as err:
        cluster.apply(scoped + "---\n" + ns)
    assert str(err.value) == ('namespace/shop created\nError from server (NotFound): error when creating "STDIN": '
                              'namespaces "shop" not found')
    assert cluster.apply(ns + "---\n" + scoped) == "namespace/shop unchanged\nservice/web created"


def test_apply_reports_validation_errors_as_kubectl_does(cluster):
    with pytest.raises(KubectlError) as err:
        cluster.apply(SERVICE.replace("nodePort: 30080", "nodePort: 8080"))
    assert str(err.value) == ('The Service "web" is invalid: spec.ports[0].nodePort: Invalid value: 8080: provided '
                              "port is not in the valid range. The range of valid ports is 30000-32767")


# ================================================================ 5. strict decoding

@pytest.mark.parametrize("change, detail", [
    (("replicas: 2", "replica: 2"), 'strict decoding error: unknown field "spec.replica"'),
    (("        - containerPort: 80", "        - port: 80"),
     'strict decoding error: unknown field "spec.template.spec.containers[0].ports[0].port"'),
    (("replicas: 2", "replicas: two"),
     "json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32"),
    (("replicas: 2", "replicas: 2.5"),
     "json: cannot unmarshal number 2.5 into Go struct field DeploymentSpec.spec.replicas of type int32"),
    (("  labels: {app: web}\nspec", "  labels: {app: web, version: 1}\nspec"),
     "json: cannot unmarshal number into Go struct field ObjectMeta.metadata.labels of type string"),
])
def test_strict_decoding_errors(cluster, change, detail):
    with pytest.raises(KubectlError) as err:
        cluster.apply(DEPLOYMENT.replace(*change))
    assert str(err.value) == ('Error from server (BadRequest): error when creating "STDIN": Deployment in version '
                              f'"v1" cannot be handled as a Deployment: {detail}')


def test_real_fields_the_model_does_not_use_are_accepted():
    doc = yaml.safe_load(DEPLOYMENT)
    doc["spec"]["template"]["spec"]["containers"][0].update({"resources": {"limits": {"cpu": "1"}}, "env": []})
    assert decode.strict_check(doc, "io.k8s.api.apps.v1.Deployment") == []


def test_the_carried_schema_is_kubernetes_validate_s(tmp_path):
    """``openapi-v1.32.json`` is what ``python -m k8sedu.manifests.openapi`` extracts from the package's schema
    (``definitions()`` adds the served enums of ``openapi-enums-v1.32.json`` to it)."""
    schema_dir = Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema" / "v1.32.0-local-strict"
    assert openapi.build(str(schema_dir)) == openapi.carried()


# ================================================================ 7. one encoder and one decoder per kind

def test_every_kind_the_api_serves_has_one_encoder_and_one_decoder():
    """``get -o yaml`` reads every kind the API serves, ``apply`` and ``patch`` write them back: a row each."""
    assert list(ENCODERS) == list(DECODERS) == list(RESOURCE_BY_KIND)


@pytest.mark.parametrize("kind", list(RESOURCE_BY_KIND))
def test_apply_takes_every_kind_but_the_nodes_kubelets_register(kind):
    version = api_version(kind)
    if kind == "Node":
        with pytest.raises(KubectlError, match="k8sedu does not model Node objects yet"):
            decode.check_served(version, kind, "n", "", "STDIN")
    else:
        decode.check_served(version, kind, "n", "", "STDIN")
    with pytest.raises(KubectlError, match="no matches for kind|does not model"):
        decode.check_served("v2", kind, "n", "", "STDIN")


def declared(obj):
    """``obj`` as a manifest declares it: the metadata a learner may set, and no status (the server's)."""
    m = obj.metadata
    meta = ObjectMeta(name=m.name, namespace=m.namespace, generate_name=m.generate_name, labels=m.labels,
                      annotations=m.annotations)
    status = {"status": type(obj.status)()} if hasattr(obj, "status") else {}
    return dataclasses.replace(obj, metadata=meta, **status)


def a_cluster_with_every_kind(cloud):
    cluster = Cluster(seed=7, cloud=cloud, ingress_ready=cloud is None)  # kind's ingress config: hostPorts 80/443
    cluster.install("ingress-nginx")
    cluster.apply(INGRESS + "---\n" + INGRESS_CLASS)
    out(cluster.core, "create ingress simple --rule=foo.com/bar=svc1:8080,tls=my-cert --default-backend=web:http")
    out(cluster.core, "create deployment web --image=nginx:1.27 --replicas=2 --port=80")
    out(cluster.core, "expose deployment web --port=80 --type=LoadBalancer")
    cluster.advance(30)
    return cluster


@pytest.fixture(scope="module")
def every_kind():
    """Every object of each kind, from a kind-like and a cloud cluster with add-ons and a learner's objects."""
    clusters = [a_cluster_with_every_kind(cloud) for cloud in (None, "gcp")]
    return {kind: [obj for cluster in clusters for obj in cluster.api.list(kind)] for kind in RESOURCE_BY_KIND}


@pytest.mark.parametrize("kind", list(RESOURCE_BY_KIND))
def test_decoding_what_the_api_serves_gives_the_declared_object_back(every_kind, kind):
    assert every_kind[kind]
    for obj in every_kind[kind]:
        doc = encode(obj)
        assert doc["kind"] == kind and doc["apiVersion"] == obj.api_version
        assert DECODERS[kind](doc, "elsewhere") == declared(obj)
        assert decode.to_object(doc, "elsewhere") == declared(obj)


@pytest.mark.parametrize("kind", list(RESOURCE_BY_KIND))
def test_kubectl_s_own_manifest_reads_back_to_itself(every_kind, kind):
    """Without the server's defaults (``served=False``) it reads back to what it said, owners and status aside."""
    for obj in every_kind[kind]:
        doc = encode(obj, served=False)
        assert encode(DECODERS[kind](doc, "elsewhere"), served=False) == encode(declared(obj), served=False)


def test_the_round_trip_sees_each_kind_s_fields(every_kind):
    """The objects above are not empty shells: the round trip covers probes, tolerations, taints, rules..."""
    pods = [pod.spec for pod in every_kind["Pod"]]
    assert any(p.containers[0].readiness_probe for p in pods)
    tolerations = {t for p in pods for t in p.tolerations}
    assert Taint("node.kubernetes.io/unreachable", "NoExecute", toleration_seconds=300) in tolerations  # admission's
    assert any(t.toleration_seconds is None and t.key for t in tolerations)  # the pods' own (DaemonSets, ingress-nginx)
    assert {p.host_port for spec in pods for c in spec.containers for p in c.ports} >= {0, 80, 443}
    assert any(node.spec.taints for node in every_kind["Node"]) and all(n.spec.pod_cidrs for n in every_kind["Node"])
    assert any(port.node_port for svc in every_kind["Service"] for port in svc.spec.ports)
    assert any(e.subsets for e in every_kind["Endpoints"])
    assert any(s.endpoints[0].target_ref for s in every_kind["EndpointSlice"] if s.endpoints)
    assert any(i.spec.tls for i in every_kind["Ingress"])
    assert any(c.spec.parameters for c in every_kind["IngressClass"])


def test_export_leaves_out_what_the_deployment_controller_wrote():
    """The revision annotations are the controller's (deployment/util ``SetNewReplicaSetAnnotations``)."""
    cluster = Cluster(seed=2)
    cluster.kubectl("create deployment web --image=nginx:1.27")
    cluster.advance(10)
    assert cluster.get("Deployment", "web").metadata.annotations["deployment.kubernetes.io/revision"] == "1"
    assert "deployment.kubernetes.io" not in cluster.export()


def test_export_leaves_out_the_tolerations_admission_added():
    """DefaultTolerationSeconds adds not-ready/unreachable for 300 s; the other cluster's admission adds its own."""
    cluster = Cluster(seed=2)
    cluster.kubectl("run solo --image=nginx:1.27")
    cluster.advance(5)
    assert len(cluster.get("Pod", "solo").spec.tolerations) == 2
    assert "tolerations" not in cluster.export()
