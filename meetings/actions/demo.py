"""Demo actions for `manage.py demo`: agreements in every state, an overdue one with its
"why delayed" note, the room's judgements from last month's meeting and tonight's, and a
resolved problem whose residents answered "Is het beter geworden?".

Everything goes through the services, as in real use; afterwards the clock is set back on
the rows (the services stamp "now"), as the meetings' demo does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.utils import timezone

from buurtoverleg.mail.models import Delivery
from meetings.actions import report_back
from meetings.actions import services as actions
from meetings.actions.models import Action, ActionStatus, ActionUpdate, Judgement
from meetings.planning.models import Meeting
from problems.mail_kinds import ProblemMail
from problems.models import Problem, TimelineEntry
from problems.workflow import Move
from residents.models import Membership, Neighbourhood, Organisation, Role, User

AS = ActionStatus


@dataclass(frozen=True)
class Plan:
    organisation: str  # "" for the residents' own action
    outcome: str
    agreed_days_ago: int
    first_due_in: int  # days from today (negative: in the past)
    status: str
    progress: tuple[str, ...] = ()
    moved_to_in: int | None = None  # the due date moved to this many days from today
    move_reason: str = ""
    delay_note: str = ""
    reason: str = ""  # not feasible / cancelled
    done_days_ago: int | None = None
    volunteers: tuple[int, int] = (0, 0)  # needed, signed up


PLANS = [
    Plan(
        "Politie Midden-Nederland",
        "Twee avonden per week surveillance op het Columbusplein tussen 21 en 23 uur",
        agreed_days_ago=56,
        first_due_in=30,
        status=AS.IN_PROGRESS,
        progress=(
            "Gestart op dinsdag en donderdag; twee jongeren aangesproken op geluidsoverlast.",
            "Samen met jongerenwerk gesprek gevoerd met de groep bij de bankjes.",
        ),
    ),
    Plan(
        "Gemeente Utrecht",
        "De glasbak aan de Marshalllaan wordt twee keer per week geleegd",
        agreed_days_ago=56,
        first_due_in=-35,
        status=AS.DONE,
        progress=("Het ledigingsschema is aangepast: maandag en donderdag.",),
        done_days_ago=38,
    ),
    Plan(
        "Woningcorporatie Thuisbasis",
        "De leegstaande winkel aan de Columbuslaan is dichtgetimmerd en de gevel is schoon",
        agreed_days_ago=28,
        first_due_in=-14,
        status=AS.OPEN,
        moved_to_in=-4,
        move_reason="De eigenaar moest eerst toestemming geven.",
        delay_note=(
            "De aannemer kon pas later beginnen; het dichttimmeren is gepland voor "
            "volgende week maandag."
        ),
    ),
    Plan(
        "Stichting Woonkracht",
        "De portiekverlichting in de Churchilllaan 40-60 brandt 's nachts weer",
        agreed_days_ago=28,
        first_due_in=-7,
        status=AS.NOT_FEASIBLE,
        reason=(
            "De portieken zijn van een andere eigenaar; Woonkracht heeft die eigenaar "
            "gevraagd de lampen te vervangen."
        ),
    ),
    Plan(
        "",
        "Buurtschoonmaak rond het speeltuintje op zaterdag 10:00-12:00",
        agreed_days_ago=28,
        first_due_in=20,
        status=AS.WAITING,
        volunteers=(4, 2),
    ),
    Plan(
        "Gemeente Utrecht",
        "Een extra prullenbak bij de ingang van de speeltuin",
        agreed_days_ago=28,
        first_due_in=10,
        status=AS.CANCELLED,
        reason="Vervangen door de grotere container die er sinds vorige week staat.",
    ),
    Plan(
        "Politie Midden-Nederland",
        "Foutparkeerders op het fietspad langs het kanaal worden twee weken lang beboet",
        agreed_days_ago=56,
        first_due_in=-21,
        status=AS.DONE,
        moved_to_in=-6,
        move_reason="Eerst waarschuwen met flyers, daarna boetes.",
        progress=("Eerste week: flyers op 40 auto's. Tweede en derde week: 17 boetes.",),
        done_days_ago=5,
    ),
    Plan(
        "Stichting Buurtwerk Utrecht",
        "Een gesprek tussen jongeren en omwonenden van het plein, in het buurthuis",
        agreed_days_ago=28,
        first_due_in=24,
        status=AS.OPEN,
    ),
]
# Which priority each plan is for: a word of its title (the problems' demo), in PLANS' order.
ABOUT = ["jongeren", "afval", "leegstaand", "jongeren", "afval", "afval", "fietspad", "jongeren"]


def _about(priorities: list[Problem], word: str, number: int) -> Problem:
    for problem in priorities:
        if word in problem.title.lower():
            return problem
    return priorities[number % len(priorities)]


# The room's judgement at last month's meeting of the actions agreed before it.
PAST_JUDGEMENTS = {
    PLANS[0].outcome: (Judgement.Effect.SAME, Judgement.Verdict.CONTINUE, "Nog weinig verschil."),
    PLANS[1].outcome: (Judgement.Effect.BETTER, Judgement.Verdict.CLOSE, "Veel minder afval."),
    PLANS[6].outcome: (Judgement.Effect.BETTER, Judgement.Verdict.CONTINUE, ""),
}
# Tonight's report back (the meeting in progress is past that item).
LIVE_JUDGEMENTS = {
    PLANS[0].outcome: (
        Judgement.Effect.BETTER,
        Judgement.Verdict.CONTINUE,
        "Rustiger op het plein.",
    ),
    PLANS[2].outcome: (
        Judgement.Effect.WORSE,
        Judgement.Verdict.ADJUST,
        "Er is opnieuw ingebroken.",
    ),
    PLANS[6].outcome: (Judgement.Effect.BETTER, Judgement.Verdict.CLOSE, ""),
}
SURVEY = [
    ("better", "Het is echt schoner op straat."),
    ("better", ""),
    ("same", ""),
    ("worse", "In het weekend ligt er weer afval bij de containers."),
]


def _at(days_ago: int, hour: int = 11) -> datetime:
    return timezone.localtime(timezone.now() - timedelta(days=days_ago)).replace(
        hour=hour, minute=0, second=0, microsecond=0
    )


def _day(offset: int) -> date:
    return timezone.localdate() + timedelta(days=offset)


def _member(hood: Neighbourhood, organisation: Organisation) -> User | None:
    membership = (
        Membership.objects.active()
        .filter(neighbourhood=hood, role=Role.PROFESSIONAL, organisation=organisation)
        .select_related("user")
        .first()
    )
    return membership.user if membership else None


def _agree(
    plan: Plan, problem: Problem, hood: Neighbourhood, chair: User, meetings: dict
) -> Action:
    organisation = Organisation.objects.get(name=plan.organisation) if plan.organisation else None
    owner = _member(hood, organisation) if organisation else None
    residents = list(
        User.objects.filter(
            memberships__neighbourhood=hood,
            memberships__role=Role.RESIDENT,
            memberships__status=Membership.Status.ACTIVE,
        )
        .exclude(email=None)
        .order_by("pk")
    )
    meeting = meetings.get(plan.agreed_days_ago)
    action = actions.action_create(
        problem=problem,
        actor=chair,
        role=Role.CHAIR,
        outcome=plan.outcome,
        due_date=_day(max(plan.first_due_in, 1)),
        owner_organisation=organisation,
        owner_person=owner,
        contact_person=residents[0] if organisation is None else None,
        volunteers_needed=plan.volunteers[0],
        meeting=meeting,
    )
    author, role = (owner, Role.PROFESSIONAL) if owner else (chair, Role.CHAIR)
    for volunteer in residents[1 : 1 + plan.volunteers[1]]:
        actions.volunteer_sign_up(action=action, user=volunteer)
    for text in plan.progress:
        actions.action_progress_post(action=action, actor=author, role=role, text=text)
    if plan.moved_to_in is not None:
        actions.action_due_date_move(
            action=action,
            actor=author,
            role=role,
            due_date=_day(max(plan.moved_to_in, 2)),
            reason=plan.move_reason,
        )
    if plan.status != action.status and plan.status != AS.WAITING:
        actions.action_status_set(
            action=action, actor=author, role=role, status=plan.status, reason=plan.reason
        )
    return action


def _backdate(action: Action, plan: Plan) -> None:
    """The services stamped today: spread the history over the weeks since it was agreed."""
    agreed = _at(plan.agreed_days_ago, hour=21)
    last = _at(plan.done_days_ago) if plan.done_days_ago is not None else _at(2)
    updates = list(action.updates.order_by("pk"))
    step = (last - agreed) / max(len(updates) - 1, 1)
    for number, update in enumerate(updates):
        fields: dict = {"at": agreed + step * number}
        if update.kind == ActionUpdate.Kind.DUE_DATE and plan.moved_to_in is not None:
            fields |= {
                "old_due_date": _day(plan.first_due_in),
                "new_due_date": _day(plan.moved_to_in),
            }
        if update.kind == ActionUpdate.Kind.AGREED:
            fields["new_due_date"] = _day(plan.first_due_in)
        ActionUpdate.objects.filter(pk=update.pk).update(**fields)
    due = plan.moved_to_in if plan.moved_to_in is not None else plan.first_due_in
    Action.objects.filter(pk=action.pk).update(
        created_at=agreed,
        updated_at=last,
        first_due_date=_day(plan.first_due_in),
        due_date=_day(due),
        done_at=_at(plan.done_days_ago) if plan.done_days_ago is not None else None,
    )
    if plan.delay_note:
        action.refresh_from_db()
        owner = action.owner_person or action.created_by
        assert owner is not None
        actions.action_delay_note(
            action=action, actor=owner, role=Role.PROFESSIONAL, text=plan.delay_note
        )
        ActionUpdate.objects.filter(action=action, kind=ActionUpdate.Kind.DELAY).update(at=_at(1))
        Action.objects.filter(pk=action.pk).update(delay_note_at=_at(1), updated_at=_at(1))


def _judge(action: Action, meeting: Meeting, chair: User, judgement: tuple, at: datetime) -> None:
    effect, verdict, note = judgement
    report_back.judgement_record(
        action=action, meeting=meeting, actor=chair, effect=effect, verdict=verdict, note=note
    )
    Judgement.objects.filter(action=action, meeting=meeting).update(at=at)
    ActionUpdate.objects.filter(
        action=action, kind=ActionUpdate.Kind.JUDGED, meeting=meeting
    ).update(at=at)


def load(hood: Neighbourhood, chair: User) -> None:
    past = (
        Meeting.objects.filter(neighbourhood=hood, status=Meeting.Status.CLOSED)
        .order_by("-starts_at")
        .first()
    )
    live = Meeting.objects.filter(neighbourhood=hood, status=Meeting.Status.IN_PROGRESS).first()
    assert past is not None, "load the meetings' demo first"
    assert live is not None, "load the meetings' demo first"
    priorities = list(Problem.objects.for_neighbourhood(hood).priorities().order_by("pk"))
    assert priorities, "the problems' demo has priorities"
    made: dict[str, Action] = {}
    for number, plan in enumerate(PLANS):
        problem = _about(priorities, ABOUT[number], number)
        action = _agree(plan, problem, hood, chair, {28: past})
        _backdate(action, plan)
        made[plan.outcome] = action
    for outcome, judgement in PAST_JUDGEMENTS.items():
        _judge(made[outcome], past, chair, judgement, past.starts_at + timedelta(minutes=20))
    for outcome, judgement in LIVE_JUDGEMENTS.items():
        _judge(made[outcome], live, chair, judgement, live.starts_at + timedelta(minutes=15))
    # The judgements that closed actions stamped them done today: keep the planned dates.
    for plan in PLANS:
        if plan.done_days_ago is not None:
            Action.objects.filter(pk=made[plan.outcome].pk).update(done_at=_at(plan.done_days_ago))
    _survey(hood, past)


def _survey(hood: Neighbourhood, past: Meeting) -> None:
    """The resolved problem was resolved at last month's meeting; residents answered."""
    resolution = (
        TimelineEntry.objects.filter(problem__neighbourhood=hood, move=Move.RESOLVE)
        .select_related("problem")
        .order_by("pk")
        .first()
    )
    if resolution is None:
        return
    TimelineEntry.objects.filter(pk=resolution.pk).update(meeting=past)
    residents = (
        User.objects.filter(
            memberships__neighbourhood=hood,
            memberships__role=Role.RESIDENT,
            memberships__status=Membership.Status.ACTIVE,
        )
        .exclude(email=None)
        .order_by("-pk")
    )
    for (answer, remark), user in zip(SURVEY, residents, strict=False):
        actions.survey_answer(resolution=resolution, user=user, answer=answer, remark=remark)
    # The chair heard of the "worse" answer back then: history, not news.
    Delivery.objects.filter(
        mailing__kind=ProblemMail.SURVEY_WORSE,
        mailing__neighbourhood=hood,
        status=Delivery.Status.QUEUED,
    ).update(status=Delivery.Status.SENT, sent_at=timezone.now(), attempts=1)
