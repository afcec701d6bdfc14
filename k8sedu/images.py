"""What the model's container images do when a request reaches them.

A real container runs a program; the model needs only two facts about it:
which ports it listens on, and what it answers. The course's images are
listed here (the in28minutes currency services, nginx, the Kubernetes e2e
``agnhost`` image and CoreDNS). Any other image listens on the ports its pod
spec declares (or 80 if none) and answers with its hostname, like the
``serve_hostname`` app of Kubernetes' own "Debug Services" guide.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Callable

from k8sedu.objects import Container, Pod


@dataclass(frozen=True)
class App:
    """An image's behaviour: the ports it listens on and its HTTP answer."""

    ports: tuple[int, ...]
    answer: Callable[[Pod, str], str]


def _hostname(pod: Pod, path: str) -> str:
    return pod.metadata.name


def _currency_exchange(pod: Pod, path: str) -> str:
    return json.dumps({"id": 10001, "from": "USD", "to": "INR", "conversionMultiple": 65.00,
                       "environment": f"{pod.metadata.name} v1 {pod.status.pod_ip}"})


def _currency_conversion(pod: Pod, path: str) -> str:
    return json.dumps({"id": 10001, "from": "USD", "to": "INR", "conversionMultiple": 65.00,
                       "quantity": 10, "totalCalculatedAmount": 650.00,
                       "environment": f"{pod.metadata.name} v1 {pod.status.pod_ip}"})


def _nginx(pod: Pod, path: str) -> str:
    if path not in ("", "/", "/index.html"):
        return "404 Not Found"
    return "<!DOCTYPE html>\n<html>\n<head>\n<title>Welcome to nginx!</title>"


KNOWN = (
    ("in28min/currency-exchange", App((8000,), _currency_exchange)),
    ("in28min/currency-conversion", App((8100,), _currency_conversion)),
    ("nginx", App((80,), _nginx)),
    ("registry.k8s.io/e2e-test-images/agnhost", App((9376,), _hostname)),
    ("registry.k8s.io/coredns/coredns", App((53, 8080, 8181, 9153), _hostname)),
)


def app_for(container: Container) -> App:
    """Return the behaviour of ``container``'s image (the tag does not matter)."""
    repo = container.image.rsplit(":", 1)[0] if ":" in container.image.split("/")[-1] else container.image
    for name, app in KNOWN:
        if repo == name or repo == f"docker.io/library/{name}" or repo == f"library/{name}":
            return app
    declared = tuple(p.container_port for p in container.ports)
    return App(declared or (80,), _hostname)


def listener(pod: Pod, port: int) -> App | None:
    """Return the app listening on ``port`` in ``pod``, or None (connection refused)."""
    for container in pod.spec.containers:
        app = app_for(container)
        if port in app.ports:
            return app
    return None
