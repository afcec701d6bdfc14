"""``lab()``: a small cluster of its own for a notebook's "Try it" panel, so playing never changes the lesson's."""

from __future__ import annotations

from typing import Optional

from k8sedu.notebook import Cluster

IMAGES = {"currency-exchange": ("in28min/currency-exchange:0.0.1-RELEASE", 8000),
          "currency-conversion": ("in28min/currency-conversion:0.0.1-RELEASE", 8100)}


def lab(seed: int = 1, replicas: int = 2, service_type: str = "ClusterIP", cloud: Optional[str] = None,
        ingress: bool = False, settle: float = 30) -> tuple[Cluster, str]:
    """The course's currency system on a fresh cluster that ``%kubectl`` does not talk to.

    currency-exchange (``replicas`` pods) and currency-conversion (one pod),
    each behind a Service of ``service_type``; with ``ingress``, ingress-nginx
    and one Ingress routing ``/currency-exchange`` and ``/currency-conversion``.
    Returns the cluster and the name of the currency-conversion pod, the
    client the panels send from.
    """
    cluster = Cluster(seed=seed, cloud=cloud, current=False)
    for name, (image, port) in IMAGES.items():
        count = replicas if name == "currency-exchange" else 1
        cluster.kubectl(f"create deployment {name} --image={image} --replicas={count} --port={port}")
        cluster.kubectl(f"expose deployment {name} --port={port} --type={service_type}")
    if ingress:
        cluster.install("ingress-nginx")
        cluster.kubectl("create ingress currency --class=nginx --rule=/currency-exchange*=currency-exchange:8000 "
                        "--rule=/currency-conversion*=currency-conversion:8100")
    cluster.advance(settle)
    return cluster, cluster.pod_names({"app": "currency-conversion"})[0]
