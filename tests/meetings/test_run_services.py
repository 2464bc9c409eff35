"""Running a meeting live (meetings.services), as the agenda screen uses it: starting,
moving between items (a stale double click is not applied twice), marking done, closing, and
saving notes with the version they were based on."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import translation

from meetings import services as meeting_services
from meetings.planning.models import AgendaItem, Meeting
from meetings.services import MeetingStateError, TextConflict
from tests.factories import EVENING, make_meeting


def items_of(meeting: Meeting) -> list[AgendaItem]:
    return list(meeting.items.order_by("position", "pk"))


@pytest.fixture
def meeting(personas) -> Meeting:
    return make_meeting(personas.hood)


@pytest.fixture
def clock():
    with time_machine.travel(EVENING, tick=False) as traveller:
        yield traveller


def test_start_makes_the_first_item_current_and_starts_its_timer(meeting, clock):
    started = meeting_services.meeting_start(meeting=meeting)
    first = items_of(meeting)[0]
    assert started.status == Meeting.Status.IN_PROGRESS
    assert started.current_item_id == first.pk
    first.refresh_from_db()
    assert first.started_at == EVENING
    assert started.started_at == EVENING


def test_starting_a_started_meeting_changes_nothing(meeting, clock):
    meeting_services.meeting_start(meeting=meeting)
    first = items_of(meeting)[0]
    clock.shift(timedelta(minutes=3))
    again = meeting_services.meeting_start(meeting=meeting)
    first.refresh_from_db()
    assert again.current_item_id == first.pk
    assert first.started_at == EVENING  # the timer was not restarted


def test_a_cancelled_meeting_cannot_start_and_says_why(meeting, personas, clock):
    meeting_services.meeting_cancel(meeting=meeting, reason="Geen zaal", by=personas.chair)
    with translation.override("en"), pytest.raises(MeetingStateError) as refused:
        meeting_services.meeting_start(meeting=meeting)
    assert refused.value.code == "meeting_not_startable"
    with translation.override("en"):
        assert refused.value.messages == ["This meeting cannot be started: it is cancelled."]


def test_the_current_item_cannot_be_removed(meeting, clock):
    meeting_services.meeting_start(meeting=meeting)
    first = items_of(meeting)[0]
    with pytest.raises(MeetingStateError) as refused:
        meeting_services.agenda_item_remove(item=first)
    assert refused.value.code == "item_current"
    assert meeting.items.filter(pk=first.pk).exists()


def test_the_next_chair_must_be_a_member(meeting, personas):
    with pytest.raises(ValidationError) as refused:
        meeting_services.meeting_roles_set(
            meeting=meeting, chair=personas.chair, minute_taker=personas.outsider
        )
    assert refused.value.error_dict["minute_taker"][0].code == "not_a_member"
    meeting.refresh_from_db()
    assert meeting.chair_id is None


def test_next_moves_one_item_and_marks_the_previous_one_done(meeting, clock):
    meeting_services.meeting_start(meeting=meeting)
    first, second, *_ = items_of(meeting)
    clock.shift(timedelta(minutes=4))
    moved = meeting_services.meeting_go_to(meeting=meeting, step=1, mark_done=True, seen=first.pk)
    assert moved.current_item_id == second.pk
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.done_at is not None
    assert first.started_at is None
    assert first.spent_seconds == 240
    assert second.started_at == EVENING + timedelta(minutes=4)


def test_a_stale_double_click_on_next_moves_only_one_item(meeting, clock):
    meeting_services.meeting_start(meeting=meeting)
    first, second, third, *_ = items_of(meeting)
    # Both clicks were made on a screen that showed the first item.
    meeting_services.meeting_go_to(meeting=meeting, step=1, seen=first.pk)
    after_second_click = meeting_services.meeting_go_to(meeting=meeting, step=1, seen=first.pk)
    assert after_second_click.current_item_id == second.pk
    third.refresh_from_db()
    assert third.started_at is None


def test_a_stale_previous_click_is_ignored(meeting, clock):
    meeting_services.meeting_start(meeting=meeting)
    first, second, third, *_ = items_of(meeting)
    meeting_services.meeting_go_to(meeting=meeting, step=1, seen=first.pk)
    meeting_services.meeting_go_to(meeting=meeting, step=1, seen=second.pk)
    # A second tab still showed the second item and clicked "previous".
    stale = meeting_services.meeting_go_to(meeting=meeting, step=-1, seen=second.pk)
    assert stale.current_item_id == third.pk
    fresh = meeting_services.meeting_go_to(meeting=meeting, step=-1, seen=third.pk)
    assert fresh.current_item_id == second.pk


def test_going_back_and_forth_adds_up_the_time_of_every_turn(meeting, clock):
    meeting_services.meeting_start(meeting=meeting)
    first, second, *_ = items_of(meeting)
    clock.shift(timedelta(minutes=2))
    meeting_services.meeting_go_to(meeting=meeting, step=1, seen=first.pk)
    clock.shift(timedelta(minutes=3))
    # As the screen's "go to" does: the item as it is in the database now.
    back = AgendaItem.objects.get(pk=first.pk)
    meeting_services.meeting_go_to(meeting=meeting, item=back, seen=second.pk)
    clock.shift(timedelta(minutes=1))
    meeting_services.meeting_go_to(meeting=meeting, step=1, seen=first.pk)
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.spent_seconds == 180
    assert second.spent_seconds == 180
    assert second.started_at == EVENING + timedelta(minutes=6)


def test_going_past_the_last_item_stays_there(meeting, clock):
    meeting_services.meeting_start(meeting=meeting)
    items = items_of(meeting)
    meeting_services.meeting_go_to(meeting=meeting, item=items[-1])
    stays = meeting_services.meeting_go_to(meeting=meeting, step=1, seen=items[-1].pk)
    assert stays.current_item_id == items[-1].pk


def test_done_stops_the_timer_and_keeps_the_item_current(meeting, clock):
    meeting_services.meeting_start(meeting=meeting)
    first = items_of(meeting)[0]
    clock.shift(timedelta(minutes=5, seconds=30))
    meeting_services.item_done(item=first, meeting=meeting)
    first.refresh_from_db()
    meeting.refresh_from_db()
    assert first.done_at == EVENING + timedelta(minutes=5, seconds=30)
    assert first.started_at is None
    assert first.spent_seconds == 330
    assert meeting.current_item_id == first.pk


def test_close_stops_the_running_timer_and_adds_its_time(meeting, clock):
    meeting_services.meeting_start(meeting=meeting)
    first, second, *_ = items_of(meeting)
    clock.shift(timedelta(minutes=2))
    meeting_services.meeting_go_to(meeting=meeting, step=1, seen=first.pk)
    clock.shift(timedelta(minutes=7))
    closed = meeting_services.meeting_close(meeting=meeting)
    second.refresh_from_db()
    assert closed.status == Meeting.Status.CLOSED
    assert closed.current_item_id is None
    assert closed.closed_at == EVENING + timedelta(minutes=9)
    assert second.started_at is None
    assert second.spent_seconds == 420
    with pytest.raises(MeetingStateError) as refused:
        meeting_services.meeting_go_to(meeting=meeting, step=1)
    assert refused.value.code == "meeting_not_live"


def test_closing_twice_changes_nothing(meeting, clock):
    meeting_services.meeting_start(meeting=meeting)
    meeting_services.meeting_close(meeting=meeting)
    clock.shift(timedelta(minutes=1))
    again = meeting_services.meeting_close(meeting=meeting)
    assert again.closed_at == EVENING


def test_saving_notes_returns_the_next_version(meeting, clock):
    item = items_of(meeting)[0]
    version = meeting_services.item_text_save(
        item=item, field="notes", text="Welkom door Fatima.", base_version=0
    )
    assert version == 1
    item.refresh_from_db()
    assert item.notes == "Welkom door Fatima."
    assert item.notes_version == 1
    assert item.notes_saved_at == EVENING


def test_a_retry_of_a_save_that_landed_is_not_a_conflict(meeting, clock):
    item = items_of(meeting)[0]
    meeting_services.item_text_save(item=item, field="decision", text="Ja.", base_version=0)
    # The answer got lost on the wifi; the browser sends the same text again.
    version = meeting_services.item_text_save(
        item=item, field="decision", text="Ja.", base_version=0
    )
    assert version == 1


def test_a_save_based_on_an_old_version_is_a_conflict_and_overwrites_nothing(meeting, clock):
    item = items_of(meeting)[0]
    meeting_services.item_text_save(item=item, field="notes", text="Tab een", base_version=0)
    with pytest.raises(TextConflict) as raised:
        meeting_services.item_text_save(item=item, field="notes", text="Tab twee", base_version=0)
    assert raised.value.theirs == "Tab een"
    assert raised.value.version == 1
    item.refresh_from_db()
    assert item.notes == "Tab een"
    # Saving the merged text on the version it was given succeeds.
    merged = meeting_services.item_text_save(
        item=item, field="notes", text="Tab een\nTab twee", base_version=1
    )
    assert merged == 2


def test_the_texts_of_a_cancelled_meeting_are_kept_as_they_are(meeting, personas):
    item = items_of(meeting)[0]
    meeting_services.meeting_cancel(meeting=meeting, reason="Geen zaal", by=personas.chair)
    with pytest.raises(MeetingStateError) as refused:
        meeting_services.item_text_save(item=item, field="notes", text="Laat", base_version=0)
    assert refused.value.code == "meeting_cancelled"
