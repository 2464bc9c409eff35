"""Demo meetings for `manage.py demo`: one held last month, one in progress now, and the
upcoming ones planned from the neighbourhood's rhythm.

Everything goes through the services, as in real use; only the clock is set back afterwards
for the meeting that was held last month (the services stamp "now").
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from meetings.planning.models import AgendaItem, Meeting
from meetings.room.models import Attendance
from meetings.rounds.models import PriorityRound
from meetings.rounds.services import ballot_cast, hand_count_set, round_close
from meetings.services import (
    agenda_publish,
    attendance_record,
    item_text_save,
    meeting_close,
    meeting_create,
    meeting_go_to,
    meeting_start,
    problems_discussed_recount,
    walk_ins_set,
)
from problems.demo import as_if_sent_back_then
from problems.models import Problem
from problems.services import problem_transition
from problems.workflow import Move, Status
from residents.models import Membership, Neighbourhood, Role, User

PAST_NOTES = {
    AgendaItem.Kind.OPENING: (
        "Welkom aan iedereen, in het bijzonder aan twee nieuwe bewoners van de Columbuslaan.",
        "",
    ),
    AgendaItem.Kind.REPORT_BACK: (
        "De gemeente heeft de extra containers bij de Marshalllaan geplaatst. Bewoners zien "
        "minder afval naast de containers, maar in het weekend is het nog vol.",
        "Containers blijven; de gemeente leegt ze in het weekend een keer extra.",
    ),
    AgendaItem.Kind.NEW_PROBLEMS: (
        "Drie nieuwe problemen besproken. Het donkere fietspad langs het kanaal noemden "
        "meerdere bewoners.",
        "",
    ),
    AgendaItem.Kind.CLOSING: ("Volgende keer is Annie notulist.", ""),
}
NOW_NOTES = "Bewoners vertellen dat het rustiger is op het plein sinds de nieuwe verlichting."


def _attend(meeting: Meeting, hood: Neighbourhood, by: User, residents: int) -> None:
    for membership in (
        Membership.objects.active()
        .filter(neighbourhood=hood, role=Role.RESIDENT)
        .select_related("user")
        .order_by("pk")[:residents]
    ):
        attendance_record(meeting=meeting, by=by, user=membership.user)
    for membership in (
        Membership.objects.active()
        .filter(neighbourhood=hood, role=Role.PROFESSIONAL)
        .select_related("user", "organisation")
    ):
        attendance_record(
            meeting=meeting,
            by=by,
            user=membership.user,
            organisation=membership.organisation,
            kind=Attendance.Kind.PROFESSIONAL,
        )


def _votes(priority_round: PriorityRound, hood: Neighbourhood, voters: int) -> None:
    """Residents spread their points: each favours a different candidate (the same every run)."""
    candidates = list(priority_round.candidates.order_by("position"))
    residents = [
        m.user
        for m in Membership.objects.active()
        .filter(neighbourhood=hood, role=Role.RESIDENT)
        .select_related("user")
        .order_by("pk")[:voters]
    ]
    for n, voter in enumerate(residents):
        first = candidates[n % 3 % len(candidates)]
        second = candidates[(n + 1) % len(candidates)]
        points = {first.pk: priority_round.max_per_problem}
        if second.pk != first.pk:
            points[second.pk] = priority_round.points - priority_round.max_per_problem
        paper = voter.email is None
        ballot_cast(
            priority_round=priority_round,
            voter=voter,
            points=points,
            source="paper" if paper else "online",
            entered_by=None,
        )


def load(hood: Neighbourhood, chair: User, minute_taker: User) -> None:
    now = timezone.now().replace(second=0, microsecond=0)

    # Last month's meeting, held and closed.
    past_start = timezone.localtime(now - timedelta(days=28)).replace(hour=19, minute=30)
    past = meeting_create(
        neighbourhood=hood,
        starts_at=past_start,
        ends_at=past_start + timedelta(hours=2),
        place=hood.meeting_place,
    )
    Meeting.objects.filter(pk=past.pk).update(chair=chair, minute_taker=minute_taker)
    agenda_publish(meeting=past)
    _attend(past, hood, minute_taker, residents=9)
    walk_ins_set(meeting=past, count=3)
    past_round = PriorityRound.objects.get(meeting=past)  # opened with the published agenda
    _votes(past_round, hood, voters=11)
    first = past_round.candidates.order_by("position").first()
    if first is not None:
        hand_count_set(priority_round=past_round, candidate=first, hands=4, by=minute_taker)
    meeting_start(meeting=past)
    items = list(past.items.order_by("position"))
    for item in items:
        notes, decision = PAST_NOTES.get(AgendaItem.Kind(item.kind), ("", ""))
        if notes:
            item_text_save(item=item, field="notes", text=notes, base_version=0)
        if decision:
            item_text_save(item=item, field="decision", text=decision, base_version=0)
        meeting_go_to(meeting=past, step=1, mark_done=True)
    round_close(priority_round=past_round, by=chair)
    meeting_close(meeting=past)
    # Set the clock back: the services stamped today.
    for item in past.items.all():
        AgendaItem.objects.filter(pk=item.pk).update(
            spent_seconds=item.minutes * 60 + 60 * (item.position % 3 - 1),
            done_at=past_start + timedelta(minutes=12 * item.position),
            started_at=None,
        )
    Meeting.objects.filter(pk=past.pk).update(
        started_at=past_start, closed_at=past_start + timedelta(minutes=115)
    )
    PriorityRound.objects.filter(pk=past_round.pk).update(
        opened_at=past_start - timedelta(days=7), closed_at=past_start + timedelta(minutes=80)
    )
    past.attendance.update(created_at=past_start)

    # The meeting in progress now, at its third item: open it on the agenda screen.
    live_start = now - timedelta(minutes=35)
    live = meeting_create(
        neighbourhood=hood,
        starts_at=live_start,
        ends_at=live_start + timedelta(hours=2),
        place=hood.meeting_place,
    )
    Meeting.objects.filter(pk=live.pk).update(chair=chair, minute_taker=minute_taker)
    # Three problems put forward for tonight's round; residents have started voting.
    for problem in (
        Problem.objects.for_neighbourhood(hood)
        .public()
        .filter(status=Status.ACCEPTED)
        .order_by("-support_count", "pk")[:3]
    ):
        problem_transition(problem=problem, move=Move.NOMINATE, actor=chair, actors={"chair"})
    agenda_publish(meeting=live)
    _votes(PriorityRound.objects.get(meeting=live), hood, voters=5)
    _attend(live, hood, minute_taker, residents=6)
    walk_ins_set(meeting=live, count=2)
    meeting_start(meeting=live)
    meeting_go_to(meeting=live, step=1, mark_done=True)
    meeting_go_to(meeting=live, step=1, mark_done=True)
    live.refresh_from_db()
    current = live.current_item
    assert current is not None  # the default agenda has eight items
    item_text_save(item=current, field="notes", text=NOW_NOTES, base_version=0)
    # The first two items took their time; the third started five minutes ago.
    for item in live.items.filter(done_at__isnull=False):
        AgendaItem.objects.filter(pk=item.pk).update(spent_seconds=item.minutes * 60 + 90)
    AgendaItem.objects.filter(pk=current.pk).update(started_at=now - timedelta(minutes=5))
    Meeting.objects.filter(pk=live.pk).update(started_at=live_start)
    as_if_sent_back_then([hood])  # the status mails of the rounds above: history, not news
    # Last month's items were written straight in above: count the meetings each problem was
    # discussed at, as starting the items would have.
    problems_discussed_recount(
        problem_ids=Problem.objects.for_neighbourhood(hood).values_list("pk", flat=True)
    )


def publish_next_agenda(hood: Neighbourhood) -> Meeting | None:
    """Publish the agenda of the neighbourhood's next meeting, so `make run` shows the agenda
    mail in var/mail/. This neighbourhood sends its agenda early enough to reach that date."""
    upcoming = Meeting.objects.for_neighbourhood(hood).upcoming().first()
    if upcoming is None:
        return None
    days = (upcoming.starts_at - timezone.now()).days + 1
    if days > hood.agenda_mail_days:
        Neighbourhood.objects.filter(pk=hood.pk).update(agenda_mail_days=days)
    agenda_publish(meeting=upcoming)
    return upcoming


def publish_past_minutes(hood: Neighbourhood, chair: User) -> None:
    """Last month's minutes: drafted from the record, finalised, made and published, so
    `make run` shows them on the neighbourhood page and their mail in var/mail/."""
    from meetings.minutes import services as minutes_services

    past = (
        Meeting.objects.for_neighbourhood(hood)
        .filter(status=Meeting.Status.CLOSED)
        .order_by("-starts_at")
        .first()
    )
    if past is None:
        return
    minutes = minutes_services.minutes_draft(past, by=chair)
    version = minutes_services.minutes_finalise(minutes, chair)
    minutes_services.minutes_render(version_id=version.pk)  # the task would run at commit
    minutes_services.minutes_publish(version, chair)
