"""What the meetings app adds to a person's data export and to deleting an account."""

from __future__ import annotations

from typing import Any

from django.db.models import CharField, F, Value
from django.db.models.functions import Cast, Concat

from meetings.models import Delivery
from residents.models import User
from residents.privacy import register_anonymiser, register_export_section


@register_export_section("mail_sent_to_you")
def export_deliveries(user: User) -> list[dict[str, Any]]:
    return [
        {
            "mailing": d.mailing.get_kind_display(),
            "email": d.email,
            "status": d.status,
            "sent_at": d.sent_at.isoformat() if d.sent_at else None,
        }
        for d in Delivery.objects.filter(user=user).select_related("mailing").order_by("pk")
    ]


@register_anonymiser
def forget_delivery_addresses(user: User) -> None:
    """Keep the counts of past mailings, drop who they went to."""
    Delivery.objects.filter(user=user).update(
        user=None,
        email=Concat(
            Value("removed-"),
            Cast(F("pk"), output_field=CharField()),
            Value("@invalid"),
            output_field=CharField(),
        ),
        last_error="",
    )


@register_anonymiser
def remove_from_minutes(user: User) -> None:
    """Minutes that named the person are made again without the name (before it is scrubbed:
    the typed text is searched for it)."""
    from meetings.minutes_services import minutes_person_withdrawn

    minutes_person_withdrawn(user=user)
