"""Planning a meeting: the public list of meetings, a meeting's page (agenda, RSVP, proposals),
and the chair's agenda editor, moving and cancelling.

Meetings are fetched through meetings.access (404 for another neighbourhood's meeting, 403
without the permission); every write goes through meetings.services, whose refusals
(ValidationError) land on the form or become a plain message, never a 500. The public sees
the agenda only once it is published, and of its problems only the public fields (never a
reporter or confidential details); a proposal's author is shown to the team only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from buurtoverleg.forms import add_service_errors, error_text, first_error
from buurtoverleg.http import AuthenticatedHttpRequest
from meetings import services, workflow
from meetings.access import MeetingAccess, meeting_for, meeting_for_planner
from meetings.planning.calendar import calendar_for, feed_meetings
from meetings.planning.forms import (
    AgendaItemForm,
    AgendaProblemsForm,
    CancelForm,
    DecideForm,
    MeetingForm,
    ProposalForm,
    RsvpForm,
)
from meetings.planning.models import AgendaItem, AgendaProposal, Meeting, Rsvp
from meetings.planning.selectors import (
    AgendaRow,
    agenda_rows,
    item_problem_ids,
    meetings_past,
    meetings_upcoming,
    new_problems_item_exists,
    open_priority_round,
    proposal_pending_exists,
    proposals_by,
    proposals_for_editor,
    rsvp_answer,
    rsvp_counts,
)
from meetings.services import MeetingStateError
from residents.models import Neighbourhood
from residents.permissions import Perm, can, neighbourhood_for
from residents.selectors import neighbourhood_or_404

PAST_PER_PAGE = 20

PUBLISHED = gettext_lazy(
    "The agenda is published. Everyone can read it on the meeting page and the neighbourhood page."
)
MOVE_NOTHING = gettext_lazy(
    "Nothing was changed: the date, times and place are the same. No e-mail was sent."
)


def _length_minutes(meeting: Meeting) -> int:
    return int((meeting.ends_at - meeting.starts_at).total_seconds() // 60)


def _meeting_url(meeting: Meeting, anchor: str = "") -> str:
    url = reverse("planning:meeting", args=[meeting.neighbourhood.slug, meeting.pk])
    return f"{url}#{anchor}" if anchor else url


def _editor_url(meeting: Meeting, anchor: str = "") -> str:
    url = reverse("planning:agenda_edit", args=[meeting.neighbourhood.slug, meeting.pk])
    return f"{url}#{anchor}" if anchor else url


# --- The list of meetings ----------------------------------------------------------------------


@require_GET
def meetings(request: HttpRequest, slug: str) -> HttpResponse:
    """Upcoming and past meetings of a neighbourhood, for everyone."""
    hood = neighbourhood_or_404(slug)
    now = timezone.now()
    upcoming = meetings_upcoming(hood, now)
    past = Paginator(meetings_past(hood, now), PAST_PER_PAGE)
    return render(
        request,
        "meetings/meetings.html",
        {
            "neighbourhood": hood,
            "upcoming": upcoming,
            "past": past.get_page(request.GET.get("page")),
            "can_plan": can(request.user, Perm.PLAN_MEETING, hood),
        },
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def meeting_create(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    """A meeting added by hand (besides those planned from the rhythm)."""
    hood = neighbourhood_for(request, slug, Perm.PLAN_MEETING)
    starts = hood.meeting_time or time(19, 30)
    ends = datetime.combine(timezone.localdate(), starts) + timedelta(minutes=hood.meeting_minutes)
    if ends.date() != timezone.localdate():  # a length past midnight: end at 23:59
        ends = datetime.combine(timezone.localdate(), time(23, 59))
    form = MeetingForm(
        request.POST if request.method == "POST" else None,
        initial={"starts": starts, "ends": ends.time(), "place": hood.meeting_place},
    )
    if request.method == "POST" and form.is_valid():
        meeting = services.meeting_create(
            neighbourhood=hood,
            starts_at=form.starts_at,
            ends_at=form.ends_at,
            place=form.cleaned_data["place"],
        )
        meeting.neighbourhood = hood
        messages.success(
            request,
            _("The meeting is planned, with the standard agenda. Check the agenda and publish it."),
        )
        return redirect(_editor_url(meeting))
    return render(
        request, "meetings/plan_meeting_create.html", {"neighbourhood": hood, "form": form}
    )


# --- A meeting's page --------------------------------------------------------------------------


def _rsvp_context(request: HttpRequest, meeting: Meeting, access: MeetingAccess) -> dict[str, Any]:
    answer = None
    may_rsvp = access.attend and workflow.rsvp_open(meeting, timezone.now())
    if may_rsvp and request.user.is_authenticated:
        answer = rsvp_answer(meeting, request.user)
    counts = None
    if access.sees_draft_agenda or access.team:
        found = rsvp_counts(meeting)
        counts = [(value, label, found.get(value, 0)) for value, label in Rsvp.Answer.choices]
    return {
        "meeting": meeting,
        "neighbourhood": meeting.neighbourhood,
        "access": access,
        "may_rsvp": may_rsvp,
        "rsvp_answer": answer,
        "rsvp_counts": counts,
        "answers": Rsvp.Answer.choices,
    }


def _meeting_page(
    request: HttpRequest,
    meeting: Meeting,
    access: MeetingAccess,
    *,
    proposal_form: ProposalForm | None = None,
) -> HttpResponse:
    shows_agenda = meeting.agenda_public or access.sees_draft_agenda
    rows = agenda_rows(meeting) if shows_agenda else []
    own_proposals: list[AgendaProposal] = []
    if access.propose and request.user.is_authenticated:
        own_proposals = proposals_by(meeting, request.user)
    may_propose = access.propose and workflow.proposals_open(meeting, timezone.now())
    # Residents are called to vote while the meeting's priority round is open.
    vote_round = None
    if can(request.user, Perm.VOTE, meeting.neighbourhood):
        vote_round = open_priority_round(meeting)
    return render(
        request,
        "meetings/meeting.html",
        {
            **_rsvp_context(request, meeting, access),
            "rows": rows,
            "draft": shows_agenda and not meeting.agenda_public,
            "planned_minutes": sum(row.item.minutes for row in rows),
            "length_minutes": _length_minutes(meeting),
            "may_propose": may_propose,
            "proposal_form": proposal_form or (ProposalForm() if may_propose else None),
            "own_proposals": own_proposals,
            "changeable": access.plan and meeting.status in workflow.CHANGEABLE,
            "is_past": meeting.ends_at < timezone.now(),
            "vote_round": vote_round,
        },
    )


@never_cache  # personal: the RSVP, one's own proposals, the draft agenda for the chair
@require_GET
def meeting(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    found, access = meeting_for(request, slug, pk)
    return _meeting_page(request, found, access)


ANSWERED = {
    Rsvp.Answer.YES: gettext_lazy("Thank you: you said you are coming."),
    Rsvp.Answer.MAYBE: gettext_lazy("Thank you: you said you may come."),
    Rsvp.Answer.NO: gettext_lazy("Thank you: you said you cannot come."),
}


@login_required
@require_POST
def meeting_rsvp(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    found, access = meeting_for(request, slug, pk)
    if not access.attend:
        raise PermissionDenied
    form = RsvpForm(request.POST)
    notice, error = "", ""
    if not workflow.rsvp_open(found, timezone.now()):
        error = str(services.RSVP_CLOSED)
    elif not form.is_valid():
        error = first_error(form)
    else:
        try:
            services.rsvp_set(meeting=found, user=request.user, answer=form.cleaned_data["answer"])
        except ValidationError as refused:
            error = error_text(refused)
        else:
            notice = str(ANSWERED[form.cleaned_data["answer"]])
    if request.htmx:
        context = _rsvp_context(request, found, access)
        context.update(rsvp_notice=notice, rsvp_error=error)
        return render(request, "meetings/meeting.html#rsvp", context)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, notice)
    return redirect(_meeting_url(found, "rsvp"))


@login_required
@require_POST
def meeting_propose(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    found, access = meeting_for(request, slug, pk)
    if not access.propose:
        raise PermissionDenied
    if not workflow.proposals_open(found, timezone.now()):
        messages.error(request, str(services.PROPOSALS_CLOSED))
        return redirect(_meeting_url(found))
    form = ProposalForm(request.POST)
    if not form.is_valid():
        return _meeting_page(request, found, access, proposal_form=form)
    title, description = form.cleaned_data["title"], form.cleaned_data["description"].strip()
    twice = proposal_pending_exists(found, request.user, title=title, description=description)
    if not twice:  # a double click sends the form twice: keep one proposal
        try:
            services.proposal_create(
                meeting=found, by=request.user, title=title, description=description
            )
        except ValidationError as refused:
            messages.error(request, error_text(refused))
            return redirect(_meeting_url(found))
    messages.success(
        request, _("Thank you for your proposal. The chair decides on it before the meeting.")
    )
    return redirect(_meeting_url(found, "proposals"))


# --- The chair's agenda editor -----------------------------------------------------------------


@dataclass
class EditorRow:
    row: AgendaRow
    form: AgendaItemForm
    first: bool
    last: bool


@dataclass
class ProposalRow:
    proposal: AgendaProposal
    form: DecideForm


def _item_form(item: AgendaItem, data: Any = None) -> AgendaItemForm:
    return AgendaItemForm(
        data,
        item=item,
        prefix=f"item-{item.pk}",
        initial={"title": item.title, "description": item.description, "minutes": item.minutes},
    )


def _editor(
    request: HttpRequest,
    meeting: Meeting,
    *,
    item_form: AgendaItemForm | None = None,
    add_form: AgendaItemForm | None = None,
    decide_form: tuple[int, DecideForm] | None = None,
) -> HttpResponse:
    rows = agenda_rows(meeting)
    editor_rows = []
    for n, row in enumerate(rows):
        form = item_form if item_form and item_form.item == row.item else None
        editor_rows.append(EditorRow(row, form or _item_form(row.item), n == 0, n == len(rows) - 1))
    proposals = proposals_for_editor(meeting)
    pending = [
        ProposalRow(
            p,
            decide_form[1]
            if decide_form and decide_form[0] == p.pk
            else DecideForm(prefix=f"proposal-{p.pk}", initial={"minutes": 10}),
        )
        for p in proposals
        if p.status == AgendaProposal.Status.PENDING
    ]
    planned = sum(row.item.minutes for row in rows)
    length = _length_minutes(meeting)
    return render(
        request,
        "meetings/agenda_edit.html",
        {
            "meeting": meeting,
            "neighbourhood": meeting.neighbourhood,
            "rows": editor_rows,
            "add_form": add_form or AgendaItemForm(prefix="new"),
            "pending": pending,
            "decided": [p for p in proposals if p.status != AgendaProposal.Status.PENDING],
            "planned_minutes": planned,
            "length_minutes": length,
            "over_minutes": planned - length,
            "editable": meeting.status in workflow.AGENDA_EDITABLE,
            "changeable": meeting.status in workflow.CHANGEABLE,
            "publishable": workflow.allowed(workflow.Move.PUBLISH_AGENDA, meeting.status),
            "unpublishable": workflow.allowed(workflow.Move.UNPUBLISH_AGENDA, meeting.status),
        },
    )


def _refused(
    request: HttpRequest, meeting: Meeting, error: ValidationError, anchor: str = ""
) -> HttpResponse:
    """A write the meeting's state refused: its message, back to the editor."""
    messages.error(request, error_text(error))
    return redirect(_editor_url(meeting, anchor))


def _planner_item(
    request: HttpRequest, slug: str, pk: int, item_pk: int
) -> tuple[Meeting, AgendaItem]:
    found = meeting_for_planner(request, slug, pk)
    item = get_object_or_404(AgendaItem, pk=item_pk, meeting=found)
    item.meeting = found
    return found, item


@never_cache
@login_required
@require_GET
def agenda_edit(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    return _editor(request, meeting_for_planner(request, slug, pk))


@login_required
@require_POST
def agenda_item_save(
    request: AuthenticatedHttpRequest, slug: str, pk: int, item_pk: int
) -> HttpResponse:
    found, item = _planner_item(request, slug, pk, item_pk)
    form = _item_form(item, request.POST)
    if not form.is_valid():
        return _editor(request, found, item_form=form)
    try:
        services.agenda_item_edit(item=item, **form.cleaned_data)
    except ValidationError as refused:
        return _refused(request, found, refused)
    messages.success(request, _("The agenda item is saved."))
    return redirect(_editor_url(found, f"item-{item.pk}"))


@login_required
@require_POST
def agenda_item_add(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    found = meeting_for_planner(request, slug, pk)
    form = AgendaItemForm(request.POST, prefix="new")
    if not form.is_valid():
        return _editor(request, found, add_form=form)
    try:
        item = services.agenda_item_add(meeting=found, **form.cleaned_data)
    except ValidationError as refused:
        return _refused(request, found, refused)
    messages.success(request, _("The item is added to the agenda, before “Any other business”."))
    return redirect(_editor_url(found, f"item-{item.pk}"))


@login_required
@require_POST
def agenda_item_remove(
    request: AuthenticatedHttpRequest, slug: str, pk: int, item_pk: int
) -> HttpResponse:
    found, item = _planner_item(request, slug, pk, item_pk)
    try:
        services.agenda_item_remove(item=item)
    except MeetingStateError as refused:
        # Being discussed now: back to the item; the agenda closed: back to the editor.
        anchor = f"item-{item.pk}" if refused.code == "item_current" else ""
        return _refused(request, found, refused, anchor)
    messages.success(
        request,
        _("“%(title)s” is removed from the agenda.") % {"title": item.heading},
    )
    return redirect(_editor_url(found, "agenda"))


@login_required
@require_POST
def agenda_item_move(
    request: AuthenticatedHttpRequest, slug: str, pk: int, item_pk: int
) -> HttpResponse:
    found, item = _planner_item(request, slug, pk, item_pk)
    direction = request.POST.get("direction")
    if direction not in ("up", "down"):
        messages.error(request, _("Choose to move the item up or down."))
        return redirect(_editor_url(found, f"item-{item.pk}"))
    try:
        moved = services.agenda_item_move(item=item, direction=direction)  # type: ignore[arg-type]
    except ValidationError as refused:
        return _refused(request, found, refused)
    if not moved:
        messages.info(
            request,
            _("The item is already at the top.")
            if direction == "up"
            else _("The item is already at the bottom."),
        )
    return redirect(_editor_url(found, f"item-{item.pk}"))


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def agenda_item_problems(
    request: AuthenticatedHttpRequest, slug: str, pk: int, item_pk: int
) -> HttpResponse:
    """Choose the problems discussed under an item (public open problems of the neighbourhood)."""
    found, item = _planner_item(request, slug, pk, item_pk)
    chosen = item_problem_ids(item)
    form = AgendaProblemsForm(
        request.POST if request.method == "POST" else None,
        meeting=found,
        item=item,
        initial={"problems": chosen},
    )
    if request.method == "POST" and form.is_valid():
        # Keep the order of the problems that stay; new ones follow, most supported first.
        picked = list(form.cleaned_data["problems"])
        order = {pid: n for n, pid in enumerate(chosen)}
        picked.sort(key=lambda p: (order.get(p.pk, len(order)), -p.support_count, p.pk))
        try:
            services.agenda_item_problems_set(item=item, problems=picked)
        except MeetingStateError as refused:
            return _refused(request, found, refused)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The problems under this item are saved."))
            return redirect(_editor_url(found, f"item-{item.pk}"))
    return render(
        request,
        "meetings/plan_item_problems.html",
        {
            "meeting": found,
            "neighbourhood": found.neighbourhood,
            "item": item,
            "form": form,
            "editable": found.status in workflow.AGENDA_EDITABLE,
        },
    )


@login_required
@require_POST
def agenda_new_problems(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    found = meeting_for_planner(request, slug, pk)
    if found.status not in workflow.AGENDA_EDITABLE:
        messages.error(request, str(services.NOT_EDITABLE))
        return redirect(_editor_url(found))
    if not new_problems_item_exists(found):
        messages.info(request, _("This agenda has no item “New problems”."))
        return redirect(_editor_url(found))
    added = services.agenda_new_problems_fill(meeting=found)
    if added:
        messages.success(
            request,
            _("New problems added under “New problems”: %(count)s.") % {"count": added},
        )
    else:
        messages.info(request, _("There are no new problems to add."))
    return redirect(_editor_url(found, "agenda"))


@login_required
@require_POST
def agenda_publish(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    found = meeting_for_planner(request, slug, pk)
    try:
        services.agenda_publish(meeting=found)
    except ValidationError as refused:
        return _refused(request, found, refused)
    messages.success(
        request,
        str(PUBLISHED),
    )
    return redirect(_editor_url(found))


@login_required
@require_POST
def agenda_unpublish(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    found = meeting_for_planner(request, slug, pk)
    try:
        services.agenda_unpublish(meeting=found)
    except ValidationError as refused:
        return _refused(request, found, refused)
    messages.success(
        request, _("The agenda is a draft again: only the chair and the minute-taker see it.")
    )
    return redirect(_editor_url(found))


@login_required
@require_POST
def proposal_decide(
    request: AuthenticatedHttpRequest, slug: str, pk: int, proposal_pk: int
) -> HttpResponse:
    found = meeting_for_planner(request, slug, pk)
    proposal = get_object_or_404(AgendaProposal, pk=proposal_pk, meeting=found)
    proposal.meeting = found
    if proposal.status != AgendaProposal.Status.PENDING:
        messages.info(request, _("This proposal has already been decided."))
        return redirect(_editor_url(found, "proposals"))
    form = DecideForm(request.POST, prefix=f"proposal-{proposal.pk}")
    if not form.is_valid():
        return _editor(request, found, decide_form=(proposal.pk, form))
    accept = form.cleaned_data["decision"] == "accept"
    try:
        services.proposal_decide(
            proposal=proposal,
            accept=accept,
            by=request.user,
            reason="" if accept else form.cleaned_data["reason"],
            minutes=form.cleaned_data["minutes"] or 10,
        )
    except MeetingStateError as refused:
        return _refused(request, found, refused, "proposals")
    except ValidationError as error:
        add_service_errors(form, error)
        return _editor(request, found, decide_form=(proposal.pk, form))
    if accept:
        messages.success(request, _("The proposal is on the agenda, before “Any other business”."))
    else:
        messages.success(request, _("The proposal is declined. The resident sees your reason."))
    return redirect(_editor_url(found, "proposals"))


# --- Moving and cancelling ---------------------------------------------------------------------


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def meeting_move(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    """Change the date, times or place; a check step first, then residents get an e-mail."""
    found = meeting_for_planner(request, slug, pk)
    changeable = found.status in workflow.CHANGEABLE
    posted = request.method == "POST" and changeable
    form = MeetingForm(request.POST if posted else None, initial=MeetingForm.initial_for(found))
    confirm = False
    if posted and form.is_valid():
        place = form.cleaned_data["place"]
        if (form.starts_at, form.ends_at, place) == (found.starts_at, found.ends_at, found.place):
            messages.info(
                request,
                str(MOVE_NOTHING),
            )
            return redirect(_meeting_url(found))
        if request.POST.get("confirm") == "yes":
            try:
                services.meeting_move(
                    meeting=found,
                    starts_at=form.starts_at,
                    ends_at=form.ends_at,
                    place=place,
                    by=request.user,
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(
                    request, _("The meeting is moved. Residents get an e-mail about it.")
                )
                return redirect(_meeting_url(found))
        else:
            confirm = "edit" not in request.POST
    return render(
        request,
        "meetings/meeting_move.html",
        {
            "meeting": found,
            "neighbourhood": found.neighbourhood,
            "form": form,
            "confirm": confirm,
            "changeable": changeable,
            "new_starts_at": form.starts_at if confirm else None,
            "new_ends_at": form.ends_at if confirm else None,
        },
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def meeting_cancel(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    """Cancel with a reason; a check step first, then residents get an e-mail."""
    found = meeting_for_planner(request, slug, pk)
    changeable = found.status in workflow.CHANGEABLE
    posted = request.method == "POST" and changeable
    form = CancelForm(request.POST if posted else None)
    confirm = False
    if posted and form.is_valid():
        if request.POST.get("confirm") == "yes":
            try:
                services.meeting_cancel(
                    meeting=found, reason=form.cleaned_data["reason"], by=request.user
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(
                    request, _("The meeting is cancelled. Residents get an e-mail about it.")
                )
                return redirect(_meeting_url(found))
        else:
            confirm = "edit" not in request.POST
    return render(
        request,
        "meetings/meeting_cancel.html",
        {
            "meeting": found,
            "neighbourhood": found.neighbourhood,
            "form": form,
            "confirm": confirm,
            "changeable": changeable,
        },
    )


# --- Calendars: one meeting, and the neighbourhood's feed ---


def _ics_response(body: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_GET
def meeting_ics(_request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """One meeting to add to a calendar. Meetings are public, like the neighbourhood page."""
    neighbourhood = get_object_or_404(Neighbourhood, slug=slug)
    meeting = get_object_or_404(Meeting, pk=pk, neighbourhood=neighbourhood)
    body = calendar_for([meeting], neighbourhood)
    return _ics_response(body, f"overleg-{neighbourhood.slug}-{meeting.starts_at:%Y-%m-%d}.ics")


@require_GET
def neighbourhood_calendar(_request: HttpRequest, slug: str) -> HttpResponse:
    """The neighbourhood's meetings as a feed to subscribe to."""
    neighbourhood = get_object_or_404(Neighbourhood, slug=slug)
    body = calendar_for(feed_meetings(neighbourhood), neighbourhood)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "public, max-age=3600"
    return response
