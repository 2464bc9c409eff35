"""Problem.discussed_count, the chronic signal "discussed at N meetings": counted once per
meeting for the problems under an agenda item that was actually started (meetings.
meeting_services), and filled from past meetings by a data migration."""

from __future__ import annotations

from datetime import timedelta
from importlib import import_module

import pytest
import time_machine
from django.apps import apps
from django.utils import translation

from meetings import services as meeting_services
from meetings.planning.models import AgendaItem, Meeting
from problems.models import Problem
from residents.models import Neighbourhood
from tests.factories import EVENING, insert_problem, link, make_meeting
from tests.support import item_of

Kind = AgendaItem.Kind


@pytest.fixture
def clock():
    with time_machine.travel(EVENING, tick=False) as traveller:
        yield traveller


@pytest.fixture
def problem(personas) -> Problem:
    return insert_problem(personas.hood, "Zwerfvuil bij de glasbak")


def discussed(problem: Problem) -> int:
    return Problem.objects.values_list("discussed_count", flat=True).get(pk=problem.pk)


def meeting_on(hood: Neighbourhood, months_later: int) -> Meeting:
    return make_meeting(hood, EVENING + timedelta(days=28 * months_later))


def go_to(meeting: Meeting, kind: str) -> None:
    # As the screen's "go to" does: the item as the database has it now.
    meeting_services.meeting_go_to(meeting=meeting, item=item_of(meeting, kind))


def hold(meeting: Meeting, *kinds: str) -> None:
    """The meeting runs past these items (a few minutes each) and closes."""
    meeting_services.meeting_start(meeting=meeting)
    for kind in kinds:
        go_to(meeting, kind)
    meeting_services.meeting_close(meeting=meeting)


def test_an_item_started_twice_counts_once(clock, personas, problem):
    meeting = make_meeting(personas.hood)
    link(item_of(meeting, Kind.STATE), [problem])
    meeting_services.meeting_start(meeting=meeting)
    assert discussed(problem) == 0  # the item has not come up yet
    go_to(meeting, Kind.STATE)
    assert discussed(problem) == 1
    clock.shift(timedelta(minutes=5))
    go_to(meeting, Kind.NEW_PROBLEMS)
    go_to(meeting, Kind.STATE)  # back to it: a second turn
    meeting_services.meeting_close(meeting=meeting)
    assert discussed(problem) == 1


def test_two_items_of_one_meeting_on_the_same_problem_count_once(clock, personas, problem):
    meeting = make_meeting(personas.hood)
    link(item_of(meeting, Kind.STATE), [problem])
    link(item_of(meeting, Kind.APPROACH), [problem])
    hold(meeting, Kind.STATE, Kind.APPROACH)
    assert discussed(problem) == 1


def test_two_meetings_count_twice(clock, personas, problem):
    for months_later in (0, 1):
        meeting = meeting_on(personas.hood, months_later)
        link(item_of(meeting, Kind.APPROACH), [problem])
        hold(meeting, Kind.APPROACH)
    assert discussed(problem) == 2


def test_the_first_item_counts_when_the_meeting_starts(clock, personas, problem):
    meeting = make_meeting(personas.hood)
    link(item_of(meeting, Kind.OPENING), [problem])
    meeting_services.meeting_start(meeting=meeting)
    assert discussed(problem) == 1


def test_an_item_never_started_does_not_count(clock, personas, problem):
    meeting = make_meeting(personas.hood)
    link(item_of(meeting, Kind.APPROACH), [problem])
    hold(meeting, Kind.STATE)  # closed before the Aanpak came up
    cancelled = meeting_on(personas.hood, 1)
    link(item_of(cancelled, Kind.OPENING), [problem])
    meeting_services.meeting_cancel(meeting=cancelled, reason="Buurthuis dicht", by=personas.chair)
    assert discussed(problem) == 0


def test_a_short_turn_still_counts_when_counted_again_later(clock, personas, problem):
    first = make_meeting(personas.hood)
    link(item_of(first, Kind.STATE), [problem])
    hold(first, Kind.STATE, Kind.NEW_PROBLEMS)  # the clock stands still: a turn under a second
    second = meeting_on(personas.hood, 1)
    link(item_of(second, Kind.STATE), [problem])
    hold(second, Kind.STATE)
    assert discussed(problem) == 2


def test_problems_put_under_the_running_item_count(clock, personas, problem):
    other = insert_problem(personas.hood, "Lantaarn kapot")
    meeting = make_meeting(personas.hood)
    meeting_services.meeting_start(meeting=meeting)
    go_to(meeting, Kind.STATE)
    item = item_of(meeting, Kind.STATE)
    meeting_services.agenda_item_problems_set(item=item, problems=[problem, other])
    assert (discussed(problem), discussed(other)) == (1, 1)
    # Taken off again before anything else ran: not discussed after all.
    meeting_services.agenda_item_problems_set(item=item, problems=[problem])
    assert (discussed(problem), discussed(other)) == (1, 0)
    # Under an item that has not run, nothing counts yet.
    meeting_services.agenda_item_problems_set(item=item_of(meeting, Kind.CLOSING), problems=[other])
    assert discussed(other) == 0


def test_removing_an_item_that_ran_takes_its_count_back(clock, personas, problem):
    meeting = make_meeting(personas.hood)
    item = meeting_services.agenda_item_add(meeting=meeting, title="Glasbak")
    link(item, [problem])
    meeting_services.meeting_start(meeting=meeting)
    meeting_services.meeting_go_to(meeting=meeting, item=item)
    go_to(meeting, Kind.CLOSING)
    assert discussed(problem) == 1
    meeting_services.agenda_item_remove(item=AgendaItem.objects.get(pk=item.pk))
    assert discussed(problem) == 0


def test_the_chronic_signal_fires_at_the_threshold(clock, personas, problem):
    hood = personas.hood
    hood.chronic_meetings = 2
    hood.save(update_fields=["chronic_meetings"])
    signal = "discussed at 2 or more meetings"
    for months_later in (0, 1):
        with translation.override("en"):
            assert signal not in Problem.objects.get(pk=problem.pk).chronic_signals()
        meeting = meeting_on(hood, months_later)
        link(item_of(meeting, Kind.APPROACH), [problem])
        hold(meeting, Kind.APPROACH)
    with translation.override("en"):
        assert signal in Problem.objects.get(pk=problem.pk).chronic_signals()


def test_the_migration_counts_past_meetings_as_the_service_does(clock, personas, problem):
    migration = import_module("meetings.migrations.0012_fill_discussed_count")
    twice = insert_problem(personas.hood, "Twee keer besproken")
    never = insert_problem(personas.hood, "Nooit aan bod gekomen")
    wrong = insert_problem(personas.hood, "Teller klopt niet")
    for months_later in (0, 1):
        meeting = meeting_on(personas.hood, months_later)
        link(item_of(meeting, Kind.STATE), [twice])
        link(item_of(meeting, Kind.APPROACH), [twice, problem] if months_later else [twice])
        link(item_of(meeting, Kind.CLOSING), [never])
        hold(meeting, Kind.STATE, Kind.APPROACH)
    expected = {p.pk: discussed(p) for p in (problem, twice, never, wrong)}
    assert list(expected.values()) == [1, 2, 0, 0]
    # As before this issue: nothing counted, and one count that no meeting explains.
    Problem.objects.update(discussed_count=0)
    Problem.objects.filter(pk=wrong.pk).update(discussed_count=4)

    migration.fill(apps, None)

    assert {p.pk: discussed(p) for p in (problem, twice, never, wrong)} == expected
