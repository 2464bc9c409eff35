"""The agenda screen's Aanpak and Terugkoppeling panels (meetings/actions/panels.py) and their
forms (meetings/actions/views/panel.py): what each shows to whoever runs the meeting and to the
room, agreeing an action inline (errors at the form, nothing half-saved, one action for a double
click), the analysis, the room's judgement and resolving a priority, the projector following
every write, the report-back list across two meetings, permission boundaries for every POST,
nothing personal or confidential on the projector, and queries that do not grow with the data."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from allauth.account.internal.flows.login import record_authentication
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection
from django.http import HttpResponse
from django.template.loader import get_template, render_to_string
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import include, path, reverse
from django.utils import timezone, translation

from meetings import services as meeting_services
from meetings.access import access_to
from meetings.actions import report_back
from meetings.actions import services as action_services
from meetings.actions.models import Action, ActionStatus, ActionUpdate, Analysis, Judgement
from meetings.actions.panels import APPROACH_TEMPLATE, REPORT_BACK_TEMPLATE
from meetings.planning.models import AgendaItem, Meeting
from meetings.room.panels import PANELS, PanelContext, panel_render_context
from problems.models import Problem, TimelineEntry
from problems.workflow import Move, Status
from residents.models import Membership, Role, User
from tests.conftest import PERSONA_NAMES, assert_status, make_person
from tests.factories import insert_problem, link, make_meeting
from tests.support import item_of, view_name

Kind = AgendaItem.Kind
AS = ActionStatus
RUNNERS = {"chair", "minute_taker", "coordinator"}
# Strings the projector must never show.
OWNER = "Qzownerxq"  # a named owner (a person)
CONTACT = "Qzcontactxq"  # the community contact person (a resident)
SECRET = "Qzsecretxq"  # a sensitive problem's real title and its analysis
CONFIDENTIAL = "Qzconfidentialxq"  # confidential details
RECORDER = "Qzrecorderxq"  # whoever recorded a judgement or agreed an action
MARKERS = (OWNER, CONTACT, SECRET, CONFIDENTIAL, RECORDER)


def _edit_stand_in(request: Any, slug: str, pk: int) -> HttpResponse:
    return HttpResponse("edit")


# This module is also a URLconf: the action's edit page (built elsewhere) with a stand-in, so
# that the "adjust" link can be tested whether that page is there yet or not.
urlpatterns = [
    path("", include("buurtoverleg.urls")),
    path("buurt/<slug:slug>/acties/<int:pk>/wijzigen/", _edit_stand_in, name="action_edit"),
]


@pytest.fixture
def with_edit_page(settings) -> None:
    settings.ROOT_URLCONF = __name__


# --- Helpers -----------------------------------------------------------------------------------


def today() -> Any:
    return timezone.localdate()


def agree(problem: Problem, actor: User, **fields: Any) -> Action:
    values: dict[str, Any] = {
        "outcome": "De glasbak wordt twee keer per week geleegd",
        "due_date": today() + timedelta(days=14),
        "owner_organisation": None,
        "role": "chair",
    }
    values.update(fields)
    return action_services.action_create(problem=problem, actor=actor, **values)


def agree_before(tonight: Meeting, problem: Problem, actor: User, **fields: Any) -> Action:
    """An action agreed a week before tonight's meeting (its report back lists only those)."""
    with time_machine.travel(tonight.starts_at - timedelta(days=7), tick=False):
        return agree(problem, actor, **fields)


def live_at(meeting: Meeting, kind: str) -> AgendaItem:
    item = item_of(meeting, kind)
    meeting_services.meeting_go_to(meeting=meeting, item=item)
    return item


def version_of(meeting: Meeting) -> int:
    return Meeting.objects.values_list("version", flat=True).get(pk=meeting.pk)


def render_panel(
    meeting: Meeting, kind: str, *, public: bool, user: Any = None, second_factor: bool = True
) -> str:
    """The panel as the projector (public) or the agenda screen of `user` renders it; the
    session passed the second factor at login, as the team's do, unless told otherwise."""
    request = RequestFactory().get("/")
    request.user = user or AnonymousUser()
    request.session = SessionStore()
    if second_factor and user is not None:
        record_authentication(request, user, "mfa", type="totp")
    meeting = Meeting.objects.select_related("neighbourhood").get(pk=meeting.pk)
    item = item_of(meeting, kind)
    team = access_to(request.user, meeting).team
    with translation.override("en"):
        context = panel_render_context(
            PanelContext(request=request, meeting=meeting, item=item, public=public, team=team)
        )
        return render_to_string(
            context["panel_template"], {"panel": context["panel"]}, request=request
        )


def post_url(name: str, meeting: Meeting, kind: str, pk: int) -> str:
    item = item_of(meeting, kind)
    return reverse(view_name(name), args=[meeting.neighbourhood.slug, meeting.pk, item.pk, pk])


def screen_url(meeting: Meeting) -> str:
    return reverse("room:meeting_screen", args=[meeting.neighbourhood.slug, meeting.pk])


def projector_url(meeting: Meeting) -> str:
    return reverse("room:projector", args=[meeting.projector_key])


def action_data(personas: Any, **extra: Any) -> dict[str, Any]:
    data = {
        "outcome": "Handhaving controleert de glasbak elke maandag",
        "owner_organisation": str(personas.police.pk),
        "owner_person": str(personas.wijkagent.pk),
        "contact_person": str(personas.resident.pk),
        "due_date": (today() + timedelta(days=21)).isoformat(),
        "volunteers_needed": "0",
    }
    data.update(extra)
    return data


# --- Fixtures ----------------------------------------------------------------------------------


@pytest.fixture
def meeting(personas) -> Meeting:
    meeting = make_meeting(personas.hood, starts_at=timezone.now().replace(microsecond=0))
    return meeting_services.meeting_start(meeting=meeting)


@pytest.fixture
def priority(personas) -> Problem:
    return insert_problem(
        personas.hood, "Zwerfvuil bij de glasbak", status=Status.PRIORITY, support_count=7
    )


@pytest.fixture
def earlier(personas, meeting) -> Meeting:
    """The previous meeting, four weeks ago and closed."""
    before = make_meeting(personas.hood, starts_at=meeting.starts_at - timedelta(days=28))
    Meeting.objects.filter(pk=before.pk).update(
        status=Meeting.Status.CLOSED, started_at=before.starts_at
    )
    before.refresh_from_db()
    return before


# --- Registration ------------------------------------------------------------------------------


def test_both_panels_are_registered_with_templates_that_exist():
    assert PANELS[Kind.APPROACH].template == APPROACH_TEMPLATE
    assert PANELS[Kind.REPORT_BACK].template == REPORT_BACK_TEMPLATE
    for kind in (Kind.APPROACH, Kind.REPORT_BACK):
        get_template(PANELS[kind].template)


# --- Aanpak: what it shows ---------------------------------------------------------------------


def test_approach_lists_the_priorities_and_the_problems_picked_under_the_item(
    personas, meeting, priority
):
    picked = insert_problem(personas.hood, "Scooters op de stoep")
    insert_problem(personas.hood, "Niet gekozen, niet op dit punt")
    insert_problem(personas.hood, "Nog niet bekeken", status=Status.NEW)
    insert_problem(personas.other_hood, "Prioriteit elders", status=Status.PRIORITY)
    link(item_of(meeting, Kind.APPROACH), [picked])
    html = render_panel(meeting, Kind.APPROACH, public=False, user=personas.chair)
    assert html.index("Zwerfvuil bij de glasbak") < html.index("Scooters op de stoep")
    for absent in ("Niet gekozen", "Nog niet bekeken", "Prioriteit elders"):
        assert absent not in html
    assert f'id="new-action-{priority.pk}-save"' in html
    assert f'id="new-action-{picked.pk}-save"' in html


def test_approach_shows_tonights_actions_apart_from_the_other_open_ones(
    personas, meeting, earlier, priority
):
    agree(priority, personas.chair, outcome="Eerder afgesproken actie", meeting=earlier)
    done = agree(priority, personas.chair, outcome="Al klaar eerder")
    action_services.action_status_set(
        action=done, actor=personas.chair, role="chair", status="done"
    )
    agree(
        priority,
        personas.chair,
        outcome="Vanavond afgesproken actie",
        meeting=meeting,
        owner_organisation=personas.police,
        owner_person=personas.wijkagent,
        contact_person=personas.resident,
    )
    html = render_panel(meeting, Kind.APPROACH, public=False, user=personas.chair)
    tonight = html.index("Agreed at this meeting")
    others = html.index("Other open actions")
    assert tonight < html.index("Vanavond afgesproken actie") < others
    assert others < html.index("Eerder afgesproken actie")
    assert "Al klaar eerder" not in html
    assert "Politie Midden-Nederland (Kees de Vries)" in html
    assert "contact person: Mohamed Bouzid" in html


def test_the_projector_shows_the_priorities_public_analysis_and_tonights_actions(
    personas, meeting, earlier, priority
):
    action_services.analysis_save(
        problem=priority,
        actor=personas.chair,
        location="Bij de glasbak, maandagochtend",
        victims="De buren",
        offenders="Mensen van buiten de buurt",
    )
    agree(
        priority,
        personas.chair,
        outcome="Camera bij de glasbak",
        meeting=meeting,
        owner_organisation=personas.police,
        due_date=today() + timedelta(days=30),
    )
    agree(priority, personas.chair, outcome="Van een eerder overleg", meeting=earlier)
    html = render_panel(meeting, Kind.APPROACH, public=True)
    assert "Zwerfvuil bij de glasbak" in html
    assert "Bij de glasbak, maandagochtend" in html and "Mensen van buiten de buurt" in html
    assert "Camera bij de glasbak" in html and "Politie Midden-Nederland" in html
    with translation.override("en"):
        due = (today() + timedelta(days=30)).strftime("%-d %B %Y")
    assert due in html
    assert "Van een eerder overleg" not in html
    assert "<form" not in html


def test_a_sensitive_problems_analysis_stays_with_the_team(personas, meeting):
    sensitive = insert_problem(
        personas.hood,
        f"Dealen bij {SECRET}",
        status=Status.PRIORITY,
        category="drugsoverlast",
        sensitive=True,
        public_summary="Drugsoverlast bij het park",
        confidential_details=f"Adres {CONFIDENTIAL}",
    )
    action_services.analysis_save(
        problem=sensitive,
        actor=personas.chair,
        location=f"Achter {SECRET}",
        victims="Kinderen",
        offenders="Dealers",
    )
    public = render_panel(meeting, Kind.APPROACH, public=True)
    assert "Drugsoverlast bij het park" in public
    assert SECRET not in public and "Dealers" not in public and CONFIDENTIAL not in public
    team = render_panel(meeting, Kind.APPROACH, public=False, user=personas.chair)
    assert f"Achter {SECRET}" in team  # the analysis, for the team
    # Not before this session passed the second factor (say, promoted during the meeting).
    unproven = render_panel(
        meeting, Kind.APPROACH, public=False, user=personas.chair, second_factor=False
    )
    assert SECRET not in unproven and "Dealers" not in unproven
    assert f"Dealen bij {SECRET}" not in team  # titles are public titles everywhere
    # The minute-taker (a resident) runs the meeting but is not the team.
    runner = render_panel(meeting, Kind.APPROACH, public=False, user=personas.minute_taker)
    assert "for the team only" in runner
    assert SECRET not in runner and "Dealers" not in runner
    assert f'id="analysis-{sensitive.pk}-save"' not in runner
    assert f'id="new-action-{sensitive.pk}-save"' in runner


def test_without_priorities_the_approach_says_what_to_do(meeting, personas):
    html = render_panel(meeting, Kind.APPROACH, public=False, user=personas.chair)
    assert "There are no priorities yet" in html
    assert "There are no priorities to plan actions for" in render_panel(
        meeting, Kind.APPROACH, public=True
    )


# --- Aanpak: agreeing an action ----------------------------------------------------------------


def test_the_chair_agrees_an_action_and_goes_back_to_the_screen(
    as_persona, personas, meeting, priority
):
    before = version_of(meeting)
    url = post_url("approach_action_create", meeting, Kind.APPROACH, priority.pk)
    response = as_persona("chair").post(url, action_data(personas))
    assert response.status_code == 302
    assert response.url == f"{screen_url(meeting)}#approach-{priority.pk}"
    action = Action.objects.get()
    assert (action.problem, action.meeting, action.status) == (priority, meeting, AS.OPEN)
    assert action.owner_organisation == personas.police
    assert action.owner_person == personas.wijkagent
    assert action.contact_person == personas.resident
    assert action.first_due_date == action.due_date == today() + timedelta(days=21)
    agreed = ActionUpdate.objects.get(action=action)
    assert (agreed.kind, agreed.author_role, agreed.meeting) == (
        "agreed",
        "meeting_decision",
        meeting,
    )
    assert version_of(meeting) == before + 1  # the projector's poll sees it


def test_a_double_click_agrees_one_action(as_persona, personas, meeting, priority):
    client = as_persona("chair")
    url = post_url("approach_action_create", meeting, Kind.APPROACH, priority.pk)
    for _ in range(2):
        assert client.post(url, action_data(personas)).status_code == 302
    assert Action.objects.count() == 1


def test_with_htmx_the_panel_comes_back_with_the_new_action(
    as_persona, personas, meeting, priority
):
    live_at(meeting, Kind.APPROACH)
    url = post_url("approach_action_create", meeting, Kind.APPROACH, priority.pk)
    response = as_persona("chair").post(url, action_data(personas), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="approach-panel"')
    assert "<html" not in html
    assert "Handhaving controleert de glasbak elke maandag" in html
    assert "Action agreed" in html


def test_a_residents_action_can_ask_for_volunteers(as_persona, personas, meeting, priority):
    url = post_url("approach_action_create", meeting, Kind.APPROACH, priority.pk)
    data = action_data(
        personas,
        owner_organisation="residents",
        owner_person="",
        contact_person=str(personas.second_resident.pk),
        volunteers_needed="4",
        outcome="Vier bewoners ruimen zaterdag het pleintje op",
    )
    assert as_persona("chair").post(url, data).status_code == 302
    action = Action.objects.get()
    assert action.owner_organisation is None and action.volunteers_needed == 4
    assert action.status == AS.WAITING


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"outcome": ""}, "outcome", "Say what exactly is to be achieved."),
        ({"outcome": "Aandacht voor zwerfvuil"}, "outcome", "a result that can be checked"),
        ({"due_date": "2001-01-01"}, "due_date", "The due date cannot be in the past."),
        ({"due_date": "morgen"}, "due_date", "Fill in a date like 31-12-2025."),
        ({"owner_organisation": ""}, "owner_organisation", "Choose who owns the action."),
        ({"owner_organisation": "99999"}, "owner_organisation", "Choose an owner from the list."),
        # The wijkagent works for the police, not for the housing corporation.
        ({"owner_organisation": "housing"}, "owner_person", "for the owner organisation"),
        ({"contact_person": "wijkagent"}, "contact_person", "Choose a resident from the list."),
        ({"volunteers_needed": "3"}, "volunteers_needed", "Only an action of the residents"),
        ({"volunteers_needed": "120"}, "volunteers_needed", "At most 99 volunteers."),
    ],
)
def test_a_refused_action_shows_the_error_at_the_field_and_saves_nothing(
    as_persona, personas, meeting, priority, change, field, message
):
    live_at(meeting, Kind.APPROACH)
    named = {"housing": str(personas.housing.pk), "wijkagent": str(personas.wijkagent.pk)}
    change = {key: named.get(value, value) for key, value in change.items()}
    before = version_of(meeting)
    url = post_url("approach_action_create", meeting, Kind.APPROACH, priority.pk)
    client = as_persona("chair")
    # Without JavaScript: the agenda screen again, the error at the form.
    response = client.post(url, action_data(personas, **change))
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="current-item"' in html and message in html
    assert f'id="new-action-{priority.pk}-{field}_error"' in html
    assert "Nothing was saved" in html
    # With htmx: the panel, with the same error.
    response = client.post(url, action_data(personas, **change), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Action.objects.exists() and not ActionUpdate.objects.exists()
    assert version_of(meeting) == before


def test_a_refused_action_while_another_item_is_current_is_a_message(
    as_persona, personas, meeting, priority
):
    live_at(meeting, Kind.CLOSING)
    url = post_url("approach_action_create", meeting, Kind.APPROACH, priority.pk)
    client = as_persona("chair")
    response = client.post(url, action_data(personas, outcome=""), follow=True)
    assert "Say what exactly is to be achieved." in response.content.decode()
    assert not Action.objects.exists()


def test_no_action_for_a_closed_problem(as_persona, personas, meeting):
    resolved = insert_problem(personas.hood, "Al opgelost", status=Status.RESOLVED)
    url = post_url("approach_action_create", meeting, Kind.APPROACH, resolved.pk)
    response = as_persona("chair").post(url, action_data(personas), follow=True)
    assert "only for accepted, open problems" in response.content.decode()
    assert not Action.objects.exists()


def test_no_action_for_a_problem_that_is_not_public_or_elsewhere(as_persona, personas, meeting):
    fresh = insert_problem(personas.hood, "Nieuwe melding", status=Status.NEW)
    elsewhere = insert_problem(personas.other_hood, "Elders", status=Status.PRIORITY)
    client = as_persona("chair")
    for problem in (fresh, elsewhere):
        url = post_url("approach_action_create", meeting, Kind.APPROACH, problem.pk)
        assert client.post(url, action_data(personas)).status_code == 404
    assert not Action.objects.exists()


def test_a_cancelled_meeting_records_nothing(as_persona, personas, priority):
    planned = make_meeting(personas.hood, starts_at=timezone.now() + timedelta(days=3))
    meeting_services.meeting_cancel(meeting=planned, reason="Zaal dicht", by=personas.chair)
    url = post_url("approach_action_create", planned, Kind.APPROACH, priority.pk)
    response = as_persona("chair").post(url, action_data(personas), follow=True)
    assert "was cancelled" in response.content.decode()
    assert not Action.objects.exists()


# --- Aanpak: the analysis ----------------------------------------------------------------------


def test_the_runner_saves_the_analysis_inline(as_persona, personas, meeting, priority):
    live_at(meeting, Kind.APPROACH)
    before = version_of(meeting)
    url = post_url("approach_analysis_save", meeting, Kind.APPROACH, priority.pk)
    data = {"location": "Maandagochtend", "victims": "Buren", "offenders": "Bezoekers"}
    response = as_persona("minute_taker").post(url, data, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Maandagochtend" in html and "The analysis of" in html
    analysis = Analysis.objects.get(problem=priority)
    assert (analysis.location, analysis.victims, analysis.offenders) == (
        "Maandagochtend",
        "Buren",
        "Bezoekers",
    )
    assert analysis.meeting == meeting and analysis.updated_by == personas.minute_taker
    assert version_of(meeting) == before + 1
    response = as_persona("chair").post(url, {**data, "victims": "Iedereen"})
    assert response.status_code == 302
    assert Analysis.objects.get(problem=priority).victims == "Iedereen"


def test_a_too_long_analysis_is_refused(as_persona, meeting, priority):
    live_at(meeting, Kind.APPROACH)
    url = post_url("approach_analysis_save", meeting, Kind.APPROACH, priority.pk)
    response = as_persona("chair").post(url, {"location": "x" * 2001})
    assert response.status_code == 400
    assert "at most 2000 characters" in response.content.decode()
    assert not Analysis.objects.exists()


def test_only_the_team_saves_a_sensitive_problems_analysis(as_persona, personas, meeting):
    sensitive = insert_problem(
        personas.hood, "Dealen", status=Status.PRIORITY, category="drugsoverlast", sensitive=True
    )
    url = post_url("approach_analysis_save", meeting, Kind.APPROACH, sensitive.pk)
    data = {"location": "Park", "victims": "", "offenders": ""}
    assert as_persona("minute_taker").post(url, data).status_code == 403
    assert not Analysis.objects.exists()
    assert as_persona("chair").post(url, data).status_code == 302
    assert Analysis.objects.get().location == "Park"


# --- Terugkoppeling: the list across two meetings ----------------------------------------------


@pytest.fixture
def two_meetings(personas, priority) -> dict[str, Any]:
    """Meeting 1 six weeks ago, meeting 2 now. Actions of every kind in between."""
    now = timezone.now().replace(microsecond=0)
    first_at = now - timedelta(days=42)
    chair = personas.chair
    with time_machine.travel(first_at - timedelta(days=3), tick=False):
        old_done = agree(priority, chair, outcome="Klaar voor overleg 1, daarna niets")
        action_services.action_status_set(action=old_done, actor=chair, role="chair", status="done")
        old_cancelled = agree(priority, chair, outcome="Geschrapt voor overleg 1")
        action_services.action_status_set(
            action=old_cancelled, actor=chair, role="chair", status="cancelled", reason="Dubbel"
        )
        changed = agree(priority, chair, outcome="Klaar voor overleg 1, daarna heropend")
        action_services.action_status_set(action=changed, actor=chair, role="chair", status="done")
    first = make_meeting(personas.hood, starts_at=first_at)
    with time_machine.travel(first_at + timedelta(minutes=5), tick=False):
        first = meeting_services.meeting_start(meeting=first)
        open_one = agree(
            priority,
            chair,
            outcome="Afgesproken op overleg 1",
            meeting=first,
            owner_organisation=personas.police,
            owner_person=personas.wijkagent,
            contact_person=personas.resident,
            due_date=(first_at + timedelta(days=14)).date(),
        )
        meeting_services.meeting_close(meeting=first)
    with time_machine.travel(first_at + timedelta(days=10), tick=False):
        action_services.action_progress_post(
            action=open_one,
            actor=personas.wijkagent,
            role="professional",
            text="Gesprek met de gemeente gehad",
        )
        action_services.action_status_set(action=changed, actor=chair, role="chair", status="open")
    with time_machine.travel(first_at + timedelta(days=20), tick=False):
        action_services.action_delay_note(
            action=open_one,
            actor=personas.wijkagent,
            role="professional",
            text="De leverancier is te laat",
        )
    second = make_meeting(personas.hood, starts_at=now)
    second = meeting_services.meeting_start(meeting=second)
    tonight = agree(priority, chair, outcome="Afgesproken op overleg 2", meeting=second)
    return {
        "first": first,
        "second": second,
        "open": open_one,
        "old_done": old_done,
        "old_cancelled": old_cancelled,
        "changed": changed,
        "tonight": tonight,
    }


def test_the_report_back_lists_open_and_changed_actions_not_tonights(two_meetings):
    m = two_meetings
    listed = set(
        Action.objects.filter(
            report_back.report_back_q(m["second"], report_back.report_back_since(m["second"]))
        ).values_list("pk", flat=True)
    )
    assert listed == {m["open"].pk, m["changed"].pk}
    for public in (True, False):
        html = render_panel(m["second"], Kind.REPORT_BACK, public=public, user=None)
        assert "Afgesproken op overleg 1" in html
        assert "Klaar voor overleg 1, daarna heropend" in html
        assert "Klaar voor overleg 1, daarna niets" not in html
        assert "Geschrapt voor overleg 1" not in html
        assert "Afgesproken op overleg 2" not in html


def test_the_report_back_shows_progress_delay_and_overdue(personas, two_meetings):
    m = two_meetings
    html = render_panel(m["second"], Kind.REPORT_BACK, public=False, user=personas.chair)
    assert "Gesprek met de gemeente gehad" not in html  # the delay note came later
    assert "Why it is late:</strong>" in html and "De leverancier is te laat</p>" in html
    assert "Politie Midden-Nederland" in html
    assert "action-status--overdue" in html and "Overdue" in html
    assert "contact person: Mohamed Bouzid" in html
    assert "2 actions still to be done or changed since the previous meeting" in html
    assert html.count("De leverancier is te laat") == 1  # the delay note is the latest news
    assert "No progress reported yet." in html  # the other one: status changes only
    action_services.action_progress_post(
        action=m["open"], actor=personas.wijkagent, role="professional", text="Camera besteld"
    )
    html = render_panel(m["second"], Kind.REPORT_BACK, public=True)
    latest = html[html.index('class="action-latest"') :]
    assert "Politie Midden-Nederland:" in latest[:400] and "Camera besteld" in latest[:400]
    assert "Why it is late:" in html


def test_an_action_shows_its_first_date_when_it_moved(personas, meeting, earlier, priority):
    action = agree_before(meeting, priority, personas.chair, meeting=earlier)
    action_services.action_due_date_move(
        action=action,
        actor=personas.chair,
        role="chair",
        due_date=today() + timedelta(days=40),
        reason="Vakantie",
    )
    for public in (True, False):
        html = render_panel(meeting, Kind.REPORT_BACK, public=public, user=personas.chair)
        with translation.override("en"):
            first = action.first_due_date.strftime("%-d %B %Y")
            moved = (today() + timedelta(days=40)).strftime("%-d %B %Y")
        assert f"first agreed: {first}" in html
        assert f"the due date moved to {moved}" in html and "Vakantie" in html


def test_the_first_meeting_reports_back_every_open_action(personas, meeting, priority):
    with time_machine.travel(timezone.now() - timedelta(days=2)):
        agree(priority, personas.chair, outcome="Nog te doen")
        done = agree(priority, personas.chair, outcome="Al gedaan")
        action_services.action_status_set(
            action=done, actor=personas.chair, role="chair", status="done"
        )
    html = render_panel(meeting, Kind.REPORT_BACK, public=False, user=personas.chair)
    assert "Nog te doen" in html and "Al gedaan" not in html
    assert "1 action still to be done." in html


def test_without_actions_the_report_back_says_so(meeting, personas):
    html = render_panel(meeting, Kind.REPORT_BACK, public=False, user=personas.chair)
    assert "There are no actions to report back on and no priorities" in html
    assert "There are no actions to report back on." in render_panel(
        meeting, Kind.REPORT_BACK, public=True
    )


# --- Terugkoppeling: the judgement -------------------------------------------------------------


def test_the_chair_records_the_rooms_judgement(as_persona, personas, two_meetings):
    m = two_meetings
    second, action = m["second"], m["open"]
    live_at(second, Kind.REPORT_BACK)
    before = version_of(second)
    url = post_url("report_back_judgement", second, Kind.REPORT_BACK, action.pk)
    data = {"effect": "better", "verdict": "continue", "note": "De buren merken het"}
    response = as_persona("chair").post(url, data, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="report-back-panel"')
    assert "The meeting&#x27;s judgement:" in html or "The meeting's judgement:" in html
    assert "De buren merken het" in html
    judgement = Judgement.objects.get()
    assert (judgement.action, judgement.meeting, judgement.effect, judgement.verdict) == (
        action,
        second,
        "better",
        "continue",
    )
    assert version_of(second) == before + 1
    # Recorded again (changed its mind, or a double click): still one judgement.
    data["effect"] = "same"
    assert as_persona("chair").post(url, data).status_code == 302
    assert Judgement.objects.get().effect == "same"


def test_closing_an_action_marks_it_done(as_persona, two_meetings):
    m = two_meetings
    url = post_url("report_back_judgement", m["second"], Kind.REPORT_BACK, m["open"].pk)
    response = as_persona("coordinator").post(url, {"effect": "better", "verdict": "close"})
    assert response.status_code == 302
    m["open"].refresh_from_db()
    assert m["open"].status == AS.DONE


def test_adjust_links_to_the_actions_edit_page(as_persona, with_edit_page, two_meetings):
    m = two_meetings
    action = m["open"]
    url = post_url("report_back_judgement", m["second"], Kind.REPORT_BACK, action.pk)
    live_at(m["second"], Kind.REPORT_BACK)
    response = as_persona("chair").post(
        url, {"effect": "worse", "verdict": "adjust"}, HTTP_HX_REQUEST="true"
    )
    edit = reverse("actions:action_edit", args=[action.neighbourhood.slug, action.pk])
    assert f'href="{edit}" id="adjust-{action.pk}"' in response.content.decode()


def test_without_the_edit_page_adjust_still_works(as_persona, two_meetings, monkeypatch):
    from meetings.actions import panels as action_panels

    real = action_panels.maybe_url
    monkeypatch.setattr(
        action_panels,
        "maybe_url",
        lambda name, *args: "" if name == "actions:action_edit" else real(name, *args),
    )
    m = two_meetings
    url = post_url("report_back_judgement", m["second"], Kind.REPORT_BACK, m["open"].pk)
    live_at(m["second"], Kind.REPORT_BACK)
    response = as_persona("chair").post(
        url, {"effect": "worse", "verdict": "adjust"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert f'id="adjust-{m["open"].pk}"' not in response.content.decode()
    assert Judgement.objects.get().verdict == "adjust"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"verdict": "continue"}, "Choose better, the same or worse."),
        ({"effect": "better", "verdict": "maybe"}, "Choose continue, adjust or close."),
        ({"effect": "better", "verdict": "close", "note": "x" * 501}, "at most 500 characters"),
    ],
)
def test_a_refused_judgement_saves_nothing(as_persona, two_meetings, data, message):
    m = two_meetings
    live_at(m["second"], Kind.REPORT_BACK)
    url = post_url("report_back_judgement", m["second"], Kind.REPORT_BACK, m["open"].pk)
    status = Action.objects.get(pk=m["open"].pk).status
    response = as_persona("chair").post(url, data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert f'id="judge-{m["open"].pk}-' in response.content.decode()
    assert not Judgement.objects.exists()
    assert Action.objects.get(pk=m["open"].pk).status == status


def test_an_action_agreed_tonight_is_judged_next_time(as_persona, two_meetings):
    m = two_meetings
    url = post_url("report_back_judgement", m["second"], Kind.REPORT_BACK, m["tonight"].pk)
    response = as_persona("chair").post(url, {"effect": "better", "verdict": "close"}, follow=True)
    assert "the next meeting judges it" in response.content.decode()
    assert not Judgement.objects.exists()


def test_an_action_of_another_neighbourhood_is_not_found(as_persona, personas, meeting):
    elsewhere = insert_problem(personas.other_hood, "Elders", status=Status.PRIORITY)
    action = agree(elsewhere, personas.outsider_chair)
    url = post_url("report_back_judgement", meeting, Kind.REPORT_BACK, action.pk)
    response = as_persona("chair").post(url, {"effect": "better", "verdict": "close"})
    assert response.status_code == 404
    assert not Judgement.objects.exists()


# --- Terugkoppeling: resolving a priority ------------------------------------------------------


def test_the_meeting_resolves_a_priority(as_persona, personas, two_meetings, priority):
    second = two_meetings["second"]
    live_at(second, Kind.REPORT_BACK)
    before = version_of(second)
    url = post_url("report_back_resolve", second, Kind.REPORT_BACK, priority.pk)
    decision = "De glasbak blijft schoon, iedereen is tevreden"
    response = as_persona("chair").post(url, {"decision": decision}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert f"Resolved by the meeting:</strong> {decision}" in html
    assert f'id="resolve-{priority.pk}-save"' not in html  # no second form
    priority.refresh_from_db()
    assert priority.status == Status.RESOLVED
    entry = TimelineEntry.objects.get(problem=priority, move=Move.RESOLVE)
    assert (entry.meeting, entry.public_note, entry.actor_role) == (
        second,
        decision,
        "meeting_decision",
    )
    assert version_of(second) == before + 1
    # The projector shows it too.
    assert f"Resolved by the meeting:</strong> {decision}" in render_panel(
        second, Kind.REPORT_BACK, public=True
    )
    # A second click changes nothing.
    response = as_persona("chair").post(url, {"decision": "Nog een keer"}, follow=True)
    assert "is already resolved" in response.content.decode()
    assert TimelineEntry.objects.filter(problem=priority, move=Move.RESOLVE).count() == 1


def test_resolving_needs_the_decision(as_persona, meeting, priority):
    live_at(meeting, Kind.REPORT_BACK)
    url = post_url("report_back_resolve", meeting, Kind.REPORT_BACK, priority.pk)
    response = as_persona("chair").post(url, {"decision": "   "})
    assert response.status_code == 400
    assert "Record the meeting&#x27;s decision." in response.content.decode()
    priority.refresh_from_db()
    assert priority.status == Status.PRIORITY


def test_only_a_priority_is_resolved(as_persona, personas, meeting):
    accepted = insert_problem(personas.hood, "Gewoon probleem")
    url = post_url("report_back_resolve", meeting, Kind.REPORT_BACK, accepted.pk)
    response = as_persona("chair").post(url, {"decision": "Klaar"}, follow=True)
    assert "Only a priority can be resolved by the meeting." in response.content.decode()
    accepted.refresh_from_db()
    assert accepted.status == Status.ACCEPTED


def test_the_resolve_form_is_shown_for_priorities_only(personas, meeting, earlier, priority):
    accepted = insert_problem(personas.hood, "Gewoon probleem")
    agree_before(meeting, accepted, personas.chair, meeting=earlier)
    html = render_panel(meeting, Kind.REPORT_BACK, public=False, user=personas.chair)
    assert f'id="resolve-{priority.pk}-save"' in html
    assert "Gewoon probleem" in html and f'id="resolve-{accepted.pk}-save"' not in html


# --- Who may post ------------------------------------------------------------------------------


def _posts(personas: Any, meeting: Meeting, problem: Problem, action: Action) -> list[Any]:
    """Each form with valid data, and a check that nothing was written."""
    return [
        (
            post_url("approach_action_create", meeting, Kind.APPROACH, problem.pk),
            action_data(personas),
            lambda: Action.objects.filter(meeting=meeting).exists(),
        ),
        (
            post_url("approach_analysis_save", meeting, Kind.APPROACH, problem.pk),
            {"location": "Plein", "victims": "", "offenders": ""},
            lambda: Analysis.objects.exists(),
        ),
        (
            post_url("report_back_judgement", meeting, Kind.REPORT_BACK, action.pk),
            {"effect": "better", "verdict": "continue"},
            lambda: Judgement.objects.exists(),
        ),
        (
            post_url("report_back_resolve", meeting, Kind.REPORT_BACK, problem.pk),
            {"decision": "Opgelost"},
            lambda: Problem.objects.filter(status=Status.RESOLVED).exists(),
        ),
    ]


@pytest.mark.parametrize("form", range(4))
@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_only_who_runs_the_meeting_may_post(
    as_persona, personas, meeting, earlier, priority, persona, form
):
    action = agree_before(meeting, priority, personas.chair, meeting=earlier)
    url, data, written = _posts(personas, meeting, priority, action)[form]
    response = as_persona(persona).post(url, data)
    assert_status(response, persona, RUNNERS, 302)
    assert written() is (persona in RUNNERS)


@pytest.mark.parametrize("form", range(4))
def test_the_meetings_own_chair_may_post_but_not_one_from_elsewhere(
    as_persona, personas, meeting, earlier, priority, form
):
    action = agree_before(meeting, priority, personas.chair, meeting=earlier)
    url, data, written = _posts(personas, meeting, priority, action)[form]
    Meeting.objects.filter(pk=meeting.pk).update(chair=personas.outsider_chair)
    assert as_persona("outsider_chair").post(url, data).status_code == 403
    assert not written()
    Meeting.objects.filter(pk=meeting.pk).update(chair=personas.second_resident)
    assert as_persona("second_resident").post(url, data).status_code == 302
    assert written()


@pytest.mark.parametrize("form", range(4))
def test_through_another_neighbourhood_the_forms_are_not_found(
    as_persona, personas, meeting, earlier, priority, form
):
    action = agree_before(meeting, priority, personas.chair, meeting=earlier)
    url, data, written = _posts(personas, meeting, priority, action)[form]
    wrong = url.replace(personas.hood.slug, personas.other_hood.slug, 1)
    assert as_persona("outsider_chair").post(wrong, data).status_code == 404
    assert as_persona("chair").post(wrong, data).status_code == 404
    assert not written()


def test_a_form_under_the_wrong_item_kind_is_not_found(as_persona, personas, meeting, priority):
    item = item_of(meeting, Kind.REPORT_BACK)  # the approach's form, under another item
    url = reverse(
        "actions:approach_action_create",
        args=[meeting.neighbourhood.slug, meeting.pk, item.pk, priority.pk],
    )
    assert as_persona("chair").post(url, action_data(personas)).status_code == 404


@pytest.mark.parametrize(
    "name",
    [
        "approach_action_create",
        "approach_analysis_save",
        "report_back_judgement",
        "report_back_resolve",
    ],
)
def test_the_forms_only_answer_post(as_persona, meeting, priority, name):
    kind = Kind.APPROACH if name.startswith("approach") else Kind.REPORT_BACK
    assert as_persona("chair").get(post_url(name, meeting, kind, priority.pk)).status_code == 405


# --- The projector: public fields only, and it follows ------------------------------------------


@pytest.fixture
def planted(personas, meeting, earlier) -> Meeting:
    """Names and confidential details where the projector must never show them."""
    recorder = make_person(f"Voorzitter {RECORDER}", "rec@example.nl")
    Membership.objects.create(
        user=recorder, neighbourhood=personas.hood, role=Role.CHAIR, status="active"
    )
    owner = make_person(f"Agent {OWNER}", "owner@example.nl")
    Membership.objects.create(
        user=owner,
        neighbourhood=personas.hood,
        role=Role.PROFESSIONAL,
        organisation=personas.police,
        status="active",
    )
    contact = make_person(f"Buurvrouw {CONTACT}", "contact@example.nl")
    Membership.objects.create(
        user=contact, neighbourhood=personas.hood, role=Role.RESIDENT, status="active"
    )
    ordinary = insert_problem(
        personas.hood,
        "Afval bij de containers",
        status=Status.PRIORITY,
        confidential_details=f"Buurman {CONFIDENTIAL}",
    )
    sensitive = insert_problem(
        personas.hood,
        f"Dealen bij {SECRET}",
        status=Status.PRIORITY,
        category="drugsoverlast",
        sensitive=True,
        public_summary="Drugsoverlast bij het park",
        confidential_details=f"Adres {CONFIDENTIAL}",
    )
    action_services.analysis_save(
        problem=sensitive, actor=recorder, location=f"Bij {SECRET}", victims="", offenders=""
    )
    for problem in (ordinary, sensitive):
        for at in (earlier, meeting):
            make = agree if at == meeting else lambda *a, **k: agree_before(meeting, *a, **k)
            action = make(
                problem,
                recorder,
                outcome=f"Actie voor {problem.public_title} op {at.pk}",
                meeting=at,
                owner_organisation=personas.police,
                owner_person=owner,
                contact_person=contact,
            )
            if at == earlier:
                action_services.action_progress_post(
                    action=action, actor=owner, role="professional", text="Voortgang gemeld"
                )
                action_services.judgement_record(
                    action=action, meeting=meeting, actor=recorder, effect="same", verdict="adjust"
                )
    return meeting


@pytest.mark.parametrize("kind", [Kind.APPROACH, Kind.REPORT_BACK])
def test_the_projector_shows_no_names_or_confidential_details(client, planted, kind):
    live_at(planted, kind)
    body = client.get(projector_url(planted)).content.decode()
    assert not [marker for marker in MARKERS if marker in body], kind
    assert "Drugsoverlast bij het park" in body and "Afval bij de containers" in body
    assert "<form" not in body
    panel = render_panel(planted, kind, public=True)
    assert not [marker for marker in MARKERS if marker in panel]
    if kind == Kind.REPORT_BACK:
        assert "Voortgang gemeld" in panel and "The same" in panel and "Adjust" in panel
    else:
        assert f"Actie voor Afval bij de containers op {planted.pk}" in panel


def test_the_projector_follows_a_new_action(client, as_persona, personas, meeting, priority):
    live_at(meeting, Kind.APPROACH)
    page = client.get(projector_url(meeting))
    etag = page["ETag"] if page.has_header("ETag") else None
    state = reverse("room:projector_state", args=[meeting.projector_key])
    first = client.get(state)
    assert client.get(state, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    url = post_url("approach_action_create", meeting, Kind.APPROACH, priority.pk)
    as_persona("chair").post(url, action_data(personas))
    after = client.get(state, HTTP_IF_NONE_MATCH=first["ETag"])
    assert after.status_code == 200 and after["ETag"] != (etag or first["ETag"])
    assert "Handhaving controleert de glasbak elke maandag" in after.content.decode()


# --- Queries do not grow ------------------------------------------------------------------------


def grow(personas: Any, meeting: Meeting, earlier: Meeting, n: int, tag: str) -> None:
    """n more priorities and problems on the item, each with actions of every sort."""
    item = item_of(meeting, Kind.APPROACH)
    for i in range(n):
        problem = insert_problem(
            personas.hood,
            f"{tag} probleem {i}",
            status=Status.PRIORITY if i % 2 else Status.ACCEPTED,
            sensitive=i % 3 == 0,
        )
        link(item, [problem])
        action_services.analysis_save(
            problem=problem,
            actor=personas.chair,
            location=f"{tag} plek {i}",
            victims="",
            offenders="",
        )
        before = agree_before(
            meeting,
            problem,
            personas.chair,
            outcome=f"{tag} eerder {i}",
            meeting=earlier,
            owner_organisation=personas.police,
            owner_person=personas.wijkagent,
            contact_person=personas.resident,
        )
        action_services.action_progress_post(
            action=before, actor=personas.wijkagent, role="professional", text=f"{tag} voortgang"
        )
        action_services.judgement_record(
            action=before,
            meeting=meeting,
            actor=personas.chair,
            effect="better",
            verdict="continue",
        )
        agree(problem, personas.chair, outcome=f"{tag} vanavond {i}", meeting=meeting)


def count(client: Any, url: str) -> tuple[int, str]:
    client.get(url)  # warm: the session, the second-factor check, content types
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), response.content.decode()


@pytest.mark.parametrize("kind", [Kind.APPROACH, Kind.REPORT_BACK])
def test_screen_and_projector_queries_do_not_grow(
    login, personas, meeting, earlier, kind, english_pages
):
    live_at(meeting, kind)
    client = login(personas.chair)
    grow(personas, meeting, earlier, 2, "a")
    screen_small, _html = count(client, screen_url(meeting))
    projector_small, _html = count(client, projector_url(meeting))
    grow(personas, meeting, earlier, 12, "b")
    screen_large, screen = count(client, screen_url(meeting))
    projector_large, projector = count(client, projector_url(meeting))
    assert screen_large == screen_small
    assert projector_large == projector_small
    # The agenda screen's budget (tests/meetings/test_screen.py); the projector's stage needs
    # four of its own, the panel at most five more.
    assert screen_large <= 16 and projector_large <= 10
    # What the large screens show, so the counts are about the real thing.
    if kind == Kind.APPROACH:
        assert "b vanavond 11" in screen and "b eerder 11" in screen
        assert 'id="new-action-' in screen and "b vanavond 11" in projector
    else:
        assert "b eerder 11" in screen and "b voortgang" in screen
        assert "b eerder 11" in projector and "b vanavond" not in projector


@pytest.mark.parametrize("kind", [Kind.APPROACH, Kind.REPORT_BACK])
@pytest.mark.parametrize("public", [True, False])
def test_the_panels_run_a_fixed_number_of_queries(personas, meeting, earlier, kind, public):
    grow(personas, meeting, earlier, 2, "a")
    user = None if public else personas.chair
    render_panel(meeting, kind, public=public, user=user)  # warm the user's roles
    with CaptureQueriesContext(connection) as small:
        render_panel(meeting, kind, public=public, user=user)
    grow(personas, meeting, earlier, 15, "b")
    with CaptureQueriesContext(connection) as large:
        html = render_panel(meeting, kind, public=public, user=user)
    assert "b eerder 14" in html or "b vanavond 14" in html
    assert len(large.captured_queries) == len(small.captured_queries)
    # The helper's own reads (the meeting, the item, the user's roles) plus the panel's.
    limit = {(Kind.APPROACH, True): 2, (Kind.APPROACH, False): 5}.get((kind, public), 5)
    assert len(large.captured_queries) <= limit + 4
