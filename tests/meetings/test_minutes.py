"""The minutes: drafting from the meeting record, editing (sanitised, no lost updates),
finalising into versions, the render task (idempotent, failures with their reason), publishing
and its mail (once; a link, or the PDF attached), corrections (version 2 keeps version 1), a
withdrawn consent (rendered again under the same number, with a note), and every view's
permission boundary and query count.

The PDFs themselves are read back in test_minutes_pdf.py. Marker strings are planted in a
non-consenting resident's name, a reporter's name, a minute-taker without consent, confidential
details and a sensitive problem's real title: they must never reach the minutes, the pages or
the mail.
"""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pypdf
import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.mail import EmailMultiAlternatives
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from buurtoverleg.mail.models import Delivery, Mailing
from buurtoverleg.mail.pipeline import mailing_send
from meetings import services as meeting_services
from meetings.mail_kinds import MeetingMail
from meetings.minutes import services
from meetings.minutes.models import Minutes, MinutesVersion
from meetings.minutes.services import MinutesConflict
from meetings.planning.models import AgendaItem, Meeting
from meetings.room.models import Attendance
from residents.mail_preferences import mail_preference_set
from residents.models import User
from tests.conftest import PERSONA_NAMES
from tests.factories import (
    AGREED,
    CONSENT,
    DECISION,
    FORBIDDEN,
    JUDGED,
    NOTES,
    REPORTED,
    RESOLVED,
    VISITOR,
    Record,
    active_resident,
    build_record,
    minutes_mail,
)
from tests.support import stored_file, view_name

Kind = AgendaItem.Kind
RS = MinutesVersion.RenderStatus
HTMX = {"HX-Request": "true"}


def pdf_text(content: bytes) -> str:
    """The text of every page, with lines joined (a phrase may wrap)."""
    pages = pypdf.PdfReader(io.BytesIO(content)).pages
    return " ".join(" ".join(page.extract_text().split()) for page in pages)


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def record(personas, media) -> Record:
    return build_record(personas)


@pytest.fixture
def finalised(record, personas, django_capture_on_commit_callbacks) -> MinutesVersion:
    """Version 1, rendered (the task runs in-process once the transaction commits)."""
    minutes = services.minutes_draft(record.meeting, by=personas.chair)
    with django_capture_on_commit_callbacks(execute=True):
        version = services.minutes_finalise(minutes, personas.chair)
    version.refresh_from_db()
    assert version.render_status == RS.DONE, version.render_error
    return version


@pytest.fixture
def published(finalised, personas, django_capture_on_commit_callbacks) -> MinutesVersion:
    with django_capture_on_commit_callbacks(execute=True):
        services.minutes_publish(finalised, personas.chair)
    finalised.refresh_from_db()
    return finalised


def url(name: str, meeting: Meeting, *extra: Any) -> str:
    return reverse(view_name(name), args=[meeting.neighbourhood.slug, meeting.pk, *extra])


# --- Drafting -----------------------------------------------------------------------------------


def test_the_draft_holds_the_record_in_public_words_only(record, personas, english_pages):
    minutes = services.minutes_draft(record.meeting, by=personas.chair)
    body = minutes.body
    for expected in (
        NOTES,
        DECISION,
        AGREED,
        REPORTED,
        JUDGED,
        RESOLVED,
        "Zwerfvuil bij de glasbak",
    ):
        assert expected in body, expected
    # The round's results, split: online 3 + paper 2 for the glass container, hands apart.
    assert '<th scope="col">Online</th>' in body and '<th scope="col">Paper</th>' in body
    assert "<td>Zwerfvuil bij de glasbak</td><td>3</td><td>2</td><td>–</td><td>5</td>" in body
    assert (
        "<td>1</td><td>0</td><td>2</td><td>3</td>" in body
    )  # the sensitive one: 1 online, 2 hands
    assert "Better, continue" in body  # the room's judgement
    assert record.sensitive.public_title in body
    for marker in FORBIDDEN:
        assert marker not in body, marker
    # Who owns or is the contact of an action is not in the minutes: only the organisation.
    assert personas.housing_contact.display_name not in body
    assert "Woningcorporatie Thuisbasis" in body
    assert minutes.language == "en"
    assert minutes.status == Minutes.Status.DRAFT


def test_drafting_again_replaces_the_text_unless_someone_saved_since(record, personas):
    minutes = services.minutes_draft(record.meeting, by=personas.chair)
    services.minutes_edit(
        minutes=minutes,
        body="<p>Eigen tekst</p>",
        base_version=minutes.body_version,
        by=personas.chair,
    )
    stale = minutes.body_version - 1
    with pytest.raises(MinutesConflict):
        services.minutes_draft(record.meeting, by=personas.chair, base_version=stale)
    again = services.minutes_draft(
        record.meeting, by=personas.chair, base_version=minutes.body_version
    )
    assert again.pk == minutes.pk
    assert NOTES in again.body and "Eigen tekst" not in again.body
    assert again.body_version == minutes.body_version + 1
    assert Minutes.objects.count() == 1


def test_minutes_wait_until_the_meeting_is_over(personas):
    soon = timezone.now() + timedelta(days=3)
    meeting = meeting_services.meeting_create(
        neighbourhood=personas.hood, starts_at=soon, ends_at=soon + timedelta(hours=2), place=""
    )
    with pytest.raises(ValidationError):
        services.minutes_draft(meeting, by=personas.chair)
    assert not Minutes.objects.exists()


# --- Editing ------------------------------------------------------------------------------------


def test_editing_keeps_only_safe_simple_formatting(record, personas):
    minutes = services.minutes_draft(record.meeting, by=personas.chair)
    dirty = (
        '<h1>Kop</h1><p onclick="x()">Tekst <strong>vet</strong> <em>schuin</em></p>'
        "<script>alert(1)</script><style>p{}</style><img src=x onerror=alert(1)>"
        '<a href="javascript:alert(1)">js</a> <a href="/relatief">rel</a> '
        '<a href="https://example.nl/a" target="_blank">web</a>'
        '<table><thead><tr><th scope="col">A</th></tr></thead>'
        "<tbody><tr><td>1</td></tr></tbody></table>"
        "<ul><li>een</li></ul><h2>Twee</h2><h3>Drie</h3><!-- commentaar -->"
    )
    services.minutes_edit(
        minutes=minutes, body=dirty, base_version=minutes.body_version, by=personas.minute_taker
    )
    minutes.refresh_from_db()
    body = minutes.body
    for gone in (
        "<h1",
        "onclick",
        "<script",
        "alert(1)",
        "<style",
        "<img",
        "javascript:",
        "/relatief",
        "target=",
        "commentaar",
    ):
        assert gone not in body, gone
    for kept in (
        "Kop",
        "<strong>vet</strong>",
        "<em>schuin</em>",
        '<a href="https://example.nl/a" rel="noopener noreferrer">web</a>',
        '<th scope="col">A</th>',
        "<li>een</li>",
        "<h2>Twee</h2>",
        "<h3>Drie</h3>",
    ):
        assert kept in body, kept
    assert minutes.edited_by == personas.minute_taker


def test_an_edit_based_on_an_old_version_is_a_conflict(record, personas):
    minutes = services.minutes_draft(record.meeting, by=personas.chair)
    base = minutes.body_version
    services.minutes_edit(
        minutes=minutes, body="<p>Eerste</p>", base_version=base, by=personas.chair
    )
    with pytest.raises(MinutesConflict) as caught:
        services.minutes_edit(
            minutes=minutes, body="<p>Tweede</p>", base_version=base, by=personas.minute_taker
        )
    assert caught.value.theirs == "<p>Eerste</p>"
    # A retry of the save that landed is not a conflict.
    services.minutes_edit(
        minutes=minutes, body="<p>Eerste</p>", base_version=base, by=personas.chair
    )
    assert Minutes.objects.get().body == "<p>Eerste</p>"


# --- Finalising, rendering, correcting ----------------------------------------------------------


def test_finalising_makes_version_one_and_renders_both_pdfs(finalised, record):
    assert finalised.number == 1
    assert finalised.progress == 100 and finalised.rendered_at is not None
    assert finalised.pdf.name.startswith("minutes/kanaleneiland-noord/")
    assert stored_file(finalised.pdf.name).startswith(b"%PDF")
    assert stored_file(finalised.pdf_large.name).startswith(b"%PDF")
    # Whose names the PDFs print: the consenting resident and the team, not the others.
    named = set(finalised.named_people.values_list("pk", flat=True))
    assert record.named.pk in named
    assert record.unnamed.pk not in named and record.reporter.pk not in named


def test_finalising_twice_without_a_change_makes_one_version(finalised, personas):
    with pytest.raises(ValidationError):
        services.minutes_finalise(finalised.minutes, personas.chair)
    assert MinutesVersion.objects.count() == 1


def test_the_render_task_is_idempotent(finalised):
    from meetings.minutes.tasks import render_minutes

    before = (finalised.pdf.name, finalised.pdf_large.name, finalised.rendered_at)
    assert render_minutes.delay(finalised.pk).get() == "skipped"
    assert services.minutes_render(version_id=finalised.pk) == "skipped"
    finalised.refresh_from_db()
    assert (finalised.pdf.name, finalised.pdf_large.name, finalised.rendered_at) == before
    assert finalised.render_attempts == 1


def test_a_render_claimed_by_a_dead_worker_is_taken_over(finalised):
    long_ago = timezone.now() - services.RENDER_STALE - timedelta(seconds=1)
    MinutesVersion.objects.filter(pk=finalised.pk).update(
        render_status=RS.RENDERING, claimed_at=long_ago
    )
    assert services.minutes_render(version_id=finalised.pk) == "done"
    # A live claim is left alone.
    MinutesVersion.objects.filter(pk=finalised.pk).update(
        render_status=RS.RENDERING, claimed_at=timezone.now()
    )
    assert services.minutes_render(version_id=finalised.pk) == "skipped"


def test_the_sweep_renders_a_version_whose_queue_message_was_lost(record, personas):
    from buurtoverleg.due import run_due

    minutes = services.minutes_draft(record.meeting, by=personas.chair)
    version = services.minutes_finalise(minutes, personas.chair)  # on_commit never runs: lost
    assert services.minutes_renders_requeue_stale() == 0  # not waiting long enough yet
    MinutesVersion.objects.filter(pk=version.pk).update(
        queued_at=timezone.now() - services.RENDER_WAIT_TOO_LONG - timedelta(seconds=1)
    )
    assert "minutes.sweep" in run_due()
    version.refresh_from_db()
    assert version.render_status == RS.DONE, version.render_error
    assert services.minutes_renders_requeue_stale() == 0  # done: nothing more to do


def test_a_failed_render_records_its_reason_and_can_be_tried_again(
    record, personas, monkeypatch, django_capture_on_commit_callbacks
):
    minutes = services.minutes_draft(record.meeting, by=personas.chair)
    calls = []

    def broken(html: str) -> bytes:
        calls.append(html)
        raise RuntimeError("no fonts installed")

    monkeypatch.setattr(services, "pdf_bytes", broken)
    with django_capture_on_commit_callbacks(execute=True):
        version = services.minutes_finalise(minutes, personas.chair)
    version.refresh_from_db()
    assert version.render_status == RS.FAILED
    assert version.render_error == "RuntimeError: no fonts installed"
    assert len(calls) == 5  # the first attempt and four retries (in-process: no waiting)
    assert version.render_attempts == 5 and not version.pdf
    assert services.render_may_retry(version)
    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.minutes_render_again(version=version)
    version.refresh_from_db()
    assert version.render_status == RS.DONE and version.pdf
    assert not services.minutes_render_again(version=version)  # done: nothing to try again


def test_a_newer_request_to_render_wins_over_one_in_flight(finalised, monkeypatch):
    """Consent withdrawn while the PDF is being made: the older render is not stored."""
    MinutesVersion.objects.filter(pk=finalised.pk).update(render_status=RS.QUEUED)
    real = services.pdf_bytes

    def meanwhile(html: str) -> bytes:
        MinutesVersion.objects.filter(pk=finalised.pk).update(
            render_generation=finalised.render_generation + 1
        )
        return real(html)

    monkeypatch.setattr(services, "pdf_bytes", meanwhile)
    files_before = set(default_storage.listdir("minutes/kanaleneiland-noord/")[1])
    assert services.minutes_render(version_id=finalised.pk) == "superseded"
    assert set(default_storage.listdir("minutes/kanaleneiland-noord/")[1]) == files_before


def test_a_correction_after_publishing_is_version_two_and_keeps_version_one(
    published, personas, django_capture_on_commit_callbacks
):
    minutes = published.minutes
    minutes.refresh_from_db()
    with pytest.raises(ValidationError):  # a correction must say what changed
        services.minutes_correct(
            minutes=minutes,
            body=minutes.body + "<p>Aanvulling</p>",
            base_version=minutes.body_version,
            by=personas.chair,
            change_note="",
        )
    minutes.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        second = services.minutes_correct(
            minutes=minutes,
            body=minutes.body + "<p>Qzcorrectionxq</p>",
            base_version=minutes.body_version,
            by=personas.chair,
            change_note="De datum van de schouw toegevoegd.",
        )
    second.refresh_from_db()
    first = MinutesVersion.objects.get(pk=published.pk)
    assert (first.number, second.number) == (1, 2)
    assert "Qzcorrectionxq" in second.body and "Qzcorrectionxq" not in first.body
    assert first.pdf.name != second.pdf.name
    assert "Qzcorrectionxq" not in pdf_text(stored_file(first.pdf.name))
    assert "Qzcorrectionxq" in pdf_text(stored_file(second.pdf.name))
    # Version 1 stays what residents see until version 2 is published.
    minutes.refresh_from_db()
    assert minutes.published_number == 1
    with django_capture_on_commit_callbacks(execute=True):
        services.minutes_publish(second, personas.chair)
    minutes.refresh_from_db()
    assert minutes.published_number == 2
    assert MinutesVersion.objects.get(pk=published.pk).is_published
    assert Mailing.objects.filter(kind=MeetingMail.MINUTES).count() == 2
    with pytest.raises(ValidationError):  # an older version cannot replace a later one
        services.minutes_publish(first, personas.chair)


# --- Publishing and the mail ------------------------------------------------------------------


def test_publishing_shows_the_minutes_and_marks_the_meeting(published, record):
    minutes = Minutes.objects.get()
    assert minutes.status == Minutes.Status.PUBLISHED and minutes.published_number == 1
    assert Meeting.objects.get(pk=record.meeting.pk).status == Meeting.Status.MINUTES_PUBLISHED
    assert list(Minutes.objects.filter(neighbourhood=record.meeting.neighbourhood).published()) == [
        minutes
    ]


def test_publishing_is_refused_before_the_pdf_is_made(record, personas):
    minutes = services.minutes_draft(record.meeting, by=personas.chair)
    version = services.minutes_finalise(minutes, personas.chair)  # not rendered: no commit
    with pytest.raises(ValidationError):
        services.minutes_publish(version, personas.chair)
    assert not Mailing.objects.filter(kind=MeetingMail.MINUTES).exists()


def test_publishing_mails_once_a_link_or_the_pdf_attached(
    finalised, record, personas, django_capture_on_commit_callbacks
):
    User.objects.filter(pk=record.named.pk).update(minutes_as_pdf=True)
    for person in (personas.second_resident, personas.wijkagent):
        mail_preference_set(
            user=person, neighbourhood=personas.hood, topic="minutes", enabled=False
        )
    mail.outbox.clear()
    for _ in range(3):  # a double click, a retried request
        with django_capture_on_commit_callbacks(execute=True):
            services.minutes_publish(finalised, personas.chair)
    mailing = Mailing.objects.get(kind=MeetingMail.MINUTES)
    assert mailing_send(mailing_id=mailing.pk) == 0
    addressed = sorted(Delivery.objects.filter(mailing=mailing).values_list("email", flat=True))
    assert sorted(to for message in mail.outbox for to in message.to) == addressed
    # Members who did not turn the minutes off, the team alike.
    assert personas.second_resident.email not in addressed
    assert personas.wijkagent.email not in addressed
    assert personas.chair.email in addressed and personas.resident.email in addressed
    assert (
        personas.outsider.email not in addressed
        and personas.pending_resident.email not in addressed
    )
    by_address = {message.to[0]: message for message in mail.outbox}
    with_pdf = by_address[record.named.email]
    [(filename, content, mimetype)] = with_pdf.attachments
    assert mimetype == "application/pdf" and filename.endswith("-v1.pdf")
    assert "attached" in with_pdf.body or "bijlage" in with_pdf.body
    attached = pdf_text(content)
    assert NOTES in attached
    link_only = by_address[personas.resident.email]
    assert link_only.attachments == []
    assert url("minutes:minutes", record.meeting) in link_only.body
    assert url("minutes:minutes_pdf", record.meeting, 1) in link_only.body
    for message in mail.outbox:
        assert isinstance(message, EmailMultiAlternatives)
        text = str(message.subject) + str(message.body)
        text += "".join(str(a[0]) for a in message.alternatives)
        text += "".join(pdf_text(a[1]) for a in message.attachments)
        for marker in FORBIDDEN:
            assert marker not in text, (marker, message.to)


def test_an_attachment_waits_while_the_pdf_is_made_again(published, record):
    from buurtoverleg.mail.pipeline import TransientMailError

    mailing = Mailing.objects.get(kind=MeetingMail.MINUTES)
    User.objects.filter(pk=record.named.pk).update(minutes_as_pdf=True)
    delivery = Delivery.objects.select_related("user").get(mailing=mailing, user=record.named)
    MinutesVersion.objects.filter(pk=published.pk).update(render_status=RS.QUEUED)
    with pytest.raises(TransientMailError):
        services.minutes_attachments(mailing, delivery)


def test_the_minutes_sender_for_the_mail_fault_tests_sends_once(
    personas, media, django_capture_on_commit_callbacks
):
    User.objects.filter(pk=personas.resident.pk).update(minutes_as_pdf=True)
    mail.outbox.clear()
    for _ in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            minutes_mail(personas)
    mailing = Mailing.objects.get(kind=MeetingMail.MINUTES)
    assert mailing_send(mailing_id=mailing.pk) == 0
    addressed = sorted(Delivery.objects.filter(mailing=mailing).values_list("email", flat=True))
    assert addressed
    assert sorted(to for message in mail.outbox for to in message.to) == addressed


# --- Consent withdrawn --------------------------------------------------------------------------


def test_withdrawing_consent_renders_every_version_again_under_its_number(
    english_pages, published, record, personas, django_capture_on_commit_callbacks
):
    minutes = Minutes.objects.get()
    # The minute-taker typed the name into the text too; version 2 is a correction.
    with django_capture_on_commit_callbacks(execute=True):
        second = services.minutes_correct(
            minutes=minutes,
            body=minutes.body + f"<p>Vraag van Bewoner {CONSENT} over de bankjes.</p>",
            base_version=minutes.body_version,
            by=personas.chair,
            change_note="Rondvraag aangevuld.",
        )
    second.refresh_from_db()
    assert CONSENT in pdf_text(stored_file(published.pdf.name))
    assert pdf_text(stored_file(second.pdf.name)).count(CONSENT) == 2
    # Another meeting's minutes, which do not name this person, stay as they are.
    other = Minutes.objects.create(
        meeting=record.following, neighbourhood=personas.hood, body="<p>Ander overleg</p>"
    )
    untouched = MinutesVersion.objects.create(
        minutes=other, number=1, body=other.body, render_status=RS.DONE, pdf="x.pdf"
    )
    old_files = [published.pdf.name, published.pdf_large.name, second.pdf.name]

    User.objects.filter(pk=record.named.pk).update(consent_named_in_minutes=False)
    record.named.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        redone = services.minutes_person_withdrawn(user=record.named)
    assert sorted(redone) == sorted([published.pk, second.pk])
    for before, after_pk in ((published, published.pk), (second, second.pk)):
        after = MinutesVersion.objects.get(pk=after_pk)
        assert after.number == before.number
        assert after.render_status == RS.DONE
        assert after.render_generation == before.render_generation + 1
        assert len(after.amendments) == 1 and after.amendments[0]["kind"] == "name_removed"
        for large in (False, True):
            text = pdf_text(stored_file((after.pdf_large if large else after.pdf).name))
            assert CONSENT not in text
            assert "a name was removed at the request of the person concerned" in text
        assert record.named not in after.named_people.all()
    assert "[name removed]" in MinutesVersion.objects.get(pk=second.pk).body
    assert CONSENT not in Minutes.objects.get(pk=minutes.pk).body  # the draft too
    for name in old_files:  # the old files were replaced (the names may be reused)
        assert not default_storage.exists(name) or CONSENT not in pdf_text(stored_file(name))
    untouched.refresh_from_db()
    assert untouched.render_generation == 1 and untouched.amendments == []
    # Still published, under the same numbers; nothing mailed again.
    assert Minutes.objects.get(pk=minutes.pk).published_number == 1
    assert Mailing.objects.filter(kind=MeetingMail.MINUTES).count() == 1


def test_deleting_an_account_removes_the_name_too(
    published, record, django_capture_on_commit_callbacks
):
    from residents.privacy import user_delete_account

    with django_capture_on_commit_callbacks(execute=True):
        # What residents/privacy.py's anonymisers will call, before the name is scrubbed.
        services.minutes_person_withdrawn(user=record.named)
        user_delete_account(user=record.named)
    version = MinutesVersion.objects.get(pk=published.pk)
    assert version.render_status == RS.DONE
    assert CONSENT not in pdf_text(stored_file(version.pdf.name))


def test_a_first_name_alone_is_never_removed_from_the_text(published, record, personas):
    User.objects.filter(pk=record.named.pk).update(display_name="Bewoner")
    record.named.refresh_from_db()
    MinutesVersion.objects.filter(pk=published.pk).update(body="<p>Bewoner Jansen vroeg iets.</p>")
    services.minutes_person_withdrawn(user=record.named)
    assert "Bewoner Jansen" in MinutesVersion.objects.get(pk=published.pk).body


# --- Views: permissions -----------------------------------------------------------------------

EDITORS = {"chair", "minute_taker", "coordinator"}
PUBLISHERS = {"chair", "coordinator"}


def expected(persona: str, allowed: set[str], ok: int) -> int:
    if persona == "anonymous":
        return 302
    return ok if persona in allowed else 403


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_editor_views_are_for_the_chair_the_minute_taker_and_coordinators(
    record, personas, login, persona, english_pages
):
    services.minutes_draft(record.meeting, by=personas.chair)
    minutes = Minutes.objects.get()
    client = login(personas.by_name(persona))
    meeting = record.meeting
    answer = client.get(url("minutes:minutes_edit", meeting))
    assert answer.status_code == expected(persona, EDITORS, 200), persona
    for name in ("minutes_draft_pdf", "minutes_draft_pdf_large"):
        answer = client.get(url(name, meeting))
        assert answer.status_code == expected(persona, EDITORS, 200), (persona, name)
        if answer.status_code == 200:
            assert answer["Content-Type"] == "application/pdf"
    answer = client.post(
        url("minutes:minutes_preview", meeting), {"body": "<p>Voorbeeld</p>", "version": 1}
    )
    assert answer.status_code == expected(persona, EDITORS, 200), persona
    answer = client.post(
        url("minutes:minutes_save", meeting),
        {"body": f"<p>Qz{persona}xq</p>", "version": minutes.body_version},
    )
    assert answer.status_code == expected(persona, EDITORS, 302), persona
    assert (f"Qz{persona}xq" in Minutes.objects.get().body) == (persona in EDITORS)
    answer = client.post(url("minutes:minutes_draft", meeting), {})
    assert answer.status_code == expected(persona, EDITORS, 302), persona


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_only_the_chair_and_coordinators_finalise_and_publish(
    record, personas, login, persona, django_capture_on_commit_callbacks
):
    minutes = services.minutes_draft(record.meeting, by=personas.chair)
    client = login(personas.by_name(persona))
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(
            url("minutes:minutes_finalise", record.meeting), {"version": minutes.body_version}
        )
    assert answer.status_code == expected(persona, PUBLISHERS, 302), persona
    assert MinutesVersion.objects.exists() == (persona in PUBLISHERS)
    if persona not in PUBLISHERS:
        with django_capture_on_commit_callbacks(execute=True):
            services.minutes_finalise(minutes, personas.chair)
    answer = client.post(url("minutes:minutes_publish", record.meeting, 1))
    assert answer.status_code == expected(persona, PUBLISHERS, 302), persona
    assert MinutesVersion.objects.get().is_published == (persona in PUBLISHERS)


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_an_unpublished_version_exists_only_for_the_editors(
    finalised, record, personas, login, persona
):
    client = login(personas.by_name(persona))
    editor = persona in EDITORS
    for name in ("minutes_version", "minutes_pdf", "minutes_pdf_large"):
        answer = client.get(url(name, record.meeting, 1))
        assert answer.status_code == (200 if editor else 404), (persona, name)
    answer = client.get(url("minutes:minutes_progress", record.meeting, 1), headers=HTMX)
    assert answer.status_code == (200 if editor else 404), persona
    page = client.get(url("minutes:minutes", record.meeting))
    assert page.status_code == 200
    assert (url("minutes:minutes_version", record.meeting, 1) in page.content.decode()) == editor
    answer = client.post(url("minutes:minutes_rerender", record.meeting, 1))
    assert answer.status_code == expected(persona, EDITORS, 302), persona


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_published_minutes_are_public(published, record, personas, login, persona, english_pages):
    client = login(personas.by_name(persona))
    page = client.get(url("minutes:minutes", record.meeting))
    assert page.status_code == 200
    text = page.content.decode()
    assert NOTES in text and CONSENT in text and VISITOR in text
    for marker in FORBIDDEN:
        assert marker not in text, (persona, marker)
    for name in ("minutes_pdf", "minutes_pdf_large"):
        answer = client.get(url(name, record.meeting, 1))
        assert answer.status_code == 200
        assert answer["Content-Type"] == "application/pdf"
        assert b"".join(answer.streaming_content).startswith(b"%PDF")
    assert client.get(url("minutes:minutes_version", record.meeting, 1)).status_code == 200
    # On the meeting page and the neighbourhood page.
    meeting_page = client.get(
        reverse("planning:meeting", args=[personas.hood.slug, record.meeting.pk])
    )
    assert url("minutes:minutes_pdf", record.meeting, 1) in meeting_page.content.decode()
    hood_page = client.get(reverse("neighbourhood", args=[personas.hood.slug]))
    assert url("minutes:minutes", record.meeting) in hood_page.content.decode()


def test_the_meetings_own_resident_chair_edits_and_publishes(
    record, personas, login, django_capture_on_commit_callbacks
):
    Meeting.objects.filter(pk=record.meeting.pk).update(chair=personas.resident)
    services.minutes_draft(record.meeting, by=personas.chair)
    client = login(personas.resident)
    assert client.get(url("minutes:minutes_edit", record.meeting)).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(url("minutes:minutes_finalise", record.meeting), {"version": 1})
    assert answer.status_code == 302
    assert client.post(url("minutes:minutes_publish", record.meeting, 1)).status_code == 302
    assert MinutesVersion.objects.get().is_published


def test_outsiders_cannot_touch_another_neighbourhoods_minutes(record, personas, login):
    services.minutes_draft(record.meeting, by=personas.chair)
    client = login(personas.outsider_chair)
    assert client.get(url("minutes:minutes_edit", record.meeting)).status_code == 403
    assert (
        client.post(url("minutes:minutes_finalise", record.meeting), {"version": 1}).status_code
        == 403
    )
    wrong_hood = reverse("minutes:minutes_edit", args=[personas.other_hood.slug, record.meeting.pk])
    assert client.get(wrong_hood).status_code == 404


# --- Views: the editor's behaviour ---------------------------------------------------------------


def test_saving_with_htmx_answers_the_status_and_the_new_version(record, personas, login):
    minutes = services.minutes_draft(record.meeting, by=personas.chair)
    client = login(personas.minute_taker)
    answer = client.post(
        url("minutes:minutes_save", record.meeting),
        {"body": "<p>Nieuw</p><script>x</script>", "version": minutes.body_version},
        headers=HTMX,
    )
    assert answer.status_code == 200
    html = answer.content.decode()
    assert 'id="minutes-save-status"' in html
    assert (
        f'value="{minutes.body_version + 1}" id="minutes-version" data-hx-swap-oob="true"' in html
    )
    assert Minutes.objects.get().body == "<p>Nieuw</p>"


def test_a_save_conflict_shows_both_texts(record, personas, login, english_pages):
    minutes = services.minutes_draft(record.meeting, by=personas.chair)
    base = minutes.body_version
    services.minutes_edit(
        minutes=minutes, body="<p>Qztheirsxq</p>", base_version=base, by=personas.chair
    )
    client = login(personas.minute_taker)
    data = {"body": "<p>Qzminexq</p>", "version": base}
    answer = client.post(url("minutes:minutes_save", record.meeting), data)
    assert answer.status_code == 409
    html = answer.content.decode()
    assert "Qztheirsxq" in html and "Qzminexq" in html
    assert "Someone else saved the minutes" in html
    answer = client.post(url("minutes:minutes_save", record.meeting), data, headers=HTMX)
    assert answer.status_code == 200 and answer["HX-Retarget"] == "#minutes-editor"
    assert "Qztheirsxq" in answer.content.decode()
    assert Minutes.objects.get().body == "<p>Qztheirsxq</p>"


def test_preview_without_javascript_keeps_the_unsaved_text(record, personas, login, english_pages):
    minutes = services.minutes_draft(record.meeting, by=personas.chair)
    client = login(personas.chair)
    answer = client.post(
        url("minutes:minutes_preview", record.meeting),
        {"body": "<p>Qzunsavedxq</p><script>bad()</script>", "version": minutes.body_version},
    )
    assert answer.status_code == 200
    html = answer.content.decode()
    assert html.count("Qzunsavedxq") == 2  # in the preview and still in the editor
    assert "bad()</script>" not in html.split('id="minutes-preview"')[1]
    assert "Qzunsavedxq" not in Minutes.objects.get().body


def test_the_progress_block_polls_until_the_pdf_is_made_and_shows_why_it_failed(
    record, personas, login, english_pages
):
    minutes = services.minutes_draft(record.meeting, by=personas.chair)
    version = services.minutes_finalise(minutes, personas.chair)
    client = login(personas.chair)
    target = url("minutes:minutes_progress", record.meeting, 1)
    html = client.get(target, headers=HTMX).content.decode()
    assert 'hx-trigger="every 2s"' in html
    MinutesVersion.objects.filter(pk=version.pk).update(
        render_status=RS.FAILED, render_error="OSError: disk full"
    )
    html = client.get(target, headers=HTMX).content.decode()
    assert "hx-trigger" not in html
    assert "OSError: disk full" in html and "Try again" in html
    assert client.get(target).status_code == 302  # without htmx: the version page


def test_finalising_twice_from_the_page_leads_to_the_version(
    record, personas, login, django_capture_on_commit_callbacks
):
    minutes = services.minutes_draft(record.meeting, by=personas.chair)
    client = login(personas.chair)
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            answer = client.post(
                url("minutes:minutes_finalise", record.meeting), {"version": minutes.body_version}
            )
        assert answer.url == url("minutes:minutes_version", record.meeting, 1)
    assert MinutesVersion.objects.count() == 1


# --- Views: query counts ------------------------------------------------------------------------


def _grow(personas: Any, meeting: Meeting, n: int, tag: str) -> None:
    for i in range(n):
        person = active_resident(
            personas,
            f"Extra {tag}{i}",
            f"grow{tag}{i}@example.nl",
            consent_named_in_minutes=bool(i % 2),
        )
        Attendance.objects.create(meeting=meeting, user=person, kind=Attendance.Kind.RESIDENT)
        Attendance.objects.create(
            meeting=meeting,
            name=f"Gast {tag}{i}",
            kind=Attendance.Kind.PROFESSIONAL,
            organisation=personas.police,
        )


@pytest.mark.parametrize(
    ("viewer", "name"),
    [
        ("anonymous", "minutes"),
        ("chair", "minutes"),
        ("minute_taker", "minutes_edit"),
        ("chair", "minutes_version"),
    ],
)
def test_minutes_pages_queries_do_not_grow(
    published, record, personas, login, viewer, name, django_assert_num_queries
):
    client = login(personas.by_name(viewer))
    target = (
        url(name, record.meeting, 1) if name == "minutes_version" else url(name, record.meeting)
    )
    _grow(personas, record.meeting, 2, "a")
    client.get(target)  # warm the session
    with CaptureQueriesContext(connection) as small:
        assert client.get(target).status_code == 200
    _grow(personas, record.meeting, 30, "b")
    minutes = Minutes.objects.get()
    for _ in range(3):  # more versions
        minutes.refresh_from_db()
        services.minutes_edit(
            minutes=minutes,
            body=minutes.body + "<p>meer</p>",
            base_version=minutes.body_version,
            by=personas.chair,
        )
        services.minutes_finalise(minutes, personas.chair, change_note="meer")
    with django_assert_num_queries(len(small.captured_queries)):
        response = client.get(target)
    assert response.status_code == 200
    if name == "minutes":
        assert "Extra b29" in response.content.decode()
