"""The chair's view of the mail ledger: per mailing how many were queued, sent, failed and
blocked, why they failed, and a way to try the failed ones again. And the team's list of
blocked member addresses, with lifting a block. Every view fetches its neighbourhood through
`neighbourhood_for` and the mailing within that neighbourhood only."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from buurtoverleg.http import AuthenticatedHttpRequest
from buurtoverleg.mail.models import Delivery, Mailing, MailSuppression, counts_of
from buurtoverleg.mail.pipeline import deliveries_retry_failed
from meetings.mailings.blocks import (
    blocked_member_addresses,
    mail_suppression_lift,
    member_addresses,
    plain_reason,
    recent_lifts,
)
from meetings.mailings.forms import LiftForm, lift_form
from meetings.mailings.selectors import (
    deliveries_not_delivered,
    deliveries_retryable_count,
    mailing_with_counts,
    mailings_of,
)
from residents.models import Neighbourhood
from residents.permissions import Perm, can, neighbourhood_for

MAILINGS_PER_PAGE = 25
# Addresses that failed are listed so the chair can fix them; a page of thousands helps nobody.
PROBLEMS_SHOWN = 200


@dataclass(frozen=True)
class Progress:
    """The per-status counts of one mailing, and what they mean for the screen."""

    total: int
    queued: int
    sending: int
    sent: int
    failed: int
    suppressed: int

    @classmethod
    def of(cls, mailing: Mailing) -> Progress:
        """From a mailing annotated by `MailingQuerySet.with_counts()`."""
        return cls(**counts_of(mailing))

    @property
    def pending(self) -> int:
        return self.queued + self.sending

    @property
    def busy(self) -> bool:
        """Work is waiting or under way: the page keeps asking for new numbers."""
        return self.pending > 0

    @property
    def not_delivered(self) -> int:
        return self.failed + self.suppressed

    @property
    def state(self) -> str:
        if self.total == 0:
            return "empty"
        if self.busy:
            return "busy"
        return "problem" if self.not_delivered else "done"

    def rows(self) -> list[tuple[str, str, int]]:
        """(status, label, count) in the order a mail goes through them."""
        return [
            (status.value, str(status.label), getattr(self, status.value))
            for status in (
                Delivery.Status.QUEUED,
                Delivery.Status.SENDING,
                Delivery.Status.SENT,
                Delivery.Status.FAILED,
                Delivery.Status.SUPPRESSED,
            )
        ]


@dataclass(frozen=True)
class MailingRow:
    mailing: Mailing
    progress: Progress


def _mailing_in(hood: Neighbourhood, pk: int) -> Mailing:
    """The mailing with its counts, in one query; 404 when it belongs to another neighbourhood."""
    found = mailing_with_counts(hood, pk)
    if found is None:
        raise Http404
    return found


def _progress_context(hood: Neighbourhood, mailing: Mailing) -> dict[str, Any]:
    return {"neighbourhood": hood, "mailing": mailing, "progress": Progress.of(mailing)}


@never_cache
@login_required
@require_GET
def mailings(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    hood = neighbourhood_for(request, slug, Perm.VIEW_MAILINGS)
    page = Paginator(mailings_of(hood), MAILINGS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "meetings/mailings.html",
        {
            "neighbourhood": hood,
            "page": page,
            "rows": [MailingRow(mailing, Progress.of(mailing)) for mailing in page],
        },
    )


@never_cache
@login_required
@require_GET
def mailing(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    hood = neighbourhood_for(request, slug, Perm.VIEW_MAILINGS)
    found = _mailing_in(hood, pk)
    context = _progress_context(hood, found)
    progress: Progress = context["progress"]
    problems: list[Delivery] = []
    retryable = 0
    if progress.not_delivered:
        problems = deliveries_not_delivered(found, PROBLEMS_SHOWN)
    if progress.failed:
        retryable = deliveries_retryable_count(found)
    return render(
        request,
        "meetings/mailing.html",
        {
            **context,
            "problems": problems,
            "problems_hidden": max(progress.not_delivered - len(problems), 0),
            "retryable": retryable,
            "can_manage": can(request.user, Perm.MANAGE_MAILINGS, hood),
        },
    )


@never_cache
@login_required
@require_GET
def mailing_progress(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    """The progress block alone, for htmx polling; it stops polling once nothing is pending."""
    hood = neighbourhood_for(request, slug, Perm.VIEW_MAILINGS)
    found = _mailing_in(hood, pk)
    if not request.htmx:
        return redirect("mailings:mailing", slug=hood.slug, pk=found.pk)
    context = _progress_context(hood, found)
    # The page around this block was drawn while sending; its list of failures may be old.
    context["finished_while_watching"] = not context["progress"].busy
    return render(request, "meetings/mailing.html#progress", context)


@login_required
@require_POST
def mailing_retry(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    hood = neighbourhood_for(request, slug, Perm.MANAGE_MAILINGS)
    found = _mailing_in(hood, pk)
    before = Progress.of(found)
    count = deliveries_retry_failed(mailing=found, by=request.user)
    # Failed mail to a blocked address stays failed; blocked addresses were never sent to.
    blocked = max(before.failed - count, 0) + before.suppressed
    if count:
        notice = ngettext(
            "%(count)s e-mail that failed is being sent again.",
            "%(count)s e-mails that failed are being sent again.",
            count,
        ) % {"count": count}
    else:
        notice = _("There were no failed e-mails to send again.")
    if blocked:
        notice += " " + ngettext(
            "%(count)s e-mail goes to a blocked address: it is never sent again. "
            "Ask the person for another e-mail address.",
            "%(count)s e-mails go to blocked addresses: they are never sent again. "
            "Ask these people for another e-mail address.",
            blocked,
        ) % {"count": blocked}
    (messages.success if count else messages.info)(request, notice)
    return redirect("mailings:mailing", slug=hood.slug, pk=found.pk)


# --- Blocked member addresses, and lifting a block with a reason ---
# Plain pages: a form per address, POST and redirect with a message; no JavaScript needed.

BLOCKS_TEMPLATE = "meetings/mail_blocks.html"


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
        BLOCKS_TEMPLATE,
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
                return redirect("mailings:mail_blocks", slug=hood.slug)
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(
                request,
                _("E-mail is sent to %(email)s again. Your reason has been saved.")
                % {"email": suppression.email},
            )
            return redirect("mailings:mail_blocks", slug=hood.slug)
    return _page(request, hood, failed=form, failed_pk=suppression.pk, status=400)
