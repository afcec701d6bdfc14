"""``kubectl rollout restart`` and ``kubectl rollout status`` (kubectl ``pkg/cmd/rollout``).

``rollout restart`` changes nothing but one annotation on the pod template,
``kubectl.kubernetes.io/restartedAt: <now>``. That is a new template, so the
Deployment controller makes a new ReplicaSet (a new ``pod-template-hash``)
and replaces every pod: new names, new IPs, the same Service in front.

``rollout status`` watches the Deployment until its new pods are all
available, printing kubectl's progress lines (``polymorphichelpers``
``DeploymentStatusViewer``); in the model it advances the simulated clock
while it waits, as ``kubectl delete`` does.

``rollout history`` lists a Deployment's revisions (one per ReplicaSet, the
``deployment.kubernetes.io/revision`` the Deployment controller keeps) with
their ``kubernetes.io/change-cause``; ``--revision=N`` prints that revision's
pod template (``polymorphichelpers.DeploymentHistoryViewer``). ``rollout
undo`` copies the pod template of the previous revision (or
``--to-revision=N``) back into the Deployment, with that ReplicaSet's
annotations (``DeploymentRollbacker``); the controller then scales that old
ReplicaSet back up and gives it a new revision number.

``kubectl rollout`` holds these four (``ROLLOUT``); ``pause`` and ``resume``
are real but not modelled.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from k8sedu.apiserver.errors import StatusError
from k8sedu.errors import KubectlError, from_status
from k8sedu.kubectl import resources
from k8sedu.kubectl.command import PRINT_FORMATS, Command, dry_run, dry_run_flag, group, namespace_of, output_format
from k8sedu.kubectl.describe_workloads import template_lines
from k8sedu.kubectl.flags import Parsed, boolean, integer, string, usage_error
from k8sedu.kubectl.streams import IOStreams
from k8sedu.kubectl.table import tabwrite
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
    if any(c.type == "Progressing" and c.reason == "ProgressDeadlineExceeded" for c in status.conditions):
        raise KubectlError(f'error: deployment "{name}" exceeded its progress deadline')
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


# ---------------------------------------------------------------- history and undo

REVISION = "deployment.kubernetes.io/revision"
CHANGE_CAUSE = "kubernetes.io/change-cause"
HASH_LABEL = "pod-template-hash"
# polymorphichelpers annotationsToSkip: a rollback keeps the Deployment's own values of these.
KEPT_ON_UNDO = ("kubectl.kubernetes.io/last-applied-configuration", REVISION,
                "deployment.kubernetes.io/revision-history", "deployment.kubernetes.io/desired-replicas",
                "deployment.kubernetes.io/max-replicas", "deprecated.deployment.rollback.to")


def revisions(cluster: "Model", dep: Any) -> dict[int, Any]:
    """The Deployment's ReplicaSets by revision (``GetHistory``); one without a revision is left out."""
    owned = cluster.api.store.owned_by("ReplicaSet", dep.metadata.namespace, dep.metadata.uid)
    return {int(rs.metadata.annotations[REVISION]): rs for rs in owned
            if rs.metadata.annotations.get(REVISION, "").isdigit()}


def _one_deployment(cluster: "Model", p: Parsed, verb: str) -> tuple[Any, Any]:
    found = _targets(cluster, p)
    res, obj = found[0]
    if res.kind != "Deployment":
        group_kind = f"{res.kind}.{res.group}" if res.group else res.kind  # schema.GroupKind's String()
        raise KubectlError(f'error: no {verb} has been implemented for "{group_kind}"')
    return res, obj


def history_text(cluster: "Model", dep: Any, revision: int) -> str:
    """``ViewHistory``: the REVISION / CHANGE-CAUSE table, or one revision's pod template."""
    by_revision = revisions(cluster, dep)
    if not by_revision:
        return "No rollout history found."
    if revision > 0:
        if revision not in by_revision:
            raise KubectlError("error: unable to find the specified revision")
        template = by_revision[revision].spec.template
        cause = by_revision[revision].metadata.annotations.get(CHANGE_CAUSE, "")
        if cause:
            annotations = frozen({**template.metadata.annotations, CHANGE_CAUSE: cause})
            template = dataclasses.replace(template, metadata=dataclasses.replace(template.metadata,
                                                                                  annotations=annotations))
        return "\n".join(template_lines(template)) + "\n"
    rows = ["REVISION\tCHANGE-CAUSE"] + [
        f"{r}\t{by_revision[r].metadata.annotations.get(CHANGE_CAUSE) or '<none>'}" for r in sorted(by_revision)]
    return tabwrite("\n".join(rows)) + "\n"  # tabbedString: minwidth 0, padding 2


def run_history(cluster: "Model", p: Parsed, out: IOStreams) -> None:
    """Print ``deployment.apps/web `` then the history, as the name printer with that text as its "operation"."""
    output_format(p, PRINT_FORMATS, ("",))
    res, dep = _one_deployment(cluster, p, "history viewer")
    text = history_text(cluster, dep, p["revision"])
    with_revision = f"with revision #{p['revision']}" if p["revision"] > 0 else ""
    out.print(f"{resources.kind_prefix(res)}/{dep.metadata.name} {with_revision}\n{text}".rstrip("\n") + "\n")


def rollback_target(cluster: "Model", dep: Any, to_revision: int) -> Any:
    """``deploymentRevision``: the ReplicaSet of ``to_revision``, or of the revision before the latest (0)."""
    if to_revision < 0:
        raise KubectlError(f"error: unable to find specified revision {to_revision} in history")
    by_revision = revisions(cluster, dep)
    if to_revision > 0:
        if to_revision not in by_revision:
            raise KubectlError(f"error: unable to find specified revision {to_revision} in history")
        return by_revision[to_revision]
    if len(by_revision) < 2:
        raise KubectlError(f'error: no rollout history found for deployment "{dep.metadata.name}"')
    return by_revision[sorted(by_revision)[-2]]


def _without_hash(template: Any) -> Any:
    labels = frozen({k: v for k, v in template.metadata.labels.items() if k != HASH_LABEL})
    return dataclasses.replace(template, metadata=dataclasses.replace(template.metadata, labels=labels))


def run_undo(cluster: "Model", p: Parsed, out: IOStreams) -> None:
    """``DeploymentRollbacker.Rollback``: put the old template (and its annotations) back into the Deployment."""
    fmt = output_format(p, PRINT_FORMATS, ("", "name"))
    res, dep = _one_deployment(cluster, p, "rollbacker")
    is_dry_run = dry_run(p)
    rs = rollback_target(cluster, dep, p["to-revision"])
    name = f"{resources.kind_prefix(res)}/{dep.metadata.name}"
    template = _without_hash(rs.spec.template)
    if is_dry_run:
        out.print(name if fmt == "name" else f"{name} " + "\n".join(template_lines(rs.spec.template)))
        return
    if template == dep.spec.template:
        out.print(name if fmt == "name" else
                  f"{name} skipped rollback (current template already matches revision {p['to-revision']})")
        return
    annotations = {k: v for k, v in dep.metadata.annotations.items() if k in KEPT_ON_UNDO}
    annotations.update({k: v for k, v in rs.metadata.annotations.items() if k not in KEPT_ON_UNDO})
    changed = dataclasses.replace(dep, metadata=dataclasses.replace(dep.metadata, annotations=frozen(annotations)),
                                  spec=dataclasses.replace(dep.spec, template=template))
    try:
        cluster.api.update(changed)
    except StatusError as err:
        raise KubectlError(f"error: failed restoring revision {p['to-revision']}: {from_status(err)}") from None
    out.print(name if fmt == "name" else f"{name} rolled back")


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

HISTORY = Command(
    path="kubectl rollout history", short="View rollout history",
    use="kubectl rollout history (TYPE NAME | TYPE/NAME) [flags] [options]",
    flags=(integer("revision"), string("output", "o"), string("selector", "l", modelled=False),
           string("filename", "f", modelled=False)),
    run=run_history,
)

UNDO = Command(
    path="kubectl rollout undo", short="Undo a previous rollout",
    use="kubectl rollout undo (TYPE NAME | TYPE/NAME) [flags] [options]",
    flags=(integer("to-revision"), string("output", "o"), dry_run_flag(), string("selector", "l", modelled=False),
           string("filename", "f", modelled=False)),
    run=run_undo,
)

ROLLOUT = group("kubectl rollout", "Manage the rollout of a resource.", (HISTORY, RESTART, STATUS, UNDO),
                not_modelled=("pause", "resume"))
