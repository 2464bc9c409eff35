"""A reporter's identity and confidential details reach only those the permission table allows.

Unique marker strings are planted in a reporter's name, in the name typed for someone without
an account, in confidential details, in the real text of a sensitive problem, in a
confidential timeline note and in a report not yet moderated. Then every URL of the app (pages,
htmx fragments, the API and its schema) is fetched as every persona, and the mails that status
changes send are read: the markers show up only where allowed, and do show up there (so the
test would notice them).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.urls import URLPattern, URLResolver, get_resolver

from problems.models import Category, TimelineEntry
from problems.services import problem_report, problem_support, problem_transition
from problems.workflow import Move, Status
from residents.models import Membership, Role, User
from residents.permissions import Perm, can

from .conftest import PATH_TO

REPORTER = "Qzreporterxq"  # in the reporter's display name
FOR_NAME = "Qzforxq"  # typed by the office for a resident without an account
CONFIDENTIAL = "Qzconfidentialxq"  # confidential details
SECRET_TITLE = "Qzsecrettitlexq"  # the real title and description of a sensitive problem
NOTE = "Qznotexq"  # a confidential note on the timeline
UNMODERATED = "Qzunmoderatedxq"  # the title of a report nobody of the team has seen yet
MARKERS = [REPORTER, FOR_NAME, CONFIDENTIAL, SECRET_TITLE, NOTE, UNMODERATED]

SKIPPED_PREFIXES = ("beheer/", "accounts/", "i18n/", "static/", "media/")
# Pages that list the neighbourhood's members by name (the reporter is a member too).
MEMBER_PAGES = re.compile(r"/leden/")


def routes() -> Iterator[tuple[str, str | None]]:
    def walk(patterns: list[Any], prefix: str) -> Iterator[tuple[str, str | None]]:
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, route)
            elif isinstance(pattern, URLPattern):
                yield route, pattern.name

    for route, name in walk(get_resolver().url_patterns, ""):
        if not route.startswith(SKIPPED_PREFIXES):
            yield route, name


@pytest.fixture
def planted(personas, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    hood = personas.hood
    reporter = User.objects.create(display_name=f"Bewoner {REPORTER}", email="q@example.nl")
    Membership.objects.create(user=reporter, neighbourhood=hood, role=Role.RESIDENT)

    def report(status: str, category: str, title: str, **extra: Any):
        problem = problem_report(
            neighbourhood=hood,
            reporter=extra.pop("reporter", reporter),
            category=Category.objects.get(slug=category),
            title=title,
            description=f"Beschrijving {title}",
            street="Marshalllaan",
            location_detail=f"nr. 8 {title}",
            **extra,
        )
        for move, actors in PATH_TO[status]:
            problem_transition(
                problem=problem,
                move=move,
                actor=personas.chair,
                actors=actors,
                confidential_note=f"Notitie {NOTE}",
            )
        problem.refresh_from_db()
        return problem

    sensitive = report(
        Status.ACCEPTED,
        "drugsoverlast",
        f"Dealen bij {SECRET_TITLE}",
        confidential_details=f"Adres {CONFIDENTIAL}",
    )
    ordinary = report(Status.ACCEPTED, "zwerfvuil", "Afval bij de containers")
    on_behalf = report(
        Status.CANDIDATE,
        "verkeer",
        "Te hard rijden",
        reporter=None,
        reported_for=f"Mevrouw {FOR_NAME}",
        entered_by=personas.office,
        entered_by_role="office",
    )
    unmoderated = report(Status.NEW, "geluid", f"Lawaai {UNMODERATED}")
    problem_support(problem=ordinary, user=personas.second_resident)
    assert TimelineEntry.objects.filter(confidential_note__contains=NOTE).exists()
    return [sensitive, ordinary, on_behalf, unmoderated]


def urls_for(route: str, problems: list[Any], personas: Any) -> list[str]:
    """Concrete URLs for a route: every problem for <pk>, the real neighbourhood, and so on."""
    if re.search(r"<(?!slug:slug>|int:pk>|int:photo_id>|int:user_id>|str:token>)", route):
        return []  # a converter we cannot fill sensibly: nothing to fetch
    values = [{}] if "<int:pk>" not in route else [{"pk": p.pk} for p in problems]
    urls = []
    for value in values:
        url = route.replace("<slug:slug>", personas.hood.slug)
        url = url.replace("<int:pk>", str(value.get("pk", 1)))
        url = url.replace("<int:photo_id>", "1").replace("<str:token>", "not-a-token")
        url = url.replace("<int:user_id>", str(personas.resident.pk))
        urls.append("/" + url.lstrip("^").rstrip("$"))
    return urls


def allowed_markers(persona: str, url: str, personas: Any) -> set[str]:
    user = personas.by_name(persona)
    if user is None:
        return set()
    if can(user, Perm.VIEW_CONFIDENTIAL, personas.hood):
        return set(MARKERS)
    if MEMBER_PAGES.search(url) and can(user, Perm.VIEW_MEMBERS, personas.hood):
        return {REPORTER}
    return set()


PEOPLE = [
    "anonymous",
    "resident",
    "second_resident",
    "minute_taker",
    "chair",
    "wijkagent",
    "office",
    "coordinator",
    "outsider",
    "outsider_chair",
]


@pytest.mark.parametrize("persona", PEOPLE)
def test_markers_appear_only_where_the_permission_table_allows(planted, personas, login, persona):
    client = login(personas.by_name(persona))
    seen: dict[str, set[str]] = {}
    fetched = 0
    for route, _name in routes():
        for url in urls_for(route, planted, personas):
            response = client.get(url)
            assert response.status_code < 500, (persona, url)
            if response.status_code != 200 or response.get("Content-Type", "").startswith(
                "application/pdf"
            ):
                continue
            fetched += 1
            body = b"".join(response) if response.streaming else response.content
            text = body.decode(errors="replace")
            found = {m for m in MARKERS if m in text}
            leaked = found - allowed_markers(persona, url, personas)
            assert not leaked, f"{persona} sees {sorted(leaked)} on {url}"
            for marker in found:
                seen.setdefault(marker, set()).add(url)
    assert fetched > 10
    user = personas.by_name(persona)
    if user is not None and can(user, Perm.VIEW_CONFIDENTIAL, personas.hood):
        # The team does see them: proof that the test would notice a leak.
        assert set(seen) == set(MARKERS), (persona, seen)


def test_status_mails_carry_no_markers(planted, personas, django_capture_on_commit_callbacks):
    sensitive, ordinary, on_behalf, _unmoderated = planted
    for problem in (sensitive, ordinary, on_behalf):
        problem_support(problem=problem, user=personas.resident)
    mail.outbox.clear()
    chair = {"actor": personas.chair, "actors": {"chair"}}
    with django_capture_on_commit_callbacks(execute=True):
        problem_transition(
            problem=ordinary,
            move=Move.PARK,
            public_note="Wacht op de gemeente",
            confidential_note=f"Intern {NOTE}",
            **chair,
        )
        problem_transition(problem=sensitive, move=Move.NOMINATE, **chair)
        problem_transition(problem=on_behalf, move=Move.NOT_CHOSEN, **chair)
    assert len(mail.outbox) >= 3
    for message in mail.outbox:
        assert isinstance(message, EmailMultiAlternatives)
        parts = [
            str(message.subject),
            str(message.body),
            *(str(a[0]) for a in message.alternatives),
        ]
        text = "".join(parts)
        assert not [m for m in MARKERS if m in text], message.to
