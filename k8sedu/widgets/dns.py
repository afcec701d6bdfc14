"""``DnsExplorer``: type a name, pick the pod that asks; see the search-list walk and the answer."""

from __future__ import annotations

from typing import TYPE_CHECKING

import ipywidgets as w

from k8sedu.errors import KubectlError
from k8sedu.widgets.base import GREEN, RED, Panel, bad, good, note, pre, table

if TYPE_CHECKING:  # pragma: no cover
    from k8sedu.cluster import Cluster


class DnsExplorer(Panel):
    """A name and a pod (``namespace/pod``) in; out: the pod's resolv.conf, each query its resolver
    sends in order with CoreDNS's answer, and the final answer. Nothing is drawn: no picture changes."""

    def __init__(self, cluster: "Cluster", name: str, from_pod: str, namespace: str = "default"):
        super().__init__(cluster)
        pods = [f"{p.metadata.namespace}/{p.metadata.name}" for p in cluster.list("Pod", None)
                if p.status.pod_ip and not p.spec.host_network]
        self.pod = w.Dropdown(options=pods, value=f"{namespace}/{from_pod}", description="from pod")
        self.name = w.Text(value=name, description="name", continuous_update=False)
        self.pod.observe(lambda _: self.refresh(), names="value")
        self.name.observe(lambda _: self.refresh(), names="value")

    def controls(self) -> list:
        return [self.name, self.pod]

    @property
    def widget(self) -> w.Widget:
        return w.VBox([w.HBox(self.controls()), self.text])

    def walk(self) -> list[tuple[str, str]]:
        """The queries the pod's resolver sends for the name, in order, with each answer's rcode."""
        namespace, pod = self.pod.value.split("/", 1)
        return list(self.cluster.resolve(self.name.value, from_pod=pod, namespace=namespace).queries)

    def refresh(self) -> None:
        namespace, pod = self.pod.value.split("/", 1)
        conf = self.cluster.kubectl(f"exec {pod} -n {namespace} -- cat /etc/resolv.conf")
        try:
            answer = self.cluster.resolve(self.name.value, from_pod=pod, namespace=namespace)
        except KubectlError as err:
            self.show(pre(conf) + bad(str(err)))
            return
        queries = table(("#", "query sent", "answer"), [(str(i), q, rcode) for i, (q, rcode) in enumerate(answer.queries, 1)],
                        tuple(GREEN if rcode == "NOERROR" else RED for _, rcode in answer.queries))
        found = ", ".join(answer.addresses) or (f"CNAME {answer.cname}" if answer.cname else "")
        result = (good(f"{self.name.value} -> {found} after {len(answer.queries)} quer"
                       f"{'y' if len(answer.queries) == 1 else 'ies'}") if answer.rcode == "NOERROR" and found
                  else bad(f"{self.name.value}: {answer.rcode} after {len(answer.queries)} queries"))
        dots = self.name.value.rstrip(".").count(".")
        why = ("ends with a dot: absolute, sent as it is" if self.name.value.endswith(".")
               else f"{dots} dot(s), fewer than ndots: the search list first" if dots < 5
               else f"{dots} dots, at least ndots: tried as it is first")
        self.show(pre(f"$ kubectl exec {pod} -n {namespace} -- cat /etc/resolv.conf\n{conf}") + note(why) + queries + result)
