"""Forms for planning a meeting: date and place, cancelling, the agenda, proposals and RSVPs.

Every error is an English msgid, translated into plain Dutch (B1, formal "u").
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from meetings.planning.models import AgendaItem, Meeting, Rsvp
from problems.models import Problem
from problems.workflow import OPEN

# The ledger's key for a move holds the place (meeting_services.meeting_move): keep it short
# enough that the key fits its column.
PLACE_MAX = 140
TIMEBOX_MAX = 240
# What people type when the browser has no date or time picker, in either language.
DATE_FORMATS = ["%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y", "%d.%m.%Y"]
TIME_FORMATS = ["%H:%M", "%H.%M", "%H:%M:%S"]


def _local(day: date, when: Any) -> datetime:
    """A wall-clock time in the neighbourhood's time zone (19:30 stays 19:30 across DST)."""
    return datetime.combine(day, when, tzinfo=ZoneInfo(settings.TIME_ZONE))


class MeetingForm(forms.Form):
    """When and where: for a meeting planned by hand and for moving one."""

    day = forms.DateField(
        label=_("Date"),
        input_formats=DATE_FORMATS,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={
            "required": _("Give the date of the meeting."),
            "invalid": _("Give the date as day, month and year, for example 08-12-2026."),
        },
    )
    starts = forms.TimeField(
        label=_("Start time"),
        input_formats=TIME_FORMATS,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        error_messages={
            "required": _("Give the time the meeting starts."),
            "invalid": _("Give the time as hours and minutes, for example 19:30."),
        },
    )
    ends = forms.TimeField(
        label=_("End time"),
        input_formats=TIME_FORMATS,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        error_messages={
            "required": _("Give the time the meeting ends."),
            "invalid": _("Give the time as hours and minutes, for example 21:30."),
        },
    )
    place = forms.CharField(
        label=_("Place"),
        help_text=_("For example “Buurthuis De Linde, Marshalllaan 10”."),
        max_length=PLACE_MAX,
        required=False,
        error_messages={
            "max_length": _("Keep the place shorter: at most %(limit_value)d characters."),
        },
    )

    def clean_day(self) -> date:
        day: date = self.cleaned_data["day"]
        if day < timezone.localdate():
            raise ValidationError(_("Choose today or a date in the future."), code="past")
        return day

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        starts, ends = data.get("starts"), data.get("ends")
        if starts is not None and ends is not None and ends <= starts:
            self.add_error("ends", _("The meeting must end after it starts."))
        return data

    @property
    def starts_at(self) -> datetime:
        return _local(self.cleaned_data["day"], self.cleaned_data["starts"])

    @property
    def ends_at(self) -> datetime:
        return _local(self.cleaned_data["day"], self.cleaned_data["ends"])

    @classmethod
    def initial_for(cls, meeting: Meeting) -> dict[str, Any]:
        starts = timezone.localtime(meeting.starts_at)
        ends = timezone.localtime(meeting.ends_at)
        return {
            "day": starts.date(),
            "starts": starts.time(),
            "ends": ends.time(),
            "place": meeting.place,
        }


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Why is the meeting cancelled?"),
        help_text=_("Residents read this on the website and in the e-mail."),
        max_length=Meeting._meta.get_field("cancelled_reason").max_length,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={
            "required": _("Give a reason: residents want to know why the meeting is cancelled."),
            "max_length": _("Keep the reason shorter: at most %(limit_value)d characters."),
        },
    )

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise ValidationError(
                _("Give a reason: residents want to know why the meeting is cancelled."),
                code="required",
            )
        return str(reason)


def _minutes_field(*, required: bool = True, label: Any = None) -> forms.IntegerField:
    return forms.IntegerField(
        label=label or _("Time in minutes"),
        required=required,
        min_value=1,
        max_value=TIMEBOX_MAX,
        initial=10,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "class": "minutes-input"}),
        error_messages={
            "required": _("Give the time for this item in minutes."),
            "invalid": _("Give the time as a whole number of minutes, for example 10."),
            "min_value": _("Give at least 1 minute."),
            "max_value": _("Give at most %(limit_value)s minutes."),
        },
    )


class AgendaItemForm(forms.Form):
    """Edit an item. A blank title keeps the standard name of the item's kind."""

    title = forms.CharField(
        label=_("Title"),
        max_length=AgendaItem._meta.get_field("title").max_length,
        required=False,
        error_messages={
            "max_length": _("Keep the title shorter: at most %(limit_value)d characters.")
        },
    )
    description = forms.CharField(
        label=_("Explanation"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={
            "max_length": _("Keep the explanation shorter: at most %(limit_value)d characters.")
        },
    )
    minutes = _minutes_field()

    def __init__(self, *args: Any, item: AgendaItem | None = None, **kwargs: Any) -> None:
        """Without `item`: a new item (it always needs a title)."""
        super().__init__(*args, **kwargs)
        self.item = item
        title = self.fields["title"]
        if item is not None and item.kind != AgendaItem.Kind.OTHER:
            title.help_text = _("Leave empty to use the standard name: %(name)s.") % {
                "name": item.get_kind_display()
            }
        else:
            title.required = True
            title.error_messages["required"] = _("Give the item a title.")


class ProblemChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Problem) -> str:
        # The public title, also for the chair: this page is not the place for details.
        return ngettext(
            "%(title)s (%(count)s resident has this too)",
            "%(title)s (%(count)s residents have this too)",
            obj.support_count,
        ) % {"title": obj.public_title, "count": obj.support_count}


def agenda_problem_choices(meeting: Meeting, item: AgendaItem) -> QuerySet[Problem]:
    """The neighbourhood's public open problems, and those already under the item."""
    return (
        Problem.objects.for_neighbourhood(meeting.neighbourhood_id)
        .public()
        .filter(Q(status__in=OPEN) | Q(agenda_links__item=item))
        .select_related("category")
        .distinct()
        .order_by("-support_count", "pk")
    )


class AgendaProblemsForm(forms.Form):
    problems = ProblemChoiceField(
        label=_("Problems under this item"),
        queryset=Problem.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": _("Choose problems from the list.")},
    )

    def __init__(self, *args: Any, meeting: Meeting, item: AgendaItem, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["problems"]
        assert isinstance(field, ProblemChoiceField)
        field.queryset = agenda_problem_choices(meeting, item)


class ProposalForm(forms.Form):
    title = forms.CharField(
        label=_("What do you want to discuss?"),
        help_text=_("A few words, for example “Speeding in the Marshalllaan”."),
        max_length=200,
        error_messages={
            "required": _("Write in a few words what you want to discuss."),
            "max_length": _("Keep the title shorter: at most %(limit_value)d characters."),
        },
    )
    description = forms.CharField(
        label=_("Explanation"),
        help_text=_("Why is it important? The chair reads this."),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={
            "max_length": _("Keep the explanation shorter: at most %(limit_value)d characters.")
        },
    )

    def clean_title(self) -> str:
        title = str(self.cleaned_data["title"]).strip()
        if not title:
            raise ValidationError(_("Write in a few words what you want to discuss."))
        return title


class DecideForm(forms.Form):
    """The chair accepts a proposal (with a time-box) or declines it (with a reason)."""

    decision = forms.ChoiceField(
        choices=[("accept", _("Accept")), ("decline", _("Decline"))],
        error_messages={"required": _("Choose to accept or decline the proposal.")},
    )
    minutes = _minutes_field(required=False, label=_("Time in minutes, if you accept"))
    reason = forms.CharField(
        label=_("Reason, if you decline"),
        help_text=_("The resident who proposed it reads this."),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={
            "max_length": _("Keep the reason shorter: at most %(limit_value)d characters.")
        },
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        decision = data.get("decision")
        if decision == "decline" and not str(data.get("reason") or "").strip():
            self.add_error("reason", _("Give a reason: the resident wants to know why."))
        if decision == "accept" and data.get("minutes") is None and "minutes" not in self.errors:
            self.add_error("minutes", _("Give the time for this item in minutes."))
        return data


class RsvpForm(forms.Form):
    answer = forms.ChoiceField(
        label=_("Are you coming?"),
        choices=Rsvp.Answer.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose whether you are coming."),
            "invalid_choice": _("Choose one of the answers."),
        },
    )
