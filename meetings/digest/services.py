"""The progress digest: a short mail to residents between meetings about what changed in their
neighbourhood. At most one per neighbourhood per ISO week (keyed), and never an empty one.

What counts as a change since the previous digest of the neighbourhood (or, for the first,
the last week): a public problem's status changed (its timeline's status moves), an action of
a public problem has news (its public history, not edits), or a priority round opened and is
still open. Only public fields are read for the mail: a problem's public title (a sensitive
problem's summary), an action's outcome, owner organisation, status and public progress
texts. Nobody is named: not reporters, owners, or whoever posted an update.

The mailing records the ids and values it is about; the templates read the problems and
actions once per sending run (meetings.templatetags.agenda_mail_tags.digest_rows), so a
problem's public title shows in each reader's language.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from buurtoverleg.mail.models import Mailing
from buurtoverleg.mail.pipeline import mailing_create, recipients_for
from meetings.actions.models import Action, ActionStatus, ActionUpdate
from meetings.mail_kinds import MeetingMail
from meetings.rounds.models import PriorityRound
from problems.models import Problem, TimelineEntry
from problems.workflow import BY_MOVE, Status
from residents.mail_preferences import wants
from residents.models import MailTopic, Membership, Neighbourhood, Role, User

# The first digest of a neighbourhood looks back this far.
FIRST_LOOKBACK = timedelta(days=7)
# Timeline moves that change a problem's status (edits, reports and requests are not news).
STATUS_MOVES = frozenset(str(move) for move in BY_MOVE)
# An action's public history, except edits of its wording.
ACTION_NEWS = frozenset(ActionUpdate.Kind.values) - {ActionUpdate.Kind.EDIT}
# Updates whose text is the news itself (progress, why delayed, the reason of a status).
ACTION_TEXTS = frozenset(
    {ActionUpdate.Kind.PROGRESS, ActionUpdate.Kind.DELAY, ActionUpdate.Kind.STATUS}
)


def digest_key(neighbourhood: Neighbourhood, now: datetime) -> str:
    year, week, _day = timezone.localdate(now).isocalendar()
    return f"digest:{neighbourhood.pk}:{year}-W{week:02d}"


def digest_since(neighbourhood: Neighbourhood, now: datetime) -> datetime:
    """Where the previous digest of the neighbourhood ended (or a week ago for the first)."""
    previous = (
        Mailing.objects.filter(kind=MeetingMail.DIGEST, neighbourhood=neighbourhood)
        .order_by("-created_at", "-pk")
        .first()
    )
    if previous is None:
        return now - FIRST_LOOKBACK
    until = previous.context.get("until")
    parsed = parse_datetime(until) if isinstance(until, str) else None
    return parsed or previous.created_at


def digest_people(neighbourhood: Neighbourhood) -> list[User]:
    """Active residents of the neighbourhood who want the digest and have an address."""
    return list(
        User.objects.filter(
            is_active=True,
            anonymised_at__isnull=True,
            memberships__neighbourhood=neighbourhood,
            memberships__role=Role.RESIDENT,
            memberships__status=Membership.Status.ACTIVE,
        )
        .filter(wants(MailTopic.DIGEST, neighbourhood))
        .exclude(Q(email=None) | Q(email=""))
        .distinct()
        .order_by("pk")
    )


def digest_changes(
    neighbourhood: Neighbourhood, since: datetime, until: datetime
) -> dict[str, list[dict[str, Any]]]:
    """What changed in (since, until], as JSON for the mailing: ids and public values only."""
    public = Problem.objects.public().filter(neighbourhood=neighbourhood)
    problems: dict[int, str] = {}
    for problem_id, to_status in (
        TimelineEntry.objects.filter(
            problem__in=public.values("pk"),
            move__in=STATUS_MOVES,
            at__gt=since,
            at__lte=until,
        )
        .exclude(to_status="")
        .order_by("at", "pk")
        .values_list("problem_id", "to_status")
    ):
        problems.pop(problem_id, None)  # in the order of their latest change
        problems[problem_id] = to_status
    actions: dict[int, dict[str, Any]] = {}
    for action_id, kind, text in (
        ActionUpdate.objects.filter(
            action__neighbourhood=neighbourhood,
            action__problem__in=public.values("pk"),
            kind__in=ACTION_NEWS,
            at__gt=since,
            at__lte=until,
        )
        .order_by("at", "pk")
        .values_list("action_id", "kind", "text")
    ):
        row = actions.pop(action_id, None) or {"id": action_id, "new": False, "news": ""}
        row["new"] = row["new"] or kind == ActionUpdate.Kind.AGREED
        if kind in ACTION_TEXTS and text.strip():
            row["news"] = text.strip()
        actions[action_id] = row
    statuses = dict(Action.objects.filter(pk__in=list(actions)).values_list("pk", "status"))
    for action_id, row in actions.items():
        row["status"] = statuses.get(action_id, "")
    rounds = [
        {"id": pk, "starts_at": starts_at.isoformat()}
        for pk, starts_at in PriorityRound.objects.filter(
            neighbourhood=neighbourhood,
            status=PriorityRound.Status.OPEN,
            opened_at__gt=since,
            opened_at__lte=until,
        )
        .order_by("opened_at", "pk")
        .values_list("pk", "meeting__starts_at")
    ]
    return {
        "problems": [{"id": pk, "status": status} for pk, status in problems.items()],
        "actions": list(actions.values()),
        "rounds": rounds,
    }


def digest_send(*, neighbourhood: Neighbourhood, now: datetime | None = None) -> Mailing | None:
    """This week's digest of the neighbourhood, if there is news and it was not sent yet."""
    now = now or timezone.now()
    key = digest_key(neighbourhood, now)
    if Mailing.objects.filter(key=key).exists():
        return None
    since = digest_since(neighbourhood, now)
    changes = digest_changes(neighbourhood, since, now)
    if not any(changes.values()):
        return None  # never an empty digest
    recipients = recipients_for(digest_people(neighbourhood))
    if not recipients:
        return None
    return mailing_create(
        kind=MeetingMail.DIGEST,
        recipients=recipients,
        neighbourhood=neighbourhood,
        context={
            **changes,
            "since": since.isoformat(),
            "until": now.isoformat(),
            "neighbourhood_url": settings.SITE_URL + neighbourhood.get_absolute_url(),
        },
        key=key,
    )


def digests_send_due(now: datetime | None = None) -> int:
    """The daily due work: each neighbourhood's digest when there is news. Returns how many
    mailings were made."""
    now = now or timezone.now()
    made = 0
    for neighbourhood in Neighbourhood.objects.order_by("pk"):
        if digest_send(neighbourhood=neighbourhood, now=now) is not None:
            made += 1
    return made


# --- Reading a digest back for its templates ---------------------------------------------------


@dataclass(frozen=True)
class ProblemRow:
    problem: Problem
    status: str

    @property
    def status_label(self) -> str:
        return str(Status(self.status).label) if self.status in Status.values else ""

    @property
    def url(self) -> str:
        return settings.SITE_URL + self.problem.get_absolute_url()


@dataclass(frozen=True)
class ActionRow:
    action: Action
    status: str
    news: str
    new: bool

    @property
    def status_label(self) -> str:
        return str(ActionStatus(self.status).label) if self.status in ActionStatus.values else ""

    @property
    def url(self) -> str:
        return settings.SITE_URL + self.action.get_absolute_url()


@dataclass(frozen=True)
class RoundRow:
    starts_at: datetime | None
    url: str


@dataclass
class DigestRows:
    problems: list[ProblemRow] = field(default_factory=list)
    actions: list[ActionRow] = field(default_factory=list)
    rounds: list[RoundRow] = field(default_factory=list)


def digest_rows(mailing: Mailing) -> DigestRows:
    """The digest's rows, read once per sending run (the same Mailing instance renders every
    recipient). Problems that are no longer public are left out."""
    cached: DigestRows | None = mailing.__dict__.get("_digest_rows")
    if cached is not None:
        return cached
    context = mailing.context
    hood = mailing.neighbourhood
    problem_values = {int(row["id"]): str(row["status"]) for row in context.get("problems", [])}
    found = (
        Problem.objects.public()
        .filter(pk__in=list(problem_values))
        .select_related("category", "neighbourhood")
    )
    by_pk = {p.pk: p for p in found}
    action_values = {int(row["id"]): row for row in context.get("actions", [])}
    actions = {
        a.pk: a
        for a in Action.objects.filter(
            pk__in=list(action_values), problem__in=Problem.objects.public().values("pk")
        ).select_related("problem__category", "neighbourhood", "owner_organisation")
    }
    rounds = []
    for row in context.get("rounds", []):
        starts_at = parse_datetime(str(row.get("starts_at") or ""))
        url = ""
        if hood is not None:
            url = settings.SITE_URL + reverse(
                "rounds:ballot", kwargs={"slug": hood.slug, "round_pk": int(row["id"])}
            )
        rounds.append(RoundRow(starts_at=starts_at, url=url))
    rows = DigestRows(
        problems=[
            ProblemRow(problem=by_pk[pk], status=status)
            for pk, status in problem_values.items()
            if pk in by_pk
        ],
        actions=[
            ActionRow(
                action=actions[pk],
                status=str(row.get("status") or ""),
                news=str(row.get("news") or ""),
                new=bool(row.get("new")),
            )
            for pk, row in action_values.items()
            if pk in actions
        ],
        rounds=rounds,
    )
    mailing.__dict__["_digest_rows"] = rows
    return rows
