"""The progress digest (meetings.digest.services): residents who want it hear what changed in their
neighbourhood, at most once per ISO week and never in an empty mail; public fields only."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.utils import timezone

from buurtoverleg.due import DUE_WORK, run_due
from buurtoverleg.mail.models import Mailing
from meetings.actions.services import action_create, action_progress_post
from meetings.digest.services import digest_changes, digests_send_due
from meetings.mail_kinds import MeetingMail
from meetings.rounds.models import PriorityRound
from meetings.services import agenda_publish, meeting_create
from problems.models import Category, Problem
from problems.services import problem_report, problem_transition
from problems.workflow import ROUND, Move
from residents.links import UNSUBSCRIBE_TOPIC, read_action_link_token
from residents.mail_preferences import mail_preference_set
from residents.models import Membership, Role, User
from tests.conftest import Personas, make_person

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
MONDAY = datetime(2026, 1, 5, 10, 0, tzinfo=AMSTERDAM)
DIGEST = MeetingMail.DIGEST
# Planted where a digest must never look: a sensitive problem's real title and confidential
# details, its reporter's name, and a new report nobody of the team has accepted yet.
SECRET_TITLE = "Qzgeheimetitelxq"
CONFIDENTIAL = "Qzvertrouwelijkxq"
REPORTER = "Qzmelderxq"
NOT_PUBLIC = "Qznietopenbaarxq"
SUMMARY = "Overlast bij het speeltuintje"

Sending = Callable[[Callable[[], Any]], Any]


@pytest.fixture(autouse=True)
def clock() -> Iterator[Any]:
    with time_machine.travel(MONDAY, tick=False) as traveller:
        yield traveller


@pytest.fixture
def sending(django_capture_on_commit_callbacks) -> Sending:
    def run(action: Callable[[], Any]) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return action()

    return run


def report(personas: Personas, title: str, *, hood=None, **extra: Any) -> Problem:
    return problem_report(
        neighbourhood=hood or personas.hood,
        reporter=extra.pop("reporter", None),
        category=Category.objects.get(slug=extra.pop("category", "zwerfvuil")),
        title=title,
        description="Het is er al maanden zo.",
        street="Marshalllaan",
        **extra,
    )


def move(personas: Personas, problem: Problem, *moves: Move) -> Problem:
    for step in moves:
        problem_transition(
            problem=problem,
            move=step,
            actor=None if step == Move.PRIORITISE else personas.chair,
            actors={ROUND} if step == Move.PRIORITISE else {"chair"},
        )
    problem.refresh_from_db()
    return problem


def digests(hood=None) -> list[Mailing]:
    found = Mailing.objects.filter(kind=DIGEST).order_by("created_at", "pk")
    return list(found.filter(neighbourhood=hood) if hood is not None else found)


def messages_of(mailing: Mailing) -> dict[str, EmailMultiAlternatives]:
    found: dict[str, EmailMultiAlternatives] = {}
    for message in mail.outbox:
        if f".mailing-{mailing.pk}@" in message.extra_headers.get("Message-ID", ""):
            assert isinstance(message, EmailMultiAlternatives)
            [address] = message.to
            assert address not in found
            found[address] = message
    return found


def html_of(message: EmailMultiAlternatives) -> str:
    [(content, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    return str(content)


def run_daily(sending: Sending, clock: Any, days: int = 1) -> None:
    """The daily due work, `days` days in a row (and the digest job once more each day)."""
    for _ in range(days):
        sending(run_due)
        sending(digests_send_due)
        clock.shift(timedelta(days=1))


def test_the_digest_is_daily_due_work() -> None:
    [work] = [w for w in DUE_WORK if w.name == "meetings.digest"]
    assert work.every == timedelta(days=1)
    assert work.function == "meetings.digest.services.digests_send_due"


def test_no_digest_when_nothing_changed(personas, sending, clock):
    # Old news: accepted well before the first digest's week.
    clock.move_to(MONDAY - timedelta(days=20))
    move(personas, report(personas, "Oud nieuws"), Move.ACCEPT)
    clock.move_to(MONDAY)
    run_daily(sending, clock, days=14)
    assert digests() == []
    assert digest_changes(personas.hood, MONDAY - timedelta(days=7), MONDAY) == {
        "problems": [],
        "actions": [],
        "rounds": [],
    }


def test_at_most_one_digest_a_week_each_with_what_is_new_since_the_last(personas, sending, clock):
    first_news = move(personas, report(personas, "Losliggende stoeptegels"), Move.ACCEPT)
    clock.shift(timedelta(hours=1))
    run_daily(sending, clock, days=1)  # Monday
    [first] = digests()
    body = messages_of(first)[personas.resident.email].body
    assert "Losliggende stoeptegels" in body
    # More news on Tuesday and Thursday: nothing more this week, however often it runs.
    move(personas, report(personas, "Kapotte lantaarn"), Move.ACCEPT)
    run_daily(sending, clock, days=2)
    move(personas, first_news, Move.NOMINATE)
    run_daily(sending, clock, days=3)  # Thursday to Saturday
    assert digests() == [first]
    assert timezone.localdate().isoweekday() == 7  # Sunday: still the same ISO week
    sending(digests_send_due)
    assert digests() == [first]
    clock.shift(timedelta(days=1))  # the next Monday
    run_daily(sending, clock, days=3)
    first_again, second = digests()
    assert first_again == first
    assert timezone.localtime(second.created_at).date() == (MONDAY + timedelta(days=7)).date()
    body = messages_of(second)[personas.resident.email].body
    assert "Kapotte lantaarn" in body and "Losliggende stoeptegels" in body  # nominated since
    assert len(second.context["problems"]) == 2
    # A quiet week after that: no digest at all (never an empty one).
    run_daily(sending, clock, days=7)
    assert len(digests()) == 2


def test_recipients_are_residents_who_want_it(personas, sending, clock):
    opted_out = make_person("Stille Bewoner", "stil@example.nl")
    Membership.objects.create(user=opted_out, neighbourhood=personas.hood, status="active")
    mail_preference_set(user=opted_out, neighbourhood=personas.hood, topic="digest", enabled=False)
    move(personas, report(personas, "Losliggende stoeptegels"), Move.ACCEPT)
    run_daily(sending, clock)
    [mailing] = digests()
    addressed = set(mailing.deliveries.values_list("email", flat=True))
    assert addressed == {
        personas.resident.email,
        personas.second_resident.email,
        personas.minute_taker.email,  # also a resident
    }
    assert set(messages_of(mailing)) == addressed
    assert opted_out.email not in addressed and personas.pending_resident.email not in addressed
    assert personas.wijkagent.email not in addressed and personas.outsider.email not in addressed


def test_each_neighbourhood_gets_its_own_digest_only_when_it_changed(personas, sending, clock):
    move(personas, report(personas, "Elders kapot", hood=personas.other_hood), Move.ACCEPT)
    run_daily(sending, clock)
    [mailing] = digests()
    assert mailing.neighbourhood == personas.other_hood
    assert set(mailing.deliveries.values_list("email", flat=True)) == {personas.outsider.email}
    assert digests(personas.hood) == []


def test_headers_language_and_both_parts(personas, sending, clock):
    User.objects.filter(pk=personas.second_resident.pk).update(language="en")
    move(personas, report(personas, "Losliggende stoeptegels"), Move.ACCEPT)
    run_daily(sending, clock)
    [mailing] = digests()
    messages = messages_of(mailing)
    english = messages[personas.second_resident.email]
    assert english.subject.endswith("What has changed in Kanaleneiland-Noord")
    assert "Losliggende stoeptegels: Accepted" in english.body
    assert 'lang="en"' in html_of(english)
    dutch = messages[personas.resident.email]
    assert 'lang="nl"' in html_of(dutch) and "Hallo," in dutch.body
    for address, message in messages.items():
        delivery = mailing.deliveries.get(email=address)
        assert message.extra_headers["Message-ID"] == delivery.message_id
        unsubscribe = message.extra_headers["List-Unsubscribe"].strip("<>")
        token = unsubscribe.rstrip("/").rsplit("/", 1)[-1]
        link = read_action_link_token(token=token, purpose=UNSUBSCRIBE_TOPIC["digest"])
        assert (link.user, link.obj) == (delivery.user, personas.hood)
        assert unsubscribe in message.body and unsubscribe in html_of(message)
        assert "Losliggende stoeptegels" in message.body
        assert "Losliggende stoeptegels" in html_of(message)


@pytest.fixture
def sensitive(personas: Personas) -> Problem:
    """A sensitive priority reported by a named resident, with confidential details."""
    reporter = make_person(REPORTER, "melder@example.nl")
    Membership.objects.create(
        user=reporter, neighbourhood=personas.hood, role=Role.RESIDENT, status="active"
    )
    problem = report(
        personas,
        SECRET_TITLE,
        category="drugsoverlast",
        reporter=reporter,
        confidential_details=f"Bij nummer 12, {CONFIDENTIAL}",
        reporter_name_public=True,
    )
    Problem.objects.filter(pk=problem.pk).update(public_summary=SUMMARY)
    return move(personas, problem, Move.ACCEPT, Move.NOMINATE, Move.PRIORITISE)


def test_only_public_fields_reach_the_digest(personas, sensitive, sending, clock):
    report(personas, NOT_PUBLIC, reporter=personas.resident)  # new: for the team only
    action = action_create(
        problem=sensitive,
        actor=personas.chair,
        role="chair",
        outcome="Extra surveillance in de avond",
        due_date=timezone.localdate() + timedelta(days=30),
        owner_organisation=personas.police,
        owner_person=personas.wijkagent,
    )
    action_progress_post(
        action=action,
        actor=personas.wijkagent,
        role="professional",
        text="Drie avonden gesurveilleerd.",
    )
    run_daily(sending, clock)
    [mailing] = digests()
    messages = messages_of(mailing)
    assert len(messages) == 4  # three residents and the reporter
    for message in messages.values():
        html = html_of(message)
        for part in (message.subject, message.body, html):
            for marker in (SECRET_TITLE, CONFIDENTIAL, REPORTER, NOT_PUBLIC):
                assert marker not in part
        for part in (message.body, html):
            assert SUMMARY in part
            assert "Extra surveillance in de avond" in part
            assert "Drie avonden gesurveilleerd." in part
            assert "Politie Midden-Nederland" in part
            assert personas.wijkagent.display_name not in part
    # The mailing itself records ids and values, not the texts that stay with the team.
    recorded = str(mailing.context)
    for marker in (SECRET_TITLE, CONFIDENTIAL, REPORTER, NOT_PUBLIC):
        assert marker not in recorded


def test_action_progress_alone_makes_a_digest(personas, sending, clock):
    clock.move_to(MONDAY - timedelta(days=30))
    problem = move(
        personas, report(personas, "Zwerfvuil"), Move.ACCEPT, Move.NOMINATE, Move.PRIORITISE
    )
    action = action_create(
        problem=problem,
        actor=personas.chair,
        role="chair",
        outcome="De glasbak wordt twee keer per week geleegd",
        due_date=timezone.localdate() + timedelta(days=60),
        owner_organisation=personas.housing,
        owner_person=personas.housing_contact,
    )
    clock.move_to(MONDAY)
    run_daily(sending, clock)
    assert digests() == []  # nothing new this week
    action_progress_post(
        action=action,
        actor=personas.housing_contact,
        role="professional",
        text="Het ophaalschema is aangepast.",
    )
    run_daily(sending, clock)
    [mailing] = digests()
    assert mailing.context["problems"] == []
    body = messages_of(mailing)[personas.resident.email].body
    assert "Het ophaalschema is aangepast." in body
    assert "De glasbak wordt twee keer per week geleegd (Zwerfvuil)" in body


def test_a_new_priority_round_is_news(personas, sending, clock):
    clock.move_to(MONDAY - timedelta(days=30))
    move(personas, report(personas, "Donker fietspad"), Move.ACCEPT, Move.NOMINATE)
    clock.move_to(MONDAY)
    start = MONDAY + timedelta(days=15)
    meeting = meeting_create(
        neighbourhood=personas.hood, starts_at=start, ends_at=start + timedelta(hours=2), place=""
    )
    sending(lambda: agenda_publish(meeting=meeting))  # opens the round
    round = PriorityRound.objects.get(meeting=meeting)
    assert round.is_open
    User.objects.filter(pk=personas.resident.pk).update(language="en")
    run_daily(sending, clock)
    [mailing] = digests()
    assert mailing.context["problems"] == [] and mailing.context["actions"] == []
    message = messages_of(mailing)[personas.resident.email]
    ballot = f"/buurt/{personas.hood.slug}/stemmen/{round.pk}/"
    assert "Voting is open" in message.body and ballot in message.body
    assert ballot in html_of(message)
