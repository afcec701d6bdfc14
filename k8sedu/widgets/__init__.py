"""Panels for the notebooks: act on the model, watch it react. The only package that imports ipywidgets.

Each panel is a small class over one cluster whose controls have Python
values, so ``panel.replicas.value = 3`` does what dragging the slider does
and the logic is tested without a browser:

- ``ScaleDeployment``: replicas slider; pods go Pending -> Ready, Terminating, frame by frame.
- ``ServiceTypeSwitcher``: ClusterIP / NodePort / LoadBalancer / ExternalName; what exists, who can reach it.
- ``TrafficExplorer``: N requests from a pod, a node, the nodes' network or the internet; traffic policies.
- ``DnsExplorer``: a name and the asking pod; the search-list walk and the answer.
- ``IngressTester``: a Host and a path; the controller's rule, 404 or 301, and the pod.
- ``PacketWalk``: one request hop by hop, the current hop lit.
- ``ChaosPanel``: delete a pod, fail a node, break readiness; the Service recovers.
- ``ServiceDiscoveryPanel``: notebook 05's scale + resolve + send, built from the above.

``lab()`` builds the currency system on a cluster of its own for a notebook's "Try it" panel.

Every control calls the public API a learner could type (``cluster.kubectl``,
``cluster.send``, ``cluster.request``, ``cluster.resolve``), so a panel never
does anything the notebook text could not show.
"""

from k8sedu.widgets.chaos import ChaosPanel
from k8sedu.widgets.discovery import ServiceDiscoveryPanel
from k8sedu.widgets.dns import DnsExplorer
from k8sedu.widgets.ingress import IngressTester
from k8sedu.widgets.lab import lab
from k8sedu.widgets.packetwalk import PacketWalk
from k8sedu.widgets.scale import ScaleDeployment
from k8sedu.widgets.servicetype import ServiceTypeSwitcher
from k8sedu.widgets.traffic import TrafficExplorer

__all__ = ["ChaosPanel", "DnsExplorer", "IngressTester", "PacketWalk", "ScaleDeployment", "ServiceDiscoveryPanel",
           "ServiceTypeSwitcher", "TrafficExplorer", "lab"]
