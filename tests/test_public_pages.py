"""The writes that change a public page tell the listeners which neighbourhood changed, once
their transaction commits (buurtoverleg.public_pages); other writes and failed ones tell
nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from buurtoverleg import public_pages
from buurtoverleg.public_pages import PUBLIC_WRITES, neighbourhoods_touched, on_public_change
from meetings import services as meeting_services
from meetings.actions.models import ActionStatus
from meetings.actions.services import action_create, action_status_set
from meetings.minutes import services as minutes_services
from meetings.minutes.models import Minutes, MinutesVersion
from meetings.planning.models import Meeting
from problems.models import Category, Problem, TimelineEntry
from problems.services import problem_follow, problem_report, problem_support, problem_transition
from problems.workflow import ROUND, Move
from residents.mail_preferences import mail_preference_set
from residents.models import MailTopic, Neighbourhood, Role
from residents.privacy import user_update_profile
from residents.services import membership_roles_set

# Every service marked @changes_public_pages. A mark removed (or added) shows here.
MARKED = [
    "meetings.actions.services.action_create",
    "meetings.actions.services.action_delay_note",
    "meetings.actions.services.action_due_date_move",
    "meetings.actions.services.action_edit",
    "meetings.actions.services.action_progress_post",
    "meetings.actions.services.action_status_set",
    "meetings.actions.services.analysis_save",
    "meetings.actions.services.judgement_record",
    "meetings.actions.services.priority_resolve",
    "meetings.actions.services.volunteer_sign_up",
    "meetings.actions.services.volunteer_withdraw",
    "meetings.minutes.services.minutes_person_withdrawn",
    "meetings.minutes.services.minutes_publish",
    "meetings.minutes.services.minutes_render",
    "meetings.planning.schedule.meetings_plan_from_rhythm",
    "meetings.rounds.services.ballot_cast",
    "meetings.rounds.services.hand_count_set",
    "meetings.rounds.services.round_candidate_add",
    "meetings.rounds.services.round_candidate_remove",
    "meetings.rounds.services.round_close",
    "meetings.rounds.services.round_open",
    "meetings.rounds.services.round_results_show",
    "meetings.services.agenda_default_create",
    "meetings.services.agenda_item_add",
    "meetings.services.agenda_item_edit",
    "meetings.services.agenda_item_move",
    "meetings.services.agenda_item_problems_set",
    "meetings.services.agenda_item_remove",
    "meetings.services.agenda_new_problems_fill",
    "meetings.services.agenda_publish",
    "meetings.services.agenda_unpublish",
    "meetings.services.meeting_cancel",
    "meetings.services.meeting_close",
    "meetings.services.meeting_create",
    "meetings.services.meeting_move",
    "meetings.services.meeting_start",
    "problems.services.problem_confirm_chronic",
    "problems.services.problem_edit",
    "problems.services.problem_reopen_request",
    "problems.services.problem_support",
    "problems.services.problem_support_withdraw",
    "problems.services.problem_transition",
    "residents.privacy.membership_leave",
    "residents.privacy.user_delete_account",
    "residents.privacy.user_update_profile",
    "residents.services.membership_roles_set",
]


@pytest.fixture
def told() -> Iterator[list[int]]:
    """The neighbourhood ids a listener is told, in order; the listener is removed after."""
    heard: list[int] = []
    on_public_change(heard.append)
    yield heard
    public_pages._listeners.remove(heard.append)


def report(personas: Any, hood: Neighbourhood | None = None, *moves: Move) -> Problem:
    problem = problem_report(
        neighbourhood=hood or personas.hood,
        reporter=personas.resident,
        category=Category.objects.get(slug="zwerfvuil"),
        title="Zwerfvuil bij de glasbak",
        description="Elke maandag ligt er afval naast de glasbak.",
        street="Marshalllaan",
    )
    for move in moves:
        actors = {ROUND} if move == Move.PRIORITISE else {Role.CHAIR}
        problem_transition(problem=problem, move=move, actor=personas.chair, actors=actors)
    problem.refresh_from_db()
    return problem


def plan(personas: Any, days: int = 10) -> Meeting:
    starts = timezone.now() + timedelta(days=days)
    return meeting_services.meeting_create(
        neighbourhood=personas.hood,
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        place="De Linde",
    )


def test_the_marked_services_are_all_listed_once_django_is_set_up() -> None:
    assert sorted(PUBLIC_WRITES) == MARKED


def test_the_listed_entries_are_the_marked_services_themselves() -> None:
    assert PUBLIC_WRITES["problems.services.problem_transition"] is problem_transition
    assert PUBLIC_WRITES["meetings.services.agenda_publish"] is (meeting_services.agenda_publish)


# --- Writes that change a public page ---------------------------------------------------------


def test_moderating_a_problem_tells_its_neighbourhood_after_commit(
    personas, told, django_capture_on_commit_callbacks
):
    problem = report(personas, personas.other_hood)
    assert told == []  # a new report is not public
    with django_capture_on_commit_callbacks(execute=True):
        problem_transition(
            problem=problem, move=Move.ACCEPT, actor=personas.outsider_chair, actors={Role.CHAIR}
        )
        assert told == []  # not before the commit
    assert told == [personas.other_hood.pk]


def test_supporting_a_problem_tells_its_neighbourhood(
    personas, told, django_capture_on_commit_callbacks
):
    problem = report(personas, None, Move.ACCEPT)
    told.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert problem_support(problem=problem, user=personas.second_resident)
    assert told == [personas.hood.pk]


def test_a_refused_transition_tells_nothing(personas, told, django_capture_on_commit_callbacks):
    problem = report(personas)
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(PermissionDenied),
    ):
        problem_transition(
            problem=problem, move=Move.RESOLVE, actor=personas.chair, actors={Role.CHAIR}
        )
    assert told == []
    assert callbacks == []


def test_publishing_an_agenda_tells_the_meetings_neighbourhood(
    personas, told, django_capture_on_commit_callbacks
):
    meeting = plan(personas)
    told.clear()
    with django_capture_on_commit_callbacks(execute=True):
        meeting_services.agenda_publish(meeting=meeting)
        assert told == []
    # The agenda's own steps are marked too: each tells the same neighbourhood.
    assert told and set(told) == {personas.hood.pk}


def test_a_refused_agenda_publication_tells_nothing(
    personas, told, django_capture_on_commit_callbacks
):
    meeting = plan(personas)
    meeting_services.meeting_cancel(meeting=meeting, reason="Geen zaal", by=personas.chair)
    told.clear()
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(meeting_services.MeetingStateError),
    ):
        meeting_services.agenda_publish(meeting=meeting)
    assert told == []


def _rendered_version(personas: Any, *, done: bool = True) -> MinutesVersion:
    meeting = plan(personas, days=-1)
    Meeting.objects.filter(pk=meeting.pk).update(status=Meeting.Status.CLOSED)
    minutes = Minutes.objects.create(
        meeting=meeting, neighbourhood=personas.hood, body="<p>Notulen</p>"
    )
    return MinutesVersion.objects.create(
        minutes=minutes,
        number=1,
        body=minutes.body,
        render_status=MinutesVersion.RenderStatus.DONE
        if done
        else MinutesVersion.RenderStatus.QUEUED,
    )


def test_publishing_minutes_tells_the_neighbourhood(
    personas, told, django_capture_on_commit_callbacks
):
    version = _rendered_version(personas)
    told.clear()
    with django_capture_on_commit_callbacks(execute=True):
        minutes_services.minutes_publish(MinutesVersion.objects.get(pk=version.pk), personas.chair)
        assert told == []
    assert told == [personas.hood.pk]


def test_minutes_not_yet_made_are_not_published_and_tell_nothing(
    personas, told, django_capture_on_commit_callbacks
):
    version = _rendered_version(personas, done=False)
    told.clear()
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError):
        minutes_services.minutes_publish(version, personas.chair)
    assert told == []


def test_a_name_left_out_of_published_minutes_tells_their_neighbourhood(
    personas, told, django_capture_on_commit_callbacks, monkeypatch
):
    # The explicit call: the service takes only a person, the versions carry the neighbourhood.
    monkeypatch.setattr(minutes_services, "render_enqueue", lambda **kwargs: None)
    version = _rendered_version(personas)
    MinutesVersion.objects.filter(pk=version.pk).update(published_at=timezone.now())
    version.named_people.add(personas.second_resident)
    told.clear()
    with django_capture_on_commit_callbacks(execute=True):
        done = minutes_services.minutes_person_withdrawn(user=personas.second_resident)
    assert done == [version.pk]
    assert told == [personas.hood.pk]


def test_an_action_status_change_tells_the_neighbourhood(
    personas, told, django_capture_on_commit_callbacks
):
    problem = report(personas, None, Move.ACCEPT, Move.NOMINATE, Move.PRIORITISE)
    action = action_create(
        problem=problem,
        actor=personas.chair,
        role=Role.CHAIR,
        outcome="De glasbak wordt twee keer per week geleegd",
        due_date=timezone.localdate() + timedelta(days=14),
        owner_organisation=personas.police,
    )
    told.clear()
    with django_capture_on_commit_callbacks(execute=True):
        action_status_set(
            action=action,
            actor=personas.wijkagent,
            role=Role.PROFESSIONAL,
            status=ActionStatus.IN_PROGRESS,
        )
    assert told == [personas.hood.pk]
    told.clear()
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(ValidationError),  # it has this status already
    ):
        action_status_set(
            action=action,
            actor=personas.wijkagent,
            role=Role.PROFESSIONAL,
            status=ActionStatus.IN_PROGRESS,
        )
    assert told == []


def test_a_new_team_member_tells_that_neighbourhood(
    personas, told, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        membership_roles_set(
            neighbourhood=personas.other_hood,
            user=personas.housing_contact,
            roles=[Role.PROFESSIONAL],
            by=personas.coordinator,
            organisation=personas.housing,
        )
    assert told == [personas.other_hood.pk]


def test_a_team_member_renamed_tells_where_the_team_lists_them(
    personas, told, django_capture_on_commit_callbacks
):
    # Also an explicit call: the profile names no neighbourhood.
    with django_capture_on_commit_callbacks(execute=True):
        user_update_profile(user=personas.wijkagent, display_name="Kees de Wit")
    assert told == [personas.hood.pk]


# --- Writes that change no public page ---------------------------------------------------------


def test_writes_that_change_no_public_page_tell_nothing(
    personas, told, django_capture_on_commit_callbacks
):
    meeting = plan(personas)
    problem = report(personas, None, Move.ACCEPT)
    told.clear()
    with django_capture_on_commit_callbacks(execute=True):
        meeting_services.rsvp_set(meeting=meeting, user=personas.resident, answer="yes")
        mail_preference_set(
            user=personas.resident,
            neighbourhood=personas.hood,
            topic=MailTopic.values[0],
            enabled=False,
        )
        problem_follow(problem=problem, user=personas.second_resident)
        # A resident is not on the public support team: their new name shows nowhere public.
        user_update_profile(user=personas.resident, display_name="Mo Bouzid")
    assert told == []


def test_nothing_is_queued_without_listeners(personas, django_capture_on_commit_callbacks):
    problem = report(personas)
    with django_capture_on_commit_callbacks() as callbacks:
        problem_transition(
            problem=problem, move=Move.ACCEPT, actor=personas.chair, actors={"chair"}
        )
    # The mail to followers is queued; nothing of public_pages is.
    assert [c for c in callbacks if c.__module__ == public_pages.__name__] == []


# --- Finding the neighbourhood -----------------------------------------------------------------


class Thing:
    """Something with a neighbourhood_id, or loaded relations, like a model instance."""

    def __init__(self, neighbourhood_id: Any = None, **loaded: Any) -> None:
        if neighbourhood_id is not None:
            self.neighbourhood_id = neighbourhood_id
        self._state = type("State", (), {"fields_cache": loaded})()


def test_a_neighbourhood_argument_itself_or_its_id() -> None:
    assert neighbourhoods_touched(None, (), {"neighbourhood": 7}) == {7}
    assert neighbourhoods_touched(None, (), {"neighbourhood": Thing()}) == set()
    hood = type("Hood", (), {"pk": 8})()
    assert neighbourhoods_touched(None, (), {"neighbourhood": hood}) == {8}


def test_the_result_and_the_arguments_with_a_neighbourhood_id() -> None:
    assert neighbourhoods_touched(Thing(3), (Thing(4),), {"problem": Thing(5)}) == {3, 4, 5}


def test_a_list_or_tuple_result_is_looked_into() -> None:
    assert neighbourhoods_touched([Thing(1), Thing(2)], (), {}) == {1, 2}
    assert neighbourhoods_touched((Thing(6), None), (), {}) == {6}


def test_a_loaded_relation_carries_the_neighbourhood() -> None:
    candidate = Thing(round=Thing(11))
    assert neighbourhoods_touched(None, (), {"candidate": candidate}) == {11}
    version = Thing(minutes=Thing(meeting=Thing(12)))
    assert neighbourhoods_touched(version, (), {}) == {12}
    assert neighbourhoods_touched(Thing(other=Thing(13)), (), {}) == set()  # not a known relation


def test_relations_deeper_than_three_steps_are_not_followed() -> None:
    deep = Thing(item=Thing(meeting=Thing(round=Thing(problem=Thing(14)))))
    assert neighbourhoods_touched(deep, (), {}) == set()


def test_plain_values_and_none_carry_nothing() -> None:
    assert neighbourhoods_touched(None, ("text", 5, 2.0, True, b"x"), {"user": None}) == set()


@pytest.mark.django_db
def test_an_unloaded_relation_costs_no_query(personas, django_assert_num_queries) -> None:
    problem = report(personas)
    entry = TimelineEntry.objects.filter(problem=problem).first()  # its problem is not loaded
    assert entry is not None
    with django_assert_num_queries(0):
        assert neighbourhoods_touched(entry, (), {}) == set()
    entry.problem  # noqa: B018 - now loaded
    assert neighbourhoods_touched(entry, (), {}) == {personas.hood.pk}
