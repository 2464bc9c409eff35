"""The privacy and accessibility statements: public, plain, complete and CSP-clean."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import AnonymousUser
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse

from tests.support import view_name


@pytest.fixture(autouse=True)
def _english(settings, client):
    """Assert on the English source strings, whatever the catalogues translate."""
    settings.LANGUAGE_CODE = "en"
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def assert_csp_clean(html: str) -> None:
    """No inline script, style attribute or event handler: the strict CSP would block them."""
    assert not re.search(r"\sstyle\s*=", html)
    assert not re.search(r"\son[a-z]+\s*=", html)
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)


def main_of(html: str) -> str:
    return html.split('id="main"', 1)[1].split("</main>", 1)[0]


def render_statement(name: str, **context: object) -> str:
    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    return main_of(render_to_string(f"residents/{name}.html", context, request=request))


def headings(html: str) -> list[str]:
    return [
        re.sub(r"<[^>]+>", "", h).strip() for h in re.findall(r"<h[12][^>]*>(.*?)</h[12]>", html)
    ]


# --- Privacy statement ---


def test_the_privacy_statement_is_public(db, client):
    response = client.get(reverse("privacy"))
    assert response.status_code == 200
    assert_csp_clean(response.content.decode())


def test_the_privacy_statement_covers_what_the_law_asks(db, client):
    html = main_of(client.get(reverse("privacy")).content.decode())
    assert headings(html)[:1] == ["Privacy statement"]
    for heading in (
        "Who is responsible for your data",
        "What data we store",
        "Why we use your data",
        "Who sees your data",
        "E-mail",
        "How long we keep your data",
        "Your rights",
        "Cookies",
    ):
        assert heading in headings(html), heading
    for fact in (
        "controller",
        "postcode and house number",
        "votes",
        "came to a meeting",
        "public interest",
        "only name you if you give permission",
        "Who reported a problem is seen by the support team and by the person who reported it",
        "For a sensitive problem, such as drug nuisance, only the support team sees who",
        "no personal data of residents",
        "never logs you in",
        "Autoriteit Persoonsgegevens",
        "sessionid",
        "csrftoken",
        "django_language",
    ):
        assert fact in html, fact
    assert reverse("account:my_data") in html


def test_the_privacy_statement_names_the_retention_period(db):
    html = render_statement("privacy", retention_days=400)
    assert "we erase your personal data after 400 days" in html
    one = render_statement("privacy", retention_days=1)
    assert "after 1 day." in one
    unconfirmed = render_statement("privacy", unconfirmed_days=14)
    assert "never confirm your e-mail address? Then we erase your data after 14 days." in (
        unconfirmed
    )


def test_without_a_retention_period_the_privacy_statement_still_renders(db):
    html = render_statement("privacy")
    assert "after a fixed period" in html


def test_the_privacy_page_states_the_configured_retention_period(db, client, settings):
    settings.RETENTION_DAYS_AFTER_LEAVING = 400
    assert "after 400 days" in client.get(reverse("privacy")).content.decode()


def test_the_controller_and_contact_can_be_configured(db):
    html = render_statement(
        "privacy", privacy_controller="Gemeente Voorbeeld", privacy_contact_email="p@example.nl"
    )
    assert "Gemeente Voorbeeld runs this website" in html
    assert 'href="mailto:p@example.nl"' in html
    fallback = render_statement("privacy")
    assert "The municipality that set up this neighbourhood meeting is responsible" in fallback
    assert "mailto:" not in fallback


# --- Accessibility statement ---


def test_the_accessibility_statement_is_public(db, client):
    response = client.get(reverse("accessibility"))
    assert response.status_code == 200
    assert_csp_clean(response.content.decode())


def test_the_accessibility_statement_is_honest_and_complete(db, client):
    html = main_of(client.get(reverse("accessibility")).content.decode())
    assert headings(html)[:1] == ["Accessibility statement"]
    for heading in (
        "What we aim for",
        "How we test",
        "What does not work well yet",
        "Report a problem",
        "About this statement",
    ):
        assert heading in headings(html), heading
    for fact in (
        "WCAG",
        "2.2",
        "level AA",
        "partly meets",
        "axe-core",
        "keyboard",
        "screen reader",
        "not checked it yet",
        "November 2026",
    ):
        assert fact in html, fact
    assert html.count("<li>") >= 10


def test_the_accessibility_contact_can_be_configured(db):
    html = render_statement("accessibility", accessibility_contact_email="a@example.nl")
    assert 'href="mailto:a@example.nl"' in html
    assert "mailto:" not in render_statement("accessibility")


@pytest.mark.parametrize("name", ["privacy", "accessibility"])
def test_statements_have_one_h1_and_linkable_sections(db, client, name):
    html = main_of(client.get(reverse(view_name(name))).content.decode())
    assert html.count("<h1") == 1
    for anchor in re.findall(r'href="#([\w-]+)"', html):
        assert f'id="{anchor}"' in html
