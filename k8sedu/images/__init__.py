"""Container images: whether a pull finds them, and what their containers do once started.

A real container runs a program from its image; the model needs a few facts
about it, kept in the sourced ``catalogue``: whether the image:tag exists
(else the pull fails, as containerd says it), which ports the program listens
on, which paths answer 200, which tools ``kubectl exec`` finds in its
``$PATH`` (and in which flavour), and whether its default command exits at
once (a bare ``busybox``).

An image whose repository the catalogue does not list keeps the model's
generic behaviour, because the model cannot know better: its pull succeeds;
it listens on the ports its pod spec declares and those its probes check (80
if none), so its probes pass as they did before the kubelet checked them;
it answers every path with its hostname, like the ``serve_hostname`` app of
Kubernetes' "Debug Services" guide; and ``kubectl exec`` finds every program
the model knows in it (bind9's ``nslookup``/``dig``, ``curl``, busybox's
``wget``, ``cat``, ``hostname``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Optional

from k8sedu.images.catalogue import CATALOGUE, NOT_FOUND, Image, hostname
from k8sedu.objects import Container, Pod

GENERIC_TOOLS = (("nslookup", "bind9"), ("dig", "bind9"), ("curl", "curl"), ("wget", "busybox"),
                 ("cat", "coreutils"), ("hostname", "debian"), ("sh", "dash"))

__all__ = ["App", "Image", "CATALOGUE", "reference", "lookup", "pull_error", "pull_policy", "app_for",
           "listener", "tool", "exits_at_once", "GENERIC_TOOLS"]


def reference(image: str) -> tuple[str, str]:
    """Split ``image`` into (normalised repository, tag) as containerd resolves it.

    Examples
    --------
    >>> reference("nginx")
    ('docker.io/library/nginx', 'latest')
    >>> reference("in28min/currency-exchange:0.0.1-RELEASE")
    ('docker.io/in28min/currency-exchange', '0.0.1-RELEASE')
    >>> reference("registry.k8s.io/e2e-test-images/jessie-dnsutils:1.3")
    ('registry.k8s.io/e2e-test-images/jessie-dnsutils', '1.3')
    """
    name, _, digest = image.partition("@")
    last = name.rsplit("/", 1)[-1]
    repo, tag = (name.rsplit(":", 1) if ":" in last else (name, ""))
    first = repo.split("/", 1)[0]
    if "/" not in repo or not ("." in first or ":" in first or first == "localhost"):
        repo = f"docker.io/{repo}" if "/" in repo else f"docker.io/library/{repo}"
    if digest:
        return repo, f"{tag}@{digest}" if tag else f"@{digest}"
    return repo, tag or "latest"


def _family(image: str) -> tuple[bool, Optional[Image]]:
    """(is the repository catalogued, the family this tag belongs to or None)."""
    repo, tag = reference(image)
    rows = [row for row in CATALOGUE if row.repository == repo]
    if tag.startswith("@"):
        return bool(rows), rows[-1] if rows else None  # a digest alone: trust it names a real image
    for row in rows:
        if re.fullmatch(row.tags, tag):
            return True, row
    return bool(rows), None


def lookup(image: str) -> Optional[Image]:
    """The catalogue row for ``image``, or None (unknown repository, or a tag that does not exist).

    Examples
    --------
    >>> lookup("busybox:1.28").tools[0]
    ('nslookup', 'busybox-1.28')
    >>> lookup("in28min/currency-exchange:0.0.1") is None
    True
    """
    return _family(image)[1]


def pull_error(image: str) -> Optional[str]:
    """What containerd answers when the kubelet pulls ``image`` that does not exist, or None.

    Only a tag missing from a catalogued repository is known not to exist; the text
    is containerd's ``failed to resolve reference`` through the CRI (code NotFound).

    Examples
    --------
    >>> print(pull_error("in28min/currency-exchange:0.0.1"))
    rpc error: code = NotFound desc = failed to pull and unpack image "docker.io/in28min/currency-exchange:0.0.1": failed to resolve reference "docker.io/in28min/currency-exchange:0.0.1": docker.io/in28min/currency-exchange:0.0.1: not found
    >>> pull_error("nginx:1.27") is None
    True
    """
    known, row = _family(image)
    if not known or row is not None:
        return None
    repo, tag = reference(image)
    ref = f"{repo}:{tag}"
    return (f'rpc error: code = NotFound desc = failed to pull and unpack image "{ref}": '
            f'failed to resolve reference "{ref}": {ref}: not found')


def pull_policy(image: str) -> str:
    """The default ``imagePullPolicy`` (k/k ``SetDefaults_Container``): Always for ``:latest`` or no tag.

    Examples
    --------
    >>> pull_policy("nginx"), pull_policy("nginx:latest"), pull_policy("nginx:1.27")
    ('Always', 'Always', 'IfNotPresent')
    """
    name = image.rsplit("/", 1)[-1]
    if "@" in name:
        return "IfNotPresent"
    return "Always" if name.partition(":")[2] in ("", "latest") else "IfNotPresent"


@dataclass(frozen=True)
class App:
    """A running container's program: the ports it listens on and what it answers."""

    ports: tuple[int, ...]
    answer: Callable[[Pod, str], str]
    paths: tuple[str, ...] = ("/*",)

    def status(self, path: str) -> int:
        """The HTTP status its program answers ``path`` with: 200 for a served path, else 404."""
        path = path.split("?", 1)[0] or "/"
        for served in self.paths:
            if path == served or (served.endswith("*") and path.startswith(served[:-1])):
                return 200
        return 404

    def respond(self, pod: Pod, path: str) -> str:
        """The body: the program's answer, or ``404 Not Found``."""
        return self.answer(pod, path) if self.status(path) == 200 else NOT_FOUND


def app_for(container: Container) -> App:
    """The program ``container``'s image runs (the generic one for an image the catalogue does not know)."""
    row = lookup(container.image)
    if row is not None:
        return App(row.ports, row.answer, row.paths)
    declared = tuple(p.container_port for p in container.ports)
    return App(declared + tuple(port for port in _probed_ports(container) if port not in declared) or (80,),
               hostname)


def _probed_ports(container: Container) -> tuple[int, ...]:
    """The numeric ports the container's probes check: an unknown image is taken to serve them."""
    ports = []
    for probe in (container.readiness_probe, container.liveness_probe):
        action = probe and (probe.http_get or probe.tcp_socket)
        if action is not None and str(action.port).isdigit():
            ports.append(int(action.port))
    return tuple(ports)


def listener(pod: Pod, port: int) -> Optional[App]:
    """The app listening on ``port`` in ``pod``, or None (connection refused)."""
    for container in pod.spec.containers:
        app = app_for(container)
        if port in app.ports:
            return App(app.ports, app.respond, app.paths)
    return None


def tool(container: Container, program: str) -> Optional[str]:
    """The flavour of ``program`` in ``container``'s image (``bind9``, ``busybox-1.36``...), or None if absent.

    Examples
    --------
    >>> from k8sedu.objects import Container
    >>> tool(Container("c", "nginx:1.27"), "curl"), tool(Container("c", "nginx:1.27"), "nslookup")
    ('curl', None)
    >>> tool(Container("c", "busybox:1.36"), "nslookup")
    'busybox-1.36'
    """
    row = lookup(container.image)
    tools = row.tools if row is not None else GENERIC_TOOLS
    return dict(tools).get(program)


def exits_at_once(container: Container) -> bool:
    """True if the container's program ends as soon as it starts (its image's command, not overridden)."""
    row = lookup(container.image)
    return row is not None and row.exits and not (container.command or container.args)
