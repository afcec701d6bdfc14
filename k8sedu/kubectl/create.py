"""``kubectl create`` and its generators: ``deployment``, ``namespace``, ``ingress`` (and ``service``).

``CREATE`` holds them as subcommands (with their aliases ``deploy``, ``ns``,
``ing``, ``svc``); ``create service`` is a group of its own (``create_service``).
``create -f`` is real but not modelled (``apply -f`` is), and the other real
generators (``configmap``, ``secret``...) are refused as such.

A generator builds the object a real kubectl would send (kubectl
``pkg/cmd/create/create_deployment.go``): for ``create deployment web
--image=nginx:1.27 --port=80`` the labels, the selector and the pod template's
labels are all ``app: web``, the container is named after the image
(``nginx``: its last path part, without tag or digest), and ``--port`` becomes
the first container's ``containerPort``; the words after ``--`` become the
container's ``command`` (``Command: o.Command``: they replace the image's
ENTRYPOINT, not its CMD). The object is written through the API
server, which validates it, then the controllers settle: the Deployment gets
a ReplicaSet and the ReplicaSet its Pods, which start over simulated time.

``create ingress`` (kubectl ``pkg/cmd/create/create_ingress.go``) turns each
``--rule=host/path=service:port[,tls[=secret]]`` into a rule of the Ingress
(``ingress_create.build_ingress``): the path type is ``Exact`` unless the
path ends in ``*`` (then ``Prefix``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from k8sedu.apiserver.names import ALPHANUMS
from k8sedu.errors import KubectlError
from k8sedu.kubectl.command import (PRINT_FORMATS, Command, create_and_print, dry_run, dry_run_flag, exactly_one_name,
                                    namespace_of, output_format)
from k8sedu.kubectl.create_service import SERVICE
from k8sedu.kubectl.flags import Flag, Parsed, array, integer, string, strings, usage_error
from k8sedu.kubectl.ingress_create import build_ingress
from k8sedu.kubectl.streams import IOStreams
from k8sedu.objects import (Container, ContainerPort, Deployment, DeploymentSpec, LabelSelector, Namespace,
                            ObjectMeta, PodSpec, PodTemplateSpec, frozen)

if TYPE_CHECKING:  # pragma: no cover
    from k8sedu.protocols import Model

# kubectl 1.32's other `create` subcommands (and their aliases): refused honestly, not as unexpected arguments.
NOT_MODELLED = ("clusterrole", "clusterrolebinding", "configmap", "cm", "cronjob", "cj",
                "job", "poddisruptionbudget", "pdb", "priorityclass", "pc", "quota", "resourcequota", "role",
                "rolebinding", "secret", "serviceaccount", "sa", "token")


def container_name(image: str, rng) -> str:
    """Name a container after its image, as ``buildPodSpec`` does.

    Keep the last path part, drop the tag and digest; a name with ``_`` or
    ``.`` is made DNS-safe and given a random suffix (``sanitizeAndUniquify``).

    Examples
    --------
    >>> import random
    >>> container_name("in28min/currency-exchange:0.0.1-RELEASE", random.Random(0))
    'currency-exchange'
    >>> container_name("registry.k8s.io/e2e-test-images/agnhost:2.39", random.Random(0))
    'agnhost'
    >>> container_name("my_app:v1", random.Random(0))
    'my-app-q7rcl'
    """
    name = image.split("/")[-1].split(":")[0].split("@")[0]
    if "_" in name or "." in name:
        name = name.replace("_", "-").replace(".", "-")
        name = f"{name}-{''.join(rng.choice(ALPHANUMS) for _ in range(5))}"
    return name


def build_deployment(name: str, namespace: str, images: tuple[str, ...], replicas: int, port: int, rng,
                     command: tuple[str, ...] = ()) -> Deployment:
    """Return the Deployment ``kubectl create deployment`` generates (``command``: the words after ``--``)."""
    labels = frozen({"app": name})
    containers = [Container(container_name(image, rng), image, command=tuple(command)) for image in images]
    if port >= 0 and containers:
        first = containers[0]
        containers[0] = Container(first.name, first.image, ports=(ContainerPort(port),), command=first.command)
    template = PodTemplateSpec(ObjectMeta(labels=labels), PodSpec(containers=tuple(containers)))
    return Deployment(ObjectMeta(name=name, namespace=namespace, labels=labels),
                      DeploymentSpec(selector=LabelSelector(labels), template=template, replicas=replicas))


def run_create_deployment(cluster: "Model", p: Parsed, out: IOStreams) -> None:
    fmt = output_format(p, PRINT_FORMATS, ("", "name", "yaml", "json"))
    name = exactly_one_name(p, DEPLOYMENT.path)
    command = p.args[1:]
    if len(p["image"]) > 1 and command:
        raise KubectlError("error: cannot specify multiple --image options and command")
    dry_run(p)  # validate --dry-run before building the object, in kubectl's order
    dep = build_deployment(name, namespace_of(p), p["image"], p["replicas"], p["port"], cluster.random,
                           tuple(command))
    out.print(create_and_print(cluster, dep, p, fmt, "deployment.apps", "failed to create deployment"))


def run_create_namespace(cluster: "Model", p: Parsed, out: IOStreams) -> None:
    fmt = output_format(p, PRINT_FORMATS, ("", "name", "yaml", "json"))
    name = exactly_one_name(p, NAMESPACE.path)
    out.print(create_and_print(cluster, Namespace(ObjectMeta(name=name)), p, fmt, "namespace", namespaced=False))


def run_create_ingress(cluster: "Model", p: Parsed, out: IOStreams) -> None:
    name = exactly_one_name(p, INGRESS.path)  # Complete: the name, the dry-run strategy, the printer; then Validate
    dry_run(p)  # validate --dry-run before --output, in kubectl's order
    fmt = output_format(p, PRINT_FORMATS, ("", "name", "yaml", "json"))
    ing = build_ingress(name, namespace_of(p), p["rule"], p["class"], p["default-backend"], p["annotation"])
    out.print(create_and_print(cluster, ing, p, fmt, "ingress.networking.k8s.io", "failed to create ingress"))


def _common_flags() -> tuple[Flag, ...]:
    return (string("output", "o"), dry_run_flag(), string("field-manager", modelled=False),
            Flag("save-config", "bool", no_opt="true", default=False, modelled=False),
            string("validate", modelled=False, no_opt="strict"))


DEPLOYMENT = Command(
    path="kubectl create deployment",
    short="Create a deployment with the specified name.",
    use="kubectl create deployment NAME --image=image -- [COMMAND] [args...] [options]",
    flags=(strings("image", required=True), integer("replicas", "r", 1), integer("port", default=-1))
    + _common_flags(),
    run=run_create_deployment,
    aliases=("deploy",),
)

NAMESPACE = Command(
    path="kubectl create namespace",
    short="Create a namespace with the specified name.",
    use="kubectl create namespace NAME [--dry-run=server|client|none] [options]",
    flags=_common_flags(),
    run=run_create_namespace,
    aliases=("ns",),
)

INGRESS = Command(
    path="kubectl create ingress",
    short="Create an ingress with the specified name.",
    use="kubectl create ingress NAME --rule=host/path=service:port[,tls[=secret]]  [options]",
    flags=(array("rule"), string("class"), string("default-backend"), array("annotation")) + _common_flags(),
    run=run_create_ingress,
    aliases=("ing",),
)


def run_create_parent(cluster: "Model", p: Parsed, out: IOStreams) -> None:
    """``kubectl create`` without a known subcommand: kubectl's own complaints."""
    if p.args:
        shown = " ".join(p.args)
        raise usage_error(f"Unexpected args: [{shown}]", "kubectl create")
    raise KubectlError("error: must specify one of -f and -k")


CREATE = Command(
    path="kubectl create",
    short="Create a resource from a file or from stdin.",
    use="kubectl create -f FILENAME [options]",
    flags=(string("filename", "f", modelled=False), string("kustomize", "k", modelled=False))
    + _common_flags(),
    run=run_create_parent,
    subcommands=(DEPLOYMENT, INGRESS, NAMESPACE, SERVICE),
    not_modelled=NOT_MODELLED,
)
