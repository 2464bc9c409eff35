"""Reads of actions for their pages: an action's page, "Mijn acties", a problem's approach, and
the "Is het beter geworden?" survey (the page behind its link and what the team sees of the
answers). Writes are meetings.actions.services; the accountability page's reads are
meetings/actions/accountability.py."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Case, Count, IntegerField, Q, Value, When

from meetings.actions.access import organisations_of
from meetings.actions.models import (
    ACTION_ACTIVE,
    Action,
    ActionUpdate,
    Analysis,
    SurveyAnswer,
    Volunteer,
)
from problems.models import Problem, TimelineEntry
from problems.workflow import PUBLIC, Move
from residents.models import User

Answer = SurveyAnswer.Answer
# "Mijn acties" shows at most this many rows (overdue first): a guard, not a page.
MY_ACTIONS_LIMIT = 300

# --- An action and a problem's approach -------------------------------------------------------


def action_updates(action: Action) -> list[ActionUpdate]:
    """The action's public history with the organisation of each update (one query)."""
    return list(ActionUpdate.objects.filter(action=action).select_related("organisation"))


def has_volunteered(action: Action, user: User) -> bool:
    """The person signed up to help with this action (one query)."""
    return Volunteer.objects.filter(action=action, user_id=user.pk).exists()


def action_volunteers(action: Action) -> list[Volunteer]:
    """Who signed up to help, first first, with only their names (one query). Never public."""
    return list(
        Volunteer.objects.filter(action=action)
        .select_related("user")
        .only("created_at", "action_id", "user__display_name")
        .order_by("created_at", "pk")
    )


def analysis_of(problem: Problem) -> Analysis | None:
    """The problem's analysis (the crime triangle), if one was written (one query)."""
    return Analysis.objects.filter(problem=problem).first()


def problem_actions(problem: Problem) -> list[Action]:
    """The problem's actions by due date, with owner organisation and latest progress (one
    query)."""
    return list(
        Action.objects.filter(problem=problem)
        .select_related("owner_organisation")
        .with_latest_progress()
        .order_by("due_date", "pk")
    )


# --- Mijn acties ------------------------------------------------------------------------------


def _mine(user: User) -> Q:
    """One's organisations' actions where one holds the role, and the public ones one owns
    or is the contact person of."""
    public_problem = Q(problem__status__in=list(PUBLIC), problem__accepted_at__isnull=False)
    mine = (Q(owner_person=user) | Q(contact_person=user)) & public_problem
    for neighbourhood_id, organisation_ids in organisations_of(user).items():
        mine |= Q(neighbourhood_id=neighbourhood_id, owner_organisation_id__in=organisation_ids)
    return mine


def actions_of(user: User, *, show_all: bool, today: date) -> list[Action]:
    """The actions of one's organisations and those one owns or is the contact person of
    (only active ones unless show_all), overdue first, then by date; at most
    MY_ACTIONS_LIMIT + 1, so the page can say there are more (one query, once the person's
    organisations are known)."""
    actions = Action.objects.filter(_mine(user))
    if not show_all:
        actions = actions.active()
    rows = (
        actions.for_list()
        .select_related("neighbourhood")
        .with_latest_progress()
        .annotate(
            late=Case(
                When(status__in=list(ACTION_ACTIVE), due_date__lt=today, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            ),
        )
        .order_by("late", "due_date", "neighbourhood__name", "pk")
    )
    return list(rows[: MY_ACTIONS_LIMIT + 1])


# --- The survey -------------------------------------------------------------------------------


def survey_resolution(pk: int) -> TimelineEntry | None:
    """The resolution (a RESOLVE timeline entry) a survey link names, with its problem's
    neighbourhood and category and the meeting; None for any other entry (one query)."""
    return (
        TimelineEntry.objects.select_related(
            "problem__neighbourhood", "problem__category", "meeting"
        )
        .filter(pk=pk, move=Move.RESOLVE)
        .first()
    )


def reopened_since(resolution: TimelineEntry) -> bool:
    """The problem was reopened after this resolution: the question no longer applies (one
    query)."""
    return TimelineEntry.objects.filter(
        problem_id=resolution.problem_id, move=Move.REOPEN, pk__gt=resolution.pk
    ).exists()


def survey_answer_of(resolution: TimelineEntry, person: User) -> SurveyAnswer | None:
    """The person's answer about this resolution, if they gave one (one query)."""
    return SurveyAnswer.objects.filter(resolution=resolution, user=person).first()


@dataclass(frozen=True)
class AnswerCount:
    answer: str
    label: str
    count: int
    percent: int


@dataclass(frozen=True)
class WorseRemark:
    text: str
    at: datetime


@dataclass(frozen=True)
class SurveySummary:
    """The answers about a problem's latest resolution: counts, and the remarks of "worse"
    answers (never who gave them)."""

    resolution: TimelineEntry
    counts: list[AnswerCount]
    total: int
    worse_remarks: list[WorseRemark]


def survey_summary(problem: Problem) -> SurveySummary | None:
    """For the team's part of the problem page; None if the problem was never resolved.
    Three queries, whatever the number of answers."""
    resolution = (
        TimelineEntry.objects.filter(problem=problem, move=Move.RESOLVE)
        .only("pk", "problem_id", "at", "public_note", "meeting_id")
        .order_by("-at", "-pk")
        .first()
    )
    if resolution is None:
        return None
    answers = SurveyAnswer.objects.filter(resolution=resolution)
    tally = answers.aggregate(
        **{value: Count("pk", filter=Q(answer=value)) for value in Answer.values}
    )
    total = sum(tally.values())
    counts = [
        AnswerCount(
            answer=value,
            label=str(label),
            count=tally[value],
            percent=round(100 * tally[value] / total) if total else 0,
        )
        for value, label in Answer.choices
    ]
    remarks = [
        WorseRemark(text=text, at=at)
        for text, at in answers.filter(answer=Answer.WORSE)
        .exclude(remark="")
        .order_by("at", "pk")
        .values_list("remark", "at")
    ]
    return SurveySummary(resolution=resolution, counts=counts, total=total, worse_remarks=remarks)
