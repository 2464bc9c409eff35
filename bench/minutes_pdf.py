"""Benchmark: the minutes of a 30-item meeting with 120 attendees, rendered to PDF.

Ours: the whole render task (meetings.minutes.tasks.render_minutes, run in this process): it
claims the version, loads the meeting and reads the attendance, renders the HTML, lets
WeasyPrint make both PDFs (normal and large print, tagged PDF/UA-1), stores them through
Django's default storage and marks the version done.

Baseline (BENCHMARKS.md, offline work): the bare library doing the same final work in the same
warm process: WeasyPrint rendering the very same two HTML documents to bytes, with the same
options (no fetching, PDF/UA-1). The ratio is median(task) / median(bare), alternated over five
rounds after a warm-up; the page rate counts the pages of both PDFs per second of the task.

Peak memory: the task once in a fresh process. A small middle process (no Django) starts it and
reads `resource.getrusage(RUSAGE_CHILDREN).ru_maxrss` once it has ended, so nothing of this large
process's memory is carried into the figure; the child's own RUSAGE_SELF is printed beside it.

    .venv/bin/python bench/minutes_pdf.py           # DATABASE_URL: PostgreSQL, see _harness

The data (a neighbourhood, its people, problems, a closed meeting with its record and the
minutes) is committed, because the fresh process must read it, and deleted at the end, also
when the benchmark fails.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import resource
import statistics
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from _harness import (
    Bench,
    BenchError,
    check_quiet,
    child_result,
    main,
    peak_rss_mb,
    result,
    say,
)

ITEMS = 30
ATTENDEES = 120
PROFESSIONALS = 12  # of the attendees; the rest are residents
CONSENTING_SHARE = 0.55  # residents who agree to be named in the minutes
PROBLEMS = 45
ROUNDS = 5
HOOD_SLUG = "bench-minutes"
EMAIL_DOMAIN = "minutes.bench.invalid"
ORGANISATION_SUFFIX = " (benchmark minutes)"
BUDGET_SECONDS = 1500

WORDS = (  # noqa: SIM905 - readable as prose
    "de bewoners vragen de gemeente om de stoep bij het winkelcentrum vaker te vegen en de "
    "wijkagent loopt in de avond extra rondes langs het speelveld omdat jongeren daar tot laat "
    "blijven hangen de woningcorporatie meldt dat de lege woningen aan de Marshalllaan in "
    "april worden dichtgetimmerd en dat de tuinen dan worden opgeruimd het opbouwwerk "
    "organiseert samen met bewoners een schoonmaakactie op zaterdag en vraagt om vrijwilligers"
).split()
FIRST_NAMES = (  # noqa: SIM905
    "Mohamed Annie Jeroen Yasmina Henk Lotte Emre Gerda Samir Marieke Tomasz Fatima Kees"
).split()
SURNAMES = ["Bouzid", "de Groot", "Smit", "Ouali", "Visser", "Yilmaz", "van Leeuwen", "Öztürk"]


def sentence(rng: random.Random, words: int) -> str:
    start = rng.randrange(len(WORDS))
    text = " ".join(WORDS[(start + i) % len(WORDS)] for i in range(words))
    return text[0].upper() + text[1:] + "."


# --------------------------------------------------------------------------------------------
# Data


def remove_data() -> None:
    from django.db import transaction

    from residents.models import Municipality, Neighbourhood, Organisation, User

    with transaction.atomic():
        Neighbourhood.objects.filter(slug=HOOD_SLUG).delete()  # meetings, problems, actions, ...
        Municipality.objects.filter(slug=HOOD_SLUG).delete()
        User.objects.filter(email__endswith=f"@{EMAIL_DOMAIN}").delete()
        Organisation.objects.filter(name__endswith=ORGANISATION_SUFFIX).delete()


def build_data() -> int:
    """One neighbourhood with a closed meeting of 30 items and 120 attendees, its priority round
    (online, paper and hand votes), actions agreed and reported back with judgements, and the
    minutes drafted from that record and finalised as version 1. Returns the version's id."""
    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from django.utils import timezone

    from meetings.actions.models import Action, ActionStatus, ActionUpdate, Judgement
    from meetings.minutes import services as minutes_services
    from meetings.planning.models import AgendaItem, AgendaItemProblem, Meeting
    from meetings.room.models import Attendance
    from meetings.rounds.models import Ballot, BallotPoint, HandCount, PriorityRound, RoundCandidate
    from problems.models import Category, Problem
    from problems.workflow import Status
    from residents.models import Membership, Municipality, Neighbourhood, Organisation, Role, User

    rng = random.Random(20260310)  # the same meeting on every run
    now = timezone.now()
    with transaction.atomic():
        say("building data: a neighbourhood, 120 people, 45 problems, two meetings")
        municipality = Municipality.objects.create(name="Notulengemeente", slug=HOOD_SLUG)
        hood = Neighbourhood.objects.create(
            municipality=municipality, name="Zuilen-Oost", slug=HOOD_SLUG
        )
        organisations = [
            Organisation.objects.create(name=name + ORGANISATION_SUFFIX, kind=kind)
            for name, kind in (
                ("Politie Midden-Nederland", Organisation.Kind.POLICE),
                ("Gemeente Utrecht", Organisation.Kind.MUNICIPALITY),
                ("Woningcorporatie Thuisbasis", Organisation.Kind.HOUSING),
                ("Buurtwerk Zuilen", Organisation.Kind.COMMUNITY_WORK),
            )
        ]
        unusable = make_password(None)
        people = User.objects.bulk_create(
            [
                User(
                    email=f"person{n}@{EMAIL_DOMAIN}",
                    display_name=f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)} {n}",
                    password=unusable,
                    consent_named_in_minutes=n >= PROFESSIONALS and rng.random() < CONSENTING_SHARE,
                )
                for n in range(ATTENDEES)
            ]
        )
        professionals, residents = people[:PROFESSIONALS], people[PROFESSIONALS:]
        Membership.objects.bulk_create(
            [
                Membership(
                    user=person,
                    neighbourhood=hood,
                    role=Role.PROFESSIONAL,
                    status=Membership.Status.ACTIVE,
                    organisation=organisations[n % len(organisations)],
                )
                for n, person in enumerate(professionals)
            ]
            + [
                Membership(
                    user=person,
                    neighbourhood=hood,
                    role=Role.RESIDENT,
                    status=Membership.Status.ACTIVE,
                )
                for person in residents
            ]
            + [
                Membership(
                    user=professionals[3],
                    neighbourhood=hood,
                    role=Role.CHAIR,
                    status=Membership.Status.ACTIVE,
                    organisation=organisations[3],
                ),
                Membership(
                    user=residents[0],
                    neighbourhood=hood,
                    role=Role.MINUTE_TAKER,
                    status=Membership.Status.ACTIVE,
                ),
            ]
        )
        chair, taker = professionals[3], residents[0]

        categories = list(Category.objects.all())
        statuses = [Status.PRIORITY] * 12 + [Status.CANDIDATE] * 10 + [Status.ACCEPTED] * 23
        problems = Problem.objects.bulk_create(
            [
                Problem(
                    neighbourhood=hood,
                    category=categories[n % len(categories)],
                    title=f"{sentence(rng, 5)[:-1]} ({n})",
                    description=sentence(rng, 40),
                    street=rng.choice(["Marshalllaan", "Talmalaan", "Prins Hendriklaan"]),
                    status=statuses[n],
                    sensitive=categories[n % len(categories)].sensitive,
                    public_summary="Overlast in de buurt" if n % 7 == 0 else "",
                    confidential_details="Adres en namen: alleen voor het team.",
                    reporter=rng.choice(residents),
                    accepted_at=now - timedelta(days=60),
                    support_count=rng.randrange(1, 40),
                )
                for n in range(PROBLEMS)
            ]
        )
        priorities = [p for p in problems if p.status == Status.PRIORITY]
        candidates = [p for p in problems if p.status == Status.CANDIDATE]

        previous = Meeting.objects.create(
            neighbourhood=hood,
            starts_at=now - timedelta(days=35, hours=2),
            ends_at=now - timedelta(days=35),
            place="Buurthuis De Linde",
            status=Meeting.Status.MINUTES_PUBLISHED,
            started_at=now - timedelta(days=35, hours=2),
            closed_at=now - timedelta(days=35),
        )
        meeting = Meeting.objects.create(
            neighbourhood=hood,
            starts_at=now - timedelta(days=1, hours=2),
            ends_at=now - timedelta(days=1),
            place="Buurthuis De Linde, Prins Hendriklaan 2",
            status=Meeting.Status.CLOSED,
            chair=chair,
            minute_taker=taker,
            walk_ins=6,
            started_at=now - timedelta(days=1, hours=2),
            closed_at=now - timedelta(days=1),
        )
        Meeting.objects.create(
            neighbourhood=hood,
            starts_at=now + timedelta(days=27),
            ends_at=now + timedelta(days=27, hours=2),
            place="Buurthuis De Linde",
            chair=chair,
        )

        kinds = [AgendaItem.Kind.OPENING, AgendaItem.Kind.REPORT_BACK, AgendaItem.Kind.STATE]
        kinds += [AgendaItem.Kind.NEW_PROBLEMS, AgendaItem.Kind.PRIORITISE]
        kinds += [AgendaItem.Kind.APPROACH] + [AgendaItem.Kind.OTHER] * (ITEMS - 8)
        kinds += [AgendaItem.Kind.ANY_OTHER, AgendaItem.Kind.CLOSING]
        items = AgendaItem.objects.bulk_create(
            [
                AgendaItem(
                    meeting=meeting,
                    position=n,
                    kind=kind,
                    title=f"{sentence(rng, 4)[:-1]}" if kind == AgendaItem.Kind.OTHER else "",
                    minutes=5,
                    notes="\n".join(sentence(rng, rng.randrange(25, 60)) for _ in range(3)),
                    decision=sentence(rng, rng.randrange(10, 25)),
                )
                for n, kind in enumerate(kinds)
            ]
        )
        AgendaItemProblem.objects.bulk_create(
            AgendaItemProblem(item=item, problem=problem, position=k)
            for n, item in enumerate(items[3:])
            for k, problem in enumerate(problems[(2 * n) % PROBLEMS : (2 * n) % PROBLEMS + 2])
        )

        Attendance.objects.bulk_create(
            [
                Attendance(
                    meeting=meeting,
                    user=person,
                    organisation=organisations[n % len(organisations)],
                    kind=Attendance.Kind.PROFESSIONAL,
                )
                for n, person in enumerate(professionals)
            ]
            + [
                Attendance(
                    meeting=meeting,
                    user=person,
                    kind=Attendance.Kind.RESIDENT,
                    newcomer=n % 9 == 0,
                )
                for n, person in enumerate(residents)
            ]
        )

        priority_round = PriorityRound.objects.create(
            meeting=meeting,
            neighbourhood=hood,
            points=5,
            max_per_problem=3,
            status=PriorityRound.Status.CLOSED,
            results_shown=True,
            closed_at=now - timedelta(days=1),
        )
        on_ballot = RoundCandidate.objects.bulk_create(
            RoundCandidate(round=priority_round, problem=problem, position=n)
            for n, problem in enumerate(priorities[:4] + candidates)
        )
        ballots = Ballot.objects.bulk_create(
            Ballot(
                round=priority_round,
                voter=person,
                source=Ballot.Source.PAPER if n % 4 == 0 else Ballot.Source.ONLINE,
            )
            for n, person in enumerate(residents[:80])
        )
        BallotPoint.objects.bulk_create(
            BallotPoint(ballot=ballot, candidate=candidate, points=points)
            for ballot in ballots
            for candidate, points in zip(rng.sample(on_ballot, 3), (2, 2, 1), strict=True)
        )
        HandCount.objects.bulk_create(
            HandCount(round=priority_round, candidate=candidate, hands=rng.randrange(0, 15))
            for candidate in on_ballot
        )
        RoundCandidate.objects.filter(pk__in=[c.pk for c in on_ballot[:4]]).update(
            outcome=RoundCandidate.Outcome.PRIORITY
        )
        RoundCandidate.objects.filter(pk__in=[c.pk for c in on_ballot[4:]]).update(
            outcome=RoundCandidate.Outcome.NOT_CHOSEN
        )

        def action(problem: Problem, n: int, at: Any, agreed_at: Meeting) -> Action:
            owner = organisations[n % len(organisations)] if n % 5 else None
            due = (at + timedelta(days=30 + n)).date()
            return Action(
                neighbourhood=hood,
                problem=problem,
                outcome=sentence(rng, rng.randrange(8, 16)),
                owner_organisation=owner,
                first_due_date=due,
                due_date=due,
                meeting=agreed_at,
                status=ActionStatus.OPEN,
                created_at=at,
                updated_at=at,
            )

        earlier = Action.objects.bulk_create(
            action(priorities[n % len(priorities)], n, previous.starts_at, previous)
            for n in range(16)
        )
        Action.objects.bulk_create(
            action(priorities[n % len(priorities)], n, meeting.starts_at, meeting)
            for n in range(24)
        )
        ActionUpdate.objects.bulk_create(
            ActionUpdate(
                action=a,
                kind=ActionUpdate.Kind.PROGRESS,
                text=sentence(rng, 20),
                organisation=a.owner_organisation,
                at=now - timedelta(days=10),
            )
            for a in earlier
        )
        Action.objects.filter(pk__in=[a.pk for a in earlier]).update(
            status=ActionStatus.IN_PROGRESS, updated_at=now - timedelta(days=10)
        )
        Judgement.objects.bulk_create(
            Judgement(
                action=a,
                meeting=meeting,
                effect=rng.choice(Judgement.Effect.values),
                verdict=rng.choice(Judgement.Verdict.values),
                note=sentence(rng, 8),
            )
            for a in earlier
        )

    say("drafting the minutes from the record and finalising version 1")
    minutes = minutes_services.minutes_draft(meeting, by=chair)
    version = minutes_services.minutes_finalise(minutes, chair)
    say(
        f"data: {len(items)} items, {Attendance.objects.filter(meeting=meeting).count()} "
        f"attendees ({PROFESSIONALS} professionals), {len(ballots)} ballots, 40 actions; "
        f"the minutes' text is {len(minutes.body):,} characters"
    )
    return int(version.pk)


# --------------------------------------------------------------------------------------------
# Ours: the render task; the baseline: WeasyPrint alone on the same HTML

QUEUED: list[int] = []


def without_broker() -> None:
    """Finalising queues the task on commit; here that only records the id, and the task is
    run in this process when measured (without a broker it would run inside the commit)."""
    from meetings.minutes import services as minutes_services

    def enqueue(*, version_id: int) -> None:
        QUEUED.append(version_id)

    minutes_services.render_enqueue = enqueue


def queue_again(version_id: int) -> None:
    """Back to "waiting" (not timed), so that the task claims and renders it once more."""
    from meetings.minutes.models import MinutesVersion

    MinutesVersion.objects.filter(pk=version_id).update(
        render_status=MinutesVersion.RenderStatus.QUEUED, claimed_at=None, progress=0
    )


def run_task(version_id: int) -> float:
    from meetings.minutes.tasks import render_minutes

    queue_again(version_id)
    started = time.perf_counter()
    outcome = render_minutes.apply(args=[version_id]).get()
    seconds = time.perf_counter() - started
    if outcome != "done":
        raise BenchError(f"the render task answered {outcome!r}, expected 'done'")
    return seconds


def stored_pages(version_id: int) -> tuple[int, int]:
    """The pages of the two PDFs the task stored (read back with pypdf)."""
    from django.core.files.storage import default_storage
    from pypdf import PdfReader

    from meetings.minutes.models import MinutesVersion

    version = MinutesVersion.objects.get(pk=version_id)
    if not version.ready:
        raise BenchError(f"version {version_id} is {version.render_status}, not ready")
    counts = []
    for name in (version.pdf.name, version.pdf_large.name):
        with default_storage.open(name, "rb") as stored:
            counts.append(len(PdfReader(io.BytesIO(stored.read())).pages))
    return counts[0], counts[1]


def documents(version_id: int) -> list[str]:
    """The HTML the task renders: the normal and the large print (not timed)."""
    from meetings.minutes.models import MinutesVersion
    from meetings.minutes.pdf import minutes_html, minutes_record

    version = MinutesVersion.objects.select_related("minutes__meeting__neighbourhood").get(
        pk=version_id
    )
    record = minutes_record(version.minutes.meeting)
    return [minutes_html(version, record=record), minutes_html(version, large=True, record=record)]


def bare(htmls: list[str]) -> tuple[float, list[int]]:
    """WeasyPrint alone: the same documents, through the same helper as meetings.minutes.pdf."""
    from pypdf import PdfReader

    from buurtoverleg.pdf import render_pdf

    started = time.perf_counter()
    pdfs = [render_pdf(html) for html in htmls]
    seconds = time.perf_counter() - started
    return seconds, [len(PdfReader(io.BytesIO(pdf)).pages) for pdf in pdfs]


# --------------------------------------------------------------------------------------------
# Peak memory in a fresh process


def child_main(version_id: int) -> None:
    """The fresh process: Django, then the task once."""
    import django

    django.setup()
    setup_mb = peak_rss_mb()
    seconds = run_task(version_id)
    child_result({"setup_mb": setup_mb, "self_peak_mb": peak_rss_mb(), "seconds": seconds})


def measure_main(version_id: int) -> None:
    """The middle process (no Django, a few MB): starts the fresh process, waits for it and
    reads the peak memory of its children."""
    done = subprocess.run(  # our own interpreter and script
        [sys.executable, str(Path(__file__).resolve()), "--child", str(version_id)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith("CHILD_RESULT ")]
    if done.returncode != 0 or not lines:
        sys.stderr.write(done.stderr[-4000:])
        sys.exit(done.returncode or 1)
    data = json.loads(lines[-1].removeprefix("CHILD_RESULT "))
    data["children_peak_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    child_result(data)


# --------------------------------------------------------------------------------------------


def run(args: argparse.Namespace) -> None:
    with Bench("minutes_pdf", budget_seconds=BUDGET_SECONDS, needs_wrk=False) as bench:
        bench.prepare_database(collectstatic=False)
        from django.conf import settings

        if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
            raise BenchError("this benchmark runs on PostgreSQL only (DATABASE_URL)")
        without_broker()
        remove_data()
        try:
            version_id = build_data()
            if version_id not in QUEUED:
                raise BenchError(f"finalising queued {QUEUED}, expected version {version_id}")
            measure(bench, version_id, args.rounds)
        finally:
            say("removing the benchmark data")
            remove_data()


def measure(bench: Bench, version_id: int, rounds: int) -> None:
    say("warming up: the task once, WeasyPrint once")
    run_task(version_id)
    htmls = documents(version_id)
    _seconds, bare_pages = bare(htmls)
    pages = stored_pages(version_id)
    if list(pages) != bare_pages:
        raise BenchError(f"the task made {pages} pages, WeasyPrint alone {bare_pages}")
    say(
        f"the minutes: {pages[0]} pages, {pages[1]} in large print; HTML "
        f"{len(htmls[0]):,} and {len(htmls[1]):,} characters"
    )

    check_quiet()
    ours: list[float] = []
    alone: list[float] = []
    for i in range(1, rounds + 1):
        ours.append(run_task(version_id))
        seconds, _pages = bare(htmls)
        alone.append(seconds)
        say(f"round {i}/{rounds}: task {ours[-1]:.3f} s, WeasyPrint alone {alone[-1]:.3f} s")
    if stored_pages(version_id) != pages:
        raise BenchError("the stored PDFs changed between rounds")
    task_s, bare_s = statistics.median(ours), statistics.median(alone)
    say(f"median: task {task_s:.3f} s, WeasyPrint alone {bare_s:.3f} s")

    say("peak memory: the task once in a fresh process")
    child = bench.run_child([str(Path(__file__).resolve()), "--measure", str(version_id)])
    say(
        f"fresh process: Django set up at {child['setup_mb']:.0f} MB; peak "
        f"{child['self_peak_mb']:.0f} MB (its own RUSAGE_SELF), "
        f"{child['children_peak_mb']:.0f} MB (RUSAGE_CHILDREN of the "
        f"process that started it); the task took {child['seconds']:.2f} s"
    )
    if stored_pages(version_id) != pages:
        raise BenchError("the fresh process stored different PDFs")

    result("minutes_pdf_overhead", task_s / bare_s, "ratio")
    result("minutes_pdf_pages_per_s", sum(pages) / task_s, "pages/s", digits=1)
    result("minutes_pdf_peak_mb", child["children_peak_mb"], "MB", digits=0)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--measure", type=int, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.child:
        child_main(arguments.child)
    elif arguments.measure:
        measure_main(arguments.measure)
    else:
        main(lambda: run(arguments))
