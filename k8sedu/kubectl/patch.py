"""``kubectl patch``: change a few fields of a live object (kubectl ``pkg/cmd/patch/patch.go``).

``kubectl patch svc web -p '{"spec":{"type":"NodePort"}}'`` is the quickest
way to switch a Service's type: the API server keeps the ClusterIP and
allocates a node port (see ``apiserver.services``). Three patch types:

- ``strategic`` (the default): a JSON merge patch that also merges lists of
  named things by key (containers by ``name``, Service ports by ``port``);
- ``merge`` (RFC 7386): maps merge, ``null`` deletes, lists are replaced whole;
- ``json`` (RFC 6902 operations) is real but not modelled.

``kubectl patch`` does not ask for strict field validation, so the API server
drops an unknown field with a warning (on stderr) instead of failing.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

import yaml

from k8sedu.apiserver.errors import InvalidError, StatusError
from k8sedu.errors import KubectlError, from_status
from k8sedu.kubectl import resources
from k8sedu.kubectl.command import PRINT_FORMATS, Command, dry_run, dry_run_flag, namespace_of, output_format
from k8sedu.kubectl.flags import Parsed, string
from k8sedu.kubectl.streams import IOStreams
from k8sedu.manifests import decode, openapi
from k8sedu.manifests.apply import merge_key
from k8sedu.manifests.encode import encode

if TYPE_CHECKING:  # pragma: no cover
    from k8sedu.protocols import Model

PATCHABLE = ("Pod", "Service", "Deployment", "ReplicaSet", "Namespace", "Ingress", "IngressClass")


def parse_patch(text: str) -> dict:
    """Read ``-p`` (JSON, or YAML as kubectl also accepts)."""
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError:
        raise KubectlError("error: invalid JSON document") from None
    if not isinstance(value, dict):
        shown = {list: "array", str: "string", bool: "bool", int: "number", float: "number"}.get(type(value), "null")
        raise KubectlError(f"error: json: cannot unmarshal {shown} into Go value of type map[string]interface {{}}")
    return value


def merge_patch(current: Any, patch: Any, strategic: bool, path: str = "") -> Any:
    """Apply ``patch`` to ``current``: maps merge, ``null`` deletes; keyed lists merge when ``strategic``."""
    if isinstance(patch, dict):
        result = dict(current) if isinstance(current, dict) else {}
        for key, value in patch.items():
            child = f"{path}.{key}" if path else key
            if value is None:
                result.pop(key, None)
            else:
                result[key] = merge_patch(result.get(key), value, strategic, child)
        return result
    key = merge_key(path) if strategic else None
    if key and isinstance(patch, list) and isinstance(current, list) \
            and all(isinstance(i, dict) and key in i for i in patch + current):
        by_key = {i[key]: i for i in current}
        merged = [merge_patch(by_key.get(i[key], {}), i, strategic, f"{path}[{n}]") for n, i in enumerate(patch)]
        return merged + [i for i in current if i[key] not in {p[key] for p in patch}]
    return patch


def _unknown_fields(doc: dict) -> tuple[dict, list[str]]:
    """Drop fields the API does not have (fieldValidation=Warn), returning the warnings."""
    unknown = decode.strict_check(doc, _definition(doc["kind"]))
    cleaned = doc
    for path in unknown:
        cleaned = _drop(cleaned, path)
    return cleaned, [f'Warning: unknown field "{u}"' for u in unknown]


def _definition(kind: str) -> str:
    return openapi.definition_for_kind(kind)


def _drop(doc: Any, path: str) -> Any:
    """Remove the field at ``path`` (``spec.rules[0].hots``), a path whose keys may themselves hold dots."""
    doc = _copy(doc)
    node, rest = doc, path
    while rest:
        if rest.startswith("[") and isinstance(node, list):
            index, _, rest = rest[1:].partition("]")
            node, rest = node[int(index)], rest.removeprefix(".")
            continue
        if not isinstance(node, dict):
            return doc
        keys = {str(k): k for k in node}
        if rest in keys:
            node.pop(keys[rest])
            return doc
        prefix = max((k for k in keys if rest.startswith(k) and rest[len(k):len(k) + 1] in (".", "[")), key=len,
                     default=None)
        if prefix is None:
            return doc
        node, rest = node[keys[prefix]], rest[len(prefix):].removeprefix(".")
    return doc


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def run_patch(cluster: "Model", p: Parsed, out: IOStreams) -> None:
    fmt = output_format(p, PRINT_FORMATS, ("", "name"))
    if not p["patch"]:
        raise KubectlError("error: must specify --patch or --patch-file containing the contents of the patch")
    kind = p["type"] or "strategic"
    if kind not in ("json", "merge", "strategic"):
        raise KubectlError(f'error: --type must be one of [json merge strategic], not "{kind}"')
    if kind == "json":
        raise KubectlError('error: k8sedu does not model "--type=json" patches yet; use --type=merge or the '
                           "default strategic merge patch")
    patch = parse_patch(p["patch"])
    target = resources.build(p.args)
    found, errors = resources.fetch(cluster.api, target, namespace_of(p))
    if errors:
        raise KubectlError("\n".join(errors))
    is_dry_run = dry_run(p)
    for res, _ in found:
        if res.kind not in PATCHABLE:
            raise KubectlError(f"error: k8sedu does not model patching {res.plural} yet")
    failed = []
    for res, obj in found:
        try:
            _patch_one(cluster, res, obj, patch, kind == "strategic", is_dry_run, fmt, out)
        except KubectlError as err:  # the server refused this one; the others still go (ContinueOnError)
            failed.append(str(err))
    if failed:
        out.error("\n".join(failed))


def _patch_one(cluster: "Model", res: Any, obj: Any, patch: dict, strategic: bool, is_dry_run: bool,
               fmt: str, out: IOStreams) -> None:
    current = encode(obj)
    patched = merge_patch(current, patch, strategic)
    patched["apiVersion"], patched["kind"] = current["apiVersion"], current["kind"]
    try:
        decode.strict_check(patched, _definition(obj.kind))
    except decode._TypeError as err:  # a wrong type: the server cannot decode the patched object
        raise KubectlError(f"Error from server (BadRequest): "
                           f"{decode.server_decode_error(obj.kind, 'v1', str(err))}") from None
    patched, warnings = _unknown_fields(patched)
    out.warn("\n".join(warnings))
    name = f"{resources.kind_prefix(res)}/{obj.metadata.name}"
    if patched == current:
        out.print(name if fmt == "name" else f"{name} patched (no change)")
        return
    new = decode.to_object(patched, obj.metadata.namespace)
    new = dataclasses.replace(new, metadata=dataclasses.replace(
        new.metadata, uid=obj.metadata.uid, owner_references=obj.metadata.owner_references,
        generate_name=obj.metadata.generate_name, deletion_timestamp=obj.metadata.deletion_timestamp,
        deletion_grace_period_seconds=obj.metadata.deletion_grace_period_seconds),
        **({"status": obj.status} if hasattr(obj, "status") else {}))
    if not is_dry_run:
        try:
            cluster.api.update(new)
        except InvalidError as err:
            raise KubectlError(err.kubectl_text()) from None
        except StatusError as err:
            raise from_status(err) from None
    out.print(name if fmt == "name" else f"{name} patched" + (" (dry run)" if is_dry_run else ""))


PATCH = Command(
    path="kubectl patch",
    short="Update fields of a resource.",
    use="kubectl patch (-f FILENAME | TYPE NAME) [-p PATCH|--patch-file FILE] [options]",
    flags=(string("patch", "p"), string("type"), string("output", "o"), dry_run_flag(),
           string("patch-file", modelled=False), string("filename", "f", modelled=False),
           string("local", modelled=False, no_opt="true"), string("subresource", modelled=False),
           string("field-manager", modelled=False)),
    run=run_patch,
)
