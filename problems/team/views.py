"""The team's side of the register: the moderation queue, status changes, edits, confirming a
problem as chronic, residents' reopen requests and the log of who saw confidential details.

Problems are fetched through `problem_for` (404 for what a person may not see), the
neighbourhood through `neighbourhood_for`; every write goes through problems.services.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from buurtoverleg.http import AuthenticatedHttpRequest, local_next
from problems import services
from problems.access import Access, access_in, problem_for
from problems.confidential import confidential_access
from problems.models import Problem, ReopenRequest
from problems.team.forms import ChronicForm, ProblemEditForm, ReopenRequestForm, TransitionForm
from problems.team.selectors import (
    QUEUE_LIMIT,
    confidential_views,
    queue_candidates,
    queue_likely_chronic,
    queue_new,
    queue_reopen_requests,
)
from problems.workflow import Move, Transition
from residents.models import Role
from residents.permissions import Perm, can, neighbourhood_for

LOG_PER_PAGE = 50


@dataclass
class QueueRow:
    """One problem in the moderation queue, with what the current person may do with it."""

    problem: Problem
    moves: list[Transition]
    signals: list[str] = field(default_factory=list)
    requests: list[ReopenRequest] = field(default_factory=list)


@dataclass
class Section:
    rows: list[QueueRow]
    more: bool  # there are more than QUEUE_LIMIT


def _section(rows: list[QueueRow]) -> Section:
    return Section(rows[:QUEUE_LIMIT], len(rows) > QUEUE_LIMIT)


@never_cache
@login_required
@require_GET
def problem_queue(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    hood = neighbourhood_for(request, slug, Perm.VIEW_CONFIDENTIAL)
    access = access_in(request.user, hood)

    def row(problem: Problem, **extra: Any) -> QueueRow:
        problem.neighbourhood = hood  # shared: no query per row for its slug or thresholds
        return QueueRow(problem, access.moves(problem), **extra)

    new = [row(p) for p in queue_new(hood)]
    requests: dict[int, QueueRow] = {}
    for reopen in queue_reopen_requests(hood):
        if reopen.problem_id not in requests:
            requests[reopen.problem_id] = row(reopen.problem)
        requests[reopen.problem_id].requests.append(reopen)
    chronic = []
    for problem in queue_likely_chronic(hood):
        queued = row(problem)
        queued.signals = problem.chronic_signals()
        if queued.signals:
            chronic.append(queued)
    candidates = [row(p) for p in queue_candidates(hood)]
    # The queue shows reporters, and the real titles of sensitive problems: a view of those
    # problems' details (logged); the reporters alone still need the second factor.
    shown = [
        r.problem for rows in (new, list(requests.values()), chronic, candidates) for r in rows
    ]
    confidential_access(request, [p for p in shown if p.sensitive])
    return render(
        request,
        "problems/team_queue.html",
        {
            "neighbourhood": hood,
            "access": access,
            "may_confirm_chronic": access.can_confirm_chronic,
            "can_view_log": can(request.user, Perm.VIEW_CONFIDENTIAL_LOG, hood),
            "new": _section(new),
            "reopen": _section(list(requests.values())),
            "chronic": _section(chronic),
            "candidates": _section(candidates),
        },
    )


def _title_for(problem: Problem) -> str:
    # The public title also for the team: these pages are about the status, not the details
    # (a sensitive problem's real title is a confidential detail, logged where it is shown).
    return problem.public_title


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def problem_transition(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    problem, access = problem_for(request, slug, pk)
    allowed = {t.move.value: t for t in access.moves(problem)}
    if not allowed:
        raise PermissionDenied
    wanted = (request.POST if request.method == "POST" else request.GET).get("move", "")
    if request.method == "POST" and wanted not in allowed:
        raise PermissionDenied
    shown = [allowed[wanted]] if wanted in allowed else list(allowed.values())
    forms = [
        TransitionForm(
            request.POST if request.method == "POST" else None,
            problem=problem,
            transition=transition,
            auto_id=f"id_{transition.move.value}_%s",
        )
        for transition in shown
    ]
    if request.method == "POST":
        form = forms[0]
        if form.is_valid():
            try:
                services.problem_transition(
                    problem=problem,
                    move=Move(wanted),
                    actor=request.user,
                    actors=access.roles,
                    public_note=form.cleaned_data["public_note"],
                    confidential_note=form.cleaned_data["confidential_note"],
                    into=form.cleaned_data.get("into"),
                )
            except ValidationError as error:
                form.add_error("into" if "into" in form.fields else None, error)
            else:
                messages.success(
                    request,
                    _("Saved: %(what)s. Followers get an e-mail about it.")
                    % {"what": form.transition.label()},
                )
                return HttpResponseRedirect(local_next(request, problem.get_absolute_url()))
    return render(
        request,
        "problems/team_transition.html",
        {
            "neighbourhood": problem.neighbourhood,
            "problem": problem,
            "access": access,
            "title": _title_for(problem),
            "forms": forms,
            "gone": bool(wanted) and wanted not in allowed,
            "next": request.POST.get("next") or request.GET.get("next") or "",
        },
    )


def _edit_role(access: Access) -> str:
    return Role.CHAIR if Role.CHAIR in access.roles else Role.OFFICE


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def problem_edit(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    problem, access = problem_for(request, slug, pk)
    if not access.can_edit:
        raise PermissionDenied
    form = ProblemEditForm(request.POST if request.method == "POST" else None, problem=problem)
    if request.method == "POST" and form.is_valid():
        entry = services.problem_edit(
            problem=problem, actor=request.user, role=_edit_role(access), **form.values()
        )
        if entry is None:
            messages.info(request, _("Nothing was changed."))
        else:
            messages.success(request, _("The changes are saved and on the timeline."))
        return redirect(problem.get_absolute_url())
    confidential_access(request, [problem])  # the form shows the confidential details
    return render(
        request,
        "problems/team_edit.html",
        {
            "neighbourhood": problem.neighbourhood,
            "problem": problem,
            "access": access,
            "form": form,
        },
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def problem_chronic(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    problem, access = problem_for(request, slug, pk)
    if not access.can_confirm_chronic:
        raise PermissionDenied
    confirmable = access.may_confirm_chronic(problem)
    form = ChronicForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.problem_confirm_chronic(
                problem=problem,
                actor=request.user,
                role=Role.CHAIR,
                tests=form.cleaned_data["tests"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The problem is confirmed as chronic."))
            return redirect(problem.get_absolute_url())
    return render(
        request,
        "problems/team_chronic.html",
        {
            "neighbourhood": problem.neighbourhood,
            "problem": problem,
            "access": access,
            "title": _title_for(problem),
            "signals": problem.chronic_signals(),
            "confirmable": confirmable,
            "form": form,
        },
    )


@login_required
@require_POST
def problem_reopen_request(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    problem, access = problem_for(request, slug, pk)
    if Role.RESIDENT not in access.roles:
        raise PermissionDenied
    form = ReopenRequestForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.as_data().values():
            for error in errors:
                for text in error.messages:
                    messages.error(request, text)
        return redirect(problem.get_absolute_url())
    try:
        services.problem_reopen_request(
            problem=problem, user=request.user, note=form.cleaned_data["note"]
        )
    except ValidationError as error:
        for text in error.messages:
            messages.error(request, text)
    else:
        messages.success(
            request, _("Thank you. The chair will look at your request to reopen this problem.")
        )
    return redirect(problem.get_absolute_url())


@never_cache
@login_required
@require_GET
def problem_confidential_log(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    hood = neighbourhood_for(request, slug, Perm.VIEW_CONFIDENTIAL_LOG)
    page = Paginator(confidential_views(hood), LOG_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "problems/confidential_log.html",
        {"neighbourhood": hood, "page": page},
    )
