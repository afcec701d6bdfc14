"""Specification of ``k8sedu.magics``: kubectl in notebook cells.

``%load_ext k8sedu`` gives ``%kubectl`` (one command) and ``%%kubectl`` (a
manifest after ``apply``/``delete``, or one command per line) over the current
cluster. What kubectl prints on stdout is printed, then what it prints on
stderr, in red and without a traceback; a refused command changes nothing.
"""

from __future__ import annotations

import contextlib
import io

import pytest

from shared_manifests import COURSE_INGRESS

IPython = pytest.importorskip("IPython")

import k8sedu  # noqa: E402
from k8sedu import magics  # noqa: E402

NAMESPACE = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n"


@pytest.fixture(scope="module")
def shell():
    from IPython.testing.globalipapp import start_ipython
    ip = start_ipython()
    ip.run_line_magic("load_ext", "k8sedu")
    return ip


@pytest.fixture
def cluster():
    return k8sedu.use(k8sedu.Cluster(seed=7))


def test_line_magic_prints_what_kubectl_prints(shell, cluster, capsys):
    shell.run_line_magic("kubectl", "get ns shop --ignore-not-found")
    shell.run_line_magic("kubectl", "get nodes")
    assert capsys.readouterr().out.splitlines()[0] == "NAME                 STATUS   ROLES           AGE   VERSION"


def test_cell_magic_applies_the_cell_as_a_manifest(shell, cluster, capsys):
    shell.run_cell_magic("kubectl", "apply", NAMESPACE)
    shell.run_cell_magic("kubectl", "apply", NAMESPACE)
    assert capsys.readouterr().out == "namespace/shop created\nnamespace/shop unchanged\n"
    service = "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  ports:\n  - port: 80\n"
    shell.run_cell_magic("kubectl", "apply", service)
    shell.run_cell_magic("kubectl", "delete", service)
    assert capsys.readouterr().out == 'service/web created\nservice "web" deleted\n'


def test_cell_magic_runs_one_command_per_line_until_one_fails(shell, cluster, capsys):
    shell.run_cell_magic("kubectl", "", "# make a namespace\nkubectl create namespace shop\nget deploy nope\n"
                                        "create namespace never\n")
    captured = capsys.readouterr()
    assert captured.out == "namespace/shop created\n"
    assert captured.err == '\x1b[31mError from server (NotFound): deployments.apps "nope" not found\x1b[0m\n'
    assert cluster.api.try_get("Namespace", "", "never") is None


def test_errors_are_red_without_a_traceback_and_change_nothing(shell, cluster, capsys):
    version = cluster.api.store.resource_version
    result = shell.run_cell("%kubectl get deploy nope")
    assert result.error_in_exec is None  # no exception reaches the notebook
    captured = capsys.readouterr()
    assert captured.err == '\x1b[31mError from server (NotFound): deployments.apps "nope" not found\x1b[0m\n'
    assert "Traceback" not in captured.out + captured.err
    assert cluster.api.store.resource_version == version


def test_partial_apply_prints_the_successes_then_the_errors(shell, cluster, capsys):
    bad = NAMESPACE + "---\napiVersion: v1\nkind: Service\nmetadata:\n  name: x\nspec:\n  typo: 1\n"
    shell.run_cell_magic("kubectl", "apply", bad)
    captured = capsys.readouterr()
    assert captured.out == "namespace/shop created\n"
    assert captured.err == ('\x1b[31mError from server (BadRequest): error when creating "STDIN": Service in version '
                            '"v1" cannot be handled as a Service: strict decoding error: unknown field "spec.typo"'
                            '\x1b[0m\n')


def test_each_command_of_a_cell_prints_its_stdout_then_its_stderr_in_order(shell, cluster):
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(printed):
        shell.run_cell_magic("kubectl", "", "create service clusterip a --tcp=80\ndelete svc a a\n"
                                            "create namespace never\n")
    assert printed.getvalue() == ('service/a created\n'
                                  'service "a" deleted\n'
                                  '\x1b[31mError from server (NotFound): services "a" not found\x1b[0m\n')
    assert cluster.api.try_get("Namespace", "", "never") is None  # the cell stops at the command that failed


def test_a_warning_is_printed_in_red_after_the_output_of_a_command_that_succeeds(shell, cluster):
    shell.run_line_magic("kubectl", "create deployment web --image=nginx")
    cluster.advance(10)
    pod = cluster.pod_names()[0]
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(printed):
        assert magics.run_line(f"exec {pod} hostname")
    assert printed.getvalue() == (f"{pod}\n\x1b[31mkubectl exec [POD] [COMMAND] is DEPRECATED and will be removed "
                                  "in a future version. Use kubectl exec [POD] -- [COMMAND] instead.\x1b[0m\n")


INGRESS = COURSE_INGRESS


def test_cell_magic_applies_an_ingress_and_kubectl_shows_it(shell, cluster, capsys):
    shell.run_cell_magic("kubectl", "apply", INGRESS)
    shell.run_cell_magic("kubectl", "apply", INGRESS)
    shell.run_line_magic("kubectl", "get ingress")
    shell.run_cell_magic("kubectl", "", "describe ing gateway-ingress\nget ingressclass\n")
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert lines[:4] == ["ingress.networking.k8s.io/gateway-ingress created",
                         "ingress.networking.k8s.io/gateway-ingress unchanged",
                         "NAME              CLASS   HOSTS             ADDRESS   PORTS   AGE",
                         "gateway-ingress   nginx   api.example.com             80      0s"]
    assert "  api.example.com  " in lines and lines[-2:] == ["Events:            <none>", "No resources found"]
    shell.run_cell_magic("kubectl", "delete", INGRESS)
    assert capsys.readouterr().out == 'ingress.networking.k8s.io "gateway-ingress" deleted\n'


def test_magics_follow_the_current_cluster(shell, capsys):
    first = k8sedu.Cluster(seed=1)
    second = k8sedu.Cluster(seed=2)  # the newest cluster is the current one...
    shell.run_line_magic("kubectl", "create namespace two")
    k8sedu.use(first)  # ...until use() says otherwise
    shell.run_line_magic("kubectl", "create namespace one")
    assert second.api.try_get("Namespace", "", "two") and first.api.try_get("Namespace", "", "one")
    assert not first.api.try_get("Namespace", "", "two")
    capsys.readouterr()


def test_a_bad_cell_header_is_explained(shell, cluster, capsys):
    shell.run_cell_magic("kubectl", "get", "pods\n")
    assert capsys.readouterr().err.startswith("\x1b[31merror: %%kubectl takes \"apply\" or \"delete\"")


def test_manifest_command():
    assert magics.manifest_command("kubectl apply -n shop") == "apply -n shop -f -"
    assert magics.manifest_command("apply -f web.yaml") == "apply -f web.yaml"
    assert magics.manifest_command("get pods") is None
