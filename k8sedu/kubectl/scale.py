"""``kubectl scale``: set a new replica count (kubectl ``pkg/cmd/scale/scale.go``).

Scaling writes one number, ``spec.replicas``, and nothing else: the
Deployment controller then scales its ReplicaSet, and the ReplicaSet
controller creates or deletes pods until the count matches. Scaling a
ReplicaSet that a Deployment owns is undone at once by the Deployment
controller, as in a real cluster.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from k8sedu.errors import KubectlError
from k8sedu.kubectl import resources
from k8sedu.kubectl.command import PRINT_FORMATS, Command, dry_run, dry_run_flag, namespace_of, output_format, success
from k8sedu.kubectl.flags import Parsed, boolean, integer, string
from k8sedu.kubectl.streams import IOStreams

if TYPE_CHECKING:  # pragma: no cover
    from k8sedu.protocols import Model

SCALABLE = ("Deployment", "ReplicaSet")


def run_scale(cluster: "Model", p: Parsed, out: IOStreams) -> None:
    output_format(p, PRINT_FORMATS, ("", "name"))
    is_dry_run = dry_run(p)
    if p["replicas"] < 0:
        raise KubectlError("error: The --replicas=COUNT flag is required, and COUNT must be greater than or equal to 0")
    target = resources.build(p.args, p["selector"], allow_empty_selector=p["all"])
    found, errors = resources.fetch(cluster.api, target, namespace_of(p))
    if errors:  # checked before any write: a bad name changes nothing
        raise KubectlError("\n".join(errors))
    if not found:
        raise KubectlError("error: no objects passed to scale")
    for res, _ in found:
        if res.kind not in SCALABLE:
            raise KubectlError("Error from server (NotFound): the server could not find the requested resource")
    for res, obj in found:  # a server error stops kubectl here; what it scaled before stays printed
        if not is_dry_run:
            cluster.api.update(dataclasses.replace(obj, spec=dataclasses.replace(obj.spec, replicas=p["replicas"])))
        out.print(success(resources.kind_prefix(res), obj.metadata.name, "scaled", p, is_dry_run))


SCALE = Command(
    path="kubectl scale",
    short="Set a new size for a deployment, replica set, or replication controller.",
    use="kubectl scale [--resource-version=version] [--current-replicas=count] --replicas=COUNT "
        "(-f FILENAME | TYPE NAME) [options]",
    flags=(
        integer("replicas", required=True), boolean("all"), string("selector", "l"),
        string("output", "o"), dry_run_flag(),
        integer("current-replicas", default=-1, modelled=False), string("resource-version", modelled=False),
        string("timeout", modelled=False), string("filename", "f", modelled=False),
    ),
    run=run_scale,
)
