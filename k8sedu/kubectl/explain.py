"""``kubectl explain``: the API's own documentation of a kind or a field.

kubectl renders the server's OpenAPI v3 document with a Go template
(``pkg/explain/v2/templates/plaintext.tmpl``); this is that template, step by
step: a ``GROUP``/``KIND``/``VERSION`` header; for a field, ``FIELD: name
<type>`` and, for an enum, its ``ENUM:`` block; the ``DESCRIPTION`` (a field's own text followed by its type's);
and for an object its ``FIELDS``, sorted, each with its type hint
(``<[]ServicePort>``, ``<map[string]string>``, ``-required-``) and text,
wrapped by kubectl's own ``wrap`` (broken at spaces, newlines kept). The texts come from the Kubernetes 1.32 schema the model
carries (``k8sedu.manifests.openapi``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional

from k8sedu.errors import KubectlError
from k8sedu.kubectl import resources
from k8sedu.kubectl.command import Command
from k8sedu.kubectl.flags import Parsed, boolean, string
from k8sedu.kubectl.streams import IOStreams
from k8sedu.manifests import openapi

if TYPE_CHECKING:  # pragma: no cover
    from k8sedu.protocols import Model

NO_TYPE = ('error: You must specify the type of resource to explain. Use "kubectl api-resources" for a complete '
           "list of supported resources.")


def wrap(text: str, limit: int) -> str:
    """kubectl explain's ``wrap``: ``wordwrap.WrapString`` (mitchellh/go-wordwrap v1.0.1, via kubectl's
    ``term.NewWordWrapWriter``).

    Lines break at spaces so that none is longer than ``limit``; a word longer
    than ``limit`` (a URL) gets a line of its own and is not split. A newline in
    the text is kept and starts a new line, so a field's text and its type's
    stay on lines of their own, and "Possible enum values:" lists one value per
    line (kubectl ``pkg/explain/v2/funcs_test.go``, the ``wrap 76`` case).

    Examples
    --------
    >>> print(wrap("the quick brown fox jumps over the lazy dog", 10))
    the quick
    brown fox
    jumps over
    the lazy
    dog
    >>> print(wrap("one\\ntwo three", 7))
    one
    two
    three
    """
    out: list[str] = []
    word: list[str] = []
    space: list[str] = []
    current = 0
    for char in text:
        if char == "\n":
            if not word:
                if current + len(space) <= limit:
                    out += space
            else:
                out += space + word
            space, word = [], []
            out.append(char)
            current = 0
        elif char.isspace() and char != "\u00a0":
            if not space or word:
                current += len(space) + len(word)
                out += space + word
                space, word = [], []
            space.append(char)
        else:
            word.append(char)
            if current + len(space) + len(word) > limit and len(word) < limit:
                out.append("\n")
                current = 0
                space = []
    if not word:
        if current + len(space) <= limit:
            out += space
    else:
        out += space + word
    return "".join(out)


def indent(text: str, spaces: int) -> str:
    """sprig ``indent``: every line, empty ones too."""
    pad = " " * spaces
    return pad + text.replace("\n", "\n" + pad)


def description(schema: dict) -> str:
    """The template's ``description``: a schema's own text, then its referenced type's, each ending in a newline."""
    text = schema.get("description", "") + ("\n" if schema.get("description") else "")
    if "$ref" in schema and "description" in openapi.definitions()[schema["$ref"]] and "properties" not in schema:
        target = openapi.definitions()[schema["$ref"]]
        text += target["description"] + "\n"
    elif "items" in schema:
        text += description(schema["items"])
    elif "additionalProperties" in schema:
        text += description(schema["additionalProperties"])
    return text


def _object_of(schema: dict) -> Optional[dict]:
    """The definition whose fields ``schema`` has (through a ref, an array's items or a map's values)."""
    if "properties" in schema:
        return schema
    if "$ref" in schema:
        target = openapi.definitions()[schema["$ref"]]
        return target if "properties" in target else None
    if "items" in schema:
        return _object_of(schema["items"])
    if "additionalProperties" in schema:
        return _object_of(schema["additionalProperties"])
    return None


def enum_text(schema: dict, long_view: bool, indent_by: int = 0, limit: int = 4) -> str:
    """The template's ``extractEnum``: ``ENUM:`` and one value a line for a field, ``enum: a, b, ....`` in a list.

    Examples
    --------
    >>> print(enum_text({"enum": ["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"]}, long_view=True))
    ENUM:
        ClusterIP
        ExternalName
        LoadBalancer
        NodePort
    >>> enum_text({"enum": ["", "BlockDevice", "CharDevice", "Directory", "File"]}, long_view=False, indent_by=2)
    '\\n  enum: "", BlockDevice, CharDevice, Directory, ....'
    """
    values = schema.get("enum")
    if not values:
        return ""
    shown = ['""' if v == "" else str(v) for v in values]
    if long_view:
        return "ENUM:" + "".join(f"\n    {v}" for v in shown)
    more = ", ...." if len(shown) > limit else ""
    return "\n" + " " * indent_by + "enum: " + ", ".join(shown[:limit]) + more


def field_list(owner: dict) -> str:
    lines = []
    required = owner.get("required", ())
    for name in sorted(owner.get("properties", {})):
        field = owner["properties"][name]
        head = (f"  {name}\t<{openapi.type_name(field)}>" + (" -required-" if name in required else "")
                + enum_text(field, long_view=False, indent_by=2))
        text = field.get("description") or "<no description>"
        lines.append(f"{head}\n{indent(wrap(text, 76), 4)}\n\n")
    return "".join(lines)


def explain(path: str) -> str:
    """Return what ``kubectl explain <path>`` prints, e.g. ``service.spec.type``."""
    word, *fields = path.split(".")
    res = resources.lookup(word)
    definition = openapi.definition_for_kind(res.kind)
    if definition is None:
        raise KubectlError(f'error: k8sedu does not carry the documentation of {res.plural} yet')
    gvk = openapi.gvk(definition)
    out = (f"GROUP:      {gvk['group']}\n" if gvk["group"] else "") + f"KIND:       {gvk['kind']}\n"
    out += f"VERSION:    {gvk['version']}\n\n"
    schema: dict = openapi.definitions()[definition]
    for i, name in enumerate(fields):
        owner = _object_of(schema)
        if owner is None or name not in owner.get("properties", {}):
            raise KubectlError(f'error: field "{fields[-1]}" does not exist')
        schema = owner["properties"][name]
        if i == len(fields) - 1:
            out += f"FIELD: {name} <{openapi.type_name(schema)}>\n{enum_text(schema, long_view=True)}\n\n"
    out += "DESCRIPTION:\n" + indent(wrap(description(schema) or "<empty>", 76), 4) + "\n"
    owner = _object_of(schema)
    if owner is not None and owner.get("properties"):
        out += "FIELDS:\n" + field_list(owner)
    return out.rstrip("\n")


def run_explain(cluster: "Model", p: Parsed, out: IOStreams) -> None:
    if p["recursive"]:
        raise KubectlError('error: k8sedu does not model "kubectl explain --recursive" yet')
    if not p.args:
        raise KubectlError(NO_TYPE)
    if len(p.args) > 1:
        raise KubectlError("error: We accept only this format: explain RESOURCE")
    out.print(explain(p.args[0]))


EXPLAIN = Command(
    path="kubectl explain",
    short="Get documentation for a resource.",
    use="kubectl explain TYPE [--recursive=FALSE|TRUE] [--api-version=api-version-group] [--output=plaintext|"
        "plaintext-openapiv2] [options]",
    flags=(boolean("recursive"), string("api-version", modelled=False), string("output", "o", modelled=False)),
    run=run_explain,
)
