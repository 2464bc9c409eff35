"""Published results of a priority round, the round history, the neighbourhood page's summary
and call to vote, and the printable paper ballot (PDF)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation

from buurtoverleg.qr import qr_data_uri
from meetings.rounds.models import Ballot, PriorityRound, RoundCandidate
from meetings.rounds.pdf import ballot_page_url, ballot_paper_html
from meetings.rounds.services import (
    TieUndecided,
    ballot_cast,
    hand_count_set,
    round_close,
    round_create,
    round_results_show,
)
from meetings.rounds.views import results as round_results_views
from meetings.services import meeting_create
from problems.models import Problem
from problems.workflow import Status
from residents.models import Membership, Neighbourhood, Role, User
from tests.conftest import PERSONA_NAMES, Personas, assert_status, make_person
from tests.factories import new_round
from tests.support import candidates_of

RUNS_MEETING = {"chair", "minute_taker", "coordinator"}
MAY_PRINT = RUNS_MEETING | {"office"}
# Marker strings in voters' names: they must never reach a public output.
MARKER = "Qxvoterzz"
TITLES = ("Zwerfvuil bij de glasbak", "Te hard rijden langs de school", "Donker fietspad")


def marked_voters(personas: Personas, count: int, start: int = 0) -> list[User]:
    """Active residents whose names and addresses carry the marker."""
    voters = []
    for n in range(start, start + count):
        user = make_person(f"{MARKER} Bewoner {n}", f"{MARKER.lower()}{n}@example.nl")
        Membership.objects.create(
            user=user, neighbourhood=personas.hood, role=Role.RESIDENT, status="active"
        )
        voters.append(user)
    return voters


def results_url(round: PriorityRound) -> str:
    return reverse("rounds:round_results", args=[round.neighbourhood.slug, round.pk])


def pdf_url(round: PriorityRound) -> str:
    return reverse("rounds:round_ballot_pdf", args=[round.neighbourhood.slug, round.pk])


@pytest.fixture
def voted_round(personas, make_problem) -> PriorityRound:
    """An open round: two online ballots, one paper ballot and a hand count."""
    round = new_round(personas, make_problem, TITLES, days=3)
    litter, speeding, path = candidates_of(round)
    ballot_cast(
        priority_round=round, voter=personas.resident, points={litter.pk: 3, speeding.pk: 2}
    )
    ballot_cast(
        priority_round=round, voter=personas.second_resident, points={litter.pk: 1, path.pk: 3}
    )
    ballot_cast(
        priority_round=round,
        voter=personas.paper_resident,
        points={speeding.pk: 3},
        source=Ballot.Source.PAPER,
        entered_by=personas.chair,
    )
    hand_count_set(priority_round=round, candidate=path, hands=4, by=personas.chair)
    return round


# --- Who sees the results, and when --------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_results_are_hidden_before_they_are_shown_except_from_the_team(
    as_persona, personas, voted_round, persona
):
    response = as_persona(persona).get(results_url(voted_round))
    if persona in RUNS_MEETING:
        assert response.status_code == 200
        html = response.content.decode()
        assert "Hidden." in html and "Residents cannot see these results yet" in html
        assert "private" in response["Cache-Control"]
    else:
        assert response.status_code == 404
        assert b"Zwerfvuil" not in response.content


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_results_are_public_once_the_chair_shows_them(as_persona, personas, voted_round, persona):
    round_results_show(priority_round=voted_round)
    response = as_persona(persona).get(results_url(voted_round))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Zwerfvuil bij de glasbak" in html
    assert "Hidden." not in html
    assert "Voting is still open." in html


@pytest.mark.parametrize("persona", ["anonymous", "resident", "outsider"])
def test_results_are_public_once_the_round_is_closed(as_persona, personas, voted_round, persona):
    round_close(priority_round=voted_round, by=personas.chair)
    response = as_persona(persona).get(results_url(voted_round))
    assert response.status_code == 200
    assert "The vote is closed." in response.content.decode()


def test_a_round_under_another_neighbourhood_or_unknown_is_404(as_persona, personas, voted_round):
    round_close(priority_round=voted_round, by=personas.chair)
    client = as_persona("chair")
    wrong = reverse("rounds:round_results", args=[personas.other_hood.slug, voted_round.pk])
    assert client.get(wrong).status_code == 404
    unknown = reverse("rounds:round_results", args=[personas.hood.slug, voted_round.pk + 999])
    assert client.get(unknown).status_code == 404


def test_the_outsider_chair_does_not_see_hidden_results_of_another_neighbourhood(
    as_persona, voted_round
):
    assert as_persona("outsider_chair").get(results_url(voted_round)).status_code == 404


# --- What the results say --------------------------------------------------------------------


def test_results_show_points_by_source_voters_and_hands_apart(as_persona, personas, voted_round):
    round_results_show(priority_round=voted_round)
    html = as_persona("anonymous").get(results_url(voted_round)).content.decode()
    assert "3 residents voted." in html
    assert "Online: 2. On paper: 1." in html
    assert "Every resident had 5 points to spread, at most 3 on one problem." in html
    assert "Hands counted in the room are shown apart" in html
    # Litter 3 + 1 online; speeding 2 online + 3 paper; the dark path 3 online + 4 hands.
    assert "4 points from ballots (4 online, 0 on paper)" in html
    assert "5 points from ballots (2 online, 3 on paper)" in html
    assert "3 points from ballots (3 online, 0 on paper)" in html
    assert "4 hands counted in the room" in html
    # Highest total first: the path (7), speeding (5), litter (4).
    order = [html.index(t) for t in ("Donker fietspad", "Te hard rijden", "Zwerfvuil bij")]
    assert order == sorted(order)
    assert "7 in total" in html and "5 in total" in html and "4 in total" in html
    # The bars carry the same numbers as widths (percent of the top total).
    assert '<rect width="43" height="10"' in html  # path: 3 of 7 from ballots
    assert '<rect x="43" width="57" height="10"' in html  # and 4 of 7 hands


def test_closed_results_say_what_became_a_priority(as_persona, personas, voted_round):
    Neighbourhood.objects.filter(pk=personas.hood.pk).update(max_active_priorities=2)
    winners = round_close(priority_round=voted_round, by=personas.chair)
    assert {c.problem.title for c in winners} == {
        "Donker fietspad",
        "Te hard rijden langs de school",
    }
    html = as_persona("resident").get(results_url(voted_round)).content.decode()
    assert html.count("Became a priority") == 4  # two badges and two table cells
    assert html.count("Not chosen") == 2
    assert "Chosen in the room" not in html


def test_a_tie_decided_in_the_room_shows_the_note_and_the_choice(
    as_persona, personas, make_problem
):
    round = new_round(personas, make_problem, ("Eerste gelijke", "Tweede gelijke"), days=3)
    first, second = candidates_of(round)
    ballot_cast(priority_round=round, voter=personas.resident, points={first.pk: 2, second.pk: 2})
    Neighbourhood.objects.filter(pk=personas.hood.pk).update(max_active_priorities=1)
    with pytest.raises(TieUndecided) as undecided:
        round_close(priority_round=round, by=personas.chair)
    assert undecided.value.code == "tie_undecided"
    assert [c.pk for c in undecided.value.tied] == [first.pk, second.pk]
    round_close(
        priority_round=round,
        by=personas.chair,
        chosen=[second.pk],
        tie_note="De zaal koos met handopsteken voor het tweede probleem.",
    )
    html = as_persona("anonymous").get(results_url(round)).content.decode()
    assert "How the room decided a tie" in html
    assert "De zaal koos met handopsteken voor het tweede probleem." in html
    assert "Chosen in the room" in html
    assert html.index("Tweede gelijke") < html.index("Chosen in the room")


def test_results_never_name_a_voter(as_persona, personas, make_problem):
    round = new_round(personas, make_problem, TITLES, days=3)
    litter, speeding, _path = candidates_of(round)
    for voter in marked_voters(personas, 3):
        ballot_cast(priority_round=round, voter=voter, points={litter.pk: 2, speeding.pk: 1})
    paper = marked_voters(personas, 1, start=10)[0]
    ballot_cast(
        priority_round=round,
        voter=paper,
        points={speeding.pk: 3},
        source=Ballot.Source.PAPER,
        entered_by=personas.chair,
    )
    pages = [as_persona("chair").get(results_url(round))]  # the team, before they are shown
    round_close(priority_round=round, by=personas.chair)
    client = as_persona("anonymous")
    pages += [
        client.get(results_url(round)),
        client.get(reverse("rounds:rounds", args=[personas.hood.slug])),
        client.get(reverse("neighbourhood", args=[personas.hood.slug])),
    ]
    for response in pages:
        assert response.status_code == 200
        html = response.content.decode()
        assert MARKER not in html and MARKER.lower() not in html
        assert "4 residents voted" in html


def test_the_empty_state_of_a_round_without_candidates(as_persona, personas):
    starts = timezone.now() + timedelta(days=2)
    meeting = meeting_create(
        neighbourhood=personas.hood, starts_at=starts, ends_at=starts + timedelta(hours=2), place=""
    )
    round = round_create(meeting=meeting)
    response = as_persona("chair").get(results_url(round))
    assert response.status_code == 200
    html = response.content.decode()
    assert "There were no problems on this ballot." in html
    assert "This round is being prepared." in html


def test_an_open_round_links_to_the_ballot_and_the_team_to_the_paper_ballot(
    as_persona, personas, voted_round
):
    round_results_show(priority_round=voted_round)
    ballot = reverse("rounds:ballot", args=[personas.hood.slug, voted_round.pk])
    html = as_persona("resident").get(results_url(voted_round)).content.decode()
    assert f'href="{ballot}"' in html
    assert pdf_url(voted_round) not in html
    assert (
        pdf_url(voted_round) in as_persona("office").get(results_url(voted_round)).content.decode()
    )
    round_close(priority_round=voted_round, by=personas.chair)
    assert (
        f'href="{ballot}"'
        not in as_persona("resident").get(results_url(voted_round)).content.decode()
    )


def add_voters_and_candidates(personas: Personas, round: PriorityRound, make_problem: Any) -> None:
    for n in range(4):
        problem = make_problem(Status.CANDIDATE, title=f"Extra probleem {n}")
        RoundCandidate.objects.create(round=round, problem=problem, position=10 + n)
    candidates = candidates_of(round)
    for n, voter in enumerate(marked_voters(personas, 15, start=100)):
        source = Ballot.Source.PAPER if n % 3 == 0 else Ballot.Source.ONLINE
        ballot_cast(
            priority_round=round,
            voter=voter,
            points={
                candidates[n % len(candidates)].pk: 2,
                candidates[(n + 1) % len(candidates)].pk: 1,
            },
            source=source,
            entered_by=personas.chair if source == Ballot.Source.PAPER else None,
        )
    for candidate in candidates[:5]:
        hand_count_set(priority_round=round, candidate=candidate, hands=3, by=personas.chair)


@pytest.mark.parametrize("viewer", ["anonymous", "resident", "chair"])
def test_results_page_query_count_does_not_grow_with_ballots_or_candidates(
    login, personas, voted_round, make_problem, django_assert_num_queries, viewer
):
    round_results_show(priority_round=voted_round)
    client = login(personas.by_name(viewer))
    url = results_url(voted_round)
    client.get(url)  # warm the session
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    add_voters_and_candidates(personas, voted_round, make_problem)
    with django_assert_num_queries(len(small.captured_queries)):
        response = client.get(url)
    assert "Extra probleem 3" in response.content.decode()


# --- The round history --------------------------------------------------------------------


def history_url(personas: Personas) -> str:
    return reverse("rounds:rounds", args=[personas.hood.slug])


def test_history_lists_rounds_newest_first_with_what_they_decided(
    as_persona, personas, make_problem
):
    old = new_round(personas, make_problem, ("Oud probleem A", "Oud probleem B"), days=1)
    a, _b = candidates_of(old)
    ballot_cast(priority_round=old, voter=personas.resident, points={a.pk: 3})
    round_close(priority_round=old, by=personas.chair)
    current = new_round(personas, make_problem, ("Nieuw probleem",), days=30)
    html = as_persona("anonymous").get(history_url(personas)).content.decode()
    assert html.index(f"/stemmen/{current.pk}/") < html.index(f"/stemronde/{old.pk}/")
    assert "Open for votes" in html and "Closed" in html
    assert "Became priorities:" in html and "Oud probleem A" in html
    assert "1 resident voted." in html  # the closed round; the open one's count stays hidden
    assert html.count("resident voted") + html.count("residents voted") == 1
    assert f'href="{results_url(current)}"' not in html  # hidden results: no link


def test_history_shows_rounds_being_prepared_to_the_team_only(as_persona, personas):
    starts = timezone.now() + timedelta(days=10)
    meeting = meeting_create(
        neighbourhood=personas.hood, starts_at=starts, ends_at=starts + timedelta(hours=2), place=""
    )
    draft = round_create(meeting=meeting)
    assert (
        "Being prepared" not in as_persona("resident").get(history_url(personas)).content.decode()
    )
    html = as_persona("chair").get(history_url(personas)).content.decode()
    assert "Being prepared" in html
    assert results_url(draft) in html


def test_history_of_a_neighbourhood_without_rounds_explains(as_persona, personas):
    html = as_persona("anonymous").get(history_url(personas)).content.decode()
    assert "There has been no priority round yet." in html


def test_history_query_count_does_not_grow_with_rounds(
    as_persona, personas, make_problem, django_assert_num_queries
):
    def closed_round(n: int) -> None:
        round = new_round(personas, make_problem, (f"Probleem {n}a", f"Probleem {n}b"), days=n)
        first = candidates_of(round)[0]
        ballot_cast(priority_round=round, voter=personas.resident, points={first.pk: 1})
        round_close(priority_round=round, by=personas.chair)

    Neighbourhood.objects.filter(pk=personas.hood.pk).update(max_active_priorities=10)
    closed_round(1)
    client = as_persona("anonymous")
    client.get(history_url(personas))
    with CaptureQueriesContext(connection) as small:
        client.get(history_url(personas))
    for n in range(2, 6):
        closed_round(n)
    with django_assert_num_queries(len(small.captured_queries)):
        html = client.get(history_url(personas)).content.decode()
    assert html.count("Became priorities:") == 5


# --- The neighbourhood page --------------------------------------------------------------------


def hood_url(personas: Personas) -> str:
    return reverse("neighbourhood", args=[personas.hood.slug])


def test_neighbourhood_page_calls_residents_to_vote_while_a_round_is_open(
    as_persona, personas, voted_round
):
    ballot = reverse("rounds:ballot", args=[personas.hood.slug, voted_round.pk])
    for persona in ("anonymous", "resident"):
        html = as_persona(persona).get(hood_url(personas)).content.decode()
        assert "Vote on the priorities" in html and f'href="{ballot}"' in html
    # A professional does not vote: the round is mentioned, without a button to vote.
    html = as_persona("wijkagent").get(hood_url(personas)).content.decode()
    assert "Vote on the priorities" in html and f'href="{ballot}"' not in html
    round_close(priority_round=voted_round, by=personas.chair)
    html = as_persona("resident").get(hood_url(personas)).content.decode()
    assert "Vote now" not in html and f'href="{ballot}"' not in html


def test_neighbourhood_page_does_not_call_to_vote_after_the_closing_time(
    as_persona, personas, voted_round
):
    PriorityRound.objects.filter(pk=voted_round.pk).update(
        closes_at=timezone.now() - timedelta(minutes=1)
    )
    html = as_persona("resident").get(hood_url(personas)).content.decode()
    assert "Vote now" not in html


def test_neighbourhood_page_summarises_the_last_closed_round(
    as_persona, personas, voted_round, make_problem
):
    Neighbourhood.objects.filter(pk=personas.hood.pk).update(max_active_priorities=1)
    round_close(priority_round=voted_round, by=personas.chair)
    html = as_persona("anonymous").get(hood_url(personas)).content.decode()
    assert "The last vote" in html
    assert "3 residents voted" in html and "2 online, 1 on paper" in html
    assert "Donker fietspad: 7 in total" in html
    assert "became a priority" in html
    assert f'href="{results_url(voted_round)}"' in html
    assert f'href="{history_url(personas)}"' in html
    # Hidden results of an open round never reach the page.
    later = new_round(personas, make_problem, ("Later probleem",), days=40)
    ballot_cast(
        priority_round=later, voter=personas.resident, points={candidates_of(later)[0].pk: 3}
    )
    html = as_persona("anonymous").get(hood_url(personas)).content.decode()
    assert "Later probleem" not in html
    assert "Donker fietspad: 7 in total" in html


@pytest.mark.parametrize("viewer", ["anonymous", "resident", "chair"])
def test_neighbourhood_page_query_count_does_not_grow_with_rounds_and_ballots(
    login, personas, make_problem, django_assert_num_queries, viewer
):
    old = new_round(personas, make_problem, ("Oud A", "Oud B"), days=1)
    ballot_cast(priority_round=old, voter=personas.resident, points={candidates_of(old)[0].pk: 2})
    round_close(priority_round=old, by=personas.chair)
    current = new_round(personas, make_problem, ("Nu A",), days=20)
    client = login(personas.by_name(viewer))
    url = hood_url(personas)
    client.get(url)  # warm the session
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    # More closed rounds, more candidates and ballots, another open round.
    for n in range(3):
        extra = new_round(personas, make_problem, (f"Meer {n}a", f"Meer {n}b"), days=2 + n)
        for voter in marked_voters(personas, 4, start=10 * n):
            ballot_cast(priority_round=extra, voter=voter, points={candidates_of(extra)[1].pk: 2})
        round_close(priority_round=extra, by=personas.chair)
    new_round(personas, make_problem, ("Nog later",), days=50)
    add_voters_and_candidates(personas, current, make_problem)
    with django_assert_num_queries(len(small.captured_queries)):
        response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="vote-now"' in html
    if viewer != "chair":  # the chair is not a resident here: no button to vote
        assert f"/stemmen/{current.pk}/" in html  # the open round of the first meeting
    assert "Meer 2b" in html  # the latest closed round's summary


# --- The paper ballot (PDF) ---------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_paper_ballot_is_for_the_team_running_the_meeting_and_the_office(
    as_persona, personas, voted_round, persona, monkeypatch
):
    printed: list[int] = []

    def fake_pdf(*, priority_round: PriorityRound) -> bytes:
        printed.append(priority_round.pk)
        return b"%PDF-fake"

    monkeypatch.setattr(round_results_views, "ballot_paper_pdf", fake_pdf)
    response = as_persona(persona).get(pdf_url(voted_round))
    assert_status(response, persona, MAY_PRINT, 200)
    assert printed == ([voted_round.pk] if persona in MAY_PRINT else [])
    if response.status_code == 200:
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"].startswith("inline;")
        assert "stembiljet-kanaleneiland-noord-" in response["Content-Disposition"]
        assert "no-store" in response["Cache-Control"]


def test_paper_ballot_of_another_neighbourhood_is_not_found(as_persona, personas, voted_round):
    url = reverse("rounds:round_ballot_pdf", args=[personas.other_hood.slug, voted_round.pk])
    assert as_persona("chair").get(url).status_code == 404
    assert as_persona("outsider_chair").get(pdf_url(voted_round)).status_code == 403


def pdf_text(html: str) -> tuple[str, Any]:
    """Render with WeasyPrint for real and read the text back from the laid-out pages."""
    from weasyprint import HTML
    from weasyprint.formatting_structure.boxes import TextBox

    document = HTML(string=html).render()
    words = [
        box.text
        for page in document.pages
        for box in page._page_box.descendants()
        if isinstance(box, TextBox)
    ]
    return " ".join(" ".join(words).split()), document


def test_paper_ballot_is_a4_with_the_candidates_budget_name_line_and_qr_code(
    personas, voted_round, settings
):
    settings.SITE_URL = "https://buurt.example.nl"
    Problem.objects.filter(title="Te hard rijden langs de school").update(
        sensitive=True, public_summary="Verkeersoverlast bij de school"
    )
    with translation.override("en"):
        html = ballot_paper_html(priority_round=voted_round)
    text, document = pdf_text(html)
    assert len(document.pages) == 1
    page = document.pages[0]
    assert (round(page.width * 25.4 / 96), round(page.height * 25.4 / 96)) == (210, 297)
    assert "Neighbourhood meeting Kanaleneiland-Noord" in text
    date = voted_round.meeting.starts_at
    with translation.override("en"):
        from django.utils.dateformat import format as date_format

        assert f"Meeting of {date_format(timezone.localtime(date), 'l j F Y, H:i')}" in text
    assert "You have 5 points, at most 3 on one problem." in text
    assert "1 Zwerfvuil bij de glasbak" in text
    assert "2 Verkeersoverlast bij de school" in text  # the public summary of a sensitive one
    assert "Te hard rijden" not in text
    assert "3 Donker fietspad" in text
    assert "Your name" in text
    assert "Total (at most 5)" in text
    assert html.count('class="box"') == 4  # one per candidate and the total
    ballot = f"https://buurt.example.nl/buurt/kanaleneiland-noord/stemmen/{voted_round.pk}/"
    assert ballot_page_url(voted_round) == ballot
    assert ballot in text
    assert f'src="{qr_data_uri(ballot)}"' in html


def test_paper_ballot_in_dutch_by_default(personas, voted_round):
    text, _document = pdf_text(ballot_paper_html(priority_round=voted_round))
    assert "Kanaleneiland-Noord" in text
    with translation.override("nl"):
        from django.utils.dateformat import format as date_format

        day = date_format(timezone.localtime(voted_round.meeting.starts_at), "l j F Y")
    assert day in text  # Dutch day and month names


def test_paper_ballot_names_nobody(personas, make_problem):
    round = new_round(personas, make_problem, TITLES, days=3)
    litter = candidates_of(round)[0]
    for voter in marked_voters(personas, 2):
        ballot_cast(priority_round=round, voter=voter, points={litter.pk: 1})
    html = ballot_paper_html(priority_round=round)
    assert MARKER not in html and MARKER.lower() not in html
    assert personas.resident.display_name not in html  # the reporter of the candidates


def test_paper_ballot_pdf_is_rendered_for_the_chair(as_persona, voted_round):
    response = as_persona("chair").get(pdf_url(voted_round))
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")
    assert len(response.content) > 5000


def test_paper_ballot_url_falls_back_to_the_neighbourhood_page_without_a_ballot_page(
    personas, voted_round, monkeypatch, settings
):
    settings.SITE_URL = "https://buurt.example.nl"
    import meetings.rounds.pdf as ballot_pdf

    real_reverse = reverse

    def no_ballot(name: str, *args: Any, **kwargs: Any) -> str:
        if name == "rounds:ballot":
            raise NoReverseMatch(name)
        return real_reverse(name, *args, **kwargs)

    monkeypatch.setattr(ballot_pdf, "reverse", no_ballot)
    assert ballot_page_url(voted_round) == "https://buurt.example.nl/buurt/kanaleneiland-noord/"
