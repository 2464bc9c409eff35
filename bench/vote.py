"""Benchmark: casting a ballot in a priority round (POST /buurt/<slug>/stemmen/<round>/).

Ours: 50 concurrent clients, each logged in as a different resident with a real session and
its own CSRF token, POST a valid ballot (`points-<candidate>` for the round's 8 candidates,
different from one request to the next) to the ballot page of an open round; the page saves
it and redirects (303). The round belongs to a neighbourhood of 250 residents, 200 of whom
voted already. Bare: the same POSTs (same sessions, tokens and bodies) to a view behind the
same middleware that returns an empty 200 (bench/bench_urls.py).

wrk runs one thread per connection, so that each connection keeps its own resident: the Lua
script's thread_setup() hands every thread one session cookie and token, and its request()
varies the ballot.

    .venv/bin/python bench/vote.py     # DATABASE_URL: PostgreSQL, see _harness

Prints RESULT lines: throughput relative to bare, our p95 latency and our req/s.
"""

from __future__ import annotations

import random
import re
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from _harness import (
    Bench,
    BenchError,
    Target,
    _lua_string,
    bare_path,
    fetch,
    main,
    result,
    say,
)

SLUG = "bench-vote"
EMAIL_DOMAIN = "vote.bench.invalid"
RESIDENTS = 250
CANDIDATES = 8
CLIENTS = 50  # concurrent connections, each its own resident (and its own wrk thread)
BALLOTS_IN_SCRIPT = 64  # different ballots the clients cycle through

WHAT = [
    "Afval naast de containers",
    "Hangjongeren bij het winkelcentrum",
    "Te hard rijden langs de school",
    "Donker fietspad",
    "Graffiti op de geluidswal",
    "Inbraken in bergingen",
    "Scooters op de stoep",
    "Harde muziek in het weekend",
]


def spread(rng: random.Random, candidates: list[int], points: int, most: int) -> dict[int, int]:
    """A random valid ballot: all `points` over the candidates, at most `most` on one."""
    ballot = dict.fromkeys(candidates, 0)
    left = points
    while left:
        pk = rng.choice(candidates)
        if ballot[pk] < most:
            ballot[pk] += 1
            left -= 1
    return ballot


def build_data() -> tuple[Any, list[Any], list[int]]:
    """Replace this benchmark's data; return the open round, the residents and candidate ids."""
    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from django.utils import timezone

    from meetings.planning.models import Meeting
    from meetings.rounds.models import Ballot, BallotPoint
    from meetings.rounds.services import round_create, round_open
    from problems.models import Category, Problem
    from problems.workflow import Status
    from residents.models import Membership, Municipality, Neighbourhood, Role, User

    rng = random.Random(20261206)
    with transaction.atomic():
        say("removing the previous run's benchmark data")
        Neighbourhood.objects.filter(slug=SLUG).delete()
        User.objects.filter(email__endswith=f"@{EMAIL_DOMAIN}").delete()

        say(f"building data: a neighbourhood with {RESIDENTS} residents, an open round")
        municipality, _ = Municipality.objects.get_or_create(
            slug="bench-vote-gemeente", defaults={"name": "Stemgemeente (benchmark)"}
        )
        hood = Neighbourhood.objects.create(
            municipality=municipality, name="Hoograven-Noord", slug=SLUG
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
        categories = list(Category.objects.filter(sensitive=False))
        now = timezone.now()
        Problem.objects.bulk_create(
            Problem(
                neighbourhood=hood,
                category=rng.choice(categories),
                title=title,
                description="Beschrijving van het probleem. " * 6,
                street="Van Bijnkershoeklaan",
                status=Status.CANDIDATE,
                reporter=rng.choice(users),
                support_count=CANDIDATES - n,
                created_at=now - timedelta(days=30),
                accepted_at=now - timedelta(days=28),
                activity_at=now - timedelta(days=2),
            )
            for n, title in enumerate(WHAT[:CANDIDATES])
        )
        starts = now + timedelta(days=3)
        meeting = Meeting.objects.create(
            neighbourhood=hood,
            starts_at=starts,
            ends_at=starts + timedelta(hours=2),
            place="Buurthuis",
            status=Meeting.Status.AGENDA_PUBLISHED,
            agenda_published_at=now,
        )
        priority_round = round_open(priority_round=round_create(meeting=meeting))
        candidates = list(
            priority_round.candidates.order_by("position").values_list("pk", flat=True)
        )
        if len(candidates) != CANDIDATES:
            raise BenchError(f"the round has {len(candidates)} candidates, not {CANDIDATES}")
        # Those who are not among the clients voted already (online, a few on paper).
        earlier = users[CLIENTS:]
        ballots = Ballot.objects.bulk_create(
            Ballot(
                round=priority_round,
                voter=u,
                source=Ballot.Source.PAPER if n % 10 == 0 else Ballot.Source.ONLINE,
            )
            for n, u in enumerate(earlier)
        )
        BallotPoint.objects.bulk_create(
            BallotPoint(ballot=b, candidate_id=pk, points=amount)
            for b in ballots
            for pk, amount in spread(
                rng, candidates, priority_round.points, priority_round.max_per_problem
            ).items()
            if amount
        )
    vacuum_analyze()
    say(
        f"data: round {priority_round.pk} with {len(candidates)} candidates, {len(ballots)} ballots"
    )
    return priority_round, users[:CLIENTS], candidates


def vacuum_analyze() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for table in (
            "problems_priorityround",
            "problems_roundcandidate",
            "problems_ballot",
            "problems_ballotpoint",
            "django_session",
        ):
            cursor.execute(f"VACUUM ANALYZE {table}")


def lua_table(values: list[str]) -> str:
    return "{" + ", ".join(_lua_string(v) for v in values) + "}"


def vote_lua(path: str, sessions: list[tuple[str, str]], ballots: list[str]) -> str:
    """Each wrk thread (one connection) is one resident; every request a different ballot."""
    cookies = lua_table([cookie for cookie, _token in sessions])
    tokens = lua_table([token for _cookie, token in sessions])
    return f"""
local COOKIES = {cookies}
local TOKENS = {tokens}
local BALLOTS = {lua_table(ballots)}
local PATH = {_lua_string(path)}
function thread_setup(thread, n)
  local i = (n - 1) % #COOKIES + 1
  thread:set("cookie", COOKIES[i])
  thread:set("token", TOKENS[i])
  thread:set("offset", n)
end
local sent = 0
function request()
  sent = sent + 1
  local body = BALLOTS[(sent + offset) % #BALLOTS + 1] .. "&csrfmiddlewaretoken=" .. token
  return wrk.format("POST", PATH, {{
    ["Cookie"] = cookie,
    ["Content-Type"] = "application/x-www-form-urlencoded",
  }}, body)
end
"""


def sessions_for(users: list[Any]) -> list[tuple[str, str, dict[str, str]]]:
    """(Cookie header, CSRF token, cookies) per resident: a real session and a real token."""
    from _harness import csrf_credentials, login_cookies

    out = []
    for user in users:
        # Residents are never asked for a second factor: a plain login session is enough.
        session = login_cookies(user)
        csrf_cookies, csrf_headers = csrf_credentials()
        token = next(iter(csrf_headers.values()))
        cookies = {**session, **csrf_cookies}
        header = "; ".join(f"{k}={v}" for k, v in cookies.items())
        out.append((header, token, cookies))
    return out


def post_queries(path: str, cookies: dict[str, str], body: str) -> list[str]:
    """The SQL one ballot POST runs, in this process (with the session of a resident)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1", enforce_csrf_checks=True)
    for name, value in cookies.items():
        client.cookies[name] = value
    kind = "application/x-www-form-urlencoded"
    client.post(path, body, content_type=kind)  # warm: first-use queries do not count
    with CaptureQueriesContext(connection) as queries:
        response = client.post(path, body, content_type=kind)
    if response.status_code not in (302, 303):
        raise BenchError(f"POST {path} answered {response.status_code} in-process")
    return [q["sql"] for q in queries.captured_queries]


def run() -> None:
    with Bench("vote") as bench:
        bench.prepare_database()
        from django.urls import NoReverseMatch, reverse

        from meetings.rounds.models import Ballot, PriorityRound

        priority_round, clients, candidates = build_data()
        try:
            path = reverse("rounds:ballot", args=[SLUG, priority_round.pk])
        except NoReverseMatch as exc:
            raise BenchError("there is no URL named 'ballot' (the ballot page) yet") from exc
        rng = random.Random(7)
        budget = (priority_round.points, priority_round.max_per_problem)
        ballots = [
            urlencode({f"points-{pk}": n for pk, n in spread(rng, candidates, *budget).items()})
            for _ in range(BALLOTS_IN_SCRIPT)
        ]
        say(f"creating {len(clients)} sessions and CSRF tokens, one per resident")
        sessions = sessions_for(clients)

        queries = post_queries(
            path, sessions[0][2], f"{ballots[0]}&csrfmiddlewaretoken={sessions[0][1]}"
        )
        say(f"POST {path} runs {len(queries)} SQL queries per ballot:")
        for sql in queries:
            say("    " + re.sub(r"^SELECT .*? FROM ", "SELECT ... FROM ", sql)[:160])

        lua_sessions = [(header, token) for header, token, _cookies in sessions]
        with bench.server() as server:
            # Every session must be able to vote before the load starts.
            statuses, size = set(), 0
            for header, token, _cookies in sessions:
                response = fetch(
                    server.url(path),
                    "POST",
                    {"Cookie": header, "Content-Type": "application/x-www-form-urlencoded"},
                    f"{ballots[1]}&csrfmiddlewaretoken={token}".encode(),
                )
                statuses.add(response.status)
                size = len(response.body)
            if len(statuses) != 1 or not statuses <= {302, 303}:
                raise BenchError(f"the residents' ballot POSTs answered {sorted(statuses)}")
            status = statuses.pop()
            say(f"each of the {len(sessions)} residents can vote: {status}, body {size} bytes")
            version = PriorityRound.objects.values_list("version", flat=True).get(
                pk=priority_round.pk
            )

            # The static request (checked once before the load) is the first resident's.
            first_header, first_token, _cookies = sessions[0]
            headers = {"Cookie": first_header, "Content-Type": "application/x-www-form-urlencoded"}
            body = f"{ballots[0]}&csrfmiddlewaretoken={first_token}"
            ours = Target(
                "ours",
                server.url(path),
                method="POST",
                headers=headers,
                body=body,
                expected_status=status,  # any other status, 200 with an error included, fails
                lua=vote_lua(path, lua_sessions, ballots),
            )
            bare_url = bare_path(size)
            bare = Target(
                "bare",
                server.url(bare_url),
                method="POST",
                headers=headers,
                body=body,
                lua=vote_lua(bare_url, lua_sessions, ballots),
            )
            if len(bare.check().body) != size:
                raise BenchError("the bare view's body is not the size of our response")
            comparison = bench.alternate(
                ours, bare, connections=CLIENTS, threads=CLIENTS, server=server
            )

        # Every vote the server answered is stored: one ballot per resident, within budget.
        priority_round.refresh_from_db()
        stored = Ballot.objects.filter(round=priority_round, voter__in=clients).count()
        if stored != len(clients):
            raise BenchError(f"{stored} of the {len(clients)} residents have a ballot stored")
        ours_requests = sum(r.requests for r in comparison.ours)
        say(
            f"round version rose by {priority_round.version - version} during the runs "
            f"({ours_requests} measured ballot POSTs, plus warm-up and checks); "
            f"{Ballot.objects.filter(round=priority_round).count()} ballots in the round"
        )

    result("vote_vs_bare", comparison.ratio, "ratio")
    result("vote_p95_ms", comparison.ours_p95_ms, "ms", digits=1)
    result("vote_rps", comparison.ours_rps, "req/s", digits=0)


if __name__ == "__main__":
    main(run)
