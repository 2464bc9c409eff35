"""The projector view: a secret link instead of a login, a poll that costs one query when nothing
changed, public fields only, and the chair's page to copy or revoke the link."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from meetings import services as meeting_services
from meetings.planning.models import AgendaItem, Meeting
from meetings.room import timer
from meetings.room.panels import PANELS, Panel, PanelContext
from meetings.room.views import projector as projector_views
from problems.models import Category, Problem
from problems.services import problem_report, problem_transition
from problems.workflow import Move, Status
from residents.models import Membership, Role, User
from tests.conftest import PERSONA_NAMES, assert_status, make_person
from tests.factories import make_meeting
from tests.support import view_name

Kind = AgendaItem.Kind
AMSTERDAM = ZoneInfo("Europe/Amsterdam")


# --- Fixtures ----------------------------------------------------------------------------------


@dataclass
class PanelCalls:
    contexts: list[PanelContext]


@pytest.fixture
def real_panels() -> None:
    """Asked for by a test that renders the panels the app registers (meetings/room/views/panels.py)
    instead of the stand-ins below."""


@pytest.fixture(autouse=True)
def throwaway_panels(request, settings, tmp_path, monkeypatch) -> PanelCalls | None:
    """A stand-in panel for every item kind, only for this test, so that these tests are about
    the projector itself (monkeypatch puts back whatever PANELS held before)."""
    if "real_panels" in request.fixturenames:
        return None
    folder = tmp_path / "templates" / "meetings" / "panels"
    folder.mkdir(parents=True)
    (folder / "throwaway.html").write_text(
        '<p class="throwaway-panel">{{ panel.note }} {{ panel.public|yesno:"public,team" }}</p>'
    )
    templates = copy.deepcopy(settings.TEMPLATES)
    templates[0]["DIRS"] = [tmp_path / "templates", *templates[0]["DIRS"]]
    settings.TEMPLATES = templates
    calls = PanelCalls([])

    def view(ctx: PanelContext) -> dict[str, Any]:
        calls.contexts.append(ctx)
        return {"note": f"Panel for {ctx.item.kind}"}

    for kind in Kind.values:
        monkeypatch.setitem(PANELS, kind, Panel(kind, "meetings/panels/throwaway.html", view))
    return calls


@pytest.fixture
def meeting_now(personas) -> Callable[..., Meeting]:
    """meeting_now(items=3, problems=2, start=True, hood=personas.hood): a meeting that began
    five minutes ago, run by the chair and the minute-taker, whose `items` plain items hold
    `problems` public problems under the first (factories.make_meeting); started unless told
    otherwise."""

    def make(*, items: int = 3, problems: int = 2, start: bool = True, hood: Any = None) -> Meeting:
        now = timezone.now()
        return make_meeting(
            hood or personas.hood,
            now - timedelta(minutes=5),
            ends_at=now + timedelta(hours=2),
            items=items,
            problems=problems,
            start=start,
            chair=personas.chair,
            minute_taker=personas.minute_taker,
        )

    return make


def page_url(meeting: Meeting) -> str:
    return reverse("room:projector", args=[meeting.projector_key])


def state_url(meeting: Meeting) -> str:
    return reverse("room:projector_state", args=[meeting.projector_key])


def link_url(meeting: Meeting) -> str:
    return reverse("room:projector_link", args=[meeting.neighbourhood.slug, meeting.pk])


# --- The page ----------------------------------------------------------------------------------


def test_the_projector_opens_without_login_and_shows_the_current_item(
    client, meeting_now, throwaway_panels, english_pages
):
    meeting = meeting_now(items=3, problems=2)
    response = client.get(page_url(meeting))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Kanaleneiland-Noord" in body
    assert "<h1" in body and "Agendapunt 1</h1>" in body
    assert "Item 1 of 3" in body
    assert "Probleem nummer 0" in body and "Probleem nummer 1" in body
    assert "Next:</span> Agendapunt 2" in body
    assert "data-timer" in body and "On time" in body
    # The item kind's panel, asked for the public variant.
    assert "Panel for opening public" in body
    assert [ctx.public for ctx in throwaway_panels.contexts] == [True]
    # Its own layout: no site navigation, no login link.
    assert "site-nav" not in body and reverse("account_login") not in body
    assert response["X-Robots-Tag"].startswith("noindex")
    assert "no-cache" in response["Cache-Control"] or "no-store" in response["Cache-Control"]
    etag = projector_views.projector_etag(meeting.version, meeting.status)
    assert f'data-etag="{etag}"' in body.replace("&quot;", '"')


def test_an_unknown_key_is_not_found(client, meeting_now):
    meeting_now()
    for name in ("projector", "projector_state"):
        assert client.get(reverse(view_name(name), args=["geen-echte-sleutel"])).status_code == 404


def test_before_the_meeting_it_shows_title_date_and_the_published_agenda(
    client, meeting_now, throwaway_panels, english_pages
):
    meeting = meeting_now(items=3, problems=1, start=False)
    body = client.get(page_url(meeting)).content.decode()
    assert "Neighbourhood meeting Kanaleneiland-Noord" in body
    assert "Buurthuis De Linde" in body
    assert "The agenda follows." in body and "Agendapunt 2" not in body

    meeting_services.agenda_publish(meeting=meeting)
    body = client.get(page_url(meeting)).content.decode()
    assert "Agendapunt 1" in body and "Agendapunt 2" in body and "Agendapunt 3" in body
    assert "The agenda follows." not in body
    assert "data-timer" not in body


def test_the_date_is_written_the_dutch_way(client, meeting_now):
    meeting = meeting_now(start=False)
    Meeting.objects.filter(pk=meeting.pk).update(
        starts_at=datetime(2026, 12, 8, 19, 30, tzinfo=AMSTERDAM),
        ends_at=datetime(2026, 12, 8, 21, 30, tzinfo=AMSTERDAM),
    )
    body = client.get(page_url(meeting)).content.decode()
    assert "dinsdag 8 december, 19:30" in body


def test_after_closing_the_meeting_has_ended(client, meeting_now, english_pages):
    meeting = meeting_now()
    meeting_services.meeting_close(meeting=meeting)
    body = client.get(page_url(meeting)).content.decode()
    assert "The meeting has ended" in body
    assert "Agendapunt 1" not in body and "data-timer" not in body


def test_a_cancelled_meeting_says_so_with_its_reason(client, meeting_now, personas, english_pages):
    meeting = meeting_now(start=False)
    meeting_services.meeting_cancel(
        meeting=meeting, reason="Het buurthuis is dicht", by=personas.chair
    )
    body = client.get(page_url(meeting)).content.decode()
    assert "This meeting does not go ahead." in body and "Het buurthuis is dicht" in body


def test_the_check_in_code_and_its_short_url_show_while_check_in_is_open(
    client, meeting_now, throwaway_panels, monkeypatch, english_pages
):
    meeting = meeting_now()
    code = {"url": "https://buurt.example.nl/i/7", "short_url": "buurt.example.nl/i/7"}
    monkeypatch.setattr(
        projector_views, "check_in_for", lambda m: {**code, "qr": "data:image/svg+xml,QRCODE"}
    )
    body = client.get(page_url(meeting)).content.decode()
    assert 'src="data:image/svg+xml,QRCODE"' in body and "buurt.example.nl/i/7" in body
    meeting_services.meeting_close(meeting=meeting)
    assert "QRCODE" not in client.get(page_url(meeting)).content.decode()


def test_the_check_in_code_points_at_the_check_in_page(client, meeting_now, settings):
    settings.SITE_URL = "https://buurt.example.nl"
    meeting = meeting_now()
    check_in = reverse("room:meeting_check_in", args=[meeting.neighbourhood.slug, meeting.pk])
    found = projector_views.check_in_for(meeting)
    assert found["url"] == f"https://buurt.example.nl{check_in}"
    assert found["short_url"] == f"buurt.example.nl{check_in}"
    assert found["qr"].startswith("data:image/svg+xml")
    body = client.get(page_url(meeting)).content.decode()
    assert found["qr"] in body and found["short_url"] in body


@pytest.mark.parametrize(
    ("minutes_in", "state", "words"),
    [(1, "ok", "9:00 left"), (9, "amber", "1:00 left"), (12, "red", "2:00 over time")],
)
def test_the_timer_turns_amber_then_red_and_says_so_in_words(
    client, meeting_now, throwaway_panels, english_pages, minutes_in, state, words
):
    meeting = meeting_now()
    with time_machine.travel(timezone.now() + timedelta(minutes=minutes_in), tick=False):
        body = client.get(page_url(meeting)).content.decode()
    assert f"timer timer--{state}" in body
    assert words in body
    assert {"ok": "On time", "amber": "Almost out of time", "red": "Time is up"}[state] in body


def test_a_finished_item_stops_its_timer(client, meeting_now, throwaway_panels, english_pages):
    meeting = meeting_now()
    meeting_services.item_done(item=meeting.current_item)
    body = client.get(page_url(meeting)).content.decode()
    assert "timer timer--done" in body and 'data-running="0"' in body and "Finished" in body


@pytest.mark.parametrize(
    ("elapsed", "limit", "state"),
    [
        (0, 300, "ok"),
        (239, 300, "ok"),
        (240, 300, "amber"),
        (300, 300, "amber"),
        (301, 300, "red"),
        (479, 600, "ok"),
        (480, 600, "amber"),
        (1379, 1500, "ok"),
        (1380, 1500, "amber"),
    ],
)
def test_amber_comes_a_fifth_of_the_time_box_before_the_end_one_to_two_minutes(
    elapsed, limit, state
):
    assert timer.timer_state(elapsed=elapsed, limit=limit, running=True) == state


# --- The poll ----------------------------------------------------------------------------------


def test_an_unchanged_meeting_costs_one_query_and_answers_304(
    client, meeting_now, throwaway_panels, django_assert_num_queries
):
    meeting = meeting_now()
    first = client.get(state_url(meeting))
    assert first.status_code == 200
    etag = first["ETag"]
    assert first["Cache-Control"] == "no-cache"
    with django_assert_num_queries(1):
        again = client.get(state_url(meeting), HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == etag
    assert again["Cache-Control"] == "no-cache"


def test_the_page_and_the_poll_agree_on_the_etag(client, meeting_now, throwaway_panels):
    meeting = meeting_now()
    page = client.get(page_url(meeting)).content.decode().replace("&quot;", '"')
    etag = client.get(state_url(meeting))["ETag"]
    assert f'data-etag="{etag}"' in page
    assert client.get(state_url(meeting), HTTP_IF_NONE_MATCH=etag).status_code == 304


def test_moving_to_the_next_item_gives_a_new_etag_and_the_new_item(
    client, meeting_now, throwaway_panels
):
    meeting = meeting_now(items=3)
    etag = client.get(state_url(meeting))["ETag"]
    meeting_services.meeting_go_to(meeting=meeting, step=1, mark_done=True)
    response = client.get(state_url(meeting), HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200
    assert response["ETag"] != etag
    body = response.content.decode()
    assert "Agendapunt 2</h1>" in body
    assert "<html" not in body  # the stage only, to swap in
    assert client.get(state_url(meeting), HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304


def test_editing_the_current_item_gives_a_new_etag(client, meeting_now, throwaway_panels):
    meeting = meeting_now()
    etag = client.get(state_url(meeting))["ETag"]
    item = meeting.current_item
    meeting_services.agenda_item_edit(
        item=item, title="Hangjongeren bij het winkelcentrum", description="", minutes=15
    )
    response = client.get(state_url(meeting), HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200 and response["ETag"] != etag
    assert "Hangjongeren bij het winkelcentrum" in response.content.decode()


def test_another_language_is_another_etag(client, meeting_now, throwaway_panels, settings):
    meeting = meeting_now()
    dutch = client.get(state_url(meeting))["ETag"]
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get(state_url(meeting), HTTP_IF_NONE_MATCH=dutch)
    assert response.status_code == 200 and response["ETag"] != dutch


def test_closing_the_meeting_reaches_the_screen(client, meeting_now, english_pages):
    meeting = meeting_now()
    etag = projector_views.projector_etag(meeting.version, meeting.status)
    meeting_services.meeting_close(meeting=meeting)
    response = client.get(state_url(meeting), HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200 and "The meeting has ended" in response.content.decode()


def test_a_logged_in_venue_pc_is_not_sent_elsewhere(client, login, personas, meeting_now):
    meeting = meeting_now()
    client = login(personas.resident)
    assert client.get(page_url(meeting)).status_code == 200
    assert client.get(state_url(meeting)).status_code == 200


def test_a_team_member_without_a_second_factor_still_sees_the_screen(
    login, personas, meeting_now, throwaway_panels
):
    """The venue PC may be logged in as anyone; the projector never uses the session."""
    meeting = meeting_now()
    office_pc = make_person("Buurthuis PC", "pc@example.nl")
    Membership.objects.create(
        user=office_pc, neighbourhood=personas.hood, role=Role.OFFICE, status="active"
    )
    client = login(office_pc)
    response = client.get(page_url(meeting))
    assert response.status_code == 200, response.get("Location")
    assert client.get(state_url(meeting)).status_code == 200


# --- Query counts do not grow --------------------------------------------------------------------


def count_queries(client: Any, url: str, **headers: Any) -> int:
    client.get(url, **headers)  # warm: first-use queries (content types, ...) do not count
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, **headers)
    assert response.status_code == 200
    return len(queries)


def test_page_and_poll_queries_do_not_grow_with_items_and_problems(
    client, meeting_now, throwaway_panels
):
    small = meeting_now(items=3, problems=2)
    large = meeting_now(items=12, problems=40)
    assert "Probleem nummer 39" in client.get(page_url(large)).content.decode()
    for url in (page_url, state_url):
        assert count_queries(client, url(small)) == count_queries(client, url(large)), url
    # The meeting, its items, the current item's problems: the stage needs no more.
    assert count_queries(client, state_url(large)) <= 4


def test_before_the_meeting_queries_do_not_grow_with_the_agenda(client, meeting_now):
    small = meeting_now(items=3, problems=2, start=False)
    large = meeting_now(items=12, problems=40, start=False)
    for meeting in (small, large):
        meeting_services.agenda_publish(meeting=meeting)
    assert count_queries(client, page_url(small)) == count_queries(client, page_url(large))


# --- Privacy: public fields only ---------------------------------------------------------------

REPORTER = "Qzreporterxq"  # a reporter's display name (who even agreed to be named)
CONFIDENTIAL = "Qzconfidentialxq"  # confidential details
FOR_NAME = "Qzforxq"  # the name typed for someone without an account
SECRET = "Qzsecretxq"  # the real title, description, place and "since" of a sensitive problem
DESCRIPTION = "Qzdescriptionxq"  # an ordinary problem's description: not for the projector
NOTE = "Qznotexq"  # a confidential note on the timeline; the chair's notes on the item
ATTENDEE = "Qzattendeexq"  # someone at the meeting who did not agree to be named
MARKERS = [REPORTER, CONFIDENTIAL, FOR_NAME, SECRET, DESCRIPTION, NOTE, ATTENDEE]


@pytest.fixture
def planted(personas, meeting_now):
    hood = personas.hood
    reporter = User.objects.create(display_name=f"Bewoner {REPORTER}", email="q@example.nl")
    Membership.objects.create(
        user=reporter, neighbourhood=hood, role=Role.RESIDENT, status="active"
    )

    def report(category: str, title: str, **extra: Any) -> Problem:
        problem = problem_report(
            neighbourhood=hood,
            reporter=extra.pop("reporter", reporter),
            category=Category.objects.get(slug=category),
            title=title,
            street="Marshalllaan",
            **extra,
        )
        problem_transition(
            problem=problem,
            move=Move.ACCEPT,
            actor=personas.chair,
            actors={"chair"},
            confidential_note=f"Notitie {NOTE}",
        )
        problem.refresh_from_db()
        return problem

    sensitive = report(
        "drugsoverlast",
        f"Dealen bij {SECRET}",
        description=f"Bij nummer 8 {SECRET}",
        location_detail=f"achter {SECRET}",
        since=f"sinds {SECRET}",
        confidential_details=f"Adres {CONFIDENTIAL}",
        reporter_name_public=True,
    )
    ordinary = report(
        "zwerfvuil",
        "Afval bij de containers",
        description=f"Elke week {DESCRIPTION}",
        location_detail="bij de glasbak",
        confidential_details=f"Buurman {CONFIDENTIAL}",
        reporter_name_public=True,
    )
    on_behalf = report(
        "verkeer",
        "Te hard rijden",
        description="Bij de school",
        reporter=None,
        reported_for=f"Mevrouw {FOR_NAME}",
        entered_by=personas.office,
        entered_by_role="office",
    )
    meeting = meeting_now(items=3, problems=0)
    item = meeting.current_item
    meeting_services.agenda_item_problems_set(item=item, problems=[sensitive, ordinary, on_behalf])
    meeting_services.item_text_save(
        item=item, field="notes", text=f"Notulen {NOTE}", base_version=0
    )
    meeting.refresh_from_db()
    return meeting, sensitive


def test_the_projector_shows_public_fields_only(client, planted, throwaway_panels, english_pages):
    meeting, sensitive = planted
    page = client.get(page_url(meeting)).content.decode()
    stage = client.get(state_url(meeting)).content.decode()
    for body in (page, stage):
        assert not [m for m in MARKERS if m in body]
        # What may be shown is shown: the test would notice the problems missing.
        assert "Afval bij de containers" in body and "Marshalllaan, bij de glasbak" in body
        assert "Te hard rijden" in body
        assert sensitive.public_title in body


@pytest.mark.parametrize("kind", Kind.values)
def test_with_the_real_panels_the_projector_shows_public_fields_only(
    client, planted, real_panels, kind, english_pages
):
    meeting, sensitive = planted
    AgendaItem.objects.filter(pk=meeting.current_item_id).update(kind=kind)
    page = client.get(page_url(meeting))
    stage = client.get(state_url(meeting))
    assert page.status_code == stage.status_code == 200
    for body in (page.content.decode(), stage.content.decode()):
        # An ordinary problem's description is public: a panel may show it.
        assert not [m for m in MARKERS if m in body and m != DESCRIPTION], kind
        assert "Afval bij de containers" in body and sensitive.public_title in body


@pytest.mark.parametrize("kind", Kind.values)
def test_with_the_real_panels_queries_do_not_grow(client, meeting_now, real_panels, kind):
    small = meeting_now(items=3, problems=2)
    large = meeting_now(items=12, problems=40)
    for meeting in (small, large):
        AgendaItem.objects.filter(pk=meeting.current_item_id).update(kind=kind)
    for url in (page_url, state_url):
        assert count_queries(client, url(small)) == count_queries(client, url(large)), url


def test_a_problem_no_longer_public_leaves_the_projector(client, meeting_now, throwaway_panels):
    meeting = meeting_now(items=2, problems=2)
    Problem.objects.filter(title="Probleem nummer 1").update(status=Status.NEW, accepted_at=None)
    body = client.get(page_url(meeting)).content.decode()
    assert "Probleem nummer 0" in body and "Probleem nummer 1" not in body


# --- The chair's page with the link -------------------------------------------------------------

RUNNERS = {"chair", "minute_taker", "coordinator"}


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_only_who_runs_the_meeting_sees_the_projector_link(
    as_persona, personas, meeting_now, persona
):
    meeting = meeting_now(start=False)
    response = as_persona(persona).get(link_url(meeting))
    assert_status(response, persona, RUNNERS, 200)
    if response.status_code == 200:
        body = response.content.decode()
        assert meeting.projector_key in body
        assert "Revoke and make a new link" in body


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_only_who_runs_the_meeting_can_revoke_the_link(as_persona, personas, meeting_now, persona):
    meeting = meeting_now(start=False)
    old = meeting.projector_key
    response = as_persona(persona).post(link_url(meeting), {"confirm": "on"})
    assert_status(response, persona, RUNNERS, 302)
    meeting.refresh_from_db()
    assert (meeting.projector_key != old) == (persona in RUNNERS)


def test_the_meetings_own_chair_of_another_neighbourhood_cannot_open_it(
    login, personas, meeting_now
):
    other = meeting_now(hood=personas.other_hood, start=False)
    response = login(personas.chair).get(link_url(other))
    assert response.status_code == 403


def test_revoking_the_link_stops_the_old_one_at_once(
    client, login, personas, meeting_now, throwaway_panels, english_pages
):
    meeting = meeting_now()
    old_page, old_state = page_url(meeting), state_url(meeting)
    assert client.get(old_page).status_code == 200
    chair = login(personas.chair)
    response = chair.post(link_url(meeting), {"confirm": "on"}, follow=True)
    assert response.redirect_chain[-1][0] == link_url(meeting)
    body = response.content.decode()
    assert "The old link no longer works" in body
    meeting.refresh_from_db()
    assert meeting.projector_key in body
    client.logout()
    assert client.get(old_page).status_code == 404
    assert client.get(old_state).status_code == 404
    assert client.get(page_url(meeting)).status_code == 200


def test_revoking_needs_the_box_ticked(login, personas, meeting_now, english_pages):
    meeting = meeting_now(start=False)
    old = meeting.projector_key
    response = login(personas.chair).post(link_url(meeting), {})
    assert response.status_code == 200
    body = response.content.decode()
    assert "error-summary" in body
    assert "Tick the box to confirm that the old link must stop working." in body
    meeting.refresh_from_db()
    assert meeting.projector_key == old


def test_the_link_page_shows_an_absolute_link_to_copy_and_open(
    login, personas, meeting_now, settings
):
    settings.SITE_URL = "https://buurt.example.nl"
    meeting = meeting_now(start=False)
    body = login(personas.minute_taker).get(link_url(meeting)).content.decode()
    assert f'value="https://buurt.example.nl{page_url(meeting)}"' in body
    assert f'href="{page_url(meeting)}"' in body


def test_a_page_with_the_key_in_its_address_sends_no_referrer_and_has_no_form(
    client, login, personas, meeting_now, throwaway_panels
):
    """Under `no-referrer` Chromium posts `Origin: null` and the CSRF check refuses the form:
    only the projector (the key in its URL, no form) sends it. The chair's link page (the
    revoke form, no key in its URL) keeps the site's same-origin policy, still unindexed."""
    meeting = meeting_now()
    projector = client.get(page_url(meeting))
    assert projector["Referrer-Policy"] == "no-referrer"
    assert "<form" not in projector.content.decode()
    link_page = login(personas.chair).get(link_url(meeting))
    assert link_page["Referrer-Policy"] == "same-origin"
    assert '<form method="post"' in link_page.content.decode()
    assert link_page["X-Robots-Tag"].startswith("noindex")
