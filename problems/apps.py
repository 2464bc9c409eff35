from __future__ import annotations

from datetime import timedelta

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProblemsConfig(AppConfig):
    name = "problems"
    verbose_name = _("Problem register")

    def ready(self) -> None:
        from buurtoverleg.due import register_due_work
        from problems import (
            action_services,  # noqa: F401 - marks its public writes (public_pages)
            mail_kinds,
            privacy,  # noqa: F401 - registers export and anonymiser
            round_services,  # noqa: F401 - marks its public writes (public_pages)
            sections,  # noqa: F401 - registers the neighbourhood page's sections
            services,  # noqa: F401 - marks its public writes (public_pages)
        )

        mail_kinds.register()
        register_due_work(
            "rounds.close_due", "problems.round_services.rounds_close_due", timedelta(minutes=1)
        )
        # Keyed mailings: however often these run, one reminder and one overdue notice per
        # action and due date, and one survey per resolution. Hourly, so a missed hour is
        # caught up soon.
        register_due_work(
            "actions.remind", "problems.action_services.actions_remind_due", timedelta(hours=1)
        )
        register_due_work(
            "problems.survey", "problems.action_services.surveys_send_due", timedelta(hours=1)
        )
