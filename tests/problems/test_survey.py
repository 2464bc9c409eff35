""" "Is het beter geworden?": weeks after the meeting resolved a problem, its supporters and
followers are asked once, through a personal link that needs no login; "worse" reaches the
chairs; the team sees the counts and the remarks, never who gave them."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.core import mail, signing
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.db import connection
from django.template.loader import render_to_string
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from buurtoverleg.due import DUE_WORK, run_due
from buurtoverleg.mail.models import Delivery, Mailing
from meetings.actions.models import SurveyAnswer
from meetings.actions.selectors import survey_summary
from meetings.actions.services import SURVEY, priority_resolve, survey_answer, surveys_send_due
from meetings.actions.survey import survey_link_expires_at, survey_link_url
from meetings.rounds.links import ballot_link_url
from meetings.services import meeting_create
from problems.links import unfollow_url
from problems.mail_kinds import ProblemMail
from problems.models import Problem, TimelineEntry
from problems.services import problem_follow, problem_support, problem_transition
from problems.workflow import ROUND, Move, Status
from residents.links import SALT_PREFIX, make_action_link_token, user_revoke_action_links
from residents.models import Membership, Role, User
from tests.conftest import Personas, make_person
from tests.factories import new_round

AMS = ZoneInfo("Europe/Amsterdam")
MEETING_DAY = date(2031, 3, 3)
DECISION = "De glasbak wordt nu twee keer per week geleegd; het probleem is opgelost."
TITLE_MARKER = "TITLEMARKER4410"
REPORTER_MARKER = "REPORTERMARKER8876"
CONFIDENTIAL_MARKER = "CONFIDENTIALMARKER3391"
SURVEY_KIND, WORSE_KIND = ProblemMail.PROBLEM_SURVEY, ProblemMail.SURVEY_WORSE
LINK_RE = re.compile(r"(http\S+/link/beter/[^/\s]+/)")


def at(day: date, hour: int = 9, minute: int = 0) -> datetime:
    # In UTC, so that adding days counts real time, also across a change to summer time.
    return datetime.combine(day, time(hour, minute), tzinfo=AMS).astimezone(UTC)


RESOLVED_AT = at(MEETING_DAY, 21)
ASK_AT = RESOLVED_AT + timedelta(days=21)  # the default survey_after_days


def everything(message: EmailMessage) -> str:
    alternatives = getattr(message, "alternatives", [])
    html = "".join(str(content) for content, _type in alternatives)
    return "\n".join([str(message.subject), str(message.extra_headers), str(message.body), html])


def addresses(kind: str) -> list[str]:
    rows = Delivery.objects.filter(mailing__kind=kind).order_by("email")
    assert all(row.status == Delivery.Status.SENT for row in rows)
    return [row.email for row in rows]


def mail_to(user: User) -> EmailMultiAlternatives:
    [message] = [m for m in mail.outbox if m.to == [user.email]]
    assert isinstance(message, EmailMultiAlternatives)
    return message


def link_in(message: EmailMultiAlternatives) -> str:
    """The survey link of a mail, as a path; the same in the text and the HTML part."""
    found = LINK_RE.search(str(message.body))
    assert found, message.body
    assert f'href="{found.group(1)}"' in str(message.alternatives[0][0])
    return found.group(1).removeprefix(settings.SITE_URL)


def token_of(path: str) -> str:
    return path.rstrip("/").rsplit("/", 1)[-1]


@pytest.fixture
def problem(personas: Personas, make_problem) -> Problem:
    """A sensitive priority with markers in its real title, its details and its reporter's
    name; the reporter follows it, Annie supports it, the (English) wijkagent follows it."""
    personas.resident.display_name = f"Mohamed {REPORTER_MARKER}"
    personas.resident.save(update_fields=["display_name"])
    personas.wijkagent.language = "en"
    personas.wijkagent.save(update_fields=["language"])
    found = make_problem(
        Status.PRIORITY,
        category="drugsoverlast",
        title=f"Dealen {TITLE_MARKER}",
        street="Talmalaan",
        location_detail="portiek 12",
        confidential_details=f"Buurman {CONFIDENTIAL_MARKER}",
    )
    problem_support(problem=found, user=personas.second_resident)
    problem_follow(problem=found, user=personas.wijkagent)
    return found


@pytest.fixture
def resolution(personas: Personas, problem: Problem) -> TimelineEntry:
    """The meeting of MEETING_DAY decides that the problem is resolved."""
    with time_machine.travel(RESOLVED_AT, tick=False):
        meeting = meeting_create(
            neighbourhood=personas.hood,
            starts_at=at(MEETING_DAY, 19, 30),
            ends_at=at(MEETING_DAY, 21, 30),
            place="Buurthuis De Linde",
        )
        entry = priority_resolve(
            problem=problem, meeting=meeting, actor=personas.chair, decision=DECISION
        )
    mail.outbox.clear()
    return entry


Ask = Callable[..., None]


@pytest.fixture
def ask(django_capture_on_commit_callbacks) -> Ask:
    """Run the survey's due work at a moment (some times in a row), sending what it makes."""

    def _run(moment: datetime, times: int = 1) -> None:
        with time_machine.travel(moment, tick=False):
            for _ in range(times):
                with django_capture_on_commit_callbacks(execute=True):
                    surveys_send_due()

    return _run


@pytest.fixture
def asked(personas, resolution, ask) -> dict[str, str]:
    """The survey went out; {address: link path}."""
    ask(ASK_AT)
    return {m.to[0]: link_in(m) for m in mail.outbox}  # type: ignore[arg-type]


@pytest.fixture
def phone() -> Client:
    """A phone that has never logged in and sends no CSRF token, with English pages."""
    browser = Client(enforce_csrf_checks=True)
    browser.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return browser


def during_survey() -> time_machine.travel:
    return time_machine.travel(ASK_AT + timedelta(days=2), tick=False)


# --- Who is asked, and when -------------------------------------------------------------------


@pytest.mark.parametrize("days", [21, 10])
def test_supporters_and_followers_are_asked_once_the_configured_days_after_resolving(
    personas, problem, resolution, ask, days
):
    personas.hood.survey_after_days = days
    personas.hood.save(update_fields=["survey_after_days"])
    due = RESOLVED_AT + timedelta(days=days)
    ask(due - timedelta(minutes=1), times=2)
    assert addresses(SURVEY_KIND) == []
    ask(due, times=3)
    for day in range(1, 20):
        ask(due + timedelta(days=day))
    assert addresses(SURVEY_KIND) == sorted(
        [personas.resident.email, personas.second_resident.email, personas.wijkagent.email]
    )
    assert Mailing.objects.filter(kind=SURVEY_KIND).count() == 1
    assert sorted(m.to[0] for m in mail.outbox) == addresses(SURVEY_KIND)


def test_the_due_work_asks_hourly(personas, resolution, django_capture_on_commit_callbacks):
    works = {work.name: work for work in DUE_WORK}
    assert works["problems.survey"].function == "meetings.actions.services.surveys_send_due"
    assert works["problems.survey"].every == timedelta(hours=1)
    ran = []
    moment = ASK_AT - timedelta(hours=2)
    while moment < ASK_AT + timedelta(days=2):
        with time_machine.travel(moment, tick=False):
            for _ in range(2):
                with django_capture_on_commit_callbacks(execute=True):
                    ran += run_due()
        moment += timedelta(minutes=30)
    assert ran.count("problems.survey") == 50  # once an hour, not every half hour
    assert len(addresses(SURVEY_KIND)) == 3


def test_no_survey_when_the_problem_was_reopened_meanwhile(personas, problem, resolution, ask):
    with time_machine.travel(RESOLVED_AT + timedelta(days=5), tick=False):
        problem_transition(
            problem=problem, move=Move.REOPEN, actor=personas.chair, actors={Role.CHAIR}
        )
    for day in range(0, 15):
        ask(ASK_AT + timedelta(days=day))
    assert addresses(SURVEY_KIND) == []
    assert not Mailing.objects.filter(kind=SURVEY_KIND).exists()


def test_reopened_and_resolved_again_asks_about_the_new_resolution_only(
    personas, problem, resolution, ask
):
    with time_machine.travel(RESOLVED_AT + timedelta(days=5), tick=False):
        problem_transition(
            problem=problem, move=Move.REOPEN, actor=personas.chair, actors={Role.CHAIR}
        )
        problem_transition(problem=problem, move=Move.NOMINATE, actor=None, actors={Role.CHAIR})
        problem_transition(problem=problem, move=Move.PRIORITISE, actor=None, actors={ROUND})
    again_at = RESOLVED_AT + timedelta(days=15)
    with time_machine.travel(again_at, tick=False):
        again = priority_resolve(
            problem=problem,
            meeting=resolution.meeting,
            actor=personas.chair,
            decision="Nu echt opgelost.",
        )
    ask(ASK_AT)  # three weeks after the first decision, which no longer holds: nothing
    assert not Mailing.objects.filter(kind=SURVEY_KIND).exists()
    ask(again_at + timedelta(days=21))
    [mailing] = Mailing.objects.filter(kind=SURVEY_KIND)
    assert mailing.subject == again


# --- The link ---------------------------------------------------------------------------------


def test_the_link_asks_and_records_the_answer_without_logging_in(personas, problem, asked, phone):
    path = asked[personas.second_resident.email]
    with during_survey():
        page = phone.get(path)
        assert page.status_code == 200
        content = page.content.decode()
        assert "Has it got better?" in content
        with translation.override("en"):
            assert problem.public_title in content
        assert DECISION in content
        assert "Monday 3 March 2031" in content  # the meeting that decided
        for value in ("better", "same", "worse"):
            assert f'value="{value}"' in content
        assert 'name="remark"' in content
        assert "no-cache" in page.headers["Cache-Control"]

        thanks = phone.post(path, {"answer": "better", "remark": "Veel schoner nu."})
        assert thanks.status_code == 200
        assert "Thank you for your answer" in thanks.content.decode()
        row = SurveyAnswer.objects.get()
        assert (row.user, row.answer, row.remark) == (
            personas.second_resident,
            "better",
            "Veel schoner nu.",
        )
        assert row.problem == problem

        # While the link is valid the person can change the answer; there stays one.
        again = phone.get(path).content.decode()
        assert re.search(r'value="better"[^>]*checked', again)
        phone.post(path, {"answer": "same", "remark": ""})
        assert SurveyAnswer.objects.get().answer == "same"
    assert SurveyAnswer.objects.count() == 1
    assert settings.SESSION_COOKIE_NAME not in phone.cookies
    assert "_auth_user_id" not in phone.session
    assert WORSE_KIND not in Mailing.objects.values_list("kind", flat=True)


def test_a_missing_choice_is_explained_and_nothing_is_saved(personas, asked, phone):
    with during_survey():
        page = phone.post(asked[personas.second_resident.email], {"remark": "Geen idee"})
    assert page.status_code == 200
    content = page.content.decode()
    assert "Your answer was not saved" in content
    assert 'href="#id_answer_0"' in content
    assert "Geen idee" in content  # what was typed is kept
    assert not SurveyAnswer.objects.exists()


def test_a_link_acts_only_for_its_own_person(personas, asked, phone, login):
    path = asked[personas.second_resident.email]
    with during_survey():
        # Naming someone else in the form does nothing, nor does being logged in as them.
        phone.post(path, {"answer": "worse", "user": personas.resident.pk})
        logged_in = login(personas.resident)
        logged_in.post(path, {"answer": "better", "user": personas.resident.pk})
    assert list(SurveyAnswer.objects.values_list("user_id", "answer")) == [
        (personas.second_resident.pk, "better")
    ]


def test_links_that_are_not_this_persons_survey_link_are_refused(
    personas, problem, resolution, asked, phone, make_problem
):
    path = asked[personas.second_resident.email]
    token = token_of(path)
    # Someone else's id in an otherwise genuine token: the signature no longer fits.
    signer = signing.Signer(salt=f"{SALT_PREFIX}.{SURVEY.name}")
    payload = signer.unsign_object(token)
    theirs = signer.sign_object({**payload, "u": personas.resident.pk})
    swapped = theirs.rsplit(":", 1)[0] + ":" + token.rsplit(":", 1)[1]
    ballot = ballot_link_url(
        priority_round=new_round(personas, make_problem, 0), user=personas.second_resident
    )
    accepted = problem.timeline.get(move=Move.ACCEPT)
    with during_survey():
        not_a_resolution = make_action_link_token(
            user=personas.second_resident,
            purpose=SURVEY,
            obj=accepted,
            expires_at=ASK_AT + timedelta(days=30),
        )
        refused = [
            swapped,
            token[:-2] + ("AA" if not token.endswith("AA") else "BB"),
            "nonsense",
            "x" * 700,
            token_of(ballot),
            token_of(unfollow_url(personas.second_resident, problem)),
            not_a_resolution,
        ]
        for broken in refused:
            url = reverse("actions:survey_link", args=[broken])
            page = phone.get(url)
            assert page.status_code == 400, broken
            assert "This link does not work" in page.content.decode()
            assert phone.post(url, {"answer": "worse"}).status_code == 400
        user_revoke_action_links(user=personas.second_resident)
        assert phone.post(path, {"answer": "worse"}).status_code == 400
    assert not SurveyAnswer.objects.exists()
    assert not Mailing.objects.filter(kind=WORSE_KIND).exists()


def test_the_link_expires_with_the_mailing(personas, resolution, asked, phone):
    path = asked[personas.second_resident.email]
    mailing = Mailing.objects.get(kind=SURVEY_KIND)
    with time_machine.travel(ASK_AT, tick=False):
        ends = survey_link_expires_at(mailing.context["expires_at"])
    assert ends == ASK_AT + timedelta(days=60)
    with time_machine.travel(ends - timedelta(minutes=1), tick=False):
        assert phone.get(path).status_code == 200
    with time_machine.travel(ends + timedelta(seconds=1), tick=False):
        page = phone.get(path)
        assert page.status_code == 410
        assert "This link has expired" in page.content.decode()
        assert phone.post(path, {"answer": "better"}).status_code == 410
    assert not SurveyAnswer.objects.exists()


def test_after_a_reopen_the_link_says_so_and_records_nothing(personas, problem, asked, phone):
    path = asked[personas.second_resident.email]
    with during_survey():
        problem_transition(
            problem=problem, move=Move.REOPEN, actor=personas.chair, actors={Role.CHAIR}
        )
        page = phone.get(path)
        assert page.status_code == 200
        assert "This problem has been reopened" in page.content.decode()
        assert 'name="answer"' not in page.content.decode()
        phone.post(path, {"answer": "worse"})
    assert not SurveyAnswer.objects.exists()


# --- "Worse" reaches the chairs ---------------------------------------------------------------


def test_worse_reaches_the_chairs_once(
    personas, problem, asked, phone, django_capture_on_commit_callbacks
):
    second_chair = make_person("Ruud Visser", "ruud@example.nl")
    Membership.objects.create(
        user=second_chair,
        neighbourhood=personas.hood,
        role=Role.CHAIR,
        status=Membership.Status.ACTIVE,
    )
    mail.outbox.clear()
    path = asked[personas.second_resident.email]
    with during_survey():
        for answer in ("worse", "worse", "same", "worse"):
            with django_capture_on_commit_callbacks(execute=True):
                phone.post(path, {"answer": answer, "remark": "Weer troep bij de glasbak."})
    assert addresses(WORSE_KIND) == sorted([personas.chair.email, second_chair.email])
    assert sorted(m.to[0] for m in mail.outbox) == addresses(WORSE_KIND)
    assert personas.outsider_chair.email not in addresses(WORSE_KIND)
    message = mail_to(personas.chair)
    text = everything(message)
    assert "Weer troep bij de glasbak." in text
    assert settings.SITE_URL + problem.get_absolute_url() in str(message.body)
    # Another person's "worse" is another mail.
    with during_survey(), django_capture_on_commit_callbacks(execute=True):
        survey_answer(
            resolution=problem.timeline.get(move=Move.RESOLVE),
            user=personas.resident,
            answer="worse",
        )
    assert Mailing.objects.filter(kind=WORSE_KIND).count() == 2


# --- What the mails say -----------------------------------------------------------------------


def test_the_mails_carry_the_link_and_public_words_only(
    personas, problem, asked, phone, django_capture_on_commit_callbacks
):
    messages = list(mail.outbox)
    with during_survey(), django_capture_on_commit_callbacks(execute=True):
        phone.post(asked[personas.second_resident.email], {"answer": "worse"})
    messages += [m for m in mail.outbox if m not in messages]
    assert len(messages) == 4  # three asked, one chair told
    for message in messages:
        text = everything(message)
        assert "Talmalaan" in text
        for secret in (TITLE_MARKER, REPORTER_MARKER, CONFIDENTIAL_MARKER, "portiek 12"):
            assert secret not in text, (message.to, secret)
        # Nobody's name: not the reporter's, nor the name of who answered "worse".
        for person in (personas.resident, personas.second_resident, personas.chair):
            assert person.display_name not in text, (message.to, person)
    for address, path in asked.items():
        message = next(m for m in messages if m.to == [address])
        assert DECISION in everything(message)
        assert settings.SITE_URL + problem.get_absolute_url() in str(message.body)
        # The survey is not transactional mail: it can be stopped with one click.
        assert "List-Unsubscribe" in message.extra_headers
        assert path.startswith("/link/beter/")
    # Each person's link is their own.
    assert len(set(asked.values())) == 3


def test_each_person_reads_both_parts_in_their_own_language(personas, problem, asked):
    prefix = settings.ACCOUNT_EMAIL_SUBJECT_PREFIX
    english = mail_to(personas.wijkagent)
    with translation.override("en"):
        wanted = gettext("Has it got better? “%(title)s”") % {"title": problem.public_title}
    assert english.subject == prefix + wanted
    for part in (str(english.body), str(english.alternatives[0][0])):
        assert "3 March 2031" in part
        assert "Kind regards," in part
        assert "23 May 2031" in part  # the link works for 60 days
    assert 'lang="en"' in str(english.alternatives[0][0])

    dutch = mail_to(personas.second_resident)
    with translation.override("nl"):
        wanted = gettext("Has it got better? “%(title)s”") % {"title": problem.public_title}
        regards = gettext("Kind regards,")
        question = gettext(
            "You supported or followed this problem. So we would like to know from you: "
            "has it got better since then?"
        )
    assert dutch.subject == prefix + wanted
    assert regards != "Kind regards,"
    for part in (str(dutch.body), str(dutch.alternatives[0][0])):
        assert "3 maart 2031" in part
        assert regards in part
        assert question in part
        assert "23 mei 2031" in part
    assert 'lang="nl"' in str(dutch.alternatives[0][0])


def test_the_worse_mail_in_both_languages(
    personas, problem, resolution, django_capture_on_commit_callbacks
):
    personas.chair.language = "en"
    personas.chair.save(update_fields=["language"])
    with during_survey(), django_capture_on_commit_callbacks(execute=True):
        survey_answer(resolution=resolution, user=personas.resident, answer="better")
        survey_answer(
            resolution=resolution, user=personas.second_resident, answer="worse", remark="Erger"
        )
    message = mail_to(personas.chair)
    with translation.override("en"):
        wanted = gettext("A resident says “%(title)s” has got worse") % {
            "title": problem.public_title
        }
    assert message.subject == settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + wanted
    html = str(message.alternatives[0][0])
    assert 'lang="en"' in html
    for part in (str(message.body), html):
        assert "Erger" in part
        assert "Better 1" in part and "Worse 1" in part  # the answers so far
        assert "Kind regards," in part


# --- What the team sees -----------------------------------------------------------------------


def answer_many(resolution: TimelineEntry, count: int, prefix: str = "bewoner") -> None:
    answers = ["better", "better", "same", "worse"]
    for n in range(count):
        person = make_person(f"Bewoner {n}", f"{prefix}{n}@example.nl")
        survey_answer(
            resolution=resolution,
            user=person,
            answer=answers[n % 4],
            remark=f"Opmerking {n}" if n % 4 == 3 else "",
        )


@pytest.mark.parametrize("count", [4, 40])
def test_the_summary_counts_and_quotes_worse_without_names(
    personas, problem, resolution, count, django_assert_num_queries, english_pages
):
    answer_many(resolution, count)
    with django_assert_num_queries(3):
        summary = survey_summary(problem)
    assert summary is not None and summary.resolution == resolution
    assert summary.total == count
    assert [(c.answer, c.count, c.percent) for c in summary.counts] == [
        ("better", count // 2, 50),
        ("same", count // 4, 25),
        ("worse", count // 4, 25),
    ]
    assert [r.text for r in summary.worse_remarks] == [f"Opmerking {n}" for n in range(3, count, 4)]
    html = render_to_string("problems/_survey_results.html", {"survey": summary})
    assert "Has it got better?" in html
    assert f"<td>{count // 2}</td>" in html
    assert "Opmerking 3" in html
    assert "Bewoner" not in html


def test_the_link_page_does_not_query_more_with_more_answers(personas, resolution, asked, phone):
    path = asked[personas.second_resident.email]
    counts = []
    for more in (2, 30):
        answer_many(resolution, more, prefix=f"bewoner{more}-")
        with during_survey(), CaptureQueriesContext(connection) as queries:
            assert phone.get(path).status_code == 200
        counts.append(len(queries))
        SurveyAnswer.objects.all().delete()
    assert counts[0] == counts[1], counts


def test_no_summary_before_the_problem_is_resolved(problem):
    assert survey_summary(problem) is None
    assert render_to_string("problems/_survey_results.html", {"survey": None}).strip() == ""


def test_the_summary_is_about_the_latest_resolution(personas, problem, resolution):
    survey_answer(resolution=resolution, user=personas.resident, answer="worse", remark="Erger")
    summary = survey_summary(problem)
    assert summary is not None and summary.total == 1
    assert [r.text for r in summary.worse_remarks] == ["Erger"]
    # The chair reopens it; once the meeting resolves it again, that is what counts.
    with time_machine.travel(RESOLVED_AT + timedelta(days=30), tick=False):
        problem_transition(
            problem=problem, move=Move.REOPEN, actor=personas.chair, actors={"chair"}
        )
        assert survey_summary(problem).resolution == resolution  # type: ignore[union-attr]
        problem_transition(problem=problem, move=Move.NOMINATE, actor=None, actors={"chair"})
        problem_transition(problem=problem, move=Move.PRIORITISE, actor=None, actors={ROUND})
        again = priority_resolve(
            problem=problem,
            meeting=resolution.meeting,
            actor=personas.chair,
            decision="Nu echt opgelost.",
        )
    summary = survey_summary(problem)
    assert summary is not None and summary.resolution == again
    assert (summary.total, summary.worse_remarks) == (0, [])


def test_the_link_helpers(personas, resolution, problem):
    url = survey_link_url(
        user=personas.resident, resolution=resolution, expires_at=ASK_AT.isoformat()
    )
    assert url.startswith(settings.SITE_URL + "/link/beter/")
    with pytest.raises(ValueError):
        survey_link_url(user=personas.resident, resolution=problem.timeline.get(move=Move.ACCEPT))
