"""`manage.py demo` builds a register that looks like a year of use. Its history mails nobody:
the only mail is news a real installation would send, the minutes of last month's meeting and
the agenda of Ondiep's next one."""

from __future__ import annotations

from collections import Counter

from django.core import mail
from django.core.management import call_command

from buurtoverleg.mail.models import Delivery
from meetings.mail_kinds import MeetingMail
from problems.models import Problem, Support, TimelineEntry
from problems.workflow import Move, Status


def test_the_demo_register(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("demo", quiet=True)
    problems = Problem.objects.filter(neighbourhood__slug="kanaleneiland-noord")
    statuses = Counter(problems.values_list("status", flat=True))
    assert 30 <= problems.count() <= 50
    assert set(statuses) == set(Status)  # every status, a merged pair included
    assert statuses[Status.NEW] >= 3  # waiting for moderation
    assert problems.filter(sensitive=True, status=Status.ACCEPTED).exists()
    assert problems.exclude(chronic_confirmed_at=None).count() == 1
    merged = problems.get(status=Status.MERGED)
    assert merged.merged_into is not None and merged.merged_into.status == Status.PRIORITY
    assert TimelineEntry.objects.filter(move=Move.MERGED_IN).count() == 1
    assert Support.objects.count() > 40
    for problem in problems:  # the denormalised count agrees with the rows
        assert problem.support_count == problem.supports.count()
    assert Problem.objects.filter(neighbourhood__slug="ondiep").exists()
    # History, not news: nobody is mailed about it when the demo loads. News is: last month's
    # minutes, published, and the agenda of Ondiep's next meeting.
    kinds = set(
        Delivery.objects.exclude(status=Delivery.Status.SENT).values_list(
            "mailing__kind", flat=True
        )
    )
    assert kinds <= {MeetingMail.MINUTES, MeetingMail.AGENDA}, kinds
    subjects = [message.subject for message in mail.outbox]
    assert any("Notulen" in subject for subject in subjects), subjects
    assert any("Agenda" in subject or "agenda" in subject for subject in subjects), subjects
    ondiep = {to for message in mail.outbox if "Ondiep" in message.subject for to in message.to}
    assert "wim@example.nl" in ondiep

    call_command("demo", quiet=True)  # a second run changes nothing
    assert Problem.objects.filter(neighbourhood__slug="kanaleneiland-noord").count() == len(
        problems
    )
