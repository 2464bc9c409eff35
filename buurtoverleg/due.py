"""Everything that runs on a schedule, through one beat job.

Beat calls the task `meetings.tasks.run_due_work` (buurtoverleg.tasks; the name is kept) every
minute. Each app registers its kinds of due work in its AppConfig.ready(), with an interval
(register_due_work); they run in the order of INSTALLED_APPS. A row in DueWorkRun says when a
kind may run next and is claimed with a conditional update, so two beats (or a re-run) never
run it twice, and a missed run is caught up by the next call.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError
from django.utils import timezone
from django.utils.module_loading import import_string

from buurtoverleg.models import DueWorkRun

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DueWork:
    name: str
    function: str  # dotted path of a callable without arguments
    every: timedelta


DUE_WORK: list[DueWork] = []


def register_due_work(name: str, function: str, every: timedelta) -> None:
    """Add a kind of due work; apps call this in their AppConfig.ready(). The name is stored
    (DueWorkRun.name), so it never changes once released."""
    if any(work.name == name for work in DUE_WORK):
        raise ValueError(f"the due work {name!r} is registered twice")
    DUE_WORK.append(DueWork(name, function, every))


def _claim(work: DueWork) -> bool:
    now = timezone.now()
    with contextlib.suppress(IntegrityError):  # another beat created it at the same moment
        DueWorkRun.objects.get_or_create(name=work.name, defaults={"next_run_at": now})
    return bool(
        DueWorkRun.objects.filter(name=work.name, next_run_at__lte=now).update(
            next_run_at=now + work.every - timedelta(seconds=5), last_started_at=now
        )
    )


def run_due() -> list[str]:
    """Run each kind of due work whose time has come; returns the names that ran."""
    ran = []
    for work in DUE_WORK:
        if not _claim(work):
            continue
        error = ""
        try:
            import_string(work.function)()
        except Exception as exc:  # one failing job must not stop the others
            log.exception("Due work %s failed", work.name)
            error = f"{type(exc).__name__}: {exc}"
        DueWorkRun.objects.filter(name=work.name).update(
            last_finished_at=timezone.now(), last_error=error[:2000]
        )
        ran.append(work.name)
    return ran
