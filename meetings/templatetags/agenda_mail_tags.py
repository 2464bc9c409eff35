"""Template helpers of the agenda mail, the reminder and the progress digest: the mailing's
recorded dates, agenda headings in the reader's language, the round's candidates, the
recipient's personal ballot link, and the digest's rows.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import template
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from buurtoverleg.mail.models import Mailing
from meetings.agenda_mail import services as agenda_mail
from meetings.digest import services as digest
from meetings.planning.models import AgendaItem
from problems.models import Problem
from residents.models import User

register = template.Library()


@register.filter
def as_datetime(value: Any) -> datetime | None:
    """A mailing's ISO date and time as an aware datetime, for the |date filter."""
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not value:
        return None
    parsed = parse_datetime(value)
    if parsed is not None and timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


@register.filter
def agenda_heading(item: Any) -> str:
    """A recorded agenda item's heading: its title, else its kind in the reader's language."""
    if not isinstance(item, dict):
        return ""
    if item.get("title"):
        return str(item["title"])
    kind = item.get("kind") or AgendaItem.Kind.OTHER
    try:
        return str(AgendaItem.Kind(kind).label)
    except ValueError:
        return str(AgendaItem.Kind.OTHER.label)


@register.simple_tag
def agenda_candidates(mailing: Mailing) -> list[Problem]:
    """The candidate problems the agenda mail names (read their public_title only)."""
    if not isinstance(mailing, Mailing):
        return []
    return agenda_mail.agenda_candidates(mailing)


@register.simple_tag(takes_context=True)
def agenda_ballot_url(context: template.Context) -> str:
    """This recipient's personal ballot link, or "" (not a voter, or voting is closed)."""
    mailing, recipient = context.get("mailing"), context.get("recipient")
    if not isinstance(mailing, Mailing) or not isinstance(recipient, User):
        return ""
    return agenda_mail.agenda_ballot_url(mailing, recipient)


@register.simple_tag
def digest_rows(mailing: Mailing) -> digest.DigestRows:
    """The digest's problems, actions and rounds, read once per sending run."""
    if not isinstance(mailing, Mailing):
        return digest.DigestRows()
    return digest.digest_rows(mailing)
