"""``kubectl rollout restart`` and ``kubectl rollout status`` (kubectl ``pkg/cmd/rollout``).

``rollout restart`` changes nothing but one annotation on the pod template,
``kubectl.kubernetes.io/restartedAt: <now>``. That is a new template, so the
Deployment controller makes a new ReplicaSet (a new ``pod-template-hash``)
and replaces every pod: new names, new IPs, the same Service in front.

``rollout status`` watches the Deployment until its new pods are all
available, printing kubectl's progress lines (``polymorphichelpers``
``DeploymentStatusViewer``); in the model it advances the simulated clock
while it waits, as ``kubectl delete`` does.

``kubectl rollout`` itself only holds the two (``ROLLOUT``); ``history``,
``pause``, ``resume`` and ``undo`` are real but not modelled.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from k8sedu.apiserver.errors import StatusError
from k8sedu.errors import KubectlError, from_status
from k8sedu.kubectl import resources
from k8sedu.kubectl.command import PRINT_FORMATS, Command, dry_run, dry_run_flag, group, namespace_of, output_format
from k8sedu.kubectl.flags import Parsed, boolean, string, usage_error
from k8sedu.kubectl.streams import IOStreams
from k8sedu.manifests.encode import timestamp
from k8sedu.objects import frozen

if TYPE_CHECKING:  # pragma: no cover
    from k8sedu.protocols import Model

RESTARTED_AT = "kubectl.kubernetes.io/restartedAt"
STATUS_LIMIT_SECONDS = 600  # the model gives up waiting after this much simulated time


def _targets(cluster: "Model", p: Parsed) -> list[tuple[Any, Any]]:
    if not p.args:
        raise KubectlError("error: required resource not specified")
    target = resources.build(p.args)
    found, errors = resources.fetch(cluster.api, target, namespace_of(p))
    if errors:
        raise KubectlError("\n".join(errors))
    return found


def run_restart(cluster: "Model", p: Parsed, out: IOStreams) -> None:
    """Annotate each Deployment's pod template; one that cannot be restarted is reported after the others."""
    fmt = output_format(p, PRINT_FORMATS, ("", "name"))
    found = _targets(cluster, p)
    is_dry_run = dry_run(p)
    errors = []
    for res, obj in found:
        try:
            _restart(cluster, res, obj, is_dry_run)
        except KubectlError as err:
            errors.append(str(err))
            continue
        name = f"{resources.kind_prefix(res)}/{obj.metadata.name}"
        out.print(name if fmt == "name" else f"{name} restarted" + (" (dry run)" if is_dry_run else ""))
    if errors:
        out.error("\n".join(errors))


def _restart(cluster: "Model", res: Any, obj: Any, is_dry_run: bool) -> None:
    """Set ``restartedAt`` on the pod template (``polymorphichelpers.defaultObjectRestarter``)."""
    if res.kind != "Deployment":
        raise KubectlError(f'error: {resources.kind_prefix(res)}/{obj.metadata.name} restarting is not supported')
    stamp = timestamp(cluster.now)
    template = obj.spec.template
    if template.metadata.annotations.get(RESTARTED_AT) == stamp:
        raise KubectlError(f"error: failed to create patch for {obj.metadata.name}: if restart has already "
                           "been triggered within the past second, please wait before attempting to trigger "
                           "another")
    annotations = frozen({**template.metadata.annotations, RESTARTED_AT: stamp})
    template = dataclasses.replace(template, metadata=dataclasses.replace(template.metadata, annotations=annotations))
    if not is_dry_run:
        try:
            cluster.api.update(dataclasses.replace(obj, spec=dataclasses.replace(obj.spec, template=template)))
        except StatusError as err:
            raise from_status(err) from None


def status_line(dep: Any) -> tuple[str, bool]:
    """One line of ``kubectl rollout status`` and whether the rollout is done."""
    name, spec, status = dep.metadata.name, dep.spec, dep.status
    if dep.metadata.generation > status.observed_generation:
        return "Waiting for deployment spec update to be observed...", False
    if status.updated_replicas < spec.replicas:
        return (f'Waiting for deployment "{name}" rollout to finish: {status.updated_replicas} out of '
                f"{spec.replicas} new replicas have been updated..."), False
    if status.replicas > status.updated_replicas:
        return (f'Waiting for deployment "{name}" rollout to finish: {status.replicas - status.updated_replicas} '
                "old replicas are pending termination..."), False
    if status.available_replicas < status.updated_replicas:
        return (f'Waiting for deployment "{name}" rollout to finish: {status.available_replicas} of '
                f"{status.updated_replicas} updated replicas are available..."), False
    return f'deployment "{name}" successfully rolled out', True


def run_status(cluster: "Model", p: Parsed, out: IOStreams) -> None:
    """Print each new progress line, advancing the clock 1 s at a time until the rollout is done."""
    found = _targets(cluster, p)
    if len(found) != 1:
        raise usage_error("only one resource is allowed for rollout status", "kubectl rollout status")
    res, obj = found[0]
    if res.kind != "Deployment":
        raise KubectlError(f"error: no status viewer has been implemented for {res.kind}")
    key = (obj.kind, obj.metadata.namespace, obj.metadata.name)
    last = ""
    limit = cluster.now + STATUS_LIMIT_SECONDS
    while True:
        dep = cluster.api.try_get(*key)
        if dep is None:
            raise KubectlError('error: object has been deleted')
        line, done = status_line(dep)
        if line != last:
            out.print(line)
            last = line
        if done or not p["watch"]:
            return
        if cluster.now >= limit:
            raise KubectlError("error: timed out waiting for the condition")
        cluster.advance(1)


RESTART = Command(
    path="kubectl rollout restart", short="Restart a resource.",
    use="kubectl rollout restart RESOURCE [options]",
    flags=(string("output", "o"), dry_run_flag(), string("selector", "l", modelled=False),
           string("filename", "f", modelled=False), string("field-manager", modelled=False)),
    run=run_restart,
)

STATUS = Command(
    path="kubectl rollout status", short="Show the status of the rollout.",
    use="kubectl rollout status (TYPE NAME | TYPE/NAME) [flags] [options]",
    flags=(boolean("watch", "w", default=True), string("timeout", modelled=False), string("revision", modelled=False),
           string("selector", "l", modelled=False), string("filename", "f", modelled=False)),
    run=run_status,
)

ROLLOUT = group("kubectl rollout", "Manage the rollout of a resource.", (RESTART, STATUS),
                not_modelled=("history", "pause", "resume", "undo"))
