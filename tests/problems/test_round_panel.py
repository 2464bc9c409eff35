"""The vote panel of the agenda screen and the projector (meetings/rounds/panels.py) and the
chair's live endpoint: results hidden from the room until the chair reveals them (and always
shown to the chair), hands apart from ballots, a QR code to the ballot page, nothing
confidential on the projector, an honest empty state, a poll that costs one query while
nothing changed, and query counts that do not grow with the ballot."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.http import HttpResponse
from django.template.loader import get_template, render_to_string
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import include, path, reverse
from django.utils import timezone, translation

from meetings import services as meeting_services
from meetings.planning.models import AgendaItem, Meeting
from meetings.room.panels import PANELS, PanelContext, panel_render_context
from meetings.rounds import services as round_services
from meetings.rounds.models import HandCount, PriorityRound, RoundCandidate
from meetings.rounds.panels import PANEL_TEMPLATE
from problems.workflow import Status
from residents.models import Membership, Role, User
from tests.factories import candidates_in, insert_problem, make_meeting
from tests.support import candidate_of, fresh, item_of, meeting_url, vote

Kind = AgendaItem.Kind
HIDDEN_HANDS = 4321  # a number that appears nowhere else: the projector must not show it
SECRET_TITLE = "Qzsecrettitlexq"
CONFIDENTIAL = "Qzconfidentialxq"
REPORTER = "Qzreporterxq"


def _ballot_stand_in(request: Any, slug: str, round_pk: int) -> HttpResponse:
    return HttpResponse("ballot")


# This module is also a URLconf: the ballot page (built elsewhere) with a stand-in if the app
# does not have it yet, so that the QR code can be tested either way.
urlpatterns = [
    path("", include("buurtoverleg.urls")),
    path("buurt/<slug:slug>/stemmen/<int:round_pk>/", _ballot_stand_in, name="ballot"),
]


@pytest.fixture
def with_ballot_page(settings) -> None:
    settings.ROOT_URLCONF = __name__


def render_panel(meeting: Meeting, *, public: bool, user: Any = None) -> str:
    request = RequestFactory().get("/")
    request.user = user or AnonymousUser()
    meeting = Meeting.objects.select_related("neighbourhood").get(pk=meeting.pk)
    item = item_of(meeting, Kind.PRIORITISE)
    with translation.override("en"):
        context = panel_render_context(
            PanelContext(request=request, meeting=meeting, item=item, public=public)
        )
        return render_to_string(
            context["panel_template"], {"panel": context["panel"]}, request=request
        )


@pytest.fixture
def meeting(personas) -> Meeting:
    meeting = make_meeting(personas.hood, starts_at=timezone.now().replace(microsecond=0))
    meeting = meeting_services.meeting_start(meeting=meeting)
    Meeting.objects.filter(pk=meeting.pk).update(chair=personas.chair)
    return meeting


@pytest.fixture
def problems(personas) -> list[Any]:
    return candidates_in(personas.hood, 3)


@pytest.fixture
def round(meeting, problems) -> PriorityRound:
    return round_services.round_open(priority_round=round_services.round_create(meeting=meeting))


@pytest.fixture
def voted(personas, round, problems) -> PriorityRound:
    """Two online ballots, one paper ballot and a hand count nobody else has."""
    first, second, third = (candidate_of(round, p) for p in problems)
    vote(round, personas.resident, {first: 3, second: 2})
    vote(round, personas.second_resident, {first: 1})
    vote(round, personas.paper_resident, {third: 2}, source="paper", entered_by=personas.chair)
    round_services.hand_count_set(
        priority_round=fresh(round), candidate=second, hands=HIDDEN_HANDS, by=personas.chair
    )
    return round


# --- Registration and the empty state ----------------------------------------------------------


def test_the_vote_panel_is_registered_for_the_prioritise_item():
    assert PANELS[Kind.PRIORITISE].template == PANEL_TEMPLATE
    get_template(PANEL_TEMPLATE)


def test_without_a_round_the_chair_is_offered_to_prepare_one(personas, meeting):
    html = render_panel(meeting, public=False, user=personas.chair)
    assert "This meeting has no priority round yet." in html
    assert f'href="{meeting_url("rounds:round", meeting)}"' in html
    # The agenda screen's note fields still work as for any item.
    assert "The notes and the decision below work as usual" in html


def test_without_a_round_the_minute_taker_gets_no_link_to_curate(personas, meeting):
    html = render_panel(meeting, public=False, user=personas.minute_taker)
    assert "This meeting has no priority round yet." in html
    assert f'href="{meeting_url("rounds:round", meeting)}"' not in html


def test_without_a_round_the_projector_says_so(meeting):
    html = render_panel(meeting, public=True)
    assert "There is no priority round." in html
    assert "<form" not in html


# --- The projector -----------------------------------------------------------------------------


def test_the_projector_hides_the_results_until_the_chair_reveals_them(voted):
    hidden = render_panel(voted.meeting, public=True)
    assert str(HIDDEN_HANDS) not in hidden
    assert "data-total" not in hidden
    assert "The results will be shown in the room." in hidden
    assert "3 residents have voted so far" in hidden
    assert "Kandidaat 0" in hidden  # the room sees what is on the ballot
    round_services.round_results_show(priority_round=fresh(voted))
    shown = render_panel(voted.meeting, public=True)
    assert str(HIDDEN_HANDS) in shown
    assert "The results will be shown in the room." not in shown


def test_before_the_reveal_the_projector_lists_the_ballot_in_its_own_order(personas, round):
    first, second, third = round.candidates.order_by("position", "pk")
    vote(round, personas.resident, {third: 3, second: 1})
    html = render_panel(round.meeting, public=True)
    titles = [first.problem.title, second.problem.title, third.problem.title]
    assert [html.index(t) for t in titles] == sorted(html.index(t) for t in titles)


def test_the_projector_shows_a_qr_code_to_the_ballot_page(with_ballot_page, settings, round):
    html = render_panel(round.meeting, public=True)
    address = settings.SITE_URL + reverse(
        "rounds:ballot", args=[round.neighbourhood.slug, round.pk]
    )
    assert 'src="data:image/svg+xml' in html
    assert address.split("://", 1)[1] in html
    assert "Vote with your phone" in html


def test_without_a_ballot_page_the_projector_shows_no_qr_code(monkeypatch, round):
    from meetings.rounds import panels as round_panels

    real = round_panels.maybe_url
    monkeypatch.setattr(
        round_panels,
        "maybe_url",
        lambda name, *a: "" if name == "rounds:ballot" else real(name, *a),
    )
    html = render_panel(round.meeting, public=True)
    assert "Vote with your phone" not in html
    assert "Vote now" in html


def test_a_closed_round_shows_no_qr_code_and_its_outcome(with_ballot_page, voted, problems):
    round_services.round_close(priority_round=fresh(voted), by=None)
    html = render_panel(voted.meeting, public=True)
    assert "Vote with your phone" not in html
    assert "Voting is closed." in html
    assert "Became a priority" in html


def test_the_projector_shows_the_public_summary_of_a_sensitive_problem(personas, meeting):
    reporter = User.objects.create(display_name=f"Bewoner {REPORTER}", email="q@example.nl")
    Membership.objects.create(user=reporter, neighbourhood=personas.hood, role=Role.RESIDENT)
    insert_problem(
        personas.hood,
        f"Dealen bij {SECRET_TITLE}",
        status=Status.CANDIDATE,
        category="drugsoverlast",
        sensitive=True,
        public_summary="Drugsoverlast in de buurt",
        confidential_details=f"Namen {CONFIDENTIAL}",
        reporter=reporter,
        reported_for=f"Mevrouw {REPORTER}",
    )
    round = round_services.round_open(priority_round=round_services.round_create(meeting=meeting))
    round_services.round_results_show(priority_round=round)
    for public in (True, False):
        html = render_panel(meeting, public=public, user=personas.chair)
        assert "Drugsoverlast in de buurt" in html
        for marker in (SECRET_TITLE, CONFIDENTIAL, REPORTER):
            assert marker not in html, (public, marker)


# --- The chair's panel ----------------------------------------------------------------------


def test_the_chair_always_sees_the_results_marked_while_hidden(personas, voted):
    html = render_panel(voted.meeting, public=False, user=personas.chair)
    assert str(HIDDEN_HANDS) in html
    assert "Only you see these results." in html
    round_services.round_results_show(priority_round=fresh(voted))
    html = render_panel(voted.meeting, public=False, user=personas.chair)
    assert str(HIDDEN_HANDS) in html
    assert "Only you see these results." not in html


def test_voters_are_split_by_source_and_hands_shown_apart(personas, voted, problems):
    html = render_panel(voted.meeting, public=False, user=personas.chair)
    assert "3 residents voted" in html
    assert "2 online, 1 on paper" in html
    second = candidate_of(voted, problems[1])
    row = html[html.index(f'data-candidate="{second.pk}"') :]
    row = row[: row.index("</li>")]
    # 2 points from a ballot and the hands, apart; the total adds them.
    assert "2 points from ballots" in row
    assert f'data-hands="{HIDDEN_HANDS}"' in row
    assert f"{HIDDEN_HANDS} hands counted in the room" in row
    assert f'data-total="{HIDDEN_HANDS + 2}"' in row
    assert "Hands counted in the room are shown apart" in html


def test_the_results_have_a_table_for_screen_readers(personas, voted, problems):
    html = render_panel(voted.meeting, public=False, user=personas.chair)
    table = html[html.index('<table class="visually-hidden">') :]
    assert "<caption>Results of the priority round</caption>" in table
    assert f"<td>{HIDDEN_HANDS}</td>" in table
    assert '<ol class="round-results" aria-hidden="true">' in html


def test_the_chairs_panel_links_to_the_round_and_the_paper_ballots(personas, voted):
    html = render_panel(voted.meeting, public=False, user=personas.chair)
    assert f'href="{meeting_url("rounds:round", voted.meeting)}"' in html
    assert f'href="{meeting_url("rounds:round_paper", voted.meeting)}"' in html
    assert 'id="round-show"' in html
    minute_taker = render_panel(voted.meeting, public=False, user=personas.minute_taker)
    assert f'href="{meeting_url("rounds:round", voted.meeting)}"' not in minute_taker
    assert f'href="{meeting_url("rounds:round_paper", voted.meeting)}"' in minute_taker


def test_the_chairs_panel_polls_every_two_seconds_with_its_etag(as_persona, personas, voted):
    client = as_persona("chair")
    html = render_panel(voted.meeting, public=False, user=personas.chair)
    live = client.get(meeting_url("rounds:round_panel_live", voted.meeting))
    etag = live["ETag"]
    assert f'hx-get="{meeting_url("rounds:round_panel_live", voted.meeting)}"' in html
    assert 'hx-trigger="every 2s"' in html
    assert 'hx-swap="outerHTML"' in html
    headers = html.split('hx-headers="', 1)[1].split('"', 1)[0].replace("&quot;", '"')
    assert json.loads(headers) == {"If-None-Match": etag}


def test_the_agenda_screen_shows_the_vote_panel(as_persona, voted):
    meeting = voted.meeting
    meeting_services.meeting_go_to(meeting=meeting, item=item_of(meeting, Kind.PRIORITISE))
    html = (
        as_persona("chair")
        .get(reverse("room:meeting_screen", args=[meeting.neighbourhood.slug, meeting.pk]))
        .content.decode()
    )
    assert 'id="round-panel"' in html
    assert str(HIDDEN_HANDS) in html


def test_the_projector_page_shows_the_vote_panel(client, english_pages, with_ballot_page, voted):
    meeting = voted.meeting
    meeting_services.meeting_go_to(meeting=meeting, item=item_of(meeting, Kind.PRIORITISE))
    meeting.refresh_from_db()
    html = client.get(reverse("room:projector", args=[meeting.projector_key])).content.decode()
    assert "Vote with your phone" in html
    assert str(HIDDEN_HANDS) not in html


# --- The live endpoint ------------------------------------------------------------------------


def test_the_live_panel_answers_304_with_one_query_while_nothing_changed(as_persona, voted):
    client = as_persona("chair")
    target = meeting_url("rounds:round_panel_live", voted.meeting)
    first = client.get(target)
    assert first.status_code == 200
    assert 'id="round-live"' in first.content.decode()
    etag = first["ETag"]
    with CaptureQueriesContext(connection) as queries:
        again = client.get(target, HTTP_IF_NONE_MATCH=etag, HTTP_HX_REQUEST="true")
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == etag
    assert again["HX-Reswap"] == "none"  # htmx leaves the panel as it is
    assert "no-store" in again["Cache-Control"]
    # Besides the session and the user: one query for the permission and the round's version.
    own = [
        q["sql"]
        for q in queries.captured_queries
        if "django_session" not in q["sql"] and 'FROM "residents_user"' not in q["sql"]
    ]
    assert len(own) == 1, own
    assert len(queries.captured_queries) == 3


def test_the_live_panel_answers_200_after_a_vote(as_persona, personas, voted, problems):
    client = as_persona("chair")
    target = meeting_url("rounds:round_panel_live", voted.meeting)
    etag = client.get(target)["ETag"]
    vote(voted, personas.minute_taker, {candidate_of(voted, problems[2]): 3})
    changed = client.get(target, HTTP_IF_NONE_MATCH=etag, HTTP_HX_REQUEST="true")
    assert changed.status_code == 200
    assert changed["ETag"] != etag
    html = changed.content.decode()
    assert "4 residents voted" in html
    assert html.lstrip().startswith('<div id="round-live"')
    # The buttons are not in the part that is replaced: a vote never takes the focus away.
    assert 'id="round-show"' not in html
    assert client.get(target, HTTP_IF_NONE_MATCH=changed["ETag"]).status_code == 304


def test_revealing_changes_the_live_etag(as_persona, voted):
    client = as_persona("chair")
    target = meeting_url("rounds:round_panel_live", voted.meeting)
    etag = client.get(target)["ETag"]
    round_services.round_results_show(priority_round=fresh(voted))
    assert client.get(target, HTTP_IF_NONE_MATCH=etag).status_code == 200


def test_the_live_panel_without_a_round_and_after_it_is_made(as_persona, meeting, problems):
    client = as_persona("chair")
    target = meeting_url("rounds:round_panel_live", meeting)
    empty = client.get(target)
    assert "This meeting has no priority round yet." in empty.content.decode()
    assert client.get(target, HTTP_IF_NONE_MATCH=empty["ETag"]).status_code == 304
    round_services.round_create(meeting=meeting)
    assert client.get(target, HTTP_IF_NONE_MATCH=empty["ETag"]).status_code == 200


def test_the_live_etag_follows_the_language(as_persona, voted, settings):
    client = as_persona("chair")
    target = meeting_url("rounds:round_panel_live", voted.meeting)
    english = client.get(target)["ETag"]
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "nl"
    assert client.get(target, HTTP_IF_NONE_MATCH=english).status_code == 200


# --- Query counts --------------------------------------------------------------------------------


def _grow(round: PriorityRound, personas: Any, count: int) -> None:
    for n, problem in enumerate(candidates_in(personas.hood, count, "groei ")):
        candidate = RoundCandidate.objects.create(round=round, problem=problem, position=50 + n)
        HandCount.objects.create(
            round=round, candidate=candidate, hands=n + 1, entered_by=personas.chair
        )


@pytest.mark.parametrize("public", [True, False])
def test_the_panel_asks_the_same_number_of_queries_for_a_longer_ballot(
    with_ballot_page, personas, voted, public
):
    round_services.round_results_show(priority_round=fresh(voted))
    render_panel(voted.meeting, public=public, user=personas.chair)  # the chair's roles, cached
    with CaptureQueriesContext(connection) as small:
        render_panel(voted.meeting, public=public, user=personas.chair)
    _grow(voted, personas, 15)
    with CaptureQueriesContext(connection) as large:
        html = render_panel(voted.meeting, public=public, user=personas.chair)
    assert "Kandidaat groei 14" in html
    # render_panel's own read of the meeting and the item, then the round and its results.
    assert len(large.captured_queries) == len(small.captured_queries)
    assert len(large.captured_queries) <= 2 + (3 if public else 6)


def test_the_live_panel_asks_the_same_number_of_queries_for_a_longer_ballot(
    as_persona, personas, voted
):
    client = as_persona("chair")
    target = meeting_url("rounds:round_panel_live", voted.meeting)
    client.get(target)
    vote(voted, personas.minute_taker, {voted.candidates.first(): 1})
    with CaptureQueriesContext(connection) as small:
        assert client.get(target).status_code == 200
    _grow(voted, personas, 15)
    with CaptureQueriesContext(connection) as large:
        assert "Kandidaat groei 14" in client.get(target).content.decode()
    assert len(large.captured_queries) == len(small.captured_queries)
