"""Benchmark: the public problem register of a neighbourhood (/buurt/<slug>/problemen/).

Ours: the first page (50 rows, sorted by support) of a neighbourhood with 5,000 problems in
every status and category, anonymous GET. Bare: a view behind the same middleware returning a
static body of the same size (bench/bench_urls.py).

    .venv/bin/python bench/register.py     # DATABASE_URL: PostgreSQL, see _harness

Prints RESULT lines: throughput relative to bare, our p95 latency and our req/s.
"""

from __future__ import annotations

import html
import random
import re
from datetime import timedelta

from _harness import Bench, BenchError, Target, bare_path, main, result, say

SLUG = "bench-register"
EMAIL_DOMAIN = "register.bench.invalid"
PROBLEMS = 5_000
RESIDENTS = 400
ROWS = 50

STREETS = (  # noqa: SIM905 - readable as prose
    "Marshalllaan Trumanlaan Rooseveltlaan Churchilllaan Bernadottelaan Columbuslaan "
    "Amerikalaan Aziëlaan Afrikalaan Australiëlaan Europaplein Beneluxlaan"
).split()
WHAT = [
    "Afval naast de containers",
    "Hangjongeren bij het winkelcentrum",
    "Te hard rijden langs de school",
    "Donker fietspad",
    "Graffiti op de geluidswal",
    "Inbraken in bergingen",
    "Leegstaand pand raakt in verval",
    "Scooters op de stoep",
    "Kapotte bankjes in het park",
    "Harde muziek in het weekend",
]


def build_data() -> list[str]:
    """Replace this benchmark's data; return the titles the first page must show."""
    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from django.utils import timezone

    from problems.models import Category, Problem, Support
    from problems.workflow import Status
    from residents.models import Membership, Municipality, Neighbourhood, Role, User

    rng = random.Random(20261129)  # the same register on every run
    with transaction.atomic():
        say("removing the previous run's benchmark data")
        Neighbourhood.objects.filter(slug=SLUG).delete()
        User.objects.filter(email__endswith=f"@{EMAIL_DOMAIN}").delete()

        say(f"building data: one neighbourhood with {PROBLEMS} problems, {RESIDENTS} residents")
        municipality, _ = Municipality.objects.get_or_create(
            slug="bench-register-gemeente", defaults={"name": "Registergemeente (benchmark)"}
        )
        hood = Neighbourhood.objects.create(
            municipality=municipality, name="Kanaleneiland-Zuid", slug=SLUG
        )
        users = User.objects.bulk_create(
            User(
                email=f"r{n}@{EMAIL_DOMAIN}",
                display_name=f"Bewoner {n}",
                password=make_password(None),
            )
            for n in range(RESIDENTS)
        )
        Membership.objects.bulk_create(
            Membership(user=u, neighbourhood=hood, role=Role.RESIDENT, status="active")
            for u in users
        )
        categories = list(Category.objects.all())
        statuses = [s for s in Status if s != Status.MERGED]
        now = timezone.now()
        problems = []
        for n in range(PROBLEMS):
            category = rng.choice(categories)
            reported = now - timedelta(days=rng.randint(0, 700), minutes=n)
            problems.append(
                Problem(
                    neighbourhood=hood,
                    category=category,
                    title=f"{rng.choice(WHAT)} ({n})",
                    description="Beschrijving van het probleem. " * 8,
                    street=rng.choice(STREETS),
                    location_detail=f"nr. {rng.randint(1, 200)}",
                    status=rng.choice(statuses),
                    sensitive=category.sensitive,
                    reporter=rng.choice(users),
                    created_at=reported,
                    accepted_at=reported + timedelta(days=2),
                    activity_at=reported + timedelta(days=rng.randint(2, 60)),
                )
            )
        problems = Problem.objects.bulk_create(problems, batch_size=1000)
        supports = []
        for problem in problems:
            if problem.status == Status.NEW:
                continue
            for user in rng.sample(users, rng.choice([0, 0, 1, 2, 3, 5, 8, 13])):
                supports.append(Support(problem=problem, user=user))
        Support.objects.bulk_create(supports, batch_size=2000)
        for problem in problems:  # the denormalised count the list sorts on
            problem.support_count = 0
        counts: dict[int, int] = {}
        for support in supports:
            counts[support.problem_id] = counts.get(support.problem_id, 0) + 1
        for problem in problems:
            problem.support_count = counts.get(problem.pk, 0)
        Problem.objects.bulk_update(problems, ["support_count"], batch_size=1000)
    vacuum_analyze()  # as autovacuum would have by now: fresh statistics, a visibility map
    first_page = (
        Problem.objects.filter(neighbourhood__slug=SLUG)
        .public()
        .order_by("-support_count", "-activity_at", "-pk")[:ROWS]
    )
    titles = [p.public_title for p in first_page.select_related("category")]
    say(f"data: {len(problems)} problems, {len(supports)} supports")
    return titles


def vacuum_analyze() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for table in ("problems_problem", "problems_support", "problems_category"):
            cursor.execute(f"VACUUM ANALYZE {table}")


def run() -> None:
    with Bench("register") as bench:
        bench.prepare_database()
        titles = build_data()
        path = f"/buurt/{SLUG}/problemen/"

        queries = bench.count_queries(path)
        say(f"{path} runs {len(queries)} SQL queries per anonymous request:")
        for sql in queries:
            say("    " + re.sub(r"^SELECT .*? FROM ", "SELECT ... FROM ", sql)[:160])

        with bench.server() as server:
            ours = Target("ours", server.url(path))
            page = ours.check()
            text = page.body.decode()
            missing = [t for t in titles if html.escape(t) not in text]
            if missing:
                raise BenchError(f"the first page does not show {len(missing)} of the top rows")
            size = len(page.body)
            bare = Target("bare", server.url(bare_path(size)))
            if len(bare.check().body) != size:
                raise BenchError("the bare view's body is not the size of the page")
            say(f"page is {size} bytes with the {ROWS} most supported problems; bare matches")
            comparison = bench.alternate(ours, bare, server=server)

    result("register_vs_bare", comparison.ratio, "ratio")
    result("register_p95", comparison.ours_p95_ms, "ms", digits=1)
    result("register_rps", comparison.ours_rps, "req/s", digits=0)


if __name__ == "__main__":
    main(run)
