"""Checks for ingress controllers (notebook 08 and its exercises).

- ``check_ingress_class(answer, cluster)`` creates a small Ingress with
  ``ingressClassName: <answer>`` in the learner's cluster, reads whether the
  installed controller picked it up (it writes its address into the
  Ingress's status), and deletes that Ingress again.
- ``check_controller_install``, ``check_class_fix`` and ``check_create_ingress``
  run the learner's add-on name or kubectl command on the task's cluster and
  send requests through the controller.

On success a check prints one line starting with "✓". Otherwise it raises
``NotAnswered`` while the answer is still ``...``, or ``CheckFailed`` with the
mistake and a hint for it.

Examples
--------
>>> check_ingress_class(..., None)
Traceback (most recent call last):
...
k8sedu.checks.NotAnswered: not answered yet: replace ... with the ingressClassName (a string) the installed controller serves
"""

from __future__ import annotations

import re
from typing import Any

from k8sedu.checks.base import CheckFailed, check, ok, require
from k8sedu.checks.ingress_traffic import (EXCHANGE_PATH, EXCHANGE_PORT, HOST, OTHER_HOST, REQUEST_PATH, ask,
                                           must_not_reach, reached, require_reach, run_task_command)
from k8sedu.cluster import Cluster
from k8sedu.errors import KubectlError
from k8sedu.ingress_nginx import controller_of

CHECK_INGRESS = "k8sedu-check-ingress-class"


# ---------------------------------------------------------------- notebook 08: which class

def _probe_ingress(class_name: str) -> dict:
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
            "metadata": {"name": CHECK_INGRESS, "namespace": "default"},
            "spec": {"ingressClassName": class_name,
                     "rules": [{"host": "check.example.com", "http": {"paths": [{
                         "path": "/", "pathType": "Prefix",
                         "backend": {"service": {"name": "currency-exchange", "port": {"number": EXCHANGE_PORT}}}}]}}]}}


def _picked_up(cluster: Cluster, class_name: str) -> tuple[bool, str]:
    """Create the probe Ingress, read what the controller did with it, delete it."""
    __tracebackhide__ = True
    try:
        cluster.apply(_probe_ingress(class_name))
    except KubectlError as err:
        raise CheckFailed(f"kubectl apply refused an Ingress with ingressClassName: {class_name!r}:\n  {err}",
                          _class_hint(cluster, class_name)) from None
    try:
        cluster.advance(5)
        ing = cluster.get("Ingress", CHECK_INGRESS)
        address = ",".join(a.ip or a.hostname for a in ing.status.load_balancer.ingress)
        return bool(address), address
    finally:
        cluster.kubectl(f"delete ingress {CHECK_INGRESS}")


def _class_hint(cluster: Cluster, answer: str) -> str:
    classes = {c.metadata.name: c.spec.controller for c in cluster.list("IngressClass", None)}
    listed = ", ".join(f"{n} (controller {c})" for n, c in sorted(classes.items())) or "none"
    if answer in classes.values():
        return (f"{answer} is the value of an IngressClass's spec.controller. ingressClassName names the "
                f"IngressClass object itself. IngressClasses here: {listed}.")
    if answer in classes:
        return (f"IngressClass {answer} exists, but its spec.controller is {classes[answer]}, and no controller "
                f"with that name runs here. IngressClasses: {listed}.")
    if answer == "ingress-nginx":
        return f"ingress-nginx is the project and its namespace, not a class. IngressClasses: {listed}."
    return f"kubectl get ingressclass lists the classes: {listed}."


@check
def check_ingress_class(answer: Any, cluster: Cluster) -> None:
    """Check that ``ingressClassName: <answer>`` makes the installed controller serve an Ingress.

    The check creates Ingress ``k8sedu-check-ingress-class`` (host
    check.example.com) in ``cluster``, lets 5 simulated seconds pass, reads
    whether the controller wrote its address into the Ingress's status, then
    deletes it.
    """
    __tracebackhide__ = True
    require(answer, "the ingressClassName (a string) the installed controller serves")
    if not isinstance(answer, str) or not answer:
        raise CheckFailed(f"The answer should be a class name in quotes, not {answer!r}.",
                          "kubectl get ingressclass lists the classes by NAME.")
    if controller_of(cluster.core) is None:
        raise CheckFailed("No ingress controller is installed in this cluster.",
                          'Run the cells above, including cluster.install("ingress-nginx").')
    served, address = _picked_up(cluster, answer)
    if not served:
        raise CheckFailed(f"The controller ignored an Ingress with ingressClassName: {answer}: its ADDRESS "
                          "stayed blank.", _class_hint(cluster, answer))
    ok(f"An Ingress with ingressClassName: {answer} was picked up by ingress-nginx: it wrote ADDRESS {address}. "
       f"(The check created Ingress {CHECK_INGRESS} and deleted it again.)")


# ---------------------------------------------------------------- exercises 08: make a controller serve an Ingress

INSTALL_HINTS = {
    "nginx": "nginx is the IngressClass the controller creates, and the proxy inside it. The add-on is the project.",
    "metallb": "MetalLB gives LoadBalancer Services an address; it reads no Ingress rules. You need an ingress "
               "controller.",
    "ingress": "ingress is the name of minikube's add-on. Here the add-on is called after the controller project.",
    "nginx-ingress": "nginx-ingress is another project, F5 NGINX's Ingress Controller. The notebook installed the "
                     "Kubernetes project's controller: the words are the other way round.",
}


@check
def check_controller_install(addon: Any, cluster: Cluster, host: str) -> None:
    """Check that installing ``addon`` makes the cluster's Ingress for ``host`` work.

    The check installs the add-on (unless a controller already runs), lets 30
    simulated seconds pass, then checks the Ingress got an ADDRESS and that a
    request from the laptop for ``host`` reaches currency-exchange.
    """
    __tracebackhide__ = True
    require(addon, "the name of the add-on to install (a string)")
    if not isinstance(addon, str) or not addon.strip():
        raise CheckFailed(f"The answer should be an add-on name in quotes, not {addon!r}.",
                          "An add-on name looks like the project's name, in quotes.")
    if addon.strip().lower() in INSTALL_HINTS:
        raise CheckFailed(f"{addon} is not the ingress controller's add-on.", INSTALL_HINTS[addon.strip().lower()])
    if controller_of(cluster.core) is None:
        try:
            cluster.install(addon.strip())
        except KubectlError as err:
            raise CheckFailed(f"The install failed:\n  {err}", "The notebook installed the controller with "
                              "cluster.install(...): which name did it use?") from None
        cluster.advance(30)
    ing = next(i for i in cluster.list("Ingress") if any(r.host == host for r in i.spec.rules))
    address = ",".join(a.ip or a.hostname for a in ing.status.load_balancer.ingress)
    pod = require_reach(cluster, [ing], host, "currency-exchange")
    ok(f"ingress-nginx runs: Ingress {ing.metadata.name} has ADDRESS {address}, and a request for {host} "
       f"reached pod {pod}.")


@check
def check_class_fix(command: Any, cluster: Cluster, ingress: str) -> None:
    """Check a kubectl command that makes the installed controller serve Ingress ``ingress``.

    The check runs the command on ``cluster``, lets 5 simulated seconds pass,
    then asks the controller whether it serves the Ingress (it wrote an
    ADDRESS) and sends a request for its host.
    """
    __tracebackhide__ = True
    try:
        before = cluster.get("Ingress", ingress).spec.ingress_class_name
    except KubectlError:
        before = None
    run_task_command(cluster, command, f"the kubectl command (a string) that fixes Ingress {ingress}'s class")
    try:
        ing = cluster.get("Ingress", ingress)
    except KubectlError:
        raise CheckFailed(f"Ingress {ingress} is gone.", "Fix the Ingress, do not delete it. Run the task's "
                          "setup cell again.") from None
    served, why = controller_of(cluster.core).verdict(ing)
    tried = re.search(r"ingressClassName\W+([\w./-]+)", command)
    if not served and ing.spec.ingress_class_name == before and not (tried and tried.group(1) == before):
        raise CheckFailed(f"kubectl ran the command, but spec.ingressClassName of Ingress {ingress} is still "
                          f"{before}, so ingress-nginx still ignores it.",
                          "The class is the field spec.ingressClassName, not a label or an annotation; in a "
                          "patch it sits under spec: -p '{\"spec\":{\"ingressClassName\":...}}'.")
    if not served:
        raise CheckFailed(f"ingress-nginx still ignores Ingress {ingress}: {why}.",
                          _class_hint(cluster, ing.spec.ingress_class_name or ""))
    host = ing.spec.rules[0].host
    pod = require_reach(cluster, [ing], host, "currency-exchange")
    note = ("" if ing.spec.ingress_class_name else " It has no class now: kind's ingress-nginx serves such an Ingress "
            "only because it runs with --watch-ingress-without-class=true; naming the class nginx works on every "
            "install.")
    ok(f"Ingress {ingress} (class {ing.spec.ingress_class_name or '<none>'}) is served by ingress-nginx: a request "
       f"for {host} reached pod {pod}.{note}")


@check
def check_create_ingress(command: Any, cluster: Cluster) -> None:
    """Check a ``kubectl create ingress`` command for conversion.example.com/currency-conversion... .

    The check runs the command on ``cluster``, sends the currency-conversion
    request for host conversion.example.com, which must reach a
    currency-conversion pod, and one for another host, which must not.
    """
    __tracebackhide__ = True
    before = {i.metadata.name for i in cluster.list("Ingress")}
    run_task_command(cluster, command, f"the kubectl create ingress command (a string) for host {HOST}")
    ings = [i for i in cluster.list("Ingress") if i.metadata.name not in before]
    if not ings:
        raise CheckFailed("The command created no Ingress.", "Start it with create ingress NAME ...")
    pod = require_reach(cluster, ings, HOST, "currency-conversion",
                         exact_hint="In --rule, a path ending in * becomes pathType Prefix.")
    must_not_reach(cluster, OTHER_HOST, "", f"Put the host in front of the path: --rule={HOST}/...")
    if reached(ask(cluster, EXCHANGE_PATH, HOST)) == "currency-conversion":
        raise CheckFailed(f"A request for host {HOST}, path {EXCHANGE_PATH} reaches currency-conversion too.",
                          "The path of your rule covers every path of the host. Give the path /currency-conversion, "
                          "with a * after it so that everything below it matches too.")
    classes = sorted({i.spec.ingress_class_name or "<none>" for i in ings})
    if classes != ["nginx"]:
        raise CheckFailed(f"The Ingress works, but its class is {', '.join(classes)}, not nginx.",
                          "It works here only because kind's ingress-nginx runs with "
                          "--watch-ingress-without-class=true, which other installs do not. The task asks for "
                          "class nginx: add --class=nginx.")
    ok(f"Ingress {ings[0].metadata.name} sends {HOST}{REQUEST_PATH} to pod {pod}; host {OTHER_HOST} does not "
       "reach currency-conversion.")
