"""``kubectl apply``: make the cluster hold what the manifest says (kubectl ``pkg/cmd/apply``).

For each object in the manifest, in order:

- if it does not exist yet, it is **created**, with the manifest saved in the
  annotation ``kubectl.kubernetes.io/last-applied-configuration``;
- if it exists, kubectl computes a **three-way merge**: fields in the manifest
  are set; fields that the *last applied* manifest had and this one drops are
  removed; everything else the cluster filled in (a Service's ``clusterIP`` and
  ``nodePort``, a Deployment's status) is kept. Lists of named things merge by
  key (containers by ``name``, Service ports by ``port``), as a strategic merge
  patch does. Nothing to change prints ``unchanged``, else ``configured``.

Errors follow kubectl's two phases. Reading the manifest (YAML syntax,
``kind``/``apiVersion``, a kind the cluster does not serve) fails the whole
command before anything is written. Errors from the server (an unknown field,
a name already taken, a missing namespace, an invalid port) belong to one
object: the others are still applied, and the errors are printed after the
result lines.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Optional

from k8sedu.apiserver.errors import InvalidError, StatusError
from k8sedu.errors import KubectlError
from k8sedu.manifests import decode, encode
from k8sedu.manifests.meta import api_version
from k8sedu.manifests.yamlio import load_documents
from k8sedu.objects import RESOURCE_BY_KIND

if TYPE_CHECKING:  # pragma: no cover
    from k8sedu.protocols import Model

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
MISSING_ANNOTATION = ("Warning: resource {qualified}/{name} is missing the kubectl.kubernetes.io/last-applied-"
                      "configuration annotation which is required by kubectl apply. kubectl apply should only be "
                      "used on resources created declaratively by either kubectl create --save-config or kubectl "
                      "apply. The missing annotation will be patched automatically.")


class ApplyError(KubectlError):
    """Some objects failed. ``str(err)`` is everything kubectl printed; ``applied`` the lines that succeeded."""

    def __init__(self, message: str, applied: tuple[str, ...] = ()):
        super().__init__(message)
        self.applied = applied


@dataclass(frozen=True)
class Planned:
    """One object to apply: its manifest (namespace filled in) and where it came from."""

    manifest: dict
    kind: str
    name: str
    namespace: str
    source: str


def read(manifest: Any, source: str = "STDIN") -> list[Any]:
    """Turn YAML text, a dict or a list into object documents (kubectl's reading phase)."""
    if isinstance(manifest, str):
        return decode.documents(load_documents(manifest, source), source)
    if isinstance(manifest, (dict, list)):
        return decode.documents(manifest, source)
    raise KubectlError("error: apply takes YAML text, a dict or a list of dicts "
                       f"(got {type(manifest).__name__})")


def plan(docs: list[Any], namespace: str, explicit_namespace: bool, source: str) -> list[Planned]:
    """Check every document on the client side, before anything is sent (kubectl's builder)."""
    if not docs:
        raise KubectlError("error: no objects passed to apply")
    planned = []
    for doc in docs:
        api_version, kind = decode.check_type_meta(doc, source)
        meta = doc.get("metadata") if isinstance(doc.get("metadata"), dict) else {}
        name = meta.get("name") if isinstance(meta.get("name"), str) else ""
        ns = meta.get("namespace") if isinstance(meta.get("namespace"), str) else ""
        decode.check_served(api_version, kind, name, ns, source)
        res = RESOURCE_BY_KIND[kind]
        if res.namespaced:
            if ns and explicit_namespace and ns != namespace:
                raise KubectlError(f'error: the namespace from the provided object "{ns}" does not match the '
                                   f'namespace "{namespace}". You must pass \'--namespace={ns}\' to perform this '
                                   "operation.")
            ns = ns or namespace
        else:
            ns = ""
        planned.append(Planned(doc, kind, name, ns, source))
    return planned


def apply(core: "Model", manifest: Any, namespace: str = "default", explicit_namespace: bool = False,
          source: str = "STDIN", dry_run: bool = False) -> str:
    """Apply every object of ``manifest``; return kubectl's lines or raise ``ApplyError`` listing the failures."""
    planned = plan(read(manifest, source), namespace, explicit_namespace, source)
    lines: list[str] = []
    notes: list[str] = []
    errors: list[str] = []
    for item in planned:
        try:
            line, note = apply_one(core, item, dry_run)
        except KubectlError as err:
            errors.append(str(err))
            continue
        lines.append(line)
        notes += [note] if note else []
        core.settle()
    if errors:
        raise ApplyError("\n".join(notes + lines + errors), tuple(lines))
    return "\n".join(notes + lines)


def _prefix(kind: str) -> str:
    res = RESOURCE_BY_KIND[kind]
    return f"{kind.lower()}.{res.group}" if res.group else kind.lower()


def modified_configuration(item: Planned) -> dict:
    """The manifest as kubectl sends it: namespace set, annotations present, the last-applied one inside."""
    doc = json.loads(json.dumps(item.manifest))  # a deep copy, JSON-only types
    if not isinstance(doc.get("metadata"), dict):
        doc["metadata"] = {}
    meta = doc["metadata"]
    if item.namespace:
        meta["namespace"] = item.namespace
    annotations = dict(meta.get("annotations") or {})
    annotations.pop(LAST_APPLIED, None)
    meta["annotations"] = annotations
    recorded = json.dumps(doc, separators=(",", ":"), sort_keys=True, ensure_ascii=False)
    recorded = recorded.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026") + "\n"
    meta["annotations"] = {**annotations, LAST_APPLIED: recorded}
    return doc


def apply_one(core: "Model", item: Planned, dry_run: bool) -> tuple[str, str]:
    """Create or patch one object; return (result line, warning or '')."""
    if not item.name:
        version = api_version(item.kind)
        raise KubectlError(
            f'error: error when retrieving current configuration of:\nResource: "{version}, '
            f'Resource={RESOURCE_BY_KIND[item.kind].plural}", GroupVersionKind: "{version}, Kind={item.kind}"\n'
            f'Name: "", Namespace: "{item.namespace}"\nfrom server for: "{item.source}": '
            "resource name may not be empty")
    suffix = " (dry run)" if dry_run else ""
    live = core.api.try_get(item.kind, item.namespace, item.name)
    problem = decode.strict_decode_problem(item.manifest)
    if problem and live is None:
        raise KubectlError(f'Error from server (BadRequest): error when creating "{item.source}": {problem}')
    if problem:  # the server cannot decode the patched object
        detail = problem.split(f"cannot be handled as a {item.kind}: ", 1)[-1]
        patch = go_value(_diff(item.manifest, encode.encode(live)))
        raise KubectlError(f'The request is invalid: patch: Invalid value: "{patch}": {detail}')
    modified = modified_configuration(item)
    if live is None:
        _create(core, item, modified, dry_run)
        return f"{_prefix(item.kind)}/{item.name} created{suffix}", ""
    original_text = live.metadata.annotations.get(LAST_APPLIED)
    note = "" if original_text else MISSING_ANNOTATION.format(qualified=RESOURCE_BY_KIND[item.kind].plural,
                                                              name=item.name)
    original = _parse_recorded(original_text)
    current = encode.encode(live)
    merged = merge(original, modified, current, "")
    if merged == current:
        return f"{_prefix(item.kind)}/{item.name} unchanged{suffix}", ""
    _patch(core, item, live, modified, merged, dry_run)
    return f"{_prefix(item.kind)}/{item.name} configured{suffix}", note


def _parse_recorded(text: Optional[str]) -> dict:
    try:
        value = json.loads(text) if text else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _create(core: "Model", item: Planned, modified: dict, dry_run: bool) -> None:
    obj = decode.to_object(modified, item.namespace)
    if dry_run:
        return
    try:
        core.api.create(obj)
    except InvalidError as err:
        raise KubectlError(err.kubectl_text()) from None
    except StatusError as err:
        raise KubectlError(f'Error from server ({err.reason}): error when creating "{item.source}": '
                           f"{err.message}") from None


def _patch(core: "Model", item: Planned, live: Any, modified: dict, merged: dict, dry_run: bool) -> None:
    obj = decode.to_object(merged, item.namespace)
    obj = _keep_server_fields(obj, live)
    if dry_run:
        return
    try:
        core.api.update(obj)
    except InvalidError as err:
        raise KubectlError(err.kubectl_text()) from None
    except StatusError as err:
        raise KubectlError(f"Error from server ({err.reason}): {err.message}") from None


def _keep_server_fields(obj: Any, live: Any) -> Any:
    """An apply never writes status, uid or owners: take them from the live object."""
    meta = dataclasses.replace(obj.metadata, uid=live.metadata.uid, owner_references=live.metadata.owner_references,
                               generate_name=live.metadata.generate_name,
                               deletion_timestamp=live.metadata.deletion_timestamp,
                               deletion_grace_period_seconds=live.metadata.deletion_grace_period_seconds)
    changes: dict[str, Any] = {"metadata": meta}
    if hasattr(live, "status"):
        changes["status"] = live.status
    if obj.kind == "Pod":  # the scheduler's choice is not the manifest's to undo
        changes["spec"] = dataclasses.replace(obj.spec, node_name=obj.spec.node_name or live.spec.node_name)
    return dataclasses.replace(obj, **changes)


# ---------------------------------------------------------------- three-way merge

def merge_key(path: str) -> Optional[str]:
    """The strategic-merge key of the list at ``path`` (``patchMergeKey`` in k8s.io/api), or None (replace)."""
    last = path.rsplit(".", 1)[-1]
    if last in ("containers", "initContainers", "env", "volumes", "imagePullSecrets"):
        return "name"
    if last == "ports":
        return "containerPort" if "containers[" in path else ("port" if path == "spec.ports" else None)
    if last == "volumeMounts":
        return "mountPath"
    if last == "conditions":
        return "type"
    return None


def merge(original: Any, modified: Any, current: Any, path: str) -> Any:
    """Return ``current`` with ``modified`` applied and what ``original`` had but ``modified`` dropped removed."""
    if isinstance(modified, dict) and isinstance(current, dict):
        result = dict(current)
        orig = original if isinstance(original, dict) else {}
        for key, value in modified.items():
            child = f"{path}.{key}" if path else key
            result[key] = merge(orig.get(key), value, current.get(key), child)
        for key in orig:
            if key not in modified:
                result.pop(key, None)
        return result
    key = merge_key(path)
    if key and _keyed(modified, key) and _keyed(current, key):
        return _merge_list(original if _keyed(original, key) else [], modified, current, key, path)
    return modified


def _keyed(items: Any, key: str) -> bool:
    return isinstance(items, list) and all(isinstance(i, dict) and key in i for i in items)


def _merge_list(original: list, modified: list, current: list, key: str, path: str) -> list:
    def ident(item: dict) -> tuple:
        found = (item.get(key), item.get("protocol") or "TCP") if key == "port" else (item.get(key),)
        return tuple(repr(v) for v in found)  # a value of the wrong type must not break the merge

    by_current = {ident(i): i for i in current}
    by_original = {ident(i): i for i in original}
    wanted = {ident(i) for i in modified}
    result = [merge(by_original.get(ident(i)), i, by_current.get(ident(i), {}), f"{path}[{n}]")
              for n, i in enumerate(modified)]
    dropped = set(by_original) - wanted
    result += [i for i in current if ident(i) not in wanted and ident(i) not in dropped]
    return result


def _diff(new: Any, old: Any) -> Any:
    """The fields of ``new`` that differ from ``old`` (a rough patch, for error messages)."""
    if isinstance(new, dict) and isinstance(old, dict):
        return {k: _diff(v, old.get(k)) for k, v in new.items() if v != old.get(k)}
    return new


def go_value(value: Any) -> str:
    """Format ``value`` as Go's ``%v`` prints a decoded JSON value: ``map[a:1 b:[x y]]``."""
    if isinstance(value, dict):
        return "map[" + " ".join(f"{k}:{go_value(value[k])}" for k in sorted(value)) + "]"
    if isinstance(value, list):
        return "[" + " ".join(go_value(v) for v in value) + "]"
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
