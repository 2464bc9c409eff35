"""What the chair's agenda screen shows (the views: meetings.room.views.screen).

The agenda with planned and actual time per item, the current item with its problems (and, for
the team and only when asked, their confidential details: every showing is logged), the item
kind's panel (meetings.room.panels), and the notes and decision fields. Other features' views
that answer with the screen (the actions' panel forms) build it here too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy, pgettext_lazy

from buurtoverleg.http import AuthenticatedHttpRequest
from meetings import workflow
from meetings.access import MeetingAccess
from meetings.planning.models import AgendaItem, Meeting
from meetings.room.panels import PanelContext, panel_render_context
from meetings.room.selectors import agenda_items_in_order, item_problems_with_recent
from meetings.room.timer import Timer, clock, item_timer
from problems.confidential import confidential_access
from problems.models import Problem, TimelineEntry

TEMPLATE = "meetings/screen.html"
# Timeline entries shown per problem of the current item.
RECENT_ENTRIES = 3
FIELD_LABELS = {
    "notes": pgettext_lazy("agenda item", "Notes"),
    "decision": pgettext_lazy("agenda item", "Decision"),
}
SAVE_LABELS = {"notes": gettext_lazy("Save notes"), "decision": gettext_lazy("Save decision")}
MERGE_LABELS = {
    "notes": gettext_lazy("Save the merged notes"),
    "decision": gettext_lazy("Save the merged decision"),
}


# --- What the screen shows ------------------------------------------------------------------------


@dataclass(frozen=True)
class AgendaRow:
    item: AgendaItem
    number: int
    timer: Timer
    current: bool

    @property
    def done(self) -> bool:
        return self.item.done_at is not None


@dataclass(frozen=True)
class ProblemRow:
    problem: Problem
    status_label: str
    recent: list[TimelineEntry]


@dataclass(frozen=True)
class Conflict:
    theirs: str
    mine: str
    version: int

    @property
    def merged(self) -> str:
        """What the merge field starts with: nothing of either text is left out."""
        if self.theirs in self.mine:
            return self.mine
        if self.mine in self.theirs:
            return self.theirs
        return f"{self.theirs}\n\n{self.mine}"


@dataclass(frozen=True)
class TextBox:
    """The notes or the decision of one item, as the screen shows them."""

    item: AgendaItem
    field: str
    text: str
    version: int
    saved_at: datetime | None
    conflict: Conflict | None = None
    error: str = ""

    @property
    def label(self) -> str:
        return str(FIELD_LABELS[self.field])

    @property
    def save_label(self) -> str:
        return str(SAVE_LABELS[self.field])

    @property
    def merge_label(self) -> str:
        return str(MERGE_LABELS[self.field])

    @property
    def url(self) -> str:
        meeting = self.item.meeting
        return reverse(
            "room:item_text_save", args=[meeting.neighbourhood.slug, meeting.pk, self.item.pk]
        )


def text_box(item: AgendaItem, field: str, **extra: Any) -> TextBox:
    values: dict[str, Any] = {
        "text": getattr(item, field),
        "version": getattr(item, f"{field}_version"),
        "saved_at": getattr(item, f"{field}_saved_at"),
    }
    values.update(extra)
    return TextBox(item=item, field=field, **values)


def screen_url(meeting: Meeting) -> str:
    return reverse("room:meeting_screen", args=[meeting.neighbourhood.slug, meeting.pk])


def _problem_rows(item: AgendaItem, *, team: bool, confidential: bool) -> list[ProblemRow]:
    """The item's problems with their recent timeline: two queries, whatever the number."""
    return [
        ProblemRow(
            problem=problem,
            status_label=str(problem.get_status_display()),
            recent=problem.recent_entries,  # type: ignore[attr-defined]
        )
        for problem in item_problems_with_recent(
            item, team=team, confidential=confidential, recent=RECENT_ENTRIES
        )
    ]


def screen_context(
    request: AuthenticatedHttpRequest,
    meeting: Meeting,
    access: MeetingAccess,
    *,
    confidential: bool = False,
    notice: str = "",
    notice_level: str = "success",
) -> dict[str, Any]:
    """Everything the screen partial shows. Queries do not grow with items or problems."""
    now = timezone.now()
    status = meeting.status
    live = meeting.live
    items = agenda_items_in_order(meeting)
    current = next((i for i in items if live and i.pk == meeting.current_item_id), None)
    rows = [
        AgendaRow(
            item=item,
            number=number,
            timer=item_timer(item, now),
            current=current is not None and item.pk == current.pk,
        )
        for number, item in enumerate(items, start=1)
    ]
    context: dict[str, Any] = {
        "meeting": meeting,
        "neighbourhood": meeting.neighbourhood,
        "access": access,
        "rows": rows,
        "before": status in workflow.BEFORE,
        "live": live,
        "over": status in workflow.OVER,
        "cancelled": meeting.cancelled,
        "planned_total": sum(item.minutes for item in items),
        "spent_total": clock(sum(row.timer.elapsed for row in rows)),
        "screen_url": screen_url(meeting),
        "notice": notice,
        "notice_level": notice_level,
        "current": current,
    }
    if current is None:
        return context
    index = items.index(current)
    show_confidential = confidential and access.team
    problems = _problem_rows(current, team=access.team, confidential=show_confidential)
    if show_confidential:
        # The same gate as the problem page: the second factor, and each problem logged.
        confidential_access(request, [row.problem for row in problems])
    context.update(
        position=index + 1,
        count=len(items),
        is_first=index == 0,
        is_last=index == len(items) - 1,
        timer=rows[index].timer,
        problems=problems,
        confidential=show_confidential,
        boxes=[text_box(current, "notes"), text_box(current, "decision")],
        last_saved=max(
            (t for t in (current.notes_saved_at, current.decision_saved_at) if t), default=None
        ),
        **panel_render_context(
            PanelContext(
                request=request, meeting=meeting, item=current, public=False, team=access.team
            )
        ),
    )
    return context
