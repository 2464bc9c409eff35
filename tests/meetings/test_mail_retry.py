"""A bad recipient delays only itself: an address whose server answers "try later" (4xx) gets
its own next attempt time and backoff, while the rest of the mailing goes on over the same
connection. Time moves with time-machine, never by waiting."""

from __future__ import annotations

import logging
import smtplib
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from django.urls import reverse
from django.utils import timezone
from pytest_django.fixtures import Settings as SettingsWrapper

from buurtoverleg.mail.models import Delivery, Mailing, MailSuppression
from buurtoverleg.mail.pipeline import (
    RETRY_DELAYS,
    Recipient,
    TransientMailError,
    deliveries_requeue_stale,
    mailing_create,
    mailing_send,
)
from residents.mail_kinds import ResidentMail
from tests.factories import approved_mailing
from tests.meetings.conftest import LOOPBACK, Recorder, free_port

Status = Delivery.Status
RECIPIENTS = 300
LATE = "bewoner123@example.nl"  # its server greylists: "451, try again later"
GONE = "bewoner200@example.nl"  # no such mailbox: "550", permanently


class Picky(Recorder):
    """The SMTP sink, answering RCPT for some addresses with a fixed refusal."""

    def __init__(self) -> None:
        super().__init__()
        self.refuse: dict[str, str] = {}

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if answer := self.refuse.get(address.lower()):
            return answer
        envelope.rcpt_tos.append(address)
        return "250 OK"


@pytest.fixture
def picky(settings: SettingsWrapper) -> Iterator[Picky]:
    """An aiosmtpd server on loopback; the pipeline talks SMTP to it, one connection a batch."""
    log = logging.getLogger("mail.log")
    level = log.level
    log.setLevel(logging.WARNING)
    handler = Picky()
    controller = Controller(handler, hostname=LOOPBACK, port=free_port(), ready_timeout=10)
    controller.start()
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": LOOPBACK, "port": controller.port, "use_tls": False, "timeout": 10},
        }
    }
    try:
        yield handler
    finally:
        controller.stop()
        log.setLevel(level)


def big_mailing(django_capture_on_commit_callbacks) -> Mailing:
    with django_capture_on_commit_callbacks(execute=False):  # sent below, by hand
        return mailing_create(
            kind=ResidentMail.INVITATION,
            template="emails/membership_approved",
            recipients=[Recipient(email=f"bewoner{i:03d}@example.nl") for i in range(RECIPIENTS)],
            context={"neighbourhood_url": "https://x/buurt", "login_url": "https://x/login"},
        )


def test_one_greylisting_address_among_hundreds_delays_only_itself(
    db, picky, settings, django_capture_on_commit_callbacks
):
    settings.MAIL_BATCH_SIZE = 50
    settings.MAIL_SUPPRESS_AFTER_PERMANENT_FAILURES = 3
    picky.refuse = {LATE: "451 4.7.1 Greylisted, try again later", GONE: "550 5.1.1 No such user"}
    mailing = big_mailing(django_capture_on_commit_callbacks)
    with time_machine.travel(timezone.now(), tick=False) as clock:
        start = timezone.now()
        assert mailing_send(mailing_id=mailing.pk) == RECIPIENTS - 2

        # Everybody else got it in this one run: the 451 stopped nobody after it.
        received = Counter(item.recipient for item in picky.received)
        assert set(received) == {f"bewoner{i:03d}@example.nl" for i in range(RECIPIENTS)} - {
            LATE,
            GONE,
        }
        assert set(received.values()) == {1}
        late = mailing.deliveries.get(email=LATE)
        assert late.status == Status.QUEUED and late.attempts == 1
        assert late.next_attempt_at == start + RETRY_DELAYS[0]
        assert "451" in late.last_error
        # A permanent refusal still fails at once and counts towards blocking the address;
        # "try later" does not.
        gone = mailing.deliveries.get(email=GONE)
        assert gone.status == Status.FAILED and "550" in gone.last_error
        assert list(MailSuppression.objects.values_list("email", "permanent_failures")) == [
            (GONE, 1)
        ]
        statuses = Counter(mailing.deliveries.values_list("status", flat=True))
        assert statuses == {Status.SENT: RECIPIENTS - 2, Status.QUEUED: 1, Status.FAILED: 1}

        # Before its time, neither another run nor the sweep touches it.
        assert mailing_send(mailing_id=mailing.pk) == 0
        clock.shift(RETRY_DELAYS[0] - timedelta(seconds=1))
        assert deliveries_requeue_stale() == 0
        assert mailing.deliveries.get(email=LATE).attempts == 1

        # Its time has come: the sweep queues the mailing; the server still says "later".
        clock.shift(timedelta(seconds=1))
        assert deliveries_requeue_stale() == 1
        late.refresh_from_db()
        assert late.status == Status.QUEUED and late.attempts == 2
        assert late.next_attempt_at == timezone.now() + RETRY_DELAYS[1]

        # The server takes it now: sent once, with its own Message-ID, and nothing else again.
        del picky.refuse[LATE]
        clock.shift(RETRY_DELAYS[1])
        assert deliveries_requeue_stale() == 1
        late.refresh_from_db()
        assert late.status == Status.SENT and late.attempts == 3 and late.last_error == ""
    received = Counter(item.recipient for item in picky.received)
    assert received[LATE] == 1 and set(received.values()) == {1}
    assert len(received) == RECIPIENTS - 1
    assert [i.message_id for i in picky.received if i.recipient == LATE] == [late.message_id]
    assert deliveries_requeue_stale() == 0


@pytest.mark.parametrize(
    "refusal",
    [
        smtplib.SMTPRecipientsRefused({"mohamed@example.nl": (451, b"4.7.1 try again later")}),
        smtplib.SMTPRecipientsRefused({"mohamed@example.nl": (452, b"4.2.2 mailbox full")}),
        smtplib.SMTPDataError(451, b"4.3.0 message not accepted for now"),
    ],
    ids=["rcpt-451", "rcpt-452", "data-451"],
)
def test_a_try_later_about_one_message_delays_that_message_only(personas, flaky, refusal):
    flaky.failures["mohamed@example.nl"] = refusal
    users = [personas.chair, personas.resident, personas.second_resident, personas.wijkagent]
    mailing = approved_mailing(personas, users=users)
    assert mailing_send(mailing_id=mailing.pk, batch_size=10) == len(users) - 1
    assert "mohamed@example.nl" not in flaky.sent and len(flaky.sent) == len(users) - 1
    late = mailing.deliveries.get(email="mohamed@example.nl")
    assert late.status == Status.QUEUED and late.next_attempt_at is not None
    assert not MailSuppression.objects.exists()


@pytest.mark.parametrize(
    "refusal",
    [
        # The server is closing the connection: nothing after it can go over this one.
        smtplib.SMTPRecipientsRefused({"mohamed@example.nl": (421, b"4.3.2 shutting down")}),
        # The sender is refused: that is about every message, not this one.
        smtplib.SMTPSenderRefused(451, b"4.3.0 try later", "noreply@localhost"),
        smtplib.SMTPServerDisconnected("Connection unexpectedly closed"),
    ],
    ids=["rcpt-421", "sender-451", "disconnected"],
)
def test_a_failing_connection_still_hands_the_whole_batch_back(personas, flaky, refusal):
    flaky.failures["mohamed@example.nl"] = refusal
    users = [personas.chair, personas.resident, personas.second_resident]
    mailing = approved_mailing(personas, users=users)
    with pytest.raises(TransientMailError):
        mailing_send(mailing_id=mailing.pk, batch_size=10)
    rows = mailing.deliveries.exclude(email__in=flaky.sent)
    assert {(d.status, d.next_attempt_at) for d in rows} == {(Status.QUEUED, None)}
    assert rows.filter(email="mohamed@example.nl").exists()


def test_a_delayed_row_keeps_its_time_when_the_connection_drops_later(personas, flaky):
    users = [personas.chair, personas.resident, personas.second_resident]
    mailing = approved_mailing(personas, users=users)
    first, second, third = mailing.deliveries.order_by("pk")
    flaky.failures[first.email] = smtplib.SMTPRecipientsRefused({first.email: (451, b"later")})
    flaky.failures[third.email] = smtplib.SMTPServerDisconnected("gone")
    with pytest.raises(TransientMailError):
        mailing_send(mailing_id=mailing.pk, batch_size=10)
    first.refresh_from_db()
    third.refresh_from_db()
    assert first.status == Status.QUEUED and first.next_attempt_at is not None
    assert third.status == Status.QUEUED and third.next_attempt_at is None
    assert mailing.deliveries.get(pk=second.pk).status == Status.SENT


def test_an_address_that_never_takes_it_fails_after_the_last_delay(personas, flaky):
    flaky.failures["mohamed@example.nl"] = smtplib.SMTPRecipientsRefused(
        {"mohamed@example.nl": (451, b"4.7.1 try again later")}
    )
    mailing = approved_mailing(personas)
    late = mailing.deliveries.get(email="mohamed@example.nl")
    with time_machine.travel(timezone.now(), tick=False) as clock:
        for attempt, delay in enumerate(RETRY_DELAYS, start=1):
            mailing_send(mailing_id=mailing.pk)
            late.refresh_from_db()
            assert (late.status, late.attempts) == (Status.QUEUED, attempt)
            assert late.next_attempt_at == timezone.now() + delay
            clock.shift(delay)
        # About 31 hours after the first refusal, the last try: refused again, it fails.
        assert sum(RETRY_DELAYS, timedelta()) > timedelta(hours=30)
        assert deliveries_requeue_stale() == 1
    late.refresh_from_db()
    assert late.status == Status.FAILED and late.attempts == len(RETRY_DELAYS) + 1
    assert "451" in late.last_error
    assert not MailSuppression.objects.exists()  # "try later" never blocks an address
    assert flaky.sent == ["annie@example.nl"]


def test_a_delayed_recipient_costs_one_update_like_any_other(
    personas, flaky, settings, django_assert_num_queries
):
    users = [personas.resident, personas.second_resident, personas.chair, personas.wijkagent]
    flaky.failures["mohamed@example.nl"] = smtplib.SMTPRecipientsRefused(
        {"mohamed@example.nl": (451, b"4.7.1 try again later")}
    )
    settings.MAIL_SENDING_STALE_SECONDS = 300
    mailing = approved_mailing(personas, users=users)
    # As in test_a_long_batch_renews_its_claim_in_one_statement: the mailing; a claim
    # (savepoint, select, update, release, load); who turned this kind off; one conditional
    # update per message, the delayed one included; the empty claim that ends the loop.
    with django_assert_num_queries(1 + 5 + 1 + len(users) + 3):
        assert mailing_send(mailing_id=mailing.pk, batch_size=10) == len(users) - 1


def test_the_chair_sees_who_waits_to_be_tried_again(personas, flaky, login, english_pages):
    flaky.failures["mohamed@example.nl"] = smtplib.SMTPRecipientsRefused(
        {"mohamed@example.nl": (451, b"4.7.1 try again later")}
    )
    mailing = approved_mailing(personas)
    mailing_send(mailing_id=mailing.pk)
    counted: Any = Mailing.objects.with_counts().get(pk=mailing.pk)  # annotated
    # Still queued, and of those, waiting for its own next attempt.
    assert (counted.queued, counted.retrying, counted.sent) == (1, 1, 1)
    url = reverse("mailings:mailing", args=[personas.hood.slug, mailing.pk])
    html = login(personas.chair).get(url).content.decode()
    assert "The mail server of 1 address asked to try again later." in html
