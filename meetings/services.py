"""Writes for meetings: the agenda, proposals, RSVPs, attendance and running the meeting live.

(The outgoing-mail pipeline is in meetings/services.py.) Every change the projector shows
raises `Meeting.version`, so the projector's poll is one indexed read of that number.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Max, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from buurtoverleg.mail.models import Mailing
from buurtoverleg.mail.pipeline import mailing_create, recipients_for
from buurtoverleg.public_pages import changes_public_pages
from meetings import workflow
from meetings.mail_kinds import MeetingMail
from meetings.planning.models import (
    AgendaItem,
    AgendaItemProblem,
    AgendaProposal,
    Meeting,
    Rsvp,
    new_projector_key,
)
from meetings.room.models import Attendance
from meetings.selectors import new_since
from meetings.workflow import Move
from problems.models import Problem
from problems.workflow import Status as ProblemStatus
from residents.mail_preferences import wants
from residents.models import MailTopic, Membership, Neighbourhood, Organisation, Role, User

Kind = AgendaItem.Kind

# PRODUCT.md "The meeting": the CAPS agenda, each item time-boxed (minutes).
DEFAULT_AGENDA: tuple[tuple[str, int], ...] = (
    (Kind.OPENING, 5),
    (Kind.REPORT_BACK, 20),
    (Kind.STATE, 10),
    (Kind.NEW_PROBLEMS, 15),
    (Kind.PRIORITISE, 15),
    (Kind.APPROACH, 25),
    (Kind.ANY_OTHER, 10),
    (Kind.CLOSING, 5),
)
TEXT_FIELDS = ("notes", "decision")


class MeetingStateError(ValidationError):
    """The meeting is not in a state that allows this (e.g. editing a closed agenda): the
    message tells the person so, the code names the refusal."""


# What a person is told when the meeting's state refuses a write. A view that checks the same
# rule before calling the service (with the time, or to skip the call) shows the same words.
RSVP_CLOSED = _("You can no longer answer for this meeting: it is over or cancelled.")
PROPOSALS_CLOSED = _(
    "You can no longer propose items for this meeting: it has started or is cancelled."
)
NOT_EDITABLE = _(
    "The agenda of this meeting can no longer be changed: the meeting is over or cancelled."
)
NOT_DECIDABLE = _(
    "This proposal cannot be decided now: it was already decided, or the agenda can "
    "no longer be changed."
)
NOT_LIVE = _("The meeting is not in progress, so nothing was changed.")


def meeting_touch(meeting: Meeting) -> None:
    """Something the projector shows has changed."""
    Meeting.objects.filter(pk=meeting.pk).update(version=F("version") + 1)


def _require(meeting: Meeting, allowed: frozenset[str], message: Any, code: str) -> None:
    """The meeting's status allows this (a set of meetings.workflow); else MeetingStateError
    with what the person is told."""
    if meeting.status not in allowed:
        raise MeetingStateError(message, code=code)


def _require_move(meeting: Meeting, move: Move, message: Any, code: str) -> workflow.Transition:
    """The meeting may make this transition (meetings.workflow.TRANSITIONS)."""
    transition = workflow.BY_MOVE[move]
    _require(meeting, transition.sources, message, code)
    return transition


def _require_recordable(meeting: Meeting, *, cancelled: Any, published: Any) -> None:
    """The meeting's own record can still change (workflow.RECORDABLE); else what the person is
    told when the meeting was cancelled, or when its minutes are published."""
    if meeting.status in workflow.RECORDABLE:
        return
    if meeting.status == workflow.Status.CANCELLED:
        raise MeetingStateError(cancelled, code="meeting_cancelled")
    raise MeetingStateError(published, code="minutes_published")


def _agenda_editable(meeting: Meeting) -> None:
    _require(meeting, workflow.AGENDA_EDITABLE, NOT_EDITABLE, "agenda_not_editable")


# --- Planning --------------------------------------------------------------------------------


@changes_public_pages
@transaction.atomic
def meeting_create(
    *, neighbourhood: Neighbourhood, starts_at: datetime, ends_at: datetime, place: str
) -> Meeting:
    """A meeting planned by hand, with the default agenda."""
    meeting = Meeting.objects.create(
        neighbourhood=neighbourhood, starts_at=starts_at, ends_at=ends_at, place=place
    )
    agenda_default_create(meeting=meeting)
    return meeting


@changes_public_pages
@transaction.atomic
def agenda_default_create(*, meeting: Meeting) -> list[AgendaItem]:
    """Give a meeting without items the default CAPS agenda. Does nothing when it has items."""
    if meeting.items.exists():
        return []
    items = AgendaItem.objects.bulk_create(
        AgendaItem(meeting=meeting, position=n, kind=kind, minutes=minutes)
        for n, (kind, minutes) in enumerate(DEFAULT_AGENDA, start=1)
    )
    agenda_new_problems_fill(meeting=meeting)
    return items


def new_problems_for(meeting: Meeting) -> list[Problem]:
    """Candidates for the priority round, and problems accepted since the previous meeting."""
    since = new_since(meeting).at
    return list(
        Problem.objects.for_neighbourhood(meeting.neighbourhood_id)
        .public()
        .filter(
            Q(status=ProblemStatus.CANDIDATE)
            | Q(status=ProblemStatus.ACCEPTED, accepted_at__gte=since)
        )
        .order_by("-support_count", "pk")
    )


@changes_public_pages
@transaction.atomic
def agenda_new_problems_fill(*, meeting: Meeting) -> int:
    """Add to the "New problems" item what belongs there now; never removes the chair's
    choices. Returns how many problems were added."""
    item = meeting.items.filter(kind=Kind.NEW_PROBLEMS).order_by("position").first()
    if item is None:
        return 0
    known = set(item.links.values_list("problem_id", flat=True))
    start = (item.links.aggregate(last=Max("position"))["last"] or 0) + 1
    new = [p for p in new_problems_for(meeting) if p.pk not in known]
    AgendaItemProblem.objects.bulk_create(
        AgendaItemProblem(item=item, problem=p, position=start + n) for n, p in enumerate(new)
    )
    if new:
        meeting_touch(meeting)
    return len(new)


def _next_position(meeting: Meeting, before_kind: str | None = None) -> int:
    """The end of the agenda, or the place of the first item of `before_kind` (the others
    shift down one)."""
    if before_kind:
        anchor = meeting.items.filter(kind=before_kind).order_by("position").first()
        if anchor:
            meeting.items.filter(position__gte=anchor.position).update(position=F("position") + 1)
            return anchor.position
    return (meeting.items.aggregate(last=Max("position"))["last"] or 0) + 1


@changes_public_pages
@transaction.atomic
def agenda_item_add(
    *,
    meeting: Meeting,
    title: str,
    description: str = "",
    minutes: int = 10,
    kind: str = Kind.OTHER,
    before_kind: str | None = Kind.ANY_OTHER,
) -> AgendaItem:
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    _agenda_editable(meeting)
    item = AgendaItem.objects.create(
        meeting=meeting,
        position=_next_position(meeting, before_kind),
        kind=kind,
        title=title,
        description=description,
        minutes=minutes,
    )
    meeting_touch(meeting)
    return item


@changes_public_pages
@transaction.atomic
def agenda_item_edit(*, item: AgendaItem, title: str, description: str, minutes: int) -> AgendaItem:
    _agenda_editable(item.meeting)
    AgendaItem.objects.filter(pk=item.pk).update(
        title=title, description=description, minutes=minutes
    )
    meeting_touch(item.meeting)
    item.refresh_from_db()
    return item


@changes_public_pages
@transaction.atomic
def agenda_item_remove(*, item: AgendaItem) -> None:
    meeting = Meeting.objects.select_for_update().get(pk=item.meeting_id)
    _agenda_editable(meeting)
    if meeting.current_item_id == item.pk:
        raise MeetingStateError(
            _("This item is being discussed now. Go to another item before removing it."),
            code="item_current",
        )
    AgendaProposal.objects.filter(item=item).update(status=AgendaProposal.Status.PENDING, item=None)
    discussed = _problem_ids(item) if _was_started(item) else []
    item.delete()
    problems_discussed_recount(problem_ids=discussed)
    meeting_touch(meeting)


@changes_public_pages
@transaction.atomic
def agenda_item_move(*, item: AgendaItem, direction: Literal["up", "down"]) -> bool:
    """Swap an item with its neighbour. Returns False at the top or bottom."""
    meeting = Meeting.objects.select_for_update().get(pk=item.meeting_id)
    _agenda_editable(meeting)
    items = list(meeting.items.order_by("position", "pk"))
    index = next(n for n, i in enumerate(items) if i.pk == item.pk)
    other = index - 1 if direction == "up" else index + 1
    if not 0 <= other < len(items):
        return False
    items[index], items[other] = items[other], items[index]
    for n, row in enumerate(items, start=1):  # renumber: also repairs gaps and ties
        if row.position != n:
            AgendaItem.objects.filter(pk=row.pk).update(position=n)
    meeting_touch(meeting)
    return True


@changes_public_pages
@transaction.atomic
def agenda_item_problems_set(*, item: AgendaItem, problems: list[Problem]) -> None:
    """The problems under an item, in this order (public problems of the same neighbourhood)."""
    _agenda_editable(item.meeting)
    if any(p.neighbourhood_id != item.meeting.neighbourhood_id for p in problems):
        raise ValueError("problems must be problems of the meeting's neighbourhood")
    if not all(p.is_public for p in problems):  # e.g. hidden since the list was shown
        raise ValidationError(
            {
                "problems": ValidationError(
                    _("Choose public problems of this neighbourhood."), code="problem_not_public"
                )
            }
        )
    before = _problem_ids(item)
    item.links.all().delete()
    AgendaItemProblem.objects.bulk_create(
        AgendaItemProblem(item=item, problem=p, position=n) for n, p in enumerate(problems)
    )
    if _was_started(item):  # problems put under (or taken from) an item that ran
        problems_discussed_recount(problem_ids=[*before, *(p.pk for p in problems)])
    meeting_touch(item.meeting)


# What else happens, in the same transaction, when a meeting's agenda is published: a feature
# registers it here (in the order its module is imported by MeetingsConfig.ready()), so that
# the meeting's lifecycle imports no feature.
AGENDA_PUBLISHED: list[Callable[[Meeting], object]] = []


def on_agenda_published[F: Callable[[Meeting], object]](func: F) -> F:
    """Register `func(meeting)` to run when the agenda of `meeting` is published."""
    AGENDA_PUBLISHED.append(func)
    return func


@changes_public_pages
@transaction.atomic
def agenda_publish(*, meeting: Meeting) -> Meeting:
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    transition = _require_move(
        meeting,
        Move.PUBLISH_AGENDA,
        _(
            "The agenda cannot be published now: it is already published, or the meeting has "
            "started or is cancelled."
        ),
        "agenda_not_publishable",
    )
    agenda_default_create(meeting=meeting)
    agenda_new_problems_fill(meeting=meeting)
    Meeting.objects.filter(pk=meeting.pk).update(
        status=transition.target, agenda_published_at=timezone.now(), version=F("version") + 1
    )
    meeting.refresh_from_db()
    # The priority round opens (meetings.rounds.services); once committed, a late agenda mail
    # goes out at once (meetings.agenda_mail.services).
    for then in AGENDA_PUBLISHED:
        then(meeting)
    return meeting


@changes_public_pages
@transaction.atomic
def agenda_unpublish(*, meeting: Meeting) -> Meeting:
    """Back to draft, e.g. published by mistake (only before the meeting starts)."""
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    transition = _require_move(
        meeting,
        Move.UNPUBLISH_AGENDA,
        _("The agenda can only be taken back before the meeting starts."),
        "agenda_not_unpublishable",
    )
    Meeting.objects.filter(pk=meeting.pk).update(status=transition.target, version=F("version") + 1)
    meeting.refresh_from_db()
    return meeting


# --- Moving and cancelling (residents are told through the mail ledger) ---------------------


def _told_about_changes(meeting: Meeting) -> list[User]:
    """Active members who did not turn the agenda mail off: whether or not they said they would
    come, since the agenda is on unless turned off, and a "no" is never overruled."""
    members = User.objects.filter(
        is_active=True,
        memberships__neighbourhood=meeting.neighbourhood_id,
        memberships__status=Membership.Status.ACTIVE,
    ).exclude(email=None)
    wanted = wants(MailTopic.AGENDA, meeting.neighbourhood_id)
    return list(members.filter(wanted).distinct().order_by("pk"))


def _meeting_mail(meeting: Meeting, kind: str, by: User, key: str) -> Mailing:
    return mailing_create(
        kind=kind,
        recipients=recipients_for(_told_about_changes(meeting)),
        neighbourhood=meeting.neighbourhood,
        subject=meeting,
        context={
            "meeting_id": meeting.pk,
            "meeting_url": settings.SITE_URL
            + reverse("planning:meeting", args=[meeting.neighbourhood.slug, meeting.pk]),
        },
        created_by=by,
        key=key,
    )


@changes_public_pages
@transaction.atomic
def meeting_move(
    *, meeting: Meeting, starts_at: datetime, ends_at: datetime, place: str, by: User
) -> Meeting:
    meeting = Meeting.objects.select_for_update().select_related("neighbourhood").get(pk=meeting.pk)
    _require(
        meeting,
        workflow.CHANGEABLE,
        _("This meeting can no longer be moved: it has started, is over or is cancelled."),
        "meeting_not_movable",
    )
    if ends_at <= starts_at:
        raise ValidationError(
            {
                "ends_at": ValidationError(
                    _("The meeting must end after it starts."), code="ends_before_start"
                )
            }
        )
    changed_time = starts_at != meeting.starts_at
    if not changed_time and place == meeting.place and ends_at == meeting.ends_at:
        return meeting
    if changed_time and meeting.moved_from is None:
        meeting.moved_from = meeting.starts_at
    meeting.starts_at, meeting.ends_at, meeting.place = starts_at, ends_at, place
    meeting.version = F("version") + 1
    meeting.save()
    meeting.refresh_from_db()
    _meeting_mail(
        meeting,
        MeetingMail.MEETING_MOVED,
        by,
        key=f"meeting-moved:{meeting.pk}:{meeting.version}",  # one mail per move
    )
    return meeting


@changes_public_pages
@transaction.atomic
def meeting_cancel(*, meeting: Meeting, reason: str, by: User) -> Meeting:
    meeting = Meeting.objects.select_for_update().select_related("neighbourhood").get(pk=meeting.pk)
    transition = _require_move(
        meeting,
        Move.CANCEL,
        _(
            "This meeting can no longer be cancelled: it has started, is over or is already "
            "cancelled."
        ),
        "meeting_not_cancellable",
    )
    if not reason.strip():
        raise ValidationError(
            {
                "reason": ValidationError(
                    _("Give a reason: residents want to know why the meeting is cancelled."),
                    code="reason_required",
                )
            }
        )
    meeting.status, meeting.cancelled_reason = transition.target, reason.strip()
    meeting.version = F("version") + 1
    meeting.save()
    meeting.refresh_from_db()
    _meeting_mail(
        meeting,
        MeetingMail.MEETING_CANCELLED,
        by,
        key=f"meeting-cancelled:{meeting.pk}",
    )
    return meeting


@transaction.atomic
def meeting_roles_set(
    *, meeting: Meeting, chair: User | None, minute_taker: User | None
) -> Meeting:
    """Who chairs and who takes the minutes (roles rotate; set at the previous closing)."""
    for field, person in (("chair", chair), ("minute_taker", minute_taker)):
        if (
            person is not None
            and not Membership.objects.active()
            .filter(user=person, neighbourhood=meeting.neighbourhood_id)
            .exists()
        ):  # e.g. no longer a member since the form was shown
            raise ValidationError(
                {
                    field: ValidationError(
                        _("Choose a member of this neighbourhood."), code="not_a_member"
                    )
                }
            )
    Meeting.objects.filter(pk=meeting.pk).update(chair=chair, minute_taker=minute_taker)
    meeting.refresh_from_db()
    return meeting


@transaction.atomic
def projector_key_rotate(*, meeting: Meeting) -> str:
    """Revoke the projector link: the old one stops working at once."""
    key = new_projector_key()
    Meeting.objects.filter(pk=meeting.pk).update(projector_key=key, version=F("version") + 1)
    return key


# --- Proposals and RSVPs ----------------------------------------------------------------------


@transaction.atomic
def proposal_create(
    *, meeting: Meeting, by: User, title: str, description: str = ""
) -> AgendaProposal:
    _require(meeting, workflow.PROPOSALS_OPEN, PROPOSALS_CLOSED, "proposals_closed")
    return AgendaProposal.objects.create(
        meeting=meeting, proposed_by=by, title=title.strip(), description=description.strip()
    )


@transaction.atomic
def proposal_decide(
    *, proposal: AgendaProposal, accept: bool, by: User, reason: str = "", minutes: int = 10
) -> AgendaProposal:
    proposal = AgendaProposal.objects.select_for_update().get(pk=proposal.pk)
    if proposal.status != AgendaProposal.Status.PENDING:
        raise MeetingStateError(NOT_DECIDABLE, code="proposal_decided")
    if not accept and not reason.strip():
        raise ValidationError(
            {
                "reason": ValidationError(
                    _("Give a reason: the resident wants to know why."), code="reason_required"
                )
            }
        )
    if accept:
        try:
            proposal.item = agenda_item_add(
                meeting=proposal.meeting,
                title=proposal.title,
                description=proposal.description,
                minutes=minutes,
            )
        except MeetingStateError as refused:
            raise MeetingStateError(NOT_DECIDABLE, code=refused.code) from None
    proposal.status = AgendaProposal.Status.ACCEPTED if accept else AgendaProposal.Status.DECLINED
    proposal.reason = reason.strip()
    proposal.decided_by, proposal.decided_at = by, timezone.now()
    proposal.save()
    return proposal


@transaction.atomic
def rsvp_set(*, meeting: Meeting, user: User, answer: str) -> Rsvp:
    _require(meeting, workflow.RSVP_OPEN, RSVP_CLOSED, "rsvp_closed")
    if answer not in Rsvp.Answer.values:
        raise ValueError(answer)
    rsvp, _created = Rsvp.objects.update_or_create(
        meeting=meeting, user=user, defaults={"answer": answer, "updated_at": timezone.now()}
    )
    return rsvp


# --- Attendance --------------------------------------------------------------------------------


def _is_newcomer(meeting: Meeting, user: User | None) -> bool:
    if user is None:
        return False
    return not Attendance.objects.filter(
        user=user,
        meeting__neighbourhood=meeting.neighbourhood_id,
        meeting__starts_at__lt=meeting.starts_at,
    ).exists()


def _attendance_recordable(meeting: Meeting) -> None:
    _require_recordable(
        meeting,
        cancelled=_("This meeting was cancelled: there is no attendance to record."),
        published=_(
            "The minutes of this meeting are published: the attendance list can no longer change."
        ),
    )


def attendance_record(
    *,
    meeting: Meeting,
    by: User | None,
    user: User | None = None,
    name: str = "",
    organisation: Organisation | None = None,
    kind: str = Attendance.Kind.RESIDENT,
    source: str = Attendance.Source.RECORDED,
) -> tuple[Attendance, bool]:
    """Someone was there. Idempotent per person: (the row, whether it is new)."""
    _attendance_recordable(meeting)
    if user is None and not name.strip():
        raise ValidationError(
            {"name": ValidationError(_("Enter the name of the visitor."), code="name_required")}
        )
    if user is not None:
        existing = Attendance.objects.filter(meeting=meeting, user=user).first()
        if existing:
            return existing, False
    try:
        with transaction.atomic():
            row = Attendance.objects.create(
                meeting=meeting,
                user=user,
                name="" if user else name.strip(),
                organisation=organisation,
                kind=kind,
                source=source,
                newcomer=_is_newcomer(meeting, user),
                recorded_by=by,
            )
    except IntegrityError:  # a second tab or a double click got there first
        return Attendance.objects.get(meeting=meeting, user=user), False
    meeting_touch(meeting)
    return row, True


@transaction.atomic
def attendance_remove(*, attendance: Attendance) -> None:
    _attendance_recordable(attendance.meeting)
    attendance.delete()
    meeting_touch(attendance.meeting)


@transaction.atomic
def walk_ins_set(*, meeting: Meeting, count: int) -> None:
    _attendance_recordable(meeting)
    if not 0 <= count <= 1000:
        raise ValueError(count)
    Meeting.objects.filter(pk=meeting.pk).update(walk_ins=count, version=F("version") + 1)


def check_in_refusal(meeting: Meeting) -> MeetingStateError | None:
    """Why a member cannot check in to this meeting now, or None when they can."""
    if meeting.status == workflow.Status.CANCELLED:
        return MeetingStateError(_("This meeting was cancelled."), code="meeting_cancelled")
    over = _("This meeting is over: checking in is no longer possible.")
    if meeting.status not in workflow.CHECK_IN_OPEN:
        return MeetingStateError(over, code="meeting_over")
    day, today = timezone.localdate(meeting.starts_at), timezone.localdate()
    if day > today:
        return MeetingStateError(
            _("You can check in on the day of the meeting."), code="check_in_not_yet"
        )
    if day < today:
        return MeetingStateError(over, code="meeting_over")
    return None


def check_in(*, meeting: Meeting, user: User) -> tuple[Attendance, bool]:
    """A logged-in member checks themselves in (QR code on the projector), on the day."""
    refusal = check_in_refusal(meeting)
    if refusal is not None:
        raise refusal
    professional = (
        Membership.objects.active()
        .filter(user=user, neighbourhood=meeting.neighbourhood_id, role=Role.PROFESSIONAL)
        .select_related("organisation")
        .first()
    )
    return attendance_record(
        meeting=meeting,
        by=user,
        user=user,
        kind=Attendance.Kind.PROFESSIONAL if professional else Attendance.Kind.RESIDENT,
        organisation=professional.organisation if professional else None,
        source=Attendance.Source.CHECK_IN,
    )


# --- Running the meeting -----------------------------------------------------------------------


def _stop_turn(item: AgendaItem | None, now: datetime) -> None:
    if item is not None and item.started_at is not None:
        spent = int((now - item.started_at).total_seconds())
        # A turn counts at least a second: spent_seconds > 0 is how a stopped item stays
        # known as started (_started, Problem.discussed_count).
        AgendaItem.objects.filter(pk=item.pk).update(
            started_at=None, spent_seconds=F("spent_seconds") + max(spent, 1)
        )


def _started(via: str = "") -> Q:
    """An agenda item was actually started: it is running now, or a turn of it ran."""
    return Q(**{f"{via}started_at__isnull": False}) | Q(**{f"{via}spent_seconds__gt": 0})


def _was_started(item: AgendaItem) -> bool:
    return AgendaItem.objects.filter(_started(), pk=item.pk).exists()


def _problem_ids(item: AgendaItem) -> list[int]:
    return list(item.links.values_list("problem_id", flat=True))


@transaction.atomic
def problems_discussed_recount(*, problem_ids: Iterable[int]) -> None:
    """Problem.discussed_count of these problems: at how many meetings an agenda item naming
    the problem was actually started (a chronic signal). Counted from the agenda rather than
    incremented, so a second start of an item, or two items of one meeting naming the same
    problem, count once. (A data migration of meetings filled it from past meetings so.)"""
    ids = sorted(set(problem_ids))
    if not ids:
        return
    # Lock first, in a fixed order: the count below then sees what a concurrent start of
    # another meeting committed, and cannot be overwritten by that start's older count.
    list(Problem.objects.select_for_update().filter(pk__in=ids).order_by("pk").values("pk"))
    meetings = (
        AgendaItemProblem.objects.filter(_started("item__"), problem=OuterRef("pk"))
        .order_by()
        .values("problem")
        .annotate(n=Count("item__meeting", distinct=True))
        .values("n")
    )
    Problem.objects.filter(pk__in=ids).update(discussed_count=Coalesce(Subquery(meetings), 0))


def _locked(meeting: Meeting) -> Meeting:
    # of=self: PostgreSQL cannot lock the nullable side of the outer join to current_item.
    return (
        Meeting.objects.select_for_update(of=("self",))
        .select_related("current_item")
        .get(pk=meeting.pk)
    )


@changes_public_pages
@transaction.atomic
def meeting_start(*, meeting: Meeting) -> Meeting:
    """Start the meeting at its first item. Starting a started meeting does nothing."""
    meeting = _locked(meeting)
    transition = workflow.BY_MOVE[Move.START]
    if meeting.status == transition.target:  # started already: a second click or tab
        return meeting
    if meeting.status not in transition.sources:
        raise MeetingStateError(
            _("This meeting cannot be started: it is %(status)s."),
            code="meeting_not_startable",
            params={"status": meeting.get_status_display().lower()},
        )
    agenda_default_create(meeting=meeting)
    first = meeting.items.order_by("position", "pk").first()
    now = timezone.now()
    if first is not None:
        AgendaItem.objects.filter(pk=first.pk).update(started_at=now)
        problems_discussed_recount(problem_ids=_problem_ids(first))
    Meeting.objects.filter(pk=meeting.pk).update(
        status=transition.target, started_at=now, current_item=first, version=F("version") + 1
    )
    meeting.refresh_from_db()
    return meeting


@transaction.atomic
def meeting_go_to(
    *,
    meeting: Meeting,
    item: AgendaItem | None = None,
    step: int = 0,
    mark_done: bool = False,
    seen: int | None = None,
) -> Meeting:
    """Make `item` (or the item `step` places from the current one) current.

    `seen` is the current item the chair's screen showed when "next" was clicked. When the
    database has moved on since (a double click, a second tab), the click is not applied
    again: the meeting moves one item per intended click."""
    meeting = _locked(meeting)
    _require(meeting, workflow.LIVE, NOT_LIVE, "meeting_not_live")
    if seen is not None and meeting.current_item_id != seen:
        return meeting
    items = list(meeting.items.order_by("position", "pk"))
    current = meeting.current_item
    if item is None:
        index = next((n for n, i in enumerate(items) if current and i.pk == current.pk), -1)
        target = index + step
        if not 0 <= target < len(items):
            if mark_done and current is not None:
                item_done(item=current, meeting=meeting)
            return meeting
        item = items[target]
    elif item.meeting_id != meeting.pk:
        raise ValueError("item of another meeting")
    else:
        item = next((i for i in items if i.pk == item.pk), item)  # as the database has it now
    now = timezone.now()
    if current is not None and current.pk != item.pk:
        _stop_turn(current, now)
        if mark_done:
            AgendaItem.objects.filter(pk=current.pk, done_at=None).update(done_at=now)
    if item.started_at is None and (current is None or current.pk != item.pk):
        AgendaItem.objects.filter(pk=item.pk).update(started_at=now)
        if not item.spent_seconds:  # its first turn: its problems are discussed here
            problems_discussed_recount(problem_ids=_problem_ids(item))
    Meeting.objects.filter(pk=meeting.pk).update(current_item=item, version=F("version") + 1)
    meeting.refresh_from_db()
    return meeting


@transaction.atomic
def item_done(*, item: AgendaItem, meeting: Meeting | None = None) -> None:
    """Mark an item done (its timer stops); it stays current until the chair moves on."""
    now = timezone.now()
    item.refresh_from_db()
    _stop_turn(item, now)
    AgendaItem.objects.filter(pk=item.pk, done_at=None).update(done_at=now)
    meeting_touch(meeting or item.meeting)


@transaction.atomic
def item_reopen(*, item: AgendaItem) -> None:
    AgendaItem.objects.filter(pk=item.pk).update(done_at=None)
    meeting_touch(item.meeting)


@changes_public_pages
@transaction.atomic
def meeting_close(*, meeting: Meeting) -> Meeting:
    """End the meeting: the running item's timer stops. Closing twice does nothing."""
    meeting = _locked(meeting)
    transition = workflow.BY_MOVE[Move.CLOSE]
    if meeting.status == transition.target:  # closed already: a second click or tab
        return meeting
    _require(meeting, transition.sources, NOT_LIVE, "meeting_not_live")
    now = timezone.now()
    _stop_turn(meeting.current_item, now)
    Meeting.objects.filter(pk=meeting.pk).update(
        status=transition.target, closed_at=now, current_item=None, version=F("version") + 1
    )
    meeting.refresh_from_db()
    return meeting


@dataclass(frozen=True)
class TextConflict(Exception):  # it is an outcome the screen shows, not a crash
    """Someone else saved this text since the version the browser started from."""

    field: str
    theirs: str
    version: int


@transaction.atomic
def item_text_save(*, item: AgendaItem, field: str, text: str, base_version: int) -> int:
    """Save notes or a decision when nobody saved in between; returns the new version.

    The update is conditional on the version the browser based its text on, so two tabs or a
    late retry never overwrite each other: the loser gets TextConflict with the other text.
    Saving the text that is already there is not a conflict (a retry of a save that landed).
    """
    if field not in TEXT_FIELDS:
        raise ValueError(field)
    meeting = Meeting.objects.only("status").get(pk=item.meeting_id)
    locked = _("This meeting was cancelled: its texts can no longer be changed.")
    _require_recordable(meeting, cancelled=locked, published=locked)
    version_field = f"{field}_version"
    updated = AgendaItem.objects.filter(pk=item.pk, **{version_field: base_version}).update(
        **{
            field: text,
            version_field: F(version_field) + 1,
            f"{field}_saved_at": timezone.now(),
        }
    )
    current = AgendaItem.objects.values(field, version_field).get(pk=item.pk)
    if not updated and current[field] != text:
        raise TextConflict(field=field, theirs=current[field], version=current[version_field])
    return int(current[version_field])
