"""Helpers the tests share that build nothing: the login flow, what a form is sent, readers of
what was stored, assertions, and stand-ins for the outside world.

Builders are in tests/factories.py, the personas and the fixtures in the conftest files, the
browser's helpers in tests/e2e/support.py.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

from allauth.mfa.totp.internal.auth import (
    format_hotp_value,
    hotp_value,
    yield_hotp_counters_from_time,
)
from django.core import mail
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLResolver, get_resolver, reverse
from PIL import Image

from meetings.planning.models import AgendaItem, Meeting
from meetings.rounds import services as round_services
from meetings.rounds.models import BallotPoint, PriorityRound, RoundCandidate
from problems.models import Category, Problem
from residents.models import User
from tests.conftest import TOTP_SECRET
from tests.factories import MARKERS

# --- Logging in ----------------------------------------------------------------------------------

CODE_RE = re.compile(r"^\s{4}(\S+)\s*$", re.MULTILINE)  # the code on its own line in the mail


def view_name(name: str) -> str:
    """A URL name with its namespace, as reverse() needs it: "ballot" -> "rounds:ballot". Tests
    that loop over pages name them plainly; a name already namespaced comes back as it is."""
    if ":" in name:
        return name
    found: list[str] = []

    def walk(patterns: list[Any], namespace: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                walk(pattern.url_patterns, inner)
            elif getattr(pattern, "name", None) == name:
                found.append(f"{namespace}{name}")

    walk(get_resolver().url_patterns, "")
    return found[0] if found else name


def request_code(client, email: str):
    return client.post(reverse("account_request_login_code"), {"email": email})


def last_code() -> str:
    match = CODE_RE.search(str(mail.outbox[-1].body))
    assert match, mail.outbox[-1].body
    return match.group(1)


def confirm(client, code: str):
    return client.post(reverse("account_confirm_login_code"), {"code": code})


def is_logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def current_totp() -> str:
    counter = next(iter(yield_hotp_counters_from_time()))
    return format_hotp_value(hotp_value(TOTP_SECRET, counter))


def at_second_factor(email: str) -> Client:
    """A browser (on the same address as every other here) that passed the e-mailed code."""
    browser = Client()
    request_code(browser, email)
    response = confirm(browser, last_code())
    assert response["Location"] == reverse("mfa_authenticate")
    return browser


def second_factor(browser: Client, code: str) -> list[str]:
    """Post a code; the error codes the form answers with (none when it let the person in)."""
    response = browser.post(reverse("mfa_authenticate"), {"code": code})
    if response.status_code == 302:
        return []
    return [error.code for error in response.context["form"].errors.as_data()["code"]]


def join(client, slug: str, **fields):
    """Send the neighbourhood's join form, filled in for a new neighbour unless told otherwise."""
    data = {
        "display_name": "Nieuwe Buur",
        "email": "nieuw@example.nl",
        "postcode": "3527 ab",
        "house_number": "3",
        "invite_code": "",
    }
    data.update(fields)
    return client.post(reverse("join", args=[slug]), data)


# --- Reporting a problem -------------------------------------------------------------------------

REPORTERS = {
    "resident",
    "second_resident",
    "chair",
    "minute_taker",
    "wijkagent",
    "housing_contact",
    "office",
}
GPS_IFD = 0x8825
ORIENTATION = 0x0112


def jpeg_with_gps(size: tuple[int, int] = (120, 80), orientation: int = 1) -> bytes:
    """A real JPEG as a phone makes it: EXIF with a GPS position, a camera and an orientation."""
    image = Image.new("RGB", size, (200, 30, 30))
    image.paste((30, 30, 200), (0, 0, size[0] // 2, size[1]))  # left half blue
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0110] = "SecretPhone 12"  # Model
    exif[ORIENTATION] = orientation
    exif.get_ifd(GPS_IFD).update(
        {1: "N", 2: (52.0, 4.0, 30.0), 3: "E", 4: (5.0, 6.0, 10.0)}  # Utrecht
    )
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, comment=b"taken at home")
    return out.getvalue()


def photo(content: bytes | None = None, name: str = "foto.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content or jpeg_with_gps(), content_type="image/jpeg")


def report_url(personas) -> str:
    return reverse("report:problem_report", args=[personas.hood.slug])


def valid_data(**changes: Any) -> dict[str, Any]:
    """The report form, filled in; a change to None leaves the field out."""
    data: dict[str, Any] = {
        "category": Category.objects.get(slug="zwerfvuil").pk,
        "title": "Afval naast de glasbak",
        "description": "Elke maandag staan er vuilniszakken naast de glasbak.",
        "street": "Marshallaan",
        "location_detail": "bij de speeltuin",
        "times_of_day": ["morning", "evening"],
        "days_of_week": ["mon"],
        "since": "sinds de zomer",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def files_in(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


# --- Meetings ------------------------------------------------------------------------------------


def meeting_url(name: str, meeting: Meeting, *extra: Any) -> str:
    return reverse(view_name(name), args=[meeting.neighbourhood.slug, meeting.pk, *extra])


def item_of(meeting: Meeting, kind: str) -> AgendaItem:
    return meeting.items.get(kind=kind)


def stored_file(name: str | None) -> bytes:
    """The content of a stored file (a PDF of the minutes)."""
    assert name, "no file stored"
    with default_storage.open(name, "rb") as file:
        return file.read()


# --- Priority rounds and ballots -----------------------------------------------------------------


def fresh(priority_round: PriorityRound) -> PriorityRound:
    """The round as the database has it now."""
    return PriorityRound.objects.select_related("meeting", "neighbourhood").get(
        pk=priority_round.pk
    )


def candidate_of(priority_round: PriorityRound, problem: Problem) -> RoundCandidate:
    return RoundCandidate.objects.get(round=priority_round, problem=problem)


def candidates_of(priority_round: PriorityRound) -> list[RoundCandidate]:
    return list(priority_round.candidates.select_related("problem").order_by("position", "pk"))


def candidate_ids(priority_round: PriorityRound) -> list[int]:
    return list(priority_round.candidates.order_by("position", "pk").values_list("pk", flat=True))


def vote(
    priority_round: PriorityRound, voter: Any, points: dict[RoundCandidate, int], **kw: Any
) -> None:
    round_services.ballot_cast(
        priority_round=fresh(priority_round),
        voter=voter,
        points={c.pk: n for c, n in points.items()},
        **kw,
    )


def ballot_fields(points: dict[int, Any]) -> dict[str, Any]:
    """The ballot form's fields for {candidate pk: points}."""
    return {f"points-{pk}": value for pk, value in points.items()}


def stored_points(priority_round: PriorityRound) -> dict[tuple[int, int], tuple[str, int]]:
    """Every point stored in the round: {(voter, candidate): (source, points)}."""
    return {
        (p.ballot.voter_id, p.candidate_id): (p.ballot.source, p.points)
        for p in BallotPoint.objects.filter(ballot__round=priority_round).select_related("ballot")
    }


def points_of(priority_round: PriorityRound, user: User) -> dict[int, int]:
    """The points `user` gave in the round: {candidate pk: points}."""
    return dict(
        BallotPoint.objects.filter(ballot__round=priority_round, ballot__voter=user).values_list(
            "candidate_id", "points"
        )
    )


# --- The open data API ---------------------------------------------------------------------------


def assert_no_markers(text: str) -> None:
    """None of factories.MARKERS (plant_markers) is in `text`."""
    found = [name for name, marker in MARKERS.items() if marker.lower() in text.lower()]
    assert not found, f"private data in an API response: {found}"


# --- Mail ----------------------------------------------------------------------------------------


class FlakyBackend:
    """Fails for some addresses the way an SMTP server would (the fixture `flaky`)."""

    failures: dict[str, Exception] = {}
    sent: list[str] = []

    def __init__(self, *args, **kwargs) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        pass

    def send_messages(self, messages):
        for message in messages:
            if message.to[0] in self.failures:
                raise self.failures[message.to[0]]
            self.sent.append(message.to[0])
        return len(messages)
