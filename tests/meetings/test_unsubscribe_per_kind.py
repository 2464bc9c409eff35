"""Unsubscribe means it: the link in a mail turns off that kind of mail from that neighbourhood.

For every kind a person can turn off: a mail of that kind carries a one-click link; after the
mail program POSTs it, no further mail of that kind from that neighbourhood reaches the address
(also not a mailing that was already recorded and is sent later), while other kinds, and the
same kind from another neighbourhood, still do. Duty mail carries no link at all.
"""

from __future__ import annotations

import itertools

import pytest
from django.core import mail
from django.test import Client

from buurtoverleg.mail.kinds import KINDS
from buurtoverleg.mail.models import Delivery, Mailing
from buurtoverleg.mail.pipeline import mailing_create, mailing_send, recipients_for
from meetings.mail_kinds import MeetingMail
from problems.mail_kinds import ProblemMail
from residents.models import MailPreference, MailTopic, Membership, User

TOPICS = {k.value: k.topic for k in KINDS.values() if k.topic is not None}
OPTIONAL = sorted(TOPICS)
DUTY = sorted(set(KINDS) - set(TOPICS))
_keys = itertools.count()


def send(kind: str, hood, users: list[User], *, on_commit=None) -> Mailing:
    """A mailing of `kind` (any template will do: the kind decides the rules)."""
    mailing = mailing_create(
        kind=kind,
        template="emails/membership_approved",
        recipients=recipients_for(users),
        neighbourhood=hood,
        context={"neighbourhood_url": "https://x/buurt", "login_url": "https://x/login"},
        key=f"unsubscribe-test:{next(_keys)}",
    )
    mailing_send(mailing_id=mailing.pk)
    return mailing


def mails_to(address: str) -> list:
    return [m for m in mail.outbox if m.to == [address]]


def one_click(message) -> None:
    """What a mail program does with List-Unsubscribe-Post: a POST, no cookies, no CSRF."""
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = message.extra_headers["List-Unsubscribe"].strip("<>")
    path = url.split("://", 1)[1].split("/", 1)[1]
    response = Client(enforce_csrf_checks=True).post("/" + path, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200


def test_every_kind_is_either_optional_or_duty_mail():
    assert set(TOPICS.values()) == set(MailTopic.values)
    assert {
        "membership_approved",
        "invitation",
        "action_reminder",
        "action_overdue",
        "survey_worse",
    } == set(DUTY)


@pytest.mark.parametrize("kind", OPTIONAL)
def test_after_the_one_click_post_no_more_mail_of_that_kind(personas, kind):
    resident, hood, other = personas.resident, personas.hood, personas.other_hood
    Membership.objects.create(user=resident, neighbourhood=other, status="active")
    send(kind, hood, [resident, personas.second_resident])
    [message] = mails_to(resident.email)
    assert f"/mail-afmelden/{TOPICS[kind]}/" in message.extra_headers["List-Unsubscribe"]
    # Recorded before the click, sent after it: it must not go either.
    pending = mailing_create(
        kind=kind,
        template="emails/membership_approved",
        recipients=recipients_for([resident]),
        neighbourhood=hood,
        context={"neighbourhood_url": "https://x/buurt", "login_url": "https://x/login"},
        key=f"pending:{kind}",
    )
    for _repeat in range(2):  # mail programs may POST twice
        one_click(message)
    mail.outbox.clear()

    mailing_send(mailing_id=pending.pk)
    assert pending.deliveries.get().status == Delivery.Status.UNSUBSCRIBED
    for same_topic in [k for k in OPTIONAL if TOPICS[k] == TOPICS[kind]]:
        later = send(same_topic, hood, [resident, personas.second_resident])
        assert not later.deliveries.filter(email=resident.email).exists()
    assert mails_to(resident.email) == []
    assert len(mails_to(personas.second_resident.email)) >= 1  # nobody else is touched

    # Another kind from this neighbourhood, and this kind from the other one, still come.
    other_kind = next(k for k in OPTIONAL if TOPICS[k] != TOPICS[kind])
    send(other_kind, hood, [resident])
    send(kind, other, [resident])
    assert len(mails_to(resident.email)) == 2
    # Duty mail always goes, without a link.
    send(ProblemMail.ACTION_REMINDER, hood, [resident])
    [duty] = mails_to(resident.email)[2:]
    assert "List-Unsubscribe" not in duty.extra_headers
    assert list(MailPreference.objects.values_list("neighbourhood", "topic", "enabled")) == [
        (hood.pk, TOPICS[kind], False)
    ]


@pytest.mark.parametrize("kind", DUTY)
def test_duty_mail_has_no_unsubscribe_link(personas, kind):
    send(kind, personas.hood, [personas.resident])
    [message] = mails_to(personas.resident.email)
    assert "List-Unsubscribe" not in message.extra_headers
    assert "mail-afmelden" not in message.body


def test_all_mail_from_the_neighbourhood_from_the_page(personas, client):
    resident, hood = personas.resident, personas.hood
    send(MeetingMail.DIGEST, hood, [resident])
    [message] = mails_to(resident.email)
    url = message.extra_headers["List-Unsubscribe"].strip("<>")
    path = "/" + url.split("://", 1)[1].split("/", 1)[1]
    page = client.get(path).content.decode()
    assert "Stop all e-mail from" in page or "Alle e-mail van" in page
    response = client.post(path, {"scope": "all"})
    assert response.status_code == 200
    assert set(
        MailPreference.objects.filter(user=resident, neighbourhood=hood).values_list(
            "topic", flat=True
        )
    ) == set(MailTopic.values)
    mail.outbox.clear()
    for kind in OPTIONAL:
        send(kind, hood, [resident])
    assert mails_to(resident.email) == []


def test_the_page_speaks_the_language_of_the_person_in_the_link(personas):
    User.objects.filter(pk=personas.resident.pk).update(language="en")
    personas.resident.refresh_from_db()
    send(MeetingMail.MINUTES, personas.hood, [personas.resident])
    [message] = mails_to(personas.resident.email)
    url = message.extra_headers["List-Unsubscribe"].strip("<>")
    path = "/" + url.split("://", 1)[1].split("/", 1)[1]
    visitor = Client()  # no language cookie: the site's default would be Dutch
    page = visitor.get(path)
    assert page["Content-Language"] == "en"
    html = page.content.decode()
    assert "Do you want to stop these e-mails from" in html and 'lang="en"' in html
    assert "The minutes after every meeting" in html
    done = visitor.post(path).content.decode()
    assert "You will no longer get these e-mails" in done
    assert f"Would you rather get no e-mail at all from {personas.hood.name}?" in done
    # A Dutch resident's link gives the Dutch page, whatever the visitor's cookie says.
    send(MeetingMail.MINUTES, personas.hood, [personas.second_resident])
    [dutch] = mails_to(personas.second_resident.email)
    path = (
        "/"
        + dutch.extra_headers["List-Unsubscribe"].strip("<>").split("://", 1)[1].split("/", 1)[1]
    )
    visitor.cookies["django_language"] = "en"
    html = visitor.get(path).content.decode()
    assert 'lang="nl"' in html and "De notulen na elk overleg" in html


def test_a_link_for_another_kind_or_neighbourhood_is_refused(personas, client):
    send(MeetingMail.DIGEST, personas.hood, [personas.resident])
    [message] = mails_to(personas.resident.email)
    path = (
        "/"
        + message.extra_headers["List-Unsubscribe"].strip("<>").split("://", 1)[1].split("/", 1)[1]
    )
    # The same token under another kind's address: its signature is for the digest only.
    response = client.post(path.replace("/digest/", "/minutes/"))
    assert response.status_code == 400
    response = client.post(path.replace("/digest/", "/nonsense/"))
    assert response.status_code == 404
    assert not MailPreference.objects.exists()
