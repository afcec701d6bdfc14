"""Container logs: what each container wrote, kept as the node keeps it for ``kubectl logs``.

On a real node the container runtime writes each container's stdout and
stderr to a file under ``/var/log/pods/<namespace>_<pod>_<uid>/<container>/
<restart count>.log``; the kubelet serves it to ``kubectl logs`` through the
API server, keeps the file of the previous run (``--previous``) and rotates
files so they stay bounded. The model keeps the same shape: lines per pod
UID, container and restart count, the newest ``MAX_LINES`` of each.

What the model's containers write: one access-log line per request their app
answers (``network`` calls ``access`` when a pod answers). nginx images write
nginx's ``combined`` format (``log_format combined``, the default of the
official image's ``nginx.conf``), with the client address the pod saw;
other images write the model's own line, ``<RFC 3339 time> <client> "GET
<path> HTTP/1.1" <status>``, because their real apps log in their own way
(Spring Boot apps log nothing per request by default). Start-up messages are
not modelled. The User-Agent is ``-`` unless the request carried one. A
container whose command is a program that ends (``nslookup web``) logs what
the program printed (the kubelet writes it). Each line keeps the stream it
came from, as the CRI log format does (``<time> stdout F <line>``), so an
attached ``kubectl run`` can pass stdout and stderr on separately.
"""

from __future__ import annotations

import datetime
from collections import deque
from typing import Any, Optional

from k8sedu.clock import EPOCH

MAX_LINES = 1000  # per container run: older lines are dropped, as log rotation drops old files

Key = tuple[str, str, int]  # (pod uid, container name, restart count)


def combined_line(client_ip: str, at: float, method: str, path: str, status: int, size: int,
                  user_agent: str = "-") -> str:
    """nginx's ``combined`` format: ``$remote_addr - $remote_user [$time_local] "$request" $status ...``.

    Examples
    --------
    >>> combined_line("10.244.1.5", 63, "GET", "/", 200, 615)
    '10.244.1.5 - - [05/Jan/2026:09:01:03 +0000] "GET / HTTP/1.1" 200 615 "-" "-"'
    """
    when = (EPOCH + datetime.timedelta(seconds=at)).strftime("%d/%b/%Y:%H:%M:%S +0000")
    return f'{client_ip} - - [{when}] "{method} {path} HTTP/1.1" {status} {size} "-" "{user_agent}"'


def simple_line(client_ip: str, at: float, method: str, path: str, status: int) -> str:
    """The model's own access line for apps whose real log format it does not follow.

    Examples
    --------
    >>> simple_line("10.244.1.5", 63, "GET", "/currency-exchange/from/USD/to/INR", 200)
    '2026-01-05T09:01:03Z 10.244.1.5 "GET /currency-exchange/from/USD/to/INR HTTP/1.1" 200'
    """
    when = (EPOCH + datetime.timedelta(seconds=at)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return f'{when} {client_ip} "{method} {path} HTTP/1.1" {status}'


def is_nginx(image: str) -> bool:
    """``nginx``, ``nginx:1.27``, ``docker.io/library/nginx:alpine``: the official nginx image."""
    repository = image.split("@", 1)[0].rsplit("/", 1)[-1].split(":", 1)[0]
    return repository == "nginx"


class ContainerLogs:
    """The log lines of every container run in the cluster (the nodes' ``/var/log/pods``)."""

    def __init__(self) -> None:
        self._lines: dict[Key, deque[tuple[str, str]]] = {}  # run -> (stream, line)

    def write(self, pod: Any, container: str, line: str, stream: str = "stdout") -> None:
        """Append ``line`` to the current run of ``container`` in ``pod``.

        Only the current and the previous run are kept, as the kubelet keeps
        the previous container's log for ``--previous`` and removes older ones.
        """
        run = restart_count(pod, container)
        key = (pod.metadata.uid, container, run)
        if key not in self._lines:  # a new run: runs before the previous one go
            for old in [k for k in self._lines if k[:2] == key[:2] and k[2] < run - 1]:
                del self._lines[old]
        self._lines.setdefault(key, deque(maxlen=MAX_LINES)).append((stream, line))

    def access(self, pod: Any, port: int, client_ip: str, at: float, path: str, status: int, body: str,
               user_agent: str = "-") -> None:
        """Log one request the pod's app answered on ``port``, in its image's format."""
        container = serving_container(pod, port)
        if container is None:
            return
        if is_nginx(container.image):
            line = combined_line(client_ip, at, "GET", path, status, len(body.encode()), user_agent)
        else:
            line = simple_line(client_ip, at, "GET", path, status)
        self.write(pod, container.name, line)

    def read(self, pod: Any, container: str, run: int) -> list[str]:
        """The lines ``container`` of ``pod`` wrote in its run number ``run`` (its restart count then)."""
        return [line for _, line in self._lines.get((pod.metadata.uid, container, run), ())]

    def read_streams(self, pod: Any, container: str, run: int) -> tuple[str, str]:
        """What run number ``run`` of ``container`` wrote on stdout and on stderr, each as text.

        Examples
        --------
        >>> from types import SimpleNamespace as NS
        >>> pod = NS(metadata=NS(uid="u"), status=NS(container_statuses=()))
        >>> logs = ContainerLogs()
        >>> logs.write(pod, "c", "Server: 10.96.0.10"); logs.write(pod, "c", "wget: bad address 'x'", "stderr")
        >>> logs.read_streams(pod, "c", 0)
        ('Server: 10.96.0.10\\n', "wget: bad address 'x'\\n")
        """
        lines = self._lines.get((pod.metadata.uid, container, run), ())
        return tuple("".join(f"{line}\n" for s, line in lines if s == stream)  # type: ignore[return-value]
                     for stream in ("stdout", "stderr"))


def restart_count(pod: Any, container: str) -> int:
    status = next((s for s in pod.status.container_statuses if s.name == container), None)
    return status.restart_count if status is not None else 0


def serving_container(pod: Any, port: int) -> Optional[Any]:
    """The container that declares ``port``, or the first one (a port need not be declared to be served)."""
    containers = pod.spec.containers
    declared = [c for c in containers if any(p.container_port == port for p in c.ports)]
    return (declared or list(containers) or [None])[0]
