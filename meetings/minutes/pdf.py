"""The minutes as a document: the HTML of a version and its PDF (A4, normal or large print).

    html = minutes_html(version, large=False)      # the whole document, for WeasyPrint
    pdf = minutes_pdf(version, large=True)         # bytes: tagged PDF (PDF/UA-1)
    pdf = pdf_bytes(html)                          # buurtoverleg.pdf.render_pdf, the one PDF helper

A version's body is frozen when it is finalised; the rest is read from the records each time
it is rendered: the date, place, the chair and minute-taker, the attendance (counts,
professionals by name and organisation, residents by name only while they consent, newcomers
as a count) and the next meeting with who chairs it. So withdrawing consent removes a name by
rendering again, under the same version number.

The document names nobody else: no reporter, no confidential detail (the body was drafted from
public fields only, see minutes_services.minutes_draft). The HTML holds only inline data and
buurtoverleg.pdf fetches nothing but `data:` URIs, so an edited body cannot make the worker
fetch a URL.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import nh3
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import formats, timezone, translation
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from buurtoverleg.pdf import render_pdf as pdf_bytes  # the name minutes_services uses
from meetings.minutes.models import Minutes, MinutesVersion
from meetings.planning.models import Meeting
from meetings.room.models import Attendance
from residents.models import Membership, Role, User

TEMPLATE = "meetings/minutes_pdf.html"

# The formatting an edited body may use: paragraphs, emphasis, lists, two levels of headings,
# tables and web links. Everything else is stripped (its text is kept).
ALLOWED_TAGS = frozenset(
    {
        "p",
        "br",
        "strong",
        "em",
        "ul",
        "ol",
        "li",
        "h2",
        "h3",
        "table",
        "caption",
        "thead",
        "tbody",
        "tfoot",
        "tr",
        "th",
        "td",
        "a",
    }
)
ALLOWED_ATTRIBUTES = {
    "a": {"href"},
    "th": {"scope", "colspan", "rowspan"},
    "td": {"colspan", "rowspan"},
}
URL_SCHEMES = frozenset({"http", "https"})
# Roles whose holders the neighbourhood page names publicly (the support team).
PUBLIC_ROLES = (Role.CHAIR, Role.PROFESSIONAL)


def clean_body(html: str) -> str:
    """The body with only the allowed formatting; links only to http(s) addresses."""
    return nh3.clean(
        html or "",
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        url_relative="deny",
        strip_comments=True,
        link_rel="noopener noreferrer",
    ).strip()


# --- What the records say at render time ------------------------------------------------------


@dataclass(frozen=True)
class Professional:
    name: str
    organisation: str


@dataclass
class AttendanceBlock:
    residents: int = 0  # residents recorded by account (named or not)
    newcomers: int = 0  # of them, at their first meeting
    walk_ins: int = 0  # anonymous, only a count
    professionals: list[Professional] = field(default_factory=list)
    named_residents: list[str] = field(default_factory=list)

    @property
    def unnamed_residents(self) -> int:
        return self.residents - len(self.named_residents)

    @property
    def total(self) -> int:
        return self.residents + self.walk_ins + len(self.professionals)

    @property
    def rows(self) -> list[tuple[str, str]]:
        """(name, as what) for the table: professionals first, then residents by name."""
        resident = _("Resident")
        return [(p.name, p.organisation) for p in self.professionals] + [
            (name, str(resident)) for name in self.named_residents
        ]


@dataclass
class Record:
    """The live part of the minutes, read when rendering; `named` are the accounts whose names
    it prints."""

    chair: str | None
    minute_taker: str | None
    attendance: AttendanceBlock
    next_meeting: Meeting | None
    next_chair: str | None
    named: set[int] = field(default_factory=set)


def may_be_named(user: User) -> bool:
    """A resident is named only with their consent, and never after deleting their account."""
    return bool(user.consent_named_in_minutes) and user.anonymised_at is None


def minutes_record(meeting: Meeting) -> Record:
    """Three queries: the attendance, the next meeting (with its chair) and the team's roles."""
    from meetings.selectors import meeting_after

    attendance = list(
        Attendance.objects.filter(meeting=meeting)
        .select_related("user", "organisation")
        .order_by("created_at", "pk")
    )
    following = meeting_after(meeting)
    next_chair_user = None
    if following is not None and following.chair_id:
        next_chair_user = User.objects.filter(pk=following.chair_id).first()
    people = {a.user_id for a in attendance if a.user_id}
    people |= {pk for pk in (meeting.chair_id, meeting.minute_taker_id) if pk}
    if next_chair_user is not None:
        people.add(next_chair_user.pk)
    team_orgs: dict[int, str] = {}
    team: set[int] = set()
    for membership in (
        Membership.objects.active()
        .filter(neighbourhood_id=meeting.neighbourhood_id, user_id__in=people)
        .filter(role__in=PUBLIC_ROLES)
        .select_related("organisation")
        .order_by("pk")
    ):
        team.add(membership.user_id)
        if membership.organisation is not None:
            team_orgs.setdefault(membership.user_id, membership.organisation.name)

    named: set[int] = set()

    def public_name(user: User | None) -> str | None:
        """The support team is public (the neighbourhood page names it); residents consent."""
        if user is None or user.anonymised_at is not None:
            return None
        if user.pk in team or may_be_named(user):
            named.add(user.pk)
            return user.display_name
        return None

    block = AttendanceBlock(walk_ins=meeting.walk_ins)
    for row in attendance:
        if row.kind == Attendance.Kind.PROFESSIONAL:
            user = row.user
            if user is not None and user.anonymised_at is not None:
                block.residents += 1  # a former professional who left: a count only
                continue
            name = user.display_name if user is not None else row.name
            organisation = row.organisation.name if row.organisation else ""
            if not organisation and user is not None:
                organisation = team_orgs.get(user.pk, "")
            if user is not None:
                named.add(user.pk)
            block.professionals.append(Professional(name, organisation))
            continue
        block.residents += 1
        if row.newcomer:
            block.newcomers += 1
        if row.user is not None and may_be_named(row.user):
            named.add(row.user.pk)
            block.named_residents.append(row.user.display_name)
    block.professionals.sort(key=lambda p: (p.organisation.casefold(), p.name.casefold()))
    block.named_residents.sort(key=str.casefold)
    users = {a.user_id: a.user for a in attendance if a.user_id}
    chair = users.get(meeting.chair_id) if meeting.chair_id else None
    taker = users.get(meeting.minute_taker_id) if meeting.minute_taker_id else None
    if (chair is None and meeting.chair_id) or (taker is None and meeting.minute_taker_id):
        extra = User.objects.in_bulk(
            [pk for pk in (meeting.chair_id, meeting.minute_taker_id) if pk and pk not in users]
        )
        chair = chair or extra.get(meeting.chair_id or 0)
        taker = taker or extra.get(meeting.minute_taker_id or 0)
    return Record(
        chair=public_name(chair),
        minute_taker=public_name(taker),
        attendance=block,
        next_meeting=following,
        next_chair=public_name(next_chair_user),
        named=named,
    )


# --- The document -----------------------------------------------------------------------------


def css_string(value: str) -> str:
    """A CSS string literal (for @page margin boxes), safe inside a <style> element."""
    out = []
    for char in str(value):
        if char in '"\\<>&' or ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\{ord(char):x} ")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def page_counter_css() -> str:
    """ "Pagina " counter(page) " van " counter(pages), from one translatable sentence."""
    sentence = _("Page %(page)s of %(pages)s")
    parts: list[str] = []
    rest = sentence
    while rest:
        positions = [(rest.find(m), m) for m in ("%(page)s", "%(pages)s") if m in rest]
        if not positions:
            parts.append(css_string(rest))
            break
        index, marker = min(positions)
        if index:
            parts.append(css_string(rest[:index]))
        parts.append("counter(page)" if marker == "%(page)s" else "counter(pages)")
        rest = rest[index + len(marker) :]
    return " ".join(parts)


def amendment_lines(amendments: list[dict[str, Any]]) -> list[str]:
    lines = []
    for amendment in amendments or []:
        try:
            when = datetime.fromisoformat(str(amendment.get("at")))
            day = formats.date_format(timezone.localtime(when), "j F Y")
        except (TypeError, ValueError):
            day = ""
        if amendment.get("kind") == "name_removed":
            lines.append(
                _("%(date)s: a name was removed at the request of the person concerned.")
                % {"date": day}
            )
    return lines


def document_title(meeting: Meeting) -> str:
    return _("Minutes of the neighbourhood meeting %(name)s, %(date)s") % {
        "name": meeting.neighbourhood.name,
        "date": formats.date_format(timezone.localtime(meeting.starts_at), "j F Y"),
    }


def minutes_context(
    *,
    meeting: Meeting,
    body: str,
    version: MinutesVersion | None,
    language: str,
    large: bool = False,
    draft: bool = False,
    record: Record | None = None,
) -> dict[str, Any]:
    """Everything the document shows, as plain values, in the active language."""
    record = record or minutes_record(meeting)
    starts = timezone.localtime(meeting.starts_at)
    return {
        "meeting": meeting,
        "neighbourhood": meeting.neighbourhood,
        "language": language,
        "title": document_title(meeting),
        "date_long": formats.date_format(starts, "l j F Y"),
        "starts_at": starts,
        "ends_at": timezone.localtime(meeting.ends_at),
        "record": record,
        "attendance": record.attendance,
        "body": SafeString(clean_body(body)),
        "version": version,
        "amendments": amendment_lines(version.amendments) if version else [],
        "large": large,
        "draft": draft,
        # css_string escapes every character that could end the string or the <style>.
        "css_header_left": mark_safe(css_string(meeting.neighbourhood.name)),  # noqa: S308
        "css_header_right": mark_safe(css_string(formats.date_format(starts, "j F Y"))),  # noqa: S308
        "css_page": mark_safe(page_counter_css()),  # noqa: S308
        "css_version": mark_safe(  # noqa: S308
            css_string(
                _("Version %(number)s") % {"number": version.number} if version else _("Draft")
            )
        ),
    }


def _html(context_args: dict[str, Any]) -> str:
    with translation.override(context_args["language"]):
        return render_to_string(TEMPLATE, minutes_context(**context_args))


def _load(version: MinutesVersion) -> MinutesVersion:
    if MinutesVersion.minutes.is_cached(version) and Minutes.meeting.is_cached(version.minutes):
        return version
    return MinutesVersion.objects.select_related("minutes__meeting__neighbourhood").get(
        pk=version.pk
    )


def minutes_html(
    version: MinutesVersion, large: bool = False, *, record: Record | None = None
) -> str:
    """The document of a finalised version, as HTML for WeasyPrint. `record`: the attendance
    and names read once for both prints."""
    version = _load(version)
    return _html(
        {
            "meeting": version.minutes.meeting,
            "body": version.body,
            "version": version,
            "language": version.language or settings.LANGUAGE_CODE,
            "large": large,
            "record": record,
        }
    )


def minutes_draft_html(minutes: Minutes, large: bool = False) -> str:
    """The working draft as a document, with the CONCEPT watermark on every page."""
    return _html(
        {
            "meeting": minutes.meeting,
            "body": minutes.body,
            "version": None,
            "language": minutes.language or settings.LANGUAGE_CODE,
            "large": large,
            "draft": True,
        }
    )


def minutes_pdf(version: MinutesVersion, large: bool = False) -> bytes:
    return pdf_bytes(minutes_html(version, large=large))


def minutes_draft_pdf(minutes: Minutes, large: bool = False) -> bytes:
    return pdf_bytes(minutes_draft_html(minutes, large=large))


def pdf_filename(meeting: Meeting, number: int | None, large: bool) -> str:
    """notulen-kanaleneiland-noord-2026-03-10-v2-groot.pdf (a file name, not translated)."""
    day = timezone.localtime(meeting.starts_at).date().isoformat()
    version = f"-v{number}" if number else "-concept"
    return f"notulen-{meeting.neighbourhood.slug}-{day}{version}{'-groot' if large else ''}.pdf"
