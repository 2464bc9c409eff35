"""Template helpers for actions: the status as a word with its marker, never colour alone."""

from __future__ import annotations

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from meetings.actions.models import Action, ActionUpdate
from problems.templatetags.problem_tags import ACTOR_LABELS
from residents.models import Role

register = template.Library()

ACTION_BADGE = '<span class="action-status action-status--{0}">{1}</span>'
OVERDUE_BADGE = '<span class="action-status action-status--overdue">{0}</span>'


@register.simple_tag
def action_status_badge(action: Action) -> SafeString:
    """The status, and "overdue" beside it for an active action past its date."""
    badge = format_html(ACTION_BADGE, action.status, action.get_status_display())
    if action.is_overdue:
        return format_html("{} {}", badge, format_html(OVERDUE_BADGE, _("Overdue")))
    return badge


@register.filter
def update_by(update: ActionUpdate) -> str:
    """Who a history entry is from, as the public sees it: the organisation a professional
    posted for, else the role ("the chair", "the meeting"); never a name."""
    if update.author_role == Role.PROFESSIONAL and update.organisation is not None:
        return update.organisation.name
    if update.author_role in ACTOR_LABELS:
        return str(ACTOR_LABELS[update.author_role])
    if update.organisation is not None:
        return update.organisation.name
    return ""


@register.simple_tag
def due_words(action: Action) -> str:
    """ "in 9 days", "today", "3 days late": the due date relative to today, for an active
    action (empty for a finished one)."""
    if not action.is_active:
        return ""
    days = (action.due_date - timezone.localdate()).days
    if days == 0:
        return str(_("today"))
    if days > 0:
        return ngettext("in %(days)d day", "in %(days)d days", days) % {"days": days}
    return ngettext("%(days)d day late", "%(days)d days late", -days) % {"days": -days}
