"""What every kubectl command shares: its declaration, the global flags, output and dry-run options.

A ``Command`` is what a cobra command is to kubectl: a path (``kubectl get``),
its flags, a one-line summary, a usage line, the function that runs it, and
its subcommands (``kubectl create`` has ``deployment``, ``service``...;
``kubectl create service`` has ``clusterip``...). The commands form one tree,
rooted at ``kubectl``; ``run`` in ``k8sedu.kubectl`` walks it to the command
a line names, parses that command's flags with ``FlagSet``, and calls
``command.run(core, parsed, out)``. The function writes what kubectl prints to
``out`` (an ``IOStreams``) and raises ``KubectlError`` for what stops it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Callable, Mapping, Optional

from k8sedu.apiserver.errors import StatusError
from k8sedu.errors import KubectlError, from_status
from k8sedu.kubectl import output
from k8sedu.kubectl.flags import Flag, FlagSet, Parsed, boolean, string, usage_error
from k8sedu.kubectl.streams import IOStreams

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

# ``kubectl <command> --help`` as kubectl 1.32 prints it, by command path.
HELP_TEXTS: Mapping[str, str] = MappingProxyType(
    json.loads(Path(__file__).with_name("help-v1.32.json").read_text()))

# cli-runtime PrintFlags: the -o values kubectl knows (NoCompatiblePrinterError lists them sorted).
PRINT_FORMATS = ("go-template", "go-template-file", "json", "jsonpath", "jsonpath-as-json", "jsonpath-file",
                 "name", "template", "templatefile", "yaml")
GET_FORMATS = tuple(sorted(PRINT_FORMATS + ("custom-columns", "custom-columns-file", "wide")))


Runner = Callable[["Model", Parsed, IOStreams], None]


@dataclass(frozen=True)
class Command:
    """One kubectl command: ``kubectl <verb> [<subverb>...]``, and the commands below it."""

    path: str
    short: str
    use: str
    flags: tuple[Flag, ...]
    run: Runner
    aliases: tuple[str, ...] = ()
    subcommands: tuple["Command", ...] = ()
    not_modelled: tuple[str, ...] = ()  # real subcommands the model refuses honestly, not as unknown
    hidden: bool = False  # left out of listings and suggestions, as cobra leaves out its help command

    @property
    def name(self) -> str:
        return self.path.rsplit(" ", 1)[-1]

    def child(self, word: str) -> Optional["Command"]:
        """The subcommand ``word`` names (its name or an alias), if any."""
        return next((c for c in self.subcommands if word == c.name or word in c.aliases), None)

    def flag_set(self) -> FlagSet:
        return FlagSet(self.path, self.flags + GLOBAL_FLAGS)

    def help_text(self) -> str:
        """``kubectl <command> --help``: kubectl 1.32's own text, else the start of it with the modelled flags."""
        if self.path in HELP_TEXTS:
            return HELP_TEXTS[self.path]
        modelled = [f for f in self.flags if f.modelled]
        shown = ", ".join(("-" + f.short + "/" if f.short else "") + "--" + f.name for f in modelled)
        return (f"{self.short}\n\nUsage:\n  {self.use}\n\n"
                f"Flags modelled by k8sedu: {shown or '(none)'}; and -n/--namespace.")

    def refuse_not_modelled(self, word: str) -> None:
        """Raise the honest refusal for a real subcommand the model does not have."""
        if word in self.not_modelled:
            prefix = self.path.removeprefix("kubectl").strip()
            listed = sorted(f"{prefix} {c.name}".strip() for c in self.subcommands if not c.hidden)
            raise KubectlError(f'error: k8sedu does not model "{self.path} {word}" yet; '
                               f"it models: {', '.join(listed)}")


def group(path: str, short: str, subcommands: tuple[Command, ...], help_to_stderr: bool = False,
          aliases: tuple[str, ...] = (), not_modelled: tuple[str, ...] = ()) -> Command:
    """A command that only holds subcommands (``kubectl rollout``, ``kubectl create service``).

    Run alone it prints its help and exits 1, and a word that names no
    subcommand is an unknown command (kubectl's ``DefaultSubCommandRun``);
    ``create service`` prints that help on stderr, ``rollout`` on stdout.
    """
    def run(core: "Model", p: Parsed, out: IOStreams) -> None:
        if p.args:
            raise usage_error(f'unknown command "{" ".join(p.args)}"', path)
        if help_to_stderr:
            out.error(HELP_TEXTS[path])
        else:
            out.print(HELP_TEXTS[path])
            out.exit(1)

    return Command(path=path, short=short, use=f"{path} SUBCOMMAND [options]", flags=(), run=run, aliases=aliases,
                   subcommands=subcommands, not_modelled=not_modelled)


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


def create_and_print(cluster: "Model", obj: Any, parsed: Parsed, fmt: str, prefix: str, wrap: str = "",
                     namespaced: bool = True) -> str:
    """The end of every ``kubectl create`` generator: send the object (unless a dry run), then say what happened.

    Server errors come back as kubectl's generators word them (``error: <wrap>: <message>``);
    ``-o yaml|json`` prints the object, otherwise ``<prefix>/<name> created``.
    """
    is_dry_run = dry_run(parsed)
    if not is_dry_run:
        try:
            obj = cluster.api.create(obj)
        except StatusError as err:
            raise from_status(err, wrap) from None
    if fmt in ("yaml", "json"):
        return output.generated(obj, fmt, is_dry_run, namespaced and "namespace" in parsed.changed)
    return success(prefix, obj.metadata.name, "created", parsed, is_dry_run)


def exactly_one_name(p: Parsed, command_path: str) -> str:
    """``NameFromCommandArgs``: the one NAME before any ``--``."""
    count = p.args_len_at_dash if p.args_len_at_dash >= 0 else len(p.args)
    if count != 1:
        raise usage_error(f"exactly one NAME is required, got {count}", command_path)
    return p.args[0]


def namespace_of(parsed: Parsed) -> str:
    return parsed["namespace"] or "default"
