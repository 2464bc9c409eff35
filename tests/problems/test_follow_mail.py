"""The mail followers get when a problem's status changes, and its one-click unfollow link."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.template import Context, Template
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from buurtoverleg.mail.models import Delivery, Mailing
from buurtoverleg.mail.pipeline import _base_context, _render
from problems.links import unfollow_url
from problems.mail_kinds import ProblemMail
from problems.models import Follow, Problem
from problems.services import problem_follow, problem_support, problem_transition
from problems.workflow import Move, Status
from residents.links import unsubscribe_url

REPORTER_MARKER = "REPORTERMARKER3318"
CONFIDENTIAL_MARKER = "CONFIDENTIALMARKER2207"
NOTE_MARKER = "NOTEMARKER6645"
TITLE_MARKER = "TITLEMARKER9124"
UNFOLLOW_RE = re.compile(r"^(http\S+/link/niet-meer-volgen/\S+/)$", re.MULTILINE)


def everything(message) -> str:
    """Subject, headers, text and HTML of a sent mail."""
    html = "".join(str(content) for content, _type in message.alternatives)
    return "\n".join([message.subject, str(message.extra_headers), str(message.body), html])


def unfollow_link(message) -> str:
    match = UNFOLLOW_RE.search(str(message.body))
    assert match, message.body
    return match.group(1).removeprefix(settings.SITE_URL)


@pytest.fixture
def followed(personas, make_problem) -> Problem:
    """A sensitive problem with markers in the reporter's name and the confidential details,
    followed by its reporter, a supporter, an English-speaking wijkagent and the chair."""
    personas.resident.display_name = f"Mohamed {REPORTER_MARKER}"
    personas.resident.save(update_fields=["display_name"])
    personas.wijkagent.language = "en"
    personas.wijkagent.save(update_fields=["language"])
    problem = make_problem(
        category="drugsoverlast",
        title=f"Dealen {TITLE_MARKER}",
        street="Talmalaan",
        location_detail="portiek 12",
        confidential_details=f"Buurman {CONFIDENTIAL_MARKER}",
    )
    problem_support(problem=problem, user=personas.second_resident)
    problem_follow(problem=problem, user=personas.wijkagent)
    problem_follow(problem=problem, user=personas.chair)
    mail.outbox.clear()
    return problem


def park(problem: Problem, personas, captured) -> None:
    with captured(execute=True):
        problem_transition(
            problem=problem,
            move=Move.PARK,
            actor=personas.chair,
            actors={"chair"},
            public_note="We wachten op de gemeente",
            confidential_note=f"Tip van {NOTE_MARKER}",
        )


def test_one_mail_per_follower_but_not_the_actor(
    personas, followed, django_capture_on_commit_callbacks
):
    park(followed, personas, django_capture_on_commit_callbacks)
    recipients = sorted(address for message in mail.outbox for address in message.to)
    assert recipients == sorted(
        [personas.resident.email, personas.second_resident.email, personas.wijkagent.email]
    )


def test_the_mail_says_what_changed_in_public_words_only(
    personas, followed, django_capture_on_commit_callbacks
):
    park(followed, personas, django_capture_on_commit_callbacks)
    assert mail.outbox
    for message in mail.outbox:
        text = everything(message)
        # The public summary ("Drugsoverlast ... Talmalaan"), not the title.
        assert "Talmalaan" in text
        assert "Drugsoverlast" in text or "Drug nuisance" in text
        assert "We wachten op de gemeente" in text
        assert settings.SITE_URL + followed.get_absolute_url() in text
        for marker in (REPORTER_MARKER, CONFIDENTIAL_MARKER, NOTE_MARKER, TITLE_MARKER):
            assert marker not in text, (message.to, marker)
        assert "portiek 12" not in text


def test_each_follower_reads_it_in_their_own_language(
    personas, followed, django_capture_on_commit_callbacks
):
    park(followed, personas, django_capture_on_commit_callbacks)
    by_address = {message.to[0]: message for message in mail.outbox}
    english = by_address[personas.wijkagent.email]
    assert isinstance(english, EmailMultiAlternatives)
    assert english.subject.endswith("Parked")
    english_html = str(english.alternatives[0][0])
    assert 'lang="en"' in english_html
    assert "Stop following this problem" in english_html
    dutch = by_address[personas.second_resident.email]
    assert isinstance(dutch, EmailMultiAlternatives)
    assert 'lang="nl"' in str(dutch.alternatives[0][0])


def test_the_unfollow_link_works_without_logging_in(
    personas, followed, django_capture_on_commit_callbacks
):
    park(followed, personas, django_capture_on_commit_callbacks)
    message = next(m for m in mail.outbox if m.to == [personas.second_resident.email])
    link = unfollow_link(message)
    browser = Client(enforce_csrf_checks=True)  # no session, no CSRF token: the link is enough

    page = browser.get(link)
    assert page.status_code == 200
    assert followed.public_title in page.content.decode()
    assert Follow.objects.filter(problem=followed, user=personas.second_resident).exists()

    done = browser.post(link)
    assert done.status_code == 200
    assert not Follow.objects.filter(problem=followed, user=personas.second_resident).exists()
    assert Follow.objects.filter(problem=followed, user=personas.resident).exists()
    assert "_auth_user_id" not in browser.session
    assert browser.post(link).status_code == 200  # again: harmless

    # Unfollowed people get no more mail about it.
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        problem_transition(
            problem=followed, move=Move.REOPEN, actor=personas.chair, actors={"chair"}
        )
    assert personas.second_resident.email not in [m.to[0] for m in mail.outbox]
    assert personas.resident.email in [m.to[0] for m in mail.outbox]


def test_broken_expired_and_foreign_links_are_refused(client, personas, followed):
    link = unfollow_url(personas.second_resident, followed).removeprefix(settings.SITE_URL)
    tampered = link[:-3] + ("xyz/" if not link.endswith("xyz/") else "abc/")
    assert client.get(tampered).status_code == 400
    assert client.post(tampered).status_code == 400
    # An unsubscribe link (another purpose) does not unfollow.
    other = unsubscribe_url(
        user=personas.second_resident, expires_at=timezone.now() + timedelta(days=1)
    ).rsplit("/", 2)[-2]
    assert client.post(reverse("problem_unfollow_link", args=[other])).status_code == 400
    with time_machine.travel(timezone.now() + timedelta(days=91)):
        assert client.post(link).status_code == 410
    assert Follow.objects.filter(problem=followed, user=personas.second_resident).exists()


def test_after_a_merge_the_link_unfollows_the_problem_that_stays(
    personas, make_problem, django_capture_on_commit_callbacks
):
    stays = make_problem(title="Het blijvende probleem", reporter=personas.chair)
    old = make_problem(title="Dubbel", reporter=personas.second_resident)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        problem_transition(
            problem=old, move=Move.MERGE, actor=personas.chair, actors={"chair"}, into=stays
        )
    [message] = [m for m in mail.outbox if m.to == [personas.second_resident.email]]
    assert "Het blijvende probleem" in everything(message)
    assert Follow.objects.filter(problem=stays, user=personas.second_resident).exists()
    Client().post(unfollow_link(message))
    assert not Follow.objects.filter(problem=stays, user=personas.second_resident).exists()


def test_the_change_is_read_once_per_sending_run_not_per_follower(
    personas, followed, django_capture_on_commit_callbacks, django_assert_num_queries
):
    park(followed, personas, lambda **_kw: django_capture_on_commit_callbacks(execute=False))
    mailing = (
        Mailing.objects.select_related("neighbourhood")
        .filter(kind=ProblemMail.PROBLEM_STATUS)
        .latest("pk")  # the park's
    )
    deliveries = list(Delivery.objects.filter(mailing=mailing).select_related("user"))
    assert len(deliveries) == 3
    base = _base_context(mailing)  # the subject and the timeline entry, once
    _render(mailing, deliveries[0], base)  # reads the subject's category, once
    with django_assert_num_queries(0):  # the templates and their tags read nothing
        rendered = [_render(mailing, delivery, base) for delivery in deliveries[1:]]
    for message in rendered:
        assert "We wachten op de gemeente" in str(message.body)
        assert unfollow_link(message)


def test_no_mail_when_only_the_actor_follows(
    personas, make_problem, django_capture_on_commit_callbacks
):
    problem = make_problem(Status.NEW, reporter=personas.chair)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        problem_transition(
            problem=problem, move=Move.ACCEPT, actor=personas.chair, actors={"chair"}
        )
    assert mail.outbox == []


def test_unfollow_url_tag(personas, make_problem):
    problem = make_problem()
    template = Template("{% load problem_tags %}{% unfollow_url recipient subject %}")
    url = template.render(Context({"recipient": personas.resident, "subject": problem}))
    assert url.startswith(settings.SITE_URL + "/link/niet-meer-volgen/")
    assert template.render(Context({"recipient": None, "subject": problem})) == ""
