"""The minutes: the public page of a meeting's minutes, the editor, finalising, the PDF's
progress, downloads and publishing.

/buurt/<slug>/overleg/<pk>/notulen/                      the published minutes (everyone)
    .../notulen/bewerken/                                the editor
    .../notulen/opslaan/                                 save the text (htmx in place)
    .../notulen/opstellen/                               draft (again) from the meeting record
    .../notulen/voorbeeld/                               preview the text being edited (POST)
    .../notulen/concept.pdf, concept-grote-letter.pdf    the draft with CONCEPT on every page
    .../notulen/vaststellen/                             finalise: the next version (POST)
    .../notulen/versie/<n>/                              a version: its PDF's progress, publish
    .../notulen/versie/<n>/voortgang/                    the progress block (htmx poll)
    .../notulen/versie/<n>/opnieuw/                      render a failed version again (POST)
    .../notulen/versie/<n>/publiceren/                   publish and mail (POST)
    .../notulen/versie/<n>/notulen.pdf, ...-grote-letter.pdf

Who: the chair, the minute-taker, coordinators and the meeting's own chair or minute-taker
edit (Perm.EDIT_MINUTES); the chair, coordinators and the meeting's own chair finalise and
publish (Perm.PUBLISH_MINUTES). A published version and its PDFs are public; an unpublished one
exists only for the editors (404 for everyone else). Every write goes through
meetings.minutes.services; every form works without JavaScript, htmx only saves in place and
polls the progress.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import time_format
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from buurtoverleg.forms import error_text, first_error
from buurtoverleg.http import AuthenticatedHttpRequest, HtmxHttpRequest
from meetings.access import meeting_for
from meetings.minutes import services
from meetings.minutes.models import Minutes, MinutesVersion
from meetings.minutes.pdf import (
    ALLOWED_TAGS,
    amendment_lines,
    minutes_context,
    minutes_draft_pdf,
    minutes_record,
    pdf_filename,
)
from meetings.minutes.selectors import (
    minutes_exist,
    minutes_latest_version,
    minutes_of,
    minutes_versions,
)
from meetings.minutes.services import MinutesConflict
from meetings.planning.models import Meeting
from residents.permissions import Perm, can, roles_in

RS = MinutesVersion.RenderStatus
TEMPLATE_PAGE = "meetings/minutes_page.html"
TEMPLATE_EDIT = "meetings/minutes_edit.html"
TEMPLATE_VERSION = "meetings/minutes_version.html"


# --- Who may do what --------------------------------------------------------------------------


@dataclass(frozen=True)
class MinutesAccess:
    edit: bool  # the draft, previews, versions not yet published, "try again"
    publish: bool  # finalise, publish, correct


def _own(user: Any, meeting: Meeting, field: str) -> bool:
    """The meeting's own chair or minute-taker (roles rotate), while still a member."""
    if not user.is_authenticated or user.pk != getattr(meeting, f"{field}_id"):
        return False
    return bool(roles_in(user, meeting.neighbourhood))


def minutes_access(user: Any, meeting: Meeting) -> MinutesAccess:
    hood = meeting.neighbourhood
    publish = can(user, Perm.PUBLISH_MINUTES, hood) or _own(user, meeting, "chair")
    edit = publish or can(user, Perm.EDIT_MINUTES, hood) or _own(user, meeting, "minute_taker")
    return MinutesAccess(edit=edit, publish=publish)


def meeting_for_minutes(request: Any, slug: str, pk: int) -> tuple[Meeting, MinutesAccess]:
    meeting, _access = meeting_for(request, slug, pk)
    return meeting, minutes_access(request.user, meeting)


def meeting_for_editor(request: Any, slug: str, pk: int) -> tuple[Meeting, MinutesAccess]:
    meeting, access = meeting_for_minutes(request, slug, pk)
    if not access.edit:
        raise PermissionDenied
    return meeting, access


def meeting_for_publisher(request: Any, slug: str, pk: int) -> tuple[Meeting, MinutesAccess]:
    meeting, access = meeting_for_minutes(request, slug, pk)
    if not access.publish:
        raise PermissionDenied
    return meeting, access


def _version_of(meeting: Meeting, access: MinutesAccess, number: int) -> MinutesVersion:
    """A version of this meeting's minutes; an unpublished one only for the editors."""
    version = get_object_or_404(
        MinutesVersion.objects.select_related("minutes"), minutes__meeting=meeting, number=number
    )
    if not version.is_published and not access.edit:
        raise Http404
    version.minutes.meeting = meeting
    return version


def _url(name: str, meeting: Meeting, *extra: Any) -> str:
    return reverse(name, args=[meeting.neighbourhood.slug, meeting.pk, *extra])


# --- Forms ------------------------------------------------------------------------------------


class BodyForm(forms.Form):
    body = forms.CharField(
        label=gettext_lazy("Text of the minutes"),
        required=False,
        max_length=services.BODY_MAX_LENGTH,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 24, "spellcheck": "true"}),
        error_messages={"max_length": gettext_lazy("The text is too long.")},
    )
    version = forms.IntegerField(min_value=0, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "minutes-%s")  # three forms on the page send "version"
        super().__init__(*args, **kwargs)


class FinaliseForm(forms.Form):
    change_note = forms.CharField(
        label=gettext_lazy("What changed?"),
        help_text=gettext_lazy(
            "Needed for a correction after publishing: residents see it with the new version."
        ),
        required=False,
        max_length=services.CHANGE_NOTE_MAX_LENGTH,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
        error_messages={"max_length": gettext_lazy("Keep the note short: at most 500 characters.")},
    )
    version = forms.IntegerField(min_value=0, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "finalise-%s")
        super().__init__(*args, **kwargs)


class RedraftForm(forms.Form):
    version = forms.IntegerField(min_value=0, required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "redraft-%s")
        super().__init__(*args, **kwargs)


# --- The published minutes (everyone) -----------------------------------------------------------


def _document(meeting: Meeting, body: str, version: MinutesVersion | None, language: str) -> Any:
    return minutes_context(
        meeting=meeting,
        body=body,
        version=version,
        language=language,
        record=minutes_record(meeting),
    )


@never_cache
@require_GET
def minutes_page(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """The current published version as a page, every published version's PDFs; for the
    editors also the draft and the versions not yet published."""
    meeting, access = meeting_for_minutes(request, slug, pk)
    minutes = minutes_of(meeting)
    versions: list[MinutesVersion] = []
    current = None
    if minutes is not None:
        versions = minutes_versions(minutes, published_only=not access.edit)
        current = next(
            (v for v in versions if v.number == minutes.published_number and v.is_published), None
        )
    document = None
    if current is not None:
        document = _document(meeting, current.body, current, current.language)
    return render(
        request,
        TEMPLATE_PAGE,
        {
            "meeting": meeting,
            "neighbourhood": meeting.neighbourhood,
            "minutes": minutes,
            "versions": versions,
            "current": current,
            "document": document,
            "access": access,
            "may_draft": services.minutes_may_draft(meeting),
        },
    )


# --- The editor ---------------------------------------------------------------------------------


def _saved_status(minutes: Minutes) -> str:
    when = minutes.edited_at or minutes.drafted_at
    return _("Saved at %(time)s") % {"time": time_format(timezone.localtime(when), "H:i")}


def _editor_context(
    meeting: Meeting,
    access: MinutesAccess,
    minutes: Minutes | None,
    **extra: Any,
) -> dict[str, Any]:
    versions: list[MinutesVersion] = []
    changed = False
    if minutes is not None:
        versions = minutes_versions(minutes)
        changed = not versions or versions[0].body != minutes.body
    context: dict[str, Any] = {
        "meeting": meeting,
        "neighbourhood": meeting.neighbourhood,
        "minutes": minutes,
        "access": access,
        "versions": versions,
        "latest": versions[0] if versions else None,
        "changed": changed,
        "may_draft": services.minutes_may_draft(meeting),
        "allowed_tags": sorted(ALLOWED_TAGS),
        "form": None,
        "finalise_form": None,
        "redraft_form": None,
        "preview": None,
        "conflict": None,
    }
    if minutes is not None:
        context["form"] = BodyForm(initial={"body": minutes.body, "version": minutes.body_version})
        context["finalise_form"] = FinaliseForm(initial={"version": minutes.body_version})
        context["redraft_form"] = RedraftForm(initial={"version": minutes.body_version})
        context["save_status"] = _saved_status(minutes)
    context.update(extra)
    return context


@never_cache
@login_required
@require_GET
def minutes_edit(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    meeting, access = meeting_for_editor(request, slug, pk)
    minutes = minutes_of(meeting)
    return render(request, TEMPLATE_EDIT, _editor_context(meeting, access, minutes))


@login_required
@require_POST
def minutes_save(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    """Save the text. htmx: the save status (and the new version) in place; a conflict
    replaces the editor with both texts. Without JavaScript: back to the editor."""
    meeting, access = meeting_for_editor(request, slug, pk)
    minutes = minutes_of(meeting)
    if minutes is None:
        raise Http404
    form = BodyForm(request.POST)
    if not form.is_valid():
        return _editor_answer(request, meeting, minutes, error=first_error(form))
    body = form.cleaned_data["body"]
    try:
        services.minutes_edit(
            minutes=minutes, body=body, base_version=form.cleaned_data["version"], by=request.user
        )
    except MinutesConflict as conflict:
        return _conflict_answer(request, meeting, access, minutes, conflict, body)
    except ValidationError as error:
        return _editor_answer(request, meeting, minutes, error=error_text(error))
    minutes.refresh_from_db()
    if request.htmx:
        return render(
            request,
            f"{TEMPLATE_EDIT}#save-status",
            {"minutes": minutes, "save_status": _saved_status(minutes), "oob_version": True},
        )
    messages.success(request, _saved_status(minutes))
    return redirect(_url("minutes:minutes_edit", meeting))


def _editor_answer(
    request: HtmxHttpRequest,
    meeting: Meeting,
    minutes: Minutes,
    *,
    error: str,
) -> HttpResponse:
    if request.htmx:
        return render(
            request,
            f"{TEMPLATE_EDIT}#save-status",
            {"minutes": minutes, "save_status": error, "save_error": True},
        )
    messages.error(request, error)
    return redirect(_url("minutes:minutes_edit", meeting))


def _conflict_answer(
    request: HtmxHttpRequest,
    meeting: Meeting,
    access: MinutesAccess,
    minutes: Minutes,
    conflict: MinutesConflict,
    mine: str,
) -> HttpResponse:
    """Both texts, and the editor again holding the user's text on top of the newer version:
    saving it then replaces theirs knowingly."""
    minutes.body, minutes.body_version = conflict.theirs, conflict.version
    context = _editor_context(
        meeting,
        access,
        minutes,
        conflict={"theirs": conflict.theirs, "mine": mine},
        form=BodyForm(initial={"body": mine, "version": conflict.version}),
        save_status=_("Not saved: someone else changed the minutes. Compare and save again."),
        save_error=True,
    )
    if request.htmx:
        response = render(request, f"{TEMPLATE_EDIT}#editor", context)
        response["HX-Retarget"] = "#minutes-editor"
        response["HX-Reswap"] = "outerHTML"
        return response
    return render(request, TEMPLATE_EDIT, context, status=409)


@login_required
@require_POST
def minutes_draft(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    """Draft the minutes from the meeting record, or draft them again (replacing the text)."""
    meeting, _access = meeting_for_editor(request, slug, pk)
    form = RedraftForm(request.POST)
    base = form.cleaned_data.get("version") if form.is_valid() else None
    existed = minutes_exist(meeting)
    try:
        services.minutes_draft(meeting, by=request.user, base_version=base if existed else None)
    except MinutesConflict:
        messages.error(
            request,
            _("Not drafted again: someone saved the minutes meanwhile. Check the text first."),
        )
    except ValidationError as error:
        messages.error(request, error_text(error))
    else:
        if existed:
            messages.success(request, _("The minutes were drafted again from the meeting record."))
        else:
            messages.success(
                request, _("The draft is ready. Check it, add what is missing and save.")
            )
    return redirect(_url("minutes:minutes_edit", meeting))


@never_cache
@login_required
@require_POST
def minutes_preview(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    """The text being edited as residents will read it (sanitised), without saving it."""
    meeting, access = meeting_for_editor(request, slug, pk)
    minutes = minutes_of(meeting)
    if minutes is None:
        raise Http404
    form = BodyForm(request.POST)
    body = form.data.get("body", "") if not form.is_valid() else form.cleaned_data["body"]
    preview = _document(meeting, str(body)[: services.BODY_MAX_LENGTH], None, minutes.language)
    if request.htmx:
        return render(request, f"{TEMPLATE_EDIT}#preview", {"preview": preview})
    version = form.cleaned_data["version"] if form.is_valid() else minutes.body_version
    context = _editor_context(
        meeting,
        access,
        minutes,
        preview=preview,
        form=BodyForm(initial={"body": body, "version": version}),
    )
    return render(request, TEMPLATE_EDIT, context)


@never_cache
@login_required
@require_GET
def minutes_draft_pdf_view(
    request: AuthenticatedHttpRequest, slug: str, pk: int, large: bool = False
) -> HttpResponse:
    """The saved draft as PDF, with CONCEPT on every page (made now, not stored)."""
    meeting, _access = meeting_for_editor(request, slug, pk)
    minutes = minutes_of(meeting)
    if minutes is None:
        raise Http404
    return HttpResponse(
        minutes_draft_pdf(minutes, large=large),
        content_type="application/pdf",
        headers={
            "Content-Disposition": content_disposition_header(
                False, pdf_filename(meeting, None, large)
            )
        },
    )


@login_required
@require_POST
def minutes_finalise(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    meeting, _access = meeting_for_publisher(request, slug, pk)
    minutes = minutes_of(meeting)
    if minutes is None:
        raise Http404
    form = FinaliseForm(request.POST)
    if not form.is_valid():
        messages.error(request, first_error(form))
        return redirect(_url("minutes:minutes_edit", meeting) + "#finalise")
    try:
        version = services.minutes_finalise(
            minutes,
            request.user,
            change_note=form.cleaned_data["change_note"],
            base_version=form.cleaned_data["version"],
        )
    except MinutesConflict:
        messages.error(
            request,
            _("Not finalised: someone changed the minutes meanwhile. Check the text first."),
        )
        return redirect(_url("minutes:minutes_edit", meeting))
    except ValidationError as error:
        latest = minutes_latest_version(minutes)
        if latest is not None and latest.body == minutes.body:
            # A double click: the first one made the version already.
            messages.info(request, error_text(error))
            return redirect(_url("minutes:minutes_version", meeting, latest.number))
        messages.error(request, error_text(error))
        return redirect(_url("minutes:minutes_edit", meeting) + "#finalise")
    messages.success(
        request,
        _("Version %(number)s is finalised. The PDF is being made.") % {"number": version.number},
    )
    return redirect(_url("minutes:minutes_version", meeting, version.number))


# --- A version: progress, publishing, downloads -------------------------------------------------


def _version_context(
    meeting: Meeting, access: MinutesAccess, version: MinutesVersion, **extra: Any
) -> dict[str, Any]:
    minutes = version.minutes
    return {
        "meeting": meeting,
        "neighbourhood": meeting.neighbourhood,
        "minutes": minutes,
        "version": version,
        "access": access,
        "may_retry": access.edit and services.render_may_retry(version),
        "amendments": amendment_lines(version.amendments),
        "may_publish": access.publish
        and version.ready
        and not version.is_published
        and (minutes.published_number or 0) < version.number,
        **extra,
    }


@never_cache
@require_GET
def minutes_version(request: HttpRequest, slug: str, pk: int, number: int) -> HttpResponse:
    meeting, access = meeting_for_minutes(request, slug, pk)
    version = _version_of(meeting, access, number)
    return render(request, TEMPLATE_VERSION, _version_context(meeting, access, version))


@never_cache
@require_GET
def minutes_progress(request: HtmxHttpRequest, slug: str, pk: int, number: int) -> HttpResponse:
    """The progress block alone, for htmx polling; it stops polling once the PDF is made or
    has failed."""
    meeting, access = meeting_for_minutes(request, slug, pk)
    version = _version_of(meeting, access, number)
    if not request.htmx:
        return redirect(_url("minutes:minutes_version", meeting, number))
    context = _version_context(meeting, access, version, finished_while_watching=not version.busy)
    return render(request, f"{TEMPLATE_VERSION}#progress", context)


@login_required
@require_POST
def minutes_rerender(
    request: AuthenticatedHttpRequest, slug: str, pk: int, number: int
) -> HttpResponse:
    meeting, access = meeting_for_editor(request, slug, pk)
    version = _version_of(meeting, access, number)
    if services.minutes_render_again(version=version):
        messages.success(request, _("The PDF is being made again."))
    else:
        messages.info(request, _("The PDF is already being made, or it is ready."))
    return redirect(_url("minutes:minutes_version", meeting, number))


@login_required
@require_POST
def minutes_publish(
    request: AuthenticatedHttpRequest, slug: str, pk: int, number: int
) -> HttpResponse:
    meeting, access = meeting_for_publisher(request, slug, pk)
    version = _version_of(meeting, access, number)
    was_published = version.is_published
    try:
        services.minutes_publish(version, request.user)
    except ValidationError as error:
        messages.error(request, error_text(error))
        return redirect(_url("minutes:minutes_version", meeting, number))
    if was_published:
        messages.info(request, _("This version was published already. Nothing was sent twice."))
    else:
        messages.success(
            request,
            _(
                "The minutes are published on the neighbourhood page and are being mailed to "
                "the residents and the team."
            ),
        )
    return redirect(_url("minutes:minutes_version", meeting, number))


@require_http_methods(["GET", "HEAD"])
def minutes_pdf(
    request: HttpRequest, slug: str, pk: int, number: int, large: bool = False
) -> HttpResponseBase:
    """A version's stored PDF: public once published, else for the editors."""
    meeting, access = meeting_for_minutes(request, slug, pk)
    version = _version_of(meeting, access, number)
    name = (version.pdf_large if large else version.pdf).name
    if version.render_status != RS.DONE or not name:
        messages.info(request, _("The PDF is being made. Try again in a moment."))
        return redirect(_url("minutes:minutes_version", meeting, number))
    try:
        stored = default_storage.open(name, "rb")
    except (FileNotFoundError, OSError) as exc:
        raise Http404 from exc
    response = FileResponse(
        stored,
        content_type="application/pdf",
        as_attachment=False,
        filename=pdf_filename(meeting, version.number, large),
    )
    if not version.is_published:
        response["Cache-Control"] = "private, no-store"
    return response
