"""allauth, as this app uses it: the flows nobody uses answer 404, every page that is used reads
in formal Dutch ("u") and in English, and a login code never stands in a mail's subject."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings
from django.core import mail
from django.template.loader import render_to_string
from django.test import Client
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, resolve, reverse
from django.utils import translation

from residents.models import User
from tests.conftest import Personas, give_second_factor
from tests.support import confirm, current_totp, join, last_code, request_code

TEMPLATES = settings.BASE_DIR / "templates"

# --- Flows nobody uses -----------------------------------------------------------------------

# Every allauth page this app serves; everything else of allauth answers 404.
USED = {
    "account_request_login_code",
    "account_confirm_login_code",
    "account_email_verification_sent",  # confirming an e-mail address by code
    "account_email",  # "Change your e-mail address" on Mijn gegevens
    "account_logout",
    "account_inactive",
    "account_request_reauthentication_code",  # before setting up or changing the second step
    "account_confirm_reauthentication_code",
    "mfa_index",
    "mfa_authenticate",
    "mfa_reauthenticate",  # the second factor at the moment of need
    "mfa_activate_totp",
    "mfa_deactivate_totp",
    "mfa_view_recovery_codes",
    "mfa_generate_recovery_codes",
    "mfa_download_recovery_codes",
}
NOT_OFFERED = [
    "/accounts/password/reset/",
    "/accounts/password/reset/done/",
    "/accounts/password/reset/key/1-abc123/",
    "/accounts/password/reset/key/done/",
    "/accounts/password/change/",
    "/accounts/password/set/",
    "/accounts/reauthenticate/",
]


def _allauth_patterns(patterns, prefix: str = ""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _allauth_patterns(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern) and pattern.callback.__module__.startswith("allauth"):
            yield prefix + str(pattern.pattern), pattern.name


def _sample_path(name: str) -> str:
    try:
        return reverse(name)
    except NoReverseMatch:
        return reverse(name, kwargs={"uidb36": "1", "key": "abc123"})


def test_only_the_allauth_pages_the_app_uses_are_served(db):
    """Like manage.py show_urls: every allauth route either is a page we use, or is shadowed
    by a 404 (or, for login and signup, by our own view)."""
    served = set()
    for _route, name in _allauth_patterns(get_resolver().url_patterns):
        if resolve(_sample_path(name)).func.__module__.startswith("allauth"):
            served.add(name)
    assert served == USED


@pytest.mark.parametrize("path", NOT_OFFERED)
def test_password_flows_are_not_found(client, personas, path):
    assert client.get(path).status_code == 404
    assert client.post(path, {"email": personas.resident.email}).status_code == 404
    client.force_login(personas.resident)
    assert client.get(path).status_code == 404
    assert mail.outbox == []


def test_signup_is_a_neighbourhood_choice(client, db):
    response = client.get("/accounts/signup/")
    assert response["Location"] == reverse("home")


# --- The codes never stand in a subject ------------------------------------------------------


@pytest.mark.parametrize("language", ["nl", "en"])
def test_the_login_code_is_in_the_mail_but_not_in_its_subject(client, personas, language):
    personas.resident.language = language
    personas.resident.save(update_fields=["language"])
    request_code(client, personas.resident.email)
    message = mail.outbox[-1]
    code = last_code()
    assert code in message.body
    assert code not in message.subject  # a phone's lock screen shows the subject
    assert (
        message.subject
        == {
            "nl": "[buurtoverleg] Uw inlogcode voor buurtoverleg",
            "en": "[buurtoverleg] Your login code for buurtoverleg",
        }[language]
    )


def test_the_code_to_confirm_an_address_is_not_in_the_subject_either(client, personas):
    join(client, personas.hood.slug)
    message = mail.outbox[-1]
    code = re.search(r"^\s{4}(\S+)\s*$", str(message.body), re.MULTILINE)
    assert code and code.group(1) not in message.subject


def test_a_login_code_for_an_unknown_address_reads_formally(client, db, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "nl"
    request_code(client, "onbekend@example.nl")
    (message,) = mail.outbox
    assert "password" not in message.body.lower() and "wachtwoord" not in message.body.lower()
    assert_formal_dutch(message.subject + "\n" + message.body)
    assert "Iemand heeft met dit e-mailadres" in message.body


# --- Every page that is used, in Dutch and in English ----------------------------------------

BAD_DUTCH = [
    r"\bje\b",
    r"\bjij\b",
    r"\bjouw\b",
    r"\bjezelf\b",
    r"e-emailadres",
    r"Bevestigings e-mail",
    r"\bSign[ -]?(in|out)\b",
]
DUTCH_WORDS = r"\b(uw|het|een|niet|inloggen|bevestig|wachtwoord)\b"


def visible_text(page: str) -> str:
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.DOTALL | re.IGNORECASE)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def assert_formal_dutch(text: str) -> None:
    for bad in BAD_DUTCH:
        found = re.search(bad, text, re.IGNORECASE)
        assert found is None, f"{bad!r} in: …{text[max(0, found.start() - 80) : found.end() + 80]}…"


def _log_in_with_recent_totp(client: Client, personas: Personas) -> None:
    """The chair, having just confirmed the app's code: allauth lets them manage it."""
    client.force_login(personas.chair)
    response = client.post(reverse("mfa_reauthenticate"), {"code": current_totp()})
    assert response.status_code == 302, response.content.decode()


def _reauthenticated_by_mail(client: Client, personas: Personas):
    """A resident who wants the second step: allauth first mails a code to confirm it is them."""
    client.force_login(personas.resident)
    asked = client.get(reverse("mfa_activate_totp"), follow=True).redirect_chain[-1][0]
    assert asked.startswith(reverse("account_request_reauthentication_code") + "?next=")
    return client.post(asked, {"recipient": personas.resident.email}, follow=True)


def _request_login_code(client, personas):
    return client.get(reverse("account_request_login_code"))


def _confirm_login_code(client, personas):
    request_code(client, personas.resident.email)
    return client.get(reverse("account_confirm_login_code"))


def _confirm_email_code(client, personas):
    join(client, personas.hood.slug)
    return client.get(reverse("account_email_verification_sent"))


def _mfa_authenticate(client, personas):
    request_code(client, personas.chair.email)
    confirm(client, last_code())
    return client.get(reverse("mfa_authenticate"))


def _wrong_login_code(client, personas):
    request_code(client, personas.resident.email)
    return confirm(client, "XXXXXX")


def _request_reauthentication_code(client, personas):
    client.force_login(personas.resident)
    return client.get(reverse("mfa_activate_totp"), follow=True)


def _add_address(client, personas):
    client.force_login(personas.resident)
    return client.post(
        reverse("account_email"), {"email": "nieuw@example.nl", "action_add": ""}, follow=True
    )


def _two_addresses(client, personas):
    _add_address(client, personas)
    client.post(reverse("account_email_verification_sent"), {"code": last_code()})
    return client.get(reverse("account_email"))


def _inactive(client, personas):
    return client.get(reverse("account_inactive"))


def _wrong_app_code(client, personas):
    client.force_login(personas.chair)
    return client.post(reverse("mfa_reauthenticate"), {"code": "000000"})


def _activate_totp(client, personas):
    confirm_page = _reauthenticated_by_mail(client, personas).redirect_chain[-1][0]
    return client.post(confirm_page, {"code": last_code()}, follow=True)


def _totp_activated(client, personas):
    from allauth.mfa.totp.internal.auth import (
        format_hotp_value,
        hotp_value,
        yield_hotp_counters_from_time,
    )

    secret = _activate_totp(client, personas).context["form"].secret
    code = format_hotp_value(hotp_value(secret, next(iter(yield_hotp_counters_from_time()))))
    return client.post(reverse("mfa_activate_totp"), {"code": code}, follow=True)


def _logged_in(user: str, url: str) -> Callable[[Client, Personas], Any]:
    def page(client, personas):
        client.force_login(getattr(personas, user))
        return client.get(reverse(url))

    return page


def _with_recent_totp(url: str) -> Callable[[Client, Personas], Any]:
    def page(client, personas):
        _log_in_with_recent_totp(client, personas)
        return client.get(reverse(url))

    return page


# Each page, how to get there, and a phrase it shows in Dutch and in English.
PAGES: dict[str, tuple[Callable[[Client, Personas], Any], str, str]] = {
    "request login code": (
        _request_login_code,
        "geen wachtwoord nodig",
        "You do not need a password",
    ),
    "confirm login code": (_confirm_login_code, "Vul uw code in", "Fill in your code"),
    "wrong login code": (_wrong_login_code, "Deze code klopt niet", "This code is not right"),
    "confirm e-mail code": (
        _confirm_email_code,
        "Bevestig uw e-mailadres",
        "Confirm your e-mail address",
    ),
    "mfa authenticate": (_mfa_authenticate, "Tweede stap", "Second step"),
    "mfa reauthenticate": (
        _logged_in("chair", "mfa_reauthenticate"),
        "Bevestig dat u het bent",
        "Confirm that it is you",
    ),
    "wrong app code": (_wrong_app_code, "Deze code klopt niet", "This code is not right"),
    "request reauthentication code": (
        _request_reauthentication_code,
        "Bevestig dat u het bent",
        "Confirm that it is you",
    ),
    "confirm reauthentication code": (
        _reauthenticated_by_mail,
        "Vul uw code in",
        "Fill in your code",
    ),
    "activate totp": (_activate_totp, "Stel de tweede stap in", "Set up the second step"),
    "totp activated: the recovery codes": (
        _totp_activated,
        "Herstelcodes over: 10 van de 10",
        "Recovery codes left: 10 of 10",
    ),
    "mfa index": (
        _logged_in("chair", "mfa_index"),
        "Inloggen met een tweede stap",
        "Logging in with a second step",
    ),
    "deactivate totp (team: refused)": (
        _with_recent_totp("mfa_deactivate_totp"),
        "kunt u de tweede stap niet uitzetten",
        "you cannot switch off the second step",
    ),
    "recovery codes": (
        _with_recent_totp("mfa_view_recovery_codes"),
        "Herstelcodes",
        "Recovery codes",
    ),
    "generate recovery codes": (
        _with_recent_totp("mfa_generate_recovery_codes"),
        "Nieuwe herstelcodes maken",
        "Make new recovery codes",
    ),
    "logout": (_logged_in("resident", "account_logout"), "Wilt u uitloggen?", "Do you want"),
    "e-mail addresses": (
        _logged_in("resident", "account_email"),
        "Uw e-mailadres",
        "Your e-mail address",
    ),
    "add an e-mail address": (
        _add_address,
        "We hebben een code naar nieuw@example.nl gestuurd",
        "We have sent a code to nieuw@example.nl",
    ),
    "two e-mail addresses": (_two_addresses, "Dit adres gebruiken", "Use this address"),
    "inactive": (
        _inactive,
        "Dit account is opgeheven",
        "This account is closed",
    ),
}


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("language", ["nl", "en"])
def test_each_allauth_page_reads_well(client, personas, settings, page, language):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    open_page, dutch, english = PAGES[page]
    response = open_page(client, personas)
    assert response.status_code == 200, response
    text = visible_text(response.content.decode())
    if language == "nl":
        assert dutch in text
        assert_formal_dutch(text)
    else:
        assert english in text
        found = re.search(DUTCH_WORDS, text, re.IGNORECASE)
        assert found is None, f"Dutch in English: …{text[found.start() - 80 : found.end() + 80]}…"


# Messages and mails that are hard to reach from a page: each rendered on its own.
MESSAGE_TEMPLATES = sorted(
    str(path.relative_to(TEMPLATES))
    for folder in ("account/messages", "mfa/messages", "account/email")
    for path in (TEMPLATES / folder).glob("*.txt")
)


@pytest.mark.parametrize("name", MESSAGE_TEMPLATES)
def test_each_message_and_mail_reads_well(rf, name):
    context = {
        "email": "annie@example.nl",
        "recipient": "annie@example.nl",
        "code": "ABC123",
        "user": User(display_name="Annie de Groot"),
        "request": rf.get("/"),
    }
    with translation.override("nl"):
        dutch = render_to_string(name, context)
    with translation.override("en"):
        english = render_to_string(name, context)
    assert dutch.strip() and english.strip()
    assert_formal_dutch(dutch)
    assert dutch != english, "not translated"
    found = re.search(DUTCH_WORDS, english, re.IGNORECASE)
    assert found is None, english


def test_the_team_is_offered_no_button_to_switch_the_second_step_off(
    client, personas, english_pages
):
    """The adapter refuses it for those who see confidential details: the page says so."""
    give_second_factor(personas.resident)  # a resident may use it, and switch it off again
    for person, offered in ((personas.chair, False), (personas.resident, True)):
        client.force_login(person)
        html = client.get(reverse("mfa_index")).content.decode()
        assert (reverse("mfa_deactivate_totp") in html) == offered
        assert ("so the second step stays on" in html) == (not offered)
