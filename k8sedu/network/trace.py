"""Requests as data: who sends, what a URL asks for, each hop's decision, and the finished trace.

This is the part of the network a learner reads: a ``Trace`` is the whole
story of one request, a tuple of ``Hop``s, each naming the component that
decided (``dns``, ``kube-proxy rules (kind-worker)``, ``cloud firewall``,
``pod/web-...``), what it did and why. The other modules of the package move
a ``Request`` (the request in flight) along and end it here, either with an
answer or with one of curl's failures: its error text and exit code, as
``kubectl exec <pod> -- curl`` would print them.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Optional
from urllib.parse import urlsplit

from k8sedu import coredns
from k8sedu.apiserver import StatusError
from k8sedu.cloud import INTERNET_CLIENT_IP, vpc_client_ip
from k8sedu.errors import KubectlError, from_status

if TYPE_CHECKING:  # pragma: no cover
    from k8sedu.protocols import DataPlane
    from k8sedu.objects import Pod

# curl's exit codes (man curl, "EXIT CODES") for the ways a request fails here
COULD_NOT_RESOLVE = 6
CONNECTION_REFUSED = 7  # a REJECT, or nothing listens on the port: the kernel answers with a RST
TIMED_OUT = 28  # a DROP, or no route: nothing ever answers, so curl gives up
EMPTY_REPLY = 52  # a load balancer accepted the connection but has no healthy backend to pass it to

CURL_ERRORS = {
    COULD_NOT_RESOLVE: "curl: (6) Could not resolve host: {host}",
    CONNECTION_REFUSED: "curl: (7) Failed to connect to {host} port {port} after 0 ms: Couldn't connect to server",
    TIMED_OUT: "curl: (28) Failed to connect to {host} port {port} after 130000 ms: Connection timed out",
    EMPTY_REPLY: "curl: (52) Empty reply from server",
}


@dataclass(frozen=True)
class Hop:
    """One component's decision about the request."""

    component: str
    action: str
    detail: str
    rules: tuple[str, ...] = ()

    def __str__(self) -> str:
        return f"[{self.component}] {self.action}: {self.detail}"


@dataclass(frozen=True)
class Trace:
    """The whole story of one request: where it went, who answered, or why not."""

    url: str
    source: str
    ok: bool
    hops: tuple[Hop, ...]
    status: Optional[int] = None
    pod: Optional[str] = None
    body: str = ""
    reason: str = ""
    error: str = ""
    dns: Optional[coredns.DnsAnswer] = None
    exit_code: int = 0
    client_ip_seen: str = ""
    server: str = ""  # who answered: "pod/<name>", or a host outside the cluster

    def __str__(self) -> str:
        head = f"{self.source} -> {self.url}"
        tail = f"=> {self.status} from {self.server}" if self.ok else f"=> failed: {self.reason}"
        return "\n".join([head] + [f"  {i}. {hop}" for i, hop in enumerate(self.hops, 1)] + [tail])


@dataclass(frozen=True)
class Client:
    """Who sends: a pod, a node, the host that runs kind, a machine on the VPC, or someone on the internet."""

    name: str
    ip: str
    kind: str  # "pod", "node", "host", "vpc" or "internet"
    node: str = ""  # the node whose netfilter the client's packets enter first (pods and nodes)
    pod: Optional["Pod"] = None


def pod_client(pod: "Pod") -> Client:
    """Return the client for a request sent from inside ``pod`` (its packets enter its node's netfilter)."""
    return Client(f"pod/{pod.metadata.name}", pod.status.pod_ip, "pod", pod.spec.node_name, pod)


def outside_client(core: "DataPlane", source: str) -> Client:
    """Parse ``source=`` (``"vpc"``, ``"internet"``, ``"host"`` or ``"node/<name>"``).

    ``"host"`` is the machine that runs kind: on the docker network ``kind``
    (its gateway, ``172.18.0.1``), with kind's ``extraPortMappings`` on its
    own ``localhost``.
    """
    if source == "internet":
        return Client("internet", INTERNET_CLIENT_IP, "internet")
    if source == "host":
        if core.cloud is not None:
            raise KubectlError(f'error: source="host" is the machine that runs kind; this is a '
                               f'{core.cloud.provider.name} cluster: use source="vpc" or source="internet"')
        return Client("host", vpc_client_ip(None), "host")
    if source == "vpc":
        return Client("vpc", vpc_client_ip(core.cloud), "vpc")
    if source.startswith("node/"):
        try:
            node = core.api.get("Node", "", source[5:])
        except StatusError as err:
            raise from_status(err) from None
        return Client(source, node.address("InternalIP"), "node", node.metadata.name)
    raise KubectlError(f'error: unknown source "{source}": use from_pod=..., source="node/<name>", '
                       'source="host", source="vpc" or source="internet"')


@dataclass(frozen=True)
class Target:
    """What a URL asks for."""

    host: str
    port: int
    path: str
    host_header: str = ""  # what the client sends as ``Host:`` (an ingress controller routes by it)
    scheme: str = "http"  # "https" asks for TLS (not modelled: answered as if curl had -k)
    user_agent: str = "-"  # the User-Agent header, as an access log shows it ("-" when none was sent)


def parse_url(url: str, headers: Optional[dict] = None) -> Target:
    """Split ``url`` as curl does (``http://`` if no scheme; port 80, or 443 for https).

    Examples
    --------
    >>> parse_url("web:8080/api", {"host": "shop.example.com"})
    Target(host='web', port=8080, path='/api', host_header='shop.example.com', scheme='http', user_agent='-')
    >>> parse_url("https://example.com")
    Target(host='example.com', port=443, path='/', host_header='example.com', scheme='https', user_agent='-')
    """
    parts = urlsplit(url if "://" in url else f"http://{url}")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise KubectlError("curl: (3) URL rejected: Malformed input to a URL function")
    default = 443 if parts.scheme == "https" else 80
    given = {k.lower(): v for k, v in (headers or {}).items()}
    return Target(parts.hostname, _port(parts) or default, parts.path or "/", given.get("host", parts.hostname),
                  parts.scheme, given.get("user-agent", "-"))


# curl's urlapi.c (CURLUE_BAD_PORT_NUMBER), as curl 8 prints it for a URL it cannot parse (exit code 3)
BAD_PORT = "curl: (3) URL rejected: Port number was not a decimal number between 0 and 65535"


def _port(parts) -> Optional[int]:
    """The URL's port, or None for none; curl's error for anything but a decimal number up to 65535.

    >>> _port(urlsplit("http://web:99999/"))
    Traceback (most recent call last):
    ...
    k8sedu.errors.KubectlError: curl: (3) URL rejected: Port number was not a decimal number between 0 and 65535
    """
    text = parts.netloc.rpartition("@")[2].rpartition("]")[2]
    given = text.partition(":")[2] if ":" in text else ""
    if given and not (given.isascii() and given.isdigit() and int(given) <= 65535):
        raise KubectlError(BAD_PORT)
    return int(given) if given else None


def is_ip(host: str) -> bool:
    """Whether ``host`` is an IPv4 address (curl then skips DNS)."""
    try:
        ipaddress.IPv4Address(host)
        return True
    except ValueError:
        return False


@dataclass
class Request:
    """A request in flight: what was asked, by whom, the DNS answer, and the hops so far.

    Mutable on purpose: each component appends its hop as the request moves
    on, and the request ends exactly once, by ``fail``, ``failed`` or
    ``answered``, which freeze the hops into a ``Trace``.
    """

    url: str
    client: Client
    target: Target
    hops: list[Hop] = field(default_factory=list)
    dns: Optional[coredns.DnsAnswer] = None

    def record(self, component: str, action: str, detail: str, rules: tuple[str, ...] = ()) -> None:
        """Append one component's decision."""
        self.hops.append(Hop(component, action, detail, rules))

    def fail(self, component: str, action: str, why: str, exit_code: int, rules: tuple[str, ...] = ()) -> Trace:
        """Record the hop that stopped the request, and end it with curl's error for ``exit_code``."""
        self.record(component, action, why, rules)
        return self.failed(why, exit_code)

    def failed(self, reason: str, exit_code: int) -> Trace:
        """End the request with curl's error for ``exit_code``."""
        error = CURL_ERRORS[exit_code].format(host=self.target.host, port=self.target.port)
        return Trace(self.url, self.client.name, False, tuple(self.hops), reason=reason, error=error,
                     dns=self.dns, exit_code=exit_code)

    def answered(self, status: int, server: str, body: str, pod: Optional[str] = None,
                 client_ip_seen: str = "", reason: str = "") -> Trace:
        """End the request with an HTTP answer from ``server``."""
        return Trace(self.url, self.client.name, True, tuple(self.hops), status=status, pod=pod, body=body,
                     reason=reason, dns=self.dns, client_ip_seen=client_ip_seen, server=server)
