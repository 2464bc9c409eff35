"""The problem page's sections (problems.problem_sections) and the meetings app's section:
the meetings at which a problem is or was on the agenda (meetings.problem_sections)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from meetings.planning.models import AgendaItem, AgendaItemProblem, Meeting
from problems import problem_sections
from problems.models import Problem
from problems.workflow import Status
from residents.models import Neighbourhood

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
SECTION = re.compile(r'<section aria-labelledby="problem-meetings-title">.*?</section>', re.S)


def page_url(problem: Problem) -> str:
    return reverse("problem", args=[problem.neighbourhood.slug, problem.pk])


def meeting_url(meeting: Meeting) -> str:
    return reverse("planning:meeting", args=[meeting.neighbourhood.slug, meeting.pk])


def on_agenda(
    problem: Problem,
    starts_at: datetime,
    status: str = Meeting.Status.CLOSED,
    neighbourhood: Neighbourhood | None = None,
    **fields: Any,
) -> Meeting:
    """A meeting with `problem` linked under its new-problems item."""
    meeting = Meeting.objects.create(
        neighbourhood=neighbourhood or problem.neighbourhood,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=2),
        status=status,
        **fields,
    )
    item = AgendaItem.objects.create(meeting=meeting, position=1, kind=AgendaItem.Kind.NEW_PROBLEMS)
    AgendaItemProblem.objects.create(item=item, problem=problem)
    return meeting


def section_html(response) -> str:
    found = SECTION.search(response.content.decode())
    return found.group(0) if found else ""


# --- The registry -----------------------------------------------------------------------


@pytest.fixture
def empty_registry(monkeypatch) -> dict[str, Any]:
    registry: dict[str, Any] = {}
    monkeypatch.setattr(problem_sections, "SECTIONS", registry)
    return registry


def test_sections_come_in_order_then_by_name(empty_registry, rf, make_problem, personas):
    for name, order in (("late", 20), ("b_early", 10), ("a_early", 10)):
        problem_sections.problem_section(name, f"{name}.html", order=order)(
            lambda ctx, name=name: {"name": name, "problem": ctx.problem.pk}
        )
    problem = make_problem()
    request = rf.get("/")
    request.user = personas.resident
    rendered = problem_sections.problem_sections(request, problem, access=None)  # type: ignore[arg-type]
    assert [row["name"] for row in rendered] == ["a_early", "b_early", "late"]
    assert rendered[0]["template"] == "a_early.html"
    assert rendered[0]["context"] == {"name": "a_early", "problem": problem.pk}


def test_a_name_is_registered_once(empty_registry):
    problem_sections.problem_section("twice", "one.html", order=10)(lambda ctx: {})
    with pytest.raises(ValueError, match="twice"):
        problem_sections.problem_section("twice", "two.html", order=20)(lambda ctx: {})
    assert empty_registry["twice"].template == "one.html"


def test_the_meetings_app_registers_its_section():
    # problems imports no meetings: the section is there through MeetingsConfig.ready().
    assert problem_sections.SECTIONS["meetings"].template == "meetings/problem_meetings.html"


# --- The meetings section ---------------------------------------------------------------


def test_public_meetings_are_listed_newest_first_with_links(client, make_problem, english_pages):
    problem = make_problem()
    closed = on_agenda(problem, datetime(2026, 6, 9, 19, 30, tzinfo=AMSTERDAM))
    minutes = on_agenda(
        problem, datetime(2026, 9, 8, 19, 30, tzinfo=AMSTERDAM), Meeting.Status.MINUTES_PUBLISHED
    )
    published = on_agenda(
        problem, datetime(2027, 1, 12, 19, 30, tzinfo=AMSTERDAM), Meeting.Status.AGENDA_PUBLISHED
    )
    html = section_html(client.get(page_url(problem)))
    assert "On the agenda of the neighbourhood meeting" in html
    links = re.findall(r'href="([^"]+)"', html)
    assert links == [meeting_url(published), meeting_url(minutes), meeting_url(closed)]
    assert "To be discussed on Tuesday 12 January 2027" in html
    assert "Discussed on Tuesday 8 September 2026" in html
    assert "Discussed on Tuesday 9 June 2026" in html


def test_the_date_is_in_the_readers_language(client, make_problem):
    problem = make_problem()
    on_agenda(
        problem, datetime(2027, 1, 12, 19, 30, tzinfo=AMSTERDAM), Meeting.Status.AGENDA_PUBLISHED
    )
    assert "dinsdag 12 januari 2027" in section_html(client.get(page_url(problem)))


def test_drafts_cancelled_and_other_neighbourhoods_meetings_are_not_shown(
    client, personas, make_problem, english_pages
):
    problem = make_problem()
    at = datetime(2026, 6, 9, 19, 30, tzinfo=AMSTERDAM)
    hidden = [
        on_agenda(problem, at, Meeting.Status.PLANNED),
        on_agenda(problem, at, Meeting.Status.CANCELLED),
        on_agenda(problem, at, Meeting.Status.CLOSED, neighbourhood=personas.other_hood),
    ]
    response = client.get(page_url(problem))
    # Nothing public to show: no empty heading either.
    assert section_html(response) == ""
    assert "On the agenda of the neighbourhood meeting" not in response.content.decode()
    shown = on_agenda(problem, at + timedelta(days=28))
    html = section_html(client.get(page_url(problem)))
    assert re.findall(r'href="([^"]+)"', html) == [meeting_url(shown)]
    for meeting in hidden:
        assert f"/{meeting.pk}/" not in html


def test_a_problem_never_on_an_agenda_shows_nothing(client, make_problem, english_pages):
    problem = make_problem()
    other = make_problem(title="Iets anders")
    on_agenda(other, datetime(2026, 6, 9, 19, 30, tzinfo=AMSTERDAM))
    response = client.get(page_url(problem))
    assert response.status_code == 200
    assert "On the agenda of the neighbourhood meeting" not in response.content.decode()


def test_at_most_five_newest_first(client, make_problem, english_pages):
    problem = make_problem()
    first = datetime(2026, 1, 13, 19, 30, tzinfo=AMSTERDAM)
    meetings = [on_agenda(problem, first + timedelta(weeks=4 * n)) for n in range(7)]
    links = re.findall(r'href="([^"]+)"', section_html(client.get(page_url(problem))))
    assert links == [meeting_url(m) for m in reversed(meetings[2:])]


@pytest.mark.parametrize("persona", ["anonymous", "second_resident", "chair"])
def test_a_sensitive_problems_section_shows_dates_and_links_only(
    login, personas, make_problem, english_pages, persona
):
    problem = make_problem(
        Status.ACCEPTED,
        category="drugsoverlast",
        title="Handel bij Marshalllaan 12",
        reporter_name_public=True,
    )
    assert problem.sensitive
    meeting = on_agenda(
        problem, datetime(2026, 6, 9, 19, 30, tzinfo=AMSTERDAM), chair=personas.chair
    )
    html = section_html(login(personas.by_name(persona)).get(page_url(problem)))
    assert meeting_url(meeting) in html
    for secret in ("Handel", "Marshalllaan", personas.resident.display_name,
                   personas.chair.display_name):  # fmt: skip
        assert secret not in html


@pytest.mark.parametrize("persona", ["anonymous", "second_resident", "chair"])
def test_the_page_does_not_grow_with_the_meetings(
    login, personas, make_problem, django_assert_num_queries, english_pages, persona
):
    small, large = make_problem(title="Klein"), make_problem(title="Groot")
    first = datetime(2026, 1, 13, 19, 30, tzinfo=AMSTERDAM)
    on_agenda(small, first)
    for n in range(8):
        on_agenda(large, first + timedelta(weeks=4 * n))
    client = login(personas.by_name(persona))
    client.get(page_url(small))  # the second-factor check is stored in the session
    with CaptureQueriesContext(connection) as counted:
        client.get(page_url(small))
    with django_assert_num_queries(len(counted)):
        response = client.get(page_url(large))
    assert section_html(response).count("<li>") == 5


def test_the_section_is_one_query(rf, personas, make_problem, django_assert_num_queries):
    from meetings.problem_sections import problem_meetings
    from problems.access import access_in

    problem = make_problem()
    for n in range(4):
        on_agenda(problem, datetime(2026, 1, 13, 19, 30, tzinfo=AMSTERDAM) + timedelta(weeks=n))
    request = rf.get("/")
    request.user = personas.resident
    access = access_in(personas.resident, problem.neighbourhood)
    ctx = problem_sections.ProblemSectionContext(request=request, problem=problem, access=access)
    with django_assert_num_queries(1):
        shown = problem_meetings(ctx)["problem_meetings"]
    assert len(shown) == 4
    assert not any(row.upcoming for row in shown)
