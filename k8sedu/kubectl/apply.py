"""``kubectl apply -f``: declare objects from manifests (kubectl ``pkg/cmd/apply/apply.go``).

The work is ``k8sedu.manifests.apply``'s: read every document first (a bad one
stops everything), then create or three-way-merge each object, printing
``created``, ``configured`` or ``unchanged`` per object on stdout. A server
error belongs to one object: the others are still applied, and the errors
follow on stderr (kubectl exits 1), as do kubectl's warnings.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from k8sedu.errors import KubectlError
from k8sedu.kubectl.command import Command, dry_run, dry_run_flag, namespace_of
from k8sedu.kubectl.files import read_sources
from k8sedu.kubectl.flags import Parsed, boolean, string, strings, usage_error
from k8sedu.kubectl.streams import IOStreams
from k8sedu.manifests import apply as manifests_apply
from k8sedu.manifests.apply import ApplyError, plan, read

if TYPE_CHECKING:  # pragma: no cover
    from k8sedu.protocols import Model

PATH = "kubectl apply"


def run_apply(cluster: "Model", p: Parsed, out: IOStreams) -> None:
    if p["output"] not in ("", "name"):
        raise KubectlError(f'error: k8sedu does not model "-o {p["output"]}" for apply yet; it prints -o name '
                           "and the default lines")
    if p.args:
        raise usage_error(f"Unexpected args: [{' '.join(p.args)}]", PATH)
    if not p["filename"]:
        raise KubectlError("error: must specify one of -f and -k")
    is_dry_run = dry_run(p)
    namespace, explicit = namespace_of(p), "namespace" in p.changed
    docs = [(source, doc) for source, text in read_sources(p["filename"], p.stdin) for doc in read(text, source)]
    for source, doc in docs:  # every document is checked before anything is written
        plan([doc], namespace, explicit, source)
    if not docs:
        raise KubectlError("error: no objects passed to apply")
    errors = []
    for source, doc in docs:
        try:
            printed = manifests_apply(cluster, [doc], namespace, explicit, source, is_dry_run)
        except ApplyError as err:
            errors.append(str(err))
            continue
        for line in printed.splitlines():
            if line.startswith("Warning:"):
                out.warn(line)
            else:
                out.print(line.split(" ", 1)[0] if p["output"] == "name" else line)
    if errors:
        out.error("\n".join(errors))


APPLY = Command(
    path=PATH,
    short="Apply a configuration to a resource by file name or stdin.",
    use="kubectl apply (-f FILENAME | -k DIRECTORY) [options]",
    flags=(
        strings("filename", "f"), string("output", "o"), dry_run_flag(),
        string("kustomize", "k", modelled=False), boolean("recursive", "R", modelled=False),
        boolean("server-side", modelled=False), boolean("prune", modelled=False), string("selector", "l",
                                                                                          modelled=False),
        boolean("force", modelled=False), string("field-manager", modelled=False),
        string("validate", modelled=False, no_opt="strict"), boolean("wait", modelled=False),
        boolean("overwrite", default=True, modelled=False), string("timeout", modelled=False),
    ),
    run=run_apply,
)
