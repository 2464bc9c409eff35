"""The mail ledger's guarantees under faults, with real services where it matters.

"Nothing lost" (PRODUCT.md) means exactly: no message is lost; a duplicate only for a message
caught in flight by a crash, and then recognisable as the same message (same Message-ID).

The integration tests start their own redis-server on a spare port, an SMTP server on loopback
(aiosmtpd) and real Celery workers (prefork, in a process group of their own) on the same
PostgreSQL test database as this process; the sweep runs here, as beat would run it.
"""

from __future__ import annotations

import contextlib
import smtplib
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from datetime import time as dt_time
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.db.models import Max
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from pytest_django.fixtures import DjangoCaptureOnCommitCallbacks
from pytest_django.fixtures import Settings as SettingsWrapper

from buurtoverleg.due import run_due
from buurtoverleg.mail.kinds import KINDS
from buurtoverleg.mail.models import Delivery, Mailing
from buurtoverleg.mail.pipeline import (
    TransientMailError,
    deliveries_requeue_stale,
    mailing_create,
    mailing_enqueue,
    mailing_send,
    recipients_for,
)
from buurtoverleg.mail.tasks import send_mailing
from meetings.actions.models import Action
from meetings.actions.services import (
    action_create,
    actions_remind_due,
    priority_resolve,
    survey_answer,
    surveys_send_due,
)
from meetings.agenda_mail.services import agenda_mail_send_due, meeting_reminders_send_due
from meetings.digest.services import digests_send_due
from meetings.mail_kinds import MeetingMail
from meetings.planning.models import Meeting, Rsvp
from meetings.services import (
    MeetingStateError,
    agenda_publish,
    meeting_cancel,
    meeting_create,
    meeting_move,
    rsvp_set,
)
from problems.models import Category, Problem, TimelineEntry
from problems.services import (
    problem_follow,
    problem_followers_notify,
    problem_report,
    problem_transition,
)
from problems.workflow import ROUND, Move
from residents.mail_kinds import ResidentMail
from residents.models import InviteCode, Membership, User
from residents.services import (
    membership_approve,
    send_invitation_mail,
    send_membership_approved_mail,
)
from tests.conftest import Personas
from tests.factories import minutes_mail
from tests.meetings.conftest import (
    RedisServer,
    SmtpServer,
    StartWorker,
    Worker,
    wait_for,
)

# Small numbers so that the sweep can recover within seconds; the worker gets the same.
BATCH_SIZE = 10
STALE_SECONDS = 3
GRACE_SECONDS = 1
Status = Delivery.Status


def mail_settings(settings: SettingsWrapper, **overrides: int) -> dict[str, str]:
    """Give this process (where the sweep runs) and the workers the same mail settings."""
    values = {
        "MAIL_BATCH_SIZE": BATCH_SIZE,
        "MAIL_SENDING_STALE_SECONDS": STALE_SECONDS,
        "MAIL_QUEUED_GRACE_SECONDS": GRACE_SECONDS,
        **overrides,
    }
    for name, value in values.items():
        setattr(settings, name, value)
    return {name: str(value) for name, value in values.items()}


def sleep_until(moment: datetime) -> None:
    remaining = (moment - timezone.now()).total_seconds()
    if remaining > 0:
        time.sleep(remaining)


def invitation_mailing(
    invite: InviteCode, users: list[User], *, key: str, transactional: bool = False
) -> Mailing:
    hood = invite.neighbourhood
    # The kind decides: a join invitation is duty mail; the digest can be turned off.
    return mailing_create(
        kind=ResidentMail.INVITATION if transactional else MeetingMail.DIGEST,
        template="emails/invitation",
        recipients=recipients_for(users),
        neighbourhood=hood,
        subject=invite,
        context={
            "join_url": f"{django_settings.SITE_URL}/join/{hood.slug}/?code={invite.code}",
            "neighbourhood_url": django_settings.SITE_URL + hood.get_absolute_url(),
        },
        created_by=invite.created_by,
        key=key,
    )


def residents(count: int) -> list[User]:
    return User.objects.bulk_create(
        User(
            email=f"bewoner{i:03d}@example.nl",
            display_name=f"Bewoner {i}",
            language=User.Language.ENGLISH if i % 4 == 0 else User.Language.DUTCH,
        )
        for i in range(count)
    )


def received_tasks(worker: Worker) -> int:
    return sum(
        "meetings.tasks.send_mailing[" in line and line.rstrip().endswith("received")
        for line in worker.output().splitlines()
    )


def task_succeeded(worker: Worker, task_id: str, result: str) -> bool:
    return any(
        task_id in line and "succeeded" in line and line.rstrip().endswith(f": {result}")
        for line in worker.output().splitlines()
    )


def assert_ledger_matches_server(
    mailing: Mailing, smtp: SmtpServer, max_duplicates: int
) -> dict[str, int]:
    """Everybody got it; twice only within the bound and then as the same message; and the
    ledger says exactly what the server received."""
    deliveries = {d.email: d for d in Delivery.objects.filter(mailing=mailing)}
    received = smtp.recorder.received
    per_recipient = Counter(item.recipient for item in received)
    assert set(per_recipient) == set(deliveries), "somebody is missing, or a stranger got it"
    duplicates = {email: n for email, n in per_recipient.items() if n > 1}
    assert all(n == 2 for n in duplicates.values()), duplicates
    assert len(duplicates) <= max_duplicates, duplicates
    # Every message carries its delivery's Message-ID: a duplicate is recognisably the same.
    for item in received:
        assert item.message_id == deliveries[item.recipient].message_id, item
    assert len({item.message_id for item in received}) == len(deliveries)
    # The ledger agrees: every row sent, and a row sent twice was attempted twice.
    assert {d.status for d in deliveries.values()} == {Status.SENT}
    assert all(d.sent_at is not None for d in deliveries.values())
    for email in duplicates:
        assert deliveries[email].attempts >= 2, deliveries[email]
    return duplicates


# --- A crash halfway through a big mailing ---------------------------------------------------

CONCURRENCY = 2  # C: worker processes sending this mailing at the same time
RECIPIENTS = 500
HALFWAY = RECIPIENTS // 2 + 3  # not on a batch boundary


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_worker_killed_halfway_loses_nothing_and_repeats_only_what_was_in_flight(
    postgres: None,
    start_worker: StartWorker,
    smtp_server: SmtpServer,
    celery_to: None,
    invite_code: InviteCode,
    settings: SettingsWrapper,
) -> None:
    worker_settings = mail_settings(settings)
    users = residents(RECIPIENTS)
    smtp_server.recorder.delay = 0.005  # a little slow, so "halfway" is really halfway
    first = start_worker(concurrency=CONCURRENCY, **worker_settings)
    killed = threading.Event()

    def crash_halfway(count: int) -> None:
        # The server has just taken message number `count`; its sender has not heard "250 OK"
        # yet. SIGKILL the whole worker (main process and every pool child) right now.
        if count == HALFWAY and not killed.is_set():
            first.send_kill()
            killed.set()

    smtp_server.recorder.after_accept = crash_halfway
    mailing = invitation_mailing(invite_code, users, key="faults:kill")  # queues one task
    for _ in range(CONCURRENCY - 1):  # ... and C - 1 more, so C processes send in parallel
        mailing_enqueue(mailing_id=mailing.pk)
    assert killed.wait(60), f"the mailing never got halfway:\n{first.tail()}"
    first.kill()  # wait until the whole group is gone
    smtp_server.recorder.after_accept = None

    at_kill = smtp_server.recorder.count()
    rows = Counter(Delivery.objects.filter(mailing=mailing).values_list("status", flat=True))
    assert at_kill < RECIPIENTS and rows[Status.SENT] < RECIPIENTS, (at_kill, rows)
    assert rows[Status.SENDING] + rows[Status.QUEUED] > 0, rows
    # At most one message per worker process can be accepted by the server but not yet marked
    # sent: each row is marked right after the server accepts it. One of them surely is.
    assert 1 <= at_kill - rows[Status.SENT] <= CONCURRENCY, (at_kill, rows)
    # C processes were sending: the first worker had taken all C tasks.
    assert received_tasks(first) == CONCURRENCY, first.tail()

    second = start_worker(concurrency=CONCURRENCY, **worker_settings)
    last_claim = Delivery.objects.filter(mailing=mailing, status=Status.SENDING).aggregate(
        last=Max("claimed_at")
    )["last"]
    if last_claim is not None:  # the sweep takes back only claims older than the stale limit
        sleep_until(last_claim + timedelta(seconds=STALE_SECONDS, milliseconds=200))
    assert "mail.sweep" in run_due()
    wait_for(
        lambda: not Delivery.objects.filter(mailing=mailing).exclude(status=Status.SENT).exists(),
        120,
        f"every delivery to be sent:\n{second.tail()}",
        poll=0.1,
    )
    time.sleep(0.3)  # anything still on its way would show up as an extra copy

    duplicates = assert_ledger_matches_server(mailing, smtp_server, max_duplicates=CONCURRENCY)
    assert len(duplicates) >= 1  # the message in flight at the kill went out twice, as itself

    # A re-run of the whole mailing by a real worker now sends nothing.
    before = smtp_server.recorder.count()
    rerun = send_mailing.delay(mailing.pk)
    wait_for(lambda: task_succeeded(second, rerun.id, "0"), 30, f"the re-run:\n{second.tail()}")
    assert smtp_server.recorder.count() == before


# --- Redis down while a mailing is created -----------------------------------------------------


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_redis_down_while_a_mailing_is_created_the_sweep_sends_it_once(
    postgres: None,
    personas: Personas,
    fault_redis: RedisServer,
    celery_to: None,
    smtp_server: SmtpServer,
    start_worker: StartWorker,
    client: Client,
    settings: SettingsWrapper,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from buurtoverleg.celery import app

    worker_settings = mail_settings(settings)
    # As in production (REDIS_URL set): the same Redis is the broker and the cache.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": fault_redis.url,
        }
    }
    membership = Membership.objects.get(user=personas.pending_resident, neighbourhood=personas.hood)
    # The site has been talking to Redis: its pooled broker connection goes dead with it.
    with app.producer_or_acquire() as producer:
        producer.connection.ensure_connection(max_retries=1)
    fault_redis.stop()
    assert not fault_redis.answers()

    client.force_login(personas.chair)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    started = time.monotonic()
    response = client.post(
        reverse("members:member_approve", args=[personas.hood.slug, membership.pk])
    )
    took = time.monotonic() - started
    members_url = reverse("members:members", args=[personas.hood.slug])
    assert response.status_code == 302 and response["Location"] == members_url
    assert took < 10, f"the page waited {took:.1f} s for the broker"
    assert "Could not queue mailing" in caplog.text  # the broker really was down
    page = client.get(members_url)
    assert page.status_code == 200
    with translation.override("en"):
        notice = gettext("%(name)s is now a member. We are sending them an e-mail.")
    assert notice % {"name": "Tomasz Kowalski"} in page.content.decode()

    membership.refresh_from_db()
    assert membership.status == Membership.Status.ACTIVE
    mailing = Mailing.objects.get(kind=ResidentMail.MEMBERSHIP_APPROVED)
    delivery = mailing.deliveries.get()
    assert (delivery.email, delivery.status) == ("tomasz@example.nl", Status.QUEUED)
    assert smtp_server.recorder.count() == 0

    fault_redis.start()
    worker = start_worker(concurrency=1, **worker_settings)
    sleep_until(delivery.queued_at + timedelta(seconds=GRACE_SECONDS, milliseconds=200))
    assert "mail.sweep" in run_due()
    wait_for(
        lambda: Delivery.objects.get(pk=delivery.pk).status == Status.SENT,
        60,
        f"the sweep to send the mailing:\n{worker.tail()}",
        poll=0.1,
    )
    assert deliveries_requeue_stale() == 0  # a later sweep finds nothing to do
    time.sleep(0.3)
    assert_ledger_matches_server(mailing, smtp_server, max_duplicates=0)


# --- A slow batch outlives the stale limit: no crash, so no duplicate --------------------------


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_a_batch_slower_than_the_stale_limit_is_not_sent_twice(
    postgres: None,
    start_worker: StartWorker,
    smtp_server: SmtpServer,
    celery_to: None,
    invite_code: InviteCode,
    settings: SettingsWrapper,
) -> None:
    """Nothing crashes here. The SMTP server is slow, so one batch takes longer than the
    stale limit (with the defaults: 50 messages at ~7 s each against 300 s), and the sweep
    runs meanwhile, as beat runs it every minute. The sender keeps renewing its claim, so the
    sweep takes nothing from it, and nobody gets the message twice. (A sender that stalls on
    one message past the limit: tests/meetings/test_mailing.py.)"""
    stale = 2
    worker_settings = mail_settings(settings, MAIL_SENDING_STALE_SECONDS=stale)
    users = residents(BATCH_SIZE)
    smtp_server.recorder.delay = 0.4  # one message takes 0.4 s, the batch of 10 about 4 s
    worker = start_worker(concurrency=2, **worker_settings)

    mailing = invitation_mailing(invite_code, users, key="faults:slow")
    wait_for(lambda: smtp_server.recorder.count() >= 1, 30, f"the first message:\n{worker.tail()}")
    time.sleep(stale + 0.3)  # the batch was claimed longer ago than the stale limit ...
    assert deliveries_requeue_stale() == 0  # ... but its claim is fresh: nothing to take back
    assert Delivery.objects.filter(mailing=mailing, status=Status.QUEUED).count() == 0
    wait_for(
        lambda: not Delivery.objects.filter(mailing=mailing).exclude(status=Status.SENT).exists(),
        60,
        f"every delivery to be sent:\n{worker.tail()}",
        poll=0.1,
    )
    time.sleep(1)  # the first sender may still be working through its batch
    assert_ledger_matches_server(mailing, smtp_server, max_duplicates=0)


# --- Re-runs (in-process, locmem mail) ------------------------------------------------------


@pytest.fixture
def mailed(personas: Personas) -> list[User]:
    return [
        personas.resident,
        personas.second_resident,
        personas.paper_resident,
        personas.minute_taker,
        personas.wijkagent,
    ]


def outbox_addresses() -> list[str]:
    return sorted(address for message in mail.outbox for address in message.to)


def test_a_rerun_of_a_sent_mailing_sends_nothing_twice(
    personas: Personas,
    invite_code: InviteCode,
    mailed: list[User],
    settings: SettingsWrapper,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    settings.MAIL_BATCH_SIZE = 2
    expected = sorted(u.email for u in mailed if u.email)
    with django_capture_on_commit_callbacks(execute=True):
        mailing = invitation_mailing(invite_code, mailed, key="faults:rerun")
    assert outbox_addresses() == expected
    message_ids = sorted(m.extra_headers["Message-ID"] for m in mail.outbox)

    # The same mailing created again (a double click, a retried request) is the first one.
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        again = invitation_mailing(invite_code, mailed, key="faults:rerun")
    assert again.pk == mailing.pk and callbacks == []
    assert Delivery.objects.filter(mailing=mailing).count() == len(expected)
    # Sending it again, by the service, the task or the sweep: nothing goes out.
    assert mailing_send(mailing_id=mailing.pk) == 0
    assert send_mailing.delay(mailing.pk).get() == 0
    assert deliveries_requeue_stale() == 0
    assert "mail.sweep" in run_due()
    assert outbox_addresses() == expected
    assert sorted(str(d.message_id) for d in Delivery.objects.filter(mailing=mailing)) == (
        message_ids
    )


def test_a_rerun_after_a_failure_halfway_sends_only_the_rest(
    personas: Personas,
    invite_code: InviteCode,
    mailed: list[User],
    settings: SettingsWrapper,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings.MAIL_BATCH_SIZE = 3
    expected = sorted(u.email for u in mailed if u.email)
    mailing = invitation_mailing(invite_code, mailed, key="faults:halfway")  # not sent yet
    real_send = EmailBackend.send_messages
    calls = 0

    def send_then_drop(self: EmailBackend, messages: Any) -> int:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return real_send(self, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", send_then_drop)
    with pytest.raises(TransientMailError):
        mailing_send(mailing_id=mailing.pk)
    assert len(mail.outbox) == 2
    statuses = Counter(Delivery.objects.filter(mailing=mailing).values_list("status", flat=True))
    assert statuses == {Status.SENT: 2, Status.QUEUED: len(expected) - 2}

    assert mailing_send(mailing_id=mailing.pk) == len(expected) - 2
    assert mailing_send(mailing_id=mailing.pk) == 0
    assert outbox_addresses() == expected


SENDERS: dict[str, Callable[[Personas, InviteCode], None]] = {
    "membership_approved": lambda p, _invite: send_membership_approved_mail(
        membership_id=Membership.objects.get(user=p.pending_resident).pk
    ),
    "invitation": lambda _p, invite: send_invitation_mail(invite_id=invite.pk, name="Sanne"),
    "problem_status": lambda p, _invite: problem_status_mail(p),
    "meeting_moved": lambda p, _invite: meeting_moved_mail(p),
    "meeting_cancelled": lambda p, _invite: meeting_cancelled_mail(p),
    "minutes": lambda p, _invite: minutes_mail(p),
    "action_reminder": lambda p, _invite: action_reminder_mail(p),
    "action_overdue": lambda p, _invite: action_overdue_mail(p),
    "problem_survey": lambda p, _invite: problem_survey_mail(p),
    "survey_worse": lambda p, _invite: survey_worse_mail(p),
    "agenda": lambda p, _invite: agenda_mail(p),
    "meeting_reminder": lambda p, _invite: meeting_reminder_mail(p),
    "digest": lambda p, _invite: digest_mail(p),
}
MOVED_TO = datetime(2031, 3, 11, 19, 30, tzinfo=timezone.get_default_timezone())


def the_meeting(p: Personas) -> Meeting:
    found = Meeting.objects.filter(neighbourhood=p.hood, rhythm_date=None).first()
    return found or meeting_create(
        neighbourhood=p.hood,
        starts_at=MOVED_TO - timedelta(days=7),
        ends_at=MOVED_TO - timedelta(days=7, hours=-2),
        place="Buurthuis De Linde",
    )


def meeting_moved_mail(p: Personas) -> None:
    """Moved to the same new time again (a double click): no second mail."""
    meeting_move(
        meeting=the_meeting(p),
        starts_at=MOVED_TO,
        ends_at=MOVED_TO + timedelta(hours=2),
        place="Sporthal Kanaleneiland",
        by=p.chair,
    )


def meeting_cancelled_mail(p: Personas) -> None:
    """Cancelled again: the meeting is cancelled already, nothing more goes out."""
    with contextlib.suppress(MeetingStateError):
        meeting_cancel(meeting=the_meeting(p), reason="De zaal is niet beschikbaar.", by=p.chair)


def problem_status_mail(p: Personas) -> None:
    """The reporter hears that the chair accepted their report (asked again: the same entry)."""
    problem = Problem.objects.filter(title="Kapotte lantaarn").first()
    if problem is None:
        problem = problem_report(
            neighbourhood=p.hood,
            reporter=p.second_resident,
            category=Category.objects.get(slug="verlichting"),
            title="Kapotte lantaarn",
            description="Al weken donker.",
            street="Marshalllaan",
        )
        problem_transition(problem=problem, move=Move.ACCEPT, actor=p.chair, actors={"chair"})
    problem_followers_notify(problem=problem, entry=problem.timeline.get(move=Move.ACCEPT))


def quiet_priority(p: Personas, title: str) -> Problem:
    """A priority nobody follows yet, so that making it mails nobody."""
    problem = Problem.objects.filter(title=title).first()
    if problem is None:
        problem = problem_report(
            neighbourhood=p.hood,
            reporter=None,
            category=Category.objects.get(slug="zwerfvuil"),
            title=title,
            description="Elke maandag ligt er afval naast de glasbak.",
            street="Marshalllaan",
        )
        problem_transition(problem=problem, move=Move.ACCEPT, actor=p.chair, actors={"chair"})
        problem_transition(problem=problem, move=Move.NOMINATE, actor=p.chair, actors={"chair"})
        problem_transition(problem=problem, move=Move.PRIORITISE, actor=None, actors={ROUND})
    return problem


def the_action(p: Personas) -> Action:
    """The wijkagent's action, due today (asked again: the same action)."""
    return action_create(
        problem=quiet_priority(p, "Zwerfvuil bij de glasbak"),
        actor=p.chair,
        role="chair",
        outcome="De glasbak wordt twee keer per week geleegd",
        due_date=timezone.localdate(),
        owner_organisation=p.police,
        owner_person=p.wijkagent,
    )


def action_reminder_mail(p: Personas) -> None:
    """The due work on the due date: the owner is reminded (once, however often it runs)."""
    the_action(p)
    actions_remind_due()


def action_overdue_mail(p: Personas) -> None:
    """The due work two days later: the chairs hear that it is overdue (once)."""
    the_action(p)
    actions_remind_due(timezone.localdate() + timedelta(days=2))


def the_resolution(p: Personas) -> TimelineEntry:
    """A resolved priority that two residents follow (followed once resolved: no status mail)."""
    problem = quiet_priority(p, "Hondenpoep in het park")
    entry = problem.timeline.filter(move=Move.RESOLVE).first()
    if entry is None:
        entry = priority_resolve(
            problem=problem, meeting=the_meeting(p), actor=p.chair, decision="Opgelost."
        )
        for user in (p.resident, p.second_resident):
            problem_follow(problem=problem, user=user)
    return entry


def problem_survey_mail(p: Personas) -> None:
    """The survey's due work, weeks after the resolution: its followers are asked (once)."""
    entry = the_resolution(p)
    surveys_send_due(entry.at + timedelta(days=p.hood.survey_after_days, hours=1))


def survey_worse_mail(p: Personas) -> None:
    """A resident answers "worse" (again): the chairs hear of it once."""
    survey_answer(resolution=the_resolution(p), user=p.resident, answer="worse")


def the_published_meeting(p: Personas) -> Meeting:
    """A meeting three days away whose agenda is published (late: its mail is due at once)."""
    found = Meeting.objects.filter(neighbourhood=p.hood, place="Buurthuis De Linde").first()
    if found is None:
        start = timezone.now() + timedelta(days=3)
        found = meeting_create(
            neighbourhood=p.hood,
            starts_at=start,
            ends_at=start + timedelta(hours=2),
            place="Buurthuis De Linde",
        )
    if found.status == Meeting.Status.PLANNED:
        found = agenda_publish(meeting=found)
    return found


def agenda_mail(p: Personas) -> None:
    """Published (once), and the hourly due work runs again: one agenda mail."""
    the_published_meeting(p)
    agenda_mail_send_due()


def meeting_reminder_mail(p: Personas) -> None:
    """The day before a meeting someone said yes to, the due work runs (again): one reminder."""
    tomorrow = timezone.localdate() + timedelta(days=1)
    start = datetime.combine(tomorrow, dt_time(19, 30), tzinfo=timezone.get_default_timezone())
    meeting = Meeting.objects.filter(neighbourhood=p.hood, starts_at=start).first()
    if meeting is None:
        meeting = meeting_create(
            neighbourhood=p.hood, starts_at=start, ends_at=start + timedelta(hours=2), place=""
        )
        rsvp_set(meeting=meeting, user=p.resident, answer=Rsvp.Answer.YES)
    midday = datetime.combine(
        timezone.localdate(), dt_time(12, 0), tzinfo=timezone.get_default_timezone()
    )
    meeting_reminders_send_due(midday)


def digest_mail(p: Personas) -> None:
    """A problem was accepted this week; the daily due work runs (again): one digest."""
    problem = Problem.objects.filter(title="Losliggende stoeptegels").first()
    if problem is None:
        problem = problem_report(
            neighbourhood=p.hood,
            reporter=None,
            category=Category.objects.get(slug="zwerfvuil"),
            title="Losliggende stoeptegels",
            description="Bij de bushalte liggen de tegels los.",
            street="Marshalllaan",
        )
        problem_transition(problem=problem, move=Move.ACCEPT, actor=p.chair, actors={"chair"})
    digests_send_due()


@pytest.mark.parametrize("kind", sorted(SENDERS))
def test_every_kind_of_mailing_sends_once_however_often_it_is_asked(
    kind: str,
    personas: Personas,
    invite_code: InviteCode,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
    settings: SettingsWrapper,
    tmp_path: Path,
) -> None:
    assert set(SENDERS) == set(KINDS), "a new kind of mailing needs a sender here"
    settings.MEDIA_ROOT = tmp_path  # the minutes' PDFs
    # Approve Tomasz and address the invitation; then start from an empty ledger and outbox.
    membership_approve(
        membership=Membership.objects.get(user=personas.pending_resident), by=personas.chair
    )
    invite_code.email = "sanne@example.nl"
    invite_code.save()
    mail.outbox.clear()
    Mailing.objects.all().delete()
    for _ in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            SENDERS[kind](personas, invite_code)
    mailing = Mailing.objects.get(kind=kind)
    assert mailing_send(mailing_id=mailing.pk) == 0
    # Everyone it was for got it once.
    addressed = sorted(Delivery.objects.filter(mailing=mailing).values_list("email", flat=True))
    assert addressed, "nobody to send to: the test proves nothing"
    assert sorted(to for message in mail.outbox for to in message.to) == addressed
