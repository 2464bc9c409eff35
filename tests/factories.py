"""Builders for the tests: each made here once, imported by every test that needs one.

A builder writes rows, through the services where the test needs what they do and directly
where it does not. Helpers that only read, drive a flow or assert live in tests/support.py; the
personas and the fixtures live in the conftest files. tests/test_layout.py keeps it that way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone

from buurtoverleg.mail.models import Mailing
from buurtoverleg.mail.pipeline import mailing_create, recipients_for
from meetings import services as meeting_services
from meetings.actions import services as action_services
from meetings.actions.models import Action
from meetings.mail_kinds import MeetingMail
from meetings.minutes import services as minutes_services
from meetings.minutes.models import Minutes
from meetings.planning.models import AgendaItem, AgendaItemProblem, Meeting
from meetings.room.models import Attendance
from meetings.rounds import services as round_services
from meetings.rounds.models import Ballot, PriorityRound
from problems.models import Category, Problem, TimelineEntry
from problems.services import problem_edit, problem_report, problem_transition
from problems.workflow import MEETING, ROUND, Move, Status
from residents.mail_kinds import ResidentMail
from residents.models import Membership, Neighbourhood, Role, User
from tests.conftest import make_person

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
EVENING = datetime(2025, 3, 11, 19, 30, tzinfo=AMSTERDAM)  # a Tuesday evening, winter time
PLACE = "Buurthuis De Linde"

# The moves that bring a new report to each status, and who makes them (the fixture make_problem).
PATH_TO: dict[str, list[tuple[Move, set[str]]]] = {
    Status.NEW: [],
    Status.ACCEPTED: [(Move.ACCEPT, {"chair"})],
    Status.DECLINED: [(Move.DECLINE, {"chair"})],
    Status.CANDIDATE: [(Move.ACCEPT, {"chair"}), (Move.NOMINATE, {"chair"})],
    Status.PRIORITY: [
        (Move.ACCEPT, {"chair"}),
        (Move.NOMINATE, {"chair"}),
        (Move.PRIORITISE, {ROUND}),
    ],
    Status.RESOLVED: [
        (Move.ACCEPT, {"chair"}),
        (Move.NOMINATE, {"chair"}),
        (Move.PRIORITISE, {ROUND}),
        (Move.RESOLVE, {MEETING}),
    ],
    Status.PARKED: [(Move.ACCEPT, {"chair"}), (Move.PARK, {"chair"})],
}


# --- Meetings ------------------------------------------------------------------------------------


def make_meeting(
    hood: Neighbourhood,
    starts_at: datetime = EVENING,
    *,
    ends_at: datetime | None = None,
    place: str = PLACE,
    items: int | None = None,
    problems: int = 0,
    start: bool = False,
    **fields: Any,
) -> Meeting:
    """A meeting in `hood`, two hours long unless `ends_at` says otherwise.

    With `items=None` it is planned as the chair plans one (meeting_services.meeting_create):
    the default agenda, with the problems that are new since the last meeting. With `items=n`
    it is written directly, with n plain items of each kind in turn (none for 0), the first
    holding `problems` accepted public problems. `fields` (status, chair, minute_taker, ...) are
    stored as given; `start=True` publishes the agenda and starts the meeting.
    """
    if problems and not items:
        raise ValueError("the problems go under the first of `items` plain items")
    ends_at = ends_at or starts_at + timedelta(hours=2)
    if items is None:
        meeting = meeting_services.meeting_create(
            neighbourhood=hood, starts_at=starts_at, ends_at=ends_at, place=place
        )
        if fields:
            Meeting.objects.filter(pk=meeting.pk).update(**fields)
            meeting.refresh_from_db()
    else:
        meeting = Meeting.objects.create(
            neighbourhood=hood, starts_at=starts_at, ends_at=ends_at, place=place, **fields
        )
        kinds = AgendaItem.Kind.values
        rows = AgendaItem.objects.bulk_create(
            AgendaItem(
                meeting=meeting,
                position=n + 1,
                kind=kinds[n % len(kinds)],
                title=f"Agendapunt {n + 1}",
                minutes=10,
            )
            for n in range(items)
        )
        AgendaItemProblem.objects.bulk_create(
            AgendaItemProblem(item=rows[0], problem=p, position=n)
            for n, p in enumerate(_public_problems(hood, problems))
        )
    if start:
        meeting_services.agenda_publish(meeting=meeting)
        meeting = meeting_services.meeting_start(meeting=meeting)
    if start or items is not None:
        meeting.refresh_from_db()
    return meeting


def _public_problems(hood: Neighbourhood, count: int) -> list[Problem]:
    category = Category.objects.get(slug="zwerfvuil")
    now = timezone.now()
    return Problem.objects.bulk_create(
        Problem(
            neighbourhood=hood,
            category=category,
            title=f"Probleem nummer {n}",
            description="Beschrijving",
            street="Marshalllaan",
            status=Status.ACCEPTED,
            support_count=n % 5,
            accepted_at=now - timedelta(days=1),
            sensitive=category.sensitive,
        )
        for n in range(count)
    )


def link(item: AgendaItem, problems: list[Problem]) -> None:
    """Put the problems under an agenda item, after those it holds."""
    start = AgendaItemProblem.objects.filter(item=item).count()
    AgendaItemProblem.objects.bulk_create(
        AgendaItemProblem(item=item, problem=p, position=start + n) for n, p in enumerate(problems)
    )


# --- Problems ------------------------------------------------------------------------------------
# The register's own builder, which goes through its services and workflow, is the fixture
# `make_problem` in tests/problems/conftest.py.


def insert_problem(
    hood: Neighbourhood,
    title: str,
    *,
    status: str = Status.ACCEPTED,
    reporter: User | None = None,
    entries: int = 0,
    **fields: Any,
) -> Problem:
    """A problem written directly in any status, with `entries` timeline entries (for tests of
    what shows problems; the register's services are tested with the register)."""
    now = timezone.now()
    problem = Problem.objects.create(
        neighbourhood=hood,
        category=Category.objects.get(slug=fields.pop("category", "zwerfvuil")),
        title=title,
        description=fields.pop("description", f"Beschrijving van {title}"),
        street=fields.pop("street", "Marshalllaan"),
        status=status,
        accepted_at=None if status == Status.NEW else now - timedelta(days=3),
        reporter=reporter,
        **fields,
    )
    TimelineEntry.objects.bulk_create(
        TimelineEntry(
            problem=problem,
            move=Move.EDIT,
            actor_role="chair",
            public_note=f"Stap {n} van de tijdlijn",
            at=now - timedelta(hours=n),
        )
        for n in range(entries)
    )
    return problem


def active_resident(personas: Any, name: str, email: str | None, **extra: Any) -> User:
    """A person who is an active resident member of the personas' neighbourhood."""
    person = make_person(name, email, **extra)
    Membership.objects.create(
        user=person, neighbourhood=personas.hood, role=Role.RESIDENT, status="active"
    )
    return person


# --- Priority rounds -----------------------------------------------------------------------------


def candidates_in(hood: Neighbourhood, count: int, tag: str = "") -> list[Problem]:
    """`count` candidates written directly, the first with the most support."""
    return [
        insert_problem(
            hood, f"Kandidaat {tag}{n}", status=Status.CANDIDATE, support_count=count - n
        )
        for n in range(count)
    ]


def new_round(
    personas: Any,
    make_problem: Any,
    candidates: int | Sequence[str] = 3,
    *,
    open: bool = True,
    days: int = 7,
    hood: Neighbourhood | None = None,
) -> PriorityRound:
    """The priority round of a new meeting `days` ahead, open unless `open=False`, with the
    neighbourhood's candidates. Made first through the register (`make_problem`, the fixture):
    `candidates` more of them, "Kandidaat 1", ..., or one for each title given."""
    hood = hood or personas.hood
    if isinstance(candidates, int):
        candidates = [f"Kandidaat {n + 1}" for n in range(candidates)]
    for title in candidates:
        make_problem(Status.CANDIDATE, title=title, neighbourhood=hood)
    starts_at = timezone.now().replace(second=0, microsecond=0) + timedelta(days=days)
    meeting = make_meeting(hood, starts_at)
    priority_round = round_services.round_create(meeting=meeting)
    if open:
        return round_services.round_open(priority_round=priority_round)
    return priority_round


# --- Mail ----------------------------------------------------------------------------------------


def approved_mailing(personas: Any, *, users=None, transactional=False, key=None) -> Mailing:
    """A mailing to the two residents (or `users`), ready to send."""
    users = users or [personas.resident, personas.second_resident]
    # The kind decides: duty mail (a membership decision) or mail one can turn off (digest).
    return mailing_create(
        kind=ResidentMail.MEMBERSHIP_APPROVED if transactional else MeetingMail.DIGEST,
        template="emails/membership_approved",
        recipients=recipients_for(users),
        neighbourhood=personas.hood,
        context={"neighbourhood_url": "https://x/buurt", "login_url": "https://x/login"},
        key=key,
    )


def minutes_mail(p: Any) -> None:
    """For tests/meetings/test_mail_faults.py SENDERS["minutes"]: publish the same version
    again and again; the minutes mail goes out once."""
    meeting = Meeting.objects.filter(neighbourhood=p.hood, place="Notulen-overleg").first()
    if meeting is None:
        meeting = make_meeting(p.hood, timezone.now() - timedelta(days=2), place="Notulen-overleg")
    minutes = Minutes.objects.filter(meeting=meeting).first() or minutes_services.minutes_draft(
        meeting, by=p.chair
    )
    version = minutes.versions.first() or minutes_services.minutes_finalise(minutes, p.chair)
    minutes_services.minutes_render(version_id=version.pk)  # here: the task would run at commit
    minutes_services.minutes_publish(version, p.chair)


# --- Problems that hold every private marker, for the open data API -------------------------------

# Unique strings planted where only the team may look; none may ever reach the API.
MARKERS = {
    "reporter_name": "Qzx-REPORTER-NAME-4b1f",
    "reporter_email": "qzx-reporter-mail-77c0@example.nl",
    "reported_for": "Qzx-REPORTED-FOR-0d2e",
    "confidential": "Qzx-CONFIDENTIAL-DETAILS-93aa",
    "sensitive_title": "Qzx-SENSITIVE-TITLE-5c6d",
    "sensitive_old_title": "Qzx-SENSITIVE-OLD-TITLE-1e9b",
    "sensitive_description": "Qzx-SENSITIVE-DESCRIPTION-a210",
    "sensitive_location": "Qzx-SENSITIVE-LOCATION-ff03",
    "sensitive_confidential": "Qzx-SENSITIVE-CONFIDENTIAL-6b7e",
    "confidential_note": "Qzx-CONFIDENTIAL-NOTE-c4d5",
    "new_title": "Qzx-NEW-REPORT-TITLE-8f8f",
    "new_description": "Qzx-NEW-REPORT-DESCRIPTION-2a3b",
    "entered_by_name": "Qzx-ENTERED-BY-NAME-7d11",
}
SENSITIVE_SUMMARY = "Drugsoverlast omgeving Talmalaan"


@dataclass
class Planted:
    plain: Problem  # accepted, with a named reporter, confidential details, a confidential note
    sensitive: Problem  # accepted, sensitive: only its summary and street are public
    new: Problem  # a new report: not public at all


def plant_markers(personas: Any, make_problem: Any) -> Planted:
    """Problems holding every marker in a field the public must never see."""
    reporter = make_person(
        MARKERS["reporter_name"], MARKERS["reporter_email"], postcode="3527AB", house_number="20"
    )
    Membership.objects.create(user=reporter, neighbourhood=personas.hood, role=Role.RESIDENT)
    clerk = make_person(MARKERS["entered_by_name"], None)
    plain = make_problem(
        Status.NEW,
        reporter=reporter,
        title="Kapotte lantaarnpaal",
        description="De lamp brandt al weken niet.",
        category="verlichting",
        street="Marshallaan",
        location_detail="bij huisnummer 30",
        confidential_details=MARKERS["confidential"],
        reported_for=MARKERS["reported_for"],
        entered_by=clerk,
        entered_by_role=Role.OFFICE,
    )
    problem_transition(
        problem=plain,
        move=Move.ACCEPT,
        actor=personas.chair,
        actors={Role.CHAIR},
        public_note="Bekeken op de vergadering",
        confidential_note=MARKERS["confidential_note"],
    )
    sensitive = make_problem(
        reporter=reporter,
        category="drugsoverlast",
        street="Talmalaan",
        title=MARKERS["sensitive_old_title"],
        description=MARKERS["sensitive_description"],
        location_detail=MARKERS["sensitive_location"],
        confidential_details=MARKERS["sensitive_confidential"],
    )
    # An edit: its old values (a marker) stay in the team-only `changes`.
    problem_edit(
        problem=sensitive,
        actor=personas.chair,
        role=Role.CHAIR,
        title=MARKERS["sensitive_title"],
        public_summary=SENSITIVE_SUMMARY,
    )
    new = make_problem(
        Status.NEW,
        reporter=reporter,
        title=MARKERS["new_title"],
        description=MARKERS["new_description"],
    )
    for problem in (plain, sensitive, new):
        problem.refresh_from_db()
    return Planted(plain, sensitive, new)


# --- A meeting recorded in full, for the minutes -------------------------------------------------

# Planted: never in the minutes, their pages, PDFs or mail.
NO_CONSENT = "Qznoconsentxq"  # a resident who was there but did not consent to be named
REPORTER = "Qzreporterxq"  # the reporter of every problem (also an action's contact person)
CONFIDENTIAL = "Qzconfidentialxq"  # confidential details of the sensitive problem
SECRET = "Qzsecrettitlexq"  # the sensitive problem's real title and location
NOTE = "Qzconfnotexq"  # a confidential timeline note
FORBIDDEN = [NO_CONSENT, REPORTER, CONFIDENTIAL, SECRET, NOTE, "Lotte Mulder"]
# Planted: must be there (proof that the tests would notice).
CONSENT = "Qzconsentxq"  # a resident who consented to be named
NOTES = "Qznotesxq"  # the opening's notes
DECISION = "Qzdecisionxq"  # the approach item's decision
AGREED = "Qzagreedxq"  # the action agreed tonight
REPORTED = "Qzreportedxq"  # the action reported back
JUDGED = "Qzjudgedxq"  # the room's note on it
RESOLVED = "Qzresolvedxq"  # the meeting's decision that a priority is resolved
VISITOR = "Sanne Visser"  # a visiting professional without an account


@dataclass
class Record:
    meeting: Meeting
    following: Meeting
    named: User
    unnamed: User
    reporter: User
    glass: Problem
    sensitive: Problem
    agreed: Action
    reported: Action


def _recorded_problem(
    personas: Any, reporter: User, status: str, title: str, **extra: Any
) -> Problem:
    problem = problem_report(
        neighbourhood=personas.hood,
        reporter=reporter,
        category=Category.objects.get(slug=extra.pop("category", "zwerfvuil")),
        title=title,
        description=f"Beschrijving {title}",
        street="Marshalllaan",
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


def build_record(personas: Any, *, residents: int = 0, tag: str = "") -> Record:
    """A meeting that happened two hours ago, recorded in full, and the next one planned."""
    now = timezone.now()
    today = timezone.localdate()
    chair = personas.chair
    reporter = active_resident(personas, f"Melder {REPORTER}", f"melder{tag}@example.nl")
    named = active_resident(
        personas, f"Bewoner {CONSENT}", f"named{tag}@example.nl", consent_named_in_minutes=True
    )
    unnamed = active_resident(personas, f"Buurman {NO_CONSENT}", f"unnamed{tag}@example.nl")
    glass = _recorded_problem(personas, reporter, Status.CANDIDATE, "Zwerfvuil bij de glasbak")
    sensitive = _recorded_problem(
        personas,
        reporter,
        Status.CANDIDATE,
        f"Dealen bij {SECRET}",
        category="drugsoverlast",
        location_detail=f"portiek {SECRET}",
        confidential_details=f"Adres {CONFIDENTIAL}",
    )
    bench = _recorded_problem(personas, reporter, Status.PRIORITY, "Kapotte bank in het park")
    youth = _recorded_problem(personas, reporter, Status.PRIORITY, "Hangjongeren bij de speeltuin")
    reported = action_services.action_create(
        problem=youth,
        actor=chair,
        role="chair",
        outcome=f"{REPORTED} Jongerenwerk spreekt de groep aan",
        due_date=today + timedelta(days=10),
        owner_organisation=personas.police,
        owner_person=personas.wijkagent,
        contact_person=reporter,
    )
    Action.objects.filter(pk=reported.pk).update(created_at=now - timedelta(days=30))

    meeting = make_meeting(
        personas.hood, now - timedelta(hours=2), ends_at=now - timedelta(minutes=10)
    )
    meeting_services.agenda_publish(meeting=meeting)
    round = PriorityRound.objects.get(meeting=meeting)
    by_problem = {c.problem_id: c for c in round.candidates.all()}
    round_services.ballot_cast(
        priority_round=round,
        voter=named,
        points={by_problem[glass.pk].pk: 3, by_problem[sensitive.pk].pk: 1},
    )
    round_services.ballot_cast(
        priority_round=round,
        voter=unnamed,
        points={by_problem[glass.pk].pk: 2},
        source=Ballot.Source.PAPER,
        entered_by=chair,
    )
    round_services.hand_count_set(
        priority_round=round, candidate=by_problem[sensitive.pk], hands=2, by=chair
    )
    meeting_services.meeting_start(meeting=meeting)
    meeting_services.meeting_roles_set(
        meeting=meeting, chair=chair, minute_taker=personas.minute_taker
    )
    for person in (named, unnamed, reporter):
        meeting_services.attendance_record(meeting=meeting, by=chair, user=person)
    for n in range(residents):
        extra = active_resident(
            personas,
            f"Buurtgenoot {tag}{n:02d}",
            f"extra{tag}{n}@example.nl",
            consent_named_in_minutes=True,
        )
        meeting_services.attendance_record(meeting=meeting, by=chair, user=extra)
    meeting_services.attendance_record(
        meeting=meeting,
        by=chair,
        user=personas.wijkagent,
        kind=Attendance.Kind.PROFESSIONAL,
        organisation=personas.police,
    )
    meeting_services.attendance_record(
        meeting=meeting,
        by=chair,
        name=VISITOR,
        organisation=personas.housing,
        kind=Attendance.Kind.PROFESSIONAL,
    )
    meeting_services.walk_ins_set(meeting=meeting, count=2)
    items = {item.kind: item for item in meeting.items.all()}
    meeting_services.item_text_save(
        item=items[AgendaItem.Kind.OPENING], field="notes", text=f"{NOTES} Welkom.", base_version=0
    )
    meeting_services.item_text_save(
        item=items[AgendaItem.Kind.APPROACH],
        field="decision",
        text=f"{DECISION} Aanpak.",
        base_version=0,
    )
    round_services.round_close(priority_round=round, by=chair)
    glass.refresh_from_db()
    assert glass.status == Status.PRIORITY
    agreed = action_services.action_create(
        problem=glass,
        actor=chair,
        role="chair",
        outcome=f"{AGREED} De glasbak wordt twee keer per week geleegd",
        due_date=today + timedelta(days=30),
        owner_organisation=personas.housing,
        owner_person=personas.housing_contact,
        contact_person=reporter,
        meeting=meeting,
    )
    action_services.judgement_record(
        action=reported,
        meeting=meeting,
        actor=chair,
        effect="better",
        verdict="continue",
        note=f"{JUDGED} veel rustiger",
    )
    action_services.priority_resolve(
        problem=bench, meeting=meeting, actor=chair, decision=f"{RESOLVED} De bank is vervangen."
    )
    meeting_services.meeting_close(meeting=meeting)
    following = make_meeting(
        personas.hood, now + timedelta(days=28), place="Sporthal Kanaleneiland"
    )
    meeting_services.meeting_roles_set(meeting=following, chair=chair, minute_taker=None)
    meeting.refresh_from_db()
    return Record(meeting, following, named, unnamed, reporter, glass, sensitive, agreed, reported)
