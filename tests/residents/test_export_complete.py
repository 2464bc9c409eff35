"""The data export is complete by construction.

Every database field, in any installed app, that points at a person (a foreign key,
one-to-one or many-to-many to the user model) is either proved to be in that person's export
(PROBES: make one row for the person with a unique marker, export, find the marker, and not
in anyone else's export) or listed in EXCLUSIONS with the reason it is left out. A field added
later fails test_every_field_that_points_at_a_person_is_classified until it is one or the other.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from buurtoverleg.mail.models import Delivery, Mailing
from meetings.actions.models import Action, ActionUpdate, SurveyAnswer, Volunteer
from meetings.mail_kinds import MeetingMail
from meetings.minutes.models import Minutes, MinutesVersion
from meetings.planning.models import AgendaProposal, Meeting, Rsvp
from meetings.room.models import Attendance
from meetings.rounds.models import Ballot, BallotPoint, PriorityRound, RoundCandidate
from problems.models import Category, Follow, Problem, ReopenRequest, Support, TimelineEntry
from problems.workflow import Move
from residents.models import (
    Coordinator,
    InviteCode,
    MailPreference,
    MailTopic,
    Membership,
    Municipality,
    Neighbourhood,
    User,
)
from residents.privacy import user_export_data
from tests.conftest import Personas

# Left out of the export on purpose. Most are work someone did in a role on other people's
# records or on the neighbourhood's shared record: exporting it would hand them other people's
# data (a vote, an application, who came to a meeting), and the row is kept for accountability.
EXCLUSIONS: dict[str, str] = {
    "admin.LogEntry.user": "the admin site's log of what staff changed: an accountability record",
    "residents.Membership.decided_by": "a chair's decision on someone else's application",
    "residents.InviteCode.created_by": "codes a chair made for other people to join with",
    "mail.MailSuppressionLift.lifted_by": (
        "a team member lifting the block on someone else's address: an accountability record"
    ),
    "problems.Problem.entered_by": "a team member typing in someone else's report",
    "problems.TimelineEntry.actor": (
        "the team's moves on a problem; a resident's own entries (report, reopen request) are "
        "exported as their reports and reopen requests"
    ),
    "problems.ConfidentialView.user": "who read confidential details: an access log",
    "meetings.PriorityRound.closed_by": "the chair closing a round; its result is public",
    "meetings.Ballot.entered_by": "a paper ballot typed in for someone else: it holds their vote",
    "meetings.HandCount.entered_by": "a show of hands in the room, typed in by the chair",
    "meetings.Analysis.updated_by": "the last editor of the meeting's shared analysis",
    "meetings.Action.created_by": (
        "who typed in the meeting's agreement; the history entry it made is exported as an "
        "update they wrote"
    ),
    "meetings.Judgement.recorded_by": "the room's judgement of an action, typed in by the chair",
    "mail.Mailing.created_by": "who started a mailing; the mail a person got is exported",
    "meetings.AgendaProposal.decided_by": "a chair's decision on someone else's proposal",
    "meetings.Attendance.recorded_by": "who registered other people's attendance",
    "meetings.Minutes.drafted_by": "the minute-taker's work on the meeting's shared record",
    "meetings.Minutes.edited_by": "the minute-taker's work on the meeting's shared record",
    "meetings.Minutes.published_by": "the minute-taker's work on the meeting's shared record",
    "meetings.MinutesVersion.finalised_by": "the minute-taker's work on the published minutes",
    "meetings.MinutesVersion.published_by": "the minute-taker's work on the published minutes",
}


def person_fields() -> set[str]:
    """'app.Model.field' for every field of every installed model that points at a person.

    A many-to-many field is named by the model that declares it (User.groups), not by its
    hidden table.
    """
    user_model = get_user_model()
    found = set()
    for model in apps.get_models(include_auto_created=True):
        if model._meta.proxy:
            continue
        for fk in model._meta.local_fields:
            if not (fk.is_relation and fk.related_model is user_model):
                continue
            owner = model._meta.auto_created
            if isinstance(owner, type):  # the table of a many-to-many field
                [m2m] = [f for f in owner._meta.many_to_many if f.remote_field.through is model]
                found.add(f"{owner._meta.label}.{m2m.name}")
            else:
                found.add(f"{model._meta.label}.{fk.name}")
    return found


# --- Small factories: one row that points at the person, and a marker only it carries ---


@dataclass
class World:
    personas: Personas
    numbers: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def hood(self, name: str) -> Neighbourhood:
        return Neighbourhood.objects.create(
            municipality=self.personas.municipality, name=name, slug=f"h{next(self.numbers)}"
        )

    def meeting(self, hood_name: str = "", **fields: User) -> Meeting:
        # A neighbourhood of its own when the marker is its name: it shows in no other row.
        hood = self.hood(hood_name) if hood_name else self.personas.hood
        starts = datetime(2031, 1, 1, 18, 30, tzinfo=UTC) + timedelta(days=next(self.numbers))
        return Meeting.objects.create(
            neighbourhood=hood, starts_at=starts, ends_at=starts + timedelta(hours=2), **fields
        )

    def problem(self, title: str, reporter: User | None = None) -> Problem:
        # No reporter by default: the title then reaches an export only through the probed row.
        return Problem.objects.create(
            neighbourhood=self.personas.hood,
            category=Category.objects.get(slug="zwerfvuil"),
            title=title,
            description="Afval naast de glasbak.",
            street="Marshalllaan",
            reporter=reporter,
        )

    def action(self, outcome: str, **people: User) -> Action:
        today = date(2031, 6, 1)
        return Action.objects.create(
            neighbourhood=self.personas.hood,
            problem=self.problem("Een probleem"),
            outcome=outcome,
            first_due_date=today,
            due_date=today,
            **people,
        )


Probe = Callable[[World, User, str], str]


def _email(w: World, person: User, marker: str) -> str:
    address = f"{marker}@example.nl"
    EmailAddress.objects.create(user=person, email=address, verified=False, primary=False)
    return address


def _authenticator(w: World, person: User, marker: str) -> str:
    # No text of its own in the export: it is found by its unique creation time.
    at = datetime(2030, 1, 1, tzinfo=UTC) + timedelta(minutes=next(w.numbers))
    Authenticator.objects.create(user=person, type="webauthn", data={}, created_at=at)
    return timezone.localtime(at).isoformat()


def _group(w: World, person: User, marker: str) -> str:
    person.groups.add(Group.objects.create(name=marker))
    return marker


def _permission(w: World, person: User, marker: str) -> str:
    content_type = ContentType.objects.get_for_model(Neighbourhood)
    person.user_permissions.add(
        Permission.objects.create(codename=marker, name=marker, content_type=content_type)
    )
    return f"residents.{marker}"


def _membership(w: World, person: User, marker: str) -> str:
    Membership.objects.create(user=person, neighbourhood=w.hood(marker))
    return marker


def _coordinator(w: World, person: User, marker: str) -> str:
    municipality = Municipality.objects.create(name=marker, slug=f"m{next(w.numbers)}")
    Coordinator.objects.create(user=person, municipality=municipality)
    return marker


def _invite_code_used(w: World, person: User, marker: str) -> str:
    now = timezone.now()
    InviteCode.objects.create(
        neighbourhood=w.hood(marker),
        expires_at=now + timedelta(days=1),
        used_by=person,
        used_at=now,
    )
    return marker


def _reported(w: World, person: User, marker: str) -> str:
    w.problem(marker, reporter=person)
    return marker


def _support(w: World, person: User, marker: str) -> str:
    Support.objects.create(problem=w.problem(marker), user=person)
    return marker


def _follow(w: World, person: User, marker: str) -> str:
    Follow.objects.create(problem=w.problem(marker), user=person)
    return marker


def _reopen_request(w: World, person: User, marker: str) -> str:
    ReopenRequest.objects.create(problem=w.problem("Terug"), user=person, note=marker)
    return marker


def _survey_answer(w: World, person: User, marker: str) -> str:
    problem = w.problem("Opgelost")
    resolution = TimelineEntry.objects.create(problem=problem, move=Move.RESOLVE)
    SurveyAnswer.objects.create(
        problem=problem, resolution=resolution, user=person, answer="better", remark=marker
    )
    return marker


def _ballot(w: World, person: User, marker: str) -> str:
    meeting = w.meeting()
    round_ = PriorityRound.objects.create(
        meeting=meeting, neighbourhood=meeting.neighbourhood, points=5, max_per_problem=3
    )
    candidate = RoundCandidate.objects.create(round=round_, problem=w.problem(marker))
    ballot = Ballot.objects.create(round=round_, voter=person, source=Ballot.Source.ONLINE)
    BallotPoint.objects.create(ballot=ballot, candidate=candidate, points=3)
    return marker


def _action_owner(w: World, person: User, marker: str) -> str:
    w.action(marker, owner_person=person)
    return marker


def _action_contact(w: World, person: User, marker: str) -> str:
    w.action(marker, contact_person=person)
    return marker


def _action_update(w: World, person: User, marker: str) -> str:
    action = w.action("Glasbak vaker legen")
    ActionUpdate.objects.create(
        action=action, kind=ActionUpdate.Kind.PROGRESS, text=marker, author=person
    )
    return marker


def _volunteer(w: World, person: User, marker: str) -> str:
    Volunteer.objects.create(action=w.action(marker), user=person)
    return marker


def _delivery(w: World, person: User, marker: str) -> str:
    mailing = Mailing.objects.create(kind=MeetingMail.AGENDA, template="agenda")
    address = f"{marker}@example.nl"
    Delivery.objects.create(mailing=mailing, user=person, email=address)
    return address


def _meeting_chair(w: World, person: User, marker: str) -> str:
    w.meeting(marker, chair=person)
    return marker


def _meeting_minute_taker(w: World, person: User, marker: str) -> str:
    w.meeting(marker, minute_taker=person)
    return marker


def _agenda_proposal(w: World, person: User, marker: str) -> str:
    AgendaProposal.objects.create(meeting=w.meeting(), proposed_by=person, title=marker)
    return marker


def _rsvp(w: World, person: User, marker: str) -> str:
    Rsvp.objects.create(meeting=w.meeting(marker), user=person, answer=Rsvp.Answer.YES)
    return marker


def _attendance(w: World, person: User, marker: str) -> str:
    Attendance.objects.create(meeting=w.meeting(marker), user=person, kind=Attendance.Kind.RESIDENT)
    return marker


def _named_in_minutes(w: World, person: User, marker: str) -> str:
    meeting = w.meeting(marker)
    minutes = Minutes.objects.create(meeting=meeting, neighbourhood=meeting.neighbourhood)
    version = MinutesVersion.objects.create(minutes=minutes, number=1, body="<p>Notulen</p>")
    version.named_people.add(person)
    return marker


def _mail_preference(w: World, person: User, marker: str) -> str:
    MailPreference.objects.create(
        user=person, neighbourhood=w.hood(marker), topic=MailTopic.DIGEST, enabled=False
    )
    return marker


# Proved to be in the export: each makes one row for the person and returns what to look for.
PROBES: dict[str, Probe] = {
    "account.EmailAddress.user": _email,
    "mfa.Authenticator.user": _authenticator,
    "residents.User.groups": _group,
    "residents.User.user_permissions": _permission,
    "residents.Membership.user": _membership,
    "residents.Coordinator.user": _coordinator,
    "residents.InviteCode.used_by": _invite_code_used,
    "residents.MailPreference.user": _mail_preference,
    "problems.Problem.reporter": _reported,
    "problems.Support.user": _support,
    "problems.Follow.user": _follow,
    "problems.ReopenRequest.user": _reopen_request,
    "meetings.SurveyAnswer.user": _survey_answer,
    "meetings.Ballot.voter": _ballot,
    "meetings.Action.owner_person": _action_owner,
    "meetings.Action.contact_person": _action_contact,
    "meetings.ActionUpdate.author": _action_update,
    "meetings.Volunteer.user": _volunteer,
    "mail.Delivery.user": _delivery,
    "meetings.Meeting.chair": _meeting_chair,
    "meetings.Meeting.minute_taker": _meeting_minute_taker,
    "meetings.AgendaProposal.proposed_by": _agenda_proposal,
    "meetings.Rsvp.user": _rsvp,
    "meetings.Attendance.user": _attendance,
    "meetings.MinutesVersion.named_people": _named_in_minutes,
}


def exported(user: User) -> str:
    """The export as the download serialises it."""
    return json.dumps(user_export_data(user=user), cls=DjangoJSONEncoder, ensure_ascii=False)


def marker_for(key: str, batch: str = "") -> str:
    return f"mark{batch}-{key.replace('.', '-').replace('_', '-').lower()}"


def test_every_field_that_points_at_a_person_is_classified():
    fields = person_fields()
    assert all(len(reason.split()) >= 4 for reason in EXCLUSIONS.values())
    unclassified = sorted(fields - PROBES.keys() - EXCLUSIONS.keys())
    assert not unclassified, (
        "These fields point at a person but are neither in the data export (add them to an "
        "export section and a probe here) nor in EXCLUSIONS with a reason: "
        f"{unclassified}"
    )
    assert not PROBES.keys() & EXCLUSIONS.keys()
    stale = sorted((PROBES.keys() | EXCLUSIONS.keys()) - fields)
    assert not stale, f"Classified but no longer a field that points at a person: {stale}"


def test_the_enumeration_sees_every_kind_of_relation():
    # Guards the guard: a foreign key, a many-to-many of the user model itself and of another
    # model, in this project and in allauth; never a many-to-many's hidden table.
    fields = person_fields()
    assert {
        "meetings.Ballot.voter",
        "residents.User.groups",
        "meetings.MinutesVersion.named_people",
        "account.EmailAddress.user",
    } <= fields
    for key in fields:
        app_label, model_name, _field = key.split(".")
        assert not apps.get_model(app_label, model_name)._meta.auto_created, key


@pytest.mark.parametrize("key", sorted(PROBES))
def test_a_row_that_points_at_the_person_is_in_their_export_only(personas, key):
    person, other = personas.resident, personas.second_resident
    marker = marker_for(key)
    assert marker not in exported(person)
    expected = PROBES[key](World(personas), person, marker)
    assert expected in exported(person), f"{key}: the row is not in the person's export"
    assert expected not in exported(other), f"{key}: the row is in someone else's export"


def test_export_queries_do_not_grow_with_the_data(personas, django_assert_num_queries):
    world, person = World(personas), personas.resident
    for key, probe in PROBES.items():
        probe(world, person, marker_for(key, "a"))
    with CaptureQueriesContext(connection) as first:
        user_export_data(user=person)
    expected = [probe(world, person, marker_for(key, "b")) for key, probe in PROBES.items()]
    with django_assert_num_queries(len(first.captured_queries)):
        body = exported(person)
    assert all(text in body for text in expected)


def test_the_export_names_nobody_else(personas):
    """Every row of the person's export, with every other person-field on it (who typed it
    in, who decided, the owner of their action, others named in their minutes) filled with
    somebody else: none of their names or addresses reaches the export."""
    world, person = World(personas), personas.resident
    for key, probe in PROBES.items():
        probe(world, person, marker_for(key))
    others = [personas.chair, personas.second_resident, personas.wijkagent]
    for key in PROBES.keys() | EXCLUSIONS.keys():
        app_label, model_name, field_name = key.split(".")
        model = apps.get_model(app_label, model_name)
        if model is User:
            continue  # User.groups and the like: the person's own
        if model._meta.get_field(field_name).many_to_many:
            for row in model._default_manager.all():
                getattr(row, field_name).add(*others)
        else:  # only where empty: the rows that are the person's stay theirs
            model._default_manager.filter(**{field_name: None}).update(**{field_name: others[0]})
    body = exported(person)
    for other in others:
        assert other.display_name not in body
        assert other.email not in body


def test_the_reporter_gets_their_confidential_details_and_since(personas, login):
    problem = World(personas).problem("Dealen bij het speeltuintje", reporter=personas.resident)
    Problem.objects.filter(pk=problem.pk).update(
        sensitive=True,
        public_summary="Overlast bij de speeltuin",
        confidential_details="Het gaat om nummer 14, de zwarte auto",
        since="sinds de zomer van 2025",
    )
    response = login(personas.resident).get(reverse("account:my_data_export"))
    [report] = json.loads(response.content)["problems"]["reported"]
    assert report["confidential_details"] == "Het gaat om nummer 14, de zwarte auto"
    assert report["since"] == "sinds de zomer van 2025"
    assert report["sensitive"] is True
    assert report["public_summary"] == "Overlast bij de speeltuin"
    other = exported(personas.second_resident)
    assert "zwarte auto" not in other and "zomer van 2025" not in other


def test_a_ballot_shows_only_ones_own_points_and_not_who_typed_it_in(personas):
    world = World(personas)
    meeting = world.meeting()
    round_ = PriorityRound.objects.create(
        meeting=meeting, neighbourhood=meeting.neighbourhood, points=5, max_per_problem=3
    )
    mine = RoundCandidate.objects.create(round=round_, problem=world.problem("Glasbak"))
    theirs = RoundCandidate.objects.create(
        round=round_, problem=world.problem("Hondenpoep"), position=1
    )
    paper = Ballot.objects.create(
        round=round_, voter=personas.resident, source="paper", entered_by=personas.chair
    )
    BallotPoint.objects.create(ballot=paper, candidate=mine, points=3)
    other = Ballot.objects.create(round=round_, voter=personas.second_resident, source="online")
    BallotPoint.objects.create(ballot=other, candidate=theirs, points=2)

    [ballot] = user_export_data(user=personas.resident)["ballots"]
    assert ballot["neighbourhood"] == "Kanaleneiland-Noord"
    assert ballot["meeting"] == timezone.localtime(meeting.starts_at).isoformat()
    assert ballot["source"] == "paper"
    assert ballot["points"] == [{"problem": "Glasbak", "points": 3}]
    body = exported(personas.resident)
    assert "Hondenpoep" not in body and personas.chair.display_name not in body
    # Typing in someone's paper ballot does not put their vote in the typist's export.
    assert user_export_data(user=personas.chair)["ballots"] == []
