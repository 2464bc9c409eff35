"""Reporting a problem, suggesting similar ones while the title is typed, and serving photos."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from buurtoverleg.http import AuthenticatedHttpRequest
from problems import services
from problems.access import problem_for
from problems.confidential import confidential_access
from problems.forms import ReportForm
from problems.models import Photo
from problems.photos import CONTENT_TYPES
from problems.selectors import similar_problems, supported_ids, title_words
from residents.models import Neighbourhood, Role, User
from residents.permissions import COORDINATOR, Perm, can, neighbourhood_for, roles_in
from residents.ratelimits import (
    DAY,
    HOUR,
    Limit,
    LimitReached,
    limit_consume,
    limit_wait,
    too_many_requests,
    wait_words,
)

# Reports per person: a flood is a script or a quarrel, not a neighbourhood. What the office or
# the chair enters for someone else counts against the person entering it, with more room.
REPORT_LIMITS = (Limit(5, HOUR), Limit(20, DAY))
ENTER_FOR_LIMITS = (Limit(60, HOUR),)


def _report_limits(*, on_behalf: bool) -> tuple[str, tuple[Limit, ...]]:
    return ("report-for", ENTER_FOR_LIMITS) if on_behalf else ("report", REPORT_LIMITS)


def _report_wait(who: str, *, enter_for: bool) -> int | None:
    """Seconds until `who` may report anything at all again; None when they may now."""
    waits = []
    for on_behalf in (False, True) if enter_for else (False,):
        scope, limits = _report_limits(on_behalf=on_behalf)
        wait = limit_wait(scope=scope, who=who, limits=limits)
        if wait is None:
            return None
        waits.append(wait)
    return min(waits)


def _entered_by_role(user: User, neighbourhood: Neighbourhood) -> str:
    roles = roles_in(user, neighbourhood)
    for role in (Role.CHAIR, Role.OFFICE, COORDINATOR):
        if role in roles:
            return str(role)
    return ""


def _similar_context(
    request: AuthenticatedHttpRequest, neighbourhood: Neighbourhood, title: str
) -> dict[str, Any]:
    found = similar_problems(neighbourhood, title)
    return {
        "neighbourhood": neighbourhood,
        "similar": found,
        "similar_searched": bool(title_words(title)),
        "supported_ids": supported_ids(request.user, found),
        "can_support": can(request.user, Perm.SUPPORT_PROBLEM, neighbourhood),
    }


@login_required
@require_http_methods(["GET", "POST"])
def problem_report(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    hood = neighbourhood_for(request, slug, Perm.REPORT_PROBLEM)
    enter_for = can(request.user, Perm.ENTER_FOR_RESIDENT, hood)
    posted = request.method == "POST"
    who = str(request.user.pk)
    # Say so before someone types a whole report that cannot be saved.
    if not posted and (wait := _report_wait(who, enter_for=enter_for)):
        return too_many_requests(request, retry_after=wait)
    form = ReportForm(
        request.POST if posted else None,
        request.FILES if posted else None,
        neighbourhood=hood,
        user=request.user,
        enter_for=enter_for,
        similar_url=reverse("report:problem_similar", kwargs={"slug": hood.slug}),
        initial={"title": request.GET.get("title", "")[:120]},
    )
    refused: LimitReached | None = None
    if posted and form.is_valid():
        report = form.report_kwargs(entered_by_role=_entered_by_role(request.user, hood))
        scope, limits = _report_limits(on_behalf="entered_by" in report)
        try:
            # Counted before anything is saved: a refused report leaves no row and no photo.
            limit_consume(scope=scope, who=who, limits=limits)
        except LimitReached as reached:
            # The form comes back with what was typed, so nothing is lost: it can be sent
            # again later (photos have to be chosen again).
            refused = reached
            form.add_error(
                None,
                _("You have sent many reports in a short time. Try again in %(wait)s.")
                % {"wait": wait_words(reached.retry_after)},
            )
    if refused is None and posted and form.is_valid():
        problem = services.problem_report(**report)
        messages.success(
            request,
            _(
                "Thank you. Your report has been saved. The neighbourhood team looks at it "
                "first; after that, other residents can see it too."
            )
            if problem.reporter_id == request.user.pk
            else _(
                "The report has been saved. The neighbourhood team looks at it first; after "
                "that, other residents can see it too."
            ),
        )
        return redirect(reverse("problem", kwargs={"slug": hood.slug, "pk": problem.pk}))
    # Without JavaScript the suggestions show when the form comes back (or with ?title=).
    title = request.POST.get("title", "") if posted else request.GET.get("title", "")
    response = render(
        request,
        "problems/report.html",
        {
            **_similar_context(request, hood, title),
            "form": form,
            "enter_for": enter_for,
            "municipality": hood.municipality,
        },
        status=HTTPStatus.TOO_MANY_REQUESTS if refused else HTTPStatus.OK,
    )
    if refused is not None:
        response["Retry-After"] = str(refused.retry_after)
    return response


@login_required
@require_GET
def problem_similar(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    hood = neighbourhood_for(request, slug, Perm.REPORT_PROBLEM)
    title = request.GET.get("title", "")
    if not request.htmx:
        # A browser without htmx gets the whole form, with the suggestions under the title.
        url = reverse("report:problem_report", kwargs={"slug": hood.slug})
        return redirect(f"{url}?{urlencode({'title': title[:120]})}")
    response = render(request, "problems/_similar.html", _similar_context(request, hood, title))
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
def problem_photo(request: HttpRequest, slug: str, pk: int, photo_id: int) -> FileResponse:
    problem, access = problem_for(request, slug, pk)
    # Photos of a sensitive problem may show addresses or people: the team and the reporter only.
    if not (access.team or access.is_reporter or (problem.is_public and not problem.sensitive)):
        raise Http404
    photo = get_object_or_404(Photo, pk=photo_id, problem=problem)
    extension = (photo.image.name or "").rsplit(".", 1)[-1].lower()
    content_type = CONTENT_TYPES.get(extension)
    if content_type is None:
        raise Http404
    if problem.sensitive and access.team and not access.is_reporter:
        confidential_access(request, [problem])
    try:
        handle = photo.image.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = FileResponse(handle, content_type=content_type)
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = "inline"
    return response
