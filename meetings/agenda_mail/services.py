"""The monthly agenda mail and the reminder the day before the meeting.

The agenda mail goes out when both hold: the agenda is published, and the meeting starts at
most `neighbourhood.agenda_mail_days` days from now (and is not over). So an agenda published
late goes out at once (agenda_publish calls agenda_mail_after_publish once it commits), and one
published early waits for the hourly due work. Its key names the meeting and its start time:
however often the job runs there is one agenda mail per meeting and date. A moved meeting gets
the moved notice at once (meeting_services) and, once its new date is inside the window, one
agenda mail for the new date; a cancelled or unpublished meeting gets none.

What the mail says is recorded in the mailing when it is made (the agenda items, the
candidates), so the ledger shows what was sent; the per-person parts (the ballot link, the
problems' public titles in the reader's language, the .ics) are made at sending time.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation

from buurtoverleg.mail.models import Delivery, Mailing
from buurtoverleg.mail.pipeline import Attachment, attachments_for, mailing_create, recipients_for
from meetings import workflow
from meetings.mail_kinds import MeetingMail
from meetings.planning.calendar import calendar_for
from meetings.planning.models import Meeting, Rsvp
from meetings.rounds.links import ballot_link_url
from meetings.rounds.models import PriorityRound
from meetings.rounds.services import voter_may_vote
from meetings.services import on_agenda_published
from problems.models import Problem
from residents.mail_preferences import said_no, wants
from residents.models import MailTopic, Membership, User

log = logging.getLogger(__name__)

MS = Meeting.Status
# The reminder goes out on the day before the meeting, not before this hour (local time):
# nobody needs it at five past midnight.
REMINDER_FROM = time(9, 0)


# --- The agenda mail -----------------------------------------------------------------------


def agenda_mail_is_due(meeting: Meeting, now: datetime | None = None) -> bool:
    """The timing rule: published, not over, and at most N days before the start."""
    now = now or timezone.now()
    window = timedelta(days=meeting.neighbourhood.agenda_mail_days)
    return (
        meeting.status == MS.AGENDA_PUBLISHED
        and now < meeting.ends_at
        and meeting.starts_at - now <= window
    )


def agenda_mail_key(meeting: Meeting) -> str:
    """One agenda mail per meeting and start time (moved: a new one for the new date)."""
    return f"agenda:{meeting.pk}:{meeting.starts_at.astimezone(UTC):%Y%m%dT%H%M%SZ}"


def agenda_mail_people(meeting: Meeting) -> list[User]:
    """Active members of the meeting's neighbourhood (residents and the team alike) who want
    the agenda mail and have an address. Pending members, people who left, other
    neighbourhoods and paper residents are not among them."""
    return list(
        User.objects.filter(
            is_active=True,
            anonymised_at__isnull=True,
            memberships__neighbourhood=meeting.neighbourhood_id,
            memberships__status=Membership.Status.ACTIVE,
        )
        .filter(wants(MailTopic.AGENDA, meeting.neighbourhood_id))
        .exclude(Q(email=None) | Q(email=""))
        .distinct()
        .order_by("pk")
    )


def _is_open(priority_round: PriorityRound) -> bool:
    """Open for votes now (not past its closing time)."""
    return priority_round.is_open and (
        priority_round.closes_at is None or priority_round.closes_at > timezone.now()
    )


def _open_round(meeting: Meeting) -> PriorityRound | None:
    priority_round = PriorityRound.objects.filter(meeting=meeting).first()
    return priority_round if priority_round is not None and _is_open(priority_round) else None


def _meeting_url(meeting: Meeting) -> str:
    return settings.SITE_URL + reverse(
        "planning:meeting", args=[meeting.neighbourhood.slug, meeting.pk]
    )


def _agenda_context(meeting: Meeting) -> dict[str, Any]:
    """What the mail says, as it is now (JSON: kept in the mailing)."""
    priority_round = _open_round(meeting)
    candidates: list[int] = []
    if priority_round is not None:
        candidates = list(
            priority_round.candidates.order_by("position", "pk").values_list(
                "problem_id", flat=True
            )
        )
    items = []
    start = meeting.starts_at
    for kind, title, description, minutes in meeting.items.order_by("position", "pk").values_list(
        "kind", "title", "description", "minutes"
    ):
        end = start + timedelta(minutes=minutes)
        items.append(
            {
                "kind": kind,
                "title": title,
                "description": description,
                "minutes": minutes,
                "starts_at": start.isoformat(),
                "ends_at": end.isoformat(),
            }
        )
        start = end
    return {
        "meeting_id": meeting.pk,
        "starts_at": meeting.starts_at.isoformat(),
        "ends_at": meeting.ends_at.isoformat(),
        "place": meeting.place,
        "items": items,
        "round_id": priority_round.pk if priority_round else None,
        "candidate_ids": candidates,
        "meeting_url": _meeting_url(meeting),
    }


def _agenda_mail(meeting_id: int, now: datetime) -> Mailing | None:
    """Make the meeting's agenda mail if it is due and not made yet; None otherwise."""
    with transaction.atomic():
        # Locked: a move or cancel in flight finishes first, and two runs of the job (the
        # publish hook and the hourly sweep) make the mailing once.
        meeting = (
            Meeting.objects.select_for_update(of=("self",))
            .select_related("neighbourhood")
            .filter(pk=meeting_id)
            .first()
        )
        if meeting is None or not agenda_mail_is_due(meeting, now):
            return None
        key = agenda_mail_key(meeting)
        if Mailing.objects.filter(key=key).exists():
            return None
        recipients = recipients_for(agenda_mail_people(meeting))
        if not recipients:
            return None
        return mailing_create(
            kind=MeetingMail.AGENDA,
            recipients=recipients,
            neighbourhood=meeting.neighbourhood,
            subject=meeting,
            context=_agenda_context(meeting),
            key=key,
        )


def agenda_mail_send_due(*, meeting_id: int | None = None, now: datetime | None = None) -> int:
    """Send every agenda mail that is due (or only that of `meeting_id`). Returns how many
    mailings were made. Safe to run any number of times: each is keyed."""
    now = now or timezone.now()
    meetings = Meeting.objects.filter(status=MS.AGENDA_PUBLISHED, ends_at__gt=now).select_related(
        "neighbourhood"
    )
    if meeting_id is not None:
        meetings = meetings.filter(pk=meeting_id)
    made = 0
    for meeting in meetings.order_by("starts_at", "pk"):
        if agenda_mail_is_due(meeting, now) and _agenda_mail(meeting.pk, now) is not None:
            made += 1
    return made


@on_agenda_published
def agenda_mail_with_agenda(meeting: Meeting) -> None:
    """Once the publishing commits, a late agenda goes out at once."""
    transaction.on_commit(lambda: agenda_mail_after_publish(meeting.pk))


def agenda_mail_after_publish(meeting_id: int) -> None:
    """agenda_publish's on-commit hook: a late agenda goes out at once. A failure here must not
    fail the chair's page (the agenda is published): the hourly due work catches up."""
    try:
        agenda_mail_send_due(meeting_id=meeting_id)
    except Exception:
        log.exception("Agenda mail for meeting %s not made now; the due work retries.", meeting_id)


# What the templates read at sending time. One mailing_send call renders every recipient with
# the same Mailing instance, so what is the same for all of them is read once per call.


def _cached(mailing: Mailing, name: str, make: Any) -> Any:
    store = mailing.__dict__.setdefault("_agenda_mail_cache", {})
    if name not in store:
        store[name] = make()
    return store[name]


def agenda_candidates(mailing: Mailing) -> list[Problem]:
    """The round's candidates named in the mailing, in ballot order; public ones only (a
    problem that stopped being public since is left out)."""

    def load() -> list[Problem]:
        ids = [int(pk) for pk in mailing.context.get("candidate_ids") or []]
        found = Problem.objects.public().filter(pk__in=ids).select_related("category")
        by_pk = {p.pk: p for p in found}
        return [by_pk[pk] for pk in ids if pk in by_pk]

    return list(_cached(mailing, "candidates", load))


def _round(mailing: Mailing) -> PriorityRound | None:
    def load() -> PriorityRound | None:
        round_id = mailing.context.get("round_id")
        if not round_id:
            return None
        return (
            PriorityRound.objects.select_related("neighbourhood", "meeting")
            .filter(pk=round_id)
            .first()
        )

    priority_round: PriorityRound | None = _cached(mailing, "round", load)
    return priority_round


def agenda_ballot_url(mailing: Mailing, recipient: User | None) -> str:
    """The recipient's personal ballot link, if the round is still open and they may vote
    (active residents; not the professionals or the office). "" otherwise."""
    if not isinstance(recipient, User) or recipient.pk is None:
        return ""
    links: dict[int, str] = _cached(mailing, "ballot_links", dict)
    if recipient.pk not in links:
        priority_round = _round(mailing)
        if (
            priority_round is not None
            and _is_open(priority_round)
            and voter_may_vote(recipient, priority_round)
        ):
            links[recipient.pk] = ballot_link_url(priority_round=priority_round, user=recipient)
        else:
            links[recipient.pk] = ""
    return links[recipient.pk]


def _mailing_meeting(mailing: Mailing) -> Meeting | None:
    def load() -> Meeting | None:
        pk = mailing.context.get("meeting_id") or mailing.subject_id
        if not pk:
            return None
        return Meeting.objects.select_related("neighbourhood").filter(pk=int(pk)).first()

    meeting: Meeting | None = _cached(mailing, "meeting", load)
    return meeting


@attachments_for(MeetingMail.AGENDA)
def agenda_attachments(mailing: Mailing, _delivery: Delivery) -> list[Attachment]:
    """The meeting as an .ics file (its title in the reader's language)."""
    meeting = _mailing_meeting(mailing)
    if meeting is None:
        return []
    language = translation.get_language() or settings.LANGUAGE_CODE
    files: dict[str, bytes] = _cached(mailing, "ics", dict)
    if language not in files:
        files[language] = calendar_for([meeting], meeting.neighbourhood)
    day = timezone.localdate(meeting.starts_at)
    return [(f"buurtoverleg-{day:%Y-%m-%d}.ics", files[language], "text/calendar")]


# --- The reminder the day before -------------------------------------------------------------


def meeting_reminder_key(meeting: Meeting) -> str:
    return f"meeting-reminder:{meeting.pk}:{timezone.localdate(meeting.starts_at).isoformat()}"


def meeting_reminder_people(meeting: Meeting) -> list[User]:
    """Active members who said they are coming, or who asked for reminders."""
    coming = Q(rsvps__meeting=meeting, rsvps__answer=Rsvp.Answer.YES)
    return list(
        User.objects.filter(
            is_active=True,
            anonymised_at__isnull=True,
            memberships__neighbourhood=meeting.neighbourhood_id,
            memberships__status=Membership.Status.ACTIVE,
        )
        .filter(coming | wants(MailTopic.MEETING_REMINDER, meeting.neighbourhood_id))
        .exclude(said_no(MailTopic.MEETING_REMINDER, meeting.neighbourhood_id))
        .exclude(Q(email=None) | Q(email=""))
        .distinct()
        .order_by("pk")
    )


def _day_start(day: Any) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=timezone.get_current_timezone())


def _reminder(meeting_id: int, now: datetime) -> Mailing | None:
    with transaction.atomic():
        meeting = (
            Meeting.objects.select_for_update(of=("self",))
            .select_related("neighbourhood")
            .filter(pk=meeting_id, status__in=workflow.TAKES_PLACE)
            .first()
        )
        if meeting is None:
            return None
        if timezone.localdate(meeting.starts_at) != timezone.localdate(now) + timedelta(days=1):
            return None  # moved meanwhile
        key = meeting_reminder_key(meeting)
        if Mailing.objects.filter(key=key).exists():
            return None
        people = meeting_reminder_people(meeting)
        recipients = recipients_for(people)
        if not recipients:
            return None
        said_yes = Rsvp.objects.filter(meeting=meeting, answer=Rsvp.Answer.YES)
        coming = set(said_yes.values_list("user_id", flat=True)) & {p.pk for p in people}
        return mailing_create(
            kind=MeetingMail.MEETING_REMINDER,
            recipients=recipients,
            neighbourhood=meeting.neighbourhood,
            subject=meeting,
            context={
                "meeting_id": meeting.pk,
                "starts_at": meeting.starts_at.isoformat(),
                "ends_at": meeting.ends_at.isoformat(),
                "place": meeting.place,
                "meeting_url": _meeting_url(meeting),
                "my_data_url": settings.SITE_URL + reverse("account:my_data"),
                # Who said yes: they read "you said you are coming" (ids only, never shown).
                "coming_ids": sorted(coming),
            },
            key=key,
        )


def meeting_reminders_send_due(now: datetime | None = None) -> int:
    """On the day before a meeting (from REMINDER_FROM), remind those who said yes or asked
    for reminders. One mailing per meeting and date, however often this runs; none for a
    cancelled meeting. Returns how many mailings were made."""
    now = now or timezone.now()
    local = timezone.localtime(now)
    if local.time() < REMINDER_FROM:
        return 0
    tomorrow = local.date() + timedelta(days=1)
    meetings = Meeting.objects.filter(
        status__in=workflow.TAKES_PLACE,
        starts_at__gte=_day_start(tomorrow),
        starts_at__lt=_day_start(tomorrow + timedelta(days=1)),
    ).order_by("starts_at", "pk")
    made = 0
    for meeting_id in meetings.values_list("pk", flat=True):
        if _reminder(meeting_id, now) is not None:
            made += 1
    return made
