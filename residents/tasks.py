"""Background work for residents. Tasks are thin: the services do the work."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from residents import links, privacy


@shared_task(
    name="residents.tasks.purge_departed_members",
    autoretry_for=(OperationalError,),
    retry_backoff=60,
    max_retries=5,
)
def purge_departed_members() -> int:
    """Daily (meetings/due.py): anonymise people past the retention period.

    Idempotent: a re-run, or a retry after a crash, finds nobody left to anonymise.
    """
    return privacy.purge_departed_members()


@shared_task(
    name="residents.tasks.prune_action_link_uses",
    autoretry_for=(OperationalError,),
    retry_backoff=60,
    max_retries=5,
)
def prune_action_link_uses() -> int:
    """Forget the uses of single-use links that have expired (they are refused anyway)."""
    return links.action_link_uses_prune()
