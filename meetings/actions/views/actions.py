"""Actions between meetings: an action's public page and the forms to keep it up to date,
agreeing a new action and a priority's analysis outside the meeting, and "Mijn acties".

/buurt/<slug>/acties/<pk>/                     the action: outcome, owner, dates, status, its
                                               public history; for those who may update it
                                               (meetings.actions.access.may_update) the forms
                                               below; for residents the volunteer buttons.
   …/voortgang/ …/datum/ …/status/ …/vertraging/   POST: progress, a new date with a reason,
                                               a status, the "why delayed" note.
   …/wijzigen/                                 GET and POST: what was agreed.
   …/aanmelden/ …/afmelden/                    POST: a resident signs up to help, or withdraws.
/buurt/<slug>/problemen/<pk>/acties/nieuw/     agree an action (Perm.CREATE_ACTION; a
                                               professional only for their own organisation).
/buurt/<slug>/problemen/<pk>/analyse/          the crime triangle (Perm.CREATE_ACTION).
/mijn-acties/                                  the actions of one's organisations, and those one
                                               owns or is the contact person of.

Every write goes through meetings.actions.services with the `version` the form was shown
with: a change made meanwhile is refused (409, the form again with a message), bad input
shows the page again with the errors (400), success goes back with a message. Without
JavaScript every form posts and redirects.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from buurtoverleg.forms import add_service_errors
from buurtoverleg.http import AuthenticatedHttpRequest, local_next
from meetings.actions import services as action_services
from meetings.actions.access import (
    ANY_ACTION,
    action_for,
    action_for_updater,
    may_act_for,
    may_update,
    organisations_of,
    owner_choices,
)
from meetings.actions.forms import (
    RESIDENTS,
    ActionForm,
    ActionUpdateForm,
    AnalysisForm,
    DelayForm,
    DueDateForm,
    ProgressForm,
    StatusForm,
    contact_people,
    owner_people,
)
from meetings.actions.models import Action, Volunteer
from meetings.actions.selectors import (
    MY_ACTIONS_LIMIT,
    action_updates,
    action_volunteers,
    actions_of,
    analysis_of,
    has_volunteered,
)
from meetings.actions.services import ActionConflict
from problems.access import problem_for
from problems.confidential import confidential_access
from problems.models import Problem
from residents.models import Neighbourhood, Role, User
from residents.permissions import COORDINATOR, Perm, can, roles_in

ACTION_TEMPLATE = "problems/action.html"
FORM_TEMPLATE = "problems/action_form.html"


def acting_role(user: User, neighbourhood: Neighbourhood, organisation_id: int | None) -> str:
    """The role a change is recorded in: the owner organisation's professional, else the
    chair, else the coordinator. The public history shows the organisation or the role."""
    roles = roles_in(user, neighbourhood)
    if Role.PROFESSIONAL in roles and organisation_id in organisations_of(user).get(
        neighbourhood.pk, set()
    ):
        return Role.PROFESSIONAL
    if Role.CHAIR in roles:
        return Role.CHAIR
    if COORDINATOR in roles:
        return COORDINATOR
    return Role.PROFESSIONAL


def _posted_organisation(request: AuthenticatedHttpRequest, neighbourhood: Neighbourhood) -> None:
    """403 when the posted owner organisation is one this person may not act for.

    A value that is not a number is left to the form, which answers with a clear error.
    """
    value = request.POST.get("owner_organisation")
    if value is None:
        return
    value = value.strip()
    if value == RESIDENTS:
        organisation_id = None
    elif value.isdigit():
        organisation_id = int(value)
    else:
        return
    if not may_act_for(request.user, neighbourhood, organisation_id):
        raise PermissionDenied


def _form_people(user: User, neighbourhood: Neighbourhood) -> dict[str, Any]:
    """The owner and contact choices of the action form for this person."""
    any_owner = bool(roles_in(user, neighbourhood) & ANY_ACTION)
    own = organisations_of(user).get(neighbourhood.pk, set())
    return {
        "organisations": owner_choices(user, neighbourhood),
        "residents_allowed": may_act_for(user, neighbourhood, None),
        "owners": owner_people(neighbourhood, None if any_owner else own),
        "contacts": contact_people(neighbourhood),
    }


# --- The action's page ------------------------------------------------------------------------


UPDATE_FORMS: dict[str, type[ActionUpdateForm]] = {
    "progress": ProgressForm,
    "status": StatusForm,
    "due_date": DueDateForm,
    "delay": DelayForm,
}


def _update_forms(
    action: Action, given: dict[str, ActionUpdateForm]
) -> dict[str, ActionUpdateForm]:
    """The forms an updater sees: progress and status always; a new date while the action is
    active; the "why delayed" note only when it is overdue."""
    wanted = ["progress", "status"]
    if action.is_active:
        wanted.append("due_date")
    if action.is_overdue:
        wanted.append("delay")
    shown = {name: UPDATE_FORMS[name](action=action) for name in wanted}
    shown.update(given)
    return shown


def _page(
    request: HttpRequest,
    action: Action,
    *,
    given: dict[str, ActionUpdateForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    hood = action.neighbourhood
    action.problem.neighbourhood = hood  # its link: no query for the slug
    roles = roles_in(user, hood)
    team = can(user, Perm.VIEW_CONFIDENTIAL, hood)
    updater = may_update(user, action)
    updates = action_updates(action)
    asks_volunteers = bool(action.volunteers_needed)
    may_volunteer = asks_volunteers and can(user, Perm.VOLUNTEER, hood)
    signed_up = may_volunteer and user.is_authenticated and has_volunteered(action, user)
    volunteers: list[Volunteer] = []
    if updater and asks_volunteers:  # the owners need to know who helps: never public
        volunteers = action_volunteers(action)
    return render(
        request,
        ACTION_TEMPLATE,
        {
            "neighbourhood": hood,
            "action": action,
            "problem": action.problem,
            "updates": updates,
            "member": bool(roles),
            "team": team,
            "updater": updater,
            "forms": _update_forms(action, given or {}) if updater else {},
            "next": local_next(request, ""),
            "may_volunteer": may_volunteer and action.is_active,
            "signed_up": signed_up,
            "volunteers": volunteers,
            "meeting": action.meeting if action.meeting_id else None,
        },
        status=status,
    )


@never_cache
@require_GET
def action(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    return _page(request, action_for(request, slug, pk))


def _with_version(data: Any, version: int) -> Any:
    data = data.copy()
    data["version"] = str(version)
    return data


def _write(
    request: AuthenticatedHttpRequest,
    slug: str,
    pk: int,
    name: str,
    save: Callable[[Action, dict[str, Any], str], str],
) -> HttpResponse:
    """One update form: check, save through the service, answer."""
    found = action_for_updater(request, slug, pk)
    form_class = UPDATE_FORMS[name]
    form = form_class(request.POST, action=found)
    if not form.is_valid():
        return _page(request, found, given={name: form}, status=400)
    role = acting_role(request.user, found.neighbourhood, found.owner_organisation_id)
    try:
        notice = save(found, form.cleaned_data, role)
    except ActionConflict as conflict:
        found = action_for_updater(request, slug, pk)
        form = form_class(_with_version(request.POST, found.version), action=found)
        form.add_error(None, conflict.messages)
        return _page(request, found, given={name: form}, status=409)
    except ValidationError as error:
        add_service_errors(form, error)
        return _page(request, found, given={name: form}, status=400)
    messages.success(request, notice)
    return redirect(local_next(request, found.get_absolute_url()))


@login_required
@require_POST
def action_progress(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    def save(found: Action, data: dict[str, Any], role: str) -> str:
        action_services.action_progress_post(
            action=found,
            actor=request.user,
            role=role,
            text=data["text"],
            status=data["status"] or None,
            version=data["version"],
        )
        return _("Your progress note is saved. Everyone can read it on the action's page.")

    return _write(request, slug, pk, "progress", save)


@login_required
@require_POST
def action_due_date(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    def save(found: Action, data: dict[str, Any], role: str) -> str:
        action_services.action_due_date_move(
            action=found,
            actor=request.user,
            role=role,
            due_date=data["due_date"],
            reason=data["reason"],
            version=data["version"],
        )
        return _("The new date is saved, with the reason, in the history.")

    return _write(request, slug, pk, "due_date", save)


@login_required
@require_POST
def action_status(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    def save(found: Action, data: dict[str, Any], role: str) -> str:
        action_services.action_status_set(
            action=found,
            actor=request.user,
            role=role,
            status=data["status"],
            reason=data["reason"],
            version=data["version"],
        )
        return _("The status is now: %(status)s.") % {"status": found.get_status_display()}

    return _write(request, slug, pk, "status", save)


@login_required
@require_POST
def action_delay(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    def save(found: Action, data: dict[str, Any], role: str) -> str:
        action_services.action_delay_note(
            action=found,
            actor=request.user,
            role=role,
            text=data["text"],
            version=data["version"],
        )
        return _("Your note on why it is late is saved. Everyone can read it.")

    return _write(request, slug, pk, "delay", save)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def action_edit(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    found = action_for_updater(request, slug, pk)
    hood = found.neighbourhood
    if request.method == "POST":
        _posted_organisation(request, hood)
    people = _form_people(request.user, hood)
    if (
        found.owner_organisation is not None
        and found.owner_organisation not in (people["organisations"])
    ):
        people["organisations"] = [found.owner_organisation, *people["organisations"]]
    data = request.POST if request.method == "POST" else None
    form = ActionForm(data, action=found, **people)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                changed = action_services.action_edit(
                    action=found,
                    actor=request.user,
                    role=acting_role(request.user, hood, found.owner_organisation_id),
                    version=form.cleaned_data["version"],
                    **form.edit_values(),
                )
            except ActionConflict as conflict:
                found = action_for_updater(request, slug, pk)
                form = ActionForm(
                    _with_version(request.POST, found.version), action=found, **people
                )
                form.add_error(None, conflict.messages)
                status = 409
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                if changed is None:
                    messages.info(request, _("Nothing was changed."))
                else:
                    messages.success(request, _("The changes are saved and in the history."))
                return redirect(found.get_absolute_url())
    found.problem.neighbourhood = hood
    return render(
        request,
        FORM_TEMPLATE,
        {"neighbourhood": hood, "problem": found.problem, "action": found, "form": form},
        status=status,
    )


@login_required
@require_POST
def action_volunteer(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    found = action_for(request, slug, pk)
    if not (found.volunteers_needed and can(request.user, Perm.VOLUNTEER, found.neighbourhood)):
        raise PermissionDenied
    try:
        signed = action_services.volunteer_sign_up(action=found, user=request.user)
    except ValidationError as error:
        for text in error.messages:
            messages.error(request, text)
    else:
        if signed:
            messages.success(request, _("Thank you: you are signed up to help."))
        else:
            messages.info(request, _("You had already signed up."))
    return redirect(found.get_absolute_url())


@login_required
@require_POST
def action_volunteer_withdraw(
    request: AuthenticatedHttpRequest, slug: str, pk: int
) -> HttpResponse:
    # Anyone may take back their own sign-up, also after leaving the neighbourhood.
    found = action_for(request, slug, pk)
    if action_services.volunteer_withdraw(action=found, user=request.user):
        messages.success(request, _("You are no longer signed up to help."))
    else:
        messages.info(request, _("You had not signed up for this action."))
    return redirect(found.get_absolute_url())


# --- Agreeing an action, the analysis ---------------------------------------------------------


def _problem_for_planner(request: AuthenticatedHttpRequest, slug: str, pk: int) -> Problem:
    """The problem, if this person may agree actions for it (404 if they may not see it)."""
    found, _access = problem_for(request, slug, pk)
    if not can(request.user, Perm.CREATE_ACTION, found.neighbourhood):
        raise PermissionDenied
    return found


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def action_create(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    problem = _problem_for_planner(request, slug, pk)
    hood = problem.neighbourhood
    context: dict[str, Any] = {"neighbourhood": hood, "problem": problem, "action": None}
    if not problem.is_actionable:
        return render(request, FORM_TEMPLATE, {**context, "closed": True}, status=409)
    if request.method == "POST":
        _posted_organisation(request, hood)
    people = _form_people(request.user, hood)
    if not people["organisations"] and not people["residents_allowed"]:
        raise PermissionDenied
    form = ActionForm(request.POST if request.method == "POST" else None, **people)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            values = form.create_values()
            organisation = values["owner_organisation"]
            try:
                created = action_services.action_create(
                    problem=problem,
                    actor=request.user,
                    role=acting_role(request.user, hood, organisation and organisation.pk),
                    **values,
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(
                    request,
                    _("The action is agreed. It comes back at every meeting until it is done."),
                )
                return redirect(
                    reverse("actions:action", kwargs={"slug": hood.slug, "pk": created.pk})
                )
    return render(request, FORM_TEMPLATE, {**context, "form": form}, status=status)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def analysis_edit(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    problem = _problem_for_planner(request, slug, pk)
    analysis = analysis_of(problem)
    form = AnalysisForm(request.POST if request.method == "POST" else None, analysis=analysis)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                action_services.analysis_save(
                    problem=problem,
                    actor=request.user,
                    location=form.cleaned_data["location"],
                    victims=form.cleaned_data["victims"],
                    offenders=form.cleaned_data["offenders"],
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("The analysis is saved."))
                return redirect(problem.get_absolute_url() + "#aanpak")
    elif problem.sensitive and analysis is not None and not analysis.is_empty:
        # A sensitive problem's analysis is a confidential detail.
        confidential_access(request, [problem])
    return render(
        request,
        "problems/analysis_edit.html",
        {
            "neighbourhood": problem.neighbourhood,
            "problem": problem,
            "form": form,
            "closed": not problem.is_actionable,
        },
        status=status,
    )


# --- Mijn acties ------------------------------------------------------------------------------


@dataclass
class MyAction:
    action: Action
    why: str  # "your organisation", "you own it", "you are the contact person"
    form: ProgressForm | None


@never_cache
@login_required
@require_GET
def my_actions(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    show_all = request.GET.get("alle") == "1"
    found = actions_of(user, show_all=show_all, today=timezone.localdate())
    own = organisations_of(user)
    rows = []
    for row in found[:MY_ACTIONS_LIMIT]:
        row.problem.neighbourhood = row.neighbourhood
        if row.owner_organisation_id in own.get(row.neighbourhood_id, set()):
            why = row.owner_label
        elif row.owner_person_id == user.pk:
            why = _("You own it")
        else:
            why = _("You are the contact person")
        form = ProgressForm(action=row) if may_update(user, row) else None
        rows.append(MyAction(row, why, form))
    return render(
        request,
        "problems/my_actions.html",
        {
            "rows": rows,
            "more": len(found) > MY_ACTIONS_LIMIT,
            "limit": MY_ACTIONS_LIMIT,
            "show_all": show_all,
            "next": reverse("actions:my_actions") + ("?alle=1" if show_all else ""),
            "has_organisation": bool(own),
        },
    )
