"""The personal link in the "Is het beter geworden?" mail: answer on a phone, without logging in.

Like every action link (residents.links) it is signed, bound to one person and one resolution
(the RESOLVE timeline entry), and never logs anyone in: the page it opens acts for that person
about that resolution only. It is not single-use: a resident may change their answer while the
link is valid. It expires at the time the survey mailing chose (its context's `expires_at`),
so every message of one mailing, also one sent again after a crash, carries the same link.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from meetings.actions.services import SURVEY, SURVEY_LINK_DAYS
from problems.models import TimelineEntry
from problems.workflow import Move
from residents.links import make_action_link_token, usable_expiry
from residents.models import User

# A mail sent (or sent again) after its mailing's expiry still carries a link that opens a
# page, rather than failing the mail it is in.
AT_LEAST = timedelta(days=1)


def survey_link_expires_at(expires_at: Any = None, *, now: datetime | None = None) -> datetime:
    """When the link stops working: the mailing's `expires_at` (a datetime or its ISO form),
    else SURVEY_LINK_DAYS from now; always within what residents.links accepts."""
    now = now or timezone.now()
    when = parse_datetime(expires_at) if isinstance(expires_at, str) else expires_at
    if not isinstance(when, datetime):
        when = now + timedelta(days=SURVEY_LINK_DAYS)
    if timezone.is_naive(when):
        when = timezone.make_aware(when)
    return usable_expiry(when, now=now, at_least=AT_LEAST)


def survey_link_token(*, user: User, resolution: TimelineEntry, expires_at: Any = None) -> str:
    if resolution.move != Move.RESOLVE:
        raise ValueError("A survey link is about a resolution (a RESOLVE timeline entry).")
    return make_action_link_token(
        user=user,
        purpose=SURVEY,
        obj=resolution,
        expires_at=survey_link_expires_at(expires_at),
    )


def survey_link_url(*, user: User, resolution: TimelineEntry, expires_at: Any = None) -> str:
    """The absolute URL of `user`'s answer about `resolution`, valid until `expires_at`."""
    token = survey_link_token(user=user, resolution=resolution, expires_at=expires_at)
    return settings.SITE_URL + reverse("actions:survey_link", kwargs={"token": token})
