"""Fair limits: one client address for every per-client limit, and second-factor failures that
lock one account, never everyone behind the same address."""

from __future__ import annotations

import ipaddress
import runpy
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from allauth.account.adapter import get_adapter
from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import translation
from rest_framework.request import Request

from buurtoverleg.settings import trusted_proxy_count
from problems.api.views import PerClientThrottle
from residents.ratelimits import (
    HOUR,
    Limit,
    LimitReached,
    client_ip,
    limit_consume,
    limit_wait,
    wait_words,
)
from tests.support import at_second_factor, current_totp, is_logged_in, request_code, second_factor

PROXY = "10.0.0.1"  # the reverse proxy: every request arrives from here
SETTINGS_FILE = Path(django_settings.BASE_DIR) / "buurtoverleg" / "settings.py"


@pytest.fixture
def proxies(settings):
    """Set the number of trusted proxies the way settings.py does: one number for all."""

    def _set(count: int) -> None:
        settings.TRUSTED_PROXY_COUNT = count
        settings.ALLAUTH_TRUSTED_PROXY_COUNT = count
        settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": count}

    return _set


# --- One client address -----------------------------------------------------------------

ADDRESSES = [
    # (trusted proxies, X-Forwarded-For or None, the client address)
    (0, None, PROXY),
    (0, "203.0.113.7", PROXY),  # no proxy trusted: the header is the client's own words
    (1, None, PROXY),
    (1, "203.0.113.7", "203.0.113.7"),
    (1, "198.51.100.99, 203.0.113.7", "203.0.113.7"),  # spoofed left part is ignored
    (1, "198.51.100.99,203.0.113.7", "203.0.113.7"),
    (2, "203.0.113.7, 192.0.2.50", "203.0.113.7"),  # CDN (192.0.2.50) then our proxy
    (2, "198.51.100.99, 203.0.113.7, 192.0.2.50", "203.0.113.7"),
    (2, "203.0.113.7", "203.0.113.7"),  # skipped the outer proxy: the only entry there is
    (1, "2001:DB8::1", "2001:db8::1"),
]


@pytest.mark.parametrize(("trusted", "forwarded", "expected"), ADDRESSES)
def test_client_address_counts_trusted_proxies_from_the_right(
    proxies, trusted, forwarded, expected
):
    proxies(trusted)
    headers = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {}
    request = RequestFactory().get("/", REMOTE_ADDR=PROXY, **headers)
    assert client_ip(request) == expected


@pytest.mark.parametrize(("trusted", "forwarded", "expected"), ADDRESSES)
def test_login_limits_and_api_throttle_see_the_same_client(proxies, trusted, forwarded, expected):
    proxies(trusted)
    headers = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {}
    request = RequestFactory().get("/", REMOTE_ADDR=PROXY, **headers)
    assert get_adapter().get_client_ip(request) == expected
    # DRF keeps the text as sent (it does not normalise IPv6): the same address all the same.
    api_ident = PerClientThrottle().get_ident(Request(request))
    assert ipaddress.ip_address(api_ident) == ipaddress.ip_address(expected)


@pytest.mark.parametrize("forwarded", ["nonsense", "198.51.100.99, not-an-address", ""])
def test_a_header_that_is_no_address_counts_as_the_proxy(proxies, forwarded):
    # Otherwise every invented value would get a fresh counter.
    proxies(1)
    request = RequestFactory().get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == PROXY


def test_one_setting_feeds_allauth_and_the_api(monkeypatch):
    monkeypatch.delenv("API_TRUSTED_PROXIES", raising=False)
    monkeypatch.setenv("TRUSTED_PROXY_COUNT", "2")
    loaded = runpy.run_path(str(SETTINGS_FILE))
    assert loaded["TRUSTED_PROXY_COUNT"] == 2
    assert loaded["ALLAUTH_TRUSTED_PROXY_COUNT"] == 2
    assert loaded["REST_FRAMEWORK"]["NUM_PROXIES"] == 2


@pytest.mark.parametrize(
    ("environment", "expected"),
    [
        ({}, 0),
        ({"TRUSTED_PROXY_COUNT": "1"}, 1),
        ({"API_TRUSTED_PROXIES": "2"}, 2),  # the old name still works
        ({"TRUSTED_PROXY_COUNT": "2", "API_TRUSTED_PROXIES": "2"}, 2),
        ({"TRUSTED_PROXY_COUNT": "1", "API_TRUSTED_PROXIES": ""}, 1),
    ],
)
def test_trusted_proxy_count_from_the_environment(monkeypatch, environment, expected):
    for name in ("TRUSTED_PROXY_COUNT", "API_TRUSTED_PROXIES"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    assert trusted_proxy_count() == expected


@pytest.mark.parametrize(
    "environment",
    [
        {"TRUSTED_PROXY_COUNT": "1", "API_TRUSTED_PROXIES": "2"},
        {"TRUSTED_PROXY_COUNT": "-1"},
        {"TRUSTED_PROXY_COUNT": "one"},
    ],
)
def test_a_wrong_proxy_count_stops_the_app(monkeypatch, environment):
    for name in ("TRUSTED_PROXY_COUNT", "API_TRUSTED_PROXIES"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ImproperlyConfigured):
        trusted_proxy_count()


# --- Login codes behind the proxy -------------------------------------------------------


def test_behind_the_proxy_one_persons_requests_do_not_block_the_city(proxies, db):
    proxies(1)

    def ask(client_address: str, n: int) -> int:
        browser = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=client_address)
        return request_code(browser, f"someone{n}@example.nl").status_code

    # One person asks 20 times in a minute, and is stopped at the 21st, whatever they send.
    assert [ask("203.0.113.7", n) for n in range(20)] == [302] * 20
    spoofed = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.1, 203.0.113.7")
    assert request_code(spoofed, "someone-else@example.nl").status_code == 200  # the form again
    # Everyone else behind the same proxy still gets their code.
    assert ask("203.0.113.8", 99) == 302


def test_without_a_trusted_proxy_the_header_changes_nothing(proxies, db):
    proxies(0)
    statuses = [
        request_code(
            Client(HTTP_X_FORWARDED_FOR=f"203.0.113.{n}"), f"someone{n}@example.nl"
        ).status_code
        for n in range(21)
    ]
    assert statuses == [302] * 20 + [200]


# --- Second factor: per account ---------------------------------------------------------


def test_one_persons_wrong_codes_do_not_lock_out_another_on_the_same_address(personas):
    typist = at_second_factor(personas.chair.email)
    # More wrong codes than allauth's default allowed per address (10 a minute).
    answers = [second_factor(typist, "000000") for _ in range(12)]
    assert answers[:5] == [["incorrect_code"]] * 5
    assert answers[5:] == [["too_many_login_attempts"]] * 7
    colleague = at_second_factor(personas.office.email)
    assert second_factor(colleague, current_totp()) == []
    assert is_logged_in(colleague)
    assert not is_logged_in(typist)


def test_after_five_wrong_codes_even_the_right_one_waits(personas):
    with time_machine.travel(datetime(2026, 3, 2, 9, 0, tzinfo=UTC), tick=False) as clock:
        browser = at_second_factor(personas.chair.email)
        for _ in range(5):
            assert second_factor(browser, "000000") == ["incorrect_code"]
        assert second_factor(browser, current_totp()) == ["too_many_login_attempts"]
        assert not is_logged_in(browser)
        clock.shift(timedelta(minutes=5, seconds=1))
        assert second_factor(browser, current_totp()) == []
        assert is_logged_in(browser)


def test_a_right_code_starts_the_count_again(personas):
    with time_machine.travel(datetime(2026, 3, 2, 9, 0, tzinfo=UTC), tick=False):
        browser = at_second_factor(personas.chair.email)
        for _ in range(4):
            assert second_factor(browser, "000000") == ["incorrect_code"]
        assert second_factor(browser, current_totp()) == []
        browser = at_second_factor(personas.chair.email)
        for _ in range(5):
            assert second_factor(browser, "000000") == ["incorrect_code"]


# --- allauth's own 429 uses the site's page ---------------------------------------------


def test_allauths_own_limit_shows_the_sites_429_page(login, personas):
    browser = login(personas.chair)
    url = reverse("mfa_reauthenticate")
    responses = [browser.post(url, {"code": "000000"}) for _ in range(11)]
    assert [r.status_code for r in responses] == [200] * 10 + [429]
    page = responses[-1].content.decode()
    assert '<html lang="nl">' in page
    assert '<main id="main"' in page
    assert "U heeft dit te vaak geprobeerd. Probeer het later opnieuw." in page


# --- The counter itself -----------------------------------------------------------------


def test_counter_refuses_past_the_limit_and_counts_no_refusal(db):
    limits = (Limit(2, HOUR),)
    with time_machine.travel(datetime(2026, 3, 2, 9, 45, tzinfo=UTC), tick=False) as clock:
        for _ in range(2):
            limit_consume(scope="test", who="1", limits=limits)
        for _ in range(3):
            with pytest.raises(LimitReached) as refused:
                limit_consume(scope="test", who="1", limits=limits)
            assert refused.value.retry_after == 15 * 60
        assert limit_wait(scope="test", who="1", limits=limits) == 15 * 60
        assert limit_wait(scope="test", who="2", limits=limits) is None
        limit_consume(scope="test", who="2", limits=limits)  # someone else: their own count
        clock.shift(timedelta(minutes=15))
        assert limit_wait(scope="test", who="1", limits=limits) is None
        limit_consume(scope="test", who="1", limits=limits)
        limit_consume(scope="test", who="1", limits=limits)
        with pytest.raises(LimitReached):
            limit_consume(scope="test", who="1", limits=limits)


def test_the_longest_wait_of_the_full_limits_is_given(db):
    limits = (Limit(1, 60), Limit(1, HOUR))
    with time_machine.travel(datetime(2026, 3, 2, 9, 0, 30, tzinfo=UTC), tick=False):
        limit_consume(scope="test", who="1", limits=limits)
        with pytest.raises(LimitReached) as refused:
            limit_consume(scope="test", who="1", limits=limits)
    assert refused.value.retry_after == HOUR - 30


@pytest.mark.parametrize(
    ("seconds", "words"),
    [(1, "1 minute"), (60, "1 minute"), (61, "2 minutes"), (3600, "1 hour"), (3601, "2 hours")],
)
def test_the_wait_is_rounded_up(seconds, words):
    with translation.override("en"):
        assert wait_words(seconds).replace("\xa0", " ") == words
