"""Shared fixtures: real, small fakes (a store and a clock), never mocks; a seeded cluster with ``web``."""

import itertools
import random

import pytest
from kubectl_results import out

from k8sedu import Cluster
from k8sedu.apiserver import APIServer
from k8sedu.apiserver.store import Store
from k8sedu.objects import Namespace, ObjectMeta


class FakeClock:
    def __init__(self):
        self.now = 0.0


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def store(clock):
    counter = itertools.count(1)
    return Store(now=lambda: clock.now, new_uid=lambda: f"uid-{next(counter)}")


@pytest.fixture
def api(store, clock):
    server = APIServer(store, random.Random(0), lambda: clock.now)
    for ns in ("default", "kube-system"):
        server.create(Namespace(ObjectMeta(name=ns)))
    return server


@pytest.fixture
def cluster():
    """A seeded kind-like cluster (files that need another one define their own ``cluster``)."""
    return Cluster(seed=7)


@pytest.fixture
def web(cluster):
    """Three nginx pods behind a ClusterIP Service ``web``, ten seconds after they were created."""
    out(cluster.core, "create deployment web --image=nginx:1.27 --replicas=3 --port=80")
    out(cluster.core, "expose deployment web --port=80")
    cluster.advance(10)
    return cluster
