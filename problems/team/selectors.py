"""Reads for the team's side of the register: the moderation queue, the log of who saw
confidential details, and what the team's panel on a problem's page offers."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from problems.access import Access
from problems.models import ConfidentialView, Problem, ProblemQuerySet, ReopenRequest
from problems.workflow import Status
from residents.models import Neighbourhood

# Each section of the queue shows at most this many rows: the oldest work first. Each read
# below returns one more, so the page can say there are more.
QUEUE_LIMIT = 100


def _likely_chronic(hood: Neighbourhood) -> Q:
    """The database's half of Problem.chronic_signals(), so the queue asks once."""
    cutoff = timezone.now() - timedelta(days=hood.chronic_after_days)
    return (
        Q(accepted_at__lt=cutoff)
        | Q(accepted_at__isnull=True, created_at__lt=cutoff)
        | Q(support_count__gte=hood.chronic_supporters)
        | Q(discussed_count__gte=hood.chronic_meetings)
        | Q(reopened_count__gt=0)
    )


def _queued(hood: Neighbourhood) -> ProblemQuerySet:
    return Problem.objects.filter(neighbourhood=hood).select_related("category", "reporter")


def queue_new(hood: Neighbourhood) -> list[Problem]:
    """New reports, oldest first, with category and reporter (one query)."""
    return list(
        _queued(hood).filter(status=Status.NEW).order_by("created_at", "pk")[: QUEUE_LIMIT + 1]
    )


def queue_reopen_requests(hood: Neighbourhood) -> list[ReopenRequest]:
    """Residents' requests to reopen not handled yet, oldest first, with the problem and the
    resident (one query; at most five per problem shown)."""
    return list(
        ReopenRequest.objects.filter(problem__neighbourhood=hood, handled_at__isnull=True)
        .select_related("problem__category", "problem__reporter", "user")
        .order_by("created_at", "pk")[: 5 * QUEUE_LIMIT]
    )


def queue_likely_chronic(hood: Neighbourhood) -> list[Problem]:
    """Accepted, open problems not confirmed as chronic whose numbers say they may be, most
    support first (one query; Problem.chronic_signals() has the final word)."""
    return list(
        _queued(hood)
        .actionable()
        .filter(chronic_confirmed_at__isnull=True)
        .filter(_likely_chronic(hood))
        .order_by("-support_count", "created_at", "pk")[: QUEUE_LIMIT + 1]
    )


def queue_candidates(hood: Neighbourhood) -> list[Problem]:
    """Candidates for the next priority round, most support first (one query)."""
    return list(
        _queued(hood)
        .filter(status=Status.CANDIDATE)
        .order_by("-support_count", "created_at", "pk")[: QUEUE_LIMIT + 1]
    )


def confidential_views(hood: Neighbourhood) -> QuerySet[ConfidentialView]:
    """Who saw confidential details of this neighbourhood's problems, newest first. Lazy: one
    query a page."""
    return (
        ConfidentialView.objects.filter(problem__neighbourhood=hood)
        .select_related("user", "problem__category")
        .order_by("-at", "-pk")
    )


def team_panel_context(problem: Problem, access: Access) -> dict[str, Any]:
    """What templates/problems/_team_panel.html needs besides `problem` and `access` (no
    query).

    A template cannot call access.moves(problem); the problem page puts them in its context as
    `moves`. Without them the panel still links to the status page, which offers the forms.
    """
    return {
        "moves": access.moves(problem),
        "may_confirm_chronic": access.may_confirm_chronic(problem),
    }
