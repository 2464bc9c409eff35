"""The team's list of blocked member addresses, and lifting a block with a reason.

Plain pages: a form per address, POST and redirect with a message; no JavaScript needed.
"""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from buurtoverleg.http import AuthenticatedHttpRequest
from buurtoverleg.mail.models import MailSuppression
from meetings.mail_blocks import (
    blocked_member_addresses,
    mail_suppression_lift,
    member_addresses,
    plain_reason,
    recent_lifts,
)
from residents.models import Neighbourhood
from residents.permissions import Perm, can, neighbourhood_for

TEMPLATE = "meetings/mail_blocks.html"


class LiftForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Why do you lift the block?"),
        help_text=gettext_lazy(
            "For example: the person checked the address, or their mailbox works again. "
            "This is saved with your name."
        ),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={
            "required": gettext_lazy(
                "Write why you lift the block, for example: “She checked her address.”"
            )
        },
    )


def lift_form(suppression: MailSuppression, data: object = None) -> LiftForm:
    # One form per address on the page: the prefix keeps their field ids apart.
    return LiftForm(data, prefix=f"lift-{suppression.pk}")  # type: ignore[arg-type]


@dataclass(frozen=True)
class BlockedRow:
    suppression: MailSuppression
    reason: str
    form: LiftForm


def _page(
    request: AuthenticatedHttpRequest,
    hood: Neighbourhood,
    failed: LiftForm | None = None,
    failed_pk: int | None = None,
    status: int = 200,
) -> HttpResponse:
    rows = [
        BlockedRow(
            suppression,
            plain_reason(suppression.last_error),
            failed
            if failed is not None and suppression.pk == failed_pk
            else lift_form(suppression),
        )
        for suppression in blocked_member_addresses(hood)
    ]
    return render(
        request,
        TEMPLATE,
        {
            "neighbourhood": hood,
            "rows": rows,
            "lifts": list(recent_lifts(hood)),
            "failed_form": failed,
            "can_view_mailings": can(request.user, Perm.VIEW_MAILINGS, hood),
        },
        status=status,
    )


@never_cache
@login_required
@require_GET
def mail_blocks(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    hood = neighbourhood_for(request, slug, Perm.MANAGE_MAIL_BLOCKS)
    return _page(request, hood)


@login_required
@require_POST
def mail_block_lift(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    hood = neighbourhood_for(request, slug, Perm.MANAGE_MAIL_BLOCKS)
    # Only an address of this neighbourhood's members; blocked or not, so that a
    # double-clicked button gets a friendly answer instead of "not found".
    suppression = get_object_or_404(member_addresses(hood), pk=pk)
    form = lift_form(suppression, request.POST)
    if form.is_valid():
        try:
            mail_suppression_lift(
                suppression=suppression,
                by=request.user,
                reason=form.cleaned_data["reason"],
                neighbourhood=hood,
            )
        except ValidationError as error:
            if not hasattr(error, "error_dict"):  # already lifted: nothing left to do
                messages.info(request, " ".join(error.messages))
                return redirect("mail_blocks", slug=hood.slug)
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(
                request,
                _("E-mail is sent to %(email)s again. Your reason has been saved.")
                % {"email": suppression.email},
            )
            return redirect("mail_blocks", slug=hood.slug)
    return _page(request, hood, failed=form, failed_pk=suppression.pk, status=400)
