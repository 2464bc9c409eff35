"""Importing the chair's own member list: upload, preview that writes nothing, confirm."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from residents.members import forms as member_forms
from residents.members.forms import (
    MAX_IMPORT_BYTES,
    MAX_IMPORT_ROWS,
    MemberFileError,
    read_member_file,
)
from residents.models import Membership, Role, User
from residents.services import import_rows_check, memberships_import
from tests.conftest import PERSONA_NAMES, make_person

MANAGE_MEMBERS = {"chair", "coordinator"}

GOOD_CSV = (
    "naam;e-mail;postcode;huisnummer\n"
    "Sanne Jansen;sanne@example.nl;3527 AB;20\n"
    "Joop Zoetemelk;;3527 CD;7a\n"
)


@pytest.fixture(autouse=True)
def _english(settings):
    """These tests read the (English) source messages; the Dutch ones are checked elsewhere."""
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def upload(content: bytes | str, name: str = "leden.csv") -> SimpleUploadedFile:
    data = content.encode() if isinstance(content, str) else content
    return SimpleUploadedFile(name, data)


def xlsx(rows: Sequence[Sequence[object]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def as_persona(login, personas, settings):
    def _as(name: str):
        client = login(personas.by_name(name))
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        return client

    return _as


@pytest.fixture
def chair(as_persona):
    return as_persona("chair")


def urls(personas) -> dict[str, str]:
    slug = personas.hood.slug
    return {
        name: reverse(f"members:member_import{suffix}", args=[slug])
        for name, suffix in [
            ("upload", ""),
            ("preview", "_preview"),
            ("confirm", "_confirm"),
            ("cancel", "_cancel"),
        ]
    }


def send(client, personas, content: bytes | str, name: str = "leden.csv"):
    return client.post(urls(personas)["upload"], {"file": upload(content, name)})


def confirm(client, personas):
    preview = client.get(urls(personas)["preview"])
    token = preview.context["token"]
    return client.post(urls(personas)["confirm"], {"token": token})


# --- Reading files --------------------------------------------------------------------------


def names(rows) -> list[str]:
    return [row["name"] for row in rows]


def test_reads_semicolon_csv_with_dutch_headings():
    rows = read_member_file(upload(GOOD_CSV))
    assert rows == [
        {
            "line": 2,
            "name": "Sanne Jansen",
            "email": "sanne@example.nl",
            "postcode": "3527 AB",
            "house_number": "20",
        },
        {
            "line": 3,
            "name": "Joop Zoetemelk",
            "email": "",
            "postcode": "3527 CD",
            "house_number": "7a",
        },
    ]


def test_reads_comma_csv_with_bom_and_english_headings_in_any_case():
    content = '\ufeffName,E-Mail,POSTCODE,House number\r\n"Bakker, Ans",a@example.nl,3527AB,1\r\n'
    [row] = read_member_file(upload(content.encode("utf-8")))
    assert row["name"] == "Bakker, Ans" and row["email"] == "a@example.nl"
    assert row["house_number"] == "1"


def test_reads_windows_excel_csv_and_skips_title_lines_and_empty_rows():
    content = (
        "Ledenlijst buurtoverleg;;;\n;;;\nNaam;Email;Postcode;Huisnummer;Toevoeging\n"
        "Jos Brouwer;;3527AB;12;b\n;;;;\nRené Müller;rene@example.nl;3527AB;3;\n"
    )
    rows = read_member_file(upload(content.encode("cp1252")))
    assert names(rows) == ["Jos Brouwer", "René Müller"]
    assert rows[0]["house_number"] == "12b" and rows[0]["line"] == 4
    assert rows[1]["line"] == 6


def test_reads_xlsx_with_numbers_as_text():
    data = xlsx(
        [
            ["Naam", "E-mail", "Postcode", "Huisnummer"],
            ["Sanne Jansen", "sanne@example.nl", "3527AB", 20],
            [None, None, None, None],
            ["Joop", None, 3527, 7.0],
        ]
    )
    rows = read_member_file(upload(data, "leden.xlsx"))
    assert [(r["name"], r["postcode"], r["house_number"], r["line"]) for r in rows] == [
        ("Sanne Jansen", "3527AB", "20", 2),
        ("Joop", "3527", "7", 4),
    ]


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"%PDF-1.7\n\x00\x01binary", "leden.pdf", "not a CSV or Excel file"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "foto.png", "not a CSV or Excel file"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "leden.xls", "old Excel file"),
        (b"PK\x03\x04 not really a zip", "leden.xlsx", "could not read this Excel file"),
        (b"voornaam;telefoon\nJan;06\n", "leden.csv", "Missing: name (naam), e-mail, postcode"),
        (b"naam;email;postcode;huisnummer\n", "leden.csv", "no people under them"),
    ],
)
def test_unreadable_files_get_a_clear_message(content, name, message):
    with pytest.raises(MemberFileError, match=message.replace("(", r"\(").replace(")", r"\)")):
        read_member_file(upload(content, name))


def test_too_many_rows_is_refused():
    content = "naam,email,postcode,huisnummer\n" + "Jan,,3527AB,1\n" * (MAX_IMPORT_ROWS + 1)
    with pytest.raises(MemberFileError, match="more than 2000 rows"):
        read_member_file(upload(content))
    assert len(read_member_file(upload(content.rsplit("Jan", 1)[0]))) == MAX_IMPORT_ROWS


def test_too_many_rows_in_excel_is_refused():
    data = xlsx(
        [["naam", "email", "postcode", "huisnummer"]]
        + [["Jan", None, "3527AB", 1]] * (MAX_IMPORT_ROWS + 1)
    )
    with pytest.raises(MemberFileError, match="more than 2000 rows"):
        read_member_file(upload(data, "leden.xlsx"))


def test_too_large_file_is_refused():
    content = "naam,email,postcode,huisnummer\n" + "x" * (1024 * 1024)
    with pytest.raises(MemberFileError, match="larger than 1"):
        read_member_file(upload(content))


def padded_xlsx(rows: Sequence[Sequence[object]], padding_mb: int) -> bytes:
    """A real workbook whose sheet is padded with megabytes of spaces: valid XML that openpyxl
    would parse to the end, yet it compresses about 1,000 times (a zip bomb of a member list).
    Written in chunks, so the test never holds the unpacked sheet in memory."""
    with zipfile.ZipFile(io.BytesIO(xlsx(rows))) as source:
        parts = {info.filename: source.read(info) for info in source.infolist()}
    sheet_name = "xl/worksheets/sheet1.xml"
    head, tail = parts.pop(sheet_name).split(b"</sheetData>")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
        with archive.open(sheet_name, "w", force_zip64=True) as sheet:
            sheet.write(head)
            spaces = b" " * (1024 * 1024)
            for _ in range(padding_mb):
                sheet.write(spaces)
            sheet.write(b"</sheetData>" + tail)
    return out.getvalue()


MEMBERS: list[list[object]] = [
    ["naam", "email", "postcode", "huisnummer"],
    ["Sanne", "s@example.nl", "3527AB", 1],
]


@pytest.fixture(scope="module")
def bomb() -> bytes:
    return padded_xlsx(MEMBERS, padding_mb=200)  # as in the issue: 204 KB, 200 MB unpacked


@pytest.fixture
def openpyxl_opens(monkeypatch) -> list[object]:
    """Every workbook openpyxl is asked to open (it is not opened: the test wants none)."""
    import openpyxl

    opened: list[object] = []

    def load_workbook(*args, **kwargs):
        opened.append(args)
        raise AssertionError("openpyxl was asked to open the workbook")

    monkeypatch.setattr(openpyxl, "load_workbook", load_workbook)
    return opened


def test_xlsx_that_unpacks_to_200_mb_is_refused_before_it_is_opened(bomb, openpyxl_opens):
    assert len(bomb) < MAX_IMPORT_BYTES  # small enough to pass the upload limit
    with pytest.raises(MemberFileError) as info:
        read_member_file(upload(bomb, "leden.xlsx"))
    assert info.value.code == "too_big"
    assert info.value.messages == [
        "This Excel file holds far more data than a member list (more than 20.0\xa0MB once "
        "opened). Put only the member list in a new Excel file, or save it as CSV, and try again."
    ]
    assert openpyxl_opens == []


def test_padding_under_the_size_cap_is_refused_by_its_compression(openpyxl_opens):
    data = padded_xlsx(MEMBERS, padding_mb=5)  # 5 MB of spaces: under 20 MB, but 1,000 to 1
    with pytest.raises(MemberFileError, match="far more data than a member list"):
        read_member_file(upload(data, "leden.xlsx"))
    assert openpyxl_opens == []


def test_the_unpacked_size_counts_every_part(monkeypatch):
    data = xlsx([["naam", "email", "postcode", "huisnummer"], *[["Jan", None, "3527AB", 1]] * 50])
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        unpacked = sum(info.file_size for info in archive.infolist())
    monkeypatch.setattr(member_forms, "MAX_XLSX_UNPACKED_BYTES", unpacked)
    assert len(read_member_file(upload(data, "leden.xlsx"))) == 50
    monkeypatch.setattr(member_forms, "MAX_XLSX_UNPACKED_BYTES", unpacked - 1)
    with pytest.raises(MemberFileError, match="far more data than a member list"):
        read_member_file(upload(data, "leden.xlsx"))


def test_a_full_list_in_excel_is_well_under_the_caps():
    data = xlsx(
        [["naam", "email", "postcode", "huisnummer", "toevoeging"]]
        + [
            [f"Bewoner {i}", f"bewoner{i}@example.nl", "3527AB", i, "bis"]
            for i in range(MAX_IMPORT_ROWS)
        ]
    )
    assert len(read_member_file(upload(data, "leden.xlsx"))) == MAX_IMPORT_ROWS


def test_a_broken_zip_named_xlsx_is_unreadable_not_a_crash(openpyxl_opens):
    data = xlsx(MEMBERS)
    with pytest.raises(MemberFileError, match="could not read this Excel file"):
        read_member_file(upload(data[: len(data) // 2], "leden.xlsx"))
    assert openpyxl_opens == []


# --- Checking rows --------------------------------------------------------------------------


def row(line: int, name: str, email: str, postcode: str = "3527AB", number: str = "1"):
    return {
        "line": line,
        "name": name,
        "email": email,
        "postcode": postcode,
        "house_number": number,
    }


def test_every_kind_of_problem_is_found(personas):
    rows = import_rows_check(
        neighbourhood=personas.hood,
        rows=[
            row(2, "", "leeg@example.nl"),
            row(3, "Piet", "geen-adres"),
            row(4, "Klaas", "klaas@example.nl", postcode="ABCD"),
            row(5, "Wim", "wim2@example.nl", postcode="1503AB"),
            row(6, "Mohamed", "MOHAMED@example.nl"),
            row(7, "Sanne", "sanne@example.nl"),
            row(8, "Sanne J.", "Sanne@example.nl"),
            row(9, "Joke Kramer", "", postcode="3527 eb", number="5"),
            row(10, "Kees", "kees@example.nl", number=""),
            row(11, "Truus", ""),
            row(12, "truus", ""),
        ],
    )
    problems = {r.line: " ".join(r.problems) for r in rows}
    assert "name is missing" in problems[2]
    assert "e-mail address is not valid" in problems[3]
    assert "postcode is not valid" in problems[4]
    assert "not in Kanaleneiland-Noord" in problems[5]
    assert "already a member" in problems[6]
    assert problems[7] == ""
    assert "also on row 7" in problems[8]
    assert "already a member" in problems[9]
    assert "house number is missing" in problems[10]
    assert problems[11] == ""
    assert "also on row 11" in problems[12]


def test_checking_rows_takes_the_same_queries_for_few_or_many(personas, django_assert_num_queries):
    known = [row(1, "Mohamed", "mohamed@example.nl"), row(2, "Joke Kramer", "")]
    few = known + [row(i, f"Naam {i}", f"n{i}@example.nl", number=str(i)) for i in range(3)]
    many = known + [row(i, f"Naam {i}", f"n{i}@example.nl", number=str(i)) for i in range(300)]
    with django_assert_num_queries(4) as small:
        import_rows_check(neighbourhood=personas.hood, rows=few)
    personas.hood.refresh_from_db()  # drop the prefetched postcode areas
    with django_assert_num_queries(len(small.captured_queries)):
        import_rows_check(neighbourhood=personas.hood, rows=many)


# --- Upload, preview, confirm ---------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONA_NAMES)
@pytest.mark.parametrize("step", ["upload", "preview"])
def test_import_pages_permissions(as_persona, personas, persona, step):
    response = as_persona(persona).get(urls(personas)[step])
    if persona == "anonymous":
        assert response.status_code == 302
        assert response.url.startswith(reverse("account_login"))
    elif persona in MANAGE_MEMBERS:
        assert response.status_code == (200 if step == "upload" else 302)
    else:
        assert response.status_code == 403


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_import_upload_and_confirm_permissions(as_persona, personas, persona):
    client = as_persona(persona)
    response = send(client, personas, GOOD_CSV)
    allowed = persona in MANAGE_MEMBERS
    expected = 302 if persona == "anonymous" or allowed else 403
    assert response.status_code == expected
    response = client.post(urls(personas)["confirm"], {"token": "x"})
    assert response.status_code == expected
    response = client.post(urls(personas)["cancel"])
    assert response.status_code == expected
    assert not User.objects.filter(email="sanne@example.nl").exists()


def test_preview_shows_every_row_and_writes_nothing(chair, personas):
    before = (User.objects.count(), Membership.objects.count(), EmailAddress.objects.count())
    content = GOOD_CSV + "Mohamed Bouzid;mohamed@example.nl;3527AB;12\n;x@example.nl;3527AB;1\n"
    response = send(chair, personas, content)
    assert response.status_code == 302 and response.url == urls(personas)["preview"]
    preview = chair.get(response.url)
    html = preview.content.decode()
    assert preview.status_code == 200
    for text in ("Sanne Jansen", "Joop Zoetemelk", "Mohamed Bouzid", "x@example.nl"):
        assert text in html
    assert "already a member" in html and "name is missing" in html
    assert "Add 2 people" in html
    assert "on paper" in html
    assert (
        User.objects.count(),
        Membership.objects.count(),
        EmailAddress.objects.count(),
    ) == before


def test_a_bad_file_is_a_form_error_not_a_crash(chair, personas):
    response = send(chair, personas, b"\x89PNG\r\n\x1a\n\x00\x00", "foto.png")
    assert response.status_code == 200
    html = response.content.decode()
    assert "error-summary" in html and "not a CSV or Excel file" in html
    assert chair.get(urls(personas)["preview"]).status_code == 302


def test_a_zip_bomb_is_a_form_error_and_nothing_waits(chair, personas, bomb):
    response = send(chair, personas, bomb, "leden.xlsx")
    assert response.status_code == 200
    html = response.content.decode()
    assert "error-summary" in html and "far more data than a member list" in html
    assert chair.get(urls(personas)["preview"]).status_code == 302


def test_confirm_imports_good_rows_in_one_go(chair, personas):
    content = GOOD_CSV + "Buiten;buiten@example.nl;1503AB;1\n"
    send(chair, personas, content)
    response = confirm(chair, personas)
    assert response.status_code == 302 and response.url == reverse(
        "members:members", args=[personas.hood.slug]
    )
    sanne = User.objects.get(email="sanne@example.nl")
    assert (sanne.display_name, sanne.postcode, sanne.house_number) == (
        "Sanne Jansen",
        "3527AB",
        "20",
    )
    assert not sanne.has_usable_password()
    assert EmailAddress.objects.get(user=sanne).verified
    joop = User.objects.get(display_name="Joop Zoetemelk")
    assert joop.email is None and joop.postcode == "3527CD"
    for user in (sanne, joop):
        membership = Membership.objects.get(user=user)
        assert (membership.neighbourhood, membership.role, membership.status) == (
            personas.hood,
            Role.RESIDENT,
            "active",
        )
        assert membership.decided_by == personas.chair
    assert not User.objects.filter(email="buiten@example.nl").exists()
    message = str(next(iter(chair.get(response.url).context["messages"])))
    assert "2 people were added" in message and "problem: 1" in message
    # The waiting import is gone: confirming again adds nothing twice.
    again = chair.post(urls(personas)["confirm"], {"token": "whatever"})
    assert again.status_code == 302 and again.url == urls(personas)["upload"]
    assert User.objects.filter(display_name="Joop Zoetemelk").count() == 1


def test_import_of_xlsx_end_to_end(chair, personas):
    data = xlsx(
        [
            ["Naam", "E-mail", "Postcode", "Huisnummer"],
            ["Sanne Jansen", "sanne@example.nl", "3527AB", 20],
        ]
    )
    send(chair, personas, data, "leden.xlsx")
    confirm(chair, personas)
    assert Membership.objects.active().filter(user__email="sanne@example.nl").exists()


def test_confirm_checks_again_and_skips_what_changed(chair, personas):
    send(chair, personas, GOOD_CSV)
    preview = chair.get(urls(personas)["preview"])
    # Sanne joins by herself between preview and confirm.
    sanne = make_person("Sanne Jansen", "sanne@example.nl")
    Membership.objects.create(
        user=sanne, neighbourhood=personas.hood, role=Role.RESIDENT, status="active"
    )
    chair.post(urls(personas)["confirm"], {"token": preview.context["token"]})
    assert User.objects.filter(email="sanne@example.nl").count() == 1
    assert Membership.objects.filter(user=sanne).count() == 1
    assert User.objects.filter(display_name="Joop Zoetemelk").exists()


def test_confirm_with_a_stale_token_imports_nothing(chair, personas):
    send(chair, personas, GOOD_CSV)
    response = chair.post(urls(personas)["confirm"], {"token": "from-another-tab"})
    assert response.status_code == 302 and response.url == urls(personas)["preview"]
    assert not User.objects.filter(email="sanne@example.nl").exists()


def test_cancel_forgets_the_list(chair, personas):
    send(chair, personas, GOOD_CSV)
    chair.post(urls(personas)["cancel"])
    assert chair.get(urls(personas)["preview"]).status_code == 302
    assert not User.objects.filter(email="sanne@example.nl").exists()


def test_existing_accounts_join_and_applicants_are_approved(
    personas, django_capture_on_commit_callbacks
):
    rows = [
        row(2, "Tomasz", "tomasz@example.nl", number="4"),
        row(3, "Wim Verhoeven", "WIM@example.nl", number="6"),
    ]
    with django_capture_on_commit_callbacks(execute=True):
        result = memberships_import(neighbourhood=personas.hood, by=personas.chair, rows=rows)
    assert (
        result.new_accounts,
        result.existing_accounts,
        result.paper_residents,
        result.not_imported,
    ) == (0, 2, 0, 0)
    assert (
        Membership.objects.get(user=personas.pending_resident, neighbourhood=personas.hood).status
        == "active"
    )
    assert (
        Membership.objects.get(user=personas.outsider, neighbourhood=personas.hood).status
        == "active"
    )
    # Existing accounts keep their own name and address.
    personas.outsider.refresh_from_db()
    assert personas.outsider.display_name == "Wim Verhoeven"
    assert [m.to for m in mail.outbox] == [["tomasz@example.nl"]]


def test_another_neighbourhoods_chair_cannot_confirm_this_import(as_persona, personas):
    chair = as_persona("chair")
    send(chair, personas, GOOD_CSV)
    outsider_chair = as_persona("outsider_chair")
    response = outsider_chair.post(urls(personas)["confirm"], {"token": "x"})
    assert response.status_code == 403
    assert not User.objects.filter(email="sanne@example.nl").exists()
