"""The agenda screen's *Aanpak* and *Terugkoppeling* panels (meetings/room/panels.py).

Both render on the chair's agenda screen (ctx.public False) and on the projector (ctx.public
True). Everything is built here as plain values, so a template cannot reach a field it must not
show; the projector's values are public fields only: public titles, the analysis of a problem
that is not sensitive, outcomes, owner organisations and dates, never a person's name.

Aanpak (approach): the neighbourhood's current priorities and the problems picked under the item
(AgendaItemProblem), each with its analysis (the crime triangle: where and when, who is
affected, who causes it), the actions agreed at this meeting and its other active actions. For
whoever runs the meeting: a form for the analysis and one to agree a new action, per problem.
The projector shows the problems, their public analysis and tonight's actions.

Terugkoppeling (report back): every action still to be done or changed since the previous
meeting (report_back.report_back_q), grouped by problem, with its latest progress and the
room's judgement at this meeting. For whoever runs the meeting: a judgement form per action and,
per priority, the form to record that the meeting resolved it.

The forms post to meetings/actions/views/panel.py. A form that was refused comes back through
the request (`keep_forms`), so the panel shows it again with its errors, whether it is rendered
alone (htmx) or inside the whole agenda screen.

A fixed number of queries, whatever the number of problems and actions: Aanpak two (plus three
for the runner's choice lists), Terugkoppeling five.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import (
    Case,
    Exists,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
    Value,
    When,
)
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from meetings.access import access_to
from meetings.actions.forms import (
    TEXT_MAX_LENGTH,
    ActionForm,
    AnalysisForm,
    contact_people,
    owner_people,
)
from meetings.actions.models import (
    ACTION_ACTIVE,
    Action,
    ActionStatus,
    ActionUpdate,
    Analysis,
    Judgement,
)
from meetings.actions.report_back import report_back_q, report_back_since
from meetings.planning.models import AgendaItem, AgendaItemProblem, Meeting
from meetings.room.panels import PanelContext, maybe_url, panel
from meetings.templatetags.action_tags import action_status_badge
from problems.models import Problem, TimelineEntry
from problems.workflow import Move, Status
from residents.models import Neighbourhood, Organisation, User
from residents.second_factor import passed_second_factor

Kind = AgendaItem.Kind
APPROACH_TEMPLATE = "problems/panels/approach.html"
REPORT_BACK_TEMPLATE = "problems/panels/report_back.html"
# What "the latest progress" of an action is: not its agreement, edits or judgements.
PROGRESS_KINDS = (
    ActionUpdate.Kind.PROGRESS,
    ActionUpdate.Kind.STATUS,
    ActionUpdate.Kind.DUE_DATE,
    ActionUpdate.Kind.DELAY,
)
# The owner organisation's value for "the residents themselves" (Action.owner_organisation None).
RESIDENTS = "residents"
TOO_LONG = _("This text is too long: at most %(limit_value)d characters.")
KEEP_IT_SHORT = _("Keep it short: at most %(limit_value)d characters.")
# Where a refused form waits for the panel to show it again (see keep_forms).
FORMS_ATTR = "_action_panel_forms"
NOTICE_ATTR = "_action_panel_notice"


# --- Forms ------------------------------------------------------------------------------------


def _text(label: Any, *, required: bool = False, rows: int = 2, **kwargs: Any) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": rows}),
        error_messages={"max_length": TOO_LONG},
        **kwargs,
    )


class ApproachAnalysisForm(AnalysisForm):
    """The analysis form (meetings.actions.forms) as the Aanpak panel shows it: one per problem
    on one screen, so ids of its own; two rows per field on the crowded screen. Empty fields
    are allowed: the room fills it in bits."""

    def __init__(
        self, data: Any = None, *, problem_pk: int, analysis: Analysis | None = None, **kwargs: Any
    ) -> None:
        kwargs.setdefault("auto_id", f"analysis-{problem_pk}-%s")  # unique on the screen
        super().__init__(data, analysis=analysis, **kwargs)
        for field in self.fields.values():
            field.widget.attrs["rows"] = 2
            field.error_messages["max_length"] = TOO_LONG


@dataclass(frozen=True)
class OwnerChoices:
    """Who can own an action or be its contact person here, read once for all forms."""

    organisations: list[Organisation]
    owners: list[User]  # professionals and chairs, labelled with their organisation
    contacts: list[User]


def owner_choices(neighbourhood: Neighbourhood) -> OwnerChoices:
    """All organisations; the active professionals and chairs; the active residents. Three
    queries, whatever the number of forms that use them."""
    return OwnerChoices(
        organisations=list(Organisation.objects.order_by("name", "pk")),
        owners=owner_people(neighbourhood, None),
        contacts=contact_people(neighbourhood),
    )


# The Aanpak panel's words where they differ from the action page's (meetings.actions.forms).
APPROACH_WORDING: dict[str, dict[str, Any]] = {
    "outcome": {"error_messages": {"max_length": KEEP_IT_SHORT}},
    "owner_organisation": {
        "label": _("Owner organisation"),
        "error_messages": {
            "required": _("Choose who owns the action."),
            "invalid_choice": _("Choose an owner from the list."),
        },
    },
    "owner_person": {"error_messages": {"invalid_choice": _("Choose a person from the list.")}},
    "contact_person": {
        "help_text": "",
        "error_messages": {"invalid_choice": _("Choose a resident from the list.")},
    },
    "due_date": {
        "label": _("Due date"),
        "help_text": "",
        "error_messages": {"required": _("Fill in the due date.")},
    },
    "volunteers_needed": {
        "help_text": _("For an action of the residents: how many volunteers it needs. 0: none.")
    },
}


class ApproachActionForm(ActionForm):
    """The action form (meetings.actions.forms: its fields, rules and values) as the Aanpak
    panel shows it, to agree a new action for one problem in the room. It differs where the
    screen needs it: ids per problem (one form per problem on one screen); every organisation
    and the residents may own an action the meeting agrees (the service checks the people);
    no "how" (the room agrees what, who and when; the details follow on the action's page).
    Its wording (APPROACH_WORDING) and its value for the residents are the screen's own."""

    residents_value = RESIDENTS
    residents_label = pgettext_lazy("action owner", "Residents")
    owner_prompt = _("Choose…")

    def __init__(
        self, data: Any = None, *, problem_pk: int, choices: OwnerChoices, **kwargs: Any
    ) -> None:
        kwargs.setdefault("auto_id", f"new-action-{problem_pk}-%s")
        super().__init__(
            data,
            organisations=choices.organisations,
            residents_allowed=True,
            owners=choices.owners,
            contacts=choices.contacts,
            **kwargs,
        )
        del self.fields["details"]
        self.order_fields(
            [
                "outcome",
                "owner_organisation",
                "owner_person",
                "contact_person",
                "due_date",
                "volunteers_needed",
            ]
        )
        for name, wording in APPROACH_WORDING.items():
            field = self.fields[name]
            field.error_messages.update(wording.get("error_messages", {}))
            for attribute in ("label", "help_text"):
                if attribute in wording:
                    setattr(field, attribute, wording[attribute])


class JudgementForm(forms.Form):
    """The room's judgement of one action at this meeting."""

    effect = forms.ChoiceField(
        label=_("Has it got better?"),
        choices=Judgement.Effect.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose better, the same or worse."),
            "invalid_choice": _("Choose better, the same or worse."),
        },
    )
    verdict = forms.ChoiceField(
        label=_("What does the meeting decide?"),
        choices=Judgement.Verdict.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose continue, adjust or close."),
            "invalid_choice": _("Choose continue, adjust or close."),
        },
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=500,
        help_text=_("Everyone can read it."),
        error_messages={"max_length": KEEP_IT_SHORT},
    )

    def __init__(self, *args: Any, action_pk: int, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"judge-{action_pk}-%s")
        super().__init__(*args, **kwargs)


class ResolveForm(forms.Form):
    """The meeting decides that a priority is resolved, in words that go into the minutes."""

    decision = _text(
        _("The meeting's decision"),
        required=True,
        help_text=_("Why the meeting finds it resolved. Everyone can read it."),
    )

    def __init__(self, *args: Any, problem_pk: int, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"resolve-{problem_pk}-%s")
        super().__init__(*args, **kwargs)
        self.fields["decision"].error_messages["required"] = _("Record the meeting's decision.")


def keep_forms(request: HttpRequest, forms_by_key: dict[tuple[str, int], forms.Form]) -> None:
    """Hand refused forms to the panel that renders next in this request."""
    setattr(request, FORMS_ATTR, forms_by_key)


def kept_form(request: HttpRequest, kind: str, pk: int) -> forms.Form | None:
    found: dict[tuple[str, int], forms.Form] = getattr(request, FORMS_ATTR, {})
    return found.get((kind, pk))


def keep_notice(request: HttpRequest, text: str, level: str = "success") -> None:
    setattr(request, NOTICE_ATTR, (text, level))


def _notice(request: HttpRequest) -> dict[str, str]:
    text, level = getattr(request, NOTICE_ATTR, ("", "success"))
    return {"notice": text, "notice_level": level}


# --- Shared pieces ----------------------------------------------------------------------------


def may_write(request: HttpRequest, meeting: Meeting) -> bool:
    """Whoever runs the meeting, while it is not cancelled (roles are cached: no query)."""
    return access_to(request.user, meeting).run and meeting.status != Meeting.Status.CANCELLED


def _owner_label(action: Action) -> str:
    return action.owner_organisation.name if action.owner_organisation else str(_("Residents"))


def _analysis_of(problem: Problem) -> Analysis | None:
    try:
        return problem.analysis  # select_related: no query
    except ObjectDoesNotExist:
        return None


def _analysis_values(analysis: Analysis | None) -> dict[str, str] | None:
    if analysis is None or analysis.is_empty:
        return None
    return {
        "location": analysis.location,
        "victims": analysis.victims,
        "offenders": analysis.offenders,
    }


def _urls(meeting: Meeting, item: AgendaItem, name: str, pk: int) -> str:
    return maybe_url(name, meeting.neighbourhood.slug, meeting.pk, item.pk, pk)


def _action_row(action: Action, meeting: Meeting, *, public: bool) -> dict[str, Any]:
    """What both screens show of an action; the team's screen also the people."""
    row: dict[str, Any] = {
        "pk": action.pk,
        "outcome": action.outcome,
        "owner": _owner_label(action),
        "due_date": action.due_date,
        "first_due_date": action.first_due_date if action.was_moved else None,
        "badge": action_status_badge(action),
        "overdue": action.is_overdue,
        "agreed_tonight": action.meeting_id == meeting.pk,
        "volunteers_needed": action.volunteers_needed,
        "volunteer_count": action.volunteer_count,
    }
    if not public:
        slug = meeting.neighbourhood.slug
        row.update(
            owner_person=action.owner_person.display_name if action.owner_person else "",
            contact_person=action.contact_person.display_name if action.contact_person else "",
            url=maybe_url("actions:action", slug, action.pk),
        )
    return row


# --- Aanpak -------------------------------------------------------------------------------------


def approach_problems(meeting: Meeting, item: AgendaItem) -> Any:
    """The current priorities and the open problems picked under the item: priorities first."""
    picked = AgendaItemProblem.objects.filter(item=item).values("problem_id")
    return (
        Problem.objects.for_neighbourhood(meeting.neighbourhood_id)
        .public()
        .actionable()  # actions and analyses are for accepted problems that are still open
        .filter(Q(status=Status.PRIORITY) | Q(pk__in=picked))
        .annotate(
            priority_first=Case(
                When(status=Status.PRIORITY, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("priority_first", "-support_count", "pk")
    )


@panel(Kind.APPROACH, APPROACH_TEMPLATE)
def approach(ctx: PanelContext) -> dict[str, Any]:
    meeting, item, public = ctx.meeting, ctx.item, ctx.public
    problems_qs = approach_problems(meeting, item)
    problems = list(problems_qs.select_related("category", "analysis"))
    actions = Action.objects.filter(problem__in=problems_qs.values("pk"))
    if public:
        actions = actions.filter(meeting=meeting).select_related("owner_organisation")
    else:
        actions = actions.filter(Q(meeting=meeting) | Q(status__in=ACTION_ACTIVE)).select_related(
            "owner_organisation", "owner_person", "contact_person"
        )
    by_problem: dict[int, list[Action]] = defaultdict(list)
    for action in actions.order_by("due_date", "pk"):
        by_problem[action.problem_id].append(action)
    if public:
        return {
            # Named "problems": the projector then does not list the item's problems again.
            "problems": [
                {
                    "title": problem.public_title,
                    "location": problem.public_location,
                    "analysis": (
                        None if problem.sensitive else _analysis_values(_analysis_of(problem))
                    ),
                    "actions": [
                        _action_row(action, meeting, public=True)
                        for action in by_problem[problem.pk]
                    ],
                }
                for problem in problems
            ]
        }
    request = ctx.request
    writes = may_write(request, meeting)
    choices = owner_choices(meeting.neighbourhood) if writes else None
    rows = []
    # A sensitive problem's analysis is the team's, and only once this session passed the
    # second factor (a person promoted during the meeting sees it after giving the code).
    sees_sensitive = ctx.team and passed_second_factor(request)
    for problem in problems:
        analysis = _analysis_of(problem)
        hidden = problem.sensitive and not sees_sensitive
        rows.append(
            {
                "pk": problem.pk,
                "title": problem.public_title,
                "location": problem.public_location,
                "category": problem.category.label,
                "status_label": str(problem.get_status_display()),
                "priority": problem.status == Status.PRIORITY,
                "support": problem.support_count,
                "sensitive": problem.sensitive,
                "analysis_hidden": hidden,
                "analysis": None if hidden else _analysis_values(analysis),
                "analysis_form": (
                    None if hidden or not writes else _analysis_form(request, problem, analysis)
                ),
                "analysis_url": _urls(meeting, item, "actions:approach_analysis_save", problem.pk),
                "tonight": [
                    _action_row(a, meeting, public=False)
                    for a in by_problem[problem.pk]
                    if a.meeting_id == meeting.pk
                ],
                "active": [
                    _action_row(a, meeting, public=False)
                    for a in by_problem[problem.pk]
                    if a.meeting_id != meeting.pk
                ],
                "action_form": (
                    _action_form(request, problem, choices) if choices is not None else None
                ),
                "action_url": _urls(meeting, item, "actions:approach_action_create", problem.pk),
            }
        )
    return {
        "problems": rows,
        "writes": writes,
        "cancelled": meeting.status == Meeting.Status.CANCELLED,
        **_notice(request),
    }


def _analysis_form(request: HttpRequest, problem: Problem, analysis: Analysis | None) -> Any:
    kept = kept_form(request, "analysis", problem.pk)
    if kept is not None:
        return kept
    return ApproachAnalysisForm(problem_pk=problem.pk, analysis=analysis)


def _action_form(request: HttpRequest, problem: Problem, choices: OwnerChoices) -> Any:
    kept = kept_form(request, "action", problem.pk)
    return kept if kept is not None else ApproachActionForm(problem_pk=problem.pk, choices=choices)


# --- Terugkoppeling ---------------------------------------------------------------------------


def report_back_actions(meeting: Meeting, since: Any) -> Any:
    """The actions the item lists (report_back.report_back_q), of public problems."""
    return Action.objects.filter(report_back_q(meeting, since)).filter(
        problem__accepted_at__isnull=False
    )


def _resolved_here(meeting: Meeting) -> Any:
    return TimelineEntry.objects.filter(problem=OuterRef("pk"), move=Move.RESOLVE, meeting=meeting)


@panel(Kind.REPORT_BACK, REPORT_BACK_TEMPLATE)
def report_back(ctx: PanelContext) -> dict[str, Any]:
    meeting, item, public = ctx.meeting, ctx.item, ctx.public
    since = report_back_since(meeting)
    listed = report_back_actions(meeting, since)
    resolved_here = _resolved_here(meeting)
    problems = list(
        Problem.objects.for_neighbourhood(meeting.neighbourhood_id)
        .public()
        .filter(
            Q(status=Status.PRIORITY)
            | Q(pk__in=listed.values("problem_id"))
            | Exists(resolved_here)
        )
        .annotate(
            decision=Subquery(resolved_here.order_by("-at", "-pk").values("public_note")[:1]),
            priority_first=Case(
                When(status=Status.PRIORITY, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            ),
        )
        .select_related("category")
        .order_by("priority_first", "-support_count", "pk")
    )
    related = ["owner_organisation"]
    if not public:
        related += ["owner_person", "contact_person"]
    # The latest that says something: a status change without words ("in progress" with a
    # progress note, "done") is the badge already.
    latest = (
        ActionUpdate.objects.filter(kind__in=PROGRESS_KINDS)
        .exclude(text="")
        .select_related("organisation")
        .order_by("-at", "-pk")[:1]
    )
    actions = (
        listed.select_related(*related)
        .prefetch_related(
            Prefetch("updates", queryset=latest, to_attr="latest_updates"),
            Prefetch(
                "judgements",
                queryset=Judgement.objects.filter(meeting=meeting),
                to_attr="judged_here",
            ),
        )
        .order_by("due_date", "pk")
    )
    by_problem: dict[int, list[Action]] = defaultdict(list)
    for action in actions:
        by_problem[action.problem_id].append(action)
    request = ctx.request
    writes = not public and may_write(request, meeting)
    slug = meeting.neighbourhood.slug
    groups = []
    for problem in problems:
        group: dict[str, Any] = {
            "title": problem.public_title,
            "status": problem.status,
            "status_label": str(problem.get_status_display()),
            "priority": problem.status == Status.PRIORITY,
            "resolved": problem.status == Status.RESOLVED,
            "decision": problem.decision,
            "actions": [
                _report_row(request, action, meeting, item, public=public, writes=writes)
                for action in by_problem[problem.pk]
            ],
        }
        if not public:
            group.update(
                pk=problem.pk,
                url=maybe_url("problem", slug, problem.pk),
                resolve_url=_urls(meeting, item, "actions:report_back_resolve", problem.pk),
                resolve_form=(
                    _resolve_form(request, problem)
                    if writes and problem.status == Status.PRIORITY
                    else None
                ),
            )
        groups.append(group)
    context: dict[str, Any] = {
        "groups": groups,
        "since": since,
        "count": sum(len(group["actions"]) for group in groups),
    }
    if not public:
        context.update(
            writes=writes,
            cancelled=meeting.status == Meeting.Status.CANCELLED,
            **_notice(request),
        )
    return context


def _latest(action: Action) -> dict[str, Any] | None:
    found: list[ActionUpdate] = action.latest_updates  # type: ignore[attr-defined]
    if not found:
        return None
    update = found[0]
    return {
        "at": update.at,
        "kind": update.kind,
        "kind_label": str(update.get_kind_display()),
        "organisation": update.organisation.name if update.organisation else "",
        "text": update.text,
        "to_status_label": (str(ActionStatus(update.to_status).label) if update.to_status else ""),
        "new_due_date": update.new_due_date,
    }


def _judgement(action: Action) -> Judgement | None:
    found: list[Judgement] = action.judged_here  # type: ignore[attr-defined]
    return found[0] if found else None


def _report_row(
    request: HttpRequest,
    action: Action,
    meeting: Meeting,
    item: AgendaItem,
    *,
    public: bool,
    writes: bool,
) -> dict[str, Any]:
    row = _action_row(action, meeting, public=public)
    judgement = _judgement(action)
    latest = _latest(action)
    if latest is not None:
        latest["repeats_delay_note"] = (
            latest["kind"] == ActionUpdate.Kind.DELAY and latest["text"] == action.delay_note
        )
    row.update(
        delay_note=action.delay_note,
        delay_note_at=action.delay_note_at,
        latest=latest,
        judgement=(
            {
                "effect": judgement.effect,
                "effect_label": str(judgement.get_effect_display()),
                "verdict": judgement.verdict,
                "verdict_label": str(judgement.get_verdict_display()),
                "note": judgement.note,
            }
            if judgement is not None
            else None
        ),
    )
    if public:
        row.pop("volunteers_needed")
        row.pop("volunteer_count")
        return row
    slug = meeting.neighbourhood.slug
    row.update(
        judge_url=_urls(meeting, item, "actions:report_back_judgement", action.pk),
        edit_url=maybe_url("actions:action_edit", slug, action.pk),
        judge_form=_judge_form(request, action, judgement) if writes else None,
    )
    return row


def _judge_form(request: HttpRequest, action: Action, judgement: Judgement | None) -> Any:
    kept = kept_form(request, "judgement", action.pk)
    if kept is not None:
        return kept
    initial = {}
    if judgement is not None:
        initial = {
            "effect": judgement.effect,
            "verdict": judgement.verdict,
            "note": judgement.note,
        }
    return JudgementForm(action_pk=action.pk, initial=initial)


def _resolve_form(request: HttpRequest, problem: Problem) -> Any:
    kept = kept_form(request, "resolve", problem.pk)
    return kept if kept is not None else ResolveForm(problem_pk=problem.pk)
