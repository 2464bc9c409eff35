"""The beat's one frequent job. Its name is the one it had in the meetings app (the beat
schedule and messages already queued name it)."""

from __future__ import annotations

from celery import shared_task

from buurtoverleg.due import run_due


@shared_task(
    name="meetings.tasks.run_due_work", acks_late=True, soft_time_limit=240, time_limit=300
)
def run_due_work() -> list[str]:
    """Runs every kind of due work whose time has come."""
    return run_due()
