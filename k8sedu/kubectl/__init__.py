"""kubectl, in the model: type the commands you would type against a real cluster.

``run(cluster, "get pods -o wide")`` returns the text real kubectl prints and
raises ``KubectlError`` (whose text is kubectl's) for anything kubectl would
refuse; a refused command never changes the cluster. The package is split the
way kubectl's own code is:

- ``flags``: cobra/pflag parsing (flags anywhere, ``--flag=value``, ``--``);
- ``resources``: the REST mapper (``po``, ``svc``, ``deployments.apps``) and
  the resource builder (``TYPE NAME``, ``TYPE/NAME``, ``-l``, ``--all``);
- ``printers``, ``table``, ``duration``: the tables of ``kubectl get``;
- one module per verb: ``get``, ``create``, ``expose``, ``scale``, ``delete``,
  ``exec`` (with ``programs``: nslookup, curl, cat inside a pod).

Commands a real kubectl has but the model does not yet (``describe``,
``logs``, ``apply``...) are refused with a message that says so, never with
"unknown command".

Examples
--------
>>> from k8sedu import Cluster
>>> cluster = Cluster(seed=1)
>>> print(run(cluster, "get svc -n kube-system"))
NAME       TYPE        CLUSTER-IP   EXTERNAL-IP   PORT(S)                  AGE
kube-dns   ClusterIP   10.96.0.10   <none>        53/UDP,53/TCP,9153/TCP   5m
>>> run(cluster, "get pods")
'No resources found in default namespace.'
"""

from __future__ import annotations

import shlex
from typing import TYPE_CHECKING

from k8sedu.apiserver.errors import StatusError
from k8sedu.errors import KubectlError, from_status
from k8sedu.kubectl import create
from k8sedu.kubectl.command import GLOBAL_FLAGS, GLOBAL_VALUE_FLAGS, Command
from k8sedu.kubectl.delete import DELETE
from k8sedu.kubectl.exec import EXEC
from k8sedu.kubectl.expose import EXPOSE
from k8sedu.kubectl.flags import FlagSet, find_verb
from k8sedu.kubectl.get import GET
from k8sedu.kubectl.scale import SCALE

if TYPE_CHECKING:  # pragma: no cover
    from k8sedu.cluster import Cluster

__all__ = ["run", "COMMANDS"]

# The verbs the model implements: an explicit table, so the call graph stays visible.
COMMANDS: dict[str, Command] = {
    "create": create.CREATE, "delete": DELETE, "exec": EXEC, "expose": EXPOSE, "get": GET, "scale": SCALE,
}

# Every other top-level command of kubectl 1.32 (`kubectl --help`).
REAL_COMMANDS = ("alpha", "annotate", "api-resources", "api-versions", "apply", "attach", "auth", "autoscale",
                 "certificate", "cluster-info", "completion", "config", "cordon", "cp", "debug", "describe",
                 "diff", "drain", "edit", "events", "explain", "help", "kustomize", "label", "logs", "options",
                 "patch", "plugin", "port-forward", "proxy", "replace", "rollout", "run", "set", "taint", "top",
                 "uncordon", "version", "wait")
SUGGEST_FOR = {"get": ("list", "ps"), "delete": ("rm",)}

HELP = ("kubectl controls the Kubernetes cluster manager.\n\n"
        " Find more information at: https://kubernetes.io/docs/reference/kubectl/\n\n"
        "Commands modelled by k8sedu: " + ", ".join(sorted(COMMANDS)))


def run(cluster: "Cluster", command: str) -> str:
    """Run one kubectl command line against ``cluster``; return what kubectl prints.

    A leading ``kubectl`` is optional. Raises ``KubectlError`` with kubectl's
    own text for anything kubectl would refuse.
    """
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
    flag_set = cmd.flag_set()
    parsed = flag_set.parse(rest)
    if parsed["help"]:
        return cmd.help()
    flag_set.check_required(parsed)
    flag_set.check_modelled(parsed)
    try:
        return cmd.run(cluster, parsed)
    except StatusError as err:  # an API error a command did not word itself
        raise from_status(err) from None


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
    if verb in REAL_COMMANDS:
        raise KubectlError(f'error: k8sedu does not model "kubectl {verb}" yet; '
                           f"it models: {', '.join(sorted(COMMANDS))}")
    raise KubectlError(f'error: unknown command "{verb}" for "kubectl"' + _suggestions(verb))


def _create_subcommand(rest: list[str]) -> tuple[Command, list[str]]:
    value_flags = frozenset(f"--{f.name}" for f in create.CREATE.flags if not f.takes_no_value) | GLOBAL_VALUE_FLAGS
    index = find_verb(rest, value_flags | {"-o", "-f", "-k"})
    if index is None:
        return create.CREATE, rest
    sub = rest[index]
    if sub in create.SUBCOMMANDS:
        return create.SUBCOMMANDS[sub], rest[:index] + rest[index + 1:]
    if sub in create.CREATE_SUBCOMMANDS_NOT_MODELLED:
        raise KubectlError(f'error: k8sedu does not model "kubectl create {sub}" yet; '
                           "it models: create deployment, create namespace")
    return create.CREATE, rest


def _help(rest: list[str]) -> str:
    words = [w for w in rest if not w.startswith("-")]
    if not words:
        return HELP
    cmd = _command(words[0])
    if cmd is create.CREATE and len(words) > 1 and words[1] in create.SUBCOMMANDS:
        cmd = create.SUBCOMMANDS[words[1]]
    return cmd.help()


def _suggestions(typed: str) -> str:
    """cobra's "Did you mean this?": close in edit distance (<= 2), a prefix, or a listed alias."""
    names = sorted(set(COMMANDS) | set(REAL_COMMANDS))
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
