"""``kubectl delete``: remove objects, and wait until they are gone (kubectl ``pkg/cmd/delete/delete.go``).

Deleting a pod is graceful: the API server only sets ``deletionTimestamp``
(``kubectl get pods`` shows ``Terminating``), the EndpointSlice controller
marks the endpoint terminating, and the kubelet stops the containers and
removes the pod. Like real kubectl (``--wait=true``), the command returns only
when the object is gone, which here means advancing the simulated clock.
Deleting a Deployment or a Service removes its dependents through the
garbage collector (background propagation, kubectl's default).

Like kubectl's resource visitor (``ContinueOnError``), a name that is not
found does not stop the others: ``kubectl delete svc a nope`` deletes ``a``,
prints ``service "a" deleted``, then reports ``nope`` on stderr and exits 1,
without waiting.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from k8sedu.apiserver.errors import StatusError
from k8sedu.errors import KubectlError, from_status
from k8sedu.kubectl import resources
from k8sedu.kubectl.command import Command, dry_run, dry_run_flag, namespace_of
from k8sedu.kubectl.files import read_sources
from k8sedu.kubectl.flags import Parsed, boolean, integer, string, strings
from k8sedu.kubectl.streams import IOStreams
from k8sedu.manifests.apply import plan, read
from k8sedu.objects import RESOURCE_BY_KIND

if TYPE_CHECKING:  # pragma: no cover
    from k8sedu.protocols import Model

DELETABLE = ("Pod", "Service", "Deployment", "ReplicaSet", "Endpoints", "EndpointSlice",
             "Ingress", "IngressClass", "ConfigMap", "DaemonSet")
WAIT_SLACK_SECONDS = 5  # beyond the longest grace period, before giving up waiting
FORCE_WARNING = ("Warning: Immediate deletion does not wait for confirmation that the running resource has been "
                 "terminated. The resource may continue to run on the cluster indefinitely.")


def _grace_period(p: Parsed) -> int:
    """DeleteOptions.Complete: --now is a 1 s grace period; 0 without --force becomes 1."""
    grace = p["grace-period"]
    if p["now"]:
        if grace != -1:
            raise KubectlError("error: --now and --grace-period cannot be specified together")
        grace = 1
    if grace == 0 and not p["force"]:
        grace = 1
    if p["force"] and grace < 0:
        grace = 0
    if p["force"] and grace > 0:
        raise KubectlError("error: --force and --grace-period greater than 0 cannot be specified together")
    return grace


def run_delete(cluster: "Model", p: Parsed, out: IOStreams) -> None:
    grace = _grace_period(p)
    if p["output"] not in ("", "name"):
        raise KubectlError(f"error: unexpected -o output mode: {p['output']}. We only support '-o name'")
    if p["all"] and p["selector"]:
        raise KubectlError("error: setting 'all' parameter but found a non empty selector. ")
    is_dry_run = dry_run(p)
    found, errors = _targets(cluster, p)
    for res, _ in found:
        if res.kind not in DELETABLE:
            raise KubectlError(f"error: k8sedu does not model deleting {res.plural} yet")
    if grace == 0 and p["force"]:
        out.warn(FORCE_WARNING)
    if not found and not errors:
        out.print("No resources found")
        return
    operation = ("force deleted" if grace == 0 else "deleted") + (" (dry run)" if is_dry_run else "")
    deleted = []
    for res, obj in found:
        try:
            if not is_dry_run:
                cluster.api.delete(res.kind, obj.metadata.namespace, obj.metadata.name,
                                   grace_period=grace if grace >= 0 else None)
        except StatusError as err:  # deleted already: `delete svc a a`
            errors.append(str(from_status(err)))
            continue
        deleted.append(obj)
        prefix = resources.kind_prefix(res)
        out.print(f"{prefix}/{obj.metadata.name}" if p["output"] == "name"
                  else f'{prefix} "{obj.metadata.name}" {operation}')
    if errors:
        out.error("\n".join(errors))  # and no waiting, as kubectl returns the error first
    elif p["wait"] and not is_dry_run:
        wait_until_gone(cluster, deleted)


def _targets(cluster: "Model", p: Parsed) -> tuple[list, list[str]]:
    """The objects to delete, and the NotFound errors for the names that match nothing (unless ignored)."""
    all_ns = p["all-namespaces"]
    if p["filename"]:
        if p.args:
            raise KubectlError("error: there is no need to specify a resource type as a separate argument when "
                               "passing arguments in resource/name form (e.g. 'kubectl get resource/<resource_name>' "
                               "instead of 'kubectl get resource resource/<resource_name>'")
        target = _from_files(p)
    else:
        target = resources.build(p.args, p["selector"], select_all=p["all"], all_namespaces=all_ns)
    found, errors = resources.fetch(cluster.api, target, None if all_ns else namespace_of(p))
    ignore_missing = p["ignore-not-found"] or p["all"] or bool(p["selector"])
    return found, [] if ignore_missing else errors


def _from_files(p: Parsed) -> resources.Target:
    """``delete -f``: the objects the manifests name (kubectl reads them as ``apply`` does)."""
    named = []
    for source, text in read_sources(p["filename"], p.stdin):
        for item in plan(read(text, source), namespace_of(p), "namespace" in p.changed, source):
            named.append((RESOURCE_BY_KIND[item.kind], item.name, item.namespace))
    if any(ns != namespace_of(p) for _, _, ns in named if ns):
        raise KubectlError("error: k8sedu deletes the objects of one namespace at a time; pass -n")
    return resources.Target(named=tuple((res, name) for res, name, _ in named))


def wait_until_gone(cluster: "Model", objs: list) -> None:
    """Advance the clock 1 s at a time until every object is gone (``kubectl wait --for=delete``)."""
    graces = [o.metadata.deletion_grace_period_seconds or o.spec.termination_grace_period_seconds
              for o in objs if o.kind == "Pod"]
    limit = cluster.now + max(graces, default=0) + WAIT_SLACK_SECONDS

    def present(obj) -> bool:
        current = cluster.api.try_get(obj.kind, obj.metadata.namespace, obj.metadata.name)
        return current is not None and current.metadata.uid == obj.metadata.uid

    while any(present(o) for o in objs) and cluster.now < limit:
        cluster.advance(1)


DELETE = Command(
    path="kubectl delete",
    short="Delete resources by file names, stdin, resources and names, or by resources and label selector.",
    use="kubectl delete ([-f FILENAME] | [-k DIRECTORY] | TYPE [(NAME | -l label | --all)]) [options]",
    flags=(
        boolean("all"), string("selector", "l"), boolean("all-namespaces", "A"),
        integer("grace-period", default=-1), boolean("now"), boolean("force"),
        boolean("wait", default=True), boolean("ignore-not-found"), string("output", "o"), dry_run_flag(),
        string("cascade", modelled=False), string("timeout", modelled=False),
        strings("filename", "f"), string("kustomize", "k", modelled=False),
        string("field-selector", modelled=False), boolean("interactive", "i", modelled=False),
        string("raw", modelled=False),
    ),
    run=run_delete,
)
