"""Reads of the problem register for its pages and the open data API: the register's rows, a
problem's page, "Mijn meldingen", similar problems while a report is typed. Writes are
problems.services. The team's queue and log are problems/team/selectors.py."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from django.contrib.postgres.search import TrigramWordSimilarity
from django.db import connection
from django.db.models import Case, CharField, F, IntegerField, Prefetch, Q, QuerySet, Value, When
from django.db.models.functions import Concat

from problems.access import Access
from problems.models import PUBLIC_Q, Category, Follow, Problem, Support, TimelineEntry
from residents.models import Neighbourhood, User

# The register's orders, by the name its sort filter sends.
SORTS: dict[str, tuple[str, ...]] = {
    "support": ("-support_count", "-activity_at", "-pk"),
    "newest": ("-created_at", "-pk"),
    "activity": ("-activity_at", "-pk"),
}
# What a register row needs: the list never loads descriptions, confidential details or JSON.
LIST_FIELDS = (
    "neighbourhood_id",
    "category_id",
    "title",
    "street",
    "location_detail",
    "status",
    "sensitive",
    "public_summary",
    "support_count",
    "created_at",
    "accepted_at",
    "activity_at",
    "chronic_confirmed_at",
    "discussed_count",
    "reopened_count",
)

SIMILAR_LIMIT = 5
SIMILAR_MIN_LENGTH = 3
TRIGRAM_THRESHOLD = 0.3
MAX_QUERY_WORDS = 8
# Short, common Dutch and English words that say nothing about which problem it is.
# fmt: off
STOPWORDS = frozenset((
    "aan", "achter", "bij", "daar", "dan", "door", "een", "het", "hier", "hun", "maar", "met",
    "naar", "niet", "nog", "ook", "over", "steeds", "veel", "voor", "weer", "zijn",
    "and", "for", "from", "near", "the", "with",
))
# fmt: on


# --- The register and a problem's page --------------------------------------------------------


def register_problems(
    hood: Neighbourhood,
    *,
    category: str = "",
    status: str = "",
    street: str = "",
    sort: str = "",
) -> QuerySet[Problem]:
    """The public problems of a neighbourhood for the register, filtered and in the chosen
    order (most support by default), with only what a row shows. Lazy: one query a page."""
    problems = Problem.objects.for_neighbourhood(hood).public().only(*LIST_FIELDS)
    if category:
        problems = problems.filter(category__slug=category)
    if status:
        problems = problems.filter(status=status)
    if street:
        problems = problems.filter(street__icontains=street)
    return problems.order_by(*SORTS[sort or "support"])


def is_supporting(problem: Problem, user: Any) -> bool:
    """The person said they have this problem too (one query)."""
    return Support.objects.filter(problem=problem, user=user).exists()


def is_following(problem: Problem, user: Any) -> bool:
    """The person gets the problem's status mails (one query)."""
    return Follow.objects.filter(problem=problem, user=user).exists()


def people_shown(problem: Problem, access: Access) -> dict[int, User]:
    """The reporter (when this person may see them) and, for the team, who entered it, by
    primary key (one query; none when neither is shown)."""
    ids = []
    if problem.reporter_id and access.sees_reporter(problem):
        ids.append(problem.reporter_id)
    if access.team and problem.entered_by_id:
        ids.append(problem.entered_by_id)
    return User.objects.in_bulk(ids) if ids else {}


def problem_timeline(problem: Problem, *, team: bool) -> QuerySet[TimelineEntry]:
    """The problem's timeline with the other problem of a merge, and for the team who acted.
    Lazy: one query."""
    timeline = TimelineEntry.objects.filter(problem=problem).select_related("other__category")
    if team:
        timeline = timeline.select_related("actor")
    return timeline


# --- Mijn meldingen ---------------------------------------------------------------------------


def reported_by(user: User) -> list[Problem]:
    """One's own reports, any status and neighbourhood, newest first (one query)."""
    return list(
        Problem.objects.select_related("category", "neighbourhood")
        .filter(reporter=user)
        .order_by("-created_at", "-pk")
    )


def involved_in(user: User) -> list[Problem]:
    """Public problems of others that one follows or supports, most recently active first (one
    query). Others' new reports stay with the team."""
    return list(
        Problem.objects.select_related("category", "neighbourhood")
        .filter(Q(follows__user=user) | Q(supports__user=user))
        .filter(PUBLIC_Q)
        .exclude(reporter=user)
        .distinct()
        .order_by("-activity_at", "-pk")
    )


def supported_ids(user: Any, problems: Iterable[Problem]) -> set[int]:
    """Which of these problems the person supports, by primary key (one query; none for no
    problems)."""
    pks = [problem.pk for problem in problems]
    if not pks:
        return set()
    return set(
        Support.objects.filter(user=user, problem__in=pks).values_list("problem_id", flat=True)
    )


# --- Similar problems while reporting ---------------------------------------------------------


def title_words(title: str) -> list[str]:
    """The words of a title that say which problem it is (no query)."""
    words = [w for w in re.findall(r"\w+", title.lower()) if len(w) >= 3 and w not in STOPWORDS]
    return list(dict.fromkeys(words))[:MAX_QUERY_WORDS]


def similar_problems(neighbourhood: Neighbourhood, title: str) -> list[Problem]:
    """Up to five public, open problems here whose public title looks like `title` (one
    query; none for a title too short).

    Sensitive problems are matched on what everyone may see of them (their public summary,
    or their category and street), never on the title the reporter typed.
    """
    title = " ".join(title.split())[: Problem._meta.get_field("title").max_length]
    words = title_words(title)
    if len(title) < SIMILAR_MIN_LENGTH or not words:
        return []
    problems = (
        Problem.objects.for_neighbourhood(neighbourhood)
        .actionable()  # the ones a resident can support instead of reporting again
        .select_related("category", "neighbourhood")
        .alias(
            public_text=Case(
                When(sensitive=False, then=F("title")),
                When(~Q(public_summary=""), then=F("public_summary")),
                default=Concat(
                    F("category__name"), Value(" "), F("street"), output_field=CharField()
                ),
                output_field=CharField(),
            )
        )
    )
    if connection.vendor == "postgresql":
        problems = (
            problems.annotate(likeness=TrigramWordSimilarity(" ".join(words), "public_text"))
            .filter(likeness__gte=TRIGRAM_THRESHOLD)
            .order_by("-likeness", "-support_count", "-pk")
        )
    else:
        hits = sum(
            (
                Case(
                    When(public_text__icontains=word, then=Value(1)),
                    default=Value(0),
                    output_field=IntegerField(),
                )
                for word in words
            ),
            Value(0, output_field=IntegerField()),
        )
        problems = (
            problems.annotate(likeness=hits)
            .filter(likeness__gt=0)
            .order_by("-likeness", "-support_count", "-pk")
        )
    return list(problems[:SIMILAR_LIMIT])


# --- The open data API ------------------------------------------------------------------------


def public_problems() -> QuerySet[Problem]:
    """Public problems, most recently active first, without what the API never shows. Lazy:
    one query."""
    # Deferred: a stray use of them would show as an extra query per row in the tests.
    return (
        Problem.objects.public()
        .select_related("neighbourhood", "category")
        .defer("confidential_details", "reported_for", "reporter", "entered_by")
        .order_by("-activity_at", "-pk")
    )


def public_problems_with_timeline() -> QuerySet[Problem]:
    """public_problems() with each one's timeline (public fields only) as `public_timeline`.
    Lazy: two queries."""
    timeline = TimelineEntry.objects.only(
        "problem_id",
        "move",
        "from_status",
        "to_status",
        "public_note",
        "at",
        "actor_role",
        "other",
    ).order_by("at", "pk")
    return public_problems().prefetch_related(
        Prefetch("timeline", queryset=timeline, to_attr="public_timeline")
    )


def categories_in_order() -> QuerySet[Category]:
    """Every category in the order the register shows them. Lazy: one query."""
    return Category.objects.order_by("position", "name", "pk")
