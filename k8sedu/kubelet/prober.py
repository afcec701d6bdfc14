"""The kubelet's prober: one readiness or liveness check against a container, with its output.

Mirrors k/k ``pkg/probe/http`` and ``pkg/probe/tcp``: an HTTP probe GETs
``http://<pod IP>:<port><path>`` and passes on a status from 200 to 399; a TCP
probe passes if the port accepts the connection. A failure's output is what
the prober puts after ``Readiness probe failed: `` / ``Liveness probe failed: ``
in the ``Unhealthy`` event: Go's ``net/http`` error for a refused connection,
or ``HTTP probe failed with statuscode: 404``.
"""

from __future__ import annotations

from typing import Iterable, Optional, Union

from k8sedu import images
from k8sedu.objects import Container, Pod, Probe


def resolve_port(container: Container, port: Union[int, str]) -> Optional[int]:
    """A probe's port as a number: a named port is looked up in the container's ports."""
    if isinstance(port, int):
        return port
    if str(port).isdigit():
        return int(port)
    return next((p.container_port for p in container.ports if p.name == port), None)


def _listening(pod: Pod, running: Iterable[Container], port: int) -> Optional[images.App]:
    """The app of a running container of ``pod`` listening on ``port`` (the containers share one network)."""
    for container in running:
        app = images.app_for(container)
        if port in app.ports:
            return app
    return None


def check(pod: Pod, container: Container, probe: Probe, running: Iterable[Container]) -> tuple[bool, str]:
    """Run ``probe`` once against ``pod``; return (passed, output).

    Examples
    --------
    >>> from k8sedu.objects import HTTPGetAction, ObjectMeta, PodSpec, PodStatus
    >>> c = Container("web", "nginx:1.27")
    >>> pod = Pod(ObjectMeta(name="web"), PodSpec((c,)), PodStatus(pod_ip="10.244.1.2"))
    >>> check(pod, c, Probe(HTTPGetAction(8080, "/")), [c])
    (False, 'Get "http://10.244.1.2:8080/": dial tcp 10.244.1.2:8080: connect: connection refused')
    >>> check(pod, c, Probe(HTTPGetAction(80, "/healthz")), [c])
    (False, 'HTTP probe failed with statuscode: 404')
    >>> check(pod, c, Probe(HTTPGetAction(80, "/")), [c])
    (True, '')
    """
    ip = pod.status.pod_ip
    action = probe.http_get or probe.tcp_socket
    if action is None:  # exec and gRPC probes: the model does not run them, they pass
        return True, ""
    port = resolve_port(container, action.port)
    if port is None:
        return False, f"unable to find port {action.port!r} in container {container.name}"
    app = _listening(pod, running, port)
    dial = f"dial tcp {ip}:{port}: connect: connection refused"
    if probe.http_get is None:
        return (True, "") if app is not None else (False, dial)
    path = probe.http_get.path or "/"
    if app is None:
        return False, f'Get "http://{ip}:{port}{path}": {dial}'
    status = app.status(path)
    if 200 <= status < 400:
        return True, ""
    return False, f"HTTP probe failed with statuscode: {status}"


def describe(probe: Probe) -> str:
    """How ``kubectl describe pod`` writes a probe (describe.go ``DescribeProbe``)."""
    attrs = (f"delay={probe.initial_delay_seconds}s timeout={probe.timeout_seconds}s period={probe.period_seconds}s "
             f"#success={probe.success_threshold} #failure={probe.failure_threshold}")
    if probe.http_get is not None:
        return f"http-get http://:{probe.http_get.port}{probe.http_get.path} {attrs}"
    if probe.tcp_socket is not None:
        return f"tcp-socket :{probe.tcp_socket.port} {attrs}"
    return f"unknown {attrs}"
