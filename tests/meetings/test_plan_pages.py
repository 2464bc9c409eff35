"""The planning pages: the list of meetings, a meeting's page (agenda, RSVP, proposals), the
chair's agenda editor, moving and cancelling, and the next meeting on the neighbourhood page.

Pages are fetched in English (the `as_persona` fixture) so that assertions name the msgids;
the Dutch translations are checked by the catalogue."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from buurtoverleg.mail.models import Mailing
from meetings import services
from meetings.mail_kinds import MeetingMail
from meetings.planning.models import AgendaItem, AgendaProposal, Meeting, Rsvp
from problems.models import Category, Problem
from problems.services import problem_edit, problem_report, problem_transition
from problems.workflow import Status
from residents.models import Membership, Role
from tests.conftest import PERSONA_NAMES, assert_status, make_person
from tests.factories import PATH_TO
from tests.support import view_name

Kind = AgendaItem.Kind
AMSTERDAM = ZoneInfo(settings.TIME_ZONE)
PLANNERS = {"chair", "coordinator"}
RUNNERS = {"chair", "minute_taker", "coordinator"}
MEMBERS = {
    "resident",
    "second_resident",
    "chair",
    "minute_taker",
    "wijkagent",
    "housing_contact",
    "office",
}
HTMX = {"HX-Request": "true"}
DRAFT_TITLE = "Qz-draft-item-title"


def local(days: int, hour: int = 19, minute: int = 30) -> datetime:
    day = timezone.localdate() + timedelta(days=days)
    return datetime.combine(day, time(hour, minute), tzinfo=AMSTERDAM)


@pytest.fixture
def meeting(personas: Any) -> Meeting:
    """A planned meeting in ten days with the default agenda and one custom (draft) item."""
    found = services.meeting_create(
        neighbourhood=personas.hood,
        starts_at=local(10),
        ends_at=local(10, 21, 30),
        place="Buurthuis De Linde",
    )
    services.agenda_item_add(meeting=found, title=DRAFT_TITLE, minutes=10)
    return found


def problem_in(personas: Any, status: str = Status.ACCEPTED, **fields: Any) -> Problem:
    fields.setdefault("title", "Zwerfvuil bij de glasbak")
    problem = problem_report(
        neighbourhood=fields.pop("neighbourhood", personas.hood),
        reporter=fields.pop("reporter", personas.resident),
        category=Category.objects.get(slug=fields.pop("category", "zwerfvuil")),
        description=fields.pop("description", "Elke maandag ligt er afval."),
        street=fields.pop("street", "Marshalllaan"),
        **fields,
    )
    for move, actors in PATH_TO[status]:
        problem_transition(
            problem=problem,
            move=move,
            actor=personas.chair if "chair" in actors else None,
            actors=actors,
            public_note="Reden",
        )
    problem.refresh_from_db()
    return problem


def url(name: str, meeting: Meeting, *extra: Any, slug: str | None = None) -> str:
    return reverse(view_name(name), args=[slug or meeting.neighbourhood.slug, meeting.pk, *extra])


def item_of(meeting: Meeting, kind: str = Kind.OTHER) -> AgendaItem:
    return meeting.items.filter(kind=kind).order_by("position").first()  # type: ignore[return-value]


def reload(meeting: Meeting) -> Meeting:
    meeting.refresh_from_db()
    return meeting


def messages_of(response: Any) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


# --- Permission boundary: every view, every persona -------------------------------------------


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_the_list_of_meetings_is_public(as_persona, personas, meeting, persona):
    response = as_persona(persona).get(reverse("planning:meetings", args=[personas.hood.slug]))
    assert response.status_code == 200
    html = response.content.decode()
    assert url("planning:meeting", meeting) in html and url("planning:meeting_ics", meeting) in html
    assert reverse("planning:calendar", args=[personas.hood.slug]) in html
    create = reverse("planning:meeting_create", args=[personas.hood.slug])
    assert (create in html) == (persona in PLANNERS)


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_the_meeting_page_is_public_and_the_draft_agenda_is_for_the_chair(
    as_persona, meeting, persona
):
    response = as_persona(persona).get(url("planning:meeting", meeting))
    assert response.status_code == 200
    html = response.content.decode()
    assert (DRAFT_TITLE in html) == (persona in RUNNERS), persona
    assert ("Draft: not published yet" in html) == (persona in RUNNERS)
    assert (url("planning:agenda_edit", meeting) in html) == (persona in PLANNERS)
    assert (url("room:meeting_screen", meeting) in html) == (persona in RUNNERS)
    assert (url("planning:meeting_rsvp", meeting) in html) == (persona in MEMBERS)
    assert (url("planning:meeting_propose", meeting) in html) == (persona in MEMBERS)
    if persona not in RUNNERS:
        assert "The agenda is not published yet" in html


@pytest.mark.parametrize("persona", PERSONA_NAMES)
@pytest.mark.parametrize("name", ["agenda_edit", "meeting_move", "meeting_cancel"])
def test_the_chairs_pages_are_for_planners_only(as_persona, meeting, persona, name):
    response = as_persona(persona).get(url(name, meeting))
    assert_status(response, persona, PLANNERS, 200)


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_choosing_problems_is_for_planners_only(as_persona, meeting, persona):
    response = as_persona(persona).get(
        url("planning:agenda_item_problems", meeting, item_of(meeting).pk)
    )
    assert_status(response, persona, PLANNERS, 200)


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_the_form_to_plan_a_meeting_is_for_planners_only(as_persona, personas, persona):
    response = as_persona(persona).get(
        reverse("planning:meeting_create", args=[personas.hood.slug])
    )
    assert_status(response, persona, PLANNERS, 200)


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_planning_a_meeting_by_hand_is_for_planners_only(as_persona, personas, persona):
    response = as_persona(persona).post(
        reverse("planning:meeting_create", args=[personas.hood.slug]),
        {"day": str(timezone.localdate() + timedelta(days=5)), "starts": "19:30", "ends": "21:00"},
    )
    assert_status(response, persona, PLANNERS, 302)
    assert Meeting.objects.exists() == (persona in PLANNERS)


def _posts(meeting: Meeting) -> dict[str, tuple[str, dict[str, Any]]]:
    """Each editor action with data that would change something."""
    other = item_of(meeting)
    state = item_of(meeting, Kind.STATE)
    proposal = AgendaProposal.objects.get(meeting=meeting)
    return {
        "item_save": (
            url("planning:agenda_item_save", meeting, other.pk),
            {f"item-{other.pk}-title": "Veranderd", f"item-{other.pk}-minutes": "9"},
        ),
        "item_add": (
            url("planning:agenda_item_add", meeting),
            {"new-title": "Nieuw", "new-minutes": "5"},
        ),
        "item_remove": (url("planning:agenda_item_remove", meeting, other.pk), {}),
        "item_move": (url("planning:agenda_item_move", meeting, state.pk), {"direction": "up"}),
        "item_problems": (
            url("planning:agenda_item_problems", meeting, other.pk),
            {"problems": []},
        ),
        "new_problems": (url("planning:agenda_new_problems", meeting), {}),
        "publish": (url("planning:agenda_publish", meeting), {}),
        "decide": (
            url("planning:proposal_decide", meeting, proposal.pk),
            {f"proposal-{proposal.pk}-decision": "accept", f"proposal-{proposal.pk}-minutes": "5"},
        ),
        "move": (
            url("planning:meeting_move", meeting),
            {
                "day": str(timezone.localdate() + timedelta(days=12)),
                "starts": "20:00",
                "ends": "22:00",
                "place": "Elders",
                "confirm": "yes",
            },
        ),
        "cancel": (
            url("planning:meeting_cancel", meeting),
            {"reason": "Geen zaal", "confirm": "yes"},
        ),
    }


def _fingerprint(meeting: Meeting) -> tuple[Any, ...]:
    reload(meeting)
    return (
        meeting.status,
        meeting.starts_at,
        meeting.version,
        list(meeting.items.values_list("pk", "position", "title", "minutes")),
        list(meeting.proposals.values_list("status", flat=True)),
        Mailing.objects.count(),
    )


@pytest.mark.parametrize("persona", PERSONA_NAMES)
@pytest.mark.parametrize(
    "action",
    [
        "item_save",
        "item_add",
        "item_remove",
        "item_move",
        "item_problems",
        "new_problems",
        "publish",
        "decide",
        "move",
        "cancel",
    ],
)
def test_every_planning_action_is_for_planners_only(as_persona, personas, meeting, persona, action):
    services.proposal_create(meeting=meeting, by=personas.resident, title="Voorstel")
    problem_in(personas, Status.CANDIDATE)  # something for "New problems" to add
    target, data = _posts(meeting)[action]
    before = _fingerprint(meeting)
    response = as_persona(persona).post(target, data)
    assert_status(response, persona, PLANNERS, 302)
    assert (_fingerprint(meeting) != before) == (persona in PLANNERS), (persona, action)


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_rsvp_is_for_members(as_persona, personas, meeting, persona):
    response = as_persona(persona).post(url("planning:meeting_rsvp", meeting), {"answer": "yes"})
    assert_status(response, persona, MEMBERS, 302)
    assert Rsvp.objects.filter(meeting=meeting).exists() == (persona in MEMBERS)


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_proposing_is_for_members(as_persona, personas, meeting, persona):
    response = as_persona(persona).post(
        url("planning:meeting_propose", meeting), {"title": "Hondenpoep in het park"}
    )
    assert_status(response, persona, MEMBERS, 302)
    assert AgendaProposal.objects.filter(meeting=meeting).exists() == (persona in MEMBERS)


def test_the_other_neighbourhoods_chair_reaches_nothing_of_this_meeting(as_persona, meeting):
    client = as_persona("outsider_chair")
    other = "poelenburg"
    assert client.get(url("planning:meeting", meeting, slug=other)).status_code == 404
    assert client.get(url("planning:agenda_edit", meeting, slug=other)).status_code == 404
    assert client.post(url("planning:agenda_publish", meeting, slug=other)).status_code == 404
    assert client.post(url("planning:agenda_publish", meeting)).status_code == 403
    assert (
        client.post(
            url("planning:meeting_cancel", meeting), {"reason": "x", "confirm": "yes"}
        ).status_code
        == 403
    )
    assert reload(meeting).status == Meeting.Status.PLANNED


def test_an_item_or_proposal_of_another_meeting_is_not_found(as_persona, personas, meeting):
    elsewhere = services.meeting_create(
        neighbourhood=personas.other_hood, starts_at=local(3), ends_at=local(3, 21), place=""
    )
    theirs = item_of(elsewhere, Kind.STATE)
    proposal = services.proposal_create(meeting=elsewhere, by=personas.outsider, title="Daar")
    client = as_persona("chair")
    assert client.post(url("planning:agenda_item_remove", meeting, theirs.pk)).status_code == 404
    assert client.get(url("planning:agenda_item_problems", meeting, theirs.pk)).status_code == 404
    decide = url("planning:proposal_decide", meeting, proposal.pk)
    assert client.post(decide, {f"proposal-{proposal.pk}-decision": "accept"}).status_code == 404
    assert elsewhere.items.count() == 8


def test_a_meetings_own_chair_who_is_a_resident_sees_the_draft(as_persona, personas, meeting):
    services.meeting_roles_set(meeting=meeting, chair=personas.second_resident, minute_taker=None)
    html = as_persona("second_resident").get(url("planning:meeting", meeting)).content.decode()
    assert DRAFT_TITLE in html
    assert (
        as_persona("second_resident").get(url("planning:agenda_edit", meeting)).status_code == 403
    )


def test_writes_need_post(as_persona, meeting):
    client = as_persona("chair")
    for name in ("agenda_publish", "agenda_unpublish", "agenda_new_problems", "meeting_rsvp"):
        assert client.get(url(name, meeting)).status_code == 405, name


# --- The meeting page ---------------------------------------------------------------------------


def test_the_published_agenda_shows_items_times_and_public_problems(as_persona, personas, meeting):
    problem = problem_in(personas, Status.CANDIDATE, title="Lawaai bij de snackbar")
    Problem.objects.filter(pk=problem.pk).update(support_count=4)
    services.agenda_item_problems_set(item=item_of(meeting, Kind.NEW_PROBLEMS), problems=[problem])
    services.agenda_publish(meeting=meeting)
    html = as_persona("anonymous").get(url("planning:meeting", meeting)).content.decode()
    assert DRAFT_TITLE in html and "Draft" not in html
    assert "Opening and introductions" in html
    assert "19:30" in html and "19:35" in html  # opening: 5 minutes
    assert "Lawaai bij de snackbar" in html and "4 residents have this too" in html
    assert reverse("problem", args=[personas.hood.slug, problem.pk]) in html
    assert "agenda.css" in html


# Strings that must never reach the meeting page, whoever looks.
REPORTER = "Qz-reporter-name"
CONFIDENTIAL = "Qz-confidential-details"
SECRET_TITLE = "Qz-sensitive-title"
FOR_NAME = "Qz-reported-for"


@pytest.fixture
def planted(personas, meeting):
    reporter = make_person(f"Bewoner {REPORTER}", "qz@example.nl")
    Membership.objects.create(user=reporter, neighbourhood=personas.hood, role=Role.RESIDENT)
    plain = problem_in(
        personas,
        Status.CANDIDATE,
        title="Kapotte lantaarnpaal",
        reporter=reporter,
        reporter_name_public=False,
        confidential_details=CONFIDENTIAL,
        reported_for=FOR_NAME,
    )
    sensitive = problem_in(
        personas,
        Status.ACCEPTED,
        title=f"Dealen bij {SECRET_TITLE}",
        category="drugsoverlast",
        reporter=reporter,
        confidential_details=CONFIDENTIAL,
    )
    problem_edit(
        problem=sensitive,
        actor=personas.chair,
        role=Role.CHAIR,
        public_summary="Drugsoverlast omgeving Talmalaan",
    )
    services.agenda_item_problems_set(
        item=item_of(meeting, Kind.NEW_PROBLEMS), problems=[plain, sensitive]
    )
    services.agenda_publish(meeting=meeting)
    return meeting


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_no_reporter_or_confidential_detail_on_the_meeting_page(as_persona, planted, persona):
    html = as_persona(persona).get(url("planning:meeting", planted)).content.decode()
    assert "Kapotte lantaarnpaal" in html and "Drugsoverlast omgeving Talmalaan" in html
    for marker in (REPORTER, CONFIDENTIAL, SECRET_TITLE, FOR_NAME):
        assert marker not in html, (persona, marker)


def test_the_neighbourhood_page_shows_the_published_agenda_without_markers(client, planted):
    html = client.get(reverse("neighbourhood", args=[planted.neighbourhood.slug])).content.decode()
    assert DRAFT_TITLE in html
    for marker in (REPORTER, CONFIDENTIAL, SECRET_TITLE, FOR_NAME):
        assert marker not in html


def test_a_moved_meeting_says_from_when(as_persona, personas, meeting):
    services.meeting_move(
        meeting=meeting, starts_at=local(12), ends_at=local(12, 21), place="", by=personas.chair
    )
    first = timezone.localtime(local(10))
    html = as_persona("anonymous").get(url("planning:meeting", meeting)).content.decode()
    assert f"This meeting was first planned for {first:%A} {first.day} {first:%B}" in html
    listing = as_persona("anonymous").get(reverse("planning:meetings", args=[personas.hood.slug]))
    assert "Moved from" in listing.content.decode()


def test_a_cancelled_meeting_shows_its_reason_and_takes_no_answers(as_persona, personas, meeting):
    services.meeting_cancel(meeting=meeting, reason="De zaal is dicht", by=personas.chair)
    client = as_persona("resident")
    html = client.get(url("planning:meeting", meeting)).content.decode()
    assert "This meeting is cancelled." in html and "De zaal is dicht" in html
    assert url("planning:meeting_rsvp", meeting) not in html
    response = client.post(url("planning:meeting_rsvp", meeting), {"answer": "yes"}, follow=True)
    assert "You can no longer answer for this meeting" in response.content.decode()
    assert not Rsvp.objects.exists()
    listing = client.get(reverse("planning:meetings", args=[personas.hood.slug])).content.decode()
    assert "De zaal is dicht" in listing


def test_upcoming_and_past_meetings_are_listed_apart(as_persona, personas, meeting):
    past = Meeting.objects.create(
        neighbourhood=personas.hood,
        starts_at=local(-30),
        ends_at=local(-30, 21),
        status=Meeting.Status.CLOSED,
    )
    html = as_persona("anonymous").get(reverse("planning:meetings", args=[personas.hood.slug]))
    text = html.content.decode()
    upcoming, _sep, older = text.partition("Past meetings")
    assert url("planning:meeting", meeting) in upcoming and url("planning:meeting", past) in older
    assert url("planning:meeting", past) not in upcoming


# --- RSVP ----------------------------------------------------------------------------------------


def test_a_resident_answers_and_sees_the_answer_the_team_sees_counts(as_persona, personas, meeting):
    client = as_persona("resident")
    response = client.post(url("planning:meeting_rsvp", meeting), {"answer": "maybe"}, follow=True)
    html = response.content.decode()
    assert "Thank you: you said you may come." in html
    assert re.search(r"Your answer: <strong>Maybe</strong>", html)
    assert 'value="maybe" id="rsvp-maybe" checked' in html
    assert "For the team:" not in html
    client.post(url("planning:meeting_rsvp", meeting), {"answer": "yes"})
    assert Rsvp.objects.get().answer == "yes"
    as_persona("second_resident").post(url("planning:meeting_rsvp", meeting), {"answer": "no"})
    chair = as_persona("chair").get(url("planning:meeting", meeting)).content.decode()
    assert "For the team:" in chair
    assert re.search(r"I am coming: <strong>1</strong>", chair)
    assert re.search(r"I cannot come: <strong>1</strong>", chair)
    assert re.search(r"Maybe: <strong>0</strong>", chair)


def test_rsvp_with_htmx_answers_with_the_block_only(as_persona, meeting):
    response = as_persona("resident").post(
        url("planning:meeting_rsvp", meeting), {"answer": "yes"}, headers=HTMX
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<section id="rsvp"') and "<html" not in html
    assert "Thank you: you said you are coming." in html


def test_an_unknown_answer_is_an_error_not_a_crash(as_persona, meeting):
    response = as_persona("resident").post(
        url("planning:meeting_rsvp", meeting), {"answer": "perhaps"}, follow=True
    )
    assert response.status_code == 200
    assert "Choose one of the answers." in messages_of(response)
    assert not Rsvp.objects.exists()


# --- Proposals ---------------------------------------------------------------------------------


def test_a_resident_proposes_and_sees_the_decision_with_the_reason(as_persona, personas, meeting):
    client = as_persona("resident")
    response = client.post(
        url("planning:meeting_propose", meeting),
        {"title": "Hondenpoep in het park", "description": "Elke ochtend."},
        follow=True,
    )
    assert "Thank you for your proposal" in response.content.decode()
    proposal = AgendaProposal.objects.get()
    assert proposal.proposed_by == personas.resident
    assert "Waiting for the chair" in response.content.decode()
    # Other residents do not see it, nor who proposed it.
    other = as_persona("second_resident").get(url("planning:meeting", meeting)).content.decode()
    assert "Hondenpoep in het park" not in other
    # The chair sees who proposed it and declines with a reason.
    editor = as_persona("chair").get(url("planning:agenda_edit", meeting)).content.decode()
    assert "Hondenpoep in het park" in editor and personas.resident.display_name in editor
    as_persona("chair").post(
        url("planning:proposal_decide", meeting, proposal.pk),
        {
            f"proposal-{proposal.pk}-decision": "decline",
            f"proposal-{proposal.pk}-reason": "Staat al op de agenda van volgende maand",
        },
    )
    html = as_persona("resident").get(url("planning:meeting", meeting)).content.decode()
    assert "Declined" in html and "Staat al op de agenda van volgende maand" in html


def test_a_double_click_on_propose_keeps_one_proposal(as_persona, meeting):
    client = as_persona("resident")
    for _ in range(2):
        client.post(url("planning:meeting_propose", meeting), {"title": "Hondenpoep"})
    assert AgendaProposal.objects.count() == 1


def test_an_empty_proposal_shows_an_error_and_saves_nothing(as_persona, meeting):
    response = as_persona("resident").post(
        url("planning:meeting_propose", meeting), {"title": "   "}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="error-summary"' in html
    assert "Write in a few words what you want to discuss." in html
    assert not AgendaProposal.objects.exists()


def test_no_proposals_once_the_meeting_has_started(as_persona, personas, meeting):
    Meeting.objects.filter(pk=meeting.pk).update(
        starts_at=timezone.now() - timedelta(minutes=5), status=Meeting.Status.IN_PROGRESS
    )
    client = as_persona("resident")
    assert (
        url("planning:meeting_propose", meeting)
        not in client.get(url("planning:meeting", meeting)).content.decode()
    )
    response = client.post(
        url("planning:meeting_propose", meeting), {"title": "Te laat"}, follow=True
    )
    assert any("can no longer propose" in m for m in messages_of(response))
    assert not AgendaProposal.objects.exists()


# --- The agenda editor -------------------------------------------------------------------------


def test_the_editor_shows_planned_time_against_the_meeting_length(as_persona, meeting):
    html = as_persona("chair").get(url("planning:agenda_edit", meeting)).content.decode()
    assert "Planned: 115 minutes. The meeting lasts 120 minutes." in html
    services.agenda_item_add(meeting=meeting, title="Lang punt", minutes=30)
    html = as_persona("chair").get(url("planning:agenda_edit", meeting)).content.decode()
    assert "The agenda is 25 minutes longer than the meeting." in html


@pytest.mark.parametrize(
    ("minutes", "error"),
    [
        ("0", "Give at least 1 minute."),
        ("300", "Give at most 240 minutes."),
        ("tien", "Give the time as a whole number of minutes, for example 10."),
        ("", "Give the time for this item in minutes."),
    ],
)
def test_a_bad_time_box_is_an_error_and_saves_nothing(as_persona, meeting, minutes, error):
    item = item_of(meeting)
    response = as_persona("chair").post(
        url("planning:agenda_item_save", meeting, item.pk),
        {f"item-{item.pk}-title": "Veranderd", f"item-{item.pk}-minutes": minutes},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="error-summary"' in html and error in html
    item.refresh_from_db()
    assert (item.title, item.minutes) == (DRAFT_TITLE, 10)


def test_editing_adding_moving_and_removing_items(as_persona, meeting):
    client = as_persona("chair")
    opening = item_of(meeting, Kind.OPENING)
    client.post(
        url("planning:agenda_item_save", meeting, opening.pk),
        {
            f"item-{opening.pk}-title": "",
            f"item-{opening.pk}-description": "Welkom aan nieuwe bewoners",
            f"item-{opening.pk}-minutes": "8",
        },
    )
    opening.refresh_from_db()
    assert (opening.heading, opening.description, opening.minutes) == (
        "Opening and introductions",
        "Welkom aan nieuwe bewoners",
        8,
    )
    response = client.post(
        url("planning:agenda_item_add", meeting), {"new-title": "", "new-minutes": "5"}
    )
    assert "Give the item a title." in response.content.decode()
    client.post(
        url("planning:agenda_item_add", meeting), {"new-title": "Speeltuin", "new-minutes": "5"}
    )
    added = meeting.items.get(title="Speeltuin")
    client.post(url("planning:agenda_item_move", meeting, added.pk), {"direction": "up"})
    kinds = list(meeting.items.order_by("position").values_list("title", flat=True))
    assert kinds.index("Speeltuin") < kinds.index(DRAFT_TITLE)
    response = client.post(
        url("planning:agenda_item_move", meeting, opening.pk), {"direction": "up"}, follow=True
    )
    assert "The item is already at the top." in messages_of(response)
    client.post(url("planning:agenda_item_remove", meeting, added.pk))
    assert not meeting.items.filter(title="Speeltuin").exists()


def test_choosing_problems_offers_only_public_open_problems(as_persona, personas, meeting):
    open_one = problem_in(personas, Status.ACCEPTED, title="Losliggende stoeptegels")
    unseen = problem_in(personas, Status.NEW, title="Nog niet bekeken melding")
    resolved = problem_in(personas, Status.RESOLVED, title="Al opgelost probleem")
    item = item_of(meeting, Kind.APPROACH)
    client = as_persona("chair")
    html = client.get(url("planning:agenda_item_problems", meeting, item.pk)).content.decode()
    assert "Losliggende stoeptegels" in html
    assert "Nog niet bekeken melding" not in html and "Al opgelost probleem" not in html
    response = client.post(
        url("planning:agenda_item_problems", meeting, item.pk), {"problems": [str(unseen.pk)]}
    )
    assert (
        response.status_code == 200
        and "Choose problems from the list." in response.content.decode()
    )
    assert not item.links.exists()
    client.post(
        url("planning:agenda_item_problems", meeting, item.pk), {"problems": [str(open_one.pk)]}
    )
    assert list(item.links.values_list("problem_id", flat=True)) == [open_one.pk]
    assert resolved.pk  # listed nowhere


def test_new_problems_refresh_adds_candidates(as_persona, personas, meeting):
    candidate = problem_in(personas, Status.CANDIDATE, title="Fietswrakken")
    response = as_persona("chair").post(url("planning:agenda_new_problems", meeting), follow=True)
    assert "New problems added under “New problems”: 1." in messages_of(response)
    assert item_of(meeting, Kind.NEW_PROBLEMS).links.filter(problem=candidate).exists()
    response = as_persona("chair").post(url("planning:agenda_new_problems", meeting), follow=True)
    assert "There are no new problems to add." in messages_of(response)


def test_publish_and_unpublish_from_the_editor(as_persona, meeting):
    client = as_persona("chair")
    client.post(url("planning:agenda_publish", meeting))
    assert reload(meeting).status == Meeting.Status.AGENDA_PUBLISHED
    response = client.post(url("planning:agenda_publish", meeting), follow=True)
    assert any("cannot be published now" in m for m in messages_of(response))
    client.post(url("planning:agenda_unpublish", meeting))
    assert reload(meeting).status == Meeting.Status.PLANNED


def test_declining_a_proposal_without_a_reason_is_an_error(as_persona, personas, meeting):
    proposal = services.proposal_create(meeting=meeting, by=personas.resident, title="Iets")
    response = as_persona("chair").post(
        url("planning:proposal_decide", meeting, proposal.pk),
        {f"proposal-{proposal.pk}-decision": "decline", f"proposal-{proposal.pk}-reason": " "},
    )
    assert response.status_code == 200
    assert "Give a reason: the resident wants to know why." in response.content.decode()
    proposal.refresh_from_db()
    assert proposal.status == AgendaProposal.Status.PENDING


def test_accepting_a_proposal_puts_it_on_the_agenda_with_its_time_box(
    as_persona, personas, meeting
):
    proposal = services.proposal_create(meeting=meeting, by=personas.resident, title="Speeltuin")
    as_persona("chair").post(
        url("planning:proposal_decide", meeting, proposal.pk),
        {f"proposal-{proposal.pk}-decision": "accept", f"proposal-{proposal.pk}-minutes": "12"},
    )
    proposal.refresh_from_db()
    assert proposal.status == AgendaProposal.Status.ACCEPTED
    assert proposal.item is not None and proposal.item.minutes == 12
    response = as_persona("chair").post(
        url("planning:proposal_decide", meeting, proposal.pk),
        {f"proposal-{proposal.pk}-decision": "accept", f"proposal-{proposal.pk}-minutes": "12"},
        follow=True,
    )
    assert "This proposal has already been decided." in messages_of(response)
    assert meeting.items.filter(title="Speeltuin").count() == 1


def test_the_agenda_of_a_closed_meeting_gives_a_message_not_a_crash(as_persona, meeting):
    Meeting.objects.filter(pk=meeting.pk).update(status=Meeting.Status.CLOSED)
    client = as_persona("chair")
    item = item_of(meeting)
    for target, data in (
        (
            url("planning:agenda_item_save", meeting, item.pk),
            {f"item-{item.pk}-title": "X", f"item-{item.pk}-minutes": "5"},
        ),
        (url("planning:agenda_item_add", meeting), {"new-title": "X", "new-minutes": "5"}),
        (url("planning:agenda_item_remove", meeting, item.pk), {}),
        (url("planning:agenda_item_move", meeting, item.pk), {"direction": "up"}),
        (url("planning:agenda_item_problems", meeting, item.pk), {"problems": []}),
        (url("planning:agenda_new_problems", meeting), {}),
    ):
        response = client.post(target, data, follow=True)
        assert response.status_code == 200, target
        html = response.content.decode()
        assert "can no longer be changed" in html, target
    item.refresh_from_db()
    assert item.title == DRAFT_TITLE and meeting.items.count() == 9


# --- Moving and cancelling -------------------------------------------------------------------


def _move_data(**extra: str) -> dict[str, str]:
    return {
        "day": str(timezone.localdate() + timedelta(days=17)),
        "starts": "20:00",
        "ends": "22:00",
        "place": "Wijkcentrum",
        **extra,
    }


def test_moving_asks_for_a_check_first_then_mails_once(as_persona, personas, meeting):
    client = as_persona("chair")
    check = client.post(url("planning:meeting_move", meeting), _move_data())
    html = check.content.decode()
    assert check.status_code == 200 and "Check the change" in html
    assert "get an e-mail about the change" in html
    assert reload(meeting).place == "Buurthuis De Linde" and not Mailing.objects.exists()
    done = client.post(url("planning:meeting_move", meeting), _move_data(confirm="yes"))
    assert done.status_code == 302 and done.url == url("planning:meeting", meeting)
    meeting = reload(meeting)
    assert meeting.place == "Wijkcentrum"
    assert timezone.localtime(meeting.starts_at).time() == time(20, 0)
    assert meeting.moved_from == local(10)
    assert Mailing.objects.filter(kind=MeetingMail.MEETING_MOVED).count() == 1


def test_moving_to_the_same_time_and_place_sends_nothing(as_persona, meeting):
    same = {
        "day": str(timezone.localdate() + timedelta(days=10)),
        "starts": "19:30",
        "ends": "21:30",
        "place": "Buurthuis De Linde",
        "confirm": "yes",
    }
    response = as_persona("chair").post(url("planning:meeting_move", meeting), same, follow=True)
    assert any("Nothing was changed" in m for m in messages_of(response))
    assert not Mailing.objects.exists()


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"ends": "19:00"}, "The meeting must end after it starts."),
        ({"day": "2001-01-01"}, "Choose today or a date in the future."),
        ({"day": "morgen"}, "Give the date as day, month and year"),
        ({"starts": ""}, "Give the time the meeting starts."),
        ({"place": "x" * 141}, "Keep the place shorter: at most 140 characters."),
    ],
)
def test_a_bad_move_is_an_error_and_changes_nothing(as_persona, meeting, data, error):
    response = as_persona("chair").post(
        url("planning:meeting_move", meeting), _move_data(confirm="yes", **data)
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="error-summary"' in html and error in html
    assert reload(meeting).starts_at == local(10) and not Mailing.objects.exists()


def test_a_started_meeting_cannot_be_moved_or_cancelled(as_persona, meeting):
    services.meeting_start(meeting=meeting)
    client = as_persona("chair")
    response = client.post(url("planning:meeting_move", meeting), _move_data(confirm="yes"))
    assert response.status_code == 200
    assert "can no longer be moved" in response.content.decode()
    response = client.post(
        url("planning:meeting_cancel", meeting), {"reason": "x", "confirm": "yes"}
    )
    assert "can no longer be cancelled" in response.content.decode()
    assert reload(meeting).status == Meeting.Status.IN_PROGRESS and not Mailing.objects.exists()


def test_cancelling_needs_a_reason_and_a_check(as_persona, meeting):
    client = as_persona("chair")
    response = client.post(
        url("planning:meeting_cancel", meeting), {"reason": "  ", "confirm": "yes"}
    )
    assert response.status_code == 200
    assert "Give a reason: residents want to know why the meeting is cancelled." in (
        response.content.decode()
    )
    check = client.post(url("planning:meeting_cancel", meeting), {"reason": "De zaal is dicht"})
    assert "Are you sure?" in check.content.decode()
    assert reload(meeting).status == Meeting.Status.PLANNED and not Mailing.objects.exists()
    client.post(
        url("planning:meeting_cancel", meeting), {"reason": "De zaal is dicht", "confirm": "yes"}
    )
    meeting = reload(meeting)
    assert meeting.status == Meeting.Status.CANCELLED
    assert meeting.cancelled_reason == "De zaal is dicht"
    assert Mailing.objects.filter(kind=MeetingMail.MEETING_CANCELLED).count() == 1


def test_planning_a_meeting_by_hand_gives_it_the_default_agenda(as_persona, personas):
    day = timezone.localdate() + timedelta(days=5)
    response = as_persona("chair").post(
        reverse("planning:meeting_create", args=[personas.hood.slug]),
        {"day": str(day), "starts": "19:00", "ends": "21:00", "place": "Bibliotheek"},
    )
    created = Meeting.objects.get()
    assert response.url == url("planning:agenda_edit", created)
    assert created.items.count() == 8 and created.place == "Bibliotheek"
    assert timezone.localtime(created.starts_at).time() == time(19, 0)


# --- The neighbourhood page ---------------------------------------------------------------------


def test_the_neighbourhood_page_links_the_next_meeting_and_shows_its_published_agenda(
    client, personas, meeting
):
    hood_url = reverse("neighbourhood", args=[personas.hood.slug])
    html = client.get(hood_url).content.decode()
    assert url("planning:meeting", meeting) in html and DRAFT_TITLE not in html
    services.agenda_publish(meeting=meeting)
    html = client.get(hood_url).content.decode()
    assert DRAFT_TITLE in html
    assert "19:30" in html and "19:35" in html  # the opening, then the report back


# --- Query counts at two sizes ----------------------------------------------------------------


def _grow(personas: Any, meeting: Meeting, items: int, problems: int, tag: str = "a") -> None:
    """More items, problems under "New problems", RSVPs and proposals (also one's own)."""
    for n in range(items):
        services.agenda_item_add(meeting=meeting, title=f"Extra punt {tag}{n}", minutes=5)
    found = [
        problem_in(personas, Status.CANDIDATE, title=f"Probleem {tag}{n}") for n in range(problems)
    ]
    services.agenda_item_problems_set(item=item_of(meeting, Kind.NEW_PROBLEMS), problems=found)
    for n in range(problems):
        person = make_person(f"Bewoner {tag}{n}", f"b{tag}{n}@example.nl")
        Membership.objects.create(user=person, neighbourhood=personas.hood, role=Role.RESIDENT)
        services.rsvp_set(meeting=meeting, user=person, answer="yes")
        services.proposal_create(meeting=meeting, by=person, title=f"Voorstel {tag}{n}")
    services.proposal_create(meeting=meeting, by=personas.resident, title=f"Eigen {tag}")


@pytest.mark.parametrize("viewer", ["anonymous", "resident", "chair"])
def test_meeting_page_queries_do_not_grow(
    login, personas, meeting, django_assert_num_queries, viewer
):
    services.agenda_publish(meeting=meeting)
    client = login(personas.by_name(viewer))
    target = url("planning:meeting", meeting)
    _grow(personas, meeting, items=1, problems=1)
    client.get(target)  # warm the session
    with CaptureQueriesContext(connection) as small:
        assert client.get(target).status_code == 200
    _grow(personas, meeting, items=12, problems=15, tag="b")
    with django_assert_num_queries(len(small.captured_queries)):
        response = client.get(target)
    assert response.status_code == 200
    assert "Probleem b14" in response.content.decode()


@pytest.mark.parametrize(
    ("viewer", "name"),
    [("chair", "agenda_edit"), ("anonymous", "meetings")],
)
def test_editor_and_list_queries_do_not_grow(
    login, personas, meeting, viewer, name, django_assert_num_queries
):
    client = login(personas.by_name(viewer))
    target = (
        url(name, meeting)
        if name != "meetings"
        else reverse(view_name(name), args=[personas.hood.slug])
    )
    _grow(personas, meeting, items=1, problems=1)
    Meeting.objects.create(  # one past meeting: with none, Django skips the page's query
        neighbourhood=personas.hood, starts_at=local(-20), ends_at=local(-20, 21)
    )
    client.get(target)
    with CaptureQueriesContext(connection) as small:
        assert client.get(target).status_code == 200
    _grow(personas, meeting, items=10, problems=10, tag="b")
    for n in range(8):
        Meeting.objects.create(
            neighbourhood=personas.hood,
            starts_at=local(-40 * (n + 1)),
            ends_at=local(-40 * (n + 1), 21),
        )
        services.meeting_create(
            neighbourhood=personas.hood,
            starts_at=local(20 + n),
            ends_at=local(20 + n, 21),
            place="",
        )
    with django_assert_num_queries(len(small.captured_queries)):
        assert client.get(target).status_code == 200
