"""Thin Celery tasks: take a primary key, call a service."""

from __future__ import annotations

from celery import shared_task

from meetings.due import run_due
from meetings.minutes_tasks import render_minutes  # noqa: F401
from meetings.services import TransientMailError, mailing_send


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(TransientMailError,),
    retry_backoff=5,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=10,
    soft_time_limit=540,
    time_limit=600,
)
def send_mailing(mailing_id: int) -> int:
    return mailing_send(mailing_id=mailing_id)


@shared_task(acks_late=True, soft_time_limit=240, time_limit=300)
def run_due_work() -> list[str]:
    """The one frequent beat job: runs every kind of due work whose time has come."""
    return run_due()
