"""The one outgoing-mail pipeline every feature sends through.

A mailing is created with one Delivery row per recipient *before* anything is sent (unique on
mailing + address). Workers claim queued rows with SELECT ... FOR UPDATE SKIP LOCKED, send them
over one SMTP connection per batch and mark them sent with a conditional update. A row left in
"sending" by a killed worker, or "queued" after a lost broker message, is queued again by the
due-work sweep; it then goes out with the same Message-ID. So no message is lost, and the only
duplicate possible is one that was in flight at a crash.

An address whose server answers "try later" (4xx) for its own message delays only itself: that
row goes back to the queue with its own next attempt time (RETRY_DELAYS, growing), the batch
goes on over the same connection, and the sweep queues the mailing again once the time has
come. After the last delay it fails, like a permanent refusal (but without counting towards
blocking the address). A connection the server dropped still hands the whole batch back.
"""

from __future__ import annotations

import email.message
import email.policy
import logging
import operator
import smtplib
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from email.headerregistry import BaseHeader, HeaderRegistry, UnstructuredHeader
from email.policy import EmailPolicy, Policy
from functools import reduce
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.mail import EmailMultiAlternatives, mailers
from django.db import models, transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone, translation

from buurtoverleg.mail import kinds
from buurtoverleg.mail.models import Delivery, Mailing, MailSuppression

log = logging.getLogger(__name__)


# How long one address waits after its server said "try later" (4xx), by attempt: greylisting
# passes within minutes, a full mailbox may take a day. The attempt after the last delay
# (about 31 hours in all) that is refused again fails the delivery.
RETRY_DELAYS = tuple(timedelta(minutes=m) for m in (1, 5, 15, 60, 2 * 60, 4 * 60, 8 * 60, 16 * 60))


class TransientMailError(Exception):
    """The SMTP server or the network failed for now; the batch is released and retried."""


# A person (settings.AUTH_USER_MODEL): the platform names no app's model.
User = Any


@dataclass(frozen=True)
class Recipient:
    email: str
    user: User | None = None
    language: str = ""


def recipients_for(users: Iterable[User]) -> list[Recipient]:
    return [Recipient(email=u.email, user=u, language=u.language) for u in users if u.email]


def _suppressed(emails: Iterable[str]) -> set[str]:
    return set(
        MailSuppression.objects.filter(
            email__in=list(emails), suppressed_at__isnull=False
        ).values_list("email", flat=True)
    )


@transaction.atomic
def mailing_create(
    *,
    kind: str,
    recipients: Iterable[Recipient],
    template: str | None = None,
    neighbourhood: Any = None,  # a residents.Neighbourhood (a string foreign key)
    subject: models.Model | None = None,
    context: dict[str, Any] | None = None,
    created_by: User | None = None,
    key: str | None = None,
) -> Mailing:
    """Record a mailing and its deliveries, and queue the sending once the transaction commits.

    The kind (registered in buurtoverleg.mail.kinds) gives the template unless one is named.
    With a `key`, creating the same mailing again returns the first one and sends nothing
    twice. A kind a person can turn off (it has a topic) skips everyone who turned it off for
    this neighbourhood and carries a one-click unsubscribe link; duty mail always goes and
    carries none. Addresses that bounce permanently are recorded but never sent to.
    """
    if key:
        existing = Mailing.objects.filter(key=key).first()
        if existing:
            return existing
    registered = kinds.kind(kind)
    topic = registered.topic
    if topic is not None and neighbourhood is None:
        raise ValueError(f"A {kind!r} mailing can be turned off per neighbourhood: name one.")
    mailing = Mailing.objects.create(
        kind=kind,
        template=template or registered.template,
        neighbourhood=neighbourhood,
        subject_type=ContentType.objects.get_for_model(subject) if subject else None,
        subject_id=subject.pk if subject else None,
        context=context or {},
        created_by=created_by,
        key=key,
    )
    unique: dict[str, Recipient] = {}
    for recipient in recipients:
        unique.setdefault(recipient.email.strip().lower(), recipient)
    if topic is not None and neighbourhood is not None:
        off = kinds.preferences().turned_off(
            user_ids=[r.user.pk for r in unique.values() if r.user is not None],
            neighbourhood_id=neighbourhood.pk,
            topic=topic,
        )
        unique = {e: r for e, r in unique.items() if r.user is None or r.user.pk not in off}
    blocked = _suppressed(unique)
    Delivery.objects.bulk_create(
        Delivery(
            mailing=mailing,
            user=r.user,
            email=email,
            language=r.language or (r.user.language if r.user else settings.LANGUAGE_CODE),
            status=Delivery.Status.SUPPRESSED if email in blocked else Delivery.Status.QUEUED,
            last_error="Address blocked after repeated permanent failures."
            if email in blocked
            else "",
        )
        for email, r in unique.items()
    )
    transaction.on_commit(lambda: mailing_enqueue(mailing_id=mailing.pk))
    return mailing


def mailing_enqueue(*, mailing_id: int) -> None:
    """Ask a worker to send; a broker outage only delays the mail (the sweep catches up)."""
    from buurtoverleg.mail.tasks import send_mailing

    try:
        send_mailing.delay(mailing_id)
    except Exception:
        # The deliveries are safe in the database; never fail the page that made them.
        log.warning("Could not queue mailing %s; the sweep will retry.", mailing_id, exc_info=True)


def _claim(mailing_id: int, size: int) -> list[Delivery]:
    now = timezone.now()
    with transaction.atomic():
        ids = list(
            Delivery.objects.select_for_update(skip_locked=True)
            .filter(mailing_id=mailing_id, status=Delivery.Status.QUEUED)
            # An address told to try later waits its turn; the rest of the mailing does not.
            .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
            .order_by("pk")
            .values_list("pk", flat=True)[:size]
        )
        if ids:
            Delivery.objects.filter(pk__in=ids).update(
                status=Delivery.Status.SENDING, claimed_at=now, attempts=F("attempts") + 1
            )
    return list(Delivery.objects.filter(pk__in=ids).select_related("user").order_by("pk"))


class _OneLineHeader(UnstructuredHeader, BaseHeader):
    """A header written on one line (up to RFC 5322's 998 characters), never folded.

    For List-Unsubscribe: at 78 characters Python can only "fold" the unbreakable <URL> by
    rewriting it as RFC 2047 encoded-words (=?utf-8?q?=3Chttp...), and mail programs then
    do not see a link: one-click unsubscribe silently stops working.
    """

    def fold(self, *, policy: email.policy.Policy) -> str:
        return super().fold(policy=policy.clone(max_line_length=998))


class _HeaderClasses(HeaderRegistry):
    """The standard header registry, but it makes each header class once: the standard
    library builds a new class (type(...)) for every header of every message, ~1 ms each."""

    def __init__(self) -> None:
        super().__init__()
        self.map_to_type("list-unsubscribe", _OneLineHeader)
        self._made: dict[str, type] = {}

    def __getitem__(self, name: str) -> type:
        key = name.lower()
        if (cls := self._made.get(key)) is None:
            cls = self._made[key] = super().__getitem__(key)
        return cls


_HEADER_CLASSES = _HeaderClasses()


class LedgerMessage(EmailMultiAlternatives):
    def message(self, *, policy: Policy | None = None) -> email.message.EmailMessage:
        base = policy or email.policy.default
        if isinstance(base, EmailPolicy):
            base = base.clone(header_factory=_HEADER_CLASSES)
        return super().message(policy=base)


# Files a kind of mailing attaches, per recipient: (mailing, delivery) -> [(name, bytes, type)].
# Registered by the feature that sends that kind (the agenda's .ics, the minutes' PDF); called
# at sending time, so a message sent again after a crash carries the same files.
Attachment = tuple[str, bytes, str]
ATTACHMENTS: dict[str, Callable[[Mailing, Delivery], list[Attachment]]] = {}


def attachments_for(kind: str) -> Callable[[Callable[..., list[Attachment]]], Any]:
    def register(build: Callable[..., list[Attachment]]) -> Any:
        if kind in ATTACHMENTS:
            raise ValueError(f"attachments for {kind!r} are registered twice")
        ATTACHMENTS[kind] = build
        return build

    return register


# What a kind of mailing adds to its templates' context: mailing -> {name: value}. Registered
# by the feature that sends that kind; called once per sending run, before any recipient's
# message is rendered, so templates and template tags read nothing from the database.
CONTEXTS: dict[str, Callable[[Mailing], dict[str, Any]]] = {}


def context_for(kind: str) -> Callable[[Callable[[Mailing], dict[str, Any]]], Any]:
    def register(build: Callable[[Mailing], dict[str, Any]]) -> Any:
        if kind in CONTEXTS:
            raise ValueError(f"the context of {kind!r} is registered twice")
        CONTEXTS[kind] = build
        return build

    return register


def list_unsubscribe_headers(url: str) -> dict[str, str]:
    """One-click unsubscribe (RFC 2369 and 8058) for a link made already, which the mail's
    footer shows too. The link itself comes from the registered preferences."""
    return {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


def _render(mailing: Mailing, delivery: Delivery, base: dict[str, Any]) -> EmailMultiAlternatives:
    context = {**base, "recipient": delivery.user, "email": delivery.email}
    headers = {"Message-ID": delivery.message_id}
    topic = mailing.topic
    if topic is not None and delivery.user is not None and mailing.neighbourhood is not None:
        expires = timezone.now() + timedelta(days=60)
        # Signed once, used twice (header and footer): it turns off this kind of mail from
        # this neighbourhood only.
        url = kinds.preferences().unsubscribe_url(
            user=delivery.user,
            topic=topic,
            neighbourhood=mailing.neighbourhood,
            expires_at=expires,
        )
        context["unsubscribe_url"] = url
        headers |= list_unsubscribe_headers(url)
    with translation.override(delivery.language or settings.LANGUAGE_CODE):
        subject = " ".join(render_to_string(f"{mailing.template}.subject", context).split())
        text = render_to_string(f"{mailing.template}.txt", context)
        html = render_to_string(f"{mailing.template}.html", context)
    message = LedgerMessage(
        subject=settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + subject,
        body=text,
        to=[delivery.email],
        headers=headers,
    )
    message.attach_alternative(html, "text/html")
    if (build := ATTACHMENTS.get(mailing.kind)) is not None:
        with translation.override(delivery.language or settings.LANGUAGE_CODE):
            for name, content, mimetype in build(mailing, delivery):
                message.attach(name, content, mimetype)
    return message


def _base_context(mailing: Mailing) -> dict[str, Any]:
    base = {
        **mailing.context,
        "mailing": mailing,
        "neighbourhood": mailing.neighbourhood,
        "subject": mailing.subject,
        "site_url": settings.SITE_URL,
    }
    if (build := CONTEXTS.get(mailing.kind)) is not None:
        base |= build(mailing)
    return base


def _permanent(exc: Exception) -> bool:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _msg in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code >= 500
    return False


def _only_this_message(exc: Exception) -> bool:
    """A "try later" (4xx) about this one message: its recipient, or its content. smtplib has
    reset the session, so the connection serves the next message. 421 means the server is
    closing the connection: that is for the whole batch."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _msg in exc.recipients.values()]
        return bool(codes) and all(400 <= code < 500 and code != 421 for code in codes)
    if isinstance(exc, smtplib.SMTPDataError):
        return 400 <= exc.smtp_code < 500 and exc.smtp_code != 421
    return False


def _retry_later(delivery: Delivery, error: str) -> None:
    """Give this one delivery its own next attempt (by its number of attempts so far, each a
    claim), or fail it once the last delay has passed."""
    if delivery.attempts > len(RETRY_DELAYS):
        _finish(delivery, status=Delivery.Status.FAILED, last_error=error[:2000])
        return
    _finish(
        delivery,
        status=Delivery.Status.QUEUED,
        next_attempt_at=timezone.now() + RETRY_DELAYS[delivery.attempts - 1],
        last_error=error[:2000],
    )


def _record_permanent_failure(email: str, error: str) -> None:
    with transaction.atomic():
        row, _created = MailSuppression.objects.select_for_update().get_or_create(email=email)
        row.permanent_failures += 1
        row.last_error = error[:2000]
        if (
            row.permanent_failures >= settings.MAIL_SUPPRESS_AFTER_PERMANENT_FAILURES
            and row.suppressed_at is None
        ):
            row.suppressed_at = timezone.now()
        row.save()


def _mine(deliveries: Iterable[Delivery]) -> models.QuerySet[Delivery]:
    """The rows this worker's claim still holds. A claim is (row, attempts): every claim bumps
    `attempts`, so a row the sweep took back is no longer this worker's, even once another
    worker has claimed it ("sending" again)."""
    rows = list(deliveries)
    if not rows:
        return Delivery.objects.none()
    sending = Delivery.objects.filter(status=Delivery.Status.SENDING)
    if len(rows) == 1:  # the common case, per message: skip building an OR of Q objects
        return sending.filter(pk=rows[0].pk, attempts=rows[0].attempts)
    return sending.filter(reduce(operator.or_, [Q(pk=d.pk, attempts=d.attempts) for d in rows]))


def _renew(pending: list[Delivery]) -> list[Delivery]:
    """Renew this worker's claim on the rows it still holds; the rest (taken back by the
    sweep meanwhile) are left to whoever claims them now."""
    _mine(pending).update(claimed_at=timezone.now())
    held = set(_mine(pending).values_list("pk", flat=True))
    return [d for d in pending if d.pk in held]


def _finish(delivery: Delivery, **fields: Any) -> None:
    # Conditional: only the claim holder moves a row out of "sending".
    _mine([delivery]).update(**fields)


def _without_turned_off(mailing: Mailing, batch: list[Delivery]) -> list[Delivery]:
    """A person who turned this kind off after the mailing was recorded (say, with the link in
    the previous one) gets no message: one query per batch."""
    topic = mailing.topic
    if topic is None or mailing.neighbourhood_id is None:
        return list(batch)
    off = kinds.preferences().turned_off(
        user_ids=[d.user_id for d in batch if d.user_id is not None],
        neighbourhood_id=mailing.neighbourhood_id,
        topic=topic,
    )
    if not off:
        return list(batch)
    skipped = [d for d in batch if d.user_id in off]
    _mine(skipped).update(
        status=Delivery.Status.UNSUBSCRIBED, last_error="Turned off by the person."
    )
    return [d for d in batch if d.user_id not in off]


def mailing_send(*, mailing_id: int, batch_size: int | None = None) -> int:
    """Send every queued delivery of a mailing that is due, batch by batch. Returns how many
    were sent. Rows told to try later are left for their own time: the sweep queues the
    mailing again then.

    Safe to run many times and in parallel: each batch is claimed exclusively.
    """
    mailing = (
        Mailing.objects.select_related("neighbourhood", "subject_type")
        .filter(pk=mailing_id)
        .first()
    )
    if mailing is None:
        return 0
    base = _base_context(mailing)
    size = batch_size or settings.MAIL_BATCH_SIZE
    sent = 0
    # A claim is renewed well before the sweep could take it back, so only one message, not
    # a whole batch, has to fit in MAIL_SENDING_STALE_SECONDS; renewing the rest of the batch
    # in one statement now and then, rather than a row before each message, halves the writes.
    renew_after = settings.MAIL_SENDING_STALE_SECONDS / 4
    while batch := _claim(mailing_id, size):
        pending = _without_turned_off(mailing, batch)
        renewed = time.monotonic()
        try:
            with mailers.default as connection:
                while pending:
                    if time.monotonic() - renewed >= renew_after:
                        renewed = time.monotonic()
                        if not (pending := _renew(pending)):
                            break
                    delivery = pending[0]
                    try:
                        message = _render(mailing, delivery, base)
                        connection.send_messages([message])
                    except (smtplib.SMTPResponseException, smtplib.SMTPRecipientsRefused) as exc:
                        if _only_this_message(exc):
                            # Only this address waits; the next message uses the connection.
                            _retry_later(delivery, str(exc))
                        elif _permanent(exc):
                            _finish(delivery, status=Delivery.Status.FAILED, last_error=str(exc))
                            _record_permanent_failure(delivery.email, str(exc))
                        else:
                            raise TransientMailError(str(exc)) from exc
                    else:
                        _finish(
                            delivery,
                            status=Delivery.Status.SENT,
                            sent_at=timezone.now(),
                            last_error="",
                        )
                        sent += 1
                    pending.pop(0)
        except (TransientMailError, smtplib.SMTPException, OSError) as exc:
            # Hand the rest of this batch back, so a retry (or another worker) sends it.
            _mine(pending).update(
                status=Delivery.Status.QUEUED,
                last_error=str(exc)[:2000],
                queued_at=timezone.now(),
                next_attempt_at=None,
            )
            raise TransientMailError(str(exc)) from exc
    return sent


def deliveries_requeue_stale() -> int:
    """The sweep: rows stuck in "sending" go back to the queue; mailings with queued rows that
    are due (queued a while ago, or whose own next attempt time has come) are queued again.
    Returns the number of mailings queued."""
    now = timezone.now()
    Delivery.objects.filter(
        status=Delivery.Status.SENDING,
        claimed_at__lt=now - timedelta(seconds=settings.MAIL_SENDING_STALE_SECONDS),
    ).update(
        status=Delivery.Status.QUEUED,
        queued_at=now - timedelta(days=1),
        next_attempt_at=None,
        last_error="Sent again after an interrupted attempt.",
    )
    grace = now - timedelta(seconds=settings.MAIL_QUEUED_GRACE_SECONDS)
    mailing_ids = list(
        Delivery.objects.filter(
            Q(next_attempt_at__isnull=True, queued_at__lt=grace) | Q(next_attempt_at__lte=now),
            status=Delivery.Status.QUEUED,
        )
        .values_list("mailing_id", flat=True)
        .distinct()
        .order_by()
    )
    for mailing_id in mailing_ids:
        mailing_enqueue(mailing_id=mailing_id)
    return len(mailing_ids)


@transaction.atomic
def deliveries_retry_failed(*, mailing: Mailing, by: User) -> int:
    """The chair retries failed deliveries (never suppressed addresses)."""
    count = (
        Delivery.objects.filter(mailing=mailing, status=Delivery.Status.FAILED)
        .exclude(
            email__in=MailSuppression.objects.filter(suppressed_at__isnull=False).values("email")
        )
        .update(status=Delivery.Status.QUEUED, queued_at=timezone.now(), next_attempt_at=None)
    )
    if count:
        transaction.on_commit(lambda: mailing_enqueue(mailing_id=mailing.pk))
    log.info("%s queued %s failed deliveries of mailing %s again", by.pk, count, mailing.pk)
    return count


def mail_suppression_lift(*, email: str) -> None:
    """A person confirmed (or changed to) this address: give it a fresh start."""
    MailSuppression.objects.filter(email=email.lower()).delete()


__all__ = [
    "Recipient",
    "TransientMailError",
    "deliveries_requeue_stale",
    "deliveries_retry_failed",
    "mail_suppression_lift",
    "mailing_create",
    "mailing_enqueue",
    "mailing_send",
    "recipients_for",
]
