"""Shared fixtures: real, small fakes (a store and a clock), never mocks."""

import itertools

import pytest

from k8sedu.apiserver import APIServer
from k8sedu.apiserver.store import Store
from k8sedu.objects import Namespace, ObjectMeta
import random


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
