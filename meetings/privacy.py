"""What the meetings app adds to a person's data export and to deleting an account."""

from __future__ import annotations

from typing import Any

from django.db.models import CharField, F, Q, Value
from django.db.models.functions import Cast, Concat

from buurtoverleg.mail.models import Delivery
from meetings.minutes.models import MinutesVersion
from meetings.planning.models import AgendaProposal, Meeting, Rsvp
from meetings.room.models import Attendance
from residents.models import User
from residents.privacy import (
    export_iso,
    register_anonymiser,
    register_consent_withdrawn,
    register_export_section,
)


def _meeting_ref(meeting: Meeting) -> dict[str, Any]:
    return {"neighbourhood": meeting.neighbourhood.name, "meeting": export_iso(meeting.starts_at)}


@register_export_section("meetings")
def export_meetings(user: User) -> dict[str, Any]:
    """Their own part in meetings: one query per list. Nobody else's name (who recorded their
    attendance, who decided on their proposal) is in it."""
    at_meeting = ("meeting__neighbourhood",)
    roles = (
        Meeting.objects.filter(Q(chair=user) | Q(minute_taker=user))
        .select_related("neighbourhood")
        .order_by("starts_at", "pk")
    )
    named_in = (
        MinutesVersion.objects.filter(named_people=user)
        .select_related("minutes__meeting__neighbourhood")
        .order_by("minutes__meeting__starts_at", "number")
    )
    return {
        "rsvps": [
            {**_meeting_ref(r.meeting), "answer": r.answer, "at": export_iso(r.updated_at)}
            for r in Rsvp.objects.filter(user=user).select_related(*at_meeting).order_by("pk")
        ],
        "attendance": [
            {
                **_meeting_ref(a.meeting),
                "kind": a.kind,
                "checked_in_yourself": a.source == Attendance.Source.CHECK_IN,
                "first_meeting": a.newcomer,
                "at": export_iso(a.created_at),
            }
            for a in Attendance.objects.filter(user=user)
            .select_related(*at_meeting)
            .order_by("meeting__starts_at", "pk")
        ],
        "agenda_proposals": [
            {
                **_meeting_ref(p.meeting),
                "title": p.title,
                "description": p.description,
                "status": p.status,
                "reason": p.reason,
                "proposed_at": export_iso(p.created_at),
                "decided_at": export_iso(p.decided_at),
            }
            for p in AgendaProposal.objects.filter(proposed_by=user)
            .select_related(*at_meeting)
            .order_by("pk")
        ],
        "roles": [
            {
                **_meeting_ref(m),
                "chair": m.chair_id == user.pk,
                "minute_taker": m.minute_taker_id == user.pk,
            }
            for m in roles
        ],
        # Which versions of the minutes print their name (consent can be withdrawn on
        # Mijn gegevens). Not the text: it names other people too.
        "named_in_minutes": [
            {
                **_meeting_ref(v.minutes.meeting),
                "version": v.number,
                "published_at": export_iso(v.published_at),
            }
            for v in named_in
        ],
    }


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


@register_consent_withdrawn
@register_anonymiser
def remove_from_minutes(user: User) -> None:
    """Minutes that named the person are made again without the name: when they withdraw
    their consent to be named, and when the account is anonymised (before it is scrubbed:
    the typed text is searched for it)."""
    from meetings.minutes.services import minutes_person_withdrawn

    minutes_person_withdrawn(user=user)
