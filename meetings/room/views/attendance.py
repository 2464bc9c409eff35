"""Attendance: who is at the meeting, recorded by the chair or minute-taker, and residents
checking themselves in with the QR code on the projector.

The attendance screen is a team screen (meetings.access.meeting_for_runner): it names
residents. The check-in page names only the person who checks in. Every write goes through
meetings.services; with htmx the screen swaps its "present" block in place, without
JavaScript every form posts and redirects back.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.messages.constants import DEFAULT_TAGS
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from buurtoverleg.forms import add_service_errors, error_text, first_error
from buurtoverleg.htmx import partial_or_redirect
from buurtoverleg.http import AuthenticatedHttpRequest
from meetings import services as meeting_services
from meetings import workflow
from meetings.access import MeetingAccess, meeting_for, meeting_for_runner
from meetings.planning.models import Meeting
from meetings.room.check_in import check_in_qr, check_in_url
from meetings.room.forms.attendance import GuestForm, MemberAddForm, MemberSearchForm, WalkInsForm
from meetings.room.models import Attendance
from meetings.room.selectors import (
    Found,
    attendance_rows,
    guest_on_list,
    members_matching,
    own_attendance,
    present_user_ids,
    professional_membership,
    professional_organisations,
)
from meetings.services import MeetingStateError
from residents.models import Organisation, User
from residents.selectors import has_pending_membership

TEMPLATE = "meetings/attendance.html"
CHECK_IN_TEMPLATE = "meetings/check_in.html"
SEARCH_LIMIT = 20


# --- Reading what the screen shows ------------------------------------------------------------


@dataclass(frozen=True)
class Present:
    """One row of the attendance list."""

    row: Attendance
    name: str
    organisation: str
    paper: bool  # a paper resident: a member without e-mail

    @property
    def pk(self) -> int:
        return self.row.pk


@dataclass(frozen=True)
class Totals:
    residents: int
    professionals: int
    walk_ins: int
    newcomers: int

    @property
    def people(self) -> int:
        return self.residents + self.professionals + self.walk_ins


def _present(meeting: Meeting) -> tuple[list[Present], list[Present]]:
    """The residents and the professionals at the meeting, each sorted by name."""
    rows = attendance_rows(meeting)
    # A professional who checked in has no organisation on the row: it is their membership's.
    missing = [
        r.user_id
        for r in rows
        if r.kind == Attendance.Kind.PROFESSIONAL and r.organisation_id is None and r.user_id
    ]
    organisations = professional_organisations(meeting, missing)
    residents: list[Present] = []
    professionals: list[Present] = []
    for row in rows:
        user = row.user
        present = Present(
            row=row,
            name=(user.display_name if user else row.name) or _("Someone who has left"),
            organisation=row.organisation.name
            if row.organisation
            else organisations.get(row.user_id or 0, ""),
            paper=user is not None and user.is_paper_resident,
        )
        if row.kind == Attendance.Kind.PROFESSIONAL:
            professionals.append(present)
        else:
            residents.append(present)
    residents.sort(key=lambda p: (p.name.casefold(), p.pk))
    professionals.sort(key=lambda p: (p.organisation.casefold(), p.name.casefold(), p.pk))
    return residents, professionals


def _totals(meeting: Meeting, residents: list[Present], professionals: list[Present]) -> Totals:
    return Totals(
        residents=len(residents),
        professionals=len(professionals),
        walk_ins=meeting.walk_ins,
        newcomers=sum(1 for p in (*residents, *professionals) if p.row.newcomer),
    )


def _mark_present(meeting: Meeting, found: list[Found], present_ids: set[int] | None) -> None:
    if not found:
        return
    if present_ids is None:
        present_ids = present_user_ids(meeting, [p.user.pk for p in found])
    for person in found:
        person.present = person.user.pk in present_ids


def _search_context(
    request: AuthenticatedHttpRequest,
    meeting: Meeting,
    present_ids: set[int] | None = None,
    query: str | None = None,
) -> dict[str, Any]:
    data = {"q": query} if query is not None else request.GET
    form = MemberSearchForm(
        data,
        search_url=reverse("room:attendance_search", args=[meeting.neighbourhood.slug, meeting.pk]),
    )
    words = form.words()
    found, more = members_matching(meeting.neighbourhood, words, SEARCH_LIMIT)
    _mark_present(meeting, found, present_ids)
    return {
        "search_form": form,
        "q": " ".join(words),
        "searched": bool(words),
        "found": found,
        "more": more,
        "limit": SEARCH_LIMIT,
    }


def _present_context(meeting: Meeting, walk_ins_form: WalkInsForm | None = None) -> dict[str, Any]:
    residents, professionals = _present(meeting)
    return {
        "residents": residents,
        "professionals": professionals,
        "totals": _totals(meeting, residents, professionals),
        "walk_ins_form": walk_ins_form or WalkInsForm(initial={"walk_ins": meeting.walk_ins}),
        "recordable": meeting.status in workflow.RECORDABLE,
    }


def _page(
    request: AuthenticatedHttpRequest,
    meeting: Meeting,
    access: MeetingAccess,
    *,
    guest_form: GuestForm | None = None,
    walk_ins_form: WalkInsForm | None = None,
) -> HttpResponse:
    present = _present_context(meeting, walk_ins_form)
    present_ids = {
        p.row.user_id for p in (*present["residents"], *present["professionals"]) if p.row.user_id
    }
    return render(
        request,
        TEMPLATE,
        {
            "neighbourhood": meeting.neighbourhood,
            "meeting": meeting,
            "access": access,
            "guest_form": guest_form or GuestForm(),
            "check_in_open": meeting.status in workflow.CHECK_IN_OPEN,
            "check_in_url": check_in_url(meeting),
            "check_in_qr": check_in_qr(meeting) if meeting.status in workflow.CHECK_IN_OPEN else "",
            **present,
            **_search_context(request, meeting, present_ids),
        },
    )


def _partials(
    request: AuthenticatedHttpRequest,
    meeting: Meeting,
    *,
    level: str,
    text: str,
    walk_ins_form: WalkInsForm | None = None,
) -> HttpResponse:
    """htmx: the "present" block with the feedback in it, and the search results again (out of
    band, so an added person shows as "already there")."""
    context: dict[str, Any] = {
        "neighbourhood": meeting.neighbourhood,
        "meeting": meeting,
        "feedback": {"level": level, "text": text},
        **_present_context(meeting, walk_ins_form),
    }
    html = render_to_string(f"{TEMPLATE}#present", context, request)
    query = request.POST.get("q")
    if query is not None:
        search = _search_context(request, meeting, query=query)
        html += render_to_string(
            f"{TEMPLATE}#search-results", {**context, **search, "oob": True}, request
        )
    return HttpResponse(html)


def _done(
    request: AuthenticatedHttpRequest,
    meeting: Meeting,
    level: int,
    text: str,
    walk_ins_form: WalkInsForm | None = None,
) -> HttpResponse:
    """After a POST: the updated block for htmx, else a message and back to the screen (PRG)."""

    def in_place() -> HttpResponse:
        tag = DEFAULT_TAGS.get(level, "info")
        return _partials(request, meeting, level=tag, text=text, walk_ins_form=walk_ins_form)

    return partial_or_redirect(request, in_place, lambda: _attendance_url(meeting), text, level)


def _attendance_url(meeting: Meeting) -> str:
    return reverse("room:meeting_attendance", args=[meeting.neighbourhood.slug, meeting.pk])


# --- The attendance screen --------------------------------------------------------------------


@never_cache
@login_required
@require_GET
def meeting_attendance(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    meeting, access = meeting_for_runner(request, slug, pk)
    return _page(request, meeting, access)


@never_cache
@login_required
@require_GET
def attendance_search(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    """htmx: the results under the search field. Without JavaScript: the whole screen."""
    meeting, access = meeting_for_runner(request, slug, pk)
    if request.htmx:
        return render(
            request,
            f"{TEMPLATE}#search-results",
            {"neighbourhood": meeting.neighbourhood, "meeting": meeting}
            | _search_context(request, meeting),
        )
    return _page(request, meeting, access)


@login_required
@require_POST
def attendance_add(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    meeting, _access = meeting_for_runner(request, slug, pk)
    form = MemberAddForm(request.POST, neighbourhood=meeting.neighbourhood)
    if not form.is_valid():
        return _done(request, meeting, messages.ERROR, first_error(form))
    person: User = form.cleaned_data["person"]
    professional = professional_membership(person, meeting.neighbourhood)
    try:
        row, created = meeting_services.attendance_record(
            meeting=meeting,
            by=request.user,
            user=person,
            kind=Attendance.Kind.PROFESSIONAL if professional else Attendance.Kind.RESIDENT,
            organisation=professional.organisation if professional else None,
        )
    except ValidationError as refused:
        return _done(request, meeting, messages.ERROR, error_text(refused))
    name = person.display_name
    if not created:
        return _done(
            request,
            meeting,
            messages.INFO,
            _("%(name)s was already on the attendance list.") % {"name": name},
        )
    text = _("%(name)s is on the attendance list.") % {"name": name}
    if row.newcomer:
        text += " " + _("This is their first meeting: welcome them at the opening.")
    return _done(request, meeting, messages.SUCCESS, text)


@login_required
@require_POST
def attendance_add_guest(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    """A visiting professional without an account, by name and organisation."""
    meeting, access = meeting_for_runner(request, slug, pk)
    form = GuestForm(request.POST)
    if not form.is_valid():
        return _page(request, meeting, access, guest_form=form)
    name: str = form.cleaned_data["name"].strip()
    organisation: Organisation = form.cleaned_data["organisation"]
    label = _("%(name)s (%(organisation)s)") % {"name": name, "organisation": organisation.name}
    # Visitors have no account to be unique on: the same name and organisation twice is a
    # double click or a second tab.
    if guest_on_list(meeting, name, organisation):
        return _done(
            request,
            meeting,
            messages.INFO,
            _("%(name)s was already on the attendance list.") % {"name": label},
        )
    try:
        meeting_services.attendance_record(
            meeting=meeting,
            by=request.user,
            name=name,
            organisation=organisation,
            kind=Attendance.Kind.PROFESSIONAL,
        )
    except MeetingStateError as refused:
        return _done(request, meeting, messages.ERROR, error_text(refused))
    except ValidationError as error:
        add_service_errors(form, error)
        return _page(request, meeting, access, guest_form=form)
    return _done(
        request,
        meeting,
        messages.SUCCESS,
        _("%(name)s is on the attendance list.") % {"name": label},
    )


@login_required
@require_POST
def attendance_remove(
    request: AuthenticatedHttpRequest, slug: str, pk: int, attendance_pk: int
) -> HttpResponse:
    """Take someone off the list who was added by mistake (confirmed on the screen)."""
    meeting, _access = meeting_for_runner(request, slug, pk)
    row = get_object_or_404(
        Attendance.objects.select_related("user"), pk=attendance_pk, meeting=meeting
    )
    row.meeting = meeting
    name = (row.user.display_name if row.user else row.name) or _("Someone who has left")
    try:
        meeting_services.attendance_remove(attendance=row)
    except ValidationError as refused:
        return _done(request, meeting, messages.ERROR, error_text(refused))
    return _done(
        request,
        meeting,
        messages.SUCCESS,
        _("%(name)s is no longer on the attendance list.") % {"name": name},
    )


@login_required
@require_POST
def attendance_walk_ins(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    """The number of anonymous walk-ins: typed in, or one more or one fewer."""
    meeting, access = meeting_for_runner(request, slug, pk)
    form = WalkInsForm(request.POST)
    if not form.is_valid():
        if request.htmx:
            return _partials(
                request, meeting, level="error", text=first_error(form), walk_ins_form=form
            )
        return _page(request, meeting, access, walk_ins_form=form)
    count: int = form.cleaned_data["count"]
    try:
        meeting_services.walk_ins_set(meeting=meeting, count=count)
    except ValidationError as refused:
        return _done(request, meeting, messages.ERROR, error_text(refused))
    meeting.walk_ins = count
    return _done(
        request,
        meeting,
        messages.SUCCESS,
        _("Anonymous walk-ins: %(count)s.") % {"count": count},
    )


# --- Self check-in ----------------------------------------------------------------------------


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def meeting_check_in(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    """What the QR code on the projector opens: "I am here" for a member, on the day."""
    meeting, access = meeting_for(request, slug, pk)
    context: dict[str, Any] = {
        "neighbourhood": meeting.neighbourhood,
        "meeting": meeting,
        "access": access,
    }
    if not access.attend:
        context["waiting"] = has_pending_membership(request.user, meeting.neighbourhood)
        return render(request, CHECK_IN_TEMPLATE, {**context, "refused": True}, status=403)
    if request.method == "POST":
        try:
            _row, created = meeting_services.check_in(meeting=meeting, user=request.user)
        except ValidationError as refused:
            messages.error(request, error_text(refused))
        else:
            if created:
                messages.success(request, _("Thank you, you are checked in."))
            else:
                messages.info(request, _("You were already checked in."))
        return redirect(request.path)
    context["mine"] = own_attendance(meeting, request.user)
    refusal = meeting_services.check_in_refusal(meeting)
    context["closed"] = error_text(refusal) if refusal else ""
    return render(request, CHECK_IN_TEMPLATE, context)
