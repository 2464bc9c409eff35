"""/health/: the database, the cache and the broker, in words, within a second; 503 only when
the database is down, since the site degrades but serves without Redis."""

from __future__ import annotations

import threading
from unittest import mock

from django.urls import reverse

from buurtoverleg.cache import breaker_reset
from residents import views

STATES = {"ok", "unavailable", "not configured"}


def test_health_reports_database_cache_and_broker(client, db):
    response = client.get(reverse("health"))
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"] == "ok"
    assert set(body["checks"]) == {"database", "cache", "broker"}
    assert set(body["checks"].values()) <= STATES
    assert response["Cache-Control"].startswith("max-age=0")


def test_health_checks_a_real_broker_and_cache(client, db, redis_url):
    from buurtoverleg.celery import app

    saved = app.conf.task_always_eager, app.conf.broker_url
    app.conf.task_always_eager = False
    app.conf.broker_url = redis_url  # type: ignore[misc]
    try:
        assert client.get(reverse("health")).json()["checks"] == {
            "database": "ok",
            "cache": "ok",
            "broker": "ok",
        }
        app.conf.broker_url = "redis://127.0.0.1:1/0"  # type: ignore[misc]  # nothing listens
        response = client.get(reverse("health"))
        assert response.status_code == 200
        assert response.json() == {
            "status": "degraded",
            "checks": {"database": "ok", "cache": "ok", "broker": "unavailable"},
        }
    finally:
        app.conf.task_always_eager = saved[0]
        app.conf.broker_url = saved[1]  # type: ignore[misc]


def test_a_recovered_redis_is_seen_at_once(client, db, redis_url):
    # Right after an outage the pages still skip Redis for a few seconds; /health/ asks anyway,
    # and an answer ends the skipping.
    from django.core.cache import cache

    cache._trip()  # type: ignore[attr-defined]
    assert cache._skipping()  # type: ignore[attr-defined]
    assert client.get(reverse("health")).json()["checks"]["cache"] == "ok"
    assert not cache._skipping()  # type: ignore[attr-defined]
    breaker_reset()


def test_a_database_that_does_not_answer_is_503_without_internals(client, db):
    with mock.patch("residents.views.connection.cursor", side_effect=OSError("boom")):
        response = client.get(reverse("health"))
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["checks"]["database"] == "unavailable"
    assert set(body["checks"].values()) <= STATES
    assert "Error" not in response.content.decode()


def test_a_check_that_hangs_is_unavailable_when_the_budget_is_spent(client, db, monkeypatch):
    # However a library retries, /health/ answers once its budget (under a second) is spent.

    release = threading.Event()

    def hanging() -> str:
        release.wait()
        return "ok"

    assert views.HEALTH_BUDGET_SECONDS < 1
    monkeypatch.setattr(views, "_broker_state", hanging)
    monkeypatch.setattr(views, "HEALTH_BUDGET_SECONDS", 0.05)
    try:
        response = client.get(reverse("health"))
    finally:
        release.set()
    assert response.status_code == 200
    assert response.json()["checks"]["broker"] == "unavailable"
    assert response.json()["status"] == "degraded"
