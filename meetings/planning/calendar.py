"""Meetings as iCalendar (RFC 5545): one meeting to download, or a neighbourhood's feed.

Times are written in Europe/Amsterdam with a VTIMEZONE, so a calendar shows 19:30 in summer
and in winter; the UID stays the same when a meeting is moved, so calendars update it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Calendar, Event

from meetings.planning.models import Meeting
from residents.models import Neighbourhood

PRODID = "-//buurtoverleg//meetings//NL"


def _uid(meeting: Meeting) -> str:
    domain = settings.MAIL_MESSAGE_ID_DOMAIN
    return f"meeting-{meeting.pk}@{domain}"


def _event(meeting: Meeting, neighbourhood: Neighbourhood) -> Event:
    zone = ZoneInfo(settings.TIME_ZONE)
    event = Event()
    event.add("uid", _uid(meeting))
    event.add("dtstamp", timezone.now())
    event.add("dtstart", meeting.starts_at.astimezone(zone))
    event.add("dtend", meeting.ends_at.astimezone(zone))
    event.add("summary", _("Neighbourhood meeting %(name)s") % {"name": neighbourhood.name})
    if meeting.place:
        event.add("location", meeting.place)
    event.add("url", settings.SITE_URL + neighbourhood.get_absolute_url())
    if meeting.status == Meeting.Status.CANCELLED:
        event.add("status", "CANCELLED")
    else:
        event.add("status", "CONFIRMED")
    return event


def calendar_for(meetings: Iterable[Meeting], neighbourhood: Neighbourhood) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", _("Neighbourhood meeting %(name)s") % {"name": neighbourhood.name})
    for meeting in meetings:
        calendar.add_component(_event(meeting, neighbourhood))
    today = timezone.localdate()
    calendar.add_missing_timezones(
        first_date=date(today.year - 1, 1, 1), last_date=today + timedelta(days=3 * 366)
    )
    return calendar.to_ical()


def feed_meetings(neighbourhood: Neighbourhood) -> list[Meeting]:
    """The feed: meetings from a year ago on (cancelled ones too, so calendars drop them)."""
    since = timezone.now() - timedelta(days=365)
    return list(neighbourhood.meetings.filter(starts_at__gte=since).order_by("starts_at"))
