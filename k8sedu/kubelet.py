"""The kubelet: the node agent that runs the pods bound to its node.

Mirrors the kubelet's pod lifecycle, on simulated time. For a new pod bound
to its node it creates the pod sandbox (the CNI plugin gives the pod an IP
from the node's podCIDR), pulls the image the first time the node needs it,
starts the containers (phase ``Running``) and reports the pod ``Ready``: at
once when there is no readiness probe, or when the probe first passes, after
``initialDelaySeconds``. So a pod goes Pending (ContainerCreating) -> Running
-> Ready over a few simulated seconds.

When a pod is deleted it is only marked (``deletionTimestamp``); the kubelet
stops its containers, which takes ``STOP_SECONDS`` here (at most the grace
period), then removes the pod from the API and frees its IP.
"""

from __future__ import annotations

import dataclasses
from typing import Callable, Optional

from k8sedu.apiserver import APIServer
from k8sedu.clock import Clock
from k8sedu.cni import HostLocalIPAM
from k8sedu.controllers.base import Controller, Result, Watch
from k8sedu.events import Recorder
from k8sedu.objects import ContainerStatus, Pod, PodCondition, PodStatus

SANDBOX_SECONDS = 1.0  # create the pod's network namespace, run the CNI plugin
PULL_SECONDS = 2.0  # pull an image this node has not pulled before
STOP_SECONDS = 2.0  # the model's apps exit this long after SIGTERM


def _conditions(scheduled: bool, ready: bool) -> tuple[PodCondition, ...]:
    flag = lambda b: "True" if b else "False"
    return (PodCondition("PodReadyToStartContainers", flag(scheduled)), PodCondition("Initialized", "True"),
            PodCondition("Ready", flag(ready)), PodCondition("ContainersReady", flag(ready)),
            PodCondition("PodScheduled", "True"))


class Kubelet(Controller):
    """The kubelet of one node."""

    def __init__(self, node_name: str, api: APIServer, clock: Clock, recorder: Recorder):
        self.node_name = node_name
        self.name = f"kubelet/{node_name}"
        self.api = api
        self.clock = clock
        self.recorder = recorder
        self.ipam: Optional[HostLocalIPAM] = None
        self._pulled_at: dict[str, float] = {}  # image -> when its pull finishes (or finished)
        self._pulling: dict[tuple[str, str], float] = {}  # (pod uid, image) -> when that pod started the pull
        self._started: set[str] = set()  # pod uids whose start is under way
        self._stopping: set[str] = set()
        self._ips: dict[tuple[str, str], str] = {}
        self.running = True  # False while the node is down: no work, no status updates
        self._paused: list[Callable[[], None]] = []

    def stop(self) -> None:
        """The node went down: the kubelet stops doing anything."""
        self.running = False

    def resume(self) -> list[tuple[str, str]]:
        """The node is back: finish what was paused; return the pods to look at again."""
        self.running = True
        paused, self._paused = self._paused, []
        for fire in paused:
            self.clock.call_later(0, fire, label=f"{self.name} resume")
        return [(p.metadata.namespace, p.metadata.name) for p in self.api.store.by_index("Pod", "node", self.node_name)]

    def watches(self) -> tuple[Watch, ...]:
        return (Watch("Pod", self._mine),)

    def _mine(self, event) -> tuple:
        pod = event.object
        if pod.spec.node_name == self.node_name:
            return ((pod.metadata.namespace, pod.metadata.name),)
        return ()

    def reconcile(self, key) -> Optional[Result]:
        if not self.running:
            return None
        pod = self.api.try_get("Pod", *key)
        if pod is None:
            self._release(key)
            return None
        if pod.spec.node_name != self.node_name:
            return None
        uid = pod.metadata.uid
        if pod.terminating and uid not in self._stopping:
            self._stop(pod)
        elif not pod.terminating and uid not in self._started:
            self._start(pod)
        elif not pod.terminating and self._lost_readiness(pod):
            self._report_ready(pod)
        return None

    @staticmethod
    def _lost_readiness(pod: Pod) -> bool:
        """True if the pod's containers are ready but someone else marked the pod not ready."""
        statuses = pod.status.container_statuses
        return (pod.status.phase == "Running" and not pod.ready and bool(statuses)
                and all(s.ready for s in statuses))

    def _report_ready(self, pod: Pod) -> None:
        status = dataclasses.replace(pod.status, conditions=_conditions(True, True))
        self.api.update(dataclasses.replace(pod, status=status))

    # ------------------------------------------------------------ starting

    def _start(self, pod: Pod) -> None:
        self._started.add(pod.metadata.uid)
        node = self.api.get("Node", "", self.node_name)
        if self.ipam is None:
            self.ipam = HostLocalIPAM(node.spec.pod_cidr)
        waiting = tuple(ContainerStatus(c.name, c.image) for c in pod.spec.containers)
        status = PodStatus(phase="Pending", conditions=_conditions(False, False), host_ip=node.address(),
                           start_time=self.clock.now, container_statuses=waiting)
        self.api.update(dataclasses.replace(pod, status=status))
        self._later(pod, SANDBOX_SECONDS, self._sandbox_ready)

    def _sandbox_ready(self, pod: Pod) -> None:
        ip = self.ipam.allocate()
        self._ips[(pod.metadata.namespace, pod.metadata.name)] = ip
        status = dataclasses.replace(pod.status, pod_ip=ip, pod_ips=(ip,),
                                     conditions=_conditions(True, False))
        self.api.update(dataclasses.replace(pod, status=status))
        wait = max(self._pull(pod, c.image) for c in pod.spec.containers)
        self._later(pod, wait, self._containers_started)

    def _pull(self, pod: Pod, image: str) -> float:
        """Start pulling ``image`` unless this node has it (or is pulling it); return the wait."""
        now = self.clock.now
        if image not in self._pulled_at:
            self._pulled_at[image] = now + PULL_SECONDS
            self._pulling[(pod.metadata.uid, image)] = now
            self.recorder.event(pod, "Pulling", f'Pulling image "{image}"')
            return PULL_SECONDS
        wait = max(0.0, self._pulled_at[image] - now)
        if not wait:
            self.recorder.event(pod, "Pulled", f'Container image "{image}" already present on machine')
        return wait

    def _containers_started(self, pod: Pod) -> None:
        for image, started in sorted(self._pulls_for(pod).items()):
            self.recorder.event(pod, "Pulled", f'Successfully pulled image "{image}" in {PULL_SECONDS:.0f}s '
                                f'({self.clock.now - started:.0f}s including waiting)')
        probes = [c.readiness_probe for c in pod.spec.containers if c.readiness_probe]
        ready = not probes
        running = tuple(ContainerStatus(c.name, c.image, ready=ready, started=True, state="running", reason="")
                        for c in pod.spec.containers)
        status = dataclasses.replace(pod.status, phase="Running", container_statuses=running,
                                     conditions=_conditions(True, ready))
        self.api.update(dataclasses.replace(pod, status=status))
        for c in pod.spec.containers:
            self.recorder.event(pod, "Created", f"Created container: {c.name}")
            self.recorder.event(pod, "Started", f"Started container {c.name}")
        if probes:
            delay = max(p.initial_delay_seconds for p in probes)
            self._later(pod, delay, self._probe_passed)

    def _pulls_for(self, pod: Pod) -> dict[str, float]:
        """The pulls this pod started, now finished: image -> when the pull began."""
        uid = pod.metadata.uid
        done = {image: t for (owner, image), t in self._pulling.items() if owner == uid}
        for image in done:
            del self._pulling[(uid, image)]
        return done

    def _probe_passed(self, pod: Pod) -> None:
        statuses = tuple(dataclasses.replace(s, ready=True) for s in pod.status.container_statuses)
        status = dataclasses.replace(pod.status, container_statuses=statuses, conditions=_conditions(True, True))
        self.api.update(dataclasses.replace(pod, status=status))

    # ------------------------------------------------------------ stopping

    def _stop(self, pod: Pod) -> None:
        self._stopping.add(pod.metadata.uid)
        for c in pod.spec.containers:
            self.recorder.event(pod, "Killing", f"Stopping container {c.name}")
        grace = pod.metadata.deletion_grace_period_seconds
        delay = STOP_SECONDS if grace is None else min(STOP_SECONDS, grace)
        self._later(pod, delay, self._containers_stopped, even_if_terminating=True)

    def _containers_stopped(self, pod: Pod) -> None:
        key = (pod.metadata.namespace, pod.metadata.name)
        self.api.remove("Pod", *key)
        self._release(key)
        self._started.discard(pod.metadata.uid)
        self._stopping.discard(pod.metadata.uid)

    def _release(self, key) -> None:
        ip = self._ips.pop(key, None)
        if ip and self.ipam:
            self.ipam.release(ip)

    # ------------------------------------------------------------ timers

    def _later(self, pod: Pod, delay: float, step: Callable[[Pod], None], even_if_terminating: bool = False) -> None:
        """Run ``step`` on the pod's latest version after ``delay``, if it is still the same pod."""
        key, uid = (pod.metadata.namespace, pod.metadata.name), pod.metadata.uid

        def fire() -> None:
            if not self.running:
                self._paused.append(fire)
                return
            current = self.api.try_get("Pod", *key)
            if current is None or current.metadata.uid != uid:
                return
            if current.terminating and not even_if_terminating:
                return
            step(current)

        self.clock.call_later(delay, fire, label=f"{self.name} {step.__name__.strip('_')} {key[1]}")
