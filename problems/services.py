"""Writes to the problem register. Views, forms, commands and tasks call these; nothing else
writes problem rows. Every change appends a timeline entry; none edits one."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from buurtoverleg.mail.models import Mailing
from buurtoverleg.mail.pipeline import mailing_create, recipients_for
from buurtoverleg.public_pages import changes_public_pages
from problems.mail_kinds import ProblemMail
from problems.models import (
    Category,
    ConfidentialView,
    Follow,
    Photo,
    Problem,
    ReopenRequest,
    Support,
    TimelineEntry,
)
from problems.workflow import BY_MOVE, Move, Status, allowed
from residents.mail_preferences import wants
from residents.models import MailTopic, Neighbourhood, User

log = logging.getLogger(__name__)

# The four CAPS tests the chair ticks to confirm a problem is chronic.
CHRONIC_TESTS = (
    ("several_residents", _("It concerns several residents.")),
    ("persists", _("It does not go away by itself.")),
    ("despite_enforcement", _("It persists despite normal enforcement.")),
    ("influenceable", _("It can be influenced with the means available.")),
)
# What the team may edit; each edit is on the timeline with the old values (team only).
EDITABLE = (
    "category",
    "title",
    "description",
    "street",
    "location_detail",
    "public_summary",
    "confidential_details",
)


@dataclass(frozen=True)
class CleanPhoto:
    """An image already re-encoded (problems.photos), ready to store."""

    content: bytes
    extension: str
    width: int
    height: int


def _entry(
    problem: Problem, move: Move, actor: User | None, role: str, **fields: Any
) -> TimelineEntry:
    return TimelineEntry.objects.create(
        problem=problem, move=move, actor=actor, actor_role=role, **fields
    )


@transaction.atomic
def problem_report(
    *,
    neighbourhood: Neighbourhood,
    reporter: User | None,
    category: Category,
    title: str,
    description: str,
    street: str,
    location_detail: str = "",
    latitude: Decimal | None = None,
    longitude: Decimal | None = None,
    times_of_day: Sequence[str] = (),
    days_of_week: Sequence[str] = (),
    since: str = "",
    reporter_name_public: bool = False,
    confidential_details: str = "",
    photos: Sequence[CleanPhoto] = (),
    entered_by: User | None = None,
    entered_by_role: str = "",
    reported_for: str = "",
) -> Problem:
    """A new report: visible to its reporter and the team until someone accepts it."""
    now = timezone.now()
    problem = Problem.objects.create(
        neighbourhood=neighbourhood,
        category=category,
        title=title,
        description=description,
        street=street,
        location_detail=location_detail,
        latitude=latitude,
        longitude=longitude,
        times_of_day=list(times_of_day),
        days_of_week=list(days_of_week),
        since=since,
        sensitive=category.sensitive,
        confidential_details=confidential_details,
        reporter=reporter,
        reported_for=reported_for,
        entered_by=entered_by,
        reporter_name_public=reporter_name_public and reporter is not None,
        created_at=now,
        activity_at=now,
    )
    saved: list[Photo] = []
    try:
        for number, photo in enumerate(photos, start=1):
            row = Photo(problem=problem, width=photo.width, height=photo.height)
            row.image.save(
                f"{problem.pk}-{number}.{photo.extension}", ContentFile(photo.content), save=False
            )
            saved.append(row)
            row.save()
    except Exception:
        for row in saved:  # the transaction rolls back; leave no files behind either
            row.image.delete(save=False)
        raise
    _entry(
        problem,
        Move.REPORT,
        entered_by or reporter,
        entered_by_role if entered_by else "resident",
        to_status=Status.NEW,
    )
    if reporter is not None:
        Follow.objects.get_or_create(problem=problem, user=reporter)
    return problem


@changes_public_pages
def problem_support(*, problem: Problem, user: User) -> bool:
    """'Ik heb hier ook last van'. Returns False if this resident already supports it."""
    try:
        with transaction.atomic():
            # Under the row lock: a merge or status change committing meanwhile is seen.
            locked = Problem.objects.select_for_update().get(pk=problem.pk)
            if not locked.is_actionable:
                raise ValidationError(
                    _("Only accepted, open problems can be supported."), code="not_actionable"
                )
            Support.objects.create(problem=problem, user=user)
            Problem.objects.filter(pk=problem.pk).update(
                support_count=F("support_count") + 1, activity_at=timezone.now()
            )
            Follow.objects.get_or_create(problem=problem, user=user)
    except IntegrityError:  # the database's one-support rule (two taps, two tabs)
        return False
    return True


@changes_public_pages
@transaction.atomic
def problem_support_withdraw(*, problem: Problem, user: User) -> bool:
    deleted, _rows = Support.objects.filter(problem=problem, user=user).delete()
    if deleted:
        Problem.objects.filter(pk=problem.pk).update(support_count=F("support_count") - 1)
    return bool(deleted)


def problem_follow(*, problem: Problem, user: User) -> None:
    Follow.objects.get_or_create(problem=problem, user=user)


def problem_unfollow(*, problem: Problem, user: User) -> bool:
    deleted, _rows = Follow.objects.filter(problem=problem, user=user).delete()
    return bool(deleted)


def _actors(roles: Iterable[str]) -> frozenset[str]:
    return frozenset(roles)


def _acting_role(move: Move, actors: frozenset[str]) -> str:
    """The role the timeline shows for this move: the first the table allows."""
    allowed_actors = BY_MOVE[move].actors if move in BY_MOVE else actors
    for role in sorted(actors & allowed_actors):
        return role
    return next(iter(sorted(actors)), "")


@changes_public_pages
@transaction.atomic
def problem_transition(
    *,
    problem: Problem,
    move: Move,
    actor: User | None,
    actors: Iterable[str],
    public_note: str = "",
    confidential_note: str = "",
    into: Problem | None = None,
    meeting: Any = None,
) -> TimelineEntry:
    """Change a problem's status, if the table allows these actors this move from its status.

    `actors` are the roles the person holds in the problem's neighbourhood
    (residents.permissions.roles_in), or workflow.ROUND / workflow.MEETING.
    """
    roles = _actors(actors)
    locked = Problem.objects.select_for_update().select_related("neighbourhood").get(pk=problem.pk)
    if not allowed(move, locked.status, roles):
        raise PermissionDenied(f"{move} is not allowed from {locked.status} for {sorted(roles)}")
    transition = BY_MOVE[move]
    public_note = public_note.strip()
    if transition.needs_public_note and not public_note:
        raise ValidationError(_("Give a reason; everyone will see it."), code="reason_required")
    if move == Move.MERGE:
        if into is None:
            raise ValidationError(
                _("Choose the problem to merge this one into."), code="merge_target_required"
            )
        into = _merge_target(locked, into)
    now = timezone.now()
    previous = locked.status
    locked.status = transition.target
    locked.activity_at = now
    changed = ["status", "activity_at"]
    if move == Move.ACCEPT:
        locked.accepted_at = now
        changed.append("accepted_at")
    if move == Move.REOPEN:
        locked.reopened_count += 1
        changed.append("reopened_count")
        if locked.accepted_at is None:  # a declined report, accepted now
            locked.accepted_at = now
            changed.append("accepted_at")
        ReopenRequest.objects.filter(problem=locked, handled_at__isnull=True).update(handled_at=now)
    if move == Move.MERGE:
        locked.merged_into = into
        changed.append("merged_into")
    locked.save(update_fields=changed)
    role = _acting_role(move, roles)
    entry = _entry(
        locked,
        move,
        actor,
        role,
        from_status=previous,
        to_status=transition.target,
        public_note=public_note,
        confidential_note=confidential_note.strip(),
        other=into,
        meeting=meeting,
        at=now,
    )
    # The followers of this problem hear of the change (for a merge: before they move on to
    # the problem that stays, whose followers need not hear of a report they never saw).
    problem_followers_notify(problem=locked, entry=entry)
    if into is not None:
        _move_supporters(locked, into)
        _entry(into, Move.MERGED_IN, actor, role, other=locked, at=now)
    problem.status, problem.merged_into = locked.status, locked.merged_into
    return entry


def _merge_target(problem: Problem, into: Problem) -> Problem:
    target = Problem.objects.select_for_update().get(pk=into.pk)
    if target.pk == problem.pk:
        raise ValidationError(_("A problem cannot be merged into itself."), code="merge_into_self")
    if target.neighbourhood_id != problem.neighbourhood_id:
        raise ValidationError(
            _("Only problems of the same neighbourhood can be merged."),
            code="merge_other_neighbourhood",
        )
    if not target.is_actionable:
        raise ValidationError(
            _("Merge into an accepted problem that is still open."), code="merge_target_closed"
        )
    return target


def _move_supporters(old: Problem, new: Problem) -> None:
    """Supports and followers move to the problem that stays; nobody counts twice."""
    for model in (Support, Follow):
        have = set(model.objects.filter(problem=new).values_list("user_id", flat=True))
        model.objects.filter(problem=old).exclude(user_id__in=have).update(problem=new)
        model.objects.filter(problem=old).delete()
    count = Support.objects.filter(problem=new).count()
    Problem.objects.filter(pk=new.pk).update(support_count=count, activity_at=timezone.now())
    Problem.objects.filter(pk=old.pk).update(support_count=0)


def problem_followers_notify(*, problem: Problem, entry: TimelineEntry) -> Mailing | None:
    """Followers hear about a status change through the mail ledger (never the actor)."""
    followers = (
        User.objects.filter(follows__problem=problem, is_active=True)
        .filter(wants(MailTopic.PROBLEM_STATUS, problem.neighbourhood_id))
        .exclude(pk=entry.actor_id or 0)
    )
    recipients = recipients_for(followers.exclude(email=None).order_by("pk"))
    if not recipients:
        return None
    return mailing_create(
        kind=ProblemMail.PROBLEM_STATUS,
        recipients=recipients,
        neighbourhood=problem.neighbourhood,
        subject=problem,
        context={
            "problem_id": problem.pk,
            "entry_id": entry.pk,
            "problem_url": settings.SITE_URL + problem.get_absolute_url(),
        },
        key=f"problem-status:{entry.pk}",
    )


@changes_public_pages
@transaction.atomic
def problem_edit(
    *, problem: Problem, actor: User, role: str, **values: Any
) -> TimelineEntry | None:
    """The team edits category and text. Returns None when nothing changed."""
    unknown = set(values) - set(EDITABLE)
    if unknown:
        raise ValueError(f"Not editable: {sorted(unknown)}")
    locked = Problem.objects.select_for_update().get(pk=problem.pk)
    changes: dict[str, Any] = {}
    for field, value in values.items():
        old = getattr(locked, field)
        if old != value:
            changes[field] = str(old.pk if field == "category" else old)
            setattr(locked, field, value)
    if not changes:
        return None
    if "category" in changes:
        # Once sensitive, always: a move to another category never publishes the details.
        locked.sensitive = locked.sensitive or locked.category.sensitive
    locked.activity_at = timezone.now()
    locked.save()
    return _entry(locked, Move.EDIT, actor, role, changes=changes)


@changes_public_pages
@transaction.atomic
def problem_confirm_chronic(
    *, problem: Problem, actor: User, role: str, tests: dict[str, bool], note: str = ""
) -> TimelineEntry:
    if not all(tests.get(key) for key, _label in CHRONIC_TESTS):
        raise ValidationError(
            _("A problem is chronic only when all four tests hold."), code="chronic_tests"
        )
    locked = Problem.objects.select_for_update().get(pk=problem.pk)
    if not locked.is_actionable:
        raise ValidationError(
            _("Only accepted, open problems can be confirmed as chronic."), code="not_actionable"
        )
    if locked.chronic_confirmed_at is not None:
        raise ValidationError(
            _("This problem has already been confirmed as chronic."), code="already_chronic"
        )
    locked.chronic_confirmed_at = timezone.now()
    locked.save(update_fields=["chronic_confirmed_at"])
    return _entry(
        locked, Move.CHRONIC, actor, role, public_note=note.strip(), changes={"tests": tests}
    )


@changes_public_pages
@transaction.atomic
def problem_reopen_request(*, problem: Problem, user: User, note: str) -> ReopenRequest:
    """A resident asks the chair to reopen a resolved, parked or declined problem."""
    if problem.status not in BY_MOVE[Move.REOPEN].sources:
        raise ValidationError(
            _("Only resolved, parked or declined problems can be reopened."),
            code="not_reopenable",
        )
    if ReopenRequest.objects.filter(problem=problem, user=user, handled_at__isnull=True).exists():
        raise ValidationError(
            _("You have already asked; the chair will look at it."), code="already_asked"
        )
    request = ReopenRequest.objects.create(problem=problem, user=user, note=note.strip())
    _entry(problem, Move.REOPEN_REQUEST, user, "resident")
    return request


def confidential_views_log(*, problems: Iterable[Problem], user: User) -> None:
    """A screen showed these problems' confidential details: one row each. Called only by
    problems.confidential.confidential_access, which first checks the second factor."""
    ConfidentialView.objects.bulk_create(
        ConfidentialView(problem=problem, user=user)
        for problem in {p.pk: p for p in problems}.values()
    )
