"""Forms of the action pages: agreeing and editing an action, progress, a new due date, a
status, the "why delayed" note, and a priority's analysis. The agenda screen's Aanpak panel
(meetings.actions.panels) agrees actions and writes analyses with the same two forms.

They only read and check input, with clear messages; the views pass the cleaned values to
meetings.actions.services, which checks the rules again (a vague outcome, a date in the past,
an owner who is not a member). Each write form carries the action's `version`, so a change
made meanwhile by someone else is refused instead of overwritten.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from meetings.actions.models import ACTION_ACTIVE, Action, ActionStatus, Analysis
from meetings.actions.services import VAGUE_OUTCOME
from residents.models import Membership, Neighbourhood, Organisation, Role, User

AS = ActionStatus
TEXT_MAX_LENGTH = 2000  # ActionUpdate.text, Action.details, the analysis fields
# The value of the owner organisation field that means "the residents themselves".
RESIDENTS = "bewoners"
PAST_DATE = _("The due date cannot be in the past.")
NEEDS_REASON_MESSAGE = _("Give a reason; everyone will see it.")


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


def _date_field(label: Any, help_text: Any = "") -> forms.DateField:
    return forms.DateField(
        label=label,
        help_text=help_text,
        widget=DateInput(),
        input_formats=["%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y"],
        error_messages={
            "required": _("Fill in the date."),
            "invalid": _("Fill in a date like 31-12-2025."),
        },
    )


class VersionField(forms.IntegerField):
    """The action's version when the form was shown (hidden)."""

    widget = forms.HiddenInput

    def __init__(self) -> None:
        super().__init__(required=False, min_value=1)


# --- Who can own an action --------------------------------------------------------------------


def owner_people(neighbourhood: Neighbourhood, organisations: set[int] | None) -> list[User]:
    """The team members who can be named as owner here: professionals (of these
    organisations, or any when None) and, when any is allowed, the chairs. One query."""
    members = (
        Membership.objects.active()
        .filter(neighbourhood=neighbourhood, user__is_active=True)
        .select_related("user", "organisation")
        .order_by("user__display_name", "pk")
    )
    if organisations is None:
        members = members.filter(role__in=[Role.PROFESSIONAL, Role.CHAIR])
    else:
        members = members.filter(role=Role.PROFESSIONAL, organisation__in=organisations)
    people: dict[int, User] = {}
    for membership in members:
        user = membership.user
        if user.pk in people:
            continue
        org = membership.organisation
        user.choice_label = f"{user.display_name} ({org.name})" if org else user.display_name  # type: ignore[attr-defined]
        people[user.pk] = user
    return list(people.values())


def contact_people(neighbourhood: Neighbourhood) -> list[User]:
    """Active residents of the neighbourhood, who can be the community contact person."""
    return list(
        User.objects.filter(
            is_active=True,
            memberships__neighbourhood=neighbourhood,
            memberships__status=Membership.Status.ACTIVE,
            memberships__role=Role.RESIDENT,
        )
        .distinct()
        .order_by("display_name", "pk")
        .only("pk", "display_name")
    )


class PersonField(forms.ChoiceField):
    """A choice among people given as a list (no query of its own); cleans to a User or None."""

    def __init__(self, *, people: list[User], empty_label: Any, **kwargs: Any) -> None:
        self.people = {str(user.pk): user for user in people}
        choices = [("", empty_label)] + [
            (str(user.pk), getattr(user, "choice_label", user.display_name)) for user in people
        ]
        super().__init__(choices=choices, required=False, **kwargs)

    def clean(self, value: Any) -> User | None:
        value = super().clean(value)
        return self.people.get(value) if value else None


class ActionForm(forms.Form):
    """What is agreed: the outcome, the owner, the date, the contact person, volunteers.

    Used to agree a new action (with a due date) and to edit what was agreed (without: the
    date moves with a reason, on the action's page). The choices come ready-made (no query
    per form); the service checks the rules again (a vague outcome, a date in the past, an
    owner who is not a member of that organisation here).
    """

    # The owner organisation's choice for "the residents themselves", and how the list asks.
    residents_value: str = RESIDENTS
    residents_label: Any = _("Residents (the residents themselves)")
    owner_prompt: Any = _("Choose who owns it")

    outcome = forms.CharField(
        label=_("What exactly is to be achieved?"),
        help_text=_(
            "A result that can be checked, e.g. 'The glass container is emptied twice a "
            "week', not 'attention for litter'. Everyone can read this."
        ),
        max_length=300,
        error_messages={"required": _("Say what exactly is to be achieved.")},
    )
    owner_organisation = forms.ChoiceField(label=_("Who owns it?"))
    owner_person = forms.ChoiceField(label=_("Owner (person)"), required=False)
    due_date = _date_field(_("Done by"), _("The date everyone agreed. It cannot be in the past."))
    contact_person = forms.ChoiceField(
        label=_("Contact person among the residents"), required=False
    )
    details = forms.CharField(
        label=_("How"),
        help_text=_("The steps, who else helps. Everyone can read this."),
        max_length=TEXT_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    volunteers_needed = forms.IntegerField(
        label=_("Residents needed to help"),
        help_text=_(
            "For an action of the residents themselves: how many volunteers it needs "
            "before it starts. 0: none."
        ),
        min_value=0,
        max_value=99,
        required=False,
        error_messages={
            "min_value": _("Fill in 0 or more."),
            "max_value": _("At most 99 volunteers."),
            "invalid": _("Fill in a whole number."),
        },
    )
    version = VersionField()

    def __init__(
        self,
        data: Any = None,
        *,
        organisations: list[Organisation],
        residents_allowed: bool,
        owners: list[User],
        contacts: list[User],
        action: Action | None = None,
        **kwargs: Any,
    ) -> None:
        initial: dict[str, Any] = {"volunteers_needed": 0}
        if action is not None:
            initial = {
                "outcome": action.outcome,
                "details": action.details,
                "owner_organisation": str(action.owner_organisation_id or RESIDENTS),
                "owner_person": str(action.owner_person_id or ""),
                "contact_person": str(action.contact_person_id or ""),
                "version": action.version,
            }
        super().__init__(data, initial=initial, **kwargs)
        self.organisations = {str(org.pk): org for org in organisations}
        choices: list[tuple[str, Any]] = [("", self.owner_prompt)]
        if residents_allowed:
            choices.append((self.residents_value, self.residents_label))
        choices += [(str(org.pk), org.name) for org in organisations]
        owner = self.fields["owner_organisation"]
        assert isinstance(owner, forms.ChoiceField)
        owner.choices = choices
        owner.error_messages["required"] = _("Choose who owns it.")
        owner.error_messages["invalid_choice"] = _("You cannot make this organisation the owner.")
        self.fields["owner_person"] = PersonField(
            people=owners,
            empty_label=_("Nobody named yet"),
            label=_("Owner (person)"),
            help_text=_("A member of the owner organisation in this neighbourhood."),
        )
        self.fields["contact_person"] = PersonField(
            people=contacts,
            empty_label=_("No contact person"),
            label=_("Contact person among the residents"),
            help_text=_("Only the team sees who it is."),
        )
        if action is None:
            del self.fields["version"]
        else:
            # The date moves on the action's page, with a reason; volunteers are fixed.
            del self.fields["due_date"]
            del self.fields["volunteers_needed"]

    def clean_outcome(self) -> str:
        outcome = " ".join(self.cleaned_data["outcome"].split())
        if VAGUE_OUTCOME.match(outcome):
            # The service says so too; here it comes with the form's other errors at once.
            raise ValidationError(
                _(
                    "Describe a result that can be checked, e.g. 'The glass container is "
                    "emptied twice a week', not 'attention for litter'."
                ),
                code="vague_outcome",
            )
        return outcome

    def clean_owner_organisation(self) -> Organisation | None:
        value = self.cleaned_data["owner_organisation"]
        return self.organisations.get(value) if value else None

    def clean_due_date(self) -> Any:
        due = self.cleaned_data["due_date"]
        if due is not None and due < timezone.localdate():
            raise ValidationError(PAST_DATE)
        return due

    def clean_volunteers_needed(self) -> int:
        return self.cleaned_data.get("volunteers_needed") or 0

    def create_values(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "outcome": data["outcome"],
            "details": data.get("details", ""),  # the agenda screen's form has no "how"
            "owner_organisation": data["owner_organisation"],
            "owner_person": data["owner_person"],
            "contact_person": data["contact_person"],
            "due_date": data["due_date"],
            "volunteers_needed": data["volunteers_needed"],
        }

    def edit_values(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "outcome": data["outcome"],
            "details": data["details"],
            "owner_organisation": data["owner_organisation"],
            "owner_person": data["owner_person"],
            "contact_person": data["contact_person"],
        }


# --- Updates on the action's page -------------------------------------------------------------


class ActionUpdateForm(forms.Form):
    """A form on the action's page: shown with the action's version, ids of its own."""

    prefix_id = "update"

    def __init__(self, data: Any = None, *, action: Action, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"id_{self.prefix_id}_{action.pk}_%s")
        super().__init__(data, initial={"version": action.version}, **kwargs)
        self.action = action


def progress_statuses(action: Action) -> list[tuple[str, Any]]:
    """What a progress post may also set: in progress, done (not the current status)."""
    return [
        (status.value, status.label)
        for status in (AS.IN_PROGRESS, AS.DONE)
        if status != action.status
    ]


class ProgressForm(ActionUpdateForm):
    prefix_id = "progress"

    text = forms.CharField(
        label=_("What happened?"),
        help_text=_("Everyone can read this, with the date and your organisation, not your name."),
        max_length=TEXT_MAX_LENGTH,
        error_messages={"required": _("Write what happened.")},
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    status = forms.ChoiceField(label=_("New status"), required=False)
    version = VersionField()

    def __init__(self, data: Any = None, *, action: Action, **kwargs: Any) -> None:
        super().__init__(data, action=action, **kwargs)
        status = self.fields["status"]
        assert isinstance(status, forms.ChoiceField)
        status.choices = [("", _("Keep the status")), *progress_statuses(action)]
        status.error_messages["invalid_choice"] = _("Choose a status from the list.")


def status_choices(action: Action) -> list[tuple[str, Any]]:
    """The statuses a person may set now: an active action can start, be done, turn out not
    feasible or be cancelled (a waiting one can also open without more volunteers); a
    finished one can go back to open."""
    if action.status == AS.WAITING:  # start without waiting for more volunteers
        wanted = [AS.OPEN, AS.IN_PROGRESS, AS.DONE, AS.NOT_FEASIBLE, AS.CANCELLED]
    elif action.status in ACTION_ACTIVE:
        wanted = [AS.IN_PROGRESS, AS.DONE, AS.NOT_FEASIBLE, AS.CANCELLED]
    else:
        wanted = [AS.OPEN]
    return [(status.value, status.label) for status in wanted if status != action.status]


class StatusForm(ActionUpdateForm):
    prefix_id = "status"

    status = forms.ChoiceField(
        label=_("New status"),
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose a status."),
            "invalid_choice": _("This status cannot be set now. Choose another one."),
        },
    )
    reason = forms.CharField(
        label=_("Reason"),
        help_text=_("Required for not feasible and cancelled. Everyone can read it."),
        max_length=TEXT_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    version = VersionField()

    def __init__(self, data: Any = None, *, action: Action, **kwargs: Any) -> None:
        super().__init__(data, action=action, **kwargs)
        status = self.fields["status"]
        assert isinstance(status, forms.ChoiceField)
        status.choices = status_choices(action)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if (
            cleaned.get("status") in (AS.NOT_FEASIBLE, AS.CANCELLED)
            and not (cleaned.get("reason") or "").strip()
        ):
            self.add_error("reason", NEEDS_REASON_MESSAGE)
        return cleaned


class DueDateForm(ActionUpdateForm):
    prefix_id = "date"

    due_date = _date_field(_("New date"))
    reason = forms.CharField(
        label=_("Why does the date move?"),
        help_text=_("Required. Everyone can read it. 'On time' still counts from the first date."),
        max_length=TEXT_MAX_LENGTH,
        error_messages={"required": NEEDS_REASON_MESSAGE},
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    version = VersionField()

    def clean_due_date(self) -> Any:
        due = self.cleaned_data["due_date"]
        if due is not None and due < timezone.localdate():
            raise ValidationError(PAST_DATE)
        return due


class DelayForm(ActionUpdateForm):
    prefix_id = "delay"

    text = forms.CharField(
        label=_("Why is it late?"),
        help_text=_("Everyone can read this: be honest and say what happens next."),
        max_length=TEXT_MAX_LENGTH,
        error_messages={"required": _("Say why it is late.")},
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    version = VersionField()


# --- The analysis -----------------------------------------------------------------------------


class AnalysisForm(forms.Form):
    location = forms.CharField(
        label=_("Where and when does it happen?"),
        max_length=TEXT_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    victims = forms.CharField(
        label=_("Who is affected?"),
        max_length=TEXT_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    offenders = forms.CharField(
        label=_("Who causes it?"),
        max_length=TEXT_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, data: Any = None, *, analysis: Analysis | None, **kwargs: Any) -> None:
        initial = {}
        if analysis is not None:
            initial = {
                "location": analysis.location,
                "victims": analysis.victims,
                "offenders": analysis.offenders,
            }
        super().__init__(data, initial=initial, **kwargs)
