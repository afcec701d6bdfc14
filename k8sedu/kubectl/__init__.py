"""kubectl, in the model: type the commands you would type against a real cluster.

``run(core, "get pods -o wide")`` returns the text real kubectl prints and
raises ``KubectlError`` (whose text is kubectl's) for anything kubectl would
refuse; a refused command never changes the cluster. The package is split the
way kubectl's own code is:

- ``flags``: cobra/pflag parsing (flags anywhere, ``--flag=value``, ``--``);
- ``resources``: the REST mapper (``po``, ``svc``, ``deployments.apps``) and
  the resource builder (``TYPE NAME``, ``TYPE/NAME``, ``-l``, ``--all``);
- ``printers`` (with ``columns``), ``table``, ``duration``, ``output``,
  ``events``: what ``kubectl get`` prints (tables, ``-o yaml|json|name``,
  events; the model's own notes in ``cluster.events`` are never printed);
- ``ingress_print`` and ``ingress_create``: Ingress and IngressClass
  columns, ``describe`` and the ``create ingress`` generator;
- one module per verb: ``get``, ``describe``, ``create`` (and
  ``create_service``), ``expose``, ``scale``, ``apply``, ``delete``,
  ``label``, ``patch``, ``rollout``, ``exec`` (with ``programs``: nslookup,
  dig, curl, wget, cat inside a pod), ``explain``, ``info`` (``version``,
  ``cluster-info``).

``-f -`` reads the text after the command's first line, or ``stdin=``.
Commands a real kubectl has but the model does not (``logs``, ``edit``...)
are refused with a message that says so, never with "unknown command".

Examples
--------
>>> from k8sedu.core import Core
>>> core = Core()
>>> print(run(core, "get svc -n kube-system"))
NAME       TYPE        CLUSTER-IP   EXTERNAL-IP   PORT(S)                  AGE
kube-dns   ClusterIP   10.96.0.10   <none>        53/UDP,53/TCP,9153/TCP   5m
>>> run(core, "get pods")
'No resources found in default namespace.'
>>> print(run(core, "apply -f -", stdin="apiVersion: v1\\nkind: Namespace\\nmetadata:\\n  name: shop\\n"))
namespace/shop created
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import TYPE_CHECKING, Optional

from k8sedu.apiserver.errors import StatusError
from k8sedu.errors import KubectlError, from_status
from k8sedu.kubectl import create, create_service, rollout
from k8sedu.kubectl.apply import APPLY
from k8sedu.kubectl.command import GLOBAL_FLAGS, GLOBAL_VALUE_FLAGS, Command
from k8sedu.kubectl.delete import DELETE
from k8sedu.kubectl.describe import DESCRIBE
from k8sedu.kubectl.exec import EXEC
from k8sedu.kubectl.explain import EXPLAIN
from k8sedu.kubectl.expose import EXPOSE
from k8sedu.kubectl.flags import FlagSet, find_verb
from k8sedu.kubectl.get import GET
from k8sedu.kubectl.info import CLUSTER_INFO, VERSION
from k8sedu.kubectl.label import LABEL
from k8sedu.kubectl.patch import PATCH
from k8sedu.kubectl.scale import SCALE

if TYPE_CHECKING:  # pragma: no cover
    from k8sedu.protocols import Model

__all__ = ["run", "COMMANDS"]

# The verbs the model implements: an explicit table, so the call graph stays visible.
COMMANDS: dict[str, Command] = {
    "apply": APPLY, "cluster-info": CLUSTER_INFO, "create": create.CREATE, "delete": DELETE, "describe": DESCRIBE,
    "exec": EXEC, "explain": EXPLAIN, "expose": EXPOSE, "get": GET, "label": LABEL, "patch": PATCH,
    "scale": SCALE, "version": VERSION,
}
GROUPS = ("rollout",)  # commands with subcommands: kubectl rollout restart|status

# Every other top-level command of kubectl 1.32 (`kubectl --help`).
REAL_COMMANDS = ("alpha", "annotate", "api-resources", "api-versions", "attach", "auth", "autoscale",
                 "certificate", "completion", "config", "cordon", "cp", "debug", "diff", "drain", "edit", "events",
                 "help", "kustomize", "logs", "options", "plugin", "port-forward", "proxy", "replace", "run", "set",
                 "taint", "top", "uncordon", "wait")
SUGGEST_FOR = {"get": ("list", "ps"), "delete": ("rm",)}
HELP_TEXTS: dict[str, str] = json.loads(Path(__file__).with_name("help-v1.32.json").read_text())
HELP = HELP_TEXTS["kubectl"]


def run(cluster: "Model", command: str, stdin: Optional[str] = None) -> str:
    """Run one kubectl command line against ``cluster``; return what kubectl prints.

    A leading ``kubectl`` is optional. Text after the first line is standard
    input (for ``apply -f -``), unless ``stdin`` is given. Raises
    ``KubectlError`` with kubectl's own text for anything kubectl would refuse.
    """
    if isinstance(command, str) and "\n" in command.strip("\n"):
        command, _, piped = command.strip("\n").partition("\n")
        stdin = piped + "\n" if stdin is None else stdin
    tokens = _tokens(command)
    index = find_verb(tokens, GLOBAL_VALUE_FLAGS)
    if index is None:
        parsed = FlagSet("kubectl", GLOBAL_FLAGS).parse(tokens)
        FlagSet("kubectl", GLOBAL_FLAGS).check_modelled(parsed)
        return HELP
    verb = tokens[index]
    rest = tokens[:index] + tokens[index + 1:]
    if verb == "help":
        return _help(rest)
    cmd = _command(verb)
    if cmd is create.CREATE:
        cmd, rest = _create_subcommand(rest)
    elif verb in GROUPS:
        cmd, rest = _rollout_subcommand(rest)
    flag_set = cmd.flag_set()
    parsed = flag_set.parse(rest)
    parsed.stdin = stdin
    if parsed["help"]:
        return help_text(cmd)
    flag_set.check_required(parsed)
    flag_set.check_modelled(parsed)
    try:
        return cmd.run(cluster, parsed)
    except StatusError as err:  # an API error a command did not word itself
        raise from_status(err) from None


def help_text(cmd: Command) -> str:
    """``kubectl <command> --help``: kubectl 1.32's own text."""
    return HELP_TEXTS.get(cmd.path) or cmd.help()


def _tokens(command: str) -> list[str]:
    if not isinstance(command, str):
        raise KubectlError(f"error: a kubectl command is a string, like \"get pods\" (got {type(command).__name__})")
    try:
        tokens = shlex.split(command)
    except ValueError as err:
        raise KubectlError(f"error: the shell could not split this command line: {err}") from None
    return tokens[1:] if tokens[:1] == ["kubectl"] else tokens


def _command(verb: str) -> Command:
    if verb in COMMANDS:
        return COMMANDS[verb]
    if verb in GROUPS:
        return _ROLLOUT_GROUP
    if verb in REAL_COMMANDS:
        raise KubectlError(f'error: k8sedu does not model "kubectl {verb}" yet; '
                           f"it models: {', '.join(sorted(list(COMMANDS) + list(GROUPS)))}")
    raise KubectlError(f'error: unknown command "{verb}" for "kubectl"' + _suggestions(verb))


def _create_subcommand(rest: list[str]) -> tuple[Command, list[str]]:
    value_flags = frozenset(f"--{f.name}" for f in create.CREATE.flags if not f.takes_no_value) | GLOBAL_VALUE_FLAGS
    index = find_verb(rest, value_flags | {"-o", "-f", "-k"})
    if index is None:
        return create.CREATE, rest
    sub = rest[index]
    rest = rest[:index] + rest[index + 1:]
    if sub in create.SUBCOMMANDS:
        return create.SUBCOMMANDS[sub], rest
    if sub in ("service", "svc"):
        return _service_subcommand(rest)
    if sub in create.CREATE_SUBCOMMANDS_NOT_MODELLED:
        raise KubectlError(f'error: k8sedu does not model "kubectl create {sub}" yet; '
                           "it models: create deployment, create ingress, create namespace, create service")
    return create.CREATE, rest[:index] + [sub] + rest[index:]


def _service_subcommand(rest: list[str]) -> tuple[Command, list[str]]:
    """``kubectl create service <type>``: a command group, like cobra's (help without a type)."""
    value_flags = frozenset({"--tcp", "--node-port", "--clusterip", "--external-name", "-o", "--output"})
    index = find_verb(rest, value_flags | GLOBAL_VALUE_FLAGS)
    if index is None:
        return _SERVICE_GROUP, rest
    sub = rest[index]
    if sub in create_service.SUBCOMMANDS:
        return create_service.SUBCOMMANDS[sub], rest[:index] + rest[index + 1:]
    words = " ".join(w for w in rest[index:] if not w.startswith("-"))
    raise KubectlError(f'error: unknown command "{words}"\nSee \'kubectl create service -h\' for help and examples')


def _rollout_subcommand(rest: list[str]) -> tuple[Command, list[str]]:
    index = find_verb(rest, GLOBAL_VALUE_FLAGS | {"-o", "--output"})
    if index is None:
        return _ROLLOUT_GROUP, rest
    sub = rest[index]
    if sub in rollout.SUBCOMMANDS:
        return rollout.SUBCOMMANDS[sub], rest[:index] + rest[index + 1:]
    if sub in rollout.NOT_MODELLED:
        raise KubectlError(f'error: k8sedu does not model "kubectl rollout {sub}" yet; '
                           "it models: rollout restart, rollout status")
    raise KubectlError(f'error: unknown command "{sub}"\nSee \'kubectl rollout -h\' for help and examples')


_SERVICE_GROUP = Command(path="kubectl create service", short="Create a service using a specified subcommand.",
                         use="kubectl create service [flags] [options]", flags=(),
                         run=lambda cluster, p: create_service.HELP)
_ROLLOUT_GROUP = Command(path="kubectl rollout", short="Manage the rollout of a resource.",
                         use="kubectl rollout SUBCOMMAND [options]", flags=(),
                         run=lambda cluster, p: HELP_TEXTS["kubectl rollout"])


def _help(rest: list[str]) -> str:
    words = [w for w in rest if not w.startswith("-")]
    if not words:
        return HELP
    path = "kubectl " + " ".join(words)
    if path in HELP_TEXTS:
        return HELP_TEXTS[path]
    cmd = _command(words[0])
    if cmd is create.CREATE and len(words) > 1 and words[1] in create.SUBCOMMANDS:
        cmd = create.SUBCOMMANDS[words[1]]
    return help_text(cmd)


def _command_order() -> list[str]:
    """kubectl's commands in the order they were added to cobra (the order ``kubectl --help`` lists them)."""
    listed = [line.split()[0] for line in HELP.splitlines() if line.startswith("  ") and len(line.split()) > 1]
    known = set(COMMANDS) | set(GROUPS) | set(REAL_COMMANDS)
    return [n for n in listed if n in known] + sorted(known - set(listed))


def _suggestions(typed: str) -> str:
    """cobra's "Did you mean this?": close in edit distance (<= 2), a prefix, or a listed alias, in command order."""
    names = _command_order()
    found = [n for n in names
             if _distance(typed.lower(), n.lower()) <= 2 or n.lower().startswith(typed.lower())
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
