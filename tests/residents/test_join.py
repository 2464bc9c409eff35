"""A resident joins: address checked, e-mail confirmed by code, pending or active with a code."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from residents import services
from residents.models import InviteCode, Membership, User
from tests.support import CODE_RE, join


def confirm_mailed_code(client):
    match = CODE_RE.search(str(mail.outbox[-1].body))
    assert match
    code = match.group(1)
    return client.post(reverse("account_email_verification_sent"), {"code": code})


def test_join_page_explains_and_asks_for_address(client, personas):
    response = client.get(reverse("join", args=[personas.hood.slug]))
    assert response.status_code == 200
    html = response.content.decode()
    for label in ("Uw naam", "E-mailadres", "Postcode", "Huisnummer", "Uitnodigingscode"):
        assert label in html


def test_new_resident_confirms_email_and_waits_for_approval(client, personas):
    response = join(client, personas.hood.slug)
    assert response.status_code == 302
    user = User.objects.get(email="nieuw@example.nl")
    assert user.display_name == "Nieuwe Buur"
    assert user.postcode == "3527AB"
    assert not EmailAddress.objects.get(user=user).verified
    assert "_auth_user_id" not in client.session
    response = confirm_mailed_code(client)
    assert response.status_code == 302
    assert response["Location"] == personas.hood.get_absolute_url()
    assert EmailAddress.objects.get(user=user).verified
    assert int(client.session["_auth_user_id"]) == user.pk
    membership = Membership.objects.get(user=user, neighbourhood=personas.hood)
    assert membership.status == Membership.Status.PENDING
    page = client.get(reverse("neighbourhood", args=[personas.hood.slug])).content.decode()
    assert "Wacht op goedkeuring" in page


def test_invite_code_makes_membership_active_at_once(client, personas, invite_code):
    join(client, personas.hood.slug, invite_code=invite_code.code.lower().replace("-", " "))
    confirm_mailed_code(client)
    user = User.objects.get(email="nieuw@example.nl")
    assert Membership.objects.get(user=user).status == Membership.Status.ACTIVE
    invite_code.refresh_from_db()
    assert invite_code.used_by == user and invite_code.used_at is not None


def test_used_invite_code_is_refused_and_nothing_is_saved(client, personas, invite_code):
    InviteCode.objects.filter(pk=invite_code.pk).update(
        used_by=personas.resident, used_at=invite_code.created_at
    )
    response = join(client, personas.hood.slug, invite_code=invite_code.code)
    assert response.status_code == 200
    assert "Deze uitnodigingscode klopt niet" in response.content.decode()
    assert not User.objects.filter(email="nieuw@example.nl").exists()
    assert mail.outbox == []


@pytest.fixture
def used_by_someone_else_meanwhile(monkeypatch, personas):
    """The form's check finds the code unused; someone else uses it before it is claimed."""

    def check_then_lose_the_race(*, neighbourhood, code):
        invite = services.invite_code_lookup(neighbourhood=neighbourhood, code=code)
        InviteCode.objects.filter(pk=invite.pk).update(
            used_by=personas.second_resident, used_at=timezone.now()
        )
        return invite

    monkeypatch.setattr("residents.forms.invite_code_lookup", check_then_lose_the_race)


REFUSED = "Deze uitnodigingscode klopt niet of is al gebruikt"


def test_a_code_used_while_signing_up_is_refused_and_no_account_is_kept(
    client, personas, invite_code, used_by_someone_else_meanwhile
):
    response = join(client, personas.hood.slug, invite_code=invite_code.code)
    assert response.status_code == 200
    assert REFUSED in response.content.decode()
    assert not User.objects.filter(email="nieuw@example.nl").exists()
    assert mail.outbox == []
    invite_code.refresh_from_db()
    assert invite_code.used_by == personas.second_resident
    # Without the code the same person applies for approval.
    assert join(client, personas.hood.slug).status_code == 302
    user = User.objects.get(email="nieuw@example.nl")
    assert Membership.objects.get(user=user).status == Membership.Status.PENDING


def logged_in_join(client, personas, code: str):
    return client.post(
        reverse("join", args=[personas.hood.slug]),
        {"postcode": "3527 CD", "house_number": "40", "invite_code": code},
    )


@pytest.mark.parametrize("used", ["before", "meanwhile"])
def test_a_used_code_is_refused_when_logged_in_and_nothing_is_saved(
    request, login, personas, invite_code, used
):
    """Used before the form was sent (the form's check), or while it was checked (the claim)."""
    if used == "before":
        InviteCode.objects.filter(pk=invite_code.pk).update(
            used_by=personas.second_resident, used_at=timezone.now()
        )
    else:
        request.getfixturevalue("used_by_someone_else_meanwhile")
    outsider = personas.outsider
    address = (outsider.postcode, outsider.house_number)
    response = logged_in_join(login(outsider), personas, invite_code.code)
    assert response.status_code == 200
    assert REFUSED in response.content.decode()
    assert not Membership.objects.filter(user=outsider, neighbourhood=personas.hood).exists()
    outsider.refresh_from_db()
    assert (outsider.postcode, outsider.house_number) == address
    invite_code.refresh_from_db()
    assert invite_code.used_by == personas.second_resident


def test_a_good_code_when_logged_in_makes_the_membership_active_and_saves_the_address(
    login, personas, invite_code
):
    outsider = personas.outsider
    response = logged_in_join(login(outsider), personas, invite_code.code)
    assert response.status_code == 302
    membership = Membership.objects.get(user=outsider, neighbourhood=personas.hood)
    assert membership.status == Membership.Status.ACTIVE
    outsider.refresh_from_db()
    assert (outsider.postcode, outsider.house_number) == ("3527CD", "40")
    invite_code.refresh_from_db()
    assert invite_code.used_by == outsider


def test_code_of_another_neighbourhood_is_refused(client, personas):
    other = InviteCode.objects.create(
        neighbourhood=personas.other_hood, expires_at="2099-01-01T00:00Z"
    )
    response = join(client, personas.hood.slug, invite_code=other.code)
    assert "Deze uitnodigingscode klopt niet" in response.content.decode()


def test_address_outside_the_neighbourhood_gets_a_clear_message(client, personas):
    response = join(client, personas.hood.slug, postcode="1503 AB")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Dit adres ligt niet in Kanaleneiland-Noord" in html
    assert 'class="error-summary"' in html
    assert not User.objects.filter(email="nieuw@example.nl").exists()


def test_malformed_postcode_and_missing_fields(client, personas):
    response = join(client, personas.hood.slug, postcode="ABC", house_number="", display_name="")
    html = response.content.decode()
    assert "Vul een geldige postcode in" in html
    assert "Vul uw huisnummer in." in html
    assert "Vul uw naam in." in html
    assert not User.objects.filter(email="nieuw@example.nl").exists()


def test_house_number_ranges_are_respected(client, personas):
    area = personas.hood.postcode_areas.get()
    area.postcode, area.number_from, area.number_to = "3527AB", 1, 10
    area.save()
    assert (
        "Dit adres ligt niet in"
        in join(client, personas.hood.slug, house_number="11").content.decode()
    )
    assert join(client, personas.hood.slug, house_number="10b").status_code == 302


def test_logged_in_member_joins_another_neighbourhood(login, personas):
    client = login(personas.resident)
    response = client.post(
        reverse("join", args=[personas.other_hood.slug]),
        {"postcode": "1503AB", "house_number": "1"},
    )
    assert response.status_code == 302
    membership = Membership.objects.get(user=personas.resident, neighbourhood=personas.other_hood)
    assert membership.status == Membership.Status.PENDING


def test_member_visiting_join_page_goes_back_to_neighbourhood(login, personas):
    client = login(personas.resident)
    response = client.get(reverse("join", args=[personas.hood.slug]))
    assert response.status_code == 302
    assert response["Location"] == personas.hood.get_absolute_url()


def test_existing_address_does_not_create_a_second_account(client, personas):
    join(client, personas.hood.slug, email=personas.resident.email)
    assert User.objects.filter(email=personas.resident.email).count() == 1


def test_generic_signup_sends_people_to_choose_a_neighbourhood(client, db):
    response = client.get(reverse("account_signup"))
    assert response.status_code == 302
    assert response["Location"] == reverse("home")


def test_code_from_the_printed_sheet_is_filled_in(client, personas, invite_code):
    html = client.get(reverse("join", args=[personas.hood.slug]) + f"?code={invite_code.code}")
    assert f'value="{invite_code.code}"' in html.content.decode()
