"""Reads of the chair's mail pages: a neighbourhood's mailings with their per-status counts,
and a mailing's deliveries that did not arrive. Each is one query; no writes. (The blocked
member addresses: meetings.mailings.blocks.)"""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, QuerySet

from buurtoverleg.mail.models import Delivery, Mailing, MailSuppression
from residents.models import Neighbourhood


def _blocked_addresses() -> QuerySet[MailSuppression, Any]:
    return MailSuppression.objects.filter(suppressed_at__isnull=False).values("email")


def mailings_of(neighbourhood: Neighbourhood) -> QuerySet[Mailing, Any]:
    """The neighbourhood's mailings with their counts and who made them, the latest first
    (lazy: a page of it and its count are one query each)."""
    return (
        Mailing.objects.filter(neighbourhood=neighbourhood)
        .with_counts()
        .select_related("created_by")
        .order_by("-created_at", "-pk")
    )


def mailing_with_counts(neighbourhood: Neighbourhood, pk: int) -> Mailing | None:
    """The mailing with its counts and who made it, or None when it belongs to another
    neighbourhood (one query)."""
    try:
        return (
            Mailing.objects.with_counts()
            .select_related("created_by")
            .get(pk=pk, neighbourhood=neighbourhood)
        )
    except Mailing.DoesNotExist:
        return None


def deliveries_not_delivered(mailing: Mailing, limit: int) -> list[Delivery]:
    """Up to `limit` of the mailing's failed and blocked deliveries, each with `blocked`:
    whether its address is blocked now (one query)."""
    return list(
        mailing.deliveries.filter(status__in=[Delivery.Status.FAILED, Delivery.Status.SUPPRESSED])
        .annotate(blocked=Exists(_blocked_addresses().filter(email=OuterRef("email"))))
        .only("email", "status", "attempts", "last_error")
        .order_by("status", "email", "pk")[:limit]
    )


def deliveries_retryable_count(mailing: Mailing) -> int:
    """How many of the mailing's failed deliveries go to an address that is not blocked (one
    query)."""
    return (
        mailing.deliveries.filter(status=Delivery.Status.FAILED)
        .exclude(email__in=_blocked_addresses())
        .count()
    )
