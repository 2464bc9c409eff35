"""The planted neighbourhood and the URL walker of test_privacy_markers.

`plant()` builds one neighbourhood in which every page of the app has something real to show:
a meeting last week (closed, its round counted, an action agreed, a priority resolved, the
minutes finalised, rendered and published), a meeting in progress now (agenda published, a
priority round open with the sensitive problem as candidate, actions and an analysis on it,
the projector link) and a meeting planned in four weeks (a proposal waiting). Unique marker
strings are planted wherever a reporter's identity or a confidential detail lives.

`fillings()` says, per URL name, which real objects fill its parameters (a meeting page gets
meetings, a round page rounds, a link page a signed token from the project's own link
helpers). A route with a parameter it does not know is an error, never a silently skipped page.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any
from urllib.parse import urlsplit

import pypdf
from django.core import mail
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.mail import EmailMessage
from django.db import connection
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.utils import timezone
from PIL import Image

from buurtoverleg.mail.models import Mailing, MailSuppression
from meetings import services as meeting_services
from meetings.actions import services as action_services
from meetings.actions.models import Action
from meetings.actions.survey import survey_link_url
from meetings.agenda_mail.services import meeting_reminders_send_due
from meetings.digest.services import digest_send
from meetings.mail_kinds import MeetingMail
from meetings.minutes import services as minutes_services
from meetings.minutes.models import MinutesVersion
from meetings.planning.models import AgendaItem, Meeting
from meetings.room.models import Attendance
from meetings.rounds import services as round_services
from meetings.rounds.links import ballot_link_url
from meetings.rounds.models import PriorityRound
from problems.links import unfollow_url
from problems.models import Category, Photo, Problem, TimelineEntry
from problems.photos import photo_clean
from problems.services import problem_report, problem_support, problem_transition
from problems.workflow import Move, Status
from residents.links import unsubscribe_url
from residents.models import MailTopic, Membership, Role, User
from residents.services import invite_codes_create
from tests.conftest import Personas, make_person, make_personas
from tests.factories import PATH_TO

# --- Markers ---------------------------------------------------------------------------------

REPORTER = "Qzreporterxq"  # a reporter who did not agree to be named (ordinary problems)
OPEN_REPORTER = "Qzopenreporterxq"  # agreed to be named, of an ordinary problem
SENSITIVE_REPORTER = "Qzsensreporterxq"  # agreed to be named, of a sensitive problem
FOR_NAME = "Qzforxq"  # typed by the office for a resident without an account
CONFIDENTIAL = "Qzconfidentialxq"  # confidential details
SECRET_TITLE = "Qzsecrettitlexq"  # the real title and description of a sensitive problem
NOTE = "Qznotexq"  # a confidential note on the timeline
UNMODERATED = "Qzunmoderatedxq"  # the title of a report nobody of the team has seen yet
REPORTERS = (REPORTER, OPEN_REPORTER, SENSITIVE_REPORTER)
MARKERS = (*REPORTERS, FOR_NAME, CONFIDENTIAL, SECRET_TITLE, NOTE, UNMODERATED)


# The chair of another neighbourhood, walking the planted objects under their own
# neighbourhood's address (/buurt/poelenburg/problemen/<a planted problem>/ ...).
ELSEWHERE = "outsider_chair_elsewhere"


# --- The planted neighbourhood ---------------------------------------------------------------


@dataclass
class World:
    personas: Personas
    reporter: User  # REPORTER: of `ordinary`, `resolved` and `unmoderated`
    open_reporter: User  # OPEN_REPORTER: of `glass`, agreed to be named
    sensitive_reporter: User  # SENSITIVE_REPORTER: of `sensitive`, agreed to be named
    glass: Problem  # ordinary, consenting reporter; a priority since last week, with an action
    resolved: Problem  # resolved by last week's meeting (the survey link is about it)
    sensitive: Problem  # drug nuisance: on both ballots, an action and an analysis tonight
    on_behalf: Problem  # entered by the office for someone without an account
    ordinary: Problem  # accepted, supported
    unmoderated: Problem  # new, seen by nobody of the team yet
    last: Meeting  # closed, minutes version 1 published
    live: Meeting  # in progress now, the round open
    next: Meeting  # planned, a proposal waiting
    last_round: PriorityRound
    live_round: PriorityRound
    glass_action: Action
    sensitive_action: Action
    version: MinutesVersion
    pending: Membership
    mails: list[EmailMessage] = field(default_factory=list)  # everything sent while planting
    table: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # fillings(), once
    variants: dict[str, list[tuple[str, bool]]] = field(default_factory=dict)  # variants()

    @property
    def problems(self) -> list[Problem]:
        return [
            self.glass,
            self.resolved,
            self.sensitive,
            self.on_behalf,
            self.ordinary,
            self.unmoderated,
        ]

    def user(self, name: str) -> User | None:
        """A persona, one of the reporters by their attribute name, or ELSEWHERE."""
        if name in ("reporter", "open_reporter", "sensitive_reporter"):
            return getattr(self, name)
        if name == ELSEWHERE:
            return self.personas.outsider_chair
        return self.personas.by_name(name)

    def slug(self, name: str) -> str:
        """The neighbourhood in the URLs this persona walks."""
        hood = self.personas.other_hood if name == ELSEWHERE else self.personas.hood
        return hood.slug


def _member(personas: Personas, name: str, email: str) -> User:
    person = make_person(name, email)
    Membership.objects.create(
        user=person,
        neighbourhood=personas.hood,
        role=Role.RESIDENT,
        status=Membership.Status.ACTIVE,
    )
    return person


def _photo() -> Any:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(buffer, format="PNG")
    return photo_clean(SimpleUploadedFile("foto.png", buffer.getvalue(), "image/png"))


def _report(personas: Personas, status: str, category: str, title: str, **extra: Any) -> Problem:
    problem = problem_report(
        neighbourhood=personas.hood,
        category=Category.objects.get(slug=category),
        title=title,
        description=f"Beschrijving {title}",
        street="Marshalllaan",
        location_detail=f"nr. 8 {title}",
        **extra,
    )
    for move, actors in PATH_TO[status]:
        problem_transition(
            problem=problem,
            move=move,
            actor=personas.chair,
            actors=actors,
            confidential_note=f"Notitie {NOTE}",
        )
    problem.refresh_from_db()
    return problem


def _item(meeting: Meeting, kind: str) -> AgendaItem:
    return meeting.items.get(kind=kind)


def _committed() -> None:
    """Run the on-commit work registered so far (PDF renders, mail), as a commit would:
    planting happens in a transaction that is rolled back, never committed."""
    callbacks = connection.run_on_commit
    while callbacks:
        callbacks.pop(0)[1]()  # (savepoint ids, callback, robust)


def plant() -> World:
    """The planted neighbourhood. Call inside a transaction (rolled back afterwards)."""
    p = make_personas()
    hood, chair, now = p.hood, p.chair, timezone.now()
    today = timezone.localdate()
    mail.outbox = []
    reporter = _member(p, f"Bewoner {REPORTER}", "melder@example.nl")
    open_reporter = _member(p, f"Buurvrouw {OPEN_REPORTER}", "open@example.nl")
    sensitive_reporter = _member(p, f"Buurman {SENSITIVE_REPORTER}", "gevoelig@example.nl")
    pending = Membership.objects.get(user=p.pending_resident, neighbourhood=hood)
    invite_codes_create(neighbourhood=hood, by=chair, count=2)

    # Last week's meeting: the glass became a priority with an action, the bench was resolved.
    glass = _report(
        p,
        Status.CANDIDATE,
        "zwerfvuil",
        "Zwerfvuil bij de glasbak",
        reporter=open_reporter,
        reporter_name_public=True,
    )
    resolved = _report(p, Status.PRIORITY, "overig", "Kapotte bank", reporter=reporter)
    # On last week's ballot too (no votes: back to the register), and again on tonight's.
    sensitive = _report(
        p,
        Status.CANDIDATE,
        "drugsoverlast",
        f"Dealen bij {SECRET_TITLE}",
        reporter=sensitive_reporter,
        reporter_name_public=True,
        confidential_details=f"Adres {CONFIDENTIAL}",
        photos=[_photo()],
    )
    problem_support(problem=resolved, user=p.resident)
    last = meeting_services.meeting_create(
        neighbourhood=hood,
        starts_at=now - timedelta(days=7),
        ends_at=now - timedelta(days=7) + timedelta(hours=2),
        place="Buurthuis De Linde",
    )
    meeting_services.agenda_publish(meeting=last)
    last_round = PriorityRound.objects.get(meeting=last)
    candidates = {c.problem_id: c.pk for c in last_round.candidates.all()}
    round_services.ballot_cast(
        priority_round=last_round, voter=p.resident, points={candidates[glass.pk]: 3}
    )
    meeting_services.meeting_start(meeting=last)
    meeting_services.meeting_roles_set(meeting=last, chair=chair, minute_taker=p.minute_taker)
    for person in (p.resident, p.second_resident):
        meeting_services.attendance_record(meeting=last, by=chair, user=person)
    meeting_services.item_text_save(
        item=_item(last, AgendaItem.Kind.OPENING),
        field="notes",
        text="Welkom.",
        base_version=0,
    )
    round_services.round_close(priority_round=last_round, by=chair)
    glass.refresh_from_db()
    assert glass.status == Status.PRIORITY
    assert set(candidates) == {glass.pk, sensitive.pk}
    glass_action = action_services.action_create(
        problem=glass,
        actor=chair,
        role=Role.CHAIR,
        outcome="De glasbak wordt twee keer per week geleegd",
        due_date=today + timedelta(days=30),
        owner_organisation=p.police,
        owner_person=p.wijkagent,
        meeting=last,
    )
    action_services.action_progress_post(
        action=glass_action, actor=p.wijkagent, role=Role.PROFESSIONAL, text="Gesprek gevoerd"
    )
    resolution = action_services.priority_resolve(
        problem=resolved, meeting=last, actor=chair, decision="De bank is vervangen."
    )
    last = meeting_services.meeting_close(meeting=last)
    minutes = minutes_services.minutes_draft(last, by=chair)
    version = minutes_services.minutes_finalise(minutes, chair)
    _committed()  # the PDF is made before it is published

    # Tonight's meeting, in progress: the sensitive problem is a candidate in the open round.
    problem_transition(problem=sensitive, move=Move.NOMINATE, actor=chair, actors={Role.CHAIR})
    on_behalf = _report(
        p,
        Status.CANDIDATE,
        "verkeer",
        "Te hard rijden",
        reporter=None,
        reported_for=f"Mevrouw {FOR_NAME}",
        entered_by=p.office,
        entered_by_role="office",
    )
    ordinary = _report(
        p, Status.ACCEPTED, "zwerfvuil", "Afval bij de containers", reporter=reporter
    )
    unmoderated = _report(p, Status.NEW, "geluid", f"Lawaai {UNMODERATED}", reporter=reporter)
    _add_photo(ordinary)
    problem_support(problem=ordinary, user=p.second_resident)
    problem_support(problem=sensitive, user=p.resident)
    live = meeting_services.meeting_create(
        neighbourhood=hood,
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(hours=1),
        place="Buurthuis De Linde",
    )
    meeting_services.agenda_publish(meeting=live)
    _committed()  # the agenda mail (with its .ics and ballot links) goes out at once: late
    live_round = PriorityRound.objects.get(meeting=live)
    candidates = {c.problem_id: c.pk for c in live_round.candidates.all()}
    assert sensitive.pk in candidates, "the sensitive problem is on tonight's ballot"
    round_services.ballot_cast(
        priority_round=live_round, voter=p.resident, points={candidates[sensitive.pk]: 2}
    )
    meeting_services.meeting_start(meeting=live)
    meeting_services.meeting_roles_set(meeting=live, chair=chair, minute_taker=p.minute_taker)
    meeting_services.attendance_record(meeting=live, by=chair, user=p.resident)
    meeting_services.attendance_record(
        meeting=live,
        by=chair,
        user=p.wijkagent,
        kind=Attendance.Kind.PROFESSIONAL,
        organisation=p.police,
    )
    # The projector and the screen show the item where tonight's candidates are discussed.
    meeting_services.meeting_go_to(meeting=live, item=_item(live, AgendaItem.Kind.NEW_PROBLEMS))
    assert (
        live.items.get(kind=AgendaItem.Kind.NEW_PROBLEMS).problems.filter(pk=sensitive.pk).exists()
    )
    action_services.analysis_save(
        problem=sensitive,
        actor=chair,
        location="Portiek",
        victims="Bewoners",
        offenders="Onbekend",
        meeting=live,
    )
    sensitive_action = action_services.action_create(
        problem=sensitive,
        actor=chair,
        role=Role.CHAIR,
        outcome="Extra surveillance in de avond",
        due_date=today + timedelta(days=20),
        owner_organisation=p.police,
        meeting=live,
    )

    # In four weeks: planned, a resident's proposal waiting, someone coming.
    following = meeting_services.meeting_create(
        neighbourhood=hood,
        starts_at=now + timedelta(days=28),
        ends_at=now + timedelta(days=28, hours=2),
        place="Sporthal Kanaleneiland",
    )
    meeting_services.proposal_create(meeting=following, by=p.resident, title="Speeltuin")
    meeting_services.rsvp_set(meeting=following, user=p.resident, answer="yes")

    # The mail of the weeks to come: minutes (one resident wants the PDF attached), digest,
    # reminders, the survey.
    User.objects.filter(pk=p.resident.pk).update(minutes_as_pdf=True)
    minutes_services.minutes_publish(version, chair)
    digest_send(neighbourhood=hood)
    action_services.actions_remind_due(today=today + timedelta(days=19))
    day_before = timezone.localtime(following.starts_at).date() - timedelta(days=1)
    meeting_reminders_send_due(
        now=datetime.combine(day_before, time(10), tzinfo=timezone.get_current_timezone())
    )
    action_services.surveys_send_due(
        now=resolution.at + timedelta(days=hood.survey_after_days, hours=1)
    )
    # An address the mail server refused for good: the team's list of blocked addresses.
    MailSuppression.objects.create(
        email=str(p.second_resident.email),
        permanent_failures=3,
        last_error="550 5.1.1 mailbox unavailable",
        suppressed_at=now,
    )
    _committed()
    for problem in (glass, resolved, sensitive, on_behalf, ordinary, unmoderated):
        problem.refresh_from_db()
    version.refresh_from_db()
    live.refresh_from_db()
    return World(
        personas=p,
        reporter=reporter,
        open_reporter=open_reporter,
        sensitive_reporter=sensitive_reporter,
        glass=glass,
        resolved=resolved,
        sensitive=sensitive,
        on_behalf=on_behalf,
        ordinary=ordinary,
        unmoderated=unmoderated,
        last=last,
        live=live,
        next=following,
        last_round=last_round,
        live_round=live_round,
        glass_action=glass_action,
        sensitive_action=sensitive_action,
        version=version,
        pending=pending,
        mails=list(mail.outbox),
    )


def _add_photo(problem: Problem) -> None:
    photo = _photo()
    row = Photo(problem=problem, width=photo.width, height=photo.height)
    row.image.save(f"{problem.pk}-1.{photo.extension}", ContentFile(photo.content), save=False)
    row.save()


# --- Routes and how to fill them -------------------------------------------------------------

# Not walked: the admin (tests/problems/test_privacy_edges.py), allauth's own pages (login
# codes and second factors: only the logged-in person's account), the language switch, files.
SKIPPED_PREFIXES = ("beheer/", "accounts/", "i18n/", "static/", "media/")
PARAM = re.compile(r"<(?:(\w+):)?(\w+)>")


@dataclass(frozen=True)
class Route:
    pattern: str  # e.g. "buurt/<slug:slug>/problemen/<int:pk>/"
    name: str | None  # the URL name without its namespace: what the tables here are keyed by
    view_name: str | None = None  # with its namespace, for reverse() ("rounds:ballot")

    @property
    def params(self) -> list[str]:
        return [m.group(2) for m in PARAM.finditer(self.pattern)]

    @property
    def label(self) -> str:
        return self.name or self.pattern


def routes() -> Iterator[Route]:
    """Every route of the app except the admin, allauth's own pages and static files."""

    def walk(patterns: list[Any], prefix: str, namespace: str) -> Iterator[Route]:
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                yield from walk(pattern.url_patterns, route, inner)
            elif isinstance(pattern, URLPattern):
                view_name = f"{namespace}{pattern.name}" if pattern.name else None
                yield Route(route, pattern.name, view_name)

    for route in walk(get_resolver().url_patterns, "", ""):
        if not route.pattern.lstrip("^").startswith(SKIPPED_PREFIXES):
            yield route


# Routes without a name (a regular expression): the URLs that stand for them.
UNNAMED = {r"api/^(?:[\s\S]*/)?$": ["/api/bestaat-niet/"]}


def _link(url: str) -> list[dict[str, Any]]:
    """The parameters of a link made by the project's own helper (a real signed token)."""
    return [resolve(urlsplit(url).path).kwargs]


def fillings(w: World) -> dict[str, list[dict[str, Any]]]:
    """Per URL name, the parameters of each URL to fetch (besides `slug`, which in this app
    always names a neighbourhood: the planted one). Real objects of the right kind: meeting
    pages get the meeting in the state they are for, link pages real signed tokens."""
    p = w.personas
    in_a_month = timezone.now() + timedelta(days=30)
    every_meeting = [{"pk": m.pk} for m in (w.last, w.live, w.next)]
    last, live, nxt = [{"pk": w.last.pk}], [{"pk": w.live.pk}], [{"pk": w.next.pk}]
    every_problem = [{"pk": problem.pk} for problem in w.problems]
    one_problem = [{"pk": w.ordinary.pk}]
    actions = [{"pk": a.pk} for a in (w.glass_action, w.sensitive_action)]
    version = [{"pk": w.last.pk, "number": w.version.number}]
    new_item = _item(w.next, AgendaItem.Kind.NEW_PROBLEMS)
    next_item = [{"pk": w.next.pk, "item_pk": new_item.pk}]
    assert w.live.current_item_id is not None
    live_item = [{"pk": w.live.pk, "item_pk": w.live.current_item_id}]
    approach = _item(w.live, AgendaItem.Kind.APPROACH).pk
    report_back = _item(w.live, AgendaItem.Kind.REPORT_BACK).pk
    resolution = TimelineEntry.objects.get(problem=w.resolved, move=Move.RESOLVE)
    mailings = [
        {"pk": Mailing.objects.filter(neighbourhood=p.hood, kind=kind).latest("pk").pk}
        for kind in (MeetingMail.AGENDA, MeetingMail.MINUTES)
    ]
    photos = [
        {"pk": problem.pk, "photo_id": problem.photos.get().pk}
        for problem in (w.ordinary, w.sensitive)
    ]
    return {
        # residents
        "member_approve": [{"pk": w.pending.pk}],
        "member_reject": [{"pk": w.pending.pk}],
        "member_roles": [{"user_id": p.resident.pk}],
        "unsubscribe": _link(unsubscribe_url(user=p.resident, expires_at=in_a_month)),
        "unsubscribe_topic": _link(
            unsubscribe_url(
                user=p.resident,
                expires_at=in_a_month,
                topic=MailTopic.AGENDA,
                neighbourhood=p.hood,
            )
        ),
        # meetings: planning
        "meeting": every_meeting,
        "meeting_rsvp": nxt,
        "meeting_propose": nxt,
        "meeting_move": nxt,
        "meeting_cancel": nxt,
        "agenda_edit": nxt,
        "agenda_item_add": nxt,
        "agenda_new_problems": nxt,
        "agenda_publish": nxt,
        "agenda_unpublish": nxt,
        "agenda_item_save": next_item,
        "agenda_item_remove": next_item,
        "agenda_item_move": next_item,
        "agenda_item_problems": next_item,
        "proposal_decide": [
            {"pk": w.next.pk, "proposal_pk": w.next.proposals.get().pk},
        ],
        # meetings: running, attendance, the projector
        "meeting_screen": live,
        "meeting_start": live,
        "meeting_next": live,
        "meeting_previous": live,
        "meeting_go_to": live,
        "meeting_close": live,
        "meeting_next_roles": live,
        "item_done": live_item,
        "item_reopen": live_item,
        "item_text_save": live_item,
        "meeting_attendance": live,
        "attendance_search": live,
        "attendance_add": live,
        "attendance_add_guest": live,
        "attendance_walk_ins": live,
        "attendance_remove": [
            {"pk": w.live.pk, "attendance_pk": w.live.attendance.filter(user=p.resident).get().pk}
        ],
        "meeting_check_in": live,
        "projector": [{"key": w.live.projector_key}],
        "projector_state": [{"key": w.live.projector_key}],
        "projector_link": live,
        # meetings: minutes, the pack, calendars, mailings
        "minutes": last,
        "minutes_edit": last,
        "minutes_save": last,
        "minutes_draft": last,
        "minutes_preview": last,
        "minutes_draft_pdf": last,
        "minutes_draft_pdf_large": last,
        "minutes_finalise": last,
        "minutes_version": version,
        "minutes_progress": version,
        "minutes_rerender": version,
        "minutes_publish": version,
        "minutes_pdf": version,
        "minutes_pdf_large": version,
        "meeting_pack": last,
        "meeting_ics": [{"pk": w.live.pk}, {"pk": w.next.pk}],
        "mailing": mailings,
        "mailing_progress": mailings,
        "mailing_retry": mailings[:1],
        "mail_block_lift": [{"pk": MailSuppression.objects.get(email=p.second_resident.email).pk}],
        # problems
        "problem_photo": photos,
        "problem": every_problem,
        "problem_support": one_problem,
        "problem_support_withdraw": one_problem,
        "problem_follow": one_problem,
        "problem_unfollow": one_problem,
        "problem_unfollow_link": _link(unfollow_url(p.resident, w.ordinary)),
        "problem_transition": every_problem,
        "problem_edit": every_problem,
        "problem_chronic": every_problem,
        "problem_reopen_request": [{"pk": w.resolved.pk}],
        "api_problem": every_problem,
        # rounds and ballots
        "ballot": [{"round_pk": w.live_round.pk}],
        "ballot_link": _link(ballot_link_url(priority_round=w.live_round, user=p.resident)),
        "round": live,
        "round_paper": live,
        "round_panel_live": live,
        "round_results": [{"round_pk": w.last_round.pk}, {"round_pk": w.live_round.pk}],
        "round_ballot_pdf": [{"round_pk": w.live_round.pk}],
        # actions, the agenda screen's panels, the survey
        "action": actions,
        "action_edit": actions,
        "action_progress": actions[:1],
        "action_due_date": actions[:1],
        "action_status": actions[:1],
        "action_delay": actions[:1],
        "action_volunteer": actions[:1],
        "action_volunteer_withdraw": actions[:1],
        "action_create": every_problem,
        "analysis_edit": every_problem,
        "approach_analysis_save": [
            {"pk": w.live.pk, "item_pk": approach, "problem_pk": w.sensitive.pk}
        ],
        "approach_action_create": [
            {"pk": w.live.pk, "item_pk": approach, "problem_pk": w.sensitive.pk}
        ],
        "report_back_judgement": [
            {"pk": w.live.pk, "item_pk": report_back, "action_pk": w.glass_action.pk}
        ],
        "report_back_resolve": [
            {"pk": w.live.pk, "item_pk": report_back, "problem_pk": w.glass.pk}
        ],
        "survey_link": _link(survey_link_url(user=p.resident, resolution=resolution)),
    }


def variants(w: World) -> dict[str, list[tuple[str, bool]]]:
    """Per URL name, what is fetched besides the plain GET: (query string, as htmx?). The
    fragment htmx asks for (HX-Request); what a person types (a search that finds the
    reporters, titles that resemble the sensitive and the unmoderated report, the register
    filtered towards them); and the switches a page has (the agenda screen's confidential
    details, all of Mijn acties, one voter's paper ballot)."""
    return {
        "attendance_search": [("?q=Bewoner", True), ("?q=Buur", False)],
        "problem_similar": [("?title=Dealen+bij", True), ("?title=Lawaai", True)],
        "problem_report": [("?title=Dealen+bij", False)],
        "minutes_progress": [("", True)],
        "mailing_progress": [("", True)],
        "problem_list": [
            ("?category=drugsoverlast", False),
            ("?status=new&street=Marshalllaan", False),
        ],
        "meeting_screen": [("?vertrouwelijk=1", False)],
        "my_actions": [("?alle=1", False)],
        "round_paper": [("?q=Buur", False), (f"?voter={w.reporter.pk}", False)],
    }


class UnfilledRoute(Exception):
    pass


def urls_of(route: Route, table: dict[str, list[dict[str, Any]]], slug: str) -> list[str]:
    """The concrete URLs of a route; UnfilledRoute when the table cannot fill it."""
    if route.name is None:
        if route.pattern not in UNNAMED:
            raise UnfilledRoute(f"{route.pattern}: an unnamed route without URLs in UNNAMED")
        return UNNAMED[route.pattern]
    params = [name for name in route.params if name != "slug"]
    if not params:
        return [reverse(route.view_name, kwargs={"slug": slug} if "slug" in route.params else {})]
    if route.name not in table:
        raise UnfilledRoute(f"{route.name} ({route.pattern}): no filling for {params}")
    urls = []
    for kwargs in table[route.name]:
        if set(kwargs) != set(params):
            raise UnfilledRoute(f"{route.name}: filled with {sorted(kwargs)}, needs {params}")
        if "slug" in route.params:
            kwargs = {**kwargs, "slug": slug}
        urls.append(reverse(route.view_name, kwargs=kwargs))
    return urls


# --- Reading what came back ------------------------------------------------------------------

TEXT_TYPES = (
    "text/",
    "application/json",
    "application/yaml",
    "application/vnd.oai.openapi",
    "application/problem+json",
)
# Binary answers with no text to read: a photo is pixels (re-encoded without metadata).
BINARY_TYPES = ("image/",)


def pdf_text(content: bytes) -> str:
    """Every page's text and the document's metadata (a title is text too); then the same
    without spaces and hyphens, so a marker broken over two lines is still found."""
    reader = pypdf.PdfReader(io.BytesIO(content))
    parts = [page.extract_text() or "" for page in reader.pages]
    parts += [str(value) for value in (reader.metadata or {}).values()]
    text = " ".join(" ".join(parts).split())
    return f"{text}\n{re.sub(r'[\s\u00ad-]', '', text)}"


def body_text(content_type: str, content: bytes) -> str | None:
    """The text of a response or attachment; None for images. Fails on a kind it cannot read,
    so nothing is skipped silently."""
    kind = content_type.split(";")[0].strip().lower()
    if not content:
        return ""
    if kind == "application/pdf":
        return pdf_text(content)
    if kind.startswith(TEXT_TYPES):
        return content.decode(errors="replace")
    if kind.startswith(BINARY_TYPES):
        return None
    raise AssertionError(f"cannot read a response of type {content_type!r}")


def mail_texts(message: EmailMessage) -> list[tuple[str, str]]:
    """(part, text) of a mail: headers, body, alternatives and every attachment."""
    parts = [
        ("subject", str(message.subject)),
        ("headers", " ".join(f"{k}: {v}" for k, v in (message.extra_headers or {}).items())),
        ("body", str(message.body)),
    ]
    for content, mimetype in getattr(message, "alternatives", []):
        parts.append((f"alternative {mimetype}", str(content)))
    for attachment in message.attachments:
        if isinstance(attachment, tuple):
            filename, content, mimetype = attachment
        else:  # a MIMEBase part
            filename = attachment.get_filename() or "attachment"
            content = attachment.get_payload(decode=True)
            mimetype = attachment.get_content_type()
        raw = content if isinstance(content, bytes) else str(content).encode()
        text = body_text(mimetype or "application/octet-stream", raw)
        assert text is not None, f"an image attached to a mail: {filename}"
        parts.append((f"attachment {filename}", text))
    return parts


# Every route that serves a PDF (test_privacy_markers reads them, test_pdf_tagged checks tags).
PDF_ROUTES = frozenset(
    {
        "minutes_draft_pdf",
        "minutes_draft_pdf_large",
        "minutes_pdf",
        "minutes_pdf_large",
        "meeting_pack",
        "poster",
        "round_ballot_pdf",
        "invite_sheet",
    }
)
SITE = "https://buurt.example.nl"


def planted_world(django_db_blocker: Any, media: Any) -> Iterator[World]:
    """The planted neighbourhood for a whole test module, with its URL fillings.

    Planting renders PDFs and sends mail, too slow to repeat per test: it lives in a
    transaction rolled back at the end (each test runs in a savepoint inside it). Tasks run
    in-process meanwhile; the cache and the category cache are cleared on the way out.
    """
    from django.core.cache import cache
    from django.db import transaction
    from django.test import override_settings

    from buurtoverleg.celery import app
    from problems.models import categories_forget

    saved = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        with (
            django_db_blocker.unblock(),
            override_settings(MEDIA_ROOT=str(media), SITE_URL=SITE),
            transaction.atomic(),
        ):
            cache.clear()
            planted = plant()
            planted.table = fillings(planted)  # once: the signed tokens differ by the second
            yield planted
            transaction.set_rollback(True)
    finally:
        app.conf.task_always_eager = saved
        cache.clear()
        categories_forget()
