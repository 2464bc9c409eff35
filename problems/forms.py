"""The report form: what a resident (or the team, for someone) tells about a problem."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from problems.models import Category, Problem
from problems.photos import ACCEPT, MAX_PHOTO_BYTES, MAX_PHOTOS, photos_clean
from problems.services import CleanPhoto
from residents.models import Membership, Neighbourhood, User

# The Netherlands, European part, with a margin for the coast and the borders.
NL_LATITUDE = (Decimal("50.70"), Decimal("53.70"))
NL_LONGITUDE = (Decimal("3.20"), Decimal("7.30"))
COORDINATE_PLACES = Decimal("0.000001")

TIMES_OF_DAY = [
    ("morning", _("In the morning")),
    ("afternoon", _("In the afternoon")),
    ("evening", _("In the evening")),
    ("night", _("At night")),
]
# With a context: Django's own "Tuesday" (the date filter) must stay lower-case in Dutch.
DAYS_OF_WEEK = [
    ("mon", pgettext_lazy("day of the week", "Monday")),
    ("tue", pgettext_lazy("day of the week", "Tuesday")),
    ("wed", pgettext_lazy("day of the week", "Wednesday")),
    ("thu", pgettext_lazy("day of the week", "Thursday")),
    ("fri", pgettext_lazy("day of the week", "Friday")),
    ("sat", pgettext_lazy("day of the week", "Saturday")),
    ("sun", pgettext_lazy("day of the week", "Sunday")),
]


class MultipleFileInput(forms.FileInput):
    """Django's documented way to upload several files with one input."""

    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        single_file_clean = super().clean
        if isinstance(data, list | tuple):
            files = [single_file_clean(item, initial) for item in data if item]
        else:
            files = [single_file_clean(data, initial)] if data else []
        if self.required and not files:
            raise ValidationError(self.error_messages["required"], code="required")
        return files


class MemberChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        if obj.is_paper_resident:
            return str(_("%(name)s (without e-mail)") % {"name": obj.display_name})
        return obj.display_name


class CategoryChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Category) -> str:
        return obj.label


class ReportForm(forms.Form):
    category = CategoryChoiceField(
        label=_("What kind of problem is it?"),
        queryset=Category.objects.all(),
        widget=forms.RadioSelect,
        empty_label=None,
        error_messages={
            "required": _("Choose what kind of problem it is."),
            "invalid_choice": _("Choose one of the kinds of problem in the list."),
        },
    )
    title = forms.CharField(
        label=_("Title"),
        help_text=_("A few words, for example “Rubbish next to the glass bin”."),
        max_length=Problem._meta.get_field("title").max_length,
        # The page puts the title above the <form>, with the suggestions under it.
        widget=forms.TextInput(attrs={"form": "report-form"}),
        error_messages={"required": _("Give the problem a short title.")},
    )
    description = forms.CharField(
        label=_("What is the problem?"),
        help_text=_("Tell what happens and why it bothers you."),
        max_length=Problem._meta.get_field("description").max_length,
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={"required": _("Describe the problem.")},
    )
    street = forms.CharField(
        label=_("Street"),
        max_length=Problem._meta.get_field("street").max_length,
        error_messages={"required": _("Give the street where it happens.")},
    )
    location_detail = forms.CharField(
        label=_("Where exactly?"),
        help_text=_(
            "A landmark or house numbers, for example “near the playground” or “10 to 40”."
        ),
        max_length=Problem._meta.get_field("location_detail").max_length,
        required=False,
    )
    # No map on the page yet: these stay hidden, filled in only by a client that knows the point.
    latitude = forms.DecimalField(required=False, widget=forms.HiddenInput)
    longitude = forms.DecimalField(required=False, widget=forms.HiddenInput)
    times_of_day = forms.MultipleChoiceField(
        label=_("When does it happen?"),
        help_text=_("Tick all that apply."),
        choices=TIMES_OF_DAY,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        error_messages={"invalid_choice": _("Choose times of day from the list.")},
    )
    days_of_week = forms.MultipleChoiceField(
        label=_("On which days?"),
        help_text=_("Tick all that apply."),
        choices=DAYS_OF_WEEK,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        error_messages={"invalid_choice": _("Choose days from the list.")},
    )
    since = forms.CharField(
        label=_("Since when?"),
        help_text=_("For example “since the summer” or “for years”."),
        max_length=Problem._meta.get_field("since").max_length,
        required=False,
    )
    photos = MultipleFileField(
        label=_("Photos"),
        required=False,
        widget=MultipleFileInput(attrs={"accept": ACCEPT}),
    )
    reporter_name_public = forms.BooleanField(
        label=_("Logged-in members of this neighbourhood may see my name"),
        help_text=_(
            "Never for a sensitive problem (such as drug nuisance), and never on the public "
            "page, on paper or in mail. If you leave this empty, only the neighbourhood team "
            "sees who reported it."
        ),
        required=False,
    )

    def __init__(
        self,
        *args: Any,
        neighbourhood: Neighbourhood,
        user: User,
        enter_for: bool = False,
        similar_url: str = "",
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.neighbourhood = neighbourhood
        self.user = user
        self.enter_for = enter_for
        self.cleaned_photos: list[CleanPhoto] = []
        # The radio buttons of sensitive categories get a hint: their details stay with the team.
        self.sensitive_categories = {
            str(pk) for pk in Category.objects.filter(sensitive=True).values_list("pk", flat=True)
        }
        self.fields["photos"].help_text = _(
            "At most %(count)s photos of at most %(size)s MB each: JPEG, PNG or WebP. "
            "We remove the location and other hidden data from them."
        ) % {"count": MAX_PHOTOS, "size": MAX_PHOTO_BYTES // (1024 * 1024)}
        if similar_url:
            # While the title is typed, suggest problems that are already on the register.
            self.fields["title"].widget.attrs.update(
                {
                    "data-hx-get": similar_url,
                    "data-hx-trigger": "input changed delay:400ms",
                    "data-hx-target": "#similar-problems",
                    "data-hx-swap": "innerHTML",
                    "data-hx-sync": "this:replace",
                    "aria-controls": "similar-problems",
                    "autocomplete": "off",
                }
            )
        if enter_for:
            self.fields["reported_by"] = MemberChoiceField(
                label=_("Who is reporting it?"),
                help_text=_(
                    "When you enter a report for a member of the neighbourhood. "
                    "Leave empty when you report it yourself."
                ),
                queryset=User.objects.filter(
                    is_active=True,
                    memberships__neighbourhood=neighbourhood,
                    memberships__status=Membership.Status.ACTIVE,
                )
                .exclude(pk=user.pk)
                .distinct()
                .order_by("display_name", "pk"),
                required=False,
                empty_label=pgettext_lazy("reported by", "Myself"),
                error_messages={
                    "invalid_choice": _("Choose a member of this neighbourhood from the list.")
                },
            )
            self.fields["reported_for"] = forms.CharField(
                label=_("Or: the name of someone without an account"),
                help_text=_("Only the neighbourhood team sees this name."),
                max_length=Problem._meta.get_field("reported_for").max_length,
                required=False,
            )
            self.fields["reporter_name_public"].label = _(
                "Logged-in members of this neighbourhood may see the name of the person who "
                "reports it"
            )

    # Field by field.

    def clean_title(self) -> str:
        return self._required_text("title", _("Give the problem a short title."))

    def clean_description(self) -> str:
        return self._required_text("description", _("Describe the problem."))

    def clean_street(self) -> str:
        return self._required_text("street", _("Give the street where it happens."))

    def _required_text(self, name: str, message: Any) -> str:
        value = str(self.cleaned_data.get(name) or "").strip()
        if not value:
            raise ValidationError(message, code="required")
        return value

    def clean_latitude(self) -> Decimal | None:
        return self._coordinate("latitude", NL_LATITUDE)

    def clean_longitude(self) -> Decimal | None:
        return self._coordinate("longitude", NL_LONGITUDE)

    def _coordinate(self, name: str, bounds: tuple[Decimal, Decimal]) -> Decimal | None:
        value: Decimal | None = self.cleaned_data.get(name)
        if value is None:
            return None
        if not bounds[0] <= value <= bounds[1]:
            raise ValidationError(_("The point on the map must be in the Netherlands."))
        return value.quantize(COORDINATE_PLACES, rounding=ROUND_HALF_UP)

    def clean_photos(self) -> list[Any]:
        uploads = self.cleaned_data.get("photos") or []
        self.cleaned_photos = photos_clean(uploads)
        return uploads

    def clean_reported_for(self) -> str:
        return str(self.cleaned_data.get("reported_for") or "").strip()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        latitude, longitude = data.get("latitude"), data.get("longitude")
        if (latitude is None) != (longitude is None) and not (
            self.has_error("latitude") or self.has_error("longitude")
        ):
            self.add_error(
                "latitude", _("Give both a latitude and a longitude for the point, or neither.")
            )
        if self.enter_for and data.get("reported_by") and data.get("reported_for"):
            self.add_error(
                "reported_for",
                _("Choose a member or type a name, not both."),
            )
        return data

    def report_kwargs(self, *, entered_by_role: str) -> dict[str, Any]:
        """The arguments for problems.services.problem_report."""
        data = self.cleaned_data
        kwargs: dict[str, Any] = {
            "neighbourhood": self.neighbourhood,
            "reporter": self.user,
            "category": data["category"],
            "title": data["title"],
            "description": data["description"],
            "street": data["street"],
            "location_detail": data["location_detail"].strip(),
            "latitude": data.get("latitude"),
            "longitude": data.get("longitude"),
            "times_of_day": data["times_of_day"],
            "days_of_week": data["days_of_week"],
            "since": data["since"].strip(),
            "reporter_name_public": data["reporter_name_public"],
            "photos": self.cleaned_photos,
        }
        if self.enter_for and (data.get("reported_by") or data.get("reported_for")):
            kwargs["reporter"] = data.get("reported_by")
            kwargs["reported_for"] = "" if data.get("reported_by") else data["reported_for"]
            kwargs["entered_by"] = self.user
            kwargs["entered_by_role"] = entered_by_role
        return kwargs
