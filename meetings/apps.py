from __future__ import annotations

from datetime import timedelta

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MeetingsConfig(AppConfig):
    name = "meetings"
    verbose_name = _("Meetings")

    def ready(self) -> None:
        from buurtoverleg.due import register_due_work
        from meetings import (
            mail_kinds,
            privacy,  # noqa: F401 - registers export and anonymiser
            problem_sections,  # noqa: F401 - registers the problem page's meetings section
            sections,  # noqa: F401 - registers the neighbourhood page's sections
            services,  # noqa: F401 - marks its public writes (public_pages)
        )
        from meetings.actions import (
            panels as action_panels,  # noqa: F401 - registers the Aanpak and Terugkoppeling panels
        )
        from meetings.actions import privacy as action_privacy  # noqa: F401 - export
        from meetings.actions import sections as action_sections  # noqa: F401 - problem page
        from meetings.actions import services as action_services  # noqa: F401 - public writes
        from meetings.agenda_mail import (
            services as agenda_mail,  # noqa: F401 - registers the agenda mail's .ics attachment
        )
        from meetings.minutes import services as minutes_services  # noqa: F401 - public writes
        from meetings.planning import schedule  # noqa: F401 - marks its public writes
        from meetings.room.views import panels  # noqa: F401 - registers the agenda screen's panels
        from meetings.rounds import (
            panels as round_panels,  # noqa: F401 - registers the vote panel of the agenda screen
        )
        from meetings.rounds import privacy as round_privacy  # noqa: F401 - export
        from meetings.rounds import sections as round_sections  # noqa: F401 - hood page
        from meetings.rounds import services as round_services  # noqa: F401 - public writes

        mail_kinds.register()
        register_due_work(
            "meetings.plan_from_rhythm",
            "meetings.planning.schedule.meetings_plan_all",
            timedelta(days=1),
        )
        register_due_work(
            "minutes.sweep",
            "meetings.minutes.services.minutes_renders_requeue_stale",
            timedelta(minutes=5),
        )
        # Keyed mailings: one agenda mail per meeting and start time, once it is published and
        # at most Neighbourhood.agenda_mail_days away; one reminder per meeting and date, the
        # day before; one progress digest per neighbourhood and ISO week, only when something
        # changed. However often these run, nothing goes twice.
        register_due_work(
            "meetings.agenda_mail",
            "meetings.agenda_mail.services.agenda_mail_send_due",
            timedelta(hours=1),
        )
        register_due_work(
            "meetings.meeting_reminder",
            "meetings.agenda_mail.services.meeting_reminders_send_due",
            timedelta(hours=1),
        )
        register_due_work(
            "meetings.digest", "meetings.digest.services.digests_send_due", timedelta(days=1)
        )
        register_due_work(
            "rounds.close_due", "meetings.rounds.services.rounds_close_due", timedelta(minutes=1)
        )
        # Keyed mailings: however often these run, one reminder and one overdue notice per
        # action and due date, and one survey per resolution. Hourly, so a missed hour is
        # caught up soon.
        register_due_work(
            "actions.remind", "meetings.actions.services.actions_remind_due", timedelta(hours=1)
        )
        register_due_work(
            "problems.survey", "meetings.actions.services.surveys_send_due", timedelta(hours=1)
        )
