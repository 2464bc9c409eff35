"""The chair's side of a priority round (meetings/rounds/views/chair.py): who may open and use each
page, curating the ballot (a removal needs a public reason, which the timeline shows), opening,
revealing, closing and deciding a tie in the room, paper ballots of known residents (never on
top of an online vote) and hand counts, and query counts that do not grow with the ballot."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from meetings import services as meeting_services
from meetings.planning.models import Meeting
from meetings.rounds import services as round_services
from meetings.rounds.models import Ballot, HandCount, PriorityRound, RoundCandidate
from problems.models import Problem, TimelineEntry
from problems.workflow import Move, Status
from residents.models import Neighbourhood
from tests.conftest import PERSONA_NAMES, assert_status
from tests.factories import candidates_in, insert_problem, make_meeting
from tests.support import candidate_of, fresh, meeting_url, view_name, vote

PLANNERS = {"chair", "coordinator"}
RUNNERS = {"chair", "minute_taker", "coordinator"}


# --- Factories ---------------------------------------------------------------------------------


def page(response) -> str:
    return response.content.decode()


# --- Fixtures ----------------------------------------------------------------------------------


@pytest.fixture
def meeting(personas) -> Meeting:
    meeting = make_meeting(personas.hood, starts_at=timezone.now().replace(microsecond=0))
    return meeting_services.meeting_start(meeting=meeting)


@pytest.fixture
def problems(personas) -> list[Problem]:
    return candidates_in(personas.hood, 3)


@pytest.fixture
def round(meeting, problems) -> PriorityRound:
    return round_services.round_create(meeting=meeting)


@pytest.fixture
def open_round(round) -> PriorityRound:
    return round_services.round_open(priority_round=round)


# --- Who may do what ---------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_only_the_chair_and_coordinators_open_the_round_page(as_persona, round, persona):
    response = as_persona(persona).get(meeting_url("rounds:round", round.meeting))
    assert_status(response, persona, PLANNERS, 200)


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_only_the_chair_and_coordinators_open_the_vote(as_persona, round, persona):
    response = as_persona(persona).post(
        meeting_url("rounds:round", round.meeting), {"action": "open"}
    )
    assert_status(response, persona, PLANNERS, 302)
    assert fresh(round).status == ("open" if persona in PLANNERS else "draft")


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_only_the_chair_and_coordinators_create_a_round(as_persona, meeting, problems, persona):
    response = as_persona(persona).post(meeting_url("rounds:round", meeting), {"action": "create"})
    assert_status(response, persona, PLANNERS, 302)
    assert PriorityRound.objects.filter(meeting=meeting).exists() == (persona in PLANNERS)


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_only_those_who_run_the_meeting_open_the_paper_page(as_persona, open_round, persona):
    response = as_persona(persona).get(meeting_url("rounds:round_paper", open_round.meeting))
    assert_status(response, persona, RUNNERS, 200)


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_only_those_who_run_the_meeting_enter_paper_ballots(
    as_persona, personas, open_round, persona
):
    first = open_round.candidates.first()
    response = as_persona(persona).post(
        meeting_url("rounds:round_paper", open_round.meeting),
        {"action": "ballot", "voter": personas.paper_resident.pk, f"points-{first.pk}": 2},
    )
    assert_status(response, persona, RUNNERS, 302)
    assert Ballot.objects.filter(round=open_round).exists() == (persona in RUNNERS)


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_only_those_who_run_the_meeting_count_hands(as_persona, open_round, persona):
    first = open_round.candidates.first()
    response = as_persona(persona).post(
        meeting_url("rounds:round_paper", open_round.meeting),
        {"action": "hands", f"hands-{first.pk}": 4},
    )
    assert_status(response, persona, RUNNERS, 302)
    assert HandCount.objects.filter(round=open_round).exists() == (persona in RUNNERS)


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_only_those_who_run_the_meeting_follow_the_live_panel(as_persona, open_round, persona):
    response = as_persona(persona).get(meeting_url("rounds:round_panel_live", open_round.meeting))
    assert_status(response, persona, RUNNERS, 200)


def test_a_resident_chairing_this_meeting_enters_paper_ballots_but_does_not_curate(
    as_persona, personas, open_round
):
    Meeting.objects.filter(pk=open_round.meeting_id).update(chair=personas.resident)
    client = as_persona("resident")
    assert client.get(meeting_url("rounds:round_paper", open_round.meeting)).status_code == 200
    assert client.get(meeting_url("rounds:round_panel_live", open_round.meeting)).status_code == 200
    assert client.get(meeting_url("rounds:round", open_round.meeting)).status_code == 403
    other = as_persona("second_resident")
    assert other.get(meeting_url("rounds:round_panel_live", open_round.meeting)).status_code == 403


def test_a_chair_of_another_neighbourhood_named_on_this_meeting_may_not(
    as_persona, personas, open_round
):
    Meeting.objects.filter(pk=open_round.meeting_id).update(chair=personas.outsider_chair)
    client = as_persona("outsider_chair")
    for name in ("round", "round_paper", "round_panel_live"):
        assert client.get(meeting_url(name, open_round.meeting)).status_code == 403, name


def test_a_meeting_under_another_neighbourhoods_address_is_not_found(
    as_persona, personas, open_round
):
    client = as_persona("chair")
    for name in ("round", "round_paper", "round_panel_live"):
        address = reverse(view_name(name), args=[personas.other_hood.slug, open_round.meeting_id])
        assert client.get(address).status_code == 404, name


# --- Creating and curating ---------------------------------------------------------------------


def test_preparing_the_round_puts_the_candidates_on_the_ballot(as_persona, meeting, problems):
    client = as_persona("chair")
    empty = page(client.get(meeting_url("rounds:round", meeting)))
    assert "This meeting has no priority round yet" in empty
    response = client.post(meeting_url("rounds:round", meeting), {"action": "create"}, follow=True)
    round = PriorityRound.objects.get(meeting=meeting)
    assert round.status == "draft"
    assert set(round.candidates.values_list("problem", flat=True)) == {p.pk for p in problems}
    html = page(response)
    assert "prepared with 3 candidates" in html
    for problem in problems:
        assert problem.title in html


def test_a_cancelled_meeting_gets_no_round(as_persona, personas, problems):
    meeting = make_meeting(personas.hood)
    Meeting.objects.filter(pk=meeting.pk).update(status=Meeting.Status.CANCELLED)
    response = as_persona("chair").post(
        meeting_url("rounds:round", meeting), {"action": "create"}, follow=True
    )
    assert "cannot get a priority round" in page(response)
    assert not PriorityRound.objects.filter(meeting=meeting).exists()


def test_removing_a_candidate_needs_a_reason(as_persona, round, problems):
    client = as_persona("chair")
    candidate = candidate_of(round, problems[0])
    response = client.post(
        meeting_url("rounds:round", round.meeting),
        {"action": "remove", "candidate": candidate.pk, "reason": "   "},
    )
    assert response.status_code == 200
    assert "Give a reason; everyone will see it." in page(response)
    assert RoundCandidate.objects.filter(pk=candidate.pk).exists()
    assert Problem.objects.get(pk=problems[0].pk).status == Status.CANDIDATE


def test_a_removal_reason_appears_on_the_problems_timeline(as_persona, round, problems):
    client = as_persona("chair")
    candidate = candidate_of(round, problems[0])
    reason = "Dit is al opgelost door de gemeente."
    response = client.post(
        meeting_url("rounds:round", round.meeting),
        {"action": "remove", "candidate": candidate.pk, "reason": reason},
        follow=True,
    )
    assert "is off the ballot" in page(response)
    assert not RoundCandidate.objects.filter(pk=candidate.pk).exists()
    problem = Problem.objects.get(pk=problems[0].pk)
    assert problem.status == Status.ACCEPTED
    entry = TimelineEntry.objects.filter(problem=problem).latest("pk")
    assert (entry.move, entry.public_note) == (Move.NOT_CHOSEN, reason)
    problem_page = page(as_persona("anonymous").get(problem.get_absolute_url()))
    assert reason in problem_page


def test_removing_after_the_vote_closed_changes_nothing(as_persona, open_round, problems):
    round_services.round_close(priority_round=fresh(open_round), by=None)
    candidate = candidate_of(open_round, problems[0])
    response = as_persona("chair").post(
        meeting_url("rounds:round", open_round.meeting),
        {"action": "remove", "candidate": candidate.pk, "reason": "Te laat"},
        follow=True,
    )
    assert "the ballot can no longer change" in page(response)
    assert RoundCandidate.objects.filter(pk=candidate.pk).exists()


def test_adding_an_accepted_problem_nominates_it(as_persona, personas, round):
    accepted = insert_problem(personas.hood, "Fietswrakken bij het station")
    client = as_persona("chair")
    assert accepted.title in page(client.get(meeting_url("rounds:round", round.meeting)))
    response = client.post(
        meeting_url("rounds:round", round.meeting),
        {"action": "add", "problem": accepted.pk},
        follow=True,
    )
    assert "is on the ballot" in page(response)
    assert RoundCandidate.objects.filter(round=round, problem=accepted).exists()
    accepted.refresh_from_db()
    assert accepted.status == Status.CANDIDATE
    assert TimelineEntry.objects.filter(problem=accepted, move=Move.NOMINATE).exists()


@pytest.mark.parametrize("which", ["elsewhere", "new", "resolved"])
def test_a_problem_that_cannot_go_on_the_ballot_is_refused(as_persona, personas, round, which):
    problem = {
        "elsewhere": lambda: insert_problem(personas.other_hood, "Elders"),
        "new": lambda: insert_problem(personas.hood, "Nog niet bekeken", status=Status.NEW),
        "resolved": lambda: insert_problem(personas.hood, "Opgelost", status=Status.RESOLVED),
    }[which]()
    before = set(round.candidates.values_list("pk", flat=True))
    response = as_persona("chair").post(
        meeting_url("rounds:round", round.meeting), {"action": "add", "problem": problem.pk}
    )
    assert response.status_code == 200
    assert "That problem cannot be put on this ballot" in page(response)
    assert set(round.candidates.values_list("pk", flat=True)) == before


# --- Opening, revealing, closing -------------------------------------------------------------


def test_opening_with_a_closing_time_in_the_past_is_refused(as_persona, round):
    past = (timezone.localtime() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    response = as_persona("chair").post(
        meeting_url("rounds:round", round.meeting), {"action": "open", "closes_at": past}
    )
    assert response.status_code == 200
    assert "Choose a closing time in the future." in page(response)
    assert fresh(round).status == "draft"


def test_opening_with_a_closing_time_sets_it(as_persona, round):
    later = (timezone.localtime() + timedelta(days=2)).replace(second=0, microsecond=0)
    response = as_persona("chair").post(
        meeting_url("rounds:round", round.meeting),
        {"action": "open", "closes_at": later.strftime("%Y-%m-%dT%H:%M")},
        follow=True,
    )
    assert "It closes by itself at" in page(response)
    opened = fresh(round)
    assert opened.status == "open"
    assert opened.closes_at == later


def test_an_empty_ballot_does_not_open(as_persona, personas, meeting):
    round = round_services.round_create(meeting=meeting)  # no candidates in the neighbourhood
    response = as_persona("chair").post(meeting_url("rounds:round", meeting), {"action": "open"})
    assert "The ballot is empty" in page(response)
    assert fresh(round).status == "draft"


def test_revealing_the_results_tells_the_projector(as_persona, open_round):
    version = Meeting.objects.get(pk=open_round.meeting_id).version
    client = as_persona("chair")
    response = client.post(
        meeting_url("rounds:round", open_round.meeting), {"action": "show"}, follow=True
    )
    assert "The projector shows the results now." in page(response)
    assert fresh(open_round).results_shown
    assert Meeting.objects.get(pk=open_round.meeting_id).version > version
    client.post(meeting_url("rounds:round", open_round.meeting), {"action": "hide"})
    assert not fresh(open_round).results_shown


def test_the_panel_button_returns_to_the_agenda_screen(as_persona, open_round):
    screen = meeting_url("room:meeting_screen", open_round.meeting)
    response = as_persona("chair").post(
        meeting_url("rounds:round", open_round.meeting), {"action": "show", "next": screen}
    )
    assert response.status_code == 302
    assert response.url == screen
    outside = as_persona("chair").post(
        meeting_url("rounds:round", open_round.meeting),
        {"action": "hide", "next": "https://example.com/"},
    )
    assert outside.url == meeting_url("rounds:round", open_round.meeting)


def test_closing_makes_the_top_problems_priorities(as_persona, personas, open_round, problems):
    first, second, third = (candidate_of(open_round, p) for p in problems)
    vote(open_round, personas.resident, {first: 3, second: 2})
    vote(open_round, personas.second_resident, {first: 1, third: 1})
    Neighbourhood.objects.filter(pk=personas.hood.pk).update(max_active_priorities=2)
    client = as_persona("chair")
    preview = page(client.get(meeting_url("rounds:round", open_round.meeting)))
    assert "If you close the vote now, these problems become priorities:" in preview
    response = client.post(
        meeting_url("rounds:round", open_round.meeting), {"action": "close"}, follow=True
    )
    assert "The vote is closed. New priorities:" in page(response)
    statuses = dict(
        Problem.objects.filter(pk__in=[p.pk for p in problems]).values_list("pk", "status")
    )
    assert statuses == {
        problems[0].pk: Status.PRIORITY,
        problems[1].pk: Status.PRIORITY,
        problems[2].pk: Status.ACCEPTED,
    }
    assert fresh(open_round).status == "closed"


@pytest.fixture
def tied(personas, open_round, problems) -> PriorityRound:
    """One place free and two problems with the same points."""
    Neighbourhood.objects.filter(pk=personas.hood.pk).update(max_active_priorities=1)
    first, second, _third = (candidate_of(open_round, p) for p in problems)
    vote(open_round, personas.resident, {first: 2, second: 2})
    return open_round


def test_a_tie_shows_the_tied_problems_to_choose_from(as_persona, tied, problems):
    response = as_persona("chair").post(
        meeting_url("rounds:round", tied.meeting), {"action": "close"}
    )
    html = page(response)
    assert response.status_code == 200
    assert "There is a tie: choose 1 of these problems in the room." in html
    first, second, third = (candidate_of(tied, p) for p in problems)
    assert f'value="{first.pk}"' in html and f'value="{second.pk}"' in html
    assert f'name="chosen" value="{third.pk}"' not in html
    assert fresh(tied).status == "open"


@pytest.mark.parametrize("pick", ["none", "both"])
def test_choosing_the_wrong_number_in_a_tie_changes_nothing(as_persona, tied, problems, pick):
    first, second = candidate_of(tied, problems[0]), candidate_of(tied, problems[1])
    chosen = {"none": [], "both": [first.pk, second.pk]}[pick]
    response = as_persona("chair").post(
        meeting_url("rounds:round", tied.meeting),
        {"action": "close", "chosen": chosen, "tie_note": "Handopsteking: 9 tegen 6"},
    )
    assert response.status_code == 200
    assert "Choose exactly 1 problem" in page(response)
    assert fresh(tied).status == "open"
    assert (
        Problem.objects.filter(pk__in=[p.pk for p in problems], status=Status.PRIORITY).count() == 0
    )


def test_a_tie_needs_a_note_of_how_the_room_decided(as_persona, tied, problems):
    first = candidate_of(tied, problems[0])
    response = as_persona("chair").post(
        meeting_url("rounds:round", tied.meeting),
        {"action": "close", "chosen": [first.pk], "tie_note": ""},
    )
    assert "Write down how the room decided the tie." in page(response)
    assert fresh(tied).status == "open"


def test_deciding_a_tie_sets_the_priority_and_keeps_the_note(as_persona, tied, problems):
    second = candidate_of(tied, problems[1])
    note = "Handopsteking tussen de twee: 9 tegen 6."
    response = as_persona("chair").post(
        meeting_url("rounds:round", tied.meeting),
        {"action": "close", "chosen": [second.pk], "tie_note": note},
        follow=True,
    )
    assert problems[1].title in page(response)
    closed = fresh(tied)
    assert closed.status == "closed"
    assert closed.tie_note == note
    assert Problem.objects.get(pk=problems[1].pk).status == Status.PRIORITY
    assert Problem.objects.get(pk=problems[0].pk).status == Status.ACCEPTED
    assert RoundCandidate.objects.get(pk=second.pk).chosen_in_room
    assert note in page(as_persona("chair").get(meeting_url("rounds:round", tied.meeting)))


def test_a_tie_that_went_away_asks_to_close_again(as_persona, personas, tied, problems):
    first = candidate_of(tied, problems[0])
    vote(tied, personas.second_resident, {first: 1})
    response = as_persona("chair").post(
        meeting_url("rounds:round", tied.meeting),
        {"action": "close", "chosen": [first.pk], "tie_note": "Hand"},
        follow=True,
    )
    assert "there is no tie any more" in page(response)
    assert fresh(tied).status == "open"


# --- Paper ballots ---------------------------------------------------------------------------


def test_the_chair_finds_residents_by_name_only(as_persona, personas, open_round):
    client = as_persona("chair")
    found = page(client.get(meeting_url("rounds:round_paper", open_round.meeting), {"q": "Kramer"}))
    assert "Joke Kramer" in found
    assert f"?voter={personas.paper_resident.pk}" in found
    professionals = page(
        client.get(meeting_url("rounds:round_paper", open_round.meeting), {"q": "Vries"})
    )
    assert "Kees de Vries" not in professionals  # the wijkagent does not vote
    elsewhere = page(
        client.get(meeting_url("rounds:round_paper", open_round.meeting), {"q": "Verhoeven"})
    )
    assert "Wim Verhoeven" not in elsewhere


def test_a_paper_ballot_is_saved_as_paper_with_who_entered_it(
    as_persona, personas, open_round, problems
):
    first, second = candidate_of(open_round, problems[0]), candidate_of(open_round, problems[1])
    client = as_persona("minute_taker")
    form = page(
        client.get(
            meeting_url("rounds:round_paper", open_round.meeting),
            {"voter": personas.paper_resident.pk},
        )
    )
    assert "Paper ballot of Joke Kramer" in form
    response = client.post(
        meeting_url("rounds:round_paper", open_round.meeting),
        {
            "action": "ballot",
            "voter": personas.paper_resident.pk,
            f"points-{first.pk}": "3",
            f"points-{second.pk}": "",
        },
        follow=True,
    )
    assert "The paper ballot of Joke Kramer is saved: 3 points." in page(response)
    ballot = Ballot.objects.get(round=open_round, voter=personas.paper_resident)
    assert (ballot.source, ballot.entered_by_id) == ("paper", personas.minute_taker.pk)
    assert dict(ballot.points.values_list("candidate", "points")) == {first.pk: 3}


def test_a_resident_who_voted_online_cannot_also_vote_on_paper(
    as_persona, personas, open_round, problems
):
    first, second = candidate_of(open_round, problems[0]), candidate_of(open_round, problems[1])
    vote(open_round, personas.resident, {first: 2})
    version = fresh(open_round).version
    client = as_persona("chair")
    shown = page(
        client.get(
            meeting_url("rounds:round_paper", open_round.meeting), {"voter": personas.resident.pk}
        )
    )
    assert "Mohamed Bouzid has already voted online" in shown
    response = client.post(
        meeting_url("rounds:round_paper", open_round.meeting),
        {"action": "ballot", "voter": personas.resident.pk, f"points-{second.pk}": "3"},
    )
    assert response.status_code == 200
    assert "This resident has already voted online." in page(response)
    ballot = Ballot.objects.get(round=open_round, voter=personas.resident)
    assert ballot.source == "online"
    assert dict(ballot.points.values_list("candidate", "points")) == {first.pk: 2}
    assert fresh(open_round).version == version


@pytest.mark.parametrize(
    ("points", "message"),
    [
        ({0: "3", 1: "3"}, "These are 6 points, but a resident has 5."),
        ({0: "4"}, "At most 3 points on one problem."),
        ({0: "-1"}, "Points cannot be negative."),
        ({0: "twee"}, "Give a whole number of points."),
    ],
)
def test_a_paper_ballot_out_of_bounds_is_refused_and_nothing_is_saved(
    as_persona, personas, open_round, problems, points, message
):
    candidates = [candidate_of(open_round, p) for p in problems]
    data = {"action": "ballot", "voter": personas.paper_resident.pk}
    data |= {f"points-{candidates[n].pk}": value for n, value in points.items()}
    response = as_persona("chair").post(meeting_url("rounds:round_paper", open_round.meeting), data)
    assert response.status_code == 200
    assert message in page(response)
    assert not Ballot.objects.filter(round=open_round).exists()


@pytest.mark.parametrize("who", ["wijkagent", "outsider", "pending_resident"])
def test_only_resident_members_get_a_paper_ballot(as_persona, personas, open_round, who):
    first = open_round.candidates.first()
    response = as_persona("chair").post(
        meeting_url("rounds:round_paper", open_round.meeting),
        {"action": "ballot", "voter": getattr(personas, who).pk, f"points-{first.pk}": 1},
        follow=True,
    )
    assert "not a resident member of this neighbourhood" in page(response)
    assert not Ballot.objects.filter(round=open_round).exists()


def test_a_paper_ballot_can_be_changed_and_removed(as_persona, personas, open_round, problems):
    first, second = candidate_of(open_round, problems[0]), candidate_of(open_round, problems[1])
    vote(open_round, personas.paper_resident, {first: 1}, source="paper", entered_by=personas.chair)
    client = as_persona("chair")
    form = page(
        client.get(
            meeting_url("rounds:round_paper", open_round.meeting),
            {"voter": personas.paper_resident.pk},
        )
    )
    assert f'name="points-{first.pk}" value="1"' in form
    client.post(
        meeting_url("rounds:round_paper", open_round.meeting),
        {"action": "ballot", "voter": personas.paper_resident.pk, f"points-{second.pk}": "2"},
    )
    ballot = Ballot.objects.get(round=open_round, voter=personas.paper_resident)
    assert dict(ballot.points.values_list("candidate", "points")) == {second.pk: 2}
    response = client.post(
        meeting_url("rounds:round_paper", open_round.meeting),
        {"action": "ballot", "voter": personas.paper_resident.pk},
        follow=True,
    )
    assert "is removed" in page(response)
    assert not Ballot.objects.filter(round=open_round).exists()


def test_a_closed_round_takes_no_paper_ballot(as_persona, personas, open_round):
    round_services.round_close(priority_round=fresh(open_round), by=None)
    first = open_round.candidates.first()
    response = as_persona("chair").post(
        meeting_url("rounds:round_paper", open_round.meeting),
        {"action": "ballot", "voter": personas.paper_resident.pk, f"points-{first.pk}": 1},
        follow=True,
    )
    assert "The vote is closed" in page(response)
    assert not Ballot.objects.filter(round=open_round).exists()


# --- Hand counts -----------------------------------------------------------------------------


def test_hand_counts_are_saved_cleared_and_shown_apart(as_persona, personas, open_round, problems):
    first, second = candidate_of(open_round, problems[0]), candidate_of(open_round, problems[1])
    vote(open_round, personas.resident, {first: 2})
    client = as_persona("chair")
    response = client.post(
        meeting_url("rounds:round_paper", open_round.meeting),
        {"action": "hands", f"hands-{first.pk}": "7", f"hands-{second.pk}": "11"},
        follow=True,
    )
    assert "The hand counts are saved" in page(response)
    counts = dict(HandCount.objects.values_list("candidate", "hands"))
    assert counts == {first.pk: 7, second.pk: 11}
    assert HandCount.objects.get(candidate=first).entered_by == personas.chair
    results = page(client.get(meeting_url("rounds:round", open_round.meeting)))
    # Ballot points (2) and hands (7) in their own columns; the total adds them.
    assert '<td class="round-table__number">7</td>' in results
    assert "<strong>9</strong>" in results
    client.post(
        meeting_url("rounds:round_paper", open_round.meeting),
        {"action": "hands", f"hands-{first.pk}": "", f"hands-{second.pk}": "11"},
    )
    assert dict(HandCount.objects.values_list("candidate", "hands")) == {second.pk: 11}


def test_one_wrong_hand_count_saves_none(as_persona, open_round, problems):
    first, second = candidate_of(open_round, problems[0]), candidate_of(open_round, problems[1])
    response = as_persona("chair").post(
        meeting_url("rounds:round_paper", open_round.meeting),
        {"action": "hands", f"hands-{first.pk}": "7", f"hands-{second.pk}": "-2"},
    )
    assert response.status_code == 200
    assert "Give a number of hands from 0 to 10,000." in page(response)
    assert not HandCount.objects.exists()


# --- Query counts ----------------------------------------------------------------------------


def grow(round: PriorityRound, personas: Any, count: int, tag: str) -> None:
    """More candidates with hand counts (all different: no tie to decide)."""
    for n, problem in enumerate(candidates_in(personas.hood, count, tag)):
        candidate = RoundCandidate.objects.create(round=round, problem=problem, position=99)
        HandCount.objects.create(
            round=round, candidate=candidate, hands=10 + n, entered_by=personas.chair
        )


@pytest.mark.parametrize("name", ["round", "round_paper"])
def test_the_pages_ask_the_same_number_of_queries_for_a_longer_ballot(
    as_persona, personas, open_round, problems, name
):
    vote(open_round, personas.resident, {candidate_of(open_round, problems[0]): 2})
    client = as_persona("chair")
    target = meeting_url(name, open_round.meeting)
    query = {"q": "Kramer", "voter": personas.paper_resident.pk} if name == "round_paper" else {}
    client.get(target, query)
    with CaptureQueriesContext(connection) as small:
        assert client.get(target, query).status_code == 200
    grow(open_round, personas, 12, "extra ")
    vote(open_round, personas.second_resident, {candidate_of(open_round, problems[1]): 1})
    with CaptureQueriesContext(connection) as large:
        html = page(client.get(target, query))
    assert "Kandidaat extra 11" in html
    assert len(large.captured_queries) == len(small.captured_queries)
