"""Template helpers of the action and survey mails: the personal survey link, the mailing's
dates, and what the "worse" mail may say about an answer (never who gave it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django import template
from django.utils import timezone
from django.utils.dateparse import parse_date

from meetings.actions.models import SurveyAnswer
from meetings.actions.selectors import SurveySummary, survey_summary
from meetings.actions.survey import survey_link_expires_at, survey_link_url
from problems.models import Problem, TimelineEntry
from problems.workflow import Move
from residents.models import User

register = template.Library()


@register.simple_tag
def survey_url(recipient: User | None, resolution: TimelineEntry | None, expires_at: Any) -> str:
    """The personal "Is het beter geworden?" link for a survey mail ("" if it cannot be made)."""
    if (
        not isinstance(recipient, User)
        or recipient.pk is None
        or not isinstance(resolution, TimelineEntry)
        or resolution.move != Move.RESOLVE
    ):
        return ""
    return survey_link_url(user=recipient, resolution=resolution, expires_at=expires_at)


@register.filter
def survey_link_until(expires_at: Any) -> datetime:
    """Until when the link in this survey mail works (as survey_url makes it)."""
    return survey_link_expires_at(expires_at)


@register.filter
def as_date(value: Any) -> date | None:
    """A mailing's ISO date ("2026-03-10") as a date, for the |date filter."""
    if isinstance(value, datetime):
        return timezone.localdate(value) if timezone.is_aware(value) else value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return parse_date(value)
        except ValueError:
            return None
    return None


@register.filter
def days_from_today(value: Any) -> int | None:
    """How many days from today until a date (negative: that many days ago)."""
    day = as_date(value)
    if day is None:
        return None
    return (day - timezone.localdate()).days


@dataclass(frozen=True)
class MailAnswer:
    """What the "worse" mail to the chairs may say about an answer: no name."""

    label: str
    remark: str


@register.simple_tag
def survey_mail_answer(problem: Problem | None, answer_id: Any) -> MailAnswer | None:
    """The answer a "worse" mail is about, reduced to its words."""
    if not isinstance(problem, Problem) or not isinstance(answer_id, int):
        return None
    row = (
        SurveyAnswer.objects.filter(pk=answer_id, problem=problem).only("answer", "remark").first()
    )
    if row is None:
        return None
    return MailAnswer(label=str(row.get_answer_display()), remark=row.remark)


@register.simple_tag
def survey_counts(problem: Problem | None) -> SurveySummary | None:
    """The answers so far about the problem's latest resolution (counts; no names)."""
    if not isinstance(problem, Problem):
        return None
    return survey_summary(problem)
