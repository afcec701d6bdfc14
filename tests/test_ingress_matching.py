"""Ingress matching, table-driven: every row of the Kubernetes docs' tables, then precedence edge cases.

Each row is checked twice: against the Ingress API's rules (``matching.best_path``, ``host_matches``)
and against what ingress-nginx really does with them (nginx locations and server names built by
``config.build_configuration``, selected by ``select_server`` / ``select_location``).
"""

import pytest

from k8sedu.ingress_nginx import config as cfg
from k8sedu.ingress_nginx.matching import (ClassSettings, Redirect, best_path, class_verdict, host_matches,
                                           path_matches, select_location, select_server, served_order)
from k8sedu.objects import (HTTPIngressPath, HTTPIngressRuleValue, Ingress, IngressBackend, IngressClass,
                            IngressClassSpec, IngressRule, IngressServiceBackend, IngressSpec, ObjectMeta,
                            ServiceBackendPort, frozen)


def P(path, kind, svc="svc", port=80):
    return HTTPIngressPath(path, kind, IngressBackend(IngressServiceBackend(svc, ServiceBackendPort(number=port))))


def ingress(name, rules, t=0.0, default=None, cls="nginx", annotations=None, ns="default"):
    return Ingress(ObjectMeta(name=name, namespace=ns, creation_timestamp=t, annotations=frozen(annotations)),
                   IngressSpec(ingress_class_name=cls, default_backend=default, rules=tuple(rules)))


def rule(host, *paths):
    return IngressRule(host, HTTPIngressRuleValue(tuple(paths)))


def build(*ingresses):
    return cfg.build_configuration(list(ingresses), lambda ns, name: None, lambda ns, name: [])


def nginx(configuration, host, uri):
    """What nginx does: ('match', ingress path, pathType, service) | ('default',) | ('redirect', to)."""
    server = configuration.server(select_server([s.hostname for s in configuration.servers], host))
    found = select_location(server.locations, uri)
    if isinstance(found, Redirect):
        return ("redirect", found.location)
    if found is None or found.backend == cfg.DEFAULT_UPSTREAM:
        return ("default",)
    return ("match", found.ingress_path, found.path_type, found.service)


# ---------------------------------------------------------------- the docs' path examples table

# (kind, paths, request, the path that matches or None) -- one entry per (row, request path)
DOCS_PATH_TABLE = [
    ("Prefix", [("/", "Prefix")], "/", ("/", "Prefix")),
    ("Prefix", [("/", "Prefix")], "/foo", ("/", "Prefix")),
    ("Prefix", [("/", "Prefix")], "/aaa/bbb/ccc", ("/", "Prefix")),
    ("Exact", [("/foo", "Exact")], "/foo", ("/foo", "Exact")),
    ("Exact", [("/foo", "Exact")], "/bar", None),
    ("Exact", [("/foo", "Exact")], "/foo/", None),
    ("Exact", [("/foo/", "Exact")], "/foo", None),
    ("Prefix", [("/foo", "Prefix")], "/foo", ("/foo", "Prefix")),
    ("Prefix", [("/foo", "Prefix")], "/foo/", ("/foo", "Prefix")),
    ("Prefix", [("/foo/", "Prefix")], "/foo", ("/foo/", "Prefix")),
    ("Prefix", [("/foo/", "Prefix")], "/foo/", ("/foo/", "Prefix")),
    ("Prefix", [("/aaa/bb", "Prefix")], "/aaa/bbb", None),
    ("Prefix", [("/aaa/bbb", "Prefix")], "/aaa/bbb", ("/aaa/bbb", "Prefix")),
    ("Prefix", [("/aaa/bbb/", "Prefix")], "/aaa/bbb", ("/aaa/bbb/", "Prefix")),  # ignores trailing slash
    ("Prefix", [("/aaa/bbb", "Prefix")], "/aaa/bbb/", ("/aaa/bbb", "Prefix")),  # matches trailing slash
    ("Prefix", [("/aaa/bbb", "Prefix")], "/aaa/bbb/ccc", ("/aaa/bbb", "Prefix")),  # matches subpath
    ("Prefix", [("/aaa/bbb", "Prefix")], "/aaa/bbbxyz", None),  # does not match string prefix
    ("Prefix", [("/", "Prefix"), ("/aaa", "Prefix")], "/aaa/ccc", ("/aaa", "Prefix")),
    ("Prefix", [("/", "Prefix"), ("/aaa", "Prefix"), ("/aaa/bbb", "Prefix")], "/aaa/bbb", ("/aaa/bbb", "Prefix")),
    ("Prefix", [("/", "Prefix"), ("/aaa", "Prefix"), ("/aaa/bbb", "Prefix")], "/ccc", ("/", "Prefix")),
    ("Prefix", [("/aaa", "Prefix")], "/ccc", None),  # uses default backend
    ("Mixed", [("/foo", "Prefix"), ("/foo", "Exact")], "/foo", ("/foo", "Exact")),  # prefers Exact
]

# Where ingress-nginx differs from the table: nginx's automatic 301 for a location ending in "/".
NGINX_REDIRECTS = {
    ("/foo/", "Exact", "/foo"): "/foo/",
    ("/foo/", "Prefix", "/foo"): "/foo/",
    ("/aaa/bbb/", "Prefix", "/aaa/bbb"): "/aaa/bbb/",
}


def _row_id(row):
    kind, paths, request, _ = row
    return f"{kind}:{','.join(p for p, _ in paths)}<-{request}"


@pytest.mark.parametrize("row", DOCS_PATH_TABLE, ids=_row_id)
def test_every_row_of_the_docs_path_table_follows_the_ingress_rules(row):
    _, paths, request, expected = row
    winner = best_path([P(p, t) for p, t in paths], request)
    assert (winner.path, winner.path_type) == expected if expected else winner is None


@pytest.mark.parametrize("row", DOCS_PATH_TABLE, ids=_row_id)
def test_every_row_of_the_docs_path_table_through_ingress_nginx_locations(row):
    _, paths, request, expected = row
    configuration = build(ingress("web", [rule("a.com", *[P(p, t) for p, t in paths])]))
    got = nginx(configuration, "a.com", request)
    redirect = next((to for (p, t, r), to in NGINX_REDIRECTS.items() if r == request and (p, t) in paths), None)
    if redirect:
        assert got == ("redirect", redirect)
        again = nginx(configuration, "a.com", redirect)  # a client following the 301 then matches
        assert again[0] == "match"
    elif expected is None:
        assert got == ("default",)
    else:
        assert got == ("match", expected[0], expected[1], "svc")


def test_the_prefix_rule_in_the_docs_words():
    assert path_matches("Prefix", "/foo/bar", "/foo/bar/baz")
    assert not path_matches("Prefix", "/foo/bar", "/foo/barbaz")
    assert not path_matches("Exact", "/Foo", "/foo")  # case-sensitive
    assert not path_matches("Prefix", "/Foo", "/foo")


# ---------------------------------------------------------------- the docs' host table

DOCS_HOST_TABLE = [
    ("*.foo.com", "bar.foo.com", True),  # matches based on shared suffix
    ("*.foo.com", "baz.bar.foo.com", False),  # wildcard only covers a single DNS label
    ("*.foo.com", "foo.com", False),  # wildcard only covers a single DNS label
    ("foo.bar.com", "foo.bar.com", True),
    ("foo.bar.com", "bar.foo.com", False),
    ("foo.bar.com", "FOO.bar.com:8080", True),  # Host headers compare without case or port
    ("", "anything.example.org", True),  # a rule without host takes all traffic
]


@pytest.mark.parametrize("rule_host,header,expected", DOCS_HOST_TABLE)
def test_every_row_of_the_docs_host_table(rule_host, header, expected):
    assert host_matches(rule_host, header) is expected


@pytest.mark.parametrize("rule_host,header,expected", [row for row in DOCS_HOST_TABLE if row[0]])
def test_every_host_row_through_nginx_server_names(rule_host, header, expected):
    configuration = build(ingress("web", [rule(rule_host, P("/", "Prefix", "web"))]))
    got = nginx(configuration, header, "/")
    assert (got == ("match", "/", "Prefix", "web")) is expected
    if not expected:
        assert got == ("default",)  # nginx's default server "_" answers 404


def test_an_exact_host_beats_a_wildcard_and_unknown_hosts_go_to_the_catch_all_server():
    configuration = build(ingress("web", [rule("*.foo.com", P("/", "Prefix", "wild")),
                                          rule("api.foo.com", P("/", "Prefix", "api")),
                                          rule("", P("/", "Prefix", "any"))]))
    assert nginx(configuration, "api.foo.com", "/")[3] == "api"
    assert nginx(configuration, "www.foo.com", "/")[3] == "wild"
    assert nginx(configuration, "a.b.foo.com", "/")[3] == "any"
    assert nginx(configuration, "10.0.0.1", "/")[3] == "any"  # a request by IP has an IP as Host
    assert [s.hostname for s in configuration.servers] == ["*.foo.com", "_", "api.foo.com"]


def test_a_host_with_its_own_server_never_falls_back_to_host_less_rules():
    configuration = build(ingress("web", [rule("api.foo.com", P("/api", "Prefix", "api")),
                                          rule("", P("/other", "Prefix", "other"))]))
    assert nginx(configuration, "api.foo.com", "/other") == ("default",)  # that server's own location /
    assert nginx(configuration, "x.example", "/other")[3] == "other"


# ---------------------------------------------------------------- precedence edge cases

PRECEDENCE = [
    # paths, request, winner (path, type) per the spec
    ([("/foo", "Exact"), ("/foo", "Prefix")], "/foo", ("/foo", "Exact")),  # tie: Exact wins
    ([("/foo", "Exact"), ("/foo", "Prefix")], "/foo/bar", ("/foo", "Prefix")),
    ([("/", "Prefix"), ("/a", "Prefix"), ("/a/b", "Prefix"), ("/a/b/c", "Prefix")], "/a/b/c/d", ("/a/b/c", "Prefix")),
    ([("/a", "Prefix"), ("/a/b", "Exact")], "/a/b/c", ("/a", "Prefix")),  # the longer Exact does not match
    ([("/a", "Prefix"), ("/a/b", "Exact")], "/a/b", ("/a/b", "Exact")),
    ([("/foo/", "Prefix")], "/foo/bar", ("/foo/", "Prefix")),
    ([("/foo", "ImplementationSpecific")], "/foobar", ("/foo", "ImplementationSpecific")),  # nginx prefix
    ([("/foo", "ImplementationSpecific"), ("/foo/bar", "Prefix")], "/foo/bar", ("/foo/bar", "Prefix")),
]


@pytest.mark.parametrize("paths,request_path,expected", PRECEDENCE)
def test_longest_match_wins_and_exact_beats_prefix_on_a_tie(paths, request_path, expected):
    winner = best_path([P(p, t) for p, t in paths], request_path)
    assert (winner.path, winner.path_type) == expected
    configuration = build(ingress("web", [rule("a.com", *[P(p, t) for p, t in paths])]))
    assert nginx(configuration, "a.com", request_path)[1:3] == expected


def test_a_prefix_path_becomes_two_nginx_locations_unless_an_exact_path_owns_the_exact_one():
    alone = build(ingress("web", [rule("a.com", P("/foo", "Prefix"))])).server("a.com")
    assert [loc.block for loc in alone.locations] == ["/foo/", "= /foo", "/"]
    both = build(ingress("web", [rule("a.com", P("/foo", "Prefix", "p"), P("/foo", "Exact", "e"))])).server("a.com")
    assert [(loc.block, loc.service) for loc in both.locations] == [("/foo/", "p"), ("= /foo", "e"), ("/", "")]


# ---------------------------------------------------------------- default backends

def test_without_a_match_the_controller_answers_404_from_its_default_backend():
    configuration = build(ingress("web", [rule("a.com", P("/api", "Prefix"))]))
    assert nginx(configuration, "a.com", "/nothing") == ("default",)
    assert nginx(configuration, "b.com", "/api") == ("default",)


def test_an_ingress_without_rules_sends_everything_to_its_default_backend():
    default = IngressBackend(IngressServiceBackend("fallback", ServiceBackendPort(number=80)))
    configuration = build(ingress("catch", [], default=default))
    assert nginx(configuration, "any.host", "/x/y") == ("match", "/", "Prefix", "fallback")


def test_an_ingress_default_backend_serves_the_unmatched_paths_of_its_own_hosts_only():
    default = IngressBackend(IngressServiceBackend("fallback", ServiceBackendPort(number=80)))
    configuration = build(ingress("web", [rule("a.com", P("/api", "Prefix", "api"))], default=default))
    assert nginx(configuration, "a.com", "/api/v1")[3] == "api"
    assert nginx(configuration, "a.com", "/other")[3] == "fallback"
    assert nginx(configuration, "b.com", "/other") == ("default",)  # the catch-all keeps the 404


def test_a_prefix_slash_path_replaces_the_servers_default_location():
    configuration = build(ingress("web", [rule("a.com", P("/", "Prefix", "root"))]))
    assert [(loc.block, loc.service) for loc in configuration.server("a.com").locations] == [("/", "root")]


# ---------------------------------------------------------------- several Ingresses

def test_ingresses_for_one_host_are_merged_into_one_server():
    configuration = build(ingress("a", [rule("shop.com", P("/cart", "Prefix", "cart"))], t=1),
                          ingress("b", [rule("shop.com", P("/pay", "Prefix", "pay"))], t=2))
    assert [s.hostname for s in configuration.servers] == ["_", "shop.com"]
    assert nginx(configuration, "shop.com", "/cart")[3] == "cart"
    assert nginx(configuration, "shop.com", "/pay/now")[3] == "pay"
    assert configuration.conflicts == ()


def test_on_a_conflict_the_first_created_ingress_wins():
    older = ingress("zz-old", [rule("shop.com", P("/cart", "Prefix", "old"))], t=1)
    newer = ingress("aa-new", [rule("shop.com", P("/cart", "Prefix", "new"))], t=2)
    configuration = build(newer, older)
    assert nginx(configuration, "shop.com", "/cart")[3] == "old"
    [conflict] = configuration.conflicts
    assert (conflict.winner, conflict.loser, conflict.path) == ("default/zz-old", "default/aa-new", "/cart")


def test_same_age_ingresses_are_ordered_by_descending_name_as_ingress_nginx_sorts_them():
    a = ingress("a", [rule("shop.com", P("/cart", "Prefix", "from-a"))], t=5)
    b = ingress("b", [rule("shop.com", P("/cart", "Prefix", "from-b"))], t=5)
    assert [i.metadata.name for i in served_order([a, b])] == ["b", "a"]
    assert nginx(build(a, b), "shop.com", "/cart")[3] == "from-b"


def test_the_same_path_with_another_type_is_not_a_conflict():
    configuration = build(ingress("a", [rule("s.com", P("/x", "Exact", "exact"))], t=1),
                          ingress("b", [rule("s.com", P("/x", "Prefix", "prefix"))], t=2))
    assert configuration.conflicts == ()
    assert nginx(configuration, "s.com", "/x")[3] == "exact"
    assert nginx(configuration, "s.com", "/x/y")[3] == "prefix"


# ---------------------------------------------------------------- which Ingresses ingress-nginx serves

NGINX = IngressClass(ObjectMeta(name="nginx"), IngressClassSpec("k8s.io/ingress-nginx"))
OTHER = IngressClass(ObjectMeta(name="traefik"), IngressClassSpec("traefik.io/ingress-controller"))

CLASS_TABLE = [
    # ingressClassName, annotation, --watch-ingress-without-class, served, why (excerpt)
    ("nginx", None, False, True, "IngressClass nginx names controller k8s.io/ingress-nginx"),
    ("traefik", None, False, False, 'no object matching key "traefik" in local store'),
    ("missing", None, False, False, 'no object matching key "missing" in local store'),
    (None, None, False, False, "ingress does not contain a valid IngressClass"),
    (None, None, True, True, "--watch-ingress-without-class"),
    (None, "nginx", False, True, "annotation kubernetes.io/ingress.class: nginx"),
    (None, "traefik", True, False, "ingress class annotation is not equal to the expected by Ingress Controller"),
]


@pytest.mark.parametrize("cls,annotation,without,served,why", CLASS_TABLE)
def test_which_ingresses_ingress_nginx_serves(cls, annotation, without, served, why):
    notes = {"kubernetes.io/ingress.class": annotation} if annotation else None
    ing = ingress("web", [], cls=cls, annotations=notes)
    got = class_verdict(ing, [NGINX, OTHER], ClassSettings(watch_ingress_without_class=without))
    assert got[0] is served and why in got[1]
