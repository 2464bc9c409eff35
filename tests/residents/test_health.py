from __future__ import annotations

from django.urls import reverse


def test_health_reports_database_and_broker(client, db):
    response = client.get(reverse("health"))
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"] == "ok"
    assert "broker" in body["checks"]
    assert response["Cache-Control"].startswith("max-age=0")


def test_health_checks_a_real_broker(client, db, redis_url, settings):
    from buurtoverleg.celery import app

    saved = app.conf.task_always_eager, app.conf.broker_url
    app.conf.task_always_eager = False
    app.conf.broker_url = redis_url  # type: ignore[misc]
    try:
        assert client.get(reverse("health")).json()["checks"]["broker"] == "ok"
        app.conf.broker_url = "redis://127.0.0.1:1/0"  # type: ignore[misc]  # nothing listens
        response = client.get(reverse("health"))
        assert response.status_code == 503
        assert response.json()["checks"]["broker"].startswith("error")
    finally:
        app.conf.task_always_eager = saved[0]
        app.conf.broker_url = saved[1]  # type: ignore[misc]
