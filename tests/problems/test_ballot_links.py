"""The personal ballot link from the agenda mail: votes without logging in, for one person in
one round only, until the round closes."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from meetings.rounds.links import ballot_link_expires_at, ballot_link_url
from meetings.rounds.models import Ballot, PriorityRound
from meetings.rounds.services import ballot_cast, round_close, round_open
from problems.links import unfollow_url
from residents.links import read_action_link_token, user_revoke_action_links
from residents.models import Membership, User
from tests.support import ballot_fields, candidate_ids, points_of, stored_points


@pytest.fixture
def round(make_round) -> PriorityRound:
    return make_round(3)


def path_of(absolute: str) -> str:
    assert absolute.startswith(settings.SITE_URL + "/link/stem/")
    return absolute.removeprefix(settings.SITE_URL)


def link(round: PriorityRound, user: User) -> str:
    return path_of(ballot_link_url(priority_round=round, user=user))


@pytest.fixture
def browser(english_pages, client) -> Client:
    """A phone that has never logged in and does not send CSRF tokens."""
    phone = Client(enforce_csrf_checks=True)
    phone.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return phone


def test_the_link_is_absolute_and_names_the_person_and_the_round(personas, round):
    url = ballot_link_url(priority_round=round, user=personas.resident)
    token = url.rstrip("/").rsplit("/", 1)[-1]
    found = read_action_link_token(token=token, purpose="ballot", obj=round)
    assert found.user == personas.resident
    assert found.obj == round


def test_the_link_is_valid_until_the_round_closes_or_the_day_after_the_meeting(
    personas, make_round
):
    without = make_round(1)
    assert without.closes_at is None
    assert ballot_link_expires_at(without) == without.meeting.ends_at + timedelta(days=1)
    closes = timezone.now() + timedelta(days=3)
    timed = round_open(priority_round=make_round(0, open=False, days=14), closes_at=closes)
    assert ballot_link_expires_at(timed) == closes
    url = link(timed, personas.resident)
    with time_machine.travel(closes - timedelta(minutes=1)):
        assert Client().get(url).status_code == 200
    with time_machine.travel(closes + timedelta(seconds=1)):
        assert Client().get(url).status_code == 410


def test_a_resident_votes_through_the_link_without_logging_in(browser, personas, round):
    first, second, _ = candidate_ids(round)
    url = link(round, personas.resident)
    page = browser.get(url)
    assert page.status_code == 200
    content = page.content.decode()
    assert "This is the personal ballot of Mohamed Bouzid" in content
    assert f'name="points-{first}"' in content
    assert "5 points left" in content
    assert "no-cache" in page.headers["Cache-Control"]

    saved = browser.post(url, ballot_fields({first: 3, second: 2}))
    assert saved.status_code == 303
    assert saved.url == url
    assert stored_points(round) == {
        (personas.resident.pk, first): ("online", 3),
        (personas.resident.pk, second): ("online", 2),
    }
    assert "_auth_user_id" not in browser.session
    again = browser.get(url).content.decode()
    assert "Your vote has been saved" in again
    assert f'name="points-{first}" value="3"' in again

    browser.post(url, {"withdraw": "1"})
    assert not Ballot.objects.exists()


def test_a_link_acts_only_for_its_own_person(browser, login, personas, round):
    first = candidate_ids(round)[0]
    url = link(round, personas.resident)
    # Naming someone else in the form does nothing, and neither does being logged in as them.
    browser.post(url, {"voter": personas.second_resident.pk, **ballot_fields({first: 2})})
    logged_in = login(personas.second_resident)
    logged_in.post(url, {"voter": personas.second_resident.pk, **ballot_fields({first: 1})})
    assert stored_points(round) == {(personas.resident.pk, first): ("online", 1)}
    assert not Ballot.objects.filter(voter=personas.second_resident).exists()


def test_a_link_for_one_round_cannot_vote_in_another(browser, personas, round, make_round):
    other = make_round(0, days=35)  # same neighbourhood, its own candidate rows
    url = link(round, personas.resident)
    response = browser.post(url, ballot_fields({candidate_ids(other)[0]: 2}))
    assert response.status_code == 200
    assert "Your ballot names a problem that is not in this round." in response.content.decode()
    assert not Ballot.objects.exists()
    # The URL of the other round's ballot does not take the link either.
    assert browser.post(
        reverse("rounds:ballot", args=[personas.hood.slug, other.pk])
    ).status_code in (
        302,
        403,
    )
    assert not Ballot.objects.exists()


def test_a_tampered_link_is_refused_with_a_friendly_page(browser, personas, round):
    url = link(round, personas.resident)
    token = url.rstrip("/").rsplit("/", 1)[-1]
    # Someone else's id in an otherwise genuine token breaks the signature.
    for broken in (
        token[:-2] + ("AA" if not token.endswith("AA") else "BB"),
        "nonsense",
        "x" * 700,
    ):
        page = browser.get(reverse("rounds:ballot_link", args=[broken]))
        assert page.status_code == 400
        assert "This ballot link does not work" in page.content.decode()
        assert "Voting while logged in" in page.content.decode()
        assert (
            browser.post(
                reverse("rounds:ballot_link", args=[broken]),
                ballot_fields({candidate_ids(round)[0]: 1}),
            ).status_code
            == 400
        )
    assert not Ballot.objects.exists()


def test_a_link_made_for_another_purpose_does_not_vote(browser, personas, round, make_problem):
    problem = make_problem()
    token = unfollow_url(personas.resident, problem).rstrip("/").rsplit("/", 1)[-1]
    response = browser.post(
        reverse("rounds:ballot_link", args=[token]), ballot_fields({candidate_ids(round)[0]: 1})
    )
    assert response.status_code == 400
    assert not Ballot.objects.exists()


def test_an_expired_link_explains_how_to_vote_logged_in(browser, personas, round):
    url = link(round, personas.resident)
    with time_machine.travel(round.meeting.ends_at + timedelta(days=1, seconds=1)):
        page = browser.get(url)
        assert page.status_code == 410
        content = page.content.decode()
        assert "This ballot link has expired" in content
        assert reverse("account_login") in content
        assert browser.post(url, ballot_fields({candidate_ids(round)[0]: 1})).status_code == 410
    assert not Ballot.objects.exists()


def test_a_revoked_link_no_longer_works(browser, personas, round):
    url = link(round, personas.resident)
    user_revoke_action_links(user=personas.resident)
    assert browser.post(url, ballot_fields({candidate_ids(round)[0]: 1})).status_code == 400
    assert not Ballot.objects.exists()


def test_a_link_of_someone_who_is_no_longer_a_resident_member_shows_no_ballot(
    browser, personas, round
):
    url = link(round, personas.resident)
    Membership.objects.filter(user=personas.resident).update(status="left")
    page = browser.get(url)
    assert page.status_code == 403
    assert 'name="points-' not in page.content.decode()
    assert browser.post(url, ballot_fields({candidate_ids(round)[0]: 1})).status_code == 403
    assert not Ballot.objects.exists()


def test_a_link_of_a_professional_shows_no_ballot(browser, personas, round):
    page = browser.get(link(round, personas.wijkagent))
    assert page.status_code == 200
    assert "you do not vote" in page.content.decode()
    assert 'name="points-' not in page.content.decode()
    browser.post(link(round, personas.wijkagent), ballot_fields({candidate_ids(round)[0]: 1}))
    assert not Ballot.objects.exists()


def test_after_the_round_closes_the_link_says_so_and_refuses(browser, personas, round):
    first = candidate_ids(round)[0]
    url = link(round, personas.resident)
    browser.post(url, ballot_fields({first: 2}))
    ballot_cast(priority_round=round, voter=personas.second_resident, points={first: 1})
    round_close(priority_round=round, by=personas.chair)
    page = browser.get(url).content.decode()
    assert "Voting is closed." in page
    assert 'name="points-' not in page
    response = browser.post(url, ballot_fields({first: 3}))
    assert response.status_code == 200
    assert points_of(round, personas.resident) == {first: 2}
