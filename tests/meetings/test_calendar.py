"""A meeting as .ics and the neighbourhood's feed: right in Dutch time, summer and winter."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse
from icalendar import Calendar

from meetings.planning.models import Meeting
from meetings.planning.schedule import meetings_plan_from_rhythm


@pytest.fixture
def last_sundays(personas):
    """Meetings on the last Sundays of March and October 2027, at 19:30."""
    hood = personas.hood
    hood.meeting_weekday, hood.meeting_week, hood.meeting_time = 6, -1, time(19, 30)
    hood.meeting_place = "Buurthuis De Linde"
    hood.meetings_ahead = 8
    hood.save()
    meetings_plan_from_rhythm(neighbourhood=hood, today=date(2027, 3, 1))
    return hood


def events(response) -> list:
    assert response["Content-Type"].startswith("text/calendar")
    return Calendar.from_ical(response.content).walk("VEVENT")


@pytest.mark.parametrize(
    ("day", "utc"),
    [
        (date(2027, 3, 28), datetime(2027, 3, 28, 17, 30, tzinfo=UTC)),
        (date(2027, 10, 31), datetime(2027, 10, 31, 18, 30, tzinfo=UTC)),
    ],
)
def test_one_meeting_as_ics_across_daylight_saving(client, last_sundays, day, utc):
    meeting = Meeting.objects.get(neighbourhood=last_sundays, rhythm_date=day)
    response = client.get(reverse("planning:meeting_ics", args=[last_sundays.slug, meeting.pk]))
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    [event] = events(response)
    start = event.decoded("dtstart")
    assert start.astimezone(UTC) == utc
    assert (start.hour, start.minute) == (19, 30)  # wall-clock in Amsterdam
    assert event["dtstart"].params["TZID"] == "Europe/Amsterdam"
    assert event.decoded("dtend") - start == timedelta(hours=2)
    assert str(event["location"]) == "Buurthuis De Linde"
    assert b"BEGIN:VTIMEZONE" in response.content and b"TZID:Europe/Amsterdam" in response.content


def test_the_feed_lists_the_meetings_and_marks_cancelled_ones(client, last_sundays):
    cancelled = Meeting.objects.filter(neighbourhood=last_sundays).first()
    assert cancelled is not None
    cancelled.status = Meeting.Status.CANCELLED
    cancelled.save()
    response = client.get(reverse("planning:calendar", args=[last_sundays.slug]))
    found = {str(e["uid"]): str(e["status"]) for e in events(response)}
    assert len(found) == 8
    assert found[f"meeting-{cancelled.pk}@{settings.MAIL_MESSAGE_ID_DOMAIN}"] == "CANCELLED"
    assert list(found.values()).count("CANCELLED") == 1


def test_a_meeting_of_another_neighbourhood_is_not_found(client, last_sundays, personas):
    meeting = Meeting.objects.filter(neighbourhood=last_sundays).first()
    assert meeting is not None
    url = reverse("planning:meeting_ics", args=[personas.other_hood.slug, meeting.pk])
    assert client.get(url).status_code == 404


def test_the_neighbourhood_page_links_to_both(client, last_sundays):
    with time_machine.travel(datetime(2027, 3, 1, 12, 0, tzinfo=UTC)):
        html = client.get(reverse("neighbourhood", args=[last_sundays.slug])).content.decode()
    assert reverse("planning:calendar", args=[last_sundays.slug]) in html
    assert ".ics" in html
