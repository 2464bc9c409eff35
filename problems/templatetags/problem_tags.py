"""Template helpers of the register: labels for the timeline and "when", the confidential
view log, and the status mail's unfollow link. They read nothing from the database: what the
status mail says comes with its context (problems.status_mail)."""

from __future__ import annotations

from typing import Any

from django import template
from django.core.exceptions import FieldDoesNotExist
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import pgettext_lazy

from problems.forms import DAYS_OF_WEEK, TIMES_OF_DAY
from problems.links import unfollow_url as make_unfollow_url
from problems.models import Problem, TimelineEntry
from problems.workflow import MEETING, ROUND
from residents.models import Role, User
from residents.permissions import COORDINATOR

register = template.Library()

# What the timeline shows instead of a name: the role someone acted in.
ACTOR_LABELS = {
    Role.RESIDENT: pgettext_lazy("timeline actor", "a resident"),
    Role.CHAIR: pgettext_lazy("timeline actor", "the chair"),
    Role.MINUTE_TAKER: pgettext_lazy("timeline actor", "the minute-taker"),
    Role.PROFESSIONAL: pgettext_lazy("timeline actor", "a professional"),
    Role.OFFICE: pgettext_lazy("timeline actor", "the neighbourhood office"),
    COORDINATOR: pgettext_lazy("timeline actor", "the coordinator"),
    ROUND: pgettext_lazy("timeline actor", "the priority round"),
    MEETING: pgettext_lazy("timeline actor", "the meeting"),
}
# A status is a word with its icon, never colour alone (the icons: problem.html#status-icons).
STATUS_BADGE = (
    '<span class="problem-status problem-status--{0}"><svg aria-hidden="true" '
    'focusable="false"><use href="#icon-{0}"></use></svg><span>{1}</span></span>'
)


@register.simple_tag
def status_badge(status: str, label: Any) -> SafeString:
    return format_html(STATUS_BADGE, status, label)


# The values the report form stores in times_of_day and days_of_week, with their labels.
WHEN_LABELS = dict(TIMES_OF_DAY + DAYS_OF_WEEK)


@register.filter
def actor_label(entry: TimelineEntry) -> str:
    """The role that made a change ("the chair"), never a name."""
    return str(ACTOR_LABELS.get(entry.actor_role, pgettext_lazy("timeline actor", "the team")))


@register.filter
def when_labels(values: Any) -> list[str]:
    """["morning", "sat"] -> ["In the morning", "Saturday"]."""
    if not isinstance(values, list | tuple):
        return []
    return [str(WHEN_LABELS.get(str(value), value)) for value in values]


@register.filter
def change_rows(entry: TimelineEntry) -> list[tuple[str, str]]:
    """An edit's old values, labelled (team only: they may hold confidential details)."""
    if not isinstance(entry.changes, dict):
        return []
    rows = []
    for name, old in entry.changes.items():
        try:
            field = Problem._meta.get_field(name)
        except FieldDoesNotExist:
            label = name
        else:
            label = str(getattr(field, "verbose_name", name))
        rows.append((label, old if isinstance(old, str) else str(old)))
    return rows


@register.simple_tag
def unfollow_url(recipient: User | None, problem: Problem | None) -> str:
    """The one-click unfollow link for a status mail: a signed link, nothing stored. The mail's
    context names the problem (`followed`: after a merge, the one that stays)."""
    if recipient is None or problem is None or recipient.pk is None:
        return ""
    return make_unfollow_url(recipient, problem)
