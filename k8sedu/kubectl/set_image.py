"""``kubectl set image``: a new image for some containers of a workload (kubectl ``pkg/cmd/set/set_image.go``).

``kubectl set image deploy/web nginx=nginx:1.27`` changes the image of the
container ``nginx`` in the Deployment's pod template (``*=IMAGE`` changes
every container). A new template means a new ReplicaSet and a rolling update,
and the Deployment controller gives it the next revision, which ``kubectl
rollout history`` lists and ``kubectl rollout undo`` goes back from.

The steps are set_image.go's: the arguments are resources, then ``NAME=IMAGE``
pairs (``GetResourcesAndPairs``); each object gets a patch; a container name
the template does not have is ``error: unable to find container named "x"``;
an object whose patch would change nothing (the same image again) is skipped
without a word; the others print ``deployment.apps/web image updated``.
``kubectl set`` holds ``image`` only in the model (``env``, ``resources``...
are refused honestly).
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from k8sedu.apiserver.errors import StatusError
from k8sedu.errors import KubectlError, from_status
from k8sedu.kubectl import resources
from k8sedu.kubectl.command import (PRINT_FORMATS, Command, dry_run, dry_run_flag, group, namespace_of,
                                    output_format)
from k8sedu.kubectl.flags import Parsed, boolean, string
from k8sedu.kubectl.streams import IOStreams

if TYPE_CHECKING:  # pragma: no cover
    from k8sedu.protocols import Model

WITH_TEMPLATE = ("Deployment", "ReplicaSet")


def split_pairs(args: list[str]) -> tuple[list[str], dict[str, str]]:
    """``GetResourcesAndPairs`` + ``ParsePairs``: resources first, then ``NAME=IMAGE`` pairs.

    Examples
    --------
    >>> split_pairs(["deploy/web", "nginx=nginx:1.27"])
    (['deploy/web'], {'nginx': 'nginx:1.27'})
    """
    found_pair = False
    names: list[str] = []
    pairs: dict[str, str] = {}
    for arg in args:
        if "=" in arg:
            found_pair = True
            key, _, value = arg.partition("=")
            if not key or not value:
                raise KubectlError(f"error: invalid image format: {arg}")
            pairs[key] = value
        elif found_pair:
            raise KubectlError(f"error: all resources must be specified before image changes: {arg}")
        else:
            names.append(arg)
    return names, pairs


def _validate(pairs: dict[str, str]) -> None:
    """``SetImageOptions.Validate``: its errors, joined as an aggregate prints them (the resources were
    checked already, when ``Complete`` fetched them)."""
    errors = []
    if not pairs:
        errors.append("at least one image update is required")
    elif len(pairs) > 1 and "*" in pairs:
        errors.append("all containers are already specified by *, but saw more than one "
                      "container_name=container_image pairs")
    if len(errors) == 1:
        raise KubectlError(f"error: {errors[0]}")
    if errors:
        raise KubectlError("error: [" + ", ".join(errors) + "]")


def with_images(obj: Any, pairs: dict[str, str]) -> tuple[Any, list[str]]:
    """Return ``obj`` with the new images in its pod template, and the errors for containers it lacks."""
    spec = obj.spec.template.spec
    containers = list(spec.containers)
    errors = []
    for name, image in pairs.items():
        found = False
        for i, container in enumerate(containers):
            if container.name == name or name == "*":
                containers[i] = dataclasses.replace(container, image=image)
                found = True
        if not found:
            errors.append(f'error: unable to find container named "{name}"')
    template = dataclasses.replace(obj.spec.template, spec=dataclasses.replace(spec, containers=tuple(containers)))
    return dataclasses.replace(obj, spec=dataclasses.replace(obj.spec, template=template)), errors


def run_set_image(cluster: "Model", p: Parsed, out: IOStreams) -> None:
    fmt = output_format(p, PRINT_FORMATS, ("", "name"))
    names, pairs = split_pairs(list(p.args))
    is_dry_run = dry_run(p)
    found, errors = resources.fetch(cluster.api, resources.build(names), namespace_of(p))
    if errors:  # Complete: the builder's Infos() fails on a missing object
        raise KubectlError("\n".join(errors))
    _validate(pairs)
    for res, obj in found:
        if res.kind == "Pod":
            errors.append(f'error: k8sedu does not model changing the image of a running pod ({obj.metadata.name}); '
                          "set the image of its Deployment")
            continue
        if res.kind not in WITH_TEMPLATE:  # UpdatePodSpecForObject's default case, named by info.ObjectName()
            errors.append(f"error: {res.plural}/{obj.metadata.name} the object is not a pod or does not have a pod "
                          f"template: *v1.{res.kind}\n")
            continue
        changed, missing = with_images(obj, pairs)
        errors += missing
        if changed == obj:
            continue  # an empty patch: kubectl says nothing
        if not is_dry_run:
            try:
                cluster.api.update(changed)
            except StatusError as err:
                errors.append(f"failed to patch image update to pod template: {from_status(err)}")
                continue
        name = f"{resources.kind_prefix(res)}/{obj.metadata.name}"
        out.print(name if fmt == "name" else f"{name} image updated" + (" (dry run)" if is_dry_run else ""))
    if errors:
        out.error("\n".join(errors))


SET_IMAGE = Command(
    path="kubectl set image", short="Update the image of a pod template",
    use="kubectl set image (-f FILENAME | TYPE NAME) CONTAINER_NAME_1=CONTAINER_IMAGE_1 ... "
        "CONTAINER_NAME_N=CONTAINER_IMAGE_N [options]",
    flags=(string("output", "o"), dry_run_flag(), boolean("all", modelled=False), boolean("local", modelled=False),
           string("selector", "l", modelled=False), string("filename", "f", modelled=False),
           boolean("record", modelled=False), string("field-manager", modelled=False)),
    run=run_set_image,
)

SET = group("kubectl set", "Set specific features on objects", (SET_IMAGE,), help_to_stderr=True,
            not_modelled=("env", "resources", "selector", "serviceaccount", "subject"))
