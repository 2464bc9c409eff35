"""The chair's member management: applications, invitations, imports, paper residents, roles
and invite codes. Every view fetches its neighbourhood through `neighbourhood_for`."""

from __future__ import annotations

import re
import secrets
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from buurtoverleg.forms import add_service_errors
from buurtoverleg.http import AuthenticatedHttpRequest
from buurtoverleg.pdf import render_pdf
from buurtoverleg.qr import qr_data_uri
from residents.members.forms import (
    InviteCodesForm,
    InviteForm,
    MemberImportForm,
    PaperResidentForm,
    RolesForm,
)
from residents.models import InviteCode, Membership, Neighbourhood
from residents.permissions import Perm, can, neighbourhood_for
from residents.selectors import (
    active_members,
    active_memberships_of,
    applications_awaiting_decision,
    finished_invite_codes,
    printable_invite_codes,
    usable_invite_codes,
)
from residents.services import (
    INVITATION_VALID_DAYS,
    ImportRow,
    import_rows_check,
    invitation_send,
    invite_codes_create,
    invite_join_url,
    membership_approve,
    membership_decide,
    membership_roles_set,
    memberships_import,
    paper_resident_add,
)

CODES_PER_PAGE = 10  # cut-out cards on one A4 sheet: two columns of five
MAX_CODES_PER_SHEET = 200


def _members_context(request: AuthenticatedHttpRequest, hood: Neighbourhood) -> dict[str, Any]:
    return {
        "neighbourhood": hood,
        "can_manage": can(request.user, Perm.MANAGE_MEMBERS, hood),
        "can_set_roles": can(request.user, Perm.SET_ROLES, hood),
        "can_print": can(request.user, Perm.PRINT_INVITE_CODES, hood),
    }


@never_cache
@login_required
@require_GET
def members(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    hood = neighbourhood_for(request, slug, Perm.VIEW_MEMBERS)
    people = active_members(hood)
    return render(
        request,
        "residents/members.html",
        {
            **_members_context(request, hood),
            "pending": applications_awaiting_decision(hood),
            "people": people,
        },
    )


def _decide(
    request: AuthenticatedHttpRequest, slug: str, pk: int, *, approve: bool
) -> HttpResponse:
    hood = neighbourhood_for(request, slug, Perm.MANAGE_MEMBERS)
    membership = get_object_or_404(
        Membership.objects.select_related("user"), pk=pk, neighbourhood=hood
    )
    was_pending = membership.status == Membership.Status.PENDING
    user = membership.user
    if approve:
        membership = membership_approve(membership=membership, by=request.user)
    else:
        membership = membership_decide(membership=membership, by=request.user, approve=False)
    if not was_pending:
        notice = _("The application of %(name)s had already been dealt with.")
    elif approve and user.email:
        notice = _("%(name)s is now a member. We are sending them an e-mail.")
    elif approve:
        notice = _("%(name)s is now a member.")
    else:
        notice = _("You turned down the application of %(name)s.")
    notice %= {"name": user.display_name}
    if request.htmx:
        membership.user = user
        return render(
            request,
            "residents/members.html#pending-row",
            {
                **_members_context(request, hood),
                "membership": membership,
                "notice": notice,
            },
        )
    messages.success(request, notice)
    return redirect("members:members", slug=hood.slug)


@login_required
@require_POST
def member_approve(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    return _decide(request, slug, pk, approve=True)


@login_required
@require_POST
def member_reject(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    return _decide(request, slug, pk, approve=False)


@login_required
@require_http_methods(["GET", "POST"])
def member_invite(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    hood = neighbourhood_for(request, slug, Perm.MANAGE_MEMBERS)
    form = InviteForm(request.POST if request.method == "POST" else None, neighbourhood=hood)
    if request.method == "POST" and form.is_valid():
        invitation_send(
            neighbourhood=hood,
            by=request.user,
            email=form.cleaned_data["email"],
            name=form.cleaned_data["name"],
        )
        messages.success(
            request,
            _("We are sending an invitation to %(email)s. The code in it works for %(days)s days.")
            % {"email": form.cleaned_data["email"], "days": INVITATION_VALID_DAYS},
        )
        return redirect("members:member_invite", slug=hood.slug)
    return render(
        request,
        "residents/member_invite.html",
        {"neighbourhood": hood, "form": form, "valid_days": INVITATION_VALID_DAYS},
    )


@login_required
@require_http_methods(["GET", "POST"])
def member_add_paper(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    hood = neighbourhood_for(request, slug, Perm.MANAGE_MEMBERS)
    form = PaperResidentForm(request.POST if request.method == "POST" else None, neighbourhood=hood)
    if request.method == "POST" and form.is_valid():
        membership = paper_resident_add(
            neighbourhood=hood,
            by=request.user,
            name=form.cleaned_data["name"],
            postcode=form.cleaned_data["postcode"],
            house_number=form.cleaned_data["house_number"],
            contact_note=form.cleaned_data["contact_note"],
        )
        messages.success(
            request,
            _("%(name)s is now a member without e-mail.") % {"name": membership.user.display_name},
        )
        if "add_another" in request.POST:
            return redirect("members:member_add_paper", slug=hood.slug)
        return redirect("members:members", slug=hood.slug)
    return render(request, "residents/member_paper.html", {"neighbourhood": hood, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def member_roles(request: AuthenticatedHttpRequest, slug: str, user_id: int) -> HttpResponse:
    hood = neighbourhood_for(request, slug, Perm.SET_ROLES)
    current = active_memberships_of(hood, user_id)
    if not current:
        raise Http404("Not an active member of this neighbourhood.")
    person = current[0].user
    current_roles = [m.role for m in current]
    initial = {
        "roles": current_roles,
        "organisation": next((m.organisation for m in current if m.organisation), None),
        "job_title": next((m.job_title for m in current if m.job_title), ""),
    }
    form = RolesForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        person=person,
        by=request.user,
        current_roles=current_roles,
    )
    if request.method == "POST" and form.is_valid():
        try:
            membership_roles_set(
                neighbourhood=hood,
                user=person,
                by=request.user,
                roles=form.cleaned_data["roles"],
                organisation=form.cleaned_data["organisation"],
                job_title=form.cleaned_data["job_title"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                _("The roles of %(name)s have been saved.") % {"name": person.display_name},
            )
            return redirect("members:members", slug=hood.slug)
    return render(
        request,
        "residents/member_roles.html",
        {"neighbourhood": hood, "form": form, "person": person, "current": current},
    )


# --- Importing a member list: upload, preview, confirm -------------------------------------


def _import_key(hood: Neighbourhood) -> str:
    return f"member_import:{hood.pk}"


@login_required
@require_http_methods(["GET", "POST"])
def member_import(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    hood = neighbourhood_for(request, slug, Perm.MANAGE_MEMBERS)
    form = MemberImportForm(
        request.POST if request.method == "POST" else None, request.FILES or None
    )
    if request.method == "POST" and form.is_valid():
        # Nothing is written yet: the rows wait in the session until the chair confirms.
        request.session[_import_key(hood)] = {
            "token": secrets.token_urlsafe(16),
            "file_name": form.cleaned_data["file"].name[:200],
            "rows": form.rows,
        }
        return redirect("members:member_import_preview", slug=hood.slug)
    return render(request, "residents/member_import.html", {"neighbourhood": hood, "form": form})


@never_cache
@login_required
@require_GET
def member_import_preview(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    hood = neighbourhood_for(request, slug, Perm.MANAGE_MEMBERS)
    waiting = request.session.get(_import_key(hood))
    if not waiting:
        messages.info(request, _("Choose a file to import first."))
        return redirect("members:member_import", slug=hood.slug)
    rows = import_rows_check(neighbourhood=hood, rows=waiting["rows"])
    good: list[ImportRow] = [row for row in rows if row.ok]
    return render(
        request,
        "residents/member_import_preview.html",
        {
            "neighbourhood": hood,
            "file_name": waiting["file_name"],
            "token": waiting["token"],
            "rows": rows,
            "good": good,
            "problems": [row for row in rows if not row.ok],
            "paper_count": sum(1 for row in good if row.is_paper),
        },
    )


@login_required
@require_POST
def member_import_confirm(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    hood = neighbourhood_for(request, slug, Perm.MANAGE_MEMBERS)
    key = _import_key(hood)
    waiting = request.session.get(key)
    if not waiting or request.POST.get("token") != waiting["token"]:
        messages.error(
            request,
            _(
                "This import is no longer waiting, or another file was chosen "
                "in the meantime. Nothing was added. Check the list again."
            ),
        )
        return redirect(
            "members:member_import_preview" if waiting else "members:member_import", slug=hood.slug
        )
    try:
        result = memberships_import(neighbourhood=hood, by=request.user, rows=waiting["rows"])
    except IntegrityError:
        # Someone joined with one of these addresses while we were importing.
        messages.error(
            request,
            _("Something changed while importing. Nothing was added. Check the list again."),
        )
        return redirect("members:member_import_preview", slug=hood.slug)
    del request.session[key]
    added = ngettext(
        "%(count)s person was added.", "%(count)s people were added.", result.imported
    ) % {"count": result.imported}
    details = _(
        "New accounts: %(new)s. Existing accounts: %(existing)s. Without e-mail: "
        "%(paper)s. Not added because of a problem: %(skipped)s."
    ) % {
        "new": result.new_accounts,
        "existing": result.existing_accounts,
        "paper": result.paper_residents,
        "skipped": result.not_imported,
    }
    messages.success(request, f"{added} {details}")
    return redirect("members:members", slug=hood.slug)


@login_required
@require_POST
def member_import_cancel(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    hood = neighbourhood_for(request, slug, Perm.MANAGE_MEMBERS)
    request.session.pop(_import_key(hood), None)
    messages.info(request, _("The import has been stopped. Nothing was added."))
    return redirect("members:members", slug=hood.slug)


# --- Invite codes and the printed sheet ----------------------------------------------------


def _codes_context(hood: Neighbourhood, form: InviteCodesForm, batch: str = "") -> dict[str, Any]:
    now = timezone.now()
    usable = usable_invite_codes(hood, now=now)
    return {
        "neighbourhood": hood,
        "form": form,
        "usable": usable,
        "printable_count": sum(1 for code in usable if not code.email),
        "finished": finished_invite_codes(hood, now=now),
        "batch": batch,
        "batch_count": printable_invite_codes(hood, batch).count() if batch else 0,
        "join_url": invite_join_url(neighbourhood=hood),
        "max_per_sheet": MAX_CODES_PER_SHEET,
    }


@never_cache
@login_required
@require_GET
def invite_codes(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    hood = neighbourhood_for(request, slug, Perm.PRINT_INVITE_CODES)
    batch = request.GET.get("batch", "")
    if not re.fullmatch(r"\d{1,18}-\d{1,18}", batch):
        batch = ""
    return render(
        request, "residents/invite_codes.html", _codes_context(hood, InviteCodesForm(), batch)
    )


@login_required
@require_POST
def invite_codes_generate(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    hood = neighbourhood_for(request, slug, Perm.PRINT_INVITE_CODES)
    form = InviteCodesForm(request.POST)
    if not form.is_valid():
        return render(request, "residents/invite_codes.html", _codes_context(hood, form))
    codes = invite_codes_create(
        neighbourhood=hood,
        by=request.user,
        count=form.cleaned_data["count"],
        valid_days=form.cleaned_data["valid_days"],
    )
    messages.success(
        request,
        ngettext(
            "%(count)s new code is ready. Print it below.",
            "%(count)s new codes are ready. Print them below.",
            len(codes),
        )
        % {"count": len(codes)},
    )
    url = reverse("members:invite_codes", args=[hood.slug])
    return redirect(f"{url}?batch={codes[0].pk}-{codes[-1].pk}")


def invite_sheet_html(*, neighbourhood: Neighbourhood, codes: list[InviteCode]) -> str:
    """The printable cards as HTML for WeasyPrint: ten per A4 page, each with its QR code."""
    cards = [
        {
            "code": invite.code,
            "expires_at": invite.expires_at,
            "qr": qr_data_uri(invite_join_url(neighbourhood=neighbourhood, code=invite.code)),
        }
        for invite in codes
    ]
    pages = [cards[i : i + CODES_PER_PAGE] for i in range(0, len(cards), CODES_PER_PAGE)]
    return render_to_string(
        "residents/invite_sheet_pdf.html",
        {
            "neighbourhood": neighbourhood,
            "pages": pages,
            "join_url": invite_join_url(neighbourhood=neighbourhood),
        },
    )


def invite_sheet_pdf(*, neighbourhood: Neighbourhood, codes: list[InviteCode]) -> bytes:
    """The sheet as a tagged PDF (buurtoverleg.pdf; the QR codes are inline data)."""
    return render_pdf(invite_sheet_html(neighbourhood=neighbourhood, codes=codes))


@never_cache
@login_required
@require_GET
def invite_sheet(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    hood = neighbourhood_for(request, slug, Perm.PRINT_INVITE_CODES)
    codes = list(printable_invite_codes(hood, request.GET.get("batch", ""))[:MAX_CODES_PER_SHEET])
    if not codes:
        messages.info(request, _("There are no unused codes to print. Make new codes first."))
        return redirect("members:invite_codes", slug=hood.slug)
    filename = f"uitnodigingscodes-{hood.slug}.pdf"
    return HttpResponse(
        invite_sheet_pdf(neighbourhood=hood, codes=codes),
        content_type="application/pdf",
        headers={"Content-Disposition": content_disposition_header(False, filename)},
    )
