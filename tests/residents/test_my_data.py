"""Mijn gegevens: see and change one's own details, export them, leave, delete the account."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth import SESSION_KEY
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from residents import privacy
from residents.models import (
    Coordinator,
    InviteCode,
    MailPreference,
    Membership,
    Neighbourhood,
    Role,
    User,
)
from residents.privacy import anonymous_name, user_delete_account, user_export_data

NOW = datetime(2026, 12, 1, 11, 0, tzinfo=UTC)

PROFILE = {
    "display_name": "Mo Bouzid",
    "language": "nl",
    "consent_named_in_minutes": "on",
    "postcode": "3527 ab",
    "house_number": "12b",
}


def assert_csp_clean(html: str) -> None:
    """No inline script, style attribute or event handler: the strict CSP would block them."""
    assert not re.search(r"\sstyle\s*=", html)
    assert not re.search(r"\son[a-z]+\s*=", html)
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)


def own_pages(user: User) -> list[str]:
    membership = Membership.objects.filter(user=user).first()
    assert membership is not None
    slug = membership.neighbourhood.slug
    return [
        reverse("account:my_data"),
        reverse("account:my_data_export"),
        reverse("account:leave_neighbourhood", kwargs={"slug": slug}),
        reverse("account:delete_account"),
    ]


pytestmark = pytest.mark.usefixtures("english_pages")


# --- Permission boundary ---


@pytest.mark.parametrize("method", ["get", "post"])
def test_anonymous_visitors_are_sent_to_log_in(personas, client, method):
    for url in own_pages(personas.resident):
        response = getattr(client, method)(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("account_login")), url
    assert User.objects.get(pk=personas.resident.pk).is_active
    assert Membership.objects.filter(user=personas.resident, status="active").exists()


def test_the_page_shows_only_the_persons_own_data(personas, login):
    client = login(personas.resident)
    response = client.get(reverse("account:my_data"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Mohamed Bouzid" in html
    assert "mohamed@example.nl" in html
    assert "Kanaleneiland-Noord" in html
    for other in (personas.second_resident, personas.chair, personas.outsider):
        assert other.display_name not in html
        assert other.email not in html
    assert "Poelenburg" not in html.split('id="main"')[1]
    assert_csp_clean(html)


def test_the_page_lists_every_membership_with_its_status(personas, login):
    Membership.objects.create(
        user=personas.minute_taker,
        neighbourhood=personas.other_hood,
        role=Role.RESIDENT,
        status=Membership.Status.LEFT,
        left_at=NOW,
    )
    html = login(personas.minute_taker).get(reverse("account:my_data")).content.decode()
    assert "Minute-taker" in html and "Resident" in html
    assert "Poelenburg" in html and "Left" in html and "Active" in html
    assert reverse("account:leave_neighbourhood", kwargs={"slug": "kanaleneiland-noord"}) in html
    assert reverse("account:leave_neighbourhood", kwargs={"slug": "poelenburg"}) not in html


def test_a_pending_application_is_shown_as_waiting(personas, login):
    html = login(personas.pending_resident).get(reverse("account:my_data")).content.decode()
    assert "Waiting for approval" in html


def test_query_count_does_not_grow_with_memberships(personas, login):
    client = login(personas.resident)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("account:my_data")).status_code == 200
        return len(queries)

    count()  # the first request of a session also checks for a second factor
    few = count()
    for number in range(5):
        hood = Neighbourhood.objects.create(
            municipality=personas.municipality, name=f"Buurt {number}", slug=f"buurt-{number}"
        )
        Membership.objects.create(user=personas.resident, neighbourhood=hood, status="active")
    assert count() == few


# --- Changing details ---


def test_saving_changes_the_details(personas, login):
    client = login(personas.resident)
    response = client.post(reverse("account:my_data"), PROFILE, follow=True)
    assert response.redirect_chain == [(reverse("account:my_data"), 302)]
    assert "Your details have been saved." in response.content.decode()
    user = User.objects.get(pk=personas.resident.pk)
    assert user.display_name == "Mo Bouzid"
    assert user.postcode == "3527AB" and user.house_number == "12b"
    assert user.consent_named_in_minutes is True
    # The form's mail switches were not sent (say, a form from before joining): none changed.
    assert not MailPreference.objects.exists()
    assert user.email == "mohamed@example.nl"  # not editable here


def mail_form(hood: Neighbourhood, **switches: str) -> dict[str, object]:
    """The mail part of the form as a browser sends it: ticked boxes only, one reminder answer."""
    data: dict[str, object] = {"mail_shown": str(hood.pk)}
    data[f"mail_{hood.pk}_meeting_reminder"] = switches.pop("meeting_reminder", "coming")
    for topic, value in switches.items():
        if value:
            data[f"mail_{hood.pk}_{topic}"] = value
    return data


ALL_ON = {"agenda": "on", "minutes": "on", "digest": "on", "problem_status": "on", "survey": "on"}


def test_the_reminder_and_the_minutes_as_pdf_are_settings_of_ones_own(personas, login):
    client = login(personas.resident)
    hood = personas.hood
    html = client.get(reverse("account:my_data")).content.decode()
    assert 'type="checkbox" name="minutes_as_pdf"' in html
    assert "Send me the minutes as a PDF attachment" in html
    for value in ("always", "coming", "never"):
        assert f'name="mail_{hood.pk}_meeting_reminder" value="{value}"' in html
    [tag] = re.findall(
        rf'<input[^>]*name="mail_{hood.pk}_meeting_reminder"[^>]*"coming"[^>]*>', html
    )
    assert " checked" in tag  # the default: only after saying one comes
    client.post(
        reverse("account:my_data"),
        {**PROFILE, **mail_form(hood, meeting_reminder="always", **ALL_ON), "minutes_as_pdf": "on"},
    )
    user = User.objects.get(pk=personas.resident.pk)
    assert user.minutes_as_pdf is True
    assert list(MailPreference.objects.values_list("topic", "enabled")) == [
        ("meeting_reminder", True)
    ]  # the other switches stayed at their default: no rows
    html = client.get(reverse("account:my_data")).content.decode()
    [tag] = re.findall(
        rf'<input[^>]*name="mail_{hood.pk}_meeting_reminder"[^>]*"always"[^>]*>', html
    )
    assert " checked" in tag
    client.post(reverse("account:my_data"), {**PROFILE, **mail_form(hood, **ALL_ON)})
    user = User.objects.get(pk=personas.resident.pk)
    assert user.minutes_as_pdf is False and not MailPreference.objects.exists()
    assert User.objects.get(pk=personas.second_resident.pk).minutes_as_pdf is False
    data = user_export_data(user=user)
    assert data["mail_preferences"] == []
    assert data["account"]["minutes_as_pdf"] is False


def test_every_kind_of_mail_is_a_switch_per_neighbourhood(personas, login):
    hood, other = personas.hood, personas.other_hood
    Membership.objects.create(user=personas.resident, neighbourhood=other, status="active")
    client = login(personas.resident)
    html = client.get(reverse("account:my_data")).content.decode()
    for topic in ("agenda", "minutes", "digest", "problem_status", "survey"):
        for place in (hood, other):
            [tag] = re.findall(rf'<input[^>]*name="mail_{place.pk}_{topic}"[^>]*>', html)
            assert 'type="checkbox"' in tag and " checked" in tag
    assert f"E-mail from {hood.name}" in html and f"E-mail from {other.name}" in html
    # The digest and the survey off in one neighbourhood; the other is not touched.
    switches = {**ALL_ON, "digest": "", "survey": ""}
    client.post(reverse("account:my_data"), {**PROFILE, **mail_form(hood, **switches)})
    assert set(MailPreference.objects.values_list("neighbourhood", "topic", "enabled")) == {
        (hood.pk, "digest", False),
        (hood.pk, "survey", False),
    }
    html = client.get(reverse("account:my_data")).content.decode()
    [tag] = re.findall(rf'<input[^>]*name="mail_{hood.pk}_digest"[^>]*>', html)
    assert " checked" not in tag
    # Turned back on: the rows go, the default (on) holds again.
    client.post(reverse("account:my_data"), {**PROFILE, **mail_form(hood, **ALL_ON)})
    assert not MailPreference.objects.exists()


def test_the_address_can_be_removed(personas, login):
    login(personas.resident).post(
        reverse("account:my_data"), {**PROFILE, "postcode": "", "house_number": ""}
    )
    user = User.objects.get(pk=personas.resident.pk)
    assert (user.postcode, user.house_number) == ("", "")


def test_changing_the_language_switches_the_site_too(personas, login, settings):
    client = login(personas.resident)
    response = client.post(reverse("account:my_data"), {**PROFILE, "language": "en"})
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert User.objects.get(pk=personas.resident.pk).language == "en"


def test_saving_without_changing_the_language_keeps_the_site_language(personas, login, settings):
    response = login(personas.resident).post(reverse("account:my_data"), PROFILE)
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies


def test_moving_out_of_the_neighbourhood_gives_a_warning(personas, login):
    response = login(personas.resident).post(
        reverse("account:my_data"),
        {**PROFILE, "postcode": "1503 AB", "house_number": "3"},
        follow=True,
    )
    assert "Your new address is not in Kanaleneiland-Noord" in response.content.decode()


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"display_name": "   "}, "display_name", "Fill in your name."),
        ({"postcode": "AB 1234"}, "postcode", "Fill in a valid postcode"),
        ({"house_number": "b12"}, "house_number", "starts with a digit"),
        ({"house_number": ""}, "house_number", "Fill in your house number too."),
        ({"postcode": ""}, "postcode", "Fill in your postcode too."),
        ({"language": "fr"}, "language", "Choose Dutch or English."),
    ],
)
def test_mistakes_are_summarised_at_the_top_and_nothing_is_saved(
    personas, login, change, field, message
):
    response = login(personas.resident).post(reverse("account:my_data"), {**PROFILE, **change})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="error-summary"' in html
    assert f'href="#id_{field}"' in html
    assert message in html
    assert html.index("error-summary") < html.index('id="id_display_name"')
    user = User.objects.get(pk=personas.resident.pk)
    assert user.display_name == "Mohamed Bouzid" and user.postcode == "3527AB"


# --- Export ---


def test_export_is_a_json_download_of_the_persons_own_data(personas, login):
    membership = Membership.objects.get(user=personas.resident)
    Membership.objects.filter(pk=membership.pk).update(decided_by=personas.chair, decided_at=NOW)
    response = login(personas.resident).get(reverse("account:my_data_export"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"].startswith("attachment; filename=")
    assert "no-store" in response["Cache-Control"]
    data = json.loads(response.content)
    assert (data["format"], data["version"]) == ("buurtoverleg-export", 2)
    assert data["account"]["name"] == "Mohamed Bouzid"
    assert data["account"]["email"] == "mohamed@example.nl"
    assert data["account"]["postcode"] == "3527AB"
    assert data["email_addresses"] == [
        {"email": "mohamed@example.nl", "verified": True, "primary": True}
    ]
    [exported] = data["memberships"]
    assert exported["neighbourhood"] == "Kanaleneiland-Noord"
    assert exported["role"] == "resident" and exported["status"] == "active"
    assert exported["decided_at"] is not None


def test_export_never_contains_anyone_elses_data(personas, login):
    Membership.objects.filter(user=personas.resident).update(decided_by=personas.chair)
    body = login(personas.resident).get(reverse("account:my_data_export")).content.decode()
    for name in (
        "second_resident",
        "paper_resident",
        "pending_resident",
        "chair",
        "minute_taker",
        "wijkagent",
        "housing_contact",
        "office",
        "coordinator",
        "outsider",
        "outsider_chair",
    ):
        other = getattr(personas, name)
        assert other.display_name not in body, name
        if other.email:
            assert other.email not in body, name
    assert personas.resident.link_key not in body
    assert "password" not in body


def test_export_says_a_second_factor_exists_without_its_secret(personas, login):
    data = json.loads(login(personas.wijkagent).get(reverse("account:my_data_export")).content)
    assert {factor["type"] for factor in data["second_factors"]} == {"totp", "recovery_codes"}
    secrets = [a.data for a in Authenticator.objects.filter(user=personas.wijkagent)]
    body = json.dumps(data)
    for secret in secrets:
        for value in secret.values():
            if isinstance(value, str) and len(value) > 6:
                assert value not in body


def test_other_apps_can_add_a_section_to_the_export(personas):
    @privacy.register_export_section("test_problems")
    def problems(user: User) -> list[str]:
        return [f"problem of {user.pk}"]

    try:
        data = user_export_data(user=personas.resident)
        assert data["test_problems"] == [f"problem of {personas.resident.pk}"]
        with pytest.raises(ValueError):
            privacy.register_export_section("test_problems")(problems)
    finally:
        privacy.EXPORT_SECTIONS.remove(("test_problems", problems))


# --- Leaving a neighbourhood ---


def test_leaving_asks_for_confirmation_first(personas, login):
    client = login(personas.resident)
    response = client.get(
        reverse("account:leave_neighbourhood", kwargs={"slug": personas.hood.slug})
    )
    assert response.status_code == 200
    assert "Do you want to leave Kanaleneiland-Noord?" in response.content.decode()
    assert Membership.objects.get(user=personas.resident).status == "active"
    assert_csp_clean(response.content.decode())


def test_leaving_ends_every_role_in_that_neighbourhood_only(personas, login):
    Membership.objects.create(
        user=personas.minute_taker,
        neighbourhood=personas.other_hood,
        role=Role.RESIDENT,
        status="active",
    )
    client = login(personas.minute_taker)
    with time_machine.travel(NOW, tick=False):
        response = client.post(
            reverse("account:leave_neighbourhood", kwargs={"slug": personas.hood.slug}), follow=True
        )
    assert response.redirect_chain == [(reverse("account:my_data"), 302)]
    assert "You have left Kanaleneiland-Noord." in response.content.decode()
    here = Membership.objects.filter(user=personas.minute_taker, neighbourhood=personas.hood)
    assert {(m.role, m.status, m.left_at) for m in here} == {
        ("resident", "left", NOW),
        ("minute_taker", "left", NOW),
    }
    elsewhere = Membership.objects.get(
        user=personas.minute_taker, neighbourhood=personas.other_hood
    )
    assert elsewhere.status == "active" and elsewhere.left_at is None
    assert Membership.objects.get(user=personas.resident).status == "active"


def test_a_pending_application_can_be_withdrawn(personas, login):
    login(personas.pending_resident).post(
        reverse("account:leave_neighbourhood", kwargs={"slug": personas.hood.slug})
    )
    assert Membership.objects.get(user=personas.pending_resident).status == "left"


@pytest.mark.parametrize("method", ["get", "post"])
def test_leaving_a_neighbourhood_one_is_not_part_of_is_not_found(personas, login, method):
    client = login(personas.outsider)
    url = reverse("account:leave_neighbourhood", kwargs={"slug": personas.hood.slug})
    assert getattr(client, method)(url).status_code == 404
    assert Membership.objects.filter(neighbourhood=personas.hood, status="left").count() == 0
    missing = reverse("account:leave_neighbourhood", kwargs={"slug": "does-not-exist"})
    assert getattr(client, method)(missing).status_code == 404


def test_leaving_twice_is_not_found_the_second_time(personas, login):
    client = login(personas.resident)
    url = reverse("account:leave_neighbourhood", kwargs={"slug": personas.hood.slug})
    client.post(url)
    assert client.post(url).status_code == 404


# --- Deleting the account ---


def test_deleting_asks_for_confirmation_and_explains_what_happens(personas, login):
    response = login(personas.minute_taker).get(reverse("account:delete_account"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "You cannot undo this." in html
    assert "You leave Kanaleneiland-Noord (Minute-taker)." in html
    assert "Former participant" in html
    assert User.objects.get(pk=personas.minute_taker.pk).is_active
    assert_csp_clean(html)


def test_deleting_erases_personal_data_at_once(personas, login):
    user = personas.wijkagent
    user.set_password("a password from before the login codes")
    user.save(update_fields=["password"])
    old_key = user.link_key
    InviteCode.objects.create(
        neighbourhood=personas.hood, email=user.email, expires_at=NOW + timedelta(days=30)
    )
    LogEntry.objects.create(
        user=personas.chair,
        content_type=ContentType.objects.get_for_model(User),
        object_id=str(user.pk),
        object_repr=str(user),
        action_flag=CHANGE,
        change_message="Changed e-mail to wijkagent@example.nl",
    )
    client = login(user)
    with time_machine.travel(NOW, tick=False):
        response = client.post(reverse("account:delete_account"), follow=True)
    assert response.redirect_chain == [(reverse("home"), 302)]
    assert "Your account has been deleted." in response.content.decode()

    user = User.objects.get(pk=user.pk)  # the row stays, so contributions keep pointing to it
    assert user.display_name == anonymous_name()
    assert user.email is None
    assert (user.postcode, user.house_number) == ("", "")
    assert not user.is_active and not user.has_usable_password()
    assert user.anonymised_at == NOW
    assert user.link_key != old_key
    assert not user.consent_named_in_minutes
    assert not EmailAddress.objects.filter(user=user).exists()
    assert not Authenticator.objects.filter(user=user).exists()
    memberships = Membership.objects.filter(user=user)
    assert memberships.exists()
    assert all(m.status == "left" and m.left_at == NOW for m in memberships)
    assert not InviteCode.objects.filter(email__iexact="wijkagent@example.nl").exists()
    entry = LogEntry.objects.get(object_id=str(user.pk))
    assert "Kees" not in entry.object_repr and "wijkagent@" not in entry.change_message


def test_deleting_ends_every_session(personas, login):
    other_device = Client()
    other_device.force_login(personas.resident)
    client = login(personas.resident)
    client.post(reverse("account:delete_account"))
    assert SESSION_KEY not in client.session
    for device in (client, other_device):
        response = device.get(reverse("account:my_data"))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))


def test_deleting_leaves_other_people_alone(personas, login):
    before = list(User.objects.exclude(pk=personas.resident.pk).values().order_by("pk"))
    login(personas.resident).post(reverse("account:delete_account"))
    assert list(User.objects.exclude(pk=personas.resident.pk).values().order_by("pk")) == before
    assert Membership.objects.get(user=personas.second_resident).status == "active"


def test_a_coordinator_who_deletes_the_account_stops_coordinating(personas, login):
    login(personas.coordinator).post(reverse("account:delete_account"))
    assert not Coordinator.objects.filter(user=personas.coordinator).exists()
    assert not User.objects.get(pk=personas.coordinator.pk).is_active


def test_other_apps_can_erase_their_own_personal_data(personas):
    seen: list[int] = []

    @privacy.register_anonymiser
    def erase(user: User) -> None:
        seen.append(user.pk)

    try:
        user_delete_account(user=personas.resident)
        user_delete_account(user=personas.resident)  # a second call changes nothing
    finally:
        privacy.ANONYMISERS.remove(erase)
    assert seen == [personas.resident.pk]


def test_the_anonymous_label_is_stored_in_the_installations_language(personas, settings):
    settings.LANGUAGE_CODE = "en"
    user_delete_account(user=personas.resident)
    assert User.objects.get(pk=personas.resident.pk).display_name == "Former participant"
