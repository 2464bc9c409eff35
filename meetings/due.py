"""Everything that runs on a schedule, in one place.

Beat calls `meetings.tasks.run_due_work` every minute. Each kind of due work below has an
interval; a row in DueWorkRun says when it may run next and is claimed with a conditional
update, so two beats (or a re-run) never run it twice, and a missed run is caught up by the
next call. Later features add their kind of due work to DUE_WORK.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError
from django.utils import timezone
from django.utils.module_loading import import_string

from meetings.models import DueWorkRun

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DueWork:
    name: str
    function: str  # dotted path of a callable without arguments
    every: timedelta


DUE_WORK: list[DueWork] = [
    DueWork("mail.sweep", "meetings.services.deliveries_requeue_stale", timedelta(minutes=1)),
    DueWork(
        "residents.purge_departed_members",
        "residents.privacy.purge_departed_members",
        timedelta(days=1),
    ),
    DueWork(
        "residents.purge_unconfirmed_signups",
        "residents.privacy.purge_unconfirmed_signups",
        timedelta(days=1),
    ),
    DueWork(
        "residents.prune_action_link_uses",
        "residents.links.action_link_uses_prune",
        timedelta(days=1),
    ),
    DueWork("meetings.plan_from_rhythm", "meetings.schedule.meetings_plan_all", timedelta(days=1)),
    DueWork(
        "minutes.sweep",
        "meetings.minutes_services.minutes_renders_requeue_stale",
        timedelta(minutes=5),
    ),
    DueWork("rounds.close_due", "problems.round_services.rounds_close_due", timedelta(minutes=1)),
    # Keyed mailings: however often these run, one reminder and one overdue notice per action
    # and due date, and one survey per resolution. Hourly, so a missed hour is caught up soon.
    DueWork("actions.remind", "problems.action_services.actions_remind_due", timedelta(hours=1)),
    DueWork("problems.survey", "problems.action_services.surveys_send_due", timedelta(hours=1)),
    # Keyed too: one agenda mail per meeting and start time, once it is published and at most
    # Neighbourhood.agenda_mail_days away; one reminder per meeting and date, the day before;
    # one progress digest per neighbourhood and ISO week, only when something changed.
    DueWork(
        "meetings.agenda_mail", "meetings.agenda_mail.agenda_mail_send_due", timedelta(hours=1)
    ),
    DueWork(
        "meetings.meeting_reminder",
        "meetings.agenda_mail.meeting_reminders_send_due",
        timedelta(hours=1),
    ),
    DueWork("meetings.digest", "meetings.digest.digests_send_due", timedelta(days=1)),
]


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
