"""The Celery task that renders a version of the minutes to PDF (normal and large print).

Thin, as every task here: it takes the version's id and calls meetings.minutes.services, which
claims the version with a conditional update (a second message for the same version, or one
for a version that is done, does nothing), reports progress, stores both PDFs with Django's
default storage and marks the version done only if no newer request to render came in
meanwhile. A failure is recorded with its reason, which the chair sees; the task then retries
with backoff, and after the last attempt the version stays "failed" until the chair tries again.
"""

from __future__ import annotations

import logging
import random
from typing import Any

from celery import shared_task

from meetings.minutes.services import minutes_render, minutes_render_failed

log = logging.getLogger(__name__)

MAX_RETRIES = 4


def backoff(retries: int) -> int:
    """Seconds before the next attempt: 15, 30, 60, 120 (at most 300), with some jitter."""
    return int(min(300, 15 * 2**retries) + random.uniform(0, 5))  # noqa: S311 - not security


@shared_task(
    name="meetings.minutes_tasks.render_minutes",
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=MAX_RETRIES,
    soft_time_limit=240,
    time_limit=300,
)
def render_minutes(self, version_id: int) -> Any:
    try:
        return minutes_render(version_id=version_id)
    except Exception as exc:
        retrying = self.request.retries < self.max_retries
        reason = f"{type(exc).__name__}: {exc}"
        minutes_render_failed(version_id=version_id, reason=reason, retrying=retrying)
        if retrying:
            countdown = backoff(self.request.retries)
            if self.request.is_eager:
                # In-process (no broker): Celery runs the returned retry at once, instead of
                # handing the exception to whoever queued the task.
                return self.retry(exc=exc, countdown=countdown, throw=False)
            raise self.retry(exc=exc, countdown=countdown) from exc
        log.exception("The minutes PDF of version %s failed: %s", version_id, reason)
        return "failed"
