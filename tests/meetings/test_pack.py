"""The printed pack for the neighbourhood office (minutes + poster + paper ballots) and the
notice-board poster: rendered with WeasyPrint for real and read back with pypdf.

Pages are fetched in English (`english_pages`), so the minutes are drafted in English and the
pack is English: assertions name the msgids."""

from __future__ import annotations

import io
import re
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from buurtoverleg.qr import qr_data_uri
from meetings import services as meeting_services
from meetings.actions import services as action_services
from meetings.actions.models import Action
from meetings.minutes import services as minutes_services
from meetings.minutes.models import Minutes, MinutesVersion
from meetings.pack import contents as pack
from meetings.pack import views as pack_views
from meetings.planning.models import Meeting
from meetings.room.models import Attendance
from meetings.rounds.services import round_create
from problems.models import Category, Problem
from problems.services import problem_edit, problem_report, problem_transition
from problems.workflow import Status
from residents.models import Membership, Role
from residents.permissions import RULES, Perm, can
from tests.conftest import PERSONA_NAMES, assert_status, make_person
from tests.factories import PATH_TO

AMSTERDAM = ZoneInfo(settings.TIME_ZONE)
PACK_ROLES = {"chair", "office", "coordinator"}
SITE = "https://buurt.example.nl"

# Strings that must never be printed: who reported, the team's details, the real title of a
# sensitive problem, a resident who did not consent to be named, an action's owner and contact.
REPORTER = "Qzreporter Naamloos"
CONFIDENTIAL = "Qz-confidential-details"
SECRET_TITLE = "Qz-sensitive-title"
SILENT = "Qzsilent Bewoner"
OWNER = "Qzowner Agent"
CONTACT = "Qzcontact Buurman"
MARKERS = (REPORTER, CONFIDENTIAL, SECRET_TITLE, SILENT, OWNER, CONTACT)

NAMED = "Qznamed Bewoonster"  # a resident who consents to be named in the minutes
PLAIN_TITLE = "Zwerfvuil bij de glasbak"
SENSITIVE_SUMMARY = "Drugsoverlast omgeving Talmalaan"
OUTCOME = "De glasbak wordt twee keer per week geleegd"
PROGRESS = "Vanaf maandag rijdt de vuilniswagen ook op donderdag"
CANDIDATE = "Kapotte lantaarnpaal bij het speelveld"
MINUTES_TEXT = "Qz-minutes-version-one"
NEXT_PLACE = "Buurthuis De Linde"


def local(days: int, hour: int = 19, minute: int = 30) -> datetime:
    day = timezone.localdate() + timedelta(days=days)
    return datetime.combine(day, time(hour, minute), tzinfo=AMSTERDAM)


def problem_in(personas: Any, status: str, **fields: Any) -> Problem:
    problem = problem_report(
        neighbourhood=fields.pop("neighbourhood", personas.hood),
        reporter=fields.pop("reporter", personas.resident),
        category=Category.objects.get(slug=fields.pop("category", "zwerfvuil")),
        title=fields.pop("title"),
        description=fields.pop("description", "Elke maandag ligt er afval."),
        street=fields.pop("street", "Marshalllaan"),
        **fields,
    )
    for move, actors in PATH_TO[status]:
        problem_transition(
            problem=problem,
            move=move,
            actor=personas.chair if "chair" in actors else None,
            actors=actors,
            public_note="Reden",
        )
    problem.refresh_from_db()
    return problem


def member(name: str, role: str, hood: Any, **extra: Any) -> Any:
    email = re.sub(r"\W", "", name.lower()) + "@example.nl"
    person = make_person(name, email, **extra.pop("person", {}))
    extra.setdefault("status", Membership.Status.ACTIVE)
    Membership.objects.create(user=person, neighbourhood=hood, role=role, **extra)
    return person


# --- PDF reading ------------------------------------------------------------------------------


def read(pdf: bytes) -> PdfReader:
    assert pdf.startswith(b"%PDF-")
    return PdfReader(io.BytesIO(pdf))


def catalog(reader: PdfReader) -> Any:
    return reader.trailer["/Root"]


def title_of(reader: PdfReader) -> str:
    assert reader.metadata is not None
    return str(reader.metadata.title)


def page_texts(reader: PdfReader) -> list[str]:
    return [" ".join((page.extract_text() or "").split()) for page in reader.pages]


def all_text(reader: PdfReader) -> str:
    return " ".join(page_texts(reader))


def figures(reader: PdfReader) -> list[tuple[str, int]]:
    """(alt text, page index) of every figure in the tag tree (images, the SVG QR codes)."""
    pages = [page.indirect_reference for page in reader.pages]
    found: list[tuple[str, int]] = []

    def walk(node: Any, page: Any) -> None:
        node = node.get_object() if hasattr(node, "get_object") else node
        if isinstance(node, list):
            for kid in node:
                walk(kid, page)
        elif isinstance(node, dict):
            page = node.get("/Pg", page)
            if node.get("/S") == "/Figure":
                found.append((str(node.get("/Alt", "")), pages.index(page)))
            if "/K" in node:
                walk(node["/K"], page)

    walk(catalog(reader)["/StructTreeRoot"], None)
    return found


def pages_of(html: str) -> int:
    from weasyprint import HTML

    return len(HTML(string=html).render().pages)


# --- The scenario -----------------------------------------------------------------------------


@pytest.fixture
def scene(personas, english_pages, settings) -> dict[str, Any]:
    """Last night's meeting (closed, with attendance and an action agreed on a priority with
    progress since), the next meeting in ten days with a priority round to vote in, and markers
    planted everywhere they could leak from."""
    settings.SITE_URL = SITE
    hood = personas.hood
    reporter = member(REPORTER, Role.RESIDENT, hood)
    silent = member(SILENT, Role.RESIDENT, hood)
    named = member(NAMED, Role.RESIDENT, hood, person={"consent_named_in_minutes": True})
    contact = member(CONTACT, Role.RESIDENT, hood)
    owner = member(OWNER, Role.PROFESSIONAL, hood, organisation=personas.police)

    plain = problem_in(
        personas,
        Status.PRIORITY,
        title=PLAIN_TITLE,
        reporter=reporter,
        confidential_details=CONFIDENTIAL,
    )
    sensitive = problem_in(
        personas,
        Status.PRIORITY,
        title=f"Dealen bij {SECRET_TITLE}",
        category="drugsoverlast",
        reporter=reporter,
        confidential_details=CONFIDENTIAL,
    )
    problem_edit(
        problem=sensitive, actor=personas.chair, role=Role.CHAIR, public_summary=SENSITIVE_SUMMARY
    )
    sensitive.refresh_from_db()
    assert sensitive.sensitive
    candidate = problem_in(personas, Status.CANDIDATE, title=CANDIDATE, reporter=reporter)

    last = meeting_services.meeting_create(
        neighbourhood=hood, starts_at=local(-1), ends_at=local(-1, 21, 30), place="De Kas"
    )
    for person in (silent, named):
        meeting_services.attendance_record(meeting=last, by=personas.chair, user=person)
    meeting_services.attendance_record(
        meeting=last,
        by=personas.chair,
        user=personas.wijkagent,
        organisation=personas.police,
        kind=Attendance.Kind.PROFESSIONAL,
    )
    meeting_services.meeting_start(meeting=last)
    action = action_services.action_create(
        problem=plain,
        actor=personas.chair,
        role=Role.CHAIR,
        outcome=OUTCOME,
        due_date=timezone.localdate() + timedelta(days=30),
        owner_organisation=personas.police,
        owner_person=owner,
        contact_person=contact,
        details=f"Bel {CONTACT} als het weer misgaat.",
        meeting=last,
    )
    action_services.action_create(
        problem=sensitive,
        actor=personas.chair,
        role=Role.CHAIR,
        outcome="Extra surveillance in de avond",
        due_date=timezone.localdate() + timedelta(days=20),
        owner_organisation=personas.police,
        meeting=last,
    )
    meeting_services.meeting_close(meeting=last)
    action_services.action_progress_post(
        action=action, actor=personas.wijkagent, role=Role.PROFESSIONAL, text=PROGRESS
    )

    following = meeting_services.meeting_create(
        neighbourhood=hood, starts_at=local(10), ends_at=local(10, 21, 30), place=NEXT_PLACE
    )
    round = round_create(meeting=following)
    assert list(round.candidates.values_list("problem_id", flat=True)) == [candidate.pk]
    last.refresh_from_db()
    return {"last": last, "next": following, "round": round, "action": action}


def draft(meeting: Meeting, by: Any) -> Minutes:
    minutes = minutes_services.minutes_draft(meeting, by=by)
    assert minutes.language == "en"
    return minutes


def finalise(minutes: Minutes, by: Any, text: str, note: str = "") -> MinutesVersion:
    minutes.refresh_from_db()
    minutes_services.minutes_edit(
        minutes=minutes,
        body=minutes.body + f"<p>{text}</p>",
        base_version=minutes.body_version,
        by=by,
    )
    return minutes_services.minutes_finalise(minutes, by, change_note=note)


def rendered(version: MinutesVersion) -> None:
    """As if the worker had made the PDF (the pack renders the minutes itself)."""
    MinutesVersion.objects.filter(pk=version.pk).update(
        render_status=MinutesVersion.RenderStatus.DONE, pdf="minutes/x.pdf"
    )


def pack_of(meeting: Meeting) -> tuple[bytes, pack.Pack]:
    meeting = Meeting.objects.select_related("neighbourhood").get(pk=meeting.pk)
    return pack.pack_pdf(meeting), pack.pack_parts(meeting)


# --- The pack ---------------------------------------------------------------------------------


def test_the_pack_is_minutes_then_poster_then_ballots_each_with_its_own_pages(scene, personas):
    minutes = draft(scene["last"], personas.chair)
    rendered(finalise(minutes, personas.chair, MINUTES_TEXT))

    pdf, parts = pack_of(scene["last"])
    reader = read(pdf)

    assert [part.kind for part in parts.parts] == ["minutes", "poster", "ballot"]
    counts = [pages_of(part.html) for part in parts.parts]
    assert counts[1] == 1  # the poster is one A4
    assert len(reader.pages) == sum(counts)
    texts = page_texts(reader)
    minutes_pages = texts[: counts[0]]
    poster_page = texts[counts[0]]
    ballot_pages = texts[counts[0] + 1 :]

    # The minutes keep their own page rules: every page numbered within the minutes.
    for number, text in enumerate(minutes_pages, start=1):
        assert f"Page {number} of {counts[0]}" in text, text
    minutes_text = " ".join(minutes_pages)
    assert MINUTES_TEXT in minutes_text
    assert "Minutes of the neighbourhood meeting Kanaleneiland-Noord" in minutes_text
    assert NAMED in minutes_text and personas.wijkagent.display_name in minutes_text
    assert OUTCOME in minutes_text  # the action agreed at the meeting
    assert "Page " not in poster_page + " ".join(ballot_pages)

    # The poster: the priorities by their public titles, the latest progress, the next meeting.
    assert PLAIN_TITLE in poster_page and SENSITIVE_SUMMARY in poster_page
    assert OUTCOME in poster_page and PROGRESS in poster_page
    assert "Politie Midden-Nederland" in poster_page
    starts = timezone.localtime(scene["next"].starts_at)
    assert f"{starts:%-d} {starts:%B %Y}" in poster_page
    assert "19:30 to 21:30" in poster_page and NEXT_PLACE in poster_page
    # The address to type (it may wrap): the neighbourhood page.
    assert "buurt.example.nl/buurt/kanaleneiland-noord/" in poster_page.replace(" ", "")

    # The paper ballots of the next round: its candidates.
    ballot_text = " ".join(ballot_pages)
    assert "Ballot: which problems should we tackle first?" in ballot_text
    assert CANDIDATE in ballot_text

    # The QR codes: the poster's on the poster page, the ballot's on the ballot.
    found = figures(reader)
    assert ("QR code to the neighbourhood page", counts[0]) in found
    assert any(alt == "QR code to the online ballot" for alt, _page in found)


def test_the_pack_is_a_tagged_pdf_with_its_own_title_and_language(scene, personas):
    minutes = draft(scene["last"], personas.chair)
    finalise(minutes, personas.chair, MINUTES_TEXT)

    reader = read(pack_of(scene["last"])[0])

    root = catalog(reader)
    date = f"{timezone.localtime(scene['last'].starts_at):%-d %B %Y}"
    assert title_of(reader) == (
        f"Printed pack of the neighbourhood meeting Kanaleneiland-Noord, {date}"
    )
    assert root["/Lang"] == "en"
    assert bool(root["/MarkInfo"]["/Marked"])
    assert "/StructTreeRoot" in root


def test_nothing_private_is_printed_in_the_pack(scene, personas):
    minutes = draft(scene["last"], personas.chair)
    version = finalise(minutes, personas.chair, MINUTES_TEXT)
    rendered(version)
    minutes_services.minutes_publish(version, personas.chair)

    pdf, parts = pack_of(scene["last"])
    text = all_text(read(pdf))

    assert MINUTES_TEXT in text and CANDIDATE in text and PROGRESS in text  # it did print
    assert NAMED in text  # consent: named
    for marker in MARKERS:
        assert marker not in text, marker
        for part in parts.parts:
            assert marker not in part.html, (marker, part.kind)


def test_the_published_version_is_printed_not_a_later_unpublished_correction(scene, personas):
    minutes = draft(scene["last"], personas.chair)
    first = finalise(minutes, personas.chair, MINUTES_TEXT)
    rendered(first)
    minutes_services.minutes_publish(first, personas.chair)
    second = finalise(minutes, personas.chair, "Qz-minutes-correction", note="Typo")
    assert second.number == 2

    text = all_text(read(pack_of(scene["last"])[0]))

    assert MINUTES_TEXT in text and "Qz-minutes-correction" not in text
    assert "Version 1" in text


def test_without_a_published_version_the_latest_version_is_printed(scene, personas):
    minutes = draft(scene["last"], personas.chair)
    finalise(minutes, personas.chair, MINUTES_TEXT)
    finalise(minutes, personas.chair, "Qz-minutes-version-two")

    text = all_text(read(pack_of(scene["last"])[0]))

    assert "Qz-minutes-version-two" in text and "Version 2" in text
    assert "DRAFT" not in text


def test_without_a_version_the_draft_is_printed_with_its_watermark(scene, personas):
    minutes = draft(scene["last"], personas.chair)
    minutes_services.minutes_edit(
        minutes=minutes,
        body=minutes.body + "<p>Qz-still-a-draft</p>",
        base_version=minutes.body_version,
        by=personas.minute_taker,
    )

    pdf, parts = pack_of(scene["last"])
    reader = read(pdf)
    minutes_pages = page_texts(reader)[: pages_of(parts.parts[0].html)]

    assert "Qz-still-a-draft" in " ".join(minutes_pages)
    for text in minutes_pages:
        assert "DRAFT" in text  # the watermark, on every page of the minutes
    assert "DRAFT" not in " ".join(page_texts(reader)[len(minutes_pages) :])


def test_without_minutes_or_a_next_round_the_pack_is_the_poster(scene, personas):
    scene["round"].candidates.all().delete()

    pdf, parts = pack_of(scene["last"])

    assert [part.kind for part in parts.parts] == ["poster"]
    reader = read(pdf)
    assert len(reader.pages) == 1
    assert PLAIN_TITLE in all_text(reader)
    assert title_of(reader).startswith("Printed pack of the neighbourhood meeting")


def test_a_closed_round_of_the_next_meeting_gives_no_ballots(scene):
    type(scene["round"]).objects.filter(pk=scene["round"].pk).update(status="closed")

    assert [part.kind for part in pack_of(scene["last"])[1].parts] == ["poster"]


# --- The poster -------------------------------------------------------------------------------


def test_the_poster_shows_priorities_progress_next_meeting_and_a_qr_code(scene, personas):
    html = pack.poster_html(personas.hood)
    reader = read(pack.poster_pdf(personas.hood))
    text = all_text(reader)

    assert len(reader.pages) == 1
    assert PLAIN_TITLE in text and SENSITIVE_SUMMARY in text
    assert OUTCOME in text and PROGRESS in text and "Extra surveillance in de avond" in text
    assert "Due by" in text and "In progress" in text
    assert NEXT_PLACE in text
    assert CANDIDATE not in text  # a candidate is not (yet) a priority
    url = f"{SITE}/buurt/kanaleneiland-noord/"
    assert f'src="{qr_data_uri(url)}"' in html
    assert figures(reader) == [("QR code to the neighbourhood page", 0)]
    assert title_of(reader) == (
        "Neighbourhood meeting Kanaleneiland-Noord: what we are tackling together"
    )
    assert catalog(reader)["/Lang"] == "en"
    for marker in MARKERS:
        assert marker not in text and marker not in html, marker


def test_a_late_action_says_so_on_the_poster(scene):
    Action.objects.filter(pk=scene["action"].pk).update(
        due_date=timezone.localdate() - timedelta(days=3)
    )
    late = timezone.localdate() - timedelta(days=3)

    text = all_text(read(pack.poster_pdf(scene["last"].neighbourhood)))

    assert f"Late: agreed for {late:%-d %B %Y}" in text


def test_a_full_poster_stays_one_page_and_says_what_is_left_out(scene, personas):
    long = "Een heel lang afgesproken resultaat dat maar doorgaat " * 5
    for n in range(5):
        problem = problem_in(personas, Status.PRIORITY, title=f"Extra prioriteit {n} " + "x" * 90)
        Problem.objects.filter(pk=problem.pk).update(support_count=10 + n)
        for m in range(4):
            action = action_services.action_create(
                problem=problem,
                actor=personas.chair,
                role=Role.CHAIR,
                outcome=f"{m} {long}"[:300],
                due_date=timezone.localdate() + timedelta(days=5 + m),
                owner_organisation=personas.housing,
            )
            action_services.action_progress_post(
                action=action,
                actor=personas.chair,
                role=Role.CHAIR,
                text="Lange voortgang " * 40,
            )

    reader = read(pack.poster_pdf(personas.hood))
    text = all_text(reader)

    assert len(reader.pages) == 1
    shown = [n for n in range(5) if f"Extra prioriteit {n}" in text]
    assert shown and shown == list(range(4, 4 - len(shown), -1)[::-1])  # most supported first
    assert f"And {7 - len(shown)} more priorities: see the website." in text
    assert re.search(r"And [1-4] more actions?: see the website\.", text)
    assert "Next neighbourhood meeting" in text and NEXT_PLACE in text  # not pushed off


def test_an_empty_poster_says_what_to_do(personas, english_pages):
    reader = read(pack.poster_pdf(personas.hood))
    text = all_text(reader)

    assert len(reader.pages) == 1
    assert "There are no priorities at the moment." in text
    assert "The date of the next meeting will be on the website soon." in text
    assert [alt for alt, _page in figures(reader)] == ["QR code to the neighbourhood page"]


def test_the_poster_reads_the_same_number_of_queries_at_two_sizes(
    scene, personas, django_assert_num_queries
):
    with CaptureQueriesContext(connection) as small:
        pack.poster_html(personas.hood)
    for n in range(6):
        problem = problem_in(personas, Status.PRIORITY, title=f"Nog een prioriteit {n}")
        for m in range(3):
            action = action_services.action_create(
                problem=problem,
                actor=personas.chair,
                role=Role.CHAIR,
                outcome=f"Resultaat {n}.{m} is gehaald",
                due_date=timezone.localdate() + timedelta(days=5),
                owner_organisation=personas.housing,
            )
            action_services.action_progress_post(
                action=action, actor=personas.chair, role=Role.CHAIR, text=f"Voortgang {n}.{m}"
            )

    with django_assert_num_queries(len(small.captured_queries)):
        pack.poster_html(personas.hood)
    assert len(small.captured_queries) == 4


# --- The views --------------------------------------------------------------------------------


def pack_url(meeting: Meeting, slug: str | None = None) -> str:
    return reverse("pack:meeting_pack", args=[slug or meeting.neighbourhood.slug, meeting.pk])


@pytest.fixture
def fake_pdf(monkeypatch) -> list[Any]:
    """The views' permission sweep without rendering twelve PDFs."""
    calls: list[Any] = []

    def fake(subject: Any) -> bytes:
        calls.append(subject)
        return b"%PDF-1.7 fake"

    monkeypatch.setattr(pack_views, "pack_pdf", fake)
    monkeypatch.setattr(pack_views, "poster_pdf", fake)
    return calls


def test_the_pack_roles_are_the_permission_table():
    assert {str(role) for role in RULES[Perm.PRINT_PACK]} == PACK_ROLES


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_the_pack_is_for_the_chair_the_office_and_coordinators(
    as_persona, scene, fake_pdf, persona
):
    response = as_persona(persona).get(pack_url(scene["last"]))

    assert_status(response, persona, PACK_ROLES, 200)
    if response.status_code == 200:
        assert response["Content-Type"] == "application/pdf"
        day = timezone.localtime(scene["last"].starts_at).date().isoformat()
        assert f"printpakket-kanaleneiland-noord-{day}.pdf" in response["Content-Disposition"]
        assert fake_pdf == [scene["last"]]
    else:
        assert fake_pdf == []


def test_a_meeting_of_another_neighbourhood_is_not_found(as_persona, personas, scene, fake_pdf):
    theirs = meeting_services.meeting_create(
        neighbourhood=personas.other_hood, starts_at=local(3), ends_at=local(3, 21), place="X"
    )

    client = as_persona("chair")
    assert client.get(pack_url(theirs, slug=personas.hood.slug)).status_code == 404
    assert client.get(pack_url(scene["last"], slug=personas.other_hood.slug)).status_code == 403
    outsider = as_persona("outsider_chair")
    assert outsider.get(pack_url(scene["last"], slug=personas.other_hood.slug)).status_code == 404
    assert outsider.get(pack_url(theirs)).status_code == 200
    assert client.get(
        reverse("pack:meeting_pack", args=["nergens", scene["last"].pk])
    ).status_code == (404)
    assert len(fake_pdf) == 1


def test_the_pack_downloads_for_real(as_persona, scene, personas):
    draft(scene["last"], personas.chair)

    response = as_persona("office").get(pack_url(scene["last"]))

    assert response.status_code == 200
    reader = read(response.content)
    text = all_text(reader)
    assert PLAIN_TITLE in text and CANDIDATE in text and "DRAFT" in text
    assert response["Cache-Control"].startswith("max-age=0")


def test_the_pack_is_only_a_download(as_persona, scene, fake_pdf):
    assert as_persona("chair").post(pack_url(scene["last"])).status_code == 405


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_the_poster_is_public(as_persona, personas, fake_pdf, persona):
    response = as_persona(persona).get(reverse("pack:poster", args=[personas.hood.slug]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "affiche-kanaleneiland-noord-" in response["Content-Disposition"]


def test_the_poster_of_an_unknown_neighbourhood_is_not_found(client, db):
    assert client.get(reverse("pack:poster", args=["nergens"])).status_code == 404


def test_the_poster_downloads_for_real_and_is_rendered_once_a_minute(client, scene, personas):
    url = reverse("pack:poster", args=[personas.hood.slug])

    first = client.get(url)
    with CaptureQueriesContext(connection) as queries:
        again = client.get(url)

    assert first.status_code == again.status_code == 200
    assert again.content == first.content
    assert len(queries.captured_queries) == 1  # the neighbourhood; the PDF is kept
    text = all_text(read(first.content))
    assert PLAIN_TITLE in text and PROGRESS in text
    for marker in MARKERS:
        assert marker not in text


# --- The meeting page -------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_the_meeting_page_links_the_pack_for_those_who_may_print_it(
    as_persona, personas, scene, persona
):
    meeting = scene["last"]
    html = as_persona(persona).get(
        reverse("planning:meeting", args=[meeting.neighbourhood.slug, meeting.pk])
    )
    html = html.content.decode()

    user = personas.by_name(persona)
    allowed = user is not None and can(user, Perm.PRINT_PACK, personas.hood)
    assert (pack_url(meeting) in html) is allowed
    assert (reverse("pack:poster", args=[personas.hood.slug]) in html) is allowed
    assert ('id="print-pack"' in html) is allowed


def test_the_pack_links_add_no_query_to_the_meeting_page(
    login, personas, scene, django_assert_num_queries
):
    meeting = scene["next"]
    client = login(personas.office)
    target = reverse("planning:meeting", args=[meeting.neighbourhood.slug, meeting.pk])
    client.get(target)  # warm the session
    with CaptureQueriesContext(connection) as small:
        assert client.get(target).status_code == 200
    for n in range(8):
        meeting_services.agenda_item_add(meeting=meeting, title=f"Extra punt {n}", minutes=5)
        person = member(f"Extra Bewoner{n}", Role.RESIDENT, meeting.neighbourhood)
        meeting_services.rsvp_set(meeting=meeting, user=person, answer="yes")

    with django_assert_num_queries(len(small.captured_queries)):
        response = client.get(target)
    assert 'id="print-pack"' in response.content.decode()
