"""Planning meetings from a neighbourhood's rhythm, in Dutch wall-clock time."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
import time_machine
from django.db import IntegrityError, transaction
from django.urls import reverse

from buurtoverleg.due import DUE_WORK, run_due
from meetings.planning.models import Meeting
from meetings.planning.schedule import meetings_plan_from_rhythm, rhythm_dates

TUESDAY, THURSDAY, SUNDAY = 1, 3, 6


def first(n: int, *, weekday: int, week: int, start: date) -> list[date]:
    dates = rhythm_dates(weekday=weekday, week=week, start=start)
    return [next(dates) for _ in range(n)]


def test_every_second_tuesday():
    assert first(3, weekday=TUESDAY, week=2, start=date(2026, 11, 29)) == [
        date(2026, 12, 8),
        date(2027, 1, 12),
        date(2027, 2, 9),
    ]


def test_the_start_day_itself_counts_and_the_last_of_a_month_is_the_last():
    # December 2026 has five Thursdays; the last is the 31st.
    assert first(2, weekday=THURSDAY, week=-1, start=date(2026, 12, 31)) == [
        date(2026, 12, 31),
        date(2027, 1, 28),
    ]


@pytest.fixture
def rhythm(personas):
    hood = personas.hood
    hood.meeting_weekday, hood.meeting_week, hood.meeting_time = TUESDAY, 2, time(19, 30)
    hood.meeting_place = "Buurthuis De Linde"
    hood.save()
    return hood


def test_planning_adds_the_next_meetings_once(rhythm):
    assert meetings_plan_from_rhythm(neighbourhood=rhythm, today=date(2026, 11, 29)) == 3
    assert meetings_plan_from_rhythm(neighbourhood=rhythm, today=date(2026, 11, 29)) == 0
    meetings = list(Meeting.objects.filter(neighbourhood=rhythm))
    assert [m.rhythm_date for m in meetings] == [
        date(2026, 12, 8),
        date(2027, 1, 12),
        date(2027, 2, 9),
    ]
    assert all(m.place == "Buurthuis De Linde" and m.status == "planned" for m in meetings)
    assert meetings[0].ends_at - meetings[0].starts_at == timedelta(hours=2)
    # A month later the next one is added; the past ones stay as they were.
    assert meetings_plan_from_rhythm(neighbourhood=rhythm, today=date(2026, 12, 9)) == 1


def test_a_moved_or_cancelled_meeting_is_not_planned_again(rhythm):
    meetings_plan_from_rhythm(neighbourhood=rhythm, today=date(2026, 11, 29))
    moved = Meeting.objects.get(rhythm_date=date(2026, 12, 8))
    moved.starts_at += timedelta(days=7)
    moved.ends_at += timedelta(days=7)
    moved.save()
    Meeting.objects.filter(rhythm_date=date(2027, 1, 12)).update(status="cancelled")
    assert meetings_plan_from_rhythm(neighbourhood=rhythm, today=date(2026, 11, 29)) == 0
    assert Meeting.objects.filter(neighbourhood=rhythm).count() == 3


def test_one_meeting_per_rhythm_date_is_enforced_by_the_database(rhythm):
    meetings_plan_from_rhythm(neighbourhood=rhythm, today=date(2026, 11, 29))
    existing = Meeting.objects.first()
    assert existing is not None
    with pytest.raises(IntegrityError), transaction.atomic():
        Meeting.objects.create(
            neighbourhood=rhythm,
            rhythm_date=existing.rhythm_date,
            starts_at=existing.starts_at,
            ends_at=existing.ends_at,
        )


@pytest.mark.parametrize(
    ("sunday", "utc_hour"),
    [
        (date(2027, 3, 21), 18),  # winter time: 19:30 CET = 18:30 UTC
        (date(2027, 3, 28), 17),  # the last Sunday of March: summer time from 02:00
        (date(2027, 10, 31), 18),  # the last Sunday of October: winter time from 03:00
        (date(2027, 10, 24), 17),  # still summer time: 19:30 CEST = 17:30 UTC
    ],
)
def test_wall_clock_time_holds_across_daylight_saving_changes(personas, sunday, utc_hour):
    hood = personas.hood
    hood.meeting_weekday, hood.meeting_time, hood.meetings_ahead = SUNDAY, time(19, 30), 1
    hood.meeting_week = -1 if sunday.day > 24 else 3 if sunday.month == 3 else 4
    hood.save()
    meetings_plan_from_rhythm(neighbourhood=hood, today=sunday)
    meeting = Meeting.objects.get(neighbourhood=hood)
    assert meeting.rhythm_date == sunday
    assert meeting.starts_at.astimezone(UTC) == datetime(
        sunday.year, sunday.month, sunday.day, utc_hour, 30, tzinfo=UTC
    )


def test_neighbourhoods_without_a_rhythm_get_nothing(personas):
    assert meetings_plan_from_rhythm(neighbourhood=personas.hood) == 0


def test_planning_is_daily_due_work(rhythm, db):
    assert any(w.name == "meetings.plan_from_rhythm" for w in DUE_WORK)
    assert "meetings.plan_from_rhythm" in run_due()
    assert Meeting.objects.filter(neighbourhood=rhythm).count() == 3


def test_the_neighbourhood_page_shows_the_next_meeting_in_dutch(client, rhythm):
    with time_machine.travel(datetime(2026, 11, 29, 12, 0, tzinfo=UTC)):
        meetings_plan_from_rhythm(neighbourhood=rhythm)
        Meeting.objects.filter(rhythm_date=date(2026, 12, 8)).update(status="cancelled")
        html = client.get(reverse("neighbourhood", args=[rhythm.slug])).content.decode()
    assert "dinsdag 12 januari 2027, 19:30" in html and "Buurthuis De Linde" in html
    assert "8 december" not in html  # cancelled
