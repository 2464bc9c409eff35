"""An agenda item's time-box, as the chair's agenda screen and the projector both show it.

One rule for both screens: the state is ok, amber (the end of the time-box is near), red (over
time) or done (the item's turn is not running: it was marked done). Each screen words the
states itself: the agenda screen says "Timer stopped" for done, the projector "Finished".
Their scripts (static/js/agenda-screen.js, projector.js) tick on with the same numbers and the
same amber rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from meetings.planning.models import AgendaItem

# The timer turns amber for the last fifth of the time-box, at least one and at most two
# minutes.
AMBER_MIN_SECONDS = 60
AMBER_MAX_SECONDS = 120
OK, AMBER, RED, DONE = "ok", "amber", "red", "done"


def clock(seconds: int) -> str:
    """4:05, or 1:02:05 past the hour."""
    seconds = max(seconds, 0)
    hours, rest = divmod(seconds, 3600)
    if hours:
        return f"{hours}:{rest // 60:02d}:{rest % 60:02d}"
    return f"{rest // 60}:{rest % 60:02d}"


def amber_seconds(limit: int) -> int:
    return min(max(limit // 5, AMBER_MIN_SECONDS), AMBER_MAX_SECONDS)


def timer_state(*, elapsed: int, limit: int, running: bool) -> str:
    """ok, amber (the end of the time-box is near), red (over time) or done (not running)."""
    if not running:
        return DONE
    remaining = limit - elapsed
    if remaining < 0:
        return RED
    return AMBER if remaining <= amber_seconds(limit) else OK


@dataclass(frozen=True)
class Timer:
    """An item's time at render time; the screens' scripts tick on from these numbers."""

    elapsed: int
    limit: int
    running: bool

    @property
    def amber(self) -> int:
        return amber_seconds(self.limit)

    @property
    def state(self) -> str:
        return timer_state(elapsed=self.elapsed, limit=self.limit, running=self.running)

    @property
    def clock(self) -> str:
        return clock(self.elapsed)

    @property
    def limit_clock(self) -> str:
        return clock(self.limit)

    @property
    def over_clock(self) -> str:
        return clock(self.elapsed - self.limit)


def item_timer(item: AgendaItem, now: datetime) -> Timer:
    """Actual time: the seconds of earlier turns plus the running turn since started_at."""
    elapsed = item.spent_seconds
    if item.started_at is not None:
        elapsed += max(int((now - item.started_at).total_seconds()), 0)
    return Timer(elapsed=elapsed, limit=item.minutes * 60, running=item.started_at is not None)
