"""The kubelet: the node agent that runs the pods bound to its node.

Mirrors the kubelet's pod lifecycle, on simulated time. For a new pod bound
to its node it creates the pod sandbox (the CNI plugin gives the pod an IP
from the node's podCIDR), then for each container: pulls the image as its
pull policy says (``images.go``: ``Always`` for ``:latest`` or no tag, so a
``Pulling`` event on every start; ``IfNotPresent`` otherwise, ``Container
image "x" already present on machine`` once the node has it), creates and
starts it. A pull of an image that does not exist fails (``ErrImagePull``)
and is retried with the kubelet's back-off (``ImagePullBackOff``: 10 s
doubling to 5 min).

A started container runs its image's program, or its own ``command`` and
``args``. A command that is a program the model knows to end (``nslookup
web``, ``wget -qO- web``, ``sh -c "curl -s web"``, ``sleep 5``) runs as the
container starts, with the pod's own network view: what it prints goes to
the container's log (``kubectl logs``), and it exits with its exit code
after the time it takes (at once for the network tools). Other commands
(``sleep infinity``, a server, a command the model does not know) keep
running. A program the model knows but the image lacks (``nslookup`` in
nginx) cannot start: runc's ``exec`` fails, the container ends at once with
``StartError`` and exit code 128 (containerd's ``errorStartReason``; a
``Failed`` event ``Error: failed to create containerd task: ...``, no
``Started``). The reason of an exit is the runtime's: containerd's CRI plugin
(``toCRIContainerStatus``) says ``Completed`` for exit code 0 and ``Error``
otherwise. One that ended (a bare ``busybox`` too: ``sh`` with no terminal)
stays ended if the ``restartPolicy`` says so (``Never``; ``OnFailure`` after
exit 0): the pod is then ``Succeeded`` or ``Failed``. Otherwise it is
restarted: at once the first time, then after the back-off
(``CrashLoopBackOff``, 10 s, 20 s, 40 s ... 5 min, forgotten after 10 quiet
minutes), with ``RESTARTS`` counting, and the program runs again. The prober checks each container as its probes say (see
``prober``): the pod is ``Ready`` once its readiness probes pass, not ready
after ``failureThreshold`` failures in a row (``Unhealthy`` events each
time); ``failureThreshold`` liveness failures in a row kill the container
(``Killing``), which is then restarted with the same back-off.

When a pod is deleted it is only marked (``deletionTimestamp``); the kubelet
stops its containers, which takes ``STOP_SECONDS`` here (at most the grace
period), then removes the pod from the API and frees its IP.
"""

from __future__ import annotations

import dataclasses
import hashlib
import ipaddress
from typing import Callable, Iterable, Optional, Sequence

from k8sedu import images
from k8sedu.apiserver import APIServer
from k8sedu.clock import Clock
from k8sedu.containerlogs import ContainerLogs
from k8sedu.cni import HostLocalIPAM, RangeExhausted
from k8sedu.controllers.base import Controller, Result, Watch
from k8sedu.events import Recorder
from k8sedu.kubelet import prober
from k8sedu.kubelet.backoff import Backoff
from k8sedu.kubelet.image_manager import PULL_SECONDS, REPULL_SECONDS, ImageManager
from k8sedu.objects import Container, ContainerStateTerminated, ContainerStatus, Pod, PodCondition, PodStatus
from k8sedu.protocols import ProgramRun

SANDBOX_SECONDS = 1.0  # create the pod's network namespace, run the CNI plugin
STOP_SECONDS = 2.0  # the model's apps exit this long after SIGTERM
SYNC_SECONDS = 1.0  # the PLEG relists every second: how soon the kubelet sees a container exit
SIGTERM_EXIT = 143  # 128 + 15: a program ended by the SIGTERM the kubelet sends
START_ERROR_EXIT = 128  # containerd errorStartExitCode ("the same with Docker's behavior")

# Runs a container's command in a pod if it is a program that ends; None if it runs until stopped.
Programs = Callable[[Pod, str, Sequence[str]], Optional[ProgramRun]]

__all__ = ["Kubelet", "SANDBOX_SECONDS", "PULL_SECONDS", "REPULL_SECONDS", "STOP_SECONDS", "SYNC_SECONDS"]


def _conditions(pod: Pod, sandbox: bool, statuses: tuple[ContainerStatus, ...], phase: str,
                now: float) -> tuple[PodCondition, ...]:
    """The kubelet's conditions (``generateAPIPodStatus``), then PodScheduled, which it always reports True.

    A condition keeps its lastTransitionTime while its status stays (the status manager's
    ``updateLastTransitionTime``), so PodScheduled keeps the time the scheduler bound the pod. Ready and
    ContainersReady say why they are False: ``ContainersNotReady`` with the unready containers, or
    ``PodCompleted`` once the pod has succeeded.
    """
    before = {c.type: c for c in pod.status.conditions}
    unready = [s.name for s in statuses if not (s.ready and s.state == "running")]
    ready = bool(statuses) and not unready
    reason, message = (("PodCompleted", "") if phase == "Succeeded" else
                       ("ContainersNotReady", f"containers with unready status: [{' '.join(unready)}]"))

    def condition(kind: str, ok: bool, why: tuple[str, str] = ("", "")) -> PodCondition:
        status = "True" if ok else "False"
        old = before.get(kind)
        since = old.last_transition_time if old is not None and old.status == status else now
        return PodCondition(kind, status, since, *(("", "") if ok else why))
    return (condition("PodReadyToStartContainers", sandbox), condition("Initialized", True),
            condition("Ready", ready, (reason, message)), condition("ContainersReady", ready, (reason, message)),
            condition("PodScheduled", True))


def _phase(statuses: tuple[ContainerStatus, ...], policy: str) -> str:
    """``getPhase``: Pending while a container has never run; Succeeded or Failed once every container
    ended for good (restartPolicy Never, or OnFailure and all succeeded); else Running."""
    never_ran = any(s.state == "waiting" and s.last_state is None for s in statuses)
    if never_ran or not statuses:
        return "Pending"
    ended = all(s.state == "terminated" for s in statuses)
    if ended and (policy == "Never" or (policy == "OnFailure" and all(s.exit_code == 0 for s in statuses))):
        return "Succeeded" if all(s.exit_code == 0 for s in statuses) else "Failed"
    return "Running"


def _restarts(pod: Pod, code: int) -> bool:
    """Does the kubelet start a container again after it exited with ``code``? (``restartPolicy``)"""
    policy = getattr(pod.spec, "restart_policy", "Always") or "Always"
    return policy == "Always" or (policy == "OnFailure" and code != 0)


def exit_reason(code: int) -> str:
    """The reason containerd's CRI plugin gives an exited container (``toCRIContainerStatus``).

    Examples
    --------
    >>> exit_reason(0), exit_reason(1), exit_reason(28)
    ('Completed', 'Error', 'Error')
    """
    return "Completed" if code == 0 else "Error"


def _pod_ref(pod: Pod) -> str:
    """``format.Pod``: how the kubelet names a pod in its messages."""
    return f"{pod.metadata.name}_{pod.metadata.namespace}({pod.metadata.uid})"


# --max-pods: the kubelet's default capacity of 110 pods per node (KubeletConfiguration.MaxPods), which the
# scheduler's NodeResourcesFit filter checks ("Too many pods").
MAX_PODS = 110
SANDBOX_RETRY_SECONDS = 10  # the pod worker's next sync after a failed sandbox (kubelet's backoff starts at 10 s)

class Kubelet(Controller):
    """The kubelet of one node."""

    def __init__(self, node_name: str, api: APIServer, clock: Clock, recorder: Recorder,
                 preloaded: Iterable[str] = (), logs: Optional[ContainerLogs] = None,
                 programs: Optional[Programs] = None):
        self.node_name = node_name
        self.name = f"kubelet/{node_name}"
        self.api = api
        self.clock = clock
        self.recorder = recorder
        self.ipam: Optional[HostLocalIPAM] = None
        self._started: set[str] = set()  # pod uids whose start is under way
        self._stopping: set[str] = set()
        self._ips: dict[tuple[str, str], str] = {}
        self._runs: dict[tuple[str, str], int] = {}  # (pod uid, container) -> which run is current
        self._probes: dict[tuple[str, str, str], tuple[int, int]] = {}  # (...,kind) -> (successes, failures)
        self._ended: dict[tuple[str, str], ContainerStateTerminated] = {}  # (pod uid, container) -> its last run
        self.image_manager = ImageManager(preloaded)  # the node image's own images are there from the start
        self.crash_backoff = Backoff()
        self.running = True  # False while the node is down: no work, no status updates
        self._paused: list[Callable[[], None]] = []
        self.logs = logs if logs is not None else ContainerLogs()  # the node's /var/log/pods
        self.programs = programs  # runs a command that ends (nslookup web); None: every command keeps running

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
        return (Watch("Pod", self._mine, node=self.node_name),)

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
            self._write(pod, pod.status.container_statuses)
        return None

    @staticmethod
    def _lost_readiness(pod: Pod) -> bool:
        """True if the pod's containers are ready but someone else marked the pod not ready."""
        statuses = pod.status.container_statuses
        return (pod.status.phase == "Running" and not pod.ready and bool(statuses)
                and all(s.ready for s in statuses))

    # ------------------------------------------------------------ status

    def _write(self, pod: Pod, statuses: tuple[ContainerStatus, ...]) -> Pod:
        """Write the pod's container statuses, with the phase and conditions that follow from them."""
        policy = getattr(pod.spec, "restart_policy", "Always") or "Always"
        phase = _phase(statuses, policy)
        status = dataclasses.replace(pod.status, container_statuses=statuses, phase=phase,
                                     conditions=_conditions(pod, bool(pod.status.pod_ip), statuses, phase,
                                                            self.clock.now))
        return self.api.update(dataclasses.replace(pod, status=status)) or pod

    def _set(self, pod: Pod, name: str, **changes) -> None:
        statuses = tuple(dataclasses.replace(s, **changes) if s.name == name else s
                         for s in pod.status.container_statuses)
        self._write(pod, statuses)

    def _event(self, pod: Pod, name: str, reason: str, message: str, type: str = "Normal") -> None:
        """Record an event about container ``name`` (``GenerateContainerRef``: fieldPath ``spec.containers{name}``)."""
        self.recorder.event(pod, reason, message, type, field_path=f"spec.containers{{{name}}}")

    @staticmethod
    def _status(pod: Pod, name: str) -> ContainerStatus:
        return next(s for s in pod.status.container_statuses if s.name == name)

    @staticmethod
    def _container(pod: Pod, name: str) -> Container:
        return next(c for c in pod.spec.containers if c.name == name)

    # ------------------------------------------------------------ the sandbox

    def _start(self, pod: Pod) -> None:
        self._started.add(pod.metadata.uid)
        node = self.api.get("Node", "", self.node_name)
        if self.ipam is None:
            self.ipam = HostLocalIPAM(node.spec.pod_cidr)
        waiting = tuple(ContainerStatus(c.name, c.image) for c in pod.spec.containers)
        status = PodStatus(phase="Pending", conditions=_conditions(pod, False, waiting, "Pending", self.clock.now),
                           host_ip=node.address(), start_time=self.clock.now, container_statuses=waiting)
        self.api.update(dataclasses.replace(pod, status=status))
        self._later(pod, SANDBOX_SECONDS, self._sandbox_ready)

    def _sandbox_ready(self, pod: Pod) -> None:
        if pod.spec.host_network:  # no network namespace of its own, no CNI call: the node's IP
            ip = pod.status.host_ip
        else:
            try:
                ip = self.ipam.allocate()
            except RangeExhausted as err:  # the CNI ADD fails; the kubelet retries the sandbox on a later sync
                return self._sandbox_failed(pod, err)
            self._ips[(pod.metadata.namespace, pod.metadata.name)] = ip
        conditions = _conditions(pod, True, pod.status.container_statuses, pod.status.phase, self.clock.now)
        status = dataclasses.replace(pod.status, pod_ip=ip, pod_ips=(ip,), conditions=conditions)
        pod = self.api.update(dataclasses.replace(pod, status=status)) or pod
        for c in pod.spec.containers:
            self._later(pod, 0, lambda p, name=c.name: self._ensure_image(p, name), label=f"start {c.name}")

    def _sandbox_failed(self, pod: Pod, err: Exception) -> None:
        """containerd's answer when host-local IPAM has no address left, as the kubelet records it."""
        cidr = ipaddress.ip_network(self.api.get("Node", "", self.node_name).spec.pod_cidr)
        sandbox = hashlib.sha256(pod.metadata.uid.encode()).hexdigest()
        self.recorder.event(pod, "FailedCreatePodSandBox",
                            f'Failed to create pod sandbox: rpc error: code = Unknown desc = failed to setup network '
                            f'for sandbox "{sandbox}": plugin type="ptp" failed (add): failed to allocate for range 0: '
                            f"{err}: {cidr.network_address + 1}-{cidr.broadcast_address - 1}", type="Warning")
        self._later(pod, SANDBOX_RETRY_SECONDS, self._sandbox_ready)

    # ------------------------------------------------------------ images (images.go EnsureImageExists)

    def _ensure_image(self, pod: Pod, name: str) -> None:
        """Get ``name``'s image as its pull policy says (``image_manager``), then start the container."""
        image, now = self._container(pod, name).image, self.clock.now
        plan = self.image_manager.plan(pod.metadata.uid, image, now)
        if plan.action == "present":
            self._event(pod, name, "Pulled", f'Container image "{image}" already present on machine')
            return self._run(pod, name)
        if plan.action == "backoff":
            self._event(pod, name, "BackOff", f'Back-off pulling image "{image}"')
            self._event(pod, name, "Failed", "Error: ImagePullBackOff", "Warning")
            self._set(pod, name, state="waiting", reason="ImagePullBackOff",
                      message=f'Back-off pulling image "{image}"')
            return self._later(pod, plan.wait, lambda p: self._ensure_image(p, name), label=f"pull {name}")
        self._event(pod, name, "Pulling", f'Pulling image "{image}"')
        self._later(pod, plan.wait, lambda p: self._pulled(p, name, now), label=f"pull {name}")

    def _pulled(self, pod: Pod, name: str, began: float) -> None:
        image, now = self._container(pod, name).image, self.clock.now
        error, took = self.image_manager.pulled(pod.metadata.uid, image, began, now)
        if error is None:
            self._event(pod, name, "Pulled", f'Successfully pulled image "{image}" in {took:.0f}s '
                                f'({now - began:.0f}s including waiting)')
            return self._run(pod, name)
        self._event(pod, name, "Failed", f'Failed to pull image "{image}": {error}', "Warning")
        self._event(pod, name, "Failed", "Error: ErrImagePull", "Warning")
        self._set(pod, name, state="waiting", reason="ErrImagePull", message=error)
        self._later(pod, SYNC_SECONDS, lambda p: self._ensure_image(p, name), label=f"pull {name}")

    # ------------------------------------------------------------ containers (kuberuntime_manager.go)

    def _run(self, pod: Pod, name: str) -> None:
        """Create and start container ``name``; its program runs, its probes start."""
        key = (pod.metadata.uid, name)
        run = self._runs[key] = self._runs.get(key, 0) + 1
        container = self._container(pod, name)
        self._event(pod, name, "Created", f"Created container: {name}")
        self._set(pod, name, state="running", reason="", message="", started=True, started_at=self.clock.now,
                  ready=container.readiness_probe is None, finished_at=None, exit_code=0)
        ran = self._command(self._fresh(pod), container)  # the program sees its pod running
        if ran is not None and ran.start_error:  # runc could not exec the command: the container never ran
            self._event(pod, name, "Failed", f"Error: {ran.start_error}", "Warning")
            return self._ended_run(self._fresh(pod), name, START_ERROR_EXIT, "StartError", ran.start_error)
        self._event(pod, name, "Started", f"Started container {name}")
        for kind, probe in (("Readiness", container.readiness_probe), ("Liveness", container.liveness_probe)):
            if probe is not None:
                self._probes[(*key, kind)] = (0, 0)
                self._later(pod, probe.initial_delay_seconds,
                            lambda p, kind=kind: self._probe(p, name, kind, run), label=f"{kind.lower()} {name}")
        if images.exits_at_once(container):
            self._later(pod, 0, lambda p: self._exited(p, name, run, 0, "Completed"), label=f"exit {name}")
        elif ran is not None:
            self._program_ran(self._fresh(pod), name, run, ran)

    def _command(self, pod: Pod, container: Container) -> Optional[ProgramRun]:
        """Run the container's command if it is a program that ends (None: it keeps running, or none is given)."""
        if self.programs is None or not (container.command or container.args):
            return None
        return self.programs(pod, container.name, container.command + container.args)

    def _program_ran(self, pod: Pod, name: str, run: int, ran: ProgramRun) -> None:
        """Log what the program printed in this run, and end the run when the program is done."""
        for stream, text in (("stdout", ran.stdout), ("stderr", ran.stderr)):
            for line in text.splitlines():
                self.logs.write(pod, name, line, stream)
        self._later(pod, ran.seconds, lambda p: self._exited(p, name, run, ran.exit_code, exit_reason(ran.exit_code)),
                    label=f"exit {name}")

    def _current(self, pod: Pod, name: str, run: int) -> bool:
        status = self._status(pod, name)
        return self._runs.get((pod.metadata.uid, name)) == run and status.state == "running"

    def _exited(self, pod: Pod, name: str, run: int, code: int, reason: str) -> None:
        """The container's program ended: record it, then restart it after the back-off."""
        if self._current(pod, name, run):
            self._ended_run(pod, name, code, reason)

    def _ended_run(self, pod: Pod, name: str, code: int, reason: str, message: str = "") -> None:
        """Record the run that ended, then restart the container after the back-off if its policy says so."""
        now = self.clock.now
        self._set(pod, name, state="terminated", reason=reason, exit_code=code, finished_at=now, ready=False,
                  started=False, message=message)
        started = self._status(pod, name).started_at
        self._ended[(pod.metadata.uid, name)] = ContainerStateTerminated(code, reason, started or now, now)
        if not _restarts(pod, code):
            return
        key = f"{_pod_ref(pod)}_{name}"
        wait = self.crash_backoff.wait(key, now, now)
        if not wait:
            return self._later(self._fresh(pod), SYNC_SECONDS, lambda p: self._restart(p, name),
                               label=f"restart {name}")
        self._later(self._fresh(pod), SYNC_SECONDS, lambda p: self._back_off(p, name), label=f"back-off {name}")
        self._later(self._fresh(pod), wait, lambda p: self._restart(p, name), label=f"restart {name}")

    def _back_off(self, pod: Pod, name: str) -> None:
        backoff = self.crash_backoff.current(f"{_pod_ref(pod)}_{name}")
        self._event(pod, name, "BackOff", f"Back-off restarting failed container {name} in pod {_pod_ref(pod)}",
                            "Warning")
        self._set(pod, name, state="waiting", reason="CrashLoopBackOff",
                  last_state=self._ended[(pod.metadata.uid, name)], message=f"back-off {backoff:.0f}s restarting failed container={name} pod={_pod_ref(pod)}")

    def _restart(self, pod: Pod, name: str) -> None:
        """Start the container again (``doBackOff`` let it): its last run becomes ``lastState``."""
        old = self._status(pod, name)
        self.crash_backoff.next(f"{_pod_ref(pod)}_{name}", self.clock.now)
        self._set(pod, name, restart_count=old.restart_count + 1, last_state=self._ended[(pod.metadata.uid, name)],
                  state="waiting", reason="ContainerCreating", ready=False)
        self._ensure_image(self._fresh(pod), name)

    def _fresh(self, pod: Pod) -> Pod:
        return self.api.try_get("Pod", pod.metadata.namespace, pod.metadata.name) or pod

    # ------------------------------------------------------------ probes (prober/worker.go)

    def _probe(self, pod: Pod, name: str, kind: str, run: int) -> None:
        """Run one readiness or liveness probe, act on the result, and schedule the next one."""
        if not self._current(pod, name, run):
            return
        container = self._container(pod, name)
        probe = container.readiness_probe if kind == "Readiness" else container.liveness_probe
        running = [c for c in pod.spec.containers if self._status(pod, c.name).state == "running"]
        ok, output = prober.check(pod, container, probe, running)
        key = (pod.metadata.uid, name, kind)
        successes, failures = self._probes.get(key, (0, 0))
        successes, failures = (successes + 1, 0) if ok else (0, failures + 1)
        self._probes[key] = (successes, failures)
        if not ok:
            self._event(pod, name, "Unhealthy", f"{kind} probe failed: {output}", "Warning")
        if kind == "Liveness" and failures >= probe.failure_threshold:
            return self._kill(pod, name, run)
        ready = self._status(pod, name).ready
        if kind == "Readiness" and successes >= probe.success_threshold and not ready:
            self._set(pod, name, ready=True)
        elif kind == "Readiness" and failures >= probe.failure_threshold and ready:
            self._set(pod, name, ready=False)
        self._later(self._fresh(pod), probe.period_seconds, lambda p: self._probe(p, name, kind, run),
                    label=f"{kind.lower()} {name}")

    def _kill(self, pod: Pod, name: str, run: int) -> None:
        """A liveness probe failed ``failureThreshold`` times: stop the container; it will be restarted."""
        self._event(pod, name, "Killing", f"Container {name} failed liveness probe, will be restarted")
        self._set(pod, name, ready=False)
        grace = pod.spec.termination_grace_period_seconds
        self._later(self._fresh(pod), min(STOP_SECONDS, grace),
                    lambda p: self._exited(p, name, run, SIGTERM_EXIT, "Error"), label=f"kill {name}")

    # ------------------------------------------------------------ stopping

    def _stop(self, pod: Pod) -> None:
        self._stopping.add(pod.metadata.uid)
        for c in pod.spec.containers:
            self._event(pod, c.name, "Killing", f"Stopping container {c.name}")
        grace = pod.metadata.deletion_grace_period_seconds
        delay = STOP_SECONDS if grace is None else min(STOP_SECONDS, grace)
        self._later(pod, delay, self._containers_stopped, even_if_terminating=True)

    def _containers_stopped(self, pod: Pod) -> None:
        key, uid = (pod.metadata.namespace, pod.metadata.name), pod.metadata.uid
        self.api.remove("Pod", *key)
        self._release(key)
        self._started.discard(uid)
        self._stopping.discard(uid)
        for c in pod.spec.containers:
            self._runs.pop((uid, c.name), None)
            self._ended.pop((uid, c.name), None)
            for kind in ("Readiness", "Liveness"):
                self._probes.pop((uid, c.name, kind), None)

    def _release(self, key) -> None:
        ip = self._ips.pop(key, None)
        if ip and self.ipam:
            self.ipam.release(ip)

    # ------------------------------------------------------------ timers

    def _later(self, pod: Pod, delay: float, step: Callable[[Pod], None], even_if_terminating: bool = False,
               label: str = "") -> None:
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

        name = label or getattr(step, "__name__", "step").strip("_")
        self.clock.call_later(delay, fire, label=f"{self.name} {name} {key[1]}")
