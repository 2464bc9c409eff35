from __future__ import annotations

from allauth.mfa.models import Authenticator
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse

from residents.middleware import TeamSecondFactorMiddleware
from residents.models import Membership, Role
from tests.support import view_name


def test_htmx_request_after_session_expiry_gets_a_full_page_redirect(client, personas):
    url = reverse("members:members", args=[personas.hood.slug])
    response = client.get(url, headers={"hx-request": "true"})
    assert response.status_code == 200
    assert response["HX-Redirect"].startswith(reverse("account_login"))


def test_plain_request_keeps_the_normal_redirect(client, personas):
    response = client.get(reverse("members:members", args=[personas.hood.slug]))
    assert response.status_code == 302
    assert "HX-Redirect" not in response


# --- Team members must set up a second factor: checked on every request ----------------------


def test_a_member_made_team_mid_session_must_set_up_totp_at_the_next_request(login, personas):
    """No grace period: the request right after the promotion is sent to set it up."""
    client = login(personas.second_resident)
    page = reverse("neighbourhood", args=[personas.hood.slug])
    assert client.get(page).status_code == 200
    Membership.objects.create(
        user=personas.second_resident,
        neighbourhood=personas.hood,
        role=Role.CHAIR,
        status=Membership.Status.ACTIVE,
    )
    response = client.get(page)
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")


def test_an_htmx_request_is_sent_to_set_it_up_as_a_whole_page(login, personas):
    Authenticator.objects.filter(user=personas.office).delete()
    client = login(personas.office)
    response = client.get(
        reverse("neighbourhood", args=[personas.hood.slug]), headers={"hx-request": "true"}
    )
    assert response["HX-Redirect"] == reverse("mfa_activate_totp")


def test_with_a_device_but_not_passed_in_this_session_only_confidential_pages_ask(client, personas):
    """Asked at the moment of need (problems.confidential), not on every page."""
    client.force_login(personas.chair)  # has TOTP, did not give it in this session
    assert client.get(reverse("neighbourhood", args=[personas.hood.slug])).status_code == 200
    queue = client.get(reverse("team:problem_queue", args=[personas.hood.slug]))
    assert queue["Location"].startswith(reverse("mfa_reauthenticate") + "?next=")


def test_a_session_that_passed_asks_the_database_nothing(
    login, personas, django_assert_num_queries
):
    client = login(personas.chair)
    second_factor_check = TeamSecondFactorMiddleware(lambda request: HttpResponse())
    request = RequestFactory().get(reverse("neighbourhood", args=[personas.hood.slug]))
    request.session = client.session
    request.session.keys()  # the session is read by SessionMiddleware, before this one
    request.user = personas.chair
    with django_assert_num_queries(0):
        assert second_factor_check(request).status_code == 200


def test_a_resident_session_is_never_sent_anywhere(login, personas):
    client = login(personas.resident)
    for name in ("home", "my_problems", "my_data"):
        assert client.get(reverse(view_name(name))).status_code == 200, name
