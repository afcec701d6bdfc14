"""What every kubectl command shares: its declaration, the global flags, output and dry-run options.

A ``Command`` is what a cobra command is to kubectl: a path (``kubectl get``),
its flags, a one-line summary, a usage line, and the function that runs it.
``run`` in ``k8sedu.kubectl`` finds the command, parses its flags with
``FlagSet``, and calls ``command.run(cluster, parsed)``; the function returns
what kubectl prints on success and raises ``KubectlError`` otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

from k8sedu.errors import KubectlError
from k8sedu.kubectl.flags import Flag, FlagSet, Parsed, boolean, string

if TYPE_CHECKING:  # pragma: no cover
    from k8sedu.protocols import Model

# kubectl's global flags that the course uses; the others exist but are refused honestly.
GLOBAL_FLAGS: tuple[Flag, ...] = (
    string("namespace", "n", "default"),
    boolean("help", "h"),
    string("context", modelled=False),
    string("kubeconfig", modelled=False),
    string("cluster", modelled=False),
    string("user", modelled=False),
    string("server", "s", modelled=False),
    string("v", "v", modelled=False),
)
GLOBAL_VALUE_FLAGS = frozenset({"-n", "--namespace", "--context", "--kubeconfig", "--cluster", "--user",
                                "-s", "--server", "-v"})

# cli-runtime PrintFlags: the -o values kubectl knows (NoCompatiblePrinterError lists them sorted).
PRINT_FORMATS = ("go-template", "go-template-file", "json", "jsonpath", "jsonpath-as-json", "jsonpath-file",
                 "name", "template", "templatefile", "yaml")
GET_FORMATS = tuple(sorted(PRINT_FORMATS + ("custom-columns", "custom-columns-file", "wide")))


@dataclass(frozen=True)
class Command:
    """One kubectl command: ``kubectl <verb> [<subverb>]``."""

    path: str
    short: str
    use: str
    flags: tuple[Flag, ...]
    run: Callable[["Model", Parsed], str]

    def flag_set(self) -> FlagSet:
        return FlagSet(self.path, self.flags + GLOBAL_FLAGS)

    def help(self) -> str:
        """The start of ``kubectl <verb> --help``, with the flags the model implements."""
        modelled = [f for f in self.flags if f.modelled]
        shown = ", ".join(("-" + f.short + "/" if f.short else "") + "--" + f.name for f in modelled)
        return (f"{self.short}\n\nUsage:\n  {self.use}\n\n"
                f"Flags modelled by k8sedu: {shown or '(none)'}; and -n/--namespace.")


def output_format(parsed: Parsed, allowed: tuple[str, ...], modelled: tuple[str, ...]) -> str:
    """Check ``-o``: kubectl's error for unknown formats, an honest one for real but unmodelled ones."""
    value = parsed["output"]
    fmt = value.split("=", 1)[0]
    if value == "" or value in modelled:
        return value
    if fmt in allowed:
        raise KubectlError(f'error: k8sedu does not model "-o {fmt}" yet; it prints '
                           + ", ".join(f"-o {m}" for m in modelled if m) + " and the default table")
    raise KubectlError(f'error: unable to match a printer suitable for the output format "{value}", '
                       f"allowed formats are: {','.join(allowed)}")


def dry_run(parsed: Parsed) -> bool:
    """Read ``--dry-run`` (cmdutil.GetDryRunStrategy): True for client, False for none."""
    value = parsed.values.get("dry-run") or "none"
    if value in ("client", "unchanged"):
        return True
    if value == "none":
        return False
    if value == "server":
        raise KubectlError('error: k8sedu does not model "--dry-run=server" yet; use --dry-run=client')
    raise KubectlError(f'error: Invalid dry-run value ({value}). Must be "none", "server", or "client".')


def dry_run_flag() -> Flag:
    return Flag("dry-run", "string", default="none", no_opt="unchanged")


def success(prefix: str, name: str, verb: str, parsed: Parsed, is_dry_run: bool = False) -> str:
    """The line a write prints: ``deployment.apps/web created``, or just the name with ``-o name``."""
    if parsed.values.get("output") == "name":
        return f"{prefix}/{name}"
    return f"{prefix}/{name} {verb}" + (" (dry run)" if is_dry_run else "")


def create_and_print(cluster: "Model", obj, parsed: Parsed, fmt: str, prefix: str, wrap: str = "",
                     namespaced: bool = True) -> str:
    """The end of every ``kubectl create`` generator: send the object (unless a dry run), then print.

    Server errors come back as kubectl's generators word them (``error: <wrap>: <message>``);
    ``-o yaml|json`` prints the object, otherwise ``<prefix>/<name> created``.
    """
    from k8sedu.apiserver.errors import StatusError
    from k8sedu.errors import from_status
    from k8sedu.kubectl import output  # output imports the manifests package, which imports kubectl

    is_dry_run = dry_run(parsed)
    if not is_dry_run:
        try:
            obj = cluster.api.create(obj)
        except StatusError as err:
            raise from_status(err, wrap) from None
        cluster.settle()
    if fmt in ("yaml", "json"):
        return output.generated(obj, fmt, is_dry_run, namespaced and "namespace" in parsed.changed)
    return success(prefix, obj.metadata.name, "created", parsed, is_dry_run)


def namespace_of(parsed: Parsed) -> str:
    return parsed["namespace"] or "default"
