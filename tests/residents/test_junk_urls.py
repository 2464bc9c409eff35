"""Junk in any URL answers 400 or 404 (or a redirect, 403, 405), never a 500.

Every URL pattern of the app, the admin and allauth included, gets junk in each of its
parameters in turn, the other parameters filled with real objects of the planted neighbourhood
(tests/problems/privacy_walker.py), so the junk reaches as deep into the view as it can. The
junk: a NUL byte, which PostgreSQL refuses in text (so this test means most on PostgreSQL); an
overlong value; bytes that are not UTF-8; and values of the wrong type. Each URL is asked with
GET and POST, by an anonymous visitor and by the chair (second factor passed). Then the query
strings the views read get the same junk, on every page with real parameters.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from tests.problems.privacy_walker import World, planted_world

pytestmark = pytest.mark.django_db

# Each a piece of a URL as it is sent, so percent-escapes stay escapes.
JUNK: dict[str, list[str]] = {
    "nul": ["%00", "a%00b"],
    "overlong": ["a" * 5000, "9" * 5000],
    "not-utf8": ["%ff%fe", "a%c3%28"],
    "wrong-type": ["abc", "-1", "99999999999999999999", "%e2%82%ac"],
}
# Every query parameter a view or the API reads.
QUERY_KEYS = [
    "page",
    "page_size",
    "q",
    "voter",
    "batch",
    "code",
    "title",
    "next",
    "sort",
    "status",
    "category",
    "street",
    "neighbourhood",
    "alle",
    "move",
    "vertrouwelijk",
]
SKIPPED_PREFIXES = ("static/", "media/")
# `<int:pk>` (path()) and `(?P<pk>[0-9]+)` (re_path()), with one level of nested groups.
CONVERTER = re.compile(r"<(?:\w+:)?(\w+)>")
NAMED_GROUP = re.compile(r"\(\?P<(\w+)>(?:[^()]|\([^()]*\))*\)")
REGEX_LEFTOVERS = re.compile(r"\(\?:\.\*/\)\?|[\^$]")


@dataclass(frozen=True)
class Route:
    pattern: str
    name: str | None

    @property
    def params(self) -> list[str]:
        return CONVERTER.findall(self.pattern) + NAMED_GROUP.findall(self.pattern)

    def url(self, values: dict[str, str]) -> str:
        filled = CONVERTER.sub(lambda m: values[m.group(1)], self.pattern)
        filled = NAMED_GROUP.sub(lambda m: values[m.group(1)], filled)
        return "/" + REGEX_LEFTOVERS.sub("", filled)


def routes() -> Iterator[Route]:
    """Every URL pattern but static files and media, the admin and allauth included."""

    def walk(patterns: list[Any], prefix: str) -> Iterator[Route]:
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, route)
            elif isinstance(pattern, URLPattern):
                yield Route(route, pattern.name)

    for route in walk(get_resolver().url_patterns, ""):
        if not route.pattern.lstrip("^").startswith(SKIPPED_PREFIXES):
            yield route


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[World]:
    """The planted neighbourhood (privacy_walker.planted_world), rolled back at the end."""
    yield from planted_world(django_db_blocker, tmp_path_factory.mktemp("media"))


def real_values(world: World, route: Route) -> dict[str, str]:
    """Real objects for a route's parameters where the walker knows them, else plain values
    of the right kind (the admin's object ids, allauth's reset key)."""
    known = world.table.get(route.name or "", [{}])[0]
    values = {"slug": world.personas.hood.slug, "app_label": "residents"}
    values.update({name: str(value) for name, value in known.items()})
    return {name: values.get(name, "1") for name in route.params}


@pytest.fixture
def visitor(world, login):
    def _visitor(persona: str) -> Client:
        client = login(None if persona == "anonymous" else getattr(world.personas, persona))
        client.raise_request_exception = False  # a 500 is what is asserted, not the traceback
        return client

    return _visitor


def status_of(client: Client, method: str, url: str) -> int:
    response = client.get(url) if method == "GET" else client.post(url)
    if response.streaming:
        b"".join(response)  # a streamed answer can still fail while it is read
    return response.status_code


@pytest.mark.parametrize("kind", list(JUNK))
@pytest.mark.parametrize("persona", ["anonymous", "chair"])
def test_junk_in_a_url_parameter_never_answers_500(world, visitor, persona, kind):
    client = visitor(persona)
    failures = []
    for route in routes():
        real = real_values(world, route)
        for param in real:
            for junk in JUNK[kind]:
                url = route.url({**real, param: junk})
                for method in ("GET", "POST"):
                    status = status_of(client, method, url)
                    if status >= 500:
                        failures.append(f"{method} {url[:120]} ({route.name}: {param}) -> {status}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("kind", list(JUNK))
@pytest.mark.parametrize("persona", ["anonymous", "chair"])
def test_junk_in_the_query_string_never_answers_500(world, visitor, persona, kind):
    client = visitor(persona)
    failures = []
    for route in routes():
        if route.pattern.startswith(("beheer/", "accounts/")):
            continue  # their query strings are Django's and allauth's, tested there
        base = route.url(real_values(world, route))
        for junk in JUNK[kind][:1]:  # one of each kind: every key gets it at once
            url = base + "?" + "&".join(f"{key}={junk}" for key in QUERY_KEYS)
            status = status_of(client, "GET", url)
            if status >= 500:
                failures.append(f"GET {url[:160]} ({route.name}) -> {status}")
    assert not failures, "\n".join(failures)


def test_a_nul_in_the_address_answers_the_400_page_with_the_security_headers(client, settings):
    """The known one: a NUL in a projector key reached PostgreSQL, which refused it."""
    client.raise_request_exception = False
    settings.DEBUG = False
    response = client.get("/scherm/%00/")
    assert response.status_code == 400
    assert 'class="site-header"' in response.content.decode()
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    # In a query value a NUL is a bad filter like any other: ignored, never a 500.
    for url in ("/buurt/kanaleneiland-noord/problemen/?straat=%00", "/?%00=1"):
        assert client.get(url).status_code in (200, 404), url


@pytest.mark.parametrize("cookie", ["sessionid", "csrftoken", "django_language"])
def test_a_cookie_holding_a_nul_is_ignored(client, cookie):
    """Python's cookie parser turns a quoted "\\000" into NUL; as the session key it reached
    PostgreSQL. Such a cookie is dropped: the visitor is simply not logged in."""
    client.raise_request_exception = False
    response = client.get("/", headers={"cookie": f'{cookie}="abcdefghijklmnopqrstuvwxyz\\000"'})
    assert response.status_code == 200


def test_an_address_that_is_not_utf8_reaches_the_view_as_escapes(client):
    """Django keeps bytes that are not UTF-8 as %-escapes: the view gets ASCII, no 500."""
    client.raise_request_exception = False
    assert client.get("/scherm/%ff%fe/").status_code == 404
