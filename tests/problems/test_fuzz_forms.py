"""Random input to every form of the register, as a logged-in persona with a valid CSRF token.

The forms are found the way a person finds them: by opening the register's pages and reading
every <form> on them (action, method, fields, the choices of selects and checkboxes). For each
form, hypothesis sends random values (script and HTML, huge and empty strings, numbers, the
form's own choices, missing fields). The app never answers 5xx, and whenever it refuses (4xx)
or shows the form again (200), the database is exactly as it was.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from problems.models import Follow, Photo, Problem, ReopenRequest, Support, TimelineEntry
from problems.workflow import Status

CSRF = "csrfmiddlewaretoken"


@dataclass
class Form:
    action: str
    method: str
    fields: dict[str, list[str]] = field(default_factory=dict)  # name -> known values

    @property
    def key(self) -> str:
        return f"{self.method} {self.action} {sorted(self.fields)}"


class FormReader(HTMLParser):
    def __init__(self, page_url: str) -> None:
        super().__init__()
        self.page_url = page_url
        self.forms: list[Form] = []
        self._current: Form | None = None
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            action = a.get("action") or self.page_url
            self._current = Form(action=action, method=(a.get("method") or "get").lower())
            self.forms.append(self._current)
        elif self._current is not None and tag in {"input", "textarea", "select", "button"}:
            name = a.get("name")
            if not name or a.get("type") == "file":
                return
            values = self._current.fields.setdefault(name, [])
            if "value" in a:
                values.append(a["value"])
            if tag == "select":
                self._select = name
        elif tag == "option" and self._current is not None and self._select:
            self._current.fields[self._select].append(a.get("value", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._current = None
        elif tag == "select":
            self._select = None


def forms_on(client: Client, url: str) -> list[Form]:
    response = client.get(url)
    assert response.status_code == 200, url
    reader = FormReader(url)
    reader.feed(response.content.decode())
    return [
        f
        for f in reader.forms
        if urlsplit(f.action).path.startswith(("/buurt/", "/mijn-meldingen/", "/link/"))
        and "/problemen" in urlsplit(f.action).path + url
    ]


def snapshot() -> str:
    """Everything the register stores that a refused request must not change."""
    rows = [
        list(Problem.objects.order_by("pk").values_list()),
        list(Support.objects.order_by("pk").values_list("problem", "user")),
        list(Follow.objects.order_by("pk").values_list("problem", "user")),
        list(Photo.objects.order_by("pk").values_list("pk", "image")),
        list(TimelineEntry.objects.order_by("pk").values_list()),
        list(ReopenRequest.objects.order_by("pk").values_list()),
    ]
    return hashlib.sha256(repr(rows).encode()).hexdigest()


NASTY = st.sampled_from(
    [
        "",
        " ",
        "<script>alert(1)</script>",
        '"><img src=x onerror=alert(1)>',
        "x" * 5000,
        "-1",
        "0",
        "99999999999999999999",
        "1.5",
        "NaN",
        "\x00",
        "Ünïcödé ✓ 🏚",
        "' OR 1=1 --",
        "../../etc/passwd",
    ]
)


def values_for(known: list[str]) -> st.SearchStrategy[list[str]]:
    one = st.one_of(NASTY, st.text(max_size=300), *([st.sampled_from(known)] if known else []))
    return st.lists(one, min_size=0, max_size=3)


@pytest.fixture
def crawled(personas, make_problem, settings, tmp_path):
    """A register with a problem in each status; the forms the chair and a resident see."""
    settings.MEDIA_ROOT = tmp_path
    problems = {status: make_problem(status) for status in Status if status != Status.MERGED}
    slug = personas.hood.slug
    pages = [
        reverse("problem_list", args=[slug]),
        reverse("report:problem_report", args=[slug]),
        reverse("team:problem_queue", args=[slug]),
        reverse("my_problems"),
    ]
    for problem in problems.values():
        pages += [
            reverse("problem", args=[slug, problem.pk]),
            reverse("team:problem_edit", args=[slug, problem.pk]),
            reverse("team:problem_chronic", args=[slug, problem.pk]),
        ]
    found: dict[str, tuple[str, Form]] = {}
    for persona in ("chair", "second_resident"):
        client = Client(enforce_csrf_checks=True)
        client.force_login(getattr(personas, persona))
        for page in pages:
            if client.get(page).status_code != 200:
                continue  # not this persona's page
            for form in forms_on(client, page):
                found.setdefault(form.key, (persona, form))
    return list(found.values())


def test_the_crawl_finds_the_forms(crawled):
    actions = {form.action for _persona, form in crawled}
    # Report, support, follow, status changes, edits, chronic, filters: more than a handful.
    assert len(crawled) >= 8, actions


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_random_input_never_breaks_a_form_or_half_saves(crawled, personas, data):
    persona, form = data.draw(st.sampled_from(crawled), label="form")
    client = Client(enforce_csrf_checks=True)
    client.force_login(getattr(personas, persona))
    client.get(reverse("home"))  # a CSRF cookie, as a browser has one
    token = client.cookies["csrftoken"].value
    payload: dict[str, Any] = {}
    for name, known in form.fields.items():
        if name == CSRF:
            continue
        if data.draw(st.booleans(), label=f"send {name}"):
            payload[name] = data.draw(values_for(known), label=name)
    before = snapshot()
    if form.method == "post":
        response = client.post(form.action, {**payload, CSRF: token})
    else:
        response = client.get(form.action, payload)
    assert response.status_code < 500, (form.action, payload)
    if form.method == "post" and response.status_code not in {301, 302, 303}:
        assert snapshot() == before, (form.action, response.status_code, payload)
