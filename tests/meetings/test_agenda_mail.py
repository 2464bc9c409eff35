"""The monthly agenda mail and the reminder the day before (meetings.agenda_mail.services).

The timing rule (published early: nothing until N days before, then once; published late: at
once; moved: the moved notice, then one agenda mail for the new date; cancelled: the notice and
never an agenda mail), the setting N per neighbourhood, who gets it, each reader's language,
headers, both parts, the .ics read back with icalendar, the personal ballot link (and that it
opens that person's ballot), privacy markers, and the reminder's recipients and once-only.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.utils import translation
from django.utils.formats import date_format
from icalendar import Calendar

from buurtoverleg.due import DUE_WORK, run_due
from buurtoverleg.mail.models import Delivery, Mailing
from buurtoverleg.mail.pipeline import mailing_send
from meetings.agenda_mail.services import (
    agenda_mail_send_due,
    meeting_reminders_send_due,
)
from meetings.mail_kinds import MeetingMail
from meetings.planning.models import Meeting, Rsvp
from meetings.rounds.models import PriorityRound
from meetings.services import (
    agenda_publish,
    agenda_unpublish,
    meeting_cancel,
    meeting_move,
    rsvp_set,
)
from problems.models import Category, Problem
from problems.services import problem_report, problem_transition
from problems.workflow import Move
from residents.links import UNSUBSCRIBE_TOPIC, read_action_link_token
from residents.mail_preferences import mail_preference_set
from residents.models import Membership, Role, User
from tests.conftest import Personas, make_person
from tests.factories import PLACE, make_meeting

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
T0 = datetime(2026, 1, 5, 10, 0, tzinfo=AMSTERDAM)  # a Monday morning
START = datetime(2026, 1, 27, 19, 30, tzinfo=AMSTERDAM)  # a Tuesday evening, 22 days later
END = START + timedelta(hours=2)
AGENDA = MeetingMail.AGENDA
REMINDER = MeetingMail.MEETING_REMINDER
# Planted in what must never reach a mail: a sensitive problem's real title and confidential
# details, and the name of the resident who reported it.
SECRET_TITLE = "Qzgeheimetitelxq"
CONFIDENTIAL = "Qzvertrouwelijkxq"
REPORTER = "Qzmelderxq"
SUMMARY = "Overlast bij het speeltuintje"

Capture = Callable[..., Any]


@pytest.fixture(autouse=True)
def clock() -> Iterator[Any]:
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


@pytest.fixture
def sending(django_capture_on_commit_callbacks: Capture) -> Callable[[Callable[[], Any]], Any]:
    """Run something and send what it queued (as the worker would once it commits)."""

    def run(action: Callable[[], Any]) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return action()

    return run


def candidate(personas: Personas, title: str, **extra: Any) -> Problem:
    category = extra.pop("category", "zwerfvuil")
    problem = problem_report(
        neighbourhood=personas.hood,
        reporter=extra.pop("reporter", personas.second_resident),
        category=Category.objects.get(slug=category),
        title=title,
        description="Het is er al maanden zo.",
        street="Marshalllaan",
        **extra,
    )
    for move in (Move.ACCEPT, Move.NOMINATE):
        problem_transition(problem=problem, move=move, actor=personas.chair, actors={"chair"})
    problem.refresh_from_db()
    return problem


@pytest.fixture
def candidates(personas: Personas) -> list[Problem]:
    """An ordinary candidate and a sensitive one (with markers in what stays with the team)."""
    reporter = make_person(REPORTER, "melder@example.nl")
    Membership.objects.create(
        user=reporter, neighbourhood=personas.hood, role=Role.RESIDENT, status="active"
    )
    plain = candidate(personas, "Zwerfvuil bij de glasbak")
    sensitive = candidate(
        personas,
        SECRET_TITLE,
        category="drugsoverlast",
        reporter=reporter,
        confidential_details=f"Huisnummer 12, {CONFIDENTIAL}",
    )
    Problem.objects.filter(pk=sensitive.pk).update(public_summary=SUMMARY)
    return [plain, sensitive]


@pytest.fixture
def meeting(personas: Personas, candidates: list[Problem]) -> Meeting:
    return make_meeting(personas.hood, START)


def agenda_mailings(meeting: Meeting | None = None) -> list[Mailing]:
    found = Mailing.objects.filter(kind=AGENDA).order_by("created_at", "pk")
    if meeting is not None:
        found = found.filter(subject_id=meeting.pk)
    return list(found)


def messages_of(mailing: Mailing) -> dict[str, EmailMultiAlternatives]:
    """The messages of one mailing in the outbox, by address (each address once)."""
    found: dict[str, EmailMultiAlternatives] = {}
    for message in mail.outbox:
        if f".mailing-{mailing.pk}@" in message.extra_headers.get("Message-ID", ""):
            assert isinstance(message, EmailMultiAlternatives)
            [address] = message.to
            assert address not in found, f"{address} got mailing {mailing.pk} twice"
            found[address] = message
    return found


def html_of(message: EmailMultiAlternatives) -> str:
    [(content, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    return str(content)


def everything(message: EmailMultiAlternatives) -> str:
    attachments = " ".join(str(a[1]) for a in message.attachments)
    return f"{message.subject}\n{message.body}\n{html_of(message)}\n{attachments}"


def at(clock: Any, when: datetime) -> None:
    clock.move_to(when)


def run_hourly(sending: Callable[[Callable[[], Any]], Any], clock: Any, hours: int = 3) -> None:
    """The beat's due work `hours` times, an hour apart; the agenda job once more each time."""
    for _ in range(hours):
        sending(run_due)
        sending(agenda_mail_send_due)
        clock.shift(timedelta(hours=1))


def test_the_agenda_mail_and_reminder_are_due_work() -> None:
    names = {work.name: work for work in DUE_WORK}
    assert names["meetings.agenda_mail"].every == timedelta(hours=1)
    assert names["meetings.meeting_reminder"].every == timedelta(hours=1)


# --- The timing rule -----------------------------------------------------------------------


def test_published_early_nothing_until_n_days_before_then_exactly_one(
    personas, meeting, sending, clock
):
    sending(lambda: agenda_publish(meeting=meeting))  # 22 days before: too early
    run_hourly(sending, clock)
    assert agenda_mailings() == []
    at(clock, START - timedelta(days=7, hours=1))  # an hour before the window opens
    run_hourly(sending, clock, hours=1)
    assert agenda_mailings() == []
    at(clock, START - timedelta(days=7) + timedelta(minutes=1))
    run_hourly(sending, clock, hours=4)
    [mailing] = agenda_mailings()
    first = len(messages_of(mailing))
    assert first == mailing.deliveries.count() > 0
    at(clock, START - timedelta(days=1))
    run_hourly(sending, clock)
    assert agenda_mailings() == [mailing]
    assert len(messages_of(mailing)) == first  # nobody got it twice


def test_published_late_goes_out_at_once(personas, candidates, sending, clock):
    meeting = make_meeting(personas.hood, START)
    at(clock, START - timedelta(days=3))
    sending(lambda: agenda_publish(meeting=meeting))
    [mailing] = agenda_mailings()  # on publishing, not an hour later
    assert mailing.subject == meeting and not mailing.transactional
    assert set(mailing.deliveries.values_list("status", flat=True)) == {"sent"}
    run_hourly(sending, clock)
    assert agenda_mailings() == [mailing]


@pytest.mark.parametrize("days", [3, 14])
def test_the_window_is_the_neighbourhoods_setting(personas, candidates, sending, clock, days):
    personas.hood.agenda_mail_days = days
    personas.hood.save()
    meeting = make_meeting(personas.hood, START)
    sending(lambda: agenda_publish(meeting=meeting))
    at(clock, START - timedelta(days=days, hours=2))
    run_hourly(sending, clock, hours=1)
    assert agenda_mailings() == []
    at(clock, START - timedelta(days=days) + timedelta(minutes=5))
    run_hourly(sending, clock, hours=2)
    assert len(agenda_mailings()) == 1


def test_other_neighbourhoods_keep_their_own_setting(personas, candidates, sending, clock):
    personas.other_hood.agenda_mail_days = 30
    personas.other_hood.save()
    meeting = make_meeting(personas.hood, START)  # personas.hood keeps the default of 7
    sending(lambda: agenda_publish(meeting=meeting))
    at(clock, START - timedelta(days=20))
    run_hourly(sending, clock)
    assert agenda_mailings() == []


def test_a_moved_meeting_gets_the_notice_and_one_agenda_mail_for_the_new_date(
    personas, candidates, sending, clock
):
    meeting = make_meeting(personas.hood, START)
    at(clock, START - timedelta(days=5))
    sending(lambda: agenda_publish(meeting=meeting))
    [first] = agenda_mailings()
    new_start = START + timedelta(days=21)
    sending(
        lambda: meeting_move(
            meeting=meeting,
            starts_at=new_start,
            ends_at=new_start + timedelta(hours=2),
            place="Wijkcentrum Kanaleneiland",
            by=personas.chair,
        )
    )
    [notice] = Mailing.objects.filter(kind=MeetingMail.MEETING_MOVED)
    assert messages_of(notice)
    run_hourly(sending, clock)
    assert agenda_mailings() == [first]  # the notice, not a new agenda mail
    at(clock, new_start - timedelta(days=8))
    run_hourly(sending, clock)
    assert agenda_mailings() == [first]
    at(clock, new_start - timedelta(days=7) + timedelta(minutes=1))
    run_hourly(sending, clock, hours=4)
    first_again, second = agenda_mailings()
    assert first_again == first and second.key != first.key
    assert second.context["place"] == "Wijkcentrum Kanaleneiland"
    with translation.override("nl"):
        new_date = date_format(new_start, "l j F")
    for message in messages_of(second).values():
        assert new_date in message.subject and new_date in message.body


def test_moved_before_the_window_only_the_new_date_gets_an_agenda_mail(
    personas, candidates, sending, clock
):
    meeting = make_meeting(personas.hood, START)
    sending(lambda: agenda_publish(meeting=meeting))
    new_start = START + timedelta(days=7)
    sending(
        lambda: meeting_move(
            meeting=meeting,
            starts_at=new_start,
            ends_at=new_start + timedelta(hours=2),
            place=PLACE,
            by=personas.chair,
        )
    )
    at(clock, START - timedelta(days=2))  # in the old date's window, not in the new one's
    run_hourly(sending, clock)
    assert agenda_mailings() == []
    at(clock, new_start - timedelta(days=6))
    run_hourly(sending, clock)
    [mailing] = agenda_mailings()
    assert datetime.fromisoformat(mailing.context["starts_at"]) == new_start


def test_a_cancelled_meeting_gets_the_notice_and_never_an_agenda_mail(
    personas, meeting, sending, clock
):
    sending(lambda: agenda_publish(meeting=meeting))
    sending(lambda: meeting_cancel(meeting=meeting, reason="De zaal is dicht.", by=personas.chair))
    [notice] = Mailing.objects.filter(kind=MeetingMail.MEETING_CANCELLED)
    assert messages_of(notice)
    for moment in (
        START - timedelta(days=6),
        START - timedelta(days=1),
        START - timedelta(hours=1),
    ):
        at(clock, moment)
        run_hourly(sending, clock)
        assert sending(lambda: agenda_mail_send_due(meeting_id=meeting.pk)) == 0
    assert agenda_mailings() == []


def test_an_unpublished_agenda_and_a_meeting_that_is_over_get_no_agenda_mail(
    personas, meeting, sending, clock
):
    sending(lambda: agenda_publish(meeting=meeting))
    sending(lambda: agenda_unpublish(meeting=meeting))
    at(clock, START - timedelta(days=3))
    run_hourly(sending, clock)
    assert agenda_mailings() == []
    later = make_meeting(personas.hood, START + timedelta(days=30))
    sending(lambda: agenda_publish(meeting=later))
    at(clock, later.ends_at + timedelta(minutes=1))  # the job was down the whole week
    run_hourly(sending, clock)
    assert agenda_mailings() == []


# --- Recipients, language, headers, parts ------------------------------------------------------


@pytest.fixture
def sent(personas, meeting, sending, clock) -> Mailing:
    """The agenda mail of `meeting`, published three days before: sent at once."""
    User.objects.filter(pk=personas.second_resident.pk).update(language="en")
    User.objects.filter(pk=personas.wijkagent.pk).update(language="en")
    at(clock, START - timedelta(days=3))
    sending(lambda: agenda_publish(meeting=meeting))
    [mailing] = agenda_mailings()
    return mailing


def test_recipients_are_active_members_who_want_it(personas, candidates, sending, clock):
    opted_out = make_person("Stille Bewoner", "stil@example.nl")
    departed = make_person("Vertrokken Bewoner", "weg@example.nl")
    Membership.objects.create(user=opted_out, neighbourhood=personas.hood, status="active")
    Membership.objects.create(user=departed, neighbourhood=personas.hood, status="left")
    for person in (opted_out, personas.housing_contact):
        mail_preference_set(user=person, neighbourhood=personas.hood, topic="agenda", enabled=False)
    # Turned off elsewhere only: still gets this neighbourhood's agenda.
    mail_preference_set(
        user=personas.resident, neighbourhood=personas.other_hood, topic="agenda", enabled=False
    )
    meeting = make_meeting(personas.hood, START)
    at(clock, START - timedelta(days=3))
    sending(lambda: agenda_publish(meeting=meeting))
    [mailing] = agenda_mailings()
    addressed = set(mailing.deliveries.values_list("email", flat=True))
    members = (personas.resident, personas.second_resident, personas.minute_taker)
    team = (personas.chair, personas.wijkagent, personas.office)
    reporter = User.objects.get(display_name=REPORTER)
    assert addressed == {p.email for p in (*members, *team, reporter)}
    for left_out in (
        opted_out,  # turned it off
        personas.housing_contact,  # the team too can turn it off (one-click unsubscribe)
        departed,
        personas.pending_resident,
        personas.outsider,  # another neighbourhood
        personas.outsider_chair,
        personas.coordinator,  # no membership here
    ):
        assert left_out.email not in addressed
    assert personas.paper_resident.email is None  # on paper: skipped, not failed
    assert set(messages_of(mailing)) == addressed


def test_each_recipient_reads_it_in_their_language(personas, sent):
    messages = messages_of(sent)
    dutch = messages[personas.resident.email]
    english = messages[personas.second_resident.email]
    with translation.override("nl"):
        nl_date = date_format(START, "l j F")
    with translation.override("en"):
        en_date = date_format(START, "l j F")
    for part in (dutch.subject, dutch.body, html_of(dutch)):
        assert nl_date in part and en_date not in part
    for part in (english.subject, english.body, html_of(english)):
        assert en_date in part
    assert english.subject.endswith(
        f"Agenda: neighbourhood meeting Kanaleneiland-Noord on {en_date}, 19:30"
    )
    assert 'lang="en"' in html_of(english) and 'lang="nl"' in html_of(dutch)


def test_headers_and_both_parts(personas, sent):
    for address, message in messages_of(sent).items():
        delivery = sent.deliveries.get(email=address)
        assert message.extra_headers["Message-ID"] == delivery.message_id
        assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        unsubscribe = message.extra_headers["List-Unsubscribe"].strip("<>")
        token = unsubscribe.rstrip("/").rsplit("/", 1)[-1]
        link = read_action_link_token(token=token, purpose=UNSUBSCRIBE_TOPIC["agenda"])
        assert (link.user, link.obj) == (delivery.user, personas.hood)
        assert unsubscribe in message.body and unsubscribe in html_of(message)
        assert message.body.strip() and "<html" in html_of(message)
        assert f"/overleg/{sent.subject_id}/" in message.body
        assert f"/overleg/{sent.subject_id}/" in html_of(message)


def test_the_mail_has_the_agenda_with_time_boxes_and_the_candidates(personas, sent):
    english = messages_of(sent)[personas.second_resident.email]
    html = html_of(english)
    for part in (english.body, html):
        assert PLACE in part
        assert "Opening and introductions" in part and "Any other business" in part
        assert "19:30–19:35, 5 minutes" in part  # the opening's time-box
        assert "Candidates for the priority round" in part
        assert "Zwerfvuil bij de glasbak" in part and SUMMARY in part


def test_no_mail_names_the_reporter_or_shows_what_stays_with_the_team(sent):
    messages = messages_of(sent)
    assert len(messages) >= 7
    for message in messages.values():
        text = everything(message)
        for marker in (SECRET_TITLE, CONFIDENTIAL, REPORTER):
            assert marker not in text
        assert SUMMARY in message.body


def test_the_ics_attachment_is_the_meeting(personas, sent):
    for message in messages_of(sent).values():
        [attachment] = message.attachments
        assert isinstance(message, EmailMessage)
        filename, content, mimetype = attachment
        assert filename == "buurtoverleg-2026-01-27.ics" and mimetype == "text/calendar"
        calendar = Calendar.from_ical(content)
        [event] = calendar.walk("VEVENT")
        start = event.decoded("dtstart")
        assert start == START and str(start.tzinfo) == "Europe/Amsterdam"
        assert event["dtstart"].params["TZID"] == "Europe/Amsterdam"
        assert event.decoded("dtend") == END
        assert str(event["location"]) == PLACE
        assert "Kanaleneiland-Noord" in str(event["summary"])
    english = messages_of(sent)[personas.second_resident.email]
    [(_name, content, _type)] = english.attachments
    [event] = Calendar.from_ical(content).walk("VEVENT")
    assert str(event["summary"]) == "Neighbourhood meeting Kanaleneiland-Noord"


BALLOT_LINK = re.compile(r"https?://[^\s\"<>]+/link/stem/[^\s\"<>/]+/")


def ballot_links(message: EmailMultiAlternatives) -> set[str]:
    return set(BALLOT_LINK.findall(str(message.body))) | set(BALLOT_LINK.findall(html_of(message)))


def test_voting_residents_get_their_own_ballot_link_and_the_team_none(personas, sent):
    messages = messages_of(sent)
    resident_links = ballot_links(messages[personas.resident.email])
    assert len(resident_links) == 1
    minute_taker_links = ballot_links(messages[personas.minute_taker.email])  # also a resident
    assert len(minute_taker_links) == 1 and minute_taker_links != resident_links
    [link] = resident_links
    assert link in messages[personas.resident.email].body
    assert link in html_of(messages[personas.resident.email])
    for professional in (personas.wijkagent, personas.chair, personas.office):
        assert ballot_links(messages[professional.email]) == set(), professional


def test_the_ballot_link_opens_that_persons_ballot(personas, sent, client, english_pages):
    [link] = ballot_links(messages_of(sent)[personas.resident.email])
    path = link.split("://", 1)[1].split("/", 1)[1]
    response = client.get("/" + path)
    assert response.status_code == 200
    assert response.context["voter"] == personas.resident
    assert response.context["round"] == PriorityRound.objects.get(meeting_id=sent.subject_id)
    assert response.context["may_vote"] is True
    html = response.content.decode()
    assert "personal ballot of Mohamed Bouzid" in html
    assert "Zwerfvuil bij de glasbak" in html
    assert response.wsgi_request.user.is_anonymous  # the link never logs anyone in


def test_no_ballot_link_once_the_round_is_closed(personas, meeting, sending, clock):
    sending(lambda: agenda_publish(meeting=meeting))
    PriorityRound.objects.filter(meeting=meeting).update(status=PriorityRound.Status.CLOSED)
    at(clock, START - timedelta(days=6))
    run_hourly(sending, clock, hours=1)
    [mailing] = agenda_mailings()
    message = messages_of(mailing)[personas.resident.email]
    assert ballot_links(message) == set()
    assert "Zwerfvuil bij de glasbak" not in message.body  # no open round: no candidates


def test_sending_again_after_a_crash_carries_the_same_attachment_and_message_id(personas, sent):
    delivery = sent.deliveries.get(email=personas.resident.email)
    before = messages_of(sent)[personas.resident.email]
    Delivery.objects.filter(pk=delivery.pk).update(status=Delivery.Status.QUEUED)
    mail.outbox.clear()
    assert mailing_send(mailing_id=sent.pk) == 1
    [again] = mail.outbox
    assert isinstance(again, EmailMultiAlternatives)
    assert again.extra_headers["Message-ID"] == before.extra_headers["Message-ID"]
    assert [a[0] for a in again.attachments] == [a[0] for a in before.attachments]


# --- The reminder the day before ---------------------------------------------------------------


def reminders() -> list[Mailing]:
    return list(Mailing.objects.filter(kind=REMINDER).order_by("created_at", "pk"))


def run_reminders(sending: Callable[[Callable[[], Any]], Any], clock: Any, hours: int) -> None:
    for _ in range(hours):
        sending(run_due)
        sending(meeting_reminders_send_due)
        clock.shift(timedelta(hours=1))


@pytest.fixture
def coming(personas, sending) -> Meeting:
    """A meeting (agenda not published) that some said yes to, and some asked reminders for."""
    found = make_meeting(personas.hood, START)
    for person, answer in (
        (personas.resident, Rsvp.Answer.YES),
        (personas.second_resident, Rsvp.Answer.MAYBE),
        (personas.minute_taker, Rsvp.Answer.NO),
        (personas.paper_resident, Rsvp.Answer.YES),  # no e-mail address
        (personas.pending_resident, Rsvp.Answer.YES),  # not (yet) a member
    ):
        rsvp_set(meeting=found, user=person, answer=answer)
    User.objects.filter(pk__in=[personas.wijkagent.pk, personas.outsider.pk]).update(language="en")
    # Asked for a reminder before every meeting: the wijkagent here, the outsider in their own
    # neighbourhood (which does not make them get this one's).
    for person, hood in (
        (personas.wijkagent, personas.hood),
        (personas.outsider, personas.other_hood),
    ):
        mail_preference_set(user=person, neighbourhood=hood, topic="meeting_reminder", enabled=True)
    User.objects.filter(pk=personas.resident.pk).update(language="en")
    return found


def test_the_reminder_goes_the_day_before_to_those_coming_or_asking(
    personas, coming, sending, clock
):
    at(clock, datetime(2026, 1, 25, 0, 30, tzinfo=AMSTERDAM))
    run_reminders(sending, clock, hours=24)  # the whole day before the day before
    assert reminders() == []
    at(clock, datetime(2026, 1, 26, 0, 30, tzinfo=AMSTERDAM))
    run_reminders(sending, clock, hours=8)  # the night before: not yet (until 8:30)
    assert reminders() == []
    run_reminders(sending, clock, hours=15)  # 8:30 to 23:30 the day before
    [mailing] = reminders()
    assert timezone_local(mailing.created_at).hour == 9
    addressed = set(mailing.deliveries.values_list("email", flat=True))
    assert addressed == {personas.resident.email, personas.wijkagent.email}
    assert set(messages_of(mailing)) == addressed
    at(clock, START - timedelta(hours=3))  # the day itself
    run_reminders(sending, clock, hours=3)
    assert reminders() == [mailing]
    assert len(messages_of(mailing)) == 2


def timezone_local(value: datetime) -> datetime:
    return value.astimezone(AMSTERDAM)


def test_the_reminder_says_why_it_came_and_how_to_stop_it(personas, coming, sending, clock):
    at(clock, START - timedelta(hours=30))  # the day before, 13:30
    sending(meeting_reminders_send_due)
    [mailing] = reminders()
    assert not mailing.transactional  # a kind of mail one can turn off
    messages = messages_of(mailing)
    said_yes, asked = messages[personas.resident.email], messages[personas.wijkagent.email]
    for message in (said_yes, asked):
        html = html_of(message)
        assert message.subject.endswith(
            "Tomorrow at 19:30: neighbourhood meeting Kanaleneiland-Noord"
        )
        assert "Tuesday 27 January 2026" in message.body and PLACE in html
        assert "/mail-afmelden/meeting_reminder/" in message.extra_headers["List-Unsubscribe"]
        assert f"/overleg/{coming.pk}/" in message.body and f"/overleg/{coming.pk}/" in html
    assert "You said you are coming" in said_yes.body
    assert "You said you are coming" in html_of(said_yes)
    assert "because you asked for it" in asked.body and "You said you are coming" not in asked.body
    for message in (said_yes, asked):
        url = message.extra_headers["List-Unsubscribe"].strip("<>")
        assert url in message.body and url in html_of(message)


def test_no_reminder_for_a_cancelled_meeting(personas, coming, sending, clock):
    sending(lambda: meeting_cancel(meeting=coming, reason="Zaal dicht.", by=personas.chair))
    at(clock, START - timedelta(hours=30))
    run_reminders(sending, clock, hours=6)
    assert reminders() == []


def test_a_moved_meeting_is_reminded_of_on_the_day_before_its_new_date(
    personas, coming, sending, clock
):
    at(clock, START - timedelta(hours=30))
    sending(meeting_reminders_send_due)
    [first] = reminders()
    new_start = START + timedelta(days=7)
    sending(
        lambda: meeting_move(
            meeting=coming,
            starts_at=new_start,
            ends_at=new_start + timedelta(hours=2),
            place=PLACE,
            by=personas.chair,
        )
    )
    at(clock, new_start - timedelta(hours=30))
    run_reminders(sending, clock, hours=3)
    first_again, second = reminders()
    assert first_again == first and second.key != first.key
