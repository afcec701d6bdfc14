"""k8sedu: a small, faithful model of a Kubernetes cluster's networking, for teaching.

>>> from k8sedu import Cluster
>>> cluster = Cluster(seed=1)
>>> print(cluster.kubectl("get nodes"))  # doctest: +NORMALIZE_WHITESPACE
NAME                 STATUS   ROLES           AGE   VERSION
kind-control-plane   Ready    control-plane   5m    v1.32.2
kind-worker          Ready    <none>          4m    v1.32.2
kind-worker2         Ready    <none>          4m    v1.32.2
"""

from k8sedu.errors import KubectlError
from k8sedu.notebook import Cluster, current, use

__all__ = ["Cluster", "KubectlError", "current", "use", "load_ipython_extension"]
__version__ = "0.1.0"


def load_ipython_extension(ipython) -> None:
    """``%load_ext k8sedu``: register the ``%kubectl`` and ``%%kubectl`` magics.

    Imported here, not at the top: the magics load kubectl's whole command
    tree, which ``import k8sedu`` should not pay for before it is used.
    """
    from k8sedu import magics

    magics.register(ipython)
