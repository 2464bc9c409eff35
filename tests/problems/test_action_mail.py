"""The due work's mails about actions: a reminder to the owner some days before the due date,
and a notice to the chairs once an action is overdue; never two of the same for an action and
a date, however often the job runs."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.utils import translation
from django.utils.translation import gettext

from buurtoverleg.due import run_due
from buurtoverleg.mail.models import Delivery
from meetings.actions.models import Action, ActionStatus
from meetings.actions.services import (
    action_create,
    action_delay_note,
    action_due_date_move,
    action_status_set,
    actions_remind_due,
)
from problems.mail_kinds import ProblemMail
from problems.models import Problem
from problems.workflow import Status
from residents.models import Membership, Role, User
from tests.conftest import Personas, make_person

AMS = ZoneInfo("Europe/Amsterdam")
START = date(2031, 3, 3)  # a Monday: the meeting where the action is agreed
DUE = date(2031, 3, 17)  # two weeks later, also a Monday
OUTCOME = "De glasbak wordt twee keer per week geleegd"
TITLE_MARKER = "TITLEMARKER5521"
REPORTER_MARKER = "REPORTERMARKER7730"
CONFIDENTIAL_MARKER = "CONFIDENTIALMARKER1187"
REMINDER, OVERDUE = ProblemMail.ACTION_REMINDER, ProblemMail.ACTION_OVERDUE

RunDue = Callable[..., None]


def at(day: date, hour: int = 9) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=AMS)


def everything(message: EmailMessage) -> str:
    """Subject, headers, text and HTML of a sent mail."""
    alternatives = getattr(message, "alternatives", [])
    html = "".join(str(content) for content, _type in alternatives)
    return "\n".join([str(message.subject), str(message.extra_headers), str(message.body), html])


def sent(kind: str) -> list[tuple[str, str]]:
    """(address, mailing key) of every delivery of this kind, each checked to be sent."""
    rows = Delivery.objects.filter(mailing__kind=kind).order_by("pk")
    assert all(row.status == Delivery.Status.SENT for row in rows)
    return [(row.email, str(row.mailing.key)) for row in rows]


@pytest.fixture
def problem(personas: Personas, make_problem) -> Problem:
    """A sensitive priority: markers in its real title, its details and its reporter's name."""
    personas.resident.display_name = f"Mohamed {REPORTER_MARKER}"
    personas.resident.save(update_fields=["display_name"])
    found = make_problem(
        Status.PRIORITY,
        category="drugsoverlast",
        title=f"Dealen {TITLE_MARKER}",
        street="Talmalaan",
        location_detail="portiek 12",
        confidential_details=f"Buurman {CONFIDENTIAL_MARKER}",
    )
    assert found.sensitive and TITLE_MARKER not in found.public_title
    mail.outbox.clear()
    return found


@pytest.fixture
def agree(personas: Personas, problem: Problem) -> Callable[..., Action]:
    """agree(due=DUE, owner_person=..., owner_organisation=..., contact_person=...): an action
    agreed at the meeting on START."""

    def _agree(due: date = DUE, **people: object) -> Action:
        values: dict[str, Any] = {
            "owner_organisation": personas.police,
            "owner_person": personas.wijkagent,
        }
        values.update(people)
        with time_machine.travel(at(START, 21), tick=False):
            return action_create(
                problem=problem,
                actor=personas.chair,
                role=Role.CHAIR,
                outcome=OUTCOME,
                due_date=due,
                **values,
            )

    return _agree


@pytest.fixture
def remind(django_capture_on_commit_callbacks) -> RunDue:
    """Run the reminder due work at a moment (some times in a row), sending what it makes."""

    def _run(moment: datetime, times: int = 1) -> None:
        with time_machine.travel(moment, tick=False):
            for _ in range(times):
                with django_capture_on_commit_callbacks(execute=True):
                    actions_remind_due()

    return _run


# --- Whom, and when ---------------------------------------------------------------------------


@pytest.mark.parametrize("days", [7, 3])
def test_the_owner_is_reminded_the_configured_number_of_days_before_not_earlier(
    personas, agree, remind, days
):
    personas.hood.action_reminder_days = days
    personas.hood.save(update_fields=["action_reminder_days"])
    agree()
    remind(at(DUE - timedelta(days=days + 1), 23))
    assert sent(REMINDER) == []
    remind(at(DUE - timedelta(days=days), 0))
    assert [address for address, _key in sent(REMINDER)] == [personas.wijkagent.email]
    assert len(mail.outbox) == 1


def test_each_neighbourhood_has_its_own_reminder_days(
    personas, agree, remind, make_problem, settings
):
    personas.other_hood.action_reminder_days = 2
    personas.other_hood.save(update_fields=["action_reminder_days"])
    agree()  # Kanaleneiland-Noord: the default, 7 days
    there = make_problem(Status.PRIORITY, neighbourhood=personas.other_hood, reporter=None)
    with time_machine.travel(at(START, 21), tick=False):
        action_create(
            problem=there,
            actor=personas.outsider_chair,
            role=Role.CHAIR,
            outcome="Het speelveld wordt opgeruimd",
            due_date=DUE,
            owner_organisation=None,
            contact_person=personas.outsider,
        )
    remind(at(DUE - timedelta(days=7)))
    assert [address for address, _key in sent(REMINDER)] == [personas.wijkagent.email]
    remind(at(DUE - timedelta(days=3)))
    assert len(sent(REMINDER)) == 1
    remind(at(DUE - timedelta(days=2)))
    assert [address for address, _key in sent(REMINDER)][1:] == [personas.outsider.email]


def test_without_a_named_owner_the_organisations_professionals_here_are_reminded(
    personas, agree, remind
):
    colleague = make_person("Sara Janssen", "sara@thuisbasis.example.nl")
    Membership.objects.create(
        user=colleague,
        neighbourhood=personas.hood,
        role=Role.PROFESSIONAL,
        organisation=personas.housing,
        status=Membership.Status.ACTIVE,
    )
    # Not: a colleague who works elsewhere, one who left, one of another organisation.
    elsewhere = make_person("Rob Smit", "rob@thuisbasis.example.nl")
    Membership.objects.create(
        user=elsewhere,
        neighbourhood=personas.other_hood,
        role=Role.PROFESSIONAL,
        organisation=personas.housing,
        status=Membership.Status.ACTIVE,
    )
    gone = make_person("Ilse de Wit", "ilse@thuisbasis.example.nl")
    Membership.objects.create(
        user=gone,
        neighbourhood=personas.hood,
        role=Role.PROFESSIONAL,
        organisation=personas.housing,
        status=Membership.Status.LEFT,
    )
    agree(owner_organisation=personas.housing, owner_person=None)
    remind(at(DUE - timedelta(days=7)))
    assert sorted(address for address, _key in sent(REMINDER)) == sorted(
        [personas.housing_contact.email, colleague.email]
    )


def test_a_residents_action_reminds_its_contact_person_else_the_chairs(personas, agree, remind):
    agree(owner_organisation=None, owner_person=None, contact_person=personas.second_resident)
    agree(due=DUE + timedelta(days=1), owner_organisation=None, owner_person=None)
    remind(at(DUE - timedelta(days=6)))
    assert [address for address, _key in sent(REMINDER)] == [
        personas.second_resident.email,
        personas.chair.email,  # not the chair of another neighbourhood
    ]


def test_an_owner_who_is_no_longer_active_is_not_mailed(personas, agree, remind):
    agree()
    User.objects.filter(pk=personas.wijkagent.pk).update(is_active=False)
    remind(at(DUE - timedelta(days=7)))
    assert personas.wijkagent.email not in [address for address, _key in sent(REMINDER)]


def test_without_anyone_of_the_organisation_here_the_contact_person_else_the_chairs(
    personas, agree, remind
):
    Membership.objects.filter(user=personas.housing_contact).update(status=Membership.Status.LEFT)
    agree(owner_organisation=personas.housing, owner_person=None, contact_person=personas.resident)
    agree(due=DUE + timedelta(days=1), owner_organisation=personas.housing, owner_person=None)
    remind(at(DUE - timedelta(days=6)))
    assert [address for address, _key in sent(REMINDER)] == [
        personas.resident.email,
        personas.chair.email,
    ]


# --- Never two of the same --------------------------------------------------------------------


def test_many_runs_on_many_days_send_one_reminder_and_one_overdue_notice(
    personas, agree, django_capture_on_commit_callbacks
):
    action = agree()
    moment = at(DUE - timedelta(days=9), 0)
    ran = []
    while moment < at(DUE + timedelta(days=4), 0):
        with time_machine.travel(moment, tick=False):
            for _ in range(2):  # beat twice in the same minute: the second finds it claimed
                with django_capture_on_commit_callbacks(execute=True):
                    ran += run_due()
            with django_capture_on_commit_callbacks(execute=True):
                actions_remind_due()  # and by hand, once more
        moment += timedelta(hours=3)
    assert ran.count("actions.remind") == 13 * 8  # once in every three hours, never more
    key = f"{action.pk}:{DUE.isoformat()}"
    assert sent(REMINDER) == [(personas.wijkagent.email, f"action-reminder:{key}")]
    assert sent(OVERDUE) == [(personas.chair.email, f"action-overdue:{key}")]
    # (The sweep also sent the status mails that making the problem left queued.)
    about_it = [m.to[0] for m in mail.outbox if OUTCOME in m.subject]
    assert sorted(about_it) == sorted([personas.wijkagent.email, personas.chair.email])


def test_the_reminder_comes_on_the_first_run_of_the_day(personas, agree, remind):
    agree()
    remind(at(DUE - timedelta(days=8), 23), times=3)
    assert sent(REMINDER) == []
    remind(at(DUE - timedelta(days=7), 0), times=3)
    remind(at(DUE - timedelta(days=7), 13), times=3)
    assert len(sent(REMINDER)) == 1


def test_moving_the_due_date_makes_a_new_reminder_due(personas, agree, remind):
    action = agree()
    remind(at(DUE - timedelta(days=7)))
    later = DUE + timedelta(days=14)
    with time_machine.travel(at(DUE - timedelta(days=5)), tick=False):
        action_due_date_move(
            action=action,
            actor=personas.wijkagent,
            role=Role.PROFESSIONAL,
            due_date=later,
            reason="De gemeente levert de container later",
        )
    for day in range(-5, 15):  # every day until the new date: nothing overdue, one reminder
        remind(at(DUE + timedelta(days=day)))
    assert sent(REMINDER) == [
        (personas.wijkagent.email, f"action-reminder:{action.pk}:{DUE.isoformat()}"),
        (personas.wijkagent.email, f"action-reminder:{action.pk}:{later.isoformat()}"),
    ]
    assert sent(OVERDUE) == []
    assert "maandag 31 maart 2031" in str(mail.outbox[-1].body)


def test_the_chairs_hear_once_when_an_action_becomes_overdue_not_before(personas, agree, remind):
    second_chair = make_person("Ruud Visser", "ruud@example.nl")
    Membership.objects.create(
        user=second_chair,
        neighbourhood=personas.hood,
        role=Role.CHAIR,
        status=Membership.Status.ACTIVE,
    )
    agree()
    remind(at(DUE, 23), times=2)
    assert sent(OVERDUE) == []
    remind(at(DUE + timedelta(days=1), 0), times=2)
    remind(at(DUE + timedelta(days=2)), times=2)
    assert sorted(address for address, _key in sent(OVERDUE)) == sorted(
        [personas.chair.email, second_chair.email]
    )
    # Not the owner, and not the chair of another neighbourhood.
    assert personas.outsider_chair.email not in [m.to[0] for m in mail.outbox]


@pytest.mark.parametrize(
    "status", [ActionStatus.DONE, ActionStatus.CANCELLED, ActionStatus.NOT_FEASIBLE]
)
def test_no_reminder_and_no_overdue_notice_for_a_finished_action(personas, agree, remind, status):
    action = agree()
    with time_machine.travel(at(START + timedelta(days=1)), tick=False):
        action_status_set(
            action=action,
            actor=personas.wijkagent,
            role=Role.PROFESSIONAL,
            status=status,
            reason="" if status == ActionStatus.DONE else "Niet meer nodig",
        )
    for day in range(-8, 5):
        remind(at(DUE + timedelta(days=day)))
    assert sent(REMINDER) == [] and sent(OVERDUE) == []
    assert mail.outbox == []


def test_the_due_work_is_registered_hourly():
    from buurtoverleg.due import DUE_WORK

    works = {work.name: work for work in DUE_WORK}
    assert works["actions.remind"].function == "meetings.actions.services.actions_remind_due"
    assert works["actions.remind"].every == timedelta(hours=1)


# --- What the mails say -----------------------------------------------------------------------


@pytest.fixture
def both_mails(personas, agree, remind) -> tuple[EmailMultiAlternatives, EmailMultiAlternatives]:
    """The reminder to the (English-speaking) wijkagent and the overdue notice to the (Dutch)
    chair, for an action of a sensitive problem with a resident as contact person."""
    personas.wijkagent.language = "en"
    personas.wijkagent.save(update_fields=["language"])
    action = agree(contact_person=personas.resident)
    remind(at(DUE - timedelta(days=7)))
    with time_machine.travel(at(DUE + timedelta(days=1), 8), tick=False):
        action_delay_note(
            action=action,
            actor=personas.wijkagent,
            role=Role.PROFESSIONAL,
            text="De container is nog niet geleverd.",
        )
    remind(at(DUE + timedelta(days=1), 9))
    by_address = {m.to[0]: m for m in mail.outbox}
    reminder, overdue = by_address[personas.wijkagent.email], by_address[personas.chair.email]
    assert isinstance(reminder, EmailMultiAlternatives)
    assert isinstance(overdue, EmailMultiAlternatives)
    return reminder, overdue


def test_the_mails_show_the_action_its_link_and_public_titles_only(personas, problem, both_mails):
    action = Action.objects.get()
    for message in both_mails:
        text = everything(message)
        assert OUTCOME in text
        assert settings.SITE_URL + action.get_absolute_url() in str(message.body)
        assert f'href="{settings.SITE_URL}{action.get_absolute_url()}"' in text
        with translation.override((message.to[0] == personas.chair.email and "nl") or "en"):
            assert problem.public_title in text and "Talmalaan" in text
        assert personas.police.name in text
        for secret in (TITLE_MARKER, REPORTER_MARKER, CONFIDENTIAL_MARKER, "portiek 12"):
            assert secret not in text, (message.to, secret)
        # No names at all: not the owner's, not the resident contact person's.
        for person in (personas.resident, personas.wijkagent, personas.chair):
            assert person.display_name not in text
    assert "De container is nog niet geleverd." in everything(both_mails[1])


def test_each_recipient_reads_both_parts_in_their_own_language(both_mails):
    reminder, overdue = both_mails
    prefix = settings.ACCOUNT_EMAIL_SUBJECT_PREFIX
    with translation.override("en"):
        wanted = gettext("Reminder: “%(outcome)s” is due on %(date)s")
    assert reminder.subject == prefix + wanted % {"outcome": OUTCOME, "date": "17 March"}
    html = str(reminder.alternatives[0][0])
    assert 'lang="en"' in html
    for part in (str(reminder.body), html):
        assert "Monday 17 March 2031" in part
        assert "in 7 days" in part
        assert "Kind regards," in part

    with translation.override("nl"):
        wanted = gettext("Overdue: “%(outcome)s” was due on %(date)s")
        regards = gettext("Kind regards,")
        status = str(ActionStatus.OPEN.label)
        comes_back = gettext("The action comes back under “Report back” at the next meeting.")
    assert overdue.subject == prefix + wanted % {"outcome": OUTCOME, "date": "17 maart"}
    html = str(overdue.alternatives[0][0])
    assert 'lang="nl"' in html
    for part in (str(overdue.body), html):
        assert "maandag 17 maart 2031" in part
        assert regards in part and regards != "Kind regards,"
        assert status in part
        assert comes_back in part


def test_a_moved_date_shows_the_first_agreed_date_to_the_chairs(personas, agree, remind):
    action = agree()
    later = DUE + timedelta(days=7)
    with time_machine.travel(at(DUE - timedelta(days=1)), tick=False):
        action_due_date_move(
            action=action,
            actor=personas.wijkagent,
            role=Role.PROFESSIONAL,
            due_date=later,
            reason="Vakantie",
        )
    remind(at(later + timedelta(days=1)))
    [notice] = [m for m in mail.outbox if m.to == [personas.chair.email]]
    assert isinstance(notice, EmailMultiAlternatives)
    for part in (str(notice.body), str(notice.alternatives[0][0])):
        assert "maandag 24 maart 2031" in part and "maandag 17 maart 2031" in part
