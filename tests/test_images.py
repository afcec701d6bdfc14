"""The image catalogue: which image:tag exists, what it listens on and serves, which tools it carries.

Every row of ``k8sedu.images.catalogue`` names its source; these tables check the
facts the course relies on.
"""

import pytest

from k8sedu import images
from k8sedu.images.catalogue import CATALOGUE
from k8sedu.objects import Container, ContainerPort, HTTPGetAction, Probe


@pytest.mark.parametrize("image, repository, tag", [
    # containerd's reference normalisation (docker/distribution ParseNormalizedNamed): docker.io, library/, :latest
    ("nginx", "docker.io/library/nginx", "latest"),
    ("nginx:1.27", "docker.io/library/nginx", "1.27"),
    ("docker.io/library/nginx:1.27", "docker.io/library/nginx", "1.27"),
    ("in28min/currency-exchange:0.0.1-RELEASE", "docker.io/in28min/currency-exchange", "0.0.1-RELEASE"),
    ("registry.k8s.io/coredns/coredns:v1.11.3", "registry.k8s.io/coredns/coredns", "v1.11.3"),
    ("localhost:5000/app", "localhost:5000/app", "latest"),
])
def test_references_normalise_as_containerd_resolves_them(image, repository, tag):
    """Source: docker/distribution reference ``ParseNormalizedNamed``; kubelet ``applyDefaultImageTag``."""
    assert images.reference(image) == (repository, tag)


@pytest.mark.parametrize("image, exists", [
    # in28minutes' kubernetes-crash-course deployment.yaml files and docker run steps: -RELEASE tags only
    ("in28min/currency-exchange:0.0.1-RELEASE", True),
    ("in28min/currency-conversion:0.0.1-RELEASE", True),
    ("in28min/currency-conversion:0.0.2-RELEASE", True),
    ("in28min/currency-exchange:0.0.1", False),
    ("in28min/currency-conversion:0.0.1", False),
    ("in28min/currency-exchange", False),  # the maven plugin pushes ${project.version} only: no latest
    ("nginx", True), ("nginx:1.27", True), ("nginx:1.27-alpine", True), ("nginx:stable", True),
    ("nginx:1.0", False), ("nginx:latests", False),
    ("busybox", True), ("busybox:1.28", True), ("busybox:1.36.1", True), ("busybox:1.36-musl", True),
    ("busybox:2.0", False),
    ("registry.k8s.io/e2e-test-images/jessie-dnsutils:1.3", True),
    ("registry.k8s.io/e2e-test-images/agnhost:2.39", True),
    ("registry.k8s.io/coredns/coredns:v1.11.3", True),
    # kindest/node:v1.32.2's own images (kind v0.27.0 buildcontext.go, const_cni.go, const_storage.go)
    ("registry.k8s.io/pause:3.10", True), ("kindest/local-path-provisioner:v20250214-acbabc1a", True),
    ("kindest/local-path-helper:v20241212-8ac705d0", True), ("kindest/local-path-helper:latest", False),
    ("example.com/team/app:v7", True),  # a repository the catalogue does not know: the model trusts it exists
])
def test_which_image_tags_exist(image, exists):
    """Source: the catalogue rows' sources (crash-course YAML, docker-library tags); unknown repositories pull."""
    assert (images.pull_error(image) is None) == exists


def test_a_missing_tag_fails_with_containerds_not_found():
    """Source: containerd's resolver text through the CRI, as kind's nodes print it in the kubelet's event
    (``failed to resolve reference ...: not found``, code NotFound)."""
    assert images.pull_error("nginx:1.0") == (
        'rpc error: code = NotFound desc = failed to pull and unpack image "docker.io/library/nginx:1.0": '
        'failed to resolve reference "docker.io/library/nginx:1.0": docker.io/library/nginx:1.0: not found')


@pytest.mark.parametrize("image, policy", [
    ("nginx", "Always"), ("nginx:latest", "Always"), ("nginx:1.27", "IfNotPresent"),
    ("busybox@sha256:" + "a" * 64, "IfNotPresent"), ("registry.k8s.io/coredns/coredns:v1.11.3", "IfNotPresent"),
])
def test_the_default_pull_policy(image, policy):
    """Source: k/k ``pkg/apis/core/v1/defaults.go`` ``SetDefaults_Container``."""
    assert images.pull_policy(image) == policy


@pytest.mark.parametrize("image, program, flavour", [
    # docker-library/nginx debian Dockerfile installs curl; no dnsutils, no wget
    ("nginx:1.27", "curl", "curl"), ("nginx:1.27", "nslookup", None), ("nginx:1.27", "dig", None),
    ("nginx:1.27", "wget", None), ("nginx", "cat", "coreutils"),
    # nginx alpine: curl plus busybox applets
    ("nginx:alpine", "nslookup", "busybox-1.36"), ("nginx:alpine", "curl", "curl"),
    # busybox: its own nslookup (rewritten in 1.29) and wget; no curl, no dig
    ("busybox:1.28", "nslookup", "busybox-1.28"), ("busybox:1.36", "nslookup", "busybox-1.36"),
    ("busybox", "nslookup", "busybox-1.36"), ("busybox:1.36", "wget", "busybox"),
    ("busybox:1.36", "curl", None), ("busybox:1.36", "dig", None),
    # the Kubernetes DNS debugging page's dnsutils image: bind9's tools
    ("registry.k8s.io/e2e-test-images/jessie-dnsutils:1.3", "nslookup", "bind9"),
    ("registry.k8s.io/e2e-test-images/jessie-dnsutils:1.3", "dig", "bind9"),
    ("registry.k8s.io/e2e-test-images/jessie-dnsutils:1.3", "curl", None),
    # agnhost: alpine + bind-tools curl
    ("registry.k8s.io/e2e-test-images/agnhost:2.39", "dig", "bind9"),
    ("registry.k8s.io/e2e-test-images/agnhost:2.39", "curl", "curl"),
    # the course's Spring Boot images on openjdk:8 (Debian, buildpack-deps): curl and GNU wget, no DNS tools
    ("in28min/currency-exchange:0.0.1-RELEASE", "curl", "curl"),
    ("in28min/currency-exchange:0.0.1-RELEASE", "wget", "gnu"),
    ("in28min/currency-exchange:0.0.1-RELEASE", "nslookup", None),
    # curl/curl-container: alpine with curl
    ("curlimages/curl:8.11.1", "curl", "curl"), ("curlimages/curl", "nslookup", "busybox-1.36"),
    # CoreDNS is FROM scratch: nothing but the coredns binary
    ("registry.k8s.io/coredns/coredns:v1.11.3", "cat", None),
    # the pause image is FROM scratch; kind's local-path images are distroless (the helper adds sh, rm, mkdir)
    ("registry.k8s.io/pause:3.10", "sh", None),
    ("kindest/local-path-provisioner:v20250214-acbabc1a", "sh", None),
    ("kindest/local-path-helper:v20241212-8ac705d0", "sh", "bash"),
    ("kindest/local-path-helper:v20241212-8ac705d0", "nslookup", None),
    # an image the catalogue does not know keeps the model's generic tools
    ("example.com/team/app:v7", "nslookup", "bind9"), ("example.com/team/app:v7", "curl", "curl"),
])
def test_the_tools_each_image_carries(image, program, flavour):
    """Source: each catalogue row's Dockerfile (see ``k8sedu.images.catalogue``)."""
    assert images.tool(Container("c", image), program) == flavour


@pytest.mark.parametrize("image, port, path, status", [
    # CurrencyExchangeController: GET / and /currency-exchange/from/{from}/to/{to}; Spring answers 404 otherwise
    ("in28min/currency-exchange:0.0.1-RELEASE", 8000, "/", 200),
    ("in28min/currency-exchange:0.0.1-RELEASE", 8000, "/currency-exchange/from/USD/to/INR", 200),
    ("in28min/currency-exchange:0.0.1-RELEASE", 8000, "/healthz", 404),
    ("in28min/currency-conversion:0.0.1-RELEASE", 8100, "/currency-conversion/from/USD/to/INR/quantity/10", 200),
    ("nginx:1.27", 80, "/", 200), ("nginx:1.27", 80, "/index.html", 200), ("nginx:1.27", 80, "/healthz", 404),
    ("registry.k8s.io/coredns/coredns:v1.11.3", 8181, "/ready", 200),
    ("registry.k8s.io/coredns/coredns:v1.11.3", 8080, "/health", 200),
])
def test_the_ports_and_paths_each_image_serves(image, port, path, status):
    """Source: the controllers of in28minutes' services; nginx's default server; kind's Corefile (health, ready)."""
    app = images.app_for(Container("c", image))
    assert port in app.ports
    assert app.status(path) == status


def test_an_unknown_image_listens_on_its_declared_ports_or_80_and_answers_every_path():
    """Derived from code: ``images.app_for`` keeps the model's generic app (serve_hostname) for unknown images."""
    declared = images.app_for(Container("c", "example.com/team/app:v7", (ContainerPort(8080),)))
    assert (declared.ports, declared.status("/anything")) == ((8080,), 200)
    assert images.app_for(Container("c", "example.com/team/app:v7")).ports == (80,)


@pytest.mark.parametrize("image, command, exits", [
    ("busybox", (), True), ("busybox:1.36", ("sleep", "3600"), False),
    ("registry.k8s.io/e2e-test-images/jessie-dnsutils:1.3", (), True),
    ("registry.k8s.io/e2e-test-images/jessie-dnsutils:1.3", ("sleep", "infinity"), False),
    ("nginx", (), False), ("in28min/currency-exchange:0.0.1-RELEASE", (), False),
])
def test_images_whose_default_command_ends_at_once(image, command, exits):
    """Source: docker-library/busybox ``CMD ["sh"]`` (no terminal: sh reads EOF and exits); the DNS
    debugging page's dnsutils.yaml runs ``sleep infinity`` for the same reason."""
    assert images.exits_at_once(Container("c", image, command=command)) == exits


def test_every_catalogue_row_names_its_source():
    """Derived from code: the catalogue's rule that every fact is sourced."""
    assert all(row.source for row in CATALOGUE)


def test_an_unknown_image_serves_the_ports_its_probes_check():
    """Derived from code: ``images.app_for``; an unknown image keeps the model's old behaviour, in which
    every readiness probe passed."""
    app = images.app_for(Container("c", "example.com/team/app:v7", readiness_probe=Probe(HTTPGetAction(8080, "/ok"))))
    assert (app.ports, app.status("/ok")) == ((8080,), 200)
