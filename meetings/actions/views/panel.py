"""The forms of the agenda screen's Aanpak and Terugkoppeling panels (meetings/actions/panels.py).

/buurt/<slug>/overleg/<pk>/leiden/punt/<item_pk>/aanpak/<problem_pk>/analyse/
    a problem's analysis (the crime triangle): action_services.analysis_save
/buurt/<slug>/overleg/<pk>/leiden/punt/<item_pk>/aanpak/<problem_pk>/actie/
    agree a new action for a problem at this meeting: action_services.action_create
/buurt/<slug>/overleg/<pk>/leiden/punt/<item_pk>/terugkoppeling/actie/<action_pk>/oordeel/
    the room's judgement of an action: report_back.judgement_record
/buurt/<slug>/overleg/<pk>/leiden/punt/<item_pk>/terugkoppeling/probleem/<problem_pk>/opgelost/
    the meeting resolves a priority: report_back.priority_resolve

Only whoever runs the meeting (meetings.access.meeting_for_runner: the chair, the minute-taker,
coordinators, the meeting's own chair or minute-taker); the analysis of a sensitive problem
only the team among them. Every write also raises the meeting's version, in the same
transaction, so the projector's poll shows it.

With htmx the answer is the panel, swapped in place (also when a form was refused: htmx swaps
only 2xx answers, so that is a 200 with the errors at the form). Without JavaScript a saved form
redirects back to the agenda screen; a refused one shows the agenda screen again with the
errors at the form (400), or, when the item is no longer the current one, the first error as
a message on the screen.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from buurtoverleg.forms import add_service_errors, first_error
from buurtoverleg.htmx import partial_or_redirect
from buurtoverleg.http import AuthenticatedHttpRequest
from meetings import services as meeting_services
from meetings.access import MeetingAccess, meeting_for_runner
from meetings.actions import report_back
from meetings.actions import services as action_services
from meetings.actions.models import Action
from meetings.actions.panels import (
    ApproachActionForm,
    ApproachAnalysisForm,
    JudgementForm,
    ResolveForm,
    keep_forms,
    keep_notice,
    owner_choices,
)
from meetings.planning.models import AgendaItem, Meeting
from meetings.room.panels import PanelContext, panel_render_context
from meetings.room.screen import TEMPLATE as SCREEN_TEMPLATE
from meetings.room.screen import screen_context, screen_url
from problems.models import Problem
from problems.workflow import MEETING, Status

Kind = AgendaItem.Kind


# --- Fetching, with the permission check --------------------------------------------------------


def _runner_item(
    request: AuthenticatedHttpRequest, slug: str, pk: int, item_pk: int, kind: str
) -> tuple[Meeting, MeetingAccess, AgendaItem]:
    """The meeting (403 unless this user runs it) and its item of this kind (404)."""
    meeting, access = meeting_for_runner(request, slug, pk)
    item = get_object_or_404(AgendaItem, pk=item_pk, meeting=meeting, kind=kind)
    item.meeting = meeting
    return meeting, access, item


def _problem_of(meeting: Meeting, problem_pk: int) -> Problem:
    """A public problem of the meeting's neighbourhood (404 for any other)."""
    return get_object_or_404(
        Problem.objects.public().select_related("category"),
        pk=problem_pk,
        neighbourhood_id=meeting.neighbourhood_id,
    )


# --- Answers ------------------------------------------------------------------------------------


def _panel(
    request: AuthenticatedHttpRequest, meeting: Meeting, access: MeetingAccess, item: AgendaItem
) -> HttpResponse:
    """The panel alone, as the agenda screen shows it (for htmx to swap in)."""
    context = panel_render_context(
        PanelContext(request=request, meeting=meeting, item=item, public=False, team=access.team)
    )
    return render(request, f"{context['panel_template']}#panel", {"panel": context["panel"]})


def _saved(
    request: AuthenticatedHttpRequest,
    meeting: Meeting,
    access: MeetingAccess,
    item: AgendaItem,
    notice: str,
    anchor: str,
    level: str = "success",
) -> HttpResponse:
    def in_place() -> HttpResponse:
        keep_notice(request, notice, level)
        return _panel(request, meeting, access, item)

    def back() -> str:
        return f"{screen_url(meeting)}#{anchor}"

    message_level = messages.INFO if level == "info" else messages.SUCCESS
    return partial_or_redirect(request, in_place, back, notice, message_level)


def _refused(
    request: AuthenticatedHttpRequest,
    meeting: Meeting,
    access: MeetingAccess,
    item: AgendaItem,
    key: tuple[str, int],
    form: forms.Form,
) -> HttpResponse:
    """Nothing was saved: the form again with its errors, where it was."""
    keep_forms(request, {key: form})
    notice = _("Nothing was saved: %(error)s") % {"error": first_error(form)}
    if request.htmx:
        keep_notice(request, notice, "error")
        return _panel(request, meeting, access, item)
    context = screen_context(request, meeting, access, notice=notice, notice_level="error")
    current = context.get("current")
    if current is not None and current.pk == item.pk:
        return render(request, SCREEN_TEMPLATE, context, status=400)
    messages.error(request, notice)  # the item is no longer on the screen: say it there
    return redirect(screen_url(meeting))


def _refused_plain(
    request: AuthenticatedHttpRequest,
    meeting: Meeting,
    access: MeetingAccess,
    item: AgendaItem,
    notice: str,
) -> HttpResponse:
    """Refused for a reason that is not about a field (a cancelled meeting, a stale form)."""

    def in_place() -> HttpResponse:
        keep_notice(request, notice, "error")
        return _panel(request, meeting, access, item)

    return partial_or_redirect(
        request, in_place, lambda: screen_url(meeting), notice, messages.ERROR
    )


def _cancelled(meeting: Meeting) -> bool:
    return meeting.status == Meeting.Status.CANCELLED


CANCELLED = gettext_lazy("This meeting was cancelled: nothing can be recorded for it.")


# --- Aanpak -------------------------------------------------------------------------------------


@login_required
@require_POST
def approach_analysis_save(
    request: AuthenticatedHttpRequest, slug: str, pk: int, item_pk: int, problem_pk: int
) -> HttpResponse:
    meeting, access, item = _runner_item(request, slug, pk, item_pk, Kind.APPROACH)
    problem = _problem_of(meeting, problem_pk)
    if problem.sensitive and not access.team:
        raise PermissionDenied  # a sensitive problem's analysis stays with the team
    if _cancelled(meeting):
        return _refused_plain(request, meeting, access, item, str(CANCELLED))
    form = ApproachAnalysisForm(request.POST, problem_pk=problem.pk)
    key = ("analysis", problem.pk)
    if not form.is_valid():
        return _refused(request, meeting, access, item, key, form)
    try:
        with transaction.atomic():
            action_services.analysis_save(
                problem=problem, actor=request.user, meeting=meeting, **form.cleaned_data
            )
            meeting_services.meeting_touch(meeting)
    except ValidationError as error:
        add_service_errors(form, error)
        return _refused(request, meeting, access, item, key, form)
    notice = _("The analysis of “%(title)s” is saved.") % {"title": problem.public_title}
    return _saved(request, meeting, access, item, notice, f"approach-{problem.pk}")


@login_required
@require_POST
def approach_action_create(
    request: AuthenticatedHttpRequest, slug: str, pk: int, item_pk: int, problem_pk: int
) -> HttpResponse:
    """A double click or a retried request makes one action (action_create dedupes)."""
    meeting, access, item = _runner_item(request, slug, pk, item_pk, Kind.APPROACH)
    problem = _problem_of(meeting, problem_pk)
    if _cancelled(meeting):
        return _refused_plain(request, meeting, access, item, str(CANCELLED))
    form = ApproachActionForm(
        request.POST, problem_pk=problem.pk, choices=owner_choices(meeting.neighbourhood)
    )
    key = ("action", problem.pk)
    if not form.is_valid():
        return _refused(request, meeting, access, item, key, form)
    try:
        with transaction.atomic():
            action = action_services.action_create(
                problem=problem,
                actor=request.user,
                role=MEETING,  # agreed by the meeting (its public history says so)
                meeting=meeting,
                **form.create_values(),
            )
            meeting_services.meeting_touch(meeting)
    except ValidationError as error:
        add_service_errors(form, error)
        return _refused(request, meeting, access, item, key, form)
    notice = _("Action agreed: “%(outcome)s” (%(owner)s).") % {
        "outcome": action.outcome,
        "owner": action.owner_label,
    }
    return _saved(request, meeting, access, item, notice, f"approach-{problem.pk}")


# --- Terugkoppeling ---------------------------------------------------------------------------


@login_required
@require_POST
def report_back_judgement(
    request: AuthenticatedHttpRequest, slug: str, pk: int, item_pk: int, action_pk: int
) -> HttpResponse:
    meeting, access, item = _runner_item(request, slug, pk, item_pk, Kind.REPORT_BACK)
    action = get_object_or_404(
        Action.objects.select_related("neighbourhood"),
        pk=action_pk,
        neighbourhood_id=meeting.neighbourhood_id,
    )
    if _cancelled(meeting):
        return _refused_plain(request, meeting, access, item, str(CANCELLED))
    if action.meeting_id == meeting.pk:
        return _refused_plain(
            request,
            meeting,
            access,
            item,
            _("This action was agreed at this meeting: the next meeting judges it."),
        )
    form = JudgementForm(request.POST, action_pk=action.pk)
    key = ("judgement", action.pk)
    if not form.is_valid():
        return _refused(request, meeting, access, item, key, form)
    try:
        with transaction.atomic():
            judgement = report_back.judgement_record(
                action=action, meeting=meeting, actor=request.user, **form.cleaned_data
            )
            meeting_services.meeting_touch(meeting)
    except ValidationError as error:
        add_service_errors(form, error)
        return _refused(request, meeting, access, item, key, form)
    notice = _("Judgement recorded for “%(outcome)s”: %(effect)s, %(verdict)s.") % {
        "outcome": action.outcome,
        "effect": judgement.get_effect_display().lower(),
        "verdict": judgement.get_verdict_display().lower(),
    }
    return _saved(request, meeting, access, item, notice, f"report-back-action-{action.pk}")


@login_required
@require_POST
def report_back_resolve(
    request: AuthenticatedHttpRequest, slug: str, pk: int, item_pk: int, problem_pk: int
) -> HttpResponse:
    meeting, access, item = _runner_item(request, slug, pk, item_pk, Kind.REPORT_BACK)
    problem = _problem_of(meeting, problem_pk)
    if _cancelled(meeting):
        return _refused_plain(request, meeting, access, item, str(CANCELLED))
    anchor = f"report-back-problem-{problem.pk}"
    title = problem.public_title
    already = _("“%(title)s” is already resolved.") % {"title": title}
    if problem.status == Status.RESOLVED:  # a second click, or another screen
        return _saved(request, meeting, access, item, already, anchor, "info")
    if problem.status != Status.PRIORITY:
        return _refused_plain(
            request, meeting, access, item, _("Only a priority can be resolved by the meeting.")
        )
    form = ResolveForm(request.POST, problem_pk=problem.pk)
    key = ("resolve", problem.pk)
    if not form.is_valid():
        return _refused(request, meeting, access, item, key, form)
    try:
        with transaction.atomic():
            report_back.priority_resolve(
                problem=problem,
                meeting=meeting,
                actor=request.user,
                decision=form.cleaned_data["decision"],
            )
            meeting_services.meeting_touch(meeting)
    except ValidationError as error:
        add_service_errors(form, error)
        return _refused(request, meeting, access, item, key, form)
    except PermissionDenied:  # its status changed meanwhile: no longer a priority
        problem.refresh_from_db(fields=["status"])
        if problem.status == Status.RESOLVED:
            return _saved(request, meeting, access, item, already, anchor, "info")
        return _refused_plain(
            request, meeting, access, item, _("Only a priority can be resolved by the meeting.")
        )
    notice = _("“%(title)s” is resolved by the meeting. Its supporters and followers are told.") % {
        "title": title
    }
    return _saved(request, meeting, access, item, notice, anchor)
