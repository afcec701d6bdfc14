"""``kubectl label``: add, change or remove labels (kubectl ``pkg/cmd/label/label.go``).

``kubectl label pod web-1 tier=frontend`` adds a label; ``tier-`` removes it;
changing a label that has another value needs ``--overwrite``. Labels are how
Services and ReplicaSets find pods, so relabelling a pod can take it out of a
Service (its endpoint disappears) or out of its ReplicaSet (which then starts a
replacement): a classic way to pull a pod aside for debugging.
"""

from __future__ import annotations

import dataclasses
import re
from typing import TYPE_CHECKING, Any

from k8sedu.apiserver.errors import StatusError
from k8sedu.errors import KubectlError, from_status
from k8sedu.kubectl import resources
from k8sedu.kubectl.command import PRINT_FORMATS, Command, dry_run, dry_run_flag, namespace_of, output_format
from k8sedu.kubectl.flags import Parsed, boolean, string
from k8sedu.kubectl.streams import IOStreams
from k8sedu.objects import frozen

if TYPE_CHECKING:  # pragma: no cover
    from k8sedu.protocols import Model

LABEL_VALUE = r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?"
LABEL_VALUE_MSG = ("a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', "
                   "and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or "
                   "'12345', regex used for validation is '" + LABEL_VALUE + "')")
QUALIFIED_NAME = r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
DNS_SUBDOMAIN = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*"


def split_args(args: list[str]) -> tuple[list[str], dict[str, str], list[str]]:
    """Separate resource arguments from ``key=value`` and ``key-`` label arguments."""
    objects, changes, removals = [], {}, []
    for arg in args:
        if "=" in arg:
            key, _, value = arg.partition("=")
            if not re.fullmatch(LABEL_VALUE, value) or len(value) > 63:
                raise KubectlError(f'error: invalid label value: "{arg}": {LABEL_VALUE_MSG}')
            _check_key(key, arg)
            changes[key] = value
        elif arg.endswith("-") and len(arg) > 1:
            removals.append(arg[:-1])
        else:
            objects.append(arg)
    return objects, changes, removals


def _check_key(key: str, arg: str) -> None:
    prefix, _, name = key.rpartition("/")
    if not re.fullmatch(QUALIFIED_NAME, name) or len(name) > 63 or prefix and not re.fullmatch(DNS_SUBDOMAIN, prefix):
        raise KubectlError(f"error: invalid label spec: {arg}")


def run_label(cluster: "Model", p: Parsed, out: IOStreams) -> None:
    fmt = output_format(p, PRINT_FORMATS, ("", "name"))
    objects, changes, removals = split_args(p.args)
    if not objects and not p["selector"] and not p["all"]:
        raise KubectlError("error: one or more resources must be specified as <resource> <name> or "
                           "<resource>/<name>")
    if not changes and not removals:
        raise KubectlError("error: at least one label update is required")
    is_dry_run = dry_run(p)
    target = resources.build(objects, p["selector"], select_all=p["all"])
    found, errors = resources.fetch(cluster.api, target, namespace_of(p))
    if errors:
        raise KubectlError("\n".join(errors))
    updates = [(res, obj, _relabel(obj, changes, removals, p["overwrite"])) for res, obj in found]
    failed = []
    for res, obj, new in updates:  # every object was checked before any is written
        current = dict(obj.metadata.labels)
        message = "not labeled" if new == current else (
            "unlabeled" if not p["overwrite"] and len(new) < len(current) else "labeled")
        try:
            if new != current and not is_dry_run:
                cluster.api.update(dataclasses.replace(obj, metadata=dataclasses.replace(
                    obj.metadata, labels=frozen(new))))
        except StatusError as err:  # the server refused this one; the others still go (ContinueOnError)
            failed.append(str(from_status(err)))
            continue
        name = f"{resources.kind_prefix(res)}/{obj.metadata.name}"
        out.print(name if fmt == "name" else f"{name} {message}" + (" (dry run)" if is_dry_run else ""))
    if failed:
        out.error("\n".join(failed))


def _relabel(obj: Any, changes: dict[str, str], removals: list[str], overwrite: bool) -> dict[str, str]:
    """The labels ``obj`` gets, or kubectl's refusal to change a value without ``--overwrite``."""
    current = dict(obj.metadata.labels)
    if not overwrite:
        clashes = [f"'{k}' already has a value ({current[k]}), and --overwrite is false"
                   for k, v in changes.items() if k in current and current[k] != v]
        if clashes:
            raise KubectlError("error: " + "\n".join(clashes) if len(clashes) == 1 else
                               "error: [" + ", ".join(clashes) + "]")
    new = {**current, **changes}
    for key in removals:
        new.pop(key, None)
    return new


LABEL = Command(
    path="kubectl label",
    short="Update the labels on a resource.",
    use="kubectl label [--overwrite] (-f FILENAME | TYPE NAME) KEY_1=VAL_1 ... KEY_N=VAL_N "
        "[--resource-version=version] [options]",
    flags=(boolean("overwrite"), boolean("all"), string("selector", "l"), string("output", "o"), dry_run_flag(),
           boolean("list", modelled=False), boolean("local", modelled=False), string("filename", "f", modelled=False),
           string("resource-version", modelled=False), boolean("all-namespaces", "A", modelled=False),
           string("field-selector", modelled=False), string("field-manager", modelled=False)),
    run=run_label,
)
