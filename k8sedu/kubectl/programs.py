"""The programs ``kubectl exec`` can run inside a model container: nslookup, curl, cat, hostname.

Each one answers from the model exactly as the real tool prints, so a learner
debugging Service discovery sees what they would see in a real pod:

- ``nslookup [-type=SRV] NAME`` (bind9's, as in the ``dnsutils`` image): the
  resolver walks the pod's search list, the answer names the fully qualified
  name that matched; ``** server can't find NAME: NXDOMAIN`` and exit code 1
  otherwise. Answers from outside the cluster zone come from upstream servers,
  so they are marked ``Non-authoritative answer:``.
- ``dig +short [+search] [-t TYPE | TYPE] NAME``: just the answers. Unlike
  nslookup, dig does **not** use the search list unless asked (``+search``):
  ``dig +short web`` finds nothing, ``dig +short web.default.svc.cluster.local``
  finds the ClusterIP.
- ``wget -qO- URL`` (busybox): the body, or busybox's error line.
- ``curl [-s] [-S] [-f] URL``: the body of the answer; on failure curl's error
  line (unless ``-s``) and curl's exit code (6 no such host, 7 refused,
  28 timeout).
- ``cat /etc/resolv.conf`` (and ``/etc/hosts``, ``/etc/hostname``): the files the
  kubelet writes into every pod; in an ingress-nginx controller pod also
  ``/etc/nginx/nginx.conf``, the configuration the controller generated (a
  readable subset).
- ``hostname``: the pod's hostname.

A program returns a ``Result``: what it wrote on stdout (answers, bodies; the
DNS tools print their failures there too) and on stderr (curl's, wget's and
cat's complaints), and its exit code; ``kubectl exec`` passes both streams on
and turns a non-zero exit code into ``command terminated with exit code N``.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any, Callable, Sequence

from k8sedu import ingress_nginx
from k8sedu.coredns import ZONE, resolve, search_candidates
from k8sedu.errors import KubectlError
from k8sedu.kubectl.streams import Result

if TYPE_CHECKING:  # pragma: no cover
    from k8sedu.protocols import Model

# Programs real images carry that the model does not run: refuse them honestly, not with "not found".
COMMON_UNMODELLED = frozenset({
    "sh", "bash", "ash", "ls", "ping", "env", "printenv", "ps", "ip", "ifconfig", "host", "echo",
    "nc", "netcat", "telnet", "traceroute", "ss", "netstat", "apt", "apt-get", "apk", "yum", "top", "date",
    "tcpdump", "iptables", "mount", "df", "sleep", "id", "whoami", "uname", "python", "python3", "node", "java",
})


def _request(cluster: "Model", pod: Any, url: str):
    """Send one request from inside ``pod`` and return its trace."""
    network = cluster.network
    return network.request(url, network.client(pod.metadata.name, None, pod.metadata.namespace))


def _dns_header(server: str) -> list[str]:
    return [f"Server:\t\t{server}", f"Address:\t{server}#53", ""]


def _kube_dns_reachable(cluster: "Model", pod: Any) -> bool:
    """Can the pod reach a CoreDNS pod through kube-dns's ClusterIP at all?"""
    answer, _ = cluster.network.lookup("kubernetes.default.svc.cluster.local.", pod)
    return answer.rcode != "TIMEOUT"


def _srv_lookup(cluster: "Model", pod: Any, name: str, search: bool) -> tuple[str, list]:
    """Ask CoreDNS for SRV records, through the search list if ``search``; (rcode, records)."""
    resolv = cluster.resolv_conf(pod)
    candidates = search_candidates(name, resolv) if search else [name.rstrip(".") + "."]
    rcode = "NXDOMAIN"
    for candidate in candidates:
        response = resolve(candidate, cluster.api.store, qtype="SRV")
        if response.rcode == "NOERROR" and response.answers:
            return "NOERROR", list(response.answers)
        rcode = response.rcode if response.rcode == "NOERROR" else rcode
    return rcode, []


def nslookup(cluster: "Model", pod: Any, argv: Sequence[str]) -> Result:
    """Run bind9's ``nslookup [-type=A|SRV] NAME`` in ``pod``."""
    options = [a for a in argv[1:] if a.startswith("-")]
    names = [a for a in argv[1:] if not a.startswith("-")]
    qtype = "A"
    for option in options:
        key, _, value = option.lstrip("-").partition("=")
        if key.lower() in ("type", "q", "query", "querytype") and value.upper() in ("A", "SRV"):
            qtype = value.upper()
        else:
            raise KubectlError('error: k8sedu models "nslookup [-type=A|SRV] NAME" only')
    if len(names) != 1:
        raise KubectlError('error: k8sedu models "nslookup [-type=A|SRV] NAME" only (one name, no server)')
    name = names[0]
    if qtype == "SRV":
        return _nslookup_srv(cluster, pod, name)
    server = cluster.resolv_conf(pod).nameservers[0]
    answer, _ = cluster.network.lookup(name, cluster.network.client_pod(pod.metadata.name, pod.metadata.namespace))
    if answer.rcode == "TIMEOUT":
        return Result(";; connection timed out; no servers could be reached\n\n", exit_code=1)
    if answer.rcode != "NOERROR" or not answer.records:
        lines = _dns_header(server) + [f"** server can't find {name.rstrip('.')}: {answer.rcode}"]
        return Result("\n".join(lines) + "\n\n", exit_code=1)
    lines = _dns_header(server)
    fqdn = answer.records[0].name.rstrip(".")
    if not (fqdn == ZONE or fqdn.endswith("." + ZONE)):
        lines.append("Non-authoritative answer:")
    for record in answer.records:
        owner = record.name.rstrip(".")
        if record.type == "CNAME":
            lines.append(f"{owner}\tcanonical name = {record.data}")
        elif record.type == "A":
            lines += [f"Name:\t{owner}", f"Address: {record.data}"]
    return Result("\n".join(lines + [""]))


def _nslookup_srv(cluster: "Model", pod: Any, name: str) -> Result:
    server = cluster.resolv_conf(pod).nameservers[0]
    if not _kube_dns_reachable(cluster, pod):
        return Result(";; connection timed out; no servers could be reached\n\n", exit_code=1)
    rcode, records = _srv_lookup(cluster, pod, name, search=True)
    lines = _dns_header(server)
    if not records:
        lines.append(f"** server can't find {name.rstrip('.')}: {rcode}")
        return Result("\n".join(lines) + "\n\n", exit_code=1)
    lines += [f"{r.name.rstrip('.')}\tservice = {r.data}" for r in records]
    return Result("\n".join(lines + [""]))


def dig(cluster: "Model", pod: Any, argv: Sequence[str]) -> Result:
    """Run ``dig +short [+search] [-t TYPE | TYPE] NAME`` in ``pod``."""
    short = search = False
    qtype, names, args = "A", [], list(argv[1:])
    while args:
        arg = args.pop(0)
        if arg in ("+short", "+search", "+nosearch"):
            short, search = short or arg == "+short", (search or arg == "+search") and arg != "+nosearch"
        elif arg == "-t" and args:
            qtype = args.pop(0).upper()
        elif arg.upper() in ("A", "SRV"):
            qtype = arg.upper()
        elif arg.startswith(("+", "-", "@")):
            raise KubectlError(f'error: k8sedu\'s dig models "dig +short [+search] [-t A|SRV] NAME" '
                               f"(not {arg})")
        else:
            names.append(arg)
    if not short:
        raise KubectlError('error: k8sedu\'s dig prints +short answers only: use "dig +short NAME"')
    if len(names) != 1 or qtype not in ("A", "SRV"):
        raise KubectlError('error: k8sedu\'s dig models "dig +short [+search] [-t A|SRV] NAME"')
    if not _kube_dns_reachable(cluster, pod):
        return Result(";; connection timed out; no servers could be reached\n", exit_code=9)
    name = names[0]
    if qtype == "SRV":
        _, records = _srv_lookup(cluster, pod, name, search)
        return Result("".join(f"{r.data}\n" for r in records))
    resolv = cluster.resolv_conf(pod)
    candidates = search_candidates(name, resolv) if search else [name.rstrip(".") + "."]
    for candidate in candidates:
        response = resolve(candidate, cluster.api.store)
        if response.rcode == "NOERROR" and response.answers:
            records = list(response.answers)
            cname = next((r.data for r in records if r.type == "CNAME"), None)
            if cname:
                records += list(resolve(cname, cluster.api.store).answers)
            return Result("".join(f"{r.data}\n" for r in records))
    return Result()


def wget(cluster: "Model", pod: Any, argv: Sequence[str]) -> Result:
    """Run busybox ``wget -qO- URL`` (``-q``, ``-O -``, ``-O-``, ``-T``) in ``pod``."""
    args, urls, to_stdout = list(argv[1:]), [], False
    while args:
        arg = args.pop(0)
        if arg in ("-qO-", "-qO", "-O-", "-O") and (arg.endswith("-") or (args and args.pop(0) == "-")):
            to_stdout = True
        elif arg in ("-q", "--quiet"):
            continue
        elif arg in ("-T", "--timeout") and args:
            args.pop(0)
        elif arg.startswith("-"):
            raise KubectlError(f'error: k8sedu\'s wget models "wget -qO- URL" (not {arg})')
        else:
            urls.append(arg)
    if not to_stdout or len(urls) != 1:
        raise KubectlError('error: k8sedu\'s wget models "wget -qO- URL" (the body to standard output)')
    url = urls[0] if "://" in urls[0] else f"http://{urls[0]}"
    try:
        trace = _request(cluster, pod, url)
    except KubectlError:
        return Result(stderr=f"wget: bad address '{urls[0]}'\n", exit_code=1)
    host = url.split("://", 1)[1].split("/", 1)[0].split(":")[0]
    if trace.ok and trace.status and trace.status >= 400:
        return Result(stderr=f"wget: server returned error: HTTP/1.1 {trace.status} {_reason(trace.status)}\n",
                      exit_code=1)
    if trace.ok:
        return Result(trace.body)
    ip = trace.dns.addresses[0] if trace.dns and trace.dns.addresses else host
    refused = f"wget: can't connect to remote host ({ip}): Connection refused\n"
    said = {6: f"wget: bad address '{host}'\n", 7: refused, 28: "wget: download timed out\n"}
    return Result(stderr=said.get(trace.exit_code, refused), exit_code=1)


def _reason(status: int) -> str:
    return {400: "Bad Request", 403: "Forbidden", 404: "Not Found", 500: "Internal Server Error",
            502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout"}.get(status, "Error")


CURL_FLAGS = {"-s": "silent", "--silent": "silent", "-S": "show-error", "--show-error": "show-error",
              "-f": "fail", "--fail": "fail"}
CURL_UNMODELLED = ("-v", "-i", "-I", "-H", "-o", "-O", "-m", "-L", "-k", "-X", "-d", "-w", "-x", "--verbose",
                   "--include", "--head", "--header", "--output", "--max-time", "--location", "--insecure",
                   "--request", "--data", "--write-out", "--connect-timeout", "--resolve")


def _curl_options(argv: Sequence[str]) -> tuple[set[str], list[str]]:
    options: set[str] = set()
    urls: list[str] = []
    for arg in argv[1:]:
        if arg in CURL_FLAGS:
            options.add(CURL_FLAGS[arg])
        elif arg.startswith("-") and not arg.startswith("--") and len(arg) > 2 and all(
                f"-{c}" in CURL_FLAGS for c in arg[1:]):
            options.update(CURL_FLAGS[f"-{c}"] for c in arg[1:])  # grouped: -sS, -fsS
        elif arg.startswith("-"):
            if arg.split("=", 1)[0] in CURL_UNMODELLED or arg[:2] in CURL_UNMODELLED:
                raise KubectlError(f"error: k8sedu's curl does not model the option {arg} yet "
                                   "(it models -s, -S and -f)")
            return options, ["__unknown__", arg]
        else:
            urls.append(arg)
    return options, urls


def curl(cluster: "Model", pod: Any, argv: Sequence[str]) -> Result:
    """Run ``curl [-s] [-S] [-f] URL`` in ``pod``."""
    options, urls = _curl_options(argv)
    if urls[:1] == ["__unknown__"]:
        return Result(stderr=f"curl: option {urls[1]}: is unknown\n"
                             "curl: try 'curl --help' or 'curl --manual' for more information\n", exit_code=2)
    if not urls:
        return Result(stderr="curl: try 'curl --help' or 'curl --manual' for more information\n", exit_code=2)
    if len(urls) > 1:
        raise KubectlError("error: k8sedu's curl models one URL at a time")
    try:
        trace = _request(cluster, pod, urls[0])
    except KubectlError as err:  # curl rejected the URL itself
        show = "silent" not in options or "show-error" in options
        return Result(stderr=f"{err}\n" if show else "", exit_code=3)
    show_errors = "silent" not in options or "show-error" in options
    if trace.ok and "fail" in options and trace.status and trace.status >= 400:
        text = f"curl: (22) The requested URL returned error: {trace.status}\n"
        return Result(stderr=text if show_errors else "", exit_code=22)
    if trace.ok:
        return Result(trace.body)
    return Result(stderr=f"{trace.error}\n" if show_errors else "", exit_code=trace.exit_code or 1)


def _hosts_file(pod: Any) -> str:
    """The ``/etc/hosts`` the kubelet writes (``managedHostsHeader`` plus the pod's own IP)."""
    hostname = pod.spec.hostname or pod.metadata.name
    if pod.spec.hostname and pod.spec.subdomain:
        fqdn = f"{pod.spec.hostname}.{pod.spec.subdomain}.{pod.metadata.namespace}.svc.{ZONE}"
        own = f"{pod.status.pod_ip}\t{fqdn}\t{hostname}"
    else:
        own = f"{pod.status.pod_ip}\t{hostname}"
    return ("# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
            "fe00::0\tip6-localnet\nfe00::0\tip6-mcastprefix\nfe00::1\tip6-allnodes\nfe00::2\tip6-allrouters\n"
            f"{own}\n")


def cat(cluster: "Model", pod: Any, argv: Sequence[str]) -> Result:
    """Run ``cat FILE...`` over the files the kubelet manages."""
    files: dict[str, Callable[[], str]] = {
        "/etc/resolv.conf": lambda: str(cluster.resolv_conf(pod)),
        "/etc/hosts": lambda: _hosts_file(pod),
        "/etc/hostname": lambda: (pod.spec.hostname or pod.metadata.name) + "\n",
    }
    if any(path == ingress_nginx.NGINX_CONF for path in argv[1:]):
        conf = ingress_nginx.nginx_conf_for(cluster, pod)
        if conf is not None:
            files[ingress_nginx.NGINX_CONF] = lambda: conf  # only an ingress-nginx controller pod has it
    if len(argv) == 1:
        raise KubectlError("error: k8sedu models \"cat FILE\" only (there is no stdin to copy)")
    found = [files[path]() for path in argv[1:] if path in files]
    missing = [f"cat: {path}: No such file or directory\n" for path in argv[1:] if path not in files]
    return Result("".join(found), "".join(missing), 1 if missing else 0)


def hostname(cluster: "Model", pod: Any, argv: Sequence[str]) -> Result:
    return Result((pod.spec.hostname or pod.metadata.name) + "\n")


PROGRAMS: dict[str, Callable[["Model", Any, Sequence[str]], Result]] = {
    "nslookup": nslookup, "dig": dig, "curl": curl, "wget": wget, "cat": cat, "hostname": hostname,
}


def run_program(cluster: "Model", pod: Any, container: str, argv: Sequence[str]) -> Result:
    """Run ``argv`` in ``pod``'s ``container``, or fail the way the runtime would."""
    program = argv[0].rsplit("/", 1)[-1]  # /usr/bin/curl is curl
    if program in PROGRAMS:
        return PROGRAMS[program](cluster, pod, argv)
    if program in COMMON_UNMODELLED:
        raise KubectlError(f'error: k8sedu does not model running "{argv[0]}" in a container; '
                           f"it models: {', '.join(sorted(PROGRAMS))}")
    raise KubectlError(executable_not_found(cluster, pod, container, argv[0]))


def executable_not_found(cluster: "Model", pod: Any, container: str, program: str) -> str:
    """containerd's answer (kind's runtime) when the program is not in the image.

    The exec id is a 64-hex id in a real cluster; here it is derived from the
    pod and the program, so the text is reproducible.
    """
    exec_id = hashlib.sha256(f"{pod.metadata.uid}/{container}/{program}/{cluster.now}".encode()).hexdigest()
    return ("error: Internal error occurred: error executing command in container: failed to exec in container: "
            f'failed to start exec "{exec_id}": OCI runtime exec failed: exec failed: unable to start container '
            f'process: exec: "{program}": executable file not found in $PATH: unknown')
