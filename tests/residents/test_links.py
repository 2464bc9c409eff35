"""Scoped action links: signed, bound to a person, an object and a purpose; never a login."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse

from buurtoverleg.mail.pipeline import list_unsubscribe_headers
from residents import links
from residents.links import (
    UNSUBSCRIBE,
    UNSUBSCRIBE_TOPIC,
    LinkExpired,
    LinkInvalid,
    Purpose,
    make_action_link_token,
    read_action_link_token,
    register_purpose,
    unsubscribe_url,
    user_revoke_action_links,
)
from residents.mail_preferences import mail_preferences_off_everywhere, wants
from residents.models import MailPreference, Membership, User
from residents.privacy import user_delete_account

NOW = datetime(2026, 12, 1, 11, 0, tzinfo=UTC)
LATER = NOW + timedelta(days=30)


@pytest.fixture(autouse=True)
def _frozen_time():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


pytestmark = pytest.mark.usefixtures("english_pages")


@pytest.fixture
def hood_link():
    """A purpose bound to a neighbourhood, as a ballot link is bound to a round."""
    purpose = register_purpose("test-hood", model="residents.Neighbourhood")
    yield purpose
    links.PURPOSES.pop(purpose.name)


def unsubscribe_token(user: User, expires_at: datetime = LATER) -> str:
    return make_action_link_token(user=user, purpose=UNSUBSCRIBE, obj=user, expires_at=expires_at)


# --- Round trip ---


def test_round_trip_gives_back_person_object_and_expiry(personas, hood_link):
    token = make_action_link_token(
        user=personas.resident, purpose=hood_link, obj=personas.hood, expires_at=LATER
    )
    link = read_action_link_token(token=token, purpose="test-hood")
    assert link.user == personas.resident
    assert link.obj == personas.hood
    assert link.purpose is hood_link
    assert link.expires_at == LATER


def test_unsubscribe_link_is_bound_to_the_person_themselves(personas):
    link = read_action_link_token(token=unsubscribe_token(personas.resident), purpose="unsubscribe")
    assert link.user == personas.resident
    assert link.obj is link.user


def test_token_is_url_safe_and_reasonably_short(personas):
    token = unsubscribe_token(personas.resident)
    assert len(token) < 250
    assert reverse("account:unsubscribe", kwargs={"token": token}).endswith(f"/{token}/")


def test_reading_with_the_expected_object_accepts_it(personas, hood_link):
    token = make_action_link_token(
        user=personas.resident, purpose=hood_link, obj=personas.hood, expires_at=LATER
    )
    assert read_action_link_token(token=token, purpose=hood_link, obj=personas.hood).obj == (
        personas.hood
    )


# --- Tampering ---


def test_changing_any_single_character_makes_the_token_invalid(personas):
    token = unsubscribe_token(personas.resident)
    for position, char in enumerate(token):
        replacement = "B" if char != "B" else "C"
        tampered = token[:position] + replacement + token[position + 1 :]
        with pytest.raises(LinkInvalid):
            read_action_link_token(token=tampered, purpose=UNSUBSCRIBE)


def test_swapping_payload_and_signature_between_two_genuine_tokens_is_refused(personas):
    mine = unsubscribe_token(personas.resident)
    theirs = unsubscribe_token(personas.second_resident)
    my_payload, my_signature = mine.rsplit(":", 1)
    their_payload, their_signature = theirs.rsplit(":", 1)
    for forged in (f"{their_payload}:{my_signature}", f"{my_payload}:{their_signature}"):
        with pytest.raises(LinkInvalid):
            read_action_link_token(token=forged, purpose=UNSUBSCRIBE)


@pytest.mark.parametrize("garbage", ["", "x", ":", "a:b", "a" * 5000, "%00:%00"])
def test_garbage_is_invalid(db, garbage):
    with pytest.raises(LinkInvalid):
        read_action_link_token(token=garbage, purpose=UNSUBSCRIBE)


# --- Purpose and object binding ---


def test_a_token_for_one_purpose_is_refused_for_another(personas, hood_link):
    token = make_action_link_token(
        user=personas.resident, purpose=hood_link, obj=personas.hood, expires_at=LATER
    )
    with pytest.raises(LinkInvalid):  # bound to the same kind of object, another purpose
        read_action_link_token(token=token, purpose=UNSUBSCRIBE_TOPIC["agenda"])
    with pytest.raises(LinkInvalid):
        read_action_link_token(token=unsubscribe_token(personas.resident), purpose=hood_link)


def test_a_token_for_one_object_is_refused_for_another(personas, hood_link):
    token = make_action_link_token(
        user=personas.resident, purpose=hood_link, obj=personas.hood, expires_at=LATER
    )
    with pytest.raises(LinkInvalid):
        read_action_link_token(token=token, purpose=hood_link, obj=personas.other_hood)
    with pytest.raises(LinkInvalid):  # an object of another type with the same pk
        read_action_link_token(token=token, purpose=hood_link, obj=personas.municipality)


def test_a_link_cannot_be_made_for_an_object_of_the_wrong_type(personas, hood_link):
    with pytest.raises(TypeError):
        make_action_link_token(
            user=personas.resident, purpose=hood_link, obj=personas.resident, expires_at=LATER
        )


def test_a_token_whose_object_type_no_longer_matches_the_purpose_is_refused(personas):
    register_purpose("test-shift", model="residents.Neighbourhood")
    try:
        token = make_action_link_token(
            user=personas.resident, purpose="test-shift", obj=personas.hood, expires_at=LATER
        )
        links.PURPOSES["test-shift"] = Purpose("test-shift", "residents.Municipality")
        with pytest.raises(LinkInvalid):
            read_action_link_token(token=token, purpose="test-shift")
    finally:
        links.PURPOSES.pop("test-shift")


def test_a_link_to_an_object_that_was_deleted_is_invalid(personas, hood_link):
    token = make_action_link_token(
        user=personas.outsider, purpose=hood_link, obj=personas.other_hood, expires_at=LATER
    )
    personas.other_hood.delete()
    with pytest.raises(LinkInvalid):
        read_action_link_token(token=token, purpose=hood_link)


def test_a_link_of_an_unknown_person_is_invalid(personas):
    token = unsubscribe_token(personas.outsider)
    personas.outsider.delete()
    with pytest.raises(LinkInvalid):
        read_action_link_token(token=token, purpose=UNSUBSCRIBE)


def test_unknown_purposes_and_conflicting_registrations_are_programming_errors(personas):
    with pytest.raises(ValueError, match="Unknown"):
        read_action_link_token(token="a:b", purpose="no-such-purpose")
    with pytest.raises(ValueError, match="already registered"):
        register_purpose("unsubscribe", model="residents.Neighbourhood")


# --- Expiry ---


def test_a_link_works_until_its_expiry_and_not_a_second_longer(personas, _frozen_time):
    expires = NOW + timedelta(hours=2)
    token = unsubscribe_token(personas.resident, expires_at=expires)
    _frozen_time.move_to(expires - timedelta(seconds=1))
    assert read_action_link_token(token=token, purpose=UNSUBSCRIBE).user == personas.resident
    _frozen_time.move_to(expires)
    with pytest.raises(LinkExpired):
        read_action_link_token(token=token, purpose=UNSUBSCRIBE)
    _frozen_time.move_to(expires + timedelta(days=300))
    with pytest.raises(LinkExpired):
        read_action_link_token(token=token, purpose=UNSUBSCRIBE)


@pytest.mark.parametrize(
    "expires_at",
    [
        datetime(2026, 12, 24, 12, 0),  # naive  # noqa: DTZ001
        NOW,  # already over
        NOW - timedelta(days=1),
        NOW + links.MAX_LIFETIME + timedelta(days=1),
    ],
)
def test_links_need_a_sensible_explicit_expiry(personas, expires_at):
    with pytest.raises(ValueError):
        unsubscribe_token(personas.resident, expires_at=expires_at)


# --- Revocation ---


def test_rotating_the_link_key_revokes_every_link(personas, hood_link):
    unsubscribe = unsubscribe_token(personas.resident)
    hood = make_action_link_token(
        user=personas.resident, purpose=hood_link, obj=personas.hood, expires_at=LATER
    )
    other_persons = unsubscribe_token(personas.second_resident)
    user_revoke_action_links(user=personas.resident)
    with pytest.raises(LinkInvalid):
        read_action_link_token(token=unsubscribe, purpose=UNSUBSCRIBE)
    with pytest.raises(LinkInvalid):
        read_action_link_token(token=hood, purpose=hood_link)
    # Someone else's links are not affected; new links of the person work again.
    assert read_action_link_token(token=other_persons, purpose=UNSUBSCRIBE)
    assert read_action_link_token(token=unsubscribe_token(personas.resident), purpose=UNSUBSCRIBE)


def test_deleting_the_account_revokes_its_links(personas):
    token = unsubscribe_token(personas.resident)
    user_delete_account(user=personas.resident)
    with pytest.raises(LinkInvalid):
        read_action_link_token(token=token, purpose=UNSUBSCRIBE)


def test_links_of_a_deactivated_person_do_not_work(personas):
    token = unsubscribe_token(personas.resident)
    User.objects.filter(pk=personas.resident.pk).update(is_active=False)
    with pytest.raises(LinkInvalid):
        read_action_link_token(token=token, purpose=UNSUBSCRIBE)


# --- The one-click unsubscribe view (the first, person-wide links still in inboxes) ---


def wants_mail(user: User, topic: str) -> bool:
    hood = Membership.objects.get(user=user).neighbourhood
    return User.objects.filter(pk=user.pk).filter(wants(topic, hood)).exists()


def test_unsubscribe_headers_offer_one_click(personas, settings):
    settings.SITE_URL = "https://buurt.example.nl"
    url = unsubscribe_url(
        user=personas.resident, topic="minutes", neighbourhood=personas.hood, expires_at=LATER
    )
    headers = list_unsubscribe_headers(url)
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    header = headers["List-Unsubscribe"]
    prefix = "<https://buurt.example.nl/mail-afmelden/minutes/"
    assert header.startswith(prefix) and header.endswith("/>")
    token = header.removeprefix(prefix).removesuffix("/>")
    link = read_action_link_token(token=token, purpose=UNSUBSCRIBE_TOPIC["minutes"])
    assert (link.user, link.obj) == (personas.resident, personas.hood)


def test_opening_the_unsubscribe_link_only_asks_for_confirmation(personas, client):
    url = reverse("account:unsubscribe", kwargs={"token": unsubscribe_token(personas.resident)})
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'method="post"' in html and f'action="{url}"' in html
    assert wants_mail(personas.resident, "agenda") and wants_mail(personas.resident, "digest")


def test_confirming_turns_off_mail_and_nothing_else(personas, client):
    user = personas.resident
    User.objects.filter(pk=user.pk).update(consent_named_in_minutes=True)
    before: dict[str, object] = dict(User.objects.filter(pk=user.pk).values().get())
    response = client.post(
        reverse("account:unsubscribe", kwargs={"token": unsubscribe_token(user)})
    )
    assert response.status_code == 200
    after: dict[str, object] = dict(User.objects.filter(pk=user.pk).values().get())
    assert before == after
    # What these links meant when they were sent: agenda, minutes and digest off.
    assert set(MailPreference.objects.values_list("user", "topic", "enabled")) == {
        (user.pk, "agenda", False),
        (user.pk, "minutes", False),
        (user.pk, "digest", False),
    }
    assert wants_mail(user, "problem_status") and wants_mail(user, "survey")
    second = personas.second_resident
    assert wants_mail(second, "agenda") and wants_mail(second, "digest")


def test_one_click_post_from_a_mail_provider_needs_no_session_or_csrf(personas):
    provider = Client(enforce_csrf_checks=True)
    url = reverse("account:unsubscribe", kwargs={"token": unsubscribe_token(personas.resident)})
    for _attempt in range(2):  # providers may retry; that is fine
        response = provider.post(url, {"List-Unsubscribe": "One-Click"})
        assert response.status_code == 200
    assert not wants_mail(personas.resident, "agenda")
    assert not wants_mail(personas.resident, "digest")


def test_using_an_unsubscribe_link_never_logs_anyone_in(personas, client):
    url = reverse("account:unsubscribe", kwargs={"token": unsubscribe_token(personas.resident)})
    for response in (client.get(url), client.post(url)):
        assert response.status_code == 200
        assert response.wsgi_request.user.is_anonymous
        assert SESSION_KEY not in client.session
    response = client.get(reverse("account:my_data"))
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


def test_someone_elses_link_changes_their_mail_but_not_who_is_logged_in(personas, login):
    client = login(personas.second_resident)
    url = reverse("account:unsubscribe", kwargs={"token": unsubscribe_token(personas.resident)})
    response = client.post(url)
    assert response.wsgi_request.user == personas.second_resident
    assert client.session[SESSION_KEY] == str(personas.second_resident.pk)
    assert not wants_mail(personas.resident, "agenda")
    assert wants_mail(personas.second_resident, "agenda")


def test_a_tampered_unsubscribe_link_shows_an_error_and_changes_nothing(personas, client):
    token = unsubscribe_token(personas.resident)
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    response = client.post(reverse("account:unsubscribe", kwargs={"token": tampered}))
    assert response.status_code == 400
    assert "This link does not work" in response.content.decode()
    assert wants_mail(personas.resident, "agenda")


def test_an_expired_unsubscribe_link_says_so(personas, client, _frozen_time):
    token = unsubscribe_token(personas.resident, expires_at=NOW + timedelta(days=1))
    _frozen_time.move_to(NOW + timedelta(days=2))
    response = client.post(reverse("account:unsubscribe", kwargs={"token": token}))
    assert response.status_code == 410
    assert "This link has expired" in response.content.decode()
    assert wants_mail(personas.resident, "agenda")


def test_the_unsubscribe_page_says_when_mail_is_already_off(personas, client):
    User.objects.filter(pk=personas.resident.pk).update(language="en")  # the page speaks theirs
    mail_preferences_off_everywhere(user=personas.resident, topics=["agenda", "minutes", "digest"])
    response = client.get(
        reverse("account:unsubscribe", kwargs={"token": unsubscribe_token(personas.resident)})
    )
    assert "You already get none of these e-mails" in response.content.decode()
    assert 'method="post"' not in response.content.decode().split('id="main"')[1]


def test_the_unsubscribe_view_shows_no_personal_data(personas, client):
    response = client.get(
        reverse("account:unsubscribe", kwargs={"token": unsubscribe_token(personas.resident)})
    )
    html = response.content.decode()
    assert personas.resident.email not in html
    assert personas.resident.display_name not in html
