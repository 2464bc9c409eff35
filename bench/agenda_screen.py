"""Benchmark: the projector's refresh endpoint (/scherm/<key>/stand/) under 100 pollers.

The venue PC asks every second whether the meeting changed, sending the ETag of what it shows.
Ours: that poll for a meeting in progress (8 agenda items, 30 problems under the current one)
with the current ETag in If-None-Match, as on a real unchanged screen: one indexed query, and
a 304 without a body. Every response must be a 304; a 200 or an error counts as a failure.
Bare: a view behind the same middleware returning a static empty body (bench/bench_urls.py).

    .venv/bin/python bench/agenda_screen.py     # DATABASE_URL: PostgreSQL, see _harness

Prints RESULT lines: throughput relative to bare, our p95 latency and our req/s.
"""

from __future__ import annotations

import html
import random
from datetime import timedelta

from _harness import HOST, Bench, BenchError, Target, bare_path, fetch, main, result, say

SLUG = "bench-agenda-screen"
PROBLEMS = 30
CONNECTIONS = 100

WHAT = [
    "Afval naast de containers",
    "Hangjongeren bij het winkelcentrum",
    "Te hard rijden langs de school",
    "Donker fietspad",
    "Graffiti op de geluidswal",
    "Scooters op de stoep",
    "Kapotte bankjes in het park",
    "Harde muziek in het weekend",
]
STREETS = ["Marshalllaan", "Trumanlaan", "Rooseveltlaan", "Churchilllaan", "Europaplein"]


def build_data() -> tuple[str, list[str]]:
    """Replace this benchmark's data: a meeting in progress at "Stand van de buurt", just
    before "Nieuwe problemen". Returns its projector key and the problems' public titles."""
    from django.db import transaction
    from django.db.models import F
    from django.utils import timezone

    from meetings import services as meeting_services
    from meetings.planning.models import AgendaItem, Meeting
    from problems.models import Category, Problem
    from problems.workflow import Status
    from residents.models import Municipality, Neighbourhood

    rng = random.Random(20261208)  # the same meeting on every run
    now = timezone.now()
    with transaction.atomic():
        say("removing the previous run's benchmark data")
        Neighbourhood.objects.filter(slug=SLUG).delete()
        say(f"building data: a meeting in progress, 8 agenda items, {PROBLEMS} new problems")
        municipality, _ = Municipality.objects.get_or_create(
            slug="bench-agenda-gemeente", defaults={"name": "Agendagemeente (benchmark)"}
        )
        hood = Neighbourhood.objects.create(
            municipality=municipality, name="Kanaleneiland-Noord", slug=SLUG
        )
        categories = list(Category.objects.all())
        problems = []
        for n in range(PROBLEMS):
            category = rng.choice(categories)
            problems.append(
                Problem(
                    neighbourhood=hood,
                    category=category,
                    title=f"{rng.choice(WHAT)} ({n})",
                    description="Beschrijving van het probleem. " * 6,
                    street=rng.choice(STREETS),
                    location_detail=f"nr. {rng.randint(1, 200)}",
                    status=Status.CANDIDATE,
                    sensitive=category.sensitive,
                    support_count=rng.randint(0, 20),
                    created_at=now - timedelta(days=20),
                    accepted_at=now - timedelta(days=18),
                )
            )
        Problem.objects.bulk_create(problems)
        # The default CAPS agenda (8 items); "Nieuwe problemen" takes in the candidates.
        meeting = meeting_services.meeting_create(
            neighbourhood=hood,
            starts_at=now - timedelta(minutes=40),
            ends_at=now + timedelta(hours=2),
            place="Buurthuis De Linde",
        )
        meeting_services.agenda_publish(meeting=meeting)
        state = meeting.items.get(kind=AgendaItem.Kind.STATE)
        # Started 40 minutes ago and now at "Stand van de buurt": written directly, what
        # meeting_start and meeting_go_to write (the poll reads only the version).
        Meeting.objects.filter(pk=meeting.pk).update(
            status=Meeting.Status.IN_PROGRESS,
            started_at=now - timedelta(minutes=40),
            current_item=state,
            version=F("version") + 1,
        )
        AgendaItem.objects.filter(pk=state.pk).update(started_at=now - timedelta(minutes=3))
        meeting.refresh_from_db()
    new_problems = meeting.items.get(kind=AgendaItem.Kind.NEW_PROBLEMS)
    items = meeting.items.count()
    on_item = new_problems.links.count()
    if items != 8 or on_item != PROBLEMS or new_problems.position != state.position + 1:
        raise BenchError(f"expected 8 items and {PROBLEMS} problems, built {items} and {on_item}")
    vacuum_analyze()
    say(f"data: meeting {meeting.pk}, {items} items, {on_item} problems under the next one")
    titles = [
        p.public_title
        for p in Problem.objects.filter(neighbourhood=hood).select_related("category")
    ]
    return meeting.projector_key, titles


def vacuum_analyze() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for table in (
            "meetings_meeting",
            "meetings_agendaitem",
            "meetings_agendaitemproblem",
            "problems_problem",
        ):
            cursor.execute(f"VACUUM ANALYZE {table}")


def poll_queries(path: str, etag: str) -> list[str]:
    """The SQL an unchanged poll runs, in this process."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST=HOST)
    client.get(path, HTTP_IF_NONE_MATCH=etag)  # warm
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, HTTP_IF_NONE_MATCH=etag)
    if response.status_code != 304:
        raise BenchError(f"{path} answered {response.status_code} in-process, expected 304")
    return [q["sql"] for q in queries.captured_queries]


def go_to_next_item(key: str) -> None:
    """What the chair's "Volgende agendapunt" writes (meeting_services.meeting_go_to): on to
    "Nieuwe problemen", and the meeting's version goes up."""
    from django.db.models import F
    from django.utils import timezone

    from meetings.planning.models import AgendaItem, Meeting

    meeting = Meeting.objects.select_related("current_item").get(projector_key=key)
    following = meeting.items.get(position=meeting.current_item.position + 1)
    AgendaItem.objects.filter(pk=following.pk).update(started_at=timezone.now())
    Meeting.objects.filter(pk=meeting.pk).update(current_item=following, version=F("version") + 1)


def run() -> None:
    with Bench("agenda_screen") as bench:
        bench.prepare_database()
        key, titles = build_data()
        path = f"/scherm/{key}/stand/"

        with bench.server() as server:
            url = server.url(path)
            first = fetch(url)
            if first.status != 200 or "etag" not in first.headers:
                raise BenchError(f"{path} answered {first.status} without an ETag")
            stale = first.headers["etag"]
            if fetch(url, headers={"If-None-Match": stale}).status != 304:
                raise BenchError("an unchanged meeting does not answer 304")
            # The chair moves on: the old ETag must now get the new stage, with a new ETag.
            go_to_next_item(key)
            changed = fetch(url, headers={"If-None-Match": stale})
            etag = changed.headers.get("etag", "")
            if changed.status != 200 or not etag or etag == stale:
                raise BenchError(f"after a change the poll answered {changed.status}, {etag!r}")
            text = changed.body.decode()
            missing = [t for t in titles if html.escape(t) not in text]
            if missing:
                raise BenchError(f"the new item's stage lacks {len(missing)} of its problems")
            say(f"the poll follows the chair: ETag {stale} -> {etag} ({len(changed.body)} bytes)")

            queries = poll_queries(path, etag)
            say(f"an unchanged poll runs {len(queries)} SQL query: {queries[0][:150]}")
            if len(queries) != 1:
                raise BenchError(f"an unchanged poll runs {len(queries)} queries, not 1")
            bench.close_database_connections()

            ours = Target("ours", url, headers={"If-None-Match": etag}, expected_status=304)
            if ours.check().body:
                raise BenchError("the 304 has a body")
            bare = Target("bare", server.url(bare_path(0)))
            if bare.check().body:
                raise BenchError("the bare view's body is not empty like a 304")
            say(f"every response must be a 304 (ETag {etag}); bare answers 200 with no body")
            comparison = bench.alternate(ours, bare, connections=CONNECTIONS, server=server)
            ours.check()  # still unchanged: all of the load measured 304s

    result("projector_poll_vs_bare", comparison.ratio, "ratio")
    result("projector_poll_p95", comparison.ours_p95_ms, "ms", digits=1)
    result("projector_poll_rps", comparison.ours_rps, "req/s", digits=0)


if __name__ == "__main__":
    main(run)
