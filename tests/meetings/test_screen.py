"""The chair's agenda screen: who may open it, what it shows (planned and actual time, the
current item, its problems, the timer's states), the controls (start, next/previous with a stale
double click ignored, go to, done, end), saving notes as you type (200, a retry, a 409 with both
texts, a merge), confidential details for the team only and logged, and a query count that does
not grow with the number of items and problems."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from meetings import services as meeting_services
from meetings.planning.models import AgendaItem, AgendaItemProblem, Meeting
from problems.models import ConfidentialView, Problem, TimelineEntry
from problems.workflow import Status
from residents.models import User
from tests.conftest import PERSONA_NAMES, assert_status
from tests.factories import EVENING, insert_problem, link, make_meeting
from tests.support import item_of, view_name

Kind = AgendaItem.Kind
AMSTERDAM = ZoneInfo("Europe/Amsterdam")
RUNNERS = {"chair", "minute_taker", "coordinator"}
CONFIDENTIAL = "Qzconfidentialxq"
SECRET_TITLE = "Qzsecrettitlexq"
REPORTER = "Qzreporterxq"


# --- Helpers -----------------------------------------------------------------------------------


def items_of(meeting: Meeting) -> list[AgendaItem]:
    return list(meeting.items.order_by("position", "pk"))


def url(name: str, meeting: Meeting, *extra: Any) -> str:
    return reverse(view_name(name), args=[meeting.neighbourhood.slug, meeting.pk, *extra])


def current_of(meeting: Meeting) -> int | None:
    return Meeting.objects.values_list("current_item_id", flat=True).get(pk=meeting.pk)


# --- Fixtures ----------------------------------------------------------------------------------


@pytest.fixture
def meeting(personas) -> Meeting:
    return make_meeting(personas.hood, starts_at=timezone.now().replace(microsecond=0))


@pytest.fixture
def live(meeting) -> Meeting:
    return meeting_services.meeting_start(meeting=meeting)


# --- Who may open it ---------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_only_the_chair_minute_taker_and_coordinator_open_the_screen(as_persona, live, persona):
    response = as_persona(persona).get(url("room:meeting_screen", live))
    assert_status(response, persona, RUNNERS, 200)


def test_a_resident_who_chairs_this_meeting_may_run_it(as_persona, personas, live):
    Meeting.objects.filter(pk=live.pk).update(chair=personas.resident)
    assert as_persona("resident").get(url("room:meeting_screen", live)).status_code == 200
    assert as_persona("second_resident").get(url("room:meeting_screen", live)).status_code == 403


def test_a_chair_of_another_neighbourhood_named_on_this_meeting_may_not(as_persona, personas, live):
    Meeting.objects.filter(pk=live.pk).update(chair=personas.outsider_chair)
    assert as_persona("outsider_chair").get(url("room:meeting_screen", live)).status_code == 403


def test_the_screen_of_a_meeting_elsewhere_is_not_found(as_persona, personas, live):
    wrong = reverse("room:meeting_screen", args=[personas.other_hood.slug, live.pk])
    assert as_persona("chair").get(wrong).status_code == 404


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_only_runners_may_move_the_meeting_on(as_persona, live, persona):
    first = items_of(live)[0]
    response = as_persona(persona).post(url("room:meeting_next", live), {"seen": first.pk})
    assert_status(response, persona, RUNNERS, 302)
    moved = persona in RUNNERS
    assert (current_of(live) != first.pk) is moved


@pytest.mark.parametrize("persona", ["anonymous", "resident", "outsider_chair", "wijkagent"])
def test_others_may_not_save_notes(as_persona, live, persona):
    item = items_of(live)[0]
    response = as_persona(persona).post(
        url("room:item_text_save", live, item.pk), {"field": "notes", "text": "Hack", "version": 0}
    )
    assert_status(response, persona, RUNNERS, 200)
    item.refresh_from_db()
    assert item.notes == ""


@pytest.mark.parametrize(
    "name", ["meeting_start", "meeting_previous", "meeting_go_to", "meeting_close"]
)
def test_controls_refuse_residents_and_outsiders(as_persona, meeting, name):
    for persona in ("resident", "outsider_chair", "office"):
        assert as_persona(persona).post(url(name, meeting)).status_code == 403
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.PLANNED


def test_the_screen_only_answers_get(as_persona, live):
    assert as_persona("chair").post(url("room:meeting_screen", live)).status_code == 405


# --- What it shows -----------------------------------------------------------------------------


def test_before_the_start_the_screen_offers_to_start(as_persona, meeting):
    html = as_persona("chair").get(url("room:meeting_screen", meeting)).content.decode()
    assert 'id="start-meeting"' in html
    assert 'id="current-item"' not in html
    assert "planned 5 min" in html  # the opening's time-box


def test_starting_makes_the_first_item_current_and_highlighted(as_persona, meeting):
    client = as_persona("chair")
    response = client.post(url("room:meeting_start", meeting))
    assert response.status_code == 302
    assert response.url == url("room:meeting_screen", meeting)
    html = client.get(response.url).content.decode()
    first = items_of(meeting)[0]
    assert 'id="current-item"' in html
    row = re.search(rf'<li id="agenda-item-{first.pk}"[^>]*>', html)
    assert row is not None
    assert "agenda-row--current" in row.group(0)
    assert 'aria-current="step"' in row.group(0)
    assert "The meeting has started" in html
    assert 'id="shortcuts"' in html and "Alt" in html


def test_the_timer_turns_amber_and_then_red_with_a_word(as_persona, personas):
    with time_machine.travel(EVENING, tick=False) as clock:
        meeting = make_meeting(personas.hood)
        meeting_services.meeting_start(meeting=meeting)  # the opening: 5 minutes
        client = as_persona("chair")

        def timer() -> str:
            html = client.get(url("room:meeting_screen", meeting)).content.decode()
            found = re.search(r'<div id="timer".*?</div>', html, re.S)
            assert found is not None
            return found.group(0)

        clock.shift(timedelta(minutes=2))
        assert "screen-timer--ok" in timer() and "On time" in timer()
        clock.shift(timedelta(minutes=2))  # 1 minute left: the last fifth
        shown = timer()
        assert "screen-timer--amber" in shown and "Almost out of time" in shown
        assert 'data-elapsed="240"' in shown and 'data-limit="300"' in shown
        clock.shift(timedelta(minutes=1, seconds=30))
        shown = timer()
        assert "screen-timer--red" in shown and "Time is up" in shown
        assert "5:30" in shown


def test_the_agenda_shows_planned_and_actual_time_and_done_in_words(as_persona, personas):
    with time_machine.travel(EVENING, tick=False) as clock:
        meeting = make_meeting(personas.hood)
        meeting_services.meeting_start(meeting=meeting)
        first = items_of(meeting)[0]
        clock.shift(timedelta(minutes=6, seconds=5))
        client = as_persona("chair")
        client.post(url("room:meeting_next", meeting), {"seen": first.pk})
        html = client.get(url("room:meeting_screen", meeting)).content.decode()
    row = re.search(rf'<li id="agenda-item-{first.pk}".*?</li>', html, re.S)
    assert row is not None
    assert "Done" in row.group(0)
    assert "planned 5 min" in row.group(0)
    assert "6:05" in row.group(0)
    assert "over time" in row.group(0)


def test_the_current_item_shows_its_problems_support_and_recent_history(as_persona, personas, live):
    item = item_of(live, Kind.NEW_PROBLEMS)
    problem = insert_problem(
        personas.hood, "Hondenpoep op het speelveld", entries=5, support_count=7
    )
    link(item, [problem])
    meeting_services.meeting_go_to(meeting=live, item=item)
    html = as_persona("minute_taker").get(url("room:meeting_screen", live)).content.decode()
    current = html[html.index('id="current-item"') :]
    assert "Hondenpoep op het speelveld" in current
    assert "Beschrijving van Hondenpoep" in current
    assert "7 residents have this problem too" in current
    assert "Stap 0 van" in current and "Stap 2 van" in current
    assert "Stap 3 van" not in current  # the three most recent entries
    assert "New problems" in current  # the panel


def test_an_item_kind_without_a_panel_says_so(as_persona, live):
    item = item_of(live, Kind.PRIORITISE)
    meeting_services.meeting_go_to(meeting=live, item=item)
    html = as_persona("chair").get(url("room:meeting_screen", live)).content.decode()
    assert "priority round" in html
    assert "The notes and the decision below work as usual" in html
    assert 'id="notes"' in html and 'id="decision"' in html


# --- Controls ----------------------------------------------------------------------------------


def test_a_double_click_on_next_moves_one_item(as_persona, live):
    first, second, *_ = items_of(live)
    client = as_persona("chair")
    client.post(url("room:meeting_next", live), {"seen": first.pk})
    client.post(url("room:meeting_next", live), {"seen": first.pk})
    assert current_of(live) == second.pk
    first.refresh_from_db()
    assert first.done_at is not None


def test_previous_goes_back_without_marking_done(as_persona, live):
    first, second, *_ = items_of(live)
    client = as_persona("chair")
    client.post(url("room:meeting_next", live), {"seen": first.pk})
    client.post(url("room:meeting_previous", live), {"seen": second.pk})
    client.post(url("room:meeting_previous", live), {"seen": second.pk})  # stale: ignored
    assert current_of(live) == first.pk
    second.refresh_from_db()
    assert second.done_at is None


def test_go_to_a_chosen_item(as_persona, live):
    closing = item_of(live, Kind.CLOSING)
    first = items_of(live)[0]
    as_persona("chair").post(
        url("room:meeting_go_to", live), {"item": closing.pk, "seen": first.pk}
    )
    assert current_of(live) == closing.pk


def test_go_to_an_item_of_another_meeting_changes_nothing(as_persona, personas, live):
    other = make_meeting(personas.hood, starts_at=live.starts_at + timedelta(days=28))
    client = as_persona("chair")
    response = client.post(url("room:meeting_go_to", live), {"item": items_of(other)[2].pk})
    assert response.status_code == 302
    assert current_of(live) == items_of(live)[0].pk
    assert "not on this agenda" in client.get(response.url).content.decode()


def test_mark_done_and_undo(as_persona, live):
    first = items_of(live)[0]
    client = as_persona("minute_taker")
    client.post(url("room:item_done", live, first.pk))
    first.refresh_from_db()
    assert first.done_at is not None and first.started_at is None
    html = client.get(url("room:meeting_screen", live)).content.decode()
    assert 'id="mark-not-done"' in html and "Timer stopped" in html
    client.post(url("room:item_reopen", live, first.pk))
    first.refresh_from_db()
    assert first.done_at is None


def test_an_item_of_another_meeting_is_not_found(as_persona, personas, live):
    other = make_meeting(personas.hood, starts_at=live.starts_at + timedelta(days=28))
    stranger = items_of(other)[0]
    client = as_persona("chair")
    assert client.post(url("room:item_done", live, stranger.pk)).status_code == 404
    response = client.post(
        url("room:item_text_save", live, stranger.pk), {"field": "notes", "text": "x", "version": 0}
    )
    assert response.status_code == 404


def test_ending_the_meeting_stops_the_timer(as_persona, personas):
    with time_machine.travel(EVENING, tick=False) as clock:
        meeting = make_meeting(personas.hood)
        meeting_services.meeting_start(meeting=meeting)
        clock.shift(timedelta(minutes=3))
        client = as_persona("chair")
        response = client.post(url("room:meeting_close", meeting))
        assert response.status_code == 302
        html = client.get(response.url).content.decode()
    meeting.refresh_from_db()
    first = items_of(meeting)[0]
    assert meeting.status == Meeting.Status.CLOSED
    assert first.started_at is None and first.spent_seconds == 180
    assert "This meeting was closed at 19:33" in html
    assert 'id="next-item"' not in html and 'id="close-meeting-confirm"' not in html


def test_controls_on_a_meeting_not_in_progress_change_nothing(as_persona, meeting):
    client = as_persona("chair")
    response = client.post(url("room:meeting_next", meeting))
    assert response.status_code == 302
    assert "not in progress" in client.get(response.url).content.decode()
    assert current_of(meeting) is None


def test_htmx_controls_answer_with_the_screen_in_place(as_persona, live):
    first, second, *_ = items_of(live)
    response = as_persona("chair").post(
        url("room:meeting_next", live), {"seen": first.pk}, headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="screen"')
    assert "<html" not in html
    assert f'data-item="{second.pk}"' in html


def test_the_roles_for_next_time_are_saved_on_the_next_meeting(as_persona, personas, live):
    following = make_meeting(personas.hood, starts_at=live.starts_at + timedelta(days=28))
    meeting_services.meeting_go_to(meeting=live, item=item_of(live, Kind.CLOSING))
    client = as_persona("chair")
    html = client.get(url("room:meeting_screen", live)).content.decode()
    assert 'id="next-chair"' in html and 'id="next-minute_taker"' in html
    response = client.post(
        url("room:meeting_next_roles", live),
        {"chair": personas.resident.pk, "minute_taker": personas.second_resident.pk},
    )
    assert response.status_code == 302
    following.refresh_from_db()
    assert following.chair == personas.resident
    assert following.minute_taker == personas.second_resident
    # Someone who is not a member cannot be chosen.
    client.post(url("room:meeting_next_roles", live), {"chair": personas.outsider.pk})
    following.refresh_from_db()
    assert following.chair == personas.resident
    assert as_persona("resident").post(url("room:meeting_next_roles", live)).status_code == 403


# --- Notes and decision ------------------------------------------------------------------------


def save(client, meeting: Meeting, item: AgendaItem, text: str, version: int, **extra: Any):
    data = {"field": extra.pop("field", "notes"), "text": text, "version": version, **extra}
    return client.post(
        url("room:item_text_save", meeting, item.pk), data, headers={"HX-Request": "true"}
    )


def test_autosave_answers_with_the_new_version_and_the_time(as_persona, personas):
    with time_machine.travel(EVENING + timedelta(minutes=12), tick=False):
        meeting = make_meeting(personas.hood)
        meeting_services.meeting_start(meeting=meeting)
        item = items_of(meeting)[0]
        response = save(as_persona("chair"), meeting, item, "Welkom, 14 bewoners.", 0)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="notes-meta"' in html
    assert 'name="version" value="1"' in html
    assert "Saved at 19:42" in html
    assert 'id="save-status"' in html and 'hx-swap-oob="true"' in html
    item.refresh_from_db()
    assert item.notes == "Welkom, 14 bewoners." and item.notes_version == 1


def test_a_retry_of_the_same_text_is_saved_not_a_conflict(as_persona, live):
    item = items_of(live)[0]
    client = as_persona("chair")
    save(client, live, item, "Besluit: ja", 0, field="decision")
    again = save(client, live, item, "Besluit: ja", 0, field="decision")
    assert again.status_code == 200
    assert 'name="version" value="1"' in again.content.decode()


def test_a_conflict_answers_409_with_both_texts_and_a_merge_field(as_persona, live):
    item = items_of(live)[0]
    meeting_services.item_text_save(
        item=item, field="notes", text="Tekst van de notulist", base_version=0
    )
    response = save(as_persona("chair"), live, item, "Tekst van de voorzitter", 0)
    html = response.content.decode()
    assert response.status_code == 409
    assert response["HX-Retarget"] == "#notes-field"
    assert "Tekst van de notulist" in html and "Tekst van de voorzitter" in html
    merge = re.search(r'<textarea id="notes"[^>]*>(.*?)</textarea>', html, re.S)
    assert merge is not None
    assert "Tekst van de notulist" in merge.group(1) and "Tekst van de voorzitter" in merge.group(1)
    assert 'name="version" value="1"' in html
    item.refresh_from_db()
    assert item.notes == "Tekst van de notulist"  # nothing overwritten


def test_saving_the_merge_on_the_new_version_answers_the_whole_field(as_persona, live):
    item = items_of(live)[0]
    meeting_services.item_text_save(item=item, field="notes", text="A", base_version=0)
    response = save(as_persona("chair"), live, item, "A\nB", 1, merge="1")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="notes-field"' in html and "data-autosave" in html
    assert "\nA\nB</textarea>" in html
    item.refresh_from_db()
    assert item.notes == "A\nB" and item.notes_version == 2


def test_line_breaks_from_the_browser_are_saved_as_typed(as_persona, live):
    item = items_of(live)[0]
    save(as_persona("chair"), live, item, "een\r\ntwee\r\n", 0)
    item.refresh_from_db()
    assert item.notes == "een\ntwee\n"


def test_without_javascript_the_save_button_redirects_back(as_persona, live):
    item = items_of(live)[0]
    client = as_persona("chair")
    response = client.post(
        url("room:item_text_save", live, item.pk), {"field": "decision", "text": "Ja", "version": 0}
    )
    assert response.status_code == 302
    assert response.url == url("room:meeting_screen", live) + "#decision"
    assert "Decision: Saved at" in client.get(response.url).content.decode()


def test_without_javascript_a_conflict_shows_both_texts_on_a_page(as_persona, live):
    item = items_of(live)[0]
    meeting_services.item_text_save(item=item, field="notes", text="Eerste", base_version=0)
    response = as_persona("chair").post(
        url("room:item_text_save", live, item.pk),
        {"field": "notes", "text": "Tweede", "version": 0},
    )
    html = response.content.decode()
    assert response.status_code == 409
    assert "<html" in html and "Eerste" in html and "Tweede" in html
    assert 'name="merge" value="1"' in html


def test_a_save_without_a_version_is_refused_with_a_clear_error(as_persona, live):
    item = items_of(live)[0]
    response = as_persona("chair").post(
        url("room:item_text_save", live, item.pk),
        {"field": "notes", "text": "x"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 400
    assert "out of date" in response.content.decode()
    item.refresh_from_db()
    assert item.notes == ""


def test_the_screen_shows_saved_text_and_its_version(as_persona, live):
    item = items_of(live)[0]
    meeting_services.item_text_save(
        item=item, field="notes", text="Al <b>opgeslagen</b>", base_version=0
    )
    html = as_persona("chair").get(url("room:meeting_screen", live)).content.decode()
    assert "Al &lt;b&gt;opgeslagen&lt;/b&gt;</textarea>" in html
    notes = html[html.index('id="notes-field"') : html.index('id="decision-field"')]
    assert 'name="version" value="1"' in notes
    assert 'hx-trigger="input changed delay:800ms, save-now"' in notes


# --- Confidential details --------------------------------------------------------------------


@pytest.fixture
def sensitive_item(personas, live) -> tuple[AgendaItem, Problem]:
    reporter = User.objects.create(display_name=f"Bewoner {REPORTER}", email="q@example.nl")
    problem = insert_problem(
        personas.hood,
        f"Dealen bij {SECRET_TITLE}",
        category="drugsoverlast",
        sensitive=True,
        public_summary="Drugsoverlast bij het park",
        confidential_details=f"Nummer 8 {CONFIDENTIAL}",
        reporter=reporter,
        entries=1,
    )
    TimelineEntry.objects.filter(problem=problem).update(
        confidential_note=f"Notitie {CONFIDENTIAL}"
    )
    item = item_of(live, Kind.NEW_PROBLEMS)
    link(item, [problem])
    meeting_services.meeting_go_to(meeting=live, item=item)
    return item, problem


@pytest.mark.parametrize("persona", sorted(RUNNERS))
def test_confidential_details_are_hidden_until_asked(as_persona, live, sensitive_item, persona):
    html = as_persona(persona).get(url("room:meeting_screen", live)).content.decode()
    assert "Drugsoverlast bij het park" in html
    for marker in (CONFIDENTIAL, SECRET_TITLE, REPORTER):
        assert marker not in html
    assert ConfidentialView.objects.count() == 0


def test_the_team_sees_confidential_details_when_asked_and_it_is_logged(
    as_persona, personas, live, sensitive_item
):
    _item, problem = sensitive_item
    html = (
        as_persona("chair")
        .get(url("room:meeting_screen", live) + "?vertrouwelijk=1")
        .content.decode()
    )
    for marker in (CONFIDENTIAL, SECRET_TITLE, REPORTER):
        assert marker in html
    view = ConfidentialView.objects.get()
    assert view.problem == problem and view.user == personas.chair


def test_the_minute_taker_never_sees_confidential_details(as_persona, live, sensitive_item):
    html = (
        as_persona("minute_taker")
        .get(url("room:meeting_screen", live) + "?vertrouwelijk=1")
        .content.decode()
    )
    for marker in (CONFIDENTIAL, SECRET_TITLE, REPORTER):
        assert marker not in html
    assert "Show the confidential details" not in html
    assert ConfidentialView.objects.count() == 0


def test_a_report_not_yet_accepted_stays_with_the_team(as_persona, personas, live):
    item = item_of(live, Kind.NEW_PROBLEMS)
    link(item, [insert_problem(personas.hood, "Qzunmoderatedxq", status=Status.NEW)])
    meeting_services.meeting_go_to(meeting=live, item=item)
    assert (
        "Qzunmoderatedxq"
        in as_persona("chair").get(url("room:meeting_screen", live)).content.decode()
    )
    html = as_persona("minute_taker").get(url("room:meeting_screen", live)).content.decode()
    assert "Qzunmoderatedxq" not in html


# --- Queries -----------------------------------------------------------------------------------


def grow(meeting: Meeting, *, items: int, problems: int, tag: str) -> None:
    """Give the meeting this many agenda items and problems on its "New problems" item."""
    hood = meeting.neighbourhood
    have = meeting.items.count()
    for n in range(items - have):
        meeting_services.agenda_item_add(
            meeting=meeting, title=f"Extra punt {tag}{n}", description="", minutes=5
        )
    item = item_of(meeting, Kind.NEW_PROBLEMS)
    have = AgendaItemProblem.objects.filter(item=item).count()
    link(
        item,
        [
            insert_problem(
                hood,
                f"Probleem {tag}{n}",
                entries=4,
                status=Status.PRIORITY if n % 5 == 0 else Status.ACCEPTED,
                sensitive=n % 3 == 0,
                reporter=None,
            )
            for n in range(problems - have)
        ],
    )


@pytest.mark.parametrize(
    ("persona", "query"),
    [("chair", ""), ("chair", "?vertrouwelijk=1"), ("minute_taker", "")],
)
def test_the_screen_queries_do_not_grow_with_items_and_problems(
    as_persona, personas, persona, query, django_assert_max_num_queries
):
    meeting = make_meeting(personas.hood, starts_at=timezone.now().replace(microsecond=0))
    previous = make_meeting(personas.hood, starts_at=meeting.starts_at - timedelta(days=28))
    Meeting.objects.filter(pk=previous.pk).update(status=Meeting.Status.CLOSED)
    keep = {Kind.OPENING, Kind.NEW_PROBLEMS, Kind.CLOSING}
    for item in meeting.items.exclude(kind__in=keep):
        meeting_services.agenda_item_remove(item=item)
    meeting_services.meeting_start(meeting=meeting)
    grow(meeting, items=3, problems=2, tag="a")
    meeting_services.meeting_go_to(meeting=meeting, item=item_of(meeting, Kind.NEW_PROBLEMS))
    client = as_persona(persona)
    target = url("room:meeting_screen", meeting) + query
    client.get(target)  # warm the session and the second-factor check
    with django_assert_max_num_queries(16) as small:
        response = client.get(target)
    assert response.content.decode().count('class="screen-problem"') == 2
    grow(meeting, items=12, problems=40, tag="b")
    with CaptureQueriesContext(connection) as large:
        response = client.get(target)
    assert response.content.decode().count('class="screen-problem"') == 40
    assert response.content.decode().count('<li id="agenda-item-') == 12
    assert len(large.captured_queries) == len(small.captured_queries)


@pytest.mark.parametrize("kind", [Kind.OPENING, Kind.STATE, Kind.CLOSING, Kind.PRIORITISE])
def test_every_panel_keeps_the_screen_query_count_flat(
    as_persona, personas, kind, django_assert_max_num_queries
):
    meeting = make_meeting(personas.hood, starts_at=timezone.now().replace(microsecond=0))
    make_meeting(personas.hood, starts_at=meeting.starts_at + timedelta(days=28))
    meeting_services.meeting_start(meeting=meeting)
    meeting_services.meeting_go_to(meeting=meeting, item=item_of(meeting, kind))
    client = as_persona("chair")
    target = url("room:meeting_screen", meeting)
    client.get(target)
    with django_assert_max_num_queries(16) as small:
        client.get(target)
    grow(meeting, items=20, problems=30, tag="c")
    for n in range(12):
        meeting_services.attendance_record(
            meeting=meeting, by=personas.chair, user=None, name=f"Gast {n}", kind="professional"
        )
    with CaptureQueriesContext(connection) as large:
        client.get(target)
    assert len(large.captured_queries) == len(small.captured_queries)
