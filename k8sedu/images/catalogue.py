"""The image catalogue: what each image the course uses really is, with the source of every fact.

One row per image family (a repository and the tags that share a content):
which tags exist, the ports its program listens on, the paths that answer
``200``, the tools ``kubectl exec`` finds in its ``$PATH`` (with their flavour,
because busybox's ``nslookup`` does not print what bind9's does), and whether
its default command exits at once. The first row whose repository and tag
pattern match an image wins; a known repository with a tag no row matches
does not exist (the pull fails with ``not found``).

Sources, by row:

- ``in28min/currency-exchange`` / ``currency-conversion``: in28minutes'
  kubernetes-crash-course ``04-currency-exchange-microservice-basic/deployment.yaml``
  (``in28min/currency-exchange:0.0.1-RELEASE``, containerPort 8000, probes on ``/``),
  ``05-currency-conversion-microservice-basic/deployment.yaml``
  (``in28min/currency-conversion:0.0.2-RELEASE``, port 8100) and the course's
  ``docker run ... in28min/currency-conversion:0.0.1-RELEASE`` steps; the pom's
  dockerfile-maven-plugin pushes ``in28min/${project.name}:${project.version}``
  only, so there is no ``latest`` and no ``0.0.1``. Endpoints from
  ``CurrencyExchangeController`` / ``CurrencyConversionController``
  (``GET /`` answers ``{healthy:true}``). Base image ``openjdk:8`` (the
  course's Dockerfile), a Debian image built on buildpack-deps, which carries
  ``curl`` and GNU ``wget`` but no ``nslookup`` or ``dig``.
- ``nginx``: docker-library/nginx Dockerfiles (Debian: installs ``curl``, no
  dnsutils, no wget; alpine: ``curl`` plus busybox's applets, ``-slim`` without
  curl); nginx's default server answers ``/`` and ``/index.html``.
- ``busybox``: docker-library/busybox (``CMD ["sh"]``: with no terminal the
  shell exits at once); applets ``nslookup`` and ``wget``, no ``curl``/``dig``.
  busybox 1.29 rewrote ``nslookup`` (it prints ``Address:	10.96.0.10:53`` and
  does not walk the search list as 1.28 did), hence two flavours.
- ``curlimages/curl``: curl/curl-container (alpine, curl plus busybox's applets;
  its entrypoint runs ``curl``, which exits without a URL).
- ``registry.k8s.io/e2e-test-images/jessie-dnsutils``: the image of the
  Kubernetes "Debugging DNS Resolution" page (``dnsutils.yaml``, tag 1.3,
  ``command: [sleep, infinity]``): Debian with ``dnsutils`` (bind9 ``dig``,
  ``nslookup``, ``host``).
- ``registry.k8s.io/e2e-test-images/agnhost``: k/k ``test/images/agnhost/Dockerfile``
  (alpine + ``apk add bind-tools curl netcat-openbsd iproute2 iperf bash``;
  serve-hostname on 9376). The model runs it as ``serve-hostname``.
- ``registry.k8s.io/coredns/coredns``: built FROM scratch (no shell, no tools);
  kind's Corefile: ``health`` on 8080 ``/health``, ``ready`` on 8181 ``/ready``,
  ``prometheus :9153``, DNS on 53.
- ``registry.k8s.io/ingress-nginx/controller``: healthz on 10254 ``/healthz``,
  HTTP 80, HTTPS 443, webhook 8443 (deploy manifests); alpine based.
- ``quay.io/metallb/controller`` / ``speaker``: distroless; metrics on 7472.
- ``registry.k8s.io/pause``: the sandbox image (kind's containerd ``sandbox_image``
  ``registry.k8s.io/pause:3.10``), built FROM scratch with the one ``/pause``
  binary: it listens on nothing and carries no tools.
- ``docker.io/kindest/local-path-provisioner`` / ``local-path-helper``: kind
  ``images/local-path-provisioner/Dockerfile`` (distroless base-debian11, the
  provisioner binary only, no ports) and ``images/local-path-helper/Dockerfile``
  (distroless static with bash as ``sh``, ``rm`` and ``mkdir``, which the
  provisioner's helper pods run).
- the control plane (``kube-apiserver``, ``kube-controller-manager``,
  ``kube-scheduler``, ``etcd``), ``kube-proxy`` and kind's ``kindnetd``: built
  on distroless bases (no shell, no cat; kube-proxy carries iptables), serving
  their health ports as kubeadm's static pod manifests probe them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Callable

from k8sedu.objects import Pod

Answer = Callable[[Pod, str], str]
NOT_FOUND = "404 Not Found"


@dataclass(frozen=True)
class Image:
    """One image family: a repository, the tags that exist, and what its containers do."""

    repository: str  # normalised: registry/path, e.g. docker.io/library/nginx
    tags: str  # a regular expression every existing tag of this family matches
    ports: tuple[int, ...]  # what its program listens on
    paths: tuple[str, ...]  # paths answering 200; "/x/*" is a prefix
    tools: tuple[tuple[str, str], ...]  # (program, flavour) found in $PATH
    answer: Answer
    exits: bool = False  # its default command ends at once (busybox's sh without a terminal)
    source: str = ""


def hostname(pod: Pod, path: str) -> str:
    """``serve_hostname``'s answer (Kubernetes' "Debug Services" guide): the pod's name."""
    return pod.metadata.name


def _environment(pod: Pod) -> str:
    return f"{pod.metadata.name} v1 {pod.status.pod_ip}"


def _currency_exchange(pod: Pod, path: str) -> str:
    if path in ("", "/"):
        return "{healthy:true}"
    return json.dumps({"id": 10001, "from": "USD", "to": "INR", "conversionMultiple": 65.00,
                       "environment": _environment(pod)})


def _currency_conversion(pod: Pod, path: str) -> str:
    if path in ("", "/"):
        return "{healthy:true}"
    return json.dumps({"id": 10001, "from": "USD", "to": "INR", "conversionMultiple": 65.00,
                       "quantity": 10, "totalCalculatedAmount": 650.00, "environment": _environment(pod)})


# nginx's default /usr/share/nginx/html/index.html (1.25+; 615 bytes, the size its access log shows)
NGINX_INDEX = """<!DOCTYPE html>
<html>
<head>
<title>Welcome to nginx!</title>
<style>
html { color-scheme: light dark; }
body { width: 35em; margin: 0 auto;
font-family: Tahoma, Verdana, Arial, sans-serif; }
</style>
</head>
<body>
<h1>Welcome to nginx!</h1>
<p>If you see this page, the nginx web server is successfully installed and
working. Further configuration is required.</p>

<p>For online documentation and support please refer to
<a href="http://nginx.org/">nginx.org</a>.<br/>
Commercial support is available at
<a href="http://nginx.com/">nginx.com</a>.</p>

<p><em>Thank you for using nginx.</em></p>
</body>
</html>
"""


def _nginx(pod: Pod, path: str) -> str:
    return NGINX_INDEX


def _ok(pod: Pod, path: str) -> str:
    return "ok"


OPENJDK8 = (("curl", "curl"), ("wget", "gnu"), ("cat", "coreutils"), ("hostname", "debian"), ("sh", "dash"))
DEBIAN = (("cat", "coreutils"), ("hostname", "debian"), ("sh", "dash"))
BUSYBOX_NEW = (("nslookup", "busybox-1.36"), ("wget", "busybox"), ("cat", "busybox"), ("hostname", "busybox"),
               ("sh", "busybox"))
BUSYBOX_OLD = (("nslookup", "busybox-1.28"), ("wget", "busybox"), ("cat", "busybox"), ("hostname", "busybox"),
               ("sh", "busybox"))
BIND9 = (("nslookup", "bind9"), ("dig", "bind9"), ("host", "bind9"))

_NGINX_VERSION = r"1\.(9|1\d|2\d)(\.\d+)?"
_BUSYBOX_VARIANT = r"(-(glibc|musl|uclibc))?"

CATALOGUE: tuple[Image, ...] = (
    Image("docker.io/in28min/currency-exchange", r"0\.0\.1-RELEASE", (8000,),
          ("/", "/currency-exchange/from/*"), OPENJDK8, _currency_exchange,
          source="in28minutes/kubernetes-crash-course 04-currency-exchange-microservice-basic/deployment.yaml"),
    Image("docker.io/in28min/currency-conversion", r"0\.0\.[12]-RELEASE", (8100,),
          ("/", "/currency-conversion/from/*", "/currency-conversion-feign/from/*"), OPENJDK8, _currency_conversion,
          source="in28minutes/kubernetes-crash-course 05-currency-conversion-microservice-basic/deployment.yaml"),
    Image("docker.io/library/nginx",
          rf"(alpine-slim|stable-alpine-slim|mainline-alpine-slim|{_NGINX_VERSION}-alpine-slim)",
          (80,), ("/", "/index.html"), BUSYBOX_NEW, _nginx, source="docker-library/nginx alpine-slim/Dockerfile"),
    Image("docker.io/library/nginx",
          rf"(alpine|stable-alpine|mainline-alpine|alpine-perl|{_NGINX_VERSION}-alpine(-perl)?)",
          (80,), ("/", "/index.html"), (("curl", "curl"),) + BUSYBOX_NEW, _nginx,
          source="docker-library/nginx alpine/Dockerfile (apk add curl)"),
    Image("docker.io/library/nginx", rf"(latest|stable|mainline|perl|stable-perl|mainline-perl|bookworm|"
                                     rf"{_NGINX_VERSION}(-perl|-bookworm|-bookworm-perl)?)",
          (80,), ("/", "/index.html"), (("curl", "curl"),) + DEBIAN, _nginx,
          source="docker-library/nginx debian/Dockerfile (apt-get install curl, no dnsutils, no wget)"),
    Image("docker.io/library/busybox", rf"1\.2[0-8](\.\d+)?{_BUSYBOX_VARIANT}", (), (), BUSYBOX_OLD, hostname,
          exits=True, source="docker-library/busybox (CMD [\"sh\"]); busybox 1.28 nslookup"),
    Image("docker.io/library/busybox",
          rf"(latest|stable|unstable|glibc|musl|uclibc|1\.(29|3\d)(\.\d+)?{_BUSYBOX_VARIANT})",
          (), (), BUSYBOX_NEW, hostname, exits=True,
          source="docker-library/busybox (CMD [\"sh\"]); busybox >= 1.29 nslookup"),
    Image("docker.io/curlimages/curl", r"(latest|\d+\.\d+\.\d+)", (), (), (("curl", "curl"),) + BUSYBOX_NEW, hostname,
          exits=True, source="curl/curl-container Dockerfile (alpine; ENTRYPOINT curl: no URL, it exits)"),
    Image("registry.k8s.io/e2e-test-images/jessie-dnsutils", r"1\.[3-7]", (), (), BIND9 + DEBIAN, hostname,
          exits=True, source="kubernetes.io Debugging DNS Resolution, dnsutils.yaml"),
    Image("registry.k8s.io/e2e-test-images/agnhost", r"2\.\d+", (9376,), ("/*",),
          BIND9 + (("curl", "curl"), ("wget", "busybox"), ("cat", "busybox"), ("hostname", "busybox"),
                   ("sh", "bash")), hostname, source="kubernetes/kubernetes test/images/agnhost/Dockerfile"),
    Image("registry.k8s.io/coredns/coredns", r"v1\.\d+\.\d+", (53, 8080, 8181, 9153),
          ("/health", "/ready", "/metrics"), (), _ok,
          source="coredns/coredns Dockerfile (FROM scratch); kind Corefile"),
    Image("registry.k8s.io/ingress-nginx/controller", r"v1\.\d+\.\d+(@sha256:[0-9a-f]{64})?", (80, 443, 8443, 10254),
          ("/healthz",), (("curl", "curl"),) + BUSYBOX_NEW, _ok,
          source="kubernetes/ingress-nginx deploy/static/provider/*/deploy.yaml"),
    Image("registry.k8s.io/kube-apiserver", r"v1\.\d+\.\d+", (6443,), ("/healthz", "/livez", "/readyz"), (), _ok,
          source="kubernetes build/common.sh: control-plane images on go-runner (distroless static)"),
    Image("registry.k8s.io/kube-controller-manager", r"v1\.\d+\.\d+", (10257,), ("/healthz",), (), _ok,
          source="kubernetes build/common.sh (distroless); kubeadm static pod probes https :10257/healthz"),
    Image("registry.k8s.io/kube-scheduler", r"v1\.\d+\.\d+", (10259,), ("/healthz", "/livez", "/readyz"), (), _ok,
          source="kubernetes build/common.sh (distroless); kubeadm static pod probes https :10259/livez"),
    Image("registry.k8s.io/kube-proxy", r"v1\.\d+\.\d+", (10249, 10256), ("/healthz", "/livez", "/metrics"),
          (("iptables", "nft"),), _ok, source="kubernetes build/common.sh: kube-proxy on distroless-iptables"),
    Image("registry.k8s.io/etcd", r"3\.\d+\.\d+-\d+", (2379, 2380, 2381), ("/health", "/metrics"),
          (("etcdctl", "etcd"),), _ok, source="etcd 3.5 images: distroless, etcd and etcdctl only"),
    Image("docker.io/kindest/kindnetd", r"v\d{8}-[0-9a-f]{8}", (), (), (), _ok,
          source="kubernetes-sigs/kind images/kindnetd/Dockerfile (distroless)"),
    Image("registry.k8s.io/pause", r"3\.\d+(\.\d+)?", (), (), (), _ok,
          source="kubernetes build/pause/Dockerfile (FROM scratch); kind images/base containerd config.toml"),
    Image("docker.io/kindest/local-path-provisioner", r"v\d{8}-[0-9a-f]{8}", (), (), (), _ok,
          source="kubernetes-sigs/kind images/local-path-provisioner/Dockerfile (distroless base-debian11)"),
    Image("docker.io/kindest/local-path-helper", r"v\d{8}-[0-9a-f]{8}", (), (),
          (("sh", "bash"), ("rm", "coreutils"), ("mkdir", "coreutils")), _ok,
          source="kubernetes-sigs/kind images/local-path-helper/Dockerfile (distroless static, bash, rm, mkdir)"),
    Image("quay.io/metallb/controller", r"v0\.\d+\.\d+", (7472, 9443), ("/metrics",), (), _ok,
          source="metallb/metallb config/manifests/metallb-native.yaml"),
    Image("quay.io/metallb/speaker", r"v0\.\d+\.\d+", (7472, 7946), ("/metrics",), (), _ok,
          source="metallb/metallb config/manifests/metallb-native.yaml"),
)
