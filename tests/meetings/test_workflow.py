"""The meeting's workflow table (meetings.workflow): every allowed transition works through its
service and every other status is refused; each named rule holds the statuses it held before it
had a name, the services refuse what their rule does not allow, and the rules that depend on
the time change at their boundary."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
import time_machine

from meetings import selectors, workflow
from meetings import services as meeting_services
from meetings.minutes import services as minutes_services
from meetings.minutes.models import Minutes, MinutesVersion
from meetings.planning.models import Meeting, Rsvp
from meetings.services import MeetingStateError
from meetings.workflow import TRANSITIONS, Move, Status
from tests.factories import EVENING, make_meeting

P, AP, IP = Status.PLANNED, Status.AGENDA_PUBLISHED, Status.IN_PROGRESS
C, MP, X = Status.CLOSED, Status.MINUTES_PUBLISHED, Status.CANCELLED
# An hour and a half before the meeting, on its day (checking in is for the day itself).
BEFORE_THE_MEETING = EVENING - timedelta(minutes=90)


def _publish_minutes(meeting: Meeting, personas: Any) -> None:
    """Publish rendered minutes (the rows written here: the PDF is not what is tested)."""
    minutes = Minutes.objects.create(
        meeting=meeting, neighbourhood=meeting.neighbourhood, body="<p>Notulen</p>"
    )
    version = MinutesVersion.objects.create(
        minutes=minutes,
        number=1,
        body="<p>Notulen</p>",
        render_status=MinutesVersion.RenderStatus.DONE,
    )
    minutes_services.minutes_publish(version, personas.chair)


# The service that makes each move.
MAKES: dict[Move, Callable[[Meeting, Any], Any]] = {
    Move.PUBLISH_AGENDA: lambda m, p: meeting_services.agenda_publish(meeting=m),
    Move.UNPUBLISH_AGENDA: lambda m, p: meeting_services.agenda_unpublish(meeting=m),
    Move.START: lambda m, p: meeting_services.meeting_start(meeting=m),
    Move.CLOSE: lambda m, p: meeting_services.meeting_close(meeting=m),
    Move.CANCEL: lambda m, p: meeting_services.meeting_cancel(
        meeting=m, reason="Buurthuis gesloten", by=p.chair
    ),
    Move.PUBLISH_MINUTES: _publish_minutes,
}


def meeting_in(personas: Any, status: str) -> Meeting:
    return make_meeting(personas.hood, items=2, status=status)


# --- The transitions ------------------------------------------------------------------------------


# The transitions as the services made them before the table (their `_require` sets).
TABLE = {
    Move.PUBLISH_AGENDA: ({P}, AP),
    Move.UNPUBLISH_AGENDA: ({AP}, P),
    Move.START: ({P, AP}, IP),
    Move.CANCEL: ({P, AP}, X),
    Move.CLOSE: ({IP}, C),
    Move.PUBLISH_MINUTES: ({C}, MP),
}


def test_the_table_holds_the_transitions_the_services_always_made():
    assert {t.move: (set(t.sources), t.target) for t in TRANSITIONS} == TABLE


def test_every_move_is_in_the_table_once_and_has_a_service():
    assert [t.move for t in TRANSITIONS] == list(dict.fromkeys(t.move for t in TRANSITIONS))
    assert set(workflow.BY_MOVE) == set(Move) == set(MAKES)


@pytest.mark.parametrize(
    ("move", "source"),
    [(t.move, source) for t in TRANSITIONS for source in sorted(t.sources)],
)
def test_every_allowed_transition_works_through_its_service(personas, move, source):
    meeting = meeting_in(personas, source)
    assert workflow.allowed(move, source)
    MAKES[move](meeting, personas)
    meeting.refresh_from_db()
    assert meeting.status == workflow.BY_MOVE[move].target


@pytest.mark.parametrize(
    ("move", "source"),
    [
        (t.move, source)
        for t in TRANSITIONS
        for source in Status
        if source not in t.sources and source != t.target
    ],
)
def test_every_other_status_is_refused(personas, move, source):
    meeting = meeting_in(personas, source)
    assert not workflow.allowed(move, source)
    if move == Move.PUBLISH_MINUTES:
        # Minutes of a meeting not closed on the agenda screen publish; its status stays.
        _publish_minutes(meeting, personas)
        assert Minutes.objects.get(meeting=meeting).is_published
    else:
        with pytest.raises(MeetingStateError):
            MAKES[move](meeting, personas)
    meeting.refresh_from_db()
    assert meeting.status == source


@pytest.mark.parametrize("move", [Move.START, Move.CLOSE])
def test_starting_or_closing_again_changes_nothing(personas, move):
    target = workflow.BY_MOVE[move].target
    meeting = meeting_in(personas, target)
    version = meeting.version
    MAKES[move](meeting, personas)
    meeting.refresh_from_db()
    assert (meeting.status, meeting.version) == (target, version)


# --- The named rules ----------------------------------------------------------------------------

# The statuses each rule allowed when it was still a set in a view or a service.
EXPECTED = {
    "BEFORE": {P, AP},
    "LIVE": {IP},
    "OVER": {C, MP},
    "NOT_OVER": {P, AP, IP},
    "PUBLIC_AGENDA": {AP, IP, C, MP},
    "AGENDA_EDITABLE": {P, AP, IP},
    "CHANGEABLE": {P, AP},
    "RSVP_OPEN": {P, AP, IP},
    "PROPOSALS_OPEN": {P, AP},
    "CHECK_IN_OPEN": {P, AP, IP},
    "RECORDABLE": {P, AP, IP, C},
    "NEW_ROUND": {P, AP, IP},
    "TAKES_PLACE": {P, AP},
    "AGENDA_ON_PROJECTOR": {AP, IP},
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_rule_allows_the_statuses_it_always_did(name):
    assert getattr(workflow, name) == EXPECTED[name]


@pytest.mark.parametrize("status", list(Status))
def test_the_models_properties_follow_the_rules(status):
    meeting = Meeting(status=status)
    assert meeting.agenda_public == (status in EXPECTED["PUBLIC_AGENDA"])
    assert meeting.live == (status == IP)
    assert meeting.over == (status in EXPECTED["OVER"])
    assert meeting.cancelled == (status == X)


def _item_text(m: Meeting, p: Any) -> Any:
    item = m.items.order_by("position")[0]
    return meeting_services.item_text_save(
        item=item, field="notes", text="Besproken", base_version=item.notes_version
    )


# What each rule lets through, as the services check it.
GUARDED: list[tuple[str, str, Callable[[Meeting, Any], Any]]] = [
    (
        "AGENDA_EDITABLE",
        "agenda_item_add",
        lambda m, p: meeting_services.agenda_item_add(meeting=m, title="Speeltuin"),
    ),
    (
        "CHANGEABLE",
        "meeting_move",
        lambda m, p: meeting_services.meeting_move(
            meeting=m,
            starts_at=m.starts_at + timedelta(hours=1),
            ends_at=m.ends_at + timedelta(hours=1),
            place=m.place,
            by=p.chair,
        ),
    ),
    (
        "PROPOSALS_OPEN",
        "proposal_create",
        lambda m, p: meeting_services.proposal_create(meeting=m, by=p.resident, title="Bankje"),
    ),
    (
        "RSVP_OPEN",
        "rsvp_set",
        lambda m, p: meeting_services.rsvp_set(meeting=m, user=p.resident, answer=Rsvp.Answer.YES),
    ),
    (
        "RECORDABLE",
        "attendance_record",
        lambda m, p: meeting_services.attendance_record(meeting=m, by=p.chair, name="Gast"),
    ),
    (
        "RECORDABLE",
        "walk_ins_set",
        lambda m, p: meeting_services.walk_ins_set(meeting=m, count=3),
    ),
    ("RECORDABLE", "item_text_save", _item_text),
    (
        "CHECK_IN_OPEN",
        "check_in",
        lambda m, p: meeting_services.check_in(meeting=m, user=p.resident),
    ),
    (
        "LIVE",
        "meeting_go_to",
        lambda m, p: meeting_services.meeting_go_to(meeting=m, step=1),
    ),
]


@pytest.mark.parametrize("status", list(Status))
@pytest.mark.parametrize(("rule", "service", "call"), GUARDED, ids=[g[1] for g in GUARDED])
def test_the_services_allow_what_their_rule_allows_and_refuse_the_rest(
    personas, rule, service, call, status
):
    with time_machine.travel(BEFORE_THE_MEETING, tick=False):
        meeting = meeting_in(personas, status)
        if status in getattr(workflow, rule):
            call(meeting, personas)
        else:
            with pytest.raises(MeetingStateError):
                call(meeting, personas)


# --- Rules that also depend on the time ----------------------------------------------------------

NOW = datetime(2025, 3, 11, 18, 0, tzinfo=EVENING.tzinfo)
SECOND = timedelta(seconds=1)


def at(status: str, starts_at: datetime, ends_at: datetime | None = None) -> Meeting:
    return Meeting(status=status, starts_at=starts_at, ends_at=ends_at or starts_at + SECOND)


@pytest.mark.parametrize("status", list(Status))
def test_rsvp_is_open_until_the_meeting_ends(status):
    open_ = status in EXPECTED["RSVP_OPEN"]
    assert workflow.rsvp_open(at(status, NOW - timedelta(hours=2), NOW), NOW) == open_
    assert not workflow.rsvp_open(at(status, NOW - timedelta(hours=2), NOW - SECOND), NOW)


@pytest.mark.parametrize("status", list(Status))
def test_proposals_are_open_until_the_meeting_starts(status):
    open_ = status in EXPECTED["PROPOSALS_OPEN"]
    assert workflow.proposals_open(at(status, NOW + SECOND), NOW) == open_
    assert not workflow.proposals_open(at(status, NOW), NOW)


@pytest.mark.parametrize("status", list(Status))
def test_minutes_can_be_drafted_once_the_meeting_is_over(status):
    ended = at(status, NOW - timedelta(hours=2), NOW)
    running = at(status, NOW - timedelta(hours=2), NOW + SECOND)
    assert workflow.minutes_draftable(ended, NOW) == (status in {P, AP, C, MP})
    # Closed on the agenda screen: at once, also before the planned end.
    assert workflow.minutes_draftable(running, NOW) == (status in {C, MP})


def test_minutes_may_draft_asks_the_rule_with_the_current_time(personas):
    meeting = make_meeting(personas.hood, EVENING, items=0)  # planned, 19:30 to 21:30
    with time_machine.travel(meeting.ends_at - SECOND, tick=False):
        assert not minutes_services.minutes_may_draft(meeting)
    with time_machine.travel(meeting.ends_at, tick=False):
        assert minutes_services.minutes_may_draft(meeting)


@pytest.mark.parametrize("status", list(Status))
def test_a_meeting_is_not_over_until_its_end(status):
    not_over = status in EXPECTED["NOT_OVER"]
    assert workflow.not_over(at(status, NOW - timedelta(hours=2), NOW), NOW) == not_over
    assert not workflow.not_over(at(status, NOW - timedelta(hours=2), NOW - SECOND), NOW)


def test_the_not_over_filter_finds_what_the_rule_says(personas):
    made = [
        make_meeting(personas.hood, NOW - timedelta(hours=2), ends_at=ends_at, items=0, status=s)
        for s in Status
        for ends_at in (NOW - SECOND, NOW, NOW + timedelta(hours=1))
    ]
    found = set(Meeting.objects.filter(workflow.not_over_q(NOW)).values_list("pk", flat=True))
    assert found == {m.pk for m in made if workflow.not_over(m, NOW)}
    assert len(found) == 6  # three statuses, two ends each


# --- The previous meeting -------------------------------------------------------------------------


def test_new_since_is_the_previous_meetings_start_or_a_month_back(personas):
    meeting = make_meeting(personas.hood, EVENING, items=0)
    first = selectors.new_since(meeting)
    assert (first.at, first.previous) == (EVENING - timedelta(days=31), False)
    make_meeting(personas.hood, EVENING - timedelta(days=7), items=0, status=X)
    make_meeting(personas.other_hood, EVENING - timedelta(days=6), items=0)
    assert selectors.new_since(meeting) == first  # cancelled, or another neighbourhood's
    earlier = make_meeting(personas.hood, EVENING - timedelta(days=28), items=0, status=C)
    assert selectors.new_since(meeting) == selectors.Since(at=earlier.starts_at, previous=True)
    assert selectors.meeting_before(meeting) == earlier
