"""Planning meetings from a neighbourhood's rhythm ("every second Tuesday, 19:30").

Times are wall-clock times in the neighbourhood's time zone (TIME_ZONE, Europe/Amsterdam):
a meeting at 19:30 is at 19:30 in summer and in winter, whatever that is in UTC.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from buurtoverleg.public_pages import changes_public_pages
from meetings.planning.models import Meeting
from meetings.services import agenda_default_create
from residents.models import Neighbourhood

LAST = -1


def rhythm_dates(*, weekday: int, week: int, start: date) -> Iterator[date]:
    """The dates of "the `week`th `weekday` of every month" from `start` on (inclusive).

    weekday: 0 = Monday .. 6 = Sunday; week: 1..4, or -1 for the last one of the month.
    """
    year, month = start.year, start.month
    while True:
        day = _nth_weekday(year, month, weekday, week)
        if day >= start:
            yield day
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def _nth_weekday(year: int, month: int, weekday: int, week: int) -> date:
    days = [
        d
        for d in calendar.Calendar().itermonthdates(year, month)
        if d.month == month and d.weekday() == weekday
    ]
    return days[LAST] if week == LAST else days[week - 1]


@changes_public_pages
@transaction.atomic
def meetings_plan_from_rhythm(*, neighbourhood: Neighbourhood, today: date | None = None) -> int:
    """Plan the next `meetings_ahead` meetings of the rhythm that are not there yet.

    Idempotent: a date of the rhythm gets one meeting, ever (also when it was moved or
    cancelled since). Returns how many meetings were added.
    """
    if neighbourhood.meeting_weekday is None or neighbourhood.meeting_week is None:
        return 0
    if neighbourhood.meeting_time is None:
        return 0
    today = today or timezone.localdate()
    dates = rhythm_dates(
        weekday=neighbourhood.meeting_weekday, week=neighbourhood.meeting_week, start=today
    )
    wanted = [next(dates) for _ in range(neighbourhood.meetings_ahead)]
    known = set(
        Meeting.objects.filter(neighbourhood=neighbourhood, rhythm_date__in=wanted).values_list(
            "rhythm_date", flat=True
        )
    )
    length = timedelta(minutes=neighbourhood.meeting_minutes)
    added = 0
    for day in wanted:
        if day in known:
            continue
        starts = datetime.combine(
            day, neighbourhood.meeting_time, tzinfo=ZoneInfo(settings.TIME_ZONE)
        )
        meeting, created = Meeting.objects.get_or_create(
            neighbourhood=neighbourhood,
            rhythm_date=day,
            defaults={
                "starts_at": starts,
                "ends_at": starts + length,  # wall-clock length; fine across a DST night
                "place": neighbourhood.meeting_place,
            },
        )
        if created:
            agenda_default_create(meeting=meeting)
        added += created
    return added


def meetings_plan_all() -> int:
    """Due work (daily): every neighbourhood with a rhythm has its next meetings planned."""
    return sum(
        meetings_plan_from_rhythm(neighbourhood=hood)
        for hood in Neighbourhood.objects.filter(meeting_weekday__isnull=False)
    )
