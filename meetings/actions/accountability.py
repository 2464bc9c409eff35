"""The public accountability page's reads: what the support team agreed in a neighbourhood and
what came of it, as plain values (no model instances reach the template).

Only actions of this neighbourhood whose problem is public count, and only public fields are
read: the problem's public title, an action's outcome, owner organisation, dates, status and
public reasons, and progress texts with the organisation they were posted for. No person is
named: not the owner, the contact person, volunteers, reporters or whoever wrote an update.

The numbers, per owner organisation (an action without one is the residents' own):
- agreed: every action of that owner, whatever its status now;
- done: those with status done;
- done on time: done on or before the first agreed date, as a day in Europe/Amsterdam (a
  moved date does not count), as a share of the done ones;
- overdue now: waiting, open or in progress, with a due date (the current one) before today;
- median days to done: from the day it was agreed to the day it was done (local days);
- judgements: per action the room's judgement at the latest meeting that judged it (by the
  meeting's date), counted as better, the same and worse.

Six queries whatever the size of the neighbourhood (five with no progress at all): the
neighbourhood (the view), the counts per owner, the done actions' dates for the medians, the
priorities, the actions shown (still to do, or of a priority) and their latest progress.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from meetings.actions.models import (
    ACTION_ACTIVE,
    Action,
    ActionQuerySet,
    ActionStatus,
    ActionUpdate,
    Judgement,
)
from problems.models import Problem
from problems.workflow import Status
from residents.models import Neighbourhood

RESIDENTS = "residents"  # the key of the residents' own row (actions without an organisation)
TOTAL = "total"
# Not needed here, and some not public: never read them for this page.
UNREAD_PROBLEM_FIELDS = ("description", "confidential_details", "reported_for", "since")

Effect = Judgement.Effect


@dataclass(frozen=True)
class OwnerRow:
    """One owner's record. `key` is the organisation's id, RESIDENTS or TOTAL."""

    key: str
    label: str
    agreed: int
    done: int
    done_on_time: int
    overdue: int
    median_days: float | None  # None: nothing done yet
    better: int
    same: int
    worse: int

    @property
    def on_time_percent(self) -> int | None:
        """Done on time as a whole percentage of the done ones (halves round up); None: none
        done."""
        if not self.done:
            return None
        return (200 * self.done_on_time + self.done) // (2 * self.done)

    @property
    def judged(self) -> int:
        return self.better + self.same + self.worse


@dataclass(frozen=True)
class Progress:
    at: datetime
    organisation: str
    text: str


@dataclass(frozen=True)
class ActionLine:
    pk: int
    outcome: str
    owner: str
    status: str
    status_label: str
    status_reason: str  # public: why not feasible or cancelled
    due_date: date
    first_due_date: date
    overdue: bool
    delay_note: str  # public: why it is late
    done_on: date | None
    done_on_time: bool | None  # Action.done_on_time: None until it is done
    problem_pk: int
    problem_title: str  # the problem's public title
    latest_progress: Progress | None

    @property
    def moved(self) -> bool:
        return self.due_date != self.first_due_date


@dataclass(frozen=True)
class PriorityView:
    pk: int
    title: str  # public title
    category: str
    location: str  # public location
    actions: list[ActionLine] = field(default_factory=list)


@dataclass(frozen=True)
class Accountability:
    today: date
    owners: list[OwnerRow]
    total: OwnerRow
    open_actions: list[ActionLine]
    priorities: list[PriorityView]


def public_actions(neighbourhood: Neighbourhood) -> ActionQuerySet:
    """This neighbourhood's actions whose problem everyone may see."""
    return Action.objects.for_neighbourhood(neighbourhood).filter(
        problem__in=Problem.objects.public().for_neighbourhood(neighbourhood).values("pk")
    )


def _latest_effect() -> Subquery:
    """The effect recorded at the latest meeting that judged the action (by meeting date)."""
    return Subquery(
        Judgement.objects.filter(action=OuterRef("pk"))
        .order_by("-meeting__starts_at", "-meeting_id")
        .values("effect")[:1]
    )


def owner_counts(neighbourhood: Neighbourhood, today: date) -> list[dict[str, Any]]:
    """The counts per owner organisation, in one grouped query."""
    done = Q(status=ActionStatus.DONE)
    local_done_day = TruncDate("done_at", tzinfo=timezone.get_default_timezone())
    rows = (
        public_actions(neighbourhood)
        .annotate(latest_effect=_latest_effect())
        .values("owner_organisation_id", "owner_organisation__name")
        .annotate(
            agreed=Count("pk"),
            done=Count("pk", filter=done),
            on_time=Count("pk", filter=done & Q(first_due_date__gte=local_done_day)),
            overdue=Count("pk", filter=Q(status__in=ACTION_ACTIVE, due_date__lt=today)),
            better=Count("pk", filter=Q(latest_effect=Effect.BETTER)),
            same=Count("pk", filter=Q(latest_effect=Effect.SAME)),
            worse=Count("pk", filter=Q(latest_effect=Effect.WORSE)),
        )
        .order_by()
    )
    return [dict(row) for row in rows]


def days_to_done(neighbourhood: Neighbourhood) -> dict[int | None, list[int]]:
    """Per owner organisation, the days from agreed to done of each done action (local days)."""
    found: dict[int | None, list[int]] = {}
    rows = (
        public_actions(neighbourhood)
        .filter(status=ActionStatus.DONE)
        .values_list("owner_organisation_id", "created_at", "done_at")
        .order_by()
    )
    for owner, created_at, done_at in rows:
        days = (timezone.localdate(done_at) - timezone.localdate(created_at)).days
        found.setdefault(owner, []).append(days)
    return found


def _median(values: Iterable[int]) -> float | None:
    values = list(values)
    return statistics.median(values) if values else None


def owner_rows(neighbourhood: Neighbourhood, today: date) -> tuple[list[OwnerRow], OwnerRow]:
    """One row per owner (organisations by name, the residents last) and the total."""
    days = days_to_done(neighbourhood)
    rows = []
    for counts in owner_counts(neighbourhood, today):
        owner = counts["owner_organisation_id"]
        rows.append(
            OwnerRow(
                key=RESIDENTS if owner is None else str(owner),
                label=_("Residents") if owner is None else counts["owner_organisation__name"],
                agreed=counts["agreed"],
                done=counts["done"],
                done_on_time=counts["on_time"],
                overdue=counts["overdue"],
                median_days=_median(days.get(owner, ())),
                better=counts["better"],
                same=counts["same"],
                worse=counts["worse"],
            )
        )
    rows.sort(key=lambda row: (row.key == RESIDENTS, row.label.casefold(), row.key))
    total = OwnerRow(
        key=TOTAL,
        label=_("All owners"),
        agreed=sum(row.agreed for row in rows),
        done=sum(row.done for row in rows),
        done_on_time=sum(row.done_on_time for row in rows),
        overdue=sum(row.overdue for row in rows),
        median_days=_median(d for values in days.values() for d in values),
        better=sum(row.better for row in rows),
        same=sum(row.same for row in rows),
        worse=sum(row.worse for row in rows),
    )
    return rows, total


def _line(action: Any, today: date, progress: dict[int, Progress]) -> ActionLine:
    problem = action.problem
    return ActionLine(
        pk=action.pk,
        outcome=action.outcome,
        owner=action.owner_label,
        status=action.status,
        status_label=str(action.get_status_display()),
        status_reason=action.status_reason,
        due_date=action.due_date,
        first_due_date=action.first_due_date,
        overdue=action.status in ACTION_ACTIVE and action.due_date < today,
        delay_note=action.delay_note if action.status in ACTION_ACTIVE else "",
        done_on=timezone.localdate(action.done_at) if action.done_at else None,
        done_on_time=action.done_on_time,
        problem_pk=problem.pk,
        problem_title=str(problem.public_title),
        latest_progress=progress.get(action.latest_progress_id),
    )


def accountability(neighbourhood: Neighbourhood, today: date | None = None) -> Accountability:
    """Everything the page shows, read in five queries (plus the neighbourhood's)."""
    today = today or timezone.localdate()
    owners, total = owner_rows(neighbourhood, today)
    priorities = [
        PriorityView(
            pk=problem.pk,
            title=str(problem.public_title),
            category=problem.category.label,
            location=problem.public_location,
        )
        for problem in Problem.objects.public()
        .for_neighbourhood(neighbourhood)
        .priorities()
        .select_related("category")
        .defer(*UNREAD_PROBLEM_FIELDS)
        .order_by("-support_count", "pk")
    ]
    actions: list[Any] = list(  # annotated with their latest progress
        public_actions(neighbourhood)
        # Still to do, or of a current priority (Problem.objects.priorities(), here a join).
        .filter(Q(status__in=ACTION_ACTIVE) | Q(problem__status=Status.PRIORITY))
        .select_related("problem__category", "owner_organisation")
        .defer("details", *(f"problem__{name}" for name in UNREAD_PROBLEM_FIELDS))
        .with_latest_progress()
        .order_by("due_date", "pk")
    )
    ids = [a.latest_progress_id for a in actions if a.latest_progress_id]
    progress = {
        update.pk: Progress(
            at=update.at,
            organisation=update.organisation.name if update.organisation else _("Residents"),
            text=update.text,
        )
        for update in ActionUpdate.objects.filter(pk__in=ids).select_related("organisation")
    }
    lines = [_line(action, today, progress) for action in actions]
    by_problem = {priority.pk: priority for priority in priorities}
    for line in lines:
        if line.problem_pk in by_problem:
            by_problem[line.problem_pk].actions.append(line)
    return Accountability(
        today=today,
        owners=owners,
        total=total,
        open_actions=[line for line in lines if line.status in ACTION_ACTIVE],
        priorities=priorities,
    )
