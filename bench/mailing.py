"""Benchmark: one mailing to 5,000 residents through the whole outgoing-mail pipeline.

Ours: select the residents of a neighbourhood, mailing_create (the ledger: a Mailing and one
Delivery row per recipient, in a transaction) and then mailing_send in this process (claims
in batches, per-recipient rendering in the person's language, Message-ID and List-Unsubscribe
headers, one SMTP connection per batch, a conditional update per delivery). Only the broker
hop is left out: the on-commit enqueue is replaced by a no-op and mailing_send is called
directly. The mailing is not transactional, so every message carries a signed unsubscribe
link and headers.

Baseline (BENCHMARKS.md, offline work): the bare library doing the same final work in the same
warm process: smtplib sending the very bytes the pipeline produced (captured by the server in
an earlier run), one connection for all 5,000. Both talk to the same aiosmtpd server, which
runs in its own process, counts the messages and discards them.

    .venv/bin/python bench/mailing.py             # DATABASE_URL: PostgreSQL, see _harness
    .venv/bin/python bench/mailing.py --profile   # also: cProfile of one pipeline run

Prints RESULT lines: pipeline throughput relative to smtplib, our messages per second, and the
peak memory of one pipeline run of 5,000 in a fresh process.
"""

from __future__ import annotations

import argparse
import cProfile
import email
import email.policy
import pstats
import random
import re
import smtplib
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from _harness import (
    HOST,
    Bench,
    BenchError,
    SmtpSink,
    check_quiet,
    child_result,
    main,
    peak_rss_mb,
    result,
    say,
)

RECIPIENTS = 5_000
ROUNDS = 5
ENGLISH_SHARE = 0.3  # the rest reads Dutch
WARMUP_RECIPIENTS = 200
EMAIL_DOMAIN = "mailing.bench.invalid"  # not "@bench.invalid": other benchmarks own that
HOOD_SLUG = "bench-mailing"
TEMPLATE = "emails/membership_approved"  # .subject, .txt and .html; greets the recipient
BUDGET_SECONDS = 1800

FIRST_NAMES = (  # noqa: SIM905 - readable as prose
    "Mohamed Annie Jeroen Yasmina Henk Lotte Emre Gerda Samir Marieke Tomasz Fatima Kees"
).split()
SURNAMES = ["Bouzid", "de Groot", "Smit", "Ouali", "Visser", "Yilmaz", "van Leeuwen", "Öztürk"]


# --------------------------------------------------------------------------------------------
# Data


def build_data(recipients: int) -> None:
    """Replace this benchmark's data: one neighbourhood with `recipients` active residents."""
    from django.contrib.auth.hashers import make_password
    from django.db import transaction

    from residents.models import Membership, Municipality, Neighbourhood, Role, User

    rng = random.Random(20240612)  # the same people on every run
    with transaction.atomic():
        say("removing the previous run's benchmark data")
        Neighbourhood.objects.filter(slug=HOOD_SLUG).delete()  # its mailings go with it
        User.objects.filter(email__endswith=f"@{EMAIL_DOMAIN}").delete()

        say(f"building data: one neighbourhood with {recipients} residents (nl and en)")
        municipality, _ = Municipality.objects.get_or_create(
            slug="bench-mailing-gemeente", defaults={"name": "Mailgemeente (benchmark)"}
        )
        hood = Neighbourhood.objects.create(
            municipality=municipality, name="Zuilen-Noord", slug=HOOD_SLUG
        )
        unusable = make_password(None)
        users = User.objects.bulk_create(
            [
                User(
                    email=f"resident{n}@{EMAIL_DOMAIN}",
                    display_name=f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}",
                    language="en" if rng.random() < ENGLISH_SHARE else "nl",
                    password=unusable,
                )
                for n in range(1, recipients + 1)
            ],
            batch_size=1000,
        )
        Membership.objects.bulk_create(
            [
                Membership(
                    user=u,
                    neighbourhood=hood,
                    role=Role.RESIDENT,
                    status=Membership.Status.ACTIVE,
                )
                for u in users
            ],
            batch_size=1000,
        )
    english = sum(u.language == "en" for u in users)
    say(f"data: {len(users)} residents, {english} read English, {len(users) - english} Dutch")


# --------------------------------------------------------------------------------------------
# The pipeline (ours)

ENQUEUED: list[int] = []


def without_broker() -> None:
    """mailing_create's on-commit enqueue only records the id; mailing_send is called directly.

    (Without REDIS_URL the Celery task would run eagerly inside the commit instead.)
    """
    from buurtoverleg.mail import pipeline as services

    def enqueue(*, mailing_id: int) -> None:
        ENQUEUED.append(mailing_id)

    services.mailing_enqueue = enqueue


@dataclass
class PipelineRun:
    mailing_id: int
    sent: int
    create_seconds: float  # residents query + mailing_create + commit
    send_seconds: float  # mailing_send

    @property
    def seconds(self) -> float:
        return self.create_seconds + self.send_seconds

    @property
    def per_s(self) -> float:
        return self.sent / self.seconds


def run_pipeline(limit: int | None = None) -> PipelineRun:
    """One mailing to the neighbourhood's residents (the first `limit`), created and sent."""
    from django.conf import settings
    from django.db import transaction
    from django.urls import reverse

    from buurtoverleg.mail.pipeline import mailing_create, mailing_send, recipients_for
    from meetings.mail_kinds import MeetingMail
    from residents.models import Membership, Neighbourhood, Role, User

    ENQUEUED.clear()
    started = time.perf_counter()
    with transaction.atomic():
        hood = Neighbourhood.objects.get(slug=HOOD_SLUG)
        residents = User.objects.filter(
            memberships__neighbourhood=hood,
            memberships__role=Role.RESIDENT,
            memberships__status=Membership.Status.ACTIVE,
        ).order_by("pk")
        # A kind one can turn off (the digest): unsubscribe link and List-Unsubscribe headers,
        # and the check of who turned it off, per batch.
        mailing = mailing_create(
            kind=MeetingMail.DIGEST,
            template=TEMPLATE,
            recipients=recipients_for(residents[:limit] if limit else residents),
            neighbourhood=hood,
            context={
                "neighbourhood_url": settings.SITE_URL + hood.get_absolute_url(),
                "login_url": settings.SITE_URL + reverse("account_login"),
            },
        )
    created = time.perf_counter()
    if ENQUEUED != [mailing.pk]:  # noqa: SIM300 - the list, not the constant
        raise BenchError(f"mailing_create queued {ENQUEUED} on commit, expected [{mailing.pk}]")
    sent = mailing_send(mailing_id=mailing.pk)
    done = time.perf_counter()
    return PipelineRun(mailing.pk, sent, created - started, done - created)


def check_and_clean(run: PipelineRun, expected: int) -> None:
    """Every delivery of the mailing is `sent`; then the mailing goes (a clean next round)."""
    from django.db.models import Count

    from buurtoverleg.mail.models import Delivery, Mailing

    statuses = dict(
        Delivery.objects.filter(mailing_id=run.mailing_id)
        .values_list("status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    if run.sent != expected or statuses != {Delivery.Status.SENT: expected}:
        raise BenchError(
            f"mailing {run.mailing_id}: mailing_send reported {run.sent} sent and the "
            f"deliveries are {statuses}; expected all {expected} sent"
        )
    Mailing.objects.filter(pk=run.mailing_id).delete()
    vacuum_deliveries()


def vacuum_deliveries() -> None:
    """Clear away the deleted rows, so every round starts from the same table (not timed)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE meetings_delivery")


def check_received(sink: SmtpSink, before: int, expected: int, what: str) -> int:
    """The server got exactly `expected` messages since `before`; returns the bytes."""
    stats = sink.wait_for(before + expected)
    if stats.messages != before + expected:
        raise BenchError(
            f"{what}: the SMTP server received {stats.messages - before} messages, "
            f"expected {expected}"
        )
    return stats.bytes


# --------------------------------------------------------------------------------------------
# The baseline: smtplib, pre-rendered messages, one connection

Message = tuple[str, list[str], bytes]


def run_smtplib(port: int, messages: list[Message]) -> float:
    started = time.perf_counter()
    with smtplib.SMTP(HOST, port, timeout=30) as smtp:
        for mail_from, rcpt_tos, content in messages:
            smtp.sendmail(mail_from, rcpt_tos, content)
    return time.perf_counter() - started


def check_messages(messages: list[Message], expected: int) -> None:
    """The captured pipeline output is what the benchmark claims to measure (parsed back)."""
    from django.conf import settings
    from django.urls import reverse

    if len(messages) != expected:
        raise BenchError(f"captured {len(messages)} messages, expected {expected}")
    unsubscribe = settings.SITE_URL + reverse("account:unsubscribe", kwargs={"token": "T"})[:-2]
    languages: dict[str, int] = {}
    raw_header_ok = 0
    for _from, _to, content in messages:
        parsed = email.message_from_bytes(content, policy=email.policy.default)
        header = str(parsed.get("List-Unsubscribe", ""))
        if not (header.startswith(f"<{unsubscribe}") and header.endswith(">")):
            raise BenchError(f"{parsed['To']}: List-Unsubscribe is {header!r}")
        if parsed.get("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click":
            raise BenchError(f"{parsed['To']}: no List-Unsubscribe-Post header")
        if not str(parsed.get("Message-ID", "")).startswith("<delivery-"):
            raise BenchError(f"{parsed['To']}: Message-ID {parsed.get('Message-ID')!r}")
        text = parsed.get_body(preferencelist=("plain",))
        html = parsed.get_body(preferencelist=("html",))
        if text is None or html is None:
            raise BenchError(f"{parsed['To']}: not a text and an HTML part")
        for part in (text, html):
            if header[1:-1] not in part.get_content():
                raise BenchError(
                    f"{parsed['To']}: no unsubscribe link in the {part.get_content_type()}"
                )
        match = re.search(r'<html lang="([a-z]+)">', html.get_content())
        language = match.group(1) if match else "?"
        languages[language] = languages.get(language, 0) + 1
        raw_header_ok += b"\nList-Unsubscribe: <" in content
    if set(languages) != {"en", "nl"}:
        raise BenchError(f"languages of the messages: {languages}, expected en and nl")
    sizes = [len(c) for _f, _t, c in messages]
    say(
        f"captured {len(messages)} messages: {languages['en']} in English, {languages['nl']} in "
        f"Dutch, {statistics.mean(sizes):.0f} bytes on average ({min(sizes)}-{max(sizes)}); "
        "each has its ledger Message-ID, List-Unsubscribe headers and the link in both parts"
    )
    if raw_header_ok != len(messages):
        say(
            f"WARNING: in {len(messages) - raw_header_ok} messages List-Unsubscribe goes out as "
            "RFC 2047 encoded-words (=?utf-8?q?=3Chttp...), not as <URL> (RFC 2369): the line "
            "is too long to fold, so email.policy.SMTP encodes it; mail programs may ignore it"
        )


# --------------------------------------------------------------------------------------------
# Diagnostics


def count_queries(recipients: int) -> None:
    """The SQL of one small pipeline run: what scales with the number of recipients."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        run = run_pipeline(limit=recipients)
    check_and_clean(run, recipients)
    kinds: dict[str, int] = {}
    for query in queries.captured_queries:
        sql = query["sql"]
        table = re.search(r'(?:FROM|UPDATE|INTO) "(\w+)"', sql)
        key = sql.split(None, 1)[0].upper() + (f" {table.group(1)}" if table else "")
        kinds[key] = kinds.get(key, 0) + 1
    say(
        f"a mailing to {recipients} runs {len(queries)} SQL statements "
        f"({len(queries) / recipients:.2f} per recipient):"
    )
    for key, n in sorted(kinds.items(), key=lambda kv: -kv[1]):
        say(f"    {n:5d}  {key}")


def profile_pipeline(recipients: int, workdir: Path) -> None:
    say(f"profiling one pipeline run of {recipients} with cProfile")
    profiler = cProfile.Profile()
    profiler.enable()
    run = run_pipeline(limit=recipients)
    profiler.disable()
    check_and_clean(run, recipients)
    say(f"(under the profiler: {run.per_s:.0f} msg/s)")
    stats = pstats.Stats(profiler, stream=sys.stdout)
    stats.strip_dirs()
    for order in ("cumulative", "tottime"):
        print(f"--- top 40 by {order}", flush=True)
        stats.sort_stats(order).print_stats(40)
    stats.dump_stats(str(workdir / "mailing.prof"))


# --------------------------------------------------------------------------------------------
# Peak memory in a fresh process


def peak_rss_child(recipients: int) -> None:
    """Run by the parent through Bench.run_child: one pipeline run, then report memory."""
    import django

    django.setup()
    without_broker()
    setup_mb = peak_rss_mb()
    run = run_pipeline()
    check_and_clean(run, recipients)
    child_result(
        {"setup_mb": setup_mb, "peak_mb": peak_rss_mb(), "sent": run.sent, "seconds": run.seconds}
    )


# --------------------------------------------------------------------------------------------


def run(args: argparse.Namespace) -> None:
    n = args.recipients
    with Bench("mailing", budget_seconds=BUDGET_SECONDS, needs_wrk=False) as bench:
        sink = bench.smtp_sink()  # before Django is set up: the settings read EMAIL_*
        bench.prepare_database(collectstatic=False)
        from django.conf import settings

        backend = settings.MAILERS["default"]
        say(
            f"mail: {backend['BACKEND'].rsplit('.', 1)[-1]} to {backend['OPTIONS']['host']}:"
            f"{backend['OPTIONS']['port']}, TLS {backend['OPTIONS']['use_tls']}, "
            f"batches of {settings.MAIL_BATCH_SIZE}"
        )
        if backend["OPTIONS"]["port"] != sink.port:
            raise BenchError("the mail settings do not point at the SMTP sink")
        without_broker()
        build_data(n)
        vacuum_deliveries()

        say(f"warming up: a mailing to {WARMUP_RECIPIENTS}")
        before = sink.stats().messages
        check_and_clean(run_pipeline(limit=WARMUP_RECIPIENTS), WARMUP_RECIPIENTS)
        check_received(sink, before, WARMUP_RECIPIENTS, "warm-up")
        count_queries(100)

        say(f"capturing the pipeline's {n} messages for the baseline (not timed)")
        before = sink.stats().messages
        sink.record()
        capture = run_pipeline()
        messages = sink.save(bench.workdir / "messages.pickle")
        check_and_clean(capture, n)
        check_received(sink, before, n, "capture")
        check_messages(messages, n)
        say("warming up smtplib with 200 of them")
        before = sink.stats().messages
        run_smtplib(sink.port, messages[:200])
        check_received(sink, before, 200, "smtplib warm-up")

        check_quiet()
        ours: list[PipelineRun] = []
        bare: list[float] = []
        for i in range(1, args.rounds + 1):
            stats = sink.stats()
            pipeline = run_pipeline()
            check_and_clean(pipeline, n)
            ours_bytes = check_received(sink, stats.messages, n, f"round {i} pipeline")
            ours_bytes -= stats.bytes
            ours.append(pipeline)
            say(
                f"round {i}/{args.rounds} ours   {pipeline.per_s:7.1f} msg/s  "
                f"{pipeline.seconds:6.2f} s = create {pipeline.create_seconds:5.2f} s + send "
                f"{pipeline.send_seconds:6.2f} s  ({ours_bytes / n:.0f} B/msg)"
            )

            stats = sink.stats()
            seconds = run_smtplib(sink.port, messages)
            bare_bytes = check_received(sink, stats.messages, n, f"round {i} smtplib")
            bare_bytes -= stats.bytes
            bare.append(seconds)
            say(
                f"round {i}/{args.rounds} smtplib {n / seconds:7.1f} msg/s  {seconds:6.2f} s  "
                f"({bare_bytes / n:.0f} B/msg, {seconds / n * 1000:.2f} ms per message)"
            )

        ours_per_s = statistics.median(r.per_s for r in ours)
        bare_per_s = statistics.median(n / s for s in bare)
        ratio = ours_per_s / bare_per_s
        say(
            f"median ours {ours_per_s:.1f} msg/s "
            f"({1000 / ours_per_s:.2f} ms per message: create "
            f"{statistics.median(r.create_seconds for r in ours) / n * 1000:.2f} + send "
            f"{statistics.median(r.send_seconds for r in ours) / n * 1000:.2f}), "
            f"smtplib {bare_per_s:.1f} msg/s ({1000 / bare_per_s:.2f} ms), ratio {ratio:.3f}"
        )

        say(f"peak memory: one pipeline run of {n} in a fresh process")
        before = sink.stats().messages
        child = bench.run_child(
            [str(Path(__file__).resolve()), "--peak-rss-child", f"--recipients={n}"]
        )
        check_received(sink, before, n, "peak-memory child")
        say(
            f"child: {child['peak_mb']:.1f} MB peak ({child['setup_mb']:.1f} MB after "
            f"django.setup()), {child['sent']} sent in {child['seconds']:.1f} s"
        )

        if args.profile:
            profile_pipeline(min(n, 1000), bench.workdir)

    result("mailing_vs_smtplib", ratio, "ratio")
    result("mailing_per_s", ours_per_s, "msg/s", digits=1)
    result("mailing_peak_rss", child["peak_mb"], "MB", digits=1)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profile", action="store_true", help="also cProfile one run of 1,000")
    parser.add_argument("--rounds", type=int, default=ROUNDS, help=argparse.SUPPRESS)
    parser.add_argument("--recipients", type=int, default=RECIPIENTS, help=argparse.SUPPRESS)
    parser.add_argument("--peak-rss-child", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def entry(argv: list[str] | None = None) -> Any:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.peak_rss_child:
        return peak_rss_child(args.recipients)
    return main(lambda: run(args))


if __name__ == "__main__":
    entry()
