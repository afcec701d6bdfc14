"""``kubectl create service clusterip|nodeport|loadbalancer|externalname``: kubectl's Service generators.

kubectl ``pkg/cmd/create/create_service.go`` builds the Service on the client
and sends it. For ``create service nodeport web --tcp=80:8080``:

- each ``--tcp=<port>[:<targetPort>]`` becomes a port named after the flag's
  text with ``:`` turned into ``-`` (``80-8080``; just ``80`` without a target),
  protocol TCP; the target port is the number (or the port *name*) after the
  colon, else the port itself;
- the selector and the Service's own label are ``app: <name>``, so the Service
  finds the pods of ``kubectl create deployment <name>``;
- ``--node-port`` pins every port's nodePort; ``--clusterip=None`` makes a
  headless Service; ``--external-name`` is the CNAME target of an
  ExternalName Service.

Mistakes kubectl catches itself (no ports, a bad port) fail before anything
is sent; the API server's refusals come back as ``failed to create NodePort
service: ...``.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Union

from k8sedu.apiserver.validation import DNS1123_SUBDOMAIN_FMT, port_name_errors
from k8sedu.errors import KubectlError
from k8sedu.kubectl.command import (PRINT_FORMATS, Command, create_and_print, dry_run, dry_run_flag, exactly_one_name,
                                    group, namespace_of, output_format)
from k8sedu.kubectl.flags import Flag, Parsed, integer, string, strings
from k8sedu.kubectl.streams import IOStreams
from k8sedu.objects import ObjectMeta, Service, ServicePort, ServiceSpec, frozen

if TYPE_CHECKING:  # pragma: no cover
    from k8sedu.protocols import Model

TYPES = {"clusterip": "ClusterIP", "nodeport": "NodePort", "loadbalancer": "LoadBalancer",
         "externalname": "ExternalName"}


def _parse_uint16(text: str) -> int:
    """``utilsnet.ParsePort(s, allowZero=true)``: Go's ``strconv.ParseUint(s, 10, 16)``."""
    if not text or not text.isdigit() or not text.isascii():
        raise KubectlError(f'error: strconv.ParseUint: parsing "{text}": invalid syntax')
    value = int(text)
    if value > 65535:
        raise KubectlError(f'error: strconv.ParseUint: parsing "{text}": value out of range')
    return value


def parse_tcp(spec: str) -> ServicePort:
    """One ``--tcp`` value as the port kubectl generates.

    Examples
    --------
    >>> parse_tcp("80:8080")
    ServicePort(port=80, target_port=8080, name='80-8080', protocol='TCP', node_port=0)
    >>> parse_tcp("443")
    ServicePort(port=443, target_port=443, name='443', protocol='TCP', node_port=0)
    >>> parse_tcp("80:http").target_port
    'http'
    """
    parts = spec.split(":")
    port = _parse_uint16(parts[0])
    target: Union[int, str] = port
    if len(parts) > 1:
        text = parts[1]
        if re.fullmatch(r"[+-]?\d+", text):
            target = int(text)
            if not 1 <= target <= 65535:
                raise KubectlError("error: must be between 1 and 65535, inclusive")
        else:
            errs = port_name_errors(text)
            if errs:
                raise KubectlError("error: " + ",".join(errs))
            target = text
    return ServicePort(port=port, target_port=target, name=spec.replace(":", "-"), protocol="TCP")


def build_service(name: str, namespace: str, kind: str, p: Parsed) -> Service:
    """The Service ``kubectl create service <kind>`` sends."""
    cluster_ip = p.values.get("clusterip") or ""
    tcp = p["tcp"]
    if not tcp and kind != "ExternalName" and cluster_ip != "None":
        raise KubectlError("error: at least one tcp port specifier must be provided")
    external_name = p.values.get("external-name") or ""
    if kind == "ExternalName" and not re.fullmatch(DNS1123_SUBDOMAIN_FMT, external_name.rstrip(".")):
        raise KubectlError(f"error: invalid service external name {external_name}")
    ports = []
    for spec in tcp:
        port = parse_tcp(spec)
        if p.values.get("node-port", 0) != 0:  # a negative one goes to the server too, which refuses it
            port = ServicePort(port.port, port.target_port, port.name, port.protocol, p["node-port"])
        ports.append(port)
    labels = frozen({"app": name})
    return Service(ObjectMeta(name=name, namespace=namespace, labels=labels),
                   ServiceSpec(ports=tuple(ports), selector=labels, type=kind, cluster_ip=cluster_ip,
                               external_name=external_name))


def _runner(kind: str, path: str):
    def run(cluster: "Model", p: Parsed, out: IOStreams) -> None:
        fmt = output_format(p, PRINT_FORMATS, ("", "name", "yaml", "json"))
        name = exactly_one_name(p, path)
        dry_run(p)  # validate --dry-run before building the object, in kubectl's order
        svc = build_service(name, namespace_of(p), kind, p)
        out.print(create_and_print(cluster, svc, p, fmt, "service", f"failed to create {kind} service"))
    return run


def _flags(kind: str) -> tuple[Flag, ...]:
    common = (strings("tcp"), string("output", "o"), dry_run_flag(), string("field-manager", modelled=False),
              Flag("save-config", "bool", no_opt="true", default=False, modelled=False),
              string("validate", modelled=False, no_opt="strict"))
    extra = {"clusterip": (string("clusterip"),), "nodeport": (integer("node-port"),), "loadbalancer": (),
             "externalname": (string("external-name", required=True),)}[kind]
    return extra + common


def _command(word: str) -> Command:
    kind = TYPES[word]
    path = f"kubectl create service {word}"
    article = "an" if kind[0] in "AEIOU" else "a"
    return Command(path=path, short=f"Create {article} {kind} service.",
                   use=f"kubectl create service {word} NAME [--tcp=<port>:<targetPort>] [--dry-run=server|client|none]"
                       " [options]",
                   flags=_flags(word), run=_runner(kind, path))


# `kubectl create service` holds one generator per type; alone, it prints its help on stderr and exits 1.
SERVICE = group("kubectl create service", "Create a service using a specified subcommand.",
                tuple(_command(word) for word in TYPES), help_to_stderr=True, aliases=("svc",))
