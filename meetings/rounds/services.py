"""Writes for priority rounds: curate the candidates, open, cast ballots, count hands, close.

Integrity lives in the database and in one rule: every write to a round's votes first runs
`UPDATE round SET version = version + 1 WHERE id = … AND status = 'open'`. That one statement
checks that the round is open, takes the round's row lock until the transaction commits (so
closing waits for votes in flight and no vote lands after the close), and raises the number
the live results poll (the chair's panel, and the projector, whose ETag holds the meeting's
version and its round's). One ballot per resident per round is a unique constraint; the budget is
checked here, on the server, before anything is written.

Ranking: ballot points (online and paper) plus hands counted in the room. Results always show
the two apart: ballots are per person and verifiable, hands are a count.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import (
    BooleanField,
    Count,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    Subquery,
    Sum,
)
from django.db.models.lookups import Exact
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from buurtoverleg.public_pages import changes_public_pages
from meetings.rounds.models import Ballot, BallotPoint, HandCount, PriorityRound, RoundCandidate
from meetings.services import new_problems_for, on_agenda_published
from problems.models import Problem
from problems.services import problem_transition
from problems.workflow import ROUND, Move, Status
from residents.models import Role, User
from residents.permissions import Perm, can

RS = PriorityRound.Status


class RoundNotOpen(ValidationError):
    """The round is not open for this: not opened yet (code "round_not_open"), closed
    ("round_closed") or open but past its closing time ("round_past_closing"). The message
    says so in the words of whoever tried."""


class BallotInvalid(ValidationError):
    """The ballot breaks a rule (budget, unknown problem, not allowed to vote); `messages`
    are for the voter, in their language."""


class TieUndecided(ValidationError):
    """Closing needs the chair to choose `places` of the `tied` candidates in the room; with
    `chosen`, the choice made no longer settles the tie (the votes changed meanwhile)."""

    def __init__(self, *, tied: list[RoundCandidate], places: int, chosen: bool = False) -> None:
        if chosen:
            super().__init__(
                _(
                    "The votes changed while you were choosing. Choose again between these "
                    "problems."
                ),
                code="tie_changed",
            )
        else:
            super().__init__(
                _("There is a tie. Decide in the room which problems become priorities."),
                code="tie_undecided",
            )
        self.tied = tied
        self.places = places


def _not_open(status: str, message: Any) -> RoundNotOpen:
    """The round's state, `status`, refuses a write: `message` for the person, the state's code."""
    if status == RS.DRAFT:
        return RoundNotOpen(message, code="round_not_open")
    if status == RS.CLOSED:
        return RoundNotOpen(message, code="round_closed")
    return RoundNotOpen(message, code="round_past_closing")


def _vote_not_open(status: str, source: str) -> RoundNotOpen:
    """A vote (a ballot, a hand count) on a round not open for votes: in the voter's words
    online, in the words of the team entering it on paper."""
    if source == Ballot.Source.ONLINE:
        if status == RS.DRAFT:
            return _not_open(status, _("Voting has not opened yet: your vote was not saved."))
        return _not_open(status, _("Voting is closed: your vote was not saved."))
    if status == RS.DRAFT:
        return _not_open(
            status, _("The vote is not open yet. Open it first on the page of the round.")
        )
    if status == RS.CLOSED:
        return _not_open(status, _("The vote is closed: nothing can change any more."))
    return _not_open(
        status, _("The vote has closed (its closing time has passed): nothing was changed.")
    )


def _not_in_round() -> BallotInvalid:
    return BallotInvalid(
        _("Your ballot names a problem that is not in this round."), code="not_in_round"
    )


def voter_may_vote(user: Any, priority_round: PriorityRound) -> bool:
    """Active resident members vote; professionals, office staff and coordinators do not."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return can(user, Perm.VOTE, priority_round.neighbourhood)


# --- Preparing ---------------------------------------------------------------------------------


@transaction.atomic
def round_create(*, meeting: Any) -> PriorityRound:
    """The meeting's round, with the neighbourhood's candidate problems. Idempotent."""
    hood = meeting.neighbourhood
    priority_round, created = PriorityRound.objects.get_or_create(
        meeting=meeting,
        defaults={
            "neighbourhood": hood,
            "points": hood.vote_points,
            "max_per_problem": hood.vote_max_per_problem,
        },
    )
    if created:
        problems = (
            Problem.objects.for_neighbourhood(hood)
            .public()
            .filter(status=Status.CANDIDATE)
            .order_by("-support_count", "pk")
        )
        RoundCandidate.objects.bulk_create(
            RoundCandidate(round=priority_round, problem=p, position=n)
            for n, p in enumerate(problems)
        )
    return priority_round


def _open_now() -> Q:
    return Q(status=RS.OPEN) & (Q(closes_at__isnull=True) | Q(closes_at__gt=timezone.now()))


def _touch_open(priority_round: PriorityRound, named: set[int], source: str) -> None:
    """Lock the round for this transaction if it is open for votes and every candidate in
    `named` is on its ballot (checked in the same statement: a ballot costs no extra read);
    else RoundNotOpen (in the words for a vote from `source`) or BallotInvalid."""
    rounds = PriorityRound.objects.filter(_open_now(), pk=priority_round.pk)
    if named:
        on_ballot = (
            RoundCandidate.objects.filter(round=OuterRef("pk"), pk__in=named)
            .order_by()
            .values("round")
            .annotate(n=Count("pk"))
            .values("n")
        )
        # A condition in the UPDATE's own WHERE (no annotation: that would move the open check
        # into a subquery, which PostgreSQL does not re-check after waiting for the lock).
        rounds = rounds.filter(Exact(Subquery(on_ballot), len(named)))
    if rounds.update(version=F("version") + 1):
        return
    status, open_now = (
        PriorityRound.objects.filter(pk=priority_round.pk)
        .annotate(open_now=ExpressionWrapper(_open_now(), output_field=BooleanField()))
        .values_list("status", "open_now")
        .get()
    )
    if open_now:
        raise _not_in_round()
    raise _vote_not_open(status, source)


def _touch(
    priority_round: PriorityRound, statuses: Iterable[str], message: Any = None
) -> PriorityRound:
    """Lock the round if its status is one of `statuses`; else RoundNotOpen with `message` (by
    default a vote's words, as the team enters it on paper)."""
    locked = PriorityRound.objects.select_for_update().get(pk=priority_round.pk)
    if locked.status not in statuses:
        if message is None:
            raise _vote_not_open(locked.status, Ballot.Source.PAPER)
        raise _not_open(locked.status, message)
    PriorityRound.objects.filter(pk=priority_round.pk).update(version=F("version") + 1)
    return locked


# The ballot's candidates are curated while the round is a draft or open.
BALLOT_FIXED = gettext_lazy("The vote is closed: the ballot can no longer change.")


@changes_public_pages
@transaction.atomic
def round_candidate_add(
    *, priority_round: PriorityRound, problem: Problem, by: User
) -> RoundCandidate:
    """Put a public problem of the neighbourhood on the ballot (an accepted one is nominated
    first, which the timeline records)."""
    _touch(priority_round, {RS.DRAFT, RS.OPEN}, BALLOT_FIXED)
    if problem.neighbourhood_id != priority_round.neighbourhood_id or not problem.is_public:
        raise BallotInvalid(
            _("This problem cannot be put on this round's ballot."), code="problem_not_eligible"
        )
    if problem.status == Status.ACCEPTED:
        problem_transition(problem=problem, move=Move.NOMINATE, actor=by, actors={Role.CHAIR})
    elif problem.status != Status.CANDIDATE:
        raise BallotInvalid(
            _("Only accepted problems can be put on the ballot."), code="problem_not_accepted"
        )
    last = (
        priority_round.candidates.order_by("-position").values_list("position", flat=True).first()
    )
    candidate, _created = RoundCandidate.objects.get_or_create(
        round=priority_round, problem=problem, defaults={"position": (last or 0) + 1}
    )
    return candidate


@changes_public_pages
@transaction.atomic
def round_candidate_remove(*, candidate: RoundCandidate, by: User, reason: str) -> None:
    """Take a problem off the ballot, with a public reason on its timeline. Points already
    given to it are returned to the voters' budgets."""
    if not reason.strip():
        raise BallotInvalid(
            {
                "reason": ValidationError(
                    _("Give a reason; everyone will see it."), code="reason_required"
                )
            }
        )
    _touch(candidate.round, {RS.DRAFT, RS.OPEN}, BALLOT_FIXED)
    problem = candidate.problem
    candidate.delete()
    Ballot.objects.filter(round=candidate.round_id, points__isnull=True).delete()
    if Problem.objects.filter(pk=problem.pk, status=Status.CANDIDATE).exists():
        problem_transition(
            problem=problem,
            move=Move.NOT_CHOSEN,
            actor=by,
            actors={Role.CHAIR},
            public_note=reason.strip(),
        )


@changes_public_pages
@transaction.atomic
def round_open(*, priority_round: PriorityRound, closes_at: Any = None) -> PriorityRound:
    """Open for votes (when the agenda is published, or by hand). Opening twice is a no-op."""
    locked = PriorityRound.objects.select_for_update().get(pk=priority_round.pk)
    if locked.status == RS.OPEN:
        return locked
    if locked.status != RS.DRAFT:
        raise _not_open(locked.status, _("This round is closed; it cannot open again."))
    PriorityRound.objects.filter(pk=priority_round.pk).update(
        status=RS.OPEN, opened_at=timezone.now(), closes_at=closes_at, version=F("version") + 1
    )
    locked.refresh_from_db()
    return locked


@on_agenda_published
def round_open_with_agenda(meeting: Any) -> None:
    """The priority round opens with the published agenda (when there is something to vote on)."""
    candidates = any(p.status == Status.CANDIDATE for p in new_problems_for(meeting))
    if candidates or PriorityRound.objects.filter(meeting=meeting).exists():
        priority_round = round_create(meeting=meeting)
        if priority_round.status == PriorityRound.Status.DRAFT:
            round_open(priority_round=priority_round)


@changes_public_pages
@transaction.atomic
def round_results_show(*, priority_round: PriorityRound, shown: bool = True) -> None:
    """The chair reveals the results in the room (hidden before, so early votes do not steer)."""
    PriorityRound.objects.filter(pk=priority_round.pk).update(
        results_shown=shown, version=F("version") + 1
    )


# --- Voting ------------------------------------------------------------------------------------


def _checked(priority_round: PriorityRound, points: Mapping[int, Any]) -> dict[int, int]:
    """{candidate id: points} within the budget, without zeros; BallotInvalid otherwise.
    Whether the candidates are this round's is checked when the round is locked."""
    clean: dict[int, int] = {}
    for key, value in points.items():
        try:
            candidate, amount = int(key), int(value)
        except (TypeError, ValueError):
            raise BallotInvalid(
                _("Give whole numbers of points."), code="points_not_whole"
            ) from None
        if amount < 0:
            raise BallotInvalid(_("Points cannot be negative."), code="points_negative")
        if amount > priority_round.max_per_problem:
            raise BallotInvalid(
                _("You can give at most %(max)s points to one problem.")
                % {"max": priority_round.max_per_problem},
                code="points_over_max",
            )
        if amount:
            clean[candidate] = amount
    used = sum(clean.values())
    if used > priority_round.points:
        raise BallotInvalid(
            _("You gave %(used)s points, but you have %(points)s.")
            % {"used": used, "points": priority_round.points},
            code="over_budget",
        )
    return clean


@changes_public_pages
@transaction.atomic
def ballot_cast(
    *,
    priority_round: PriorityRound,
    voter: User,
    points: Mapping[int, Any],
    source: str = Ballot.Source.ONLINE,
    entered_by: User | None = None,
) -> Ballot | None:
    """Store a resident's ballot (replacing their earlier one). No points at all withdraws it.

    Returns the ballot, or None when it was withdrawn. Raises RoundNotOpen or BallotInvalid
    and then changes nothing. A resident whose paper ballot is in is told so online, whatever
    else is wrong with what they sent.
    """
    try:
        return _ballot_store(priority_round, voter, points, source, entered_by)
    except BallotInvalid:
        on_paper = Ballot.objects.filter(
            round=priority_round, voter_id=voter.pk, source=Ballot.Source.PAPER
        )
        if source == Ballot.Source.ONLINE and voter.pk is not None and on_paper.exists():
            raise _voted_on_paper() from None
        raise


def _voted_on_paper() -> BallotInvalid:
    return BallotInvalid(
        _("Your paper ballot has already been entered, so you cannot vote online."),
        code="voted_on_paper",
    )


def _ballot_store(
    priority_round: PriorityRound,
    voter: User,
    points: Mapping[int, Any],
    source: str,
    entered_by: User | None,
) -> Ballot | None:
    clean = _checked(priority_round, points)
    if not voter_may_vote(voter, priority_round):
        raise BallotInvalid(
            _("Only residents who are members of this neighbourhood vote."), code="not_a_voter"
        )
    # From here on, the round is locked for this transaction.
    _touch_open(priority_round, set(clean), source)
    ballot = Ballot.objects.filter(round=priority_round, voter=voter).first()
    if ballot is not None and ballot.source != source:
        if ballot.source == Ballot.Source.ONLINE:
            raise BallotInvalid(_("This resident has already voted online."), code="voted_online")
        raise _voted_on_paper()
    if not clean:
        if ballot is not None:
            ballot.delete()
        return None
    now = timezone.now()
    if ballot is None:
        ballot = Ballot.objects.create(
            round=priority_round, voter=voter, source=source, entered_by=entered_by, created_at=now
        )
    else:
        ballot.points.all().delete()
        Ballot.objects.filter(pk=ballot.pk).update(updated_at=now, entered_by=entered_by)
    BallotPoint.objects.bulk_create(
        BallotPoint(ballot=ballot, candidate_id=candidate, points=amount)
        for candidate, amount in clean.items()
    )
    return ballot


@changes_public_pages
@transaction.atomic
def hand_count_set(
    *, priority_round: PriorityRound, candidate: RoundCandidate, hands: int | None, by: User
) -> None:
    """Record (or, with None, clear) the hands counted for one candidate."""
    if candidate.round_id != priority_round.pk:
        raise _not_in_round()
    if hands is not None and not 0 <= hands <= 10_000:
        raise BallotInvalid(
            _("Give a number of hands from 0 to 10,000."), code="hands_out_of_range"
        )
    _touch(priority_round, {RS.OPEN})
    if hands is None:
        HandCount.objects.filter(candidate=candidate).delete()
        return
    HandCount.objects.update_or_create(
        candidate=candidate,
        defaults={
            "round": priority_round,
            "hands": hands,
            "entered_by": by,
            "entered_at": timezone.now(),
        },
    )


# --- Results and closing -----------------------------------------------------------------------


@dataclass
class ResultRow:
    candidate: RoundCandidate
    online: int  # points from online ballots
    paper: int  # points from paper ballots
    voters: int  # residents who gave this problem points
    hands: int | None  # counted in the room, apart

    @property
    def ballots(self) -> int:
        return self.online + self.paper

    @property
    def total(self) -> int:
        return self.online + self.paper + (self.hands or 0)


@dataclass
class Results:
    round: PriorityRound
    rows: list[ResultRow] = field(default_factory=list)
    voters_online: int = 0
    voters_paper: int = 0

    @property
    def voters(self) -> int:
        return self.voters_online + self.voters_paper

    @property
    def top(self) -> int:
        return max((row.total for row in self.rows), default=0)


def round_results(priority_round: PriorityRound) -> Results:
    """The results, highest total first (ties in ballot order). Two queries."""
    online = Q(points__ballot__source=Ballot.Source.ONLINE)
    paper = Q(points__ballot__source=Ballot.Source.PAPER)
    candidates = (
        priority_round.candidates.select_related("problem__category", "hand_count")
        .annotate(
            online=Sum("points__points", filter=online, default=0),
            paper=Sum("points__points", filter=paper, default=0),
            voters=Count("points__ballot", distinct=True),
        )
        .order_by("position", "pk")
    )
    rows = []
    for c in candidates:
        hand_count = getattr(c, "hand_count", None)
        rows.append(
            ResultRow(
                candidate=c,
                online=c.online,
                paper=c.paper,
                voters=c.voters,
                hands=hand_count.hands if hand_count else None,
            )
        )
    rows.sort(key=lambda row: -row.total)  # stable: equal totals keep the ballot order
    by_source = dict(
        Ballot.objects.filter(round=priority_round)
        .values_list("source")
        .annotate(n=Count("pk"))
        .values_list("source", "n")
    )
    return Results(
        round=priority_round,
        rows=rows,
        voters_online=by_source.get(Ballot.Source.ONLINE, 0),
        voters_paper=by_source.get(Ballot.Source.PAPER, 0),
    )


def places_free(priority_round: PriorityRound) -> int:
    """The neighbourhood's cap of active priorities minus those still active."""
    active = Problem.objects.for_neighbourhood(priority_round.neighbourhood_id).priorities()
    return max(0, priority_round.neighbourhood.max_active_priorities - active.count())


def round_winners(
    results: Results, places: int, chosen: Iterable[int] = ()
) -> list[RoundCandidate]:
    """The candidates that become priorities: the top `places` with any support. A tie at the
    boundary needs the chair's choice (`chosen`: candidate ids); else TieUndecided."""
    ranked = [row for row in results.rows if row.total > 0]
    if places <= 0 or not ranked:
        return []
    if len(ranked) <= places:
        return [row.candidate for row in ranked]
    boundary = ranked[places - 1].total
    above = [row.candidate for row in ranked if row.total > boundary]
    tied = [row.candidate for row in ranked if row.total == boundary]
    open_places = places - len(above)
    if len(tied) <= open_places:
        return above + tied
    chosen = set(chosen)
    picked = [c for c in tied if c.pk in chosen]
    if len(picked) != open_places:
        raise TieUndecided(tied=tied, places=open_places, chosen=bool(chosen))
    return above + picked


@changes_public_pages
@transaction.atomic
def round_close(
    *,
    priority_round: PriorityRound,
    by: User | None,
    chosen: Iterable[int] = (),
    tie_note: str = "",
) -> list[RoundCandidate]:
    """Close the vote: the winners become priorities, the other candidates return to the
    register. Each change appends a timeline entry. Returns the winners.

    Raises TieUndecided (and changes nothing) when the chair must choose between tied
    candidates; call again with `chosen` and a `tie_note` that says how the room decided.
    """
    locked = (
        PriorityRound.objects.select_for_update()
        .select_related("neighbourhood")
        .get(pk=priority_round.pk)
    )
    if locked.status != RS.OPEN:
        raise _not_open(locked.status, _("This round is not open, so it cannot be closed."))
    results = round_results(locked)
    chosen = list(chosen)
    winners = round_winners(results, places_free(locked), chosen)
    if chosen and not tie_note.strip():
        raise BallotInvalid(
            {
                "tie_note": ValidationError(
                    _("Write down how the room decided the tie."), code="tie_note_required"
                )
            }
        )
    winner_ids = {c.pk for c in winners}
    for row in results.rows:
        candidate = row.candidate
        won = candidate.pk in winner_ids
        if Problem.objects.filter(pk=candidate.problem_id, status=Status.CANDIDATE).exists():
            problem_transition(
                problem=candidate.problem,
                move=Move.PRIORITISE if won else Move.NOT_CHOSEN,
                actor=by,
                actors={ROUND},
            )
        RoundCandidate.objects.filter(pk=candidate.pk).update(
            outcome=RoundCandidate.Outcome.PRIORITY if won else RoundCandidate.Outcome.NOT_CHOSEN,
            chosen_in_room=won and candidate.pk in chosen,
        )
    PriorityRound.objects.filter(pk=priority_round.pk).update(
        status=RS.CLOSED,
        closed_at=timezone.now(),
        closed_by=by,
        results_shown=True,
        tie_note=tie_note.strip(),
        version=F("version") + 1,
    )
    return winners


def rounds_close_due() -> int:
    """Due work: close the open rounds whose closing time has passed. A tie waits for the
    chair (no more votes are taken after the closing time in any case)."""
    closed = 0
    due = PriorityRound.objects.filter(status=RS.OPEN, closes_at__lte=timezone.now())
    for priority_round in due:
        try:
            round_close(priority_round=priority_round, by=None)
        except TieUndecided:
            continue
        closed += 1
    return closed
