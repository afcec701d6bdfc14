"""The programs ``kubectl exec`` can run inside a model container: nslookup, curl, cat, hostname.

Each one answers from the model exactly as the real tool prints, so a learner
debugging Service discovery sees what they would see in a real pod:

- ``nslookup [-type=T] NAME|IP`` in bind9's, busybox 1.36's or busybox 1.28's
  flavour (``dnstools``): the search-list walk and the output each really
  has, ``** server can't find NAME: NXDOMAIN``, ``*** Can't find NAME: No
  answer``, reverse lookups; answers from upstream are ``Non-authoritative``.
- ``dig +short [+search] [-t TYPE | TYPE] NAME`` and ``dig +short -x IP``: just
  the answers. Unlike nslookup, dig does **not** use the search list unless
  asked (``+search``): ``dig +short web`` finds nothing, ``dig +short
  web.default.svc.cluster.local`` finds the ClusterIP.
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

Which programs a container has, and in which flavour, comes from its image
(``images.tool``): nginx has curl but no nslookup, busybox has its own
nslookup and wget but no curl, a dnsutils image has bind9's. A program the
image lacks fails as containerd and runc answer on kind (``error: Internal
error occurred: error executing command in container: ... exec:
"nslookup": executable file not found in $PATH: unknown``). The kubelet's
streaming server sends that as an ``InternalError`` Status, not an exit code
(``ServeExec``), so client-go's ``errorDecoderV4`` returns a plain error and
kubectl exits 1; the ``command terminated with exit code 126`` people quote is
dockershim's.

The same programs run as a container's own command: ``RUNNER`` is the
``ProgramRunner`` the facade hands to the core, so the kubelet runs
``kubectl run t --image=busybox:1.36 --restart=Never -- nslookup web`` once
and the pod goes ``Completed`` or ``Error`` with the output in its log.
``sh -c "<one command>"`` is that command; ``sleep N`` ends after N seconds
(``s``, ``m``, ``h``, ``d`` suffixes, as coreutils and busybox read them);
``sleep infinity``, servers and commands the model does not run keep running.
A program the model runs that the image lacks cannot start: the runner returns
runc's ``create`` failure (``start_error``), and the container ends with
``StartError``.
"""

from __future__ import annotations

import hashlib
import re
import shlex
from typing import TYPE_CHECKING, Any, Callable, Optional, Sequence

from k8sedu import images, ingress_nginx
from k8sedu.coredns import ZONE
from k8sedu.errors import KubectlError
from k8sedu.kubectl import dnstools
from k8sedu.kubectl.streams import Result
from k8sedu.protocols import ProgramRun

if TYPE_CHECKING:  # pragma: no cover
    from k8sedu.protocols import Model

# Programs real images carry that the model does not run: refuse them honestly, not with "not found".
COMMON_UNMODELLED = frozenset({
    "sh", "bash", "ash", "ls", "ping", "env", "printenv", "ps", "ip", "ifconfig", "host", "echo",
    "nc", "netcat", "telnet", "traceroute", "ss", "netstat", "apt", "apt-get", "apk", "yum", "top", "date",
    "tcpdump", "iptables", "mount", "df", "sleep", "id", "whoami", "uname", "python", "python3", "node", "java",
})


# The User-Agent each tool sends (curl and GNU wget as Debian bookworm packages them; busybox's is fixed).
USER_AGENTS = {"curl": "curl/7.88.1", "gnu": "Wget/1.21.3", "busybox": "Wget"}


def _request(cluster: "Model", pod: Any, url: str, flavour: str):
    """Send one request from inside ``pod`` with the tool's User-Agent, and return its trace."""
    network = cluster.network
    return network.request(url, network.client(pod.metadata.name, None, pod.metadata.namespace),
                           headers={"User-Agent": USER_AGENTS.get(flavour, "-")})


def nslookup(cluster: "Model", pod: Any, argv: Sequence[str], flavour: str = "bind9") -> Result:
    """Run ``nslookup`` in ``pod`` as its image's flavour prints it (``dnstools``)."""
    if flavour == "busybox-1.28":
        return dnstools.nslookup_busybox_old(cluster, pod, argv)
    if flavour.startswith("busybox"):
        return dnstools.nslookup_busybox(cluster, pod, argv, says_no_answer=flavour == "busybox-1.29")
    return dnstools.nslookup_bind9(cluster, pod, argv, old=flavour == "bind9-9.9")


def dig(cluster: "Model", pod: Any, argv: Sequence[str], flavour: str = "bind9") -> Result:
    """Run bind9's ``dig +short [+search] [-t TYPE | TYPE] NAME`` or ``dig +short -x IP`` in ``pod``."""
    return dnstools.dig(cluster, pod, argv)


def wget(cluster: "Model", pod: Any, argv: Sequence[str], flavour: str = "busybox") -> Result:
    """Run ``wget -qO- URL`` (``-q``, ``-O -``, ``-O-``, ``-T``) in ``pod``: busybox's, or GNU's (``gnu``).

    GNU wget with ``-q`` prints nothing on failure; its exit code says what
    went wrong (4: network failure, name resolution included; 8: the server
    answered with an error), per GNU wget's manual, "Exit Status".
    """
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
        trace = _request(cluster, pod, url, flavour)
    except KubectlError:
        return Result(exit_code=4) if flavour == "gnu" else Result(stderr=f"wget: bad address '{urls[0]}'\n",
                                                                   exit_code=1)
    if flavour == "gnu":
        return _gnu_wget(trace)
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


def _gnu_wget(trace: Any) -> Result:
    """GNU ``wget -qO-``: the body, or nothing and exit code 8 (server error) or 4 (network failure)."""
    if trace.ok and trace.status and trace.status >= 400:
        return Result(exit_code=8)
    return Result(trace.body) if trace.ok else Result(exit_code=4)


def _reason(status: int) -> str:
    return {400: "Bad Request", 403: "Forbidden", 404: "Not Found", 500: "Internal Server Error",
            502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout"}.get(status, "Error")


CURL_FLAGS = {"-s": "silent", "--silent": "silent", "-S": "show-error", "--show-error": "show-error",
              "-f": "fail", "--fail": "fail", "-k": "insecure", "--insecure": "insecure"}
# curl 7.88 (Debian bookworm, the nginx and openjdk images): a certificate signed by the cluster's own CA
# (kube-apiserver, the kubelet, ingress-nginx's fake certificate) fails verification without -k
CURL_NOT_VERIFIED = ("curl: (60) SSL certificate problem: unable to get local issuer certificate\n"
                     "More details here: https://curl.se/docs/sslcerts.html\n\n"
                     "curl failed to verify the legitimacy of the server and therefore could not\n"
                     "establish a secure connection to it. To learn more about this situation and\n"
                     "how to fix it, please visit the web page mentioned above.\n")
CURL_UNMODELLED = ("-v", "-i", "-I", "-H", "-o", "-O", "-L", "-k", "-X", "-d", "-w", "-x", "--verbose",
                   "--include", "--head", "--header", "--output", "--location", "--insecure",
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
                                   "(it models -s, -S, -f, -k and -m)")
            return options, ["__unknown__", arg]
        else:
            urls.append(arg)
    return options, urls


def _max_time(argv: Sequence[str]) -> tuple[list[str], Optional[float]]:
    """Take ``-m N`` / ``-mN`` / ``--max-time N`` out of ``argv``: the rest, and N (None if absent).

    Raises ValueError (curl's words) when N is not a number.
    """
    rest, seconds, args = [], None, list(argv)
    while args:
        arg = args.pop(0)
        if arg in ("-m", "--max-time") or (arg.startswith("-m") and not arg.startswith("--") and len(arg) > 2):
            value = arg[2:] if arg.startswith("-m") and len(arg) > 2 else (args.pop(0) if args else "")
            try:
                seconds = float(value)
            except ValueError:
                raise ValueError(f"curl: option {arg if len(arg) == 2 or arg.startswith('--') else '-m'}: "
                                 "expected a proper numerical parameter") from None
            if not 0 <= seconds < 10 ** 9:
                raise ValueError(f"curl: option {arg[:2] if not arg.startswith('--') else arg}: "
                                 "expected a proper numerical parameter")
        else:
            rest.append(arg)
    return rest, seconds


def curl(cluster: "Model", pod: Any, argv: Sequence[str], flavour: str = "curl") -> Result:
    """Run ``curl [-s] [-S] [-f] [-k] [-m SECONDS] URL`` in ``pod`` (``-k``: accept a certificate of the
    cluster's own CA; ``-m``: a connection nothing answers ends after SECONDS, as multi.c reports it)."""
    try:
        argv, max_time = _max_time(argv)
    except ValueError as err:
        return Result(stderr=f"{err}\ncurl: try 'curl --help' or 'curl --manual' for more information\n", exit_code=2)
    options, urls = _curl_options(argv)
    if urls[:1] == ["__unknown__"]:
        return Result(stderr=f"curl: option {urls[1]}: is unknown\n"
                             "curl: try 'curl --help' or 'curl --manual' for more information\n", exit_code=2)
    if not urls:
        return Result(stderr="curl: try 'curl --help' or 'curl --manual' for more information\n", exit_code=2)
    if len(urls) > 1:
        raise KubectlError("error: k8sedu's curl models one URL at a time")
    try:
        trace = _request(cluster, pod, urls[0], flavour)
    except KubectlError as err:  # curl rejected the URL itself
        show = "silent" not in options or "show-error" in options
        return Result(stderr=f"{err}\n" if show else "", exit_code=3)
    show_errors = "silent" not in options or "show-error" in options
    in_cluster = trace.server.startswith(("pod/", "kube-apiserver", "kubelet"))
    if trace.ok and trace.url.startswith("https://") and in_cluster and "insecure" not in options:
        return Result(stderr=CURL_NOT_VERIFIED if show_errors else "", exit_code=60)
    if trace.ok and "fail" in options and trace.status and trace.status >= 400:
        text = f"curl: (22) The requested URL returned error: {trace.status}\n"
        return Result(stderr=text if show_errors else "", exit_code=22)
    if trace.ok:
        return Result(trace.body)
    error = trace.error
    if trace.exit_code == 28 and max_time is not None:  # nothing answered: curl gives up at --max-time
        error = f"curl: (28) Connection timed out after {round(max_time * 1000)} milliseconds"
    return Result(stderr=f"{error}\n" if show_errors else "", exit_code=trace.exit_code or 1)


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


def cat(cluster: "Model", pod: Any, argv: Sequence[str], flavour: str = "coreutils") -> Result:
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


def hostname(cluster: "Model", pod: Any, argv: Sequence[str], flavour: str = "debian") -> Result:
    """``hostname`` and its read-only options: ``-f`` (the FQDN: the first name of the pod's own line in the
    /etc/hosts the kubelet wrote, so ``<hostname>.<subdomain>.<ns>.svc.cluster.local`` only with a subdomain),
    ``-s``, ``-d`` (the part after the first dot), ``-i`` (the pod's IP)."""
    short = pod.spec.hostname or pod.metadata.name
    own = _hosts_file(pod).splitlines()[-1].split("\t")
    answers = {"-f": own[1], "--fqdn": own[1], "--long": own[1], "-s": short, "--short": short,
               "-d": own[1].partition(".")[2], "--domain": own[1].partition(".")[2],
               "-i": pod.status.pod_ip, "--ip-address": pod.status.pod_ip}
    options = list(argv[1:])
    unknown = [o for o in options if o not in answers]
    if unknown:
        raise KubectlError(f"error: k8sedu's hostname does not model {unknown[0]} (it models -f, -s, -d and -i)")
    return Result((answers[options[-1]] if options else short) + "\n")


# Each program takes the flavour the container's image carries (``images.tool``): "bind9", "busybox-1.36",
# "busybox-1.28" for nslookup; "busybox" or "gnu" for wget; its output follows that flavour.
PROGRAMS: dict[str, Callable[["Model", Any, Sequence[str], str], Result]] = {
    "nslookup": nslookup, "dig": dig, "curl": curl, "wget": wget, "cat": cat, "hostname": hostname,
}


def run_program(cluster: "Model", pod: Any, container: str, argv: Sequence[str]) -> Result:
    """Run ``argv`` in ``pod``'s ``container``, or fail the way the runtime would."""
    program = argv[0].rsplit("/", 1)[-1]  # /usr/bin/curl is curl
    spec = next(c for c in pod.spec.containers if c.name == container)
    flavour = images.tool(spec, program)
    if program in PROGRAMS and flavour is not None:
        return PROGRAMS[program](cluster, pod, argv, flavour)
    image = images.lookup(spec.image)
    if program in COMMON_UNMODELLED and flavour is None and image is not None and not image.tools:
        raise KubectlError(executable_not_found(cluster, pod, container, argv[0]))  # FROM scratch: nothing at all
    if program in COMMON_UNMODELLED and program not in PROGRAMS:
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


# ------------------------------------------------------------ a container's own command

SHELLS = ("sh", "/bin/sh", "bash", "/bin/bash", "ash", "/bin/ash")
SHELL_SYNTAX = re.compile(r"[;&|<>`$(){}]|\n")
SLEEP = re.compile(r"(\d+(?:\.\d*)?|\.\d+)([smhd]?)")
SLEEP_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def one_command(argv: Sequence[str]) -> list[str]:
    """The program a container's command runs: ``sh -c "nslookup web"`` is ``nslookup web``.

    Examples
    --------
    >>> one_command(["sh", "-c", "nslookup web.default"])
    ['nslookup', 'web.default']
    >>> one_command(["wget", "-qO-", "http://web"])
    ['wget', '-qO-', 'http://web']
    """
    if argv and argv[0] in SHELLS:
        if len(argv) < 3 or argv[1] != "-c":
            raise KubectlError(f'error: k8sedu does not model an interactive shell ("{" ".join(argv)}"); give the '
                               'command to run: -- sh -c "nslookup web" or -- nslookup web')
        script = argv[2]
        if SHELL_SYNTAX.search(script):
            raise KubectlError(f"error: k8sedu runs one command in sh -c, without pipes, ;, &&, redirections or "
                               f"variables; it cannot run {script!r}")
        return one_command(shlex.split(script))
    return list(argv)


def sleep_seconds(argv: Sequence[str]) -> Optional[float]:
    """How long ``sleep ARG...`` runs (the arguments add up), or None for ``sleep infinity`` or bad input.

    Examples
    --------
    >>> sleep_seconds(["sleep", "5"]), sleep_seconds(["sleep", "1m", "30"]), sleep_seconds(["sleep", "infinity"])
    (5.0, 90.0, None)
    """
    matches = [SLEEP.fullmatch(arg) for arg in argv[1:]]
    if not matches or not all(matches):
        return None
    return sum(float(m.group(1)) * SLEEP_UNITS[m.group(2)] for m in matches if m)


def start_error(program: str) -> str:
    """containerd's message when runc cannot start a container's command (kind's runtime).

    Examples
    --------
    >>> start_error("nslookup").split(": ", 5)[-1]
    'exec: "nslookup": executable file not found in $PATH: unknown'
    """
    return ("failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create "
            f'failed: unable to start container process: exec: "{program}": executable file not found in $PATH: '
            "unknown")


class Runner:
    """The ``ProgramRunner`` the kubelet asks when a container starts with a command (``protocols``)."""

    def run(self, core: "Model", pod: Any, container: str, argv: Sequence[str]) -> Optional[ProgramRun]:
        """Run ``argv`` as ``container``'s command if it is a program that ends; None if it keeps running."""
        spec = next(c for c in pod.spec.containers if c.name == container)
        if argv and argv[0] in SHELLS and images.tool(spec, "sh") is None:
            return _not_found(spec, argv[0])
        try:
            words = one_command(argv)
        except (KubectlError, ValueError):  # an interactive shell, a script the model does not run
            return None
        program = words[0].rsplit("/", 1)[-1] if words else ""
        if program == "sleep":
            seconds = sleep_seconds(words) if images.tool(spec, "sh") is not None else None
            return None if seconds is None else ProgramRun("", "", 0, seconds)
        flavour = images.tool(spec, program)
        if program not in PROGRAMS:
            return None
        if flavour is None and words[0] != argv[0]:  # sh started; it does not find the program
            return _sh_not_found(spec, words[0])
        if flavour is None:
            return _not_found(spec, words[0])
        try:
            result = PROGRAMS[program](core, pod, words, flavour)
        except KubectlError:  # an option the model's program does not run
            return None
        return ProgramRun(result.stdout, result.stderr, result.exit_code)


def _not_found(spec: Any, program: str) -> Optional[ProgramRun]:
    """A program the catalogue says the image lacks cannot start; of an image it does not know, nothing is said."""
    if images.lookup(spec.image) is None:
        return None
    return ProgramRun("", "", 128, start_error=start_error(program))


def _sh_not_found(spec: Any, program: str) -> Optional[ProgramRun]:
    """``sh -c PROGRAM`` without PROGRAM in the image: the shell says so and exits 127 (POSIX "command not found").

    Debian's dash prints ``sh: 1: PROGRAM: not found`` (with the line number),
    busybox's ash ``sh: PROGRAM: not found``.
    """
    if images.lookup(spec.image) is None:
        return None
    where = "1: " if images.tool(spec, "sh") == "dash" else ""
    return ProgramRun("", f"sh: {where}{program}: not found\n", 127)


RUNNER = Runner()
