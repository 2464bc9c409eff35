"""Planning a meeting through meetings.services: the default CAPS agenda, "New
problems", reordering, publishing, proposals, RSVPs, and the mails when a meeting is moved or
cancelled."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.utils import timezone, translation
from django.utils.formats import date_format

from buurtoverleg.mail.models import Delivery, Mailing
from meetings import services
from meetings.mail_kinds import MeetingMail
from meetings.planning.models import AgendaItem, AgendaProposal, Meeting, Rsvp
from meetings.services import DEFAULT_AGENDA, MeetingStateError
from problems.models import Category, Problem
from problems.services import problem_report, problem_transition
from problems.workflow import Status
from residents.mail_preferences import mail_preference_set
from residents.models import Membership, Role
from tests.conftest import make_person
from tests.factories import PATH_TO

Kind = AgendaItem.Kind
AMSTERDAM = ZoneInfo(settings.TIME_ZONE)


def field_codes(refused: pytest.ExceptionInfo[ValidationError]) -> dict[str, list[str | None]]:
    """The codes of a refusal about fields of a form, per field."""
    return {field: [e.code for e in errors] for field, errors in refused.value.error_dict.items()}


def local(days: int, hour: int = 19, minute: int = 30) -> datetime:
    day = timezone.localdate() + timedelta(days=days)
    return datetime.combine(day, time(hour, minute), tzinfo=AMSTERDAM)


@pytest.fixture
def problem_in(personas: Any):
    """problem_in(status, title=..., neighbourhood=..., accepted_days_ago=...)"""

    def _make(
        status: str = Status.ACCEPTED,
        *,
        title: str = "Zwerfvuil bij de glasbak",
        neighbourhood: Any = None,
        accepted_days_ago: int | None = None,
    ) -> Problem:
        problem = problem_report(
            neighbourhood=neighbourhood or personas.hood,
            reporter=personas.resident,
            category=Category.objects.get(slug="zwerfvuil"),
            title=title,
            description="Elke maandag ligt er afval naast de glasbak.",
            street="Marshalllaan",
        )
        for move, actors in PATH_TO[status]:
            problem_transition(
                problem=problem,
                move=move,
                actor=personas.chair if "chair" in actors else None,
                actors=actors,
                public_note="Reden",
            )
        if accepted_days_ago is not None:
            Problem.objects.filter(pk=problem.pk).update(
                accepted_at=timezone.now() - timedelta(days=accepted_days_ago)
            )
        problem.refresh_from_db()
        return problem

    return _make


@pytest.fixture
def meeting(personas: Any) -> Meeting:
    return services.meeting_create(
        neighbourhood=personas.hood,
        starts_at=local(10),
        ends_at=local(10, 21, 30),
        place="Buurthuis De Linde",
    )


def kinds(meeting: Meeting) -> list[str]:
    return list(meeting.items.order_by("position").values_list("kind", flat=True))


def titles(meeting: Meeting) -> list[str]:
    return [item.heading for item in meeting.items.order_by("position", "pk")]


# --- The default agenda ----------------------------------------------------------------------


def test_a_new_meeting_gets_the_eight_caps_items_with_their_time_boxes(meeting):
    items = list(meeting.items.order_by("position"))
    assert [(i.kind, i.minutes) for i in items] == [
        (Kind.OPENING, 5),
        (Kind.REPORT_BACK, 20),
        (Kind.STATE, 10),
        (Kind.NEW_PROBLEMS, 15),
        (Kind.PRIORITISE, 15),
        (Kind.APPROACH, 25),
        (Kind.ANY_OTHER, 10),
        (Kind.CLOSING, 5),
    ]
    assert [i.position for i in items] == list(range(1, 9))
    assert len(DEFAULT_AGENDA) == 8


def test_the_default_agenda_is_not_added_twice(meeting):
    assert services.agenda_default_create(meeting=meeting) == []
    assert meeting.items.count() == 8


# --- New problems ------------------------------------------------------------------------------


def test_new_problems_holds_candidates_and_problems_accepted_since_the_last_meeting(
    personas, problem_in
):
    Meeting.objects.create(
        neighbourhood=personas.hood,
        starts_at=local(-20),
        ends_at=local(-20, 21, 30),
        status=Meeting.Status.CLOSED,
    )
    candidate = problem_in(Status.CANDIDATE, title="Kandidaat", accepted_days_ago=90)
    recent = problem_in(Status.ACCEPTED, title="Pas geaccepteerd", accepted_days_ago=5)
    problem_in(Status.ACCEPTED, title="Voor het vorige overleg", accepted_days_ago=40)
    problem_in(Status.NEW, title="Nog niet bekeken")
    problem_in(Status.PRIORITY, title="Al een prioriteit", accepted_days_ago=2)
    problem_in(Status.ACCEPTED, title="Andere buurt", neighbourhood=personas.other_hood)
    meeting = services.meeting_create(
        neighbourhood=personas.hood, starts_at=local(10), ends_at=local(10, 21), place=""
    )
    item = meeting.items.get(kind=Kind.NEW_PROBLEMS)
    assert set(item.problems.values_list("pk", flat=True)) == {candidate.pk, recent.pk}


def test_a_cancelled_meeting_does_not_count_as_the_last_meeting(personas, problem_in):
    Meeting.objects.create(
        neighbourhood=personas.hood,
        starts_at=local(-20),
        ends_at=local(-20, 21),
        status=Meeting.Status.CLOSED,
    )
    Meeting.objects.create(
        neighbourhood=personas.hood,
        starts_at=local(-3),
        ends_at=local(-3, 21),
        status=Meeting.Status.CANCELLED,
    )
    between = problem_in(Status.ACCEPTED, title="Tussen de overleggen", accepted_days_ago=10)
    meeting = services.meeting_create(
        neighbourhood=personas.hood, starts_at=local(10), ends_at=local(10, 21), place=""
    )
    item = meeting.items.get(kind=Kind.NEW_PROBLEMS)
    assert list(item.problems.values_list("pk", flat=True)) == [between.pk]


def test_refreshing_new_problems_adds_what_is_new_and_keeps_the_chairs_choice(meeting, problem_in):
    item = meeting.items.get(kind=Kind.NEW_PROBLEMS)
    chosen = problem_in(Status.ACCEPTED, title="Gekozen", accepted_days_ago=200)
    services.agenda_item_problems_set(item=item, problems=[chosen])
    fresh = problem_in(Status.CANDIDATE, title="Nieuw kandidaat")
    assert services.agenda_new_problems_fill(meeting=meeting) == 1
    assert services.agenda_new_problems_fill(meeting=meeting) == 0
    assert list(item.links.order_by("position").values_list("problem_id", flat=True)) == [
        chosen.pk,
        fresh.pk,
    ]


def test_only_public_problems_of_the_meetings_neighbourhood_go_under_an_item(
    meeting, personas, problem_in
):
    item = meeting.items.get(kind=Kind.APPROACH)
    with pytest.raises(ValidationError) as hidden:  # e.g. hidden since the list was shown
        services.agenda_item_problems_set(item=item, problems=[problem_in(Status.NEW)])
    assert field_codes(hidden) == {"problems": ["problem_not_public"]}
    with pytest.raises(ValueError):  # another neighbourhood's: a mistake in the code
        services.agenda_item_problems_set(
            item=item, problems=[problem_in(neighbourhood=personas.other_hood)]
        )
    assert not item.links.exists()


# --- Editing and reordering ----------------------------------------------------------------


def test_moving_an_item_up_and_down_swaps_it_with_its_neighbour(meeting):
    state = meeting.items.get(kind=Kind.STATE)
    assert services.agenda_item_move(item=state, direction="up") is True
    assert kinds(meeting)[:3] == [Kind.OPENING, Kind.STATE, Kind.REPORT_BACK]
    assert services.agenda_item_move(item=state, direction="down") is True
    assert kinds(meeting)[:3] == [Kind.OPENING, Kind.REPORT_BACK, Kind.STATE]
    positions = list(meeting.items.order_by("position").values_list("position", flat=True))
    assert positions == list(range(1, 9))


def test_moving_past_the_top_or_bottom_changes_nothing(meeting):
    first = meeting.items.get(kind=Kind.OPENING)
    last = meeting.items.get(kind=Kind.CLOSING)
    before = kinds(meeting)
    assert services.agenda_item_move(item=first, direction="up") is False
    assert services.agenda_item_move(item=last, direction="down") is False
    assert kinds(meeting) == before


def test_an_added_item_goes_before_any_other_business(meeting):
    item = services.agenda_item_add(meeting=meeting, title="Speeltuin", minutes=7)
    assert kinds(meeting)[-3:] == [Kind.OTHER, Kind.ANY_OTHER, Kind.CLOSING]
    assert titles(meeting)[-3] == "Speeltuin" and item.minutes == 7


def test_the_agenda_of_a_closed_meeting_cannot_be_changed(meeting):
    Meeting.objects.filter(pk=meeting.pk).update(status=Meeting.Status.CLOSED)
    meeting.refresh_from_db()
    item = meeting.items.first()
    with pytest.raises(MeetingStateError) as adding:
        services.agenda_item_add(meeting=meeting, title="Te laat")
    with pytest.raises(MeetingStateError) as moving:
        services.agenda_item_move(item=item, direction="down")
    with pytest.raises(MeetingStateError) as removing:
        services.agenda_item_remove(item=item)
    codes = {adding.value.code, moving.value.code, removing.value.code}
    assert codes == {"agenda_not_editable"}


# --- Publishing --------------------------------------------------------------------------------


def test_publishing_makes_the_agenda_public_once(meeting):
    version = meeting.version
    published = services.agenda_publish(meeting=meeting)
    assert published.status == Meeting.Status.AGENDA_PUBLISHED
    assert published.agenda_public and published.agenda_published_at is not None
    assert published.version > version
    with pytest.raises(MeetingStateError) as again:
        services.agenda_publish(meeting=published)
    assert again.value.code == "agenda_not_publishable"


def test_unpublishing_makes_it_a_draft_again(meeting):
    services.agenda_publish(meeting=meeting)
    draft = services.agenda_unpublish(meeting=meeting)
    assert draft.status == Meeting.Status.PLANNED and not draft.agenda_public
    with pytest.raises(MeetingStateError) as again:
        services.agenda_unpublish(meeting=draft)
    assert again.value.code == "agenda_not_unpublishable"


# --- Proposals ---------------------------------------------------------------------------------


def test_an_accepted_proposal_becomes_an_item_with_its_time_box(meeting, personas):
    proposal = services.proposal_create(
        meeting=meeting, by=personas.resident, title="Hondenpoep", description="Overal."
    )
    decided = services.proposal_decide(
        proposal=proposal, accept=True, by=personas.chair, minutes=12
    )
    assert decided.status == AgendaProposal.Status.ACCEPTED and decided.item is not None
    assert (decided.item.title, decided.item.description, decided.item.minutes) == (
        "Hondenpoep",
        "Overal.",
        12,
    )
    assert kinds(meeting)[-3:] == [Kind.OTHER, Kind.ANY_OTHER, Kind.CLOSING]
    assert decided.decided_by == personas.chair


def test_a_declined_proposal_needs_a_reason_and_adds_nothing(meeting, personas):
    proposal = services.proposal_create(meeting=meeting, by=personas.resident, title="Iets")
    with pytest.raises(ValidationError) as refused:
        services.proposal_decide(proposal=proposal, accept=False, by=personas.chair, reason=" ")
    assert field_codes(refused) == {"reason": ["reason_required"]}
    proposal.refresh_from_db()
    assert proposal.status == AgendaProposal.Status.PENDING
    decided = services.proposal_decide(
        proposal=proposal, accept=False, by=personas.chair, reason="Staat al op de agenda"
    )
    assert decided.status == AgendaProposal.Status.DECLINED
    assert decided.reason == "Staat al op de agenda"
    assert meeting.items.count() == 8


def test_a_proposal_is_decided_once(meeting, personas):
    proposal = services.proposal_create(meeting=meeting, by=personas.resident, title="Iets")
    services.proposal_decide(proposal=proposal, accept=True, by=personas.chair)
    with pytest.raises(MeetingStateError) as again:
        services.proposal_decide(proposal=proposal, accept=True, by=personas.chair)
    assert again.value.code == "proposal_decided"
    assert meeting.items.count() == 9


def test_a_proposal_is_not_accepted_once_the_agenda_is_closed(meeting, personas):
    proposal = services.proposal_create(meeting=meeting, by=personas.resident, title="Iets")
    Meeting.objects.filter(pk=meeting.pk).update(status=Meeting.Status.CLOSED)
    with pytest.raises(MeetingStateError) as refused:
        services.proposal_decide(proposal=proposal, accept=True, by=personas.chair)
    assert refused.value.code == "agenda_not_editable"
    assert refused.value.messages == [str(services.NOT_DECIDABLE)]
    proposal.refresh_from_db()
    assert proposal.status == AgendaProposal.Status.PENDING


def test_no_proposals_for_a_cancelled_meeting(meeting, personas):
    services.meeting_cancel(meeting=meeting, reason="Zaal niet beschikbaar", by=personas.chair)
    meeting.refresh_from_db()
    with pytest.raises(MeetingStateError) as refused:
        services.proposal_create(meeting=meeting, by=personas.resident, title="Iets")
    assert refused.value.code == "proposals_closed"


# --- RSVP --------------------------------------------------------------------------------------


def test_each_person_answers_once_and_can_change_it(meeting, personas):
    services.rsvp_set(meeting=meeting, user=personas.resident, answer=Rsvp.Answer.YES)
    services.rsvp_set(meeting=meeting, user=personas.resident, answer=Rsvp.Answer.NO)
    services.rsvp_set(meeting=meeting, user=personas.second_resident, answer=Rsvp.Answer.MAYBE)
    answers = dict(Rsvp.objects.filter(meeting=meeting).values_list("user_id", "answer"))
    assert answers == {personas.resident.pk: "no", personas.second_resident.pk: "maybe"}


def test_an_unknown_answer_or_a_cancelled_meeting_is_refused(meeting, personas):
    with pytest.raises(ValueError):  # the form offers the answers: a mistake in the code
        services.rsvp_set(meeting=meeting, user=personas.resident, answer="perhaps")
    services.meeting_cancel(meeting=meeting, reason="Geen zaal", by=personas.chair)
    meeting.refresh_from_db()
    with pytest.raises(MeetingStateError) as refused:
        services.rsvp_set(meeting=meeting, user=personas.resident, answer=Rsvp.Answer.YES)
    assert refused.value.code == "rsvp_closed"
    assert not Rsvp.objects.exists()


# --- Moving and cancelling: one mailing, to the right people ---------------------------------


@pytest.fixture
def audience(personas, meeting):
    """Who is told: members who did not turn the agenda mail off, even if they said they would
    come (a "no" is never overruled)."""
    quiet_coming = make_person("Stille Komer", "komer@example.nl")
    quiet_away = make_person("Stille Wegblijver", "weg@example.nl")
    for person in (quiet_coming, quiet_away):
        Membership.objects.create(
            user=person, neighbourhood=personas.hood, role=Role.RESIDENT, status="active"
        )
        mail_preference_set(user=person, neighbourhood=personas.hood, topic="agenda", enabled=False)
    services.rsvp_set(meeting=meeting, user=quiet_coming, answer=Rsvp.Answer.MAYBE)
    services.rsvp_set(meeting=meeting, user=quiet_away, answer=Rsvp.Answer.NO)
    expected = {
        p.email
        for p in (
            personas.resident,
            personas.second_resident,
            personas.chair,
            personas.minute_taker,
            personas.wijkagent,
            personas.housing_contact,
            personas.office,
        )
    }
    return expected


def deliveries(mailing: Mailing) -> set[str]:
    return set(mailing.deliveries.values_list("email", flat=True))


def test_moving_a_meeting_sends_one_mailing_to_the_right_people(meeting, personas, audience):
    first_start = meeting.starts_at
    moved = services.meeting_move(
        meeting=meeting,
        starts_at=local(17),
        ends_at=local(17, 21, 30),
        place="Wijkcentrum Kanaleneiland",
        by=personas.chair,
    )
    assert moved.moved_from == first_start and moved.starts_at == local(17)
    [mailing] = Mailing.objects.filter(kind=MeetingMail.MEETING_MOVED)
    assert mailing.subject == moved and mailing.template == "emails/meeting_moved"
    assert not mailing.transactional and mailing.created_by == personas.chair
    assert deliveries(mailing) == audience
    assert personas.paper_resident.email is None  # no address: told on paper, not here


def test_moving_to_the_same_date_time_and_place_sends_nothing(meeting, personas, audience):
    services.meeting_move(
        meeting=meeting,
        starts_at=meeting.starts_at,
        ends_at=meeting.ends_at,
        place=meeting.place,
        by=personas.chair,
    )
    assert not Mailing.objects.exists()
    meeting.refresh_from_db()
    assert meeting.moved_from is None


def test_moving_twice_keeps_the_first_date_as_moved_from(meeting, personas):
    first_start = meeting.starts_at
    services.meeting_move(
        meeting=meeting, starts_at=local(17), ends_at=local(17, 21), place="", by=personas.chair
    )
    moved = services.meeting_move(
        meeting=meeting, starts_at=local(24), ends_at=local(24, 21), place="", by=personas.chair
    )
    assert moved.moved_from == first_start
    assert Mailing.objects.filter(kind=MeetingMail.MEETING_MOVED).count() == 2


def test_a_meeting_that_ends_before_it_starts_is_refused(meeting, personas):
    with pytest.raises(ValidationError) as refused:
        services.meeting_move(
            meeting=meeting, starts_at=local(17), ends_at=local(17, 18), place="", by=personas.chair
        )
    assert field_codes(refused) == {"ends_at": ["ends_before_start"]}
    assert not Mailing.objects.exists()


def test_cancelling_sends_one_mailing_with_the_reason(meeting, personas, audience):
    cancelled = services.meeting_cancel(
        meeting=meeting, reason="  De zaal is niet beschikbaar  ", by=personas.chair
    )
    assert cancelled.status == Meeting.Status.CANCELLED
    assert cancelled.cancelled_reason == "De zaal is niet beschikbaar"
    [mailing] = Mailing.objects.all()
    assert mailing.kind == MeetingMail.MEETING_CANCELLED
    assert mailing.template == "emails/meeting_cancelled"
    assert deliveries(mailing) == audience
    with pytest.raises(MeetingStateError) as again:
        services.meeting_cancel(meeting=cancelled, reason="Nog eens", by=personas.chair)
    assert again.value.code == "meeting_not_cancellable"
    assert Mailing.objects.count() == 1


def test_cancelling_without_a_reason_is_refused(meeting, personas):
    with pytest.raises(ValidationError) as refused:
        services.meeting_cancel(meeting=meeting, reason="   ", by=personas.chair)
    assert field_codes(refused) == {"reason": ["reason_required"]}
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.PLANNED and not Mailing.objects.exists()


def _sent(personas, django_capture_on_commit_callbacks, action) -> dict[str, Any]:
    personas.second_resident.language = "en"
    personas.second_resident.save()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        action()
    assert Delivery.objects.exclude(status=Delivery.Status.SENT).count() == 0
    by_address = {}
    for message in mail.outbox:
        assert isinstance(message, EmailMultiAlternatives)
        [(html, _type)] = message.alternatives
        by_address[message.to[0]] = {
            "subject": str(message.subject),
            "text": str(message.body),
            "html": str(html),
            "headers": message.extra_headers,
        }
    return by_address


def test_the_moved_mail_names_the_new_date_in_each_recipients_language(
    meeting, personas, django_capture_on_commit_callbacks
):
    new_start = local(17)
    sent = _sent(
        personas,
        django_capture_on_commit_callbacks,
        lambda: services.meeting_move(
            meeting=meeting,
            starts_at=new_start,
            ends_at=local(17, 21),
            place="Wijkcentrum",
            by=personas.chair,
        ),
    )
    dutch, english = sent[personas.resident.email], sent[personas.second_resident.email]
    with translation.override("nl"):
        nl_date = date_format(timezone.localtime(new_start), "l j F")
    with translation.override("en"):
        en_date = date_format(timezone.localtime(new_start), "l j F")
    assert nl_date in dutch["subject"] and nl_date in dutch["text"] and nl_date in dutch["html"]
    assert en_date in english["subject"] and en_date in english["text"]
    assert "19:30" in dutch["text"] and "Wijkcentrum" in dutch["html"]
    for message in (dutch, english):
        assert f"/overleg/{meeting.pk}/" in message["text"]
        assert f"/overleg/{meeting.pk}/" in message["html"]
        unsubscribe = message["headers"]["List-Unsubscribe"].strip("<>")
        assert unsubscribe in message["text"] and unsubscribe in message["html"]


def test_the_cancelled_mail_gives_the_reason_and_an_unsubscribe_link(
    meeting, personas, django_capture_on_commit_callbacks
):
    sent = _sent(
        personas,
        django_capture_on_commit_callbacks,
        lambda: services.meeting_cancel(
            meeting=meeting, reason="De zaal is afgebrand", by=personas.chair
        ),
    )
    assert len(sent) == 7
    for message in sent.values():
        assert "De zaal is afgebrand" in message["text"]
        assert "De zaal is afgebrand" in message["html"]
        unsubscribe = message["headers"]["List-Unsubscribe"].strip("<>")
        assert unsubscribe in message["text"] and unsubscribe in message["html"]
