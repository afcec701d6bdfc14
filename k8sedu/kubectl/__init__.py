"""kubectl, in the model: type the commands you would type against a real cluster.

``run(core, "get pods -o wide")`` returns a ``Result``: what kubectl prints on
stdout and on stderr, and its exit code (1 when something failed; for ``kubectl
exec``, the program's own). It never raises for anything kubectl would print as
an error, and a refused command never changes the cluster. A command that
partly succeeds keeps both streams: ``apply`` of several documents prints the
objects it applied on stdout and the server's errors on stderr.

kubectl is a tree of commands (cobra's): ``ROOT`` holds ``get``, ``create``
(which holds ``deployment``, ``namespace``, ``ingress`` and ``service``, which
holds ``clusterip``...), ``rollout`` (``history``, ``restart``, ``status``,
``undo``), ``set`` (``image``) and the rest.
``run`` walks the tree to the command a line names, parses its flags, then
runs it, with one settle policy: the controllers settle before the command
runs (the cluster kept working while you typed) and again after it if it wrote
anything. Commands that wait (``delete``, ``rollout status``, ``get -w``,
``run -i``) advance the
simulated clock themselves. The package is split the way kubectl's own code is:

- ``flags``: cobra/pflag parsing (flags anywhere, ``--flag=value``, ``--``);
- ``command`` and ``streams``: a command's declaration, and where it writes;
- ``resources``: the REST mapper (``po``, ``svc``, ``deployments.apps``) and
  the resource builder (``TYPE NAME``, ``TYPE/NAME``, ``-l``, ``--all``);
- ``printers`` (with ``columns``), ``table``, ``duration``, ``output``,
  ``events``: what ``kubectl get`` prints (tables, ``-o yaml|json|name``,
  events; the model's own notes in ``cluster.events`` are never printed);
- ``describe`` (with ``describe_lines``, ``describe_workloads`` and
  ``describe_network``): what ``kubectl describe`` prints, one describer per kind;
- one module per verb: ``get``, ``describe``, ``create`` (with
  ``create_service`` and ``ingress_create``), ``expose``, ``scale``, ``apply``,
  ``delete``, ``label``, ``patch``, ``rollout``, ``set_image``, ``run``,
  ``logs``, ``port_forward``, ``watch`` (``get -w``), ``jsonpath`` (``-o
  jsonpath``, ``--sort-by``), ``exec`` (with ``programs``:
  nslookup, dig, curl, wget, cat inside a pod), ``explain``, ``info``
  (``version``, ``cluster-info``).

``-f -`` reads the text after the command's first line, or ``stdin=``.
Commands a real kubectl has but the model does not (``edit``, ``cp``...)
are refused with a message that says so, never with "unknown command".

Examples
--------
>>> from k8sedu.core import Core
>>> core = Core()
>>> print(run(core, "get svc -n kube-system").stdout)
NAME       TYPE        CLUSTER-IP   EXTERNAL-IP   PORT(S)                  AGE
kube-dns   ClusterIP   10.96.0.10   <none>        53/UDP,53/TCP,9153/TCP   5m
>>> run(core, "get deploy nope")
Result(stdout='', stderr='Error from server (NotFound): deployments.apps "nope" not found', exit_code=1)
>>> print(run(core, "apply -f -", stdin="apiVersion: v1\\nkind: Namespace\\nmetadata:\\n  name: shop\\n").stdout)
namespace/shop created
"""

from __future__ import annotations

import shlex
from typing import TYPE_CHECKING, Optional

from k8sedu.apiserver.errors import StatusError
from k8sedu.errors import KubectlError, from_status
from k8sedu.kubectl.apply import APPLY
from k8sedu.kubectl.command import HELP_TEXTS, Command
from k8sedu.kubectl.create import CREATE
from k8sedu.kubectl.delete import DELETE
from k8sedu.kubectl.describe import DESCRIBE
from k8sedu.kubectl.exec import EXEC
from k8sedu.kubectl.explain import EXPLAIN
from k8sedu.kubectl.expose import EXPOSE
from k8sedu.kubectl.flags import Parsed, find_verb
from k8sedu.kubectl.get import GET
from k8sedu.kubectl.info import CLUSTER_INFO, VERSION
from k8sedu.kubectl.label import LABEL
from k8sedu.kubectl.logs import LOGS
from k8sedu.kubectl.patch import PATCH
from k8sedu.kubectl.port_forward import PORT_FORWARD
from k8sedu.kubectl.rollout import ROLLOUT
from k8sedu.kubectl.run import RUN
from k8sedu.kubectl.scale import SCALE
from k8sedu.kubectl.set_image import SET
from k8sedu.kubectl.streams import IOStreams, Result

if TYPE_CHECKING:  # pragma: no cover
    from k8sedu.protocols import Model

__all__ = ["run", "Result", "ROOT"]

# Every other top-level command of kubectl 1.32 (`kubectl --help`).
REAL_COMMANDS = ("alpha", "annotate", "api-resources", "api-versions", "attach", "auth", "autoscale",
                 "certificate", "completion", "config", "cordon", "cp", "debug", "diff", "drain", "edit", "events",
                 "kustomize", "options", "plugin", "proxy", "replace",
                 "taint", "top", "uncordon", "wait")
SUGGEST_FOR = {"get": ("list", "ps"), "delete": ("rm",)}


def run(core: "Model", line: str, stdin: Optional[str] = None) -> Result:
    """Run one kubectl command line against ``core``; return what kubectl printed and its exit code.

    A leading ``kubectl`` is optional. Text after the first line is standard
    input (for ``apply -f -``), unless ``stdin`` is given.
    """
    out = IOStreams()
    try:
        _execute(core, line, stdin, out)
    except KubectlError as err:
        out.error(str(err))
    except StatusError as err:  # an API error a command did not word itself
        out.error(str(from_status(err)))
    return out.result()


def _execute(core: "Model", line: str, stdin: Optional[str], out: IOStreams) -> None:
    """Find the command, parse its flags, run it between the two settles."""
    if isinstance(line, str) and "\n" in line.strip("\n"):
        line, _, piped = line.strip("\n").partition("\n")
        stdin = piped + "\n" if stdin is None else stdin
    cmd, args = find(_tokens(line))
    flag_set = cmd.flag_set()
    parsed = flag_set.parse(args)
    parsed.stdin = stdin
    if parsed["help"]:
        out.print(cmd.help_text())
        return
    flag_set.check_required(parsed)
    flag_set.check_modelled(parsed)
    core.settle()  # a real cluster kept reconciling while you typed
    version = core.api.store.resource_version
    try:
        cmd.run(core, parsed, out)
    finally:
        if core.api.store.resource_version != version:
            core.settle()  # the controllers react to what the command wrote


def find(tokens: list[str]) -> tuple[Command, list[str]]:
    """Walk the command tree as cobra's ``Find`` does: return the command and the words left for it.

    At each level the first word that is not a flag (or a flag's value) names
    a subcommand; the walk stops at a command without one. A real command the
    model lacks is refused; an unknown word at the top is an unknown command,
    and below it is an argument for the command (which may refuse it).
    """
    cmd, rest = ROOT, list(tokens)
    while cmd.subcommands:
        index = find_verb(rest, cmd.flag_set())
        if index is None:
            break
        word = rest[index]
        child = cmd.child(word)
        if child is None:
            cmd.refuse_not_modelled(word)
            if cmd is ROOT:
                raise _unknown_command(word, rest)
            break
        cmd, rest = child, rest[:index] + rest[index + 1:]
    return cmd, rest


# Linux's MAX_ARG_STRLEN (32 pages): no single argument a shell passes to kubectl is longer. k8sedu holds the whole
# line to it, so splitting (shlex is quadratic in a token's length) stays fast.
MAX_LINE = 131_072


def _tokens(command: str) -> list[str]:
    if not isinstance(command, str):
        raise KubectlError(f"error: a kubectl command is a string, like \"get pods\" (got {type(command).__name__})")
    if len(command) > MAX_LINE:
        raise KubectlError(f"error: k8sedu takes command lines up to {MAX_LINE} characters (a shell would refuse a "
                           "longer argument: Argument list too long)")
    try:
        tokens = shlex.split(command)
    except ValueError as err:
        raise KubectlError(f"error: the shell could not split this command line: {err}") from None
    return tokens[1:] if tokens[:1] == ["kubectl"] else tokens


def _unknown_command(word: str, tokens: list[str]) -> KubectlError:
    """kubectl's answer to a first word that names no command: no plugin by that name either."""
    if tokens[0].startswith("-"):  # kubectl's plugin handler: a plugin name must come first
        return KubectlError(f"Error: flags cannot be placed before plugin name: {tokens[0]}")
    return KubectlError(f'error: unknown command "{word}" for "kubectl"' + _suggestions(word))


def _command_order() -> list[str]:
    """kubectl's commands in the order they were added to cobra (the order ``kubectl --help`` lists them)."""
    listed = [line.split()[0] for line in HELP_TEXTS["kubectl"].splitlines()
              if line.startswith("  ") and len(line.split()) > 1]
    known = {c.name for c in ROOT.subcommands if not c.hidden} | set(ROOT.not_modelled)
    return [n for n in listed if n in known] + sorted(known - set(listed))


def _suggestions(typed: str) -> str:
    """cobra's "Did you mean this?": close in edit distance (<= 2), a prefix, or a listed alias, in command order."""
    names = _command_order()
    found = [n for n in names
             if abs(len(typed) - len(n)) <= 2 and _distance(typed.lower(), n.lower()) <= 2 or n.lower().startswith(typed.lower())
             or typed.lower() in SUGGEST_FOR.get(n, ())]
    return "\n\nDid you mean this?\n" + "\n".join(f"\t{n}" for n in found) if found else ""


def _distance(a: str, b: str) -> int:
    """Levenshtein distance, as cobra's ``ld``."""
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def _run_help(core: "Model", p: Parsed, out: IOStreams) -> None:
    """``kubectl help [COMMAND...]``: the help of the deepest command the words name."""
    if not p.args:
        out.print(HELP_TEXTS["kubectl"])
        return
    cmd = ROOT.child(p.args[0])
    if cmd is None:
        ROOT.refuse_not_modelled(p.args[0])
        raise _unknown_command(p.args[0], p.args)
    for word in p.args[1:]:
        child = cmd.child(word)
        if child is None:
            break
        cmd = child
    out.print(cmd.help_text())


def _run_root(core: "Model", p: Parsed, out: IOStreams) -> None:
    out.print(HELP_TEXTS["kubectl"])


HELP = Command(path="kubectl help", short="Help about any command", use="kubectl help [command] [options]",
               flags=(), run=_run_help, hidden=True)

ROOT = Command(
    path="kubectl", short="kubectl controls the Kubernetes cluster manager.", use="kubectl [flags] [options]",
    flags=(), run=_run_root, not_modelled=REAL_COMMANDS,
    subcommands=(APPLY, CLUSTER_INFO, CREATE, DELETE, DESCRIBE, EXEC, EXPLAIN, EXPOSE, GET, HELP, LABEL, PATCH,
                 LOGS, PORT_FORWARD, ROLLOUT, RUN, SCALE, SET, VERSION),
)
