"""Confidential details: shown only to a team session that passed the second factor, and every
showing logged once (problems.confidential); the log itself is for the chair and the
coordinator only."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
import time_machine
from allauth.mfa.models import Authenticator
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from PIL import Image

from meetings import services as meeting_services
from meetings.actions import services as action_services
from meetings.planning.models import AgendaItem, AgendaItemProblem
from problems.models import ConfidentialView, Problem
from problems.services import CleanPhoto, confidential_views_log
from problems.workflow import Status
from residents.models import Membership, Role
from tests.conftest import PERSONA_NAMES, assert_status, give_second_factor
from tests.support import confirm, current_totp, last_code, request_code

VIEW_LOG = {"chair", "coordinator"}
SECRET = "Qzgeheimxq"  # in the confidential details only


def log_url(personas) -> str:
    return reverse("team:problem_confidential_log", args=[personas.hood.slug])


def log_view(problem: Problem, user) -> None:
    confidential_views_log(problems=[problem], user=user)


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_log_permissions(as_persona, personas, make_problem, persona):
    problem = make_problem(Status.ACCEPTED, title="Overlast bij de flat")
    log_view(problem, personas.wijkagent)
    response = as_persona(persona).get(log_url(personas))
    assert_status(response, persona, VIEW_LOG, 200)
    assert ("Kees de Vries" in response.content.decode()) == (persona in VIEW_LOG)


def test_the_log_of_another_neighbourhood_is_refused(as_persona, personas):
    url = reverse("team:problem_confidential_log", args=[personas.other_hood.slug])
    assert as_persona("chair").get(url).status_code == 403
    assert as_persona("outsider_chair").get(url).status_code == 200


def test_views_from_the_team_problem_page_are_listed(as_persona, personas, make_problem):
    problem = make_problem(
        Status.NEW,
        category="drugsoverlast",
        title="Handel bij Talmalaan 12",
        street="Talmalaan",
        confidential_details="Bewoner van nummer 12",
    )
    assert as_persona("wijkagent").get(problem.get_absolute_url()).status_code == 200
    assert as_persona("office").get(problem.get_absolute_url()).status_code == 200
    # A resident's look at the public page is no view of confidential details.
    as_persona("second_resident").get(problem.get_absolute_url())
    assert sorted(ConfidentialView.objects.values_list("user_id", flat=True)) == sorted(
        [personas.wijkagent.pk, personas.office.pk]
    )

    html = as_persona("chair").get(log_url(personas)).content.decode()
    assert "Kees de Vries" in html and "Ans Bakker" in html
    assert "Annie de Groot" not in html
    assert reverse("problem", args=[personas.hood.slug, problem.pk]) in html
    assert "Bewoner van nummer 12" not in html  # the log names the problem, not its details
    assert "Handel bij Talmalaan 12" not in html  # the public summary, not the real title


def test_log_lists_newest_first_and_only_this_neighbourhood(as_persona, personas, make_problem):
    here = make_problem(Status.ACCEPTED)
    there = make_problem(
        Status.ACCEPTED, neighbourhood=personas.other_hood, reporter=personas.outsider
    )
    log_view(here, personas.office)
    log_view(here, personas.wijkagent)
    ConfidentialView.objects.filter(user=personas.office).update(
        at=timezone.now() - timedelta(days=2)
    )
    log_view(there, personas.outsider_chair)
    html = as_persona("coordinator").get(log_url(personas)).content.decode()
    assert html.index("Kees de Vries") < html.index("Ans Bakker")
    assert "Joost Peters" not in html


def _fill(personas, problems: int, views: int) -> None:
    from problems.models import Category

    category = Category.objects.get(slug="drugsoverlast")
    rows = Problem.objects.bulk_create(
        Problem(
            neighbourhood=personas.hood,
            category=category,
            sensitive=True,
            title=f"Probleem {i}",
            description="Omschrijving",
            street="Talmalaan",
            status=Status.ACCEPTED,
        )
        for i in range(problems)
    )
    users = [personas.chair, personas.office, personas.wijkagent, personas.housing_contact]
    ConfidentialView.objects.bulk_create(
        ConfidentialView(problem=rows[i % len(rows)], user=users[i % len(users)])
        for i in range(views)
    )


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_log_query_count_does_not_grow(as_persona, personas):
    client = as_persona("chair")
    url = log_url(personas)
    _fill(personas, 10, 10)
    client.get(url)  # warm: first-use queries (content types, ...) do not count
    small = _queries(client, url)
    _fill(personas, 990, 2000)
    large = _queries(client, url)
    assert small == large
    assert _queries(client, url + "?page=3") == small


def test_the_queue_logs_the_sensitive_problems_it_shows(as_persona, personas, make_problem):
    sensitive = make_problem(Status.NEW, category="drugsoverlast", title="Dealen op nr. 8")
    make_problem(Status.NEW, title="Afval")
    response = as_persona("wijkagent").get(reverse("team:problem_queue", args=[personas.hood.slug]))
    assert "Dealen op nr. 8" in response.content.decode()
    views = ConfidentialView.objects.filter(user=personas.wijkagent)
    assert list(views.values_list("problem", flat=True)) == [sensitive.pk]


# --- The second factor at the moment of need ---------------------------------------------------


def mfa_url(back_to: str) -> str:
    return f"{reverse('mfa_reauthenticate')}?{urlencode({'next': back_to})}"


def give_totp(client: Client, back_to: str):
    """allauth's own flow: confirm the code from the app, then back where the person was."""
    assert client.get(mfa_url(back_to)).status_code == 200
    return client.post(mfa_url(back_to), {"code": current_totp()})


def png() -> CleanPhoto:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 3), "red").save(buffer, "PNG")
    return CleanPhoto(content=buffer.getvalue(), extension="png", width=4, height=3)


@pytest.fixture
def sensitive(make_problem, settings, tmp_path) -> Problem:
    settings.MEDIA_ROOT = tmp_path
    return make_problem(
        Status.CANDIDATE,  # on the team's queue, open for analysis
        category="drugsoverlast",
        title="Handel bij Talmalaan 12",
        confidential_details=f"Nummer 12 {SECRET}",
        photos=[png()],
    )


def _page(personas, problem: Problem) -> str:
    return problem.get_absolute_url()


def _queue(personas, problem: Problem) -> str:
    return reverse("team:problem_queue", args=[personas.hood.slug])


def _edit(personas, problem: Problem) -> str:
    return reverse("team:problem_edit", args=[personas.hood.slug, problem.pk])


def _photo(personas, problem: Problem) -> str:
    photo = problem.photos.get()
    return reverse("report:problem_photo", args=[personas.hood.slug, problem.pk, photo.pk])


def _analysis(personas, problem: Problem) -> str:
    action_services.analysis_save(
        problem=problem,
        actor=personas.chair,
        location="Portiek",
        victims="Buren",
        offenders=f"Bezoekers {SECRET}",
    )
    return reverse("actions:analysis_edit", args=[personas.hood.slug, problem.pk])


def _screen(personas, problem: Problem) -> str:
    start = timezone.now().replace(microsecond=0)
    meeting = meeting_services.meeting_create(
        neighbourhood=personas.hood, starts_at=start, ends_at=start + timedelta(hours=2), place="X"
    )
    meeting = meeting_services.meeting_start(meeting=meeting)
    item = meeting.items.get(kind=AgendaItem.Kind.NEW_PROBLEMS)
    AgendaItemProblem.objects.get_or_create(item=item, problem=problem, defaults={"position": 0})
    meeting_services.meeting_go_to(meeting=meeting, item=item)
    return (
        reverse("room:meeting_screen", args=[personas.hood.slug, meeting.pk]) + "?vertrouwelijk=1"
    )


# Each screen and what only the team may see on it ("" for the photo: its bytes).
SCREENS = {
    "problem page": (_page, SECRET),
    "team queue": (_queue, "Handel bij Talmalaan 12"),  # a sensitive problem's real title
    "edit form": (_edit, SECRET),
    "photo": (_photo, ""),
    "analysis": (_analysis, SECRET),
    "agenda screen": (_screen, SECRET),
}


@pytest.mark.parametrize("screen", SCREENS)
def test_a_team_session_without_the_second_factor_is_asked_for_it_first(
    client, personas, sensitive, english_pages, screen
):
    """A session that never passed TOTP (say, one opened before the person joined the team)
    sees nothing confidential; after giving the code it does, logged once per showing."""
    make_url, marker = SCREENS[screen]
    url = make_url(personas, sensitive)
    client.force_login(personas.chair)  # logged in, but not through TOTP in this session

    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == mfa_url(url)
    assert not ConfidentialView.objects.exists()

    assert give_totp(client, url)["Location"] == url
    response = client.get(url)
    assert response.status_code == 200
    if marker:
        assert marker in response.content.decode()
    else:
        assert response["Content-Type"] == "image/png"
    views = ConfidentialView.objects.filter(user=personas.chair)
    assert list(views.values_list("problem", flat=True)) == [sensitive.pk]
    client.get(url)
    assert views.count() == 2  # every showing, not once per session


# Committed for real: allauth records the new device on commit, inside the request.
@pytest.mark.django_db(transaction=True)
def test_a_newly_promoted_member_sets_up_totp_before_seeing_details(
    client, personas, sensitive, english_pages
):
    """Logged in as a resident (no second factor), then made office staff mid-session: no
    five-minute grace, not one confidential detail before the second factor."""
    person = personas.second_resident
    request_code(client, person.email)
    confirm(client, last_code())
    page = sensitive.get_absolute_url()
    assert client.get(page).status_code == 200  # a resident: the public page, nothing asked

    Membership.objects.create(
        user=person, neighbourhood=personas.hood, role=Role.OFFICE, status="active"
    )
    response = client.get(page)
    assert response["Location"] == reverse("mfa_activate_totp")
    queue = client.get(reverse("team:problem_queue", args=[personas.hood.slug]))
    assert queue["Location"] == reverse("mfa_activate_totp")
    assert not ConfidentialView.objects.exists()

    # Setting it up: allauth first confirms who this is with a mailed code, then the app.
    with time_machine.travel(timezone.now(), tick=False):
        response = client.get(reverse("mfa_activate_totp"), follow=True)
        response = client.post(
            response.redirect_chain[-1][0], {"recipient": person.email}, follow=True
        )
        response = client.post(response.redirect_chain[-1][0], {"code": last_code()}, follow=True)
        assert response.redirect_chain[-1][0] == reverse("mfa_activate_totp")
        secret = response.context["form"].secret
        from allauth.mfa.totp.internal.auth import (
            format_hotp_value,
            hotp_value,
            yield_hotp_counters_from_time,
        )

        def code_now() -> str:
            counter = next(iter(yield_hotp_counters_from_time()))
            return format_hotp_value(hotp_value(secret, counter))

        # A wrong code sets nothing up and passes nothing.
        client.post(reverse("mfa_activate_totp"), {"code": "000000"})
        assert client.get(page)["Location"] == reverse("mfa_activate_totp")
        # Setting it up means typing a valid code: that passes the second factor for this
        # session as well, so the page does not ask for another code.
        client.post(reverse("mfa_activate_totp"), {"code": code_now()})
        assert Authenticator.objects.filter(user=person, type=Authenticator.Type.TOTP).exists()
        assert not ConfidentialView.objects.exists()
    response = client.get(page)
    assert SECRET in response.content.decode()
    assert list(ConfidentialView.objects.values_list("user", "problem")) == [
        (person.pk, sensitive.pk)
    ]


def test_a_wrong_code_shows_nothing_confidential(client, personas, sensitive):
    client.force_login(personas.wijkagent)
    page = sensitive.get_absolute_url()
    client.post(mfa_url(page), {"code": "000000"})
    assert client.get(page)["Location"] == mfa_url(page)
    assert not ConfidentialView.objects.exists()


def test_an_htmx_request_is_sent_to_the_second_factor_as_a_whole_page(client, personas, sensitive):
    client.force_login(personas.office)
    page = sensitive.get_absolute_url()
    response = client.get(
        _queue(personas, sensitive),
        headers={"hx-request": "true", "hx-current-url": f"http://testserver{page}"},
    )
    assert response.status_code == 200
    assert response["HX-Redirect"] == mfa_url(page)  # back to the page, not to the fragment
    assert not ConfidentialView.objects.exists()


def test_a_session_that_passed_at_login_is_not_asked_again(client, personas, sensitive):
    request_code(client, personas.wijkagent.email)
    confirm(client, last_code())
    client.post(reverse("mfa_authenticate"), {"code": current_totp()})
    assert client.get(sensitive.get_absolute_url()).status_code == 200
    assert ConfidentialView.objects.filter(user=personas.wijkagent).count() == 1


def test_residents_are_never_asked_for_a_second_factor(client, personas, make_problem):
    """Not even the reporter of a sensitive problem, who sees their own report in full."""
    own = make_problem(Status.NEW, category="drugsoverlast", confidential_details=SECRET)
    request_code(client, personas.resident.email)
    confirm(client, last_code())
    response = client.get(own.get_absolute_url())
    assert response.status_code == 200
    assert not ConfidentialView.objects.exists()


def test_a_resident_with_a_second_factor_of_their_own_is_not_asked_either(
    client, personas, make_problem
):
    give_second_factor(personas.resident)
    client.force_login(personas.resident)
    problem = make_problem(Status.ACCEPTED, category="drugsoverlast")
    assert client.get(problem.get_absolute_url()).status_code == 200
