"""The time-box rule both screens use (meetings.room.timer): one set of states, styled on both."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings

from meetings.planning.models import AgendaItem
from meetings.room import timer
from tests.factories import EVENING

STATES = (timer.OK, timer.AMBER, timer.RED, timer.DONE)


@pytest.mark.parametrize("elapsed", [0, 239, 240, 300, 301, 5000])
def test_a_timer_that_does_not_run_is_done_whatever_its_time(elapsed):
    assert timer.timer_state(elapsed=elapsed, limit=300, running=False) == timer.DONE


def test_ok_amber_and_red_while_it_runs():
    states = [timer.timer_state(elapsed=e, limit=300, running=True) for e in (239, 240, 300, 301)]
    assert states == [timer.OK, timer.AMBER, timer.AMBER, timer.RED]


def test_an_items_time_is_its_earlier_turns_plus_the_running_one():
    now = EVENING + timedelta(minutes=10)
    running = AgendaItem(minutes=5, spent_seconds=100, started_at=now - timedelta(seconds=50))
    assert timer.item_timer(running, now) == timer.Timer(elapsed=150, limit=300, running=True)
    stopped = AgendaItem(minutes=5, spent_seconds=400, started_at=None)
    assert timer.item_timer(stopped, now).state == timer.DONE


@pytest.mark.parametrize(
    ("stylesheet", "block"), [("screen.css", "screen-timer"), ("projector.css", "timer")]
)
@pytest.mark.parametrize("state", STATES)
def test_both_screens_style_every_state(stylesheet, block, state):
    css = (Path(settings.BASE_DIR) / "static" / "css" / stylesheet).read_text(encoding="utf-8")
    assert f".{block}--{state} .{block}__icon--{state}" in css
