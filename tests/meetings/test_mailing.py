"""The mail ledger: one delivery row per recipient, claimed, sent once, failures recorded."""

from __future__ import annotations

import email.policy
import smtplib
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.utils import timezone

from buurtoverleg.due import DUE_WORK, run_due
from buurtoverleg.mail import pipeline as services
from buurtoverleg.mail.models import Delivery, MailSuppression
from buurtoverleg.mail.pipeline import (
    Recipient,
    TransientMailError,
    deliveries_requeue_stale,
    deliveries_retry_failed,
    mailing_create,
    mailing_send,
)
from buurtoverleg.models import DueWorkRun
from residents.links import UNSUBSCRIBE_TOPIC, read_action_link_token
from residents.mail_kinds import ResidentMail
from residents.privacy import user_delete_account, user_export_data
from tests.factories import approved_mailing
from tests.support import FlakyBackend


@pytest.fixture
def send_on_commit(django_capture_on_commit_callbacks):
    def _run(make):
        with django_capture_on_commit_callbacks(execute=True):
            return make()

    return _run


def test_deliveries_exist_before_anything_is_sent(personas, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        mailing = approved_mailing(personas)
    assert mail.outbox == []
    assert list(mailing.deliveries.values_list("status", flat=True)) == ["queued", "queued"]
    assert len(callbacks) == 1


def test_each_recipient_gets_one_message_in_their_language(personas, send_on_commit):
    personas.second_resident.language = "en"
    personas.second_resident.save()
    mailing = send_on_commit(lambda: approved_mailing(personas))
    by_address = {m.to[0]: m for m in mail.outbox}
    assert set(by_address) == {"mohamed@example.nl", "annie@example.nl"}
    assert "Welkom bij" in by_address["mohamed@example.nl"].subject
    assert "Welcome to" in by_address["annie@example.nl"].subject
    assert "Mohamed Bouzid" in by_address["mohamed@example.nl"].body
    for message in mail.outbox:
        assert isinstance(message, EmailMultiAlternatives)
        content, mimetype = message.alternatives[0]
        assert mimetype == "text/html" and "<html" in str(content)
    assert set(mailing.deliveries.values_list("status", flat=True)) == {"sent"}


def test_message_id_is_deterministic_per_delivery(personas, send_on_commit):
    mailing = send_on_commit(lambda: approved_mailing(personas))
    for delivery in mailing.deliveries.all():
        [message] = [m for m in mail.outbox if m.to == [delivery.email]]
        assert message.extra_headers["Message-ID"] == delivery.message_id
        assert delivery.message_id == (f"<delivery-{delivery.pk}.mailing-{mailing.pk}@127.0.0.1>")


def test_bulk_mail_carries_one_click_unsubscribe(personas, send_on_commit):
    send_on_commit(lambda: approved_mailing(personas, transactional=False))
    message = next(m for m in mail.outbox if m.to == ["mohamed@example.nl"])
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = message.extra_headers["List-Unsubscribe"].strip("<>")
    assert "/mail-afmelden/digest/" in url  # this kind, from this neighbourhood
    token = url.rstrip("/").rsplit("/", 1)[-1]
    link = read_action_link_token(token=token, purpose=UNSUBSCRIBE_TOPIC["digest"])
    assert (link.user, link.obj) == (personas.resident, personas.hood)
    assert isinstance(message, EmailMultiAlternatives)
    assert url in message.body and url in str(message.alternatives[0][0])
    # On the wire the header must stay a plain <URL>: an RFC 2047 encoded-word (which the
    # standard library makes of a long unbreakable value) is not a link for mail programs.
    raw = message.message(policy=email.policy.SMTP).as_bytes()
    assert f"\r\nList-Unsubscribe: <{url}>\r\n".encode() in raw


def test_transactional_mail_has_no_unsubscribe(personas, send_on_commit):
    send_on_commit(lambda: approved_mailing(personas, transactional=True))
    for message in mail.outbox:
        assert "List-Unsubscribe" not in message.extra_headers


def test_same_key_sends_nothing_twice(personas, send_on_commit):
    first = send_on_commit(lambda: approved_mailing(personas, key="welcome:1"))
    again = send_on_commit(lambda: approved_mailing(personas, key="welcome:1"))
    assert first.pk == again.pk
    assert len(mail.outbox) == 2
    assert mailing_send(mailing_id=first.pk) == 0
    assert len(mail.outbox) == 2


def test_duplicate_addresses_get_one_delivery(personas, send_on_commit):
    mailing = send_on_commit(
        lambda: mailing_create(
            kind=ResidentMail.INVITATION,
            template="emails/membership_approved",
            recipients=[Recipient(email="a@example.nl"), Recipient(email="A@example.nl ")],
            neighbourhood=personas.hood,
        )
    )
    assert mailing.deliveries.count() == 1
    assert len(mail.outbox) == 1


def test_permanent_failure_is_recorded_and_the_rest_still_goes(personas, flaky, settings):
    settings.MAIL_SUPPRESS_AFTER_PERMANENT_FAILURES = 2
    flaky.failures["mohamed@example.nl"] = smtplib.SMTPRecipientsRefused(
        {"mohamed@example.nl": (550, b"5.1.1 mailbox unavailable")}
    )
    mailing = approved_mailing(personas)
    mailing_send(mailing_id=mailing.pk)
    failed = mailing.deliveries.get(email="mohamed@example.nl")
    assert failed.status == "failed" and "mailbox unavailable" in failed.last_error
    assert mailing.deliveries.get(email="annie@example.nl").status == "sent"
    assert flaky.sent == ["annie@example.nl"]
    row = MailSuppression.objects.get(email="mohamed@example.nl")
    assert row.permanent_failures == 1 and row.suppressed_at is None


def test_repeated_permanent_failures_suppress_the_address(personas, flaky, settings):
    settings.MAIL_SUPPRESS_AFTER_PERMANENT_FAILURES = 2
    flaky.failures["mohamed@example.nl"] = smtplib.SMTPDataError(554, b"rejected")
    for _ in range(2):
        mailing_send(mailing_id=approved_mailing(personas).pk)
    assert MailSuppression.objects.get(email="mohamed@example.nl").suppressed_at is not None
    third = approved_mailing(personas)
    assert third.deliveries.get(email="mohamed@example.nl").status == "suppressed"
    flaky.sent.clear()
    mailing_send(mailing_id=third.pk)
    assert flaky.sent == ["annie@example.nl"]


def test_transient_failure_hands_the_batch_back_for_a_retry(personas, flaky):
    flaky.failures["annie@example.nl"] = smtplib.SMTPResponseException(451, b"try later")
    mailing = approved_mailing(personas)
    with pytest.raises(TransientMailError):
        mailing_send(mailing_id=mailing.pk, batch_size=10)
    statuses = dict(mailing.deliveries.values_list("email", "status"))
    assert statuses == {"mohamed@example.nl": "sent", "annie@example.nl": "queued"}
    assert not MailSuppression.objects.exists()
    del flaky.failures["annie@example.nl"]
    mailing_send(mailing_id=mailing.pk)
    assert flaky.sent == ["mohamed@example.nl", "annie@example.nl"]


def test_connection_refused_is_transient(personas, flaky):
    flaky.failures["mohamed@example.nl"] = ConnectionRefusedError()
    mailing = approved_mailing(personas)
    with pytest.raises(TransientMailError):
        mailing_send(mailing_id=mailing.pk)
    assert set(mailing.deliveries.values_list("status", flat=True)) == {"queued"}


def test_sweep_sends_what_a_killed_worker_left_in_sending(
    personas, settings, send_on_commit, django_capture_on_commit_callbacks
):
    settings.MAIL_SENDING_STALE_SECONDS = 60
    with django_capture_on_commit_callbacks(execute=False):
        mailing = approved_mailing(personas)
    # A worker claimed the rows and died before marking them.
    mailing.deliveries.update(status="sending", claimed_at=timezone.now(), attempts=1)
    assert deliveries_requeue_stale() == 0  # not stale yet: the worker may still be busy
    with time_machine.travel(timezone.now() + timedelta(seconds=61)):
        assert deliveries_requeue_stale() == 1
    assert len(mail.outbox) == 2
    for delivery in mailing.deliveries.all():
        assert delivery.status == "sent" and delivery.attempts == 2


class SweepDuringSend(FlakyBackend):
    """While the first message goes out, the sweep takes the second row back and another
    worker claims it (a slow SMTP step that outlived MAIL_SENDING_STALE_SECONDS)."""

    mailing_id = 0

    def send_messages(self, messages):
        if not self.sent:
            other = Delivery.objects.filter(mailing_id=self.mailing_id).order_by("pk")[1]
            Delivery.objects.filter(pk=other.pk).update(attempts=other.attempts + 1)
        return super().send_messages(messages)


def test_a_row_the_sweep_took_back_is_left_to_its_new_claim(personas, flaky, monkeypatch, settings):
    settings.MAIL_SENDING_STALE_SECONDS = 0  # renew before every message
    mailing = approved_mailing(personas)
    SweepDuringSend.mailing_id = mailing.pk
    SweepDuringSend.sent = []
    monkeypatch.setattr(
        services, "mailers", type("M", (), {"default": property(lambda _: SweepDuringSend())})()
    )
    assert mailing_send(mailing_id=mailing.pk, batch_size=10) == 1
    first, second = mailing.deliveries.order_by("pk")
    assert SweepDuringSend.sent == [first.email]
    assert (first.status, second.status) == ("sent", "sending")  # the new claim's to finish
    assert second.attempts == 2


def test_a_long_batch_renews_its_claim_in_one_statement(
    personas, flaky, settings, django_assert_num_queries
):
    users = [personas.resident, personas.second_resident, personas.chair, personas.wijkagent]
    settings.MAIL_SENDING_STALE_SECONDS = 300
    mailing = approved_mailing(personas, users=users)
    # The mailing; a claim (savepoint, select, update, release, load); who turned this kind
    # off meanwhile (one per batch); one conditional update per message, no renewal; the
    # empty claim that ends the loop.
    with django_assert_num_queries(1 + 5 + 1 + len(users) + 3):
        assert mailing_send(mailing_id=mailing.pk, batch_size=10) == len(users)
    before = timezone.now()
    mailing = approved_mailing(personas, users=users)
    settings.MAIL_SENDING_STALE_SECONDS = 0
    assert mailing_send(mailing_id=mailing.pk, batch_size=10) == len(users)
    for delivery in mailing.deliveries.all():
        assert delivery.status == "sent"
        assert delivery.claimed_at is not None and delivery.claimed_at >= before


def test_sweep_queues_mailings_whose_broker_message_was_lost(
    personas, settings, django_capture_on_commit_callbacks
):
    settings.MAIL_QUEUED_GRACE_SECONDS = 30
    with django_capture_on_commit_callbacks(execute=False):
        mailing = approved_mailing(personas)
    with time_machine.travel(timezone.now() + timedelta(seconds=31)):
        deliveries_requeue_stale()
    assert set(mailing.deliveries.values_list("status", flat=True)) == {"sent"}


def test_chair_retries_failures_but_never_suppressed_addresses(personas, send_on_commit):
    mailing = send_on_commit(lambda: approved_mailing(personas))
    mailing.deliveries.update(status="failed", last_error="550")
    MailSuppression.objects.create(
        email="annie@example.nl", permanent_failures=3, suppressed_at=timezone.now()
    )
    mail.outbox.clear()
    count = send_on_commit(lambda: deliveries_retry_failed(mailing=mailing, by=personas.chair))
    assert count == 1
    assert [m.to for m in mail.outbox] == [["mohamed@example.nl"]]


def test_a_broker_outage_never_breaks_the_caller(personas, monkeypatch, send_on_commit):
    from buurtoverleg.mail import tasks

    def broken(*args, **kwargs):
        raise ConnectionError("redis is down")

    monkeypatch.setattr(tasks.send_mailing, "delay", broken)
    mailing = send_on_commit(lambda: approved_mailing(personas))
    assert set(mailing.deliveries.values_list("status", flat=True)) == {"queued"}


def test_due_work_runs_once_per_interval_and_catches_up(db, monkeypatch):
    calls: list[str] = []
    monkeypatch.setattr(
        "buurtoverleg.mail.pipeline.deliveries_requeue_stale", lambda: calls.append("x")
    )
    monkeypatch.setattr("residents.privacy.purge_departed_members", lambda: calls.append("p"))
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        assert set(run_due()) == {w.name for w in DUE_WORK}
        assert run_due() == []  # a second beat at the same moment does nothing
        clock.shift(timedelta(minutes=1))
        every_minute = {w.name for w in DUE_WORK if w.every == timedelta(minutes=1)}
        assert every_minute >= {"mail.sweep", "rounds.close_due"}
        assert set(run_due()) == every_minute
        clock.shift(timedelta(days=3))  # beat was down: one catch-up run, not three
        assert set(run_due()) == {w.name for w in DUE_WORK}
        assert run_due() == []
    assert calls.count("p") == 2


def test_a_failing_job_does_not_stop_the_others(db, monkeypatch):
    def boom():
        raise RuntimeError("broken")

    monkeypatch.setattr("buurtoverleg.mail.pipeline.deliveries_requeue_stale", boom)
    monkeypatch.setattr("residents.privacy.purge_departed_members", lambda: None)
    ran = run_due()
    assert "residents.purge_departed_members" in ran
    assert "RuntimeError" in DueWorkRun.objects.get(name="mail.sweep").last_error


def test_deleting_an_account_forgets_where_mail_went(personas, send_on_commit):
    mailing = send_on_commit(lambda: approved_mailing(personas))
    assert user_export_data(user=personas.resident)["mail_sent_to_you"][0]["email"] == (
        "mohamed@example.nl"
    )
    user_delete_account(user=personas.resident)
    delivery = Delivery.objects.get(mailing=mailing, email__startswith="removed-")
    assert delivery.user is None and delivery.status == "sent"
