"""The error pages (400, 403, 404, 500, CSRF failure) as a visitor gets them with DEBUG off: in
the site's layout and their language, with a way home and nothing the CSP would block.

This module is also the URLconf of its tests: the real URLs plus views that fail on purpose.
"""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory
from django.urls import include, path, reverse
from django.utils import translation
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext

from buurtoverleg import errors
from buurtoverleg.urls import handler400, handler403, handler404, handler500

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]


def _forbidden(request: HttpRequest) -> HttpResponse:
    raise PermissionDenied("transition refused for ['chair']: an internal detail")


def _broken(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("an internal detail")


urlpatterns = [
    path("test-fout/verboden/", _forbidden),
    path("test-fout/kapot/", _broken),
    path("", include("buurtoverleg.urls")),
]

LANGUAGES = ["nl", "en"]
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)


@pytest.fixture(autouse=True)
def _production_errors(settings) -> None:
    settings.DEBUG = False
    settings.ROOT_URLCONF = __name__


@pytest.fixture
def visitor(client, settings):
    def _visitor(language: str) -> Client:
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        client.raise_request_exception = False
        return client

    return _visitor


def assert_error_page(response, status: int, language: str, heading: str) -> str:
    """The page is the site's, in `language`, says `heading` and leads home; no inline style
    or script, which the CSP (style-src/script-src 'self') would block."""
    assert response.status_code == status
    body = response.content.decode()
    assert f'<html lang="{language}">' in body
    assert response["Content-Language"] == language
    assert 'class="site-header"' in body
    with translation.override(language):
        assert f"<h1>{gettext(heading)}</h1>" in body
        assert f'<a href="{reverse("home")}">{gettext("To the home page")}</a>' in body
    assert " style=" not in body
    assert "<style" not in body
    assert not INLINE_SCRIPT.search(body)
    assert "internal detail" not in body
    return body


@pytest.mark.parametrize("language", LANGUAGES)
def test_bad_request_before_the_language_middleware_ran(visitor, language, db):
    """A wrong Host header fails in CommonMiddleware, before LanguageMiddleware: the page still
    speaks the language of the cookie."""
    response = visitor(language).get("/", headers={"host": "elders.example"})
    assert_error_page(response, 400, language, "This address is not right")


@pytest.mark.parametrize("language", LANGUAGES)
def test_permission_denied(visitor, language, db):
    response = visitor(language).get("/test-fout/verboden/")
    assert_error_page(response, 403, language, "You may not open this page")


@pytest.mark.parametrize("language", LANGUAGES)
def test_page_not_found(visitor, language, db):
    response = visitor(language).get("/bestaat-niet/")
    assert_error_page(response, 404, language, "We cannot find this page")


def test_page_not_found_shows_a_logged_in_member_their_menu(visitor, personas):
    client = visitor("en")
    client.force_login(personas.resident)
    body = assert_error_page(client.get("/bestaat-niet/"), 404, "en", "We cannot find this page")
    assert reverse("my_problems") in body


@pytest.mark.parametrize("language", LANGUAGES)
def test_server_error_needs_no_database(visitor, language, db, django_assert_num_queries):
    client = visitor(language)
    with django_assert_num_queries(0):
        response = client.get("/test-fout/kapot/")
    assert_error_page(response, 500, language, "Something went wrong")


def test_server_error_page_needs_no_user_and_no_middleware(settings):
    """handler500 on a request no middleware touched, whose user lookup fails, and without the
    db fixture: any query would raise, and the page would be the bare fallback."""

    def no_database():
        raise RuntimeError("the database is down")

    request = RequestFactory().get("/", headers={"cookie": f"{settings.LANGUAGE_COOKIE_NAME}=en"})
    request.user = SimpleLazyObject(no_database)  # type: ignore[assignment]
    response = errors.server_error(request)
    assert_error_page(response, 500, "en", "Something went wrong")


def test_server_error_falls_back_to_a_fixed_page_when_rendering_fails(settings, monkeypatch):
    def broken_template(name: str):
        raise RuntimeError("templates are broken")

    monkeypatch.setattr(errors.loader, "get_template", broken_template)
    request = RequestFactory().get("/", headers={"cookie": f"{settings.LANGUAGE_COOKIE_NAME}=en"})
    response = errors.server_error(request)
    assert response.status_code == 500
    body = response.content.decode()
    assert '<html lang="en">' in body
    assert '<a href="/">To the home page</a>' in body
    assert " style=" not in body
    assert "<script" not in body


@pytest.mark.parametrize("language", LANGUAGES)
def test_csrf_failure(language, settings, db):
    """A form sent without a valid token (the page was open too long, cookies off)."""
    client = Client(enforce_csrf_checks=True)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.post(reverse("account_login"), {"email": "mohamed@example.nl"})
    body = assert_error_page(response, 403, language, "This form has expired")
    # A fresh token comes along, so reloading the form and sending it again works.
    assert settings.CSRF_COOKIE_NAME in response.cookies
    assert 'name="csrfmiddlewaretoken"' in body
