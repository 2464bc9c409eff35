"""A resident's ballot, logged in: who gets a form, casting, changing, withdrawing, refusals."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from meetings.rounds.models import Ballot, PriorityRound, RoundCandidate
from meetings.rounds.services import ballot_cast, round_close, round_open
from meetings.rounds.views import ballot as ballot_views
from problems.workflow import Status
from residents.models import Membership
from tests.factories import new_round
from tests.support import ballot_fields, candidate_ids, points_of, stored_points

VOTERS = ["resident", "second_resident", "minute_taker"]
TEAM = ["chair", "wijkagent", "housing_contact", "office", "coordinator"]
STRANGERS = ["outsider", "outsider_chair", "pending_resident"]


@pytest.fixture
def round(make_round) -> PriorityRound:
    return make_round(3)


def url(round: PriorityRound) -> str:
    return reverse("rounds:ballot", args=[round.neighbourhood.slug, round.pk])


# --- Who gets a ballot ---------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_log_in(client, round):
    response = client.get(url(round))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))
    assert client.post(url(round), ballot_fields({candidate_ids(round)[0]: 2})).status_code == 302
    assert not Ballot.objects.exists()


@pytest.mark.parametrize("persona", VOTERS)
def test_residents_get_the_ballot_form(as_persona, round, persona):
    response = as_persona(persona).get(url(round))
    assert response.status_code == 200
    page = response.content.decode()
    assert "data-ballot" in page
    assert "Save my vote" in page
    for pk in candidate_ids(round):
        assert f'name="points-{pk}"' in page
    assert "Kandidaat 1" in page


@pytest.mark.parametrize("persona", TEAM)
def test_the_team_sees_the_candidates_with_an_explanation_and_no_form(
    as_persona, personas, round, persona
):
    client = as_persona(persona)
    response = client.get(url(round))
    assert response.status_code == 200
    page = response.content.decode()
    assert "In the role you have here you do not vote" in page
    assert "Kandidaat 1" in page
    assert "Save my vote" not in page
    assert 'name="points-' not in page
    # Posting a ballot anyway changes nothing.
    refused = client.post(url(round), ballot_fields({candidate_ids(round)[0]: 2}))
    assert 'name="points-' not in refused.content.decode()
    assert not Ballot.objects.exists()


@pytest.mark.parametrize("persona", STRANGERS)
def test_people_who_are_not_members_here_get_403_with_an_explanation(as_persona, round, persona):
    client = as_persona(persona)
    response = client.get(url(round))
    assert response.status_code == 403
    page = response.content.decode()
    assert "Voting is for residents of this neighbourhood" in page
    assert 'name="points-' not in page
    assert "Kandidaat 1" not in page
    if persona == "pending_resident":
        assert "waiting for the chair's approval" in page
    else:
        assert "You are not a member of Kanaleneiland-Noord" in page
    assert client.post(url(round), ballot_fields({candidate_ids(round)[0]: 2})).status_code == 403
    assert not Ballot.objects.exists()


def test_a_round_is_only_found_under_its_own_neighbourhood(as_persona, personas, round):
    client = as_persona("outsider")
    wrong = reverse("rounds:ballot", args=[personas.other_hood.slug, round.pk])
    assert client.get(wrong).status_code == 404
    assert client.post(wrong, ballot_fields({candidate_ids(round)[0]: 2})).status_code == 404
    assert (
        as_persona("resident")
        .get(reverse("rounds:ballot", args=[personas.hood.slug, 999999]))
        .status_code
        == 404
    )


def test_a_resident_who_left_no_longer_votes(as_persona, personas, round):
    Membership.objects.filter(user=personas.resident).update(status="left")
    client = as_persona("resident")
    assert client.get(url(round)).status_code == 403
    assert client.post(url(round), ballot_fields({candidate_ids(round)[0]: 1})).status_code == 403
    assert not Ballot.objects.exists()


# --- Casting, changing, withdrawing ----------------------------------------------------------


def test_a_resident_casts_a_ballot_and_sees_it_saved(as_persona, personas, round):
    first, second, _third = candidate_ids(round)
    client = as_persona("resident")
    response = client.post(url(round), ballot_fields({first: 3, second: 2}))
    assert response.status_code == 303
    assert response.url == url(round)
    assert stored_points(round) == {
        (personas.resident.pk, first): ("online", 3),
        (personas.resident.pk, second): ("online", 2),
    }
    page = client.get(response.url).content.decode()
    assert "Your vote has been saved" in page
    assert f'name="points-{first}" value="3"' in page
    assert "0 points left" in page


def test_the_page_shows_the_points_left_without_javascript(as_persona, personas, round):
    first = candidate_ids(round)[0]
    ballot_cast(priority_round=round, voter=personas.resident, points={first: 2})
    page = as_persona("resident").get(url(round)).content.decode()
    assert "3 points left" in page
    assert f'name="points-{first}" value="2"' in page
    assert 'aria-live="polite"' in page
    # Each number field is labelled with its problem.
    assert f'<label class="ballot-item__title" for="id_points-{first}">' in page
    assert f'id="id_points-{first}"' in page
    assert 'max="3"' in page
    assert "js/ballot.js" in page


def test_a_resident_changes_their_ballot(as_persona, personas, round):
    first, second, third = candidate_ids(round)
    client = as_persona("resident")
    client.post(url(round), ballot_fields({first: 3, second: 2}))
    response = client.post(url(round), ballot_fields({second: 1, third: 3, first: ""}))
    assert response.status_code == 303
    assert points_of(round, personas.resident) == {second: 1, third: 3}
    assert Ballot.objects.filter(round=round, voter=personas.resident).count() == 1


def test_a_resident_withdraws_their_ballot(as_persona, personas, round):
    first = candidate_ids(round)[0]
    client = as_persona("resident")
    client.post(url(round), ballot_fields({first: 3}))
    ballot_cast(priority_round=round, voter=personas.second_resident, points={first: 1})
    page = client.get(url(round)).content.decode()
    assert "Withdraw my vote" in page
    response = client.post(url(round), {"withdraw": "1", **ballot_fields({first: 3})})
    assert response.status_code == 303
    assert not Ballot.objects.filter(round=round, voter=personas.resident).exists()
    assert points_of(round, personas.second_resident) == {first: 1}
    page = client.get(url(round)).content.decode()
    assert "Your vote has been withdrawn" in page
    assert "5 points left" in page
    assert "Withdraw my vote" not in page


def test_a_ballot_with_no_points_at_all_leaves_no_vote(as_persona, personas, round):
    first, second, _ = candidate_ids(round)
    client = as_persona("resident")
    client.post(url(round), ballot_fields({first: 2}))
    response = client.post(url(round), ballot_fields({first: 0, second: "0"}))
    assert response.status_code == 303
    assert not Ballot.objects.filter(round=round).exists()


def test_the_person_voting_comes_from_the_session_only(as_persona, personas, round):
    first = candidate_ids(round)[0]
    as_persona("resident").post(
        url(round), {"voter": personas.second_resident.pk, **ballot_fields({first: 2})}
    )
    assert stored_points(round) == {(personas.resident.pk, first): ("online", 2)}


# --- Refusals: a clear message, nothing changed -----------------------------------------------


@pytest.fixture
def other_round(make_round) -> PriorityRound:
    """A second round in the same neighbourhood (with its own candidate rows)."""
    return make_round(0, days=35)


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("over_budget", "You gave 6 points, but you have 5."),
        ("over_max", "a whole number of points from 0 to 3"),
        ("negative", "a whole number of points from 0 to 3"),
        ("not_a_number", "a whole number of points from 0 to 3"),
        ("unknown", "Your ballot names a problem that is not in this round."),
        ("other_round", "Your ballot names a problem that is not in this round."),
        ("not_an_id", "Your ballot names a problem that is not in this round."),
        ("twice", "Give one number for each problem."),
    ],
)
def test_tampered_or_wrong_ballots_are_refused_and_change_nothing(
    as_persona, personas, round, other_round, case, message
):
    first, second, _third = candidate_ids(round)
    client = as_persona("resident")
    client.post(url(round), ballot_fields({first: 1, second: 1}))
    before = stored_points(round)
    assert before
    foreign = candidate_ids(other_round)[0]
    data: Any = {
        "over_budget": ballot_fields({first: 3, second: 3}),
        "over_max": ballot_fields({first: 4}),
        "negative": ballot_fields({first: -1, second: 3}),
        "not_a_number": ballot_fields({first: "2.5"}),
        "unknown": ballot_fields({first: 1, 999999: 1}),
        "other_round": ballot_fields({first: 1, foreign: 2}),
        "not_an_id": {**ballot_fields({first: 1}), "points-abc": "1"},
        "twice": f"points-{first}=1&points-{first}=2",
    }[case]
    if isinstance(data, str):
        response = client.post(url(round), data, content_type="application/x-www-form-urlencoded")
    else:
        response = client.post(url(round), data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Your vote was not saved" in page
    assert 'class="error-summary"' in page
    assert message in page
    assert 'name="points-' in page  # the form again, to correct
    assert stored_points(round) == before
    assert not Ballot.objects.filter(round=other_round).exists()
    # What was sent stays in the form, so the resident sees what to correct.
    if case == "over_budget":
        assert f'name="points-{first}" value="3"' in page
        assert "1 point too many" in page
    if case == "over_max":
        assert f'href="#id_points-{first}"' in page  # the summary links to the field


def test_a_closed_round_refuses_ballots(as_persona, personas, round):
    first = candidate_ids(round)[0]
    client = as_persona("resident")
    client.post(url(round), ballot_fields({first: 2}))
    round_close(priority_round=round, by=personas.chair)
    before = stored_points(round)
    response = client.post(url(round), ballot_fields({first: 3}))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Voting is closed: your vote was not saved." in page
    assert 'name="points-' not in page
    assert stored_points(round) == before
    page = client.get(url(round)).content.decode()
    assert "Voting is closed." in page
    assert "You gave 2 points" in page
    assert "Save my vote" not in page


def test_a_round_past_its_closing_time_is_closed(as_persona, personas, make_round):
    round = make_round(2, open=False)
    round = round_open(priority_round=round, closes_at=timezone.now() + timedelta(hours=1))
    client = as_persona("resident")
    with time_machine.travel(timezone.now() + timedelta(hours=2)):
        page = client.get(url(round)).content.decode()
        assert "Voting is closed." in page
        assert 'name="points-' not in page
        response = client.post(url(round), ballot_fields({candidate_ids(round)[0]: 1}))
        assert response.status_code == 200
    assert not Ballot.objects.exists()


def test_the_results_link_appears_only_once_results_are_shown(as_persona, personas, round):
    first = candidate_ids(round)[0]
    ballot_cast(priority_round=round, voter=personas.second_resident, points={first: 3})
    client = as_persona("resident")
    page = client.get(url(round)).content.decode()
    assert "See the results" not in page
    round_close(priority_round=round, by=personas.chair)  # closing shows the results
    page = client.get(url(round)).content.decode()
    results = reverse("rounds:round_results", args=[personas.hood.slug, round.pk])
    assert f'href="{results}"' in page
    # The page itself never shows totals.
    assert "3 points" not in page


def test_before_voting_opens_the_page_says_when(as_persona, personas, make_round):
    round = make_round(2, open=False)
    client = as_persona("resident")
    page = client.get(url(round)).content.decode()
    assert "Voting has not opened yet" in page
    assert "when the agenda for the meeting on" in page
    assert 'name="points-' not in page
    response = client.post(url(round), ballot_fields({candidate_ids(round)[0]: 1}))
    assert response.status_code == 200
    assert "Voting has not opened yet: your vote was not saved." in response.content.decode()
    assert not Ballot.objects.exists()


def test_a_paper_ballot_already_entered_is_shown_and_cannot_be_doubled(as_persona, personas, round):
    first, second, _ = candidate_ids(round)
    ballot_cast(
        priority_round=round,
        voter=personas.resident,
        points={first: 1},
        source=Ballot.Source.PAPER,
        entered_by=personas.chair,
    )
    client = as_persona("resident")
    page = client.get(url(round)).content.decode()
    assert "Your paper ballot has been entered" in page
    assert 'name="points-' not in page
    response = client.post(url(round), ballot_fields({second: 3}))
    assert response.status_code == 200
    assert "cannot vote online" in response.content.decode()
    assert stored_points(round) == {(personas.resident.pk, first): ("paper", 1)}
    client.post(url(round), {"withdraw": "1"})
    assert stored_points(round) == {(personas.resident.pk, first): ("paper", 1)}


def test_a_sensitive_candidate_shows_only_its_public_title(as_persona, personas, make_problem):
    make_problem(
        Status.CANDIDATE,
        category="drugsoverlast",
        title="Drugshandel bij nummer 12",
        street="Bouwstraat",
        location_detail="Bij nummer 12",
        confidential_details="Familie X op nummer 12",
    )
    round = new_round(personas, make_problem, 0)
    candidate = round.candidates.get()
    page = as_persona("resident").get(url(round)).content.decode()
    assert candidate.problem.public_title in page
    assert "Bouwstraat" in page
    assert "Drugshandel" not in page
    assert "Familie X" not in page


def test_the_page_is_in_dutch_by_default(login, personas, round):
    page = login(personas.resident).get(url(round)).content.decode()
    assert '<html lang="nl">' in page


# --- Queries ---------------------------------------------------------------------------------


def test_the_ballot_page_queries_do_not_grow_with_candidates(
    as_persona,
    personas,
    make_round,
    make_problem,
    django_assert_num_queries,
    django_assert_max_num_queries,
):
    round = make_round(2)
    client = as_persona("resident")
    ballot_cast(priority_round=round, voter=personas.resident, points={candidate_ids(round)[0]: 2})
    client.get(url(round))  # the second-factor check of the session is done once
    with django_assert_max_num_queries(12) as small:
        assert client.get(url(round)).status_code == 200
    bigger = make_round(0, days=14)
    for n in range(12):
        problem = make_problem(Status.CANDIDATE, title=f"Nog een probleem {n}")
        RoundCandidate.objects.create(round=bigger, problem=problem, position=10 + n)
    ballot_cast(
        priority_round=bigger,
        voter=personas.resident,
        points=dict.fromkeys(candidate_ids(bigger)[:5], 1),
    )
    assert len(candidate_ids(bigger)) > 12
    with django_assert_num_queries(len(small.captured_queries)):
        assert client.get(url(bigger)).status_code == 200


# Savepoints stand in for the BEGIN and COMMIT a request has in production; they are not
# statements the ballot sends.
TRANSACTION_CONTROL = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT", "BEGIN")


@pytest.mark.parametrize("again", [False, True], ids=["first ballot", "changed ballot"])
def test_the_ballot_post_does_at_most_ten_queries_with_authentication(
    as_persona, personas, round, django_assert_max_num_queries, again
):
    first, second, third = candidate_ids(round)
    client = as_persona("resident")
    client.get(url(round))  # the second-factor check of the session is done once
    if again:
        client.post(url(round), ballot_fields({first: 3, second: 2}))
    # At most 10, plus the savepoint pair of the test's own transaction.
    with django_assert_max_num_queries(12) as captured:
        response = client.post(url(round), ballot_fields({first: 1, second: 2, third: 2}))
    assert response.status_code == 303
    assert points_of(round, personas.resident) == {first: 1, second: 2, third: 2}
    statements = [
        query["sql"]
        for query in captured.captured_queries
        if not query["sql"].startswith(TRANSACTION_CONTROL)
    ]
    assert len(statements) <= 10, "\n".join(statements)


# --- Where residents find it -------------------------------------------------------------------


def test_the_call_to_vote_links_to_the_ballot_while_the_round_is_open(
    english_pages, personas, make_round, django_assert_num_queries
):
    round = make_round(1)
    with translation.override("en"), django_assert_num_queries(0):
        call = render_to_string(
            "problems/_ballot_call.html", {"round": round, "neighbourhood": personas.hood}
        )
    assert "You have 5 points to spread" in call
    assert f'href="{url(round)}"' in call
    draft = make_round(0, open=False, days=14)
    assert render_to_string("problems/_ballot_call.html", {"round": draft}).strip() == ""
    assert render_to_string("problems/_ballot_call.html", {"round": None}).strip() == ""


def test_a_round_that_closes_while_the_resident_votes_shows_the_closed_page(
    as_persona, personas, round, monkeypatch
):
    def cast_after_the_close(**kwargs):
        round_close(priority_round=round, by=personas.chair)
        return ballot_cast(**kwargs)

    monkeypatch.setattr(ballot_views, "ballot_cast", cast_after_the_close)
    response = as_persona("resident").post(url(round), ballot_fields({candidate_ids(round)[0]: 2}))
    page = response.content.decode()
    assert "Voting is closed: your vote was not saved." in page
    assert 'name="points-' not in page
    assert not Ballot.objects.exists()
