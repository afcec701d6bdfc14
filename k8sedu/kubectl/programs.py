"""The programs ``kubectl exec`` can run inside a model container: nslookup, curl, cat, hostname.

Each one answers from the model exactly as the real tool prints, so a learner
debugging Service discovery sees what they would see in a real pod:

- ``nslookup NAME`` (bind9's, as in the ``dnsutils`` image): the resolver walks
  the pod's search list, the answer names the fully qualified name that
  matched; ``** server can't find NAME: NXDOMAIN`` and exit code 1 otherwise.
  Answers from outside the cluster zone come from upstream servers, so they
  are marked ``Non-authoritative answer:``.
- ``curl [-s] [-S] [-f] URL``: the body of the answer; on failure curl's error
  line (unless ``-s``) and curl's exit code (6 no such host, 7 refused,
  28 timeout).
- ``cat /etc/resolv.conf`` (and ``/etc/hosts``, ``/etc/hostname``): the files the
  kubelet writes into every pod.
- ``hostname``: the pod's hostname.

A program returns ``(output, exit_code)``; ``kubectl exec`` turns a non-zero
exit code into ``command terminated with exit code N``.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any, Callable, Sequence

from k8sedu.coredns import ZONE
from k8sedu.errors import KubectlError

if TYPE_CHECKING:  # pragma: no cover
    from k8sedu.cluster import Cluster

Result = tuple[str, int]

# Programs real images carry that the model does not run: refuse them honestly, not with "not found".
COMMON_UNMODELLED = frozenset({
    "sh", "bash", "ash", "ls", "ping", "env", "printenv", "ps", "ip", "ifconfig", "wget", "dig", "host", "echo",
    "nc", "netcat", "telnet", "traceroute", "ss", "netstat", "apt", "apt-get", "apk", "yum", "top", "date",
    "tcpdump", "iptables", "mount", "df", "sleep", "id", "whoami", "uname", "python", "python3", "node", "java",
})


def _dns_header(server: str) -> list[str]:
    return [f"Server:\t\t{server}", f"Address:\t{server}#53", ""]


def nslookup(cluster: "Cluster", pod: Any, argv: Sequence[str]) -> Result:
    """Run bind9's ``nslookup NAME`` in ``pod``."""
    names = [a for a in argv[1:] if not a.startswith("-")]
    if len(names) != 1 or len(argv) != 2:
        raise KubectlError('error: k8sedu models "nslookup NAME" only (one name, no options or server)')
    name = names[0]
    server = cluster.resolv_conf(pod).nameservers[0]
    answer = cluster.resolve(name, from_pod=pod.metadata.name, namespace=pod.metadata.namespace)
    if answer.rcode == "TIMEOUT":
        return ";; connection timed out; no servers could be reached\n\n", 1
    if answer.rcode != "NOERROR" or not answer.records:
        lines = _dns_header(server) + [f"** server can't find {name.rstrip('.')}: {answer.rcode}"]
        return "\n".join(lines) + "\n\n", 1
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
    return "\n".join(lines + [""]), 0


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


def curl(cluster: "Cluster", pod: Any, argv: Sequence[str]) -> Result:
    """Run ``curl [-s] [-S] [-f] URL`` in ``pod``."""
    options, urls = _curl_options(argv)
    if urls[:1] == ["__unknown__"]:
        return (f"curl: option {urls[1]}: is unknown\n"
                "curl: try 'curl --help' or 'curl --manual' for more information\n"), 2
    if not urls:
        return "curl: try 'curl --help' or 'curl --manual' for more information\n", 2
    if len(urls) > 1:
        raise KubectlError("error: k8sedu's curl models one URL at a time")
    try:
        trace = cluster.request(urls[0], from_pod=pod.metadata.name, namespace=pod.metadata.namespace)
    except KubectlError as err:  # curl rejected the URL itself
        show = "silent" not in options or "show-error" in options
        return (f"{err}\n" if show else ""), 3
    show_errors = "silent" not in options or "show-error" in options
    if trace.ok and "fail" in options and trace.status and trace.status >= 400:
        text = f"curl: (22) The requested URL returned error: {trace.status}\n"
        return (text if show_errors else ""), 22
    if trace.ok:
        return trace.body, 0
    return (f"{trace.error}\n" if show_errors else ""), trace.exit_code or 1


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


def cat(cluster: "Cluster", pod: Any, argv: Sequence[str]) -> Result:
    """Run ``cat FILE...`` over the files the kubelet manages."""
    files: dict[str, Callable[[], str]] = {
        "/etc/resolv.conf": lambda: str(cluster.resolv_conf(pod)),
        "/etc/hosts": lambda: _hosts_file(pod),
        "/etc/hostname": lambda: (pod.spec.hostname or pod.metadata.name) + "\n",
    }
    out, code = [], 0
    for path in argv[1:]:
        if path in files:
            out.append(files[path]())
        else:
            out.append(f"cat: {path}: No such file or directory\n")
            code = 1
    if len(argv) == 1:
        raise KubectlError("error: k8sedu models \"cat FILE\" only (there is no stdin to copy)")
    return "".join(out), code


def hostname(cluster: "Cluster", pod: Any, argv: Sequence[str]) -> Result:
    return (pod.spec.hostname or pod.metadata.name) + "\n", 0


PROGRAMS: dict[str, Callable[["Cluster", Any, Sequence[str]], Result]] = {
    "nslookup": nslookup, "curl": curl, "cat": cat, "hostname": hostname,
}


def run_program(cluster: "Cluster", pod: Any, container: str, argv: Sequence[str]) -> Result:
    """Run ``argv`` in ``pod``'s ``container``, or fail the way the runtime would."""
    program = argv[0].rsplit("/", 1)[-1]  # /usr/bin/curl is curl
    if program in PROGRAMS:
        return PROGRAMS[program](cluster, pod, argv)
    if program in COMMON_UNMODELLED:
        raise KubectlError(f'error: k8sedu does not model running "{argv[0]}" in a container; '
                           f"it models: {', '.join(sorted(PROGRAMS))}")
    raise KubectlError(executable_not_found(cluster, pod, container, argv[0]))


def executable_not_found(cluster: "Cluster", pod: Any, container: str, program: str) -> str:
    """containerd's answer (kind's runtime) when the program is not in the image.

    The exec id is a 64-hex id in a real cluster; here it is derived from the
    pod and the program, so the text is reproducible.
    """
    exec_id = hashlib.sha256(f"{pod.metadata.uid}/{container}/{program}/{cluster.now}".encode()).hexdigest()
    return ("error: Internal error occurred: error executing command in container: failed to exec in container: "
            f'failed to start exec "{exec_id}": OCI runtime exec failed: exec failed: unable to start container '
            f'process: exec: "{program}": executable file not found in $PATH: unknown')
