"""The projector view: the venue PC opens /scherm/<key>/ with the meeting's secret key, no login.

It follows the chair's current item by polling /scherm/<key>/stand/ every second. That poll is
one indexed read of (version, status) by key: when the browser already shows this version in
this language (If-None-Match equals the ETag), the answer is a 304 without a body. Only a
changed meeting renders the stage again.

Everything on the projector is public: problems show their public title, street and support,
never a description that is not public, a reporter or confidential details. The view builds
plain dictionaries of those fields, so a template cannot reach anything else.

The chair (or minute-taker, coordinator) finds the link at /buurt/<slug>/overleg/<pk>/scherm/
and can revoke it there: a new key, and the old link stops working at once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotModified
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from buurtoverleg.http import AuthenticatedHttpRequest
from meetings import services as meeting_services
from meetings import workflow
from meetings.access import meeting_for_runner
from meetings.planning.models import AgendaItem, Meeting
from meetings.room.check_in import check_in_qr, check_in_url
from meetings.room.panels import PanelContext, panel_render_context
from meetings.room.selectors import (
    item_public_problems,
    meeting_by_projector_key,
    meeting_state_by_projector_key,
    projector_agenda_items,
)
from meetings.room.timer import DONE, RED, clock, item_timer

# Agenda items shown beside the current one during the meeting (two before, the rest after).
AGENDA_SHOWN = 7
TEMPLATE = "meetings/projector.html"


# --- The poll's ETag --------------------------------------------------------------------------


def projector_etag(version: int, status: str, round_version: int | None = None) -> str:
    """What the browser shows: this version of the meeting and of its priority round (every
    vote raises the round's), in this language."""
    language = get_language() or settings.LANGUAGE_CODE
    return f'"p{version}-r{round_version or 0}-{status}-{language}"'


def _round_version(meeting: Meeting) -> int | None:
    try:
        return meeting.priority_round.version  # select_related: no query
    except ObjectDoesNotExist:
        return None


def _etag_matches(request: HttpRequest, etag: str) -> bool:
    header = request.headers.get("If-None-Match", "")
    if not header:
        return False
    return any(tag.strip().removeprefix("W/") == etag for tag in header.split(","))


# --- What the stage shows ---------------------------------------------------------------------


def _meeting_by_key(key: str) -> Meeting:
    meeting = meeting_by_projector_key(key)
    if meeting is None:
        raise Http404
    return meeting


def _timer(item: AgendaItem, now: datetime) -> dict[str, Any]:
    """The item's time-box at render time; projector.js ticks on from these numbers with the
    venue PC's own clock (its time of day need not be right)."""
    timer = item_timer(item, now)  # its turn runs until it is marked done
    elapsed, limit, state = timer.elapsed, timer.limit, timer.state
    # Whole sentences with a placeholder, so that projector.js needs no translations.
    text = {
        "left": _("%(clock)s left"),
        "over": _("%(clock)s over time"),
        "done": _("Finished after %(clock)s"),
    }
    words = {
        "ok": _("On time"),
        "amber": _("Almost out of time"),
        "red": _("Time is up"),
        "done": _("Finished"),
    }
    if state == DONE:
        clock_text = text["done"] % {"clock": clock(elapsed)}
    elif state == RED:
        clock_text = text["over"] % {"clock": clock(elapsed - limit)}
    else:
        clock_text = text["left"] % {"clock": clock(limit - elapsed)}
    return {
        "elapsed": elapsed,
        "limit": limit,
        "minutes": item.minutes,
        "amber": timer.amber,
        "running": timer.running,
        "state": state,
        "text": text,
        "words": words,
        "word": words[state],
        "clock_text": clock_text,
    }


def _public_problems(item: AgendaItem) -> list[dict[str, Any]]:
    """The item's problems as public fields only (one query, whatever the number)."""
    return [
        {
            "title": problem.public_title,
            "location": problem.public_location,
            "support": problem.support_count,
        }
        for problem in item_public_problems(item)
    ]


def check_in_for(meeting: Meeting) -> dict[str, str]:
    """The check-in QR code and the address it holds, also written out to type by hand."""
    url = check_in_url(meeting)
    return {"url": url, "short_url": url.split("://", 1)[-1], "qr": check_in_qr(meeting)}


def _stage(request: HttpRequest, meeting: Meeting) -> dict[str, Any]:
    """Everything the stage partial shows. Queries do not grow with items or problems."""
    status = meeting.status
    context: dict[str, Any] = {
        "meeting": meeting,
        "neighbourhood": meeting.neighbourhood,
        "before": status in workflow.BEFORE,
        "live": meeting.live,
        "over": status in workflow.OVER,
        "cancelled": meeting.cancelled,
        "etag": projector_etag(meeting.version, status, _round_version(meeting)),
        "check_in": check_in_for(meeting) if status in workflow.CHECK_IN_OPEN else None,
    }
    show_agenda = status in workflow.AGENDA_ON_PROJECTOR
    items = projector_agenda_items(meeting) if show_agenda else []
    context["items"] = [
        {"pk": i.pk, "heading": i.heading, "minutes": i.minutes, "done": i.done_at is not None}
        for i in items
    ]
    current = meeting.current_item if context["live"] else None
    if current is not None:
        index = next((n for n, i in enumerate(items) if i.pk == current.pk), None)
        panel = panel_render_context(
            PanelContext(request=request, meeting=meeting, item=current, public=True)
        )
        # A panel that lists the item's problems itself (Nieuwe problemen) is not repeated.
        panel_lists_problems = "problems" in panel["panel"]
        first = max(0, min((index or 0) - 2, len(items) - AGENDA_SHOWN))
        context.update(
            current={"pk": current.pk, "heading": current.heading, "kind": current.kind},
            # Beside the QR code there is room for a few items around the current one.
            progress_items=context["items"][first : first + AGENDA_SHOWN],
            position=None if index is None else index + 1,
            count=len(items),
            next_heading=(
                items[index + 1].heading if index is not None and index + 1 < len(items) else ""
            ),
            timer=_timer(current, timezone.now()),
            problems=[] if panel_lists_problems else _public_problems(current),
            **panel,
        )
    return context


def _no_store_key(response: HttpResponse) -> HttpResponse:
    """The key is a password in this page's URL: never indexed, never sent on as a referrer.

    Only for pages without a form: under `no-referrer` Chromium posts `Origin: null`, which
    the CSRF check refuses. The chair's link page has the revoke form and no key in its own
    URL, so it keeps the site's `same-origin` policy (see projector_link).
    """
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    return response


# --- The projector and its poll ----------------------------------------------------------------


@never_cache
@require_GET
def projector(request: HttpRequest, key: str) -> HttpResponse:
    """The big screen in the room: anyone with the link, no login."""
    meeting = _meeting_by_key(key)
    context = _stage(request, meeting)
    context["key"] = key
    return _no_store_key(render(request, TEMPLATE, context))


@require_GET
def projector_state(request: HttpRequest, key: str) -> HttpResponse:
    """The poll: one query when nothing changed (304), else the stage partial with its ETag."""
    state = meeting_state_by_projector_key(key)
    if state is None:
        raise Http404
    version, status, round_version = state
    etag = projector_etag(version, status, round_version)
    if _etag_matches(request, etag):
        response: HttpResponse = HttpResponseNotModified()
    else:
        # Read again in full: the ETag then names a version no newer than what is shown.
        meeting = _meeting_by_key(key)
        context = _stage(request, meeting)
        context["key"] = key
        response = render(request, f"{TEMPLATE}#stage", context)
        etag = context["etag"]
    response["ETag"] = etag
    response["Cache-Control"] = "no-cache"
    return _no_store_key(response)


# --- The link, for the chair -------------------------------------------------------------------


class RevokeForm(forms.Form):
    confirm = forms.BooleanField(
        label=gettext_lazy("Yes, the old link must stop working now"),
        error_messages={
            "required": gettext_lazy("Tick the box to confirm that the old link must stop working.")
        },
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def projector_link(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    """The chair copies or opens the projector link here, and can revoke it."""
    meeting, _access = meeting_for_runner(request, slug, pk)
    form = RevokeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        meeting_services.projector_key_rotate(meeting=meeting)
        messages.success(
            request,
            _(
                "There is a new link for the projector screen. The old link no longer works: "
                "open the new link on the computer in the room."
            ),
        )
        return redirect("room:projector_link", slug=meeting.neighbourhood.slug, pk=meeting.pk)
    path = reverse("room:projector", args=[meeting.projector_key])
    response = render(
        request,
        "meetings/projector_link.html",
        {
            "meeting": meeting,
            "neighbourhood": meeting.neighbourhood,
            "projector_url": settings.SITE_URL + path,
            "projector_path": path,
            "form": form,
        },
    )
    # The key is in the page, not in its URL: not indexed, and the site's referrer policy
    # (same-origin: our own pages only) lets the revoke form post with our Origin.
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response
