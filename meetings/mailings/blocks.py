"""Addresses blocked after bounces, as the team of one neighbourhood sees them, and lifting a
block with a reason that is logged (views in meetings.mailings.views).

A block (MailSuppression) is per address, for the whole installation: the mail pipeline stops
sending to an address that refused mail permanently (meetings.services). A neighbourhood's
team sees only the addresses of its own members, and lifts a block when the person says the
address works again.
"""

from __future__ import annotations

import re

from allauth.account.models import EmailAddress
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from buurtoverleg.mail.models import MailSuppression, MailSuppressionLift
from residents.models import Membership, Neighbourhood, User

LIFTS_SHOWN = 20


def _members(neighbourhood: Neighbourhood) -> QuerySet[Membership]:
    """Who counts as a member here: an active role, or an application the chair can see
    (pending, address confirmed). People who left are no longer the team's business."""
    confirmed = EmailAddress.objects.filter(user=OuterRef("user"), verified=True)
    return Membership.objects.filter(neighbourhood=neighbourhood).filter(
        Q(status=Membership.Status.ACTIVE) | Q(Exists(confirmed), status=Membership.Status.PENDING)
    )


def member_addresses(neighbourhood: Neighbourhood) -> QuerySet[MailSuppression]:
    """Block records of addresses that belong to the neighbourhood's members (their account
    address or another address of theirs), each with `member_name`: whose address it is.

    Never another neighbourhood's: an address is listed only through a member of this one.
    """
    member_ids = _members(neighbourhood).values("user_id")
    by_account = User.objects.filter(pk__in=member_ids, email__iexact=OuterRef("email"))
    by_address = EmailAddress.objects.filter(
        user_id__in=member_ids, email__iexact=OuterRef("email")
    )
    return (
        MailSuppression.objects.filter(Q(Exists(by_account)) | Q(Exists(by_address)))
        .annotate(
            member_name=Coalesce(
                Subquery(by_account.order_by("pk").values("display_name")[:1]),
                Subquery(by_address.order_by("pk").values("user__display_name")[:1]),
            )
        )
        .order_by("-suppressed_at", "email")
    )


def blocked_member_addresses(neighbourhood: Neighbourhood) -> QuerySet[MailSuppression]:
    """The member addresses mail is not sent to now, most recently blocked first."""
    return member_addresses(neighbourhood).filter(suppressed_at__isnull=False)


def recent_lifts(neighbourhood: Neighbourhood) -> QuerySet[MailSuppressionLift]:
    return (
        MailSuppressionLift.objects.filter(neighbourhood=neighbourhood)
        .select_related("lifted_by")
        .order_by("-lifted_at", "-pk")[:LIFTS_SHOWN]
    )


# --- The mail server's answer in plain words ---

# Enhanced status codes (RFC 3463) first: they say the most. Then the basic SMTP code.
_ENHANCED = re.compile(r"\b5\.(\d{1,3})\.(\d{1,3})\b")
_BASIC = re.compile(r"\b(5\d\d)\b")
_WORDS = [
    (
        re.compile(
            r"domain (not found|does not exist|unknown)|host (not found|unknown)|no mx|"
            r"name or service not known",
            re.IGNORECASE,
        ),
        "no_domain",
    ),
    (
        re.compile(
            r"user unknown|unknown user|no such user|user not found|does not exist|"
            r"doesn't exist|mailbox unavailable|recipient (address )?rejected|invalid recipient",
            re.IGNORECASE,
        ),
        "no_mailbox",
    ),
    (
        re.compile(r"mailbox (is )?full|over ?quota|quota exceeded|insufficient storage", re.I),
        "full",
    ),
    (re.compile(r"spam|blocked|blacklist|blocklist|policy|reputation", re.I), "refused"),
]
REASONS = {
    "no_mailbox": gettext_lazy(
        "This e-mail address does not exist (any more). Perhaps there is a typing error in it, "
        "or the person has a new address."
    ),
    "no_domain": gettext_lazy(
        "The part after the @ does not exist. Perhaps there is a typing error in the address."
    ),
    "disabled": gettext_lazy("This mailbox has been switched off."),
    "full": gettext_lazy("The mailbox is full: it does not accept any more e-mail."),
    "refused": gettext_lazy(
        "The mail server of this address refused our e-mail, for example because it took it "
        "for unwanted mail."
    ),
    "unknown": gettext_lazy("The mail server of this address said it cannot receive e-mail."),
}
_BY_ENHANCED = {
    ("1", "0"): "no_mailbox",
    ("1", "1"): "no_mailbox",
    ("1", "6"): "no_mailbox",
    ("1", "2"): "no_domain",
    ("1", "10"): "no_domain",
    ("4", "4"): "no_domain",
    ("2", "1"): "disabled",
    ("2", "2"): "full",
}


def plain_reason(error: str) -> str:
    """What the mail server's last answer means, in words a chair understands."""
    if match := _ENHANCED.search(error):
        kind = _BY_ENHANCED.get((match.group(1), match.group(2)))
        if kind is None and match.group(1) == "7":
            kind = "refused"
        if kind:
            return str(REASONS[kind])
    for pattern, kind in _WORDS:
        if pattern.search(error):
            return str(REASONS[kind])
    basic = _BASIC.search(error)
    if basic and basic.group(1) in ("550", "551", "553"):
        return str(REASONS["no_mailbox"])
    if basic and basic.group(1) == "552":
        return str(REASONS["full"])
    if basic and basic.group(1) == "554":
        return str(REASONS["refused"])
    return str(REASONS["unknown"])


# --- Lifting a block ---


@transaction.atomic
def mail_suppression_lift(
    *,
    suppression: MailSuppression,
    by: User,
    reason: str,
    neighbourhood: Neighbourhood | None = None,
) -> MailSuppressionLift:
    """Send mail to the address again, and log who lifted the block, when and why.

    The count of failures starts again, so the address is blocked again only after as many
    new permanent failures as the first time. A second request for the same block (a
    double-clicked button) is refused: the first one lifted it.
    """
    reason = reason.strip()
    if not reason:
        message = _("Write why you lift the block, for example: “She checked her address.”")
        raise ValidationError({"reason": ValidationError(message, code="reason_required")})
    locked = MailSuppression.objects.select_for_update().get(pk=suppression.pk)
    if locked.suppressed_at is None:
        raise ValidationError(_("This address is not blocked any more."), code="not_blocked")
    lift = MailSuppressionLift.objects.create(
        email=locked.email,
        neighbourhood=neighbourhood,
        lifted_by=by,
        reason=reason,
        lifted_at=timezone.now(),
        blocked_at=locked.suppressed_at,
        last_error=locked.last_error,
    )
    locked.suppressed_at = None
    locked.permanent_failures = 0
    locked.save(update_fields=["suppressed_at", "permanent_failures", "updated_at"])
    suppression.suppressed_at, suppression.permanent_failures = None, 0
    return lift
