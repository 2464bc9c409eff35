"""The mail worker's task. Its name is the one it had in the meetings app: messages already
on the broker, and workers of the previous release, keep finding it."""

from __future__ import annotations

from celery import shared_task

from buurtoverleg.mail.pipeline import TransientMailError, mailing_send


@shared_task(
    name="meetings.tasks.send_mailing",
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
