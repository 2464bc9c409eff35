"""Benchmark: the public accountability page (/buurt/<slug>/verantwoording/), in-process.

Builds a city on PostgreSQL twice, each time inside a transaction that is rolled back at the
end (nothing stays behind): 10 neighbourhoods with 100 actions, and 200 neighbourhoods with
20,000 actions, with their problems (priorities, some sensitive), past meetings, progress
updates, moved dates and the room's judgements, in a realistic spread of statuses and dates.
For one neighbourhood of average size (10 and 100 actions) it counts the SQL queries of an
anonymous request for the page through the test Client (CaptureQueriesContext), checks the
page's numbers against a plain Python recount of the same records, and at the large size
times repeated requests.

Target: at most 12 queries per page, the same number at both sizes (meetings.actions.accountability
reads it in five queries plus the neighbourhood's).

    .venv/bin/python bench/accountability.py     # DATABASE_URL: PostgreSQL, see _harness

Prints RESULT lines: the query count at both sizes and the median time of a request at the
large size.
"""

from __future__ import annotations

import random
import statistics
import time
from collections import Counter
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from _harness import HOST, Bench, BenchError, database_url, main, result, say

SIZES = [(10, 100), (200, 20_000)]  # (neighbourhoods, actions)
RENDERS = 40
SLUG_PREFIX = "bench-acc"
MAX_QUERIES = 12

ORGANISATIONS = [
    ("Politie (benchmark)", "police"),
    ("Gemeente (benchmark)", "municipality"),
    ("Handhaving (benchmark)", "municipality"),
    ("Woningcorporatie Thuisbasis (benchmark)", "housing"),
    ("Stichting Woonkracht (benchmark)", "housing"),
    ("Buurtwerk (benchmark)", "community_work"),
    ("Jongerenwerk (benchmark)", "youth_work"),
]
OUTCOMES = [
    "De glasbak wordt twee keer per week geleegd",
    "Extra surveillance op vrijdagavond tussen 21 en 24 uur",
    "De kapotte lantaarnpalen langs het fietspad zijn vervangen",
    "Gesprek met de jongeren en hun ouders gevoerd",
    "Een verkeersdrempel bij de school geplaatst",
    "Portiek schoongemaakt en het slot gerepareerd",
    "Buurtschoonmaak met bewoners georganiseerd",
    "Graffiti binnen een week verwijderd",
]
PROBLEMS = [
    "Afval naast de containers",
    "Hangjongeren bij het winkelcentrum",
    "Te hard rijden langs de school",
    "Donker fietspad",
    "Graffiti op de geluidswal",
    "Scooters op de stoep",
]
STREETS = ["Marshalllaan", "Trumanlaan", "Rooseveltlaan", "Churchilllaan", "Europaplein"]
# (status, weight) of the actions; waiting only for residents' own actions.
STATUS_WEIGHTS = [
    ("done", 45),
    ("in_progress", 20),
    ("open", 15),
    ("not_feasible", 7),
    ("cancelled", 8),
    ("waiting", 5),
]


def require_postgresql() -> None:
    scheme = urlsplit(database_url()).scheme
    if scheme not in {"postgres", "postgresql"}:
        raise BenchError(f"this benchmark runs on PostgreSQL only, not {scheme!r} (DATABASE_URL)")


def spread(total: int, parts: int, target: int, rng: random.Random) -> list[int]:
    """`total` actions over `parts` neighbourhoods: the first gets `target`, the rest vary."""
    weights = [rng.lognormvariate(0, 0.6) for _ in range(parts - 1)]
    rest = total - target
    counts = [max(1, round(rest * w / sum(weights))) for w in weights]
    counts[-1] += rest - sum(counts)
    return [target, *counts]


def build_city(size: tuple[int, int], rng: random.Random) -> Any:
    """Build a city of `size` (neighbourhoods, actions); return the measured neighbourhood."""
    from django.utils import timezone

    from meetings.actions.models import ACTION_ACTIVE, Action, ActionUpdate, Judgement
    from meetings.planning.models import Meeting
    from problems.models import Category, Problem
    from problems.workflow import Status
    from residents.models import Municipality, Neighbourhood, Organisation

    hoods_n, actions_n = size
    now = timezone.now()
    today = timezone.localdate()
    municipality = Municipality.objects.create(
        name=f"Benchmarkstad {hoods_n}", slug=f"{SLUG_PREFIX}-{hoods_n}"
    )
    organisations = [
        Organisation.objects.get_or_create(name=name, defaults={"kind": kind})[0]
        for name, kind in ORGANISATIONS
    ]
    categories = list(Category.objects.all())
    sensitive = [c for c in categories if c.sensitive]
    hoods = Neighbourhood.objects.bulk_create(
        Neighbourhood(
            municipality=municipality, name=f"Wijk {n}", slug=f"{SLUG_PREFIX}-{hoods_n}-{n}"
        )
        for n in range(hoods_n)
    )
    per_hood = spread(actions_n, hoods_n, actions_n // hoods_n, rng)

    # Problems: a third of a neighbourhood's actions' worth, some priorities, some sensitive.
    problems: list[Problem] = []
    problems_of: dict[int, list[Problem]] = {}
    for hood, count in zip(hoods, per_hood, strict=True):
        hood_problems: list[Problem] = []
        for k in range(max(2, count // 3)):
            category = rng.choice(sensitive if rng.random() < 0.1 else categories)
            problem_status = (
                Status.PRIORITY if k < 4 else rng.choice([Status.ACCEPTED, Status.RESOLVED])
            )
            reported = now - timedelta(days=rng.randint(30, 400))
            hood_problems.append(
                Problem(
                    neighbourhood=hood,
                    category=category,
                    title=f"{rng.choice(PROBLEMS)} ({k})",
                    description="Beschrijving van het probleem. " * 4,
                    street=rng.choice(STREETS),
                    status=problem_status,
                    sensitive=category.sensitive,
                    confidential_details="Vertrouwelijk: adres en namen"
                    if category.sensitive
                    else "",
                    support_count=rng.randint(0, 30),
                    created_at=reported,
                    accepted_at=reported + timedelta(days=2),
                    activity_at=reported + timedelta(days=2),
                )
            )
        problems_of[hood.pk] = hood_problems
        problems.extend(hood_problems)
    Problem.objects.bulk_create(problems, batch_size=2000)

    # Past meetings: one a month for a year, per neighbourhood.
    meetings_of: dict[int, list[Meeting]] = {}
    meetings: list[Meeting] = []
    for hood in hoods:
        hood_meetings: list[Meeting] = []
        for month in range(12, 0, -1):
            starts = now - timedelta(days=30 * month, hours=rng.randint(0, 3))
            hood_meetings.append(
                Meeting(
                    neighbourhood=hood,
                    starts_at=starts,
                    ends_at=starts + timedelta(hours=2),
                    place="Buurthuis",
                    status=Meeting.Status.MINUTES_PUBLISHED,
                )
            )
        meetings_of[hood.pk] = hood_meetings
        meetings.extend(hood_meetings)
    Meeting.objects.bulk_create(meetings, batch_size=2000)

    statuses = [s for s, _ in STATUS_WEIGHTS]
    weights = [w for _, w in STATUS_WEIGHTS]
    actions: list[Action] = []
    for hood, count in zip(hoods, per_hood, strict=True):
        owners = rng.sample(organisations, 4)
        for _ in range(count):
            problem = rng.choice(problems_of[hood.pk])
            created = now - timedelta(days=rng.randint(1, 360), minutes=rng.randint(0, 1440))
            first_due = timezone.localdate(created) + timedelta(days=rng.randint(7, 90))
            owner = None if rng.random() < 0.15 else rng.choice(owners)
            status: str = rng.choices(statuses, weights)[0]
            if status == "waiting" and owner is not None:
                status = "open"
            moved = rng.random() < 0.2
            due = first_due + timedelta(days=rng.randint(7, 60)) if moved else first_due
            done_at = None
            if status == "done":
                done_at = min(now, created + timedelta(days=rng.randint(0, 120), hours=3))
            overdue = status in ACTION_ACTIVE and due < today
            actions.append(
                Action(
                    neighbourhood=hood,
                    problem=problem,
                    outcome=rng.choice(OUTCOMES),
                    owner_organisation=owner,
                    volunteers_needed=4 if status == "waiting" else 0,
                    volunteer_count=rng.randint(0, 3) if status == "waiting" else 0,
                    first_due_date=first_due,
                    due_date=due,
                    status=status,
                    status_reason="Geen budget" if status in ("not_feasible", "cancelled") else "",
                    delay_note="Wacht op de aannemer" if overdue and rng.random() < 0.5 else "",
                    created_at=created,
                    updated_at=done_at or created,
                    done_at=done_at,
                )
            )
    Action.objects.bulk_create(actions, batch_size=2000)

    updates: list[ActionUpdate] = []
    judgements: list[Judgement] = []
    for action in actions:
        kind = ActionUpdate.Kind
        updates.append(
            ActionUpdate(
                action=action,
                kind=kind.AGREED,
                organisation=action.owner_organisation,
                at=action.created_at,
            )
        )
        for step in range(rng.randint(0, 4)):
            updates.append(
                ActionUpdate(
                    action=action,
                    kind=kind.PROGRESS,
                    text=f"Stap {step + 1}: gesprek gevoerd en afspraken gemaakt.",
                    organisation=action.owner_organisation,
                    at=action.created_at + timedelta(days=7 * (step + 1)),
                )
            )
        if action.due_date != action.first_due_date:
            updates.append(
                ActionUpdate(
                    action=action,
                    kind=kind.DUE_DATE,
                    text="Meer tijd nodig",
                    old_due_date=action.first_due_date,
                    new_due_date=action.due_date,
                    organisation=action.owner_organisation,
                    at=action.created_at + timedelta(days=3),
                )
            )
        later = [m for m in meetings_of[action.neighbourhood_id] if m.starts_at > action.created_at]
        for meeting in rng.sample(later, min(len(later), rng.choice([0, 1, 1, 2]))):
            judgements.append(
                Judgement(
                    action=action,
                    meeting=meeting,
                    effect=rng.choice(["better", "better", "same", "worse"]),
                    verdict=rng.choice(["continue", "adjust", "close"]),
                    at=meeting.starts_at + timedelta(hours=1),
                )
            )
    ActionUpdate.objects.bulk_create(updates, batch_size=5000)
    Judgement.objects.bulk_create(judgements, batch_size=5000)
    analyze()
    say(
        f"built {hoods_n} neighbourhoods, {len(problems)} problems, {len(meetings)} meetings, "
        f"{len(actions)} actions, {len(updates)} updates, {len(judgements)} judgements; "
        f"measured neighbourhood: {per_hood[0]} actions"
    )
    return hoods[0]


def analyze() -> None:
    """Planner statistics for the new rows (ANALYZE sees this transaction's own inserts)."""
    from django.db import connection

    with connection.cursor() as cursor:
        for table in (
            "problems_problem",
            "problems_action",
            "problems_actionupdate",
            "problems_judgement",
            "meetings_meeting",
        ):
            cursor.execute(f"ANALYZE {table}")


def recount(hood: Any) -> dict[str, tuple[int, int, int, int, float | None, Counter[str]]]:
    """The page's numbers counted the plain way, one action at a time, with the models."""
    from django.utils import timezone

    from meetings.actions.accountability import RESIDENTS, public_actions

    today = timezone.localdate()
    found: dict[str, list[Any]] = {}
    for action in public_actions(hood).prefetch_related("judgements__meeting"):
        key = (
            RESIDENTS if action.owner_organisation_id is None else str(action.owner_organisation_id)
        )
        row = found.setdefault(key, [0, 0, 0, 0, [], Counter()])
        row[0] += 1
        if action.status == "done":
            row[1] += 1
            row[2] += bool(action.done_on_time)
            assert action.done_at is not None
            row[4].append(
                (timezone.localdate(action.done_at) - timezone.localdate(action.created_at)).days
            )
        row[3] += action.is_active and action.due_date < today
        judged = sorted(action.judgements.all(), key=lambda j: (j.meeting.starts_at, j.meeting_id))
        if judged:
            row[5][judged[-1].effect] += 1
    return {
        key: (a, d, t, o, statistics.median(days) if days else None, effects)
        for key, (a, d, t, o, days, effects) in found.items()
    }


def check_numbers(hood: Any) -> None:
    from meetings.actions.accountability import accountability

    page = accountability(hood)
    shown = {
        row.key: (
            row.agreed,
            row.done,
            row.done_on_time,
            row.overdue,
            row.median_days,
            Counter({"better": row.better, "same": row.same, "worse": row.worse}),
        )
        for row in page.owners
    }
    expected = recount(hood)
    for effects in (*[v[5] for v in shown.values()], *[v[5] for v in expected.values()]):
        for key in [k for k, n in effects.items() if not n]:
            del effects[key]
    if shown != expected:
        raise BenchError(f"the page's numbers differ from a recount:\n{shown}\n{expected}")
    say(f"numbers match a plain recount for {len(shown)} owners ({page.total.agreed} actions)")


def measure(bench: Bench, size: tuple[int, int], rng: random.Random) -> tuple[int, float | None]:
    """Build a city of `size` in a transaction, measure, roll it all back."""
    from django.db import transaction
    from django.test import Client

    with transaction.atomic():
        hood = build_city(size, rng)
        path = f"/buurt/{hood.slug}/verantwoording/"
        check_numbers(hood)
        queries = bench.count_queries(path)
        say(f"{path} runs {len(queries)} SQL queries per anonymous request:")
        for sql in queries:
            say("    " + sql[:150])
        median_ms = None
        if size == SIZES[-1]:
            client = Client(HTTP_HOST=HOST)
            times = []
            for _ in range(RENDERS):
                started = time.perf_counter()
                response = client.get(path)
                times.append((time.perf_counter() - started) * 1000)
                if response.status_code != 200:
                    raise BenchError(f"{path} answered {response.status_code}")
            median_ms = statistics.median(times)
            say(
                f"{RENDERS} requests: median {median_ms:.1f} ms, "
                f"min {min(times):.1f} ms, max {max(times):.1f} ms ({len(response.content)} bytes)"
            )
        transaction.set_rollback(True)  # leave nothing behind
    return len(queries), median_ms


def run() -> None:
    require_postgresql()
    with Bench("accountability", needs_wrk=False) as bench:
        bench.prepare_database()
        rng = random.Random(20261129)  # the same cities on every run
        counts = []
        median_ms = None
        for size in SIZES:
            say(f"city of {size[0]} neighbourhoods and {size[1]} actions")
            count, ms = measure(bench, size, rng)
            counts.append(count)
            median_ms = ms if ms is not None else median_ms
        if len(set(counts)) != 1:
            raise BenchError(f"the query count grows with the data: {counts}")
        if counts[0] > MAX_QUERIES:
            raise BenchError(f"{counts[0]} queries, more than the target of {MAX_QUERIES}")
    for (hoods, actions), count in zip(SIZES, counts, strict=True):
        say(f"at {hoods} neighbourhoods / {actions} actions:")
        result("accountability_queries", count, "queries", digits=0)
    assert median_ms is not None
    result("accountability_ms", median_ms, "ms", digits=1)


if __name__ == "__main__":
    main(run)
