"""A Redis outage degrades the site instead of breaking it (buurtoverleg.cache).

With the cache and the broker pointed at a port where nothing listens, the pages a visitor
needs answer, logging in by code works, /health/ says what is down in plain words, the
login-code and second-factor limits still hold (counted in the database), and every other
limit lets people through.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.conf import settings as django_settings
from django.core import mail
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCacheClient
from django.db import connection
from django.test import Client
from django.urls import reverse

from buurtoverleg import cache as resilient
from buurtoverleg.cache import ResilientRedisCache, breaker_reset
from residents.ratelimits import HOUR, Limit, limit_consume
from tests.support import (
    at_second_factor,
    confirm,
    current_totp,
    is_logged_in,
    last_code,
    request_code,
    second_factor,
)

DEAD = "redis://127.0.0.1:1/0"  # nothing listens on port 1: connections are refused


def redis_cache_settings(location: str) -> dict[str, Any]:
    """The production CACHES (settings.py with REDIS_URL set), pointed at `location`."""
    return {
        "default": {
            "BACKEND": "buurtoverleg.cache.ResilientRedisCache",
            "LOCATION": location,
            "FALLBACK": "limits",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        },
        "limits": django_settings.CACHES["limits"],
    }


@pytest.fixture
def redis_down(settings) -> Iterator[None]:
    """Cache and broker at a dead port, as in an outage; the breaker starts with no memory."""
    from buurtoverleg.celery import app as celery_app

    app: Any = celery_app  # for its private producer pool
    settings.CACHES = redis_cache_settings(DEAD)
    breaker_reset()
    # The producer pool keeps the broker URL it was made with: a fresh one for the outage,
    # and the one from before afterwards.
    saved = app.conf.task_always_eager, app.conf.broker_url, app._pool
    app.conf.task_always_eager = False
    app.conf.broker_url = DEAD
    app._pool = None
    yield
    if app._pool is not None:
        app._pool.force_close_all()
    app.conf.task_always_eager, app.conf.broker_url, app._pool = saved
    breaker_reset()


def limit_rows() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM residents_limit_cache")
        return int(cursor.fetchone()[0])


# --- The client gives up quickly, and only once per few seconds -------------------------


def test_redis_clients_time_out_within_half_a_second(redis_url):
    default = caches["default"]
    assert isinstance(default, ResilientRedisCache)
    options = default._cache._pool_options  # type: ignore[attr-defined]
    assert 0 < options["socket_connect_timeout"] <= 0.5
    assert 0 < options["socket_timeout"] <= 0.5
    broker = django_settings.CELERY_BROKER_TRANSPORT_OPTIONS
    assert 0 < broker["socket_connect_timeout"] <= 0.5
    assert 0 < broker["socket_timeout"] <= 0.5


def test_a_redis_that_never_answers_is_a_miss_not_a_hang(settings):
    # A server that accepts the connection and then says nothing: only the read timeout ends it.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        settings.CACHES = redis_cache_settings(f"redis://127.0.0.1:{silent.getsockname()[1]}/0")
        breaker_reset()
        try:
            assert cache.get("anything", "missed") == "missed"
            assert cache.add("lock", 1) is True
        finally:
            breaker_reset()


def test_after_a_failure_redis_is_skipped_for_a_few_seconds(redis_down, monkeypatch):
    attempts = []
    get_client = RedisCacheClient.get_client

    def counting(self, *args, **kwargs):
        attempts.append(1)
        return get_client(self, *args, **kwargs)

    monkeypatch.setattr(RedisCacheClient, "get_client", counting)
    now = resilient.time.monotonic()
    monkeypatch.setattr(resilient.time, "monotonic", lambda: now)
    assert cache.get("a") is None
    cache.set("b", 1)
    assert cache.incr("c") == 1
    assert cache.get_many(["a", "b"]) == {}
    assert len(attempts) == 1
    monkeypatch.setattr(resilient.time, "monotonic", lambda: now + resilient.BREAKER_SECONDS + 1)
    assert cache.get("a") is None
    assert len(attempts) == 2


# --- The pages answer ------------------------------------------------------------------


def test_pages_login_api_and_health_answer_with_redis_down(client, personas, redis_down, caplog):
    slug = personas.hood.slug
    for url in (
        reverse("home"),
        reverse("neighbourhood", args=[slug]),
        reverse("problem_list", args=[slug]),
        reverse("api_problems"),
    ):
        assert client.get(url).status_code == 200, url

    response = request_code(client, personas.resident.email)
    assert response["Location"] == reverse("account_confirm_login_code")
    assert len(mail.outbox) == 1
    confirm(client, last_code())
    assert is_logged_in(client)
    assert client.get(reverse("home")).status_code == 200

    response = client.get(reverse("health"))
    assert response.status_code == 200  # the site serves; only the database is vital
    assert response.json() == {
        "status": "degraded",
        "checks": {"database": "ok", "cache": "unavailable", "broker": "unavailable"},
    }
    # One warning for the outage, naming the server but not a password or an exception class.
    warnings = [r.getMessage() for r in caplog.records if r.name == "buurtoverleg.cache"]
    assert warnings == [
        "Redis cache at redis://127.0.0.1:1/0 does not answer; going on without it for 5.0 s"
    ]


# --- Limits: the login ones hold, the others fail open ----------------------------------


def test_login_code_limit_holds_with_redis_down(personas, redis_down):
    for _ in range(3):
        assert request_code(Client(), personas.resident.email).status_code == 302
    refused = request_code(Client(), personas.resident.email)
    assert refused.status_code == 200
    assert "error-summary" in refused.content.decode()
    assert len(mail.outbox) == 3
    assert limit_rows() > 0  # counted in the database


def test_second_factor_limit_holds_with_redis_down(personas, redis_down):
    with time_machine.travel(datetime(2026, 3, 2, 9, 0, tzinfo=UTC), tick=False) as clock:
        browser = at_second_factor(personas.chair.email)
        for _ in range(5):
            assert second_factor(browser, "000000") == ["incorrect_code"]
        assert second_factor(browser, current_totp()) == ["too_many_login_attempts"]
        clock.shift(timedelta(minutes=5, seconds=1))
        assert second_factor(browser, current_totp()) == []
        assert is_logged_in(browser)
        # The code just used stays used: a second browser cannot log in with it again.
        thief = at_second_factor(personas.chair.email)
        assert second_factor(thief, current_totp()) == ["incorrect_code"]
        assert not is_logged_in(thief)


def test_other_limits_fail_open_with_redis_down(client, settings, db, redis_down):
    once_an_hour = (Limit(1, HOUR),)
    for _ in range(3):
        limit_consume(scope="report", who="1", limits=once_an_hour)  # never LimitReached
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"api": "1/min"},
    }
    statuses = [client.get(reverse("api_problems")).status_code for _ in range(3)]
    assert statuses == [200, 200, 200]
    assert limit_rows() == 0  # nothing of these went to the database


def test_with_redis_up_the_login_limits_stay_in_redis(personas, redis_url, settings):
    settings.CACHES = redis_cache_settings(redis_url)
    breaker_reset()
    for _ in range(4):
        request_code(Client(), personas.resident.email)
    assert len(mail.outbox) == 3
    assert limit_rows() == 0


def test_the_warning_never_shows_a_password(settings, caplog):
    settings.CACHES = redis_cache_settings("redis://user:s3cret@127.0.0.1:1/0")
    breaker_reset()
    try:
        assert cache.get("anything") is None
    finally:
        breaker_reset()
    assert [r.getMessage() for r in caplog.records if r.name == "buurtoverleg.cache"] == [
        "Redis cache at redis://127.0.0.1:1/0 does not answer; going on without it for 5.0 s"
    ]
