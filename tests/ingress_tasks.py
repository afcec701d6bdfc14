"""What the Ingress check tests share: a check's failure, and the exercises' clusters."""

import pytest

from k8sedu import Cluster
from k8sedu.checks.base import CheckFailed


def failure(check, *args) -> CheckFailed:
    with pytest.raises(CheckFailed) as info:
        check(*args)
    return info.value


def currency_cluster(seed: int, kind: bool = False, controller: bool = True) -> Cluster:
    """Both microservices behind ClusterIP Services, as the exercises' setup cells build them."""
    cluster = Cluster(seed=seed, ingress_ready=True) if kind else Cluster(cloud="gcp", seed=seed)
    cluster.kubectl("create deployment currency-exchange --image=in28min/currency-exchange:0.0.1-RELEASE "
                    "--replicas=2 --port=8000")
    cluster.kubectl("create deployment currency-conversion --image=in28min/currency-conversion:0.0.1-RELEASE "
                    "--port=8100")
    cluster.kubectl("expose deployment currency-exchange --port=8000")
    cluster.kubectl("expose deployment currency-conversion --port=8100")
    if controller:
        cluster.install("ingress-nginx")
    cluster.advance(60)
    return cluster
