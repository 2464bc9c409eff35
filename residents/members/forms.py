"""Forms for the chair's member management, and reading an uploaded member list."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from residents.fields import PostcodeField
from residents.models import Membership, Neighbourhood, Organisation, Role, User
from residents.services import NAME_MAX_LENGTH, house_number_value

MAX_IMPORT_BYTES = 1024 * 1024
MAX_IMPORT_ROWS = 2000
MAX_CELL_LENGTH = 300  # longer values are wrong anyway; this keeps the session small
HEADER_SEARCH_ROWS = 10  # lists often start with a title line or two above the headings
MAX_SCANNED_ROWS = 20 * MAX_IMPORT_ROWS  # empty rows included: a sheet can be mostly empty
MAX_COLUMNS = 50
# An .xlsx file is a zip archive, so 1 MB can unpack to hundreds of megabytes that openpyxl
# would then parse. A list of 5,000 members unpacks to 1.3 MB (2,000, the row limit: 0.5 MB),
# so 20 MB leaves room for heavy styling and a logo and refuses a zip bomb before it is opened.
# The sizes are the ones the archive declares: Python's zipfile (which openpyxl reads through)
# stops at a member's declared size, so a file that lies about it cannot unpack to more.
MAX_XLSX_UNPACKED_BYTES = 20 * 1024 * 1024
# A real sheet compresses 10 to 20 times; a megabyte or more of padding compresses 1,000 times.
MAX_XLSX_RATIO = 100
XLSX_RATIO_FROM_BYTES = 1024 * 1024  # small members (a few kB of XML) can have odd ratios

# Column headings we recognise, compared without case, spaces or punctuation.
HEADINGS: dict[str, frozenset[str]] = {
    "name": frozenset({"naam", "name", "volledigenaam", "fullname", "voorenachternaam"}),
    "email": frozenset({"email", "emailadres", "emailaddress", "mail", "mailadres"}),
    "postcode": frozenset({"postcode", "postalcode", "zipcode", "zip"}),
    "house_number": frozenset({"huisnummer", "housenumber", "huisnr", "nummer", "number", "nr"}),
    "addition": frozenset({"toevoeging", "huisnummertoevoeging", "addition"}),
}
REQUIRED_COLUMNS = ("name", "email", "postcode", "house_number")
COLUMN_LABELS = {
    "name": _("name (naam)"),
    "email": _("e-mail"),
    "postcode": _("postcode"),
    "house_number": _("house number (huisnummer)"),
}

TOO_MANY_ROWS = _(
    "The file has more than %(max)s rows. Split it into smaller files and import them one by one."
)

XLSX_UNREADABLE = _(
    "We could not read this Excel file. Save it as an Excel workbook (.xlsx) or as CSV and try "
    "again."
)
XLSX_TOO_BIG = _(
    "This Excel file holds far more data than a member list (more than %(max)s once opened). "
    "Put only the member list in a new Excel file, or save it as CSV, and try again."
)

XLSX_MAGIC = b"PK\x03\x04"
XLS_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


class MemberFileError(ValidationError):
    """The file cannot be read as a member list; the message says why, for the chair, and the
    code names the reason. On a form it is the upload field's error."""


def _heading(value: object) -> str:
    return re.sub(r"[^a-z0-9]", "", str(value or "").lower())


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # Excel stores house numbers and PC4 postcodes as 12.0
    return str(value).strip()[:MAX_CELL_LENGTH]


def _columns(row: Sequence[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, value in enumerate(row):
        heading = _heading(value)
        for column, names in HEADINGS.items():
            if heading in names and column not in found:
                found[column] = index
    return found


def _house_number(number: str, addition: str) -> str:
    if not addition:
        return number
    return f"{number}{addition}" if addition[0].isalpha() else f"{number}-{addition}"


def rows_from_table(table: Iterable[Sequence[object]]) -> list[dict[str, Any]]:
    """Member rows from a table of cells: find the headings, then read every row below them.

    Each row is a dict with line (as numbered in the file), name, email, postcode and
    house_number; empty rows are skipped.
    """
    lines = iter(enumerate(table, start=1))
    best: dict[str, int] = {}
    columns: dict[str, int] = {}
    for line, cells in lines:
        found = _columns([_cell(cell) for cell in cells[:MAX_COLUMNS]])
        if all(column in found for column in REQUIRED_COLUMNS):
            columns = found
            break
        if len(found) > len(best):
            best = found
        if line >= HEADER_SEARCH_ROWS:
            break
    if not columns:
        missing = [str(COLUMN_LABELS[c]) for c in REQUIRED_COLUMNS if c not in best]
        raise MemberFileError(
            _(
                "We could not find all the columns. Put these headings above the list: naam, "
                "e-mail, postcode, huisnummer. Missing: %(missing)s."
            )
            % {"missing": ", ".join(missing)},
            code="columns_missing",
        )
    rows: list[dict[str, Any]] = []
    for line, cells in lines:
        values = [_cell(cell) for cell in cells[:MAX_COLUMNS]]
        if not any(values):
            continue
        if len(rows) >= MAX_IMPORT_ROWS:
            raise MemberFileError(TOO_MANY_ROWS % {"max": MAX_IMPORT_ROWS}, code="too_many_rows")
        cell = {
            column: values[index] if index < len(values) else ""
            for column, index in columns.items()
        }
        rows.append(
            {
                "line": line,
                "name": cell["name"],
                "email": cell["email"],
                "postcode": cell["postcode"],
                "house_number": _house_number(cell["house_number"], cell.get("addition", "")),
            }
        )
    if not rows:
        raise MemberFileError(_("The file has headings but no people under them."), code="no_rows")
    return rows


def _csv_table(data: bytes) -> Iterator[Sequence[object]]:
    if b"\x00" in data:
        raise MemberFileError(
            _("This is not a CSV or Excel file. Upload a .csv or .xlsx file."), code="not_a_table"
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Excel on Windows saves "CSV" in Windows-1252 unless told otherwise.
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            raise MemberFileError(
                _(
                    "We could not read the letters in this file. Save it as 'CSV UTF-8' and try "
                    "again."
                ),
                code="encoding",
            ) from None
    start = "\n".join(text.splitlines()[:HEADER_SEARCH_ROWS])
    delimiter = max((";", ",", "\t"), key=start.count)
    try:
        yield from csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    except csv.Error:
        raise MemberFileError(
            _("This CSV file is damaged. Open it in Excel, save it again and try once more."),
            code="damaged",
        ) from None


def _xlsx_check(data: bytes) -> None:
    """Refuse an .xlsx that is not a zip, or that unpacks to far more than a member list."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise MemberFileError(XLSX_UNREADABLE, code="damaged") from None
    too_big = MemberFileError(
        XLSX_TOO_BIG % {"max": filesizeformat(MAX_XLSX_UNPACKED_BYTES)}, code="too_big"
    )
    if sum(member.file_size for member in members) > MAX_XLSX_UNPACKED_BYTES:
        raise too_big
    for member in members:
        if (
            member.file_size > XLSX_RATIO_FROM_BYTES
            and member.file_size > MAX_XLSX_RATIO * member.compress_size
        ):
            raise too_big


def _xlsx_table(data: bytes) -> Iterator[Sequence[object]]:
    from openpyxl import load_workbook

    unreadable = XLSX_UNREADABLE
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # a damaged or foreign file fails in many ways inside openpyxl
        raise MemberFileError(unreadable, code="damaged") from None
    try:
        # Read the first sheet lazily: reading stops as soon as the row limit is passed.
        for count, row in enumerate(
            workbook.worksheets[0].iter_rows(max_col=MAX_COLUMNS, values_only=True)
        ):
            if count > MAX_SCANNED_ROWS:
                raise MemberFileError(
                    TOO_MANY_ROWS % {"max": MAX_IMPORT_ROWS}, code="too_many_rows"
                )
            yield row
    except MemberFileError:
        raise
    except Exception:
        raise MemberFileError(unreadable, code="damaged") from None
    finally:
        workbook.close()


def read_member_file(upload: UploadedFile) -> list[dict[str, Any]]:
    """Read an uploaded CSV (comma or semicolon, UTF-8 with or without BOM) or .xlsx file."""
    if upload.size is not None and upload.size > MAX_IMPORT_BYTES:
        raise MemberFileError(
            _("The file is larger than %(max)s. Split it into smaller files.")
            % {"max": filesizeformat(MAX_IMPORT_BYTES)},
            code="too_big",
        )
    data = upload.read(MAX_IMPORT_BYTES + 1)
    if len(data) > MAX_IMPORT_BYTES:
        raise MemberFileError(
            _("The file is larger than %(max)s. Split it into smaller files.")
            % {"max": filesizeformat(MAX_IMPORT_BYTES)},
            code="too_big",
        )
    name = (upload.name or "").lower()
    if data.startswith(XLS_MAGIC) or name.endswith(".xls"):
        raise MemberFileError(
            _(
                "This is an old Excel file (.xls). In Excel, choose 'Save as' and then 'Excel "
                "workbook (.xlsx)' or 'CSV', and upload that file."
            ),
            code="old_excel",
        )
    table: Iterable[Sequence[object]]
    if data.startswith(XLSX_MAGIC):
        _xlsx_check(data)  # before openpyxl unpacks anything
        table = _xlsx_table(data)
    elif name.endswith((".xlsx", ".xlsm", ".ods", ".pdf", ".doc", ".docx")):
        raise MemberFileError(
            _("This is not a CSV or Excel file. Upload a .csv or .xlsx file."), code="not_a_table"
        )
    else:
        table = _csv_table(data)
    return rows_from_table(table)


class MemberImportForm(forms.Form):
    file = forms.FileField(
        label=_("Your member list"),
        help_text=_(
            "A CSV or Excel file (.csv or .xlsx) of at most 1 MB and 2000 rows, with "
            "the columns naam, e-mail, postcode and huisnummer. People without e-mail "
            "become paper residents."
        ),
        error_messages={"required": _("Choose the file with your member list.")},
        widget=forms.FileInput(
            attrs={
                "accept": ".csv,.xlsx,text/csv,"
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
        ),
    )

    rows: list[dict[str, Any]]

    def clean_file(self) -> UploadedFile:
        upload: UploadedFile = self.cleaned_data["file"]
        self.rows = read_member_file(upload)  # a MemberFileError is this field's error
        return upload


class InviteForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=NAME_MAX_LENGTH,
        required=False,
        help_text=_("We use it to greet the person in the e-mail."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    email = forms.EmailField(
        label=_("E-mail address"),
        help_text=_(
            "The person gets an e-mail with a code. With that code they can take part "
            "at once, without waiting for approval."
        ),
        error_messages={
            "required": _("Fill in an e-mail address."),
            "invalid": _("Fill in a valid e-mail address, such as naam@voorbeeld.nl."),
        },
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )

    def __init__(self, *args: Any, neighbourhood: Neighbourhood, **kwargs: Any) -> None:
        self.neighbourhood = neighbourhood
        super().__init__(*args, **kwargs)

    def clean_email(self) -> str:
        email: str = self.cleaned_data["email"].strip().lower()
        statuses = set(
            Membership.objects.filter(
                neighbourhood=self.neighbourhood,
                user__email__iexact=email,
            ).values_list("status", flat=True)
        )
        if Membership.Status.ACTIVE in statuses:
            raise forms.ValidationError(_("This person is already a member."))
        if Membership.Status.PENDING in statuses:
            raise forms.ValidationError(
                _("This person has already applied. Approve the application on the members page.")
            )
        return email


class PaperResidentForm(forms.Form):
    """A resident without e-mail: the chair fills in name and address."""

    name = forms.CharField(
        label=_("Name"),
        max_length=NAME_MAX_LENGTH,
        error_messages={"required": _("Fill in the name.")},
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    postcode = PostcodeField(
        help_text=_("For example 1234 AB."),
        error_messages={"required": _("Fill in the postcode.")},
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    house_number = forms.CharField(
        label=_("House number"),
        max_length=10,
        help_text=_("With addition if there is one, for example 12a."),
        error_messages={"required": _("Fill in the house number.")},
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    contact_note = forms.CharField(
        label=_("How to reach them"),
        max_length=200,
        required=False,
        help_text=_("For example a phone number, or 'via the neighbourhood office'."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )

    def __init__(self, *args: Any, neighbourhood: Neighbourhood, **kwargs: Any) -> None:
        self.neighbourhood = neighbourhood
        super().__init__(*args, **kwargs)

    def clean_name(self) -> str:
        return " ".join(self.cleaned_data["name"].split())

    def clean_house_number(self) -> str:
        value: str = self.cleaned_data["house_number"].strip()
        if house_number_value(value) is None:
            raise forms.ValidationError(_("Fill in a house number that starts with a digit."))
        return value

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        name = cleaned.get("name")
        postcode, number = cleaned.get("postcode"), cleaned.get("house_number")
        if not (postcode and number):
            return cleaned
        if not self.neighbourhood.covers(postcode, house_number_value(number)):
            self.add_error(
                "postcode",
                forms.ValidationError(
                    _(
                        "This address is not in %(neighbourhood)s. Check the postcode and house "
                        "number."
                    ),
                    params={"neighbourhood": self.neighbourhood.name},
                ),
            )
        elif (
            name
            and Membership.objects.active()
            .filter(
                neighbourhood=self.neighbourhood,
                user__email__isnull=True,
                user__display_name__iexact=name,
                user__postcode=postcode,
                user__house_number__iexact=number,
            )
            .exists()
        ):
            self.add_error(
                "name",
                forms.ValidationError(
                    _("%(name)s at this address is already a member."), params={"name": name}
                ),
            )
        return cleaned


class RolesForm(forms.Form):
    roles = forms.MultipleChoiceField(
        label=_("Roles"),
        choices=Role.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Choose one or more."),
        error_messages={"required": _("Choose at least one role.")},
    )
    organisation = forms.ModelChoiceField(
        label=_("Organisation"),
        queryset=Organisation.objects.all(),
        required=False,
        empty_label=_("No organisation"),
        help_text=_(
            "Needed for a professional, such as the police officer or the housing "
            "corporation. Also shown for a chair or neighbourhood office."
        ),
    )
    job_title = forms.CharField(
        label=_("Job title"),
        max_length=120,
        required=False,
        help_text=_(
            "For example: neighbourhood police officer. Shown on the public "
            "neighbourhood page for the support team."
        ),
    )

    def __init__(
        self, *args: Any, person: User, by: User, current_roles: Iterable[str], **kwargs: Any
    ) -> None:
        self.person = person
        self.by = by
        self.current_roles = frozenset(current_roles)
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        roles = set(cleaned.get("roles") or [])
        # A professional without an organisation: membership_roles_set refuses it.
        if (
            roles
            and self.person.pk == self.by.pk
            and Role.CHAIR in self.current_roles
            and Role.CHAIR not in roles
        ):
            self.add_error(
                "roles",
                _(
                    "You cannot take away your own chair role. Ask the "
                    "coordinator or another chair to do this."
                ),
            )
        return cleaned


class InviteCodesForm(forms.Form):
    count = forms.IntegerField(
        label=_("How many codes?"),
        min_value=1,
        max_value=100,
        initial=10,
        help_text=_("From 1 to 100. One code is for one person."),
        error_messages={
            "required": _("Fill in how many codes you want."),
            "invalid": _("Fill in a whole number."),
            "min_value": _("Make at least 1 code."),
            "max_value": _("Make at most 100 codes at a time."),
        },
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    valid_days = forms.IntegerField(
        label=_("Valid for how many days?"),
        min_value=1,
        max_value=365,
        initial=90,
        help_text=_("After this the codes no longer work. From 1 to 365 days."),
        error_messages={
            "required": _("Fill in how many days the codes are valid."),
            "invalid": _("Fill in a whole number."),
            "min_value": _("The codes must be valid for at least 1 day."),
            "max_value": _("The codes can be valid for at most 365 days."),
        },
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
