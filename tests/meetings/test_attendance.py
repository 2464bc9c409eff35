"""Attendance: the team's list of who is there (members by name search, visiting
professionals, anonymous walk-ins) and residents checking themselves in with the QR code."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from meetings import services as meeting_services
from meetings.planning.models import Meeting
from meetings.room.models import Attendance
from meetings.room.views.attendance import check_in_qr, check_in_url
from residents.models import Membership, Role, User
from tests.conftest import PERSONA_NAMES, assert_status, make_person
from tests.factories import make_meeting
from tests.support import view_name

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
# A Tuesday evening meeting; check-in tests travel to its day.
STARTS = datetime(2026, 12, 8, 19, 30, tzinfo=AMSTERDAM)
MEETING_DAY = datetime(2026, 12, 8, 19, 15, tzinfo=AMSTERDAM)
RUNNERS = {"chair", "minute_taker", "coordinator", "own_minute_taker"}
ATTENDERS = {
    "resident",
    "second_resident",
    "chair",
    "minute_taker",
    "wijkagent",
    "housing_contact",
    "office",
    "own_minute_taker",
}
PEOPLE = [*PERSONA_NAMES, "own_minute_taker"]
HTMX = {"HX-Request": "true"}
PUBLISHED = Meeting.Status.AGENDA_PUBLISHED


@pytest.fixture
def meeting(personas) -> Meeting:
    return make_meeting(personas.hood, STARTS, items=0, status=PUBLISHED)


@pytest.fixture
def login_as(as_persona, personas, meeting) -> Callable:
    """as_persona, plus "own_minute_taker": a plain resident who takes this meeting's minutes."""

    def _login(name: str):
        if name == "own_minute_taker":
            Meeting.objects.filter(pk=meeting.pk).update(minute_taker=personas.second_resident)
            return as_persona("second_resident")
        return as_persona(name)

    return _login


def url(name: str, meeting: Meeting, *extra: int) -> str:
    return reverse(view_name(name), args=[meeting.neighbourhood.slug, meeting.pk, *extra])


def record(meeting: Meeting, user: User | None = None, **fields) -> Attendance:
    row, _created = meeting_services.attendance_record(
        meeting=meeting, by=None, user=user, **fields
    )
    return row


# --- Who may see and change the list ------------------------------------------------------------


@pytest.mark.parametrize("persona", PEOPLE)
def test_attendance_page_is_for_the_meetings_runners_only(login_as, personas, meeting, persona):
    record(meeting, personas.resident)
    response = login_as(persona).get(url("room:meeting_attendance", meeting))
    assert_status(response, persona, RUNNERS, 200)
    if response.status_code == 200:
        assert "Mohamed Bouzid" in response.content.decode()
    else:
        assert b"Mohamed Bouzid" not in response.content


@pytest.mark.parametrize("persona", PEOPLE)
def test_search_is_for_the_meetings_runners_only(login_as, personas, meeting, persona):
    client = login_as(persona)
    for headers in ({}, HTMX):
        response = client.get(
            url("room:attendance_search", meeting), {"q": "Bouzid"}, headers=headers
        )
        if persona == "anonymous" and headers:
            assert response.status_code == 200  # HX-Redirect to the login page
            assert response.headers["HX-Redirect"].startswith(reverse("account_login"))
        else:
            assert_status(response, persona, RUNNERS, 200)
        assert ("Mohamed Bouzid" in response.content.decode()) == (
            response.status_code == 200 and persona in RUNNERS
        )


@pytest.mark.parametrize("persona", PEOPLE)
def test_adding_a_member_is_for_the_meetings_runners_only(login_as, personas, meeting, persona):
    response = login_as(persona).post(
        url("room:attendance_add", meeting), {"person": personas.resident.pk}
    )
    assert_status(response, persona, RUNNERS, 302)
    assert meeting.attendance.filter(user=personas.resident).exists() == (persona in RUNNERS)


@pytest.mark.parametrize("persona", PEOPLE)
def test_adding_a_visitor_is_for_the_meetings_runners_only(login_as, personas, meeting, persona):
    response = login_as(persona).post(
        url("room:attendance_add_guest", meeting),
        {"name": "Sanne Visser", "organisation": personas.housing.pk},
    )
    assert_status(response, persona, RUNNERS, 302)
    assert meeting.attendance.filter(name="Sanne Visser").exists() == (persona in RUNNERS)


@pytest.mark.parametrize("persona", PEOPLE)
def test_removing_is_for_the_meetings_runners_only(login_as, personas, meeting, persona):
    row = record(meeting, personas.resident)
    response = login_as(persona).post(url("room:attendance_remove", meeting, row.pk))
    assert_status(response, persona, RUNNERS, 302)
    assert Attendance.objects.filter(pk=row.pk).exists() == (persona not in RUNNERS)


@pytest.mark.parametrize("persona", PEOPLE)
def test_walk_ins_are_for_the_meetings_runners_only(login_as, meeting, persona):
    response = login_as(persona).post(url("room:attendance_walk_ins", meeting), {"walk_ins": "7"})
    assert_status(response, persona, RUNNERS, 302)
    meeting.refresh_from_db()
    assert meeting.walk_ins == (7 if persona in RUNNERS else 0)


def test_chair_of_another_neighbourhood_gets_nothing(as_persona, personas, meeting):
    row = record(meeting, personas.resident)
    client = as_persona("outsider_chair")
    # Through this neighbourhood's address: refused; through their own: there is no such meeting.
    assert client.get(url("room:meeting_attendance", meeting)).status_code == 403
    own = reverse("room:meeting_attendance", args=[personas.other_hood.slug, meeting.pk])
    assert client.get(own).status_code == 404
    remove = reverse("room:attendance_remove", args=[personas.other_hood.slug, meeting.pk, row.pk])
    assert client.post(remove).status_code == 404
    assert Attendance.objects.filter(pk=row.pk).exists()


def test_chair_sees_the_attendance_of_their_meeting_but_not_of_another_neighbourhood(
    as_persona, personas
):
    elsewhere = make_meeting(personas.other_hood, STARTS, items=0, status=PUBLISHED)
    assert as_persona("chair").get(url("room:meeting_attendance", elsewhere)).status_code == 403
    assert (
        as_persona("outsider_chair").get(url("room:meeting_attendance", elsewhere)).status_code
        == 200
    )


def test_writes_need_post(as_persona, personas, meeting):
    row = record(meeting, personas.resident)
    client = as_persona("chair")
    for name, extra in (
        ("attendance_add", ()),
        ("attendance_add_guest", ()),
        ("attendance_remove", (row.pk,)),
        ("attendance_walk_ins", ()),
    ):
        assert client.get(url(name, meeting, *extra)).status_code == 405, name
    assert Attendance.objects.filter(pk=row.pk).exists()


# --- The list -------------------------------------------------------------------------------------


def test_list_groups_residents_professionals_and_walk_ins_with_totals(
    as_persona, personas, meeting
):
    record(meeting, personas.resident)
    record(meeting, personas.paper_resident)
    with time_machine.travel(MEETING_DAY, tick=False):
        meeting_services.check_in(meeting=meeting, user=personas.wijkagent)
    record(
        meeting,
        name="Sanne Visser",
        organisation=personas.housing,
        kind=Attendance.Kind.PROFESSIONAL,
    )
    meeting_services.walk_ins_set(meeting=meeting, count=4)

    html = as_persona("chair").get(url("room:meeting_attendance", meeting)).content.decode()

    residents = html[html.index('id="residents-title"') : html.index('id="professionals-title"')]
    professionals = html[html.index('id="professionals-title"') : html.index('id="walk-ins-title"')]
    assert "Mohamed Bouzid" in residents and "Joke Kramer" in residents
    assert "On paper" in residents  # Joke Kramer has no e-mail
    assert "Kees de Vries" in professionals and "Politie Midden-Nederland" in professionals
    assert "Sanne Visser" in professionals and "Woningcorporatie Thuisbasis" in professionals
    assert "Visitor without an account" in professionals
    assert "checked in themselves" in professionals
    assert "Kees de Vries" not in residents
    totals = html[html.index('class="attendance-totals"') : html.index('id="residents-title"')]
    # residents, professionals, walk-ins, total, of whom at their first meeting
    numbers = [int(n) for n in re.findall(r"<dd>(\d+)</dd>", totals)]
    assert numbers == [2, 2, 4, 8, 3]  # a visitor without an account is not counted as new


def test_empty_list_says_what_to_do(as_persona, meeting):
    html = as_persona("chair").get(url("room:meeting_attendance", meeting)).content.decode()
    assert "No residents on the list yet" in html
    assert "No professionals on the list yet" in html


def test_newcomer_is_marked_at_a_first_meeting_and_not_at_a_later_one(as_persona, personas):
    first = make_meeting(
        personas.hood, STARTS - timedelta(days=28), items=0, status=Meeting.Status.CLOSED
    )
    later = make_meeting(personas.hood, STARTS, items=0, status=PUBLISHED)
    client = as_persona("chair")
    client.post(url("room:attendance_add", first), {"person": personas.resident.pk})
    client.post(url("room:attendance_add", later), {"person": personas.resident.pk})
    client.post(url("room:attendance_add", later), {"person": personas.second_resident.pk})

    assert Attendance.objects.get(meeting=first, user=personas.resident).newcomer is True
    assert Attendance.objects.get(meeting=later, user=personas.resident).newcomer is False
    assert Attendance.objects.get(meeting=later, user=personas.second_resident).newcomer is True
    html = client.get(url("room:meeting_attendance", later)).content.decode()
    listed = html[html.index('id="residents-title"') :]
    rows = {
        name: listed[listed.index(name) : listed.index("</li>", listed.index(name))]
        for name in ("Mohamed Bouzid", "Annie de Groot")
    }
    assert "First meeting" in rows["Annie de Groot"]
    assert "First meeting" not in rows["Mohamed Bouzid"]


def test_attendance_at_a_meeting_of_another_neighbourhood_does_not_count_for_newcomers(
    as_persona, personas
):
    Membership.objects.create(
        user=personas.resident,
        neighbourhood=personas.other_hood,
        role=Role.RESIDENT,
        status="active",
    )
    elsewhere = make_meeting(
        personas.other_hood, STARTS - timedelta(days=28), items=0, status=PUBLISHED
    )
    record(elsewhere, personas.resident)
    meeting = make_meeting(personas.hood, STARTS, items=0, status=PUBLISHED)
    as_persona("chair").post(url("room:attendance_add", meeting), {"person": personas.resident.pk})
    assert Attendance.objects.get(meeting=meeting, user=personas.resident).newcomer is True


def test_attendance_page_queries_do_not_grow_with_attendees(
    login, personas, meeting, django_assert_num_queries, django_assert_max_num_queries
):
    client = login(personas.chair)

    def fill(count: int, start: int) -> None:
        for n in range(start, start + count):
            kind = n % 4
            if kind == 0:
                person = make_person(f"Bewoner {n}", f"bewoner{n}@example.nl")
                Membership.objects.create(
                    user=person, neighbourhood=personas.hood, role=Role.RESIDENT, status="active"
                )
                record(meeting, person)
            elif kind == 1:
                person = make_person(f"Papieren bewoner {n}", None)
                Membership.objects.create(
                    user=person, neighbourhood=personas.hood, role=Role.RESIDENT, status="active"
                )
                record(meeting, person)
            elif kind == 2:
                person = make_person(f"Professional {n}", f"pro{n}@example.nl")
                Membership.objects.create(
                    user=person,
                    neighbourhood=personas.hood,
                    role=Role.PROFESSIONAL,
                    status="active",
                    organisation=personas.police,
                )
                # Checked in: no organisation on the row, it comes from the membership.
                record(meeting, person, kind=Attendance.Kind.PROFESSIONAL, source="check_in")
            else:
                record(
                    meeting,
                    name=f"Bezoeker {n}",
                    organisation=personas.housing,
                    kind=Attendance.Kind.PROFESSIONAL,
                )

    fill(4, 0)
    page = url("room:meeting_attendance", meeting)
    client.get(page)  # warm the session
    with django_assert_max_num_queries(15) as small:
        response = client.get(page)
    assert response.content.decode().count('class="attendance-person"') == 4
    fill(36, 4)
    with django_assert_num_queries(len(small.captured_queries)):
        response = client.get(page)
    assert response.content.decode().count('class="attendance-person"') == 40


# --- Searching and adding members ---------------------------------------------------------------


def test_search_finds_only_active_members_of_this_neighbourhood(as_persona, personas, meeting):
    gone = make_person("Gerrit de Groot", "gerrit@example.nl")
    Membership.objects.create(
        user=gone, neighbourhood=personas.hood, role=Role.RESIDENT, status="left"
    )
    blocked = make_person("Hanna de Groot", "hanna@example.nl", is_active=False)
    Membership.objects.create(
        user=blocked, neighbourhood=personas.hood, role=Role.RESIDENT, status="active"
    )
    elsewhere = make_person("Wilma de Groot", "wilma@example.nl")
    Membership.objects.create(
        user=elsewhere, neighbourhood=personas.other_hood, role=Role.RESIDENT, status="active"
    )
    client = as_persona("chair")

    html = client.get(url("room:attendance_search", meeting), {"q": "groot"}).content.decode()

    assert "Annie de Groot" in html
    for name in ("Gerrit de Groot", "Hanna de Groot", "Wilma de Groot"):
        assert name not in html
    for q in ("Verhoeven", "Kowalski", "Joost"):  # outsider, pending application, outsider chair
        html = client.get(url("room:attendance_search", meeting), {"q": q}).content.decode()
        assert "No active member of this neighbourhood has" in html
        assert "Wim Verhoeven" not in html and "Tomasz Kowalski" not in html
        assert "Joost Peters" not in html


def test_search_matches_every_word_and_shows_roles_paper_and_who_is_already_there(
    as_persona, personas, meeting
):
    record(meeting, personas.resident)
    client = as_persona("chair")
    html = client.get(url("room:attendance_search", meeting), {"q": "kees vries"}).content.decode()
    assert "Kees de Vries" in html and "Politie Midden-Nederland" in html
    html = client.get(url("room:attendance_search", meeting), {"q": "kramer"}).content.decode()
    assert "Joke Kramer" in html and "On paper" in html
    html = client.get(url("room:attendance_search", meeting), {"q": "bouzid"}).content.decode()
    results = html[html.index('id="attendance-results"') :]
    assert "Already there" in results
    assert f'name="person" value="{personas.resident.pk}"' not in results


def test_search_without_javascript_shows_the_whole_page_with_add_buttons(
    as_persona, personas, meeting
):
    html = as_persona("chair").get(url("room:attendance_search", meeting), {"q": "Annie"}).content
    html = html.decode()
    assert "<html" in html and 'id="attendance-present"' in html
    assert f'name="person" value="{personas.second_resident.pk}"' in html
    assert f'action="{url("room:attendance_add", meeting)}"' in html
    assert 'value="Annie"' in html  # the search field keeps what was typed


def test_htmx_search_answers_only_the_results(as_persona, personas, meeting):
    response = as_persona("chair").get(
        url("room:attendance_search", meeting), {"q": "Annie"}, headers=HTMX
    )
    html = response.content.decode()
    assert html.strip().startswith('<div id="attendance-results"')
    assert "<html" not in html and "Annie de Groot" in html
    empty = as_persona("chair").get(url("room:attendance_search", meeting), {"q": ""}, headers=HTMX)
    assert "Annie de Groot" not in empty.content.decode()


def test_search_field_searches_as_you_type(as_persona, meeting):
    html = as_persona("chair").get(url("room:meeting_attendance", meeting)).content.decode()
    assert f'hx-get="{url("room:attendance_search", meeting)}"' in html
    assert "delay:300ms" in html


def test_adding_twice_gives_one_row_and_says_already_there(as_persona, personas, meeting):
    client = as_persona("chair")
    first = client.post(
        url("room:attendance_add", meeting), {"person": personas.resident.pk}, follow=True
    )
    second = client.post(
        url("room:attendance_add", meeting), {"person": personas.resident.pk}, follow=True
    )
    assert meeting.attendance.filter(user=personas.resident).count() == 1
    assert "Mohamed Bouzid is on the attendance list." in first.content.decode()
    assert "Mohamed Bouzid was already on the attendance list." in second.content.decode()
    row = meeting.attendance.get(user=personas.resident)
    assert row.recorded_by == personas.chair and row.source == Attendance.Source.RECORDED


def test_adding_a_professional_member_records_their_organisation(as_persona, personas, meeting):
    as_persona("minute_taker").post(
        url("room:attendance_add", meeting), {"person": personas.wijkagent.pk}
    )
    row = meeting.attendance.get(user=personas.wijkagent)
    assert row.kind == Attendance.Kind.PROFESSIONAL and row.organisation == personas.police


def test_an_outsider_cannot_be_added_and_their_name_never_shows(as_persona, personas, meeting):
    client = as_persona("chair")
    for person in (personas.outsider, personas.pending_resident):
        response = client.post(
            url("room:attendance_add", meeting), {"person": person.pk}, follow=True
        )
        html = response.content.decode()
        assert "That person is not an active member of this neighbourhood." in html
        assert person.display_name not in html
    assert not meeting.attendance.exists()


def test_htmx_add_swaps_the_list_and_marks_the_result_as_there(as_persona, personas, meeting):
    response = as_persona("chair").post(
        url("room:attendance_add", meeting),
        {"person": personas.second_resident.pk, "q": "Annie"},
        headers=HTMX,
    )
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    assert html.strip().startswith('<section id="attendance-present"')
    assert "Annie de Groot is on the attendance list." in html
    assert "first meeting: welcome them" in html
    oob = html[html.index('<div id="attendance-results"') :]
    assert 'hx-swap-oob="true"' in oob and "Already there" in oob
    # Nothing waits in the session for the next full page.
    page = as_persona("chair").get(url("room:meeting_attendance", meeting)).content.decode()
    assert "is on the attendance list." not in page


def test_cannot_record_attendance_of_a_cancelled_meeting(as_persona, personas):
    meeting = make_meeting(personas.hood, STARTS, items=0, status=Meeting.Status.CANCELLED)
    client = as_persona("chair")
    response = client.post(
        url("room:attendance_add", meeting), {"person": personas.resident.pk}, follow=True
    )
    assert "This meeting was cancelled" in response.content.decode()
    client.post(url("room:attendance_walk_ins", meeting), {"walk_ins": "3"})
    meeting.refresh_from_db()
    assert not meeting.attendance.exists() and meeting.walk_ins == 0
    html = client.get(url("room:meeting_attendance", meeting)).content.decode()
    assert 'action="' + url("room:attendance_add_guest", meeting) not in html


# --- Visitors without an account ---------------------------------------------------------------


def test_visitor_is_added_with_name_and_organisation_once(as_persona, personas, meeting):
    client = as_persona("chair")
    data = {"name": "  Sanne Visser ", "organisation": personas.housing.pk}
    client.post(url("room:attendance_add_guest", meeting), data)
    again = client.post(url("room:attendance_add_guest", meeting), data, follow=True)
    row = meeting.attendance.get()
    assert (row.name, row.organisation, row.kind, row.user) == (
        "Sanne Visser",
        personas.housing,
        Attendance.Kind.PROFESSIONAL,
        None,
    )
    assert row.newcomer is False
    assert "was already on the attendance list" in again.content.decode()


def test_visitor_needs_a_name_and_an_organisation(as_persona, meeting):
    response = as_persona("chair").post(
        url("room:attendance_add_guest", meeting), {"name": "", "organisation": "999999"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert 'class="error-summary"' in html
    assert "Enter the name of the visitor." in html
    assert "Choose the organisation the visitor works for." in html
    assert not meeting.attendance.exists()


# --- Removing -------------------------------------------------------------------------------------


def test_remove_takes_one_person_off_the_list_after_confirmation(as_persona, personas, meeting):
    wrong = record(meeting, personas.second_resident)
    right = record(meeting, personas.resident)
    client = as_persona("chair")
    html = client.get(url("room:meeting_attendance", meeting)).content.decode()
    assert "Yes, remove Annie de Groot" in html  # the confirmation, inside "Remove"
    response = client.post(url("room:attendance_remove", meeting, wrong.pk), follow=True)
    assert "Annie de Groot is no longer on the attendance list." in response.content.decode()
    assert list(meeting.attendance.all()) == [right]


def test_cannot_remove_a_row_of_another_meeting(as_persona, personas, meeting):
    other = make_meeting(personas.hood, STARTS + timedelta(days=28), items=0, status=PUBLISHED)
    row = record(other, personas.resident)
    response = as_persona("chair").post(url("room:attendance_remove", meeting, row.pk))
    assert response.status_code == 404
    assert Attendance.objects.filter(pk=row.pk).exists()


def test_htmx_remove_swaps_the_list(as_persona, personas, meeting):
    row = record(meeting, personas.resident)
    response = as_persona("chair").post(
        url("room:attendance_remove", meeting, row.pk), headers=HTMX
    )
    html = response.content.decode()
    assert html.strip().startswith('<section id="attendance-present"')
    assert "Mohamed Bouzid is no longer on the attendance list." in html
    assert "No residents on the list yet" in html


# --- Anonymous walk-ins ---------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["-1", "1001", "veel", "", "2.5"])
def test_walk_ins_must_be_a_number_from_0_to_1000(as_persona, meeting, typed):
    meeting_services.walk_ins_set(meeting=meeting, count=5)
    response = as_persona("chair").post(
        url("room:attendance_walk_ins", meeting), {"walk_ins": typed}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="error-summary"' in html and "Enter a number from 0 to 1000." in html
    meeting.refresh_from_db()
    assert meeting.walk_ins == 5


@pytest.mark.parametrize("typed, expected", [("0", 0), ("12", 12), ("1000", 1000)])
def test_walk_ins_are_set_to_the_number_typed(as_persona, meeting, typed, expected):
    response = as_persona("chair").post(
        url("room:attendance_walk_ins", meeting), {"walk_ins": typed}, follow=True
    )
    meeting.refresh_from_db()
    assert meeting.walk_ins == expected
    assert f"Anonymous walk-ins: {expected}." in response.content.decode()


def test_plus_and_minus_buttons_work_as_plain_forms_and_count_a_double_click_once(
    as_persona, meeting
):
    client = as_persona("chair")
    walk_ins = url("room:attendance_walk_ins", meeting)
    html = client.get(url("room:meeting_attendance", meeting)).content.decode()
    assert 'name="step" value="1"' in html and 'name="step" value="-1"' in html

    client.post(walk_ins, {"shown": "0", "step": "1"})
    client.post(walk_ins, {"shown": "1", "step": "1"})
    client.post(walk_ins, {"shown": "1", "step": "1"})  # the same click again
    meeting.refresh_from_db()
    assert meeting.walk_ins == 2
    client.post(walk_ins, {"shown": "2", "step": "-1"})
    meeting.refresh_from_db()
    assert meeting.walk_ins == 1
    client.post(walk_ins, {"shown": "0", "step": "-1"})
    meeting.refresh_from_db()
    assert meeting.walk_ins == 0  # never below zero
    client.post(walk_ins, {"shown": "1000", "step": "1"})
    meeting.refresh_from_db()
    assert meeting.walk_ins == 1000  # never above the maximum


def test_htmx_walk_ins_swap_the_list_and_show_the_error_in_place(as_persona, meeting):
    client = as_persona("chair")
    walk_ins = url("room:attendance_walk_ins", meeting)
    ok = client.post(walk_ins, {"shown": "0", "step": "1"}, headers=HTMX).content.decode()
    assert ok.strip().startswith('<section id="attendance-present"') and "<dd>1</dd>" in ok
    bad = client.post(walk_ins, {"walk_ins": "5000"}, headers=HTMX).content.decode()
    assert "<html" not in bad and "Enter a number from 0 to 1000." in bad


# --- Self check-in --------------------------------------------------------------------------------


def test_check_in_url_and_qr_for_the_projector(personas, meeting, settings):
    settings.SITE_URL = "https://buurt.example.nl"
    assert check_in_url(meeting) == (
        f"https://buurt.example.nl/buurt/kanaleneiland-noord/overleg/{meeting.pk}/inchecken/"
    )
    assert check_in_qr(meeting).startswith("data:image/svg+xml")


def test_anonymous_visitor_is_sent_to_log_in_and_back(client, personas, meeting):
    page = url("room:meeting_check_in", meeting)
    for response in (client.get(page), client.post(page)):
        assert response.status_code == 302
        assert response.url.startswith(reverse("account_login"))
        assert response.url.endswith("?next=" + page)
    assert not meeting.attendance.exists()


@pytest.mark.parametrize("persona", PEOPLE[1:])
def test_check_in_is_for_members_of_the_neighbourhood(login_as, personas, meeting, persona):
    record(meeting, personas.paper_resident)  # someone else is there: never named on this page
    client = login_as(persona)
    with time_machine.travel(MEETING_DAY, tick=False):
        page = client.get(url("room:meeting_check_in", meeting))
        client.post(url("room:meeting_check_in", meeting))
    member = persona in ATTENDERS
    assert page.status_code == (200 if member else 403)
    html = page.content.decode()
    if member:
        assert "I am here" in html
    else:
        assert "Checking in is for members of this neighbourhood" in html
        assert "I am here" not in html
    assert "Joke Kramer" not in html
    user = personas.second_resident if persona == "own_minute_taker" else personas.by_name(persona)
    assert meeting.attendance.filter(user=user).exists() == member


def test_a_waiting_applicant_is_told_why(as_persona, meeting):
    with time_machine.travel(MEETING_DAY, tick=False):
        html = as_persona("pending_resident").get(url("room:meeting_check_in", meeting)).content
    assert "still waiting for the chair's approval" in html.decode()


def test_member_checks_in_on_the_day_and_a_newcomer_is_welcomed(as_persona, personas, meeting):
    client = as_persona("resident")
    with time_machine.travel(MEETING_DAY, tick=False):
        response = client.post(url("room:meeting_check_in", meeting), follow=True)
        again = client.post(url("room:meeting_check_in", meeting), follow=True)
    html = response.content.decode()
    assert "Thank you, you are checked in." in html
    assert "You are on the attendance list." in html
    assert "This is your first meeting" in html
    assert "I am here" not in html
    assert "You were already checked in." in again.content.decode()
    row = meeting.attendance.get()
    assert (row.user, row.source, row.kind, row.newcomer) == (
        personas.resident,
        Attendance.Source.CHECK_IN,
        Attendance.Kind.RESIDENT,
        True,
    )


def test_a_returning_member_is_not_welcomed_as_new(as_persona, personas, meeting):
    earlier = make_meeting(
        personas.hood, STARTS - timedelta(days=28), items=0, status=Meeting.Status.CLOSED
    )
    record(earlier, personas.resident)
    with time_machine.travel(MEETING_DAY, tick=False):
        html = (
            as_persona("resident").post(url("room:meeting_check_in", meeting), follow=True).content
        )
    assert "This is your first meeting" not in html.decode()
    assert "Good to see you again." in html.decode()
    assert meeting.attendance.get().newcomer is False


@pytest.mark.parametrize(
    "moment, message",
    [
        (STARTS - timedelta(days=1), "You can check in on the day of the meeting."),
        (STARTS + timedelta(days=1), "This meeting is over: checking in is no longer possible."),
    ],
)
def test_check_in_only_on_the_day_of_the_meeting(as_persona, meeting, moment, message):
    client = as_persona("resident")
    with time_machine.travel(moment, tick=False):
        page = client.get(url("room:meeting_check_in", meeting)).content.decode()
        response = client.post(url("room:meeting_check_in", meeting), follow=True)
    assert message in page and "I am here" not in page
    assert message in response.content.decode()
    assert not meeting.attendance.exists()


def test_check_in_at_the_end_of_the_day_still_counts(as_persona, meeting):
    with time_machine.travel(datetime(2026, 12, 8, 23, 50, tzinfo=AMSTERDAM), tick=False):
        as_persona("resident").post(url("room:meeting_check_in", meeting))
    assert meeting.attendance.exists()


@pytest.mark.parametrize(
    "status, message",
    [
        (Meeting.Status.CANCELLED, "This meeting was cancelled."),
        (Meeting.Status.CLOSED, "This meeting is over: checking in is no longer possible."),
    ],
)
def test_no_check_in_at_a_cancelled_or_closed_meeting(as_persona, personas, status, message):
    meeting = make_meeting(personas.hood, STARTS, items=0, status=status)
    client = as_persona("resident")
    with time_machine.travel(MEETING_DAY, tick=False):
        response = client.post(url("room:meeting_check_in", meeting), follow=True)
    assert message in response.content.decode()
    assert not meeting.attendance.exists()


def test_professional_checks_in_and_shows_with_their_organisation(as_persona, personas, meeting):
    with time_machine.travel(MEETING_DAY, tick=False):
        as_persona("wijkagent").post(url("room:meeting_check_in", meeting))
    row = meeting.attendance.get()
    assert row.kind == Attendance.Kind.PROFESSIONAL
    html = as_persona("chair").get(url("room:meeting_attendance", meeting)).content.decode()
    professionals = html[html.index('id="professionals-title"') : html.index('id="walk-ins-title"')]
    assert "Kees de Vries" in professionals and "Politie Midden-Nederland" in professionals


def test_check_in_page_links_the_team_to_the_list(as_persona, meeting):
    with time_machine.travel(MEETING_DAY, tick=False):
        chair = as_persona("chair").get(url("room:meeting_check_in", meeting)).content.decode()
        resident = (
            as_persona("resident").get(url("room:meeting_check_in", meeting)).content.decode()
        )
    assert url("room:meeting_attendance", meeting) in chair
    assert url("room:meeting_attendance", meeting) not in resident


def test_check_in_works_on_the_day_by_the_local_date(as_persona, meeting):
    # 00:30 in Amsterdam on the day is still the previous day in UTC.
    moment = datetime(2026, 12, 8, 0, 30, tzinfo=AMSTERDAM)
    assert moment.astimezone(UTC).day == 7
    with time_machine.travel(moment, tick=False):
        as_persona("resident").post(url("room:meeting_check_in", meeting))
    assert meeting.attendance.exists()
