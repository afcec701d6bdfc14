"""``kubectl get``: list or fetch objects and print them as a table (kubectl ``pkg/cmd/get/get.go``).

``-o jsonpath=...`` and ``--sort-by`` use ``jsonpath``; ``-w`` (``watch``)
keeps printing changes while simulated time passes. The flow is get.go's: the
resource builder turns the arguments into
requests (a type list, filtered by ``-l``, or named objects); the server's
rows go through one table per kind, with a blank line between kinds and
``kind/`` before the names when more than one kind was asked for; nothing at
all prints ``No resources found in <ns> namespace.``; a missing name is
reported after the rows that were found, in the API server's words.
"""

from __future__ import annotations

from itertools import groupby
from typing import TYPE_CHECKING

from k8sedu.errors import KubectlError
from k8sedu.kubectl import events, jsonpath, output, printers, resources, watch
from k8sedu.kubectl.command import GET_FORMATS, Command, namespace_of, output_format
from k8sedu.kubectl.flags import Parsed, boolean, string
from k8sedu.kubectl.streams import IOStreams

if TYPE_CHECKING:  # pragma: no cover
    from k8sedu.protocols import Model

NO_TYPE = ('You must specify the type of resource to get. Use "kubectl api-resources" for a complete list of '
           'supported resources.\n\n'
           'error: Required resource not specified.\n'
           'Use "kubectl explain <resource>" for a detailed description of that resource (e.g. kubectl explain pods).\n'
           "See 'kubectl get -h' for help and examples")


def _format(p: Parsed) -> tuple[str, str]:
    """The output format, and the template of ``-o jsonpath=TEMPLATE``."""
    value = p["output"]
    if value.split("=", 1)[0] == "jsonpath":
        template = value.partition("=")[2]
        if not template:
            raise KubectlError("error: template format specified but no template given")
        return "jsonpath", template
    return output_format(p, GET_FORMATS, ("", "wide", "name", "yaml", "json")), ""


def run_get(cluster: "Model", p: Parsed, out: IOStreams) -> None:
    fmt, template = _format(p)
    if not p.args:
        raise KubectlError(NO_TYPE)
    all_ns = p["all-namespaces"]
    target = resources.build(p.args, p["selector"], allow_empty_selector=True, all_namespaces=all_ns)
    namespace = namespace_of(p)
    if p["watch"] or p["watch-only"]:
        watch.run_watch(cluster, p, target, fmt, out)
        return
    found, errors = resources.fetch(cluster.api, target, None if all_ns else namespace,
                                    lambda ns: events.events(cluster.events, cluster.now, ns))
    if p["ignore-not-found"]:
        errors = []
    if p["sort-by"]:
        order = jsonpath.sort_by([output.manifest(obj) for _, obj in found], p["sort-by"])
        found = [found[i] for i in order]
    single = target.selector is None and len(target.named) == 1
    if fmt in ("yaml", "json"):
        lines = [output.print_objects([obj for _, obj in found], fmt, single)] if found or not single else []
    elif fmt == "jsonpath":
        docs = [output.manifest(obj) for _, obj in found]
        doc = docs[0] if single and len(docs) == 1 else output.as_list(docs)
        lines = [jsonpath.render(template, doc).removesuffix("\n")] if found or not single else []
    elif fmt == "name":
        lines = [f"{resources.kind_prefix(res)}/{obj.metadata.name}" for res, obj in found]
    else:
        lines = _tables(found, target, cluster.now, p)
        if not lines and not errors and not p["ignore-not-found"]:
            namespaced = not all_ns and all(r.namespaced for r in _asked_types(target))
            lines = [f"No resources found in {namespace} namespace." if namespaced else "No resources found"]
    out.print("\n".join(lines))
    if errors:
        out.error("\n".join(errors))


def _asked_types(target: resources.Target) -> list:
    return list(target.types) if target.selector is not None else [r for r, _ in target.named]


def _tables(found, target: resources.Target, now: float, p: Parsed) -> list[str]:
    """One aligned table per run of same-kind objects, separated by blank lines."""
    kinds = {r.kind for r in _asked_types(target)} if target.selector is not None else {r.kind for r, _ in found}
    with_kind = len(kinds) > 1
    opts = printers.Options(now=now, wide=p["output"] == "wide")
    blocks = []
    for res, group in groupby(found, key=lambda pair: pair[0]):
        lines = printers.table(res.kind, [obj for _, obj in group], opts,
                               namespace_column=p["all-namespaces"] and res.namespaced,
                               kind_prefix=resources.kind_prefix(res) if with_kind else "",
                               show_labels=p["show-labels"], headers=not p["no-headers"])
        if lines:
            blocks.append(lines)
    separated: list[str] = []
    for block in blocks:
        if separated and not p["no-headers"]:
            separated.append("")
        separated += block
    return separated


GET = Command(
    path="kubectl get",
    short="Display one or many resources.",
    use="kubectl get [(-o|--output=)wide|name|...] (TYPE[.VERSION][.GROUP] [NAME | -l label] | "
        "TYPE[.VERSION][.GROUP]/NAME ...) [flags] [options]",
    flags=(
        string("output", "o"),
        string("selector", "l"),
        boolean("all-namespaces", "A"),
        boolean("show-labels"),
        boolean("no-headers"),
        boolean("ignore-not-found"),
        boolean("watch", "w"),
        boolean("watch-only"),
        string("request-timeout", default="0"),
        string("sort-by"),
        string("field-selector", modelled=False),
        string("label-columns", "L", modelled=False),
        string("filename", "f", modelled=False),
        string("raw", modelled=False),
        string("chunk-size", modelled=False),
    ),
    run=run_get,
)
