"""Actions and accountability (meetings.actions.services): agreeing an action, progress and
status, moving the due date, the "why delayed" note, volunteers, the room's judgement,
resolving a priority, the report-back list across meetings, and the "Is het beter geworden?"
survey. Time is frozen; every test moves the clock itself where dates matter.

The mails these services queue are rendered by other tests; here only the ledger rows count.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms.models import model_to_dict
from django.utils import translation

from buurtoverleg.mail.models import Delivery, Mailing
from meetings.actions.models import (
    ACTION_ACTIVE,
    ACTION_FINAL,
    Action,
    ActionStatus,
    ActionUpdate,
    Analysis,
    Judgement,
    SurveyAnswer,
    Volunteer,
)
from meetings.actions.report_back import (
    judgement_record,
    meeting_before,
    priority_resolve,
    report_back_q,
    report_back_since,
)
from meetings.actions.services import (
    SURVEY,
    VOLUNTEERS_FOR_RESIDENTS,
    ActionConflict,
    action_create,
    action_delay_note,
    action_due_date_move,
    action_edit,
    action_progress_post,
    action_status_set,
    actions_remind_due,
    analysis_save,
    survey_answer,
    surveys_send_due,
    volunteer_sign_up,
    volunteer_withdraw,
)
from meetings.planning.models import Meeting
from meetings.services import meeting_cancel, meeting_close, meeting_start
from problems.mail_kinds import ProblemMail
from problems.models import Problem, TimelineEntry
from problems.services import problem_follow, problem_support, problem_transition
from problems.workflow import MEETING, ROUND, Move, Status
from residents.models import Membership, Role, User
from tests.conftest import Personas, make_person
from tests.factories import make_meeting

AS = ActionStatus
AMSTERDAM = ZoneInfo("Europe/Amsterdam")
NOW = datetime(2025, 3, 3, 10, 0, tzinfo=AMSTERDAM)  # a Monday morning, winter time
TODAY = NOW.date()
OUTCOME = "De glasbak aan de Marshalllaan wordt twee keer per week geleegd"
PRO = Role.PROFESSIONAL


def day(n: int) -> date:
    return TODAY + timedelta(days=n)


def at(n: int, hour: int = 10, minute: int = 0) -> datetime:
    """Day n after TODAY, at this local time."""
    return datetime.combine(day(n), datetime.min.time(), tzinfo=AMSTERDAM).replace(
        hour=hour, minute=minute
    )


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def problem(make_problem) -> Problem:
    return make_problem(Status.PRIORITY)


def agree(personas: Personas, problem: Problem, **values: Any) -> Action:
    """The chair agrees an action for the police, due in two weeks, unless told otherwise."""
    values = {
        "actor": personas.chair,
        "role": Role.CHAIR,
        "outcome": OUTCOME,
        "due_date": day(14),
        "owner_organisation": personas.police,
        **values,
    }
    return action_create(problem=problem, **values)


@pytest.fixture
def action(personas, problem) -> Action:
    return agree(personas, problem, owner_person=personas.wijkagent)


@pytest.fixture
def meeting(personas) -> Meeting:
    return make_meeting(personas.hood, at(8, 19, 30))


def kinds(action: Action) -> list[str]:
    return list(action.updates.order_by("at", "pk").values_list("kind", flat=True))


def fresh(action: Action) -> Action:
    return Action.objects.get(pk=action.pk)


def progress(action: Action, personas: Personas, text: str = "Gesprek gehad", **kw: Any) -> Any:
    return action_progress_post(action=action, actor=personas.wijkagent, role=PRO, text=text, **kw)


def set_status(action: Action, personas: Personas, status: str, reason: str = "") -> Action:
    return action_status_set(
        action=action, actor=personas.wijkagent, role=PRO, status=status, reason=reason
    )


def error_fields(info: pytest.ExceptionInfo[ValidationError]) -> set[str]:
    return set(info.value.error_dict) if hasattr(info.value, "error_dict") else set()


# --- Agreeing an action -------------------------------------------------------------------------


@pytest.mark.parametrize("status", [Status.ACCEPTED, Status.CANDIDATE, Status.PRIORITY])
def test_actions_are_agreed_for_accepted_candidate_and_priority_problems(
    make_problem, personas, status
):
    action = agree(personas, make_problem(status))
    assert action.pk and action.status == AS.OPEN


@pytest.mark.parametrize("status", [Status.NEW, Status.DECLINED, Status.RESOLVED, Status.PARKED])
def test_no_action_for_a_problem_that_is_new_or_no_longer_open(make_problem, personas, status):
    with pytest.raises(ValidationError):
        agree(personas, make_problem(status))
    assert not Action.objects.exists() and not ActionUpdate.objects.exists()


def test_no_action_for_a_merged_problem(make_problem, personas):
    keep = make_problem(title="Afval bij de containers")
    double = make_problem(title="Vuilniszakken bij de containers")
    problem_transition(
        problem=double, move=Move.MERGE, actor=personas.chair, actors={"chair"}, into=keep
    )
    with pytest.raises(ValidationError):
        agree(personas, double)
    assert not Action.objects.exists()


def test_agreeing_records_the_action_and_an_agreed_update(clock, personas, problem, meeting):
    clock.shift(timedelta(hours=1))
    action = agree(
        personas,
        problem,
        meeting=meeting,
        owner_person=personas.wijkagent,
        contact_person=personas.resident,
        details="  Met de gemeente afstemmen.  ",
    )
    action = fresh(action)
    assert action.neighbourhood == personas.hood and action.problem == problem
    assert action.outcome == OUTCOME and action.details == "Met de gemeente afstemmen."
    assert action.owner_organisation == personas.police
    assert action.owner_person == personas.wijkagent
    assert action.contact_person == personas.resident
    assert action.status == AS.OPEN and action.volunteers_needed == 0
    assert action.first_due_date == action.due_date == day(14)
    assert action.meeting == meeting and action.created_by == personas.chair
    assert action.version == 1 and action.done_at is None
    assert action.created_at == action.updated_at == NOW + timedelta(hours=1)
    (update,) = action.updates.all()
    assert update.kind == ActionUpdate.Kind.AGREED
    assert update.to_status == AS.OPEN and update.new_due_date == day(14)
    assert update.organisation == personas.police and update.meeting == meeting
    assert update.author == personas.chair and update.author_role == Role.CHAIR
    problem.refresh_from_db()
    assert problem.activity_at == NOW + timedelta(hours=1)


def test_due_date_today_is_fine_but_not_yesterday(personas, problem):
    with pytest.raises(ValidationError) as info:
        agree(personas, problem, due_date=day(-1))
    assert error_fields(info) == {"due_date"}
    assert not Action.objects.exists()
    assert agree(personas, problem, due_date=TODAY).due_date == TODAY


@pytest.mark.parametrize(
    "outcome",
    [
        "Aandacht voor zwerfvuil",
        "aandacht aan de glasbak",
        "  AANDACHT   VOOR de glasbak",
        "Kijken naar de glasbak",
        "kijken of het beter kan",
        "In de gaten houden",
        "Bespreken met de gemeente",
        "Attention for litter",
        "attention to speeding",
        "Look into the speeding",
        "Keep an eye on the square",
        "",
        "   ",
    ],
)
def test_vague_or_empty_outcomes_are_refused(personas, problem, outcome):
    with pytest.raises(ValidationError) as info:
        agree(personas, problem, outcome=outcome)
    assert error_fields(info) == {"outcome"}
    assert not Action.objects.exists()


@pytest.mark.parametrize(
    "outcome",
    [
        "Gemeente plaatst drie extra prullenbakken bij de speeltuin",
        "Wijkagent surveilleert vier vrijdagavonden; aandacht voor scooters",
        "Aandachtsgebied markeren met borden",  # starts with "aandacht", is not vague
    ],
)
def test_concrete_outcomes_are_accepted(personas, problem, outcome):
    assert agree(personas, problem, outcome=outcome).outcome == outcome


def test_outcome_whitespace_is_tidied(personas, problem):
    action = agree(personas, problem, outcome="  De glasbak\n wordt   geleegd  ")
    assert action.outcome == "De glasbak wordt geleegd"


@pytest.mark.parametrize(
    ("owner", "organisation", "ok"),
    [
        ("wijkagent", "police", True),
        ("housing_contact", "housing", True),
        ("wijkagent", "housing", False),  # a professional, but for another organisation
        ("housing_contact", "police", False),
        ("resident", "police", False),  # a member here, not for the police
        ("chair", "police", False),
        ("outsider_chair", "police", False),  # another neighbourhood
        ("resident", None, True),  # the residents' own action: any member here
        ("chair", None, True),
        ("pending_resident", None, False),  # not (yet) an active member
        ("outsider", None, False),
    ],
)
def test_the_owner_person_must_be_a_member_here_for_the_owner_organisation(
    personas, problem, owner, organisation, ok
):
    values = {
        "owner_person": personas.by_name(owner),
        "owner_organisation": getattr(personas, organisation) if organisation else None,
    }
    if ok:
        assert agree(personas, problem, **values).owner_person == values["owner_person"]
        return
    with pytest.raises(ValidationError) as info:
        agree(personas, problem, **values)
    assert error_fields(info) == {"owner_person"}
    assert not Action.objects.exists()


@pytest.mark.parametrize(
    ("contact", "ok"),
    [
        ("resident", True),
        ("paper_resident", True),
        ("minute_taker", True),  # also a resident here
        ("chair", False),
        ("wijkagent", False),
        ("office", False),
        ("pending_resident", False),
        ("outsider", False),  # a resident, of another neighbourhood
    ],
)
def test_the_contact_person_must_be_a_resident_of_the_neighbourhood(personas, problem, contact, ok):
    person = personas.by_name(contact)
    if ok:
        assert agree(personas, problem, contact_person=person).contact_person == person
        return
    with pytest.raises(ValidationError) as info:
        agree(personas, problem, contact_person=person)
    assert error_fields(info) == {"contact_person"}
    assert not Action.objects.exists()


def test_both_people_wrong_names_both_fields(personas, problem):
    with pytest.raises(ValidationError) as info:
        agree(personas, problem, owner_person=personas.resident, contact_person=personas.wijkagent)
    assert error_fields(info) == {"owner_person", "contact_person"}


def test_an_action_that_needs_volunteers_starts_waiting(personas, problem):
    action = agree(personas, problem, owner_organisation=None, volunteers_needed=4)
    assert action.status == AS.WAITING and action.volunteers_needed == 4
    assert action.volunteer_count == 0
    assert action.updates.get().to_status == AS.WAITING


def test_at_most_99_volunteers(personas, problem):
    with pytest.raises(ValidationError) as info:
        agree(personas, problem, owner_organisation=None, volunteers_needed=100)
    assert error_fields(info) == {"volunteers_needed"}
    assert agree(personas, problem, owner_organisation=None, volunteers_needed=99).pk


def codes(info: pytest.ExceptionInfo[ValidationError]) -> dict[str, list[str | None]]:
    return {field: [e.code for e in errors] for field, errors in info.value.error_dict.items()}


def test_only_an_action_of_the_residents_themselves_asks_for_volunteers(personas, problem):
    # The one rule both action forms rely on (the action page's and the agenda screen's).
    with pytest.raises(ValidationError) as info:
        agree(personas, problem, owner_organisation=personas.police, volunteers_needed=3)
    assert codes(info) == {"volunteers_needed": [VOLUNTEERS_FOR_RESIDENTS]}
    with translation.override("en"):
        assert info.value.messages == [
            "Only an action of the residents themselves asks for volunteers."
        ]
    assert not Action.objects.exists() and not ActionUpdate.objects.exists()
    assert agree(personas, problem, owner_organisation=personas.police).status == AS.OPEN


def test_an_action_asking_for_volunteers_stays_the_residents(personas, problem):
    clean_up = agree(personas, problem, owner_organisation=None, volunteers_needed=2)
    with pytest.raises(ValidationError) as info:
        action_edit(
            action=clean_up,
            actor=personas.chair,
            role=Role.CHAIR,
            owner_organisation=personas.police,
        )
    assert codes(info) == {"owner_organisation": [VOLUNTEERS_FOR_RESIDENTS]}
    stored = fresh(clean_up)
    assert stored.owner_organisation is None and stored.version == 1
    assert kinds(stored) == ["agreed"]


def test_a_double_submit_returns_the_same_action(clock, personas, problem):
    first = agree(personas, problem, owner_person=personas.wijkagent)
    clock.shift(timedelta(minutes=9))
    again = agree(personas, problem, owner_person=personas.wijkagent)
    tidied = agree(personas, problem, outcome=f"  {OUTCOME.replace(' ', '  ')} ")
    assert again.pk == first.pk == tidied.pk
    assert Action.objects.count() == 1
    assert ActionUpdate.objects.count() == 1


def test_the_same_action_later_or_different_is_a_new_one(clock, personas, problem):
    first = agree(personas, problem)
    other_date = agree(personas, problem, due_date=day(15))
    other_owner = agree(personas, problem, owner_organisation=personas.housing)
    other_outcome = agree(personas, problem, outcome="Twee extra prullenbakken")
    clock.shift(timedelta(minutes=11))
    later = agree(personas, problem)
    pks = {first.pk, other_date.pk, other_owner.pk, other_outcome.pk, later.pk}
    assert len(pks) == 5
    assert ActionUpdate.objects.filter(kind=ActionUpdate.Kind.AGREED).count() == 5


def test_a_double_submit_for_another_problem_is_another_action(make_problem, personas, problem):
    other = make_problem(Status.ACCEPTED, title="Afval bij de containers")
    assert agree(personas, problem).pk != agree(personas, other).pk


# --- Editing what was agreed ----------------------------------------------------------------


def test_editing_changes_the_fields_and_appends_an_edit(personas, action):
    update = action_edit(
        action=action,
        actor=personas.chair,
        role=Role.CHAIR,
        outcome="De glasbak wordt drie keer per week geleegd",
        contact_person=personas.resident,
    )
    assert update is not None and update.kind == ActionUpdate.Kind.EDIT
    stored = fresh(action)
    assert stored.outcome == "De glasbak wordt drie keer per week geleegd"
    assert stored.contact_person == personas.resident
    assert stored.version == 2 and action.version == 2  # the caller's object follows
    assert kinds(stored) == ["agreed", "edit"]


def test_editing_nothing_writes_nothing(personas, action):
    assert action_edit(action=action, actor=personas.chair, role="chair", outcome=OUTCOME) is None
    assert fresh(action).version == 1 and kinds(action) == ["agreed"]


def test_editing_checks_the_outcome_and_the_people(personas, action):
    with pytest.raises(ValidationError):
        action_edit(action=action, actor=personas.chair, role="chair", outcome="Kijken naar")
    # The named owner works for the police, not for the housing corporation.
    with pytest.raises(ValidationError):
        action_edit(
            action=action,
            actor=personas.chair,
            role="chair",
            owner_organisation=personas.housing,
        )
    stored = fresh(action)
    assert stored.outcome == OUTCOME and stored.owner_organisation == personas.police
    assert stored.version == 1 and kinds(stored) == ["agreed"]


@pytest.mark.parametrize("field", ["due_date", "status", "first_due_date", "volunteer_count"])
def test_dates_status_and_counts_are_not_edited_here(personas, action, field):
    with pytest.raises(ValueError, match=field):
        action_edit(action=action, actor=personas.chair, role="chair", **{field: None})


# --- Progress and status ----------------------------------------------------------------------


def test_progress_on_an_open_action_makes_it_in_progress(clock, personas, action):
    clock.shift(timedelta(days=1))
    entry = progress(action, personas, text="  Gesprek met de gemeente gehad  ")
    assert entry.kind == ActionUpdate.Kind.PROGRESS
    assert entry.text == "Gesprek met de gemeente gehad"
    assert entry.organisation == personas.police  # the owner organisation, by default
    assert entry.author == personas.wijkagent and entry.author_role == PRO
    stored = fresh(action)
    assert stored.status == AS.IN_PROGRESS and action.status == AS.IN_PROGRESS
    assert stored.updated_at == NOW + timedelta(days=1)
    assert kinds(stored) == ["agreed", "progress", "status"]
    status = stored.updates.get(kind=ActionUpdate.Kind.STATUS)
    assert (status.from_status, status.to_status) == (AS.OPEN, AS.IN_PROGRESS)


def test_progress_names_the_organisation_it_was_posted_for(personas, action):
    entry = progress(action, personas, organisation=personas.housing)
    assert entry.organisation == personas.housing


def test_more_progress_keeps_the_status_and_raises_the_version(personas, action):
    progress(action, personas)
    version = fresh(action).version
    progress(action, personas, text="Tweede gesprek")
    stored = fresh(action)
    assert stored.status == AS.IN_PROGRESS and stored.version == version + 1
    assert kinds(stored) == ["agreed", "progress", "status", "progress"]


def test_progress_on_a_waiting_action_keeps_it_waiting(personas, problem):
    action = agree(personas, problem, owner_organisation=None, volunteers_needed=3)
    progress(action, personas, text="Flyers gemaakt")
    assert fresh(action).status == AS.WAITING


def test_empty_progress_is_refused_and_writes_nothing(personas, action):
    with pytest.raises(ValidationError) as info:
        progress(action, personas, text="   ")
    assert error_fields(info) == {"text"}
    assert kinds(action) == ["agreed"] and fresh(action).version == 1


def test_progress_with_status_done_sets_done_at(clock, personas, action):
    clock.shift(timedelta(days=2))
    progress(action, personas, text="Glasbak wordt nu twee keer geleegd", status=AS.DONE)
    stored = fresh(action)
    assert stored.status == AS.DONE and stored.done_at == NOW + timedelta(days=2)
    assert kinds(stored) == ["agreed", "progress", "status"]
    assert stored.updates.get(kind="status").to_status == AS.DONE


@pytest.mark.parametrize("way", ["status", "progress"])
def test_leaving_done_clears_done_at(personas, action, way):
    set_status(action, personas, AS.DONE)
    assert fresh(action).done_at is not None
    if way == "status":
        set_status(action, personas, AS.OPEN)
        expected = AS.OPEN
    else:
        progress(action, personas, text="Toch nog niet klaar", status=AS.IN_PROGRESS)
        expected = AS.IN_PROGRESS
    stored = fresh(action)
    assert stored.status == expected and stored.done_at is None
    assert stored.done_on_time is None


@pytest.mark.parametrize("status", [AS.NOT_FEASIBLE, AS.CANCELLED])
def test_not_feasible_and_cancelled_need_a_public_reason(personas, action, status):
    with pytest.raises(ValidationError) as info:
        set_status(action, personas, status, reason="  ")
    assert error_fields(info) == {"reason"}
    with pytest.raises(ValidationError):
        progress(action, personas, text="Het lukt niet", status=status)
    stored = fresh(action)
    assert stored.status == AS.OPEN and stored.version == 1
    assert kinds(stored) == ["agreed"]  # the progress note went with the refused status

    set_status(action, personas, status, reason=" Geen budget ")
    stored = fresh(action)
    assert stored.status == status and stored.status_reason == "Geen budget"
    assert stored.done_at is None and not stored.is_active
    update = stored.updates.get(kind="status")
    assert (update.from_status, update.to_status, update.text) == (AS.OPEN, status, "Geen budget")

    set_status(action, personas, AS.OPEN)  # reopened: the old reason no longer applies
    stored = fresh(action)
    assert stored.status == AS.OPEN and stored.status_reason == ""


def test_a_reason_is_not_kept_for_statuses_that_need_none(personas, action):
    set_status(action, personas, AS.DONE, reason="Klaar")
    assert fresh(action).status_reason == ""


def test_status_changes_that_make_no_sense_are_refused(personas, action):
    for status in (AS.OPEN, "bogus", ""):
        with pytest.raises(ValidationError):
            set_status(action, personas, status)
    with pytest.raises(ValidationError):  # this action asks for no volunteers
        set_status(action, personas, AS.WAITING)
    assert fresh(action).version == 1 and kinds(action) == ["agreed"]


def test_every_status_change_is_on_the_history(personas, action):
    for status in (AS.IN_PROGRESS, AS.DONE, AS.OPEN):
        set_status(action, personas, status)
    pairs = list(
        fresh(action)
        .updates.filter(kind="status")
        .order_by("pk")
        .values_list("from_status", "to_status")
    )
    assert pairs == [
        (AS.OPEN, AS.IN_PROGRESS),
        (AS.IN_PROGRESS, AS.DONE),
        (AS.DONE, AS.OPEN),
    ]
    assert fresh(action).version == 4


# --- Version conflicts ----------------------------------------------------------------------

Operation = Callable[[Action, Personas, "int | None"], Any]

OPERATIONS: dict[str, Operation] = {
    "progress": lambda a, p, v: action_progress_post(
        action=a, actor=p.wijkagent, role=PRO, text="Gesprek gehad", version=v
    ),
    "status": lambda a, p, v: action_status_set(
        action=a, actor=p.wijkagent, role=PRO, status=AS.DONE, version=v
    ),
    "due_date": lambda a, p, v: action_due_date_move(
        action=a, actor=p.wijkagent, role=PRO, due_date=day(30), reason="Vakantie", version=v
    ),
    "delay": lambda a, p, v: action_delay_note(
        action=a, actor=p.wijkagent, role=PRO, text="Ziekte", version=v
    ),
    "edit": lambda a, p, v: action_edit(
        action=a, actor=p.chair, role="chair", outcome="Drie extra prullenbakken", version=v
    ),
}


@pytest.fixture
def overdue_changed(clock, personas, problem) -> Action:
    """An action someone changed after the form was shown (version 2), now overdue."""
    action = agree(personas, problem, due_date=day(1), owner_person=personas.wijkagent)
    shown = action.version
    action_edit(action=fresh(action), actor=personas.chair, role="chair", details="Met buurtwerk")
    clock.move_to(at(5))
    assert fresh(action).version == shown + 1
    return action


@pytest.mark.parametrize("name", list(OPERATIONS))
def test_a_stale_version_raises_a_conflict_and_writes_nothing(personas, overdue_changed, name):
    before = model_to_dict(fresh(overdue_changed))
    updates = ActionUpdate.objects.count()
    with pytest.raises(ActionConflict) as info:
        OPERATIONS[name](overdue_changed, personas, 1)
    assert isinstance(info.value, ValidationError)  # the views show it as a form error
    assert model_to_dict(fresh(overdue_changed)) == before
    assert ActionUpdate.objects.count() == updates


@pytest.mark.parametrize("name", list(OPERATIONS))
def test_the_current_version_goes_through_and_raises_it(personas, overdue_changed, name):
    OPERATIONS[name](overdue_changed, personas, 2)
    stored = fresh(overdue_changed)
    assert stored.version > 2
    assert stored.updated_at == at(5)


# --- Moving the due date, "on time" -------------------------------------------------------------


def test_moving_the_date_records_the_old_date_and_reason(clock, personas, action):
    clock.shift(timedelta(days=1))
    entry = action_due_date_move(
        action=action, actor=personas.wijkagent, role=PRO, due_date=day(30), reason=" Vakantie "
    )
    assert entry.kind == ActionUpdate.Kind.DUE_DATE
    assert (entry.old_due_date, entry.new_due_date, entry.text) == (day(14), day(30), "Vakantie")
    assert entry.organisation == personas.police and entry.author == personas.wijkagent
    assert action.due_date == day(30)  # the caller's object follows
    action_due_date_move(
        action=action, actor=personas.chair, role="chair", due_date=day(7), reason="Eerder klaar"
    )
    stored = fresh(action)
    assert stored.due_date == day(7) and stored.first_due_date == day(14)
    assert stored.was_moved and stored.version == 3
    moves = stored.updates.filter(kind="due_date").order_by("pk")
    assert list(moves.values_list("old_due_date", "new_due_date")) == [
        (day(14), day(30)),
        (day(30), day(7)),
    ]


def test_moving_back_to_the_first_date_is_not_moved(personas, action):
    move = {"action": action, "actor": personas.wijkagent, "role": PRO, "reason": "Vakantie"}
    action_due_date_move(due_date=day(30), **move)
    action_due_date_move(due_date=day(14), **move)
    assert not fresh(action).was_moved


@pytest.mark.parametrize(
    ("due_date", "reason", "field"),
    [
        (30, "", "reason"),
        (30, "   ", "reason"),
        (14, "Vakantie", "due_date"),  # the current date
        (-1, "Vakantie", "due_date"),  # the past
    ],
)
def test_a_move_needs_a_reason_and_a_new_future_date(personas, action, due_date, reason, field):
    with pytest.raises(ValidationError) as info:
        action_due_date_move(
            action=action, actor=personas.wijkagent, role=PRO, due_date=day(due_date), reason=reason
        )
    assert error_fields(info) == {field}
    stored = fresh(action)
    assert stored.due_date == day(14) and stored.version == 1 and kinds(stored) == ["agreed"]


def test_moving_to_today_is_allowed(personas, action):
    action_due_date_move(
        action=action, actor=personas.wijkagent, role=PRO, due_date=TODAY, reason="Eerder"
    )
    assert fresh(action).due_date == TODAY


@pytest.mark.parametrize("status", sorted(ACTION_FINAL))
def test_a_finished_action_keeps_its_date(personas, action, status):
    set_status(action, personas, status, reason="Geen budget")
    with pytest.raises(ValidationError):
        action_due_date_move(
            action=action, actor=personas.chair, role="chair", due_date=day(30), reason="Later"
        )
    assert fresh(action).due_date == day(14)


@pytest.mark.parametrize(
    ("done_on", "on_time"),
    [
        (5, True),  # before both dates
        (10, True),  # on the first agreed date
        (15, False),  # after the first date, before the date it was moved to
        (20, False),  # on the moved-to date
        (25, False),  # after both
    ],
)
def test_on_time_is_judged_against_the_first_agreed_date(
    clock, personas, problem, done_on, on_time
):
    action = agree(personas, problem, due_date=day(10))
    clock.move_to(at(3))
    action_due_date_move(
        action=action, actor=personas.wijkagent, role=PRO, due_date=day(20), reason="Vakantie"
    )
    assert fresh(action).done_on_time is None
    clock.move_to(at(done_on, 16))
    set_status(action, personas, AS.DONE)
    stored = fresh(action)
    assert (stored.first_due_date, stored.due_date) == (day(10), day(20))
    assert stored.done_at == at(done_on, 16)
    assert stored.done_on_time is on_time


@pytest.mark.parametrize(
    ("when", "on_time"),
    [
        (at(10, 23, 30), True),  # late in the evening of the first date (22:30 UTC)
        (at(11, 0, 30), False),  # just after midnight here, still the first date in UTC
    ],
)
def test_on_time_uses_the_local_date(clock, personas, problem, when, on_time):
    action = agree(personas, problem, due_date=day(10))
    clock.move_to(when)
    set_status(action, personas, AS.DONE)
    assert fresh(action).done_on_time is on_time


# --- Overdue and the "why delayed" note -------------------------------------------------------


def test_overdue_only_after_the_due_date_and_only_while_active(clock, personas, action):
    clock.move_to(at(14, 23, 59))
    assert not fresh(action).is_overdue
    assert not Action.objects.overdue().exists()
    clock.move_to(at(15, 0, 1))
    assert fresh(action).is_overdue
    assert list(Action.objects.overdue()) == [action]
    assert list(Action.objects.overdue(today=day(14))) == []
    progress(action, personas, status=AS.DONE)
    assert not fresh(action).is_overdue
    assert not Action.objects.overdue().exists()


def test_a_waiting_action_can_be_overdue_too(clock, personas, problem):
    action = agree(personas, problem, owner_organisation=None, volunteers_needed=4, due_date=TODAY)
    clock.move_to(at(1))
    assert fresh(action).is_overdue


def test_moving_the_date_ends_overdue(clock, personas, action):
    clock.move_to(at(20))
    assert fresh(action).is_overdue
    action_due_date_move(
        action=action, actor=personas.wijkagent, role=PRO, due_date=day(30), reason="Vakantie"
    )
    assert not fresh(action).is_overdue


def test_a_delay_note_only_when_overdue(clock, personas, action):
    note = {"action": action, "actor": personas.wijkagent, "role": PRO}
    clock.move_to(at(14, 18))  # the due date itself: not late yet
    with pytest.raises(ValidationError):
        action_delay_note(text="Ziekte", **note)
    assert fresh(action).delay_note == "" and kinds(action) == ["agreed"]

    clock.move_to(at(16))
    entry = action_delay_note(text="  De wijkagent was ziek  ", **note)
    assert entry.kind == ActionUpdate.Kind.DELAY and entry.text == "De wijkagent was ziek"
    assert entry.organisation == personas.police and entry.at == at(16)
    stored = fresh(action)
    assert stored.delay_note == "De wijkagent was ziek" and stored.delay_note_at == at(16)

    clock.move_to(at(18))
    action_delay_note(text="Onderdeel besteld", **note)
    stored = fresh(action)
    assert stored.delay_note == "Onderdeel besteld" and stored.delay_note_at == at(18)
    assert list(stored.updates.filter(kind="delay").values_list("text", flat=True)) == [
        "De wijkagent was ziek",
        "Onderdeel besteld",
    ]


def test_an_empty_delay_note_is_refused(clock, personas, action):
    clock.move_to(at(20))
    with pytest.raises(ValidationError) as info:
        action_delay_note(action=action, actor=personas.wijkagent, role=PRO, text=" ")
    assert error_fields(info) == {"text"}


def test_no_delay_note_for_a_finished_action_past_its_date(clock, personas, action):
    set_status(action, personas, AS.DONE)
    clock.move_to(at(20))
    with pytest.raises(ValidationError):
        action_delay_note(action=action, actor=personas.wijkagent, role=PRO, text="Ziekte")
    assert not ActionUpdate.objects.filter(kind="delay").exists()


# --- Volunteers -------------------------------------------------------------------------------


@pytest.fixture
def clean_up(personas, problem) -> Action:
    """A residents' action that needs two volunteers."""
    return agree(
        personas,
        problem,
        outcome="Buurtschoonmaak rond de glasbak op zaterdag",
        owner_organisation=None,
        contact_person=personas.resident,
        volunteers_needed=2,
    )


def test_signing_up_twice_counts_once(personas, clean_up):
    assert volunteer_sign_up(action=clean_up, user=personas.resident) is True
    assert volunteer_sign_up(action=clean_up, user=personas.resident) is False
    stored = fresh(clean_up)
    assert stored.volunteer_count == 1 and stored.status == AS.WAITING
    assert Volunteer.objects.filter(action=clean_up).count() == 1
    assert clean_up.volunteer_count == 1  # the caller's object follows


def test_enough_volunteers_make_the_action_open_once(clock, personas, clean_up):
    volunteer_sign_up(action=clean_up, user=personas.resident)
    assert not ActionUpdate.objects.filter(kind="volunteers").exists()
    clock.shift(timedelta(hours=2))
    volunteer_sign_up(action=clean_up, user=personas.second_resident)
    stored = fresh(clean_up)
    assert stored.status == AS.OPEN and stored.volunteer_count == 2
    assert stored.updated_at == NOW + timedelta(hours=2)
    update = stored.updates.get(kind=ActionUpdate.Kind.VOLUNTEERS)
    assert (update.from_status, update.to_status) == (AS.WAITING, AS.OPEN)
    assert update.author is None  # no single person made it happen

    volunteer_sign_up(action=clean_up, user=personas.minute_taker)  # more are welcome
    stored = fresh(clean_up)
    assert stored.status == AS.OPEN and stored.volunteer_count == 3
    assert stored.updates.filter(kind="volunteers").count() == 1


def test_withdrawing_decrements_and_a_started_action_stays_active(personas, clean_up):
    volunteer_sign_up(action=clean_up, user=personas.resident)
    assert volunteer_withdraw(action=clean_up, user=personas.resident) is True
    assert volunteer_withdraw(action=clean_up, user=personas.resident) is False
    assert fresh(clean_up).volunteer_count == 0
    assert not Volunteer.objects.exists()

    for person in (personas.resident, personas.second_resident):
        volunteer_sign_up(action=clean_up, user=person)
    assert volunteer_withdraw(action=clean_up, user=personas.second_resident)
    stored = fresh(clean_up)
    assert stored.volunteer_count == 1 and stored.status == AS.OPEN
    # Signing up again after withdrawing counts again.
    assert volunteer_sign_up(action=clean_up, user=personas.second_resident)
    assert fresh(clean_up).volunteer_count == 2


def test_withdrawing_someone_who_never_signed_up_changes_nothing(personas, clean_up):
    volunteer_sign_up(action=clean_up, user=personas.resident)
    version = fresh(clean_up).version
    assert volunteer_withdraw(action=clean_up, user=personas.second_resident) is False
    assert fresh(clean_up).volunteer_count == 1 and fresh(clean_up).version == version


def test_no_sign_up_for_an_action_without_volunteers(personas, action):
    with pytest.raises(ValidationError):
        volunteer_sign_up(action=action, user=personas.resident)
    assert not Volunteer.objects.exists() and fresh(action).volunteer_count == 0


@pytest.mark.parametrize("status", sorted(ACTION_FINAL))
def test_no_sign_up_for_a_finished_action(personas, clean_up, status):
    set_status(clean_up, personas, status, reason="Regen")
    with pytest.raises(ValidationError):
        volunteer_sign_up(action=clean_up, user=personas.resident)
    assert not Volunteer.objects.exists() and fresh(clean_up).volunteer_count == 0


# --- The room's judgement -----------------------------------------------------------------------


def judge(action: Action, meeting: Meeting, personas: Personas, **kw: Any) -> Judgement:
    values = {"effect": "better", "verdict": "continue", **kw}
    return judgement_record(action=action, meeting=meeting, actor=personas.chair, **values)


def test_a_judgement_is_recorded_with_a_judged_update(clock, personas, action, meeting):
    clock.move_to(at(8, 20))
    judgement = judge(action, meeting, personas, effect="same", note=" Nog steeds afval ")
    assert (judgement.effect, judgement.verdict, judgement.note) == (
        "same",
        "continue",
        "Nog steeds afval",
    )
    assert judgement.recorded_by == personas.chair and judgement.at == at(8, 20)
    update = fresh(action).updates.get(kind=ActionUpdate.Kind.JUDGED)
    assert update.meeting == meeting and update.author_role == MEETING
    assert update.author == personas.chair
    assert (update.effect, update.verdict, update.text) == ("same", "continue", "Nog steeds afval")
    assert fresh(action).status == AS.OPEN  # continue: nothing else changes


def test_recording_again_at_the_same_meeting_replaces_it(personas, action, meeting):
    judge(action, meeting, personas, effect="worse", verdict="adjust")
    judge(action, meeting, personas, effect="better", verdict="continue")
    judgement = Judgement.objects.get()
    assert (judgement.effect, judgement.verdict) == ("better", "continue")
    # The history keeps each recording.
    assert fresh(action).updates.filter(kind="judged").count() == 2


def test_one_judgement_per_action_per_meeting(personas, action, meeting):
    later = make_meeting(personas.hood, at(36, 19, 30))
    judge(action, meeting, personas, effect="worse")
    judge(action, later, personas, effect="better")
    assert dict(Judgement.objects.values_list("meeting_id", "effect")) == {
        meeting.pk: "worse",
        later.pk: "better",
    }


@pytest.mark.parametrize(
    ("effect", "verdict", "field"),
    [("great", "continue", "effect"), ("", "close", "effect"), ("better", "stop", "verdict")],
)
def test_effect_and_verdict_are_validated(personas, action, meeting, effect, verdict, field):
    with pytest.raises(ValidationError) as info:
        judge(action, meeting, personas, effect=effect, verdict=verdict)
    assert error_fields(info) == {field}
    assert not Judgement.objects.exists() and kinds(action) == ["agreed"]


def test_another_neighbourhoods_meeting_cannot_judge(personas, action):
    elsewhere = make_meeting(personas.other_hood, at(8, 19, 30))
    with pytest.raises(ValidationError):
        judge(action, elsewhere, personas, verdict="close")
    assert not Judgement.objects.exists() and fresh(action).status == AS.OPEN


def test_a_cancelled_meeting_cannot_judge(personas, action, meeting):
    meeting_cancel(meeting=meeting, reason="Buurthuis gesloten", by=personas.chair)
    meeting.refresh_from_db()
    with pytest.raises(ValidationError):
        judge(action, meeting, personas)
    assert not Judgement.objects.exists()


@pytest.mark.parametrize("status", sorted(ACTION_ACTIVE))
def test_closing_an_active_action_makes_it_done(clock, personas, problem, meeting, status):
    action = agree(personas, problem, owner_organisation=None, volunteers_needed=2)
    if status != AS.WAITING:
        set_status(action, personas, status)
    clock.move_to(at(8, 20))
    judge(action, meeting, personas, verdict="close")
    stored = fresh(action)
    assert stored.status == AS.DONE and stored.done_at == at(8, 20)
    closing = stored.updates.filter(kind="status").latest("pk")
    assert (closing.from_status, closing.to_status) == (status, AS.DONE)
    assert closing.author_role == MEETING
    assert action.status == AS.DONE  # the caller's object follows


@pytest.mark.parametrize("status", [AS.NOT_FEASIBLE, AS.CANCELLED])
def test_closing_a_finished_action_keeps_its_status(personas, action, meeting, status):
    set_status(action, personas, status, reason="Geen budget")
    judge(action, meeting, personas, verdict="close")
    stored = fresh(action)
    assert stored.status == status and stored.done_at is None
    assert stored.updates.filter(kind="status").count() == 1


# --- Resolving a priority -------------------------------------------------------------------


def test_resolving_needs_the_meetings_decision(personas, problem, meeting):
    with pytest.raises(ValidationError) as info:
        priority_resolve(problem=problem, meeting=meeting, actor=personas.chair, decision="  ")
    assert error_fields(info) == {"decision"}
    problem.refresh_from_db()
    assert problem.status == Status.PRIORITY


def test_the_meeting_resolves_a_priority(clock, personas, problem, meeting):
    clock.move_to(at(8, 21))
    entry = priority_resolve(
        problem=problem, meeting=meeting, actor=personas.chair, decision=" Glasbak is schoon "
    )
    problem.refresh_from_db()
    assert problem.status == Status.RESOLVED
    assert entry.move == Move.RESOLVE and entry.meeting == meeting
    assert entry.actor_role == MEETING and entry.actor == personas.chair
    assert (entry.from_status, entry.to_status) == (Status.PRIORITY, Status.RESOLVED)
    assert entry.public_note == "Glasbak is schoon" and entry.at == at(8, 21)
    assert problem.timeline.order_by("pk").last() == entry


@pytest.mark.parametrize("status", [Status.ACCEPTED, Status.CANDIDATE, Status.PARKED])
def test_only_a_priority_is_resolved(make_problem, personas, meeting, status):
    problem = make_problem(status)
    with pytest.raises(PermissionDenied):
        priority_resolve(problem=problem, meeting=meeting, actor=personas.chair, decision="Klaar")
    problem.refresh_from_db()
    assert problem.status == status
    assert not problem.timeline.filter(move=Move.RESOLVE).exists()


def test_another_neighbourhoods_or_a_cancelled_meeting_does_not_resolve(personas, problem, meeting):
    elsewhere = make_meeting(personas.other_hood, at(8, 19, 30))
    with pytest.raises(ValidationError):
        priority_resolve(problem=problem, meeting=elsewhere, actor=personas.chair, decision="Ok")
    meeting_cancel(meeting=meeting, reason="Buurthuis gesloten", by=personas.chair)
    meeting.refresh_from_db()
    with pytest.raises(ValidationError):
        priority_resolve(problem=problem, meeting=meeting, actor=personas.chair, decision="Ok")
    problem.refresh_from_db()
    assert problem.status == Status.PRIORITY


def test_supporters_and_followers_are_told_it_is_resolved(personas, problem, meeting):
    problem_support(problem=problem, user=personas.second_resident)
    problem_follow(problem=problem, user=personas.minute_taker)
    problem_follow(problem=problem, user=personas.chair)  # the chair decided: not told
    problem_follow(problem=problem, user=personas.paper_resident)  # no e-mail address
    entry = priority_resolve(
        problem=problem, meeting=meeting, actor=personas.chair, decision="Glasbak is schoon"
    )
    mailing = Mailing.objects.get(key=f"problem-status:{entry.pk}")
    assert mailing.kind == ProblemMail.PROBLEM_STATUS
    assert mailing.neighbourhood == personas.hood
    assert set(mailing.deliveries.values_list("email", flat=True)) == {
        personas.resident.email,  # the reporter follows their report
        personas.second_resident.email,
        personas.minute_taker.email,
    }


# --- The report-back list across two meetings ---------------------------------------------------


class History:
    """Two meetings a month apart and actions in every position towards the second:

    before the first meeting (day 0): `active_old` open, `done_before` and `cancelled_before`
    finished; at the first meeting (day 8): `agreed_first` agreed there; between the meetings:
    `done_since` finished, `progress_since` got progress, `new_between` agreed by the team;
    on the second meeting's evening: `early_tonight` (agreed for it before it started) and
    `tonight` (agreed during it); `elsewhere`: another neighbourhood's open action.
    """

    def __init__(self, personas: Personas, make_problem: Any, clock: Any) -> None:
        problem = make_problem(Status.PRIORITY)
        other = make_problem(
            Status.PRIORITY,
            neighbourhood=personas.other_hood,
            reporter=personas.outsider,
            title="Te hard rijden op de Pieter Ghijsenlaan",
        )
        self.first = make_meeting(personas.hood, at(8, 19, 30))
        self.second = make_meeting(personas.hood, at(36, 19, 30))
        self.elsewhere_meeting = make_meeting(personas.other_hood, at(20, 19, 30))

        def new(outcome: str, **kw: Any) -> Action:
            return agree(personas, problem, outcome=outcome, due_date=day(60), **kw)

        self.active_old = new("Glasbak twee keer per week legen")
        self.done_before = new("Bord plaatsen bij de glasbak")
        self.cancelled_before = new("Camera ophangen")
        self.elsewhere = agree(personas, other, outcome="Drempel aanleggen", due_date=day(60))
        clock.move_to(at(1))
        set_status(self.done_before, personas, AS.DONE)
        set_status(self.cancelled_before, personas, AS.CANCELLED, reason="Mag niet")

        clock.move_to(at(8, 19, 40))
        meeting_start(meeting=self.first)
        clock.move_to(at(8, 20, 15))
        self.agreed_first = new("Extra prullenbak bij de speeltuin", meeting=self.first)
        self.in_progress_old = new("Buurtapp opzetten")
        progress(self.in_progress_old, personas, text="Groep aangemaakt")

        clock.move_to(at(20))
        self.done_since = new("Container verplaatsen")
        clock.move_to(at(22))
        set_status(self.done_since, personas, AS.DONE)
        self.new_between = new("Gesprek met de woningcorporatie")
        self.finished_old = new("Stickers op de glasbak")
        set_status(self.finished_old, personas, AS.NOT_FEASIBLE, reason="Mag niet")
        self.progress_since = self.cancelled_before  # a finished one with news since
        progress(self.progress_since, personas, text="Toch nog eens gevraagd")

        clock.move_to(at(36, 19, 0))
        self.early_tonight = new("Avondwandeling met de wijkagent", meeting=self.second)
        clock.move_to(at(36, 19, 50))
        meeting_start(meeting=self.second)
        self.tonight = new("Lantaarnpaal laten repareren", meeting=self.second)
        clock.move_to(at(36, 20, 30))
        progress(self.elsewhere, personas, text="Offerte aangevraagd")

    def listed(self, meeting: Meeting) -> set[str]:
        since = report_back_since(meeting)
        return set(
            Action.objects.filter(report_back_q(meeting, since)).values_list("outcome", flat=True)
        )


@pytest.fixture
def history(personas, make_problem, clock) -> History:
    return History(personas, make_problem, clock)


def test_the_previous_meeting_is_the_last_one_not_cancelled_of_this_neighbourhood(
    personas, history
):
    assert meeting_before(history.second) == history.first
    assert meeting_before(history.first) is None
    assert meeting_before(history.elsewhere_meeting) is None
    between = make_meeting(personas.hood, at(29, 19, 30))
    assert meeting_before(history.second) == between
    meeting_cancel(meeting=between, reason="Buurthuis gesloten", by=personas.chair)
    assert meeting_before(history.second) == history.first


def test_changed_since_counts_from_the_previous_meetings_real_start(personas, history):
    assert report_back_since(history.second) == at(8, 19, 40)  # started ten minutes late
    assert report_back_since(history.first) is None
    unstarted = make_meeting(personas.hood, at(64, 19, 30))
    assert report_back_since(unstarted) == at(36, 19, 50)
    after_unstarted = make_meeting(personas.hood, at(92, 19, 30))
    assert report_back_since(after_unstarted) == at(64, 19, 30)  # never started: planned time


def test_the_report_back_lists_what_is_still_to_do_and_what_changed_since(history):
    assert history.listed(history.second) == {
        # still to be done, however old
        "Glasbak twee keer per week legen",
        "Extra prullenbak bij de speeltuin",  # agreed at the previous meeting
        "Buurtapp opzetten",
        "Gesprek met de woningcorporatie",  # agreed by the team between the meetings
        # finished, but changed since the previous meeting
        "Container verplaatsen",
        "Stickers op de glasbak",
        "Camera ophangen",  # cancelled before, news since
    }
    # Not listed: "Bord plaatsen bij de glasbak" (done, unchanged since the previous meeting),
    # tonight's "Avondwandeling met de wijkagent" and "Lantaarnpaal laten repareren",
    # and the other neighbourhood's "Drempel aanleggen".


def test_the_first_meeting_lists_only_what_is_still_to_do(history):
    # No previous meeting: nothing counts as "changed since"; agreed at it: not listed.
    assert history.listed(history.first) == {"Glasbak twee keer per week legen"}


def test_another_neighbourhoods_meeting_lists_only_its_own_actions(history):
    assert history.listed(history.elsewhere_meeting) == {"Drempel aanleggen"}


# --- "Is het beter geworden?" -------------------------------------------------------------------


@pytest.fixture
def resolution(personas, problem, meeting, clock) -> TimelineEntry:
    """Resolved at the meeting on day 8; the reporter follows, the second resident supports."""
    problem_support(problem=problem, user=personas.second_resident)
    clock.move_to(at(8, 21))
    return priority_resolve(
        problem=problem, meeting=meeting, actor=personas.chair, decision="Glasbak is schoon"
    )


def surveys(resolution: TimelineEntry | None = None) -> list[Mailing]:
    mailings = Mailing.objects.filter(kind=ProblemMail.PROBLEM_SURVEY)
    if resolution is not None:
        mailings = mailings.filter(key=f"problem-survey:{resolution.pk}")
    return list(mailings)


def test_the_survey_goes_once_after_the_neighbourhoods_delay(personas, resolution):
    assert personas.hood.survey_after_days == 21
    assert surveys_send_due(resolution.at + timedelta(days=21, minutes=-1)) == 0
    assert surveys() == []
    assert surveys_send_due(resolution.at + timedelta(days=21)) == 1
    assert surveys_send_due(resolution.at + timedelta(days=21, hours=1)) == 0
    assert surveys_send_due(resolution.at + timedelta(days=25)) == 0
    (mailing,) = surveys(resolution)
    assert mailing.subject == resolution
    assert mailing.neighbourhood == personas.hood and not mailing.transactional
    assert set(mailing.deliveries.values_list("email", flat=True)) == {
        personas.resident.email,
        personas.second_resident.email,
    }
    # One link per person, to answer (again) while it is valid.
    assert SURVEY.model == "problems.TimelineEntry"


def test_the_survey_follows_the_neighbourhoods_setting(personas, resolution):
    personas.hood.survey_after_days = 7
    personas.hood.save(update_fields=["survey_after_days"])
    assert surveys_send_due(resolution.at + timedelta(days=6)) == 0
    assert surveys_send_due(resolution.at + timedelta(days=7)) == 1


def test_a_missed_survey_is_caught_up_for_two_weeks_only(resolution):
    assert surveys_send_due(resolution.at + timedelta(days=21 + 14)) == 0
    assert surveys_send_due(resolution.at + timedelta(days=21 + 13)) == 1


def test_no_survey_once_the_problem_was_reopened(personas, problem, resolution):
    problem_transition(problem=problem, move=Move.REOPEN, actor=personas.chair, actors={"chair"})
    assert surveys_send_due(resolution.at + timedelta(days=22)) == 0
    assert surveys() == []


def test_resolved_again_it_is_asked_again_for_the_new_resolution(
    clock, personas, problem, resolution
):
    assert surveys_send_due(resolution.at + timedelta(days=21)) == 1
    clock.move_to(at(40))
    problem_transition(problem=problem, move=Move.REOPEN, actor=personas.chair, actors={"chair"})
    problem_transition(problem=problem, move=Move.NOMINATE, actor=personas.chair, actors={"chair"})
    problem_transition(problem=problem, move=Move.PRIORITISE, actor=None, actors={ROUND})
    later = make_meeting(personas.hood, at(64, 19, 30))
    clock.move_to(at(64, 21))
    second = priority_resolve(problem=problem, meeting=later, actor=personas.chair, decision="Ok")
    assert surveys_send_due(second.at + timedelta(days=10)) == 0
    assert surveys_send_due(second.at + timedelta(days=21)) == 1
    assert len(surveys()) == 2 and len(surveys(second)) == 1


def test_no_survey_without_anyone_to_ask(make_problem, personas, meeting, clock):
    problem = make_problem(Status.PRIORITY, reporter=personas.paper_resident)  # no e-mail
    clock.move_to(at(8, 21))
    entry = priority_resolve(problem=problem, meeting=meeting, actor=personas.chair, decision="Ok")
    assert surveys_send_due(entry.at + timedelta(days=21)) == 0
    assert surveys() == []
    # Someone to ask a day later: the question still goes, once.
    problem_follow(problem=problem, user=personas.second_resident)
    assert surveys_send_due(entry.at + timedelta(days=22)) == 1


def test_an_answer_is_stored_and_a_second_answer_replaces_it(clock, personas, resolution):
    clock.move_to(at(30))
    first = survey_answer(resolution=resolution, user=personas.resident, answer="same")
    assert (first.problem_id, first.answer, first.at) == (resolution.problem_id, "same", at(30))
    clock.move_to(at(31))
    survey_answer(
        resolution=resolution, user=personas.resident, answer="better", remark=" Veel schoner "
    )
    answer = SurveyAnswer.objects.get()
    assert (answer.answer, answer.remark, answer.at) == ("better", "Veel schoner", at(31))
    survey_answer(resolution=resolution, user=personas.second_resident, answer="better")
    assert SurveyAnswer.objects.count() == 2
    assert not Mailing.objects.filter(kind=ProblemMail.SURVEY_WORSE).exists()


def test_a_long_remark_is_cut_to_fit(personas, resolution):
    answer = survey_answer(
        resolution=resolution, user=personas.resident, answer="same", remark="x" * 1500
    )
    assert len(answer.remark) == 1000


def test_an_answer_must_be_one_of_the_three(personas, resolution):
    with pytest.raises(ValidationError) as info:
        survey_answer(resolution=resolution, user=personas.resident, answer="fantastic")
    assert error_fields(info) == {"answer"}
    assert not SurveyAnswer.objects.exists()


def test_only_a_resolution_is_asked_about(personas, problem, resolution):
    accepted = problem.timeline.get(move=Move.ACCEPT)
    with pytest.raises(ValidationError):
        survey_answer(resolution=accepted, user=personas.resident, answer="better")
    assert not SurveyAnswer.objects.exists()


def test_worse_reaches_the_chairs_once_per_person(personas, resolution):
    second_chair = make_person("Sanne Visser", "sanne@example.nl")
    Membership.objects.create(
        user=second_chair, neighbourhood=personas.hood, role=Role.CHAIR, status="active"
    )
    survey_answer(resolution=resolution, user=personas.resident, answer="worse", remark="Vies")
    survey_answer(resolution=resolution, user=personas.resident, answer="worse", remark="Nog")
    mailing = Mailing.objects.get(kind=ProblemMail.SURVEY_WORSE)
    assert mailing.key == f"survey-worse:{resolution.pk}:{personas.resident.pk}"
    assert mailing.transactional and mailing.neighbourhood == personas.hood
    assert set(mailing.deliveries.values_list("email", flat=True)) == {
        personas.chair.email,
        "sanne@example.nl",
    }
    assert mailing.context["answer_id"] == SurveyAnswer.objects.get().pk
    # Another resident who finds it worse is another signal.
    survey_answer(resolution=resolution, user=personas.second_resident, answer="worse")
    assert Mailing.objects.filter(kind=ProblemMail.SURVEY_WORSE).count() == 2
    # Nobody else hears of it: the other neighbourhood's chair is no recipient.
    assert not Delivery.objects.filter(user=personas.outsider_chair).exists()


# --- Analysis --------------------------------------------------------------------------------


def test_the_analysis_is_saved_once_per_problem_and_updated(personas, problem, meeting):
    analysis_save(
        problem=problem,
        actor=personas.chair,
        location=" Glasbak Marshalllaan, maandagochtend ",
        victims="Omwonenden",
        offenders="",
        meeting=meeting,
    )
    analysis_save(
        problem=problem,
        actor=personas.wijkagent,
        location="Glasbak Marshalllaan",
        victims="Omwonenden",
        offenders="Mensen van buiten de wijk",
    )
    analysis = Analysis.objects.get()
    assert analysis.location == "Glasbak Marshalllaan"
    assert analysis.offenders == "Mensen van buiten de wijk"
    assert analysis.updated_by == personas.wijkagent
    assert not analysis.is_empty


@pytest.mark.parametrize("status", [Status.NEW, Status.RESOLVED, Status.DECLINED])
def test_only_open_accepted_problems_are_analysed(make_problem, personas, status):
    with pytest.raises(ValidationError):
        analysis_save(
            problem=make_problem(status),
            actor=personas.chair,
            location="Ergens",
            victims="",
            offenders="",
        )
    assert not Analysis.objects.exists()


def test_active_and_final_statuses_cover_every_status():
    assert set(AS) == ACTION_ACTIVE | ACTION_FINAL
    assert not ACTION_ACTIVE & ACTION_FINAL
    assert {AS.WAITING, AS.OPEN, AS.IN_PROGRESS} == ACTION_ACTIVE


def test_residents_own_the_action_without_an_organisation(personas, problem):
    assert agree(personas, problem, owner_organisation=None).owner_organisation is None
    assert agree(personas, problem).owner_label == personas.police.name


# --- Due work: reminders before the date, the overdue notice after it ---------------------------
# Only the ledger rows here (keys, recipients, when); the mails themselves are rendered and
# sent in the mail tests.


def mailings(kind: str, action: Action | None = None) -> list[Mailing]:
    rows = Mailing.objects.filter(kind=kind).order_by("pk")
    if action is not None:
        rows = rows.filter(key__contains=f":{action.pk}:")
    return list(rows)


def emails(mailing: Mailing) -> set[str]:
    return set(mailing.deliveries.values_list("email", flat=True))


def test_the_owner_is_reminded_once_the_configured_days_before(personas, action):
    assert personas.hood.action_reminder_days == 7
    assert actions_remind_due(day(6)) == 0  # due day 14: eight days to go
    assert mailings(ProblemMail.ACTION_REMINDER) == []
    assert actions_remind_due(day(7)) == 1
    for today in (day(7), day(8), day(14)):  # the job runs every hour, every day
        actions_remind_due(today)
    (reminder,) = mailings(ProblemMail.ACTION_REMINDER)
    assert reminder.key == f"action-reminder:{action.pk}:{day(14).isoformat()}"
    assert reminder.transactional and reminder.neighbourhood == personas.hood
    assert reminder.subject == action
    assert emails(reminder) == {personas.wijkagent.email}
    assert reminder.context["due_date"] == day(14).isoformat()
    assert reminder.context["action_url"].endswith(f"/acties/{action.pk}/")
    assert mailings(ProblemMail.ACTION_OVERDUE) == []


def test_the_reminder_follows_the_neighbourhoods_setting(personas, action):
    personas.hood.action_reminder_days = 2
    personas.hood.save(update_fields=["action_reminder_days"])
    actions_remind_due(day(11))
    assert mailings(ProblemMail.ACTION_REMINDER) == []
    actions_remind_due(day(12))
    assert len(mailings(ProblemMail.ACTION_REMINDER)) == 1


def test_a_moved_date_makes_a_new_reminder_due(clock, personas, action):
    actions_remind_due(day(8))
    clock.move_to(at(9))
    action_due_date_move(
        action=action, actor=personas.wijkagent, role=PRO, due_date=day(30), reason="Vakantie"
    )
    actions_remind_due(day(10))  # no longer due soon
    assert len(mailings(ProblemMail.ACTION_REMINDER)) == 1
    actions_remind_due(day(25))
    keys = [m.key for m in mailings(ProblemMail.ACTION_REMINDER)]
    assert keys == [
        f"action-reminder:{action.pk}:{day(14).isoformat()}",
        f"action-reminder:{action.pk}:{day(30).isoformat()}",
    ]


def test_the_chairs_hear_once_when_an_action_is_overdue(personas, action):
    actions_remind_due(day(14))  # the due date itself: not overdue
    assert mailings(ProblemMail.ACTION_OVERDUE) == []
    assert actions_remind_due(day(15)) == 1
    for today in (day(15), day(16), day(20)):
        actions_remind_due(today)
    (notice,) = mailings(ProblemMail.ACTION_OVERDUE)
    assert notice.key == f"action-overdue:{action.pk}:{day(14).isoformat()}"
    assert emails(notice) == {personas.chair.email}  # not the other neighbourhood's chair


def test_an_action_overdue_for_long_is_not_announced_out_of_the_blue(personas, action):
    # A job that was down catches up for two weeks; older ones were never news.
    actions_remind_due(day(14 + 15))
    assert mailings(ProblemMail.ACTION_OVERDUE) == []
    actions_remind_due(day(14 + 14))
    assert len(mailings(ProblemMail.ACTION_OVERDUE)) == 1


@pytest.mark.parametrize("status", sorted(ACTION_FINAL))
def test_finished_actions_get_no_reminder_or_notice(personas, action, status):
    set_status(action, personas, status, reason="Geen budget")
    actions_remind_due(day(10))
    actions_remind_due(day(15))
    assert not Mailing.objects.filter(
        kind__in=[ProblemMail.ACTION_REMINDER, ProblemMail.ACTION_OVERDUE]
    ).exists()


@pytest.mark.parametrize(
    ("owner", "organisation", "contact", "expected"),
    [
        ("wijkagent", "police", None, {"wijkagent"}),  # the named owner
        (None, "police", "resident", {"wijkagent"}),  # the organisation's people here
        (None, "housing", None, {"housing_contact"}),
        (None, None, "resident", {"resident"}),  # a residents' action: its contact
        (None, None, None, {"chair"}),  # nobody named: the chair
        ("resident", None, None, {"resident"}),
    ],
)
def test_who_is_reminded(personas, problem, owner, organisation, contact, expected):
    action = agree(
        personas,
        problem,
        owner_person=personas.by_name(owner) if owner else None,
        owner_organisation=getattr(personas, organisation) if organisation else None,
        contact_person=personas.by_name(contact) if contact else None,
    )
    actions_remind_due(day(10))
    (reminder,) = mailings(ProblemMail.ACTION_REMINDER, action)
    assert emails(reminder) == {personas.by_name(name).email for name in expected}


def test_a_deactivated_owner_is_not_reminded_their_organisation_is(personas, action):
    User.objects.filter(pk=personas.wijkagent.pk).update(is_active=False)
    colleague = make_person("Sara Bos", "sara@example.nl")
    Membership.objects.create(
        user=colleague,
        neighbourhood=personas.hood,
        role=Role.PROFESSIONAL,
        organisation=personas.police,
        status="active",
    )
    actions_remind_due(day(10))
    (reminder,) = mailings(ProblemMail.ACTION_REMINDER)
    assert emails(reminder) == {"sara@example.nl"}


def test_what_the_previous_meeting_judged_and_closed_is_not_news_at_the_next(
    personas, history, clock
):
    # The first meeting closes an action the room judged done, and then closes itself.
    clock.move_to(at(8, 21, 0))
    judgement_record(
        action=history.active_old,
        meeting=history.first,
        actor=personas.chair,
        effect=Judgement.Effect.BETTER,
        verdict=Judgement.Verdict.CLOSE,
    )
    clock.move_to(at(8, 21, 30))
    meeting_close(meeting=history.first)
    assert report_back_since(history.second) == at(8, 21, 30)
    listed = history.listed(history.second)
    assert "Glasbak twee keer per week legen" not in listed
    assert "Container verplaatsen" in listed  # finished between the meetings: news
