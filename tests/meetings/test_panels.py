"""The panels of the agenda screen and the projector (meetings/room/views/panels.py): what
each shows
to the team and to the room, the honest empty state for kinds without a panel, nothing
confidential or personal on the projector, and queries that do not grow with the data."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from meetings import services as meeting_services
from meetings.planning.models import AgendaItem, Meeting
from meetings.room.models import Attendance
from meetings.room.panels import NO_PANEL, PANELS, PanelContext, panel_render_context
from problems.models import Problem
from problems.workflow import Status
from residents.models import Membership, Role, User
from tests.factories import insert_problem, link, make_meeting
from tests.support import item_of

Kind = AgendaItem.Kind
CONFIDENTIAL = "Qzconfidentialxq"
SECRET_TITLE = "Qzsecrettitlexq"
REPORTER = "Qzreporterxq"
ATTENDEE = "Qzattendeexq"
MARKERS = (CONFIDENTIAL, SECRET_TITLE, REPORTER, ATTENDEE)


def render_panel(item: AgendaItem, *, public: bool, team: bool = False, user: Any = None) -> str:
    request = RequestFactory().get("/")
    request.user = user or AnonymousUser()
    meeting = Meeting.objects.select_related("neighbourhood").get(pk=item.meeting_id)
    with translation.override("en"):
        context = panel_render_context(
            PanelContext(request=request, meeting=meeting, item=item, public=public, team=team)
        )
        return render_to_string(
            context["panel_template"], {"panel": context["panel"]}, request=request
        )


@pytest.fixture
def meeting(personas) -> Meeting:
    meeting = make_meeting(personas.hood, starts_at=timezone.now().replace(microsecond=0))
    return meeting_services.meeting_start(meeting=meeting)


@pytest.fixture
def planted(personas, meeting) -> Meeting:
    """Marker strings where the projector must never show them: a sensitive problem's real
    title, its confidential details and reporter, and the name of someone at the meeting."""
    reporter = User.objects.create(display_name=f"Bewoner {REPORTER}", email="q@example.nl")
    Membership.objects.create(user=reporter, neighbourhood=personas.hood, role=Role.RESIDENT)
    for status in (Status.ACCEPTED, Status.PRIORITY):
        problem = insert_problem(
            personas.hood,
            f"Dealen bij {SECRET_TITLE} {status}",
            status=status,
            category="drugsoverlast",
            sensitive=True,
            public_summary=f"Drugsoverlast {status}",
            description=f"Het gaat om {SECRET_TITLE}",
            location_detail=f"nummer 8 {SECRET_TITLE}",
            confidential_details=f"Namen {CONFIDENTIAL}",
            reporter=reporter,
            reported_for=f"Mevrouw {REPORTER}",
        )
        link(item_of(meeting, Kind.NEW_PROBLEMS), [problem])
    attendee = User.objects.create(display_name=f"Nieuw {ATTENDEE}", email="n@example.nl")
    Membership.objects.create(user=attendee, neighbourhood=personas.hood, role=Role.RESIDENT)
    meeting_services.attendance_record(meeting=meeting, by=personas.chair, user=attendee)
    make_meeting(personas.hood, starts_at=meeting.starts_at + timedelta(days=28))
    Meeting.objects.filter(starts_at__gt=meeting.starts_at).update(chair=reporter)
    return meeting


# --- The registry and the empty state --------------------------------------------------------


def test_the_panels_of_this_issue_are_registered_with_templates_that_exist():
    from django.template.loader import get_template

    for kind in (Kind.OPENING, Kind.STATE, Kind.NEW_PROBLEMS, Kind.CLOSING):
        assert kind in PANELS
        get_template(PANELS[kind].template)
    get_template(NO_PANEL)


def test_a_kind_without_a_panel_shows_an_honest_empty_state(meeting):
    # Every other kind has its panel (here, meetings/rounds/panels.py, meetings/actions/panels.py).
    assert Kind.ANY_OTHER not in PANELS
    item = item_of(meeting, Kind.ANY_OTHER)
    html = render_panel(item, public=False, team=True)
    assert "nothing extra to show" in html
    assert "notes and the decision below" in html
    # The room sees nothing about software that is still to come.
    assert render_panel(item, public=True).strip() == ""


# --- Nothing confidential or personal on the projector ----------------------------------------


@pytest.mark.parametrize("kind", [Kind.OPENING, Kind.STATE, Kind.NEW_PROBLEMS, Kind.CLOSING])
def test_the_projector_panels_show_no_marker(planted, kind):
    html = render_panel(item_of(planted, kind), public=True)
    for marker in MARKERS:
        assert marker not in html, (kind, marker)
    assert "<form" not in html


def test_the_projector_shows_public_summaries_of_sensitive_problems(planted):
    html = render_panel(item_of(planted, Kind.NEW_PROBLEMS), public=True)
    assert "Drugsoverlast accepted" in html and "Drugsoverlast priority" in html
    state = render_panel(item_of(planted, Kind.STATE), public=True)
    assert "Drugsoverlast priority" in state


def test_the_team_screen_names_newcomers_but_no_confidential_details(personas, planted):
    html = render_panel(item_of(planted, Kind.OPENING), public=False, team=True)
    assert ATTENDEE in html
    html = render_panel(item_of(planted, Kind.NEW_PROBLEMS), public=False, team=True)
    for marker in (CONFIDENTIAL, SECRET_TITLE, REPORTER):
        assert marker not in html


# --- What each panel shows -----------------------------------------------------------------------


def test_opening_counts_who_is_here_and_the_newcomers(personas, meeting):
    earlier = make_meeting(personas.hood, starts_at=meeting.starts_at - timedelta(days=28))
    Meeting.objects.filter(pk=earlier.pk).update(status=Meeting.Status.CLOSED)
    earlier.refresh_from_db()
    meeting_services.attendance_record(meeting=earlier, by=personas.chair, user=personas.resident)
    for user in (personas.resident, personas.second_resident):
        meeting_services.attendance_record(meeting=meeting, by=personas.chair, user=user)
    meeting_services.attendance_record(
        meeting=meeting, by=personas.chair, name="Sanne (GGD)", kind=Attendance.Kind.PROFESSIONAL
    )
    meeting_services.walk_ins_set(meeting=meeting, count=3)
    item = item_of(meeting, Kind.OPENING)
    public = render_panel(item, public=True)
    assert "6 people here so far" in public
    assert "1 of them is here for the first time" in public
    assert "Annie de Groot" not in public
    team = render_panel(item, public=False, team=True)
    assert "Residents: 2 · professionals: 1 · walk-ins without a name: 3" in team
    assert "Annie de Groot" in team and "Mohamed Bouzid" not in team  # only newcomers by name
    assert "does not want to be named in the minutes" in team


def test_state_counts_open_and_new_problems_and_lists_the_priorities(personas, meeting):
    earlier = make_meeting(personas.hood, starts_at=meeting.starts_at - timedelta(days=28))
    Meeting.objects.filter(pk=earlier.pk).update(status=Meeting.Status.CLOSED)
    old = insert_problem(personas.hood, "Oud probleem")
    Problem.objects.filter(pk=old.pk).update(accepted_at=earlier.starts_at - timedelta(days=2))
    insert_problem(personas.hood, "Nieuw probleem")
    insert_problem(personas.hood, "Kandidaat", status=Status.CANDIDATE)
    insert_problem(personas.hood, "Prioriteit scooters", status=Status.PRIORITY, support_count=9)
    insert_problem(personas.hood, "Opgelost", status=Status.RESOLVED)
    insert_problem(personas.hood, "Nog niet bekeken", status=Status.NEW)
    insert_problem(personas.other_hood, "Elders")
    html = render_panel(item_of(meeting, Kind.STATE), public=True)
    assert "<dt>Open problems</dt><dd>4</dd>" in html
    since = earlier.starts_at.astimezone(timezone.get_current_timezone())
    new = re.search(r"<dt>New since (\d+) [^<]*</dt><dd>(\d+)</dd>", html)
    assert new is not None
    # Accepted since the last meeting: new, candidate, priority and resolved (not the old one).
    assert (int(new.group(1)), int(new.group(2))) == (since.day, 4)
    assert "<dt>Current priorities</dt><dd>1</dd>" in html
    assert "Prioriteit scooters" in html and "9 residents" in html
    assert "Nog niet bekeken" not in html and "Elders" not in html


def test_new_problems_gives_the_team_support_and_history(personas, meeting):
    item = item_of(meeting, Kind.NEW_PROBLEMS)
    little = insert_problem(personas.hood, "Weinig steun", support_count=1, discussed_count=2)
    much = insert_problem(personas.hood, "Veel steun", support_count=12, reopened_count=1)
    link(item, [little, much])
    team = render_panel(item, public=False, team=True)
    assert team.index("Veel steun") < team.index("Weinig steun")  # most support first
    assert "discussed at 2 meetings" in team and "reopened 1 time" in team
    public = render_panel(item, public=True)
    assert "12 residents have this problem too" in public
    assert "discussed at" not in public
    assert "Beschrijving van Veel steun" in public


def test_new_problems_says_so_when_there_are_none(meeting):
    html = render_panel(item_of(meeting, Kind.NEW_PROBLEMS), public=True)
    assert "There are no new problems for this meeting" in html


def test_closing_shows_the_next_date_and_the_team_a_roles_form(personas, meeting):
    following = make_meeting(personas.hood, starts_at=meeting.starts_at + timedelta(days=28))
    meeting_services.meeting_roles_set(meeting=following, chair=personas.chair, minute_taker=None)
    item = item_of(meeting, Kind.CLOSING)
    with translation.override("en"):
        day = following.starts_at.astimezone(timezone.get_current_timezone()).strftime("%H:%M")
    public = render_panel(item, public=True)
    assert day in public and "Buurthuis De Linde" in public
    assert "Fatima" not in public and "<form" not in public
    team = render_panel(item, public=False, team=True, user=personas.chair)
    assert 'id="next-chair"' in team
    assert f'<option value="{personas.chair.pk}" selected>' in team
    assert personas.outsider.display_name not in team  # members of this neighbourhood only


def test_closing_without_a_next_meeting_says_so(meeting):
    html = render_panel(item_of(meeting, Kind.CLOSING), public=False, team=True)
    assert "No next meeting is planned yet" in html
    assert "<form" not in html
    assert "The date of the next meeting follows" in render_panel(
        item_of(meeting, Kind.CLOSING), public=True
    )


# --- Queries -----------------------------------------------------------------------------------


def fill(meeting: Meeting, personas: Any, n: int, tag: str) -> None:
    problems = [
        insert_problem(
            personas.hood,
            f"{tag} {i}",
            status=Status.PRIORITY if i % 2 else Status.ACCEPTED,
            sensitive=i % 3 == 0,
        )
        for i in range(n)
    ]
    link(item_of(meeting, Kind.NEW_PROBLEMS), problems)
    for i in range(n):
        meeting_services.attendance_record(
            meeting=meeting, by=personas.chair, name=f"{tag} gast {i}", kind="professional"
        )


@pytest.mark.parametrize("kind", [Kind.OPENING, Kind.STATE, Kind.NEW_PROBLEMS, Kind.CLOSING])
@pytest.mark.parametrize("public", [True, False])
def test_panel_queries_do_not_grow_with_the_data(personas, meeting, kind, public):
    make_meeting(personas.hood, starts_at=meeting.starts_at + timedelta(days=28))
    item = item_of(meeting, kind)
    fill(meeting, personas, 2, "a")
    with CaptureQueriesContext(connection) as small:
        render_panel(item, public=public, team=not public, user=personas.chair)
    fill(meeting, personas, 30, "b")
    with CaptureQueriesContext(connection) as large:
        html = render_panel(item, public=public, team=not public, user=personas.chair)
    # At most three for the panel, plus this helper's own read of the meeting.
    assert len(large.captured_queries) == len(small.captured_queries) <= 4
    if kind == Kind.NEW_PROBLEMS:
        assert "b 29" in html
