"""Writes for analyses, actions, volunteers, the room's judgements and the "Is het beter
geworden?" survey. Views, panels and due work call these; nothing else writes those rows.

Every change to an action appends an ActionUpdate (its public history) and raises its
`version` and `updated_at` under the row lock; none edits an update. "On time" is judged
against `first_due_date`, which nothing changes after creation. Who may call what is checked
by the views (meetings.actions.access, meetings.access); these check the data.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from buurtoverleg.mail.models import Mailing
from buurtoverleg.mail.pipeline import mailing_create, recipients_for
from buurtoverleg.public_pages import changes_public_pages
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
from problems.mail_kinds import ProblemMail
from problems.models import Problem, TimelineEntry
from problems.services import problem_transition
from problems.workflow import MEETING, Move, Status
from residents.links import register_purpose
from residents.mail_preferences import wants
from residents.models import MailTopic, Membership, Neighbourhood, Organisation, Role, User

log = logging.getLogger(__name__)

AS = ActionStatus
SURVEY = register_purpose("survey", model="problems.TimelineEntry")
# How long a survey link stays valid after the mail went out.
SURVEY_LINK_DAYS = 60
# Due work looks this far back, so a job that missed a few days still catches up, but a new
# installation does not mail about every action that was ever late.
CATCH_UP_DAYS = 14

# Outcomes that describe attention, not a result: "aandacht voor", "kijken naar".
VAGUE_OUTCOME = re.compile(
    r"^\s*(aandacht\s+(voor|aan)|kijken\s+(naar|of)|in\s+de\s+gaten\s+houden|"
    r"bespreken|onderzoeken\s+of|attention\s+(for|to)|look\s+into|keep\s+an\s+eye)\b",
    re.IGNORECASE,
)
# The status changes a person may make; DONE and the final ones need nothing else,
# NOT_FEASIBLE and CANCELLED need a public reason, leaving a final status reopens.
NEEDS_REASON = frozenset({AS.NOT_FEASIBLE, AS.CANCELLED})


class ActionConflict(ValidationError):
    """Someone else changed the action since the form was shown."""


def _refused(field: str, message: Any, code: str) -> ValidationError:
    """A refusal about one field of the form, with its code."""
    return ValidationError({field: ValidationError(message, code=code)})


def _check_outcome(outcome: str) -> str:
    outcome = " ".join(outcome.split())
    if not outcome:
        raise _refused("outcome", _("Say what exactly is to be achieved."), "outcome_required")
    if VAGUE_OUTCOME.match(outcome):
        raise _refused(
            "outcome",
            _(
                "Describe a result that can be checked, e.g. 'The glass container is "
                "emptied twice a week', not 'attention for litter'."
            ),
            "vague_outcome",
        )
    return outcome


# Only an action the residents themselves own (no owner organisation) asks for volunteers:
# an organisation's action is done by that organisation. Both action forms rely on this.
VOLUNTEERS_FOR_RESIDENTS = "volunteers_for_residents_only"


def _check_volunteers(
    organisation: Organisation | None, volunteers_needed: int, *, field: str
) -> None:
    if volunteers_needed and organisation is not None:
        message = (
            _("Only an action of the residents themselves asks for volunteers.")
            if field == "volunteers_needed"
            else _("This action asks for volunteers, so the residents themselves own it.")
        )
        raise _refused(field, message, VOLUNTEERS_FOR_RESIDENTS)


def _active_member(user: User, neighbourhood: Neighbourhood, **filters: Any) -> bool:
    return (
        Membership.objects.active()
        .filter(user=user, neighbourhood=neighbourhood, **filters)
        .exists()
    )


def _check_people(
    neighbourhood: Neighbourhood,
    organisation: Organisation | None,
    owner_person: User | None,
    contact_person: User | None,
) -> None:
    errors: dict[str, Any] = {}
    if owner_person is not None:
        if organisation is None:
            ok = _active_member(owner_person, neighbourhood)
        else:
            ok = _active_member(owner_person, neighbourhood, organisation=organisation)
        if not ok:
            errors["owner_person"] = ValidationError(
                _("The owner must be a member of this neighbourhood, for the owner organisation."),
                code="owner_not_member",
            )
    if contact_person is not None and not _active_member(
        contact_person, neighbourhood, role=Role.RESIDENT
    ):
        errors["contact_person"] = ValidationError(
            _("The contact person must be a resident of this neighbourhood."),
            code="contact_not_resident",
        )
    if errors:
        raise ValidationError(errors)


def _update(
    action: Action, kind: str, actor: User | None, role: str, **fields: Any
) -> ActionUpdate:
    return ActionUpdate.objects.create(
        action=action, kind=kind, author=actor, author_role=role, **fields
    )


def _lock(action: Action, version: int | None = None) -> Action:
    locked = (
        Action.objects.select_for_update(of=("self",))
        .select_related("neighbourhood", "owner_organisation")
        .get(pk=action.pk)
    )
    if version is not None and locked.version != version:
        raise ActionConflict(
            _("Someone else changed this action meanwhile. Look at it again and retry."),
            code="changed_meanwhile",
        )
    return locked


def _save(locked: Action, fields: list[str], original: Action | None = None) -> Action:
    locked.version += 1
    locked.updated_at = timezone.now()
    locked.save(update_fields=[*fields, "version", "updated_at"])
    if original is not None:
        original.__dict__.update(
            {k: v for k, v in locked.__dict__.items() if not k.startswith("_")}
        )
    return locked


# --- Analysis ---------------------------------------------------------------------------------


@changes_public_pages
@transaction.atomic
def analysis_save(
    *,
    problem: Problem,
    actor: User,
    location: str,
    victims: str,
    offenders: str,
    meeting: Any = None,  # a meetings.Meeting: problems does not import meetings
) -> Analysis:
    """The crime triangle of a priority: where and when, who is affected, who causes it."""
    locked = Problem.objects.select_for_update().get(pk=problem.pk)
    if not locked.is_actionable:
        raise ValidationError(
            _("Only accepted, open problems can be analysed."), code="not_actionable"
        )
    analysis, _created = Analysis.objects.update_or_create(
        problem=locked,
        defaults={
            "location": location.strip(),
            "victims": victims.strip(),
            "offenders": offenders.strip(),
            **({"meeting": meeting} if meeting is not None else {}),
            "updated_by": actor,
            "updated_at": timezone.now(),
        },
    )
    return analysis


# --- Actions ----------------------------------------------------------------------------------


@changes_public_pages
@transaction.atomic
def action_create(
    *,
    problem: Problem,
    actor: User,
    role: str,
    outcome: str,
    due_date: date,
    owner_organisation: Organisation | None,
    owner_person: User | None = None,
    contact_person: User | None = None,
    details: str = "",
    volunteers_needed: int = 0,
    meeting: Any = None,  # a meetings.Meeting: problems does not import meetings
) -> Action:
    """Agree an action for an open problem. Sent twice (a double click, a retried request),
    the same action comes back once."""
    locked = Problem.objects.select_for_update().select_related("neighbourhood").get(pk=problem.pk)
    if not locked.is_actionable:
        raise ValidationError(
            _("Actions can be agreed only for accepted, open problems."), code="not_actionable"
        )
    outcome = _check_outcome(outcome)
    if due_date < timezone.localdate():
        raise _refused("due_date", _("The due date cannot be in the past."), "due_date_past")
    if not 0 <= volunteers_needed <= 99:
        raise _refused(
            "volunteers_needed", _("Between 0 and 99 volunteers."), "volunteers_out_of_range"
        )
    _check_volunteers(owner_organisation, volunteers_needed, field="volunteers_needed")
    hood = locked.neighbourhood
    _check_people(hood, owner_organisation, owner_person, contact_person)
    same = (
        Action.objects.filter(
            problem=locked,
            outcome=outcome,
            owner_organisation=owner_organisation,
            due_date=due_date,
            created_at__gte=timezone.now() - timedelta(minutes=10),
        )
        .order_by("pk")
        .first()
    )
    if same is not None:
        return same
    now = timezone.now()
    action = Action.objects.create(
        neighbourhood=hood,
        problem=locked,
        outcome=outcome,
        details=details.strip(),
        owner_organisation=owner_organisation,
        owner_person=owner_person,
        contact_person=contact_person,
        volunteers_needed=volunteers_needed,
        first_due_date=due_date,
        due_date=due_date,
        meeting=meeting,
        status=AS.WAITING if volunteers_needed else AS.OPEN,
        created_by=actor,
        created_at=now,
        updated_at=now,
    )
    _update(
        action,
        ActionUpdate.Kind.AGREED,
        actor,
        role,
        to_status=action.status,
        new_due_date=due_date,
        organisation=owner_organisation,
        meeting=meeting,
        at=now,
    )
    Problem.objects.filter(pk=locked.pk).update(activity_at=now)
    return action


EDITABLE = ("outcome", "details", "owner_organisation", "owner_person", "contact_person")


@changes_public_pages
@transaction.atomic
def action_edit(
    *, action: Action, actor: User, role: str, version: int | None = None, **values: Any
) -> ActionUpdate | None:
    """Change what was agreed (not the date or status: those have their own services)."""
    unknown = set(values) - set(EDITABLE)
    if unknown:
        raise ValueError(f"Not editable: {sorted(unknown)}")
    locked = _lock(action, version)
    if "outcome" in values:
        values["outcome"] = _check_outcome(values["outcome"])
    if "details" in values:
        values["details"] = values["details"].strip()
    changed = [field for field, value in values.items() if getattr(locked, field) != value]
    if not changed:
        return None
    for field in changed:
        setattr(locked, field, values[field])
    # The number of volunteers is fixed when agreed, so the owner cannot move away from them.
    _check_volunteers(
        locked.owner_organisation, locked.volunteers_needed, field="owner_organisation"
    )
    _check_people(
        locked.neighbourhood,
        locked.owner_organisation,
        locked.owner_person,
        locked.contact_person,
    )
    _save(locked, changed, action)
    labels = ", ".join(str(getattr(Action._meta.get_field(f), "verbose_name", f)) for f in changed)
    return _update(locked, ActionUpdate.Kind.EDIT, actor, role, text=labels)


@changes_public_pages
@transaction.atomic
def action_progress_post(
    *,
    action: Action,
    actor: User,
    role: str,
    text: str,
    organisation: Organisation | None = None,
    status: str | None = None,
    version: int | None = None,
) -> ActionUpdate:
    """A public progress note, optionally with a new status (in progress, done)."""
    text = text.strip()
    if not text:
        raise _refused("text", _("Write what happened."), "text_required")
    locked = _lock(action, version)
    entry = _update(
        locked,
        ActionUpdate.Kind.PROGRESS,
        actor,
        role,
        text=text,
        organisation=organisation or locked.owner_organisation,
    )
    if status and status != locked.status:
        _status(locked, actor, role, status, "")
    if locked.status == AS.OPEN and not status:
        _status(locked, actor, role, AS.IN_PROGRESS, "")
    else:
        _save(locked, [])
    action.__dict__.update({k: v for k, v in locked.__dict__.items() if not k.startswith("_")})
    return entry


def _status(locked: Action, actor: User | None, role: str, status: str, reason: str) -> None:
    if status not in AS.values:
        raise _refused("status", _("Choose a status."), "status_required")
    if status == locked.status:
        raise _refused("status", _("The action already has this status."), "status_unchanged")
    reason = reason.strip()
    if status in NEEDS_REASON and not reason:
        raise _refused("reason", _("Give a reason; everyone will see it."), "reason_required")
    if status == AS.WAITING and not locked.volunteers_needed:
        raise _refused("status", _("This action does not need volunteers."), "no_volunteers")
    previous = locked.status
    locked.status = status
    locked.status_reason = reason if status in NEEDS_REASON else ""
    locked.done_at = timezone.now() if status == AS.DONE else None
    _save(locked, ["status", "status_reason", "done_at"])
    _update(
        locked,
        ActionUpdate.Kind.STATUS,
        actor,
        role,
        from_status=previous,
        to_status=status,
        text=reason,
        organisation=locked.owner_organisation,
    )


@changes_public_pages
@transaction.atomic
def action_status_set(
    *,
    action: Action,
    actor: User | None,
    role: str,
    status: str,
    reason: str = "",
    version: int | None = None,
) -> Action:
    """In progress, done, not feasible (with a reason), cancelled (with a reason), or back
    to open from any of those."""
    locked = _lock(action, version)
    _status(locked, actor, role, status, reason)
    action.__dict__.update({k: v for k, v in locked.__dict__.items() if not k.startswith("_")})
    return locked


@changes_public_pages
@transaction.atomic
def action_due_date_move(
    *,
    action: Action,
    actor: User,
    role: str,
    due_date: date,
    reason: str,
    version: int | None = None,
) -> ActionUpdate:
    """A new date, with a public reason; the first agreed date stays what 'on time' means."""
    reason = reason.strip()
    if not reason:
        raise _refused("reason", _("Give a reason; everyone will see it."), "reason_required")
    locked = _lock(action, version)
    if locked.status in ACTION_FINAL:
        raise ValidationError(
            _("This action is finished; its date no longer moves."), code="action_finished"
        )
    if due_date == locked.due_date:
        raise _refused("due_date", _("That is the current due date."), "due_date_unchanged")
    if due_date < timezone.localdate():
        raise _refused("due_date", _("The due date cannot be in the past."), "due_date_past")
    old = locked.due_date
    locked.due_date = due_date
    _save(locked, ["due_date"], action)
    return _update(
        locked,
        ActionUpdate.Kind.DUE_DATE,
        actor,
        role,
        text=reason,
        old_due_date=old,
        new_due_date=due_date,
        organisation=locked.owner_organisation,
    )


@changes_public_pages
@transaction.atomic
def action_delay_note(
    *, action: Action, actor: User, role: str, text: str, version: int | None = None
) -> ActionUpdate:
    """Past its date, the owner says publicly why it is late."""
    text = text.strip()
    if not text:
        raise _refused("text", _("Say why it is late."), "text_required")
    locked = _lock(action, version)
    if not locked.is_overdue:
        raise ValidationError(
            _("Only an overdue action needs a note on why it is late."), code="not_overdue"
        )
    now = timezone.now()
    locked.delay_note, locked.delay_note_at = text, now
    _save(locked, ["delay_note", "delay_note_at"], action)
    return _update(
        locked,
        ActionUpdate.Kind.DELAY,
        actor,
        role,
        text=text,
        organisation=locked.owner_organisation,
        at=now,
    )


# --- Volunteers -------------------------------------------------------------------------------


@changes_public_pages
def volunteer_sign_up(*, action: Action, user: User) -> bool:
    """A resident signs up; enough of them make a waiting action open. False: already did."""
    try:
        with transaction.atomic():
            locked = _lock(action)
            if not locked.volunteers_needed:
                raise ValidationError(
                    _("This action does not ask for volunteers."), code="no_volunteers"
                )
            if locked.status in ACTION_FINAL:
                raise ValidationError(_("This action is finished."), code="action_finished")
            Volunteer.objects.create(action=locked, user=user)
            locked.volunteer_count += 1
            fields = ["volunteer_count"]
            became_active = (
                locked.status == AS.WAITING and locked.volunteer_count >= locked.volunteers_needed
            )
            if became_active:
                locked.status = AS.OPEN
                fields.append("status")
            _save(locked, fields, action)
            if became_active:
                _update(
                    locked,
                    ActionUpdate.Kind.VOLUNTEERS,
                    None,
                    "",
                    from_status=AS.WAITING,
                    to_status=AS.OPEN,
                )
    except IntegrityError:  # the database's once-per-person rule: two taps, two tabs
        return False
    return True


@changes_public_pages
@transaction.atomic
def volunteer_withdraw(*, action: Action, user: User) -> bool:
    """Signing off. An action that already started stays active."""
    locked = _lock(action)
    deleted, _rows = Volunteer.objects.filter(action=locked, user=user).delete()
    if not deleted:
        return False
    locked.volunteer_count = max(0, locked.volunteer_count - 1)
    _save(locked, ["volunteer_count"], action)
    return True


# --- Report back: the room's judgement and resolving a priority (actions.report_back) ---


@changes_public_pages
@transaction.atomic
def judgement_record(
    *,
    action: Action,
    meeting: Any,  # a meetings.Meeting
    actor: User,
    effect: str,
    verdict: str,
    note: str = "",
) -> Judgement:
    """The room's judgement of one action: better / same / worse, and continue / adjust /
    close. Closing an action that is still active marks it done, by the meeting. Only a
    meeting of the action's neighbourhood judges it; whether the meeting still counts (not
    cancelled) is the meeting's rule: meetings.actions.report_back.judgement_record checks it."""
    if action.neighbourhood_id != meeting.neighbourhood_id:
        raise ValidationError(
            _("This action belongs to another neighbourhood."), code="other_neighbourhood"
        )
    if effect not in Judgement.Effect.values:
        raise _refused("effect", _("Choose better, the same or worse."), "effect_required")
    if verdict not in Judgement.Verdict.values:
        raise _refused("verdict", _("Choose continue, adjust or close."), "verdict_required")
    locked = _lock(action)
    judgement, _created = Judgement.objects.update_or_create(
        action=locked,
        meeting=meeting,
        defaults={
            "effect": effect,
            "verdict": verdict,
            "note": note.strip(),
            "recorded_by": actor,
            "at": timezone.now(),
        },
    )
    ActionUpdate.objects.create(
        action=locked,
        kind=ActionUpdate.Kind.JUDGED,
        author=actor,
        author_role=MEETING,
        text=judgement.note,
        effect=effect,
        verdict=verdict,
        meeting=meeting,
    )
    if verdict == Judgement.Verdict.CLOSE and locked.status in ACTION_ACTIVE:
        _status(locked, actor, MEETING, AS.DONE, "")
    action.__dict__.update({k: v for k, v in locked.__dict__.items() if not k.startswith("_")})
    return judgement


@changes_public_pages
def priority_resolve(
    *, problem: Problem, meeting: Any, actor: User, decision: str
) -> TimelineEntry:
    """The meeting decides that a priority is resolved: its supporters and followers hear of
    it (problems.services), and weeks later they are asked whether it got better. Only a
    meeting of the problem's neighbourhood decides it; whether the meeting still counts (not
    cancelled) is the meeting's rule: meetings.actions.report_back.priority_resolve checks it."""
    if problem.neighbourhood_id != meeting.neighbourhood_id:
        raise ValidationError(
            _("This problem belongs to another neighbourhood."), code="other_neighbourhood"
        )
    decision = decision.strip()
    if not decision:
        raise _refused("decision", _("Record the meeting's decision."), "decision_required")
    return problem_transition(
        problem=problem,
        move=Move.RESOLVE,
        actor=actor,
        actors={MEETING},
        public_note=decision,
        meeting=meeting,
    )


# --- Due work: reminders, overdue notices, the survey -----------------------------------------


def _owners(action: Action) -> list[User]:
    """Whom a reminder goes to: the named owner; else the organisation's professionals here;
    else (a residents' action, or nobody of the organisation here) the contact person, else
    the chairs. Only people with an e-mail address count."""
    owner, contact = action.owner_person, action.contact_person
    if owner is not None and owner.is_active and owner.email:
        return [owner]
    if action.owner_organisation_id:
        professionals = list(
            User.objects.filter(
                memberships__in=Membership.objects.active().filter(
                    neighbourhood_id=action.neighbourhood_id,
                    role=Role.PROFESSIONAL,
                    organisation=action.owner_organisation_id,
                ),
                is_active=True,
            )
            .exclude(email=None)
            .distinct()
            .order_by("pk")
        )
        if professionals:
            return professionals
    if contact is not None and contact.is_active and contact.email:
        return [contact]
    return _chairs(action.neighbourhood_id)


def _chairs(neighbourhood_id: int) -> list[User]:
    return list(
        User.objects.filter(
            memberships__neighbourhood_id=neighbourhood_id,
            memberships__role=Role.CHAIR,
            memberships__status=Membership.Status.ACTIVE,
            is_active=True,
        )
        .distinct()
        .order_by("pk")
    )


def _action_mail(
    action: Action, kind: str, to: Callable[[Action], list[User]], key: str
) -> Mailing | None:
    """A new mailing about this action; None if this one was made before (or nobody to tell)."""
    if Mailing.objects.filter(key=key).exists():
        return None
    recipients = recipients_for(to(action))
    if not recipients:
        return None
    return mailing_create(
        kind=kind,
        recipients=recipients,
        neighbourhood=action.neighbourhood,
        subject=action,
        context={
            "action_url": settings.SITE_URL + action.get_absolute_url(),
            "due_date": action.due_date.isoformat(),
        },
        key=key,
    )


def actions_remind_due(today: date | None = None) -> int:
    """Remind owners before the due date and tell the chairs once an action is overdue.

    Each mailing's key names the action and its due date, so the job may run every hour: one
    reminder and one overdue notice per action and date, whatever the number of runs.
    Moving the date makes a new reminder due for the new date.
    """
    today = today or timezone.localdate()
    sent = 0
    horizon = today + timedelta(days=60)
    due_soon = (
        Action.objects.active()
        .filter(due_date__gte=today, due_date__lte=horizon)
        .select_related("neighbourhood", "owner_person", "contact_person", "owner_organisation")
    )
    for action in due_soon:
        if (action.due_date - today).days > action.neighbourhood.action_reminder_days:
            continue
        key = f"action-reminder:{action.pk}:{action.due_date.isoformat()}"
        if _action_mail(action, ProblemMail.ACTION_REMINDER, _owners, key):
            sent += 1
    overdue = (
        Action.objects.active()
        .filter(due_date__lt=today, due_date__gte=today - timedelta(days=CATCH_UP_DAYS))
        .select_related("neighbourhood", "owner_organisation")
    )
    for action in overdue:
        key = f"action-overdue:{action.pk}:{action.due_date.isoformat()}"
        if _action_mail(
            action,
            ProblemMail.ACTION_OVERDUE,
            lambda found: _chairs(found.neighbourhood_id),
            key,
        ):
            sent += 1
    return sent


def surveys_send_due(now: Any = None) -> int:
    """Weeks after a problem was resolved, ask its supporters and followers once whether it
    got better. One mailing per resolution (keyed), only while the problem stays resolved."""
    now = now or timezone.now()
    sent = 0
    resolutions = (
        TimelineEntry.objects.filter(
            move=Move.RESOLVE,
            problem__status=Status.RESOLVED,
            at__gte=now - timedelta(days=365),
        )
        # Only the latest resolution of a problem: resolved again, the question is asked again.
        .exclude(
            Exists(
                TimelineEntry.objects.filter(
                    problem=OuterRef("problem"), move=Move.RESOLVE, pk__gt=OuterRef("pk")
                )
            )
        )
        .select_related("problem__neighbourhood", "problem__category")
        .order_by("pk")
    )
    for entry in resolutions:
        problem = entry.problem
        ask_at = entry.at + timedelta(days=problem.neighbourhood.survey_after_days)
        if not (ask_at <= now < ask_at + timedelta(days=CATCH_UP_DAYS)):
            continue
        key = f"problem-survey:{entry.pk}"
        if Mailing.objects.filter(key=key).exists():
            continue
        people = (
            User.objects.filter(
                Q(follows__problem=problem) | Q(supports__problem=problem), is_active=True
            )
            .filter(wants(MailTopic.SURVEY, problem.neighbourhood_id))
            .exclude(email=None)
            .distinct()
            .order_by("pk")
        )
        recipients = recipients_for(people)
        if not recipients:
            continue
        mailing_create(
            kind=ProblemMail.PROBLEM_SURVEY,
            recipients=recipients,
            neighbourhood=problem.neighbourhood,
            subject=entry,
            context={"expires_at": (now + timedelta(days=SURVEY_LINK_DAYS)).isoformat()},
            key=key,
        )
        sent += 1
    return sent


@transaction.atomic
def survey_answer(
    *, resolution: TimelineEntry, user: User, answer: str, remark: str = ""
) -> SurveyAnswer:
    """One answer per person per resolution; answering again replaces it. A 'worse' answer
    reaches the chairs once, who can reopen the problem."""
    if answer not in SurveyAnswer.Answer.values:
        raise _refused("answer", _("Choose better, the same or worse."), "answer_required")
    if resolution.move != Move.RESOLVE:
        raise ValidationError(
            _("This question is not about a resolved problem."), code="not_resolved"
        )
    row, _created = SurveyAnswer.objects.update_or_create(
        resolution=resolution,
        user=user,
        defaults={
            "problem_id": resolution.problem_id,
            "answer": answer,
            "remark": remark.strip()[:1000],
            "at": timezone.now(),
        },
    )
    if answer == SurveyAnswer.Answer.WORSE:
        problem = resolution.problem
        recipients = recipients_for(_chairs(problem.neighbourhood_id))
        if recipients:
            mailing_create(
                kind=ProblemMail.SURVEY_WORSE,
                recipients=recipients,
                neighbourhood=problem.neighbourhood,
                subject=problem,
                context={
                    "answer_id": row.pk,
                    "problem_url": settings.SITE_URL + problem.get_absolute_url(),
                },
                key=f"survey-worse:{resolution.pk}:{user.pk}",
            )
    return row
