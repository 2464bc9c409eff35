"""The public accountability page (/buurt/<slug>/verantwoording/).

A small neighbourhood is built through the services while travelling in time: actions in every
state for the police, the housing corporation and the residents, a date moved, judgements at
two meetings, a done date just after midnight. The expected table is written out by hand below
and the reads and the rendered page must equal it. Marker strings planted in names and
confidential text must not reach the page; another neighbourhood's actions never count.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from html.parser import HTMLParser
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from meetings.actions import services as s
from meetings.actions.accountability import RESIDENTS, TOTAL, OwnerRow, accountability
from meetings.actions.models import Action
from meetings.planning.models import Meeting
from meetings.services import meeting_create
from problems.models import Problem
from problems.workflow import Status
from residents.models import Membership, Organisation, Role
from tests.conftest import PERSONA_NAMES, make_person

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
PRO, CHAIR = "professional", "chair"

REPORTER = "Qzreporterxq"  # the reporter's display name
CONFIDENTIAL = "Qzconfidentialxq"  # confidential details
SECRET_TITLE = "Qzsecrettitlexq"  # the real title and description of a sensitive problem
OWNER = "Qzownerxq"  # the owner person's name
CONTACT = "Qzcontactxq"  # the contact person's name
VOLUNTEER = "Qzvolunteerxq"  # a volunteer's name
ANALYSIS = "Qzanalysisxq"  # the analysis of a sensitive problem
JUDGEMENT_NOTE = "Qzjudgementnotexq"  # a note with the room's judgement
HIDDEN = "Qzhiddenxq"  # an action of a problem nobody outside the team may see
ELSEWHERE = "Qzelsewherexq"  # an action of another neighbourhood
MARKERS = [
    REPORTER,
    CONFIDENTIAL,
    SECRET_TITLE,
    OWNER,
    CONTACT,
    VOLUNTEER,
    ANALYSIS,
    JUDGEMENT_NOTE,
    HIDDEN,
    ELSEWHERE,
]


def at(month: int, day: int, hour: int = 12, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=AMSTERDAM)


TODAY = at(4, 15, 12)  # "now" when the page is read: Wednesday 15 April 2026

# The expected table, computed by hand from the story in `story` below.
# police:  A1 done 15 Mar, first date 20 Mar: on time, 13 days
#          A2 first date 10 Mar, moved to 30 Mar, done 25 Mar: late (first date), 23 days
#          A3 due 1 Apr, in progress: overdue; A4 due 1 May: open; A5 not feasible
#          judgements: A1 worse (19 Mar) then better (9 Apr) -> better;
#                      A3 same (9 Apr), "worse" recorded later for 19 Mar -> same
# housing: B1 first date 31 Mar, done 1 Apr 00:30 (31 Mar 22:30 UTC): late, 30 days
#          B2 cancelled; B3 due 14 Apr, open: overdue
#          B4 due 12 Mar, done 12 Mar 18:00: on time, 2 days; B5 done 7 Apr, due 20 Apr:
#          on time, 36 days; judgements: B1 worse, B3 same
# residents: R1 waiting for volunteers, due 10 Apr: overdue
#            R2 closed by the meeting of 19 Mar (better), due 20 Mar: on time, 17 days
POLICE = "Politie Midden-Nederland"
HOUSING = "Woningcorporatie Thuisbasis"
EXPECTED: dict[str, dict[str, Any]] = {
    POLICE: {
        "agreed": 5,
        "done": 2,
        "done_on_time": 1,
        "on_time_percent": 50,
        "overdue": 1,
        "median_days": 18,
        "better": 1,
        "same": 1,
        "worse": 0,
    },
    HOUSING: {
        "agreed": 5,
        "done": 3,
        "done_on_time": 2,
        "on_time_percent": 67,
        "overdue": 1,
        "median_days": 30,
        "better": 0,
        "same": 1,
        "worse": 1,
    },
    "Residents": {
        "agreed": 2,
        "done": 1,
        "done_on_time": 1,
        "on_time_percent": 100,
        "overdue": 1,
        "median_days": 17,
        "better": 1,
        "same": 0,
        "worse": 0,
    },
    "All owners": {
        "agreed": 12,
        "done": 6,
        "done_on_time": 4,
        "on_time_percent": 67,
        "overdue": 3,
        "median_days": 20,  # 2 13 17 | 23 30 36
        "better": 2,
        "same": 2,
        "worse": 1,
    },
}
# The same, as the English page shows it.
EXPECTED_CELLS = {
    POLICE: ["5", "2", "50% (1 of 2)", "1", "18", "1", "1", "0"],
    HOUSING: ["5", "3", "67% (2 of 3)", "1", "30", "0", "1", "1"],
    "Residents": ["2", "1", "100% (1 of 1)", "1", "17", "1", "0", "0"],
    "All owners": ["12", "6", "67% (4 of 6)", "3", "20", "2", "2", "1"],
}
COLUMNS = ["agreed", "done", "on_time", "overdue", "median_days", "better", "same", "worse"]


def values(row: OwnerRow) -> dict[str, Any]:
    return {
        "agreed": row.agreed,
        "done": row.done,
        "done_on_time": row.done_on_time,
        "on_time_percent": row.on_time_percent,
        "overdue": row.overdue,
        "median_days": row.median_days,
        "better": row.better,
        "same": row.same,
        "worse": row.worse,
    }


@dataclass
class Story:
    actions: dict[str, Action]
    priority: Problem
    sensitive: Problem
    other: Problem
    meetings: tuple[Meeting, Meeting]


def url(hood: Any) -> str:
    return reverse("actions:accountability", args=[hood.slug])


@pytest.fixture
def story(personas, make_problem) -> Story:
    """The neighbourhood's spring, told through the services."""
    p = personas
    # Names that must never show: the owner, the contact person, a volunteer, a reporter.
    p.wijkagent.display_name = f"Kees {OWNER}"
    p.wijkagent.save()
    p.resident.display_name = f"Mohamed {CONTACT}"
    p.resident.save()
    p.second_resident.display_name = f"Annie {VOLUNTEER}"
    p.second_resident.save()
    reporter = make_person(f"Bewoner {REPORTER}", "reporter@example.nl")
    Membership.objects.create(user=reporter, neighbourhood=p.hood, role=Role.RESIDENT)

    with time_machine.travel(at(3, 2, 10), tick=False) as clock:
        priority = make_problem(
            Status.PRIORITY,
            reporter=reporter,
            title="Afval naast de glasbak",
            confidential_details=f"Buurman {CONFIDENTIAL}",
        )
        sensitive = make_problem(
            Status.PRIORITY,
            reporter=reporter,
            category="drugsoverlast",
            title=f"Handel {SECRET_TITLE}",
            description=f"Beschrijving {SECRET_TITLE}",
            street="Parkstraat",
            confidential_details=f"Adres {CONFIDENTIAL}",
        )
        other = make_problem(Status.ACCEPTED, title="Scooters op de stoep")
        hidden = make_problem(Status.ACCEPTED, title="Nog niet openbaar")
        elsewhere = make_problem(
            Status.ACCEPTED, neighbourhood=p.other_hood, reporter=p.outsider, title="Elders"
        )
        s.analysis_save(
            problem=sensitive,
            actor=p.chair,
            location=f"Achter het buurthuis {ANALYSIS}",
            victims="Omwonenden",
            offenders=f"Onbekend {ANALYSIS}",
        )
        first = meeting_create(
            neighbourhood=p.hood, starts_at=at(3, 19, 19, 30), ends_at=at(3, 19, 21, 30), place="x"
        )
        second = meeting_create(
            neighbourhood=p.hood, starts_at=at(4, 9, 19, 30), ends_at=at(4, 9, 21, 30), place="x"
        )

        def act(
            key: str, problem: Problem, org: Organisation | None, due: date, **kw: Any
        ) -> Action:
            return s.action_create(
                problem=problem,
                actor=p.chair,
                role=CHAIR,
                outcome=f"Actie {key}",
                due_date=due,
                owner_organisation=org,
                **kw,
            )

        police, housing = p.police, p.housing
        a = {
            "A1": act("A1", priority, police, date(2026, 3, 20), owner_person=p.wijkagent),
            "A2": act("A2", priority, police, date(2026, 3, 10)),
            "A3": act("A3", priority, police, date(2026, 4, 1), owner_person=p.wijkagent),
            "A4": act("A4", sensitive, police, date(2026, 5, 1), owner_person=p.wijkagent),
            "A5": act("A5", sensitive, police, date(2026, 3, 30)),
            "B1": act("B1", priority, housing, date(2026, 3, 31)),
            "B2": act("B2", sensitive, housing, date(2026, 3, 31)),
            "B3": act("B3", sensitive, housing, date(2026, 4, 14)),
            "B5": act("B5", other, housing, date(2026, 4, 20)),
            "R1": act(
                "R1",
                priority,
                None,
                date(2026, 4, 10),
                volunteers_needed=3,
                contact_person=p.resident,
            ),
            "R2": act("R2", priority, None, date(2026, 3, 20), contact_person=p.resident),
        }
        hidden_action = s.action_create(
            problem=hidden,
            actor=p.chair,
            role=CHAIR,
            outcome=f"Actie {HIDDEN}",
            due_date=date(2026, 4, 5),
            owner_organisation=police,
        )
        s.action_create(
            problem=elsewhere,
            actor=p.outsider_chair,
            role=CHAIR,
            outcome=f"Actie {ELSEWHERE} 1",
            due_date=date(2026, 3, 3),
            owner_organisation=police,
        )
        done_elsewhere = s.action_create(
            problem=elsewhere,
            actor=p.outsider_chair,
            role=CHAIR,
            outcome=f"Actie {ELSEWHERE} 2",
            due_date=date(2026, 3, 30),
            owner_organisation=housing,
        )
        assert s.volunteer_sign_up(action=a["R1"], user=p.second_resident)

        clock.move_to(at(3, 2, 14))
        s.action_status_set(
            action=done_elsewhere, actor=p.outsider_chair, role=CHAIR, status="done"
        )
        clock.move_to(at(3, 5, 9))
        s.action_status_set(
            action=a["A5"], actor=p.wijkagent, role=PRO, status="not_feasible",
            reason="Geen bevoegdheid",
        )  # fmt: skip
        clock.move_to(at(3, 9, 9))
        s.action_due_date_move(
            action=a["A2"], actor=p.wijkagent, role=PRO, due_date=date(2026, 3, 30),
            reason="Te weinig mensen",
        )  # fmt: skip
        clock.move_to(at(3, 10, 9))
        s.action_status_set(
            action=a["B2"], actor=p.housing_contact, role=PRO, status="cancelled",
            reason="Dubbel met een actie van de politie",
        )  # fmt: skip
        a["B4"] = act("B4", other, housing, date(2026, 3, 12))
        clock.move_to(at(3, 12, 18))
        s.action_progress_post(
            action=a["B4"], actor=p.housing_contact, role=PRO, text="Hek gerepareerd",
            status="done",
        )  # fmt: skip
        clock.move_to(at(3, 15, 14))
        s.action_progress_post(
            action=a["A1"], actor=p.wijkagent, role=PRO, text="Glasbak geleegd", status="done"
        )
        clock.move_to(at(3, 19, 20))
        s.judgement_record(
            action=a["A1"], meeting=first, actor=p.chair, effect="worse", verdict="continue",
            note=JUDGEMENT_NOTE,
        )  # fmt: skip
        s.judgement_record(
            action=a["B3"], meeting=first, actor=p.chair, effect="same", verdict="continue"
        )
        s.judgement_record(
            action=a["R2"], meeting=first, actor=p.chair, effect="better", verdict="close"
        )
        clock.move_to(at(3, 20, 10))
        s.action_progress_post(
            action=a["A3"], actor=p.wijkagent, role=PRO, text="Extra surveillance op vrijdag"
        )
        clock.move_to(at(3, 25, 16))
        s.action_status_set(action=a["A2"], actor=p.wijkagent, role=PRO, status="done")
        clock.move_to(at(4, 1, 0, 30))  # 31 March, 22:30 UTC: a day late in Amsterdam
        s.action_progress_post(
            action=a["B1"], actor=p.housing_contact, role=PRO, text="Container geplaatst",
            status="done",
        )  # fmt: skip
        clock.move_to(at(4, 5, 11))
        s.action_progress_post(
            action=a["A3"], actor=p.wijkagent, role=PRO, text="Gesprek met de eigenaar"
        )
        clock.move_to(at(4, 7, 15))
        s.action_status_set(action=a["B5"], actor=p.housing_contact, role=PRO, status="done")
        clock.move_to(at(4, 9, 20))
        s.judgement_record(
            action=a["A1"], meeting=second, actor=p.chair, effect="better", verdict="close"
        )
        s.judgement_record(
            action=a["A3"], meeting=second, actor=p.chair, effect="same", verdict="adjust"
        )
        s.judgement_record(
            action=a["B1"], meeting=second, actor=p.chair, effect="worse", verdict="continue"
        )
        clock.move_to(at(4, 10, 9))  # the minutes of 19 March are corrected afterwards
        s.judgement_record(
            action=a["A3"], meeting=first, actor=p.chair, effect="worse", verdict="continue"
        )
        clock.move_to(at(4, 12, 9))
        s.action_delay_note(action=a["A3"], actor=p.wijkagent, role=PRO, text="Wacht op de rechter")
        clock.move_to(at(4, 15, 9))
        s.action_delay_note(
            action=a["B3"], actor=p.housing_contact, role=PRO, text="Aannemer is ziek"
        )
    # The hidden problem goes back to the team only (as a report nobody accepted).
    Problem.objects.filter(pk=hidden.pk).update(status=Status.NEW, accepted_at=None)
    assert hidden_action.pk
    for action in a.values():
        action.refresh_from_db()
    return Story(a, priority, sensitive, other, (first, second))


@pytest.fixture
def today():
    with time_machine.travel(TODAY, tick=False) as clock:
        yield clock


class Cells(HTMLParser):
    """The owner table's rows: label -> cell texts, and the open actions' ids in order."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[str, list[str]] = {}
        self.open_order: list[str] = []
        self._row: list[str] | None = None
        self._label = ""
        self._cell: list[str] | None = None
        self._in_open = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "table" and "accountability-open" in (a.get("class") or ""):
            self._in_open = True
        if tag == "tr" and a.get("data-owner"):
            self._row, self._label = [], ""
        if tag == "tr" and self._in_open and a.get("data-action"):
            self.open_order.append(a["data-action"] or "")
        if self._row is not None and tag in ("th", "td"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self._in_open = False
        if self._row is not None and self._cell is not None and tag in ("th", "td"):
            text = " ".join("".join(self._cell).split())
            if tag == "th":
                self._label = text
            else:
                self._row.append(text)
            self._cell = None
        if tag == "tr" and self._row is not None:
            self.rows[self._label] = self._row
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def cells(html: str) -> Cells:
    parser = Cells()
    parser.feed(html)
    return parser


# --- The numbers ----------------------------------------------------------------------------


def test_reads_equal_the_hand_computed_table(story, personas, today, english_pages):
    page = accountability(personas.hood)
    assert page.today == date(2026, 4, 15)
    found = {row.label: values(row) for row in page.owners}
    found[page.total.label] = values(page.total)
    assert found == EXPECTED
    # Organisations by name, the residents' own actions last.
    assert [row.label for row in page.owners] == [POLICE, HOUSING, "Residents"]
    assert [row.key for row in page.owners][-1] == RESIDENTS
    assert page.total.key == TOTAL


def test_page_shows_the_hand_computed_table(story, personas, client, english_pages, today):
    response = client.get(url(personas.hood))
    assert response.status_code == 200
    assert cells(response.content.decode()).rows == EXPECTED_CELLS


def test_on_time_is_judged_against_the_first_date_never_the_moved_one(story, today):
    moved = story.actions["A2"]
    assert moved.first_due_date == date(2026, 3, 10)
    assert moved.due_date == date(2026, 3, 30)
    assert moved.done_on_time is False  # done 25 March: before the moved date, after the first


def test_done_just_after_midnight_counts_as_the_next_day_in_amsterdam(story, today, english_pages):
    late = story.actions["B1"]
    assert late.done_at.astimezone(ZoneInfo("UTC")).date() == date(2026, 3, 31)  # UTC: in time
    assert late.done_on_time is False  # Amsterdam: 1 April, a day late
    row = next(r for r in accountability(late.neighbourhood).owners if r.label == HOUSING)
    assert (row.done, row.done_on_time) == (3, 2)


def test_nothing_done_shows_a_dash(personas, make_problem, client, english_pages):
    problem = make_problem(Status.PRIORITY)
    s.action_create(
        problem=problem,
        actor=personas.chair,
        role=CHAIR,
        outcome="Lantaarnpaal vervangen",
        due_date=timezone.localdate() + timedelta(days=20),
        owner_organisation=personas.housing,
    )
    [row] = accountability(personas.hood).owners
    assert (row.agreed, row.done, row.on_time_percent, row.median_days) == (1, 0, None, None)
    rows = cells(client.get(url(personas.hood)).content.decode()).rows
    assert rows == {HOUSING: ["1", "0", "–", "0", "–", "0", "0", "0"]}  # no total for one owner


def test_median_of_an_even_number_shows_a_half_the_dutch_way(story, personas, client, today):
    # Housing took 2, 30 and 36 days; a fourth done in 3 days makes the median (3 + 30) / 2.
    today.move_to(at(4, 15, 10))
    extra = s.action_create(
        problem=story.other,
        actor=personas.chair,
        role=CHAIR,
        outcome="Actie B6",
        due_date=date(2026, 4, 20),
        owner_organisation=personas.housing,
    )
    today.move_to(at(4, 18, 12))
    s.action_status_set(action=extra, actor=personas.chair, role=CHAIR, status="done")
    row = next(r for r in accountability(personas.hood).owners if r.key == str(personas.housing.pk))
    assert row.median_days == 16.5
    html = client.get(url(personas.hood)).content.decode()
    assert cells(html).rows[HOUSING][4] == "16,5"


def test_another_neighbourhood_counts_only_its_own_actions(story, personas, today, english_pages):
    page = accountability(personas.other_hood)
    assert {row.label: (row.agreed, row.done, row.done_on_time) for row in page.owners} == {
        POLICE: (1, 0, 0),
        HOUSING: (1, 1, 1),
    }
    assert [line.outcome for line in page.open_actions] == [f"Actie {ELSEWHERE} 1"]


# --- The lists ------------------------------------------------------------------------------


def test_open_actions_are_the_active_ones_earliest_due_first(
    story, personas, client, today, english_pages
):
    page = accountability(personas.hood)
    a = story.actions
    assert [line.pk for line in page.open_actions] == [
        a["A3"].pk,
        a["R1"].pk,
        a["B3"].pk,
        a["A4"].pk,
    ]
    by_pk = {line.pk: line for line in page.open_actions}
    assert [by_pk[a[k].pk].overdue for k in ("A3", "R1", "B3", "A4")] == [True, True, True, False]
    assert by_pk[a["R1"].pk].owner == "Residents"
    assert by_pk[a["R1"].pk].status == "waiting"
    assert by_pk[a["B3"].pk].delay_note == "Aannemer is ziek"
    assert by_pk[a["A4"].pk].problem_title == story.sensitive.public_title
    html = client.get(url(personas.hood)).content.decode()
    assert cells(html).open_order == [str(a[k].pk) for k in ("A3", "R1", "B3", "A4")]


def test_priorities_show_their_actions_and_latest_progress(story, personas, today, english_pages):
    page = accountability(personas.hood)
    assert [p.pk for p in page.priorities] == [story.priority.pk, story.sensitive.pk]
    first, sensitive = page.priorities
    a = story.actions
    assert {line.pk for line in first.actions} == {
        a[k].pk for k in ("A1", "A2", "A3", "B1", "R1", "R2")
    }
    assert {line.pk for line in sensitive.actions} == {a[k].pk for k in ("A4", "A5", "B2", "B3")}
    lines = {line.pk: line for line in first.actions + sensitive.actions}
    progress = lines[a["A3"].pk].latest_progress
    assert progress is not None
    assert (progress.at, progress.organisation, progress.text) == (
        at(4, 5, 11),
        POLICE,
        "Gesprek met de eigenaar",
    )
    assert lines[a["B1"].pk].latest_progress.text == "Container geplaatst"  # type: ignore[union-attr]
    assert lines[a["R2"].pk].latest_progress is None  # closed by the meeting, no progress
    assert lines[a["A5"].pk].status_reason == "Geen bevoegdheid"
    assert sensitive.title == story.sensitive.public_title
    assert SECRET_TITLE not in sensitive.title


def test_page_shows_lists_with_dates_and_reasons(story, personas, client, english_pages, today):
    html = client.get(url(personas.hood)).content.decode()
    assert "Gesprek met de eigenaar" in html and "5 April 2026" in html
    assert "Extra surveillance op vrijdag" not in html  # only the latest progress
    assert "Wacht op de rechter" in html and "Aannemer is ziek" in html
    assert "first agreed: 10 March 2026" in html  # A2's moved date
    a = story.actions
    assert "on 25 March 2026</span> <strong>later than first agreed</strong>" in html  # A2
    assert "on 15 March 2026</span> <strong>on time</strong>" in html  # A1
    assert "on 19 March 2026</span> <strong>on time</strong>" in html  # R2
    assert a["A2"].done_on_time is False and a["A1"].done_on_time is True
    assert "Geen bevoegdheid" in html and "Dubbel met een actie van de politie" in html
    assert "Overdue" in html
    assert "Done on time" in html and "first agreed" in html
    assert reverse("problem", args=[personas.hood.slug, story.sensitive.pk]) in html


def test_dutch_page_reads_in_dutch(story, personas, client, today):
    html = client.get(url(personas.hood)).content.decode()
    assert 'lang="nl"' in html
    assert "Bewoners" in html


# --- Privacy --------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["nl", "en"])
def test_page_names_nobody_and_shows_nothing_confidential(
    story, personas, client, settings, today, language
):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    html = client.get(url(personas.hood)).content.decode()
    # The markers exist (so this test can fail) ...
    sensitive = Problem.objects.get(pk=story.sensitive.pk)
    assert SECRET_TITLE in sensitive.title and CONFIDENTIAL in sensitive.confidential_details
    assert story.actions["A1"].owner_person.display_name.endswith(OWNER)
    assert story.actions["R1"].contact_person.display_name.endswith(CONTACT)
    # ... and none reaches the page, nor any person's name.
    for marker in MARKERS:
        assert marker not in html, marker
    for name in PERSONA_NAMES[1:]:
        person = personas.by_name(name)
        assert person.display_name not in html, name
        assert person.email not in html, name
    assert sensitive.public_title in html


def test_hidden_problem_and_other_neighbourhood_never_count(story, personas, today):
    page = accountability(personas.hood)
    shown = [line.outcome for line in page.open_actions] + [
        line.outcome for p in page.priorities for line in p.actions
    ]
    assert not [o for o in shown if HIDDEN in o or ELSEWHERE in o]
    assert page.total.agreed == 12  # not 13 (hidden) nor 15 (the other neighbourhood)


# --- Access and queries ---------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_everyone_may_see_the_page(login, personas, persona):
    response = login(personas.by_name(persona)).get(url(personas.hood))
    assert response.status_code == 200, persona


def test_unknown_neighbourhood_is_404_and_posting_is_not_allowed(client, personas):
    assert client.get(reverse("actions:accountability", args=["nergens"])).status_code == 404
    assert client.post(url(personas.hood)).status_code == 405


def test_neighbourhood_page_links_here(client, personas):
    html = client.get(reverse("neighbourhood", args=[personas.hood.slug])).content.decode()
    assert f'href="{url(personas.hood)}"' in html


def _grow(personas, make_problem, start: int, n: int) -> None:
    """n more priorities, each with actions for both organisations and the residents, in
    every state, with progress, a moved date and judgements at a new meeting."""
    today = timezone.localdate()
    for i in range(start, start + n):
        problem = make_problem(Status.PRIORITY, title=f"Probleem {i}")
        organisation = Organisation.objects.create(name=f"Organisatie {i}")
        meeting = meeting_create(
            neighbourhood=personas.hood,
            starts_at=datetime.now(AMSTERDAM) - timedelta(days=i + 1),
            ends_at=datetime.now(AMSTERDAM) - timedelta(days=i + 1) + timedelta(hours=2),
            place="x",
        )
        for j, org in enumerate((personas.police, personas.housing, organisation, None)):
            action = s.action_create(
                problem=problem,
                actor=personas.chair,
                role=CHAIR,
                outcome=f"Actie {i}-{j}",
                due_date=today + timedelta(days=j),
                owner_organisation=org,
                volunteers_needed=2 if org is None else 0,
            )
            s.judgement_record(
                action=action, meeting=meeting, actor=personas.chair, effect="same",
                verdict="continue",
            )  # fmt: skip
            if org is None:
                continue
            s.action_progress_post(
                action=action, actor=personas.chair, role=CHAIR, text=f"Voortgang {i}-{j}"
            )
            if j == 1:
                s.action_due_date_move(
                    action=action, actor=personas.chair, role=CHAIR,
                    due_date=today + timedelta(days=30), reason="Later",
                )  # fmt: skip
            if j == 2:
                s.action_status_set(action=action, actor=personas.chair, role=CHAIR, status="done")


@pytest.mark.parametrize("viewer", ["anonymous", "resident", "chair"])
def test_query_count_does_not_grow_with_the_neighbourhood(
    login, personas, make_problem, django_assert_num_queries, viewer
):
    client = login(personas.by_name(viewer))
    _grow(personas, make_problem, 0, 1)
    client.get(url(personas.hood))  # warm the session and the category list
    # A resident's request also asks their roles (memberships, coordinators): whether they
    # must set up a second factor (residents.middleware, every request); the chair's session
    # passed it, so the middleware asks nothing.
    expected = {"anonymous": 6, "resident": 11, "chair": 9}[viewer]
    with django_assert_num_queries(expected) as small:
        response = client.get(url(personas.hood))
    assert response.status_code == 200
    assert len(small.captured_queries) <= 12
    _grow(personas, make_problem, 1, 4)
    with django_assert_num_queries(len(small.captured_queries)):
        response = client.get(url(personas.hood))
    assert response.status_code == 200
    assert response.content.decode().count("Voortgang ") == 15  # five priorities, three each
