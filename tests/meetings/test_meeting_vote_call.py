"""The meeting page calls residents to vote while the meeting's priority round is open."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from meetings.rounds.models import PriorityRound
from meetings.rounds.services import round_close
from meetings.services import agenda_publish, meeting_create
from problems.models import Category
from problems.services import problem_report, problem_transition
from problems.workflow import Move


@pytest.fixture
def published(personas):
    problem = problem_report(
        neighbourhood=personas.hood,
        reporter=personas.resident,
        category=Category.objects.get(slug="verlichting"),
        title="Donker fietspad",
        description="Na zonsondergang aardedonker.",
        street="Churchilllaan",
    )
    for move in (Move.ACCEPT, Move.NOMINATE):
        problem_transition(problem=problem, move=move, actor=personas.chair, actors={"chair"})
    start = timezone.now() + timedelta(days=3)
    meeting = meeting_create(
        neighbourhood=personas.hood, starts_at=start, ends_at=start + timedelta(hours=2), place=""
    )
    return agenda_publish(meeting=meeting)  # opens the round: there is a candidate


def page(client, meeting) -> str:
    return client.get(
        reverse("planning:meeting", args=[meeting.neighbourhood.slug, meeting.pk])
    ).content.decode()


@pytest.mark.parametrize(
    ("persona", "called"),
    [("resident", True), ("minute_taker", True), ("wijkagent", False), ("chair", False)],
)
def test_residents_are_called_to_vote_and_the_team_is_not(
    as_persona, personas, published, persona, called
):
    round = PriorityRound.objects.get(meeting=published)
    assert round.is_open
    ballot = reverse("rounds:ballot", args=[personas.hood.slug, round.pk])
    assert (ballot in page(as_persona(persona), published)) is called


def test_no_call_once_the_round_is_closed(as_persona, personas, published):
    round = PriorityRound.objects.get(meeting=published)
    round_close(priority_round=round, by=personas.chair)
    ballot = reverse("rounds:ballot", args=[personas.hood.slug, round.pk])
    assert ballot not in page(as_persona("resident"), published)
