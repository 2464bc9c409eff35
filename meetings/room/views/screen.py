"""The chair's agenda screen: running a meeting live from a laptop.

/buurt/<slug>/overleg/<pk>/leiden/ shows the agenda with planned and actual time per item, the
current item with its problems (and, for the team and only when asked, their confidential
details: every showing is logged), the item kind's panel (meetings.room.panels), and the notes and
decision fields that save as you type. The controls start the meeting, move between items, mark
an item done and end the meeting.

Every view fetches the meeting through meetings.access.meeting_for_runner (the chair, the
minute-taker, coordinators and the meeting's own chair or minute-taker) and writes through
meetings.services. Without JavaScript every control is a form that redirects back
(PRG); with htmx the answer is the screen's partial, swapped in place.

Saving text never overwrites someone else's: each save carries the version the text was based
on. A save based on an old version answers 409 with both texts and a field to merge them.
"""

from __future__ import annotations

from datetime import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.formats import time_format
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from buurtoverleg.forms import add_service_errors, error_text, first_error
from buurtoverleg.htmx import partial_or_redirect
from buurtoverleg.http import AuthenticatedHttpRequest
from meetings import services as meeting_services
from meetings import workflow
from meetings.access import MeetingAccess, meeting_for_runner
from meetings.planning.models import AgendaItem, Meeting
from meetings.room.forms.screen import GoToForm, ItemTextForm, NextRolesForm, seen_item
from meetings.room.screen import (
    FIELD_LABELS,
    TEMPLATE,
    Conflict,
    TextBox,
    screen_context,
    screen_url,
    text_box,
)
from meetings.room.selectors import meeting_reloaded
from meetings.selectors import meeting_after
from meetings.services import TextConflict

# The query parameter that shows the team the confidential details (each showing is logged).
CONFIDENTIAL_PARAM = "vertrouwelijk"


def _answer(
    request: AuthenticatedHttpRequest,
    meeting: Meeting,
    access: MeetingAccess,
    notice: str = "",
    level: str = "success",
) -> HttpResponse:
    """After a control: htmx gets the screen in place; without JS, back to the screen (PRG)."""

    def in_place() -> HttpResponse:
        context = screen_context(
            request, meeting_reloaded(meeting), access, notice=notice, notice_level=level
        )
        return render(request, f"{TEMPLATE}#screen", context)

    message_level = messages.ERROR if level == "error" else messages.SUCCESS
    return partial_or_redirect(
        request, in_place, lambda: screen_url(meeting), notice, message_level
    )


def _not_live(
    request: AuthenticatedHttpRequest, meeting: Meeting, access: MeetingAccess
) -> HttpResponse:
    return _answer(request, meeting, access, str(meeting_services.NOT_LIVE), "error")


def _item_of(meeting: Meeting, item_pk: int) -> AgendaItem:
    item = get_object_or_404(AgendaItem, pk=item_pk, meeting=meeting)
    item.meeting = meeting
    return item


# --- The screen -----------------------------------------------------------------------------------


@never_cache  # it can show confidential details: never kept in a shared browser's cache
@login_required
@require_GET
def meeting_screen(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    meeting, access = meeting_for_runner(request, slug, pk)
    confidential = request.GET.get(CONFIDENTIAL_PARAM) == "1"
    return render(
        request, TEMPLATE, screen_context(request, meeting, access, confidential=confidential)
    )


# --- Controls -------------------------------------------------------------------------------------


@login_required
@require_POST
def meeting_start(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    meeting, access = meeting_for_runner(request, slug, pk)
    if meeting.live:
        return _answer(request, meeting, access)  # a second click or a second tab
    try:
        meeting_services.meeting_start(meeting=meeting)
    except ValidationError as refused:
        return _answer(request, meeting, access, error_text(refused), "error")
    return _answer(request, meeting, access, _("The meeting has started. The timer runs."))


def _step(request: AuthenticatedHttpRequest, slug: str, pk: int, step: int) -> HttpResponse:
    meeting, access = meeting_for_runner(request, slug, pk)
    if not meeting.live:
        return _not_live(request, meeting, access)
    # Going on marks the item done; going back does not. `seen` makes a double click (or a
    # second tab) move one item, not two.
    meeting_services.meeting_go_to(
        meeting=meeting, step=step, mark_done=step > 0, seen=seen_item(request.POST)
    )
    return _answer(request, meeting, access)


@login_required
@require_POST
def meeting_next(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    return _step(request, slug, pk, 1)


@login_required
@require_POST
def meeting_previous(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    return _step(request, slug, pk, -1)


@login_required
@require_POST
def meeting_go_to(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    meeting, access = meeting_for_runner(request, slug, pk)
    if not meeting.live:
        return _not_live(request, meeting, access)
    form = GoToForm(request.POST, meeting=meeting)
    if not form.is_valid():
        return _answer(request, meeting, access, first_error(form), "error")
    meeting_services.meeting_go_to(
        meeting=meeting, item=form.cleaned_data["item"], seen=seen_item(request.POST)
    )
    return _answer(request, meeting, access)


@login_required
@require_POST
def item_done(request: AuthenticatedHttpRequest, slug: str, pk: int, item_pk: int) -> HttpResponse:
    meeting, access = meeting_for_runner(request, slug, pk)
    item = _item_of(meeting, item_pk)
    if not meeting.live:
        return _not_live(request, meeting, access)
    meeting_services.item_done(item=item, meeting=meeting)
    return _answer(request, meeting, access)


@login_required
@require_POST
def item_reopen(
    request: AuthenticatedHttpRequest, slug: str, pk: int, item_pk: int
) -> HttpResponse:
    meeting, access = meeting_for_runner(request, slug, pk)
    item = _item_of(meeting, item_pk)
    if not meeting.live:
        return _not_live(request, meeting, access)
    meeting_services.item_reopen(item=item)
    return _answer(request, meeting, access)


@login_required
@require_POST
def meeting_close(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    meeting, access = meeting_for_runner(request, slug, pk)
    if meeting.status in workflow.OVER:
        return _answer(request, meeting, access)  # closed already: a second click
    try:
        meeting_services.meeting_close(meeting=meeting)
    except ValidationError as refused:
        return _answer(request, meeting, access, error_text(refused), "error")
    return _answer(
        request, meeting, access, _("The meeting is closed. The notes and decisions are kept.")
    )


@login_required
@require_POST
def meeting_next_roles(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    """At the closing: who chairs and who takes the minutes at the next meeting."""
    meeting, access = meeting_for_runner(request, slug, pk)
    following = meeting_after(meeting)
    if following is None:
        return _answer(
            request, meeting, access, _("There is no next meeting planned yet."), "error"
        )
    form = NextRolesForm(request.POST, neighbourhood=meeting.neighbourhood)
    if not form.is_valid():
        return _answer(request, meeting, access, first_error(form), "error")
    chair, minute_taker = form.cleaned_data["chair"], form.cleaned_data["minute_taker"]
    try:
        meeting_services.meeting_roles_set(
            meeting=following, chair=chair, minute_taker=minute_taker
        )
    except ValidationError as error:  # e.g. no longer a member since the form was shown
        add_service_errors(form, error)
        return _answer(request, meeting, access, first_error(form), "error")
    return _answer(
        request, meeting, access, _("Saved who chairs and who takes the minutes next time.")
    )


# --- Notes and decision ---------------------------------------------------------------------------


def _saved_status(when: datetime) -> str:
    return _("Saved at %(time)s") % {"time": time_format(timezone.localtime(when), "H:i")}


def _text_answer(
    request: AuthenticatedHttpRequest,
    partial: str,
    box: TextBox,
    status_text: str,
    status: int = 200,
    status_kind: str = "saved",
) -> HttpResponse:
    """The swapped part of the field and, out of band, the screen's save status."""
    context = {"box": box, "save_status": status_text, "save_status_kind": status_kind}
    html = render_to_string(f"{TEMPLATE}#{partial}", context, request=request)
    html += render_to_string(f"{TEMPLATE}#save-status", {**context, "oob": True}, request)
    response = HttpResponse(html, status=status)
    if partial == "field" and box.conflict is not None:
        # The answer to an autosave replaces the whole field, not only its status line.
        response["HX-Retarget"] = f"#{box.field}-field"
        response["HX-Reswap"] = "outerHTML"
    return response


@login_required
@require_POST
def item_text_save(
    request: AuthenticatedHttpRequest, slug: str, pk: int, item_pk: int
) -> HttpResponse:
    """Save the notes or the decision (autosave, the Save button, or a merge after a conflict).

    200: saved (htmx: the new version and "Saved at 19:42"). 409: someone else saved since the
    version this text was based on; the answer shows both texts and a field to merge them."""
    meeting, _access = meeting_for_runner(request, slug, pk)
    item = _item_of(meeting, item_pk)
    form = ItemTextForm(request.POST)
    if not form.is_valid():
        error = first_error(form)
        field = request.POST.get("field", "")
        if request.htmx and field in FIELD_LABELS:
            box = text_box(item, field, error=error)
            return _text_answer(request, "field-meta", box, error, 400, "error")
        messages.error(request, error)
        return redirect(screen_url(meeting))
    field, text = form.cleaned_data["field"], form.cleaned_data["text"]
    try:
        version = meeting_services.item_text_save(
            item=item, field=field, text=text, base_version=form.cleaned_data["version"]
        )
    except TextConflict as conflict:
        box = text_box(
            item,
            field,
            text=conflict.theirs,
            version=conflict.version,
            conflict=Conflict(theirs=conflict.theirs, mine=text, version=conflict.version),
        )
        status_text = _("Not saved: someone else changed this text. Merge the two texts below.")
        if request.htmx:
            return _text_answer(request, "field", box, status_text, 409, "conflict")
        return render(
            request,
            TEMPLATE,
            {
                "conflict_page": True,
                "box": box,
                "meeting": meeting,
                "screen_url": screen_url(meeting),
            },
            status=409,
        )
    except ValidationError as refused:
        error = error_text(refused)
        if request.htmx:
            box = text_box(item, field, error=error)
            return _text_answer(request, "field-meta", box, error, 400, "error")
        messages.error(request, error)
        return redirect(screen_url(meeting))
    now = timezone.now()
    status_text = _saved_status(now)
    if request.htmx:
        box = text_box(item, field, text=text, version=version, saved_at=now)
        partial = "field" if form.cleaned_data["merge"] else "field-meta"
        return _text_answer(request, partial, box, status_text)
    messages.success(request, f"{FIELD_LABELS[field]}: {status_text}")
    return redirect(f"{screen_url(meeting)}#{field}")
